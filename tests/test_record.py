"""Tests of medts.record: validation, lead names, selection, resampling, slicing, summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medts.errors import InvalidECGError
from medts.record import ECG, STANDARD_LEADS, canonical_lead_name


def _ecg(n_samples: int = 1000, fs: float = 250.0, leads=("I", "II")) -> ECG:
    rng = np.random.default_rng(0)
    return ECG(rng.normal(size=(n_samples, len(leads))), fs=fs, leads=leads, record_id="t")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("AVR", "aVR"), ("avr", "aVR"), ("aVL", "aVL"), ("MLII", "II"), ("ii", "II"), ("v1", "V1"),
     (" V6 ", "V6"), ("Lead III", "III"), ("D2", "II"), ("ECG1", "ECG1")],
)
def test_canonical_lead_name(raw: str, canonical: str) -> None:
    assert canonical_lead_name(raw) == canonical


def test_signal_becomes_readonly_float32_and_leads_canonical() -> None:
    ecg = ECG(np.ones((600, 2), dtype=np.int16), fs=200, leads=["mlii", "v5"])
    assert ecg.signal.dtype == np.float32
    assert ecg.leads == ("II", "V5")
    assert ecg.fs == 200.0 and ecg.duration_s == 3.0
    with pytest.raises(ValueError):
        ecg.signal[0, 0] = 5.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signal": np.full((1000, 1), np.nan)}, "NaN"),
        ({"signal": np.r_[np.zeros(999), np.inf][:, None]}, "infinite"),
        ({"signal": np.zeros((100, 1))}, "at least 2 s"),
        ({"signal": np.zeros((0, 1))}, "at least 2 s"),
        ({"fs": 0}, "sampling rate"),
        ({"fs": -500}, "sampling rate"),
        ({"fs": None}, "sampling rate"),
        ({"fs": "fast"}, "sampling rate"),
        ({"leads": ("I", "II", "III")}, "lead names"),
        ({"signal": np.zeros((2, 500, 1))}, "2-D"),
    ],
)
def test_invalid_records_raise_clear_errors(kwargs: dict, message: str) -> None:
    args = {"signal": np.zeros((1000, 1 if "leads" not in kwargs else 2)), "fs": 250.0, "leads": ("II",)}
    if "leads" in kwargs and len(kwargs["leads"]) == 3:
        args["signal"] = np.zeros((1000, 2))
    args.update(kwargs)
    if args["signal"].ndim == 2 and "leads" not in kwargs:
        args["leads"] = tuple(f"L{i}" for i in range(args["signal"].shape[1]))
    with pytest.raises(InvalidECGError, match=message):
        ECG(**args)


def test_repeated_or_blank_lead_names_are_renamed_with_a_note() -> None:
    signal = np.random.default_rng(1).normal(size=(1000, 3))
    ecg = ECG(signal, fs=250, leads=("ECG", "ECG", "V1"))
    assert ecg.leads == ("ECG1", "ECG2", "V1")
    assert "renamed ECG1, ECG2" in ecg.metadata["lead_names_note"]
    assert any("renamed ECG1, ECG2" in p for p in ecg.problems())
    same = ECG(signal[:, :2], fs=250, leads=("II", "ii"))  # the same lead after normalisation
    assert same.leads == ("ECG1", "ECG2")
    clash = ECG(signal, fs=250, leads=("ECG2", "", ""))  # renaming would collide: number every column
    assert clash.leads == ("ECG1", "ECG2", "ECG3")
    assert ECG(signal, fs=250, leads=("I", "II", "V1")).metadata == {}


def test_implausible_amplitude_is_a_lead_problem() -> None:
    t = np.arange(2500) / 500
    normal = np.sin(2 * np.pi * t)
    ecg = ECG(np.c_[normal, normal * 1e6], fs=500, leads=("I", "II"))
    problems = ecg.problems()
    assert len(problems) == 1 and problems[0].startswith("lead II has an implausible amplitude")
    assert ECG(np.c_[normal, 3 * normal], fs=500, leads=("I", "II")).problems() == []


def test_unit_warnings_reach_the_problems() -> None:
    ecg = ECG(np.sin(np.arange(1000) / 20.0), fs=250, leads=("II",),
              metadata={"unit_warnings": ["lead II has unit 'mmHg', not a voltage"]})
    assert ecg.problems() == ["lead II has unit 'mmHg', not a voltage"]


def test_nan_error_names_the_lead() -> None:
    signal = np.zeros((1000, 3))
    signal[10, 2] = np.nan
    with pytest.raises(InvalidECGError, match="V1"):
        ECG(signal, fs=250, leads=("I", "II", "V1"))


def test_select_leads_and_missing_lead_error() -> None:
    ecg = _ecg(leads=("I", "II", "V1"))
    sub = ecg.select_leads(["v1", "I"])
    assert sub.leads == ("V1", "I")
    np.testing.assert_array_equal(sub.signal[:, 0], ecg.lead("V1"))
    with pytest.raises(KeyError, match="aVF"):
        ecg.select_leads(["aVF"])
    with pytest.raises(KeyError, match="has I, II, V1"):
        ecg.lead("V6")


def test_with_standard_leads_zero_fills_and_reports_missing() -> None:
    ecg = _ecg(leads=("V1", "II"))
    full, missing = ecg.with_standard_leads()
    assert full.leads == STANDARD_LEADS
    assert set(missing) == set(STANDARD_LEADS) - {"V1", "II"}
    np.testing.assert_array_equal(full.lead("II"), ecg.lead("II"))
    assert not full.lead("V6").any()


def test_resample_keeps_duration_and_a_sine() -> None:
    fs = 500.0
    t = np.arange(int(4 * fs)) / fs
    ecg = ECG(np.sin(2 * np.pi * 5 * t)[:, None], fs=fs, leads=("II",))
    down = ecg.resample(100.0)
    assert down.fs == 100.0 and down.n_samples == 400
    t100 = np.arange(400) / 100.0
    inner = slice(20, -20)  # edges carry the filter's transient
    np.testing.assert_allclose(down.signal[inner, 0], np.sin(2 * np.pi * 5 * t100)[inner], atol=0.02)
    assert ecg.resample(360.0).n_samples == 1440


def test_slice_in_seconds() -> None:
    ecg = _ecg(n_samples=2500, fs=250.0)
    part = ecg.slice(2.0, 6.0)
    assert part.n_samples == 1000
    np.testing.assert_array_equal(part.signal, ecg.signal[500:1500])
    with pytest.raises(InvalidECGError):
        ecg.slice(9.0, 9.5)  # shorter than 2 s


def test_summary_is_json_and_flags_flat_and_saturated_leads() -> None:
    signal = np.random.default_rng(1).normal(size=(1000, 3))
    signal[:, 1] = 0.0
    signal[:, 2] = np.clip(signal[:, 2], -0.5, 0.5)
    ecg = ECG(signal, fs=250, leads=("I", "II", "V1"), age=61, sex="female")
    summary = json.loads(ecg.summary().model_dump_json())
    assert summary["sex"] == "F" and summary["age_years"] == 61.0
    assert summary["leads"] == ["I", "II", "V1"]
    problems = " ".join(summary["problems"])
    assert "lead II is flat" in problems and "lead V1 looks saturated" in problems
    assert "lead I " not in problems
