"""Batch robustness: good records reported, bad ones listed, nothing lost after ``kill -9`` and a resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medts.report.batch import resolve_inputs, run_batch
from medts.report.schema import Report
from report_helpers import write_corrupt_files, write_good_records


def _load_errors(out: Path) -> dict[str, str]:
    return {json.loads(line)["key"]: json.loads(line)["error"] for line in (out / "errors.jsonl").read_text().splitlines()}


def test_batch_reports_good_records_lists_bad_ones_and_never_overwrites(tmp_path):
    data = tmp_path / "in"
    good = write_good_records(data / "sub", 3)
    bad = write_corrupt_files(data / "sub")
    out = tmp_path / "out"
    result = run_batch([str(data)], out, formats=("json", "md", "html"), text="template", progress=False)
    # Folder scans may skip a file that is plainly no record (a table of words): it is then no input.
    keys = {j.key for j in resolve_inputs([str(data)])}
    bad = [b for b in bad if f"sub/{b}" in keys]
    assert result.n_done == 3 and result.n_failed == len(bad) >= 2
    for name in good:
        report = Report.model_validate_json((out / "records" / "sub" / name / "report.json").read_text())
        assert report.record.record_id == name and (out / "records" / "sub" / name / "report.html").is_file()
    errors = _load_errors(out)
    assert sorted(errors) == sorted(f"sub/{b}" for b in bad)
    assert all(str(data) in e for e in errors.values())  # each reason names the file
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert sorted(r["status"] for r in rows) == ["done"] * 3 + ["failed"] * len(bad)
    assert "DRAFT for clinician review" in (out / "index.html").read_text()

    stamp = (out / "records" / "sub" / good[0] / "report.json").stat().st_mtime_ns
    again = run_batch([str(data)], out, formats=("json",), text="template", progress=False)
    assert again.n_skipped == 3 and again.n_done == 0 and again.n_failed == len(bad)
    assert (out / "records" / "sub" / good[0] / "report.json").stat().st_mtime_ns == stamp
    assert len(_load_errors(out)) == len(bad)  # failures are listed once, not once per run
    forced = run_batch([str(data / "sub" / f"{good[0]}.hea")], out, formats=("json",), text="template",
                       progress=False, overwrite=True)
    assert forced.n_done == 1


def test_deidentified_batch_hides_names_and_paths(tmp_path):
    data = tmp_path / "Doe_John"
    write_good_records(data, 1)
    out = tmp_path / "out"
    run_batch([str(data)], out, formats=("json", "md"), text="template", deidentify=True, salt="k", progress=False)
    folders = [p for p in (out / "records").iterdir()]
    assert len(folders) == 1 and folders[0].name.startswith("anon-")
    for f in folders[0].iterdir():
        body = f.read_text()
        assert "Doe_John" not in body and "good00" not in body and str(tmp_path) not in body


def test_kill_9_mid_run_then_resume_loses_nothing(tmp_path):
    data = tmp_path / "in"
    good = write_good_records(data, 10)
    bad = write_corrupt_files(data)
    out = tmp_path / "out"
    # chunks of 1: a chunk's reports are written together, so a bigger chunk could finish all 10
    cmd = [sys.executable, "-m", "medts.cli", "report", str(data), "--out", str(out), "--no-llm",
           "--formats", "json,md", "--no-progress", "--chunk-size", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("records/*/report.json"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("records/*/report.json")}
    assert 3 <= len(before) < len(good), "the run must be killed mid-way"
    for p in out.glob("records/*/report.json"):
        Report.model_validate_json(p.read_text())  # atomic writes: no torn report

    done = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    bad = [b for b in bad if b in {j.key for j in resolve_inputs([str(data)])}]  # scans may skip non-records
    assert done.returncode == 2, done.stderr  # exit contract: some records failed (bad input)
    assert f"{len(bad)} of {len(good) + len(bad)} record(s) failed (bad input)" in done.stderr
    listing = json.loads(done.stdout)
    assert [r["key"] for r in listing] == [r.key for r in resolve_inputs([str(data)])]  # input order
    statuses = {r["key"]: r["status"] for r in listing}
    assert {k for k, s in statuses.items() if s == "skipped"} == set(before)
    assert {k for k, s in statuses.items() if s == "failed"} == set(bad)
    reports = {p.parent.name for p in out.glob("records/*/report.json")}
    assert reports == set(good)
    for name, stamp in before.items():  # finished records were not redone
        assert (out / "records" / name / "report.json").stat().st_mtime_ns == stamp
    assert sorted(_load_errors(out)) == sorted(bad)


def test_default_formats_write_json_md_and_html_with_the_vector_tracing_and_index_links(tmp_path):
    from medts.report.batch import DEFAULT_FORMATS

    data = tmp_path / "in"
    write_good_records(data, 1)
    out = tmp_path / "out"
    run_batch([str(data)], out, text="template", progress=False, evidence="none")
    folder = out / "records" / "good00"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"report.{f}" for f in DEFAULT_FORMATS)
    page = (folder / "report.html").read_text()
    assert "data:image/svg+xml;base64," in page
    import base64
    import re

    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)).decode()
    assert "<svg" in svg and "DRAFT for clinician review" in svg  # text kept as text in the SVG
    assert 'href="records/good00/report.html"' in (out / "index.html").read_text()


@pytest.mark.slow
def test_accelerate_launch_splits_the_inputs_across_two_processes(tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` (torchrun launcher; works on CPU) with no code change."""
    import shutil

    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    if accelerate is None:
        pytest.skip("accelerate launcher not installed")
    data = tmp_path / "in"
    good = write_good_records(data, 4)
    out = tmp_path / "out"
    cmd = [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision",
           "no", "--dynamo_backend", "no", "-m", "medts.cli", "report", str(data), "--out", str(out), "--no-llm",
           "--formats", "json", "--evidence", "none", "--no-progress", "--json"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "reported," in line]
    assert sorted(line.split("]")[0] for line in lines) == ["[process 0/2", "[process 1/2"]
    assert all(line.split("] ")[1].startswith("2 reported") for line in lines)  # two records each
    listing = json.loads(done.stdout)  # one JSON document, from process 0, for every input in order
    assert [r["key"] for r in listing] == good and {r["status"] for r in listing} == {"done"}
    assert len(list(csv.DictReader((out / "summary.csv").open()))) == 4


def test_text_is_written_once_per_chunk_and_the_report_names_its_writer(tmp_path, monkeypatch):
    """The batch hands each chunk's records to the agent's text writer in ONE call (one generation batch)."""
    report_text = pytest.importorskip("medts.agent.report_text")
    real = report_text.write_report_texts_detailed
    calls = []

    def spy(items, **kwargs):
        calls.append((len(items), kwargs.get("batch_size")))
        return real(items, **kwargs)

    monkeypatch.setattr(report_text, "write_report_texts_detailed", spy)
    data = tmp_path / "in"
    write_good_records(data, 5)
    out = tmp_path / "out"
    # writer "template": the agent's own fact-line writer (no model download); the batching is the same.
    result = run_batch([str(data)], out, formats=("json", "md"), text="auto", writer="template", chunk_size=3,
                       evidence="none", progress=False)
    assert result.n_done == 5
    assert calls == [(3, 3), (2, 3)]  # one call per chunk, batch size = chunk size
    report = Report.model_validate_json((out / "records" / "good00" / "report.json").read_text())
    assert report.interpretation.writer == "template" and report.schema_version == "1.5"
    assert "Text written by: template sentences (no language model) [writer: template]" in \
        (out / "records" / "good00" / "report.md").read_text()
