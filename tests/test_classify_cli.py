"""Tests of ``medts classify`` and ``medts train classifier`` (CLI, JSON on stdout, errors)."""

from __future__ import annotations

import json

import pytest
import wfdb
from classify_synthetic import LEADS, kind_signal, train_tiny, write_classify_root
from typer.testing import CliRunner

from medts.cli import app


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTS_CACHE", str(tmp / "cache"))
    root = write_classify_root(tmp / "ptbxl", per_fold=2, val_records=4)
    train_tiny(root, tmp / "adapter", epochs=2)
    yield root, tmp / "adapter"
    mp.undo()


def test_classify_json_lists_records_in_input_order_and_reports_bad_files(adapter, tmp_path):
    _, folder = adapter
    wfdb.wrsamp("rec_a", fs=500, units=["mV"] * 8, sig_name=LEADS[:2] + LEADS[6:],
                p_signal=kind_signal(2000, fs=500)[:, [0, 1, 6, 7, 8, 9, 10, 11]], fmt=["16"] * 8,
                write_dir=str(tmp_path))
    (tmp_path / "broken.csv").write_text("not,an\necg,file\n")
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "rec_a.hea"), str(tmp_path / "broken.csv"),
                                      "--adapter", str(folder), "--json"])
    assert result.exit_code == 1
    docs = json.loads(result.stdout)
    assert len(docs) == 2 and docs[0]["record_id"] == "rec_a"
    assert docs[0]["missing_leads"] == ["III", "aVR", "aVL", "aVF"] and docs[0]["resampled"]
    assert len(docs[0]["statements"]) == 5 and "broken.csv" in docs[1]["source"] and docs[1]["error"]


def test_classify_text_output_and_missing_adapter(adapter, tmp_path):
    _, folder = adapter
    wfdb.wrsamp("rec_b", fs=100, units=["mV"] * 12, sig_name=LEADS, p_signal=kind_signal(2001), fmt=["16"] * 12,
                write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "rec_b.hea"), "--adapter", str(folder), "--all"])
    assert result.exit_code == 0, result.output
    assert "rec_b" in result.stdout and "NORM" in result.stdout and "clinician review" in result.stdout
    from medts.cli import main

    assert main(["classify", str(tmp_path / "rec_b.hea"), "--adapter", str(tmp_path / "nowhere")]) == 2


def test_train_classifier_cli_writes_an_adapter(adapter, tmp_path):
    root, _ = adapter
    out = tmp_path / "trained"
    result = CliRunner().invoke(app, ["train", "classifier", "--data", str(root), "--level", "rhythm", "--model",
                                      "xresnet1d-small", "--epochs", "1", "--batch-size", "8", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    manifest = json.loads((out / "manifest.json").read_text())
    assert doc["adapter"] == str(out) and manifest["level"] == "rhythm" and manifest["classes"][0] == "AFIB"
    assert (out / "model.safetensors").is_file()
