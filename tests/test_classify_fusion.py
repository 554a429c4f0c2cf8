"""Tests of :mod:`medts.classify.fusion` (CNN + measurements, late fusion) and where the classifiers use it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from medts.adapters import HYBRID_HEADS, hybrid_head_dir
from medts.bench.hybrid import fit_models
from medts.classify.fusion import FUSION_FILE, FusionHead, trees_from_models
from medts.errors import MedtsError
from medts.examples import load_example

needs_heads = pytest.mark.skipif(hybrid_head_dir("all") is None or hybrid_head_dir("superdiagnostic") is None,
                                 reason="shipped fusion heads absent")


def _toy(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    x[rng.random(x.shape) < 0.25] = np.nan  # missing values take the learned side
    x[:, 5] = np.nan  # never measured: dropped from the model
    signal = np.nan_to_num(x[:, 0]) + 0.3 * rng.normal(size=n) > 0
    rare = rng.random(n) < 0.005  # too few positives: no model, logit 0
    inter = np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 2]) > 0.1
    return x, np.stack([signal, rare, inter], axis=1).astype(np.float32)


def test_exported_trees_reproduce_sklearn_decision_function_with_missing_values():
    x, y = _toy()
    seen, models = fit_models(x[:300], y[:300])
    assert not seen[5] and models[1] is None and models[0] is not None
    head = FusionHead(trees_from_models(models, seen), 1.0, ["a", "b", "c"], {}, {})
    ours = head.tree_logits(x[300:])
    ref = np.stack([m.decision_function(x[300:][:, seen]) if m is not None else np.zeros(100) for m in models], axis=1)
    np.testing.assert_allclose(ours, ref, atol=1e-9)
    assert np.all(ours[:, 1] == 0.0)
    # the fusion is logit(p) + w * tree logit: with w = 0 the CNN's probability comes back
    p = np.full((100, 3), 0.3)
    np.testing.assert_allclose(FusionHead(head.arrays, 0.0, head.classes, {}, {}).fuse(p, x[300:]), p, atol=1e-6)


def test_a_saved_head_reloads_identically_and_a_corrupt_one_fails_in_one_line(tmp_path):
    from medts.classify.calibrate import Threshold
    from medts.classify.fusion import feature_names

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, len(feature_names())))
    y = np.stack([x[:, 1] > 0, x[:, 30] > 0.5], axis=1).astype(np.float32)
    seen, models = fit_models(x, y)
    thresholds = {c: Threshold(threshold=0.3, source="test", f1=None, n_positive=0) for c in ("A", "B")}
    FusionHead(trees_from_models(models, seen), 0.5, ["A", "B"], thresholds, {"name": "toy-hybrid"}).save(tmp_path / "h")
    head = FusionHead.load(tmp_path / "h")
    assert head.weight == 0.5 and head.thresholds["B"].threshold == 0.3
    np.testing.assert_allclose(head.tree_logits(x[:20]), np.stack([m.decision_function(x[:20]) for m in models], 1),
                               atol=1e-9)
    (tmp_path / "h" / FUSION_FILE).write_bytes(b"\x00" * 64)
    with pytest.raises(MedtsError, match="not a readable safetensors file") as err:
        FusionHead.load(tmp_path / "h")
    assert "\n" not in str(err.value)


@needs_heads
def test_fused_classification_moves_sinus_rhythm_the_way_the_measured_rhythm_says():
    """Sinus example: P waves before every beat, regular RR -> the trees raise SR; AF example: no P waves,
    irregular RR -> they lower it. The CNN's own probability stays in ``cnn_probability``."""
    from medts.classify.predict import classifier_for_level

    clf = classifier_for_level("all")
    sinus, afib = (clf.predict(load_example(n)) for n in ("sinus", "afib"))
    for pred in (sinus, afib):
        assert pred.scored_by == "CNN + measurements (late fusion)"
        assert any(n.startswith("scored by: CNN + measurements (late fusion)") for n in pred.notes)
    sr = {name: next(s for s in p.statements if s.code == "SR") for name, p in (("sinus", sinus), ("afib", afib))}
    assert sr["sinus"].probability > sr["sinus"].cnn_probability
    assert sr["afib"].probability < sr["afib"].cnn_probability - 0.1
    assert sr["afib"].threshold == pytest.approx(clf.fusion.thresholds["SR"].threshold, abs=1e-6)
    assert sr["afib"].cnn_threshold == pytest.approx(clf.thresholds["SR"].threshold, abs=1e-6)


@needs_heads
def test_reduced_lead_records_and_batch_inference_stay_cnn_only():
    from medts.classify.predict import classifier_for_level
    from medts.classify.preprocess import model_input

    ecg = load_example("sinus")
    eleven = ecg.select_leads([lead for lead in ecg.leads if lead != "V3"])
    for level in ("all", "superdiagnostic"):
        clf = classifier_for_level(level)
        pred = clf.predict(eleven)
        assert pred.scored_by == "CNN" and all(s.cnn_probability is None for s in pred.statements)
        full = clf.predict(ecg)
        assert full.scored_by != "CNN"
        batch = clf.predict_proba(model_input(ecg, fs_hz=clf.fs_hz)[0][None])[0]  # batch path: the CNN alone
        np.testing.assert_allclose([s.cnn_probability for s in full.statements], batch, atol=1e-5)


@needs_heads
def test_engine_reads_the_cnn_probability_where_its_rules_were_tuned_on_it():
    from medts.classify.predict import classifier_for_level
    from medts.interpret import scores_from_predictions
    from medts.interpret.statements import CNN_ENGINE_INPUTS, ENGINE_THRESHOLDS

    assert set(ENGINE_THRESHOLDS) <= CNN_ENGINE_INPUTS
    pred = classifier_for_level("all").predict(load_example("afib"))
    scores = {s.code: s for s in scores_from_predictions([pred])}
    statements = {s.code: s for s in pred.statements}
    for model, code in CNN_ENGINE_INPUTS:  # IRBBB, LVH, AFIB, CLBBB, CRBBB, LAFB of classifier-all
        assert model == pred.model
        assert scores[code].probability == pytest.approx(statements[code].cnn_probability)
        assert scores[code].threshold == pytest.approx(statements[code].cnn_threshold)
    for code in ("SR", "NORM"):  # read fused; the fusion moved both on this record
        assert scores[code].probability == pytest.approx(statements[code].probability)
        assert abs(statements[code].probability - statements[code].cnn_probability) > 0.05


@needs_heads
def test_corrupt_shipped_head_ends_classify_with_exit_2_and_one_line(tmp_path, monkeypatch, capsys):
    from medts.classify import worker
    from medts.cli import main

    bad = tmp_path / "classifier-superdiagnostic-hybrid"
    shutil.copytree(hybrid_head_dir("superdiagnostic"), bad)
    (bad / FUSION_FILE).write_bytes(b"not a safetensors file")
    monkeypatch.setitem(HYBRID_HEADS, "superdiagnostic", str(bad))  # absolute: adapters/ joins to it unchanged
    monkeypatch.setattr(worker, "_loaded", {})  # no classifier loaded by an earlier test
    code = main(["classify", str(load_example("sinus").source)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and FUSION_FILE in err[0] and "not a readable safetensors file" in err[0]


def test_bench_hybrid_row_pairs_the_fused_scores_with_the_cnn_on_the_same_records():
    from medts.bench.ptbxl import hybrid_metrics

    rng = np.random.default_rng(2)
    y = (rng.random((200, 3)) < 0.3).astype(np.float32)
    y[:10] = 0  # records without a label at the level are left out, as for the CNN rows
    cnn = np.clip(0.3 * y + rng.random(y.shape) * 0.7, 0, 1)
    fused = np.clip(0.6 * y + rng.random(y.shape) * 0.4, 0, 1)
    prepared = {"labels": {"all": {"y": y.tolist(), "classes": ["A", "B", "C"]}}}
    out = hybrid_metrics(prepared, {"classifier-all": {"probs": cnn}, "classifier-all-hybrid": {"probs": fused}},
                         n_boot=50, seed=0)
    row = out["all"]
    assert row["n_records"] == int((y.sum(axis=1) > 0).sum()) < 200
    assert row["hybrid_macro_auc"] > row["cnn_macro_auc"]
    assert row["delta_vs_cnn"]["delta"] == pytest.approx(row["hybrid_macro_auc"] - row["cnn_macro_auc"])
    assert row["delta_vs_cnn"]["ci95"][0] > 0
    assert "superdiagnostic" not in out  # no head predictions: no row


def test_features_measured_elsewhere_are_used_without_measuring_again(monkeypatch):
    """``medts classify`` measures the fusion features in its parent process (NeuroKit2 loaded there) and hands
    them to the worker, which must not measure the record again."""
    from medts.classify import fusion
    from medts.examples import load_example

    ecg = load_example("sinus")
    x = np.zeros((1000, 12))
    features = np.arange(len(fusion.feature_names()), dtype=np.float64)
    fusion.remember_record_features(ecg, x, 100.0, features)

    def measured(*_args):
        raise AssertionError("measured")

    monkeypatch.setattr(fusion.FusionHead, "record_features", staticmethod(measured))
    np.testing.assert_array_equal(fusion.cached_record_features(ecg, x, 100.0), features)
    with pytest.raises(AssertionError, match="measured"):  # another model input is not the remembered record
        fusion.cached_record_features(ecg, x + 1.0, 100.0)
