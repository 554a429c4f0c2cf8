"""Tests of medts.bench.io_bench and ``medts bench io`` on a tiny synthetic PTB-XL root."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ptbxl_synthetic import WITH_FILES, write_ptbxl_root
from typer.testing import CliRunner

from medts.bench.io_bench import count_dataset_loads, measure_ptbxl_throughput, run_io_bench
from medts.errors import MedtsError


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    write_ptbxl_root(_mkdir(root / "ptbxl"))
    processed = _mkdir(root / "ptbxl" / "processed100_zscore" / "train")
    np.save(processed / "9001.npy", np.zeros((1000, 12), np.float16))
    return root


def _mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_throughput_times_every_method_on_the_same_records(data_root):
    result = measure_ptbxl_throughput(data_root / "ptbxl", repeats=2)
    assert result["records"] == list(WITH_FILES) and result["repeats"] == 2
    assert set(result["methods"]) == {"medts PtbxlIndex.read", "medts read_wfdb", "wfdb.rdsamp"}
    for figures in result["methods"].values():
        assert figures["records_per_s"] > 0 and len(figures["pass_seconds"]) == 2
    medts = sum(result["methods"]["medts PtbxlIndex.read"]["pass_seconds"])
    rdsamp = sum(result["methods"]["wfdb.rdsamp"]["pass_seconds"])
    assert result["medts_overhead_vs_rdsamp"] == pytest.approx(medts / rdsamp - 1)
    assert result["meets_goal"] == (result["medts_overhead_vs_rdsamp"] <= 0.25)
    assert result["max_abs_diff_vs_rdsamp_mv"] < 1e-6  # same samples as wfdb.rdsamp
    assert result["index_n_missing"] == 1


def test_counts_report_present_and_absent_datasets(data_root):
    counts = count_dataset_loads(data_root)
    assert counts["ptbxl_raw_100hz"]["loaded"] == 3 and counts["ptbxl_raw_100hz"]["failures"] == []
    assert counts["ptbxl_raw_100hz"]["skipped_rows_without_files"] == 1
    assert counts["ptbxl_processed100_zscore"]["loaded"] == 1
    assert counts["ludb"]["status"] == "absent" and counts["ludb"]["expected"] == 160


def test_counts_list_failures(data_root):
    (data_root / "ptbxl" / "records100/09000/09002_lr.dat").write_bytes(b"\x00" * 10)  # truncated
    counts = count_dataset_loads(data_root)
    failures = counts["ptbxl_raw_100hz"]["failures"]
    assert counts["ptbxl_raw_100hz"]["loaded"] == 2 and len(failures) == 1 and "09002_lr" in failures[0]


def test_run_writes_results_with_required_keys(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    json_path, md_path = run_io_bench(data_root, repeats=1, command="medts bench io --repeats 1")
    assert json_path == tmp_path / "results" / "io.json"
    record = json.loads(json_path.read_text())
    for key in ("benchmark", "command", "git_commit", "date", "machine", "data", "metrics", "baselines", "notes"):
        assert key in record, key
    assert record["benchmark"] == "io" and record["command"] == "medts bench io --repeats 1"
    metrics = record["metrics"]
    throughput = metrics["ptbxl_read_throughput"]
    for key in ("records_per_s_medts", "records_per_s_wfdb_rdsamp", "medts_overhead_vs_rdsamp", "meets_goal"):
        assert key in throughput, key
    assert metrics["total_failures"] == 0 and metrics["zero_failures"] is True
    assert metrics["total_loaded"] == 4  # 3 raw + 1 processed
    assert record["data"]["throughput_records"]["ecg_ids"] == list(WITH_FILES)
    assert record["baselines"]["wfdb.rdsamp"]["records_per_s"] == throughput["records_per_s_wfdb_rdsamp"]
    text = md_path.read_text()
    assert "records/s" in text and "| ptbxl_raw_100hz | 859 | present | 3 | 0 |" in text


def test_run_without_ptbxl_is_a_clear_error(tmp_path):
    with pytest.raises(MedtsError, match="no PTB-XL root"):
        run_io_bench(tmp_path, repeats=1)


def test_cli_bench_io_json(data_root, tmp_path, monkeypatch):
    from medts.cli import app

    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    result = CliRunner().invoke(app, ["bench", "io", "--data", str(data_root), "--repeats", "1", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["benchmark"] == "io"
    assert record["metrics"]["ptbxl_read_throughput"]["n_records"] == 3
    assert (tmp_path / "results" / "io.md").is_file()
