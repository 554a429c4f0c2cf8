"""The ECG-paper plot: 25 mm/s, 10 mm/mV, 1 mm / 5 mm grid and a 1 mV calibration pulse at print size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from medts.examples import simulate_example
from medts.record import ECG
from medts.report.paper import MM_PER_MV, MM_PER_S, PAGE_MM, figure_bytes, mm_per_unit, plot_paper

DPI = 200
PX_PER_MM = DPI / 25.4


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    fig = plot_paper(simulate_example("sinus"), title="t", notice="DRAFT")
    return np.asarray(Image.open(io.BytesIO(figure_bytes(fig, dpi=DPI))).convert("RGB")).astype(int)


def test_axes_geometry_is_one_millimetre_per_unit_on_a4():
    fig = plot_paper(simulate_example("sinus"))
    ax = fig.axes[0]
    assert (fig.get_figwidth() * 25.4, fig.get_figheight() * 25.4) == pytest.approx(PAGE_MM)
    assert mm_per_unit(ax) == pytest.approx(1.0, abs=1e-6)
    height_in = ax.get_position().height * fig.get_figheight()
    assert height_in * 25.4 / np.ptp(ax.get_ylim()) == pytest.approx(1.0, abs=1e-6)
    assert (MM_PER_S, MM_PER_MV) == (25.0, 10.0)
    # 3x4 + rhythm strip: 4 rows; the last is one 10 s lead II strip = 250 mm of trace.
    rows = fig.medts_rows
    assert [len(segs) for _, segs in rows] == [4, 4, 4, 1] and rows[-1][1][0][0] == "II"


def test_trace_scale_is_25_mm_per_s_and_10_mm_per_mv():
    t = np.arange(2500) / 250.0
    square = np.where((t % 2.0) < 1.0, 0.0, 1.0).astype(np.float32)  # 1 mV steps every second
    fig = plot_paper(ECG(square[:, None], fs=250.0, leads=["II"]))
    collection = fig.axes[0].collections[-1]  # the traces
    trace = collection.get_segments()[-1]
    rising = np.flatnonzero(np.diff(trace[:, 1]) > 5)
    assert np.diff(trace[rising, 0]) == pytest.approx(2 * MM_PER_S, abs=0.2)
    assert np.ptp(trace[:, 1]) == pytest.approx(MM_PER_MV, abs=0.01)


def _dark(img: np.ndarray) -> np.ndarray:
    return (img < 90).all(axis=2)


def test_png_shows_a_10_mm_by_5_mm_calibration_pulse(page):
    dark = _dark(page)
    # Calibration area: the first 10 mm of the grid, left of every trace (grid starts 13.5 mm in).
    x0, x1 = int(13.6 * PX_PER_MM), int(23.0 * PX_PER_MM)
    top_px = int((PAGE_MM[1] - 10.0 - 160.0) * PX_PER_MM)  # the grid spans 160 mm above a 10 mm margin
    rows = top_px + np.flatnonzero(dark[top_px:page.shape[0] - int(10.0 * PX_PER_MM), x0:x1].any(axis=1))
    assert rows.size, "no calibration pulse found"
    # Split into the 4 pulses (one per row) by gaps in the vertical extent.
    groups = np.split(rows, np.flatnonzero(np.diff(rows) > 5) + 1)
    assert len(groups) == 4
    for g in groups:
        height_mm = (g[-1] - g[0]) / PX_PER_MM
        assert height_mm == pytest.approx(10.0, abs=0.4)  # 1 mV at 10 mm/mV (plus line width)
        top = dark[g[0] + 1, x0:x1]
        assert top.sum() / PX_PER_MM == pytest.approx(5.0, abs=0.5)  # 200 ms at 25 mm/s


def test_png_grid_has_1_mm_minor_and_5_mm_major_lines(page):
    # A pixel row inside the grid and above the first row's traces (its labels sit further right).
    y = page.shape[0] - int((10.0 + 158.5) * PX_PER_MM)
    line = page[y, int(200 * PX_PER_MM):int(280 * PX_PER_MM)]
    red = (line[:, 0] > 200) & (line[:, 1] < 235)  # pink/red grid colours, not white
    starts = np.flatnonzero(red[1:] & ~red[:-1]) + 1
    spacing = np.diff(starts) / PX_PER_MM
    assert np.median(spacing) == pytest.approx(1.0, abs=0.1)
    major = (line[:, 1] < 160) & (line[:, 0] > 180)
    mstarts = np.flatnonzero(major[1:] & ~major[:-1]) + 1
    assert np.median(np.diff(mstarts)) / PX_PER_MM == pytest.approx(5.0, abs=0.2)


def test_records_without_12_leads_get_one_strip_per_lead():
    ecg = simulate_example("sinus").select_leads(["II", "V5"])
    fig = plot_paper(ecg)
    assert [segs[0][0] for _, segs in fig.medts_rows] == ["II", "V5"]


# -- the direct SVG page (HTML reports) ------------------------------------------------------------
def _svg_paths(svg: str) -> dict[str, str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("width") == "297mm" and root.get("height") == "210mm"
    assert root.get("viewBox") == "0 0 297 210"  # 1 user unit = 1 mm on paper
    return {p.get("class"): p for p in root.iter(f"{ns}path")}


def _absolute_points(d: str, scale: float) -> list[np.ndarray]:
    """Subpaths of ``M x y l dx dy ...`` (relative steps) as absolute points in mm."""
    import re

    out = []
    for sub in re.findall(r"M(-?\d+) (-?\d+)l([-\d ]*)", d):
        start = np.array([float(sub[0]), float(sub[1])])
        steps = np.array(sub[2].split(), dtype=float).reshape(-1, 2)
        out.append(np.vstack([start, start + np.cumsum(steps, axis=0)]) * scale)
    return out


def test_svg_page_grid_is_1_mm_minor_and_5_mm_major():
    import re

    from medts.report.paper import paper_svg

    paths = _svg_paths(paper_svg(simulate_example("sinus"), notice="DRAFT for clinician review"))
    for name, step in (("grid-minor", 1.0), ("grid-major", 5.0)):
        xs = sorted({float(x) for x in re.findall(r"M([\d.]+) [\d.]+V", paths[name].get("d"))})
        spacing = np.diff(xs)
        if name == "grid-minor":  # every 5th line is left to the major grid
            assert set(np.round(spacing, 6)) == {1.0, 2.0} and len(xs) == 271 - 55  # 0-270 mm less multiples of 5
        else:
            assert np.allclose(spacing, step) and len(xs) == 270 // 5 + 1


def test_svg_traces_are_25_mm_per_s_and_10_mm_per_mv_with_a_1_mv_calibration_pulse():
    from medts.report.paper import SVG_UNITS_PER_MM, paper_svg

    t = np.arange(2500) / 250.0
    square = np.where((t % 2.0) < 1.0, 0.0, 1.0).astype(np.float32)  # 1 mV steps every second
    paths = _svg_paths(paper_svg(ECG(square[:, None], fs=250.0, leads=["II"])))
    calibration, trace = _absolute_points(paths["traces"].get("d"), 1.0 / SVG_UNITS_PER_MM)
    # SVG y grows downwards: a 1 mV pulse goes 10 mm up, 200 ms wide (5 mm at 25 mm/s).
    assert np.ptp(calibration[:, 1]) == pytest.approx(10.0, abs=0.02)
    top = calibration[calibration[:, 1] == calibration[:, 1].min()]
    assert np.ptp(top[:, 0]) == pytest.approx(5.0, abs=0.02)
    rising = np.flatnonzero(np.diff(trace[:, 1]) < -5)  # upward steps
    assert np.diff(trace[rising, 0]) == pytest.approx(2 * MM_PER_S, abs=0.05)
    assert np.ptp(trace[:, 1]) == pytest.approx(MM_PER_MV, abs=0.02)
    assert np.ptp(trace[:, 0]) == pytest.approx(10.0 * MM_PER_S, abs=0.2)  # the 10 s strip


def test_svg_and_matplotlib_pages_draw_the_same_layout():
    from medts.report.paper import Overlay, paper_layout, paper_svg

    ecg = simulate_example("sinus")
    overlay = Overlay(waves=(("QRS", 1.0, 1.1),), anomalies=((2.0, 2.5),))
    layout = paper_layout(ecg, overlay)
    fig = plot_paper(ecg, overlay=overlay)
    assert fig.medts_rows == layout.rows
    svg = paper_svg(ecg, title="t <&>", notice="DRAFT", overlay=overlay)
    assert "t &lt;&amp;&gt;" in svg  # text from records is escaped
    assert svg.count("<rect") == 1 + 1 + len(layout.spans)  # page, notice box, spans
    # anomaly span on every row at 2.0-2.5 s; the QRS mark on the rhythm strip only
    assert len(layout.spans) == 4 + 1 and all(0 <= s.y0 < s.y1 <= 160 for s in layout.spans)
