"""Tests of medts.ui.plots: the tracing figure, its overlays, lead/time selection, decimation."""

from __future__ import annotations

import numpy as np
import pytest

from medts.simulate import simulate_12lead
from medts.ui.plots import (
    LEAD_SPACING_MV,
    MAX_POINTS_PER_LEAD,
    Region,
    WaveBox,
    decimate_minmax,
    ecg_figure,
)


@pytest.fixture(scope="module")
def ecg():
    return simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=1)


def _by_name(fig):
    return {t.name: t for t in fig.data}


def _xs(trace) -> np.ndarray:
    """A trace's time axis: its ``x`` array, or ``x0 + i * dx`` for evenly spaced samples."""
    if trace.x is not None:
        return np.asarray(trace.x, float)
    return trace.x0 + trace.dx * np.arange(len(trace.y))


def _finite(values) -> list[float]:
    return [v for v in np.asarray(values, float) if np.isfinite(v)]


def test_all_leads_stacked_on_half_millivolt_baselines(ecg) -> None:
    fig = ecg_figure(ecg, window_s=4.0)  # 2000 samples per lead: not decimated
    traces = _by_name(fig)
    assert list(ecg.leads) == [t.name for t in fig.data if t.mode == "lines"]
    for i, lead in enumerate(ecg.leads):
        y = np.asarray(traces[lead].y, float)
        # The trace is the lead's signal shifted by a multiple of 0.5 mV (grid stays a mV grid).
        shift = y - ecg.lead(lead)[: len(y)]
        assert np.allclose(shift, -i * LEAD_SPACING_MV, atol=1e-5)
        assert (i * LEAD_SPACING_MV) % 0.5 == 0
    assert fig.layout.xaxis.dtick == 0.2 and fig.layout.xaxis.minor.dtick == 0.04
    assert fig.layout.yaxis.minor.dtick == 0.1 and fig.layout.yaxis.dtick == 0.5


def test_lead_and_time_selection(ecg) -> None:
    fig = ecg_figure(ecg, leads=["V1", "II", "nonexistent"], start_s=2.0, window_s=3.0)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["V1", "II"]
    x = _xs(lines[0])
    assert x[0] == pytest.approx(2.0) and x[-1] == pytest.approx(5.0, abs=0.01)
    assert list(fig.layout.xaxis.range) == pytest.approx([2.0, 5.0])


def test_overlays_are_drawn_on_their_leads_and_window(ecg) -> None:
    waves = [WaveBox("QRS", 1.00, 1.10), WaveBox("P", 0.80, 0.90, lead="II"), WaveBox("T", 9.5, 9.7)]
    fig = ecg_figure(ecg, start_s=0.0, window_s=5.0, waves=waves,
                     anomalies=[Region(3.0, 3.5, None, 0.9)], evidence=[Region(1.0, 2.0, "V2", 0.5)],
                     evidence_label="LVH")
    t = _by_name(fig)
    qrs_x = _finite(t["QRS"].x)
    assert len(qrs_x) == 5 * 12  # one rectangle per shown lead
    assert len(_finite(t["P"].x)) == 5  # only lead II
    assert "T" not in t  # outside the 0-5 s window
    assert "anomaly" in t and "evidence: LVH" in t
    assert t["V2"].line.width > t["V1"].line.width  # evidence lead drawn bold
    ys = _finite(t["evidence: LVH"].y)
    v2 = -ecg.leads.index("V2") * LEAD_SPACING_MV
    assert min(ys) > v2 - LEAD_SPACING_MV / 2 and max(ys) < v2 + LEAD_SPACING_MV / 2


def test_decimation_keeps_extremes() -> None:
    t = np.arange(100_000) / 1000.0
    y = np.zeros_like(t)
    y[54_321], y[77_777] = 5.0, -3.0
    tx, yx = decimate_minmax(t, y, 2000)
    assert len(yx) <= 2000 and yx.max() == 5.0 and yx.min() == -3.0
    assert np.all(np.diff(tx) >= 0)
    long_ecg = simulate_12lead(duration_s=60.0, fs=500.0, hr_bpm=60.0, seed=2)
    fig = ecg_figure(long_ecg, window_s=None)
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    assert all(len(tr.x) <= MAX_POINTS_PER_LEAD for tr in lines)
    # the R peaks of the whole minute survive: every lead's max is the record's max of that lead
    for i, tr in enumerate(lines):
        y = np.asarray(tr.y, float) + i * LEAD_SPACING_MV
        assert y.max() == pytest.approx(float(long_ecg.lead(tr.name).max()), abs=1e-5)


def test_figure_is_light_for_the_browser(ecg) -> None:
    """The figure Gradio sends for a 10 s, 12-lead, 500 Hz record: float32 samples decimated to
    :data:`MAX_POINTS_PER_LEAD` per lead, no hover arrays, no layout shapes (lead names are
    annotations), no 0.1 mV lines at 12 leads, well under 400 kB of JSON; a 4 s window goes whole."""
    waves = [WaveBox(k, i * 0.8 + o, i * 0.8 + o + 0.08) for i in range(12) for k, o in (("P", 0.1), ("QRS", 0.25), ("T", 0.4))]
    fig = ecg_figure(ecg, waves=waves)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert all(len(t.y) <= MAX_POINTS_PER_LEAD and t.customdata is None for t in lines)
    assert all(np.asarray(t.y).dtype == np.float32 for t in lines)
    assert not fig.layout.shapes and fig.layout.yaxis.minor.showgrid is False
    assert [a.text for a in fig.layout.annotations] == [f"<b>{lead}</b>" for lead in ecg.leads]
    assert len(fig.to_json()) < 400_000
    short = ecg_figure(ecg, leads=["II"], start_s=1.0, window_s=4.0)
    (trace,) = [t for t in short.data if t.mode == "lines"]
    assert trace.x is None and trace.dx == pytest.approx(1 / 500) and len(trace.y) == 2000
    assert np.allclose(np.asarray(trace.y), ecg.lead("II")[500:2500], atol=1e-6)
    assert short.layout.yaxis.minor.showgrid is True
