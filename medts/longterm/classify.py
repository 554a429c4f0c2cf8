"""AAMI beat classes (N / S / V) from the beat features, and the ectopy summary: counts,
couplets, runs and burden.

The V and S scores are two small MLPs shipped in ``adapters/beats-longterm`` (``model`` and
``s_model``); both thresholds live in :mod:`medts.interpret.longterm` (all fitted on MIT-BIH DS1
only, on the beats the pipeline detects). Fusion (F) beats are not called: they
are scored like any beat and ``medts bench long`` reports what becomes of them.

Example
-------
>>> import numpy as np
>>> feats = {k: np.zeros(3) for k in BEAT_FEATURES}   # a beat just like the reference, on time:
>>> feats.update(qrs_corr=np.full(3, np.log(0.01)), beat_corr=np.full(3, np.log(0.01)),
...              p_corr=np.full(3, np.log(0.01)), qrs_diff=np.full(3, np.log(1e-3)),
...              v_like2=np.full(3, np.log(2.01)))   # and no ventricular beat seen yet
>>> v, s = beat_scores(feats)
>>> bool((v < 0.5).all())
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from medts.interpret import longterm as rules
from medts.longterm.beats import FEATURES as BEAT_FEATURES
from medts.longterm.result import EctopyRun, EctopySummary

assert set(rules.V_FEATURES) | set(rules.S_FEATURES) <= set(BEAT_FEATURES), "interpret.longterm: unknown feature"


def _manifest_model(key: str, features_key: str, expected: tuple[str, ...], rules_name: str) -> dict[str, np.ndarray]:
    from medts.adapters import load_manifest
    from medts.errors import MedtsError

    manifest = load_manifest(rules.V_MODEL_ADAPTER)
    if tuple(manifest.get(features_key, ())) != tuple(expected):
        raise MedtsError(f"adapters/{rules.V_MODEL_ADAPTER}: {features_key} {manifest.get(features_key)} are not "
                         f"medts.interpret.longterm.{rules_name} {list(expected)}")
    return {k: np.asarray(v, float) for k, v in manifest[key].items()}


@lru_cache(maxsize=1)
def v_model() -> dict[str, np.ndarray]:
    """The V-beat MLP of ``adapters/<rules.V_MODEL_ADAPTER>`` (fitted on MIT-BIH DS1 by
    ``medts.longterm.train``), as float arrays; its feature order must be ``rules.V_FEATURES``."""
    return _manifest_model("model", "features", tuple(rules.V_FEATURES), "V_FEATURES")


@lru_cache(maxsize=1)
def s_model() -> dict[str, np.ndarray]:
    """The S-beat MLP (``s_model`` of the same adapter); feature order ``rules.S_FEATURES``."""
    return _manifest_model("s_model", "s_features", tuple(rules.S_FEATURES), "S_FEATURES")


def mlp_score(x: np.ndarray, model: dict) -> np.ndarray:
    """Score in [0, 1] of each row of ``x`` [beats, features] by the one-hidden-layer tanh MLP
    ``model`` (mean, scale, w1 [hidden, features], b1, w2 [hidden], b2)."""
    z = (np.asarray(x, float) - np.asarray(model["mean"])) / np.asarray(model["scale"])
    h = np.tanh(z @ np.asarray(model["w1"]).T + np.asarray(model["b1"]))
    out = h @ np.asarray(model["w2"]) + float(model["b2"])
    return 1.0 / (1.0 + np.exp(-np.clip(out, -40.0, 40.0)))


def design(feats: dict[str, np.ndarray], order: tuple[str, ...]) -> np.ndarray:
    """[beats, features]: the features in ``order``."""
    return np.stack([np.asarray(feats[k], float) for k in order], axis=1).reshape(-1, len(order))


def v_scores(feats: dict[str, np.ndarray]) -> np.ndarray:
    """V score, float [n_beats] in [0, 1] (a second lead needs only this one)."""
    return mlp_score(design(feats, tuple(rules.V_FEATURES)), v_model())


def beat_scores(feats: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(V score, S score), float [n_beats] each in [0, 1]."""
    return v_scores(feats), mlp_score(design(feats, tuple(rules.S_FEATURES)), s_model())


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), float, with p clipped away from 0 and 1."""
    q = np.clip(np.asarray(p, float), 1e-9, 1.0 - 1e-9)
    return np.log(q / (1.0 - q))


def mean_logit_score(beat_lead: np.ndarray, other_lead: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """sigmoid(mean of the two leads' logits + ``shift``), float [n_beats]."""
    z = 0.5 * (logit(beat_lead) + logit(other_lead)) + shift
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def two_lead_v_score(beat_lead: np.ndarray, other_lead: np.ndarray) -> np.ndarray:
    """V score of beats scored on two leads (``beat_scores`` on each): the mean of the two logits, shifted
    so that ``rules.V_THRESHOLD`` on the result means ``rules.V_TWO_LEAD_THRESHOLD`` on the mean; one
    threshold and one [0, 1] scale for one- and two-lead records alike. float [n_beats]."""
    shift = float(logit(np.array(rules.V_THRESHOLD)) - logit(np.array(rules.V_TWO_LEAD_THRESHOLD)))
    return mean_logit_score(beat_lead, other_lead, shift)


def beat_classes(v_score: np.ndarray, s_score: np.ndarray, in_af: np.ndarray) -> np.ndarray:
    """str [n_beats]: "N", "S" or "V" (``rules.beat_class``)."""
    return np.array([rules.beat_class(float(v), float(s), bool(a)) for v, s, a in zip(v_score, s_score, in_af)],
                    dtype="<U1")


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
