"""medts.io.edf: EDF/EDF+ files written by the test with pyedflib's writer."""

from __future__ import annotations

import numpy as np
import pyedflib
import pytest

from medts.errors import ECGReadError
from medts.io import read_record
from medts.io.edf import edf_lead_name, read_edf


def _header(label, dim, fs, pmax):
    return {"label": label, "dimension": dim, "sample_frequency": fs, "physical_max": pmax,
            "physical_min": -pmax, "digital_max": 32767, "digital_min": -32768}


def _write(path, channels, file_type=pyedflib.FILETYPE_EDFPLUS, sex=None, annotation=None):
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=file_type)
    writer.setSignalHeaders([c[0] for c in channels])
    if sex is not None:
        writer.setSex(sex)
    if annotation is not None:
        writer.writeAnnotation(*annotation)
    writer.writeSamples([c[1] for c in channels])
    writer.close()


@pytest.mark.parametrize("file_type", [pyedflib.FILETYPE_EDF, pyedflib.FILETYPE_EDFPLUS])
def test_edf_round_trip_units_to_mv(tmp_path, file_type):
    n, fs = 2500, 250
    t = np.arange(n) / fs
    ii_mv = np.sin(2 * np.pi * 1.2 * t)
    v1_mv = 0.5 * np.cos(2 * np.pi * 1.2 * t)
    path = tmp_path / "x.edf"
    _write(path, [
        (_header("ECG II", "uV", fs, 3000), ii_mv * 1000),
        (_header("ECG V1", "mV", fs, 3), v1_mv),
        (_header("Resp", "", 25, 100), np.zeros(n // 10)),
        (_header("ECG V2", "V", fs, 0.003), v1_mv / 1000),
    ], file_type=file_type)
    ecg = read_edf(path)
    assert ecg.leads == ("II", "V1", "V2") and ecg.fs == 250.0 and ecg.n_samples == n
    np.testing.assert_allclose(ecg.signal[:, 0], ii_mv, atol=1e-3)
    np.testing.assert_allclose(ecg.signal[:, 1], v1_mv, atol=1e-3)
    np.testing.assert_allclose(ecg.signal[:, 2], v1_mv, atol=1e-3)
    assert any("Resp" in s for s in ecg.metadata["skipped_channels"])


def test_edfplus_annotations_and_sex(tmp_path):
    n, fs = 1000, 200
    path = tmp_path / "a.edf"
    _write(path, [(_header("ECG I", "mV", fs, 5), np.sin(np.arange(n) / 10))], sex=1,
           annotation=(1.0, -1, "artefact"))
    ecg = read_record(path)
    assert ecg.sex == "M"
    assert ecg.metadata["annotations"][0][2] == "artefact"
    with pytest.raises(ECGReadError, match="fs=500 Hz given but the file says 200 Hz"):
        read_record(path, fs=500)


def test_edf_without_voltage_channels_or_too_short(tmp_path):
    path = tmp_path / "resp.edf"
    _write(path, [(_header("Resp", "", 100, 10), np.zeros(1000))])
    with pytest.raises(ECGReadError, match=r"resp\.edf: no channel in voltage units"):
        read_edf(path)
    short = tmp_path / "short.edf"
    _write(short, [(_header("ECG II", "mV", 100, 5), np.zeros(100))])
    with pytest.raises(ECGReadError, match=r"short\.edf: signal is 1\.000 s long"):
        read_record(short)


def test_lead_labels():
    assert edf_lead_name("ECG aVF") == "aVF"
    assert edf_lead_name("EKG V6") == "V6"
    assert edf_lead_name("EEG Fpz-Cz") == "EEG Fpz-Cz"
