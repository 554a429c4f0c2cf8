"""The tracing on ECG paper: 25 mm/s, 10 mm/mV, 1 mm and 5 mm grid, 1 mV calibration pulse.

The figure is an A4 landscape page whose plot axes are laid out so that **one data unit is
one millimetre on paper** (the axes size in inches times 25.4 equals its data range); traces
are drawn at ``x = t * 25`` mm and ``y = v * 10`` mm, so a printout at 100 % has the standard
speed and gain. Layout: the standard 3 x 4 grid (I, aVR, V1, V4 / II, aVL, V2, V5 / III, aVF, V3,
V6; each column 2.5 s of the same time window) plus a 10 s lead II rhythm strip. Records without
the 12 standard leads get one full-width strip per lead. Every row starts with a 1 mV, 200 ms
calibration pulse. Optional overlays: P/QRS/T spans on the rhythm strip and anomaly spans.

Example
-------
>>> from medts.examples import simulate_example
>>> fig = plot_paper(simulate_example("sinus"), title="sinus")
>>> round(mm_per_unit(fig.axes[0]), 3)
1.0
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless: reports are rendered in batch workers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from medts.record import ECG  # noqa: E402

MM_PER_S = 25.0
MM_PER_MV = 10.0
PAGE_MM = (297.0, 210.0)  # A4 landscape
PLOT_MM = (270.0, 160.0)  # grid area: 10 mm calibration + 10 s * 25 mm/s; 4 rows of 40 mm
PLOT_ORIGIN_MM = (13.5, 10.0)  # lower-left corner of the grid on the page
CAL_MM = 10.0  # space before each row for the calibration pulse
CAL_WIDTH_S = 0.2
STRIP_S = 10.0
LAYOUT_3X4 = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
MINOR_COLOR, MAJOR_COLOR, TRACE_COLOR = "#f6c6c6", "#e58080", "black"
WAVE_COLORS = {"P": "#3b7dd8", "QRS": "#d83b3b", "T": "#2e9e4f"}
ANOMALY_COLOR = "#ff9900"


@dataclass(frozen=True)
class Overlay:
    """Spans to shade, in seconds from record start: ``(kind, onset_s, offset_s)``."""

    waves: tuple[tuple[str, float, float], ...] = ()
    anomalies: tuple[tuple[float, float], ...] = ()


def mm_per_unit(ax) -> float:
    """Millimetres on paper per data unit along x (1.0 for a correctly scaled paper axes)."""
    fig = ax.figure
    width_in = ax.get_position().width * fig.get_figwidth()
    x0, x1 = ax.get_xlim()
    return width_in * 25.4 / (x1 - x0)


def grid_path(width: float, height: float, step: float, *, skip_every: int | None = None) -> Path:
    """One compound path (MOVETO/LINETO pairs) of vertical and horizontal lines every ``step`` mm.

    ``skip_every=5`` leaves out every 5th line (drawn by the major grid). A single path is one
    draw call and one element in SVG/PDF, instead of one per line.
    """
    xs = np.arange(0.0, width + 1e-6, step)
    ys = np.arange(0.0, height + 1e-6, step)
    if skip_every:
        xs = xs[np.round(xs / step).astype(int) % skip_every != 0]
        ys = ys[np.round(ys / step).astype(int) % skip_every != 0]
    vertical = np.stack([np.column_stack([xs, np.zeros_like(xs)]), np.column_stack([xs, np.full_like(xs, height)])], axis=1)
    horizontal = np.stack([np.column_stack([np.zeros_like(ys), ys]), np.column_stack([np.full_like(ys, width), ys])], axis=1)
    segments = np.concatenate([vertical, horizontal])  # [n_lines, 2 ends, xy]
    codes = np.tile([Path.MOVETO, Path.LINETO], len(segments))
    return Path(segments.reshape(-1, 2), codes)


def _grid(ax, width: float, height: float) -> None:
    """1 mm minor and 5 mm major grid, each one compound path (fast in every backend)."""
    ax.add_patch(PathPatch(grid_path(width, height, 1.0, skip_every=5), fill=False, edgecolor=MINOR_COLOR,
                           linewidth=0.3, zorder=0))
    ax.add_patch(PathPatch(grid_path(width, height, 5.0), fill=False, edgecolor=MAJOR_COLOR, linewidth=0.6, zorder=0))


def calibration_pulse(x0: float, baseline: float) -> np.ndarray:
    """Vertices ``[n, 2]`` (mm) of a 1 mV x 200 ms pulse starting at ``x0`` on ``baseline``."""
    w, h = CAL_WIDTH_S * MM_PER_S, 1.0 * MM_PER_MV
    return np.array([(x0, baseline), (x0 + 1.5, baseline), (x0 + 1.5, baseline + h), (x0 + 1.5 + w, baseline + h),
                     (x0 + 1.5 + w, baseline), (x0 + 3.0 + w, baseline)])


def _trace(x: np.ndarray, fs: float, x0: float, baseline: float) -> np.ndarray:
    """Vertices (mm) of a signal segment in mV: median-centred on ``baseline``."""
    t = np.arange(len(x)) / fs
    return np.column_stack([x0 + t * MM_PER_S, baseline + (x - np.median(x)) * MM_PER_MV])


def _rows(ecg: ECG) -> tuple[list[list[tuple[str, float, float]]], str | None]:
    """Rows of (lead, start_s, length_s) segments and the rhythm-strip lead."""
    duration = min(ecg.duration_s, STRIP_S)
    if all(ecg.has_lead(lead) for row in LAYOUT_3X4 for lead in row):
        col = duration / 4
        rows = [[(lead, i * col, col) for i, lead in enumerate(row)] for row in LAYOUT_3X4]
        rhythm = "II"
        rows.append([(rhythm, 0.0, duration)])
        return rows, rhythm
    return [[(lead, 0.0, duration)] for lead in ecg.leads], None


def plot_paper(ecg: ECG, *, title: str = "", subtitle: str = "", notice: str = "",
               overlay: Overlay | None = None) -> Figure:
    """Draw ``ecg`` on A4 landscape ECG paper (1 data unit = 1 mm).

    Parameters
    ----------
    ecg : ECG
        Any record; only the first 10 s are drawn (the header says so when longer).
    title, subtitle, notice : str
        Header lines; ``notice`` (the draft notice) is printed in bold red.
    overlay : Overlay, optional
        P/QRS/T spans (rhythm strip) and anomaly spans (every row at that time).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` is the paper axes; ``fig.medts_rows`` lists each row's baseline (mm) and
        segments, for tests and overlays.
    """
    fig = Figure(figsize=(PAGE_MM[0] / 25.4, PAGE_MM[1] / 25.4))
    width, height = PLOT_MM
    ax = fig.add_axes((PLOT_ORIGIN_MM[0] / PAGE_MM[0], PLOT_ORIGIN_MM[1] / PAGE_MM[1],
                       width / PAGE_MM[0], height / PAGE_MM[1]))
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    ax.set_axis_off()
    _grid(ax, width, height)

    rows, rhythm = _rows(ecg)
    row_h = height / max(len(rows), 1)
    lines, layout = [], []
    for r, segments in enumerate(rows):
        baseline = height - (r + 0.6) * row_h
        lines.append(calibration_pulse(1.0, baseline))
        for lead, start_s, length_s in segments:
            a, b = int(round(start_s * ecg.fs)), int(round((start_s + length_s) * ecg.fs))
            x0 = CAL_MM + start_s * MM_PER_S
            lines.append(_trace(ecg.lead(lead)[a:b], ecg.fs, x0, baseline))
            label = f"{lead} (rhythm)" if rhythm and len(segments) == 1 and r == len(rows) - 1 else lead
            ax.text(x0 + 1.0, baseline + 0.35 * row_h, label, fontsize=8, fontweight="bold", zorder=3)
        layout.append((baseline, segments))
    ax.add_collection(LineCollection(lines, colors=TRACE_COLOR, linewidths=0.7, zorder=2))
    if overlay is not None:
        _overlays(ax, overlay, layout, row_h)
    fig.medts_rows = layout  # type: ignore[attr-defined]

    top = 1.0 - 6.0 / PAGE_MM[1]
    if notice:
        fig.text(0.5, top, notice, ha="center", va="top", fontsize=9, color="#b00000", fontweight="bold", wrap=True,
                 bbox={"boxstyle": "square,pad=0.4", "facecolor": "#fff2f2", "edgecolor": "#b00000", "linewidth": 1.2})
    fig.text(PLOT_ORIGIN_MM[0] / PAGE_MM[0], top - 0.07, title, ha="left", va="top", fontsize=9, fontweight="bold")
    fig.text(PLOT_ORIGIN_MM[0] / PAGE_MM[0], top - 0.10, subtitle, ha="left", va="top", fontsize=7.5)
    speed = f"{MM_PER_S:g} mm/s   {MM_PER_MV:g} mm/mV   grid 1 mm / 5 mm"
    if ecg.duration_s > STRIP_S:
        speed += f"   (first {STRIP_S:g} s of {ecg.duration_s:.0f} s shown)"
    fig.text(1 - PLOT_ORIGIN_MM[0] / PAGE_MM[0], PLOT_ORIGIN_MM[1] / PAGE_MM[1] - 0.01, speed,
             ha="right", va="top", fontsize=7)
    return fig


def _overlays(ax, overlay: Overlay, layout, row_h: float) -> None:
    for baseline, segments in layout:
        for lead, start_s, length_s in segments:
            x0 = CAL_MM + start_s * MM_PER_S
            spans = [(ANOMALY_COLOR, a, b, 0.35) for a, b in overlay.anomalies]
            if len(segments) == 1:  # full-width strips carry the wave marks
                spans += [(WAVE_COLORS.get(kind, "grey"), a, b, 0.18) for kind, a, b in overlay.waves]
            for color, a, b, alpha in spans:
                lo, hi = max(a, start_s), min(b, start_s + length_s)
                if hi > lo:
                    ax.axvspan(x0 + (lo - start_s) * MM_PER_S, x0 + (hi - start_s) * MM_PER_S,
                               ymin=(baseline - 0.55 * row_h) / PLOT_MM[1], ymax=(baseline + 0.4 * row_h) / PLOT_MM[1],
                               color=color, alpha=alpha, lw=0, zorder=1)


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int = 150, close: bool = True) -> bytes:
    """Render ``fig`` to PNG or SVG bytes (150 dpi PNG: 1 mm = 5.9 px, readable when printed).

    SVG keeps text as ``<text>`` elements (``svg.fonttype: none``): no glyph outlines to
    compute, so it is about 2x faster than PNG and stays sharp at print size.
    """
    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}  # zlib level 6 costs ~30 % more time
    with matplotlib.rc_context({"svg.fonttype": "none"} if fmt == "svg" else {}):
        fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white", **extra)
    if close:
        plt.close(fig)
    return buffer.getvalue()
