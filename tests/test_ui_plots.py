"""Tests of medts.ui.plots: the report's paper layout drawn in plotly, its overlays, both views."""

from __future__ import annotations

import numpy as np
import pytest

from medts.record import ECG
from medts.report.paper import CAL_MM, MM_PER_MV, MM_PER_S, paper_layout
from medts.simulate import simulate_12lead
from medts.ui.plots import (
    MAX_POINTS_PER_SEGMENT,
    VIEWS,
    Region,
    WaveBox,
    decimate_minmax,
    ecg_figure,
)

GRID_3X4, STACKED = VIEWS


@pytest.fixture(scope="module")
def ecg():
    return simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=1)


def _lines(fig):
    return [t for t in fig.data if t.mode == "lines" and not t.name.startswith("calibration")]


def _xs(trace) -> np.ndarray:
    """A trace's x (mm): its ``x`` array, or ``x0 + i * dx`` for evenly spaced samples."""
    if trace.x is not None:
        return np.asarray(trace.x, float)
    return trace.x0 + trace.dx * np.arange(len(trace.y))


def _boxes(trace) -> np.ndarray:
    """``[n, 4]`` rectangles (x0, x1, y0, y1) of a filled overlay trace."""
    x = np.asarray(trace.x, float).reshape(-1, 6)[:, :5]
    y = np.asarray(trace.y, float).reshape(-1, 6)[:, :5]
    return np.column_stack([x.min(1), x.max(1), y.min(1), y.max(1)])


def _by_name(fig):
    return {t.name: t for t in fig.data}


def test_3x4_view_is_the_report_layout_at_25_mm_per_s_and_10_mm_per_mv(ecg) -> None:
    fig = ecg_figure(ecg)
    lines = _lines(fig)
    # I, aVR, V1, V4 / II, aVL, V2, V5 / III, aVF, V3, V6 / the lead II rhythm strip
    assert [t.name for t in lines] == ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6", "II"]
    assert lines[-1].meta["rhythm"] and not lines[0].meta["rhythm"]
    # Exactly the printed page's vertices (one layout function for the report and the app).
    layout = paper_layout(ecg, row_mm=40.0)
    traces_mm = [v for i, v in enumerate(layout.lines) if i not in (0, 5, 10, 15)]  # skip each row's pulse
    for trace, v in zip(lines, traces_mm, strict=True):
        assert np.allclose(_xs(trace), v[:, 0], atol=1e-3) and np.allclose(trace.y, v[:, 1], atol=1e-3)
    # columns of 2.5 s: V1 starts 5 s (125 mm) after the pulse; the rhythm strip is 10 s = 250 mm
    v1 = _xs(lines[2])
    assert v1[0] == pytest.approx(CAL_MM + 5.0 * MM_PER_S) and np.ptp(v1) == pytest.approx(2.5 * MM_PER_S, abs=0.1)
    assert np.ptp(_xs(lines[-1])) == pytest.approx(10.0 * MM_PER_S, abs=0.1)
    # voltage: 1 mm per 0.1 mV (the trace's range is the lead's range times 10)
    assert np.ptp(np.asarray(lines[-1].y, float)) == pytest.approx(10.0 * np.ptp(ecg.lead("II")), rel=1e-4)
    # paper: 1 mm minor and 5 mm major grid, square millimetres
    x, y = fig.layout.xaxis, fig.layout.yaxis
    assert (x.dtick, x.minor.dtick, y.dtick, y.minor.dtick) == (5.0, 1.0, 5.0, 1.0)
    assert y.scaleanchor == "x" and y.scaleratio == 1.0
    assert "25 mm/s" in x.title.text and "10 mm/mV" in x.title.text


def test_every_row_starts_with_a_1_mv_by_200_ms_calibration_pulse(ecg) -> None:
    cal = _by_name(ecg_figure(ecg))["calibration 1 mV"]
    x, y = np.asarray(cal.x, float), np.asarray(cal.y, float)
    pulses = [p[np.isfinite(p[:, 0])] for p in np.split(np.column_stack([x, y]), np.flatnonzero(np.isnan(x)) + 1)]
    pulses = [p for p in pulses if len(p)]
    assert len(pulses) == 4
    for p in pulses:
        assert np.ptp(p[:, 1]) == pytest.approx(1.0 * MM_PER_MV)
        top = p[p[:, 1] == p[:, 1].max()]
        assert np.ptp(top[:, 0]) == pytest.approx(0.2 * MM_PER_S)
        assert p[:, 0].max() < CAL_MM  # left of every trace


def test_square_wave_reads_back_as_1_mv_and_1_s_steps() -> None:
    t = np.arange(2500) / 250.0
    square = np.where((t % 2.0) < 1.0, 0.0, 1.0).astype(np.float32)
    fig = ecg_figure(ECG(square[:, None], fs=250.0, leads=["II"]))
    (trace,) = _lines(fig)
    yy = np.asarray(trace.y, float)
    steps = np.flatnonzero(np.abs(np.diff(yy)) > 5)
    assert np.diff(_xs(trace)[steps]) == pytest.approx(1.0 * MM_PER_S, abs=0.2)
    assert np.ptp(yy) == pytest.approx(MM_PER_MV)


def test_overlays_land_on_the_segments_that_show_their_lead_and_time(ecg) -> None:
    waves = [WaveBox("QRS", 1.00, 1.10), WaveBox("P", 5.5, 5.6, lead="V1"), WaveBox("P", 0.5, 0.6, lead="V1"),
             WaveBox("T", 0.0, 0.08), WaveBox("T", 9.9, 10.0)]  # first and last beats
    anomalies = [Region(3.0, 3.5, "usable leads", 0.9), Region(6.0, 6.5, "V2", 0.8, "premature beat")]
    fig = ecg_figure(ecg, waves=waves, anomalies=anomalies, evidence=[Region(8.0, 9.0, "V6", 0.5)],
                     evidence_label="LVH")
    t = _by_name(fig)
    # fused QRS at 1.0 s: column 1 (I, II, III) and the rhythm strip
    assert len(_boxes(t["QRS"])) == 4
    # V1 is shown 5-7.5 s: its P at 5.5 s is drawn once, the one at 0.5 s has no place in 3x4
    p = _boxes(t["P"])
    assert len(p) == 1 and p[0, 0] == pytest.approx(CAL_MM + 5.5 * MM_PER_S)
    # first and last beats: at the strip's start (column 1 + rhythm) and end (column 4 + rhythm)
    tb = _boxes(t["T"])
    assert len(tb) == 8 and tb[:, 0].min() == pytest.approx(CAL_MM) and tb[:, 1].max() == pytest.approx(CAL_MM + 250)
    # an anomaly pooled over "usable leads" is drawn on every lead at its time (column 2 + rhythm)
    assert len(_boxes(t["anomaly"])) == 4
    prem = _boxes(t["premature beat"])  # V2's own segment and nothing else
    v2 = next(tr for tr in _lines(fig) if tr.name == "V2")
    assert len(prem) == 1 and prem[0, 2] < np.median(v2.y) < prem[0, 3]
    ev = _boxes(t["evidence: LVH"])
    assert len(ev) == 1
    v6 = next(tr for tr in _lines(fig) if tr.name == "V6")
    assert v6.line.width > v2.line.width  # the evidence lead is drawn bold
    assert all(tr.hoverinfo == "skip" for tr in fig.data if tr.fill == "toself")  # clicks reach the tracing


def test_stacked_view_lead_and_time_selection(ecg) -> None:
    fig = ecg_figure(ecg, view=STACKED, leads=["V1", "II", "nonexistent"], start_s=2.0, window_s=3.0,
                     waves=[WaveBox("QRS", 2.1, 2.2, lead="II"), WaveBox("QRS", 4.9, 5.5)])
    lines = _lines(fig)
    assert [t.name for t in lines] == ["V1", "II"]
    x = _xs(lines[0])
    assert x[0] == pytest.approx(CAL_MM) and np.ptp(x) == pytest.approx(3.0 * MM_PER_S, abs=0.1)
    qrs = _boxes(_by_name(fig)["QRS"])
    # II's own QRS once; the fused one on both leads, cut at the window's end (5 s)
    assert len(qrs) == 3 and qrs[:, 1].max() == pytest.approx(CAL_MM + 3.0 * MM_PER_S)
    assert "2-5 s of 10 s" in fig.layout.xaxis.title.text
    with pytest.raises(ValueError, match="unknown view"):
        ecg_figure(ecg, view="5x5")


def test_long_stacked_windows_are_decimated_keeping_extremes() -> None:
    t = np.arange(100_000) / 1000.0
    y = np.zeros_like(t)
    y[54_321], y[77_777] = 5.0, -3.0
    tx, yx = decimate_minmax(t, y, 2000)
    assert len(yx) <= 2000 and yx.max() == 5.0 and yx.min() == -3.0 and np.all(np.diff(tx) >= 0)
    long_ecg = simulate_12lead(duration_s=60.0, fs=500.0, hr_bpm=60.0, seed=2)
    fig = ecg_figure(long_ecg, view=STACKED, window_s=60.0)
    for tr in _lines(fig):
        assert len(tr.y) <= MAX_POINTS_PER_SEGMENT
        # every R peak of the minute survives: the trace's range is the lead's range at 10 mm/mV
        assert np.ptp(np.asarray(tr.y, float)) == pytest.approx(10.0 * np.ptp(long_ecg.lead(tr.name)), rel=1e-4)


def test_figure_is_light_for_the_browser(ecg) -> None:
    waves = [WaveBox(k, i * 0.8 + o, i * 0.8 + o + 0.08) for i in range(12) for k, o in (("P", 0.1), ("QRS", 0.25), ("T", 0.4))]
    fig = ecg_figure(ecg, waves=waves, title="rec")
    lines = _lines(fig)
    assert all(t.customdata is None and np.asarray(t.y).dtype == np.float32 and t.x is None for t in lines)
    assert not fig.layout.shapes  # lead names are annotations; shapes cost the browser one element each
    assert [a.text for a in fig.layout.annotations][-1] == "<b>II (rhythm)</b>"
    assert len(fig.to_json()) < 400_000
