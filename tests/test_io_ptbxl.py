"""Tests of medts.io.ptbxl: the PTB-XL index on a synthetic root and on the shared partial PTB-XL."""

from __future__ import annotations

import ast
import time

import numpy as np
import pandas as pd
import pytest
import wfdb
from ptbxl_synthetic import ROWS, synthetic_signal, write_ptbxl_root

from medts.errors import ECGReadError
from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays
from medts.labels import level_classes
from medts.record import STANDARD_LEADS

N_CSV_ROWS = 21_837
N_RAW_100HZ = 859


# -- synthetic root ----------------------------------------------------------------------------


@pytest.fixture
def tiny_root(tmp_path):
    return write_ptbxl_root(tmp_path / "ptbxl")


def test_index_skips_and_counts_rows_without_signal_files(tiny_root):
    index = PtbxlIndex.open(tiny_root, sampling_rate=100)
    assert len(index) == 3 and index.n_missing == 1
    assert index.ecg_ids() == [9001, 9002, 9003]
    assert 9004 not in index and 9001 in index
    assert len(index.metadata) == len(ROWS)
    assert index.ecg_ids(folds=[9, 10]) == [9002, 9003]
    assert index.ecg_ids(folds=range(1, 9)) == [9001]
    assert index.table.loc[9002, "scp_codes"] == {"IMI": 35.0, "ABQRS": 0.0, "SR": 0.0}
    assert index.table.loc[9001, "filename"] == "records100/09000/09001_lr"


def test_a_missing_dat_file_alone_makes_a_row_missing(tiny_root):
    (tiny_root / "records100/09000/09002_lr.dat").unlink()
    index = PtbxlIndex.open(tiny_root, sampling_rate=100)
    assert index.ecg_ids() == [9001, 9003] and index.n_missing == 2


def test_read_returns_signal_and_csv_metadata(tiny_root):
    index = PtbxlIndex.open(tiny_root, sampling_rate=100)
    ecg = index.read(9001)
    assert ecg.signal.shape == (1000, 12) and ecg.fs == 100.0
    assert ecg.leads == STANDARD_LEADS
    # 16-bit WFDB quantisation of the written signal is far below 0.01 mV
    np.testing.assert_allclose(ecg.signal, synthetic_signal(9001, 100), atol=1e-2)
    assert ecg.age == 56.0 and ecg.sex == "F"  # PTB-XL sex 1 = female
    assert ecg.metadata["ecg_id"] == 9001 and ecg.metadata["strat_fold"] == 3
    assert ecg.metadata["report"] == "sinus rhythm normal ecg"
    assert ecg.metadata["scp_codes"] == {"NORM": 100.0, "SR": 0.0}
    assert ecg.metadata["patient_id"] == 9101

    older = index.read(9002)
    assert older.sex == "M" and older.age == 90.0 and "over 89" in older.metadata["age_note"]
    assert index.read(9003).age is None


def test_read_errors_name_the_problem(tiny_root):
    index = PtbxlIndex.open(tiny_root, sampling_rate=100)
    with pytest.raises(ECGReadError, match="09004_lr.*missing"):
        index.read(9004)
    with pytest.raises(ECGReadError, match="no row with ecg_id 12345"):
        index.read(12345)
    with pytest.raises(ECGReadError, match="no row"):
        index.labels(12345, "all")


def test_labels_and_label_matrix(tiny_root):
    index = PtbxlIndex.open(tiny_root, sampling_rate=100)
    assert index.labels(9003, "superdiagnostic") == ["CD", "HYP"]
    assert index.labels(9003, "rhythm") == ["AFIB"]
    assert index.labels(9004, "superdiagnostic") == ["NORM"]  # labels need no signal files
    matrix, classes = index.label_matrix("superdiagnostic", [9001, 9002, 9003])
    assert classes == level_classes("superdiagnostic") == ["CD", "HYP", "MI", "NORM", "STTC"]
    assert matrix.dtype == np.float32 and matrix.shape == (3, 5)
    np.testing.assert_array_equal(matrix, [[0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [1, 1, 0, 0, 0]])
    all_matrix, all_classes = index.label_matrix("all", [9002])
    assert len(all_classes) == 71
    assert sorted(c for c, v in zip(all_classes, all_matrix[0]) if v) == ["ABQRS", "IMI", "SR"]


def test_index_uses_the_roots_statement_table(tiny_root):
    csv = tiny_root / "scp_statements.csv"
    table = pd.read_csv(csv, index_col=0)
    table.loc["IMI", "diagnostic_class"] = "STTC"  # a deliberately different table
    table.to_csv(csv)
    assert PtbxlIndex.open(tiny_root, sampling_rate=100).labels(9002, "superdiagnostic") == ["STTC"]
    csv.unlink()  # without the file the built-in table is used
    assert PtbxlIndex.open(tiny_root, sampling_rate=100).labels(9002, "superdiagnostic") == ["MI"]


def test_500hz_records(tiny_root):
    index = PtbxlIndex.open(tiny_root, sampling_rate=500)
    assert index.ecg_ids() == [9001] and index.n_missing == 3
    ecg = index.read(9001)
    assert ecg.fs == 500.0 and ecg.signal.shape == (5000, 12)


def test_open_rejects_bad_roots_and_rates(tiny_root, tmp_path):
    with pytest.raises(ECGReadError, match="sampling_rate must be 100 or 500"):
        PtbxlIndex.open(tiny_root, sampling_rate=250)
    with pytest.raises(ECGReadError, match="not a PTB-XL root"):
        PtbxlIndex.open(tmp_path / "empty", sampling_rate=100)
    table = pd.read_csv(tiny_root / "ptbxl_database.csv")
    table.loc[0, "scp_codes"] = "NORM=100"
    table.to_csv(tiny_root / "ptbxl_database.csv", index=False)
    with pytest.raises(ECGReadError, match="ptbxl_database.csv.*scp_codes"):
        PtbxlIndex.open(tiny_root, sampling_rate=100)
    table.drop(columns=["strat_fold"]).to_csv(tiny_root / "ptbxl_database.csv", index=False)
    with pytest.raises(ECGReadError, match="lacks column.*strat_fold"):
        PtbxlIndex.open(tiny_root, sampling_rate=100)


def test_processed_zscore_arrays(tiny_root):
    assert processed_zscore_arrays(tiny_root) == {}
    train, val = tiny_root / "processed100_zscore/train", tiny_root / "processed100_zscore/val"
    train.mkdir(parents=True)
    val.mkdir(parents=True)
    np.save(train / "9001.npy", np.ones((1000, 12), np.float16))
    np.save(val / "9002.npy", np.zeros((1000, 12), np.float16))
    np.save(val / "bad.npy", np.zeros((10, 3)))
    (val / "9003.txt").write_text("not an array")
    arrays = processed_zscore_arrays(tiny_root)
    assert arrays == {9001: train / "9001.npy", 9002: val / "9002.npy"}
    loaded = load_processed_zscore(arrays[9001])
    assert loaded.dtype == np.float32 and loaded.shape == (1000, 12) and loaded.min() == 1.0
    with pytest.raises(ECGReadError, match=r"bad.npy.*\[n_samples, 12\]"):
        load_processed_zscore(val / "bad.npy")
    with pytest.raises(ECGReadError, match="9003.txt"):
        load_processed_zscore(val / "9003.txt")


# -- shared partial PTB-XL ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ptbxl_index():
    from conftest import require_dataset

    return PtbxlIndex.open(require_dataset("ptbxl"), sampling_rate=100)


@pytest.mark.realdata
def test_real_index_opens_fast_with_859_records(ptbxl_dir):
    start = time.perf_counter()
    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    elapsed = time.perf_counter() - start
    assert len(index) == N_RAW_100HZ
    assert index.n_missing == N_CSV_ROWS - N_RAW_100HZ
    assert len(index.metadata) == N_CSV_ROWS
    assert elapsed < 5.0, f"opening the index took {elapsed:.2f} s"  # ~0.5 s on an idle core
    # the raw records come from folds 1-9 only (fold 10 is withheld)
    assert set(index.table["strat_fold"]) <= set(range(1, 10))
    assert index.ecg_ids(folds=[10]) == []
    assert set(index.metadata["strat_fold"]) == set(range(1, 11))


@pytest.mark.realdata
def test_real_all_859_raw_records_load(ptbxl_index):
    failures = []
    for ecg_id in ptbxl_index.ecg_ids():
        try:
            ecg = ptbxl_index.read(ecg_id)
        except ECGReadError as error:
            failures.append(str(error))
            continue
        assert ecg.signal.shape == (1000, 12) and ecg.fs == 100.0 and ecg.leads == STANDARD_LEADS
        assert ecg.metadata["ecg_id"] == ecg_id
    assert failures == []


@pytest.mark.realdata
def test_real_record_matches_wfdb_and_csv(ptbxl_index):
    ecg = ptbxl_index.read(1)
    signal, fields = wfdb.rdsamp(str(ptbxl_index.root / "records100/00000/00001_lr"))
    np.testing.assert_allclose(ecg.signal, signal, atol=1e-6)
    assert fields["fs"] == 100
    # from the csv row: age 56, sex 1 (female), report text
    assert ecg.age == 56.0 and ecg.sex == "F"
    assert ecg.metadata["report"] == "sinusrhythmus periphere niederspannung"
    assert ecg.metadata["strat_fold"] == 3
    assert ecg.metadata["comments"][:2] == ["Age: 56", "Sex: Female"]
    assert ptbxl_index.read(2).sex == "M"  # ecg_id 2: sex 0, age 19
    assert ptbxl_index.read(2).age == 19.0


# Rows read by eye from ptbxl_database.csv (scp_codes column) and scp_statements.csv.
HAND_CHECKED = {
    # ecg_id: (scp_codes in the csv, superdiagnostic, subdiagnostic, form, rhythm)
    1: ("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", ["NORM"], ["NORM"], ["LVOLT"], ["SR"]),
    8: ("{'IMI': 35.0, 'ABQRS': 0.0, 'SR': 0.0}", ["MI"], ["IMI"], ["ABQRS"], ["SR"]),
    49: ("{'IVCD': 100.0, 'SR': 0.0}", ["CD"], ["IVCD"], [], ["SR"]),
    30: ("{'LVH': 100.0, 'SR': 0.0}", ["HYP"], ["LVH"], [], ["SR"]),
    26: ("{'NST_': 100.0, 'DIG': 100.0, 'SR': 0.0}", ["STTC"], ["NST_", "STTC"], ["DIG", "NST_"], ["SR"]),
    45: ("{'IRBBB': 100.0, 'RAO/RAE': 50.0, 'RVH': 35.0, 'SR': 0.0}",
         ["CD", "HYP"], ["IRBBB", "RAO/RAE", "RVH"], [], ["SR"]),
    39: ("{'IMI': 15.0, 'LNGQT': 100.0, 'NST_': 100.0, 'DIG': 100.0, 'ABQRS': 0.0, 'SR': 0.0}",
         ["MI", "STTC"], ["IMI", "NST_", "STTC"], ["ABQRS", "DIG", "LNGQT", "NST_"], ["SR"]),
    50: ("{'LMI': 15.0, 'IVCD': 100.0, 'SR': 0.0}", ["CD", "MI"], ["IVCD", "LMI"], [], ["SR"]),
    17: ("{'AFLT': 100.0, 'ABQRS': 0.0, 'AFIB': 0.0}", [], [], ["ABQRS"], ["AFIB", "AFLT"]),
}


@pytest.mark.realdata
@pytest.mark.parametrize("ecg_id", sorted(HAND_CHECKED))
def test_real_label_aggregation_matches_hand_checked_rows(ptbxl_index, ecg_id):
    codes, superdiag, subdiag, form, rhythm = HAND_CHECKED[ecg_id]
    assert ptbxl_index.table.loc[ecg_id, "scp_codes"] == ast.literal_eval(codes)
    assert ptbxl_index.labels(ecg_id, "superdiagnostic") == superdiag
    assert ptbxl_index.labels(ecg_id, "subdiagnostic") == subdiag
    assert ptbxl_index.labels(ecg_id, "form") == form
    assert ptbxl_index.labels(ecg_id, "rhythm") == rhythm
    assert ptbxl_index.labels(ecg_id, "all") == sorted(ast.literal_eval(codes))


@pytest.mark.realdata
def test_real_processed_zscore_arrays_follow_the_folds(ptbxl_index):
    arrays = processed_zscore_arrays(ptbxl_index.root)
    assert len(arrays) == 1625
    folds = ptbxl_index.metadata["strat_fold"]
    train = [i for i, p in arrays.items() if p.parent.name == "train"]
    val = [i for i, p in arrays.items() if p.parent.name == "val"]
    assert len(train) == 1442 and len(val) == 183
    assert set(folds.loc[train]) <= set(range(1, 9)) and set(folds.loc[val]) == {9}
    array = load_processed_zscore(arrays[val[0]])
    assert array.shape == (1000, 12)
    # z-scored per lead: mean ~0, standard deviation ~1
    assert np.all(np.abs(array.mean(axis=0)) < 0.1) and np.all(np.abs(array.std(axis=0) - 1) < 0.1)
    # labels are available for processed-only records (no raw signal in this root)
    processed_only = [i for i in arrays if i not in ptbxl_index]
    assert len(processed_only) > 1500
    matrix, _ = ptbxl_index.label_matrix("superdiagnostic", processed_only)
    assert matrix.shape == (len(processed_only), 5) and (matrix.sum(axis=0) > 10).all()


@pytest.mark.realdata
def test_real_500hz_record_one(ptbxl_dir):
    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=500)
    assert index.ecg_ids() == [1] and index.n_missing == N_CSV_ROWS - 1
    ecg = index.read(1)
    assert ecg.fs == 500.0 and ecg.signal.shape == (5000, 12)
