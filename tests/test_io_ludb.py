"""medts.io.ludb: a LUDB-shaped folder written by the test, then the real LUDB (realdata)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import wfdb

from medts.errors import ECGReadError
from medts.io.annotations import Wave, waves_to_annotation
from medts.io.ludb import LUDB_LEAD_EXTENSIONS, ludb_record_ids, read_ludb
from medts.io.wfdb_io import write_wfdb_annotation
from medts.record import STANDARD_LEADS


def _make_ludb(root, record_id=7):
    data = root / "data"
    data.mkdir(parents=True)
    (root / "RECORDS").write_text(f"data/{record_id}\n")
    t = np.arange(5000)[:, None] / 500
    x = np.sin(2 * np.pi * 1.0 * t) * np.linspace(0.5, 1.5, 12)[None, :]
    wfdb.wrsamp(str(record_id), fs=500, units=["mV"] * 12, sig_name=list(LUDB_LEAD_EXTENSIONS),
                p_signal=x, fmt=["16"] * 12, comments=["<age>: 47", "<sex>: M", "<diagnoses>:"],
                write_dir=str(data))
    for i, ext in enumerate(LUDB_LEAD_EXTENSIONS):
        shift = 5 * i  # each lead annotated differently
        waves = [Wave("P", 600 + shift, 620 + shift, 640 + shift), Wave("QRS", 700, 710, 740),
                 Wave("T", 800, 850, 900 + shift)]
        write_wfdb_annotation(data / str(record_id), ext, waves_to_annotation(waves))
    (root / "ludb.csv").write_text(
        'ID,Sex,Age,Rhythms,Hypertrophies,Ischemia\n'
        f'{record_id},"M\n","47\n",Sinus rhythm,"Left atrial hypertrophy\nLeft ventricular hypertrophy\n",\n'
    )
    return root


def test_synthetic_ludb_record(tmp_path):
    root = _make_ludb(tmp_path / "ludb")
    assert ludb_record_ids(root) == [7]
    rec = read_ludb(root, 7)
    assert rec.ecg.leads == STANDARD_LEADS and rec.ecg.fs == 500.0
    assert (rec.ecg.age, rec.ecg.sex) == (47.0, "M")
    assert set(rec.waves) == set(STANDARD_LEADS)
    assert rec.waves["V6"][0] == Wave("P", 655, 675, 695)
    assert rec.diagnoses["Hypertrophies"] == ["Left atrial hypertrophy", "Left ventricular hypertrophy"]
    assert rec.diagnoses["Ischemia"] == [] and "Sex" not in rec.diagnoses
    assert rec.annotated_span("ii") == (605, 906)
    mask = rec.mask("II")
    assert mask.shape == (5000,) and mask[604] == 0 and mask[605] == 1 and mask[720] == 2 and mask[905] == 3 and mask[906] == 0
    with pytest.raises(KeyError):
        rec.mask("X1")


def test_missing_lead_annotation_is_an_error_naming_the_file(tmp_path):
    root = _make_ludb(tmp_path / "ludb")
    (root / "data" / "7.v3").unlink()
    with pytest.raises(ECGReadError, match=r"7\.v3"):
        read_ludb(root, 7)
    with pytest.raises(ECGReadError, match="not found"):
        read_ludb(root, 8)
    with pytest.raises(ECGReadError, match="RECORDS"):
        ludb_record_ids(tmp_path)


def _check_record(rec):
    assert rec.ecg.leads == STANDARD_LEADS
    assert rec.ecg.fs == 500.0 and rec.ecg.n_samples == 5000
    assert rec.ecg.age is not None and rec.ecg.sex in ("M", "F")
    assert rec.diagnoses["Rhythms"], rec.record_id
    kinds = set()
    for lead in STANDARD_LEADS:
        waves = rec.waves[lead]
        assert waves, (rec.record_id, lead)
        start, end = rec.annotated_span(lead)
        assert 0 <= start < end <= 5000
        kinds |= set(np.unique(rec.mask(lead)[start:end]).tolist())
    assert {1, 2, 3} <= kinds or {2, 3} <= kinds  # P is absent in AF / flutter records
    return kinds


@pytest.mark.realdata
def test_real_ludb_first_20_records(ludb_dir):
    ids = ludb_record_ids(ludb_dir)
    assert len(ids) == 160 and ids[:3] == [1, 2, 3]
    for record_id in ids[:20]:
        _check_record(read_ludb(ludb_dir, record_id))
    rec = read_ludb(ludb_dir, 1)
    # Record 1: cross-check the parsed waves against wfdb's raw marks for lead II.
    raw = wfdb.rdann(str(ludb_dir / "data" / "1"), "ii")
    onsets = [s for s, sym in zip(raw.sample, raw.symbol) if sym == "("]
    assert [w.onset for w in rec.waves["II"]] == onsets
    assert (rec.ecg.age, rec.ecg.sex) == (51.0, "F")
    assert rec.diagnoses["Rhythms"] == ["Sinus bradycardia"]


@pytest.mark.realdata
@pytest.mark.slow
def test_real_ludb_all_160_records(ludb_dir):
    start = time.perf_counter()
    without_p = []
    for record_id in ludb_record_ids(ludb_dir):
        rec = read_ludb(ludb_dir, record_id)
        if 1 not in _check_record(rec):
            without_p.append(rec)
    # Only records in atrial fibrillation/flutter or with a pacemaker lack P-wave annotations.
    for rec in without_p:
        text = " ".join(rec.diagnoses["Rhythms"] + rec.diagnoses["Cardiac pacing"]).lower()
        assert "fibrillation" in text or "flutter" in text or "pacing" in text, rec.record_id
    assert len(without_p) < 30
    assert time.perf_counter() - start < 300
