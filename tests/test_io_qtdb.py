"""medts.io.qtdb: QTDB-shaped records written by the test, then real QTDB and MIT-BIH 100."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import wfdb

from medts.errors import ECGReadError
from medts.io.annotations import BEAT_SYMBOLS, Beat, Wave, beats_to_annotation, waves_to_annotation
from medts.io.qtdb import qtdb_record_names, read_beats, read_qtdb, read_waves
from medts.io.wfdb_io import WfdbAnnotation, write_wfdb_annotation


def _make_qtdb(root, with_q2c=False, with_atr=True):
    root.mkdir(parents=True, exist_ok=True)
    (root / "RECORDS").write_text("sel1\n")
    t = np.arange(2500)[:, None] / 250
    x = np.sin(2 * np.pi * 1.1 * t) * np.array([[1.0, 0.7]])
    wfdb.wrsamp("sel1", fs=250, units=["mV", "mV"], sig_name=["MLII", "V5"], p_signal=x,
                fmt=["212", "212"], comments=["69 M 1085 1629 x1"], write_dir=str(root))
    q1c = [Wave("P", 100, 110, 120), Wave("QRS", 130, 140, 150), Wave("T", None, 200, 230)]
    write_wfdb_annotation(root / "sel1", "q1c", waves_to_annotation(q1c))
    if with_q2c:
        write_wfdb_annotation(root / "sel1", "q2c", waves_to_annotation(q1c[1:]))
    write_wfdb_annotation(root / "sel1", "pu0", waves_to_annotation([Wave("QRS", 131, 141, 151)]))
    write_wfdb_annotation(root / "sel1", "pu1", waves_to_annotation([Wave("QRS", 129, 139, 149)]))
    beats = [Beat(140, "N"), Beat(400, "V"), Beat(700, "N")]
    if with_atr:
        write_wfdb_annotation(root / "sel1", "atr", beats_to_annotation(beats))
    write_wfdb_annotation(root / "sel1", "man", beats_to_annotation(beats[:1]))
    return root


def test_synthetic_qtdb_record(tmp_path):
    root = _make_qtdb(tmp_path / "qtdb", with_q2c=True)
    assert qtdb_record_names(root) == ["sel1"]
    rec = read_qtdb(root, "sel1")
    assert rec.ecg.leads == ("II", "V5") and rec.ecg.fs == 250.0 and (rec.ecg.age, rec.ecg.sex) == (69.0, "M")
    assert rec.q1c == [Wave("P", 100, 110, 120), Wave("QRS", 130, 140, 150), Wave("T", None, 200, 230)]
    assert rec.q2c == [Wave("QRS", 130, 140, 150), Wave("T", None, 200, 230)]
    assert rec.pu0 == [Wave("QRS", 131, 141, 151)] and rec.pu1 == [Wave("QRS", 129, 139, 149)]
    assert rec.beats == [Beat(140, "N"), Beat(400, "V"), Beat(700, "N")] and rec.beats_source == "atr"
    assert rec.annotated_beats == [Beat(140, "N")]


def test_beats_fall_back_to_man_and_missing_q1c_is_an_error(tmp_path):
    root = _make_qtdb(tmp_path / "qtdb", with_atr=False)
    rec = read_qtdb(root, "sel1")
    assert rec.q2c is None and rec.beats_source == "man" and rec.beats == [Beat(140, "N")]
    (root / "sel1.q1c").unlink()
    with pytest.raises(ECGReadError, match=r"sel1\.q1c"):
        read_qtdb(root, "sel1")


def test_read_beats_drops_rhythm_marks(tmp_path):
    ann = WfdbAnnotation(sample=np.array([0, 18, 77, 370]), symbol=["+", "N", "~", "A"],
                         aux_note=["(N", "", "", ""])
    write_wfdb_annotation(tmp_path / "m", "atr", ann)
    assert read_beats(tmp_path / "m") == [Beat(18, "N"), Beat(370, "A")]


@pytest.mark.realdata
def test_mitbih_100_beats_match_wfdb(mitdb_dir):
    beats = read_beats(mitdb_dir / "100", "atr")
    raw = wfdb.rdann(str(mitdb_dir / "100"), "atr")
    expected = [(int(s), sym) for s, sym in zip(raw.sample, raw.symbol) if sym in BEAT_SYMBOLS]
    assert [(b.sample, b.symbol) for b in beats] == expected
    assert len(beats) == 2273  # 2274 marks minus the one rhythm mark "+"
    counts = collections.Counter(b.symbol for b in beats)
    assert counts["N"] == 2239 and counts["A"] == 33 and counts["V"] == 1


@pytest.mark.realdata
def test_real_qtdb_all_records_have_q1c_and_pu0(qtdb_dir):
    names = qtdb_record_names(qtdb_dir)
    assert len(names) == 84
    for name in names:
        assert (qtdb_dir / f"{name}.pu0").is_file() and (qtdb_dir / f"{name}.pu1").is_file(), name
        q1c = read_waves(qtdb_dir / name, "q1c")
        kinds = collections.Counter(w.kind for w in q1c)
        assert kinds["QRS"] >= 10, (name, kinds)  # ~30 annotated beats per record
        # Cardiologist marks are ordered in time and every QRS has both bounds.
        assert all(w.onset is not None and w.offset is not None and w.onset <= w.offset
                   for w in q1c if w.kind == "QRS"), name


def _check_qtdb(rec):
    n = rec.ecg.n_samples
    assert rec.ecg.fs == 250.0 and rec.ecg.n_leads == 2
    assert rec.q1c and rec.pu0 and rec.pu1
    for waves in (rec.q1c, rec.pu0, rec.pu1):
        points = [p for w in waves for p in (w.onset, w.peak, w.offset) if p is not None]
        assert 0 <= min(points) and max(points) < n
    # The q1c beats are the .man beats: every annotated QRS peak is near a .man beat.
    man = np.array([b.sample for b in rec.annotated_beats])
    for wave in (w for w in rec.q1c if w.kind == "QRS" and w.peak is not None):
        assert np.min(np.abs(man - wave.peak)) <= 40, (rec.name, wave)


@pytest.mark.realdata
def test_real_qtdb_some_records_in_full(qtdb_dir):
    for name in ("sel100", "sel102", "sel16265", "sele0104"):
        rec = read_qtdb(qtdb_dir, name)
        _check_qtdb(rec)
    rec = read_qtdb(qtdb_dir, "sel100")
    raw = wfdb.rdann(str(qtdb_dir / "sel100"), "q1c")
    assert len(rec.q1c) == 90  # 30 beats x (P, QRS, T)
    assert [w.offset for w in rec.q1c] == [int(s) for s, sym in zip(raw.sample, raw.symbol) if sym == ")"]
    assert rec.beats_source == "atr" and len(rec.beats) == len(wfdb.rdann(str(qtdb_dir / "sel100"), "atr").sample)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_qtdb_every_record_in_full(qtdb_dir):
    for name in qtdb_record_names(qtdb_dir):
        _check_qtdb(read_qtdb(qtdb_dir, name))
