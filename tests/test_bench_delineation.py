"""medts.bench.metrics and medts.bench.delineation: fiducial matching and the benchmark parts."""

import json

import numpy as np
import pytest

from medts.bench.delineation import (
    annotated_intervals_ms,
    annotator_cross_lead_sd_ms,
    bench_rpeaks,
    fiducial_intervals_ms,
    parse_records,
    waves_to_fiducials,
)
from medts.bench.metrics import FiducialScore, match_fiducials
from medts.io.annotations import Wave


def test_matching_is_one_to_one_closest_first():
    m = match_fiducials(np.array([98, 103]), np.array([100]), tolerance=10)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0) and m.errors.tolist() == [-2]
    far = match_fiducials(np.array([200]), np.array([100]), tolerance=10)
    assert (far.tp, far.fp, far.fn) == (0, 1, 1)
    nan = match_fiducials(np.array([np.nan, 100.0]), np.array([100]), tolerance=10)
    assert (nan.tp, nan.fp, nan.fn) == (1, 0, 0)


def test_span_rule_ignores_outside_annotations_and_detections():
    # annotated span 100..500: the detection at 50 and the annotation at 900 are not judged
    m = match_fiducials(np.array([50, 210, 400]), np.array([200, 900]), tolerance=20, span=(100, 500))
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)


def test_score_summary():
    s = FiducialScore()
    s.add(match_fiducials(np.array([10, 22, 300]), np.array([12, 20, 100]), tolerance=5), fs=1000.0)
    out = s.summary()
    assert out["tp"] == 2 and out["fp"] == 1 and out["fn"] == 1
    assert out["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert out["mean_error_ms"] == pytest.approx(0.0) and out["mae_ms"] == pytest.approx(2.0)


def test_interval_references_from_waves_and_fiducials():
    waves = [Wave("P", 100, 120, 150), Wave("QRS", 180, 200, 230), Wave("T", 300, 350, 400),
             Wave("P", 600, 620, 650), Wave("QRS", 680, 700, 730), Wave("T", 800, 850, 900)]
    iv = annotated_intervals_ms(waves, 500.0)
    assert iv == {"PR": 160.0, "QRS": 100.0, "QT": 440.0}
    f = waves_to_fiducials(waves)
    assert f["QRS_on"].tolist() == [180, 680] and f["T_off"].tolist() == [400, 900]
    per_beat = {k: v.astype(float) for k, v in f.items()}
    assert fiducial_intervals_ms(per_beat, 500.0) == {"PR": 160.0, "QRS": 100.0, "QT": 440.0}


def test_annotator_cross_lead_sd_groups_marks_into_beats():
    # two beats 1 s apart at 500 Hz, marked in three leads 2 samples (4 ms) apart, plus a beat
    # marked in only two leads, which is skipped
    ann = {lead: {"QRS_on": np.array([1000 + d, 1500 + d, 2000 + d] if lead != "V1" else [1000 + d, 1500 + d])}
           for lead, d in (("I", 0), ("II", 2), ("V1", 4))}
    for a in ann.values():
        a.update({k: np.zeros(0, np.int64) for k in ("P_on", "P_peak", "P_off", "QRS_peak", "QRS_off",
                                                     "T_on", "T_peak", "T_off")})
    sd = annotator_cross_lead_sd_ms(ann, 500.0)
    assert np.allclose(sd["QRS_on"], [4.0, 4.0]) and sd["T_off"] == []


def test_parse_records():
    assert parse_records("1-3, 10") == [1, 2, 3, 10]


def test_rpeak_benchmark_on_simulated_signal():
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=20, sampling_rate=360, heart_rate=80, random_state=4)
    _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=360), sampling_rate=360)
    ref = np.asarray(info["ECG_R_Peaks"])
    out = bench_rpeaks([("sim", x, 360.0, ref)])
    assert out["nk_ecg_peaks"]["f1"] == 1.0  # its own output as reference
    assert out["medts"]["f1"] > 0.95


@pytest.mark.realdata
def test_ludb_benchmark_two_records(ludb_dir, tmp_path, monkeypatch):
    from medts.bench.delineation import run

    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path))
    metrics, json_path, md_path = run(data_root=ludb_dir.parent, ludb_records=[1, 81],
                                      methods=("medts", "nk_prominence"), parts=("ludb",), name="delin_test")
    fid = metrics["ludb"]["fiducials"]
    assert set(fid["medts"]) == {"all", "tuning", "held_out"}
    assert fid["medts"]["all"]["QRS_on"]["f1"] > 0.9
    assert fid["medts"]["all"]["QRS_on"]["mae_ms"] < 25
    record = json.loads(json_path.read_text())
    assert record["data"]["tuning_records_ludb"][:3] == [1, 2, 3]
    assert any("annotated span" in note for note in record["notes"])
    assert "LUDB fiducials" in md_path.read_text()
    by = metrics["ludb"]["intervals_by_subset"]["medts"]
    assert by["tuning"]["QT"]["n_records_compared"] == 1 and by["held_out"]["QT"]["n_records_compared"] == 1
    assert "tuning vs held-out records" in md_path.read_text()


@pytest.mark.realdata
def test_qtdb_benchmark_reports_the_t_end_tuning_half_apart(qtdb_dir, tmp_path, monkeypatch):
    from medts.bench.delineation import qtdb_tuning_records, run
    from medts.io.qtdb import qtdb_record_names

    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path))
    names = qtdb_record_names(qtdb_dir)
    assert qtdb_tuning_records(qtdb_dir) == set(names[0::2])
    metrics, json_path, md_path = run(data_root=qtdb_dir.parent, ludb_records=[], qtdb_limit=2,
                                      methods=("medts",), parts=("qtdb",), name="delin_qtdb_test")
    q = metrics["qtdb"]
    assert q["records"] == names[:2] and q["tuning_records"] == names[:1]
    by = q["qt_vs_q1c_by_subset"]["medts"]
    assert by["tuning"]["n_records_compared"] == 1 and by["held_out"]["n_records_compared"] == 1
    assert q["fiducials_held_out"]["medts"]["QRS_on"]["tp"] > 0
    record = json.loads(json_path.read_text())
    assert any("RECORDS[0::2]" in note for note in record["notes"])
    assert "held-out half RECORDS[1::2]" in md_path.read_text()
