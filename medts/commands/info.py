"""``medts info PATH...``: what is in these ECG files (leads, fs, duration, amplitudes, problems).

Each PATH may be a file, a folder (searched recursively) or a glob pattern. A file that cannot
be read gives a one-line error naming it and the batch goes on; the exit code is 1 at the end
if any failed. With ``--json`` exactly one JSON document goes to stdout: a list in input order
of :class:`~medts.record.RecordSummary` objects, or ``{"source": ..., "error": ...}`` for a
failure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medts.errors import ECGReadError, MedtsError


def _expand(paths: list[str], format: str | None) -> list[tuple[str, Path | None, str | None]]:
    """``(source, record_path, error)`` per record, in input order."""
    from medts.io import find_records

    out: list[tuple[str, Path | None, str | None]] = []
    for text in paths:
        if format is not None and Path(text).is_file():
            out.append((text, Path(text), None))  # a forced format ignores the extension
            continue
        try:
            out.extend((str(p), p, None) for p in find_records(text))
        except MedtsError as error:
            out.append((text, None, str(error)))
    return out


def run_per_record(
    paths: list[str],
    format: str | None,
    fs: float | None,
    analyse: Callable[[Any], Any],
    *,
    what: str,
    text_report: Callable[[Any, str], str] | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Read each record, run ``analyse(ecg)`` and collect JSON rows; one bad record never stops the batch.

    Returns ``(rows, failed)``: a row per record in input order (``{"source", **result}`` or
    ``{"source", "error"}``), errors also printed to stderr as one line each. ``text_report(result,
    source)`` is printed for each success when given (``None`` for ``--json``). ``what`` names the step
    in error messages ("segmentation failed: ...").
    """
    from medts.io import read_record

    rows: list[dict[str, Any]] = []
    failed = False
    for source, path, error in _expand(paths, format):
        if error is None:
            try:
                result = analyse(read_record(path, format=format, fs=fs))
            except MedtsError as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the batch
                error = f"{source}: {what} failed: {type(exc).__name__}: {exc}"
        if error is not None:
            failed = True
            print(f"error: {error}", file=sys.stderr)
            rows.append({"source": source, "error": error})
            continue
        rows.append({"source": str(path), **result.model_dump(mode="json")})
        if text_report is not None:
            print(text_report(result, str(path)))
    return rows, failed


def _heading(summary: Any) -> str:
    age = "?" if summary.age_years is None else f"{summary.age_years:g}"
    return (
        f"[bold]{escape(summary.record_id)}[/bold]  {escape(str(summary.source))}\n"
        f"{len(summary.leads)} leads, {summary.fs_hz:g} Hz, {summary.duration_s:g} s "
        f"({summary.n_samples} samples), age {age}, sex {summary.sex or '?'}"
    )


def _table(summary: Any) -> Table:
    table = Table()
    table.add_column("lead")
    table.add_column("min mV", justify="right")
    table.add_column("max mV", justify="right")
    table.add_column("p-p mV", justify="right")
    for lead in summary.leads:
        low, high = summary.amplitude_min_mv[lead], summary.amplitude_max_mv[lead]
        table.add_row(escape(lead), f"{low:.3f}", f"{high:.3f}", f"{high - low:.3f}")
    return table


def _problems(summary: Any) -> str:
    if not summary.problems:
        return "problems: none found"
    return "problems:\n" + "\n".join(f"  - {p}" for p in summary.problems)


def info(
    paths: Annotated[list[str], typer.Argument(help="ECG files, folders (recursive) or glob patterns.")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")
    ] = False,
    format: Annotated[
        str | None,
        typer.Option("--format", help="Force a format: wfdb, cinc, edf, csv, npy, npz (default: by extension)."),
    ] = None,
    fs: Annotated[
        float | None,
        typer.Option("--fs", help="Sampling rate in Hz for files that do not carry it (.npy, CSV without time, bare .mat)."),
    ] = None,
) -> None:
    """Show leads, sampling rate, duration, amplitude range and obvious problems of ECG records."""
    from medts.io import read_record

    stdout = Console(highlight=False)
    stderr = Console(stderr=True, highlight=False)
    results: list[dict[str, Any]] = []
    failed = 0
    expanded = _expand(paths, format)
    for source, record_path, error in expanded:
        if record_path is not None:
            try:
                summary = read_record(record_path, format=format, fs=fs).summary()
            except ECGReadError as read_error:
                error = str(read_error)
            except MedtsError as other:
                error = f"{record_path}: {other}"
        if error is not None:
            failed += 1
            typer.echo(f"error: {error}", err=True)
            results.append({"source": source, "error": error})
            continue
        if json_output:
            results.append(summary.model_dump(mode="json"))
        else:
            stdout.print(_heading(summary), markup=True)
            stdout.print(_table(summary))
            stdout.print(_problems(summary), markup=False)
            stdout.print()
    if json_output:
        typer.echo(json.dumps(results, indent=2))
    elif failed:
        stderr.print(f"{failed} of {len(expanded)} record(s) could not be read", style="red")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("info")(info)
