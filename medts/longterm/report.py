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

from medts.longterm.analyze import LongTermResult
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


def strip_svg(src: LongSource, event: Event, *, notice: str) -> str:
    """A 10-s strip around ``event`` on ECG paper (SVG), read from ``src`` by sample range."""
    from medts.record import ECG
    from medts.report.paper import paper_svg

    start = max(0.0, min(event.time_s - STRIP_S / 2, src.duration_s - STRIP_S))
    a = int(round(start * src.fs))
    sig = src.read(a, a + int(round(STRIP_S * src.fs)))
    ecg = ECG(sig, fs=src.fs, leads=src.leads, record_id=src.name)
    return paper_svg(ecg, title=f"{src.name}: {event.label}", subtitle=f"{start:.1f}-{start + STRIP_S:.1f} s",
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


def markdown_section(res: LongTermResult, *, trend_file: str | None = None,
                     strip_files: list[tuple[str, str]] | None = None) -> str:
    """The long-recording section in Markdown (tables; image links when files are given)."""
    e, r = res.ectopy, res.rate
    lines = ["## Long recording (Holter-style analysis)", "", f"_{res.draft}_", "",
             (f"- Duration {res.duration_s / 3600:.2f} h, beat analysis on lead {res.lead}, {e.n_beats} beats, "
              f"{len(res.windows)} windows of {res.window_s:g} s ({res.poor_quality_windows} poor quality)."),
             (f"- Heart rate: {rate_text(res)}; {r.minutes_below_range} min below and {r.minutes_above_range} min "
              f"above {r.range_bpm[0]:g}-{r.range_bpm[1]:g} bpm."),
             f"- AF/flutter burden {res.af_burden_percent}% ({len(res.episodes)} episode(s)).",
             qt_line(res), ""]
    if trend_file:
        lines += [f"![heart-rate trend]({trend_file})", ""]
    lines += ["### AF/flutter episodes", ""]
    if res.episodes:
        lines += ["| onset (s) | offset (s) | duration (s) | mean rate (bpm) |", "|---|---|---|---|"]
        lines += [f"| {x.onset_s:g} | {x.offset_s:g} | {x.duration_s:g} | {x.mean_hr_bpm} |" for x in res.episodes]
    else:
        lines.append("None found.")
    lines += ["", "### Ectopy", "", "| class | beats | burden % | isolated | couplets | runs |", "|---|---|---|---|---|---|"]
    for k, name in (("V", "ventricular"), ("S", "supraventricular")):
        lines.append(f"| {name} | {e.counts[k]} | {e.burden_percent[k]} | {e.isolated[k]} | {e.couplets[k]} | "
                     f"{sum(1 for x in e.runs if x.kind == k)} |")
    if e.runs:
        lines += ["", "Runs (3 or more beats): " + "; ".join(f"{x.kind} x{x.beats} at {x.onset_s:g} s ({x.rate_bpm} bpm)"
                                                            for x in e.runs[:20])]
    lines += ["", f"### Pauses (RR of 2 s or more): {len(res.pauses)}", ""]
    if res.pauses:
        longest = sorted(res.pauses, key=lambda p: -p.duration_s)[:10]
        lines += ["| at (s) | duration (s) |", "|---|---|"] + [f"| {p.onset_s:g} | {p.duration_s:g} |" for p in longest]
    if strip_files:
        lines += ["", "### Strips of the worst events", ""]
        lines += [f"![{label}]({name})" for label, name in strip_files]
    lines += ["", "Notes: " + "; ".join(res.notes)]
    return "\n".join(lines) + "\n"


def qt_line(res: LongTermResult) -> str:
    """QT and QTc (Fridericia) over the windows where they were measured (first 10 s of each)."""
    qt = [w.qt_ms for w in res.windows if w.qt_ms is not None]
    qtc = [w.qtc_fridericia_ms for w in res.windows if w.qtc_fridericia_ms is not None]
    if not qt:
        return "- QT: not measured in any window."
    return (f"- QT per window (first 10 s of each, medts measurements): median {sorted(qt)[len(qt) // 2]:g} ms, "
            f"range {min(qt):g}-{max(qt):g} ms in {len(qt)} of {len(res.windows)} windows"
            + (f"; QTc (Fridericia) up to {max(qtc):g} ms." if qtc else "."))


def write_section(res: LongTermResult, src: LongSource, folder: str | Path, *, n_strips: int = 4) -> Path:
    """Write ``<record>-rhythm.md`` with its trend SVG and event strips into ``folder``; returns the
    Markdown path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    trend = f"{res.record}-hr-trend.svg"
    (out / trend).write_text(hr_trend_svg(res))
    strips = []
    for i, ev in enumerate(worst_events(res, n_strips)):
        name = f"{res.record}-event{i + 1}.svg"
        (out / name).write_text(strip_svg(src, ev, notice="DRAFT for clinician review"))
        strips.append((ev.label, name))
    md = out / f"{res.record}-rhythm.md"
    md.write_text(markdown_section(res, trend_file=trend, strip_files=strips))
    return md
