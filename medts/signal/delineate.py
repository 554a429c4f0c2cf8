"""Per-lead delineation with NeuroKit2 and the QRS boundaries from the multi-lead spatial velocity.

Fiducial kinds (``FIDUCIALS``): ``P_on, P_peak, P_off, QRS_on, QRS_peak, QRS_off, T_on, T_peak,
T_off``. Per-lead results are float arrays ``[n_beats]`` aligned with the R peaks given
(NaN where a wave was not found).

Example
-------
>>> import numpy as np, neurokit2 as nk
>>> from medts.signal.clean import clean_ecg
>>> x = clean_ecg(nk.ecg_simulate(duration=10, sampling_rate=500, random_state=2), 500.0)
>>> from medts.signal.peaks import consensus_rpeaks
>>> r = consensus_rpeaks(x[:, None], 500.0)
>>> d = delineate_lead_nk(x, r, 500.0, method="prominence")
>>> sorted(d) == sorted(FIDUCIALS)
True
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np
import scipy.signal

FIDUCIALS: tuple[str, ...] = (
    "P_on", "P_peak", "P_off", "QRS_on", "QRS_peak", "QRS_off", "T_on", "T_peak", "T_off",
)

try:
    from neurokit2.ecg.ecg_delineate import _prominence_ecg_delineator as _PROMINENCE
except ImportError:  # pragma: no cover - other NeuroKit2 versions: use the public function
    _PROMINENCE = None

_NK_KEYS = {
    "P_on": "ECG_P_Onsets", "P_peak": "ECG_P_Peaks", "P_off": "ECG_P_Offsets",
    "QRS_on": "ECG_R_Onsets", "QRS_off": "ECG_R_Offsets",
    "T_on": "ECG_T_Onsets", "T_peak": "ECG_T_Peaks", "T_off": "ECG_T_Offsets",
}


def delineate_lead_nk(lead: np.ndarray, rpeaks: np.ndarray, fs: float, *, method: str) -> dict[str, np.ndarray]:
    """NeuroKit2 ``ecg_delineate`` on one cleaned lead, as arrays aligned with ``rpeaks``.

    Any NeuroKit2 failure (too few beats, degenerate signal) gives all-NaN arrays instead of
    an exception.
    """
    rpeaks = np.asarray(rpeaks, dtype=np.int64)
    n = len(rpeaks)
    out = {k: np.full(n, np.nan) for k in FIDUCIALS}
    out["QRS_peak"] = rpeaks.astype(float)
    if n < 2:
        return out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "prominence" and _PROMINENCE is not None:
                # The same NeuroKit2 code as ecg_delineate(method="prominence"), without the
                # per-sample DataFrame that ecg_delineate builds and we do not use (3x faster).
                waves = _PROMINENCE(np.asarray(lead, float), rpeaks=rpeaks, sampling_rate=round(fs))
            else:
                _, waves = nk.ecg_delineate(
                    np.asarray(lead, float), rpeaks, sampling_rate=round(fs), method=method
                )
    except Exception:  # noqa: BLE001 - NeuroKit2 raises many types on degenerate input
        return out
    for kind, key in _NK_KEYS.items():
        values = np.asarray(waves.get(key, []), dtype=float)
        if len(values) == n:
            out[kind] = values
    return out


def spatial_velocity(cleaned: np.ndarray, fs: float, leads: list[int] | None = None) -> np.ndarray:
    """Root sum of squared first differences over leads (mV per sample), low-passed at 40 Hz.

    ECG machines place the global QRS onset and offset where this multi-lead "velocity" rises
    from and returns to the isoelectric level.
    """
    x = np.asarray(cleaned, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    cols = list(range(x.shape[1])) if leads is None else list(leads)
    sos = scipy.signal.butter(2, min(40.0, 0.45 * fs), btype="lowpass", fs=fs, output="sos")
    y = scipy.signal.sosfiltfilt(sos, x[:, cols], axis=0)
    d = np.gradient(y, axis=0)  # [n_samples, n_cols]
    return np.sqrt((d**2).sum(axis=1))


def qrs_bounds(
    velocity: np.ndarray,
    rpeaks: np.ndarray,
    fs: float,
    *,
    k_on: float = 0.08,
    k_off: float = 0.08,
    hold_ms: float = 10.0,
    max_on_ms: float = 150.0,
    max_off_ms: float = 200.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Global QRS onset and offset per beat from the spatial velocity.

    For each beat, the threshold is ``floor + k * (peak - floor)``, where ``peak`` is the
    velocity maximum within ±80 ms of the R peak and ``floor`` the 10th percentile of the
    whole record. The onset is the first sample after the last run of ``hold_ms`` below the
    threshold before the R peak; the offset the start of the first such run after it.

    Returns
    -------
    onsets, offsets : float arrays [n_beats] (samples; NaN when not found)
    """
    v = np.asarray(velocity, float)
    n = len(v)
    floor = np.percentile(v, 10)
    hold = max(1, round(hold_ms * fs / 1000))
    half = int(0.08 * fs)
    on = np.full(len(rpeaks), np.nan)
    off = np.full(len(rpeaks), np.nan)
    for i, r in enumerate(np.asarray(rpeaks, dtype=np.int64)):
        lo, hi = max(0, r - half), min(n, r + half + 1)
        if hi - lo < 3:
            continue
        peak = v[lo:hi].max()
        thr_on = floor + k_on * (peak - floor)
        thr_off = floor + k_off * (peak - floor)
        start = max(0, r - int(max_on_ms * fs / 1000))
        below = v[start:r] < thr_on
        run = _run_ending_at(below)
        idx = np.flatnonzero(run >= hold)
        if len(idx):
            on[i] = start + idx[-1] + 1
        stop = min(n, r + int(max_off_ms * fs / 1000))
        below = v[r:stop] < thr_off
        run = _run_ending_at(below[::-1])[::-1]  # run length starting at each sample
        idx = np.flatnonzero(run >= hold)
        if len(idx):
            off[i] = r + idx[0]
    return on, off


def _run_ending_at(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True values ending at each position (0 where False)."""
    out = np.zeros(len(mask), np.int64)
    count = 0
    for i, m in enumerate(mask):
        count = count + 1 if m else 0
        out[i] = count
    return out
