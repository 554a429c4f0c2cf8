"""medts.bench.beats and ``medts bench beats`` on a data root written with wfdb from seeded simulations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import wfdb
from signal_synth import synth_ecg
from typer.testing import CliRunner

FS = 360.0


def _write(folder, name, signal, beats):
    folder.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=signal,
                fmt=["16", "16"], adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(folder))
    wfdb.wrann(name, "atr", np.asarray(beats, np.int64), symbol=["N"] * len(beats), write_dir=str(folder))


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    ecg, onsets = synth_ecg(fs=FS, duration_s=30.0, hr_bpm=72.0, seed=2)
    beats = onsets + int(0.04 * FS)  # the R bump's centre
    two = ecg.signal[:, [ecg.leads.index("II"), ecg.leads.index("V1")]].astype(float)
    _write(tmp_path / "data" / "mitdb" / "full", "900", two, beats)
    noise = np.random.default_rng(0).normal(0, 0.5, two.shape)  # beats annotated, nothing to see
    _write(tmp_path / "data" / "mitdb" / "full", "901", noise, beats)
    return tmp_path / "data"


def test_every_window_is_scored_beside_neurokit2_and_refusals_count_as_missed(data_root):
    from medts.bench.beats import run

    json_path, md_path = run(data_root, minutes=0.5, command="medts bench beats --minutes 0.5")
    result = json.loads(json_path.read_text())
    (group,) = [g for g in result["metrics"] if g.startswith("MIT-BIH")]
    two = result["metrics"][group]["2 leads"]
    assert two["inputs"] == 6  # 3 windows of 10 s in each of the 2 records
    assert two["refused"] == 3 and two["refused_beats"] > 0  # the noise record, every window
    clean_beats = two["tp"] + two["fn"] - two["refused_beats"]
    assert two["tp"] >= clean_beats - 1 and two["fp"] <= 1
    assert result["baselines"][group]["2 leads"]["inputs"] == 6
    assert "NeuroKit2 F1" in md_path.read_text()


def test_the_command_writes_results_and_a_missing_folder_is_exit_2(data_root, tmp_path, capsys):
    from medts.cli import app, main

    runner = CliRunner()
    done = runner.invoke(app, ["bench", "beats", "--data", str(data_root), "--minutes", "0.5"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "results" / "beats.json").is_file()
    assert main(["bench", "beats", "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
