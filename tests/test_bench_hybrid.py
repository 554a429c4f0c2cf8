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
    choose_weight,
    features_from_measurements,
    fit_predict,
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
    assert "hybrid, late fusion" in md_path.read_text()
    assert set(m["pooled_auc_per_class"]["CNN only"]) == set(m["classes"]) == set(m["n_positives"])
    assert sum(m["n_positives"].values()) >= m["n_records"]  # every scored record has at least one label
    # measurements are cached: a second call loads them instead of measuring again
    from medts.bench.hybrid import measurement_features
    from medts.classify.data import load_ptbxl_cache

    cache = load_ptbxl_cache(root)
    first = measurement_features(cache, log=lambda m: pytest.fail("measured again: " + m))
    assert first.shape == (len(cache.ecg_ids), len(FEATURE_NAMES))


def test_cli_hybrid_without_nested_is_refused_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from medts.cli import app
    from medts.errors import MedtsError

    result = CliRunner().invoke(app, ["bench", "ptbxl", "--hybrid", "--data", str(tmp_path)])
    assert isinstance(result.exception, MedtsError)  # medts.cli.main turns it into a one-line error, exit 2
    assert "--hybrid needs --nested" in str(result.exception)
