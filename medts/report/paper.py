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
>>> float(round(mm_per_unit(fig.axes[0]), 3))
1.0
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from medts.record import ECG

if TYPE_CHECKING:  # matplotlib is imported when a page is drawn: the layout and SVG need none of it
    from matplotlib.figure import Figure
    from matplotlib.path import Path


def _matplotlib() -> None:
    """Import matplotlib headless (reports are rendered in batch workers and servers)."""
    import matplotlib

    matplotlib.use("Agg")

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
    from matplotlib.path import Path

    codes = np.tile([Path.MOVETO, Path.LINETO], len(segments))
    return Path(segments.reshape(-1, 2), codes)


def _grid(ax, width: float, height: float) -> None:
    """1 mm minor and 5 mm major grid, each one compound path (fast in every backend)."""
    from matplotlib.patches import PathPatch

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


def _rows(ecg: ECG, start_s: float, strip_s: float, *, stacked: bool,
          leads: list[str] | None) -> tuple[list[list[tuple[str, float, float]]], str | None]:
    """Rows of (lead, start_s, length_s) segments and the rhythm-strip lead (``None``: stacked)."""
    duration = max(min(ecg.duration_s - start_s, strip_s), 0.0)
    if not stacked and all(ecg.has_lead(lead) for row in LAYOUT_3X4 for lead in row):
        col = duration / 4
        rows = [[(lead, start_s + i * col, col) for i, lead in enumerate(row)] for row in LAYOUT_3X4]
        rhythm = "II"
        rows.append([(rhythm, start_s, duration)])
        return rows, rhythm
    shown = [lead for lead in (leads or ecg.leads) if ecg.has_lead(lead)] or list(ecg.leads)
    return [[(lead, start_s, duration)] for lead in shown], None


@dataclass(frozen=True)
class Span:
    """A shaded rectangle on the grid (mm): P/QRS/T marks and anomalies."""

    x0: float
    x1: float
    y0: float
    y1: float
    color: str
    alpha: float


@dataclass(frozen=True)
class PaperLayout:
    """Everything drawn on the grid, in paper millimetres (x right, y up, origin at the grid's
    lower-left corner); every renderer (:func:`plot_paper`, :func:`paper_svg`, the app's
    :func:`medts.ui.plots.ecg_figure`) draws exactly this.

    ``rows``: each row's baseline (mm) and its (lead, start_s, length_s) segments; ``lines``:
    vertices ``[n, 2]`` of the calibration pulses and traces (one per segment, in ``rows``
    order, after each row's pulse); ``labels``: (x, y, lead name); ``footer``: the speed/gain
    line printed under the grid; ``size_mm``: the grid's width and height; ``row_mm``: one
    row's height; ``start_s``: the record time at the left edge of the traces.
    """

    rows: list[tuple[float, list[tuple[str, float, float]]]]
    lines: list[np.ndarray]
    labels: list[tuple[float, float, str]]
    spans: list[Span]
    footer: str
    size_mm: tuple[float, float] = PLOT_MM
    row_mm: float = PLOT_MM[1] / 4
    start_s: float = 0.0

    def x_mm(self, t_s: float) -> float:
        """Where record time ``t_s`` lies on a full-width strip (mm from the grid's left edge)."""
        return CAL_MM + (t_s - self.start_s) * MM_PER_S


def paper_layout(ecg: ECG, overlay: Overlay | None = None, *, start_s: float = 0.0, strip_s: float = STRIP_S,
                 stacked: bool = False, leads: list[str] | None = None, row_mm: float | None = None) -> PaperLayout:
    """The 3 x 4 + rhythm strip layout of ``ecg`` (one strip per lead without the 12 leads), in mm.

    The defaults draw the printed page (the first 10 s, rows sharing the 160 mm grid height).
    The app also asks for: ``start_s`` (the record time the strips start at), ``strip_s`` (a
    longer or shorter window), ``stacked`` (one full-width strip per lead, ``leads`` in that
    order, instead of 3 x 4) and ``row_mm`` (a fixed row height; the grid grows with the rows).
    """
    start_s = float(min(max(start_s, 0.0), max(ecg.duration_s - 0.5, 0.0)))
    rows, rhythm = _rows(ecg, start_s, strip_s, stacked=stacked, leads=leads)
    row_h = row_mm if row_mm is not None else PLOT_MM[1] / max(len(rows), 1)
    width = PLOT_MM[0] + (strip_s - STRIP_S) * MM_PER_S  # the printed page's right margin kept
    height = row_h * len(rows) if row_mm is not None else PLOT_MM[1]
    lines, labels, layout = [], [], []
    for r, segments in enumerate(rows):
        baseline = height - (r + 0.6) * row_h
        lines.append(calibration_pulse(1.0, baseline))
        for lead, seg_start, length_s in segments:
            a, b = int(round(seg_start * ecg.fs)), int(round((seg_start + length_s) * ecg.fs))
            x0 = CAL_MM + (seg_start - start_s) * MM_PER_S
            lines.append(_trace(ecg.lead(lead)[a:b], ecg.fs, x0, baseline))
            label = f"{lead} (rhythm)" if rhythm and len(segments) == 1 and r == len(rows) - 1 else lead
            labels.append((x0 + 1.0, baseline + 0.35 * row_h, label))
        layout.append((baseline, segments))
    footer = f"{MM_PER_S:g} mm/s   {MM_PER_MV:g} mm/mV   grid 1 mm / 5 mm"
    shown_s = min(strip_s, ecg.duration_s - start_s)
    if start_s > 0 or ecg.duration_s > start_s + strip_s + 1e-9:
        footer += f"   ({start_s:g}-{start_s + shown_s:g} s of {ecg.duration_s:.0f} s shown)"
    result = PaperLayout(rows=layout, lines=lines, labels=labels, spans=[], footer=footer, size_mm=(width, height),
                         row_mm=row_h, start_s=start_s)
    if overlay is None:
        return result
    return PaperLayout(rows=layout, lines=lines, labels=labels, spans=_overlay_spans(overlay, result), footer=footer,
                       size_mm=(width, height), row_mm=row_h, start_s=start_s)


def lead_spans(layout: PaperLayout, start_s: float, end_s: float, lead: str | None = None, *,
               full_width_only: bool = False) -> list[tuple[float, float, float, float]]:
    """Rectangles ``(x0, x1, y0, y1)`` in mm covering record times ``start_s``..``end_s`` on every
    segment of ``lead`` (``None``: every segment of every row) that shows those times, each as
    tall as its row; ``full_width_only``: only on full-width strips (the printed wave marks)."""
    out = []
    for baseline, segments in layout.rows:
        if full_width_only and len(segments) != 1:
            continue
        for seg_lead, seg_start, length_s in segments:
            if lead is not None and seg_lead != lead:
                continue
            lo, hi = max(start_s, seg_start), min(end_s, seg_start + length_s)
            if hi <= lo:
                continue
            x0 = CAL_MM + (seg_start - layout.start_s) * MM_PER_S
            out.append((x0 + (lo - seg_start) * MM_PER_S, x0 + (hi - seg_start) * MM_PER_S,
                        max(baseline - 0.55 * layout.row_mm, 0.0), min(baseline + 0.4 * layout.row_mm, layout.size_mm[1])))
    return out


def _overlay_spans(overlay: Overlay, layout: PaperLayout) -> list[Span]:
    """Anomaly spans on every row at their time; P/QRS/T spans on full-width strips only."""
    spans = [Span(*box, ANOMALY_COLOR, 0.35) for a, b in overlay.anomalies for box in lead_spans(layout, a, b)]
    spans += [Span(*box, WAVE_COLORS.get(kind, "grey"), 0.18) for kind, a, b in overlay.waves
              for box in lead_spans(layout, a, b, full_width_only=True)]
    return spans


NOTICE_WRAP_CHARS = 130
"""Characters per line of the draft notice in the page header (fits 270 mm at 9 pt bold)."""


def plot_paper(ecg: ECG, *, title: str = "", subtitle: str = "", notice: str = "",
               overlay: Overlay | None = None) -> Figure:
    """Draw ``ecg`` on A4 landscape ECG paper (1 data unit = 1 mm) with matplotlib (PNG, PDF).

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
    _matplotlib()
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    layout = paper_layout(ecg, overlay)
    fig = Figure(figsize=(PAGE_MM[0] / 25.4, PAGE_MM[1] / 25.4))
    width, height = PLOT_MM
    ax = fig.add_axes((PLOT_ORIGIN_MM[0] / PAGE_MM[0], PLOT_ORIGIN_MM[1] / PAGE_MM[1],
                       width / PAGE_MM[0], height / PAGE_MM[1]))
    ax.set_xlim(0.0, width)
    ax.set_ylim(0.0, height)
    ax.set_axis_off()
    _grid(ax, width, height)
    for x, y, label in layout.labels:
        ax.text(x, y, label, fontsize=8, fontweight="bold", zorder=3)
    if layout.spans:  # one collection, not one patch per span (axvspan cost 0.1 s per record)
        ax.add_collection(PolyCollection([[(s.x0, s.y0), (s.x1, s.y0), (s.x1, s.y1), (s.x0, s.y1)] for s in layout.spans],
                                         facecolors=[to_rgba(s.color, s.alpha) for s in layout.spans], linewidths=0,
                                         zorder=1))
    ax.add_collection(LineCollection(layout.lines, colors=TRACE_COLOR, linewidths=0.7, zorder=2))
    fig.medts_rows = layout.rows  # type: ignore[attr-defined]

    top = 1.0 - 6.0 / PAGE_MM[1]
    if notice:
        # Wrapped here, not with wrap=True: matplotlib's wrapping measured every word (0.08 s per page).
        fig.text(0.5, top, "\n".join(textwrap.wrap(notice, NOTICE_WRAP_CHARS)), ha="center", va="top", fontsize=9,
                 color="#b00000", fontweight="bold",
                 bbox={"boxstyle": "square,pad=0.4", "facecolor": "#fff2f2", "edgecolor": "#b00000", "linewidth": 1.2})
    fig.text(PLOT_ORIGIN_MM[0] / PAGE_MM[0], top - 0.07, title, ha="left", va="top", fontsize=9, fontweight="bold")
    fig.text(PLOT_ORIGIN_MM[0] / PAGE_MM[0], top - 0.10, subtitle, ha="left", va="top", fontsize=7.5)
    fig.text(1 - PLOT_ORIGIN_MM[0] / PAGE_MM[0], PLOT_ORIGIN_MM[1] / PAGE_MM[1] - 0.01, layout.footer,
             ha="right", va="top", fontsize=7)
    return fig


# -- direct SVG ----------------------------------------------------------------------------------
PT_MM = 25.4 / 72.0  # one typographic point in mm
SVG_UNITS_PER_MM = 100  # trace coordinates are written as integers in 10 um steps


def _svg_x(x_mm: float) -> float:
    return PLOT_ORIGIN_MM[0] + x_mm


def _svg_y(y_mm: float) -> float:
    """Grid y (mm, up) -> SVG page y (mm, down)."""
    return PAGE_MM[1] - PLOT_ORIGIN_MM[1] - y_mm


def _svg_grid_path(step: float, skip_every: int | None = None) -> str:
    width, height = PLOT_MM
    top, bottom, left, right = _svg_y(height), _svg_y(0.0), _svg_x(0.0), _svg_x(width)
    xs = np.arange(0.0, width + 1e-6, step)
    ys = np.arange(0.0, height + 1e-6, step)
    if skip_every:
        xs = xs[np.round(xs / step).astype(int) % skip_every != 0]
        ys = ys[np.round(ys / step).astype(int) % skip_every != 0]
    return ("".join(f"M{_svg_x(x):g} {top:g}V{bottom:g}" for x in xs)
            + "".join(f"M{left:g} {_svg_y(y):g}H{right:g}" for y in ys))


def _svg_polyline_path(lines: list[np.ndarray]) -> str:
    """One path ``d`` for all ``lines`` (grid mm): absolute start, then relative integer steps of 10 um."""
    parts = []
    for v in lines:
        pts = np.rint(np.column_stack([_svg_x(v[:, 0]), _svg_y(v[:, 1])]) * SVG_UNITS_PER_MM).astype(np.int64)
        steps = np.diff(pts, axis=0).ravel().tolist()  # [2 * (n - 1)] dx, dy pairs: short numbers, exact
        parts.append(f"M{pts[0, 0]} {pts[0, 1]}l" + " ".join(map(str, steps)))
    return "".join(parts)


def _svg_text(x: float, y: float, text: str, size_pt: float, *, bold: bool = False, anchor: str = "start",
              color: str = "black") -> str:
    weight = ' font-weight="bold"' if bold else ""
    fill = f' fill="{color}"' if color != "black" else ""
    return (f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size_pt * PT_MM:.3f}"{weight}{fill} '
            f'text-anchor="{anchor}">{html.escape(_keep_spaces(text))}</text>')


def _keep_spaces(text: str) -> str:
    """Runs of spaces as no-break spaces: SVG collapses whitespace (the footer's gaps)."""
    return re.sub(r" {2,}", lambda m: "\u00a0" * len(m.group()), text)


def paper_svg(ecg: ECG, *, title: str = "", subtitle: str = "", notice: str = "",
              overlay: Overlay | None = None) -> str:
    """The same page as :func:`plot_paper`, written directly as SVG text (no matplotlib).

    The page is ``297mm x 210mm`` with a viewBox in millimetres, so it prints at 25 mm/s and
    10 mm/mV at 100 %. The grid is two paths, the traces one path of integer 10 um steps and text
    stays text: about 5 ms per record instead of 0.3 s for matplotlib's SVG of the same figure.

    >>> from medts.examples import simulate_example
    >>> svg = paper_svg(simulate_example("sinus"), notice="DRAFT")
    >>> svg.startswith("<svg") and 'width="297mm"' in svg
    True
    """
    layout = paper_layout(ecg, overlay)
    w, h = PAGE_MM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm" viewBox="0 0 {w:g} {h:g}" '
           'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           f'<rect width="{w:g}" height="{h:g}" fill="white"/>',
           f'<path class="grid-minor" d="{_svg_grid_path(1.0, skip_every=5)}" fill="none" stroke="{MINOR_COLOR}" '
           f'stroke-width="{0.3 * PT_MM:.3f}"/>',
           f'<path class="grid-major" d="{_svg_grid_path(5.0)}" fill="none" stroke="{MAJOR_COLOR}" '
           f'stroke-width="{0.6 * PT_MM:.3f}"/>']
    for s in layout.spans:
        out.append(f'<rect x="{_svg_x(s.x0):.2f}" y="{_svg_y(s.y1):.2f}" width="{s.x1 - s.x0:.2f}" '
                   f'height="{s.y1 - s.y0:.2f}" fill="{s.color}" fill-opacity="{s.alpha:g}"/>')
    unit = 1.0 / SVG_UNITS_PER_MM
    out.append(f'<path class="traces" transform="scale({unit:g})" d="{_svg_polyline_path(layout.lines)}" fill="none" '
               f'stroke="{TRACE_COLOR}" stroke-width="{0.7 * PT_MM * SVG_UNITS_PER_MM:.1f}" stroke-linejoin="round"/>')
    out += [_svg_text(_svg_x(x), _svg_y(y), label, 8, bold=True) for x, y, label in layout.labels]
    y = 6.0
    if notice:
        wrapped = textwrap.wrap(notice, NOTICE_WRAP_CHARS)
        line_h = 9 * PT_MM * 1.25
        out.append(f'<rect x="{PLOT_ORIGIN_MM[0]:g}" y="{y - 1.5:g}" width="{PLOT_MM[0]:g}" '
                   f'height="{len(wrapped) * line_h + 2.5:.2f}" fill="#fff2f2" stroke="#b00000" stroke-width="0.42"/>')
        out += [_svg_text(w / 2, y + (i + 0.8) * line_h, text, 9, bold=True, anchor="middle", color="#b00000")
                for i, text in enumerate(wrapped)]
    out.append(_svg_text(PLOT_ORIGIN_MM[0], 6.0 + 0.07 * h + 3.2, title, 9, bold=True))
    out.append(_svg_text(PLOT_ORIGIN_MM[0], 6.0 + 0.10 * h + 2.7, subtitle, 7.5))
    out.append(_svg_text(w - PLOT_ORIGIN_MM[0], h - PLOT_ORIGIN_MM[1] + 0.01 * h + 2.5, layout.footer, 7, anchor="end"))
    out.append("</svg>\n")
    return "\n".join(out)


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int = 150, close: bool = True) -> bytes:
    """Render ``fig`` to PNG or SVG bytes (150 dpi PNG: 1 mm = 5.9 px, readable when printed).

    SVG keeps text as ``<text>`` elements (``svg.fonttype: none``): no glyph outlines to
    compute, so it is about 2x faster than PNG and stays sharp at print size.
    """
    _matplotlib()
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}  # zlib level 6 costs ~30 % more time
    with matplotlib.rc_context({"svg.fonttype": "none"} if fmt == "svg" else {}):
        fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white", **extra)
    if close:
        plt.close(fig)
    return buffer.getvalue()
