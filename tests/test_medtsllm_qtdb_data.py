"""QTDB's partly marked beats as segmentation labels: what is known, what is ignored."""

import numpy as np
import pytest
import torch

from medts.io.annotations import Wave
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.qtdb_data import IGNORE, QtdbWindows, qtdb_labels, qtdb_training_names
from medts.medtsllm.train import soft_dice_loss


def _beat(qrs_on: int, *, p: bool = True, t_onset: bool = False) -> list[Wave]:
    waves = [Wave("QRS", qrs_on, qrs_on + 10, qrs_on + 20), Wave("T", qrs_on + 60 if t_onset else None, qrs_on + 90, qrs_on + 120)]
    return ([Wave("P", qrs_on - 40, qrs_on - 30, qrs_on - 15)] if p else []) + waves


def test_labels_follow_the_marks_and_leave_the_unknown_out():
    waves = _beat(100) + _beat(300) + _beat(500, p=False)  # the third beat's P is unmarked
    labels, runs = qtdb_labels(waves, 800)
    assert (labels[:60] == IGNORE).all()  # before the first marked P onset
    assert (labels[60:86] == 1).all() and (labels[100:121] == 2).all()
    assert (labels[121:190] == IGNORE).all()  # QRS offset to T peak: T onset not marked
    assert (labels[190:221] == 3).all()
    assert (labels[221:260] == 0).all()  # between linked beats: none
    assert (labels[421:500] == IGNORE).all()  # before an unmarked P: unknown, and the run breaks
    assert runs == [(60, 421), (500, 621)]
    assert (labels[621:] == IGNORE).all()


def test_a_marked_t_onset_and_a_record_without_p_marks_label_more():
    labels, runs = qtdb_labels(_beat(100, p=False, t_onset=True) + _beat(300, p=False, t_onset=True), 500)
    assert (labels[121:160] == 0).all() and (labels[160:221] == 3).all()  # ST segment, then T from its onset
    assert (labels[221:300] == 0).all() and runs == [(100, 421)]  # no P anywhere: P is absent, not unknown


def test_an_unmarked_beat_between_two_marked_ones_breaks_the_run():
    waves = _beat(100) + _beat(300) + _beat(500) + _beat(900)  # a beat near 700 is not marked
    labels, runs = qtdb_labels(waves, 1100)
    assert runs == [(60, 621), (860, 1021)]
    assert (labels[621:860] == IGNORE).all()


def test_dice_ignores_unknown_samples():
    y = torch.tensor([[0, 1, 2, 3, IGNORE, IGNORE]])
    logits = 50.0 * torch.nn.functional.one_hot(y.clamp(min=0), 4).float()
    logits[0, 4:] = torch.tensor([0.0, 0.0, 0.0, 50.0])  # confident T where nothing is known
    assert float(soft_dice_loss(logits, y)) < 1e-3


def test_training_names_take_the_even_half_and_refuse_other_values(tmp_path):
    (tmp_path / "RECORDS").write_text("sel1\nsel2\nsel3\n")
    assert qtdb_training_names(tmp_path, "even") == ["sel1", "sel3"]
    assert qtdb_training_names(tmp_path, "none") == []
    with pytest.raises(ValueError, match="'none' or 'even'"):
        qtdb_training_names(tmp_path, "all")


def test_windows_of_a_real_record_put_qrs_labels_on_the_qrs(qtdb_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path))
    ds = QtdbWindows(qtdb_dir, ["sel100"], MedTsLLMConfig())
    assert len(ds) > 20
    x = np.concatenate([ds[i]["x"].numpy().ravel() for i in range(0, len(ds), 2)])
    y = np.concatenate([ds[i]["y"].numpy().ravel() for i in range(0, len(ds), 2)])
    assert set(np.unique(y)) == {IGNORE, 0, 1, 2, 3}
    slope = np.abs(np.gradient(x))
    assert slope[y == 2].mean() > 3 * slope[y == 0].mean()  # the QRS is where the signal is steep
    assert "QT Database" in ds[0]["prompt"]  # the default prompt template names the dataset
