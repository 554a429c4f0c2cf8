"""Atrial fibrillation under ventricular pacing (medts.interpret.rhythm rule 1b with a classifier).

Set on LUDB 1-80 (record 8: AF with ventricular pacing, said 'paced rhythm' before); the signals here
are simulated, with 1-sample pacemaker spikes added before each R peak."""

from __future__ import annotations

from dataclasses import replace

from interpret_helpers import measured, scores

from medts.interpret import interpret
from medts.interpret.rhythm import call_rhythm, confirm_af
from medts.signal import measure_ecg


def _paced(af: bool):
    """Measurements of a simulated record (AF at 105 bpm, or sinus at 70 bpm) with a spike 10 ms before each R."""
    ecg, m = measured(105.0, af=True, seed=11) if af else measured(70.0)
    x = ecg.signal.copy()
    for b in m.beats:
        x[b.r_peak - round(0.010 * ecg.fs), :] += 0.5
    return measure_ecg(replace(ecg, signal=x))


def test_af_under_pacing_is_named_when_the_classifier_says_af():
    call = call_rhythm(_paced(af=True))
    assert call.code == "PACE" and call.codes == ["PACE"], call.reason  # no P waves coupled to the paced beats
    af = confirm_af(call, 0.9, 0.3)
    assert af.code == "AFIB" and af.codes == ["AFIB", "PACE"] and af.label == "atrial fibrillation with ventricular pacing", af.reason
    assert af.p_waves_consistent is False and "pacemaker spikes" in af.reason and "p=0.90" in af.reason


def test_a_paced_rhythm_stays_paced_when_the_classifier_does_not_say_af():
    call = call_rhythm(_paced(af=True))
    assert confirm_af(call, 0.2, 0.3) == call
    assert confirm_af(call, None, None) == call  # no classifier: a paced rhythm is never AFIB


def test_sinus_rhythm_with_pacing_is_never_af():
    call = call_rhythm(_paced(af=False))
    assert call.codes == ["SR", "PACE"], call.reason  # P waves coupled to the paced beats
    assert confirm_af(call, 0.99, 0.3).codes == ["SR", "PACE"]


def test_verdict_of_af_under_pacing_names_the_pacing_not_a_ventricular_response():
    f = interpret(_paced(af=True), sex=None, scores=scores(AFIB=0.9))
    assert f.rhythm.codes == ["AFIB", "PACE"]
    assert f.verdict.startswith("Atrial fibrillation with ventricular pacing, heart rate"), f.verdict
    assert "ventricular response" not in f.verdict
    asserted = {s.code for s in f.statements if s.decision == "asserted"}
    assert {"AFIB", "PACE"} <= asserted and not asserted & {"SR", "STACH", "SBRAD", "SARRH"}


def test_ludb_paced_records_with_the_shipped_classifiers(ludb_dir):
    """LUDB 1-80 (the records that set the rule): record 8, AF with ventricular pacing, is AF under pacing;
    records 34 and 74, sinus rhythm with ventricular pacing and third-degree AV block, stay 'paced rhythm'."""
    from medts.classify.predict import Classifier, default_adapter_dir
    from medts.interpret import interpret_ecg
    from medts.io.ludb import read_ludb

    folders = [default_adapter_dir(level) for level in ("all", "superdiagnostic")]
    clfs = [Classifier.load(d) for d in folders if (d / "manifest.json").is_file()]
    calls = {}
    for i in (8, 34, 74):
        ecg = read_ludb(ludb_dir, i).ecg
        calls[i] = interpret_ecg(ecg, predictions=[c.predict(ecg) for c in clfs]).rhythm
    assert calls[8].codes == ["AFIB", "PACE"], calls[8].reason
    assert calls[34].codes == ["PACE"] and calls[74].codes == ["PACE"], (calls[34].reason, calls[74].reason)
