"""Scores: macro-AUC, Fmax and bootstrap CIs of the PTB-XL benchmark, and binary F1 at a threshold.

Following Strodthoff et al. (2021): the macro-AUC averages the per-statement ROC AUC over the
statements of a level; Fmax is the sample-centred maximum F1 over a common threshold (as in
CAFA). Statements with no positive (or no negative) record in the evaluated set have no AUC and
are left out of the average; how many were used is always reported.

Example
-------
>>> import numpy as np
>>> y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], np.float32)
>>> p = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.6], [0.3, 0.1]], np.float32)
>>> macro_auc(y, p)
1.0
>>> round(fmax(y, p), 3)
1.0
"""

from __future__ import annotations

import numpy as np


def auc_per_class(y_true: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """ROC AUC per column ``float64 [n_classes]``; NaN where a column has only one label value.

    Computed from mid-ranks (Mann-Whitney U), identical to ``sklearn.metrics.roc_auc_score``
    but vectorised over columns so that bootstrapping 71 statements stays fast.
    """
    # imported here: loading a classifier (calibrate imports this module) needs none of scipy.stats
    from scipy.stats import rankdata

    y = np.asarray(y_true, bool)
    ranks = rankdata(np.asarray(probs, np.float64), axis=0)  # mid-ranks for ties
    n_pos = y.sum(axis=0)
    n_neg = len(y) - n_pos
    rank_sum = (ranks * y).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def macro_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Mean per-class ROC AUC over classes with both labels present (NaN if none)."""
    aucs = auc_per_class(y_true, probs)
    return float(np.nanmean(aucs)) if np.isfinite(aucs).any() else float("nan")


def fmax(y_true: np.ndarray, probs: np.ndarray, thresholds: np.ndarray | None = None) -> float:
    """Sample-centred Fmax: ``max_t 2 P(t) R(t) / (P(t) + R(t))``.

    ``P(t)`` averages precision over records with at least one score ``>= t``; ``R(t)`` averages
    recall over records with at least one true label.
    """
    thresholds = np.linspace(0.0, 1.0, 101) if thresholds is None else thresholds
    y = y_true.astype(bool)
    has_label = y.any(axis=1)
    best = 0.0
    for t in thresholds:
        pred = probs >= t
        tp = (pred & y).sum(axis=1)
        n_pred = pred.sum(axis=1)
        covered = n_pred > 0
        if not covered.any():
            continue
        precision = np.mean(tp[covered] / n_pred[covered])
        recall = np.mean(tp[has_label] / y[has_label].sum(axis=1)) if has_label.any() else 0.0
        if precision + recall > 0:
            best = max(best, 2 * precision * recall / (precision + recall))
    return float(best)


def bootstrap_ci(
    y_true: np.ndarray,
    probs: np.ndarray,
    metric,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile ``1 - alpha`` confidence interval of ``metric(y, p)`` over records resampled with replacement.

    Resamples that leave the metric undefined (NaN) are drawn again, as in the benchmark code.
    """
    rng = np.random.default_rng(seed)
    n = len(y_true)
    values: list[float] = []
    attempts = 0
    while len(values) < n_boot and attempts < 10 * n_boot:
        attempts += 1
        idx = rng.integers(0, n, n)
        value = metric(y_true[idx], probs[idx])
        if np.isfinite(value):
            values.append(value)
    if not values:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def best_f1_threshold(y_true: np.ndarray, scores: np.ndarray, beta: float = 1.0) -> tuple[float, float]:
    """The cut with the highest F-beta of ``scores >= cut`` and that F-beta, for labels ``y_true [n]``.

    Every distinct score is a candidate (a cut equal to a score includes all records with it);
    ``(inf, 0.0)`` when there is no positive label. The one definition for the classifiers'
    thresholds and the anomaly detector (arguments in sklearn's order: labels, then scores).

    >>> best_f1_threshold(np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.6, 0.7]))
    (0.6, 0.8)
    """
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(scores, np.float64)
    if not y.any():
        return float("inf"), 0.0
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    predicted = np.arange(1, len(p) + 1)
    b2 = beta * beta
    f = (1 + b2) * tp / (predicted + b2 * y_sorted.sum())
    last_of_tie = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f = np.where(last_of_tie, f, -1.0)
    best = int(np.argmax(f))
    return float(p_sorted[best]), float(f[best])


def f1_at(y_true: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """F1 of ``scores >= threshold`` against labels ``y_true [n]`` (0 when nothing is predicted or true).

    >>> f1_at(np.array([0, 1, 1]), np.array([0.9, 0.8, 0.1]), 0.5)
    0.5
    """
    pred, truth = np.asarray(scores) >= threshold, np.asarray(y_true).astype(bool)
    denom = int(pred.sum() + truth.sum())
    return float(2 * (pred & truth).sum() / denom) if denom else 0.0
