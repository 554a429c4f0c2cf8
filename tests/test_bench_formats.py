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
    assert len(files) == 10
    for name, path in files.items():
        ecg = read_record(path)
        assert ecg.n_leads == 12 and np.isfinite(ecg.signal).all(), name


def test_real_records_none_without_data():
    assert real_records(None, None, 10) == ([], {})


def test_library_agreement_with_ecgdatakit(tmp_path):
    from medts.bench.formats import decoder, library_agreement

    result = library_agreement(sample_files(tmp_path), repeats=1)
    assert len(result) == 10
    for name, row in result.items():
        assert row["units"] and row["max_abs_difference_uv"] < 0.01, name  # same samples (float rounding only)
        assert row["read_ms_medts"] > 0 and row["read_ms_ecgdatakit"] > 0
    assert result["ge-muse"]["leads_only_medts"] == ["III", "aVR", "aVL", "aVF"]  # MUSE stores 8 leads
    assert all(not row["leads_only_medts"] for name, row in result.items() if name != "ge-muse")
    assert decoder("scp-ecg (uncompressed)") == "ecgdatakit + medts" and decoder("philips (XLI)") == "sierraecg + medts"
