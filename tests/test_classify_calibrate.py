"""Tests of medts.classify.calibrate: F1-optimal thresholds per statement."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from medts.classify.calibrate import DEFAULT_THRESHOLD, best_f1_threshold, choose_thresholds


def test_threshold_is_the_f1_optimum_over_all_candidate_scores():
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.2).astype(int)
    p = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1).round(3)
    t, f1 = best_f1_threshold(y, p)
    brute = max(f1_score(y, p >= c) for c in np.unique(p))
    assert abs(f1 - brute) < 1e-12
    assert abs(f1_score(y, p >= t) - f1) < 1e-12


def test_statements_without_positives_keep_the_default():
    y = np.array([[1, 0], [0, 0], [1, 0]], np.float32)
    p = np.array([[0.8, 0.9], [0.2, 0.1], [0.6, 0.3]], np.float32)
    out = choose_thresholds(y, p, ["A", "B"])
    assert out["A"].threshold == np.float32(0.6) and out["A"].n_positive == 2 and out["A"].f1 == 1.0
    assert out["B"].threshold == DEFAULT_THRESHOLD and out["B"].source.startswith("default")
