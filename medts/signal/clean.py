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
    x = x - np.median(x, axis=0)  # remove offset first: filtfilt edges behave better
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
