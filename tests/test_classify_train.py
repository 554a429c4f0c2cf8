"""Tests of medts.classify.train on a small synthetic PTB-XL root (seeded, saved, reloaded)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from classify_synthetic import train_tiny, write_classify_root

from medts.classify.predict import Classifier
from medts.errors import MedtsError


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTS_CACHE", str(tmp / "cache"))
    root = write_classify_root(tmp / "ptbxl")
    clf, summary = train_tiny(root, tmp / "adapter", seeds=(0, 1))
    yield root, tmp / "adapter", clf, summary
    mp.undo()


def test_training_learns_the_separable_kinds_and_records_history(trained):
    _root, folder, _clf, _summary = trained
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["val_metrics"]["macro_auc"] > 0.9  # NORM vs CD kinds differ clearly
    assert [m["seed"] for m in manifest["training"]] == [0, 1]
    for member in manifest["training"]:
        assert len(member["history"]) == 3 and member["seconds_per_epoch"] > 0
        assert member["best_val_macro_auc"] == max(h["val_macro_auc"] for h in member["history"])
    assert manifest["data"]["train_folds"] == [1, 2, 3, 4, 5, 6, 7, 8] and manifest["data"]["val_fold"] == 9
    assert manifest["data"]["n_train_records"] == 32 and manifest["data"]["n_val_records"] == 8
    assert manifest["classes"] == ["CD", "HYP", "MI", "NORM", "STTC"]
    assert manifest["command"] == "pytest train_tiny"


def test_same_seed_gives_identical_weights(trained, tmp_path):
    root, _folder, clf, _ = trained
    again, _ = train_tiny(root, tmp_path / "again", seeds=(0,))
    first = clf.members[0].state_dict()
    for key, value in again.members[0].state_dict().items():
        assert np.array_equal(value.numpy(), first[key].numpy()), key


def test_reload_reproduces_reference_predictions_and_is_strict(trained, tmp_path):
    from medts.classify.data import load_ptbxl_cache
    from medts.classify.train import reference_ecg

    root, folder, _clf, _ = trained
    loaded = Classifier.load(folder)
    cache = load_ptbxl_cache(root)
    row_of = {int(i): r for r, i in enumerate(cache.ecg_ids)}
    refs = loaded.manifest["reference_predictions"]
    assert {r["source"] for r in refs} == {"records100"}  # synthetic processed arrays are fold 1 only
    preds = loaded.predict_many([reference_ecg(cache, row_of[r["ecg_id"]]) for r in refs])
    got = np.array([[s.probability for s in p.statements] for p in preds])
    np.testing.assert_array_equal(got, np.array([r["probabilities"] for r in refs]))
    # a manifest that describes another network must not load
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["members"][0]["head_hidden"] = 64
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps(manifest))
    (broken / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    with pytest.raises(MedtsError, match="do not match"):
        Classifier.load(broken)


def test_thresholds_come_from_the_validation_fold(trained):
    _, folder, _, summary = trained
    manifest = json.loads((folder / "manifest.json").read_text())
    thresholds = manifest["thresholds"]
    assert thresholds["HYP"]["source"].startswith("default")  # no HYP record in the root
    cd = thresholds["CD"]
    assert cd["n_positive"] == int(summary["y_val"][:, 0].sum())
    rule = manifest["decision_rule"]  # CD has fewer than min_support positives among the 8 validation records
    assert cd["source"] == ("max F1 on validation fold" if cd["n_positive"] >= rule["min_support"]
                            else f"default: fewer than {rule['min_support']} positive validation records")


def test_make_scheduler_cosine_warms_up_then_decays_to_zero():
    import torch

    from medts.classify.train import make_scheduler

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = make_scheduler(opt, "cosine", 1.0, 100)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] < 0.1 and max(lrs) == pytest.approx(1.0, abs=0.01)
    assert lrs.index(max(lrs)) <= 6 and lrs[-1] < 0.01
    with pytest.raises(MedtsError, match="unknown schedule"):
        make_scheduler(opt, "step", 1.0, 10)


def test_distillation_mixes_teacher_probabilities_into_training_targets_only(trained):
    from medts.classify.data import load_ptbxl_cache
    from medts.classify.train import LevelData, distillation_targets

    root, folder, clf, _ = trained
    data = LevelData.build(load_ptbxl_cache(root), "superdiagnostic", list(range(1, 9)), 9)
    mixed = distillation_targets(data, folder, 0.25, log=lambda _m: None)
    teacher = clf.predict_proba(np.asarray(data.cache.signals[data.train_rows], np.float32))
    np.testing.assert_allclose(mixed.y_train, 0.75 * data.y_train + 0.25 * teacher, atol=1e-6)
    assert not np.array_equal(mixed.y_train, data.y_train)
    np.testing.assert_array_equal(mixed.y_val, data.y_val)
    with pytest.raises(MedtsError, match="do not match"):
        rhythm = LevelData.build(load_ptbxl_cache(root), "rhythm", list(range(1, 9)), 9)
        distillation_targets(rhythm, folder, 0.5)


def test_student_trains_with_teacher_cosine_and_label_smoothing_and_records_them(trained, tmp_path):
    from medts.classify.train import TrainConfig, train_ensemble

    root, folder, _clf, _ = trained
    cfg = TrainConfig(level="superdiagnostic", model="inception1d-fast", epochs=2, batch_size=8, num_threads=1,
                      schedule="cosine", label_smoothing=0.1, teacher=str(folder), distill_weight=0.5)
    student, _ = train_ensemble(root, cfg, command="pytest student", n_reference=2, log=lambda _m: None)
    assert student.manifest["train_config"]["teacher"] == str(folder)
    assert student.manifest["train_config"]["schedule"] == "cosine"
    assert student.members[0].config.downsample == 4
    assert student.manifest["val_metrics"]["macro_auc"] > 0.5
