"""Batch reports: many inputs -> one folder of reports, resumable, one failure never stops it.

Layout of ``out``::

    records/<key>/report.json    written LAST: its presence means the record is done
    records/<key>/report.md, report.html, report.pdf, paper.png
    errors.jsonl                 one JSON line per failed record (key, input, error)
    summary.csv, index.html      rebuilt from every report.json at the end of each run

Every file is written atomically (temporary file, fsync, ``os.replace``), so a ``kill -9``
leaves complete files only; a rerun skips records whose ``report.json`` exists (and never
overwrites them without ``overwrite=True``) and retries the failed ones.

Isolation: one record never changes another's report. Records are read one by one, a chunk's
sources fall back to one record at a time when a batched call fails, and a report is written
(``report.json``, which marks it done) only when each of its sections succeeded or says why it
is empty; a section lost to an internal error leaves the record failed, so a rerun redoes it.
Workers watch their parent and exit when it dies (``kill -9`` of ``medts report`` included), so
no orphan keeps writing while a rerun starts.

De-identification (``deidentify=True``): reports, ``summary.csv``, ``index.html`` and the
``--json`` listing carry only the pseudonym (the output folder name), never the input key,
path or recording date. ``errors.jsonl`` keeps the input path and the reason, so an operator
can find the failing file: keep it with the source data, not with the de-identified outputs.

Scale: with ``--workers N`` records are processed in N processes (chunks of records so the
classifier scores them in batches). Under ``accelerate launch`` (or ``torchrun``) each process
takes the inputs ``rank::world_size`` (from the ``RANK``/``WORLD_SIZE`` environment variables
those launchers set); rank 0 writes ``summary.csv``/``index.html`` after all ranks finish and
returns the results of every input (others return their own). On CPU-only machines accelerate
starts several processes only through its torchrun launcher::

    accelerate launch --multi_gpu --num_processes 2 -m medts.cli report DATA --out OUT
    torchrun --nproc_per_node 2 -m medts.cli report DATA --out OUT        # the same

(``accelerate launch --cpu --num_processes 2`` starts ONE process unless an MPI hostfile is
given; on GPU machines ``--multi_gpu`` spreads the processes over the GPUs.)

Example
-------
>>> from pathlib import Path; import tempfile
>>> from medts.examples import simulate_example
>>> from medts.io.wfdb_io import write_wfdb
>>> out = Path(tempfile.mkdtemp())
>>> hea = write_wfdb(simulate_example("sinus"), out / "in" / "sinus")
>>> result = run_batch([str(out / "in")], out, formats=("json", "md"), text="template", progress=False)
>>> result.n_done, (out / "records" / "sinus" / "report.json").is_file()
(1, True)
"""

from __future__ import annotations

import csv
import datetime as _dt
import html
import io
import json
import os
import re
import resource
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from medts.errors import MedtsError
from medts.report.schema import SAFETY_NOTICE, Report

FORMATS = ("json", "md", "html", "pdf", "png", "fhir")
DONE_FILE = "report.json"


@dataclass(frozen=True)
class Job:
    """One record to report: ``key`` names its output folder; ``path`` or ``ecg_id`` locates it."""

    key: str
    input: str
    path: str | None = None
    ptbxl_root: str | None = None
    ecg_id: int | None = None
    sampling_rate: int = 100


DEFAULT_FORMATS = ("json", "md", "html")
"""What ``medts report`` writes unless ``--formats`` says otherwise: the JSON (machines), Markdown
(quick reading, diffable) and a self-contained HTML page with the tracing on ECG paper (vector
SVG). PDF (print) and PNG cost 0.2-0.3 s more CPU per record each: ask for them with
``--formats json,md,html,pdf`` or ``--formats all``."""


@dataclass
class BatchConfig:
    out: str
    formats: tuple[str, ...] = DEFAULT_FORMATS
    text: str = "template"
    deidentify: bool = False
    salt: str = ""
    overlays: bool = True
    fs: float | None = None
    leads: tuple[str, ...] | None = None
    writer: str = "auto"
    evidence: str = "occlusion"
    anomaly_head: bool = False
    text_batch_size: int = 16
    whole_record: bool = True
    """Analyse a long record's whole recording window by window (``_whole_record``)."""
    whole_record_progress: bool = False
    """A second progress bar for that analysis (only in the main process: workers have no terminal)."""


@dataclass
class JobResult:
    key: str
    input: str
    status: str  # "done" | "failed" | "skipped"
    error: str | None = None
    internal: bool = False  # failed by a medts bug (exit 1), not by bad input (exit 2)
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    worker_pid: int | None = None
    cpu_seconds: float | None = None


@dataclass
class BatchResult:
    out: str
    n_inputs: int
    n_done: int = 0
    n_skipped: int = 0
    n_failed: int = 0
    seconds: float = 0.0
    results: list[JobResult] = field(default_factory=list)
    rank: int = 0
    world_size: int = 1

    @property
    def records_per_s(self) -> float:
        return self.n_done / self.seconds if self.seconds > 0 else 0.0


# -- inputs ------------------------------------------------------------------------------------
def _safe_key(text: str) -> str:
    """A file-system-safe folder name (keeps ``/`` for sub-folders)."""
    parts = [re.sub(r"[^A-Za-z0-9._+-]+", "_", p).strip(".") or "_" for p in Path(text).parts if p not in ("/", "..")]
    return "/".join(parts) or "record"


def is_ptbxl_root(path: Path) -> bool:
    return path.is_dir() and (path / "ptbxl_database.csv").is_file()


def resolve_inputs(inputs: Iterable[str], *, folds: list[int] | None = None, limit: int | None = None,
                   sampling_rate: int = 100) -> list[Job]:
    """Files, folders (recursive), globs and PTB-XL roots -> jobs with unique keys, input order kept.

    A PTB-XL root (a folder holding ``ptbxl_database.csv``) yields its records with signals,
    restricted to ``folds``; ``limit`` caps the total number of jobs.

    Raises
    ------
    ECGReadError
        For an input that matches no record (from :func:`medts.io.find_records`).
    """
    from medts.io import find_records

    jobs: list[Job] = []
    seen: set[str] = set()

    def add(job: Job) -> None:
        key, n = job.key, 1
        while key in seen:  # a.hea and a.csv in one folder: keep both
            n += 1
            key = f"{job.key}~{n}"
        seen.add(key)
        jobs.append(Job(**{**asdict(job), "key": key}))

    for item in inputs:
        path = Path(item)
        if is_ptbxl_root(path):
            from medts.io.ptbxl import PtbxlIndex

            index = PtbxlIndex.open(path, sampling_rate=sampling_rate)
            for ecg_id in index.ecg_ids(folds):
                add(Job(key=f"ptbxl-{ecg_id:05d}", input=f"{path}#{ecg_id}", ptbxl_root=str(path), ecg_id=int(ecg_id),
                        sampling_rate=sampling_rate))
        else:
            base = path if path.is_dir() else None
            for record in find_records(item):
                rel = record.relative_to(base) if base is not None and record.is_relative_to(base) else Path(record.name)
                add(Job(key=_safe_key(str(rel.with_suffix(""))), input=str(record), path=str(record)))
        if limit is not None and len(jobs) >= limit:
            break
    return jobs[:limit] if limit is not None else jobs


# -- writing -------------------------------------------------------------------------------------
def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers (and a crash) only ever see the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def append_line(path: Path, obj: dict) -> None:
    """Append one JSON line durably (O_APPEND: concurrent writers never interleave short lines)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(obj) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def record_dir(out: Path, key: str) -> Path:
    return out / "records" / key


def is_done(out: Path, key: str) -> bool:
    return (record_dir(out, key) / DONE_FILE).is_file()


def write_outputs(report: Report, ecg: Any, folder: Path, formats: tuple[str, ...], *, overlays: bool = True,
                  whole_record_source: Any = None) -> None:
    """Render ``report`` in ``formats`` into ``folder``; ``report.json`` is written last.

    A report with a ``long_recording`` section gets its heart-rate trend and, given the recording's
    ``whole_record_source`` (:class:`medts.longterm.stream.LongSource`), 10-s strips of its worst
    events, as SVG files beside ``report.md`` and inside ``report.html``."""
    from medts.report.render_html import render_html
    from medts.report.render_markdown import render_markdown
    from medts.report.render_pdf import paper_subtitle, render_pdf

    overlay = overlay_of(report) if overlays else None
    title = f"Draft ECG report: {report.record.record_id}"
    if "png" in formats:
        import matplotlib

        from medts.report.paper import figure_bytes, plot_paper

        with matplotlib.rc_context({"text.parse_math": False}):  # names from files are text, never formulas
            fig = plot_paper(ecg, title=title, subtitle=paper_subtitle(report), notice=report.notice, overlay=overlay)
            atomic_write(folder / "paper.png", figure_bytes(fig))
    made = []
    if report.long_recording is not None and ("md" in formats or "html" in formats):
        from medts.longterm.report import figures

        made = figures(report.long_recording, whole_record_source)
    if "md" in formats:
        for _, name, svg in made:
            atomic_write(folder / name, svg)
        atomic_write(folder / "report.md", render_markdown(report, image="paper.png" if "png" in formats else None,
                                                           figures=[(caption, name) for caption, name, _ in made]))
    if "html" in formats:
        from medts.report.paper import paper_svg

        # Vector SVG written directly (no matplotlib: ~5 ms instead of ~0.3 s), text kept as text,
        # sharp at any zoom and at print size.
        svg = paper_svg(ecg, title=title, subtitle=paper_subtitle(report), notice=report.notice, overlay=overlay)
        atomic_write(folder / "report.html", render_html(report, image=svg.encode("utf-8"), image_format="svg",
                                                         figures=[(c, f.encode("utf-8")) for c, _, f in made]))
    if "pdf" in formats:
        atomic_write(folder / "report.pdf", render_pdf(report, ecg, overlay=overlay))
    if "fhir" in formats:  # FHIR R5 Bundle: preliminary DiagnosticReport + Observations
        from medts.report.fhir import report_to_fhir_json

        atomic_write(folder / "report.fhir.json", report_to_fhir_json(report))
    atomic_write(folder / DONE_FILE, report.model_dump_json(indent=1))


def overlay_of(report: Report):
    from medts.report.paper import Overlay

    return Overlay(waves=tuple((w.kind, w.onset_s, w.offset_s) for w in report.waves.items),
                   anomalies=tuple((a.start_s, a.end_s) for a in report.anomalies.items))


# -- workers -------------------------------------------------------------------------------------
_STATE: dict[str, Any] = {}


PARENT_CHECK_S = 0.5
"""How often a worker checks that the process that started it is still alive."""


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker as soon as its parent is gone (``kill -9`` leaves workers orphaned otherwise).

    An orphan is re-parented (to init or a subreaper), so ``os.getppid()`` changes; the worker
    then exits at once without cleanup: its files are written atomically and ``report.json``
    last, so a half-done record is simply redone by the next run.
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="medts-parent-watchdog", daemon=True).start()


def _init_pool_worker(config: BatchConfig, parent_pid: int) -> None:
    _watch_parent(parent_pid)
    _init_worker(config)


def _init_worker(config: BatchConfig) -> None:
    """Prepare this process; the sources (classifier weights, ...) load with the first readable record."""
    _STATE["config"] = config
    _STATE["builder"] = None
    _STATE["ptbxl"] = {}


def _builder() -> Any:
    """The report builder of this process, loaded once, when a record is first ready for it (a
    batch of unreadable inputs costs no model load)."""
    if _STATE.get("builder") is None:
        import torch

        from medts.report.build import ReportBuilder

        torch.set_num_threads(1)  # N worker processes on N cores: no oversubscription (the LLM included)
        torch.set_flush_denormal(True)
        config: BatchConfig = _STATE["config"]
        _STATE["builder"] = ReportBuilder(text=config.text, deidentify=config.deidentify, salt=config.salt,
                                          writer=config.writer, evidence=config.evidence,
                                          anomaly_head=config.anomaly_head, text_batch_size=config.text_batch_size)
    return _STATE["builder"]


def _read(job: Job, config: BatchConfig):
    if job.ptbxl_root is not None:
        indexes = _STATE.setdefault("ptbxl", {})
        key = (job.ptbxl_root, job.sampling_rate)
        if key not in indexes:
            from medts.io.ptbxl import PtbxlIndex

            indexes[key] = PtbxlIndex.open(job.ptbxl_root, sampling_rate=job.sampling_rate)
        return indexes[key].read(job.ecg_id)
    from medts.cli_inputs import read_checked

    return read_checked(Path(job.path), fs=config.fs, leads=config.leads, limits=_report_limits(config))


def _whole_record(job: Job, ecg: Any, config: BatchConfig):
    """``(analysis, source)`` of the whole recording, window by window, for a record read from a file
    whose resting analysis spans at least ``REPORT_WHOLE_RECORD_MIN_S`` (a long record is read on its
    first minutes only); ``None`` for shorter records. Streamed from disk: memory stays bounded."""
    from medts.interpret.longterm import REPORT_WHOLE_RECORD_MIN_S

    if not config.whole_record or job.path is None or ecg.duration_s < REPORT_WHOLE_RECORD_MIN_S:
        return None
    from medts.longterm.analyze import analyze_recording
    from medts.longterm.progress import window_bar
    from medts.longterm.stream import open_long_record

    source = open_long_record(Path(job.path), fs=config.fs, leads=list(config.leads) if config.leads else None)
    with window_bar(source, enabled=config.whole_record_progress, nested=True,
                    label="record" if config.deidentify else None) as on_window:
        return analyze_recording(source, on_window=on_window), source


def _report_limits(config: BatchConfig):
    from medts.cli_inputs import resting_limits

    # Measurements, classifier, anomalies and the tracing all hold the record: a long one is cut to
    # its first 5 minutes (read by sample range) and the report's quality problems say so.
    return resting_limits("medts report", "the report's whole-recording sections analyse all of it window by window"
                          if config.whole_record else None)


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, MedtsError) else f"internal error: {type(error).__name__}: {error}"


def _failed(job: Job, error: BaseException) -> JobResult:
    return JobResult(job.key, job.input, "failed", _describe(error), internal=not isinstance(error, MedtsError))


_DEIDENTIFIED_METADATA = ("format", "dataset", "lead_names_note", "unit_warnings")
"""Metadata a de-identified record keeps: nothing that names a person, a place, a file or a date."""


def deidentified_record(ecg: Any, job: Job, config: BatchConfig) -> Any:
    """The record as the report builder may see it when de-identifying: named by its pseudonym,
    no source path, and only :data:`_DEIDENTIFIED_METADATA` (header comments and dates dropped),
    so no message written while building (a classifier note, an error) can carry an identifier."""
    meta = {k: v for k, v in (ecg.metadata or {}).items() if k in _DEIDENTIFIED_METADATA}
    return replace(ecg, record_id=output_key(job, config), source=None, metadata=meta)


SECTIONS = ("quality", "measurements", "rhythm_axis", "statements", "anomalies", "waves")


def incomplete_sections(report: Report) -> list[str]:
    """Sections a report may not be marked done with: empty without a reason, or lost to an
    internal error (their reason says so). A section empty for a reason the input explains (a
    missing lead, too few beats) is complete: the report says why."""
    missing = []
    for name in SECTIONS:
        section = getattr(report, name)
        reason = (section.status.reason or "").strip()
        # A fallback may stand in for a failed part (rule statements for the classifier's): it
        # still says so in its reason or notes.
        said = [reason, *(str(n) for n in getattr(section, "notes", []) or [])]
        lost = [text for text in said if "internal error" in text]
        if lost:
            missing.append(f"{name} ({lost[0]})")
        elif not section.status.available and not reason:
            missing.append(f"{name} (empty, no reason given)")
    return missing


def process_chunk(jobs: list[Job]) -> list[JobResult]:
    """Read, report and write a chunk of jobs in this worker; every failure is caught per record.

    The chunk's readable records go to :meth:`ReportBuilder.build_many` together: one classifier
    batch, one lead-occlusion batch and one call of the agent's text writer
    (``write_report_texts_detailed``, one generation batch of ``text_batch_size`` records) per chunk.
    """
    config: BatchConfig = _STATE["config"]
    out = Path(config.out)
    results: dict[str, JobResult] = {}
    ecgs, ok_jobs, wholes = [], [], []
    t0, c0 = time.perf_counter(), time.process_time()
    for job in jobs:
        try:
            ecg = _read(job, config)
            whole = _whole_record(job, ecg, config)
            # De-identified outputs are named by the pseudonym of the job key (stable across runs).
            ecgs.append(deidentified_record(ecg, job, config) if config.deidentify else ecg)
            ok_jobs.append(job)
            wholes.append(whole)
        except Exception as error:  # noqa: BLE001 - a bad record is logged, the batch goes on
            results[job.key] = _failed(job, error)
    builder = _builder() if ecgs else None
    analyses = [w and w[0] for w in wholes]
    try:
        reports = builder.build_many(ecgs, analyses) if ecgs else []
    except Exception:  # noqa: BLE001 - isolate the record that broke the batch call
        reports = []
        for job, ecg, analysis in zip(ok_jobs, ecgs, analyses):
            try:
                reports.append(builder.build(ecg, analysis))
            except Exception as error:  # noqa: BLE001
                reports.append(error)
    for job, ecg, report, whole in zip(ok_jobs, ecgs, reports, wholes):
        if isinstance(report, BaseException):
            results[job.key] = _failed(job, report)
            continue
        missing = incomplete_sections(report)
        if missing:  # not done: the rerun redoes it
            results[job.key] = JobResult(job.key, job.input, "failed", "report incomplete, not written: "
                                         + "; ".join(missing), internal=True)
            continue
        try:
            write_outputs(report, ecg, record_dir(out, output_key(job, config)), config.formats, overlays=config.overlays,
                          whole_record_source=whole and whole[1])
            results[job.key] = JobResult(job.key, job.input, "done")
        except Exception as error:  # noqa: BLE001
            results[job.key] = _failed(job, error)
    per = (time.perf_counter() - t0) / max(len(jobs), 1)
    cpu = (time.process_time() - c0) / max(len(jobs), 1)  # this process's CPU (all its threads)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB -> MiB on Linux
    return [JobResult(**{**asdict(results[j.key]), "seconds": per, "peak_rss_mb": rss, "worker_pid": os.getpid(),
                         "cpu_seconds": cpu}) for j in jobs]


# -- driver --------------------------------------------------------------------------------------
def _distributed() -> tuple[int, int]:
    """(rank, world size) under ``accelerate launch`` / ``torchrun``; (0, 1) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def output_key(job: Job, config: BatchConfig) -> str:
    """The folder a job's report goes to (the pseudonym when de-identifying)."""
    if not config.deidentify:
        return job.key
    from medts.report.build import deidentified_id

    return deidentified_id(job.key, config.salt)


def run_batch(inputs: list[str], out: str | Path, *, formats: Iterable[str] = DEFAULT_FORMATS,
              text: str = "template", workers: int = 1, overwrite: bool = False, deidentify: bool = False,
              salt: str = "", folds: list[int] | None = None, limit: int | None = None, sampling_rate: int = 100,
              fs: float | None = None, overlays: bool = True, chunk_size: int = 16, progress: bool = True,
              jobs: list[Job] | None = None, writer: str = "auto", evidence: str = "occlusion",
              anomaly_head: bool = False, leads: list[str] | None = None, whole_record: bool = True) -> BatchResult:
    """Report every record of ``inputs`` into ``out`` (see the module docstring for the layout).

    Parameters
    ----------
    formats : iterable of {"json", "md", "html", "pdf", "png", "all"}
        ``json`` is always written (it marks the record done); default :data:`DEFAULT_FORMATS`.
    text : {"template", "auto", "llm"}
        ``template`` is ``--no-llm``; ``auto``/``llm``: the agent's LLM text.
    workers : int
        Processes; 1 runs in this process. Each loads the models once.
    chunk_size : int
        Records per worker task: the classifier and the lead occlusion score them in one batch
        each and the LLM writes their texts in one call, one generation batch (default 16).
    overwrite : bool
        Redo records that already have a ``report.json`` (else they are skipped: resume).
    writer, evidence, anomaly_head
        See :class:`medts.report.build.ReportBuilder`.
    fs, leads
        Sampling rate and lead names for files that lack them (see :func:`medts.io.read_record`).
    whole_record : bool
        A record of at least ``medts.interpret.longterm.REPORT_WHOLE_RECORD_MIN_S`` also gets its whole
        recording analysed window by window (``long_recording``; about 4 CPU-s per hour of ECG).
    """
    formats = tuple(dict.fromkeys(["json", *(FORMATS if "all" in formats else formats)]))
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise MedtsError(f"unknown output format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = BatchConfig(out=str(out), formats=formats, text=text, deidentify=deidentify, salt=salt,
                         overlays=overlays, fs=fs, writer=writer, evidence=evidence, anomaly_head=anomaly_head,
                         text_batch_size=chunk_size, leads=tuple(leads) if leads else None, whole_record=whole_record,
                         whole_record_progress=progress and workers <= 1)
    all_jobs = jobs if jobs is not None else resolve_inputs(inputs, folds=folds, limit=limit, sampling_rate=sampling_rate)
    rank, world = _distributed()
    my_jobs = all_jobs[rank::world]
    result = BatchResult(out=str(out), n_inputs=len(all_jobs))
    by_key: dict[str, JobResult] = {}
    todo = []
    for job in my_jobs:
        if not overwrite and is_done(out, output_key(job, config)):
            by_key[job.key] = JobResult(job.key, job.input, "skipped")
        else:
            todo.append(job)
    errors_path = out / "errors.jsonl"
    t0 = time.perf_counter()
    chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]
    bar = _progress(len(my_jobs), len(my_jobs) - len(todo), progress)
    try:
        for chunk_results in _run_chunks(chunks, config, workers):
            for r in chunk_results:
                by_key[r.key] = r
                if r.status == "failed":
                    append_line(errors_path, {"key": r.key, "input": r.input, "error": r.error,
                                              "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
            if bar is not None:
                bar.update(len(chunk_results))
    finally:
        if bar is not None:
            bar.close()
    result.seconds = time.perf_counter() - t0
    result.results = [by_key[j.key] for j in my_jobs if j.key in by_key]
    result.n_done = sum(r.status == "done" for r in result.results)
    result.n_skipped = sum(r.status == "skipped" for r in result.results)
    result.n_failed = sum(r.status == "failed" for r in result.results)
    result.rank, result.world_size = rank, world
    if world > 1:
        from accelerate import PartialState

        PartialState().wait_for_everyone()
    if rank == 0:
        finish(out, {j.key: j for j in all_jobs}, config)
        if world > 1:  # rank 0 speaks for the whole batch: every input, in input order
            result.results = gather_results(out, all_jobs, config, by_key)
    return result


def listing(result: BatchResult, *, deidentify: bool = False, salt: str = "") -> list[dict[str, Any]]:
    """The ``--json`` document of a batch: one entry per input, in input order.

    De-identified, an entry names only the pseudonym and its report (no input path, and no error
    text, which names the file: that stays in ``errors.jsonl``)."""
    out = Path(result.out)
    config = BatchConfig(out=str(out), deidentify=deidentify, salt=salt)
    entries = []
    for r in result.results:
        key = output_key(Job(key=r.key, input=r.input), config)
        entries.append({
            "key": key, "input": None if deidentify else r.input, "status": r.status,
            "error": (DEIDENTIFIED_ERROR if deidentify else r.error) if r.error else None,
            "report": str(record_dir(out, key) / DONE_FILE) if r.status != "failed" else None,
        })
    return entries


def gather_results(out: Path, jobs: list[Job], config: BatchConfig, mine: dict[str, JobResult]) -> list[JobResult]:
    """Results of all ``jobs`` after a distributed run: this rank's own, the others' read from ``out``.

    Another rank's record counts as ``done`` when its ``report.json`` exists and ``failed`` when
    ``errors.jsonl`` lists it (the error text included).
    """
    errors = {}
    errors_path = out / "errors.jsonl"
    if errors_path.is_file():
        for line in errors_path.read_text().splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            errors[item["key"]] = item.get("error")
    gathered = []
    for job in jobs:
        if job.key in mine:
            gathered.append(mine[job.key])
        elif is_done(out, output_key(job, config)):
            gathered.append(JobResult(job.key, job.input, "done"))
        else:
            gathered.append(JobResult(job.key, job.input, "failed", errors.get(job.key, "not reported by any process")))
    return gathered


def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="rec", desc="reports", dynamic_ncols=True, file=None, smoothing=0.1)


def _run_chunks(chunks: list[list[Job]], config: BatchConfig, workers: int):
    """Yield each chunk's results as it finishes (in this process or a pool of ``workers``)."""
    if workers <= 1:
        _init_worker(config)
        for chunk in chunks:
            yield process_chunk(chunk)
        return
    # spawn: torch and BLAS thread pools are not fork-safe
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init_pool_worker,
                             initargs=(config, os.getpid())) as pool:
        futures = [pool.submit(process_chunk, chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


# -- end of run: errors, summary.csv, index.html ------------------------------------------------
DEIDENTIFIED_ERROR = "failed: the reason names the input, so it is only in errors.jsonl"

SUMMARY_COLUMNS = ("key", "record_id", "status", "quality", "hr_bpm", "pr_ms", "qrs_ms", "qtc_bazett_ms",
                   "qrs_axis_deg", "rhythm", "statements", "n_anomalies", "whole_record_af_episodes",
                   "whole_record_af_burden_percent", "whole_record_v_beats", "whole_record_s_beats", "text", "error")


def finish(out: Path, jobs: dict[str, Job], config: BatchConfig) -> None:
    """Rewrite ``errors.jsonl`` (only records still failing), ``summary.csv`` and ``index.html``."""
    errors = {}
    errors_path = out / "errors.jsonl"
    if errors_path.is_file():
        for line in errors_path.read_text().splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a killed run
            errors[item["key"]] = item
    rows = []
    for key, job in jobs.items():
        shown = output_key(job, config)  # the pseudonym when de-identifying: never the input key
        folder = record_dir(out, shown)
        if (folder / DONE_FILE).is_file():
            errors.pop(key, None)
            rows.append(summary_row(shown, Report.model_validate_json((folder / DONE_FILE).read_text()), folder, out))
        elif key in errors:
            error = DEIDENTIFIED_ERROR if config.deidentify else errors[key]["error"]
            rows.append({"key": shown, "record_id": "", "status": "failed", "error": error})
    atomic_write(errors_path, "".join(json.dumps(e) + "\n" for e in errors.values()))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*SUMMARY_COLUMNS, "report"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(out / "summary.csv", buffer.getvalue())
    atomic_write(out / "index.html", index_html(rows))


def summary_row(key: str, report: Report, folder: Path, out: Path) -> dict[str, Any]:
    def value(name: str):
        m = report.measurements.get(name)
        return "" if m is None or m.value is None else m.value

    whole = report.long_recording
    return {
        "key": key, "record_id": report.record.record_id, "status": "done", "quality": report.quality.overall,
        "hr_bpm": value("hr_bpm"), "pr_ms": value("pr_ms"), "qrs_ms": value("qrs_ms"),
        "qtc_bazett_ms": value("qtc_bazett_ms"), "qrs_axis_deg": value("qrs_axis_deg"),
        "rhythm": report.rhythm_axis.rhythm or "", "statements": " ".join(report.statements.codes()),
        "n_anomalies": len(report.anomalies.items) if report.anomalies.status.available else "",
        "whole_record_af_episodes": "" if whole is None else len(whole.episodes),
        "whole_record_af_burden_percent": "" if whole is None else whole.af_burden_percent,
        "whole_record_v_beats": "" if whole is None else whole.ectopy.counts["V"],
        "whole_record_s_beats": "" if whole is None else whole.ectopy.counts["S"],
        "text": report.interpretation.writer or report.interpretation.generator, "error": "",
        "report": str(folder.relative_to(out)),
        "link": str((folder / next((n for n in ("report.html", "report.pdf", "report.md") if (folder / n).is_file()),
                                    DONE_FILE)).relative_to(out)),
    }


def index_html(rows: list[dict[str, Any]]) -> str:
    """The batch index: notice, counts, one table row per record (links to its HTML report)."""
    n_failed = sum(r["status"] == "failed" for r in rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in SUMMARY_COLUMNS)
    body = []
    for r in rows:
        cells = []
        for c in SUMMARY_COLUMNS:
            text = html.escape(str(r.get(c, "")))
            if c == "key" and r.get("link") and r["status"] == "done":
                text = f'<a href="{html.escape(r["link"])}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        body.append(f'<tr class="{r["status"]}">' + "".join(cells) + "</tr>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>DRAFT ECG reports</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.2em .5em}tr.failed{background:#fee}.notice{border:3px solid #b00000;background:#fff2f2;color:#b00000;"
        "font-weight:bold;padding:.7em 1em}</style></head><body>"
        f"<div class='notice'>&#9888; {html.escape(SAFETY_NOTICE)}</div>"
        f"<h1>Draft ECG reports</h1><p>{len(rows) - n_failed} reported, {n_failed} failed "
        "(see errors.jsonl).</p>"
        f"<table><tr>{head}</tr>{''.join(body)}</table></body></html>\n"
    )
