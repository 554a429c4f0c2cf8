"""``medts bench report-text``: statement F1 of generated interpretation texts against labels.

For each evaluation record the tool facts (``record_summary``, ``measurements``, ``classify``;
cached by :mod:`medts.agent.text_data`) are written up by three writers in the same run
(:func:`medts.agent.report_text.write_report_texts_detailed`):

(a) ``template``: sentences from the tool facts only (classifier statements + measurements);
(b) ``llm``: untuned SmolLM2-135M-Instruct composing from the facts (batched);
(c) ``tuned``: the LoRA text head (``adapters/text-smollm2``) with the ECG patch-embedding prefix.

The statements a text asserts are read with the report package's parser
(:func:`medts.report.consistency.codes_in_text`, SCP codes and plain-language phrases, negations
excluded, citations ignored) and scored against the labels: PTB-XL ``scp_codes`` (any likelihood,
the PTB-XL benchmark rule) of fold 9, and LUDB diagnoses mapped to SCP codes
(:func:`medts.labels.ludb_text_to_scp`) for records 131-160. Levels ``all`` and
``superdiagnostic`` (:func:`medts.labels.aggregate_codes`); macro F1 (over classes with a true
record) and micro F1 with 95 % bootstrap CIs over records (:func:`medts.bench.reports.bootstrap_f1`).
Each writer is scored on the grounded text (what a report shows) and, for the LLM writers, on the
raw text before grounding. The classifier's own ``present`` list is scored beside them as the
reference the texts are grounded in.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medts.labels import aggregate_codes, level_classes

LEVELS = ("superdiagnostic", "all")


def truth_codes(row: dict[str, Any]) -> dict[str, float]:
    """The record's SCP codes as ``code -> 100`` (any listed statement counts: PTB-XL benchmark rule)."""
    return {c: 100.0 for c in row["labels"]}


def score(predicted: list[list[str]], truths: list[dict[str, float]], *, n_boot: int = 1000) -> dict[str, Any]:
    """F1 at each level for predicted code lists against truth code dicts (same order)."""
    from medts.bench.reports import bootstrap_f1, level_sets

    out: dict[str, Any] = {}
    for level in LEVELS:
        classes = level_classes(level)
        col = {c: i for i, c in enumerate(classes)}
        truth = np.zeros((len(truths), len(classes)), bool)
        pred = np.zeros_like(truth)
        for i, (t, p) in enumerate(zip(truths, predicted)):
            for c in aggregate_codes(t, level):
                truth[i, col[c]] = True
            for c in level_sets(p, level):
                pred[i, col[c]] = True
        out[level] = bootstrap_f1(truth, pred, n_boot=n_boot)
    return out


def eval_rows(dataset: str, limit: int | None) -> list[dict[str, Any]]:
    """Cached fact rows of the evaluation records (computed first where missing)."""
    from medts.agent.text_data import LUDB_EVAL, load_facts, prepare_facts
    from medts.config import dataset_dir

    if dataset == "ptbxl":
        from medts.io.ptbxl import PtbxlIndex

        ids = PtbxlIndex.open(dataset_dir("ptbxl"), sampling_rate=100).ecg_ids([9])
    else:
        ids = list(LUDB_EVAL)
    ids = ids[:limit] if limit else ids
    prepare_facts(dataset, ids)
    rows = load_facts(dataset)
    return [rows[str(i)] for i in ids if str(i) in rows]


def run_report_text_bench(*, writers: tuple[str, ...] = ("template", "llm", "tuned"), limit: int | None = None,
                          llm_limit: int | None = None, batch_size: int = 16, n_boot: int = 1000, adapter: str | Path | None = None,
                          command: str | None = None, datasets: tuple[str, ...] = ("ludb", "ptbxl")
                          ) -> tuple[Path, Path]:
    """Run the benchmark; write ``eval/results/report_text.{json,md}`` (rewritten after every
    writer, marked partial until the run ends).

    ``limit``: first N evaluation records per dataset. ``llm_limit``: the writers are compared on
    the first N of those (paired, same records), and the template and classifier are also scored
    on all of them (CPU time: LLM generation is the slow part)."""
    from medts.agent.report_text import ReportTextInput, write_report_texts_detailed
    from medts.agent.text_train import read_ecg
    from medts.report.consistency import codes_in_text

    data: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    examples: dict[str, Any] = {}
    def write(complete: bool) -> tuple[Path, Path]:
        return _write_results(data, metrics, baselines, examples, command=command, complete=complete)

    if llm_limit:
        data["writers_compared_on"] = (f"the first {llm_limit} records of each dataset (all writers, same records); "
                                       "template and classifier also on all records (*_all_records rows)")
    for dataset in datasets:
        all_rows = eval_rows(dataset, limit)
        all_truths = [truth_codes(r) for r in all_rows]
        if llm_limit and llm_limit < len(all_rows):
            present_all = [list((r["facts"].get("classify") or {}).get("present") or []) for r in all_rows]
            baselines[f"{dataset}/classifier_present_all_records"] = score(present_all, all_truths, n_boot=n_boot)
            items_all = [ReportTextInput(ecg=None, facts=r["facts"], record_id=r["record_id"]) for r in all_rows]
            texts_all = write_report_texts_detailed(items_all, writer="template")
            baselines[f"{dataset}/template_all_records"] = score(
                [codes_in_text(t.text, plain_language=True) for t in texts_all], all_truths, n_boot=n_boot)
            data[f"{dataset}_all_records"] = [r["record_id"] for r in all_rows]
        rows = all_rows[:llm_limit] if llm_limit else all_rows
        truths = [truth_codes(r) for r in rows]
        data[dataset] = {"records": [r["record_id"] for r in rows], "n_records": len(rows),
                         "split": "PTB-XL strat_fold 9 (raw 100 Hz records present)" if dataset == "ptbxl"
                         else "LUDB records 131-160 (held out from text-head training)"}
        present = [list((r["facts"].get("classify") or {}).get("present") or []) for r in rows]
        baselines[f"{dataset}/classifier_present"] = score(present, truths, n_boot=n_boot)
        items = [ReportTextInput(ecg=read_ecg(dataset, r["record_id"]) if "tuned" in writers else None,
                                 facts=r["facts"], record_id=r["record_id"]) for r in rows]
        for writer in writers:
            t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
            texts = write_report_texts_detailed(items, writer=writer, adapter=adapter, batch_size=batch_size,
                                                progress=True)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            grounded = score([codes_in_text(t.text, plain_language=True) for t in texts], truths, n_boot=n_boot)
            entry: dict[str, Any] = {"grounded": grounded, "seconds": round(seconds, 1),
                                     "records_per_s": round(len(items) / seconds, 3) if seconds > 0 else None,
                                     "cpu_seconds": round(cpu, 1), "torch_threads": torch.get_num_threads(),
                                     "cpu_seconds_per_record": round(cpu / max(len(items), 1), 3),
                                     "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
                                     "batch_size": batch_size,
                                     # on an idle machine wall time ~ CPU time / threads (shared machine: wall >> that)
                                     "records_per_s_idle_estimate": round(len(items) * torch.get_num_threads() / cpu, 3)
                                     if cpu > 0 else None,
                                     "claims": sum(t.n_claims for t in texts),
                                     "ungrounded_claims_removed": sum(t.n_ungrounded for t in texts),
                                     "sentences_removed": sum(len(t.removed) for t in texts),
                                     "abstained": sum(t.abstained for t in texts)}
            if writer != "template":
                entry["raw"] = score([codes_in_text(t.raw, plain_language=True) for t in texts], truths, n_boot=n_boot)
            metrics[f"{dataset}/{writer}"] = entry
            examples[f"{dataset}/{writer}"] = [{"record_id": r["record_id"], "raw": t.raw, "text": t.text}
                                               for r, t in list(zip(rows, texts))[:3]]
            write(complete=False)  # a long run leaves every finished writer's figures behind
    return write(complete=True)


def _write_results(data: dict[str, Any], metrics: dict[str, Any], baselines: dict[str, Any],
                   examples: dict[str, Any], *, command: str | None, complete: bool) -> tuple[Path, Path]:
    """``eval/results/report_text.{json,md}`` from what has been scored so far."""
    from medts.bench.results import markdown_table, write_results

    rows_md = []
    for key, entry in {**metrics, **{k: {"grounded": v} for k, v in baselines.items()}}.items():
        for level in LEVELS:
            g = entry["grounded"][level]
            raw = entry.get("raw", {}).get(level)
            rows_md.append([key, level, f"{g['macro_f1']} {g['macro_f1_ci95']}", f"{g['micro_f1']} {g['micro_f1_ci95']}",
                            f"{raw['micro_f1']}" if raw else "", entry.get("records_per_s", ""),
                            entry.get("cpu_seconds_per_record", "")])
    table = markdown_table(["dataset/writer", "level", "macro F1 [95% CI]", "micro F1 [95% CI]",
                            "raw micro F1 (before grounding)", "records/s (wall)", "CPU s/record"], rows_md)
    notes = [
        ("Writers: (a) template = fact sentences from the tools (classifier statements + measurements); "
        "(b) llm = untuned SmolLM2-135M-Instruct phrasing compact facts; (c) tuned = LoRA text head "
        "(adapters/text-smollm2) with the MedTsLLM ECG prefix."),
        "Statements read by medts.report.consistency.codes_in_text (plain_language=True); negated mentions do not count.",
        ("'grounded' = the text after the grounding check (unsupported sentences removed), what a report shows; "
        "'raw' = the LLM output before it. Grounding can only keep statements the tools support, so grounded F1 "
        "is bounded by classifier_present (the tools' own statement list)."),
        ("LUDB truth: ludb_text_to_scp over all diagnosis lines; many LUDB diagnoses (axis, ischemia regions) "
        "have no or a coarse SCP equivalent."),
        ("records/s = wall clock on the machine as it was (load_average_1min at start and end of each writer; "
        "a shared 2-core machine); CPU s/record = process CPU seconds / records, the load-independent figure "
        "with 1 torch thread (with 2+ threads it includes OpenMP spin time); records_per_s_idle_estimate = "
        "records x torch threads / CPU seconds (what idle cores would give with the same thread count)."),
        ("Records: every PTB-XL strat_fold 9 record whose raw 100 Hz signal is in the shared data (136 of the "
        "fold; the data holds no more), and all LUDB records 131-160. None was used to train the text head "
        "(PTB-XL folds 1-8, LUDB 1-130); fold 9 was used to select and threshold the classifiers whose "
        "statements every writer is grounded in."),
    ]
    if data.get("writers_compared_on"):
        notes.insert(0, "Writers compared on " + data["writers_compared_on"] + ".")
    if not complete:
        notes.insert(0, "PARTIAL: the run was still going when this was written; only the rows below are done.")
    data = {**data, "complete": complete}
    return write_results("report_text", command=command, data=data, metrics=metrics, baselines=baselines,
                         notes=notes, markdown_tables=[table, "## Examples\n\n" + "\n".join(
                             f"- {k} {e['record_id']}: {e['text'][:300]!r}" for k, v in examples.items() for e in v[:1])])


def run_report_text_speed(*, n: int = 32, batch_size: int = 16, threads: tuple[int, ...] = (1, 2),
                          writers: tuple[str, ...] = ("llm", "tuned"), adapter: str | Path | None = None,
                          command: str | None = None) -> tuple[Path, Path]:
    """Throughput of the LLM writers: ``n`` LUDB 131-160 records (cached facts; ECGs for the tuned
    head), batches of ``batch_size``, each torch thread count in ``threads``; writes
    ``eval/results/report_text_speed.{json,md}``.

    Each (writer, threads) pair is timed after an untimed warm-up batch (model loading and the first
    call's one-off costs are excluded: a batch report loads the model once per process). Reported:
    records/s (wall), CPU seconds per record (``time.process_time``), and the 1-minute load average
    before and after (wall figures are only meaningful on an otherwise idle machine).
    """
    from medts.agent.report_text import ReportTextInput, write_report_texts_detailed
    from medts.agent.text_train import read_ecg
    from medts.bench.results import markdown_table, write_results

    rows = eval_rows("ludb", None)
    rows = (rows * (n // max(len(rows), 1) + 1))[:n]  # more than 30: the records repeat
    items = [ReportTextInput(ecg=read_ecg("ludb", r["record_id"]), facts=r["facts"], record_id=r["record_id"])
             for r in rows]
    before = torch.get_num_threads()
    metrics: dict[str, Any] = {}
    try:
        for writer in writers:
            for t in threads:
                torch.set_num_threads(t)
                write_report_texts_detailed(items[:2], writer=writer, adapter=adapter, batch_size=2)  # warm-up
                load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
                texts = write_report_texts_detailed(items, writer=writer, adapter=adapter, batch_size=batch_size)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                metrics[f"{writer}/threads={t}"] = {
                    "records": len(items), "batch_size": batch_size, "torch_threads": t, "seconds": round(wall, 2),
                    "records_per_s": round(len(items) / wall, 3), "cpu_seconds_per_record": round(cpu / len(items), 3),
                    "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
                    "mean_raw_chars": round(sum(len(x.raw) for x in texts) / len(texts), 1)}
    finally:
        torch.set_num_threads(before)
    table = markdown_table(["writer / threads", "records/s (wall)", "CPU s/record", "load avg (start, end)"],
                           [[k, v["records_per_s"], v["cpu_seconds_per_record"], v["load_average_1min"]]
                            for k, v in metrics.items()])
    notes = [(f"{len(items)} LUDB 131-160 records (facts from runs/text_head/facts-ludb.jsonl), batches of "
             f"{batch_size}, greedy decoding, max 48 new tokens, fp32 unless the CPU has native bf16."),
             "The goal for batch reports is >= 1 record/s on 2 CPU cores; wall figures count only on an idle machine."]
    return write_results("report_text_speed", command=command,
                         data={"dataset": "ludb", "records": [r["record_id"] for r in rows]},
                         metrics=metrics, notes=notes, markdown_tables=[table])
