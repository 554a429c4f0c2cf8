"""Issue 19 at the command line: no hidden sampling rate, --fs/--leads everywhere, inputs checked
before any model loads, bounded input sizes, implausible amplitudes flagged, one exit-code contract."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from medts.cli import app, main
from medts.cli_inputs import EXIT_BAD_INPUT, EXIT_INTERNAL, InputLimits, expand, run_per_record
from medts.io.wfdb_io import write_wfdb
from medts.simulate import simulate_12lead

TRUE_HR = 65.0


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("records")
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=TRUE_HR, seed=11)
    hea = write_wfdb(ecg, folder / "good")
    lines = hea.read_text().splitlines()
    parts = lines[0].split()
    for name, field in (("minus5", "-5"), ("nofs", None)):
        record_line = " ".join(parts[:2] + ([field, parts[3]] if field else []))
        (folder / f"{name}.hea").write_text("\n".join([record_line.replace("good", name)] + lines[1:]) + "\n")
        (folder / f"{name}.dat").write_bytes((folder / "good.dat").read_bytes())
    np.save(folder / "lead2.npy", ecg.lead("II"))
    huge = np.zeros((5000, 30), np.float32)
    np.save(folder / "wide.npy", huge)
    return folder, ecg


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("name", ["minus5", "nofs"])
def test_a_missing_or_impossible_header_rate_is_bad_input_unless_fs_is_given(records, name):
    folder, _ = records
    refused = _run("measure", folder / f"{name}.hea", "--json")
    assert refused.exit_code == EXIT_BAD_INPUT
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{name}.hea" in errors[0] and "--fs" in errors[0]
    measured = _run("measure", folder / f"{name}.hea", "--fs", "500", "--json")
    assert measured.exit_code == 0, measured.stderr
    hr = json.loads(measured.stdout)[0]["hr_bpm"]["value"]
    assert hr == pytest.approx(TRUE_HR, abs=2)  # wfdb's silent 250 Hz gave 40.9 bpm for a true 65


def test_implausible_amplitude_is_a_problem_not_good(records, tmp_path):
    folder, ecg = records
    signal = ecg.signal.copy()
    signal[:, 1] *= 1e6
    from dataclasses import replace

    write_wfdb(replace(ecg, signal=signal, record_id="loud"), tmp_path / "loud", fmt="32")
    result = _run("info", tmp_path / "loud.hea", "--json")
    assert result.exit_code == 0
    problems = json.loads(result.stdout)[0]["problems"]
    assert any(p.startswith("lead II has an implausible amplitude") for p in problems)
    measured = json.loads(_run("measure", tmp_path / "loud.hea", "--json").stdout)[0]
    quality = {q["lead"]: q for q in measured["lead_quality"]}
    assert "implausible_amplitude" in quality["II"]["flags"] and not quality["II"]["usable"]


def test_leads_names_a_generic_single_lead_array_and_a_count_mismatch_is_bad_input(records):
    folder, _ = records
    plain = json.loads(_run("info", folder / "lead2.npy", "--fs", "500", "--json").stdout)[0]
    assert plain["leads"] == ["ECG"]
    named = json.loads(_run("info", folder / "lead2.npy", "--fs", "500", "--leads", "II", "--json").stdout)[0]
    assert named["leads"] == ["II"]
    wrong = _run("info", folder / "lead2.npy", "--fs", "500", "--leads", "I,II")
    assert wrong.exit_code == EXIT_BAD_INPUT and "--leads names 2 lead(s)" in wrong.stderr
    # Whole-command errors reach the entry point, which prints one line and returns 2.
    assert main(["info", str(folder / "lead2.npy"), "--fs", "-500"]) == EXIT_BAD_INPUT
    assert main(["info", str(folder / "lead2.npy"), "--fs", "500", "--leads", "I,,II"]) == EXIT_BAD_INPUT


def test_classify_accepts_a_one_lead_array_once_its_lead_is_named(records):
    folder, _ = records
    refused = _run("classify", folder / "lead2.npy", "--fs", "500", "--json")
    assert refused.exit_code == EXIT_BAD_INPUT and "--leads" in json.loads(refused.stdout)[0]["error"]
    named = _run("classify", folder / "lead2.npy", "--fs", "500", "--leads", "II", "--json")
    assert named.exit_code == 0, named.stderr
    doc = json.loads(named.stdout)[0]
    assert len(doc["missing_leads"]) == 11 and doc["statements"]


@pytest.mark.parametrize("command", ["segment", "anomalies", "classify"])
def test_bad_input_is_refused_before_any_model_loads(records, command, monkeypatch):
    """A typo must cost seconds, not a minute of model loading."""
    import medts.classify.predict as predict
    import medts.medtsllm.infer as infer

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded for an input that cannot be read")

    monkeypatch.setattr(infer, "load_segmentation_adapter", forbidden)
    monkeypatch.setattr(infer, "load_anomaly_adapter", forbidden)
    monkeypatch.setattr(predict.Classifier, "load", classmethod(lambda cls, *a, **k: forbidden()))
    folder, _ = records
    t0 = time.perf_counter()
    result = _run(command, folder / "missing.hea", folder / "nofs.hea", folder / "lead2.npy", "--json")
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert time.perf_counter() - t0 < 20
    rows = json.loads(result.stdout)
    assert [("missing" in r["error"], "nofs" in r["error"], "lead2" in r["error"]) for r in rows] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert "3 of 3 record(s) failed (bad input)" in result.stderr


def test_too_wide_input_is_refused_from_the_header_with_one_line(records):
    folder, _ = records
    result = _run("segment", folder / "wide.npy", "--fs", "500", "--json")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "30 leads: medts segment handles at most 24" in json.loads(result.stdout)[0]["error"]


def test_limits_check_duration_and_lead_seconds():
    limits = InputLimits(max_leads=24, max_lead_seconds=12 * 300.0, max_seconds=3600.0, what="x")
    limits.check("ok", 500 * 300, 12, 500.0)  # 12 leads x 5 min: fits
    with pytest.raises(Exception, match="too long for x"):
        limits.check("long", 500 * 301, 12, 500.0)
    with pytest.raises(Exception, match="at most 60 min"):
        limits.check("day", 500 * 3601, 1, 500.0)


def test_exit_codes_zero_two_and_one(records, tmp_path, capsys):
    folder, _ = records
    assert main(["info", str(folder / "good.hea")]) == 0
    capsys.readouterr()
    assert main(["info", str(folder / "good.hea"), str(folder / "missing.hea")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "1 of 2 record(s) failed (bad input)" in err and "Traceback" not in err
    assert main(["info", "--no-such-option", str(folder / "good.hea")]) == 2  # usage error: bad input too

    def buggy(ecg):
        raise ZeroDivisionError("a bug, not the input")

    rows, failures = run_per_record(expand([str(folder / "good.hea")], None), None, None, buggy, what="step", text_report=None)
    assert failures.exit_code == EXIT_INTERNAL and "internal error" in rows[0]["error"]


def test_chat_checks_its_input_before_loading_a_model(records, capsys):
    folder, _ = records
    assert main(["chat", str(folder / "missing.hea"), "-q", "hi"]) == EXIT_BAD_INPUT
    assert main(["chat", str(folder / "lead2.npy"), "-q", "hi"]) == EXIT_BAD_INPUT  # .npy needs --fs
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 2 and "missing.hea" in err[0] and "lead2.npy" in err[1] and "--fs" in err[1]


def test_rhythm_takes_fs_for_a_header_without_a_valid_rate(records):
    folder, _ = records
    assert _run("rhythm", folder / "minus5.hea", "--json").exit_code == EXIT_BAD_INPUT
    done = _run("rhythm", folder / "minus5.hea", "--fs", "500", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)[0]["fs"] == 500.0
