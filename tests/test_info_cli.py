"""``medts info``: tables, --json, bad files in a batch, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from medts.cli import app
from medts.io.tabular import write_csv
from medts.io.wfdb_io import write_wfdb
from medts.record import ECG


@pytest.fixture
def files(tmp_path):
    t = np.arange(2500)[:, None] / 500
    good = ECG(np.hstack([np.sin(2 * np.pi * t), np.zeros_like(t)]), fs=500, leads=("II", "V1"),
               record_id="good", age=61, sex="M")
    write_wfdb(good, tmp_path / "good")
    write_csv(good, tmp_path / "good.csv")
    (tmp_path / "bad.csv").write_text("I,II\n0.1,oops\n")
    np.save(tmp_path / "arr.npy", good.signal)
    return tmp_path


def _run(*args):
    return CliRunner().invoke(app, list(map(str, args)))


def test_table_shows_leads_fs_duration_amplitudes_and_problems(files):
    result = _run("info", files / "good.hea")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "500 Hz" in out and "5 s" in out and "age 61, sex M" in out
    assert "II" in out and "V1" in out and "1.000" in out  # max of the sine in mV
    assert "lead V1 is flat" in out


def test_json_is_one_document_in_input_order_with_errors_inline(files):
    result = CliRunner().invoke(
        app, ["info", str(files / "good.csv"), str(files / "bad.csv"), str(files / "good.hea"), "--json"]
    )
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    document = json.loads(result.stdout)  # stdout holds exactly one JSON document
    assert [d.get("source") for d in document] == [
        str(files / "good.csv"), str(files / "bad.csv"), str(files / "good.hea")
    ]
    assert document[0]["fs_hz"] == 500.0 and document[0]["leads"] == ["II", "V1"]
    assert document[0]["problems"] == ["lead V1 is flat (peak-to-peak < 0.01 mV)"]
    assert document[2]["age_years"] == 61.0 and document[2]["sex"] == "M"
    assert "bad.csv" in document[1]["error"] and "not a number" in document[1]["error"]
    assert "error:" in result.stderr and "bad.csv" in result.stderr


def test_bad_file_does_not_stop_the_batch(files):
    result = _run("info", files / "bad.csv", files / "missing.edf", files / "good.hea")
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    assert "bad.csv" in result.stderr and "missing.edf" in result.stderr
    assert "Traceback" not in result.output
    assert "age 61" in result.stdout  # the good record after the bad ones was still shown


def test_fs_and_format_options(files):
    assert _run("info", files / "arr.npy").exit_code == 2
    result = _run("info", files / "arr.npy", "--fs", "500", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["n_samples"] == 2500
    (files / "renamed.txt").write_text((files / "good.csv").read_text())
    result = _run("info", files / "renamed.txt", "--format", "csv", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["leads"] == ["II", "V1"]


def test_folder_input_expands_and_empty_folder_is_an_error(files, tmp_path_factory):
    result = _run("info", files, "--fs", "500", "--json")
    sources = [d["source"] for d in json.loads(result.stdout)]
    assert len(sources) == 4  # arr.npy, bad.csv, good.csv, good.hea
    empty = tmp_path_factory.mktemp("empty")
    result = _run("info", empty, "--json")
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    assert "folder contains no ECG records" in json.loads(result.stdout)[0]["error"]
