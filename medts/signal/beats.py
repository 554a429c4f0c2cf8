"""Per-beat shape and timing features: correlation with the record's median beat, RR
prematurity and the following pause, and an approximate QRS width.

One implementation for every caller: the MedTsLLM anomaly scorer and its baselines
(``medts.medtsllm.anomaly``), and :func:`unusual_beats`, the one template + RR detector used by the
agent's fallback anomaly tool (``medts.agent.tools``) and the report (``medts.report.sources``).

All inputs are sample indices at ``fs`` Hz; signals are mV, ``[n_samples]`` or
``[n_samples, n_leads]``. Features are dimensionless ratios to the record's own median (beat
shape, RR, width), so they keep one scale across records and leads.

Example
-------
>>> import numpy as np
>>> fs = 100.0
>>> t = np.arange(1000) / fs
>>> beats = np.arange(50, 950, 80)
>>> x = np.zeros(1000); x[beats] = 1.0
>>> x = np.convolve(x, np.hanning(7), mode="same")
>>> bool(np.all(template_correlation(x, beats, fs) > 0.99))
True
>>> rr_prematurity(beats, fs).round(2).tolist()[:3]
[0.0, 0.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def beat_matrix(signal: np.ndarray, beats: np.ndarray, fs: float, before_s: float = 0.25,
                after_s: float = 0.4) -> np.ndarray:
    """Segments around each beat, edge-padded at the record ends.

    ``signal`` [n_samples] or [n_samples, n_leads] -> [n_beats, samples] or
    [n_beats, samples, n_leads], ``samples = round(before_s*fs) + round(after_s*fs)``."""
    a, b = int(round(before_s * fs)), int(round(after_s * fs))
    x = np.asarray(signal, float)
    pad = ((a, b),) + ((0, 0),) * (x.ndim - 1)
    padded = np.pad(x, pad, mode="edge")
    idx = np.asarray(beats, int)[:, None] + np.arange(a + b)[None, :]  # [n_beats, samples] into padded
    return padded[idx]


def template_correlation(signal: np.ndarray, beats: np.ndarray, fs: float, *, before_s: float = 0.25,
                         after_s: float = 0.4, typical: float | None = None,
                         typical_mask: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of each beat with the record's median beat (all leads together).

    Each beat segment (``before_s`` before to ``after_s`` after the R peak) is centred per lead;
    the correlation runs over samples x leads. With ``typical`` (a fraction, e.g. 0.5) the template
    is rebuilt from that fraction of beats most correlated with the first median (and, given
    ``typical_mask`` bool [n_beats], only from beats it marks, e.g. not premature). Returns float
    [n_beats] in [-1, 1] (empty for no beats)."""
    if len(beats) == 0:
        return np.zeros(0)
    m = beat_matrix(signal, beats, fs, before_s, after_s)  # [beats, samples(, leads)]
    m = m - m.mean(axis=1, keepdims=True)
    flat = m.reshape(len(m), -1)  # [beats, samples * leads]
    norms = np.linalg.norm(flat, axis=1) + 1e-12
    corr = _corr_with(flat, norms, np.median(flat, axis=0))
    if typical is not None:
        # second pass: the template from the most typical beats only, so that frequent ectopic
        # beats (bigeminy: a third or more of all beats) do not blur it
        keep = corr >= np.quantile(corr, 1.0 - typical)
        if typical_mask is not None and (keep & typical_mask).sum() >= 3:
            keep &= typical_mask
        corr = _corr_with(flat, norms, np.median(flat[keep], axis=0))
    return corr


def _corr_with(flat: np.ndarray, norms: np.ndarray, template: np.ndarray) -> np.ndarray:
    return (flat @ template) / (norms * (np.linalg.norm(template) + 1e-12))


def rr_prematurity(beats: np.ndarray, fs: float) -> np.ndarray:
    """1 − RR before the beat / the record's median RR (positive: premature); first beat 0.
    Zeros for fewer than 3 beats."""
    beats = np.asarray(beats, float)
    if len(beats) < 3:
        return np.zeros(len(beats))
    rr = np.diff(beats) / fs
    return np.concatenate([[0.0], 1.0 - rr / np.median(rr)])


def rr_pause(beats: np.ndarray, fs: float) -> np.ndarray:
    """RR after the beat / the record's median RR − 1 (positive: a pause follows, as the
    compensatory pause after a ventricular beat); last beat 0. Zeros for fewer than 3 beats."""
    beats = np.asarray(beats, float)
    if len(beats) < 3:
        return np.zeros(len(beats))
    rr = np.diff(beats) / fs
    return np.concatenate([rr / np.median(rr) - 1.0, [0.0]])


def qrs_width_ms(signal: np.ndarray, beats: np.ndarray, fs: float, *, search_s: float = 0.15,
                 fraction: float = 0.2) -> np.ndarray:
    """Approximate QRS width per beat (ms): the span around the R peak where the absolute slope of
    the (baseline-free) signal stays above ``fraction`` of that beat's largest slope within
    ±``search_s``. Coarse at 100 Hz (10 ms steps) but wide ventricular complexes stand out.

    ``signal`` [n_samples] mV (one lead). Returns float [n_beats]."""
    x = np.asarray(signal, float)
    if len(beats) == 0:
        return np.zeros(0)
    slope = np.abs(np.gradient(x)) * fs  # mV/s
    half = max(2, int(round(search_s * fs)))
    seg = beat_matrix(slope, beats, fs, half / fs, (half + 1) / fs)  # [beats, 2*half+1], R at index half
    peak = seg.max(axis=1, keepdims=True) + 1e-12
    above = seg >= fraction * peak
    out = np.empty(len(beats))
    for i, row in enumerate(above):
        idx = np.flatnonzero(row)
        # span of above-threshold samples, ignoring isolated islands far from the R peak
        lo = idx[idx <= half].min() if (idx <= half).any() else half
        hi = idx[idx >= half].max() if (idx >= half).any() else half
        out[i] = (hi - lo + 1) * 1000.0 / fs
    return out


def rr_ratio(beats: np.ndarray, fs: float) -> np.ndarray:
    """log(RR before / RR after) per beat: negative for a premature beat followed by a pause,
    whatever the record's rate; 0 for the first and last beats."""
    beats = np.asarray(beats, float)
    out = np.zeros(len(beats))
    if len(beats) >= 3:
        rr = np.maximum(np.diff(beats), 1.0)
        out[1:-1] = np.log(rr[:-1] / rr[1:])
    return out


def amplitude_ratio(signal: np.ndarray, beats: np.ndarray, fs: float, half_s: float = 0.1) -> np.ndarray:
    """log(peak-to-peak within ±``half_s`` of each beat / the record's median), one lead."""
    if len(beats) == 0:
        return np.zeros(0)
    seg = beat_matrix(signal, beats, fs, half_s, half_s)  # [beats, samples]
    return relative_to_median(seg.max(axis=1) - seg.min(axis=1) + 1e-6)


def relative_to_median(values: np.ndarray) -> np.ndarray:
    """``log(values / median(values))``: a per-record robust scale (0 for a typical beat).
    Non-positive inputs are floored at 1e-9 of the median."""
    v = np.asarray(values, float)
    if len(v) == 0:
        return v
    med = float(np.median(v))
    med = med if med > 0 else 1e-9
    return np.log(np.maximum(v, 1e-9 * med) / med)


# ---- the one template + RR detector of unusual beats (resting ECGs) ----------------------------------------
UNUSUAL_HALF_S = 0.25
"""Beat segment half-width (s) for the shape comparison of :func:`unusual_beats`."""


@dataclass(frozen=True)
class UnusualBeat:
    """One beat listed by :func:`unusual_beats`: R-peak ``sample``, correlation with the median
    beat (``None`` when its ±0.25 s segment is cut by the record's ends), RR prematurity, and
    which test listed it."""

    sample: int
    correlation: float | None
    prematurity: float
    shape: bool
    premature: bool

    @property
    def score(self) -> float:
        """(1 - correlation) + max(prematurity, 0): the ``template+rr`` baseline score."""
        return (1.0 - (self.correlation if self.correlation is not None else 1.0)) + max(self.prematurity, 0.0)

    @property
    def kind(self) -> str:
        return "+".join(name for name, hit in (("shape", self.shape), ("premature", self.premature)) if hit)


def unusual_beats(signal: np.ndarray, r_peaks: np.ndarray, fs: float, *, min_corr: float,
                  premature: float) -> tuple[list[UnusualBeat], np.ndarray]:
    """Beats unlike the median beat (correlation below ``min_corr`` over the given leads) or early
    (RR before them below ``premature`` x the median RR), for the agent's ``anomalies`` tool and the
    report's anomaly section alike.

    ``signal`` [n_samples] or [n_samples, n_leads] mV (the usable leads); ``r_peaks`` sample
    indices. Returns (listed beats, correlation per beat float [n_beats], NaN where the segment is
    cut by the record's ends). Long recordings use :mod:`medts.longterm` instead (a reference that
    follows drift, scores fitted on MIT-BIH)."""
    x = np.asarray(signal, float)
    r = np.asarray(r_peaks, np.int64)
    half = int(UNUSUAL_HALF_S * fs)
    whole = (r >= half) & (r + half < x.shape[0])
    corr = np.full(len(r), np.nan)
    if whole.any():
        corr[whole] = template_correlation(x, r[whole], fs, before_s=half / fs, after_s=half / fs)
    prem = rr_prematurity(r, fs)
    out = []
    for k, c, p in zip(r, corr, prem):
        shape = bool(np.isfinite(c) and c < min_corr)
        early = bool(p > 1.0 - premature)
        if shape or early:
            out.append(UnusualBeat(int(k), float(c) if np.isfinite(c) else None, float(p), shape, early))
    return out, corr
