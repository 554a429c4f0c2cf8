"""Cleaning: baseline-wander and powerline removal, vectorised over leads.

The filters are zero-phase (``scipy.signal.sosfiltfilt`` / ``filtfilt``) so wave timing is not
shifted, which matters for delineation.

Example
-------
>>> import numpy as np, neurokit2 as nk
>>> x = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=1)
>>> t = np.arange(len(x)) / 500
>>> noisy = (x + 0.3 * np.sin(2 * np.pi * 50 * t))[:, None]
>>> detect_powerline(noisy, 500.0)
50.0
>>> clean_ecg(noisy, 500.0).shape
(5000, 1)
"""

from __future__ import annotations

import numpy as np
import scipy.signal

HIGHPASS_HZ = 0.5
"""Baseline-wander cutoff (Hz); 0.5 Hz keeps ST levels usable (AHA recommends <= 0.67 Hz)."""

LOWPASS_HZ = 100.0
"""Upper band edge (Hz) of the cleaned signal, capped below Nyquist for low sampling rates."""


def detect_powerline(signal: np.ndarray, fs: float, *, min_ratio: float = 4.0) -> float | None:
    """Detect powerline interference: 50.0, 60.0 or ``None``.

    Compares the power spectral density (Welch, all leads summed) in a 1 Hz band around 50
    and 60 Hz with the median power of the 40-70 Hz band around them.

    Parameters
    ----------
    signal : array [n_samples, n_leads] (mV)
    fs : float
        Sampling rate (Hz). Below 125 Hz no powerline frequency is resolvable: returns None.
    min_ratio : float
        How many times above the neighbouring power a line must be to count.
    """
    x = np.atleast_2d(np.asarray(signal, dtype=float).T).T
    if fs < 125 or x.shape[0] < fs:
        return None
    freqs, psd = scipy.signal.welch(x, fs=fs, nperseg=int(min(x.shape[0], 2 * fs)), axis=0)
    psd = psd.sum(axis=1)
    band = (freqs >= 40) & (freqs <= 70)
    floor = np.median(psd[band]) + 1e-20
    ratios = {}
    for f in (50.0, 60.0):
        near = np.abs(freqs - f) <= 1.0
        ratios[f] = psd[near].max() / floor if near.any() else 0.0
    best = max(ratios, key=ratios.get)
    return best if ratios[best] >= min_ratio else None


EDGE_STEP_S = 0.02
"""Length (s) of a record's first and last stretch checked for a step (:func:`hold_edge_steps`)."""

EDGE_STEP_FRACTION = 0.5
"""A step at a record's edge larger than this fraction of the lead's amplitude is an artefact."""


def hold_edge_steps(signal: np.ndarray, fs: float) -> np.ndarray:
    """``signal`` [n_samples, n_leads] (mV) with a step in its first or last :data:`EDGE_STEP_S` held flat.

    A lead whose first or last 20 ms span more than :data:`EDGE_STEP_FRACTION` of its amplitude (0.5th to
    99.5th percentile of the rest) gets those samples set to the value just inside them. The zero-phase
    high-pass otherwise spreads such a step over the last second: LUDB 133 lead II ends with 0.03 to
    0.92 mV in 3 samples (13 % of LUDB's leads have a step at an edge), and its cleaned lead ended at
    -1.6 mV, so NeuroKit2 took T waves for beats and the lead was called noisy. A QRS cut by the
    record's edge is flattened too; no beat is measured there.

    Example
    -------
    >>> x = np.zeros((1000, 1)); x[::100] = 1.0; x[-3:, 0] = [0.3, 0.6, 0.9]
    >>> float(hold_edge_steps(x, 500.0)[-1, 0])
    0.0
    """
    y = np.array(signal, dtype=float)
    n = max(3, round(EDGE_STEP_S * fs))
    if y.shape[0] < 10 * n:
        return y
    interior = y[5 * n:-5 * n] if y.shape[0] > 20 * n else y
    amplitude = np.percentile(interior, 99.5, axis=0) - np.percentile(interior, 0.5, axis=0)
    for edge, inside in ((slice(0, n), n), (slice(-n, None), -n - 1)):
        step = np.ptp(y[edge], axis=0) > EDGE_STEP_FRACTION * amplitude
        y[edge, step] = y[inside, step]
    return y


def clean_ecg(
    signal: np.ndarray,
    fs: float,
    *,
    powerline: float | str | None = "auto",
    lowpass_hz: float = LOWPASS_HZ,
) -> np.ndarray:
    """Remove baseline wander (0.5 Hz high-pass) and powerline (notch), then low-pass.

    Parameters
    ----------
    signal : array [n_samples, n_leads] (mV)
    fs : float
        Sampling rate (Hz).
    powerline : "auto", 50, 60 or None
        ``"auto"`` detects the frequency with :func:`detect_powerline`; ``None`` skips the notch.
    lowpass_hz : float
        Low-pass cutoff (Hz), capped at 0.45 * fs.

    Returns
    -------
    array float64 [n_samples, n_leads] (mV)
    """
    x = np.asarray(signal, dtype=float)
    squeeze = x.ndim == 1
    x = x[:, None] if squeeze else x
    x = hold_edge_steps(x - np.median(x, axis=0), fs)  # remove offset first: filtfilt edges behave better
    sos = scipy.signal.butter(2, HIGHPASS_HZ, btype="highpass", fs=fs, output="sos")
    y = scipy.signal.sosfiltfilt(sos, x, axis=0)
    line = detect_powerline(y, fs) if powerline == "auto" else powerline
    if line is not None and float(line) < 0.5 * fs - 1:
        b, a = scipy.signal.iirnotch(float(line), Q=30.0, fs=fs)
        y = scipy.signal.filtfilt(b, a, y, axis=0)
    cutoff = min(lowpass_hz, 0.45 * fs)
    sos = scipy.signal.butter(4, cutoff, btype="lowpass", fs=fs, output="sos")
    y = scipy.signal.sosfiltfilt(sos, y, axis=0)
    return y[:, 0] if squeeze else y
