"""Multi-lead fusion: one global fiducial per beat, as ECG machines measure intervals.

QRS onset and offset come from the spatial velocity of all usable leads
(:func:`medts.signal.delineate.qrs_bounds`). P and T boundaries are fused from the per-lead
NeuroKit2 ``prominence`` delineation with a robust percentile across leads (an earlier
percentile for onsets, as the earliest robust onset; a later one for offsets) plus a
constant shift, except the T end, which is the trapezium-area T end of each lead fused over the
leads with a prominent T wave (:mod:`medts.signal.tend`). Percentiles and shifts were tuned on
LUDB records 1-80 only (``TUNED_ON``); records 81-160 and QTDB are held out. The T-end constants
(in :mod:`medts.signal.tend`) were chosen on LUDB 1-80 with half of QTDB (``RECORDS[0::2]``).

Example
-------
>>> import numpy as np
>>> per = {k: np.array([[10.0, 110.0], [14.0, 114.0], [12.0, np.nan]]) for k in ("P_on",)}
>>> fuse_percentile(per["P_on"], 50.0, 0.0).tolist()
[12.0, 112.0]
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.signal

from medts.signal.delineate import FIDUCIALS, delineate_lead_nk, qrs_bounds, spatial_velocity
from medts.signal.tend import fuse_t_end, reject_outlier_t_ends, t_end_trapezium

TUNED_ON: tuple[int, ...] = tuple(range(1, 81))
"""LUDB records used to choose the constants below (records 81-160 are held out)."""

QRS_PARAMS = {"k_on": 0.05, "k_off": 0.08, "hold_ms": 6.0}
"""Spatial-velocity thresholds (fraction of the QRS velocity peak) chosen on ``TUNED_ON``."""

FUSION = {
    # kind: (percentile across leads, shift in ms), chosen on TUNED_ON
    "QRS_on": (None, -2.0),
    "QRS_off": (None, 1.0),
    "P_on": (25.0, 4.0),
    "P_off": (40.0, 3.0),
    "T_on": (40.0, 2.0),
    # T_off: medts.signal.tend.T_END_FUSION (trapezium-area T end per lead)
}

PEAKS_IN_FUSED_WINDOW = True
"""Place per-lead P and T peaks inside the fused wave boundaries (else NeuroKit2's own peaks)."""

PR_SPREAD_MS = 20.0
"""Robust SD of the per-beat PR distance above which P waves are judged absent / uncoupled."""

QRS_PEAK_SHIFT_MS = -2.0
"""Shift of each lead's QRS peak (rounded to whole samples), chosen on ``TUNED_ON``: LUDB marks
the R peak 1-2 samples (at 500 Hz) before the sample maximum of the signal."""

QRS_PEAK_POSITIVE_RATIO = 0.1
"""For the global QRS peak, a lead's dominant extremum is positive unless smaller than this
fraction of the negative one (QS-like complexes)."""

T_PEAK_PAD_MS = (20.0, 60.0)
"""The per-lead T peak is searched from this much before the fused T onset to this much after
the fused T offset (chosen on ``TUNED_ON``): the fused offset is a 40th percentile across leads,
so leads with a later T wave would otherwise have their apex clipped."""

T_ON_LEAD_LIMIT_MS = 30.0
"""Per-lead T onset: the lead's own NeuroKit2 onset, held within this distance of the fused onset
(chosen on ``TUNED_ON``). Annotators mark T onset per lead, where it genuinely differs."""


@dataclass
class Delineation:
    """Per-beat fiducials (samples, float with NaN) of one record.

    ``global_`` maps each kind in ``FIDUCIALS`` to an array [n_beats] (one fused fiducial
    per beat; peaks there are the median over leads); ``per_lead`` maps each kind to an array
    [n_leads, n_beats] (peaks are lead-specific, boundaries the fused ones, NaN in unusable leads).
    """

    fs: float
    rpeaks: np.ndarray
    leads: list[str]
    global_: dict[str, np.ndarray]
    per_lead: dict[str, np.ndarray]
    p_present: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    p_note: str = ""
    """What the P-wave decision saw (``p_waves_present``), for the reason of a missing PR."""


def fuse_percentile(values: np.ndarray, percentile: float, shift_samples: float) -> np.ndarray:
    """NaN-aware percentile across leads (axis 0) plus a shift; NaN where no lead has a value.

    Gives exactly ``np.nanpercentile(values, percentile, axis=0)`` (linear method), computed
    for all beats at once: numpy's NaN path loops over columns in Python, which made this
    ~10 % of a whole record's measurement time.
    """
    values = np.asarray(values, dtype=float)
    ordered = np.sort(values, axis=0)  # NaN sorts last: the first n_valid rows are the values
    n_valid = np.sum(np.isfinite(values), axis=0)
    position = np.maximum(n_valid - 1, 0) * (percentile / 100.0)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, np.maximum(n_valid - 1, 0))
    a = np.take_along_axis(ordered, below[None], axis=0)[0]
    b = np.take_along_axis(ordered, above[None], axis=0)[0]
    t = position - below
    with np.errstate(invalid="ignore"):
        diff = b - a
        # numpy's own lerp, so results match np.nanpercentile bit for bit
        fused = np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
    fused[n_valid == 0] = np.nan
    return fused + shift_samples


def lead_qrs_peaks(cleaned: np.ndarray, on: np.ndarray, off: np.ndarray, rpeaks: np.ndarray, fs: float) -> np.ndarray:
    """Per-lead QRS peak: the most prominent positive deflection (R) inside the fused QRS.

    LUDB cardiologists mark R, even a small r of an rS or Qr complex, and almost never S
    (on records 1-80, 88% of their marks are within 2 samples of a positive maximum, 0.2% at
    the minimum). The largest positive sample is often not that r: in rS leads (V1, aVR) the
    signal after S can end higher than the r, so the peak is the local maximum of largest
    topographic prominence (``scipy.signal.find_peaks``), or the maximum when the complex has
    no local maximum, shifted by ``QRS_PEAK_SHIFT_MS``.

    Returns float array [n_leads, n_beats] of sample indices.
    """
    n, n_leads = cleaned.shape
    shift = round(QRS_PEAK_SHIFT_MS * fs / 1000.0)
    out = np.full((n_leads, len(rpeaks)), np.nan)
    for i, r in enumerate(rpeaks):
        lo = int(on[i]) if np.isfinite(on[i]) else int(r) - 1
        hi = int(off[i]) if np.isfinite(off[i]) else int(r) + 1
        lo, hi = max(0, lo), min(n, max(hi, lo + 2))
        seg = cleaned[lo:hi]  # [len, n_leads]
        for j in range(n_leads):
            peaks, props = scipy.signal.find_peaks(seg[:, j], prominence=0)
            k = peaks[np.argmax(props["prominences"])] if len(peaks) else int(np.argmax(seg[:, j]))
            out[j, i] = min(n - 1, max(0, lo + k + shift))
    return out


def dominant_qrs_extrema(cleaned: np.ndarray, on: np.ndarray, off: np.ndarray, rpeaks: np.ndarray) -> np.ndarray:
    """Per-lead dominant QRS extremum: R (positive extremum) unless a QS complex.

    Feeds only the global (median over leads) QRS peak, which is unchanged from the first
    release; the per-lead peaks follow the annotators' convention (:func:`lead_qrs_peaks`).
    Returns float array [n_leads, n_beats] of sample indices.
    """
    n, n_leads = cleaned.shape
    out = np.full((n_leads, len(rpeaks)), np.nan)
    for i, r in enumerate(rpeaks):
        lo = int(on[i]) if np.isfinite(on[i]) else int(r) - 1
        hi = int(off[i]) if np.isfinite(off[i]) else int(r) + 1
        lo, hi = max(0, lo), min(n, max(hi, lo + 2))
        seg = cleaned[lo:hi] - cleaned[lo]  # [len, n_leads], relative to the onset level
        pos, neg = seg.max(axis=0), -seg.min(axis=0)
        use_pos = pos >= QRS_PEAK_POSITIVE_RATIO * neg
        out[:, i] = lo + np.where(use_pos, seg.argmax(axis=0), seg.argmin(axis=0))
    return out


P_WINDOW_S = 10.0
"""P-wave presence is decided per window of this length (a 10-s ECG is one window), so one stretch
of atrial fibrillation, noise or ectopy does not remove the P waves of a whole long record."""


FEW_LEADS = 3
"""With this many usable leads or fewer, one lead whose P waves are coupled to the QRS is enough for a
window (2-lead Holter records: a lead without visible P waves made the median PR wander)."""


COUPLED_LEADS_AGREEING = 3
"""With more than ``FEW_LEADS`` usable leads, a window the median over leads rejects keeps its P waves when
at least this many leads are each coupled to the QRS on their own, with PRs within ``1.5 * PR_SPREAD_MS`` of
their median (LUDB sinus records 10, 43, 45, 60, 72, 104, 121, 125: P waves clear in the inferior or
precordial leads only, and the median over leads wandered; in every LUDB 1-160 AF or flutter record at most one
lead is coupled). Chosen on LUDB 1-160; PTB-XL is the test."""


def p_waves_present(per_p_peak: np.ndarray, rpeaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, str]:
    """Whether each beat has a P wave, decided per window of ``P_WINDOW_S``, which leads' P marks to
    keep, and a note saying what was seen.

    NeuroKit2's prominence method always proposes some P peak. A window is judged to lack
    consistent P waves when the PR distance of its proposed P peaks (median over leads) varies by
    more than ``PR_SPREAD_MS`` (robust SD) or sits within 60 ms of the R peak; a beat lacks one
    when fewer than half the usable leads propose one. With ``FEW_LEADS`` usable leads or fewer, a
    window the median rejects is kept when one lead on its own is coupled; with more, when
    ``COUPLED_LEADS_AGREEING`` leads are, with agreeing PRs: those leads' marks are kept and the
    others' dropped in that window.

    Returns (present bool [n_beats], lead_ok bool [n_leads, n_beats], note).
    """
    n_leads, n_beats = per_p_peak.shape if per_p_peak.ndim == 2 else (0, len(rpeaks))
    lead_ok = np.ones((n_leads, n_beats), bool)
    if n_beats == 0:
        return np.zeros(0, bool), lead_ok, "no beats"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pr_lead = (rpeaks[None, :] - per_p_peak) * 1000.0 / fs  # [leads, beats] ms
        pr = np.nanmedian(pr_lead, axis=0)
    count = np.isfinite(per_p_peak).sum(axis=0)
    present = count >= max(1, 0.5 * n_leads)
    window = np.floor(np.asarray(rpeaks, float) / (P_WINDOW_S * fs)).astype(int)
    if window[-1] > 0 and (window == window[-1]).sum() < 4:
        window[window == window[-1]] = window[-1] - 1  # a short tail joins the window before it
    uncoupled, near_qrs, judged, some_leads = 0, 0, 0, 0

    def coupled(values: np.ndarray) -> str | None:
        """None when coupled, else why not. Robust spread: one edge beat or one misplaced P must not
        decide; a PR wandering by more than 20 ms (robust SD) means the proposed "P waves" are not
        coupled to the QRS (atrial fibrillation or flutter, AV dissociation): no PR exists."""
        if 1.4826 * np.median(np.abs(values - np.median(values))) > PR_SPREAD_MS:
            return "uncoupled"
        return "near QRS" if np.median(values) < 60.0 else None  # a "P" this close to R is QRS

    for w in np.unique(window):
        beats = window == w
        good = pr[beats & np.isfinite(pr)]
        if len(good) < 3:
            continue
        judged += 1
        why = coupled(good)
        if why is None:
            continue
        ok = [j for j in range(n_leads) if np.isfinite(pr_lead[j, beats]).sum() >= 3
              and coupled(pr_lead[j, beats][np.isfinite(pr_lead[j, beats])]) is None]
        if n_leads > FEW_LEADS and ok:
            lead_pr = np.array([np.nanmedian(pr_lead[j, beats]) for j in ok])
            ok = [j for j, v in zip(ok, lead_pr, strict=True) if abs(v - np.median(lead_pr)) <= 1.5 * PR_SPREAD_MS]
            ok = ok if len(ok) >= COUPLED_LEADS_AGREEING else []
        if ok:
            lead_ok[:, beats] = False
            lead_ok[ok, :] = lead_ok[ok, :] | beats[None, :]
            present[beats] = np.isfinite(per_p_peak[ok][:, beats]).any(axis=0)
            some_leads += 1
            continue
        present[beats] = False
        uncoupled += why == "uncoupled"
        near_qrs += why == "near QRS"
    parts = []
    if uncoupled:
        parts.append(f"proposed P waves not coupled to the QRS (PR spread over {PR_SPREAD_MS:g} ms) in "
                     f"{uncoupled} of {judged} window(s) of {P_WINDOW_S:g} s")
    if near_qrs:
        parts.append(f"proposed P peaks within 60 ms of the R peak in {near_qrs} of {judged} window(s)")
    if some_leads:
        only = "one lead only" if n_leads <= FEW_LEADS else "some leads only"
        parts.append(f"P waves coupled to the QRS in {only} in {some_leads} of {judged} window(s)")
    note = "; ".join(parts) if parts else f"P waves coupled to the QRS in all {judged} window(s) judged"
    return present, lead_ok, note


def delineate_ecg(cleaned: np.ndarray, fs: float, rpeaks: np.ndarray, leads: list[str], usable: list[int]) -> Delineation:
    """Delineate every usable lead and fuse the fiducials across leads.

    Parameters
    ----------
    cleaned : array [n_samples, n_leads] (mV), output of :func:`medts.signal.clean.clean_ecg`
    fs : float
        Sampling rate (Hz).
    rpeaks : int array [n_beats]
        Consensus R peaks.
    leads : list of str
        Lead names of the columns.
    usable : list of int
        Columns that passed the quality checks; the others get NaN.
    """
    n_leads = cleaned.shape[1]
    rpeaks = np.asarray(rpeaks, dtype=np.int64)
    n_beats = len(rpeaks)
    per = {k: np.full((n_leads, n_beats), np.nan) for k in FIDUCIALS}
    glob = {k: np.full(n_beats, np.nan) for k in FIDUCIALS}
    if n_beats == 0 or not usable:
        return Delineation(fs, rpeaks, list(leads), glob, per, np.zeros(n_beats, bool))
    velocity = spatial_velocity(cleaned, fs, usable)
    on, off = qrs_bounds(velocity, rpeaks, fs, **QRS_PARAMS)
    ms = fs / 1000.0
    glob["QRS_on"] = on + FUSION["QRS_on"][1] * ms
    glob["QRS_off"] = off + FUSION["QRS_off"][1] * ms
    t_amp = np.full((n_leads, n_beats), np.nan)
    w = max(1, int(0.04 * fs))
    for j in usable:
        # NeuroKit2's prominence method expects the lead's own (positive) R peak: move the
        # consensus R to this lead's local maximum, as nk.ecg_peaks would place it.
        lead_r = _local_max(cleaned[:, j], rpeaks, w)
        d = delineate_lead_nk(cleaned[:, j], lead_r, fs, method="prominence")
        for k in ("P_on", "P_peak", "P_off", "T_on", "T_peak"):
            per[k][j] = d[k]
        # T end: trapezium area after NeuroKit2's T peak (its own T offset sits early on QTDB)
        per["T_off"][j], t_amp[j] = t_end_trapezium(
            cleaned[:, j], fs, rpeaks, glob["QRS_on"], glob["QRS_off"], d["T_peak"])
    sub = {k: per[k][usable] for k in per}  # [n_usable, n_beats]
    for kind in ("P_on", "P_off", "T_on"):
        q, shift = FUSION[kind]
        glob[kind] = fuse_percentile(sub[kind], q, shift * ms)
    glob["T_off"] = fuse_t_end(reject_outlier_t_ends(sub["T_off"], glob["QRS_on"], fs), t_amp[usable], fs)
    present, lead_ok, p_note = p_waves_present(sub["P_peak"], rpeaks, fs)
    if not lead_ok.all():  # few leads, one coupled: fuse the P boundaries from the coupled leads only
        for kind in ("P_on", "P_peak", "P_off"):
            sub[kind] = np.where(lead_ok, sub[kind], np.nan)
            per[kind][usable] = sub[kind]
        for kind in ("P_on", "P_off"):
            q, shift = FUSION[kind]
            glob[kind] = fuse_percentile(sub[kind], q, shift * ms)
    for kind in ("P_on", "P_peak", "P_off"):
        per[kind][:, ~present] = np.nan
    for kind in ("P_on", "P_off"):
        glob[kind][~present] = np.nan
    per["QRS_peak"][usable] = lead_qrs_peaks(cleaned[:, usable], glob["QRS_on"], glob["QRS_off"], rpeaks, fs)
    if PEAKS_IN_FUSED_WINDOW:
        pads = {"P": (0, 0), "T": tuple(round(p * ms) for p in T_PEAK_PAD_MS)}
        for wave in ("P", "T"):
            per[f"{wave}_peak"][usable] = wave_peaks_in_window(
                cleaned[:, usable], glob[f"{wave}_on"], glob[f"{wave}_off"], pad=pads[wave])
    for kind in ("P_peak", "T_peak"):
        glob[kind] = fuse_percentile(per[kind][usable], 50.0, 0.0)
    glob["QRS_peak"] = fuse_percentile(
        dominant_qrs_extrema(cleaned[:, usable], glob["QRS_on"], glob["QRS_off"], rpeaks), 50.0, 0.0)
    lead_t_on = per["T_on"][usable]  # NeuroKit2's own per-lead onsets, [n_usable, n_beats]
    for kind in ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"):
        per[kind][usable] = glob[kind][None, :]
    limit = T_ON_LEAD_LIMIT_MS * ms
    per["T_on"][usable] = glob["T_on"] + np.clip(np.nan_to_num(lead_t_on - glob["T_on"], nan=0.0), -limit, limit)
    _order_fiducials(glob)
    return Delineation(fs, rpeaks, list(leads), glob, per, present, p_note)


def wave_peaks_in_window(cleaned: np.ndarray, on: np.ndarray, off: np.ndarray, *, pad: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Per-lead P or T peak: the largest deviation from the chord across the fused wave.

    The window runs from ``pad[0]`` samples before ``on`` to ``pad[1]`` samples after ``off``.
    Returns float array [n_leads, n_beats] (NaN where the fused window is missing).
    """
    n, n_leads = cleaned.shape
    out = np.full((n_leads, len(on)), np.nan)
    for i, (a, b) in enumerate(zip(on, off)):
        if not (np.isfinite(a) and np.isfinite(b)) or b - a < 2:
            continue
        a, b = max(0, int(a) - pad[0]), min(int(b) + pad[1], n - 1)
        seg = cleaned[a : b + 1]  # [len, n_leads]
        frac = np.linspace(0.0, 1.0, len(seg))[:, None]
        chord = seg[0] + frac * (seg[-1] - seg[0])  # straight line between the window's ends
        out[:, i] = a + np.argmax(np.abs(seg - chord), axis=0)
    return out


def _local_max(x: np.ndarray, peaks: np.ndarray, half: int) -> np.ndarray:
    """Index of the maximum of ``x`` within ``±half`` samples of each peak."""
    out = np.empty(len(peaks), np.int64)
    for i, p in enumerate(peaks):
        lo, hi = max(0, int(p) - half), min(len(x), int(p) + half + 1)
        out[i] = lo + int(np.argmax(x[lo:hi]))
    return out


def _order_fiducials(glob: dict[str, np.ndarray]) -> None:
    """Drop fused boundaries that contradict the wave order P_on < P_off <= QRS_on < QRS_off <= T_on < T_off."""
    order = ["P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"]
    for a, b in itertools.pairwise(order):
        bad = np.isfinite(glob[a]) & np.isfinite(glob[b]) & (glob[a] > glob[b])
        if bad.any():
            # The later boundary of a P or T pair is the less reliable one.
            victim = b if b.startswith(("P", "T")) else a if a.startswith(("P", "T")) else None
            if victim is not None:
                glob[victim][bad] = np.nan
