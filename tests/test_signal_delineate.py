"""medts.signal.delineate and medts.signal.fuse: per-lead NeuroKit2 wrapper and multi-lead fusion."""

import numpy as np
from signal_synth import P_MS, PR_MS, QRS_MS, QT_MS, synth_ecg

from medts.signal.clean import clean_ecg
from medts.signal.delineate import FIDUCIALS, delineate_lead_nk, qrs_bounds, spatial_velocity
from medts.signal.fuse import delineate_ecg, fuse_percentile, lead_qrs_peaks, wave_peaks_in_window
from medts.signal.peaks import consensus_rpeaks


def test_nk_wrapper_never_raises_and_aligns_with_rpeaks():
    out = delineate_lead_nk(np.zeros(1000), np.array([500]), 500.0, method="dwt")
    assert set(out) == set(FIDUCIALS) and all(len(v) == 1 for v in out.values())
    ecg, onsets = synth_ecg(seed=8)
    x = clean_ecg(ecg.signal[:, 1], ecg.fs, powerline=None)
    r = onsets + 20
    out = delineate_lead_nk(x, r, ecg.fs, method="prominence")
    assert all(len(v) == len(r) for v in out.values())


def test_fused_boundaries_match_known_waves():
    ecg, onsets = synth_ecg(seed=9)
    fs = ecg.fs
    x = clean_ecg(ecg.signal, fs, powerline=None)
    r = consensus_rpeaks(x, fs)
    d = delineate_ecg(x, fs, r, list(ecg.leads), list(range(12)))
    g = d.global_
    ms = fs / 1000
    inner = slice(1, -1)
    # Hann-shaped waves start gently (the first 5 ms of a 0.1 mV Q reach 0.015 mV): 15 ms tolerance
    truth = {
        "QRS_on": onsets, "QRS_off": onsets + QRS_MS * ms, "P_on": onsets - PR_MS * ms,
        "P_off": onsets - (PR_MS - P_MS) * ms, "T_off": onsets + QT_MS * ms,
    }
    tolerance_ms = {"QRS_on": 15, "QRS_off": 15, "P_on": 20, "P_off": 20, "T_off": 35}
    for kind, expected in truth.items():
        err = (g[kind][inner] - expected[inner]) / ms
        assert np.all(np.abs(err) <= tolerance_ms[kind]), (kind, err)
    assert d.p_present[inner].all()
    # the fused QRS onset is the same in every usable lead; peaks are lead-specific
    assert np.allclose(d.per_lead["QRS_on"][:, 2], g["QRS_on"][2])


def test_qrs_bounds_from_spatial_velocity_on_a_box():
    fs = 500.0
    x = np.zeros((2000, 2))
    x[1000:1050] = np.hanning(50)[:, None] * [1.0, -0.5]  # a 100 ms deflection
    on, off = qrs_bounds(spatial_velocity(x, fs), np.array([1025]), fs)
    assert 990 <= on[0] <= 1010 and 1040 <= off[0] <= 1060


def test_no_p_waves_in_af_like_rhythm():
    ecg, _ = synth_ecg(p_waves=False, rr_jitter=0.3, seed=10)
    x = clean_ecg(ecg.signal, ecg.fs, powerline=None)
    r = consensus_rpeaks(x, ecg.fs)
    d = delineate_ecg(x, ecg.fs, r, list(ecg.leads), list(range(12)))
    assert not d.p_present.any()
    assert np.isnan(d.global_["P_on"]).all()


def test_lead_qrs_peak_is_the_r_of_an_rs_complex_not_the_later_maximum():
    # rS complex: a 0.1 mV r at sample 110, a -1 mV S at 140, then the window ends 0.3 mV up
    # (ST elevation): the largest positive sample is the window end, the annotated peak is r.
    fs = 500.0
    t = np.arange(200, dtype=float)
    x = (0.1 * np.exp(-((t - 110) / 5) ** 2) - 1.0 * np.exp(-((t - 140) / 8) ** 2)
         + 0.3 / (1 + np.exp(-(t - 165) / 3)))
    peaks = lead_qrs_peaks(x[:, None], np.array([95.0]), np.array([185.0]), np.array([140]), fs)
    assert abs(peaks[0, 0] - 110) <= 2  # shifted by at most QRS_PEAK_SHIFT_MS (1 sample here)


def test_t_peak_window_padding_reaches_a_late_apex():
    # the T apex at 300 lies after the fused offset 280: found only with the padded window
    t = np.arange(500, dtype=float)
    x = 0.4 * np.exp(-((t - 300) / 30) ** 2)
    on, off = np.array([200.0]), np.array([280.0])
    assert wave_peaks_in_window(x[:, None], on, off)[0, 0] < 290
    assert abs(wave_peaks_in_window(x[:, None], on, off, pad=(10, 90))[0, 0] - 300) <= 3


def test_fuse_percentile_equals_numpy_nanpercentile_bit_for_bit():
    import warnings

    rng = np.random.default_rng(3)
    for _ in range(300):
        n_leads, n_beats = int(rng.integers(1, 13)), int(rng.integers(0, 16))
        values = rng.normal(size=(n_leads, n_beats)) * 100
        values[rng.random((n_leads, n_beats)) < rng.random()] = np.nan  # some all-NaN beats
        q = float(rng.choice([0.0, 25.0, 50.0, 90.0, 100.0, rng.random() * 100]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanpercentile(values, q, axis=0) + 2.0
        np.testing.assert_array_equal(fuse_percentile(values, q, 2.0), expected)
