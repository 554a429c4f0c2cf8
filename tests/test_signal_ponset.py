"""P onset: NeuroKit2's window-clipped onsets moved earlier (medts.signal.ponset), so a wide P wave
does not shorten the PR (the mechanism that hid first-degree AV block on LUDB)."""

import numpy as np

from medts.record import ECG
from medts.signal.measure import measure_ecg
from medts.signal.ponset import MAX_SHIFT_MS, refine_p_onsets

FS = 500.0


def _beats(pr_ms: float, p_half_ms: float, seed: int = 0) -> np.ndarray:
    """10 s at 67 bpm: raised-cosine P wave (onset ``p_half_ms`` before its peak), P onset
    ``pr_ms`` before the QRS onset (30 ms before R), a q-R-s complex and a T wave, light noise."""
    t = np.arange(int(10 * FS)) / FS
    x = np.zeros_like(t)
    for r in np.arange(0.6, 9.8, 0.9):
        p_peak = r - 0.03 - pr_ms / 1000.0 + p_half_ms / 1000.0
        u = (t - p_peak) / (p_half_ms / 1000.0)
        x += 0.15 * np.where(np.abs(u) < 1, 0.5 + 0.5 * np.cos(np.pi * u), 0.0)
        x += (-0.1 * np.exp(-(((t - r + 0.018) / 0.006) ** 2)) + 1.2 * np.exp(-(((t - r) / 0.009) ** 2))
              - 0.25 * np.exp(-(((t - r - 0.022) / 0.007) ** 2)) + 0.3 * np.exp(-(((t - r - 0.28) / 0.05) ** 2)))
    return x + 0.005 * np.random.default_rng(seed).standard_normal(len(t))


def _pr(x: np.ndarray) -> float:
    m = measure_ecg(ECG(np.column_stack([x, 0.8 * x]), fs=FS, leads=["II", "V5"]))
    assert m.pr_ms.value is not None, m.pr_ms.reason
    return m.pr_ms.value


def test_wide_p_wave_does_not_shorten_pr():
    # Same PR (240 ms), P onset 50 vs 70 ms before its peak. NeuroKit2 alone cannot place an onset
    # more than 50 ms before the peak: before medts.signal.ponset the wide P read 20 ms shorter.
    narrow, wide = _pr(_beats(240.0, 50.0)), _pr(_beats(240.0, 70.0))
    assert abs(wide - narrow) <= 8.0, (narrow, wide)
    assert wide > 200.0  # first-degree AV block stays visible


def test_refine_moves_only_clipped_onsets_and_at_most_the_limit():
    x = _beats(240.0, 70.0)
    r = np.array([300, 750, 1200])  # R peaks of the first three beats (0.6, 1.5, 2.4 s)
    p_peak = (r - (0.03 + 0.24 - 0.07) * FS).astype(float)  # 100 samples before R
    clipped = p_peak - 25  # at NeuroKit2's 50-ms window edge
    inside = p_peak - 20
    out = refine_p_onsets(x, FS, r, p_peak, np.array([clipped[0], inside[1], np.nan]))
    assert out[1] == inside[1]  # not at the edge: NeuroKit2's onset kept
    assert np.isnan(out[2])
    true_onset = p_peak[0] - 0.07 * FS
    assert clipped[0] - MAX_SHIFT_MS * FS / 1000.0 <= out[0] < clipped[0]
    assert abs(out[0] - true_onset) < abs(clipped[0] - true_onset)
