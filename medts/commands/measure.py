"""``medts measure PATH... [--json]``: grounded ECG measurements (rate, intervals, QTc, axes, ...).

Each PATH may be a file, a folder (searched recursively) or a glob pattern. A record that
cannot be read or measured gives a one-line error naming it and the batch goes on (exit code 2
at the end). With ``--json`` exactly one JSON document goes to stdout: a list in input order of
:class:`~medts.signal.measure.Measurements` objects, or ``{"source": ..., "error": ...}``.
Every value is a draft for clinician review.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from medts.cli_inputs import (
    ANALYSIS_MAX_LEADS,
    RESTING_EXCERPT_S,
    FsOption,
    InputLimits,
    LeadsOption,
    check_fs_option,
    expand,
    parse_leads,
    run_per_record,
)
from medts.errors import MedtsError

MEASURE_LIMITS = InputLimits(max_leads=ANALYSIS_MAX_LEADS, excerpt_s=RESTING_EXCERPT_S, what="medts measure",
                             mend_gaps=True)
"""At most the first 5 minutes are measured (the whole of a 60-minute 12-lead record took 1.35 GB);
the output says so (``input_notes``)."""

_SUMMARY = [
    ("hr_bpm", "HR"), ("pr_ms", "PR"), ("p_duration_ms", "P duration"), ("qrs_ms", "QRS"),
    ("qt_ms", "QT"), ("qtc_bazett_ms", "QTc Bazett"), ("qtc_fridericia_ms", "QTc Fridericia"),
    ("qtc_framingham_ms", "QTc Framingham"), ("qtc_hodges_ms", "QTc Hodges"),
    ("p_axis_deg", "P axis"), ("qrs_axis_deg", "QRS axis"), ("t_axis_deg", "T axis"),
    ("sokolow_lyon_mv", "Sokolow-Lyon"), ("cornell_mv", "Cornell"),
]


def _powerline(text: str) -> float | str | None:
    text = text.strip().lower()
    if text == "auto":
        return "auto"
    if text in ("none", "off", "0"):
        return None
    if text in ("50", "60"):
        return float(text)
    raise MedtsError(f"--powerline must be auto, 50, 60 or none; got {text!r}")


def _text_report(m: Any) -> str:
    head = (f"{m.record_id}: {len(m.leads)} leads, {m.fs_hz:g} Hz, {m.duration_s:g} s, {m.n_beats} beats "
            "(draft for clinician review)")
    lines = [head]
    for field, label in _SUMMARY:
        v = getattr(m, field)
        shown = "-" if v.value is None else f"{v.value:g} {v.unit}"
        note = f"  [{v.quality}{': ' + v.reason if v.reason else ''}]" if v.quality != "good" else ""
        lines.append(f"  {label:16s} {shown}{note}")
    r = m.rhythm
    lines.append(f"  {'RR irregularity':16s} {r.rr_successive_irregularity.value if r.rr_successive_irregularity.value is not None else '-'}"
                 f"   P waves in {r.p_wave_fraction.value if r.p_wave_fraction.value is not None else '-'} of beats")
    bad = [f"{q.lead}: {', '.join(q.flags)}" for q in m.lead_quality if q.flags]
    if bad:
        lines.append("  lead quality: " + "; ".join(bad))
    if m.missing_leads:
        lines.append("  missing leads: " + ", ".join(m.missing_leads))
    lines += [f"  warning: {w}" for w in m.warnings]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("measure")
    def measure(
        paths: Annotated[list[str], typer.Argument(help="ECG files, folders or glob patterns.")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
        format: Annotated[str | None, typer.Option("--format", help="Force a reader: wfdb, edf, csv, npy, npz, cinc.")] = None,
        fs: FsOption = None,
        leads: LeadsOption = None,
        powerline: Annotated[str, typer.Option("--powerline", help="Powerline notch: auto, 50, 60 or none.")] = "auto",
    ) -> None:
        """Measure HR, PR, QRS, QT/QTc, axes, ST, T amplitudes, voltages, HRV and rhythm features."""
        line = _powerline(powerline)

        def analyse(ecg: Any) -> Any:
            # imported here, after the first record is read: NeuroKit2's import (~2 s) is not paid by bad input
            from medts.signal import measure_ecg

            return measure_ecg(ecg, powerline=line)

        results, failed = run_per_record(
            expand(paths, format), format, check_fs_option(fs), analyse,
            what="measurement", text_report=None if json_out else (lambda m, _source: _text_report(m)),
            leads=parse_leads(leads), limits=MEASURE_LIMITS)
        if json_out:
            print(json.dumps(results))
        failed.exit()
