"""``medts report INPUTS... --out DIR``: batch draft reports (JSON, Markdown, HTML, PDF)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        inputs: list[str] = typer.Argument(..., help="Files, folders (recursive), globs, or a PTB-XL root."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (records/<key>/report.*, index.html, summary.csv)."),
        formats: str = typer.Option("json,md,html,pdf", "--formats", help="Comma list of json, md, html, pdf, png."),
        no_llm: bool = typer.Option(False, "--no-llm", help="Template text only (no language model)."),
        llm: bool = typer.Option(False, "--llm", help="Require LLM text (fail if the agent is unavailable)."),
        workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Redo records that already have a report."),
        deidentify: bool = typer.Option(False, "--deidentify", help="Pseudonymise ids, drop paths and dates, band ages."),
        salt: str = typer.Option("", "--salt", help="Secret mixed into de-identified pseudonyms."),
        fold: list[int] = typer.Option(None, "--fold", help="PTB-XL strat_fold(s) to report (repeatable)."),
        limit: int = typer.Option(None, "--limit", min=1, help="Report at most this many records."),
        sampling_rate: int = typer.Option(100, "--sampling-rate", help="PTB-XL record set: 100 or 500 Hz."),
        fs: float = typer.Option(None, "--fs", help="Sampling rate (Hz) for formats without one (bare CSV/NPY)."),
        no_overlays: bool = typer.Option(False, "--no-overlays", help="No P/QRS/T or anomaly shading on the plot."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document (a list in input order) on stdout."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar with ETA on stderr."),
    ) -> None:
        """Write a DRAFT report (for clinician review, not a diagnosis) per record, plus index.html and summary.csv.

        Resumable: records that already have report.json are skipped; a bad record goes to errors.jsonl
        and the batch goes on. Under `accelerate launch` the inputs are split across processes.
        """
        from medts.report.batch import run_batch

        text = "template" if no_llm else ("llm" if llm else "auto")
        result = run_batch(
            inputs, out, formats=[f.strip() for f in formats.split(",") if f.strip()], text=text, workers=workers,
            overwrite=overwrite, deidentify=deidentify, salt=salt, folds=fold or None, limit=limit,
            sampling_rate=sampling_rate, fs=fs, overlays=not no_overlays, progress=progress,
        )
        summary = (f"{result.n_done} reported, {result.n_skipped} already done, {result.n_failed} failed "
                   f"in {result.seconds:.1f} s -> {out}")
        typer.echo(summary, err=True)
        if as_json:
            typer.echo(json.dumps([
                {"key": r.key, "input": r.input, "status": r.status, "error": r.error,
                 "report": str(Path(out) / "records" / r.key / "report.json") if r.status != "failed" else None}
                for r in result.results
            ], indent=1))
        if result.n_failed and not (result.n_done or result.n_skipped):
            raise typer.Exit(1)
