"""``medts rhythm PATH... [--json] [--window S] [--lead NAME] [--beats] [--report DIR]``: long-recording
(Holter-style) analysis streamed from disk: rate and rhythm per window, AF/flutter episodes,
ectopy (N / S / V beats, couplets, runs, burden), pauses and the heart-rate trend
(:func:`medts.longterm.analyze_recording`).

WFDB records are read window by window (bounded memory, any length); other formats are read
whole first. A record that cannot be read gives one line naming it and the batch goes on (exit
code 2 at the end). With ``--json`` exactly one JSON document goes to stdout: a list in input
order. Every result is a draft for clinician review.

Example
-------
``medts rhythm ../shared/data/mitdb/full/203.hea --json``
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from medts.cli_inputs import FsOption, LeadsOption
from medts.errors import MedtsError


def _or_dash(value, unit: str) -> str:
    return "-" if value is None else f"{value} {unit}"


def text_report(res, source: str, max_windows: int = 20) -> str:
    """Readable summary: rate, episodes, ectopy, pauses, then the per-window trend."""
    from medts.interpret.verdict import whole_record_sentence
    from medts.longterm.report import rate_text

    e = res.ectopy
    lines = [(f"{res.record or source}: {res.duration_s / 60:.1f} min, lead {res.lead}, {e.n_beats} beats "
              f"(draft for clinician review)"),
             # the sentence `medts report` and chat give on the same recording (no resting excerpt here)
             f"  {whole_record_sentence(res, set(), 0.0)}",
             f"  rate: {rate_text(res)}",
             f"  AF/flutter: {len(res.episodes)} episode(s), burden {res.af_burden_percent}%"]
    for ep in res.episodes:
        lines.append(f"    {ep.onset_s:8.0f}-{ep.offset_s:8.0f} s  {ep.duration_s:7.0f} s  mean {ep.mean_hr_bpm} bpm")
    lines.append(f"  ectopy: V {e.counts['V']} ({e.burden_percent['V']}%), S {e.counts['S']} ({e.burden_percent['S']}%); "
                 f"couplets V {e.couplets['V']} S {e.couplets['S']}; runs {len(e.runs)}; V in bigeminy {e.bigeminy_beats}")
    for run in e.runs[:10]:
        lines.append(f"    {run.kind} run of {run.beats} at {run.onset_s:.1f} s ({run.rate_bpm} bpm)")
    lines.append(f"  pauses >= 2 s: {len(res.pauses)}" + (f" (longest {max(p.duration_s for p in res.pauses)} s)"
                                                        if res.pauses else ""))
    lines.append(f"  windows: {len(res.windows)} ({res.poor_quality_windows} poor quality, {res.p_wave_windows} with P waves)")
    for w in res.windows[:max_windows]:
        lines.append(f"    {w.start_s:8.0f}-{w.end_s:8.0f} s  {_or_dash(w.hr_bpm, 'bpm')}  {w.rhythm:10s}  "
                     f"V {w.counts['V']} S {w.counts['S']}  QT {_or_dash(w.qt_ms, 'ms')}  PR {_or_dash(w.pr_ms, 'ms')}")
    if len(res.windows) > max_windows:
        lines.append(f"    ... {len(res.windows) - max_windows} more windows (use --json for all)")
    lines += [f"  note: {note}" for note in res.notes]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("rhythm")
    def rhythm(
        paths: Annotated[list[str], typer.Argument(help="ECG files, folders or glob patterns (any length).")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
        window: Annotated[float, typer.Option("--window", help="Analysis window in seconds.")] = 60.0,
        lead: Annotated[str | None, typer.Option("--lead", help="Beat-analysis lead (default: MLII/II, else the first).")] = None,
        beats: Annotated[bool, typer.Option("--beats", help="Include every beat (sample, class, scores) in --json.")] = False,
        report: Annotated[Path | None, typer.Option("--report", help="Folder for a Markdown section per record with "
                                                    "its heart-rate trend and strips of the worst events (SVG).")] = None,
        fs: FsOption = None,
        leads: LeadsOption = None,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help=(
            "Progress bar on stderr for records of 10 min or more."))] = True,
    ) -> None:
        """Long-recording rhythm: AF/flutter episodes, ectopy, pauses, rate trend (windowed, bounded memory)."""
        from medts.cli_inputs import Failures, check_fs_option, expand, parse_leads
        from medts.longterm.stream import open_long_record

        if not math.isfinite(window) or not 10.0 <= window <= 600.0:
            raise MedtsError(f"--window {window}: must be between 10 and 600 seconds")
        rows = []
        expanded = expand(paths, None)
        failed = Failures(total=len(expanded))
        for source, path, error in expanded:
            if error is None:
                try:
                    src = open_long_record(path, fs=check_fs_option(fs), leads=parse_leads(leads))
                    # imported once a record opens: a bad file is refused without NeuroKit2's import
                    from medts.longterm.analyze import analyze_recording
                    from medts.longterm.progress import window_bar

                    with window_bar(src, enabled=progress) as on_window:
                        res = analyze_recording(src, window_s=window, lead=lead, with_beats=beats,
                                                on_window=on_window)
                except MedtsError as err:
                    error = str(err)
            if error is not None:
                typer.echo(f"error: {source}: {error}" if source not in error else f"error: {error}", err=True)
                failed.bad_input.append(source)
                rows.append({"source": source, "error": error})
                continue
            rows.append({"source": source, **res.model_dump(mode="json")})
            if report is not None:
                from medts.longterm.report import write_section

                md = write_section(res, src, report)
                typer.echo(f"wrote {md}", err=True)
            if not json_out:
                typer.echo(text_report(res, source))
        if json_out:
            print(json.dumps(rows))
        failed.exit()
