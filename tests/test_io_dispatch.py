"""medts.io (package): read_record dispatch, find_records, FORMATS."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
import wfdb

from medts.errors import ECGReadError
from medts.io import FORMATS, find_records, formats_markdown, read_record
from medts.io.tabular import write_csv
from medts.io.wfdb_io import write_wfdb
from medts.record import ECG


def _ecg(leads=("I", "II")):
    t = np.arange(1500)[:, None] / 500
    return ECG(np.sin(2 * np.pi * t * np.arange(1, len(leads) + 1)), fs=500, leads=leads, record_id="d")


def _populate(folder):
    """A folder with one record per format, a nested folder and non-record files."""
    ecg = _ecg()
    write_wfdb(ecg, folder / "w1")
    (folder / "sub" / "deeper").mkdir(parents=True)
    write_wfdb(ecg, folder / "sub" / "deeper" / "w2")
    write_csv(ecg, folder / "sub" / "c.csv")
    np.save(folder / "a.npy", ecg.signal)
    np.savez(folder / "b.npz", signal=ecg.signal, fs=500)
    scipy.io.savemat(folder / "raw.mat", {"ecg": ecg.signal})
    (folder / "ludb.csv").write_text("ID,Sex\n1,F\n")  # a dataset table, not a record
    (folder / "notes.txt").write_text("hello")
    (folder / ".hidden").mkdir()
    write_wfdb(ecg, folder / ".hidden" / "h")
    return folder


def test_find_records_in_folder_recursive(tmp_path):
    folder = _populate(tmp_path / "in")
    found = [p.relative_to(folder).as_posix() for p in find_records(folder)]
    assert found == ["a.npy", "b.npz", "raw.mat", "sub/c.csv", "sub/deeper/w2.hea", "w1.hea"]


def test_find_records_file_glob_and_record_name(tmp_path):
    folder = _populate(tmp_path / "in")
    assert find_records(folder / "w1.dat") == [folder / "w1.hea"]
    assert find_records(folder / "w1") == [folder / "w1.hea"]
    assert find_records(str(folder / "**" / "*.hea")) == [folder / "sub" / "deeper" / "w2.hea", folder / "w1.hea"]
    with pytest.raises(ECGReadError, match="pattern matches no ECG records"):
        find_records(str(folder / "*.edf"))
    with pytest.raises(ECGReadError, match="unknown file extension '.txt'"):
        find_records(folder / "notes.txt")
    with pytest.raises(ECGReadError, match="no such file or folder"):
        find_records(folder / "missing.hea")


def test_every_found_record_reads(tmp_path):
    folder = _populate(tmp_path / "in")
    for path in find_records(folder):
        ecg = read_record(path, fs=500 if path.suffix in (".npy", ".mat") else None)
        assert ecg.n_samples == 1500 and ecg.fs == 500.0, path
        assert ecg.source is not None and path.stem in ecg.source


def test_explicit_format_and_aliases(tmp_path):
    ecg = _ecg()
    path = write_csv(ecg, tmp_path / "signal.dat.txt")
    with pytest.raises(ECGReadError, match="unknown file extension"):
        read_record(path)
    assert read_record(path, format="csv").leads == ("I", "II")
    with open(tmp_path / "a.bin", "wb") as handle:  # np.save(path) would append ".npy"
        np.save(handle, ecg.signal)
    assert read_record(tmp_path / "a.bin", format="npy", fs=500).n_leads == 2
    with pytest.raises(ECGReadError, match="unknown format 'hdf5'"):
        read_record(path, format="hdf5")


def test_wfdb_fs_disagreement(tmp_path):
    write_wfdb(_ecg(), tmp_path / "w")
    assert read_record(tmp_path / "w.hea", fs=500).fs == 500.0
    with pytest.raises(ECGReadError, match="fs=360 Hz given but the file says 500 Hz"):
        read_record(tmp_path / "w.hea", fs=360)


def test_formats_table_covers_all_readers():
    assert set(FORMATS) == {"wfdb", "cinc", "edf", "csv", "npy", "npz", "xml", "dicom", "scp", "ishne"}
    for info in FORMATS.values():
        assert info.extensions and info.description and info.needs_fs
    table = formats_markdown().splitlines()
    assert len(table) == 2 + len(FORMATS) and all(f"`{name}`" in "".join(table) for name in FORMATS)


@pytest.mark.realdata
def test_find_records_on_real_datasets(ludb_dir, qtdb_dir, mitdb_dir, cpsc2019_dir):
    assert len(find_records(ludb_dir)) == 160  # ludb.csv is skipped
    assert len(find_records(qtdb_dir)) == 84
    whole = len(list((mitdb_dir / "full").glob("*.hea")))  # whole MIT-BIH records, added later to the share
    assert len(find_records(mitdb_dir)) == 13 + whole  # 100.hea + 12 npz + full/*.hea
    assert len(find_records(cpsc2019_dir / "data")) == 50
    header = find_records(mitdb_dir / "100.hea")[0]
    assert read_record(header).n_samples == wfdb.rdheader(str(mitdb_dir / "100")).sig_len
