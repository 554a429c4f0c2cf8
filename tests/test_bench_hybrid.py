"""Tests of medts.bench.hybrid: measurement features, the fusion learners and the nested hybrid run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from classify_synthetic import write_classify_root

from medts.bench.hybrid import (
    AMPLITUDE_FEATURES,
    FEATURE_NAMES,
    ROWS,
    TIMING_FEATURES,
    apply_choice,
    choose_per_group,
    choose_weight,
    features_from_measurements,
    fit_predict,
    half_split,
    per_kind_candidates,
    statement_kinds,
)
from medts.classify.metrics import macro_auc


@pytest.fixture(scope="module")
def measured():
    import neurokit2 as nk

    from medts.record import ECG, STANDARD_LEADS
    from medts.signal.measure import measure_ecg

    x = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=72, method="multileads", random_state=1)
    x = np.asarray(x)[:, : len(STANDARD_LEADS)]
    return measure_ecg(ECG(x, fs=500.0, leads=list(STANDARD_LEADS)))


def test_features_are_finite_and_ordered_as_named(measured):
    f = features_from_measurements(measured)
    assert f.shape == (len(FEATURE_NAMES),) == (len(TIMING_FEATURES) + len(AMPLITUDE_FEATURES),)
    at = dict(zip(FEATURE_NAMES, f))
    assert at["hr_bpm"] == pytest.approx(measured.hr_bpm.value) and 65 < at["hr_bpm"] < 80
    assert at["qrs_ms"] == pytest.approx(measured.qrs_ms.value)
    assert at["n_beats"] == measured.n_beats
    assert at["st_j60_mv_V6"] == pytest.approx(measured.st_j60_mv["V6"].value)
    assert at["qrs_axis_deg_cos"] ** 2 + at["qrs_axis_deg_sin"] ** 2 == pytest.approx(1.0)
    assert np.isfinite([at[k] for k in ("hr_bpm", "rr_ms", "qrs_ms", "qt_ms", "hrv_sdnn_ms", "sokolow_lyon_mv")]).all()


def test_amplitude_features_are_missing_for_signals_not_in_mv(measured):
    f = features_from_measurements(measured, amplitudes=False)
    n = len(TIMING_FEATURES)
    assert np.isnan(f[n:]).all()
    np.testing.assert_array_equal(f[:n], features_from_measurements(measured)[:n])


def test_fusion_learner_learns_a_separable_label_and_falls_back_on_rare_classes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6))
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values are native to the learner
    y = np.stack([np.nan_to_num(x[:, 2]) > 0.3, np.zeros(400, bool)], axis=1).astype(np.float32)
    y[:2, 1] = 1  # two positives: too few to fit, the fallback is used
    fallback = np.full((100, 2), 7.0)
    out = fit_predict(x[:300], y[:300], [x[300:]], fallback=[fallback])[0]
    assert out.shape == (100, 2)
    finite = ~np.isnan(x[300:, 2])
    assert macro_auc(y[300:][finite, :1], out[finite, :1]) > 0.95
    np.testing.assert_array_equal(out[:, 1], 7.0)


def test_late_fusion_weight_is_zero_for_noise_and_positive_for_signal():
    rng = np.random.default_rng(1)
    y = (rng.random((300, 3)) < 0.3).astype(np.float32)
    cnn = y + rng.normal(scale=1.5, size=y.shape)
    noise = rng.normal(size=y.shape)
    assert choose_weight(y, cnn, 0.1 * noise)[0] == 0.0
    assert choose_weight(y, cnn, y + rng.normal(scale=1.0, size=y.shape))[0] > 0.0


def test_statement_kinds_put_rhythm_form_and_diagnostic_apart():
    assert statement_kinds(["SR", "AFIB", "NORM", "LVOLT", "NDT", "MI", "IRBBB"]) == [
        "rhythm", "rhythm", "diagnostic", "form", "diagnostic", "diagnostic", "diagnostic"]


def test_half_split_cuts_the_training_folds_in_two_disjoint_halves():
    a, b = half_split((1, 3, 4, 5, 6, 7, 8))
    assert set(a) | set(b) == {1, 3, 4, 5, 6, 7, 8} and not set(a) & set(b)
    assert abs(len(a) - len(b)) <= 1


def test_per_kind_choice_takes_measurements_for_rhythm_and_the_cnn_for_morphology():
    rng = np.random.default_rng(2)
    y = (rng.random((400, 4)) < 0.3).astype(np.float32)
    kinds = ["rhythm", "rhythm", "diagnostic", "diagnostic"]
    cnn = rng.normal(size=y.shape)
    cnn[:, 2:] += 2 * y[:, 2:]  # the CNN sees the morphology classes only
    meas = rng.normal(size=y.shape)
    meas[:, :2] += 3 * y[:, :2]  # the measurements see the rhythm classes only
    oof = rng.normal(size=y.shape)
    names, candidates = per_kind_candidates(cnn, meas, oof + 0.5 * y, oof)
    choice = choose_per_group(y[:200], [c[:200] for c in candidates], kinds)
    assert choice[0] == choice[1] and choice[2] == choice[3]
    assert names[choice[0]] == "measurements only"
    assert names[choice[2]] == "late w=0"
    fused = apply_choice(choice, [c[200:] for c in candidates])
    np.testing.assert_array_equal(fused[:, :2], meas[200:, :2])
    np.testing.assert_array_equal(fused[:, 2:], cnn[200:, 2:])
    assert macro_auc(y[200:], fused) > max(macro_auc(y[200:], cnn[200:]), macro_auc(y[200:], meas[200:])) + 0.1


def test_per_kind_choice_leaves_a_group_without_both_labels_on_the_first_candidate():
    y = np.zeros((20, 2), np.float32)
    y[:10, 0] = 1  # class 1 has no positive on the selection fold
    good = np.stack([y[:, 0], np.zeros(20)], axis=1)
    choice = choose_per_group(y, [-good, good], ["a", "b"])
    assert choice.tolist() == [1, 0]


def test_nested_hybrid_run_reports_every_row_without_choosing_on_the_outer_fold(tmp_path, monkeypatch):
    from medts.bench.hybrid import run
    from medts.bench.nested import OUTER_FOLDS, inner_fold

    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    root = write_classify_root(tmp_path / "ptbxl", per_fold=6, val_records=6)
    json_path, md_path = run(root, levels=("superdiagnostic",), epochs=1, batch_size=4, n_boot=10,
                             command="pytest", log=lambda m: None)
    doc = json.loads(json_path.read_text())
    m = doc["metrics"]["superdiagnostic"]
    assert set(m["rows"]) == set(ROWS)
    assert [f["outer_fold"] for f in m["per_outer_fold"]] == list(OUTER_FOLDS)
    assert all(f["selection_fold"] == inner_fold(f["outer_fold"]) for f in m["per_outer_fold"])
    assert all(v == 0.5 for v in m["rows"]["naive prior"]["per_outer_fold"])
    assert m["n_records"] == sum(f["n_test_records"] for f in m["per_outer_fold"])
    assert doc["data"]["records_by_source"]["processed100_zscore"] == 2
    cov = doc["data"]["feature_coverage"]  # shape features reach the processed-only records; mV ones do not
    assert cov["t_amplitude_z_V2"]["processed"] > 0 and cov["t_amplitude_mv_V2"]["processed"] == 0
    assert "hybrid, late fusion" in md_path.read_text() and "hybrid, per-kind choice" in md_path.read_text()
    assert all(set(f["per_kind_choice"]) == set(m["statement_kinds"].values()) for f in m["per_outer_fold"])
    assert not any(f["cnn_outputs_cached"] for f in m["per_outer_fold"])
    assert set(m["delta_vs_late_fusion"]) == {"hybrid, per-kind choice"}
    assert set(m["pooled_auc_per_class"]["CNN only"]) == set(m["classes"]) == set(m["n_positives"])
    assert sum(m["n_positives"].values()) >= m["n_records"]  # every scored record has at least one label
    # measurements are cached: a second call loads them instead of measuring again
    from medts.bench.hybrid import measurement_features
    from medts.classify.data import load_ptbxl_cache

    cache = load_ptbxl_cache(root)
    first = measurement_features(cache, log=lambda m: pytest.fail("measured again: " + m))
    assert first.shape == (len(cache.ecg_ids), len(FEATURE_NAMES))
    # so are the CNN outputs: a second run trains nothing and repeats the CNN-only figures
    from medts.bench import hybrid

    monkeypatch.setattr(hybrid, "cnn_outputs", lambda *a, **k: pytest.fail("CNN trained again"))
    json2, _ = run(root, levels=("superdiagnostic",), epochs=1, batch_size=4, n_boot=10, command="pytest",
                   log=lambda m: None)
    m2 = json.loads(json2.read_text())["metrics"]["superdiagnostic"]
    assert all(f["cnn_outputs_cached"] for f in m2["per_outer_fold"])
    assert m2["rows"]["CNN only"] == m["rows"]["CNN only"]
    # the OOF logits on the training rows come from the half-CNNs, not from the CNN that trained on them
    folder = hybrid.cnn_outputs_folder(cache, "superdiagnostic", model="xresnet1d-small", epochs=1, seed=0, batch_size=4)
    with np.load(folder / "outer1.npz") as z:
        assert z["oof_train"].shape == z["train"].shape
        assert np.isfinite(z["oof_train"]).all() and not np.allclose(z["oof_train"], z["train"])


def test_cli_hybrid_without_nested_is_refused_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from medts.cli import app
    from medts.errors import MedtsError

    result = CliRunner().invoke(app, ["bench", "ptbxl", "--hybrid", "--data", str(tmp_path)])
    assert isinstance(result.exception, MedtsError)  # medts.cli.main turns it into a one-line error, exit 2
    assert "--hybrid needs --nested" in str(result.exception)
