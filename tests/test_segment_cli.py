"""``medts segment``: the shipped segmentation adapter on a seeded NeuroKit2 simulation written
with ``wfdb.wrsamp``, JSON/--out output, and one-line errors for bad input."""

import json
import os

import neurokit2 as nk
import numpy as np
import pytest
import torch
import wfdb
from typer.testing import CliRunner

from medts.cli import app, main
from medts.commands.segment import default_adapter

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FS = 500
pytestmark = pytest.mark.skipif(not (default_adapter() / "manifest.json").is_file(), reason="adapter not shipped")


@pytest.fixture(scope="module")
def sim_record(tmp_path_factory):
    """10 s, 500 Hz, leads II and V1 (inverted, half size) of one ecgsyn simulation; R peaks."""
    folder = tmp_path_factory.mktemp("segment")
    ecg = nk.ecg_simulate(duration=10, sampling_rate=FS, heart_rate=70, random_state=3, method="ecgsyn")
    x = np.stack([ecg, -0.5 * ecg], axis=1)
    wfdb.wrsamp("sim", fs=FS, units=["mV", "mV"], sig_name=["II", "V1"], p_signal=x, fmt=["16", "16"], write_dir=str(folder))
    _, info = nk.ecg_peaks(ecg, sampling_rate=FS)
    return folder / "sim.hea", np.asarray(info["ECG_R_Peaks"])


@pytest.fixture(scope="module")
def segmented(sim_record, tmp_path_factory):
    path, _ = sim_record
    out = tmp_path_factory.mktemp("out") / "waves.json"
    result = CliRunner().invoke(app, ["segment", str(path), "--json", "--out", str(out)])
    return result, out


def test_json_is_one_list_and_out_file_matches(segmented):
    result, out = segmented
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert isinstance(doc, list) and len(doc) == 1
    assert json.loads(out.read_text()) == doc
    rec = doc[0]
    assert rec["fs_input_hz"] == FS and rec["duration_s"] == pytest.approx(10.0)
    assert [lead["lead"] for lead in rec["leads"]] == ["II", "V1"]


def test_waves_are_at_the_input_rate_and_ordered(segmented):
    rec = json.loads(segmented[0].stdout)[0]
    for lead in rec["leads"]:
        assert lead["waves"], lead["lead"]
        for w in lead["waves"]:
            assert w["kind"] in ("P", "QRS", "T")
            assert 0 <= w["onset"] <= w["peak"] <= w["offset"] < 10 * FS
            assert w["onset_s"] == pytest.approx(w["onset"] / FS, abs=1e-3)
            assert w["offset_s"] == pytest.approx(w["offset"] / FS, abs=1e-3)
        onsets = [w["onset"] for w in lead["waves"]]
        assert onsets == sorted(onsets)
        assert sum(lead["n_waves"].values()) == len(lead["waves"])


def test_every_simulated_beat_gets_a_qrs_around_its_r_peak(segmented, sim_record):
    """Most R peaks lie inside (within 40 ms of) a labelled QRS complex, in both leads."""
    _, rpeaks = sim_record
    rec = json.loads(segmented[0].stdout)[0]
    tol = int(0.04 * FS)
    for lead in rec["leads"]:
        qrs = [(w["onset"], w["offset"]) for w in lead["waves"] if w["kind"] == "QRS"]
        hit = [any(a - tol <= r <= b + tol for a, b in qrs) for r in rpeaks]
        assert np.mean(hit) >= 0.8, (lead["lead"], np.mean(hit))
        assert len(qrs) <= 2 * len(rpeaks)


def test_bad_inputs_give_one_line_errors(sim_record, tmp_path):
    path, _ = sim_record
    garbage = tmp_path / "bad.hea"
    garbage.write_text("this is not a header\n")
    missing = tmp_path / "nothing_here.hea"
    result = CliRunner().invoke(app, ["segment", str(path), str(garbage), str(missing), "--json"])
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    doc = json.loads(result.stdout)
    assert len(doc) == 3 and "leads" in doc[0]
    assert "error" in doc[1] and "bad.hea" in doc[1]["error"]
    assert "error" in doc[2] and "nothing_here" in doc[2]["error"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2


def test_bad_adapter_folder_is_one_error(sim_record, tmp_path, capsys):
    path, _ = sim_record
    assert main(["segment", str(path), "--adapter", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path}: not a segmentation adapter folder (no manifest.json)"]


def test_shipped_adapter_prompt_cache_matches_the_uncached_path(sim_record):
    """The real SmolLM2 adapter: sharing each lead's prompt key/values across its windows gives
    the probabilities of running every prompt with its own window (as in training).

    Checked in float32, where the two paths agree to rounding; under bf16 (the "auto" dtype on
    CPUs with native bf16) the paths round differently, so there only the labels are compared."""
    import dataclasses

    from medts.io import read_record
    from medts.medtsllm.backbone import load_backbone
    from medts.medtsllm.checkpoint import load_checkpoint, read_manifest
    from medts.medtsllm.config import MedTsLLMConfig
    from medts.medtsllm.infer import load_segmentation_adapter, segment_logits

    folder = default_adapter()
    config = MedTsLLMConfig.from_dict(read_manifest(folder)["config"])
    backbone, tokenizer = load_backbone(dataclasses.replace(config.backbone, dtype="float32"))
    model32 = load_checkpoint(folder, backbone=backbone, tokenizer=tokenizer)
    assert model32.llm_dtype == torch.float32
    ecg = read_record(sim_record[0])
    sig = ecg.resample(config.data.fs).signal
    kw = {"age": 60, "sex": "female", "dataset": "ludb", "hop_s": config.data.window_s}
    cached = segment_logits(model32, sig, list(ecg.leads), cache_prompts=True, **kw)
    plain = segment_logits(model32, sig, list(ecg.leads), cache_prompts=False, **kw)
    assert cached.shape == (1000, 2, 4)
    np.testing.assert_allclose(cached, plain, rtol=0, atol=1e-5)

    shipped, _ = load_segmentation_adapter(folder)  # default dtype: bf16 or float32
    cached = segment_logits(shipped, sig, list(ecg.leads), cache_prompts=True, **kw)
    plain = segment_logits(shipped, sig, list(ecg.leads), cache_prompts=False, **kw)
    assert np.mean(cached.argmax(-1) == plain.argmax(-1)) >= 0.995
    assert np.abs(cached - plain).max() < 0.02
