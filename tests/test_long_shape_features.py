"""Amplitude- and polarity-free QRS shape features and the per-beat noise feature of
medts.longterm.beats (slope_rel, energy_width_rel, beat_noise, window_beat_noise)."""

from __future__ import annotations

import numpy as np

from medts.longterm.beats import BeatExtractor, _energy_span, _slope_time
from medts.longterm.stream import iter_chunks, source_from_array
from medts.simulate import simulate_12lead

FS = 360.0


def _qrs(sigma_s: float, fs: float = FS) -> np.ndarray:
    t = np.arange(-0.08, 0.10, 1.0 / fs)
    return np.exp(-(t / sigma_s) ** 2)


def test_wide_slow_qrs_has_longer_slope_time_and_energy_span_whatever_its_amplitude_or_polarity():
    narrow, wide = _qrs(0.012), _qrs(0.035)
    for f in (_slope_time, _energy_span):
        n = f(narrow[None, :], FS)[0]
        w = f(wide[None, :], FS)[0]
        assert w > 2.0 * n
        scaled = f(np.stack([3.0 * wide, -0.4 * wide]), FS)  # other amplitude, inverted
        assert np.allclose(scaled, w, rtol=1e-6)


def _features(sig: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    src = source_from_array(sig, FS, ("II",), name="sim")
    ext = BeatExtractor(fs=FS, lead=0)
    samples, feats = [], {}
    for chunk in iter_chunks(src, window_s=60.0, margin_s=3.0):
        block = ext.add(chunk)
        samples.append(block.samples)
        for k in ("beat_noise", "window_beat_noise", "slope_rel", "energy_width_rel"):
            feats.setdefault(k, []).append(block.features[k])
    return np.concatenate(samples), {k: np.concatenate(v) for k, v in feats.items()}


def test_beat_noise_rises_with_muscle_like_noise_in_the_beat_and_its_window():
    ecg = simulate_12lead(120.0, FS, 70.0, seed=3)
    x = ecg.signal[:, ecg.leads.index("II")].astype(float)
    rng = np.random.default_rng(0)
    noisy = x.copy()
    second = slice(int(60 * FS), len(x))
    noisy[second] += 0.08 * rng.standard_normal(len(x) - int(60 * FS))  # broadband noise, 2nd minute only
    s0, f0 = _features(x)
    s1, f1 = _features(noisy)
    late0, late1 = s0 > 62 * FS, s1 > 62 * FS
    early1 = s1 < 58 * FS
    assert np.median(f1["beat_noise"][late1]) > np.median(f0["beat_noise"][late0]) + 1.0
    assert np.median(f1["beat_noise"][late1]) > np.median(f1["beat_noise"][early1]) + 1.0
    assert np.median(f1["window_beat_noise"][late1]) > np.median(f1["window_beat_noise"][early1]) + 1.0
    # clean sinus beats look like their own reference: shape ratios near 0
    assert np.median(np.abs(f0["slope_rel"])) < 0.15
    assert np.median(np.abs(f0["energy_width_rel"])) < 0.15


def test_beat_noise_does_not_change_with_the_sampling_rate():
    """The same ECG at 360 Hz and resampled to 250 Hz (QTDB's rate): beat_noise is a second derivative,
    not a second difference per sample (which reads a smooth wave about (360/250)^2 = 2x larger at 250 Hz)."""
    from scipy.signal import resample_poly

    ecg = simulate_12lead(70.0, FS, 70.0, seed=5)
    x = ecg.signal[:, ecg.leads.index("II")].astype(float)
    feats = {}
    for fs, sig in ((FS, x), (250.0, resample_poly(x, 25, 36))):
        src = source_from_array(sig, fs, ("II",), name="sim")
        ext = BeatExtractor(fs=fs, lead=0)
        feats[fs] = np.concatenate([ext.add(c).features["beat_noise"]
                                    for c in iter_chunks(src, window_s=60.0, margin_s=3.0)])
    assert abs(np.median(feats[250.0]) - np.median(feats[FS])) < 0.2
