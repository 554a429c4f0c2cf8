"""P-wave onset per lead: NeuroKit2's onset, moved earlier by the trapezium-area method where
NeuroKit2's search window clipped it.

NeuroKit2's ``prominence`` method places the P onset at the left base of the P peak's prominence
within a 100-ms window centred on the peak (``max_p_basepoint_interval``), so its onset can never
lie more than 50 ms before the P peak. On LUDB 1-80, 52 % of its per-lead P onsets sit exactly at
that edge, while the cardiologists put the onset 50-84 ms before the peak in a quarter of the
leads (wide P waves, more often with a long PR). A clipped onset is late, and the PR short: the
PR was under-measured by ~10 ms more at PR > 200 ms than at PR <= 200 ms, which hid first-degree
AV block.

Where NeuroKit2's onset sits at that window edge, the onset is searched again with the
trapezium-area method of Vázquez-Seisdedos et al. (2011) (:mod:`medts.signal.tend`), mirrored in
time for a wave start:

1. ``xm``: the steepest rise into the P peak, within ``SLOPE_SEARCH_MS`` before it;
2. ``xr``: a point ``TRAPEZIUM_XR_MS`` before ``xm`` (before the P onset), no earlier than 60 %
   of the way from the previous R peak (its T wave) nor ``LOOKBACK_MS`` before the P peak;
3. the onset is the ``xi`` in ``[xr, xm]`` that maximises ``(s(xm) - s(xi)) * (xi + xm - 2 xr)``,

and kept only if earlier than NeuroKit2's, by at most ``MAX_SHIFT_MS`` (a noisy baseline must
not drag the onset into the T wave). The fused P onset then takes a lower percentile across leads
(``medts.signal.fuse.FUSION``).

Constants (and the fusion percentile and shift of the P onset) were chosen on LUDB records 1-80
and QTDB ``RECORDS[0::2]`` by the smallest PR mean absolute error on LUDB 1-80; LUDB 81-160 and
QTDB ``RECORDS[1::2]`` are held out. On the held-out records: PR bias at reference PR > 200 ms
-10.9 -> -4.7 ms (4 records), at PR <= 200 ms -2.0 -> -3.8 ms (57 records measured before and
after); QTDB P-onset MAE 20.2 -> 18.6 ms, sensitivity unchanged (0.965).

Vázquez-Seisdedos C.R. et al., BioMedical Engineering OnLine 10:77 (2011),
doi:10.1186/1475-925X-10-77.

Example
-------
>>> import numpy as np
>>> fs = 500.0
>>> t = np.arange(int(1.2 * fs)) / fs
>>> p = np.where(np.abs(t - 0.3) < 0.07, 0.5 + 0.5 * np.cos(np.pi * (t - 0.3) / 0.07), 0.0) * 0.15
>>> x = p + 1.5 * np.exp(-((t - 0.55) / 0.01) ** 2)  # P onset 0.23 s, QRS at 0.55 s
>>> on = refine_p_onsets(x, fs, np.array([275]), np.array([150.0]), np.array([125.0]))
>>> bool(114 <= on[0] < 125)  # earlier than the clipped 125 (0.25 s), toward 115 (0.23 s)
True
"""

from __future__ import annotations

import numpy as np
import scipy.signal

NK_P_BASEPOINT_MS = 100.0
"""NeuroKit2's ``max_p_basepoint_interval`` (its default): the window centred on the P peak."""

TRAPEZIUM_XR_MS = 80.0
"""Distance (ms) from the steepest rise ``xm`` back to the trapezium's fixed corner ``xr``."""

SLOPE_SEARCH_MS = 80.0
"""The steepest rise into the P peak is searched this far before the peak."""

LOOKBACK_MS = 250.0
"""No onset is searched more than this far before the P peak."""

MAX_SHIFT_MS = 20.0
"""The refined onset is at most this much earlier than NeuroKit2's."""

SMOOTH_MS = 20.0
"""Savitzky-Golay window (ms, order 2) before the slope is taken."""


def _trapezium_onset(xs: np.ndarray, dx: np.ndarray, peak: int, lo: int, fs: float) -> float:
    """Trapezium-area onset (sample) of the wave peaking at ``peak``, searched no earlier than ``lo``."""
    ms = fs / 1000.0
    a = int(max(peak - SLOPE_SEARCH_MS * ms, lo))
    if peak - a < 3:
        return np.nan
    xm = a + int(np.argmax(dx[a:peak]))  # steepest rise (NeuroKit2's P peaks are local maxima)
    xr = int(max(xm - TRAPEZIUM_XR_MS * ms, lo))
    if xm - xr < 2:
        return np.nan
    xi = np.arange(xr, xm + 1)
    area = (xs[xm] - xs[xi]) * (xi + xm - 2 * xr)
    return float(xr + int(np.argmax(area)))


def refine_p_onsets(lead: np.ndarray, fs: float, rpeaks: np.ndarray, p_peak: np.ndarray,
                    p_on: np.ndarray) -> np.ndarray:
    """Per-beat P onsets (samples) of one lead, NeuroKit2's moved earlier where its window clipped them.

    Parameters
    ----------
    lead : array [n_samples] (mV), cleaned
    fs : float
        Sampling rate (Hz).
    rpeaks, p_peak, p_on : arrays [n_beats]
        R peaks, and NeuroKit2's P peaks and onsets of this lead (samples; NaN allowed).

    Returns float array [n_beats]: ``p_on`` where it was not at NeuroKit2's window edge (or NaN).
    """
    x = np.asarray(lead, dtype=float)
    p_on = np.asarray(p_on, dtype=float)
    p_peak = np.asarray(p_peak, dtype=float)
    out = p_on.copy()
    ms = fs / 1000.0
    edge = int(NK_P_BASEPOINT_MS * ms) // 2  # scipy centres the (odd-rounded) window on the peak
    clipped = np.flatnonzero(np.isfinite(p_on) & np.isfinite(p_peak) & (p_peak - p_on >= edge))
    n_win = max(3, int(SMOOTH_MS * ms) | 1)
    if len(clipped) == 0 or len(x) <= n_win:
        return out
    xs = scipy.signal.savgol_filter(x, n_win, 2)
    dx = np.gradient(xs)
    for i in clipped:
        peak = int(p_peak[i])
        lo = peak - LOOKBACK_MS * ms
        if i > 0:
            lo = max(lo, rpeaks[i - 1] + 0.6 * (rpeaks[i] - rpeaks[i - 1]))  # past the previous T wave
        onset = _trapezium_onset(xs, dx, peak, int(max(0.0, lo)), fs)
        if np.isfinite(onset):
            out[i] = max(min(onset, p_on[i]), p_on[i] - MAX_SHIFT_MS * ms)
    return out
