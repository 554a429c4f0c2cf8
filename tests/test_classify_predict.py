"""Tests of medts.classify.predict: bad input, missing leads, resampling, and the shipped adapters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from classify_synthetic import LEADS, kind_signal, train_tiny, write_classify_root

from medts.classify.predict import Classifier, ClassifierPrediction, default_adapter_dir
from medts.errors import InvalidECGError, MedtsError
from medts.labels import level_classes
from medts.record import ECG


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("predict")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTS_CACHE", str(tmp / "cache"))
    root = write_classify_root(tmp / "ptbxl")
    _clf, _ = train_tiny(root, tmp / "adapter", epochs=3)
    yield Classifier.load(tmp / "adapter")
    mp.undo()


def _ecg(ecg_id: int, fs: int = 100, leads=LEADS) -> ECG:
    signal = kind_signal(ecg_id, fs)[:, [LEADS.index(lead) for lead in leads]]
    return ECG(signal.astype(np.float32), fs=float(fs), leads=tuple(leads), record_id=f"r{ecg_id}")


def test_prediction_is_json_ready_and_separates_the_kinds(classifier):
    preds = classifier.predict_many([_ecg(1000), _ecg(1001)])
    doc = json.loads(json.dumps([p.model_dump(mode="json") for p in preds]))
    assert ClassifierPrediction.model_validate(doc[0]).record_id == "r1000"
    norm = {s["code"]: s for s in doc[0]["statements"]}
    cd = {s["code"]: s for s in doc[1]["statements"]}
    assert norm["NORM"]["probability"] > cd["NORM"]["probability"]
    assert cd["CD"]["probability"] > norm["CD"]["probability"]
    for s in doc[0]["statements"]:
        assert s["present"] == (s["probability"] >= s["threshold"])
    assert doc[0]["present"] == [s["code"] for s in sorted(doc[0]["statements"], key=lambda s: -s["probability"]) if s["present"]]
    assert doc[0]["missing_leads"] == [] and doc[0]["notes"] == []


def test_batch_and_single_calls_agree(classifier):
    ecgs = [_ecg(i) for i in range(1000, 1004)]
    batch = classifier.predict_many(ecgs)
    for ecg, b in zip(ecgs, batch):
        single = classifier.predict(ecg)
        np.testing.assert_allclose([s.probability for s in single.statements],
                                   [s.probability for s in b.statements], atol=2e-6)


def test_other_sampling_rate_is_resampled_and_said(classifier):
    at_500 = classifier.predict(_ecg(1000, fs=500))
    at_100 = classifier.predict(_ecg(1000, fs=100))
    assert at_500.resampled and any("resampled from 500 Hz" in n for n in at_500.notes)
    p500 = {s.code: s.probability for s in at_500.statements}
    p100 = {s.code: s.probability for s in at_100.statements}
    assert abs(p500["NORM"] - p100["NORM"]) < 0.15


def test_missing_leads_are_zeroed_and_reported(classifier):
    pred = classifier.predict(_ecg(1000, leads=["I", "II", "V1", "V5"]))
    assert pred.missing_leads == ["III", "aVR", "aVL", "aVF", "V2", "V3", "V4", "V6"]
    assert any("zeroed" in n and "less reliable" in n for n in pred.notes)


def test_nan_input_is_a_clear_error(classifier):
    signal = kind_signal(1000)
    signal[5, 2] = np.nan
    with pytest.raises(InvalidECGError, match="NaN"):
        classifier.predict(ECG(signal, fs=100.0, leads=tuple(LEADS)))


def test_loading_a_folder_without_weights_fails_clearly(tmp_path):
    with pytest.raises(MedtsError, match="not a classifier adapter"):
        Classifier.load(tmp_path)


# -- the shipped adapters ------------------------------------------------------------------------

SHIPPED = [d for d in (default_adapter_dir("superdiagnostic"), default_adapter_dir("all")) if (d / "manifest.json").is_file()]


@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_shipped_adapter_is_small_and_complete(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (folder / "model.safetensors").stat().st_size < 8_000_000
    assert (folder / "MODEL_CARD.md").is_file()
    assert manifest["classes"] == level_classes(manifest["level"])
    assert set(manifest["thresholds"]) == set(manifest["classes"])
    assert manifest["data"]["train_folds"] == [1, 2, 3, 4, 5, 6, 7, 8] and manifest["data"]["val_fold"] == 9
    assert manifest["command"].startswith("medts train classifier")
    assert "macro_auc_ci95" in manifest["val_metrics"]


@pytest.mark.realdata
@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_shipped_adapter_reproduces_its_recorded_fold9_probabilities(folder, ptbxl_dir):
    from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays
    from medts.record import STANDARD_LEADS

    clf = Classifier.load(folder)
    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    arrays = processed_zscore_arrays(ptbxl_dir)
    refs = clf.manifest["reference_predictions"]
    assert {r["source"] for r in refs} == {"records100", "processed100_zscore"}
    ecgs = []
    for ref in refs:
        if ref["source"] == "records100":
            ecgs.append(index.read(ref["ecg_id"]))
        else:
            ecgs.append(ECG(load_processed_zscore(arrays[ref["ecg_id"]]), fs=100.0, leads=STANDARD_LEADS))
    got = np.array([[s.probability for s in p.statements] for p in clf.predict_many(ecgs)])
    # stored rounded to 6 decimals: a last-bit difference in a BLAS sum (thread count, CPU) can move a value
    # across a rounding boundary (CI: 0.012780 vs 0.012779); a weight that failed to load moves far more
    np.testing.assert_allclose(got, np.array([r["probabilities"] for r in refs]), rtol=0, atol=2e-6)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_shipped_adapter_reproduces_its_recorded_fold9_macro_auc(folder, ptbxl_dir):
    from medts.classify.data import load_ptbxl_cache
    from medts.classify.metrics import macro_auc
    from medts.classify.train import LevelData

    clf = Classifier.load(folder)
    data = LevelData.build(load_ptbxl_cache(ptbxl_dir), clf.level, list(range(1, 9)), 9)
    assert len(data.val_rows) == clf.manifest["data"]["n_val_records"]
    assert macro_auc(data.y_val, clf.predict_proba(data.val_signals)) == clf.manifest["val_metrics"]["macro_auc"]


def test_small_inputs_run_on_one_thread_and_restore_the_thread_count():
    import torch

    from medts.classify.models import build_model, preset_config
    from medts.classify.predict import SMALL_INPUT_WINDOWS, predict_signals

    torch.manual_seed(0)
    net = build_model(preset_config("xresnet1d-small", 3)).eval()
    signals = np.random.default_rng(0).standard_normal((2, 1000, 12)).astype(np.float32)
    assert 2 * 4 < SMALL_INPUT_WINDOWS
    seen = []
    hook = net.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        small = predict_signals([net], signals, window=250, stride=250)
        assert seen == [1] and torch.get_num_threads() == 2
        torch.set_num_threads(1)
        np.testing.assert_allclose(small, predict_signals([net], signals, window=250, stride=250), atol=1e-6)
    finally:
        hook.remove()
        torch.set_num_threads(before)
