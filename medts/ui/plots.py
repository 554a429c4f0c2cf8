"""The 12-lead tracing on ECG paper as an interactive plotly figure.

Leads are stacked in one panel (one shared time axis, so zooming in time zooms every lead) at
vertical offsets that are whole multiples of 0.5 mV, so the paper grid stays a true millivolt
grid for every lead: minor lines every 0.04 s / 0.1 mV, major lines every 0.2 s / 0.5 mV
(25 mm/s and 10 mm/mV paper); lead names are annotations, so the grid needs no shapes.

The figure is kept light because it travels to the browser on every record (Gradio sends
``fig.to_json()``, where plotly packs numpy arrays as base64): samples go as float32, evenly
spaced views send ``x0``/``dx`` instead of a time array, views longer than
:data:`MAX_POINTS_PER_LEAD` samples are min/max-decimated (every R peak survives; a shorter
window shows every sample), there is no per-point hover data, and the 0.1 mV minor lines are
drawn only when a lead is tall enough to show them (they cost the browser hundreds of SVG
paths). Overlays are drawn as one filled trace per kind (``None``
separators between rectangles), which keeps hundreds of wave boxes cheap to render and lets
the legend toggle them:

* P / QRS / T waves (per lead, or "all" for fused fiducials drawn across every lead),
* anomaly regions (red), and
* the evidence of a clicked statement (orange, per lead and time), with its leads drawn bold.

Example
-------
>>> from medts.simulate import simulate_12lead
>>> from medts.ui.plots import WaveBox, ecg_figure
>>> ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=1)
>>> fig = ecg_figure(ecg, waves=[WaveBox("QRS", 0.40, 0.50)])
>>> sorted({t.name for t in fig.data})[:2]
['I', 'II']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from medts.record import ECG

PAPER = "#fff5f5"
MINOR_GRID = "#f7c6c6"
MAJOR_GRID = "#e88f8f"
LEAD_SPACING_MV = 3.0  # a multiple of 0.5 mV keeps every lead's baseline on a major line
MAX_POINTS_PER_LEAD = 2000  # beyond this the view is decimated (min/max per bucket keeps peaks):
# a 10 s overview still has ~2 points per screen pixel column; windows <= 4 s at 500 Hz go whole
MINOR_Y_MAX_LEADS = 3  # 0.1 mV lines only when a lead is tall enough for them (else a pink wash)
WAVE_COLOURS = {"P": "rgba(66, 133, 244, 0.18)", "QRS": "rgba(52, 168, 83, 0.20)",
                "T": "rgba(171, 71, 188, 0.18)"}
ANOMALY_COLOUR = "rgba(220, 0, 0, 0.22)"
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
    """A time span on one lead (or all leads) with a score: an anomaly or a piece of evidence."""

    start_s: float
    end_s: float
    lead: str | None = None
    score: float | None = None


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


def _boxes_trace(spans: list[tuple[float, float, float, float]], name: str, colour: str,
                 *, visible: bool | str = True) -> go.Scatter:
    """One filled trace of rectangles ``(x0, x1, y0, y1)``; NaN separates them (a gap in plotly)."""
    box = np.asarray(spans, dtype=np.float32).reshape(-1, 4)  # [n_boxes, (x0, x1, y0, y1)]
    nan = np.full(len(box), np.nan, np.float32)
    x0, x1, y0, y1 = box.T
    xs = np.stack([x0, x0, x1, x1, x0, nan], 1).ravel()  # [6 * n_boxes]
    ys = np.stack([y0, y1, y1, y0, y0, nan], 1).ravel()
    return go.Scatter(x=xs, y=ys, fill="toself", fillcolor=colour, mode="none", name=name,
                      hoverinfo="name", visible=visible, legendgroup=name)


def _lead_band(offset: float) -> tuple[float, float]:
    half = LEAD_SPACING_MV / 2 - 0.1
    return offset - half, offset + half


def ecg_figure(
    ecg: ECG,
    *,
    leads: list[str] | None = None,
    start_s: float = 0.0,
    window_s: float | None = None,
    waves: list[WaveBox] | None = None,
    anomalies: list[Region] | None = None,
    evidence: list[Region] | None = None,
    evidence_label: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """The tracing of ``ecg`` (selected ``leads``, ``start_s`` .. ``start_s + window_s``) on ECG paper.

    Parameters
    ----------
    leads : list of str, optional
        Leads to show, top to bottom (default: all, in the record's order).
    start_s, window_s : float
        Time window in seconds (default: the whole record).
    waves, anomalies, evidence : lists, optional
        Overlays (see module doc); ``evidence_label`` names the statement in the legend.
    """
    shown = [lead for lead in (leads or list(ecg.leads)) if lead in ecg.leads] or list(ecg.leads)
    t_all = ecg.time_s
    start_s = float(np.clip(start_s, 0.0, max(ecg.duration_s - 0.5, 0.0)))
    end_s = ecg.duration_s if window_s is None else min(ecg.duration_s, start_s + float(window_s))
    a, b = int(start_s * ecg.fs), max(int(start_s * ecg.fs) + 2, int(np.ceil(end_s * ecg.fs)))
    t = t_all[a:b]
    offsets = {lead: -i * LEAD_SPACING_MV for i, lead in enumerate(shown)}
    evidence_leads = {r.lead for r in evidence or [] if r.lead is not None}

    fig = go.Figure()
    for kind in ("P", "QRS", "T"):
        spans = []
        for w in waves or []:
            if w.kind != kind or w.offset_s < start_s or w.onset_s > end_s:
                continue
            targets = shown if w.lead is None else [w.lead] if w.lead in offsets else []
            spans += [(w.onset_s, w.offset_s, *_lead_band(offsets[lead])) for lead in targets]
        if spans:
            fig.add_trace(_boxes_trace(spans, kind, WAVE_COLOURS[kind]))
    for regions, name, colour in ((anomalies, "anomaly", ANOMALY_COLOUR),
                                  (evidence, f"evidence: {evidence_label}" if evidence_label else "evidence",
                                   EVIDENCE_COLOUR)):
        spans = []
        for r in regions or []:
            if r.end_s < start_s or r.start_s > end_s:
                continue
            targets = shown if r.lead is None else [r.lead] if r.lead in offsets else []
            spans += [(r.start_s, r.end_s, *_lead_band(offsets[lead])) for lead in targets]
        if spans:
            fig.add_trace(_boxes_trace(spans, name, colour))

    for lead in shown:
        y = ecg.signal[a:b, ecg.leads.index(lead)]
        bold = lead in evidence_leads
        if len(y) <= MAX_POINTS_PER_LEAD:  # evenly spaced: x0/dx instead of a time array
            xs: dict = dict(x0=float(t[0]), dx=1.0 / ecg.fs)
            yx = y
        else:
            tx, yx = decimate_minmax(t, y, MAX_POINTS_PER_LEAD)
            xs = dict(x=tx.astype(np.float32))
        # No per-point hover data (it would double the samples sent): hover names the lead and time.
        fig.add_trace(go.Scatter(
            **xs, y=(yx + np.float32(offsets[lead])).astype(np.float32), mode="lines", name=lead, showlegend=False,
            line=dict(color="#b00000" if bold else "#111111", width=2.0 if bold else 1.0),
            hovertemplate=f"{lead} at %{{x:.3f}} s<extra></extra>",
        ))
    _paper_layout(fig, shown, offsets, start_s, end_s, title)
    return fig


def _paper_layout(fig: go.Figure, shown: list[str], offsets: dict[str, float], start_s: float,
                  end_s: float, title: str | None) -> None:
    y_top = LEAD_SPACING_MV / 2
    y_bottom = -LEAD_SPACING_MV * (len(shown) - 0.5)
    grid = dict(showgrid=True, gridcolor=MAJOR_GRID, gridwidth=1, zeroline=False)
    fig.update_layout(
        title=dict(text=title or "", x=0.01, font=dict(size=14)),
        plot_bgcolor=PAPER, paper_bgcolor="white",
        height=max(260, 70 * len(shown) + 80), margin=dict(l=48, r=20, t=40 if title else 20, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        xaxis=dict(range=[start_s, end_s], dtick=0.2, ticklabelstep=5 if end_s - start_s > 3 else 1,
                   title="time (s)  -  25 mm/s, 10 mm/mV",
                   minor=dict(dtick=0.04, showgrid=True, gridcolor=MINOR_GRID, gridwidth=0.5), **grid),
        # Major lines every 0.5 mV from the axis itself; lead names are annotations (no shapes).
        yaxis=dict(range=[y_bottom, y_top], dtick=0.5, tick0=0.0, showticklabels=False,
                   minor=dict(dtick=0.1, showgrid=len(shown) <= MINOR_Y_MAX_LEADS, gridcolor=MINOR_GRID, gridwidth=0.5),
                   fixedrange=False, **grid),
        annotations=[dict(text=f"<b>{lead}</b>", x=0, xref="paper", xanchor="right", xshift=-4, y=offset,
                          yref="y", showarrow=False, font=dict(size=12)) for lead, offset in offsets.items()],
        hovermode="closest", dragmode="zoom", uirevision="ecg",
    )
