"""``medts info PATH...``: what is in these ECG files (leads, fs, duration, amplitudes, problems).

Each PATH may be a file, a folder (searched recursively) or a glob pattern. A file that cannot
be read gives a one-line error naming it and the batch goes on; the exit code is 2 at the end
if any failed (see :mod:`medts.cli_inputs` for the contract). With ``--json`` exactly one JSON document goes to stdout: a list in input order
of :class:`~medts.record.RecordSummary` objects, or ``{"source": ..., "error": ...}`` for a
failure.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medts.cli_inputs import FsOption, LeadsOption, check_fs_option, expand, parse_leads, run_per_record


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
        typer.Option("--format", help="Force a format: wfdb, cinc, edf, csv, npy, npz, xml, dicom, scp (default: by extension)."),
    ] = None,
    fs: FsOption = None,
    leads: LeadsOption = None,
) -> None:
    """Show leads, sampling rate, duration, amplitude range and obvious problems of ECG records."""
    from medts.summary_stream import read_for_summary

    rate, names = check_fs_option(fs), parse_leads(leads)
    # A long WFDB or ISHNE record is summarised window by window (same output, bounded memory).
    rows, failures = run_per_record(expand(paths, format), format, rate, lambda ecg: ecg.summary(), what="reading",
                                    text_report=None if json_output else _render, leads=names,
                                    reader=lambda path: read_for_summary(path, format=format, fs=rate, leads=names))
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
    failures.exit()


def _render(summary: Any, _source: str) -> str:
    console = Console(highlight=False)
    with console.capture() as capture:
        console.print(_heading(summary), markup=True)
        console.print(_table(summary))
        console.print(_problems(summary), markup=False)
        if summary.device_measurements or summary.device_statements:
            console.print(_device(summary), markup=False)
    return capture.get()


def _device(summary: Any) -> str:
    """The recording device's own findings from the file, labelled as such (never medts' numbers)."""
    values = ", ".join(f"{name} {value:g}" for name, value in summary.device_measurements.items()) or "none"
    lines = ["device reported (from the file, not measured by medts):", f"  measurements: {values}"]
    lines += [f"  statement: {text[:200]}" for text in summary.device_statements[:20]]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("info")(info)
