"""Per-lead signal quality flags and limb-lead reversal detection.

Flags (strings in :attr:`LeadQuality.flags`):

- ``disconnected``: the raw lead is constant (an electrode off or a zero-filled channel);
- ``flat``: peak-to-peak amplitude of the cleaned lead below 0.1 mV;
- ``saturated``: more than 0.5 % of samples sit on the lead's extreme values in runs (clipping);
- ``noisy``: the beats do not resemble each other (median correlation with the average beat
  below 0.6), high-frequency residual above 25 % of the QRS amplitude, or no recognisable
  beat at all in 6 s or more;
- ``implausible_amplitude``: the raw lead strays more than
  :data:`medts.record.MAX_PLAUSIBLE_MV` from its median, beyond what an ECG front end records
  (wrong units or corrupt data): every amplitude measured on it would be wrong;
- ``possibly_inverted``: the lead contradicts Einthoven's law only with a sign flip (limb
  leads), correlates negatively with both neighbours (V1-V6), or, for lead II on its own, has
  a dominantly negative QRS.

A lead with ``disconnected``, ``flat``, ``saturated``, ``noisy`` or ``implausible_amplitude`` is not
used for delineation, and counts as unusable in the quality grade (:mod:`medts.interpret.quality`).

Example
-------
>>> import numpy as np, neurokit2 as nk
>>> x = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=3)
>>> sig = np.stack([x, np.zeros_like(x)], axis=1)
>>> from medts.signal.clean import clean_ecg
>>> q = assess_leads(sig, clean_ecg(sig, 500.0), 500.0, ["II", "V1"], np.array([500, 1000]))
>>> q[1].flags
['disconnected']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.signal
from pydantic import BaseModel

from medts.record import clipping_samples, implausible_amplitude, is_saturated, rail_samples

if TYPE_CHECKING:
    from medts.signal.fuse import Delineation

UNUSABLE_FLAGS = frozenset({"disconnected", "flat", "saturated", "noisy", "implausible_amplitude"})

_EINTHOVEN = {
    # lead: ways to compute it from other limb leads (coefficients on named leads)
    "I": [{"II": 1, "III": -1}, {"aVR": -2, "II": -1}, {"aVL": 2, "III": 1}],
    "II": [{"I": 1, "III": 1}, {"aVR": -2, "I": -1}, {"aVF": 1, "I": 0.5}],
    "III": [{"II": 1, "I": -1}, {"aVF": 2, "II": -1}, {"aVL": -2, "I": 1}],
    # each augmented lead from two pairs of I, II, III, so that one inverted lead among those is not
    # blamed on it (II inverted made aVF's only recipe, II - I/2, anti-correlate)
    "aVR": [{"I": -0.5, "II": -0.5}, {"I": -1, "III": 0.5}, {"II": -1, "III": 0.5}],
    "aVL": [{"I": 1, "II": -0.5}, {"I": 0.5, "III": -0.5}, {"II": 0.5, "III": -1}],
    "aVF": [{"II": 1, "I": -0.5}, {"I": 0.5, "III": 1}, {"II": 0.5, "III": 0.5}],
}


class LeadQuality(BaseModel):
    """Quality of one lead: flags (empty when fine) and whether delineation uses it."""

    lead: str
    flags: list[str]
    usable: bool
    amplitude_mv: float
    beat_correlation: float | None


def assess_leads(
    raw: np.ndarray, cleaned: np.ndarray, fs: float, leads: list[str], rpeaks: np.ndarray,
    lead_peaks: dict[int, np.ndarray] | None = None,
) -> list[LeadQuality]:
    """Quality flags for every lead.

    Parameters
    ----------
    raw, cleaned : arrays [n_samples, n_leads] (mV)
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Canonical lead names.
    rpeaks : int array
        R peaks from all leads (used for the beat-similarity check); may be empty.
    lead_peaks : dict column -> int array, optional
        Each lead's own R peaks, used for the beat-similarity check when the consensus has
        fewer than 3 beats (e.g. every lead is noise and no two agree).
    """
    raw = np.asarray(raw, float)
    out = []
    inverted = possibly_inverted_leads(cleaned, leads, rpeaks, fs)
    hf = cleaned - scipy.signal.sosfiltfilt(
        scipy.signal.butter(2, min(40.0, 0.45 * fs), "lowpass", fs=fs, output="sos"), cleaned, axis=0
    )
    for j, name in enumerate(leads):
        flags: list[str] = []
        x, y = raw[:, j], cleaned[:, j]
        amplitude = float(np.percentile(y, 99.5) - np.percentile(y, 0.5))
        corr = None
        if np.ptp(x) < 1e-6:
            flags.append("disconnected")
        elif implausible_amplitude(x):
            flags.append("implausible_amplitude")  # nothing else measured on it can be trusted
        else:
            if amplitude < 0.1:
                flags.append("flat")
            if _is_saturated(x):
                flags.append("saturated")
            corr = beat_correlation(y, rpeaks, fs)
            if corr is None and lead_peaks is not None and j in lead_peaks:
                corr = beat_correlation(y, lead_peaks[j], fs)
            hf_ratio = float(np.std(hf[:, j]) / (amplitude + 1e-9))
            duration_s = len(y) / fs
            own = None if lead_peaks is None else lead_peaks.get(j)
            # No recognisable beat in 6+ s of signal (fewer than one per 3 s) is noise, not ECG.
            beatless = corr is None and own is not None and duration_s >= 6 and len(own) < duration_s / 3
            if "flat" not in flags and ((corr is not None and corr < 0.6) or hf_ratio > 0.25 or beatless):
                flags.append("noisy")
            if name in inverted:
                flags.append("possibly_inverted")
        out.append(
            LeadQuality(
                lead=name, flags=flags, usable=not (set(flags) & UNUSABLE_FLAGS),
                amplitude_mv=round(amplitude, 4), beat_correlation=None if corr is None else round(corr, 3),
            )
        )
    return out


def _is_saturated(x: np.ndarray) -> bool:
    """True when many samples sit exactly on the maximum or minimum (the ADC rail): the rule of
    :func:`medts.record.is_saturated`, shared with ``medts info``."""
    top, bottom = float(x.max()), float(x.min())
    return is_saturated(clipping_samples(rail_samples(x, top, bottom), top, bottom, float(np.median(x))), len(x))


def beat_correlation(lead: np.ndarray, rpeaks: np.ndarray, fs: float) -> float | None:
    """How alike the beats (R-250 ms .. R+400 ms) are: the larger of the median correlation of each beat with
    the median beat and the median correlation of each beat with its second most similar other beat;
    None if < 3 beats.

    Against the median beat alone, ventricular bigeminy read as noise: the median blends the two shapes
    (CPSC2019 01389 and 01651: 0.49 and 0.50, under the 0.6 of ``noisy``, on leads where NeuroKit2 finds
    every beat; the one-lead records were refused). Beat against beat alone, noise on every beat lowers
    the figure (CPSC2019 01714: 0.57 against 0.79 with the median beat, which averages the noise out)."""
    before, after = int(0.25 * fs), int(0.4 * fs)
    r = np.asarray(rpeaks, dtype=np.int64)
    r = r[(r - before >= 0) & (r + after <= len(lead))]
    if len(r) < 3:
        return None
    beats = np.stack([lead[i - before : i + after] for i in r])  # [n_beats, window]
    b = beats - beats.mean(axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True) + 1e-12
    t = np.median(beats, axis=0)
    t = (t - t.mean()) / (np.linalg.norm(t - t.mean()) + 1e-12)
    with_median = float(np.median(b @ t))
    similar = b @ b.T  # [n_beats, n_beats]
    np.fill_diagonal(similar, -np.inf)
    # each beat's second most similar other beat: a morphology seen at least three times counts, so
    # bigeminy's two families are consistent while noise, which repeats no shape, is not
    with_others = float(np.median(np.sort(similar, axis=1)[:, -2]))
    return max(with_median, with_others)


def possibly_inverted_leads(cleaned: np.ndarray, leads: list[str], rpeaks: np.ndarray, fs: float) -> set[str]:
    """Leads whose polarity looks reversed (see module docstring)."""
    idx = {name: j for j, name in enumerate(leads)}
    out: set[str] = set()
    for name, recipes in _EINTHOVEN.items():
        if name not in idx:
            continue
        votes = []
        for recipe in recipes:
            if all(k in idx for k in recipe):
                pred = sum(c * cleaned[:, idx[k]] for k, c in recipe.items())
                votes.append(_corr(cleaned[:, idx[name]], pred))
        # Inverting one limb lead breaks every recipe for it: all its predictions anti-correlate.
        if votes and all(v < -0.5 for v in votes):
            out.add(name)
    for k in range(1, 7):
        name = f"V{k}"
        neighbours = [f"V{m}" for m in (k - 1, k + 1) if 1 <= m <= 6 and f"V{m}" in idx]
        if name in idx and len(neighbours) == 2 and all(
            _corr(cleaned[:, idx[name]], cleaned[:, idx[n]]) < -0.3 for n in neighbours
        ):
            out.add(name)
    if "II" in idx and not any(n in idx for n in ("I", "III", "aVF")) and len(rpeaks):
        y = cleaned[:, idx["II"]]
        w = int(0.06 * fs)
        seg = np.concatenate([y[max(0, r - w) : r + w] for r in rpeaks])
        if -seg.min() > 1.5 * seg.max():
            out.add("II")
    return out


ARM_REVERSAL_MIN_SIGNS = 2
"""Left/right-arm reversal is suspected when lead I has a negative and aVR a positive QRS (the old rule,
which alone fired on right-axis hearts: RVH, RBBB with LPFB, paced rhythm) and at least this many of
the other four signs of an inverted lead I agree: P negative in I, T negative in I, P positive in aVR,
T positive in aVR (P signs only when P waves are found before half the beats or more).

Chosen on PTB-XL records100 strat folds 1-8 (the 723 records of folder 00000 present here): the
old rule fired on 5 real records (ecg_id 222, 385, 428, 680, 903), this one on none, and it still
flags 509 of those 723 records with LA/RA swapped in code (567 with the old rule). Fold 9 was not
used to choose it."""


def _wave_sign_mv(x: np.ndarray, on: np.ndarray, off: np.ndarray, beats: np.ndarray) -> float | None:
    """Median over ``beats`` of a wave's signed size in mV: (max - base) + (min - base) between its
    onset and offset (samples), base = mean of the two ends. ``None`` when no beat has the wave."""
    values = []
    for i in np.flatnonzero(beats):
        a, b = on[i], off[i]
        if np.isfinite(a) and np.isfinite(b) and b > a and int(b) < len(x):
            seg = x[int(a) : int(b) + 1]
            base = 0.5 * (seg[0] + seg[-1])
            values.append(seg.max() + seg.min() - 2.0 * base)
    return float(np.median(values)) if values else None


def limb_lead_reversal(cleaned: np.ndarray, leads: list[str], rpeaks: np.ndarray, fs: float,
                       waves: Delineation) -> str | None:
    """Describe a likely left/right-arm electrode reversal, or None (rule: ``ARM_REVERSAL_MIN_SIGNS``).

    With LA/RA swapped, lead I is inverted (negative P, QRS and T) and aVR becomes upright;
    this is also what dextrocardia looks like, so the result says both. ``waves``: the record's
    delineation (P and T boundaries per beat, which beats have a P wave).
    """
    idx = {name: j for j, name in enumerate(leads)}
    if not {"I", "aVR"} <= idx.keys() or len(rpeaks) < 2:
        return None
    w = int(0.06 * fs)
    r = [p for p in rpeaks if p - w >= 0 and p + w < cleaned.shape[0]]
    if not r:
        return None

    def net_qrs(j: int) -> float:
        return float(np.mean([cleaned[p - w : p + w, j].max() + cleaned[p - w : p + w, j].min() for p in r]))

    if not (net_qrs(idx["I"]) < 0 and net_qrs(idx["aVR"]) > 0):
        return None
    g = waves.global_
    n = len(g["T_on"])
    with_p = np.asarray(waves.p_present, bool) if len(waves.p_present) == n else np.zeros(n, bool)
    p_ok = n > 0 and with_p.mean() >= 0.5
    signs = {
        "P negative in I": p_ok and (_wave_sign_mv(cleaned[:, idx["I"]], g["P_on"], g["P_off"], with_p) or 0.0) < 0,
        "T negative in I": (_wave_sign_mv(cleaned[:, idx["I"]], g["T_on"], g["T_off"], np.ones(n, bool)) or 0.0) < 0,
        "P positive in aVR": p_ok and (_wave_sign_mv(cleaned[:, idx["aVR"]], g["P_on"], g["P_off"], with_p) or 0.0) > 0,
        "T positive in aVR": (_wave_sign_mv(cleaned[:, idx["aVR"]], g["T_on"], g["T_off"], np.ones(n, bool)) or 0.0) > 0,
    }
    agree = [name for name, yes in signs.items() if yes]
    if len(agree) < ARM_REVERSAL_MIN_SIGNS:
        return None
    return (f"lead I has a negative and aVR a positive QRS ({', '.join(agree)}): possible left/right arm "
            "electrode reversal (or dextrocardia)")


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
