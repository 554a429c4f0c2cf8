"""medts.io.tabular: CSV / NPY / NPZ files written by the test; MIT-BIH .npz (realdata)."""

from __future__ import annotations

import numpy as np
import pytest

from medts.errors import ECGReadError
from medts.io import read_record
from medts.io.tabular import read_csv, read_npy, read_npz, write_csv
from medts.record import ECG


def _ecg(n=1500, fs=500.0, leads=("I", "II", "V2")):
    rng = np.random.default_rng(3)
    t = np.arange(n)[:, None] / fs
    x = np.sin(2 * np.pi * t * np.arange(1, len(leads) + 1)) + 0.1 * rng.standard_normal((n, len(leads)))
    return ECG(x, fs=fs, leads=leads, record_id="t")


def test_write_csv_read_record_round_trip(tmp_path):
    ecg = _ecg()
    path = write_csv(ecg, tmp_path / "x.csv")
    back = read_record(path)
    assert back.leads == ecg.leads and back.fs == 500.0 and back.n_samples == ecg.n_samples
    np.testing.assert_allclose(back.signal, ecg.signal, rtol=1e-5, atol=1e-6)
    # Without a time column fs must be given.
    bare = write_csv(ecg, tmp_path / "bare.csv", time_column=False)
    with pytest.raises(ECGReadError, match=r"bare\.csv: sampling rate unknown"):
        read_record(bare)
    assert read_record(bare, fs=500).fs == 500.0


@pytest.mark.parametrize(
    ("column", "scale", "fs"),
    [("time", 1.0, 250.0), ("t", 1.0, 360.0), ("time_s", 1.0, 128.0), ("time_ms", 1000.0, 250.0)],
)
def test_fs_derived_from_time_column(tmp_path, column, scale, fs):
    n = int(3 * fs)
    t = np.arange(n) / fs * scale
    rows = "\n".join(f"{a:.6f},{np.sin(a):.4f}" for a in t)
    path = tmp_path / "t.csv"
    path.write_text(f"{column},MLII\n{rows}\n")
    ecg = read_csv(path)
    assert ecg.fs == pytest.approx(fs) and ecg.leads == ("II",)
    with pytest.raises(ECGReadError, match="implies"):
        read_csv(path, fs=fs * 2)


def test_csv_units_semicolons_and_sample_column(tmp_path):
    path = tmp_path / "u.csv"
    body = "\n".join(f"{i};{1000 * np.sin(i / 9):.2f};{np.cos(i / 9):.4f}" for i in range(1200))
    path.write_text(f"sample;II (uV);V1_mV\n{body}\n")
    ecg = read_csv(path, fs=400)
    assert ecg.leads == ("II", "V1")
    np.testing.assert_allclose(ecg.signal[:, 0], np.sin(np.arange(1200) / 9), atol=1e-4)


def test_csv_text_in_numeric_column_names_row_and_column(tmp_path):
    ecg = _ecg()
    path = write_csv(ecg, tmp_path / "bad.csv")
    lines = path.read_text().splitlines()
    cells = lines[10].split(",")
    cells[2] = "n/a"
    lines[10] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ECGReadError, match=r"bad\.csv: row 11, column 'II': 'n/a' is not a number"):
        read_record(path)


def test_csv_structure_errors(tmp_path):
    cases = {
        "empty.csv": "",
        "noheader.csv": "0.1,0.2\n0.3,0.4\n",
        "ragged.csv": "I,II\n0.1,0.2\n0.3\n",
        "irregular.csv": "time,I\n" + "\n".join(f"{t},0" for t in [0, 0.002, 0.004, 0.01] * 300),
        "headeronly.csv": "I,II\n",
    }
    messages = {
        "empty.csv": "empty", "noheader.csv": "no header", "ragged.csv": "row 3 has 1 columns",
        "irregular.csv": "time column 'time' is not", "headeronly.csv": "no samples",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ECGReadError, match=messages[name]):
            read_record(tmp_path / name, fs=None)


def test_npy_round_trip_and_orientation(tmp_path):
    ecg = _ecg()
    np.save(tmp_path / "a.npy", ecg.signal)
    np.save(tmp_path / "b.npy", ecg.signal.T)  # [n_leads, n_samples]
    with pytest.raises(ECGReadError, match=r"a\.npy: a \.npy file carries no sampling rate"):
        read_record(tmp_path / "a.npy")
    for name in ("a.npy", "b.npy"):
        back = read_record(tmp_path / name, fs=500)
        assert back.leads == ("ECG1", "ECG2", "ECG3")
        np.testing.assert_array_equal(back.signal, ecg.signal)
    assert read_npy(tmp_path / "a.npy", fs=500, leads=["I", "II", "V2"]).leads == ecg.leads


def test_npz_keys_fs_and_leads(tmp_path):
    ecg = _ecg()
    np.savez(tmp_path / "a.npz", signal=ecg.signal, fs=500, leads=np.array(ecg.leads))
    back = read_record(tmp_path / "a.npz")
    assert back.leads == ecg.leads and back.fs == 500.0
    np.testing.assert_array_equal(back.signal, ecg.signal)
    with pytest.raises(ECGReadError, match="fs=250 Hz given but the file says 500 Hz"):
        read_record(tmp_path / "a.npz", fs=250)
    np.savez(tmp_path / "b.npz", ecg_mlii_mV=ecg.signal[:, 0], fs=np.int64(360))
    assert read_npz(tmp_path / "b.npz").leads == ("II",)
    np.savez(tmp_path / "c.npz", ecg=ecg.signal)
    with pytest.raises(ECGReadError, match="no fs in the archive"):
        read_record(tmp_path / "c.npz")
    assert read_record(tmp_path / "c.npz", fs=500).fs == 500.0
    np.savez(tmp_path / "d.npz", a=ecg.signal, b=ecg.signal, fs=500)
    with pytest.raises(ECGReadError, match="no signal array found"):
        read_record(tmp_path / "d.npz")


@pytest.mark.realdata
def test_mitbih_npz_files(mitdb_dir):
    files = sorted((mitdb_dir / "mlii_npz").glob("*.npz"))
    assert len(files) == 12
    for path in files:
        ecg = read_record(path)
        with np.load(path) as z:
            assert ecg.fs == float(z["fs"]) == 360.0
            np.testing.assert_array_equal(ecg.signal[:, 0], z["ecg_mlii_mV"])
        assert ecg.leads == ("II",)


def _european_csv(path, *, separator=";"):
    """A 12 s lead I/II/V1 simulated ECG (neurokit2, seed 7) written like a European export:
    the given separator, decimal commas, a time column in seconds. Returns the values in mV."""
    import neurokit2 as nk

    fs = 250
    ii = nk.ecg_simulate(duration=12, sampling_rate=fs, heart_rate=70, random_state=7)
    values = np.column_stack([0.6 * ii, ii, -0.4 * ii])
    lines = [separator.join(["time", "I", "II", "V1"])]
    for i, row in enumerate(values):
        cells = [f"{i / fs:.3f}"] + [f"{v:.4f}" for v in row]
        lines.append(separator.join(cell.replace(".", ",") for cell in cells))
    path.write_text("\n".join(lines) + "\n")
    return fs, values


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_decimal_comma_european_export(tmp_path, separator):
    path = tmp_path / "eu.csv"
    fs, values = _european_csv(path, separator=separator)
    ecg = read_record(path)
    assert ecg.fs == pytest.approx(fs) and ecg.leads == ("I", "II", "V1")
    np.testing.assert_allclose(ecg.signal, values, atol=1e-4)


def test_csv_decimal_comma_with_comma_separator_is_a_clear_error(tmp_path):
    path = tmp_path / "ambiguous.csv"
    path.write_text("II\n" + "\n".join(f"0,{i % 10}" for i in range(2000)) + "\n")
    with pytest.raises(ECGReadError, match=r"ambiguous\.csv: row 2 has 2 columns .*decimal commas need ';'"):
        read_record(path, fs=250)
