"""Tests of medts.bench.ptbxl: prepare / predict / evaluate on a synthetic PTB-XL root."""

from __future__ import annotations

import json

import numpy as np
import pytest
from classify_synthetic import train_tiny, write_classify_root

from medts.bench.ptbxl import evaluate, level_scores, predict, prepare, run_benchmark


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTS_CACHE", str(tmp / "cache"))
    mp.setenv("MEDTS_RESULTS", str(tmp / "results"))
    root = write_classify_root(tmp / "ptbxl", test_records=6)
    train_tiny(root, tmp / "classifier-superdiagnostic")
    yield root, tmp
    mp.undo()


def test_fold_10_is_used_when_present_else_the_given_fold(setup, tmp_path, monkeypatch):
    root, _tmp = setup
    prepared = prepare(root, tmp_path / "w10", fold=9)
    assert prepared["test_fold"] == 10 and len(prepared["ecg_ids"]) == 6
    no_test = write_classify_root(tmp_path / "no10", per_fold=2, val_records=4)
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    prepared = prepare(no_test, tmp_path / "w9", fold=9, levels=("superdiagnostic", "rhythm"))
    assert prepared["test_fold"] == 9 and not prepared["fold_10_present"]
    assert prepared["labels"]["rhythm"]["classes"][0] == "AFIB"
    # training prevalence of NORM among superdiagnostic-labelled folds 1-8 records: half are even ids
    prev = dict(zip(prepared["labels"]["superdiagnostic"]["classes"], prepared["train_prevalence"]["superdiagnostic"]))
    assert prev["NORM"] == pytest.approx(0.5) and prev["HYP"] == 0


def test_predict_then_evaluate_saves_and_scores_predictions(setup, tmp_path):
    root, tmp = setup
    work = tmp_path / "work"
    prepare(root, work, levels=("superdiagnostic",))
    timings = predict(work, [tmp / "classifier-superdiagnostic"], timing_records=3)
    saved = np.load(work / "predictions" / "classifier-superdiagnostic.npz")
    assert saved["probs"].shape == (6, 5) and list(saved["ecg_ids"]) == json.loads((work / "prepared.json").read_text())["ecg_ids"]
    assert timings["classifier-superdiagnostic"]["batch_records_per_s"] > 0
    result = evaluate(work, n_boot=50)
    m = result["metrics"]["superdiagnostic"]
    assert m["n_classes_with_auc"] == 2 and m["n_records"] == 6
    assert m["macro_auc"] > 0.9 and m["macro_auc_ci95"][0] <= m["macro_auc"] <= m["macro_auc_ci95"][1]
    assert result["baselines"]["naive_prior"]["superdiagnostic"]["macro_auc"] == 0.5
    assert 0 < m["fmax"] <= 1 and m["fmax_ci95"][0] <= m["fmax"] <= m["fmax_ci95"][1]
    per = {s["code"]: s for s in m["per_statement"]}
    assert per["HYP"]["auc"] is None and per["NORM"]["n_positive"] == 3


def test_levels_are_derived_from_the_all_statements_model():
    from medts.labels import level_classes

    classes = level_classes("all")
    probs = np.random.default_rng(0).random((4, len(classes))).astype(np.float32)
    preds = {"classifier-all": {"probs": probs, "classes": classes}}
    rhythm, names, source = level_scores("rhythm", preds)
    assert names == level_classes("rhythm") and "subset" in source
    np.testing.assert_array_equal(rhythm[:, 0], probs[:, classes.index("AFIB")])
    sub, names, source = level_scores("superdiagnostic", preds)
    hyp = [classes.index(c) for c in ("LVH", "RVH", "LAO/LAE", "RAO/RAE", "SEHYP")]
    np.testing.assert_array_equal(sub[:, names.index("HYP")], probs[:, hyp].max(axis=1))
    assert level_scores("form", {}) is None


def test_run_benchmark_writes_json_and_markdown(setup):
    root, tmp = setup
    json_path, md_path = run_benchmark(root, levels=("superdiagnostic",), adapters=[tmp / "classifier-superdiagnostic"],
                                       n_boot=20, name="ptbxl_test", command="pytest")
    doc = json.loads(json_path.read_text())
    assert doc["benchmark"] == "ptbxl_test" and doc["data"]["test_fold"] == 10
    assert "naive_prior" in doc["baselines"] and "superdiagnostic" in doc["metrics"]
    text = md_path.read_text()
    assert "| superdiagnostic |" in text and "Per-statement AUC" in text


def test_nested_cv_scores_every_outer_fold_with_a_model_that_never_chose_on_it(setup):
    from medts.bench.nested import OUTER_FOLDS, inner_fold, run

    root, tmp = setup
    fold9 = tmp / "results" / "ptbxl_test.json"
    if not fold9.is_file():
        run_benchmark(root, levels=("superdiagnostic",), adapters=[tmp / "classifier-superdiagnostic"],
                      n_boot=20, name="ptbxl_test", command="pytest")
    json_path, md_path = run(root, levels=("superdiagnostic",), epochs=1, batch_size=4, n_boot=10,
                             name="ptbxl_nested_test", fold9=fold9, command="pytest", log=lambda m: None)
    doc = json.loads(json_path.read_text())
    folds = doc["metrics"]["superdiagnostic"]["per_outer_fold"]
    assert [f["outer_fold"] for f in folds] == list(OUTER_FOLDS)
    for f in folds:
        assert f["selection_fold"] == inner_fold(f["outer_fold"]) != f["outer_fold"]
        assert f["outer_fold"] not in f["train_folds"] and f["selection_fold"] not in f["train_folds"]
        assert len(f["train_folds"]) == 7
    assert doc["metrics"]["superdiagnostic"]["n_records"] == sum(f["n_test_records"] for f in folds)
    assert doc["baselines"]["shipped_fold9"]["superdiagnostic"] is not None
    assert "optimistic" in md_path.read_text()
