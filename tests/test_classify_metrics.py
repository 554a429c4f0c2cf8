"""Tests of medts.classify.metrics against sklearn and brute force."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from medts.classify.metrics import auc_per_class, bootstrap_ci, fmax, macro_auc


def _data(seed=0, n=200, k=6):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, k)) < 0.3).astype(np.float32)
    p = np.clip(0.35 * y + rng.random((n, k)) * 0.8, 0, 1).round(2)  # ties on purpose
    return y, p


def test_auc_matches_sklearn_with_ties_and_nan_for_one_sided_columns():
    y, p = _data()
    y[:, 5] = 0
    aucs = auc_per_class(y, p)
    for j in range(5):
        assert abs(aucs[j] - roc_auc_score(y[:, j], p[:, j])) < 1e-12
    assert np.isnan(aucs[5])
    assert abs(macro_auc(y, p) - np.mean(aucs[:5])) < 1e-12


def test_fmax_matches_brute_force_definition():
    y, p = _data(1, n=50, k=4)
    best = 0.0
    for t in np.linspace(0, 1, 101):
        pr, rc = [], []
        for i in range(len(y)):
            pred = p[i] >= t
            if pred.any():
                pr.append((pred & (y[i] > 0)).sum() / pred.sum())
            if y[i].any():
                rc.append((pred & (y[i] > 0)).sum() / y[i].sum())
        if pr:
            P, R = np.mean(pr), np.mean(rc)
            if P + R:
                best = max(best, 2 * P * R / (P + R))
    assert abs(fmax(y, p) - best) < 1e-12


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_data():
    y, p = _data(2, n=400)
    low, high = bootstrap_ci(y, p, macro_auc, n_boot=200)
    assert low < macro_auc(y, p) < high
    y2, p2 = y[:60], p[:60]
    low2, high2 = bootstrap_ci(y2, p2, macro_auc, n_boot=200)
    assert high2 - low2 > high - low
