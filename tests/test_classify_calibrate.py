"""Tests of medts.classify.calibrate: per-statement thresholds (F-beta optimum, support rule, floor)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, fbeta_score

from medts.classify.calibrate import (
    DEFAULT_RULE,
    DEFAULT_THRESHOLD,
    LEGACY_RULE,
    DecisionRule,
    Threshold,
    apply_thresholds,
    choose_thresholds,
)
from medts.classify.metrics import best_f1_threshold


def _scores(seed: int, n: int = 300, prevalence: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    p = np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1).round(3)
    return y, p


def test_threshold_is_the_f1_optimum_over_all_candidate_scores():
    y, p = _scores(0)
    t, f1 = best_f1_threshold(y, p)
    brute = max(f1_score(y, p >= c) for c in np.unique(p))
    assert abs(f1 - brute) < 1e-12
    assert abs(f1_score(y, p >= t) - f1) < 1e-12


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fbeta_optimum_matches_brute_force_and_beta_below_one_raises_the_threshold(beta):
    y, p = _scores(1)
    t, f = best_f1_threshold(y, p, beta)
    assert abs(f - max(fbeta_score(y, p >= c, beta=beta) for c in np.unique(p))) < 1e-12
    t1, _ = best_f1_threshold(y, p)
    assert (t >= t1) if beta < 1 else (t <= t1)  # precision-weighted F asserts less


def test_legacy_rule_keeps_the_default_only_without_positives():
    y = np.array([[1, 0], [0, 0], [1, 0]], np.float32)
    p = np.array([[0.8, 0.9], [0.2, 0.1], [0.6, 0.3]], np.float32)
    out = choose_thresholds(y, p, ["A", "B"], LEGACY_RULE)
    assert out["A"].threshold == np.float32(0.6) and out["A"].n_positive == 2 and out["A"].f1 == 1.0
    assert out["B"].threshold == DEFAULT_THRESHOLD and out["B"].source.startswith("default")


def test_support_rule_uses_the_default_below_min_support_and_the_optimum_from_it():
    rule = DecisionRule(min_support=5, floor=0.0, default=0.4)
    n = 60
    y = np.zeros((n, 2), np.float32)
    y[:4, 0] = 1  # 4 positives: below support
    y[:5, 1] = 1  # 5 positives: enough
    p = np.full((n, 2), 0.01, np.float32)
    p[:5, :] = 0.2  # every positive (and one negative in column 0) scored 0.2
    out = choose_thresholds(y, p, ["RARE", "OK"], rule)
    assert out["RARE"].threshold == 0.4 and out["RARE"].source == "default: fewer than 5 positive validation records"
    assert out["RARE"].optimum == pytest.approx(0.2) and out["RARE"].f1 == 0.0  # nothing reaches 0.4
    assert out["OK"].threshold == pytest.approx(0.2) and out["OK"].f1 == 1.0 and out["OK"].source == "max F1 on validation fold"


def test_floor_raises_low_optima_and_reports_the_f1_at_the_floor():
    y, p = _scores(2, n=400, prevalence=0.05)
    p = (p * 0.2).astype(np.float32)  # every score below 0.2: the optimum falls under a 0.15 floor or near it
    raw, _ = best_f1_threshold(y, p)
    t = choose_thresholds(y[:, None].astype(np.float32), p[:, None], ["X"], DecisionRule(min_support=5, floor=0.19))["X"]
    assert raw < 0.19 and t.threshold == 0.19 and t.optimum == pytest.approx(raw)
    assert t.source == "max F1 on validation fold, raised to the floor"
    assert t.f1 == pytest.approx(round(f1_score(y, p >= 0.19), 4))


def test_default_rule_never_asserts_below_the_floor_on_noisy_rare_statements():
    # 40 statements, 300 records, 1-6 positives each: the legacy rule picks thresholds down to the
    # lowest positive score, the default rule none below min(floor, default)
    rng = np.random.default_rng(3)
    y = np.zeros((300, 40), np.float32)
    for j in range(40):
        y[rng.choice(300, 1 + j % 6, replace=False), j] = 1
    p = (rng.random((300, 40)) * 0.1 + 0.05 * y).astype(np.float32)
    classes = [f"S{j}" for j in range(40)]
    legacy = choose_thresholds(y, p, classes, LEGACY_RULE)
    new = choose_thresholds(y, p, classes, DEFAULT_RULE)
    assert min(t.threshold for t in legacy.values()) < 0.1
    assert min(t.threshold for t in new.values()) >= min(DEFAULT_RULE.floor, DEFAULT_RULE.default)
    assert apply_thresholds(p, classes, new).sum() < apply_thresholds(p, classes, legacy).sum()
    for j, c in enumerate(classes):  # support decides default vs data-chosen
        assert new[c].source.startswith("default") == (y[:, j].sum() < DEFAULT_RULE.min_support)


def test_apply_thresholds_is_probability_at_or_above_threshold():
    p = np.array([[0.2, 0.5], [0.1, 0.49]], np.float32)
    th = {"A": Threshold(0.2, "t", None, 0), "B": Threshold(0.5, "t", None, 0)}
    assert apply_thresholds(p, ["A", "B"], th).tolist() == [[True, True], [False, False]]


def test_thresholds_of_older_manifests_still_load_and_rules_round_trip():
    old = {"threshold": 0.12, "source": "max F1 on validation fold", "f1": 0.29, "n_positive": 10}
    assert Threshold(**old).optimum is None and Threshold(**old).to_dict()["threshold"] == 0.12
    assert DecisionRule.from_dict(DEFAULT_RULE.to_dict()) == DEFAULT_RULE
    with pytest.raises(ValueError, match="invalid decision rule"):
        DecisionRule(floor=1.5)
