"""Make any ECG look like the classifiers' training inputs.

The classifiers see 100 Hz signals, band-passed 0.5-40 Hz (4th-order Butterworth, zero phase)
and standardised per lead (zero mean, unit variance over the record). The same function is
applied to raw PTB-XL ``records100`` (mV) and to the already z-scored ``processed100_zscore``
arrays, so both sources look alike to the model: band-passing twice changes little, and the
z-score removes the mV scale the processed arrays have lost.

Bad input policy
----------------
- Wrong sampling rate: resampled to the model's rate with :meth:`medts.record.ECG.resample`.
- Missing leads: **zeroed, and reported** (``missing_leads``). For the 12-lead models this is
  less reliable and the prediction says so; the superdiagnostic level routes such records to
  its lead-dropout adapter, trained with zeroed leads (:func:`medts.classify.predict.load_classifier`),
  and the engine withholds statements whose leads are missing. A record with none of the 12
  standard leads is refused (:class:`~medts.errors.InvalidECGError`).
- NaN or infinite samples: :class:`~medts.errors.InvalidECGError` (``ECG`` refuses them on
  construction; :func:`standardise_signal` checks raw arrays too).

Example
-------
>>> import numpy as np
>>> from medts.record import ECG
>>> t = np.arange(1000) / 100.0
>>> ecg = ECG(np.sin(2 * np.pi * 1.2 * t)[:, None] * np.ones((1, 12)), fs=100.0,
...           leads=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"))
>>> x, missing = model_input(ecg, fs_hz=100.0)
>>> x.shape, x.dtype, missing
((1000, 12), dtype('float32'), [])
>>> bool(abs(x[:, 0].std() - 1.0) < 1e-3)
True
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import butter, sosfiltfilt

from medts.errors import InvalidECGError
from medts.record import ECG, STANDARD_LEADS

BANDPASS_HZ = (0.5, 40.0)
"""Pass band of the Butterworth filter (Hz), the same as PTB-XL's ``processed100_zscore``."""
FILTER_ORDER = 4
STD_FLOOR = 1e-6
"""Leads whose standard deviation after filtering is below this (flat or zeroed) stay all zero."""
PREPROCESS_VERSION = 1
"""Bump when the preprocessing changes: it keys the training cache and is stored in manifests."""


@functools.lru_cache(maxsize=16)
def _bandpass_sos(fs_hz: float) -> np.ndarray:
    """The band-pass filter's second-order sections at ``fs_hz`` (designed once per rate: the
    design took ~3 ms, half of preprocessing a 10 s record; scipy does not modify it)."""
    low, high = BANDPASS_HZ
    high = min(high, 0.45 * fs_hz)
    sos = butter(FILTER_ORDER, [low, high], btype="bandpass", fs=fs_hz, output="sos")
    return sos


def bandpass(signal: np.ndarray, fs_hz: float) -> np.ndarray:
    """Zero-phase Butterworth band-pass of ``signal [n_samples, n_leads]`` along time.

    The upper edge is clipped below Nyquist for low sampling rates. Returns float64.
    """
    sos = _bandpass_sos(float(fs_hz))
    # padlen bounded by the record so 2 s records still filter (sosfiltfilt default needs more).
    padlen = min(3 * (2 * len(sos) + 1), signal.shape[0] - 1)
    return sosfiltfilt(sos, np.asarray(signal, dtype=np.float64), axis=0, padlen=padlen)


def standardise_signal(signal: np.ndarray, fs_hz: float) -> np.ndarray:
    """Band-pass then z-score each lead of ``signal [n_samples, n_leads]``; float32, same shape.

    Raises
    ------
    InvalidECGError
        If the signal holds NaN or infinite values.
    """
    signal = np.asarray(signal)
    if signal.ndim != 2:
        raise InvalidECGError(f"signal must be [n_samples, n_leads], got shape {signal.shape}")
    if not np.isfinite(signal).all():
        raise InvalidECGError("signal contains NaN or infinite values; the classifier cannot use it")
    filtered = bandpass(signal, fs_hz)
    mean = filtered.mean(axis=0, keepdims=True)
    std = filtered.std(axis=0, keepdims=True)
    flat = std < STD_FLOOR
    out = (filtered - mean) / np.where(flat, 1.0, std)
    out[:, flat[0]] = 0.0
    return out.astype(np.float32)


def model_input(ecg: ECG, *, fs_hz: float) -> tuple[np.ndarray, list[str]]:
    """An ECG as the classifier's input ``float32 [n_samples, 12]`` plus the leads that were missing.

    The record is put in canonical 12-lead order (missing leads zeroed), resampled to
    ``fs_hz`` if needed, band-passed and standardised per lead.

    Raises
    ------
    InvalidECGError
        If the record has none of the 12 standard leads.
    """
    ecg12, missing = ecg.with_standard_leads()
    if len(missing) == len(STANDARD_LEADS):
        raise InvalidECGError(
            f"record {ecg.record_id} has none of the 12 standard leads (has {', '.join(ecg.leads)}); "
            "the classifier needs at least one: name the leads with --leads (e.g. --leads II)"
        )
    if ecg12.fs != fs_hz:
        ecg12 = ecg12.resample(fs_hz)
    return standardise_signal(ecg12.signal, fs_hz), missing
