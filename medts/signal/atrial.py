"""Atrial activity between the QRS-T complexes: the measurements the atrial-flutter rule reads.

Two measurements per lead (II, III, aVF, V1: the leads where flutter waves are largest, the
inferior "sawtooth" and V1), both spectral, both in mV-scaled cleaned signal:

- **After QRS-T cancellation** (:func:`qrst_residual`): the median beat (100 ms before to 450 ms
  after each R peak, shortened at fast rates so neighbouring windows do not overlap) is
  subtracted from every beat; the residual keeps atrial activity that is *not* locked to the
  QRS (flutter with variable conduction, fibrillatory waves). Its Welch spectrum gives the peak
  frequency in the flutter band and the *concentration*: the power within 0.3 Hz of that peak
  over the power at 2-12 Hz. Regular flutter waves give one narrow peak; fibrillatory waves
  spread over 4-9 Hz.
- **Harmonics of the average cycle** (:func:`cycle_harmonics`): with a *fixed* conduction ratio
  (2:1, 3:1, 4:1) the flutter waves are locked to the QRS, so cancellation removes them with
  the QRS-T. Every RR cycle is resampled to the same length and averaged (median), the QRS
  (60 ms before to 70 ms after R) is bridged by a straight line, and the cycle's Fourier
  series gives the harmonics of the ventricular rate. Flutter at k:1 puts the atrial wave at
  harmonic k (k x the ventricular rate in the flutter band); a sinus P wave (one per QRS) and
  the T wave put their power at the low harmonics.

No clinical rule here: :mod:`medts.interpret.rhythm` decides what the numbers mean.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from pydantic import BaseModel
from scipy.signal import welch

FLUTTER_LEADS = ("II", "III", "aVF", "V1")
FLUTTER_BAND_HZ = (4.0, 350.0 / 60.0)
"""240-350 /min: the atrial rate of typical flutter (Surawicz & Knilans, Chou's Electrocardiography
in Clinical Practice, 6th ed., ch. 13: 240-340 /min; AHA/ACCF/HRS 2009 standardization, part II
statement list: flutter waves)."""
PEAK_HALF_WIDTH_HZ = 0.3
REFERENCE_BAND_HZ = (2.0, 12.0)
PRE_R_S = 0.10
POST_R_S = 0.45
CYCLE_POINTS = 256
QRS_BEFORE_R_S = 0.06
QRS_AFTER_R_S = 0.07
MAX_HARMONIC = 20


class LeadAtrialActivity(BaseModel):
    """Atrial-activity measurements of one lead (frequencies in Hz, amplitude in mV)."""

    lead: str
    residual_peak_hz: float | None = None
    residual_concentration: float | None = None
    """Welch power within 0.3 Hz of the peak (flutter band) over the power at 2-12 Hz, after QRS-T cancellation."""
    harmonic: int | None = None
    """k: the harmonic of the ventricular rate in the flutter band (k x rate in 240-350 /min), the strongest if two."""
    harmonic_hz: float | None = None
    harmonic_share: float | None = None
    """Power of harmonic k over the power of harmonics 1-20 of the average cycle (QRS bridged)."""
    harmonic_over_lower: float | None = None
    """Power of harmonic k over the strongest of harmonics 1..k-1."""
    harmonic_amplitude_mv: float | None = None


class AtrialActivity(BaseModel):
    """Per-lead atrial-activity measurements (:mod:`medts.signal.atrial`); empty when not measurable."""

    leads: list[LeadAtrialActivity] = []
    reason: str | None = None


def qrst_residual(x: np.ndarray, rpeaks: np.ndarray, fs: float) -> np.ndarray | None:
    """``x`` (one lead, mV) minus the median QRS-T template at every R peak; None with < 4 full beats."""
    r = np.asarray(rpeaks, int)
    rr = float(np.median(np.diff(r))) / fs
    pre = int(PRE_R_S * fs)
    post = int(min(POST_R_S, 0.9 * rr - PRE_R_S) * fs)  # at fast rates the windows must not overlap
    n = len(x)
    full = [k for k in r if k - pre >= 0 and k + post <= n]
    if len(full) < 4 or post <= 0:
        return None
    template = np.median(np.stack([x[k - pre:k + post] for k in full]), axis=0)
    y = x.astype(float).copy()
    for k in r:
        lo, hi = max(0, k - pre), min(n, k + post)
        y[lo:hi] -= template[lo - (k - pre):hi - (k - pre)]
    return y


def spectral_peak(y: np.ndarray, fs: float) -> tuple[float, float]:
    """(peak frequency in the flutter band, concentration) of ``y``'s Welch spectrum (4 s segments)."""
    f, p = welch(y, fs=fs, nperseg=int(min(len(y), 4 * fs)), nfft=int(16 * fs))
    band = (f >= FLUTTER_BAND_HZ[0]) & (f <= FLUTTER_BAND_HZ[1])
    peak = float(f[band][np.argmax(p[band])])
    near = p[(f >= peak - PEAK_HALF_WIDTH_HZ) & (f <= peak + PEAK_HALF_WIDTH_HZ)].sum()
    ref = p[(f >= REFERENCE_BAND_HZ[0]) & (f <= REFERENCE_BAND_HZ[1])].sum()
    return peak, float(near / ref) if ref > 0 else 0.0


def cycle_harmonics(x: np.ndarray, rpeaks: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """Power of harmonics 0..N/2 of the median RR cycle (QRS bridged) and the ventricular rate (Hz).

    Each RR interval is resampled to :data:`CYCLE_POINTS` points, so harmonic k of the result is
    k x the ventricular rate whatever the small RR variation.
    """
    r = np.asarray(rpeaks, int)
    rr_s = float(np.median(np.diff(r))) / fs
    grid = np.linspace(0.0, 1.0, CYCLE_POINTS, endpoint=False)
    cycles = [np.interp(grid * (b - a), np.arange(b - a + 1), x[a:b + 1]) for a, b in pairwise(r)]
    c = np.median(np.stack(cycles), axis=0)
    after = round(QRS_AFTER_R_S / rr_s * CYCLE_POINTS)
    before = round(QRS_BEFORE_R_S / rr_s * CYCLE_POINTS)
    start = CYCLE_POINTS - before  # the bridge runs from start (before the next R) round to ``after``
    bridge = np.linspace(c[start], c[after], before + after)
    c = c.copy()
    c[start:], c[:after] = bridge[:before], bridge[before:]
    power = np.abs(np.fft.rfft(c - c.mean())) ** 2
    return power, 1.0 / rr_s


def lead_atrial_activity(x: np.ndarray, rpeaks: np.ndarray, fs: float, lead: str) -> LeadAtrialActivity:
    """Both measurements (see the module docstring) for one lead ``x`` (mV)."""
    out = LeadAtrialActivity(lead=lead)
    y = qrst_residual(x, rpeaks, fs)
    if y is not None:
        peak, conc = spectral_peak(y, fs)
        out.residual_peak_hz, out.residual_concentration = round(peak, 3), round(conc, 4)
    power, rate_hz = cycle_harmonics(x, rpeaks, fs)
    ks = [k for k in range(2, MAX_HARMONIC) if FLUTTER_BAND_HZ[0] <= k * rate_hz <= FLUTTER_BAND_HZ[1]]
    if ks:
        k = max(ks, key=lambda i: power[i])
        total = power[1:MAX_HARMONIC + 1].sum()
        out.harmonic, out.harmonic_hz = k, round(k * rate_hz, 3)
        out.harmonic_share = round(float(power[k] / total), 4) if total > 0 else 0.0
        out.harmonic_over_lower = round(float(power[k] / max(power[1:k].max(), 1e-12)), 3)
        out.harmonic_amplitude_mv = round(float(2.0 * np.sqrt(power[k]) / CYCLE_POINTS), 4)
    return out


def atrial_activity(cleaned: np.ndarray, fs: float, rpeaks: np.ndarray, leads: list[str],
                    usable: list[int]) -> AtrialActivity:
    """:class:`AtrialActivity` of the usable :data:`FLUTTER_LEADS` of ``cleaned`` [n_samples, n_leads] (mV)."""
    r = np.asarray(rpeaks, int)
    if len(r) < 5:
        return AtrialActivity(reason=f"needs at least 5 beats, found {len(r)}")
    if fs < 2.5 * FLUTTER_BAND_HZ[1] * 2:
        return AtrialActivity(reason=f"sampling rate {fs:g} Hz too low for the flutter band")
    picked = [(name, leads.index(name)) for name in FLUTTER_LEADS if name in leads and leads.index(name) in usable]
    if not picked:
        return AtrialActivity(reason=f"none of {', '.join(FLUTTER_LEADS)} usable")
    return AtrialActivity(leads=[lead_atrial_activity(cleaned[:, j].astype(float), r, fs, name) for name, j in picked])
