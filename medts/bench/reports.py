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

Throughput (:func:`speed_runs`) is records/s and CPU seconds per record with ``--workers``
processes for PTB-XL 100 Hz and LUDB 500 Hz records (131-160), without LLM text (default formats
json+md+html, and json+md) and with it; peak RSS per worker; the load average; and the CPU
milliseconds per record of each step (:func:`stage_cpu`). ``--speed-only`` runs only these.

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
from medts.report.schema import SCHEMA_VERSION, Report

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


DEFAULT_CHUNK = 16
"""Records per worker task in the throughput runs (the ``medts report --chunk-size`` default)."""

LUDB_SPEED_RECORDS = tuple(range(131, 161))
"""LUDB records timed at 500 Hz (131-160; nothing in the report pipeline was tuned on them)."""


def throughput(inputs: list[str], *, workers: int, formats: tuple[str, ...], limit: int | None, folds=None,
               sampling_rate: int = 100, text: str = "template", evidence: str = "occlusion",
               chunk_size: int | None = None) -> dict[str, Any]:
    """Records/s, CPU s per record and peak RSS per worker of one fresh batch run into a temporary folder.

    ``records_per_s_processing`` is records / the busiest worker's time inside its chunks (reading,
    reporting, writing; starting workers and loading models excluded); ``..._wall_incl_startup``
    is records / the whole run's wall time. Chunks default to ``ceil(records / workers)`` records
    (at most :data:`DEFAULT_CHUNK`), so every worker gets work; ``cpu_s_per_record`` is the
    workers' own CPU time per record inside their chunks, and ``est_records_per_s_2_idle_cores`` =
    min(2, workers) / cpu_s_per_record: what two idle cores would give (the development machine is
    shared, so wall-clock rates understate it). The 1-minute load average is recorded before and after.
    """
    from medts.report.batch import resolve_inputs, run_batch

    out = Path(tempfile.mkdtemp(prefix="medts-bench-reports-"))
    jobs = resolve_inputs(inputs, folds=folds, limit=limit, sampling_rate=sampling_rate)
    if chunk_size is None:
        chunk_size = max(1, min(DEFAULT_CHUNK, -(-len(jobs) // workers)))
    load_before = os.getloadavg()[0]
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_batch(inputs, out, formats=formats, text=text, workers=workers, progress=False, evidence=evidence,
                           chunk_size=chunk_size, jobs=jobs)
        wall = time.perf_counter() - t0
        peaks: dict[int, float] = {}
        busy: dict[int, float] = defaultdict(float)
        for r in result.results:
            if r.worker_pid is not None and r.peak_rss_mb is not None:
                peaks[r.worker_pid] = max(peaks.get(r.worker_pid, 0.0), r.peak_rss_mb)
                busy[r.worker_pid] += r.seconds
        cpu = [r.cpu_seconds for r in result.results if r.status == "done" and r.cpu_seconds is not None]
        cpu_s = float(np.mean(cpu)) if cpu else None
        writers = sorted({(json.loads(p.read_text())["interpretation"].get("writer") or "?")
                          for p in list(out.glob("records/**/report.json"))[:5]})
        return {"records": result.n_done, "failed": result.n_failed, "workers": workers, "formats": list(formats),
                "text": text, "text_writers": writers, "evidence": evidence, "chunk_size": chunk_size,
                "records_per_s_processing": round(result.n_done / max(busy.values()), 3) if busy else None,
                "workers_used": len(busy),
                "wall_s_incl_startup": round(wall, 2),
                "records_per_s_wall_incl_startup": round(result.n_done / wall, 3) if wall > 0 else None,
                "cpu_s_per_record": round(cpu_s, 4) if cpu_s else None,
                "est_records_per_s_2_idle_cores": round(min(2, workers) / cpu_s, 2) if cpu_s else None,
                "peak_rss_mb_per_worker": round(max(peaks.values()), 1) if peaks else None,
                "main_process_cpu_s": round(time.process_time() - c0, 2),
                "load_average_1min_before": round(load_before, 1),
                "load_average_1min_at_end": round(os.getloadavg()[0], 1)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def ludb_speed_inputs(ludb: Path, records: tuple[int, ...] = LUDB_SPEED_RECORDS) -> list[str]:
    """Header paths of the LUDB ``records`` present under ``ludb`` (``data/<n>.hea``)."""
    folder = ludb / "data" if (ludb / "data").is_dir() else ludb
    return [str(folder / f"{n}.hea") for n in records if (folder / f"{n}.hea").is_file()]


def speed_runs(data: Path | None, *, folds: list[int], ludb: Path | None, workers: int = 2, speed_limit: int = 64,
               llm_speed_limit: int = 32) -> dict[str, Any]:
    """The throughput figures of the issue: PTB-XL 100 Hz (fold ``folds``) and LUDB 500 Hz
    (:data:`LUDB_SPEED_RECORDS`), with ``workers`` processes, without LLM text (default formats
    json+md+html, and json+md) and with LLM text (default formats), plus a per-stage CPU breakdown."""
    from medts.report.batch import DEFAULT_FORMATS

    sets: list[tuple[str, list[str], list[int] | None]] = []
    if data is not None:
        sets.append(("ptbxl_100hz", [str(data)], folds))
    if ludb is not None and ludb_speed_inputs(ludb):
        sets.append(("ludb_500hz", ludb_speed_inputs(ludb), None))
    speed: dict[str, Any] = {}
    for name, inputs, fold in sets:
        speed[f"{name}_default_formats_w{workers}"] = throughput(inputs, workers=workers, formats=DEFAULT_FORMATS,
                                                               limit=speed_limit, folds=fold)
        speed[f"{name}_json_md_w{workers}"] = throughput(inputs, workers=workers, formats=("json", "md"),
                                                       limit=speed_limit, folds=fold)
        speed[f"{name}_llm_text_default_formats_w{workers}"] = throughput(
            inputs, workers=workers, formats=DEFAULT_FORMATS, limit=llm_speed_limit, folds=fold, text="auto")
    stages = {name: stage_cpu(inputs, folds=fold, limit=min(speed_limit, 32)) for name, inputs, fold in sets}
    return {"runs": speed, "stage_cpu_ms_per_record": stages}


def stage_cpu(inputs: list[str], *, folds: list[int] | None, limit: int, chunk_size: int = DEFAULT_CHUNK) -> dict[str, float]:
    """CPU milliseconds per record of each step of a report, in this process (one torch thread).

    The same components and batching as :func:`medts.report.batch.process_chunk` (chunks of
    ``chunk_size`` records), timed step by step with ``time.process_time``.
    """
    import torch

    from medts.report.batch import BatchConfig, _read, overlay_of, resolve_inputs
    from medts.report.build import ReportBuilder, record_info
    from medts.report.paper import paper_svg
    from medts.report.render_html import render_html
    from medts.report.render_markdown import render_markdown
    from medts.report.render_pdf import paper_subtitle
    from medts.report.schema import Report
    from medts.classify.attribution import lead_occlusion
    from medts.report.sources import report_sections

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        jobs = resolve_inputs(inputs, folds=folds, limit=limit)
        config = BatchConfig(out="")
        builder = ReportBuilder(text="template", evidence="none")
        s = builder.sources
        clfs = s.statements._classifiers
        totals: dict[str, float] = defaultdict(float)

        def timed(step: str, fn, *args, **kwargs):
            c = time.process_time()
            value = fn(*args, **kwargs)
            totals[step] += time.process_time() - c
            return value

        builder.build_many([_read(jobs[0], config)])  # warm-up (lazy imports, first torch call)
        for start in range(0, len(jobs), chunk_size):
            ecgs = [timed("read record", _read, job, config) for job in jobs[start:start + chunk_size]]
            runs = timed("classifiers (all members)", s.statements.scores_many, ecgs)
            cache: dict[float, list] = {}  # model inputs shared by the classifiers, as in ClassifierSource
            for clf in clfs:
                present = [p.present for p in clf.predict_many(ecgs)]
                timed("evidence leads (lead occlusion)", lead_occlusion, clf, ecgs, present,
                      inputs=cache.setdefault(clf.fs_hz, [None] * len(ecgs)))
            reports = []
            for ecg, run in zip(ecgs, runs):
                sig = timed("measurements (medts.signal.measure_ecg)", s.signal.sections, ecg)
                sec = timed("interpretation (medts.interpret)", report_sections, ecg, sig, run, s.signal.name)
                anomalies = timed("anomalous beats", s.anomalies.anomalies, ecg, r_peaks=sig.r_peaks,
                                  usable_leads=sig.usable_leads)
                c = time.process_time()
                draft = Report.model_construct(
                    medts_version="bench", generated_at="", record=record_info(ecg), quality=sec.quality,
                    measurements=sec.measurements, rhythm_axis=sec.rhythm_axis, verdict=sec.verdict,
                    statements=sec.statements, findings=sec.findings, anomalies=anomalies,
                    waves=sig.waves, interpretation=None, tools={}, schema_version=SCHEMA_VERSION,
                    notice=Report.model_fields["notice"].default)
                text = s.text.interpretations([draft])[0]
                report = Report.model_validate({**draft.__dict__, "interpretation": text})
                totals["template text + schema validation"] += time.process_time() - c
                reports.append(report)
                timed("JSON + Markdown", lambda r: (r.model_dump_json(indent=1), render_markdown(r)), report)
                timed("HTML with the SVG tracing", lambda r, e: render_html(r, image=paper_svg(
                    e, title=r.record.record_id, subtitle=paper_subtitle(r), notice=r.notice,
                    overlay=overlay_of(r)).encode(), image_format="svg"), report, ecg)
        out = {k: round(1000 * v / len(jobs), 1) for k, v in totals.items()}
        out["total"] = round(sum(out.values()), 1)
        out["records"] = len(jobs)
        return out
    finally:
        torch.set_num_threads(threads)


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
            "writers": sorted({r.interpretation.writer or r.interpretation.generator for r in reports.values()}),
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


SPEED_COLUMNS = ["throughput run", "records", "workers", "formats", "text writer", "chunk",
                 "records/s (processing)", "records/s (wall, incl. start-up)", "CPU s/record",
                 "est. records/s on 2 idle cores", "peak RSS per worker (MB)", "load avg before/after"]


def speed_table(speed: dict[str, Any]) -> str:
    """The throughput runs as one Markdown table."""
    from medts.bench.results import markdown_table

    rows = [[k, v["records"], v["workers"], "+".join(v["formats"]), "/".join(v["text_writers"]) or v["text"],
             v["chunk_size"], v["records_per_s_processing"], v["records_per_s_wall_incl_startup"], v["cpu_s_per_record"],
             v["est_records_per_s_2_idle_cores"], v["peak_rss_mb_per_worker"],
             f"{v['load_average_1min_before']} / {v['load_average_1min_at_end']}"] for k, v in speed.items()]
    return markdown_table(SPEED_COLUMNS, rows)


def stage_table(stages: dict[str, dict[str, float]]) -> str:
    """CPU ms per record of each report step, one column per dataset."""
    from medts.bench.results import markdown_table

    names = list(stages)
    steps = [k for k in next(iter(stages.values())) if k not in ("records", "total")] if stages else []
    rows = [[step, *[stages[n].get(step) for n in names]] for step in steps]
    rows.append(["**total**", *[stages[n]["total"] for n in names]])
    rows.append(["records timed", *[stages[n]["records"] for n in names]])
    return markdown_table(["step (CPU ms per record, one thread)", *names], rows)


def speed_notes(speed: dict[str, Any]) -> list[str]:
    loads = [x for v in speed["runs"].values() for x in (v["load_average_1min_before"], v["load_average_1min_at_end"])]
    return [
        "Goals (issue 7, 2 CPU cores, shipped models): >= 10 records/s without LLM text, >= 1 record/s with LLM text.",
        "'records/s (processing)': records / the busiest worker's time inside its chunks (read, report, write; "
        "worker start-up and model loading excluded); 'wall, incl. start-up': the whole command. "
        "'CPU s/record': the workers' own CPU seconds per record inside their chunks; 'est. records/s on 2 idle "
        "cores' = min(2, workers) / CPU s per record.",
        f"1-minute load average during these runs: {min(loads):g}-{max(loads):g} on 2 cores. Above ~2 the wall-clock "
        "rates measure the other jobs as much as medts, and CPU seconds are inflated too (shared caches, "
        "frequency); rerun the quick command on a quiet machine for wall-clock figures.",
        "PTB-XL records are the first of the fold in ecg_id order; LUDB records 131-160 (500 Hz). Nothing in the "
        "report pipeline was tuned on them (the classifiers' thresholds and members were chosen on PTB-XL fold 9).",
        "LLM text: the 'auto' writer of medts report (the tuned text head when adapters/text-smollm2 is shipped), "
        "one write_report_texts_detailed call and one generation batch per chunk, one torch thread per worker.",
    ]


def run(data: Path, *, folds: list[int], out: Path, workers: int = 2, limit: int | None = None,
        ludb: Path | None = None, speed_limit: int = 64, n_boot: int = 1000, command: str | None = None,
        llm_limit: int = 16, llm_speed_limit: int = 32, speed_only: bool = False) -> tuple[Path, Path]:
    """Generate and score fold reports, measure throughput, write ``eval/results/reports.{json,md}``.

    1. Reports for the fold with template text (``--no-llm``), scored against ``scp_codes`` from
       the JSON and from the text; text-vs-JSON disagreements counted.
    2. The first ``llm_limit`` records again with LLM text (the default of ``medts report``):
       disagreements and omissions of the LLM texts.
    3. Throughput runs (:func:`speed_runs`, fresh output folders): PTB-XL 100 Hz and LUDB 500 Hz with
       ``workers`` processes, without and with LLM text; per-stage CPU.

    ``speed_only`` runs step 3 alone and writes ``eval/results/reports_throughput.{json,md}``
    (the quick re-measurement for a quiet machine).
    """
    from medts.bench.results import markdown_table, write_results

    if speed_only:
        speed = speed_runs(data, folds=folds, ludb=ludb, workers=workers, speed_limit=speed_limit,
                           llm_speed_limit=llm_speed_limit)
        data_info = {"ptbxl": str(data) if data else None, "folds": folds, "ludb": str(ludb) if ludb else None,
                     "ludb_records": list(LUDB_SPEED_RECORDS), "speed_limit": speed_limit,
                     "llm_speed_limit": llm_speed_limit}
        return write_results("reports_throughput", command=command, data=data_info, metrics={"throughput": speed},
                             notes=speed_notes(speed), markdown_tables=[speed_table(speed["runs"]),
                                                                       stage_table(speed["stage_cpu_ms_per_record"])])

    from medts.io.ptbxl import PtbxlIndex
    from medts.report.batch import DEFAULT_FORMATS, run_batch

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
                          limit=llm_limit, progress=True)
    llm_reports = load_reports(data, llm_out, folds, llm_limit)
    metrics["llm_text"] = llm_text_check(llm_reports)
    metrics["llm_text"]["failed"] = llm_batch.n_failed

    speed = speed_runs(data, folds=folds, ludb=ludb, workers=workers, speed_limit=speed_limit,
                       llm_speed_limit=llm_speed_limit)
    metrics["throughput"] = speed
    rows = []
    for level in ("superdiagnostic", "all"):
        for src in ("json", "text"):
            m = metrics[level][src]
            rows.append([level, src, m["macro_f1"], f"{m['macro_f1_ci95']}", m["micro_f1"], f"{m['micro_f1_ci95']}", m["n_records"]])
    lt = metrics["llm_text"]
    tables = [
        markdown_table(["level", "statements from", "macro F1", "95% CI", "micro F1", "95% CI", "records"], rows),
        markdown_table(["text", "reports", "text-vs-JSON disagreements (goal 0)", "texts omitting JSON codes",
                        "number claims checked", "sentences dropped by the report check"],
                       [["template (--no-llm)", len(reports), metrics["text_json_disagreements"],
                         metrics["text_omits_json_codes"], metrics["text_number_claims_checked"], 0],
                        [f"LLM (default; writer {'/'.join(lt['writers'])})", lt["records"], lt["text_json_disagreements"],
                         lt["text_omits_json_codes"], lt["number_claims_checked"], lt["sentences_dropped_by_report_check"]]]),
        speed_table(speed["runs"]),
        stage_table(speed["stage_cpu_ms_per_record"]),
    ]
    notes = [
        "Truth: scp_codes keys with any likelihood (PTB-XL benchmark rule), aggregated with medts.labels.aggregate_codes.",
        "Macro F1 averages over classes with at least one true record in the evaluated set; CIs: 95% percentile bootstrap over records.",
        f"Statement sources in these reports: {metrics['statement_sources']}; classifier: {metrics['classifier_status']}.",
        "F1 rows use the template text (--no-llm) reports; text statements are read with medts.report.consistency "
        "(codes outside a code's own parenthesised description, plus statements in words).",
        "Fold 9 chose the classifiers' members, stride and thresholds: these F1 figures are optimistic (fold 10 is withheld).",
        f"LLM text: first {lt['records']} fold records, medts.agent.report_text writer, agent grounding check "
        "then the report's own sentence check; omissions (JSON codes the text does not mention) are not contradictions.",
        *speed_notes(speed),
        f"Default formats of medts report: {'+'.join(DEFAULT_FORMATS)}; --formats all adds PDF and PNG (matplotlib).",
    ]
    data_info = {"dataset": "PTB-XL (partial shared copy, 100 Hz)", "root": str(data), "folds": folds,
                 "ecg_ids": sorted(reports), "llm_text_ecg_ids": sorted(llm_reports),
                 "ludb": str(ludb) if ludb else None, "ludb_records": list(LUDB_SPEED_RECORDS),
                 "speed_limit": speed_limit, "llm_speed_limit": llm_speed_limit}
    return write_results("reports", command=command, data=data_info, metrics=metrics, notes=notes, markdown_tables=tables)
