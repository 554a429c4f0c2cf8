"""medts.signal.measure: every measurement on synthetic ECGs with known values, hard inputs, CLI."""

import json
import math

import numpy as np
import pytest
import wfdb
from signal_synth import P_MS, PR_MS, QRS_MS, QT_MS, lead_amplitudes, synth_ecg
from typer.testing import CliRunner

from medts.interpret import call_rhythm
from medts.record import ECG
from medts.signal import Measurements, measure_ecg


@pytest.fixture(scope="module")
def normal():
    ecg, _ = synth_ecg(hr_bpm=70, axis_deg=50, seed=11)
    return measure_ecg(ecg)


def test_intervals_rate_and_qtc_match_the_synthetic_truth(normal):
    m = normal
    assert m.hr_bpm.value == pytest.approx(70, abs=1.5)
    assert m.pr_ms.value == pytest.approx(PR_MS, abs=20)
    assert m.p_duration_ms.value == pytest.approx(P_MS, abs=25)
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=15)
    assert m.qt_ms.value == pytest.approx(QT_MS, abs=35)
    rr_s = m.rr_ms.value / 1000
    assert m.qtc_bazett_ms.value == pytest.approx(m.qt_ms.value / math.sqrt(rr_s), abs=0.5)
    assert m.qtc_fridericia_ms.value == pytest.approx(m.qt_ms.value / rr_s ** (1 / 3), abs=0.5)
    assert m.qtc_framingham_ms.value == pytest.approx(m.qt_ms.value + 154 * (1 - rr_s), abs=0.5)
    assert m.qtc_hodges_ms.value == pytest.approx(m.qt_ms.value + 1.75 * (60 / rr_s - 60), abs=0.5)
    for v in (m.hr_bpm, m.pr_ms, m.qrs_ms, m.qt_ms):
        assert v.quality == "good", v
    assert m.rhythm.p_wave_fraction.value >= 0.8
    assert call_rhythm(m).code == "SR"  # the rhythm label is the engine's
    assert m.rhythm.p_template_fraction.value >= 0.85  # the P wave repeats before every QRS
    assert m.hrv["sdnn_ms"].value is not None and m.hrv["sdnn_ms"].value < 20


@pytest.mark.parametrize("axis", [-45.0, 50.0, 110.0])
def test_axes_follow_the_simulated_frontal_axis(axis):
    m = measure_ecg(synth_ecg(axis_deg=axis, seed=12)[0])
    for v in (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg):
        assert v.value is not None
        assert abs((v.value - axis + 180) % 360 - 180) <= 15, (v, axis)


def test_voltages_st_and_t_amplitudes(normal):
    amps = lead_amplitudes(50.0)
    m = normal
    sokolow = amps["V1"]["s"] + max(amps["V5"]["r"], amps["V6"]["r"])
    cornell = amps["aVL"]["r"] + amps["V3"]["s"]
    assert m.sokolow_lyon_mv.value == pytest.approx(sokolow, rel=0.12)
    assert m.cornell_mv.value == pytest.approx(cornell, rel=0.15, abs=0.05)
    assert m.t_amplitude_mv["V3"].value == pytest.approx(amps["V3"]["t"], abs=0.06)
    assert m.t_amplitude_mv["aVR"].value < 0  # T inverted in aVR, as simulated
    assert all(abs(v.value) < 0.05 for v in m.st_j60_mv.values())
    elevated = measure_ecg(synth_ecg(st_mv={"V2": 0.2, "II": -0.1}, seed=11)[0])
    assert elevated.st_j60_mv["V2"].value == pytest.approx(0.2, abs=0.05)
    assert elevated.st_j60_mv["II"].value == pytest.approx(-0.1, abs=0.05)


def test_json_round_trip(normal):
    text = normal.model_dump_json()
    again = Measurements.model_validate_json(text)
    assert again.qrs_ms == normal.qrs_ms
    assert json.loads(text)["qrs_ms"]["unit"] == "ms"


def test_atrial_fibrillation_gives_no_pr():
    m = measure_ecg(synth_ecg(p_waves=False, rr_jitter=0.3, seed=13)[0])
    assert m.pr_ms.value is None and m.pr_ms.reason
    assert m.p_duration_ms.value is None and m.p_axis_deg.value is None
    assert m.rhythm.rr_successive_irregularity.value > 0.06
    assert call_rhythm(m).code != "SR" and not call_rhythm(m).p_waves_consistent  # 10 beats: AF or "cannot tell"
    assert m.rhythm.p_template_fraction.value < 0.5  # no repeated pre-QRS deflection without P waves
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=15)  # ventricular measurements still work


def test_tachycardia_150_bpm():
    m = measure_ecg(synth_ecg(hr_bpm=150, seed=14)[0])
    assert m.hr_bpm.value == pytest.approx(150, abs=3)
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=15)
    assert m.qt_ms.value is None or m.qt_ms.value < 400  # never longer than the RR interval


def test_low_sampling_rate_100_hz():
    m = measure_ecg(synth_ecg(fs=100.0, seed=15)[0])
    assert m.hr_bpm.value == pytest.approx(70, abs=2)
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=30)
    assert m.pr_ms.value == pytest.approx(PR_MS, abs=25)
    assert any("100 Hz" in w for w in m.warnings)


def test_very_short_signal_gives_reasons_not_exceptions():
    ecg, _ = synth_ecg(duration_s=2.0, hr_bpm=60, seed=16)
    m = measure_ecg(ecg)
    assert m.n_beats <= 2
    assert m.hrv["sdnn_ms"].value is None and m.hrv["sdnn_ms"].reason
    assert m.rhythm.rr_cv.value is None and m.rhythm.rr_cv.reason
    for v in (m.hr_bpm, m.qrs_ms):
        assert v.value is None or v.quality == "uncertain"


def test_flat_saturated_noisy_inverted_and_missing_leads():
    ecg, _ = synth_ecg(seed=17)
    sig = ecg.signal.copy()
    idx = {name: j for j, name in enumerate(ecg.leads)}
    sig[:, idx["V1"]] = 0.0
    sig[:, idx["V4"]] = np.clip(sig[:, idx["V4"]], -0.2, 0.3)
    sig[:, idx["V6"]] += np.random.default_rng(2).normal(0, 0.8, len(sig))
    sig[:, idx["III"]] *= -1
    keep = [name for name in ecg.leads if name != "aVF"]
    damaged = ECG(sig[:, [idx[n] for n in keep]], fs=ecg.fs, leads=keep)
    m = measure_ecg(damaged)
    flags = {q.lead: q.flags for q in m.lead_quality}
    assert flags["V1"] == ["disconnected"] and "saturated" in flags["V4"] and "noisy" in flags["V6"]
    assert "possibly_inverted" in flags["III"]
    assert m.missing_leads == ["aVF"]
    assert m.st_j60_mv["V1"].value is None and "disconnected" in m.st_j60_mv["V1"].reason
    assert m.sokolow_lyon_mv.value is None and "V1" in m.sokolow_lyon_mv.reason
    assert m.qrs_axis_deg.value == pytest.approx(50, abs=15)  # aVF derived from I and II
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=15)
    no_limb = measure_ecg(ecg.select_leads(["V2", "V3", "V4", "V5"]))
    assert no_limb.qrs_axis_deg.value is None and "I" in no_limb.qrs_axis_deg.reason


def test_all_leads_unusable_gives_nones_with_reasons():
    noise = np.random.default_rng(3).normal(0, 1.0, (5000, 3))
    m = measure_ecg(ECG(noise, fs=500.0, leads=["I", "II", "III"]))
    assert all(not q.usable for q in m.lead_quality)
    assert m.hr_bpm.value is None and m.qrs_ms.value is None and m.qrs_ms.reason
    assert m.warnings


def test_single_lead_record():
    ecg, _ = synth_ecg(seed=18)
    m = measure_ecg(ecg.select_leads(["II"]))
    assert m.hr_bpm.value == pytest.approx(70, abs=1.5)
    assert m.qrs_ms.value == pytest.approx(QRS_MS, abs=20)
    assert m.qrs_axis_deg.value is None


def test_cli_measure_json_and_errors(tmp_path):
    from medts.cli import app

    ecg, _ = synth_ecg(seed=19)
    wfdb.wrsamp("rec", fs=ecg.fs, units=["mV"] * 12, sig_name=list(ecg.leads),
                p_signal=ecg.signal.astype(float), fmt=["16"] * 12, write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["measure", str(tmp_path / "rec.hea"), str(tmp_path / "missing.hea"), "--json"])
    assert result.exit_code == 2  # bad input (cli_inputs contract)
    docs = json.loads(result.stdout)
    assert len(docs) == 2
    assert docs[0]["hr_bpm"]["value"] == pytest.approx(70, abs=1.5)
    assert "error" in docs[1] and "missing.hea" in docs[1]["error"]
    text = CliRunner().invoke(app, ["measure", str(tmp_path / "rec.hea")])
    assert text.exit_code == 0 and "QRS" in text.stdout


@pytest.mark.realdata
def test_real_ludb_records_against_cardiologists(ludb_dir):
    from medts.bench.delineation import annotated_intervals_ms
    from medts.io.ludb import read_ludb

    for rid in (1, 2, 3):
        rec = read_ludb(ludb_dir, rid)
        m = measure_ecg(rec.ecg)
        ref = np.median([annotated_intervals_ms(rec.waves[lead], 500.0)["QRS"] for lead in rec.ecg.leads])
        assert m.qrs_ms.value == pytest.approx(ref, abs=20)
        assert m.pr_ms.value is not None


@pytest.mark.realdata
def test_real_ludb_atrial_fibrillation_has_no_pr(ludb_dir):
    from medts.io.ludb import read_ludb

    rec = read_ludb(ludb_dir, 38)  # ludb.csv rhythm: "Atrial fibrillation"
    assert any("fibrillation" in r.lower() for r in rec.diagnoses["Rhythms"])
    m = measure_ecg(rec.ecg)
    assert m.pr_ms.value is None and m.pr_ms.reason
