"""medts.bench.anomaly_whole: counts and F1 per record, pooled F1, the paired bootstrap over
records, reading a whole WFDB record (MLII by name, AAMI V and F marks from ``.atr``), and the
per-record / pooled summary, on tiny synthetic inputs; one check on real MIT-BIH (skips without
the shared data)."""

import json

import numpy as np
import pytest

from medts.bench.anomaly_whole import (
    WITH_LLM,
    WITHOUT_LLM,
    f1_counts,
    paired_bootstrap_f1,
    pooled_f1,
    rates_from_counts,
    read_whole_record,
    summarise,
    whole_test_records,
)
from medts.errors import MedtsError


def test_counts_and_rates_per_record():
    scores = np.array([0.9, 0.8, 0.2, 0.7, 0.1])
    labels = np.array([1, 1, 1, 0, 0], bool)
    c = f1_counts(scores, labels, 0.5)
    assert c.tolist() == [2, 1, 1]  # tp: 0.9, 0.8; fp: 0.7; fn: 0.2
    r = rates_from_counts(c)
    assert r["f1"] == pytest.approx(4 / 6) and r["sensitivity"] == pytest.approx(2 / 3) and r["ppv"] == pytest.approx(2 / 3)
    # a record without V beats: F1 undefined when nothing is flagged, 0 after one false alarm
    assert rates_from_counts(f1_counts(np.array([0.1, 0.2]), np.zeros(2, bool), 0.5))["f1"] is None
    assert rates_from_counts(f1_counts(np.array([0.1, 0.9]), np.zeros(2, bool), 0.5))["f1"] == 0.0


def test_pooled_f1_sums_counts_over_records():
    counts = np.array([[9, 1, 0], [0, 3, 0], [1, 0, 4]])  # tp 10, fp 4, fn 4
    assert pooled_f1(counts) == pytest.approx(20 / 28)
    assert pooled_f1(np.zeros((2, 3), int)) == 0.0


def test_paired_bootstrap_identical_methods_is_an_exact_tie():
    c = np.array([[9, 1, 0], [5, 0, 5], [0, 2, 0]])
    out = paired_bootstrap_f1(c, c, n_boot=200)
    assert out["difference"] == 0.0 and out["difference_interval"] == [0.0, 0.0] and out["verdict"] == "tie"


def test_paired_bootstrap_direction_and_a_one_record_effect():
    b = np.array([[8, 2, 2]] * 6)
    a = np.array([[10, 0, 0]] * 6)  # better on every record: every resample favours a
    out = paired_bootstrap_f1(a, b)
    assert out["difference"] == pytest.approx(1.0 - 16 / 20)
    assert out["difference_interval"][0] > 0 and out["verdict"] == "a better"
    assert paired_bootstrap_f1(b, a)["verdict"] == "b better"
    # better on one record of five only: about a third of resamples leave that record out, so the
    # lower end of the paired interval is 0 and the verdict is a tie
    same = np.array([[10, 0, 0]] * 5)
    worse = same.copy()
    worse[4] = [0, 0, 10]
    one = paired_bootstrap_f1(same, worse, n_boot=1000, seed=0)
    assert one["difference"] > 0 and one["difference_interval"][0] == 0.0 and one["difference_interval"][1] > 0
    assert one["verdict"] == "tie" and one["n_boot"] == 1000 and one["seed"] == 0
    # seeded: the same call gives the same interval
    assert paired_bootstrap_f1(same, worse)["difference_interval"] == one["difference_interval"]
    with pytest.raises(ValueError):
        paired_bootstrap_f1(same, worse[:4])


def test_summarise_per_record_pooled_and_paired():
    labels1, labels2 = np.array([1, 0, 0, 1], bool), np.array([0, 0, 0], bool)
    rows = [
        {"record": "r1", "labels": labels1, "scores": {WITH_LLM: np.array([0.9, 0.1, 0.8, 0.7]),
                                                       WITHOUT_LLM: np.array([0.9, 0.1, 0.2, 0.7])},
         "info": {"pvc_reference": 3, "pvc_detected": 2}},  # one V beat the detector missed
        {"record": "r2", "labels": labels2, "scores": {WITH_LLM: np.array([0.1, 0.2, 0.3]),
                                                       WITHOUT_LLM: np.array([0.6, 0.2, 0.3])}},
    ]
    # summarise pairs WITH_LLM against both no-LLM scorers and the baseline: give them the same scores
    from medts.bench.anomaly_whole import ABLATION, BASELINE_MIT

    for r in rows:
        r["scores"][ABLATION] = r["scores"][WITHOUT_LLM]
        r["scores"][BASELINE_MIT] = r["scores"][WITHOUT_LLM]
    thr = {WITH_LLM: 0.5, WITHOUT_LLM: 0.5, ABLATION: 0.5, BASELINE_MIT: 0.5}
    out = summarise(rows, thr, n_boot=50)
    w, wo = out["methods"][WITH_LLM], out["methods"][WITHOUT_LLM]
    assert w["per_record"]["r1"]["f1"] == pytest.approx(0.8) and w["per_record"]["r2"]["f1"] is None
    assert wo["per_record"]["r1"]["f1"] == 1.0 and wo["per_record"]["r2"]["f1"] == 0.0
    assert w["pooled"]["f1"] == pytest.approx(0.8) and wo["pooled"]["f1"] == pytest.approx(0.8)  # 2 tp, 1 fp each
    assert w["mean_f1_records_with_v"] == pytest.approx(0.8)
    assert w["pooled"]["auroc"] == pytest.approx(0.9) and wo["pooled"]["auroc"] == 1.0  # 0.8 negative above 0.7 V
    # the undetected V beat is a miss of every method in the 'all reference V' figures only
    assert w["pooled"]["v_missed_by_detection"] == 1 and w["pooled"]["sensitivity"] == 1.0
    assert w["pooled"]["sensitivity_all_reference_v"] == pytest.approx(2 / 3)
    assert w["pooled"]["f1_all_reference_v"] == pytest.approx(4 / 6)  # tp 2, fp 1, fn 1
    paired = out["paired"][f"{WITH_LLM} - {WITHOUT_LLM}"]
    assert paired["difference"] == pytest.approx(0.0) and paired["n_boot"] == 50


def write_wfdb(folder, name, seconds=40, seed=3):
    """A 2-lead WFDB record at 360 Hz with V1 first and MLII second (as MIT-BIH 114), and an
    ``.atr`` with N, V, E (ventricular escape: AAMI V), F and a rhythm annotation."""
    import wfdb
    from test_anomalies_cli import ectopic_simulation

    x, normal, ectopic = ectopic_simulation(seconds=seconds, seed=seed, every=6, fs=360)
    sig = np.stack([0.5 * x, x], axis=1).astype(float)
    wfdb.wrsamp(name, fs=360, units=["mV", "mV"], sig_name=["V1", "MLII"], p_signal=sig, fmt=["212", "212"],
                write_dir=str(folder))
    samples = np.sort(np.r_[normal, ectopic]).astype(int)
    sym = np.where(np.isin(samples, ectopic), "V", "N").astype(object)
    sym[np.flatnonzero(sym == "V")[0]] = "E"
    sym[np.flatnonzero(sym == "N")[2]] = "F"
    samples = np.r_[1, samples]
    sym = np.r_[["+"], sym]
    wfdb.wrann(name, "atr", samples, symbol=list(sym), aux_note=["(N"] + [""] * (len(sym) - 1), write_dir=str(folder))
    return x, samples[1:], sym[1:]


def test_read_whole_record_picks_mlii_by_name_and_marks_aami_v_and_f(tmp_path):
    x, ref, sym = write_wfdb(tmp_path, "900")
    rec = read_whole_record(tmp_path / "900", 100.0)
    assert rec.fs == 100.0 and len(rec.signal) == 40 * 100 and rec.lead == "II"
    assert len(rec.beats) == len(ref)  # the '+' rhythm annotation is not a beat
    assert rec.pvc.tolist() == [s in ("V", "E") for s in sym] and rec.fusion.tolist() == [s == "F" for s in sym]
    assert np.array_equal(rec.beats, np.round(ref * 100 / 360).astype(int))
    # MLII, not the first signal (V1 here: half the amplitude)
    assert np.ptp(rec.signal) > 0.8 * np.ptp(x)
    tests, excluded = whole_test_records(tmp_path, exclude=[900])
    assert tests == [] and excluded == ["900"]


def test_real_mitdb_114_mlii_is_the_second_signal(mitdb_dir):
    full = mitdb_dir / "full"
    if not (full / "114.hea").is_file():
        pytest.skip("mitdb/full not present")
    import wfdb

    rec = read_whole_record(full / "114", 100.0)
    ann = wfdb.rdann(str(full / "114"), "atr")
    raw = wfdb.rdrecord(str(full / "114"), channel_names=["MLII"]).p_signal[:, 0]
    assert rec.pvc.sum() == sum(s in ("V", "E") for s in ann.symbol)
    assert len(rec.signal) == round(len(raw) * 100 / 360)
    raw_at_100 = np.interp(np.arange(3000) * 3.6, np.arange(len(raw)), raw)  # first 30 s of MLII at 100 Hz
    assert np.corrcoef(rec.signal[:3000], raw_at_100)[0, 1] > 0.95
    tests, excluded = whole_test_records(full, exclude=[108, 114])
    assert excluded == ["108", "114"] and len(tests) == 19


def test_cli_whole_records_bad_inputs_are_one_line_errors(tmp_path, capsys):
    from medts.cli import main

    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "manifest.json").write_text(json.dumps({"config": {}}))  # no beat_scorer
    whole, data = tmp_path / "full", tmp_path / "mlii_npz"
    whole.mkdir()
    data.mkdir()
    args = ["bench", "anomaly", "-c", str(ck), "--data", str(data), "--whole-records"]
    for extra, words in (([str(whole)], "beat_scorer"), ([str(tmp_path / "absent")], "not found")):
        assert main(args + extra) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and words in err[0]
    # --save-scorer with --whole-records: only the tested checkpoint, and on every record
    tested = tmp_path / "tested"
    tested.mkdir()
    (tested / "manifest.json").write_text(json.dumps({"config": {}, "beat_scorer": {"features": ["recon_rel"]}}))
    both = ["bench", "anomaly", "-c", str(tested), "-c", str(ck), "--data", str(data), "--whole-records", str(whole)]
    for extra, words in ((["--save-scorer", str(ck)], "tests and saves"),
                         (["--save-scorer", str(tested), "--whole-limit", "2"], "--whole-limit")):
        assert main(both + extra) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and words in err[0]


def hand_scored_records(n_records=4, seed=0):
    """Stand-ins for ``Scored`` training records (``feats``, ``v``): hand features and ``recon_rel``
    that all separate the V beats a little."""
    from types import SimpleNamespace

    from medts.bench.anomaly import HAND_FEATURES

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_records):
        v = rng.random(300) < 0.1
        feats = {f: rng.normal(0, 1, 300) + 2.0 * v for f in HAND_FEATURES + ("recon_rel",)}
        out.append(SimpleNamespace(feats=feats, v=v))
    return out


def candidate_with_term(trains):
    from medts.bench.anomaly import HAND_FEATURES
    from medts.medtsllm.anomaly import fit_beat_scorer

    return fit_beat_scorer([s.feats for s in trains], [s.v for s in trains], HAND_FEATURES + ("recon_rel",),
                           center=True, threshold_rule="f1_at_prevalence_0.2", pass_hop_s=4.0,
                           fitted_on={"records": [1, 2], "candidate": "hand+recon_rel, per-record centred"})


def test_ablation_is_the_candidate_less_its_llm_term():
    from medts.bench.anomaly import HAND_FEATURES
    from medts.bench.anomaly_whole import ABLATION, fit_reference_scorers, rule_of

    trains = hand_scored_records()
    cand = candidate_with_term(trains)
    scorers, cv = fit_reference_scorers(trains, cand, {"records": [1, 2]})
    abl = scorers[ABLATION]
    assert abl.features == list(HAND_FEATURES) and not abl.uses_model_terms and cand.uses_model_terms
    assert abl.center and rule_of(abl) == "f1_at_prevalence_0.2" and abl.pass_hop_s == 4.0
    assert abl.fitted_on["candidate"] == "hand+recon_rel, per-record centred less recon_rel"
    assert cv and all("recon_rel" not in k for k in cv)


def test_ship_decision_drops_the_term_unless_it_helps_and_is_idempotent(tmp_path):
    from medts.bench.anomaly_whole import (
        ABLATION,
        WITH_LLM,
        fit_reference_scorers,
        ship_decision,
        term_candidate,
    )

    trains = hand_scored_records()
    cand = dict(candidate_with_term(trains).to_dict(), selection="cross-validated", command="old")
    abl = fit_reference_scorers(trains, candidate_with_term(trains), {"records": [1, 2]})[0][ABLATION]
    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "manifest.json").write_text(json.dumps({"task": "anomaly", "beat_scorer": cand}))
    tie = {"difference": -0.003, "difference_interval": [-0.023, 0.010], "verdict": "tie"}
    pooled = {WITH_LLM: 0.730, ABLATION: 0.732}
    for _ in range(2):  # the second run finds the candidate under previous_beat_scorer and writes the same
        manifest = json.loads((ck / "manifest.json").read_text())
        assert term_candidate(manifest, ck)["features"] == cand["features"]
        assert ship_decision(ck, term_candidate(manifest, ck), abl, tie, pooled, ["100", "101"], ["108"], "cmd") is False
        m = json.loads((ck / "manifest.json").read_text())
        assert m["beat_scorer"]["features"] == abl.features and m["beat_scorer"]["coef"] == abl.coef
        assert "recon_rel" not in m["beat_scorer"]["features"] and "0.730 with" in m["beat_scorer"]["selection"]
        prev = m["previous_beat_scorer"]
        assert prev["coef"] == cand["coef"] and prev["selection"] == "cross-validated" and "recon_rel" in prev["replaced"]
        assert prev["whole_record_test"]["paired_difference_95ci"] == [-0.023, 0.010] and m["task"] == "anomaly"
    # a term that helps stays shipped
    (ck / "manifest.json").write_text(json.dumps({"beat_scorer": cand}))
    helps = dict(tie, difference=0.05, difference_interval=[0.01, 0.09], verdict="a better")
    assert ship_decision(ck, cand, abl, helps, pooled, ["100"], ["108"], "cmd") is True
    m = json.loads((ck / "manifest.json").read_text())
    assert m["beat_scorer"]["coef"] == cand["coef"] and "previous_beat_scorer" not in m
    assert m["beat_scorer"]["whole_record_test"]["verdict"] == "a better"
    with pytest.raises(MedtsError):
        term_candidate({"beat_scorer": abl.to_dict()}, ck)
