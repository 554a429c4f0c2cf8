"""R peaks by consensus across leads, heart rate and RR statistics.

Each usable lead is run through ``nk.ecg_peaks`` (NeuroKit2's default detector); a beat is
kept when enough leads place an R peak within ``±60 ms`` of each other, which drops peaks that
only one noisy lead sees and recovers beats a single lead misses.

Example
-------
>>> import numpy as np, neurokit2 as nk
>>> x = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, random_state=1)
>>> r = consensus_rpeaks(np.stack([x, x * 0.5], axis=1), 500.0)
>>> 10 <= len(r) <= 13
True
"""

from __future__ import annotations

import warnings

import neurokit2 as nk
import numpy as np

CLUSTER_MS = 60.0


def lead_rpeaks(lead: np.ndarray, fs: float) -> np.ndarray:
    """R peaks of one cleaned lead (sample indices); empty when NeuroKit2 finds none or fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # ecg_findpeaks is ecg_peaks without building a per-sample DataFrame (4x faster).
            info = nk.ecg_findpeaks(np.asarray(lead, float), sampling_rate=round(fs), method="neurokit")
        return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
    except Exception:  # noqa: BLE001 - NeuroKit2 raises many types on degenerate input
        return np.zeros(0, np.int64)


def consensus_rpeaks(
    cleaned: np.ndarray,
    fs: float,
    *,
    leads: list[int] | None = None,
    min_fraction: float = 0.4,
    per_lead: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """R peaks supported by at least ``min_fraction`` of the usable leads.

    Parameters
    ----------
    cleaned : array [n_samples, n_leads] (mV), cleaned signal
    fs : float
        Sampling rate (Hz).
    leads : list of int, optional
        Columns to use (the ones that passed quality checks); all by default.
    min_fraction : float
        Fraction of the used leads that must agree on a beat (at least one lead).
    per_lead : dict column -> R peaks, optional
        Per-lead detections already computed (:func:`lead_rpeaks`), reused instead of recomputed.

    Returns
    -------
    array int64 [n_beats]: sample index of each beat, placed at the sample of largest
    spatial magnitude (root sum of squares over the used leads) within ±10 ms of the median
    of the per-lead positions.
    """
    x = np.asarray(cleaned, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    cols = list(range(x.shape[1])) if leads is None else list(leads)
    if not cols:
        return np.zeros(0, np.int64)
    cache = {} if per_lead is None else per_lead
    found = [cache[j] if j in cache else lead_rpeaks(x[:, j], fs) for j in cols]
    allp = np.sort(np.concatenate(found)) if found else np.zeros(0, np.int64)
    if len(allp) == 0:
        return np.zeros(0, np.int64)
    tol = round(CLUSTER_MS * fs / 1000)
    # Split the pooled peaks into clusters wherever consecutive peaks are further apart than tol.
    breaks = np.flatnonzero(np.diff(allp) > tol) + 1
    need = max(1, int(np.ceil(min_fraction * len(cols))))
    magnitude = np.sqrt((x[:, cols] ** 2).sum(axis=1))
    beats = []
    for cluster in np.split(allp, breaks):
        if len(cluster) < need:
            continue
        centre = int(np.median(cluster))
        # Refine only within ±10 ms: a wider search lets one noisy lead pull the beat away.
        half = max(1, round(0.01 * fs))
        lo, hi = max(0, centre - half), min(len(magnitude), centre + half + 1)
        beats.append(lo + int(np.argmax(magnitude[lo:hi])))
    beats = np.unique(np.asarray(beats, dtype=np.int64))
    # Two clusters closer than a refractory 200 ms are one beat seen twice: keep the larger.
    refractory = int(0.2 * fs)
    kept: list[int] = []
    for b in beats:
        if kept and b - kept[-1] < refractory:
            if magnitude[b] > magnitude[kept[-1]]:
                kept[-1] = int(b)
        else:
            kept.append(int(b))
    return np.asarray(kept, dtype=np.int64)


def rr_intervals_ms(rpeaks: np.ndarray, fs: float) -> np.ndarray:
    """RR intervals (ms) between consecutive R peaks."""
    return np.diff(np.asarray(rpeaks, dtype=float)) * 1000.0 / fs
