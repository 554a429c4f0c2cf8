"""The tracing on ECG paper in the app: the report's paper layout, drawn as an interactive plotly figure.

The layout is :func:`medts.report.paper.paper_layout`, the one the printed/HTML report draws
(25 mm/s, 10 mm/mV, a 1 mV x 200 ms calibration pulse at the start of every row); this module
only renders it. Plot units are paper millimetres on both axes with a 1:1 aspect ratio, so the
axis grid (minor every 1 mm, major every 5 mm) is true ECG paper at any zoom, and two clicked
points read directly as time (1 mm = 40 ms) and voltage (1 mm = 0.1 mV): the page's calipers
(:data:`CALIPER_JS`) do exactly that.

Two views (:data:`VIEWS`): the standard 3 x 4 grid (2.5 s per column) with a 10 s lead II rhythm
strip, and one full-width strip per lead ("stacked", any window length, any lead selection).

Overlays are placed by :func:`medts.report.paper.lead_spans`, so each lands on the segments
that show its lead and time: P/QRS/T marks (per lead, or on every lead for fused fiducials),
anomaly and ectopy regions (per lead, or on every lead when the detector pooled leads), and the
evidence of a selected statement (its leads drawn in red). Each kind is one filled trace (NaN
separators between rectangles): hundreds of marks stay cheap and the legend toggles them.

The figure travels to the browser on every change, so it is kept light: samples as float32 with
``x0``/``dx`` instead of a time array, min/max decimation only for long stacked windows, no
per-point hover data.

Example
-------
>>> from medts.simulate import simulate_12lead
>>> from medts.ui.plots import WaveBox, ecg_figure
>>> ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=1)
>>> fig = ecg_figure(ecg, waves=[WaveBox("QRS", 0.40, 0.50)])
>>> [t.name for t in fig.data if t.name in ("I", "V6", "QRS")]
['QRS', 'I', 'V6']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from medts.record import ECG
from medts.report.paper import MM_PER_MV, MM_PER_S, PaperLayout, lead_spans, paper_layout

PAPER = "#fff5f5"
MINOR_GRID = "#f6c6c6"
MAJOR_GRID = "#e58080"
VIEWS = ("3x4 + rhythm strip", "stacked leads")
ROW_MM = {VIEWS[0]: 40.0, VIEWS[1]: 20.0}  # 3x4: the printed page's rows; stacked: 2 mV per lead
PX_PER_MM = 3.2  # initial figure height per paper mm (the width follows the page; zoom for more)
MAX_POINTS_PER_SEGMENT = 6000  # 10 s at 500 Hz go whole; longer stacked windows are min/max-decimated (every R peak survives)
WAVE_COLOURS = {"P": "rgba(66, 133, 244, 0.20)", "QRS": "rgba(52, 168, 83, 0.22)",
                "T": "rgba(171, 71, 188, 0.20)"}
ANOMALY_COLOUR = "rgba(220, 0, 0, 0.22)"
ECTOPY_COLOUR = "rgba(255, 193, 7, 0.35)"
EVIDENCE_COLOUR = "rgba(255, 140, 0, 0.45)"


@dataclass(frozen=True)
class WaveBox:
    """One P wave, QRS complex or T wave: seconds from record start; ``lead=None`` means all leads."""

    kind: str
    onset_s: float
    offset_s: float
    lead: str | None = None


@dataclass(frozen=True)
class Region:
    """A time span on one lead (``None``: all leads) with a score: an anomaly, an ectopic beat
    or a piece of evidence; ``kind`` names it in the legend."""

    start_s: float
    end_s: float
    lead: str | None = None
    score: float | None = None
    kind: str = "anomaly"


def decimate_minmax(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the min and max of each bucket so a long view still shows every R peak.

    ``t``, ``y``: ``[n]``; returns at most ``max_points`` points in time order.
    """
    n = len(y)
    if n <= max_points:
        return t, y
    buckets = max_points // 2
    size = -(-n // buckets)  # ceil: equal buckets of `size` samples, the last one padded
    pad = buckets * size - n
    yy = np.pad(y, (0, pad), mode="edge").reshape(buckets, size)  # [buckets, size]
    base = np.arange(buckets) * size
    lo = np.minimum(base + yy.argmin(1), n - 1)
    hi = np.minimum(base + yy.argmax(1), n - 1)
    idx = np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], 1).ravel()  # [2 * buckets], time order
    return t[idx], y[idx]


def _boxes_trace(spans: list[tuple[float, float, float, float]], name: str, colour: str) -> go.Scatter:
    """One filled trace of rectangles ``(x0, x1, y0, y1)``; NaN separates them (a gap in plotly)."""
    box = np.asarray(spans, dtype=np.float32).reshape(-1, 4)  # [n_boxes, (x0, x1, y0, y1)]
    nan = np.full(len(box), np.nan, np.float32)
    x0, x1, y0, y1 = box.T
    xs = np.stack([x0, x0, x1, x1, x0, nan], 1).ravel()  # [6 * n_boxes]
    ys = np.stack([y0, y1, y1, y0, y0, nan], 1).ravel()
    # hoverinfo "skip": a click on the paper must reach the tracing (the calipers), not a box
    return go.Scatter(x=xs, y=ys, fill="toself", fillcolor=colour, mode="none", name=name,
                      hoverinfo="skip", legendgroup=name)


def _segment_traces(layout: PaperLayout, fs: float, evidence_leads: set[str]) -> list[go.Scatter]:
    """One trace per drawn segment (named by its lead), and the calibration pulses as one trace."""
    traces, pulses = [], []
    lines = iter(layout.lines)
    rhythm_row = len(layout.rows) - 1 if len(layout.rows) == 4 and len(layout.rows[-1][1]) == 1 \
        and len(layout.rows[0][1]) == 4 else None
    for r, (_, segments) in enumerate(layout.rows):
        pulses.append(next(lines))
        for lead, _, _ in segments:
            v = next(lines)  # [n, 2] mm
            bold = lead in evidence_leads
            style = dict(mode="lines", line=dict(color="#b00000" if bold else "#111111", width=1.6 if bold else 1.0),
                         showlegend=False, hovertemplate=f"{lead}<extra></extra>",
                         meta=dict(lead=lead, rhythm=r == rhythm_row))
            if len(v) <= MAX_POINTS_PER_SEGMENT:  # evenly spaced: x0/dx instead of an x array
                traces.append(go.Scatter(x0=float(v[0, 0]), dx=MM_PER_S / fs, y=v[:, 1].astype(np.float32),
                                         name=lead, **style))
            else:
                x, y = decimate_minmax(v[:, 0], v[:, 1], MAX_POINTS_PER_SEGMENT)
                traces.append(go.Scatter(x=x.astype(np.float32), y=y.astype(np.float32), name=lead, **style))
    nan = np.array([[np.nan, np.nan]])
    joined = np.concatenate([np.concatenate([p, nan]) for p in pulses]).astype(np.float32)
    traces.append(go.Scatter(x=joined[:, 0], y=joined[:, 1], mode="lines", name="calibration 1 mV",
                             line=dict(color="#111111", width=1.0), showlegend=False, hoverinfo="skip"))
    return traces


def ecg_figure(
    ecg: ECG,
    *,
    view: str = VIEWS[0],
    leads: list[str] | None = None,
    start_s: float = 0.0,
    window_s: float | None = None,
    waves: list[WaveBox] | None = None,
    anomalies: list[Region] | None = None,
    evidence: list[Region] | None = None,
    evidence_label: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """The tracing of ``ecg`` on ECG paper (see the module doc).

    Parameters
    ----------
    view : str
        ``"3x4 + rhythm strip"`` (10 s from ``start_s``; records without the 12 standard leads
        get one strip per lead) or ``"stacked leads"`` (``leads`` top to bottom, ``window_s``).
    start_s, window_s : float
        The record time the strips start at and (stacked view) their length; default 10 s.
    waves, anomalies, evidence : lists, optional
        Overlays; a region's ``kind`` names its legend entry (``"anomaly"``, ``"ectopic beat"``);
        ``evidence_label`` names the statement whose evidence is shown.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    stacked = view == VIEWS[1]
    strip_s = float(window_s) if stacked and window_s else 10.0
    layout = paper_layout(ecg, start_s=start_s, strip_s=strip_s, stacked=stacked, leads=leads, row_mm=ROW_MM[view])
    shown = {lead for _, segments in layout.rows for lead, _, _ in segments}
    t0, t1 = layout.start_s, layout.start_s + strip_s

    def boxes(lead: str | None, a: float, b: float) -> list[tuple[float, float, float, float]]:
        # a lead the record does not have (e.g. "all leads (fused)", "usable leads") means every lead
        return lead_spans(layout, max(a, t0), min(b, t1), lead if lead in shown else None) if b > t0 and a < t1 else []

    fig = go.Figure()
    for kind in ("P", "QRS", "T"):
        spans = [box for w in waves or [] if w.kind == kind for box in boxes(w.lead, w.onset_s, w.offset_s)]
        if spans:
            fig.add_trace(_boxes_trace(spans, kind, WAVE_COLOURS[kind]))
    kinds: dict[str, list] = {}
    for r in anomalies or []:
        kinds.setdefault(r.kind, []).extend(boxes(r.lead, r.start_s, r.end_s))
    for kind, spans in kinds.items():
        if spans:
            fig.add_trace(_boxes_trace(spans, kind, ANOMALY_COLOUR if kind == "anomaly" else ECTOPY_COLOUR))
    ev_spans = [box for r in evidence or [] for box in boxes(r.lead, r.start_s, r.end_s)]
    if ev_spans:
        fig.add_trace(_boxes_trace(ev_spans, f"evidence: {evidence_label}" if evidence_label else "evidence",
                                   EVIDENCE_COLOUR))
    evidence_leads = {r.lead for r in evidence or [] if r.lead is not None}
    for trace in _segment_traces(layout, ecg.fs, evidence_leads):
        fig.add_trace(trace)
    _paper_axes(fig, layout, title)
    return fig


def _paper_axes(fig: go.Figure, layout: PaperLayout, title: str | None) -> None:
    """Millimetre axes at 1:1 with the 1 mm / 5 mm grid; lead names as annotations (no shapes)."""
    width, height = layout.size_mm
    grid = dict(showgrid=True, gridcolor=MAJOR_GRID, gridwidth=1, zeroline=False, showticklabels=False,
                ticks="", dtick=5.0, tick0=0.0, minor=dict(dtick=1.0, showgrid=True, gridcolor=MINOR_GRID, gridwidth=0.5))
    fig.update_layout(
        title=dict(text=title or "", x=0.01, font=dict(size=14)),
        plot_bgcolor=PAPER, paper_bgcolor="white",
        height=int(height * PX_PER_MM) + 90, margin=dict(l=10, r=10, t=40 if title else 20, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        xaxis=dict(range=[0.0, width], title=dict(text=layout.footer.replace("   ", "  |  "), font=dict(size=11)),
                   constrain="domain", **grid),
        yaxis=dict(range=[0.0, height], scaleanchor="x", scaleratio=1.0, constrain="domain", **grid),
        annotations=[dict(text=f"<b>{label}</b>", x=x, y=y, xref="x", yref="y", showarrow=False, xanchor="left",
                          font=dict(size=12), bgcolor="rgba(255,245,245,0.7)") for x, y, label in layout.labels],
        hovermode="closest", dragmode="zoom", uirevision="ecg",
        meta=dict(mm_per_s=MM_PER_S, mm_per_mv=MM_PER_MV),
    )


CALIPER_JS = """
<script>
/* medts calipers: click two points of the tracing; the plot's axes are paper millimetres
   (25 mm/s, 10 mm/mV), so the distance reads as ms and mV. A third click starts again. */
(() => {
  const MM_PER_S = 25.0, MM_PER_MV = 10.0;
  let points = [];
  function show(text) {
    const box = document.querySelector('#caliper');
    if (box) box.innerText = text;
  }
  function onClick(ev) {
    const gd = document.querySelector('#tracing .js-plotly-plot');
    if (!gd || !ev.points || !ev.points.length) return;
    const p = ev.points[0];
    points = points.length >= 2 ? [] : points;
    points.push({x: p.x, y: p.y, lead: p.data.name});
    const marks = points.map(q => ({type: 'line', x0: q.x, x1: q.x, y0: q.y - 6, y1: q.y + 6,
                                    line: {color: '#0044cc', width: 2}}));
    if (points.length === 2) {
      const [a, b] = points;
      const ms = Math.abs(b.x - a.x) / MM_PER_S * 1000.0, mv = (b.y - a.y) / MM_PER_MV;
      const reading = `${ms.toFixed(0)} ms, ${mv >= 0 ? '+' : ''}${mv.toFixed(2)} mV`;
      marks.push({type: 'line', x0: a.x, x1: b.x, y0: a.y, y1: b.y, line: {color: '#0044cc', width: 1, dash: 'dot'},
                  label: {text: reading, font: {color: '#0044cc', size: 13}, textposition: 'top center'}});
      const rate = ms > 150 ? `  (${(60000.0 / ms).toFixed(0)} /min if R-R)` : '';
      show(`Calipers: ${reading}` + rate + `  [${a.lead} -> ${b.lead}]`);
    } else {
      show(`Calipers: first point on ${p.data.name}; click a second point.`);
    }
    window.Plotly.relayout(gd, {shapes: marks});
  }
  function attach() {
    const gd = document.querySelector('#tracing .js-plotly-plot');
    if (!gd || !gd.on || !gd._ev) return;
    if (gd._ev.listeners('plotly_click').includes(onClick)) return;
    points = [];
    gd.on('plotly_click', onClick);
  }
  setInterval(attach, 400);
})();
</script>
"""
"""Script for the page's ``<head>``: calipers on the tracing, reading into the ``#caliper`` box."""
