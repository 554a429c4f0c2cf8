"""The long-recording section of a report: episodes table, ectopy summary, pauses, heart-rate
trend (SVG) and 10-s strips of the worst events on ECG paper (SVG, ``medts.report.paper``).

Everything here formats a :class:`~medts.longterm.analyze.LongTermResult`; nothing decides a
finding (the decisions are ``medts.interpret.longterm``'s).

Example
-------
>>> res = analyze_recording("../shared/data/mitdb/full/203")                 # doctest: +SKIP
>>> write_section(res, open_long_record("../shared/data/mitdb/full/203"), "out/")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medts.longterm.result import LongTermResult
from medts.longterm.stream import LongSource

STRIP_S = 10.0


@dataclass(frozen=True)
class Event:
    """A moment worth a strip: ``time_s`` is where it happens (the strip is centred on it)."""

    time_s: float
    label: str


def worst_events(res: LongTermResult, n: int = 4) -> list[Event]:
    """The longest pause, the longest ventricular and supraventricular runs, the first AF/flutter
    onset, and the fastest window, in that order of priority (at most ``n``)."""
    events: list[Event] = []
    if res.pauses:
        p = max(res.pauses, key=lambda x: x.duration_s)
        events.append(Event(p.onset_s + p.duration_s / 2, f"longest pause {p.duration_s:.2f} s at {p.onset_s:.0f} s"))
    for kind, name in (("V", "ventricular"), ("S", "supraventricular")):
        runs = [r for r in res.ectopy.runs if r.kind == kind]
        if runs:
            r = max(runs, key=lambda x: x.beats)
            events.append(Event((r.onset_s + r.offset_s) / 2, f"longest {name} run: {r.beats} beats at {r.onset_s:.0f} s"))
    if res.episodes:
        e = res.episodes[0]
        events.append(Event(e.onset_s + STRIP_S / 2, f"AF/flutter episode from {e.onset_s:.0f} s"))
    if res.rate.max_at_s is not None:
        events.append(Event(res.rate.max_at_s + res.window_s / 2, f"fastest window {res.rate.max_bpm} bpm"))
    return events[:n]


def strip_svg(src: LongSource, event: Event, *, notice: str, name: str) -> str:
    """A 10-s strip around ``event`` on ECG paper (SVG), read from ``src`` by sample range, titled ``name``
    (the record's name as the report gives it: a pseudonym when de-identified, never the file's)."""
    from medts.record import ECG
    from medts.report.paper import paper_svg

    start = max(0.0, min(event.time_s - STRIP_S / 2, src.duration_s - STRIP_S))
    a = int(round(start * src.fs))
    sig = src.read(a, a + int(round(STRIP_S * src.fs)))
    ecg = ECG(sig, fs=src.fs, leads=src.leads, record_id=name)
    return paper_svg(ecg, title=f"{name}: {event.label}", subtitle=f"{start:.1f}-{start + STRIP_S:.1f} s",
                     notice=notice)


def hr_trend_svg(res: LongTermResult, *, width: int = 720, height: int = 180) -> str:
    """Heart rate per window over the recording as an SVG line (AF/flutter windows marked red)."""
    pts = [(w.start_s, w.hr_bpm, w.rhythm) for w in res.windows if w.hr_bpm is not None]
    lo, hi = 30.0, max([160.0] + [p[1] for p in pts])
    total = max(res.duration_s, 1.0)
    pad = 30

    def xy(t: float, hr: float) -> tuple[float, float]:
        return (pad + (width - 2 * pad) * t / total, height - pad - (height - 2 * pad) * (hr - lo) / (hi - lo))

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(t, hr) for t, hr, _ in pts))
    af = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#c00"/>'
                 for x, y in (xy(t, hr) for t, hr, r in pts if r == "AF/flutter"))
    grid = "".join(f'<line x1="{pad}" x2="{width - pad}" y1="{xy(0, v)[1]:.1f}" y2="{xy(0, v)[1]:.1f}" stroke="#ddd"/>'
                   f'<text x="2" y="{xy(0, v)[1] + 4:.1f}" font-size="10">{v:g}</text>' for v in (40, 60, 100, 150))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
            f'<rect width="{width}" height="{height}" fill="white"/>{grid}'
            f'<polyline points="{line}" fill="none" stroke="#036" stroke-width="1.5"/>{af}'
            f'<text x="{pad}" y="14" font-size="11">heart rate (bpm) per {res.window_s:g}-s window; red: AF/flutter; '
            f'{total / 3600:.2f} h</text></svg>')


def rate_text(res: LongTermResult) -> str:
    """The rate summary in words: mean, slowest and fastest window, or why there is none (every window
    had too few beats for a rhythm call, e.g. a record shorter than one window at a slow rate)."""
    r = res.rate
    if r.mean_bpm is None:
        from medts.interpret.longterm import AF_MIN_BEATS

        return (f"not summarised: no window had the {AF_MIN_BEATS} beats a rhythm call needs "
                f"({len(res.windows)} window(s) of up to {res.window_s:g} s; per-window rate below)")
    return (f"mean {r.mean_bpm} bpm, slowest window {r.min_bpm} bpm at {r.min_at_s} s, fastest window "
            f"{r.max_bpm} bpm at {r.max_at_s} s")


Table = tuple[str, list[str], list[list[str]]]  # title, header, rows (as medts.report.render_markdown)


def episode_rows(res: LongTermResult) -> list[list[str]]:
    """AF/flutter episodes: onset, offset, duration (s), mean rate (bpm)."""
    return [[f"{x.onset_s:g}", f"{x.offset_s:g}", f"{x.duration_s:g}", f"{x.mean_hr_bpm}"] for x in res.episodes]


def ectopy_rows(res: LongTermResult) -> list[list[str]]:
    """Per ectopic class: beats, burden %, isolated, couplets, runs."""
    e = res.ectopy
    return [[name, f"{e.counts[k]}", f"{e.burden_percent[k]}", f"{e.isolated[k]}", f"{e.couplets[k]}",
             f"{sum(1 for x in e.runs if x.kind == k)}"] for k, name in (("V", "ventricular"), ("S", "supraventricular"))]


def runs_text(res: LongTermResult, limit: int = 20) -> str | None:
    """The ectopic runs (3 or more beats) in words, at most ``limit``; None without any."""
    runs = res.ectopy.runs
    if not runs:
        return None
    more = f"; ... {len(runs) - limit} more" if len(runs) > limit else ""
    return ("Runs (3 or more beats): " + "; ".join(f"{x.kind} x{x.beats} at {x.onset_s:g} s ({x.rate_bpm} bpm)"
                                                  for x in runs[:limit]) + more)


def pause_rows(res: LongTermResult, limit: int = 10) -> list[list[str]]:
    """The longest pauses (at most ``limit``): onset and duration (s)."""
    return [[f"{p.onset_s:g}", f"{p.duration_s:g}"] for p in sorted(res.pauses, key=lambda p: -p.duration_s)[:limit]]


def summary_items(res: LongTermResult) -> list[list[str]]:
    """[label, text] rows: duration, heart rate, AF/flutter burden and QT of the whole recording."""
    e, r = res.ectopy, res.rate
    qt = qt_text(res)
    return [["Duration", (f"{res.duration_s / 3600:.2f} h, beat analysis on lead {res.lead}, {e.n_beats} beats, "
                          f"{len(res.windows)} windows of {res.window_s:g} s ({res.poor_quality_windows} poor quality)")],
            ["Heart rate", (f"{rate_text(res)}; {r.minutes_below_range} min below and {r.minutes_above_range} min "
                            f"above {r.range_bpm[0]:g}-{r.range_bpm[1]:g} bpm")],
            ["AF/flutter", f"burden {res.af_burden_percent}% ({len(res.episodes)} episode(s))"],
            ["QT", qt]]


def whole_record_tables(res: LongTermResult) -> list[tuple[str, str | None, Table | None]]:
    """(title, note, table) sections of the whole-record analysis, as a report's other sections are
    given to its Markdown, HTML and PDF renderers (``medts.report.render_markdown.section_tables``)."""
    return [
        ("Whole recording (windowed analysis)", res.draft, ("Whole recording", ["", ""], summary_items(res))),
        ("Whole recording: AF/flutter episodes", None if res.episodes else "none found",
         ("Episodes", ["Onset (s)", "Offset (s)", "Duration (s)", "Mean rate (bpm)"], episode_rows(res))
         if res.episodes else None),
        ("Whole recording: ectopy", runs_text(res),
         ("Ectopy", ["Class", "Beats", "Burden %", "Isolated", "Couplets", "Runs"], ectopy_rows(res))),
        (f"Whole recording: pauses (RR of 2 s or more): {len(res.pauses)}", None,
         ("Pauses", ["At (s)", "Duration (s)"], pause_rows(res)) if res.pauses else None),
        ("Whole recording: notes", "; ".join(res.notes), None),
    ]


def markdown_section(res: LongTermResult, *, trend_file: str | None = None,
                     strip_files: list[tuple[str, str]] | None = None) -> str:
    """The long-recording section in Markdown (tables; image links when files are given)."""
    from medts.report.render_markdown import md_table

    from medts.interpret.verdict import whole_record_sentence

    lines = ["## Long recording (Holter-style analysis)", "", f"_{res.draft}_", "",
             f"**Summary (draft):** {whole_record_sentence(res, set(), 0.0)}", ""]
    lines += [f"- {label}: {text}." for label, text in summary_items(res)] + [""]
    if trend_file:
        lines += [f"![heart-rate trend]({trend_file})", ""]
    lines += ["### AF/flutter episodes", ""]
    lines.append(md_table(["onset (s)", "offset (s)", "duration (s)", "mean rate (bpm)"], episode_rows(res))
                 if res.episodes else "None found.")
    lines += ["", "### Ectopy", "", md_table(["class", "beats", "burden %", "isolated", "couplets", "runs"],
                                              ectopy_rows(res))]
    if res.ectopy.runs:
        lines += ["", runs_text(res)]
    lines += ["", f"### Pauses (RR of 2 s or more): {len(res.pauses)}", ""]
    if res.pauses:
        lines.append(md_table(["at (s)", "duration (s)"], pause_rows(res)))
    if strip_files:
        lines += ["", "### Strips of the worst events", ""]
        lines += [f"![{label}]({name})" for label, name in strip_files]
    lines += ["", "Notes: " + "; ".join(res.notes)]
    return "\n".join(lines) + "\n"


def qt_text(res: LongTermResult) -> str:
    """QT and QTc (Fridericia) over the windows where they were measured (first 10 s of each)."""
    qt = [w.qt_ms for w in res.windows if w.qt_ms is not None]
    qtc = [w.qtc_fridericia_ms for w in res.windows if w.qtc_fridericia_ms is not None]
    if not qt:
        return "not measured in any window"
    return (f"per window (first 10 s of each, medts measurements): median {sorted(qt)[len(qt) // 2]:g} ms, "
            f"range {min(qt):g}-{max(qt):g} ms in {len(qt)} of {len(res.windows)} windows"
            + (f"; QTc (Fridericia) up to {max(qtc):g} ms" if qtc else ""))


def figures(res: LongTermResult, src: LongSource | None, *, n_strips: int = 4, prefix: str = "") -> list[tuple[str, str, str]]:
    """(caption, file name, SVG) of the heart-rate trend and, given the recording ``src``, 10-s strips of
    the worst events (read by sample range); file names start with ``prefix``."""
    out = [("heart-rate trend", f"{prefix}hr-trend.svg", hr_trend_svg(res))]
    if src is not None:
        out += [(ev.label, f"{prefix}event{i + 1}.svg", strip_svg(src, ev, notice="DRAFT for clinician review", name=res.record))
                for i, ev in enumerate(worst_events(res, n_strips))]
    return out


def write_section(res: LongTermResult, src: LongSource, folder: str | Path, *, n_strips: int = 4) -> Path:
    """Write ``<record>-rhythm.md`` with its trend SVG and event strips into ``folder``; returns the
    Markdown path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    made = figures(res, src, n_strips=n_strips, prefix=f"{res.record}-")
    for _, name, svg in made:
        (out / name).write_text(svg)
    md = out / f"{res.record}-rhythm.md"
    md.write_text(markdown_section(res, trend_file=made[0][1], strip_files=[(c, n) for c, n, _ in made[1:]]))
    return md
