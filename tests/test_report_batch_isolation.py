"""Issue 19 for batch reports: per-record isolation, done only when complete, de-identified outputs,
workers that die with their parent, and the exit-code contract of ``medts report``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import wfdb

from medts.report.batch import run_batch
from medts.report.schema import Report
from medts.simulate import simulate_12lead
from report_helpers import write_good_records


def _write_unnamed_leads(folder: Path, name: str = "unnamed") -> str:
    """A real 12-lead record whose header names its leads X1..X12: the classifier cannot place them."""
    ecg = simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=66.0, seed=7)
    wfdb.wrsamp(name, fs=250.0, units=["mV"] * 12, sig_name=[f"X{i + 1}" for i in range(12)],
                p_signal=ecg.signal.astype(np.float64), fmt=["16"] * 12, write_dir=str(folder))
    return name


def _statements(out: Path, key: str) -> list[tuple[str, float]]:
    report = Report.model_validate_json((out / "records" / key / "report.json").read_text())
    return [(s.code, s.probability or 0.0) for s in report.statements.asserted]


def test_one_bad_record_never_changes_the_others_statements(tmp_path):
    data = tmp_path / "in"
    good = write_good_records(data, 3)
    bad = _write_unnamed_leads(data)
    out = tmp_path / "together"
    result = run_batch([str(data)], out, formats=("json",), text="template", evidence="none", chunk_size=16,
                       progress=False)
    assert result.n_done == 4 and result.n_failed == 0  # the bad record is reported too, saying what is missing
    for name in good:
        alone = tmp_path / f"alone-{name}"
        run_batch([str(data / f"{name}.hea")], alone, formats=("json",), text="template", evidence="none",
                  progress=False)
        together, single = _statements(out, name), _statements(alone, name)
        assert [c for c, _ in together] == [c for c, _ in single]
        assert np.allclose([p for _, p in together], [p for _, p in single], atol=1e-3)
        report = Report.model_validate_json((out / "records" / name / "report.json").read_text())
        assert report.statements.status.available and not any("X1" in n for n in report.statements.notes)
    odd = Report.model_validate_json((out / "records" / bad / "report.json").read_text())
    classifier_codes = {s.code for s in odd.statements.asserted if s.source and "classif" in s.source.lower()}
    assert not classifier_codes
    reason = odd.statements.status.reason or " ".join(odd.statements.notes)
    assert "none of the 12 standard leads" in reason and "--leads" in reason


def test_a_section_lost_to_an_internal_error_is_not_marked_done_and_a_rerun_redoes_it(tmp_path, monkeypatch):
    from medts.classify.predict import Classifier

    data = tmp_path / "in"
    write_good_records(data, 2)
    out = tmp_path / "out"
    real = Classifier.predict_many

    def broken(self, ecgs):  # a fault the input does not explain (say, out of memory once)
        raise RuntimeError("simulated failure inside the classifier")

    monkeypatch.setattr(Classifier, "predict_many", broken)
    first = run_batch([str(data)], out, formats=("json", "md"), text="template", evidence="none", progress=False)
    assert first.n_done == 0 and first.n_failed == 2
    assert all(r.internal and "statements" in r.error and "internal error" in r.error for r in first.results)
    assert not list(out.glob("records/*/report.json"))
    monkeypatch.setattr(Classifier, "predict_many", real)
    again = run_batch([str(data)], out, formats=("json", "md"), text="template", evidence="none", progress=False)
    assert again.n_done == 2 and again.n_skipped == 0
    assert (out / "errors.jsonl").read_text() == ""  # nothing still failing


def test_deidentified_batch_leaks_no_name_path_or_date_in_any_output(tmp_path):
    data = tmp_path / "Hospital_Zeta_Ward9"
    data.mkdir()
    ecg = simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=70.0, seed=3, age=47, sex="F")
    wfdb.wrsamp("Doe_Jane_1961", fs=250.0, units=["mV"] * 12, sig_name=list(ecg.leads),
                p_signal=ecg.signal.astype(np.float64), fmt=["16"] * 12, write_dir=str(data),
                comments=["Name: Jane Doe", "Age: 47", "Sex: Female"], base_date=__import__("datetime").date(2019, 3, 14),
                base_time=__import__("datetime").time(8, 30, 5))
    (data / "Roe_Rick_1950.csv").write_text("I,II\nnot,numbers\n1,2\n")  # a failing record: its error names it
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "medts.cli", "report", str(data), "--out", str(out), "--no-llm",
                           "--formats", "json,md,html", "--deidentify", "--salt", "s3cret", "--no-progress", "--json",
                           "--evidence", "none"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 2), done.stderr
    listing = json.loads(done.stdout)
    assert any(r["status"] == "done" for r in listing)
    for entry in listing:  # the --json listing names the pseudonym's report, which exists (issue 13 item 6)
        assert entry["key"].startswith("anon-") and entry["input"] is None
        if entry["status"] == "done":
            assert f"/records/{entry['key']}/report.json" in entry["report"] and Path(entry["report"]).is_file()
    secrets = ["Doe_Jane", "Jane Doe", "Roe_Rick", "Hospital_Zeta", "2019-03-14", "14/03/2019", "08:30:05",
               str(tmp_path)]
    checked = 0
    for path in [*out.rglob("*")]:
        if not path.is_file() or path.name == "errors.jsonl":
            continue
        body = path.read_bytes().decode("utf-8", errors="replace")
        checked += 1
        for secret in secrets:
            assert secret not in body, f"{secret!r} in {path.relative_to(out)}"
    assert checked >= 5  # report.json/md/html, summary.csv, index.html
    for secret in secrets[:4]:
        assert secret not in done.stdout, secret
    errors = (out / "errors.jsonl").read_text()
    if "Roe_Rick" in [r.get("input") for r in listing] or errors:
        assert "Roe_Rick" in errors  # documented: errors.jsonl keeps the input so an operator can find it


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_workers_exit_when_the_parent_is_killed_and_a_rerun_matches_an_uninterrupted_run(tmp_path):
    data = tmp_path / "in"
    write_good_records(data, 6)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    base = [sys.executable, "-m", "medts.cli", "report", str(data), "--no-llm", "--formats", "json,md",
            "--no-progress", "--workers", "2", "--chunk-size", "1", "--evidence", "none"]
    killed_out = tmp_path / "killed"
    proc = subprocess.Popen(base + ["--out", str(killed_out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not list(killed_out.glob("records/*/report.json")):
        time.sleep(0.1)
    workers = [p for p in _children(proc.pid)]
    assert workers, "the pool must have started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t0 = time.time()
    while time.time() - t0 < 10 and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "workers outlived their parent"
    rerun = subprocess.run(base + ["--out", str(killed_out)], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    clean_out = tmp_path / "clean"
    clean = subprocess.run(base + ["--out", str(clean_out)], env=env, capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr
    for report in sorted(clean_out.glob("records/*/report.json")):
        twin = killed_out / report.relative_to(clean_out)
        a, b = (json.loads(p.read_text()) for p in (report, twin))
        for doc in (a, b):
            doc.pop("generated_at", None)
        assert a == b, report.parent.name
    assert len(list(killed_out.glob("records/*/report.json"))) == 6


def test_report_exit_codes_follow_the_contract(tmp_path):
    data = tmp_path / "in"
    write_good_records(data, 1)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "medts.cli", "report", "--no-llm", "--formats", "json", "--no-progress",
           "--evidence", "none"]
    ok = subprocess.run(cmd + [str(data), "--out", str(tmp_path / "a")], env=env, capture_output=True, text=True,
                        timeout=600)
    assert ok.returncode == 0, ok.stderr
    (data / "broken.hea").write_text("broken 1 500 5000\nbroken.dat 16 200 16 0 0 0 0 II\n")  # no .dat
    mixed = subprocess.run(cmd + [str(data), "--out", str(tmp_path / "b")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert mixed.returncode == 2 and "1 of 2 record(s) failed (bad input)" in mixed.stderr
    assert "Traceback" not in mixed.stderr
    missing = subprocess.run(cmd + [str(tmp_path / "nowhere"), "--out", str(tmp_path / "c")], env=env,
                             capture_output=True, text=True, timeout=600)
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0, missing.stderr
