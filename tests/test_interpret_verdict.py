"""The one-line verdict: built from the findings only."""

from __future__ import annotations

from interpret_helpers import measured, scores, with_values

from medts.examples import load_example
from medts.interpret import interpret, interpret_ecg


def test_afib_example_verdict_says_atrial_fibrillation_with_the_shipped_classifiers():
    from medts.classify.predict import Classifier, default_adapter_dir

    ecg = load_example("afib")
    folders = [default_adapter_dir(level) for level in ("all", "superdiagnostic")]
    clfs = [Classifier.load(d) for d in folders if (d / "manifest.json").is_file()]
    f = interpret_ecg(ecg, predictions=[c.predict(ecg) for c in clfs])
    assert f.verdict.startswith("Atrial fibrillation with rapid ventricular response, heart rate 10")
    assert "NORM" not in f.codes() and "Normal ECG" not in f.verdict


def test_sinus_verdicts():
    _, m = measured(70.0)
    assert interpret(m, sex="F", scores=scores(NORM=0.9)).verdict.endswith("; normal ECG.")
    f = interpret(with_values(m, qrs_axis_deg=-60.0), sex="F", scores=scores(NORM=0.2))
    assert "left anterior fascicular block" in f.verdict.lower() and "LAFB" in f.codes()
    g = interpret(with_values(m, qtc_bazett_ms=480.0, qtc_fridericia_ms=475.0), sex="F", scores=scores(NORM=0.2))
    assert "long QT" in g.verdict or "QT" in g.verdict
    assert interpret(m, sex="F", scores=scores(NORM=0.2)).verdict.endswith("; no other abnormality.")


def test_reduced_lead_verdict_never_reads_as_a_clean_12_lead_ecg():
    _, m = measured(70.0, leads=("I", "II"))
    f = interpret(m, sex="F", scores=scores(NORM=0.9))
    assert "NORM" not in f.codes() and "normal ECG" not in f.verdict
    assert "no other abnormality in the 2 usable lead(s)" in f.verdict
    assert f.verdict.endswith("; 10 of 12 leads missing or flat: statements that need them not assessed.")
    _, m6 = measured(70.0, leads=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2"))
    assert "lead(s) V3, V4, V5, V6 missing or flat" in interpret(m6, sex="F", scores=scores(NORM=0.2)).verdict
    _, full = measured(70.0)
    assert "missing" not in interpret(full, sex="F", scores=scores(NORM=0.2)).verdict


def test_an_undetermined_rhythm_makes_no_claim_about_av_conduction():
    # V1 or aVR alone at 73 bpm (LUDB 21, sinus): P waves small there, so "cannot tell" is right, but the
    # verdict said "P waves not consistently conducted", an AV-conduction claim one lead cannot support.
    from medts.interpret.verdict import make_verdict

    _, m = measured(72.0)
    f = interpret(m, sex="M", scores=[])
    undecided = f.rhythm.model_copy(update={"code": None, "codes": [], "label": "cannot tell", "regular": True})
    text = make_verdict(f.model_copy(update={"rhythm": undecided, "statements": []}))
    assert text.startswith("Rhythm: cannot tell (regular RR, no consistent P wave before the QRS), heart rate ")
    assert "conducted" not in text


def test_p_wave_values_are_named_in_the_verdict_only_beside_consistent_p_waves():
    # LUDB 8 (AF with ventricular pacing), six limb leads: the verdict said "P axis -51 deg (low)"
    _, sinus = measured(72.0)
    _, af = measured(110.0, af=True)
    kept = interpret(with_values(sinus, p_axis_deg=-51.0), sex="M", scores=[])
    dropped = interpret(with_values(af, p_axis_deg=-51.0, pr_ms=100.0), sex="M", scores=[])
    assert kept.rhythm.p_waves_consistent is True and "P axis -51 deg (low)" in kept.verdict
    assert dropped.rhythm.code == "AFIB" and "P axis" not in dropped.verdict and "PR interval" not in dropped.verdict
    assert dropped.flag("p_axis_deg").flag == "low"  # the measurement table keeps it
