"""Grounding check against real tool results with planted wrong numbers and statements."""

from __future__ import annotations

import numpy as np
import pytest

from medts.agent.grounding import find_numbers, find_statements, ground_answer
from medts.agent.tools import ToolBox, ToolCall, Workspace
from medts.examples import simulate_example


@pytest.fixture(scope="module")
def sinus_trace():
    box = ToolBox(Workspace({"current": simulate_example("sinus")}))
    box.run("record_summary", {})
    m = box.run("measurements", {})
    return box.trace, m


def test_true_numbers_are_cited_and_planted_wrong_numbers_removed(sinus_trace):
    trace, m = sinus_trace
    hr, qrs, pr = m["hr_bpm"]["value"], m["qrs_ms"]["value"], m["pr_ms"]["value"]
    answer = (f"The heart rate is {hr:.0f} bpm. "
              f"The QRS duration is {qrs + 40:.0f} ms. "          # planted: 40 ms too long
              f"The PR interval is {pr:.0f} ms. "
              f"The heart rate is {hr + 15:.0f} bpm at rest.")     # planted: 15 bpm too fast
    g = ground_answer(answer, trace)
    assert g.n_claims == 4 and g.n_ungrounded == 2
    assert f"{hr:.0f} bpm [measurements.hr_bpm]" in g.text
    assert f"{pr:.0f} ms [measurements.pr_ms]" in g.text
    assert f"{qrs + 40:.0f}" not in g.text and f"{hr + 15:.0f}" not in g.text
    assert len(g.removed) == 2


def test_number_of_another_quantity_does_not_ground(sinus_trace):
    trace, m = sinus_trace
    pr = m["pr_ms"]["value"]
    # the PR value stated as the QRS duration: same unit, wrong quantity
    g = ground_answer(f"The QRS duration is {pr:.0f} ms.", trace)
    assert g.n_ungrounded == 1 and g.text == ""


def test_flag_mode_keeps_the_sentence_visibly_marked(sinus_trace):
    trace, m = sinus_trace
    g = ground_answer(f"The QTc is {m['qtc_bazett_ms']['value'] + 90:.0f} ms.", trace, mode="flag")
    assert "[UNVERIFIED]" in g.text and g.n_ungrounded == 1


def test_unit_conversion_and_tolerance(sinus_trace):
    trace, m = sinus_trace
    qt = m["qt_ms"]["value"]
    assert ground_answer(f"The QT interval is {qt / 1000:.2f} s.", trace).n_ungrounded == 0
    assert ground_answer(f"The QT interval is {qt + 1.5:.1f} ms.", trace).n_ungrounded == 0   # within 2 ms
    assert ground_answer(f"The QT interval is {qt + 12:.0f} ms.", trace).n_ungrounded == 1


def test_statements_need_a_supporting_tool_fact(sinus_trace):
    trace, m = sinus_trace
    assert m["af_like_irregular_without_p_waves"] is False
    ok = ground_answer("There is no atrial fibrillation.", trace)
    assert ok.n_ungrounded == 0 and ok.claims[0].negated
    bad = ground_answer("The patient has atrial fibrillation.", trace)
    assert bad.n_ungrounded == 1 and bad.text == ""
    # a diagnosis no tool supports (no classifier ran) is removed
    assert ground_answer("This is left ventricular hypertrophy.", trace).n_ungrounded == 1


def test_classifier_statements_positive_and_negative():
    result = {"tool": "classify", "available": True, "present": ["CLBBB"], "evaluated_codes": ["CLBBB", "AFIB", "NORM"],
              "statements": [{"code": "CLBBB", "probability": 0.91, "threshold": 0.4, "present": True}]}
    trace = [ToolCall("classify", {}, result, 0.0)]
    g = ground_answer("There is a left bundle branch block (probability 91%). No atrial fibrillation. "
                      "The ECG is normal ECG.", trace)
    by_code = {c.code: c for c in g.claims if c.kind == "statement"}
    assert by_code["CLBBB"].grounded and by_code["AFIB"].grounded and by_code["AFIB"].negated
    assert not by_code["NORM"].grounded
    assert "classify.present" in g.citations
    # a superclass claim is supported by a present statement of that class
    assert ground_answer("This is a conduction disturbance.", trace).n_ungrounded == 0


def test_untrusted_header_text_is_never_evidence():
    ecg = simulate_example("sinus")
    from dataclasses import replace

    ecg = replace(ecg, metadata={"comments": ["heart rate 250 bpm, atrial fibrillation"]})
    box = ToolBox(Workspace({"current": ecg}))
    summary = box.run("record_summary", {})
    assert summary["untrusted_header_text"] == ["heart rate 250 bpm, atrial fibrillation"]
    g = ground_answer("The heart rate is 250 bpm.", box.trace)
    assert g.n_ungrounded == 1


def test_claim_extraction():
    nums = find_numbers("HR 72 bpm, QRS 0.10 s, axis -30°, ST 0.15 mV, p 93 %, 12 leads")
    assert [(v, u) for _, v, u in nums] == [(72, "bpm"), (0.10, "s"), (-30, "deg"), (0.15, "mV"), (93, "%"), (12, "leads")]
    found = find_statements("No evidence of atrial fibrillation, but incomplete right bundle branch block is present.")
    assert [(code, neg) for _, code, neg in found] == [("AFIB", True), ("IRBBB", False)]
    assert np.isfinite(nums[0][1])


def test_ventricle_named_by_its_letters():
    """"LV hypertrophy" claims LVH (not only the hypertrophy family), and so the router asks LVH (heldout49)."""
    assert [(code, neg) for _, code, neg in find_statements("No LV hypertrophy; RV wall thickening is present.")] == [
        ("LVH", True), ("RVH", False)]
    assert [code for _, code, _ in find_statements("Is there hypertrophy of the LV?")] == ["LVH"]
    assert [code for _, code, _ in find_statements("Is there hypertrophy?")] == ["HYP"]


def test_reference_limits_and_criteria_ground_only_limits(sinus_trace):
    """A normal-range bound is not evidence for a measured value: "the QTc is 450 ms" needs a
    measured 450 ms; "within the limit of 450 ms" may cite the limit."""
    trace, m = sinus_trace
    limit = m["reference_limits"]["qtc_bazett_ms"]["high"]
    qtc = m["qtc_bazett_ms"]["value"]
    assert abs(qtc - limit) > 5  # the planted claim below is wrong for this record
    g = ground_answer(f"The QTc is {limit:.0f} ms.", trace)
    assert g.n_ungrounded == 1 and g.text == ""
    g = ground_answer(f"The QTc is {qtc:.0f} ms, within the limit of {limit:.0f} ms.", trace)
    assert g.n_ungrounded == 0 and "reference_limits.qtc_bazett_ms.high" in g.text
    # glossary criteria likewise: a criterion may be quoted, not reported as a measurement
    gloss = [ToolCall("glossary", {}, {"tool": "glossary", "entries": [
        {"code": "CLBBB", "description": "complete left bundle branch block", "typical_criteria": "QRS >= 120 ms"}]}, 0.0)]
    assert ground_answer("LBBB needs a QRS of 120 ms or more.", gloss).n_ungrounded == 0
    assert ground_answer("The QRS is 120 ms.", gloss).n_ungrounded == 1


def test_not_inside_a_statement_name_is_not_a_negation():
    trace = [ToolCall("classify", {}, {"tool": "classify", "present": ["ISC_"], "evaluated_codes": ["ISC_", "AFIB"],
                                       "statements": [{"code": "ISC_", "probability": 0.48, "threshold": 0.2}]}, 0.0)]
    g = ground_answer("Classifier finds ISC_ (ischaemic ST-T changes, location not specified), probability 48%.", trace)
    assert g.n_ungrounded == 0 and g.n_claims == 3
    assert ground_answer("There is no ISC_.", trace).n_ungrounded == 1  # a real negation still is one


def test_resolved_statements_of_a_comparison_may_be_named():
    trace = [ToolCall("compare", {}, {"tool": "compare", "statements": {"new": ["AFIB"], "resolved": ["1AVB"],
                                                                       "unchanged": []}}, 0.0)]
    assert ground_answer("New statements: AFIB. Resolved statements: 1AVB.", trace).n_ungrounded == 0
    assert ground_answer("New statements: CLBBB.", trace).n_ungrounded == 1


def _measured_trace(qtc_ms: float, limit_ms: float = 450.0, hr_bpm: float = 72.0, classify_present=()):
    """A measurements result (flags as tools.measurements sets them) and optionally a classifier
    result that (wrongly) finds some statements present."""
    m = {"tool": "measurements", "hr_bpm": {"value": hr_bpm, "unit": "bpm"},
         "qtc_bazett_ms": {"value": qtc_ms, "unit": "ms"}, "qtc_prolonged": qtc_ms > limit_ms,
         "reference_limits": {"qtc_bazett_ms": {"low": None, "high": limit_ms}, "hr_bpm": {"low": 60.0, "high": 100.0}},
         "flags": {"qtc_bazett_ms": "high" if qtc_ms > limit_ms else "normal",
                   "hr_bpm": "high" if hr_bpm > 100 else "low" if hr_bpm < 60 else "normal"},
         # what medts.interpret.statements.measured_statements gives for these values
         "measured_statements": {"LNGQT": {"present": qtc_ms > limit_ms, "field": "qtc_bazett_ms", "decisive": True},
                                 "TACHY": {"present": hr_bpm > 100, "field": "hr_bpm", "decisive": True},
                                 "BRADY": {"present": hr_bpm < 60, "field": "hr_bpm", "decisive": True}}}
    trace = [ToolCall("measurements", {}, m, 0.0)]
    if classify_present:
        trace.append(ToolCall("classify", {}, {"tool": "classify", "present": list(classify_present),
                                               "evaluated_codes": list(classify_present), "statements": [
            {"code": c, "description": c, "probability": 0.6, "threshold": 0.3, "present": True}
            for c in classify_present]}, 0.0))
    return trace


def test_qualitative_claims_are_checked_against_the_measurement_flag():
    normal = _measured_trace(439.0, classify_present=("LNGQT",))  # the classifier disagrees with the QTc
    for wrong in ("QTc prolonged.", "The QTc is 439 ms, which is prolonged.", "The QTc is 439 ms. It is prolonged.",
                  "The QTc is 439 ms, above the limit of 450 ms.", "The heart rate is fast."):
        g = ground_answer(wrong, normal)
        assert g.n_ungrounded >= 1 and "prolonged" not in g.text and "above" not in g.text and "fast" not in g.text, wrong
    for right in ("The QTc is 439 ms, within the limit of 450 ms.", "The QTc is not prolonged.",
                  "The QTc of 439 ms is normal.", "The heart rate is 72 bpm, normal."):
        g = ground_answer(right, normal)
        assert g.n_ungrounded == 0 and any(c.kind in ("qualifier", "statement") for c in g.claims), right
    # the classifier's own output may still be reported as such
    assert ground_answer("The classifier finds LNGQT, probability 60%.", normal).n_ungrounded == 0
    long = _measured_trace(482.0)
    assert ground_answer("The QTc is 482 ms, which is prolonged.", long).n_ungrounded == 0
    assert ground_answer("The QTc is 482 ms, within the limit of 450 ms.", long).n_ungrounded == 1
    assert ground_answer("There is tachycardia.", _measured_trace(430.0, hr_bpm=118.0)).n_ungrounded == 0
    assert ground_answer("There is tachycardia.", _measured_trace(430.0, hr_bpm=88.0)).n_ungrounded == 1


def test_example_codes_inside_a_description_are_not_asserted():
    trace = [ToolCall("classify", {}, {"tool": "classify", "present": ["CD"], "evaluated_codes": ["CD", "WPW"],
                                       "statements": [{"code": "CD", "probability": 0.73, "threshold": 0.4, "present": True}]}, 0.0)]
    from medts.classify.predict import describe_label

    line = f"The classifier finds CD ({describe_label('CD')}), probability 73%."
    assert "WPW" in line
    g = ground_answer(line, trace)
    assert g.n_ungrounded == 0 and g.text.startswith("The classifier finds CD")
    assert [c.code for c in g.claims if c.kind == "statement"] == ["CD"]  # the description, once
    assert ground_answer("There is a WPW pattern.", trace).n_ungrounded == 1  # WPW said on its own still counts


def test_a_gloss_after_without_is_not_negated():
    found = find_statements("Irregular rhythm without consistent P waves (atrial fibrillation).")
    assert ("atrial fibrillation", "AFIB", False) in found
    assert ("atrial fibrillation", "AFIB", False) in find_statements("RR irregular without P waves, typical of atrial fibrillation.")
    # a negated statement keeps its negation inside its own gloss
    assert [n for _, c, n in find_statements("There is no atrial fibrillation (AFIB).")] == [True, True]
    afib = [ToolCall("measurements", {}, {"tool": "measurements", "af_like_irregular_without_p_waves": True,
                                          "rhythm": {"p_wave_fraction": 0.1}, "measured_statements": {
                                              "AFIB": {"present": True, "field": "rhythm_label", "decisive": False},
                                              "IRREG": {"present": True, "field": "rr_irregular", "decisive": False}}}, 0.0)]
    assert ground_answer("The rhythm is irregular without consistent P waves (atrial fibrillation).", afib).n_ungrounded == 0


@pytest.fixture(scope="module")
def sinus_classified_trace():
    box = ToolBox(Workspace({"current": simulate_example("sinus")}))
    box.run("record_summary", {})
    m = box.run("measurements", {})
    c = box.run("classify", {"level": "all"})
    return box.trace, m, c


def test_citation_to_a_field_that_does_not_carry_the_claim_fails(sinus_classified_trace):
    trace, m, c = sinus_classified_trace
    assert m["rr_irregular"] is False and len(c["statements"]) > 4
    g = ground_answer("RR regular [classify.statements[4].probability].", trace)
    assert g.text == "" and g.n_ungrounded == 1
    assert [x.kind for x in g.claims if not x.grounded] == ["citation"]
    # the same claim with the field that carries it passes, with the checked citation
    ok = ground_answer("RR regular [measurements.rr_irregular].", trace)
    assert ok.n_ungrounded == 0 and ok.text == "RR regular [measurements.rr_irregular]."


def test_a_per_lead_value_supports_its_own_lead_only():
    st = {lead: {"value": v, "unit": "mV", "quality": "good"} for lead, v in
          (("II", -0.10), ("III", 0.01), ("aVF", 0.05), ("V2", 0.20))}
    trace = [ToolCall("measurements", {}, {"tool": "measurements", "st_j60_mv": st}, 0.0)]
    bad = ground_answer("ST 0.05 mV in lead II [st_j60_mv.aVF].", trace)
    assert bad.text == "" and bad.n_ungrounded >= 1
    assert ground_answer("ST 0.05 mV in lead II.", trace).n_ungrounded == 1  # without the citation too
    good = ground_answer("ST 0.05 mV in lead aVF [st_j60_mv.aVF].", trace)
    assert good.n_ungrounded == 0 and good.citations == ["measurements.st_j60_mv.aVF"]
    assert ground_answer("The ST level is 0.20 mV in V2.", trace).n_ungrounded == 0


def test_a_reason_text_or_a_limit_is_not_evidence_for_a_measured_number(sinus_classified_trace):
    trace, m, _ = sinus_classified_trace
    limit = m["reference_limits"]["qtc_bazett_ms"]["high"]
    qtc = m["qtc_bazett_ms"]["value"]
    assert abs(limit - qtc) > 5
    assert ground_answer(f"The QTc is {limit:.0f} ms.", trace).n_ungrounded == 1
    assert ground_answer(f"The QTc is {qtc:.0f} ms, within the limit of {limit:.0f} ms.", trace).n_ungrounded == 0
    # "above 460 ms" claims the QTc is above it: the measured value decides, not the limit
    assert ground_answer(f"The QTc is above {limit:.0f} ms.", trace).n_ungrounded == 1
    assert ground_answer(f"The QTc is below {limit:.0f} ms.", trace).n_ungrounded == 0
    # a number that only appears in a tool's reason text
    reason_trace = [ToolCall("measurements", {}, {"tool": "measurements", "p_duration_ms": {
        "value": None, "unit": "ms", "quality": "unavailable", "reason": "P onsets spread 102 ms"}}, 0.0)]
    assert ground_answer("The P wave lasts 102 ms.", reason_trace).n_ungrounded == 1
    quoted = ground_answer("P duration: not measurable (P onsets spread 102 ms).", reason_trace)
    assert quoted.n_ungrounded == 0


def test_a_probability_supports_only_the_statement_it_belongs_to(sinus_classified_trace):
    trace, _, c = sinus_classified_trace
    sr = next(s for s in c["statements"] if s["code"] == "SR")
    other = next(s for s in c["statements"] if abs(s["probability"] - sr["probability"]) > 0.05)
    p = 100 * sr["probability"]
    assert ground_answer(f"The classifier finds SR (sinus rhythm), probability {p:.0f}%.", trace).n_ungrounded == 0
    g = ground_answer(f"The classifier gives {other['code']} a probability of {p:.0f}%.", trace)
    assert g.n_ungrounded >= 1


def test_a_dose_sentence_never_survives_whatever_it_cites(sinus_classified_trace):
    trace, m, _ = sinus_classified_trace
    hr = m["hr_bpm"]["value"]
    for mode in ("remove", "flag"):
        g = ground_answer(f"The heart rate is {hr:.0f} bpm. The correct answer would be 7.5 mg/kg "
                          "[measurements.hr_bpm.reason].", trace, mode=mode)
        assert "mg" not in g.text and f"{hr:.0f} bpm" in g.text
        assert [x.kind for x in g.claims if not x.grounded] == ["safety"]


def test_grounded_text_grounds_again_with_its_own_citations(sinus_classified_trace):
    trace, m, _ = sinus_classified_trace
    hr = m["hr_bpm"]["value"]
    first = ground_answer(f"The heart rate is {hr:.0f} bpm.. RR regular.", trace)
    assert first.n_ungrounded == 0 and ".." not in first.text
    again = ground_answer(first.text, trace)  # every written citation must support its sentence
    assert again.n_ungrounded == 0 and again.text == first.text


def test_an_asserted_superclass_supports_its_name_and_probability():
    """The engine may assert a superclass itself (MI from the superdiagnostic classifier); a
    model writing "MI" makes a checkable claim."""
    trace = [ToolCall("interpretation", {}, {"tool": "interpretation", "asserted": [
        {"code": "MI", "description": "myocardial infarction", "origin": "classifier",
         "reason": "classifier above threshold", "probability": 0.8}], "withheld": []}, 0.0)]
    g = ground_answer("Yes: medts asserts MI (myocardial infarction), classifier probability 80%.", trace,
                      question="Any MI?")
    assert g.n_ungrounded == 0 and "interpretation.asserted (MI)" in g.citations
    # "inferior MI" names IMI: an asserted MI of unknown wall does not support "Yes" to it
    assert ground_answer("Yes: medts asserts MI (myocardial infarction), classifier probability 80%.", trace,
                         question="Any inferior MI?").n_ungrounded == 1
    assert ground_answer("There is no MI.", trace).n_ungrounded == 1


def _withheld_trace(code: str, reason: str) -> list:
    return [ToolCall("interpretation", {}, {"tool": "interpretation", "asserted": [
        {"code": "SR", "description": "sinus rhythm", "origin": "measurement", "reason": "sinus rhythm: P waves"}],
        "withheld": [{"code": code, "description": "", "origin": "classifier", "reason": reason,
                      "probability": 0.21}]}, 0.0)]


def test_a_statement_the_engine_could_not_check_is_cannot_tell_not_no():
    """Withheld because the PR was not measured: neither "No" nor "no first-degree AV block" is
    supported; the verdict says "Cannot tell" with the engine's reason, and that sentence grounds.
    Withheld because a measurement contradicts it: "No"."""
    from medts.agent.verdict import decide, route

    undecided = _withheld_trace("1AVB", "cannot be checked: PR not measured (no consistent P waves)")
    topic = route("Is there a first-degree AV block?")
    v = decide(topic, [c.result for c in undecided], undecided)
    assert v.answer == "cannot tell" and "PR not measured" in v.sentence
    assert ground_answer(v.sentence, undecided, question="Is there a first-degree AV block?").n_ungrounded == 0
    assert ground_answer("No: there is no first-degree AV block.", undecided,
                         question="Is there a first-degree AV block?").n_ungrounded >= 1
    # the family is undecided too when one member is ("Any heart block?")
    assert decide(route("Any AV block?"), [c.result for c in undecided], undecided).answer == "cannot tell"
    contradicted = _withheld_trace("1AVB", "measurement contradicts it: PR 160 ms (<= 200 ms)")
    assert decide(topic, [c.result for c in contradicted], contradicted).answer == "no"
    assert ground_answer("There is no first-degree AV block.", contradicted).n_ungrounded == 0


def _asserted_trace(*codes: str) -> list:
    return [ToolCall("interpretation", {}, {"tool": "interpretation", "asserted": [
        {"code": c, "description": "", "origin": "measurement", "reason": "pacemaker spikes"} for c in codes],
        "withheld": []}, 0.0)]


def test_the_rhythm_of_a_paced_record_is_the_engines_paced_rhythm():
    """Once answered "Cannot tell: neither the rhythm measurements nor the classifier identify the rhythm"."""
    from medts.agent.verdict import decide, route

    topic = route("What is the rhythm?")
    paced = _asserted_trace("PACE")
    v = decide(topic, [c.result for c in paced], paced)
    assert v.answer == "paced rhythm" and ground_answer(v.sentence, paced).n_ungrounded == 0
    both = _asserted_trace("SR", "PACE")
    assert decide(topic, [c.result for c in both], both).answer == "sinus rhythm with pacing"


def test_a_question_about_lvh_criteria_asks_the_voltage_criteria_first():
    from medts.agent.verdict import route

    assert route("Does this meet criteria for left ventricular hypertrophy?").codes == ("VCLVH", "LVH")
    assert route("Are LVH voltage criteria met?").codes[0] == "VCLVH"
    assert route("Is there LVH?").codes == ("LVH",)
    assert route("What are the criteria for LVH?").kind == "glossary"


def test_a_tracing_within_normal_limits_claims_a_normal_ecg():
    """SmolLM2 once kept "This trace lies between normal limits ..." after "No: medts does not assert NORM"."""
    withheld = [ToolCall("interpretation", {}, {"tool": "interpretation", "asserted": [], "withheld": [
        {"code": "NORM", "description": "", "origin": "classifier",
         "reason": "normal ECG needs no abnormality: abnormal measurement(s): P axis -9 deg (low)"}]}, 0.0)]
    assert find_statements("This trace lies between normal limits.")[0][1] == "NORM"
    assert ground_answer("This trace lies between normal limits.", withheld).n_ungrounded == 1
    assert ground_answer("The tracing is not within normal limits.", withheld).n_ungrounded == 0


def test_a_yes_no_verdict_grounds_against_the_statement_the_router_read():
    """The verdict answers the router's statement, and its "Yes"/"No" is grounded against that one,
    not the lexicon's reading of the question: "Incomplete RBBB?" (lexicon: CRBBB) asserted IRBBB and
    "Infarct involving the lateral wall y/n" (lexicon: the family MI) denied LMI once became "Cannot
    tell from this ECG: the tool results disagree" (heldout8/9 reruns)."""
    from medts.agent.grounding import answered_codes
    from medts.agent.verdict import decide, route

    assert answered_codes("Incomplete RBBB?") == ["IRBBB"]
    assert answered_codes("RBBB or LBBB?") == ["CRBBB"]  # the verdict's first statement; the second has its clause
    # a negated mention is still the statement the "No" answers ("No BBB here, is there?" - "No: ...")
    assert answered_codes("No BBB here, is there?") == ["BBB"]
    # no statement topic: the statements named, as before
    assert answered_codes("What is the heart rate?") == []
    irbbb = [ToolCall("interpretation", {}, {"tool": "interpretation", "asserted": [
        {"code": "IRBBB", "description": "incomplete right bundle branch block", "origin": "classifier",
         "reason": "classifier above threshold", "probability": 0.36}], "withheld": []}, 0.0)]
    q = "Incomplete RBBB?"
    v = decide(route(q), [c.result for c in irbbb], irbbb, q)
    assert v.answer == "yes"
    assert ground_answer(v.sentence, irbbb, question=q).n_ungrounded == 0
    # the complete block is not asserted: "Yes" to "Complete RBBB?" stays unsupported
    assert ground_answer(v.sentence, irbbb, question="Complete RBBB?").n_ungrounded >= 1
    lmi = [ToolCall("classify", {}, {"tool": "classify", "present": ["IMI"], "evaluated_codes": ["LMI", "IMI"],
                                     "statements": [
        {"code": "LMI", "description": "lateral myocardial infarction", "probability": 0.0, "threshold": 0.25,
         "present": False},
        {"code": "IMI", "description": "inferior myocardial infarction", "probability": 0.9, "threshold": 0.25,
         "present": True}]}, 0.0)]
    q = "Infarct involving the lateral wall y/n"
    v = decide(route(q), [c.result for c in lmi], lmi, q)
    assert v.answer == "no" and "LMI" in v.sentence
    # an inferior MI is there, so "No" to the family would be unsupported; "No" to LMI is supported
    assert ground_answer(v.sentence, lmi, question=q).n_ungrounded == 0


def test_voltage_criteria_for_lvh_asks_the_diagnosis_too():
    """"Does this meet voltage criteria for LVH?" (the lexicon reads it all as VCLVH) once answered
    the voltage criteria alone, never whether medts finds LVH."""
    from medts.agent.verdict import route

    assert route("Does this meet voltage criteria for LVH?").codes == ("VCLVH", "LVH")
    assert route("LVH on voltage?").codes == ("VCLVH", "LVH")


def test_statement_codes_are_read_in_any_case_unless_they_are_english_words():
    """heldout12's first run: "lvh y/n", "lafb present??", "ami y/n" got "no medts tool decides this"
    (codes were read in upper case only); "dig" and "pace" stay words, "the norm" is no normal ECG."""
    from medts.agent.grounding import find_statements

    def codes(text: str) -> list[str]:
        return [c for _, c, _ in find_statements(text)]

    assert codes("lvh y/n") == ["LVH"] and codes("lafb present??") == ["LAFB"] and codes("Ami?") == ["AMI"]
    assert codes("norm y/n") == ["NORM"] and codes("Is the rate within the norm?") == []
    assert codes("on amiodarone") == [] and codes("dig in, keep the pace") == [] and codes("DIG effect?") == ["DIG"]
    assert codes("1st deg HB") == ["1AVB"] and codes("incomplete RBB block") == ["IRBBB"]
    assert codes("AFL or AF") == ["AFLT", "AFIB"]
