"""AAMI beat classes (N / S / V) from the beat features, and the ectopy summary: counts,
couplets, runs and burden.

The scores are logistic models whose weights and thresholds live in
:mod:`medts.interpret.longterm` (fitted on MIT-BIH DS1 only). Fusion (F) beats are not called: they
are scored like any beat and ``medts bench long`` reports what becomes of them.

Example
-------
>>> import numpy as np
>>> feats = {k: np.zeros(3) for k in BEAT_FEATURES}
>>> v, s = beat_scores(feats)
>>> bool((v < 0.5).all())
True
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from medts.interpret import longterm as rules
from medts.longterm.beats import FEATURES as BEAT_FEATURES
from medts.longterm.beats import logistic_score

assert set(rules.V_FEATURES) | set(rules.S_FEATURES) <= set(BEAT_FEATURES), "interpret.longterm: unknown feature"


def beat_scores(feats: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(V score, S score), float [n_beats] each in [0, 1]."""
    return (logistic_score(feats, rules.V_FEATURES, rules.V_WEIGHTS, rules.V_INTERCEPT),
            logistic_score(feats, rules.S_FEATURES, rules.S_WEIGHTS, rules.S_INTERCEPT))


def beat_classes(v_score: np.ndarray, s_score: np.ndarray, in_af: np.ndarray) -> np.ndarray:
    """str [n_beats]: "N", "S" or "V" (``rules.beat_class``)."""
    return np.array([rules.beat_class(float(v), float(s), bool(a)) for v, s, a in zip(v_score, s_score, in_af)],
                    dtype="<U1")


class EctopyRun(BaseModel):
    """Consecutive ectopic beats of one class: onset and offset in seconds from the start."""

    kind: str
    beats: int
    onset_s: float
    offset_s: float
    rate_bpm: float | None


class EctopySummary(BaseModel):
    """Counts per class (Q: unclassifiable), isolated beats, couplets and runs, and burden (% of all beats)."""

    n_beats: int
    counts: dict[str, int]
    burden_percent: dict[str, float]
    isolated: dict[str, int]
    couplets: dict[str, int]
    runs: list[EctopyRun]
    bigeminy_beats: int
    """Ventricular beats in bigeminy (V N V N V: every other beat, at least 3 V)."""


def summarise_ectopy(samples: np.ndarray, classes: np.ndarray, fs: float) -> EctopySummary:
    """Counts, couplets (exactly 2 in a row), runs (``rules.RUN_MIN_BEATS`` or more) per class."""
    n = len(classes)
    counts = {k: int((classes == k).sum()) for k in ("N", "S", "V", "Q")}
    isolated = {"S": 0, "V": 0}
    couplets = {"S": 0, "V": 0}
    runs: list[EctopyRun] = []
    i = 0
    while i < n:
        k = classes[i]
        j = i
        while j + 1 < n and classes[j + 1] == k:
            j += 1
        length = j - i + 1
        if k in ("S", "V"):
            if length == 1:
                isolated[k] += 1
            elif length == rules.COUPLET_BEATS:
                couplets[k] += 1
            elif length >= rules.RUN_MIN_BEATS:
                dur = (samples[j] - samples[i]) / fs
                rate = 60.0 * (length - 1) / dur if dur > 0 else None
                runs.append(EctopyRun(kind=str(k), beats=length, onset_s=round(samples[i] / fs, 2),
                                      offset_s=round(samples[j] / fs, 2), rate_bpm=None if rate is None else round(rate, 1)))
        i = j + 1
    v = classes == "V"
    in_bigeminy = np.zeros(n, bool)
    for i in range(n - 4):  # V N V N V: every other beat ventricular, at least 3 of them
        if v[i] and not v[i + 1] and v[i + 2] and not v[i + 3] and v[i + 4]:
            in_bigeminy[[i, i + 2, i + 4]] = True
    bigeminy = int(in_bigeminy.sum())
    return EctopySummary(n_beats=n, counts=counts,
                         burden_percent={k: round(100.0 * c / n, 2) if n else 0.0 for k, c in counts.items()},
                         isolated=isolated, couplets=couplets, runs=runs, bigeminy_beats=bigeminy)
