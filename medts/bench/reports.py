"""``medts bench reports``: score generated reports against PTB-XL ``scp_codes``; throughput and memory.

For every record of the chosen folds a report is generated (:func:`medts.report.batch.run_batch`).
The statements each report asserts are scored twice: as listed in its JSON
(``statements.asserted``) and as parsed from its free text (the codes it asserts, see
:mod:`medts.report.consistency`). Truth is the record's ``scp_codes`` (any likelihood, the PTB-XL
benchmark rule), aggregated to the ``all`` and ``superdiagnostic`` levels with
:func:`medts.labels.aggregate_codes`. Metrics: macro F1 (over classes with at least one true
record) and micro F1, each with a 95 % percentile bootstrap CI over records. A text-vs-JSON
disagreement is a record whose text asserts a code its JSON does not (or negates one it does), or
states a measurement value or probability different from its JSON (goal: 0); codes in the JSON that
the text does not mention are counted separately as omissions
(:func:`medts.report.consistency.check_text`).

Throughput is records/s with ``--workers`` processes for PTB-XL 100 Hz and LUDB 500 Hz records,
with JSON+Markdown output only and with every format (plots, HTML, PDF); peak RSS per worker.

Example
-------
>>> codes_in_text("Statements suggested: SR (sinus rhythm); CD (conduction disturbance (AV block, WPW, ...), p=0.91).")
['SR', 'CD']
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from medts.labels import STATEMENTS, SUPERCLASSES, aggregate_codes, level_classes
from medts.report.consistency import check_text, codes_in_text, text_json_disagreements  # noqa: F401 (re-exported)
from medts.report.schema import Report

def level_sets(codes: list[str], level: str) -> set[str]:
    """Codes aggregated to ``level`` (superclass codes asserted directly count at superdiagnostic)."""
    scp = {c: 100.0 for c in codes if c in STATEMENTS}
    out = set(aggregate_codes(scp, level))
    if level == "superdiagnostic":
        out |= {c for c in codes if c in SUPERCLASSES}
    return out


def f1_scores(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """(macro F1 over classes with a true record, micro F1) for boolean ``[n_records, n_classes]``."""
    tp = (truth & pred).sum(axis=0).astype(float)
    fp = (~truth & pred).sum(axis=0).astype(float)
    fn = (truth & ~pred).sum(axis=0).astype(float)
    has = truth.sum(axis=0) > 0
    denom = 2 * tp + fp + fn
    per_class = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    macro = float(per_class[has].mean()) if has.any() else float("nan")
    total = 2 * tp.sum() + fp.sum() + fn.sum()
    micro = float(2 * tp.sum() / total) if total > 0 else float("nan")
    return macro, micro


def bootstrap_f1(truth: np.ndarray, pred: np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Point estimates and 95 % percentile bootstrap CIs (records resampled with replacement)."""
    rng = np.random.default_rng(seed)
    macro, micro = f1_scores(truth, pred)
    samples = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(truth), len(truth))
        samples.append(f1_scores(truth[idx], pred[idx]))
    arr = np.array(samples)

    def ci(col: int) -> list[float]:
        values = arr[:, col][np.isfinite(arr[:, col])]
        return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)] if len(values) else [None, None]

    return {"macro_f1": round(macro, 4), "macro_f1_ci95": ci(0), "micro_f1": round(micro, 4), "micro_f1_ci95": ci(1),
            "n_records": int(len(truth)), "n_boot": n_boot}


def score_reports(reports: dict[int, Report], truth_codes: dict[int, dict[str, float]], *, n_boot: int = 1000) -> dict:
    """F1 of JSON and text statements at the ``all`` and ``superdiagnostic`` levels, and disagreements."""
    ids = sorted(reports)
    metrics: dict[str, Any] = {}
    for level in ("superdiagnostic", "all"):
        classes = level_classes(level)
        col = {c: i for i, c in enumerate(classes)}
        truth = np.zeros((len(ids), len(classes)), bool)
        from_json = np.zeros_like(truth)
        from_text = np.zeros_like(truth)
        for row, ecg_id in enumerate(ids):
            for c in aggregate_codes(truth_codes[ecg_id], level):
                truth[row, col[c]] = True
            for c in level_sets(reports[ecg_id].statements.codes(), level):
                from_json[row, col[c]] = True
            for c in level_sets(codes_in_text(reports[ecg_id].interpretation.text), level):
                from_text[row, col[c]] = True
        metrics[level] = {"json": bootstrap_f1(truth, from_json, n_boot=n_boot),
                          "text": bootstrap_f1(truth, from_text, n_boot=n_boot),
                          "n_classes": len(classes), "n_classes_with_truth": int((truth.sum(0) > 0).sum()),
                          "n_classes_asserted": int((from_json.sum(0) > 0).sum())}
    checks = {ecg_id: check_text(reports[ecg_id]) for ecg_id in ids}
    metrics["text_json_disagreements"] = sum(bool(c.disagreements) for c in checks.values())
    metrics["disagreement_examples"] = {str(k): c.disagreements for k, c in checks.items() if c.disagreements}
    metrics["text_omits_json_codes"] = sum(bool(c.omissions) for c in checks.values())
    metrics["text_number_claims_checked"] = sum(c.n_number_claims for c in checks.values())
    metrics["text_generators"] = dict(sorted(_count(r.interpretation.generator for r in reports.values()).items()))
    counts: dict[str, int] = defaultdict(int)
    for r in reports.values():
        for c in r.statements.codes():
            counts[c] += 1
    metrics["asserted_code_counts"] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
    return metrics


def _count(items) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return counts


def throughput(inputs: list[str], *, workers: int, formats: tuple[str, ...], limit: int | None, folds=None,
               sampling_rate: int = 100, text: str = "template", evidence: str = "occlusion",
               chunk_size: int | None = None) -> dict[str, Any]:
    """Records/s, CPU s per record and peak RSS per worker of one fresh batch run into a temporary folder.

    ``records_per_s_processing`` is records / the busiest worker's time inside its chunks (reading,
    reporting, writing; starting workers and loading models excluded); ``..._wall_incl_startup``
    is records / the whole run's wall time. Chunks default to ``ceil(limit / workers)`` records
    (at most 8), so every worker gets work;
    ``cpu_s_per_record`` is the workers' own CPU time per record, and
    ``est_records_per_s_2_idle_cores`` = min(2, workers) / cpu_s_per_record: what two idle cores
    would give (the development machine is shared, so wall-clock rates understate it).
    """
    from medts.report.batch import run_batch

    out = Path(tempfile.mkdtemp(prefix="medts-bench-reports-"))
    if chunk_size is None:
        chunk_size = max(1, min(8, -(-(limit or 8) // workers)))
    try:
        t0 = time.perf_counter()
        result = run_batch(inputs, out, formats=formats, text=text, workers=workers, folds=folds, limit=limit,
                           sampling_rate=sampling_rate, progress=False, evidence=evidence, chunk_size=chunk_size)
        wall = time.perf_counter() - t0
        peaks: dict[int, float] = {}
        busy: dict[int, float] = defaultdict(float)
        for r in result.results:
            if r.worker_pid is not None and r.peak_rss_mb is not None:
                peaks[r.worker_pid] = max(peaks.get(r.worker_pid, 0.0), r.peak_rss_mb)
                busy[r.worker_pid] += r.seconds
        cpu = [r.cpu_seconds for r in result.results if r.status == "done" and r.cpu_seconds is not None]
        cpu_s = float(np.mean(cpu)) if cpu else None
        generators = sorted({json.loads((p).read_text())["interpretation"]["generator"]
                             for p in list(out.glob("records/**/report.json"))[:3]})
        return {"records": result.n_done, "failed": result.n_failed, "workers": workers, "formats": list(formats),
                "text": text, "text_generators": generators, "evidence": evidence,
                "records_per_s_processing": round(result.n_done / max(busy.values()), 3) if busy else None,
                "workers_used": len(busy), "chunk_size": chunk_size,
                "records_per_s_wall_incl_startup": round(result.n_done / wall, 3) if wall > 0 else None,
                "cpu_s_per_record": round(cpu_s, 3) if cpu_s else None,
                "est_records_per_s_2_idle_cores": round(min(2, workers) / cpu_s, 2) if cpu_s else None,
                "peak_rss_mb_per_worker": round(max(peaks.values()), 1) if peaks else None,
                "load_average_1min_at_end": round(os.getloadavg()[0], 1)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def load_reports(data: Path, out: Path, folds: list[int], limit: int | None) -> dict[int, Report]:
    """The fold's ``report.json`` files under ``out``, by ``ecg_id``."""
    from medts.report.batch import BatchConfig, output_key, record_dir, resolve_inputs

    config = BatchConfig(out=str(out))
    reports: dict[int, Report] = {}
    for job in resolve_inputs([str(data)], folds=folds, limit=limit):
        path = record_dir(out, output_key(job, config)) / "report.json"
        if path.is_file():
            reports[job.ecg_id] = Report.model_validate_json(path.read_text())
    return reports


def llm_text_check(reports: dict[int, Report]) -> dict[str, Any]:
    """Disagreements, omissions and guard activity of LLM-written texts."""
    checks = {k: check_text(r) for k, r in reports.items()}
    dropped = 0
    for r in reports.values():
        for note in r.interpretation.grounding:
            m = re.search(r"report consistency check: (\d+) sentence", note)
            dropped += int(m.group(1)) if m else 0
    return {"records": len(reports), "generators": _count(r.interpretation.generator for r in reports.values()),
            "text_json_disagreements": sum(bool(c.disagreements) for c in checks.values()),
            "disagreement_examples": {str(k): c.disagreements for k, c in checks.items() if c.disagreements},
            "text_omits_json_codes": sum(bool(c.omissions) for c in checks.values()),
            "mean_json_codes_per_report": round(float(np.mean([len(r.statements.asserted) for r in reports.values()])), 2)
            if reports else None,
            "mean_codes_written_per_text": round(float(np.mean([len(c.text_codes) for c in checks.values()])), 2)
            if checks else None,
            "number_claims_checked": sum(c.n_number_claims for c in checks.values()),
            "sentences_dropped_by_report_check": dropped,
            "example_text": next(iter(reports.values())).interpretation.text if reports else None}


def run(data: Path, *, folds: list[int], out: Path, workers: int = 2, limit: int | None = None,
        ludb: Path | None = None, speed_limit: int = 40, n_boot: int = 1000, command: str | None = None,
        llm_limit: int = 16, llm_speed_limit: int = 8) -> tuple[Path, Path]:
    """Generate and score fold reports, measure throughput, write ``eval/results/reports.{json,md}``.

    1. Reports for the fold with template text (``--no-llm``), scored against ``scp_codes`` from
       the JSON and from the text; text-vs-JSON disagreements counted.
    2. The first ``llm_limit`` records again with LLM text (the default of ``medts report``):
       disagreements and omissions of the LLM texts.
    3. Throughput runs (fresh output folders): PTB-XL 100 Hz and LUDB 500 Hz, JSON+Markdown with
       1 and ``workers`` processes, the default formats and all formats, and LLM text.
    """
    from medts.bench.results import markdown_table, write_results
    from medts.io.ptbxl import PtbxlIndex
    from medts.report.batch import DEFAULT_FORMATS, FORMATS, run_batch

    index = PtbxlIndex.open(data, sampling_rate=100)
    batch = run_batch([str(data)], out, formats=("json", "md"), text="template", workers=workers, folds=folds,
                      limit=limit, progress=True)
    reports = load_reports(data, out, folds, limit)
    truth = {i: dict(index.table.loc[i, "scp_codes"]) for i in reports}
    metrics = score_reports(reports, truth, n_boot=n_boot)
    metrics["generation"] = {"records": len(reports), "failed": batch.n_failed, "skipped_existing": batch.n_skipped}
    metrics["statement_sources"] = sorted({f.source for r in reports.values() for f in r.statements.asserted})
    metrics["classifier_status"] = next(iter(reports.values())).tools.get("statements") if reports else None
    metrics["evidence_leads"] = {
        "statements_with_evidence": sum(bool(f.evidence_leads) for r in reports.values() for f in r.statements.asserted),
        "classifier_statements": sum(f.source.startswith("classifier") for r in reports.values() for f in r.statements.asserted)}
    metrics["anomalies"] = {"tool": next(iter(reports.values())).anomalies.status.tool if reports else None,
                            "records_with_anomalies": sum(bool(r.anomalies.items) for r in reports.values())}

    llm_out = out.parent / (out.name + "-llm")
    llm_batch = run_batch([str(data)], llm_out, formats=("json", "md"), text="auto", workers=workers, folds=folds,
                          limit=llm_limit, progress=True, chunk_size=8)
    metrics["llm_text"] = llm_text_check(load_reports(data, llm_out, folds, llm_limit))
    metrics["llm_text"]["failed"] = llm_batch.n_failed

    ptb = [str(data)]
    llm_chunk = max(1, -(-llm_speed_limit // workers))  # one generation batch per worker
    speed: dict[str, Any] = {}
    for w in sorted({1, workers}):
        speed[f"ptbxl_100hz_json_md_w{w}"] = throughput(ptb, workers=w, formats=("json", "md"), limit=speed_limit, folds=folds)
    speed[f"ptbxl_100hz_json_md_no_evidence_w{workers}"] = throughput(ptb, workers=workers, formats=("json", "md"),
                                                                       limit=speed_limit, folds=folds, evidence="none")
    speed[f"ptbxl_100hz_default_formats_w{workers}"] = throughput(ptb, workers=workers, formats=DEFAULT_FORMATS,
                                                                  limit=max(4, speed_limit // 2), folds=folds)
    speed[f"ptbxl_100hz_all_formats_w{workers}"] = throughput(ptb, workers=workers, formats=FORMATS,
                                                              limit=max(4, speed_limit // 4), folds=folds)
    speed[f"ptbxl_100hz_llm_text_json_md_w{workers}"] = throughput(ptb, workers=workers, formats=("json", "md"),
                                                                   limit=llm_speed_limit, folds=folds, text="auto",
                                                                   chunk_size=llm_chunk)
    if ludb is not None:
        ludb_inputs = [str(p) for p in sorted((ludb / "data").glob("*.hea"), key=lambda p: int(p.stem))] \
            if (ludb / "data").is_dir() else [str(ludb)]
        for w in sorted({1, workers}):
            speed[f"ludb_500hz_json_md_w{w}"] = throughput(ludb_inputs, workers=w, formats=("json", "md"), limit=speed_limit)
        speed[f"ludb_500hz_llm_text_json_md_w{workers}"] = throughput(ludb_inputs, workers=workers, formats=("json", "md"),
                                                                      limit=llm_speed_limit, text="auto",
                                                                      chunk_size=llm_chunk)
    metrics["throughput"] = speed
    loads = [v["load_average_1min_at_end"] for v in speed.values()]
    rows = []
    for level in ("superdiagnostic", "all"):
        for src in ("json", "text"):
            m = metrics[level][src]
            rows.append([level, src, m["macro_f1"], f"{m['macro_f1_ci95']}", m["micro_f1"], f"{m['micro_f1_ci95']}", m["n_records"]])
    lt = metrics["llm_text"]
    speed_rows = [[k, v["records"], v["workers"], "+".join(v["formats"]), "/".join(v["text_generators"]) or v["text"],
                   v["records_per_s_processing"], v["records_per_s_wall_incl_startup"], v["cpu_s_per_record"],
                   v["est_records_per_s_2_idle_cores"], v["peak_rss_mb_per_worker"]] for k, v in speed.items()]
    tables = [
        markdown_table(["level", "statements from", "macro F1", "95% CI", "micro F1", "95% CI", "records"], rows),
        markdown_table(["text", "reports", "text-vs-JSON disagreements (goal 0)", "texts omitting JSON codes",
                        "number claims checked", "sentences dropped by the report check"],
                       [["template (--no-llm)", len(reports), metrics["text_json_disagreements"],
                         metrics["text_omits_json_codes"], metrics["text_number_claims_checked"], 0],
                        ["LLM (default)", lt["records"], lt["text_json_disagreements"], lt["text_omits_json_codes"],
                         lt["number_claims_checked"], lt["sentences_dropped_by_report_check"]]]),
        markdown_table(["throughput run", "records", "workers", "formats", "text", "records/s (processing)",
                        "records/s (wall, incl. start-up)", "CPU s/record", "est. records/s on 2 idle cores",
                        "peak RSS per worker (MB)"], speed_rows),
    ]
    notes = [
        "Truth: scp_codes keys with any likelihood (PTB-XL benchmark rule), aggregated with medts.labels.aggregate_codes.",
        "Macro F1 averages over classes with at least one true record in the evaluated set; CIs: 95% percentile bootstrap over records.",
        f"Statement sources in these reports: {metrics['statement_sources']}; classifier: {metrics['classifier_status']}.",
        "F1 rows use the template text (--no-llm) reports; text statements are read with medts.report.consistency "
        "(codes outside a code's own parenthesised description, plus statements in words).",
        "The first fold-9 run (commit 16f050f) had 37/136 disagreements, all one cause: the parser took 'WPW' inside "
        "the CD description '(bundle branch or fascicular block, AV block, WPW, ...)' for an asserted code.",
        f"LLM text: first {lt['records']} fold records, medts.agent.report_text writer, agent grounding check "
        "then the report's own sentence check; omissions (JSON codes the text does not mention) are not contradictions.",
        "Throughput: wall-clock rates were measured on the shared 2-core development machine while other jobs ran "
        f"(1-min load average {min(loads):g}-{max(loads):g} at the end of the runs, i.e. {min(loads) / 2:.0f}-"
        f"{max(loads) / 2:.0f} runnable jobs per core); 'est. records/s on 2 idle cores' = min(2, workers) / the "
        "workers' CPU seconds per record (CPU time itself is inflated under such contention).",
        f"Default formats of medts report: {'+'.join(DEFAULT_FORMATS)}; all formats adds PDF and PNG.",
    ]
    data_info = {"dataset": "PTB-XL (partial shared copy, 100 Hz)", "root": str(data), "folds": folds,
                 "ecg_ids": sorted(reports), "llm_text_ecg_ids": sorted(load_reports(data, llm_out, folds, llm_limit)),
                 "ludb": str(ludb) if ludb else None, "speed_limit": speed_limit, "llm_speed_limit": llm_speed_limit}
    return write_results("reports", command=command, data=data_info, metrics=metrics, notes=notes, markdown_tables=tables)
