"""``medts bench formats`` building blocks on simulated records (the real-data run is the benchmark)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from medts.bench.formats import real_records, round_trips, sample_files
from medts.io import read_record
from medts.simulate import simulate_12lead


def test_round_trips_report_errors_sizes_and_mismatches(tmp_path):
    records = [replace(simulate_12lead(duration_s=3.0, fs=fs, hr_bpm=70.0, seed=k, record_id=f"sim{k}", age=61.7, sex="M"),
                       metadata={"base_datetime": "2020-05-06T07:08:09"}) for k, fs in enumerate((100.0, 500.0))]
    result = round_trips(records, tmp_path)
    assert set(result) == {"hl7-aecg", "dicom"}
    for figures in result.values():
        assert figures["n_records"] == 2 and 0 < figures["max_abs_error_uv"] <= 0.5 + 1e-6
        assert figures["meets_goal"] and figures["mismatches"] == [] and figures["median_file_kb"] > 0
    assert list(tmp_path.iterdir()) == []  # written files are removed as it goes


def test_sample_files_all_read(tmp_path):
    files = sample_files(tmp_path)
    assert len(files) == 8
    for name, path in files.items():
        ecg = read_record(path)
        assert ecg.n_leads == 12 and np.isfinite(ecg.signal).all(), name


def test_real_records_none_without_data():
    assert real_records(None, None, 10) == ([], {})
