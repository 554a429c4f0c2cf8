"""``medts report INPUTS... --out DIR``: batch draft reports (JSON, Markdown, HTML, PDF)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from medts.cli_inputs import FS_HELP, LEADS_HELP

HELP = "\n\n".join([
    "Write a DRAFT report (for clinician review, not a diagnosis) per record, plus index.html and summary.csv.",
    "Each report: record metadata, signal quality, measurements with normal ranges and flags, rhythm and axis, "
    "SCP statements with probabilities and evidence leads, anomalous beats, and an interpretation written by the "
    "local LLM from those sections and checked against them (--no-llm: template text, fastest).",
    "Long records: the sections above read the first 5 min; a record of 2 min or more also gets its whole "
    "recording analysed in 60-s windows (AF/flutter episodes, ectopy, pauses, heart-rate trend and strips of the "
    "worst events; --resting-only skips it), and the verdict says what it found.",
    "Default formats: json, md and html (the tracing on ECG paper as vector SVG inside the HTML); add pdf or png "
    "with --formats (or --formats all). Resumable: records that already have report.json are skipped (never "
    "overwritten without --overwrite); a bad record goes to errors.jsonl and the batch goes on; files are written "
    "atomically, so a killed run loses nothing finished.",
    "Scale: --workers N runs N processes, each loading the models once. The same command under `accelerate "
    "launch` splits the inputs across processes (GPUs, nodes) with no other change, e.g. "
    "`accelerate launch --multi_gpu --num_processes 2 -m medts.cli report DATA --out OUT` (on CPU-only machines "
    "too: it is accelerate's torchrun launcher; `--cpu` would start one process) or `torchrun --nproc_per_node 2 "
    "-m medts.cli report ...`: each process takes every WORLD_SIZE-th record starting at its RANK; process 0 "
    "writes summary.csv and index.html when all are done and, with --json, prints the one list of all inputs.",
])


def register(app: typer.Typer) -> None:
    @app.command("report", help=HELP)
    def report(
        inputs: list[str] = typer.Argument(..., help="Files, folders (recursive), globs, or a PTB-XL root."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (records/<key>/report.*, index.html, summary.csv)."),
        formats: str = typer.Option("json,md,html", "--formats",
                                    help="Comma list of json, md, html, pdf, png, fhir (FHIR R5 Bundle: preliminary DiagnosticReport + Observations), or 'all'. PDF/PNG cost ~0.2-0.3 s CPU per record each."),
        no_llm: bool = typer.Option(False, "--no-llm", help="Template text only (no language model); fastest."),
        llm: bool = typer.Option(False, "--llm", help="Require LLM text (fail if the agent is unavailable)."),
        writer: str = typer.Option("auto", "--writer", help="LLM text writer: llm (SmolLM2 chat), tuned (text head), auto."),
        evidence: str = typer.Option("occlusion", "--evidence",
                                     help="Evidence leads per statement: occlusion (fast), integrated_gradients (captum, slow), none."),
        anomaly_head: bool = typer.Option(False, "--anomaly-head", help="Anomalies from the MedTsLLM head (slow) instead of template+RR."),
        workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
        chunk_size: int = typer.Option(16, "--chunk-size", min=1,
                                       help="Records per worker task: one classifier batch and one LLM generation batch."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Redo records that already have a report."),
        deidentify: bool = typer.Option(False, "--deidentify", help="Pseudonymise ids, drop paths and dates, band ages."),
        salt: str = typer.Option("", "--salt", help="Secret mixed into de-identified pseudonyms."),
        fold: list[int] = typer.Option(None, "--fold", help="PTB-XL strat_fold(s) to report (repeatable)."),
        limit: int = typer.Option(None, "--limit", min=1, help="Report at most this many records."),
        sampling_rate: int = typer.Option(100, "--sampling-rate", help="PTB-XL record set: 100 or 500 Hz."),
        fs: float = typer.Option(None, "--fs", help=FS_HELP),
        leads: str = typer.Option(None, "--leads", help=LEADS_HELP),
        no_overlays: bool = typer.Option(False, "--no-overlays", help="No P/QRS/T or anomaly shading on the plot."),
        whole_record: bool = typer.Option(True, "--whole-record/--resting-only",
                                          help="Records of 2 min or more: also analyse the whole recording window by "
                                               "window (AF/flutter episodes, ectopy, pauses, rate trend; about 4 CPU-s "
                                               "per hour of ECG). The other sections read the first 5 min."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document (a list in input order) on stdout."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar with ETA on stderr."),
    ) -> None:
        from medts.cli_inputs import Failures, check_fs_option, parse_leads
        from medts.errors import MedtsError
        from medts.report.batch import listing, run_batch
        from medts.report.sources import EVIDENCE_METHODS
        from medts.report.text import LLM_WRITERS

        if no_llm and llm:
            raise MedtsError("--no-llm and --llm contradict each other; choose one")
        if writer not in LLM_WRITERS:
            raise MedtsError(f"--writer must be one of {', '.join(LLM_WRITERS)}, got {writer!r}")
        if evidence not in EVIDENCE_METHODS:
            raise MedtsError(f"--evidence must be one of {', '.join(EVIDENCE_METHODS)}, got {evidence!r}")
        text = "template" if no_llm else ("llm" if llm else "auto")
        result = run_batch(
            inputs, out, formats=[f.strip() for f in formats.split(",") if f.strip()], text=text, workers=workers,
            overwrite=overwrite, deidentify=deidentify, salt=salt, folds=fold or None, limit=limit,
            sampling_rate=sampling_rate, fs=check_fs_option(fs), overlays=not no_overlays, progress=progress,
            chunk_size=chunk_size, writer=writer, evidence=evidence, anomaly_head=anomaly_head, leads=parse_leads(leads),
            whole_record=whole_record,
        )
        summary = (f"{result.n_done} reported, {result.n_skipped} already done, {result.n_failed} failed "
                   f"in {result.seconds:.1f} s -> {out}")
        if result.world_size > 1:
            summary = f"[process {result.rank}/{result.world_size}] " + summary
        for r in result.results:  # one line per failed record, like every other command (errors.jsonl has them too)
            if r.status == "failed":
                typer.echo(f"error: {r.error}", err=True)
        typer.echo(summary, err=True)
        if as_json and result.rank == 0:
            typer.echo(json.dumps(listing(result, deidentify=deidentify, salt=salt), indent=1))
        failures = Failures(total=len(result.results),
                            bad_input=[r.key for r in result.results if r.status == "failed" and not r.internal],
                            internal=[r.key for r in result.results if r.status == "failed" and r.internal])
        failures.exit()  # 2 when any record failed on bad input (errors.jsonl lists them), 1 on an internal error
