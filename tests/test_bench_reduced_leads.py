"""``medts bench reduced-leads``: lead sets are scored with the other leads flat; the run trains both networks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from classify_synthetic import write_classify_root
from typer.testing import CliRunner

from medts.bench.reduced_leads import score_lead_sets
from medts.classify.calibrate import Threshold
from medts.classify.models import build_model, preset_config
from medts.classify.predict import Classifier
from medts.cli import app
from medts.record import STANDARD_LEADS


def _reads_only(lead: str) -> Classifier:
    torch.manual_seed(0)
    net = build_model(preset_config("xresnet1d-small", 1))
    with torch.no_grad():
        weight = net.body.stem[0][0].weight  # [out, 12 leads, kernel]
        weight[:, [i for i, name in enumerate(STANDARD_LEADS) if name != lead], :] = 0.0
    return Classifier([net.eval()], ["A"], {"A": Threshold(0.5, "test", None, 0)}, {"level": "test", "name": "t"})


def test_a_lead_set_without_the_only_lead_read_scores_chance():
    rng = np.random.default_rng(0)
    y = np.array([[1], [0]] * 20, np.float32)
    signals = rng.standard_normal((40, 1000, 12)).astype(np.float32)
    signals[:, :, STANDARD_LEADS.index("V2")] += 2.0 * y * np.sin(np.arange(1000) / 3.0)[None, :]
    scores = score_lead_sets(_reads_only("V2"), signals, y, n_boot=20)
    assert scores["3 leads (I, II, V2)"]["macro_auc"] != 0.5
    assert scores["2 leads (I, II)"]["macro_auc"] == 0.5  # V2 flat: every record gets the same probability
    assert scores["1 lead (II)"]["macro_auc"] == 0.5
    assert set(scores) >= {"12 leads", "6 leads (I, II, III, aVR, aVL, aVF)"}


def test_cli_trains_plain_and_lead_dropout_networks_and_scores_fold_9(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    root = write_classify_root(tmp_path / "ptbxl", per_fold=2, val_records=4)
    result = CliRunner().invoke(app, ["bench", "reduced-leads", "--data", str(root), "--epochs", "1", "--n-boot", "10",
                                      "--batch-size", "4", "--shipped", str(tmp_path / "none"), "--save", str(tmp_path / "ld")])
    assert result.exit_code != 0  # a --shipped folder that is not an adapter is an error
    result = CliRunner().invoke(app, ["bench", "reduced-leads", "--data", str(root), "--epochs", "1", "--n-boot", "10",
                                      "--batch-size", "4", "--save", str(tmp_path / "ld")])
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "results" / "reduced_leads.json").read_text())
    per_model = out["metrics"]["per_model"]
    assert {"plain", "lead dropout 0.5"} <= set(per_model)
    assert len(per_model["plain"]) == 6 and out["data"]["select_fold"] == 8 and out["data"]["test_fold"] == 9
    assert out["metrics"]["training"]["lead dropout 0.5"]["recipe"]["lead_dropout"] == 0.5
    assert (tmp_path / "ld" / "manifest.json").is_file()
    with pytest.raises(AssertionError):
        assert out["metrics"]["training"]["plain"]["recipe"]["lead_dropout"] == 0.5
