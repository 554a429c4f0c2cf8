"""Chat on records with fewer than 12 leads, and premature beats from the engine.

A classifier that saw missing leads as flat lines cannot rule out what is read from those leads
(an anterior infarction on a limb-lead record, ST elevation on a 2-lead strip): the answer is
"cannot tell" naming the leads (:func:`medts.interpret.statements.absence_undecided`). Premature
beats are read from the beat sequence on any lead (:mod:`medts.interpret.ectopy`), so "any
ectopics?" gets the engine's yes or no on every record.
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from medts.agent.grounding import Grounder, statement_facts
from medts.agent.session import AgentConfig, ChatSession
from medts.examples import simulate_example
from medts.interpret.statements import absence_undecided
from medts.config import dataset_dir
from medts.io import read_record


def _write(ecg, leads: list[str], folder, name: str):
    idx = [ecg.leads.index(lead) for lead in leads]
    wfdb.wrsamp(name, fs=ecg.fs, units=["mV"] * len(idx), sig_name=leads,
                p_signal=ecg.signal[:, idx].astype(np.float64), fmt=["16"] * len(idx), adc_gain=[1000.0] * len(idx),
                baseline=[0] * len(idx), comments=["Age: 61", "Sex: M"], write_dir=str(folder))
    return read_record(folder / f"{name}.hea")


@pytest.fixture(scope="module")
def limb_pair(tmp_path_factory):
    """A simulated sinus ECG reduced to leads I and II (a 2-lead record)."""
    return _write(simulate_example("sinus"), ["I", "II"], tmp_path_factory.mktemp("two"), "two_leads")


def _ask(record, question: str):
    s = ChatSession(None, AgentConfig(mode="plan"))
    s.load(record)
    return s, s.ask(question)


def test_the_engine_rule_names_the_lacking_leads_and_lets_a_narrow_qrs_decide():
    assert absence_undecided("AMI", ["V1", "V2", "V3", "V4", "V5", "V6"]).startswith("read from lead(s) V2, V3, V4,")
    assert absence_undecided("IMI", ["V1", "V2", "V3", "V4", "V5", "V6"]) is None  # II, III, aVF are there
    assert absence_undecided("CRBBB", ["V1", "V6"], qrs_ms=84.0) is None  # < 120 ms: no complete block on any lead
    assert absence_undecided("CRBBB", ["V1", "V6"], qrs_ms=130.0) is not None
    assert absence_undecided("CRBBB", ["V1", "V6"]) is not None  # QRS not measured: the leads decide


@pytest.mark.parametrize("question, leads", [("Is there an old anterior MI?", "V2, V3, V4"),
                                             ("Is there ST elevation in V2?", "V2")])
def test_a_finding_read_from_missing_leads_is_cannot_tell_not_no(limb_pair, question, leads):
    _, a = _ask(limb_pair, question)
    assert a.verdict_answer == "cannot tell", a.text
    assert a.text.startswith("Cannot tell from this ECG: medts cannot rule out"), a.text
    assert leads in a.text.split("which the record lacks")[0] and "[classify.absent_leads]" in a.text
    assert a.n_ungrounded == 0


def test_the_same_question_on_all_twelve_leads_gets_a_no():
    _, a = _ask(simulate_example("sinus"), "Is there an old anterior MI?")
    assert a.verdict_answer == "no", a.text


def test_a_sentence_denying_what_missing_leads_hold_is_not_grounded(limb_pair):
    s, _ = _ask(limb_pair, "Is there an old anterior MI?")
    trace = s.toolbox.trace
    facts = statement_facts(trace)
    assert facts.undecided.get("AMI") == "classify.absent_leads" and "AMI" not in facts.absent
    assert Grounder.from_trace(trace, "", "remove").sentence("There is no anterior myocardial infarction.") == ""


@pytest.mark.parametrize("question", ["Any ectopics?", "Are there any extra beats?", "Any PVCs?"])
def test_premature_beats_are_answered_by_the_engine_on_any_lead_set(limb_pair, question):
    _, a = _ask(limb_pair, question)
    assert a.verdict_answer == "no", a.text
    assert "no premature beat followed by a pause among" in a.text and "[measurements.ectopy]" in a.text
    assert a.n_ungrounded == 0


def test_a_record_with_an_early_beat_gets_a_yes():
    from medts.record import ECG

    ecg = simulate_example("sinus")
    s, a = _ask(ecg, "Any ectopics?")
    beats = s.toolbox.measured("current")["beats"]
    # beat 5's QRS copied in at 65 % of its RR (an early narrow beat, then the pause to beat 6)
    sig, r5, r6 = ecg.signal.copy(), beats[5]["r_peak"], beats[6]["r_peak"]
    early, half = r5 + int(0.65 * (r6 - r5)), int(0.05 * ecg.fs)
    sig[early - half:early + half] = ecg.signal[r5 - half:r5 + half]
    changed = ECG(signal=sig, fs=ecg.fs, leads=ecg.leads, record_id="early", age=ecg.age, sex=ecg.sex)
    _, early_beat = _ask(changed, "Any ectopics?")
    assert a.verdict_answer == "no", a.text
    assert early_beat.verdict_answer == "yes" and "PAC" in early_beat.text.split("\n")[0], early_beat.text
    assert early_beat.n_ungrounded == 0


def test_a_rhythm_question_naming_ectopics_still_asks_the_rhythm():
    from medts.agent.verdict import route

    assert route("Any ectopics?").label == "yes/no:ECTOPY"
    assert route("Dominant rhythm? Any ectopy?").label == "category:rhythm"
    assert route("is this fibrillation of the atria or just frequent ectopics?").label == "yes/no:AFIB"
    assert route("I read this as sinus with occasional ectopics, does that fit?").label == "yes/no:SR"


def test_a_fact_line_cites_the_quantity_named_before_its_colon(limb_pair):
    s, _ = _ask(limb_pair, "Is there ST elevation?")
    g = Grounder.from_trace(s.toolbox.trace, "", "remove")
    st = s.toolbox.measured("current")["st_j60_mv"]["II"]["value"]
    out = g.sentence(f"highest ST level at J+60 ms: {st:.2f} mV in lead II")
    assert out.endswith("[measurements.st_j60_mv.II]"), out


@pytest.mark.parametrize("question", ["Is this VT?", "Could this be ventricular tachycardia?"])
def test_ventricular_tachycardia_is_ruled_out_by_the_engine_when_the_rate_qrs_or_rhythm_exclude_it(question):
    from medts.interpret import interpret_ecg
    from medts.interpret.statements import measured_statements

    sinus, afib = simulate_example("sinus"), simulate_example("afib")
    for ecg, field in ((sinus, "measurements.hr_bpm"), (afib, "measurements.qrs_ms")):  # 102 bpm, narrow QRS
        assert measured_statements(interpret_ecg(ecg))["VTACH"]["present"] is False
        _, a = _ask(ecg, question)
        assert a.verdict_answer == "no" and a.text.startswith("No: medts does not find ventricular tachycardia"), a.text
        assert f"[{field}]" in a.text and a.n_ungrounded == 0


def test_a_wide_fast_rhythm_is_never_ruled_out_or_asserted_as_vt():
    from types import SimpleNamespace

    from medts.interpret.statements import _ventricular_tachycardia_excluded

    rhythm = SimpleNamespace(sinus=False, label="cannot tell", reason="no consistent P waves")
    assert _ventricular_tachycardia_excluded(SimpleNamespace(rhythm=rhythm), 160.0, 150.0, False)[0] is None
    assert _ventricular_tachycardia_excluded(SimpleNamespace(rhythm=rhythm), 160.0, 150.0, True)[0] is None


@pytest.mark.parametrize("question, code", [("Is this SVT?", "SVTAC"), ("Any bigeminy?", "BIGU"),
                                            ("Digoxin effect?", "DIG"), ("Ventricular trigeminy?", "TRIGU"),
                                            ("Any pauses?", "PAUSE"), ("Is there a sinus pause?", "PAUSE")])
def test_abbreviations_reach_their_statements(question, code):
    from medts.agent.verdict import route

    assert route(question).label == f"yes/no:{code}"


def test_a_pause_is_ruled_out_by_the_longest_interval_and_a_long_gap_is_not_asserted():
    from medts.record import ECG

    ecg = simulate_example("sinus")
    s, a = _ask(ecg, "Any pauses?")
    assert a.verdict_answer == "no" and "the longest interval between beats is" in a.text, a.text
    assert "[measurements.rhythm.longest_rr_ms]" in a.text and a.n_ungrounded == 0
    beats = s.toolbox.measured("current")["beats"]
    # two beats blanked: a gap of three RR intervals, which may be a pause or beats the detector missed
    sig = ecg.signal.copy()
    start, end = beats[4]["t_off"] + int(0.1 * ecg.fs), beats[7]["p_on"] - int(0.1 * ecg.fs)
    sig[start:end] = sig[start]
    gap = ECG(signal=sig, fs=ecg.fs, leads=ecg.leads, record_id="gap", age=ecg.age, sex=ecg.sex)
    _, b = _ask(gap, "Is there a pause?")
    assert b.verdict_answer == "cannot tell" and "or a beat not detected" in b.text, b.text


@pytest.mark.skipif(dataset_dir("ludb") is None, reason="LUDB not in the shared data")
@pytest.mark.parametrize("question, code", [("Is there a LBBB?", "CLBBB"), ("Any Q waves in the inferior leads?", "IMI")])
def test_a_block_or_infarct_is_not_ruled_out_in_a_paced_rhythm(question, code):
    """LUDB 45 (atrial and ventricular pacing): the engine withholds a classifier's block or infarct as unread, so
    the classifier's "not found" is no "No" either."""
    record = read_record(dataset_dir("ludb") / "data" / "45.hea")
    _, a = _ask(record, question)
    assert a.verdict_answer == "cannot tell", a.text
    assert f"medts cannot rule out {code}" in a.text and "hidden by the paced rhythm" in a.text
    assert "[interpretation.asserted (PACE)]" in a.text and a.n_ungrounded == 0


@pytest.mark.parametrize("question, label", [("Is the AF rate controlled?", "yes/no:hr_bpm:high"),
                                             ("What's the ventricular response?", "number:hr_bpm"),
                                             ("Any f waves?", "yes/no:AFIB")])
def test_af_rate_and_fibrillatory_wave_questions_route(question, label):
    from medts.agent.verdict import route

    assert route(question).label == label


def test_rate_control_is_answered_from_the_ventricular_rate():
    _, a = _ask(simulate_example("afib"), "Is the AF rate controlled?")  # 102 bpm: not controlled
    assert a.verdict_answer.startswith("no") or a.text.startswith("No:"), a.text
    assert "above the limit of 100 bpm" in a.text and a.n_ungrounded == 0
