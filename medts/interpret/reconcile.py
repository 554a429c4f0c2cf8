"""Classifier probabilities + measurements -> the final statements, each with its reason.

Order of the rules (the first that applies decides; every decision keeps the classifier's raw
probability and threshold beside it):

1. Poor signal quality: every statement withheld (medts abstains).
2. Rhythm statements SR, STACH, SBRAD, SARRH, AFIB, AFLT come from :func:`medts.interpret.rhythm.call_rhythm`
   (RR pattern, P waves, atrial activity, rate); the classifier's own calls on them are shown but do not
   decide. SVTAC and PSVT from the classifier are withheld when the measured rhythm is sinus, AFIB or AFLT.
2b. PAC and PVC come from :func:`medts.interpret.ectopy.premature_beats` (early beats followed by a pause,
   their QRS width against the dominant beats); the classifier's own calls are shown but do not decide.
3. A classifier statement that needs leads the record lacks (missing, disconnected or flat;
   :data:`medts.interpret.statements.REQUIRED_LEADS`) is withheld, naming the leads.
4. Measurement gates (:mod:`medts.interpret.statements`): CLBBB/CRBBB need QRS >= 120 ms and
   exclude each other (the more probable one stays); incomplete blocks need QRS < 120 ms and
   give way to the complete block; a classifier CRBBB refused for a QRS < 120 ms is asserted as
   IRBBB (the same right bundle-branch morphology short of the complete-block duration, AHA/ACCF/HRS
   2009 part III); IVCD needs QRS >= 110 ms and no bundle-branch block; LAFB/LPFB need their axis;
   1AVB and LNGQT are what the PR / QTc rule says; in a paced rhythm the conduction statements
   (:data:`PACED_QRS_UNREAD`) are withheld as undecided. Infarction statements (MI and its SCP statements) need a
   Q wave, ST elevation or poor R progression in two contiguous leads of their territory
   (:func:`medts.interpret.infarction.infarction_gate`, UDMI 2018). A classifier statement counts as present at the
   engine's threshold where :data:`medts.interpret.statements.ENGINE_THRESHOLDS` sets one (IRBBB,
   LVH), else at the classifier's own.
5. Measurement-defined statements the classifier missed are asserted (1AVB, LNGQT, VCLVH:
   voltage criteria for LVH, LAFB by axis). LVH itself stays the classifier's call: voltage
   alone is the separate SCP statement VCLVH (as PTB-XL labels it).
6. NORM is asserted only when the classifier says NORM and no abnormal statement and no
   abnormal measurement flag is present, on all 12 leads.

A child (a recorded age under :data:`medts.interpret.ranges.ADULT_AGE_YEARS`) is not judged against
adult limits: the statements of :data:`CHILD_UNJUDGED`, a bundle-branch block refused only for a QRS
under 120 ms, and NORM (when nothing abnormal is asserted) are withheld as undecided, and the
measurement-defined 1AVB, VCLVH and LAFB are not asserted.
"""

from __future__ import annotations

from pydantic import BaseModel

from medts.interpret import statements as rules
from medts.interpret.axis import AxisCall
from medts.interpret.ectopy import ECTOPY_SOURCE, EctopyCall
from medts.interpret.infarction import UDMI_2018, infarction_gate, is_infarction
from medts.interpret.quality import QualityGrade
from medts.interpret.ranges import MeasurementFlag, is_child, PAEDIATRIC_REASON
from medts.interpret.rhythm import RHYTHM_CODES, RhythmCall, rhythm_description
from medts.interpret.statements import PACED_QRS_UNREAD, StatementDecision
from medts.labels import STATEMENTS

NOT_ABNORMAL = ("NORM", "SR", "SARRH")
"""Asserted statements that do not withhold NORM (sinus arrhythmia is a normal variant)."""

CHILD_UNJUDGED = ("1AVB", "LAFB", "LPFB", "IRBBB", "ILBBB", "IVCD", "LVH", "VCLVH", "RVH", "SEHYP", "HYP",
                  "LAO/LAE", "RAO/RAE", "HVOLT", "LVOLT")
"""Statements whose criteria are adult limits of the PR, QRS duration, axis or voltages, which change with a child's
age (:data:`medts.interpret.ranges.RIJNBEEK_2001`): withheld as undecided for a child, whatever the classifier (trained
on PTB-XL, whose patients are almost all adults: 64 of 21,837 under 16) says."""

CHILD_UNDECIDED = (*CHILD_UNJUDGED, "STACH", "SBRAD", "NORM", "CLBBB", "CRBBB", "TACHY", "BRADY", "AXIS_NORMAL",
                   "AXIS_LEFT", "AXIS_RIGHT", "AXIS_EXTREME", "WIDEQRS")
"""What a child's record leaves undecided unless the engine asserts it (with the measured pseudo-statements of
:func:`medts.interpret.statements.measured_statements`): its absence is judged by adult limits (no tachycardia at
126 bpm, no first-degree block at a PR of 180 ms, a QRS under 120 ms), so "no" is not an answer a surface may give."""



def child_undecided(asserted: set[str], measured: set[str]) -> frozenset[str]:
    """The :data:`CHILD_UNDECIDED` codes a child's record leaves undecided: not asserted by the engine, not present as
    a measured pseudo-statement, and no normal ECG beside an asserted abnormality (that "no" stands at any age). The one
    rule the chat verdict and the grounding check read.

    >>> sorted(child_undecided({"SR", "CLBBB"}, set()) & {"CLBBB", "NORM", "STACH"})
    ['STACH']
    """
    decided = asserted | measured
    normal_ruled_out = bool(asserted - set(NOT_ABNORMAL))
    return frozenset(c for c in CHILD_UNDECIDED if c not in decided and not (c == "NORM" and normal_ruled_out))


EXCLUSIVE = (("CLBBB", "CRBBB"), ("CLBBB", "ILBBB"), ("CRBBB", "IRBBB"), ("AFIB", "AFLT"))


class ClassifierScore(BaseModel):
    """One classifier output for one statement (raw, before reconciliation)."""

    code: str
    probability: float
    threshold: float
    present: bool
    source: str
    evidence_leads: list[str] = []
    evidence: str | None = None
    reduced_lead_model: bool = False
    """Scored by the lead-dropout classifier for records lacking a lead: its statements need only the leads of
    :data:`medts.interpret.statements.REDUCED_LEAD_MODEL_LEADS`."""
    cnn_probability: float | None = None
    """The CNN's own probability when the record was scored by CNN + measurements (late fusion); None otherwise."""


class Findings(BaseModel):
    """Everything medts concludes about one record: the one clinical truth every surface shows."""

    record_id: str
    sex: str | None = None
    age_years: float | None = None
    """The recorded age; under :data:`medts.interpret.ranges.ADULT_AGE_YEARS` the adult limits are not applied."""
    quality: QualityGrade
    flags: list[MeasurementFlag]
    rhythm: RhythmCall
    axis: AxisCall
    statements: list[StatementDecision]
    classifier: list[ClassifierScore]
    classifier_available: bool
    ectopy: EctopyCall | None = None
    """Premature beats (PAC / PVC) read from the beat sequence; what decides those statements, present or absent.
    Always set by :func:`medts.interpret.interpret`; None only in a report written before schema 1.5."""
    verdict: str
    notes: list[str] = []

    def codes(self) -> list[str]:
        """Asserted statement codes, in report order."""
        return [s.code for s in self.statements if s.decision == "asserted"]

    @property
    def asserted(self) -> list[StatementDecision]:
        return [s for s in self.statements if s.decision == "asserted"]

    @property
    def withheld(self) -> list[StatementDecision]:
        return [s for s in self.statements if s.decision == "withheld"]

    def flag(self, name: str) -> MeasurementFlag | None:
        return next((f for f in self.flags if f.name == name), None)

    @property
    def abnormal_flags(self) -> list[MeasurementFlag]:
        return [f for f in self.flags if f.abnormal]


def describe(code: str) -> str:
    if code in RHYTHM_CODES:
        return rhythm_description(code)
    if code in STATEMENTS:
        return STATEMENTS[code].description
    from medts.classify.outputs import describe_label

    return describe_label(code) or code


def merge_scores(scores: list[ClassifierScore]) -> dict[str, ClassifierScore]:
    """One score per code: several classifiers scoring the same code (NORM) keep the most confident."""
    out: dict[str, ClassifierScore] = {}
    for s in scores:
        old = out.get(s.code)
        if old is None or (s.present, s.probability - s.threshold) > (old.present, old.probability - old.threshold):
            out[s.code] = s
    return out


def _decision(code: str, decision: str, origin: str, reason: str, score: ClassifierScore | None,
              source: str | None = None) -> StatementDecision:
    if score is not None:
        reason += f"; classifier p={score.probability:.2f} (threshold {score.threshold:.2f})"
    leads = rules.decision_leads(code, origin, reduced_lead_model=score is not None and score.reduced_lead_model)
    return StatementDecision(code=code, description=describe(code), decision=decision, origin=origin, reason=reason,
                             leads_needed=leads,
                             probability=None if score is None else round(score.probability, 4),
                             threshold=None if score is None else round(score.threshold, 4),
                             classifier_present=None if score is None else score.present,
                             source=source or rules.RULE_SOURCES.get(code),
                             evidence_leads=[] if score is None else list(score.evidence_leads),
                             evidence=None if score is None else score.evidence)


def classifier_present(s: ClassifierScore) -> bool:
    """Whether the engine counts score ``s`` as present: at the engine's threshold for its model and
    code (:data:`medts.interpret.statements.ENGINE_THRESHOLDS`), else at the classifier's own."""
    t = rules.engine_threshold(s.source, s.code)
    return s.present if t is None else s.probability >= t


def reconcile(m, *, sex: str | None, scores: list[ClassifierScore], quality: QualityGrade, rhythm: RhythmCall,
              ectopy: EctopyCall, flags: list[MeasurementFlag], age_years: float | None = None) -> list[StatementDecision]:
    """The final statement decisions (asserted and withheld) for one record (``age_years`` None: an adult;
    ``ectopy``: :func:`medts.interpret.ectopy.premature_beats` of ``m``)."""
    child = is_child(age_years)
    by_code = merge_scores(scores)
    present = {c: s for c, s in by_code.items() if classifier_present(s)}
    out: dict[str, StatementDecision] = {}

    def add(code, decision, origin, reason, source=None):
        score = by_code.get(code)
        engine_t = None if score is None else rules.engine_threshold(score.source, code)
        if engine_t is not None:  # the decision shows the threshold it used, and names the model's own
            reason += f"; engine threshold {engine_t:.2f} (the classifier's own {score.threshold:.2f})"
            score = score.model_copy(update={"threshold": engine_t})
        out[code] = _decision(code, decision, origin, reason, score, source)

    if quality.abstain:
        for code in list(present) + rhythm.codes:
            add(code, "withheld", "quality", f"signal quality poor ({quality.reason}): medts abstains")
        return list(out.values())

    # 2. rhythm
    for code in rhythm.codes:
        origin = "measurement+classifier" if code in present else "measurement"
        add(code, "asserted", origin, f"{rhythm.label}: {rhythm.reason}", "medts.interpret.rhythm")
    for code in present:
        if code in RHYTHM_CODES and code not in rhythm.codes or code in ("SVTAC", "PSVT") and (rhythm.sinus or rhythm.code in ("AFIB", "AFLT")):
            add(code, "withheld", "classifier", f"measured rhythm is {rhythm.label}: {rhythm.reason}")

    # 2b. premature beats
    for code, holds in (("PAC", ectopy.pac), ("PVC", ectopy.pvc)):
        if holds:
            add(code, "asserted", "measurement+classifier" if code in present else "measurement", ectopy.reason,
                ECTOPY_SOURCE)
        elif code in present:
            add(code, "withheld", "classifier", f"{'measurement contradicts it' if holds is False else 'cannot be checked'}: "
                                                f"{ectopy.reason}")

    # 3. leads, 4. gates
    absent = set(quality.absent_leads)
    lbbb = "CLBBB" in present and rules.qrs_gate(m, "CLBBB")[0] is True
    for code, s in present.items():
        if code in out:
            continue
        lacking = [lead for lead in rules.required_leads(code, reduced_lead_model=s.reduced_lead_model)
                   if lead in absent]
        if lacking:
            add(code, "withheld", "classifier", f"needs lead(s) {', '.join(lacking)}, which the record lacks "
                                                f"(missing, disconnected or flat)")
            continue
        gate: tuple[bool | None, str] = (True, "")
        if child and code in CHILD_UNJUDGED:
            gate = (None, f"adult criteria ({PAEDIATRIC_REASON})")
        elif code in PACED_QRS_UNREAD and "PACE" in rhythm.codes:
            gate = (None, f"{rhythm.label}: a paced QRS is not read for a bundle-branch or fascicular block")
        elif code in ("CLBBB", "CRBBB", "IRBBB", "ILBBB", "IVCD"):
            gate = rules.qrs_gate(m, code)
        elif code in ("LAFB", "LPFB"):
            gate = rules.fascicular_gate(m, code)
        elif code == "1AVB":
            gate = rules.first_degree_av_block(m, rhythm.p_waves_consistent, paced="PACE" in rhythm.codes)
        elif code == "LNGQT":
            gate = rules.long_qt(m, sex)
        elif code == "VCLVH":
            gate = rules.lvh_voltage(m, sex)
        elif is_infarction(code):
            gate = infarction_gate(m, code, sex=sex, paced="PACE" in rhythm.codes, lbbb=lbbb)
        ok, why = gate
        if child and ok is False and code in ("CLBBB", "CRBBB"):  # a child's complete block can be under 120 ms
            ok, why = None, f"{why} ({PAEDIATRIC_REASON})"
        if ok is False and code == "CRBBB" and "IRBBB" not in out:
            narrow, because = rules.incomplete_rbbb_from_crbbb(m)
            if narrow and not set(rules.required_leads("IRBBB")) & absent:
                add("IRBBB", "asserted", "classifier+measurement", f"{because} (CRBBB p={s.probability:.2f})",
                    source=rules.AHA_2009_III)
        if ok is False:
            add(code, "withheld", "classifier", f"{'measurements do not support it' if is_infarction(code) else 'measurement contradicts it'}: {why}",
                source=UDMI_2018 if is_infarction(code) else None)
        elif ok is None:
            add(code, "withheld", "classifier", f"cannot be checked: {why}", source=UDMI_2018 if is_infarction(code) else None)
        elif code != "NORM":
            add(code, "asserted", "classifier", f"classifier above threshold{'; ' + why if why else ''}",
                source=s.source)

    # mutually exclusive pairs: the more probable one stays
    for a, b in EXCLUSIVE:
        if out.get(a) and out.get(b) and out[a].decision == out[b].decision == "asserted":
            pa, pb = out[a].probability or 1.0, out[b].probability or 1.0
            keep, drop = (a, b) if pa >= pb else (b, a)
            add(drop, "withheld", out[drop].origin, f"excluded by {keep} (mutually exclusive; {keep} more probable)")
    if any(out.get(c) and out[c].decision == "asserted" for c in ("CLBBB", "CRBBB")) and \
            out.get("IVCD") and out["IVCD"].decision == "asserted":
        add("IVCD", "withheld", "classifier", "a bundle-branch block explains the wide QRS")

    # 5. measurement-defined statements
    measured = {
        "1AVB": rules.first_degree_av_block(m, rhythm.p_waves_consistent, paced="PACE" in rhythm.codes),
        "LNGQT": rules.long_qt(m, sex),
        "VCLVH": rules.lvh_voltage(m, sex),
        "LAFB": rules.lafb_by_axis(m),
    }
    if child:  # adult PR, voltage and axis criteria: not asserted for a child
        measured = {code: rule for code, rule in measured.items() if code not in CHILD_UNJUDGED}
    infarction = [c for c, d in out.items() if d.decision == "asserted"
                  and (c == "MI" or (c in STATEMENTS and STATEMENTS[c].diagnostic_class == "MI"))]
    if infarction and measured["LAFB"][0]:
        # an infarction is another cause of left axis deviation (Surawicz 2009); checked on PTB-XL folds 1-9:
        # measurement-only LAFB PPV 0.66 -> 0.83
        measured["LAFB"] = (None, f"{measured['LAFB'][1]}, but {', '.join(infarction)} may explain the axis")
    if "PACE" in rhythm.codes and measured["LAFB"][0]:
        measured["LAFB"] = (None, f"{measured['LAFB'][1]}, but the rhythm is paced (a paced QRS has its own axis)")
    for code, (holds, why) in measured.items():
        lacking = [lead for lead in rules.required_leads(code) if lead in absent]
        if holds and code not in out and not lacking:
            add(code, "asserted", "measurement", why)
        elif holds and code not in out:  # said, not dropped: the flag alone would leave the reader guessing
            add(code, "withheld", "measurement", f"{why}, but needs lead(s) {', '.join(lacking)}, which the record "
                                                 f"lacks (missing, disconnected or flat)")
        elif holds and code in out and out[code].decision == "asserted":
            out[code] = out[code].model_copy(update={"origin": "measurement+classifier",
                                                     "reason": f"{why}; {out[code].reason}"})

    # 6. NORM last: it needs everything else settled
    asserted = [c for c, d in out.items() if d.decision == "asserted"]
    if "NORM" in present and "NORM" not in out:  # not already withheld for missing leads
        abnormal = [c for c in asserted if c not in NOT_ABNORMAL]
        bad_flags = [f"{f.label} {f.value:g} {f.unit} ({f.flag})" for f in flags if f.abnormal]
        lacking = [lead for lead in rules.required_leads("NORM") if lead in absent]
        if abnormal or bad_flags or lacking or rhythm.code not in ("SR", "SARRH"):
            why = "; ".join(filter(None, [
                f"abnormal statement(s) {', '.join(abnormal)}" if abnormal else "",
                f"abnormal measurement(s): {', '.join(bad_flags)}" if bad_flags else "",
                f"needs lead(s) {', '.join(lacking)}, which the record lacks" if lacking else "",
                f"rhythm is {rhythm.label}" if rhythm.code not in ("SR", "SARRH") else ""]))
            add("NORM", "withheld", "classifier", f"normal ECG needs no abnormality: {why}")
        elif child:
            add("NORM", "withheld", "classifier", f"cannot be checked: normal for age needs paediatric limits "
                                                  f"({PAEDIATRIC_REASON})")
        else:
            add("NORM", "asserted", "classifier", "classifier above threshold; sinus rhythm, every measurement "
                                                  "in range, no abnormal statement")
    order = {c: i for i, c in enumerate(rhythm.codes)}
    return sorted(out.values(), key=lambda d: (d.decision != "asserted", order.get(d.code, 99),
                                              -(d.probability or 0.0), d.code))


UNDETERMINED_REASONS = (
    "signal quality poor",  # rule 1: medts abstains
    "needs lead(s)",  # rule 3: the record lacks a lead the statement needs
    "cannot be checked",  # rule 4: the gate's measurement could not be made (e.g. PR not measured)
    "rhythm is cannot tell",  # rule 2 (and NORM, rule 6): the rhythm rules name no rhythm
    "the atrial rhythm is not named",  # rule 2: paced beats without coupled P waves
)
"""Phrases of the withheld reasons :func:`reconcile` writes when medts could not decide a statement
(as opposed to deciding that the record does not have it)."""


def undetermined(code: str, reason: str) -> bool:
    """Whether a statement withheld with ``reason`` is undecided ("cannot tell from this ECG") rather
    than absent. NORM withheld for an abnormality is absent even when a lead is lacking too.

    >>> undetermined("1AVB", "cannot be checked: PR not measured"), undetermined("CLBBB", "measurement contradicts it: QRS 98 ms")
    (True, False)
    """
    if code == "NORM" and ("abnormal statement" in reason or "abnormal measurement" in reason):
        return False
    return any(phrase in reason for phrase in UNDETERMINED_REASONS)
