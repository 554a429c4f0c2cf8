"""Tests of the decision-rule benchmark (medts.bench.thresholds) and of the shipped adapters' thresholds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medts.bench.thresholds import (
    cross_fit_decisions,
    decision_scores,
    paired_change,
    patient_halves,
    superclass_matrix,
)
from medts.classify.calibrate import DEFAULT_RULE, DecisionRule, apply_thresholds, choose_thresholds
from medts.classify.predict import default_adapter_dir


def test_patient_halves_keep_each_patient_on_one_side_and_are_balanced():
    patients = np.repeat(np.arange(1000, 3000), 2)  # 2000 patients, 2 records each
    half = patient_halves(patients)
    assert (half[0::2] == half[1::2]).all()
    assert 0.45 < half.mean() < 0.55
    assert (patient_halves(patients) == half).all()  # reproducible
    assert (patient_halves(patients[::-1]) == half[::-1]).all()  # depends on the patient, not the order
    assert (patient_halves(patients, seed=1) != half).any()


def _noisy(seed: int, n: int = 200, c: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, c)) < np.linspace(0.05, 0.4, c)).astype(np.float32)
    p = np.clip(0.35 * y + rng.random((n, c)) * 0.6, 0, 1).astype(np.float32)
    return y, p


def test_cross_fit_decides_each_half_with_thresholds_from_the_other_half_only():
    y, p = _noisy(0)
    classes = [f"S{j}" for j in range(y.shape[1])]
    half = patient_halves(np.arange(len(y)))
    pred = cross_fit_decisions(y, p, classes, DEFAULT_RULE, half)
    from_a = choose_thresholds(y[half], p[half], classes, DEFAULT_RULE)
    np.testing.assert_array_equal(pred[~half], apply_thresholds(p[~half], classes, from_a))
    # a record's own labels never move its decision: flip every label of half B
    flipped = y.copy()
    flipped[~half] = 1 - flipped[~half]
    np.testing.assert_array_equal(cross_fit_decisions(flipped, p, classes, DEFAULT_RULE, half)[~half], pred[~half])


def test_decision_scores_count_assertions_and_match_hand_computed_f1():
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], bool)
    pred = np.array([[1, 1], [0, 1], [0, 1], [0, 0]], bool)
    s = decision_scores(truth, pred, n_boot=50)
    # class 0: tp 1, fn 1 -> F1 2/3; class 1: tp 2, fp 1 -> F1 0.8; micro: tp 3, fp 1, fn 1 -> 0.75
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4) and s["micro_f1"] == 0.75
    assert s["asserted_per_record"] == 1.0 and s["true_per_record"] == 1.0 and s["max_asserted_per_record"] == 2
    assert s["micro_precision"] == 0.75 and s["records_with_none_asserted"] == 1
    low, high = s["micro_f1_ci95"]
    assert low <= 0.75 <= high


def test_paired_change_is_zero_for_equal_rules_and_signed_otherwise():
    y, p = _noisy(1)
    truth = y.astype(bool)
    a, b = p >= 0.3, p >= 0.6
    same = paired_change(truth, a, a, n_boot=50)
    assert same["macro_f1"] == 0 and same["macro_f1_ci95"] == [0, 0]
    fewer = paired_change(truth, a, b, n_boot=50)
    assert fewer["asserted_per_record"] == pytest.approx(b.sum(1).mean() - a.sum(1).mean(), abs=1e-4)
    assert fewer["asserted_per_record"] < 0
    assert fewer["asserted_per_record_ci95"][1] < 0


def test_superclass_matrix_maps_statements_to_their_superclass():
    m = superclass_matrix(["ASMI", "CLBBB", "NORM", "SR", "LVH"], ["CD", "HYP", "MI", "NORM", "STTC"])
    assert m.astype(int).tolist() == [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]]


# -- the shipped adapters ------------------------------------------------------------------------

SHIPPED = [d for d in (default_adapter_dir("superdiagnostic"), default_adapter_dir("all")) if (d / "manifest.json").is_file()]


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda d: d.name)
def test_shipped_thresholds_follow_the_recorded_rule(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    if "decision_rule" not in manifest:
        pytest.skip(f"{folder.name}: thresholds predate decision_rule")
    rule = DecisionRule.from_dict(manifest["decision_rule"])
    for code, t in manifest["thresholds"].items():
        if t["n_positive"] < rule.min_support:
            assert t["threshold"] == rule.default and t["source"].startswith("default"), code
        else:
            assert t["threshold"] >= rule.floor, code
            assert t["threshold"] == (max(t["optimum"], rule.floor)), code


@pytest.mark.skipif(not (default_adapter_dir("all") / "manifest.json").is_file(), reason="no classifier-all adapter")
def test_fewer_statements_asserted_per_fold9_record_than_with_the_first_thresholds(ptbxl_dir):
    from medts.classify.predict import Classifier
    from medts.io.ptbxl import PtbxlIndex

    clf = Classifier.load(default_adapter_dir("all"))
    previous = (clf.manifest.get("decision_rule") or {}).get("previous")
    if previous is None:
        pytest.skip("classifier-all thresholds were not re-chosen (no decision_rule.previous)")
    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    ids = index.ecg_ids(folds=[9])[:40]  # the first 40 fold-9 records with raw signals
    if len(ids) < 20:
        pytest.skip("fewer than 20 fold-9 records in this PTB-XL copy")
    preds = clf.predict_many([index.read(i) for i in ids])
    now = np.array([len(p.present) for p in preds])
    before = np.array([sum(s.probability >= previous["thresholds"][s.code] for s in p.statements) for p in preds])
    true = np.array([len(index.labels(i, "all")) for i in ids])
    assert all(p.decision_rule == clf.manifest["decision_rule"]["name"] for p in preds)
    assert all(s.threshold >= min(DEFAULT_RULE.floor, DEFAULT_RULE.default) for s in preds[0].statements)
    assert now.mean() < before.mean() - 1.0  # the first thresholds asserted ~5 statements per record
    assert abs(now.mean() - true.mean()) < abs(before.mean() - true.mean())
