"""``medts anomalies``: the shipped anomaly adapter on a seeded NeuroKit2 simulation (written with
``wfdb.wrsamp``) into which premature, wide, large ectopic-looking beats were inserted (each
followed by a pause, the normal beat it replaces removed); JSON and text output, thresholds,
beats from the pipeline not from annotation files, one-line errors."""

import json
import os

import neurokit2 as nk
import numpy as np
import pytest
import torch
import wfdb
from typer.testing import CliRunner

from medts.cli import app, main
from medts.commands.anomalies import default_adapter

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FS = 250
pytestmark = pytest.mark.skipif(not (default_adapter() / "manifest.json").is_file(), reason="adapter not shipped")


def ectopic_simulation(seconds: float = 60.0, seed: int = 7, every: int = 6,
                       fs: int = FS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signal [n] mV at ``fs`` Hz, normal R peaks kept, inserted ectopic beat positions) (samples).

    Every ``every``-th beat is replaced: the normal complex is faded out and a wide (~130 ms),
    large complex with a discordant T wave is put 60 % of the way into the preceding RR interval."""
    x = nk.ecg_simulate(duration=seconds, sampling_rate=fs, heart_rate=72, noise=0.01, random_state=seed)
    x = np.asarray(x, float)
    r = np.asarray(nk.ecg_peaks(x, sampling_rate=fs)[1]["ECG_R_Peaks"])
    t = np.arange(-int(0.3 * fs), int(0.3 * fs) + 1) / fs  # ±300 ms
    # a wide, large R wave with a discordant T wave, as ventricular beats often look in lead II
    wide = 1.8 * np.exp(-(t / 0.045) ** 2) - 0.5 * np.exp(-((t - 0.2) / 0.07) ** 2)
    half = len(t) // 2
    base = float(np.median(x))
    fade = 1.0 - np.hanning(len(t))  # 0 at the centre: removes the normal complex without steps
    ectopic, replaced = [], []
    for i in range(3, len(r) - 2, every):
        p = int(r[i - 1] + 0.6 * (r[i] - r[i - 1]))
        seg = slice(r[i] - half, r[i] + half + 1)
        x[seg] = base + (x[seg] - base) * fade  # the normal beat that the ectopic beat replaces
        x[p - half:p + half + 1] += wide
        ectopic.append(p)
        replaced.append(i)
    normal = np.delete(r, replaced)
    return x.astype(np.float32), normal, np.asarray(ectopic)


@pytest.fixture(scope="module")
def sim_record(tmp_path_factory):
    """The simulation as a WFDB record (lead II), plus a misleading ``.atr`` whose beats are 0.3 s
    off: the command must detect its own R peaks."""
    folder = tmp_path_factory.mktemp("anomalies")
    x, normal, ectopic = ectopic_simulation()
    wfdb.wrsamp("sim", fs=FS, units=["mV"], sig_name=["II"], p_signal=x[:, None], fmt=["16"], write_dir=str(folder))
    wrong = np.sort(np.r_[normal, ectopic]) + int(0.3 * FS)
    wfdb.wrann("sim", "atr", wrong[wrong < len(x)], symbol=["N"] * int((wrong < len(x)).sum()), write_dir=str(folder))
    return folder / "sim.hea", normal, ectopic


@pytest.fixture(scope="module")
def scored(sim_record):
    torch.set_num_threads(1)
    path, _, _ = sim_record
    return CliRunner().invoke(app, ["anomalies", str(path), "--json"])


def near(times_s: np.ndarray, samples: np.ndarray, tol_s: float = 0.1) -> np.ndarray:
    """For each time, whether one of ``samples`` (at FS) lies within ``tol_s``."""
    return np.array([bool(np.any(np.abs(samples / FS - t) <= tol_s)) for t in times_s])


def test_json_is_one_list_and_flags_the_inserted_beats(scored, sim_record):
    _, normal, ectopic = sim_record
    assert scored.exit_code == 0, scored.output
    doc = json.loads(scored.stdout)
    assert isinstance(doc, list) and len(doc) == 1
    res = doc[0]
    assert res["lead"] == "II" and res["fs_input_hz"] == FS and res["threshold"] is not None
    beats = res["beats"]
    times = np.array([b["time_s"] for b in beats])
    # beats are the pipeline's: on the true complexes, not on the misleading .atr positions
    assert near(times, np.r_[normal, ectopic], 0.06).mean() > 0.9
    assert all(b["sample"] == round(b["time_s"] * FS) or abs(b["sample"] - b["time_s"] * FS) <= 1 for b in beats)
    flagged = np.array([b["flagged"] for b in beats])
    is_ectopic = near(times, ectopic)
    assert is_ectopic.sum() >= len(ectopic) - 1
    # precision over detections on a true complex: the few spurious detections on what is left of
    # each faded-out normal beat (midway between two complexes, with an odd shape, "premature")
    # are not beats; the scorer may flag them, the detector's share of them is bounded above
    real = near(times, np.r_[normal, ectopic], 0.06)
    recall = (flagged & is_ectopic).sum() / is_ectopic.sum()
    precision = (flagged & is_ectopic).sum() / max(1, (flagged & real).sum())
    assert recall >= 0.8 and precision >= 0.8, (recall, precision)
    assert (flagged & ~real).sum() <= 0.5 * len(ectopic)
    scores = np.array([b["score"] for b in beats])
    assert scores[is_ectopic].min() > np.median(scores[~is_ectopic])
    assert len(res["items"]) == int(flagged.sum())
    assert all(it["reasons"] and it["start_s"] < it["time_s"] < it["end_s"] for it in res["items"])
    assert res["windows"] and all(w["end_s"] > w["start_s"] for w in res["windows"])


def test_text_output_lists_flagged_beats_and_windows(sim_record):
    path, _, ectopic = sim_record
    result = CliRunner().invoke(app, ["anomalies", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    beat_lines = [x for x in lines if x.strip().startswith("beat at")]
    assert len(beat_lines) >= 0.8 * len(ectopic)
    assert all("detector:" in x and "score" in x for x in beat_lines)
    assert any("windows" in x for x in lines)


def test_threshold_option_changes_what_is_flagged(sim_record):
    path, _, _ = sim_record
    high = json.loads(CliRunner().invoke(app, ["anomalies", str(path), "--json", "--threshold", "1e9"]).stdout)[0]
    low = json.loads(CliRunner().invoke(app, ["anomalies", str(path), "--json", "--threshold", "-1"]).stdout)[0]
    assert high["items"] == [] and high["threshold_method"] == "given by the caller"
    assert len(low["items"]) == len(low["beats"]) > 0


def test_bad_inputs_give_one_line_errors(sim_record, tmp_path):
    path, _, _ = sim_record
    garbage = tmp_path / "bad.hea"
    garbage.write_text("this is not a header\n")
    missing = tmp_path / "nothing_here.hea"
    result = CliRunner().invoke(app, ["anomalies", str(path), str(garbage), str(missing), "--json"])
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    doc = json.loads(result.stdout)
    assert len(doc) == 3 and "beats" in doc[0]
    assert "error" in doc[1] and "bad.hea" in doc[1]["error"]
    assert "error" in doc[2] and "nothing_here" in doc[2]["error"]
    assert len([x for x in result.stderr.splitlines() if x.startswith("error:")]) == 2


def test_bad_adapter_folder_and_missing_lead_are_one_line_errors(sim_record, tmp_path, capsys):
    path, _, _ = sim_record
    assert main(["anomalies", str(path), "--adapter", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path}: not an anomaly adapter folder (no manifest.json)"]
    result = CliRunner().invoke(app, ["anomalies", str(path), "--lead", "V5", "--json"])
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    assert "no lead" in json.loads(result.stdout)[0]["error"]


def test_shipped_scorer_has_no_medtsllm_term_and_reasons_never_name_it(scored):
    """Issue #20: the LLM term did not help on whole records, so the shipped beat decision uses
    the hand-made features only; the MedTsLLM reconstruction is still reported per beat."""
    from medts.medtsllm.anomaly import FEATURE_WORDS, BeatScorer

    manifest = json.loads((default_adapter() / "manifest.json").read_text())
    shipped = BeatScorer.from_dict(manifest["beat_scorer"])
    assert not shipped.uses_model_terms and not any(f == "recon_rel" or f.startswith("embed") for f in shipped.features)
    assert manifest["beat_scorer"]["whole_record_test"]["verdict"] != "a better"
    # the scorer it replaced is kept, with its MedTsLLM term
    assert "recon_rel" in manifest["previous_beat_scorer"]["features"]
    res = json.loads(scored.stdout)[0]
    flagged = [b for b in res["beats"] if b["flagged"]]
    assert flagged and all(FEATURE_WORDS["recon_rel"] not in b["reasons"] for b in flagged)
    assert all(FEATURE_WORDS["recon_rel"] not in it["reasons"] for it in res["items"])
    recon = np.array([b["reconstruction"] for b in res["beats"]])
    assert np.isfinite(recon).all() and recon.max() > 0  # the MedTsLLM pass still ran
    assert "not used to flag" in res["note"]


def test_a_flat_scored_lead_is_said_not_reported_as_zero_flagged(tmp_path):
    # An all-zero lead II printed "0 beats detected, 0 flagged" and nothing else: read as "no ectopy".
    sig = np.zeros((2500, 2))
    sig[:, 1] = ectopic_simulation(10.0)[0][:2500]
    wfdb.wrsamp("flatii", fs=FS, units=["mV", "mV"], sig_name=["II", "V1"], p_signal=sig, fmt=["16", "16"],
                write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["anomalies", str(tmp_path / "flatii.hea")])
    assert result.exit_code == 0, result.output
    assert "problem: lead II is flat" in result.stdout
    doc = json.loads(CliRunner().invoke(app, ["anomalies", str(tmp_path / "flatii.hea"), "--json"]).stdout)[0]
    assert doc["lead"] == "II" and doc["problems"] and doc["problems"][0].startswith("lead II is flat")
