"""The one source of clinical rules in medts: every surface (report, agent, grounding, UI) reads it.

``interpret(measurements, sex=..., scores=...)`` turns a :class:`medts.signal.Measurements`
(and, optionally, classifier outputs) into :class:`Findings`: reference-range flags, the
quality grade, the rhythm label, the axis category, the reconciled statements (each asserted
or withheld with its reason, the classifier's raw probability beside it) and the one-line
verdict. :func:`find_contradictions` lists what a report, an answer or the app's state says
against the findings.

Modules: :mod:`.ranges` (reference ranges, flags), :mod:`.quality` (grade),
:mod:`.rhythm`, :mod:`.ectopy` (PAC/PVC), :mod:`.axis`, :mod:`.statements` (measurement-defined statements, lead needs),
:mod:`.reconcile`, :mod:`.verdict`, :mod:`.contradictions`.

Example
-------
>>> from medts.examples import simulate_example
>>> f = interpret_ecg(simulate_example("sinus"))
>>> f.rhythm.code, f.verdict.startswith("Sinus rhythm")
('SR', True)
"""

from __future__ import annotations

from medts.interpret.axis import AxisCall, axis_category, call_axis
from medts.interpret.ectopy import EctopyCall, premature_beats
from medts.interpret.quality import QualityGrade, grade_quality
from medts.interpret.ranges import (
    RANGES,
    REPORTED_VALUES,
    MeasurementFlag,
    flag_measurements,
    flag_value,
    is_child,
    PAEDIATRIC_REASON,
    reference_range,
)
from medts.interpret.reconcile import ClassifierScore, Findings, merge_scores, reconcile
from medts.interpret.rhythm import RhythmCall, abstained_rhythm, call_rhythm, confirm_af, rate_for_age
from medts.interpret.statements import StatementDecision
from medts.interpret.verdict import make_verdict

__all__ = [
    "RANGES", "REPORTED_VALUES", "AxisCall", "ClassifierScore", "Findings", "MeasurementFlag", "QualityGrade",
    "RhythmCall", "StatementDecision", "axis_category", "call_axis", "call_rhythm", "flag_measurements", "flag_value",
    "grade_quality", "interpret", "interpret_ecg", "make_verdict", "reconcile", "reference_range", "score_of", "scores_from_predictions",
]


def scores_from_predictions(predictions) -> list[ClassifierScore]:
    """:class:`ClassifierScore` rows from ``medts.classify.predict.ClassifierPrediction`` objects (:func:`score_of`)."""
    return [score_of(p, s) for p in predictions for s in p.statements]


def score_of(prediction, statement) -> ClassifierScore:
    """The engine's :class:`ClassifierScore` of one statement of a ``ClassifierPrediction``.

    A record scored by CNN + measurements (late fusion) gives the engine the fused probability and threshold, except
    for :data:`~medts.interpret.statements.CNN_ENGINE_INPUTS` (classifier-all IRBBB and LVH, read at the engine's own
    thresholds, and AFIB, CLBBB, CRBBB, LAFB): rules tuned on the CNN's probabilities read them, so the engine keeps
    the CNN's own probability and threshold there (``cnn_probability``, ``cnn_threshold``).
    """
    from medts.interpret.statements import reads_cnn

    s, source = statement, f"{prediction.model} ({prediction.level})"
    cnn_input = s.cnn_probability is not None and reads_cnn(source, s.code)
    prob, threshold = (s.cnn_probability, s.cnn_threshold) if cnn_input else (s.probability, s.threshold)
    return ClassifierScore(code=s.code, probability=float(prob), threshold=float(threshold),
                           present=bool(prob >= threshold) if cnn_input else bool(s.present), source=source,
                           reduced_lead_model=prediction.reduced_lead_model, cnn_probability=s.cnn_probability)


def interpret(m, *, sex: str | None, age_years: float | None = None,
              scores: list[ClassifierScore] | None = None) -> Findings:
    """Findings for a ``medts.signal.Measurements`` ``m``; ``scores`` None: no classifier was run; ``age_years``
    None: age unknown, adult limits (a child's rate, intervals, axis and voltages are not judged:
    :data:`medts.interpret.ranges.ADULT_AGE_YEARS`)."""
    quality = grade_quality(m)
    flags = flag_measurements(m, sex, age_years)
    rhythm = call_rhythm(m) if not quality.abstain else abstained_rhythm(quality.reason)
    afib = merge_scores(list(scores or [])).get("AFIB")
    rhythm = confirm_af(rhythm, None if afib is None else afib.probability, None if afib is None else afib.threshold)
    rhythm = rate_for_age(rhythm, age_years)
    axis = call_axis(m, age_years) if not quality.abstain else AxisCall(axis_deg=None, category=None,
                                                                            reason=f"signal quality poor ({quality.reason})")
    ectopy = premature_beats(m, rhythm) if not quality.abstain else EctopyCall(
        pac=None, pvc=None, reason=f"signal quality poor ({quality.reason})")
    decisions = reconcile(m, sex=sex, scores=list(scores or []), quality=quality, rhythm=rhythm, ectopy=ectopy,
                          flags=flags, age_years=age_years)
    notes = [] if scores is not None else ["no statement classifier was run: statements come from measurements only"]
    if is_child(age_years):
        notes.append(f"rate, PR, QRS, axis and voltages not judged: {PAEDIATRIC_REASON}")
    f = Findings(record_id=m.record_id, sex=sex, age_years=age_years, quality=quality, flags=flags, rhythm=rhythm,
                 axis=axis, statements=decisions, classifier=list(scores or []), classifier_available=scores is not None,
                 ectopy=ectopy, verdict="", notes=notes)
    return f.model_copy(update={"verdict": make_verdict(f)})


def interpret_ecg(ecg, *, predictions=None) -> Findings:
    """Measure ``ecg`` and interpret it (``predictions``: classifier outputs for it, if any)."""
    from medts.signal import measure_ecg

    scores = None if predictions is None else scores_from_predictions(predictions)
    return interpret(measure_ecg(ecg), sex=ecg.sex, age_years=ecg.age, scores=scores)
