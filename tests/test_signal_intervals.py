"""medts.signal.intervals: formulas and per-beat aggregation with quality flags."""

import math

import numpy as np
import pytest

from medts.signal.intervals import heart_rate, hrv_time, interval_ms, isoelectric_level, qtc_values


def test_qtc_formulas_match_their_definitions():
    qt, rr = 400.0, 800.0  # ms -> RR 0.8 s, HR 75 bpm
    q = qtc_values(qt, rr)
    assert q["bazett"].value == pytest.approx(400 / math.sqrt(0.8), abs=0.1)
    assert q["fridericia"].value == pytest.approx(400 / 0.8 ** (1 / 3), abs=0.1)
    assert q["framingham"].value == pytest.approx(400 + 154 * 0.2, abs=0.1)
    assert q["hodges"].value == pytest.approx(400 + 1.75 * 15, abs=0.1)
    missing = qtc_values(None, rr)
    assert all(v.value is None and v.reason for v in missing.values())


def test_interval_median_and_flags():
    fs = 500.0
    on = np.array([100.0, 600, 1100, 1600])
    off = on + np.array([50, 50, 50, np.nan])  # 100 ms QRS, one beat missing its offset
    v = interval_ms(on, off, fs, name="QRS")
    assert v.value == 100.0 and v.n_beats == 3 and v.quality == "good"
    spread = interval_ms(on, on + np.array([40, 60, 80, 100]), fs, name="QRS")
    assert spread.quality == "uncertain" and "spread" in spread.reason
    none = interval_ms(on, np.full(4, np.nan), fs, name="PR")
    assert none.value is None and none.quality == "unavailable" and "PR" in none.reason


def test_heart_rate_and_hrv_from_known_rr():
    fs = 1000.0  # RR values are whole samples: no rounding
    rr_s = np.array([0.8, 0.9, 0.8, 1.0, 0.85, 0.95, 0.8])
    peaks = np.concatenate([[100], 100 + np.cumsum(rr_s * fs)]).astype(int)
    hr, rr = heart_rate(peaks, fs)
    assert rr.value == pytest.approx(np.median(rr_s) * 1000, abs=1)
    assert hr.value == pytest.approx(60 / np.median(rr_s), abs=0.2)
    h = hrv_time(peaks, fs)
    assert h["sdnn_ms"].value == pytest.approx(np.std(rr_s * 1000, ddof=1), rel=0.01)
    assert h["rmssd_ms"].value == pytest.approx(np.sqrt(np.mean(np.diff(rr_s * 1000) ** 2)), rel=0.01)
    assert h["sdnn_ms"].quality == "uncertain"  # 6 s of beats: short-term norms need minutes
    few = hrv_time(peaks[:3], fs)
    assert few["sdnn_ms"].value is None and "4 beats" in few["sdnn_ms"].reason
    hr1, _ = heart_rate(peaks[:1], fs)
    assert hr1.value is None and hr1.reason


def test_isoelectric_level_is_the_median_of_the_20_ms_before_each_qrs_onset():
    rng = np.random.default_rng(1)
    lead = rng.normal(size=5000)
    qrs_on = np.array([np.nan, 3.0, 20.0, 100.0, 4999.0, 2500.0])
    w = 10  # 20 ms at 500 Hz
    expected = [np.nan, np.nan] + [np.median(lead[int(q) - w: int(q) + 1]) for q in qrs_on[2:]]
    np.testing.assert_array_equal(isoelectric_level(lead, qrs_on, 500.0), expected)


def test_an_interval_below_its_physiological_range_is_no_measurement_and_a_long_one_is_kept():
    # V1 alone (LUDB 24, LBBB of ~170 ms): the QRS boundaries fell 3 ms apart, and the report printed
    # "QRS duration 3 ms, normal"
    fs = 500.0
    on = np.array([100.0, 600, 1100, 1600])
    tiny = interval_ms(on, on + 1.5, fs, name="QRS")
    assert tiny.value is None and tiny.quality == "unavailable" and "below the physiological 40 ms" in tiny.reason
    long_pr = interval_ms(on, on + 225, fs, name="PR")  # 450 ms: a real (if rare) first-degree AV block
    assert long_pr.value == 450.0 and long_pr.quality == "uncertain" and "outside the usual" in long_pr.reason
