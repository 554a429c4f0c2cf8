"""medts.io.cinc: Challenge-style .mat + .hea written by the test; CPSC 2019 bare .mat (realdata)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from medts.errors import ECGReadError
from medts.io import read_record
from medts.io.cinc import read_cinc

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def _write_cinc(folder, name="A0001", n=5000, fs=500, gain=1000, units="mV", leads=LEADS, n_val_leads=None):
    rng = np.random.default_rng(1)
    mv = np.sin(np.arange(n) / 40.0)[None, :] * np.linspace(0.2, 1.5, len(leads))[:, None]
    mv = mv + 0.01 * rng.standard_normal(mv.shape)
    val = np.round(mv * gain).astype(np.int16)  # [n_leads, n_samples] digital
    if n_val_leads is not None:
        val = val[:n_val_leads]
    scipy.io.savemat(folder / f"{name}.mat", {"val": val})
    lines = [f"{name} {len(leads)} {fs} {n} 05-Feb-2020 11:39:16"]
    for lead, row in zip(leads, val):
        lines.append(f"{name}.mat 16+24 {gain}/{units} 16 0 {row[0]} 0 0 {lead}")
    lines += ["#Age: 74", "#Sex: Male", "#Dx: 426783006,164889003", "#Rx: Unknown", "#Hx: Unknown"]
    (folder / f"{name}.hea").write_text("\n".join(lines) + "\n")
    return val


def test_reads_mat_with_header_in_mv_with_snomed_codes(tmp_path):
    val = _write_cinc(tmp_path)
    for path in (tmp_path / "A0001.mat", tmp_path / "A0001.hea"):
        ecg = read_record(path)  # both names route to the CinC reader
        assert ecg.leads == tuple(LEADS) and ecg.fs == 500.0 and ecg.n_samples == 5000
        np.testing.assert_allclose(ecg.signal, val.T / 1000.0, atol=1e-6)
        assert (ecg.age, ecg.sex) == (74.0, "M")
        assert ecg.metadata["snomed_codes"] == ["426783006", "164889003"]
        assert ecg.metadata["format"] == "cinc"


def test_units_from_header_gain(tmp_path):
    val = _write_cinc(tmp_path, gain=1, units="uV", leads=["II"])
    ecg = read_cinc(tmp_path / "A0001.mat")
    np.testing.assert_allclose(ecg.signal[:, 0], val[0] / 1000.0, atol=1e-6)


def test_header_mat_mismatch_and_wrong_fs_are_errors(tmp_path):
    _write_cinc(tmp_path, n_val_leads=11)
    with pytest.raises(ECGReadError, match=r"A0001\.mat: header A0001\.hea lists 12 leads"):
        read_cinc(tmp_path / "A0001.mat")
    other = tmp_path / "b"
    other.mkdir()
    _write_cinc(other, n=4000)
    text = (other / "A0001.hea").read_text().replace(" 500 4000 ", " 500 5000 ")
    (other / "A0001.hea").write_text(text)
    with pytest.raises(ECGReadError, match="says 5000 samples"):
        read_cinc(other / "A0001.mat")
    third = tmp_path / "c"
    third.mkdir()
    _write_cinc(third)
    with pytest.raises(ECGReadError, match="fs=250 Hz given but the header says 500 Hz"):
        read_cinc(third / "A0001.mat", fs=250)


def test_bare_mat_needs_fs_and_float_values(tmp_path):
    x = np.sin(np.arange(3000) / 30.0)[:, None]
    scipy.io.savemat(tmp_path / "raw.mat", {"ecg": x})
    with pytest.raises(ECGReadError, match=r"raw\.mat: no \.hea header.*pass fs"):
        read_record(tmp_path / "raw.mat")
    ecg = read_record(tmp_path / "raw.mat", fs=500)
    assert ecg.leads == ("ECG",) and ecg.fs == 500.0 and ecg.n_samples == 3000
    np.testing.assert_allclose(ecg.signal[:, 0], x[:, 0], atol=1e-6)
    # [n_leads, n_samples] is transposed: the longer axis is time.
    scipy.io.savemat(tmp_path / "two.mat", {"signal": np.stack([x[:, 0], -x[:, 0]])})
    assert read_record(tmp_path / "two.mat", fs=500).leads == ("ECG1", "ECG2")
    scipy.io.savemat(tmp_path / "int.mat", {"val": (x * 1000).astype(np.int16)})
    with pytest.raises(ECGReadError, match="integers"):
        read_record(tmp_path / "int.mat", fs=500)
    scipy.io.savemat(tmp_path / "many.mat", {"a": x, "b": x})
    with pytest.raises(ECGReadError, match="no signal variable"):
        read_record(tmp_path / "many.mat", fs=500)


@pytest.mark.realdata
def test_cpsc2019_mat_files_read_with_explicit_fs(cpsc2019_dir):
    files = sorted((cpsc2019_dir / "data").glob("*.mat"))
    assert len(files) == 50
    for path in files:
        ecg = read_record(path, fs=500)
        assert ecg.n_samples == 5000 and ecg.leads == ("ECG",) and ecg.duration_s == 10.0
        spread = np.percentile(ecg.signal, 99) - np.percentile(ecg.signal, 1)
        assert 0.1 < spread < 30  # mV, not digital units (thousands)
        reference = scipy.io.loadmat(path)["ecg"][:, 0]
        np.testing.assert_allclose(ecg.signal[:, 0], reference.astype(np.float32))
    with pytest.raises(ECGReadError, match="pass fs"):
        read_record(files[0])
