"""Tests of ``medts classify`` and ``medts train classifier`` (CLI, JSON on stdout, errors)."""

from __future__ import annotations

import json

import pytest
import torch
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
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    docs = json.loads(result.stdout)
    assert len(docs) == 2 and docs[0]["record_id"] == "rec_a"
    # the 8 stored leads (I, II, V1-V6) get III, aVR, aVL, aVF derived from I and II, as carts do
    assert docs[0]["missing_leads"] == [] and docs[0]["resampled"]
    assert "III, aVR, aVL, aVF derived from I and II" in result.stderr
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
                                      "xresnet1d-small", "--epochs", "1", "--batch-size", "8", "--lead-dropout", "0.5",
                                      "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    manifest = json.loads((out / "manifest.json").read_text())
    assert doc["adapter"] == str(out) and manifest["level"] == "rhythm" and manifest["classes"][0] == "AFIB"
    assert (out / "model.safetensors").is_file()
    assert manifest["training"][0]["recipe"]["lead_dropout"] == 0.5


def test_merge_classifiers_cli_concatenates_members_and_records_commands(adapter, tmp_path):
    from medts.classify.predict import Classifier

    root, first = adapter
    second = tmp_path / "second"
    train_tiny(root, second, seeds=(1,), epochs=1)
    out = tmp_path / "merged"
    result = CliRunner().invoke(app, ["train", "merge-classifiers", str(first), str(second), "--data", str(root),
                                      "--stride", "250", "--float16", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    merged = Classifier.load(out)
    assert doc["n_members"] == len(merged.members) == 2 and merged.stride == 250
    assert [t["seed"] for t in merged.manifest["training"]] == [0, 1]
    from safetensors.torch import load_file

    stored = load_file(out / "model.safetensors")
    assert {v.dtype for k, v in stored.items() if not k.endswith("num_batches_tracked")} == {torch.float16}
    command = merged.manifest["command"]
    assert command.startswith("pytest train_tiny && pytest train_tiny && ") and "merge-classifiers" in command
    # the recorded fold-9 figure is the one the reloaded ensemble gives
    from medts.classify.data import load_ptbxl_cache
    from medts.classify.metrics import macro_auc
    from medts.classify.train import LevelData

    data = LevelData.build(load_ptbxl_cache(root), merged.level, list(range(1, 9)), 9)
    assert macro_auc(data.y_val, merged.predict_proba(data.val_signals)) == doc["val_metrics"]["macro_auc"]
    from medts.cli import main

    assert main(["train", "merge-classifiers", str(tmp_path / "nope"), "--data", str(root),
                 "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_merge_classifiers_pick_keeps_only_the_chosen_members_in_order(adapter, tmp_path, capsys):
    from medts.classify.predict import Classifier

    root, first = adapter
    second = tmp_path / "second"
    train_tiny(root, second, seeds=(1, 2), epochs=1)
    out = tmp_path / "picked"
    result = CliRunner().invoke(app, ["train", "merge-classifiers", str(first), str(second), "--data", str(root),
                                      "--pick", "1:1", "--pick", "0:0", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    merged = Classifier.load(out)
    assert [t["seed"] for t in merged.manifest["training"]] == [2, 0]
    source = Classifier.load(second)
    for key, value in source.members[1].state_dict().items():
        assert torch.equal(value, merged.members[0].state_dict()[key]), key
    assert "--pick 1:1 --pick 0:0" in merged.manifest["command"]
    from medts.cli import main

    assert main(["train", "merge-classifiers", str(first), "--data", str(root), "--pick", "0:5",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "no member 5 in adapter 0" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_classify_shows_the_engine_decision_beside_the_raw_probability():
    from medts.classify.predict import default_adapter_dir
    from medts.examples import example_path

    if not (default_adapter_dir("superdiagnostic") / "manifest.json").is_file():
        pytest.skip("no shipped superdiagnostic classifier")
    result = CliRunner().invoke(app, ["classify", str(example_path("afib")), "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["verdict"].startswith("Atrial fibrillation")
    decided = {d["code"]: d for d in doc["decisions"]}
    for s in doc["statements"]:  # every statement the classifier puts above threshold gets the engine's decision
        if s["present"]:
            assert s["code"] in decided and decided[s["code"]]["probability"] == pytest.approx(s["probability"], abs=1e-4)
    if "NORM" in decided:  # the raw classifier may say NORM on this record; the engine never keeps it beside AF
        assert decided["NORM"]["decision"] == "withheld" and "AFIB" in decided["NORM"]["reason"]


def test_classify_text_lists_the_engines_own_statements_with_their_leads(tmp_path):
    # issue 15 item 3: the engine's rhythm and measurement statements were in the verdict only, with no
    # line saying which leads they needed; a 6-limb-lead record now lists them beside the classifier's
    from medts.classify.predict import default_adapter_dir
    from medts.simulate import simulate_12lead

    if not (default_adapter_dir("superdiagnostic") / "manifest.json").is_file():
        pytest.skip("no shipped superdiagnostic classifier")
    ecg = simulate_12lead(10.0, 500.0, 72.0, seed=11).select_leads(["I", "II", "III", "aVR", "aVL", "aVF"])
    wfdb.wrsamp("limb6", fs=500, units=["mV"] * 6, sig_name=list(ecg.leads), p_signal=ecg.signal.astype(float),
                fmt=["16"] * 6, write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "limb6.hea")])
    assert result.exit_code == 0, result.output
    assert "asserted SR     by the engine (measurement)  sinus rhythm  [leads needed: any one]" in result.output
    result = CliRunner().invoke(app, ["classify", str(tmp_path / "limb6.hea"), "--json"])
    (doc,) = json.loads(result.stdout)
    decided = {d["code"]: d for d in doc["decisions"]}
    assert decided["SR"]["leads_needed"] == []
    for s in doc["statements"]:
        if s["code"] in decided:
            assert decided[s["code"]]["leads_needed"] == s["leads_needed"]
