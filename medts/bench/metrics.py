"""Fiducial-point matching and scores used by the delineation and R-peak benchmarks.

A detected fiducial (e.g. a QRS onset) is matched one-to-one to an annotated one of the same
kind when they are within a tolerance (``±150 ms`` for delineation, ``75 ms`` for R peaks);
the closest pairs are matched first. Unmatched annotations are false negatives; unmatched
detections are false positives only when they lie inside the evaluated span (annotations
in LUDB skip the first and last beats, so detections outside the annotated span are ignored).

Example
-------
>>> import numpy as np
>>> m = match_fiducials(np.array([100, 205, 400]), np.array([102, 200]), tolerance=10)
>>> m.tp, m.fp, m.fn, m.errors.tolist()
(2, 1, 0, [-2, 5])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Match:
    """Result of matching detections to annotations for one signal.

    ``errors`` are ``detected - annotated`` in samples for each matched pair.
    """

    tp: int
    fp: int
    fn: int
    errors: np.ndarray


def match_fiducials(
    detected: np.ndarray,
    annotated: np.ndarray,
    *,
    tolerance: int,
    span: tuple[int, int] | None = None,
) -> Match:
    """Match detected to annotated sample indices, closest pairs first.

    Parameters
    ----------
    detected, annotated : array of int
        Sample indices (NaN/negative entries are dropped from ``detected``).
    tolerance : int
        Largest ``|detected - annotated|`` in samples that still counts as a match.
    span : (start, end), optional
        Evaluated span in samples. Annotations outside it are ignored; unmatched detections
        outside it are not counted as false positives.
    """
    det = np.asarray(detected, dtype=float)
    det = np.sort(det[np.isfinite(det) & (det >= 0)]).astype(np.int64)
    ann = np.sort(np.asarray(annotated, dtype=np.int64))
    if span is not None:
        ann = ann[(ann >= span[0]) & (ann <= span[1])]
    if len(det) == 0 or len(ann) == 0:
        fp = len(det) if span is None else int(np.sum((det >= span[0]) & (det <= span[1])))
        return Match(0, fp, len(ann), np.zeros(0, np.int64))
    diff = det[:, None] - ann[None, :]  # [n_det, n_ann]
    pairs = np.argwhere(np.abs(diff) <= tolerance)
    order = np.argsort(np.abs(diff[pairs[:, 0], pairs[:, 1]]), kind="stable")
    used_d = np.zeros(len(det), bool)
    used_a = np.zeros(len(ann), bool)
    errors = []
    for i, j in pairs[order]:
        if not used_d[i] and not used_a[j]:
            used_d[i] = used_a[j] = True
            errors.append((j, diff[i, j]))
    errors.sort()
    unmatched = det[~used_d]
    if span is not None:
        unmatched = unmatched[(unmatched >= span[0]) & (unmatched <= span[1])]
    return Match(
        tp=int(used_a.sum()),
        fp=len(unmatched),
        fn=int((~used_a).sum()),
        errors=np.array([e for _, e in errors], dtype=np.int64),
    )


@dataclass
class FiducialScore:
    """Pooled counts and signed errors (ms) for one fiducial kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_ms: list[float] = field(default_factory=list)

    def add(self, match: Match, fs: float) -> None:
        self.tp += match.tp
        self.fp += match.fp
        self.fn += match.fn
        self.errors_ms.extend((match.errors * 1000.0 / fs).tolist())

    def summary(self) -> dict[str, float | int | None]:
        """Sensitivity, PPV, F1, mean/SD of signed error and MAE (ms)."""
        se = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        ppv = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else None
        err = np.asarray(self.errors_ms, dtype=float)
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "sensitivity": se,
            "ppv": ppv,
            "f1": f1,
            "mean_error_ms": float(err.mean()) if len(err) else None,
            "sd_error_ms": float(err.std(ddof=1)) if len(err) > 1 else None,
            "mae_ms": float(np.abs(err).mean()) if len(err) else None,
        }


def record_resamples(n_records: int, n_boot: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Index arrays int [n_records] of records drawn with replacement, one per bootstrap resample.
    Score every method on the same draws so that their differences are paired.

    >>> [len(idx) for idx in record_resamples(3, 2)]
    [3, 3]
    """
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        yield rng.integers(0, n_records, n_records)


def interval_95(values) -> list[float]:
    """The 2.5th and 97.5th percentiles of bootstrap ``values``."""
    return [float(v) for v in np.quantile(values, [0.025, 0.975])]
