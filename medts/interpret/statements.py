"""Statements a measurement defines or gates, and the leads a statement needs.

Each rule returns ``(holds, reason)`` from measured values (``None`` when the value needed is
not measured); :mod:`medts.interpret.reconcile` combines them with the classifier.

============  ===================================================  ===========================
statement     rule                                                 source
============  ===================================================  ===========================
1AVB          PR > 200 ms, consistent P waves, rhythm not paced    AHA/ACCF/HRS 2009 part III
LNGQT         QTc Bazett and Fridericia > 450 ms (men) /           AHA/ACCF/HRS 2009 part IV
              460 ms (women), QRS < 120 ms (a wide QRS
              lengthens QT without repolarisation change)
VCLVH         Sokolow-Lyon > 3.5 mV or Cornell > 2.8 / 2.0 mV      AHA/ACCF/HRS 2009 part V
CLBBB, CRBBB  need QRS >= 120 ms                                   AHA/ACCF/HRS 2009 part III
IRBBB, ILBBB  need QRS < 120 ms                                    AHA/ACCF/HRS 2009 part III
IVCD          needs QRS >= 110 ms                                  AHA/ACCF/HRS 2009 part III
LAFB          asserted at axis -45..-90 with QRS < 120 ms and no   AHA/ACCF/HRS 2009 part III
              infarction statement (another cause of left axis);
              a classifier LAFB needs axis < -30 deg
LPFB          a classifier LPFB needs axis > +90 deg               AHA/ACCF/HRS 2009 part III
IRBBB         a classifier CRBBB (right bundle-branch pattern)     AHA/ACCF/HRS 2009 part III
              with QRS < 120 ms is an incomplete RBBB (the same
              morphology, short of the complete-block duration)
============  ===================================================  ===========================

Engine thresholds (:data:`ENGINE_THRESHOLDS`): for IRBBB and LVH the engine reads the shipped
``classifier-all`` probability at its own threshold instead of the classifier's (chosen on PTB-XL
fold 9 by the classifier's own method), see the constant for the records that chose them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from medts.interpret.ranges import (
    AHA_2009_III,
    AHA_2009_IV,
    AHA_2009_V,
    BRADY_BPM,
    TACHY_BPM,
    is_child,
    reference_range,
)
from medts.labels import STATEMENTS
from medts.record import STANDARD_LEADS

Decision = Literal["asserted", "withheld"]

WIDE_QRS_MS = 120.0
IVCD_QRS_MS = 110.0
LONG_PR_MS = 200.0
LAFB_AXIS_DEG = -45.0
LAD_DEG = -30.0
RAD_DEG = 90.0
ENGINE_THRESHOLDS: dict[tuple[str, str], float] = {("classifier-all", "IRBBB"): 0.40, ("classifier-all", "LVH"): 0.15}
"""``(model, code) -> probability`` at or above which the engine counts a classifier statement as
present, in place of the model's own threshold (IRBBB 0.52, LVH 0.23, both chosen on PTB-XL fold 9).
Chosen on PTB-XL folds 1-8 and LUDB 1-80 only (the F1 of the engine's statement; LUDB 81-160 and
PTB-XL fold 9 held out): IRBBB 0.40 (with the narrow-CRBBB rule) raised PTB-XL folds 1-8 IRBBB
sensitivity 0.47 -> 0.58 at PPV 0.83 -> 0.86 (0.38-0.40 a plateau; 0.35 lowered PPV to 0.81), LUDB
1-80 unchanged; LVH 0.15 raised F1 0.52 -> 0.55 on PTB-XL folds 1-8 (sensitivity 0.53 -> 0.71,
specificity 0.96 -> 0.93, PPV 0.52 -> 0.45) and 0.34 -> 0.45 on LUDB 1-80 (sensitivity 0.22 -> 0.31,
specificity 0.81 unchanged). Folds 1-8 trained the model, so its probabilities are optimistic there.
Keyed by model name: a retrained or renamed model keeps its own thresholds."""


CNN_ENGINE_INPUTS: frozenset[tuple[str, str]] = frozenset(ENGINE_THRESHOLDS) | frozenset(
    ("classifier-all", code) for code in ("AFIB", "CLBBB", "CRBBB", "LAFB"))
"""``(model, code)`` whose **CNN** probability (and the CNN's own threshold) the engine reads even when the record
was scored by CNN + measurements (late fusion, :mod:`medts.classify.fusion`); every other statement is read fused.
IRBBB and LVH: the engine thresholds above were set on the CNN's probabilities. The other four were chosen by
``medts bench interpretation`` with every engine input fused against the CNN-only engine, on the tuning records
only (LUDB 1-80 and PTB-XL folds 1-8, those fused by out-of-fold trees; LUDB 81-160 and fold 9 not looked at for
this): fused inputs lowered a sensitivity or specificity there: AFIB (LUDB 1-80 sensitivity 1.00 -> 0.75: the
AF-under-pacing rule reads the AFIB probability; PTB-XL 1-8 specificity 0.991 -> 0.990), CLBBB (sensitivity LUDB
1-80 0.67 -> 0.33, PTB-XL 1-8 0.92 -> 0.85), CRBBB (PTB-XL 1-8 sensitivity 0.93 -> 0.86; the narrow-CRBBB ->
IRBBB rule reads it too: IRBBB sensitivity 0.58 -> 0.53) and LAFB (PTB-XL 1-8 specificity 0.985 -> 0.981). NORM,
the other scored statement that changed, improved on PTB-XL 1-8 (sensitivity 0.688 -> 0.693, specificity 0.939 ->
0.948) and is read fused."""


def _model(source: str | None) -> str:
    return (source or "").split(" (")[0]


def engine_threshold(source: str | None, code: str) -> float | None:
    """The engine's threshold for ``code`` scored by ``source`` (``"classifier-all (all)"``), or None."""
    return ENGINE_THRESHOLDS.get((_model(source), code))


def reads_cnn(source: str | None, code: str) -> bool:
    """Whether the engine reads the CNN's own probability of ``code`` from ``source`` on a fused record
    (:data:`CNN_ENGINE_INPUTS`)."""
    return (_model(source), code) in CNN_ENGINE_INPUTS


RULE_SOURCES = {
    "1AVB": AHA_2009_III, "LNGQT": AHA_2009_IV, "LVH": AHA_2009_V, "VCLVH": AHA_2009_V, "CLBBB": AHA_2009_III, "CRBBB": AHA_2009_III,
    "IRBBB": AHA_2009_III, "ILBBB": AHA_2009_III, "IVCD": AHA_2009_III, "LAFB": AHA_2009_III, "LPFB": AHA_2009_III,
}

LIMB = ("I", "II", "III", "aVR", "aVL", "aVF")
REQUIRED_LEADS: dict[str, tuple[str, ...]] = {
    # conduction: V1 (right-sided terminal forces), V6 and I (left-sided); AHA/ACCF/HRS 2009 part III
    "CLBBB": ("I", "V1", "V6"), "CRBBB": ("I", "V1", "V6"), "ILBBB": ("I", "V1", "V6"), "IRBBB": ("V1", "V6"),
    "IVCD": ("I", "V1", "V6"), "WPW": STANDARD_LEADS,
    # fascicular blocks and axis: the frontal plane
    "LAFB": ("I", "II", "aVF"), "LPFB": ("I", "II", "aVF"),
    # hypertrophy: the voltages it is read from
    "LVH": ("V1", "V5", "V6"), "VCLVH": ("V1", "V5", "V6"), "RVH": ("V1", "V5", "V6"), "SEHYP": ("V1", "V2"),
    # infarction and ischaemia: the territory's leads
    "IMI": ("II", "III", "aVF"), "ILMI": ("II", "III", "aVF", "V5", "V6"), "IPMI": ("II", "III", "aVF", "V1", "V2"),
    "IPLMI": ("II", "III", "aVF", "V1", "V2", "V5", "V6"), "ASMI": ("V1", "V2", "V3"), "AMI": ("V2", "V3", "V4"),
    "ALMI": ("I", "aVL", "V3", "V4", "V5", "V6"), "LMI": ("I", "aVL", "V5", "V6"), "PMI": ("V1", "V2", "V3"),
    "NORM": STANDARD_LEADS, "MI": STANDARD_LEADS, "STTC": STANDARD_LEADS, "CD": STANDARD_LEADS, "HYP": STANDARD_LEADS,
}
"""Leads a statement is read from. Statements not listed: rhythm statements need any one lead;
every other classifier statement needs all 12 (the classifiers were trained on 12-lead records,
and a missing lead is fed to them as a flat line), except the superclasses the lead-dropout
classifier scored (:data:`REDUCED_LEAD_MODEL_LEADS`)."""


REDUCED_LEAD_MODEL_LEADS: dict[str, tuple[str, ...]] = {"CD": ("II",), "STTC": ("II",), "MI": ("I", "II", "V2")}
"""Leads a superclass needs when the lead-dropout classifier scored it (``adapters/classifier-superdiagnostic-reduced``,
which scores the records that lack a standard lead). Rule, chosen on PTB-XL fold 8 (237 records; the fold that also
chose that model's epoch and thresholds): a superclass may be asserted from a validated lead set (the six limb leads;
I, II, III, V2; I, II, V2; I, II; II) when on that set its AUC is >= 0.85 and its PPV at threshold >= 0.5; the
smallest passing set is listed. Every set passed for CD (PPV 0.73-0.82) and STTC (0.64-0.72), so lead II suffices;
MI passed with I, II, V2 and I, II, III, V2 (PPV 0.51-0.53) but not with the limb leads, I + II or II (0.39-0.45).
HYP failed on every set (PPV 0.23-0.31); NORM needs all 12 whatever the model (a normal ECG is a statement about
all 12 leads). Held-out fold-9 figures: the adapter's MODEL_CARD.md."""


def required_leads(code: str, *, reduced_lead_model: bool = False) -> tuple[str, ...]:
    """The leads ``code`` is read from (all must be present and not flat for it to be asserted).

    ``reduced_lead_model``: the score came from the lead-dropout classifier (:data:`REDUCED_LEAD_MODEL_LEADS`).
    """
    if reduced_lead_model and code in REDUCED_LEAD_MODEL_LEADS:
        return REDUCED_LEAD_MODEL_LEADS[code]
    if code in REQUIRED_LEADS:
        return REQUIRED_LEADS[code]
    s = STATEMENTS.get(code)
    return () if s is not None and s.rhythm and not s.diagnostic and not s.form else STANDARD_LEADS


PACED_QRS_UNREAD = ("CLBBB", "CRBBB", "IRBBB", "ILBBB", "IVCD", "LAFB", "LPFB")
"""Conduction statements the engine does not read from a paced rhythm (PACE in the rhythm codes): a
ventricular-paced QRS is wide with a bundle-branch-like shape and its own axis (right-ventricular pacing
looks like LBBB; Surawicz 2009), so such a call is withheld as undecided. Checked on LUDB 1-80: the
classifier's CLBBB (34) and CRBBB (74) on ventricular-paced records with third-degree AV block go."""

def absence_undecided(code: str, absent_leads: list[str] | tuple[str, ...], *, reduced_lead_model: bool = False,
                      qrs_ms: float | None = None, paced: bool = False) -> str | None:
    """Why a classifier's "not found" leaves ``code`` undecided on this record, or None when the absence stands.

    A statement read from leads the record lacks cannot be ruled out by a classifier that saw those
    leads as flat lines (an anterior infarction on a limb-lead record, ST elevation on a 2-lead Holter
    strip): its low probability says nothing about the missing leads. A measurement that holds on any
    lead still decides: a QRS < 120 ms excludes a complete bundle-branch block, and < 110 ms an IVCD.
    In a paced rhythm (``paced``) the QRS and ST are the pacemaker's: a conduction block
    (:data:`PACED_QRS_UNREAD`) or an infarction is no more ruled out than it is asserted.

    >>> absence_undecided("AMI", ["V1", "V2", "V3", "V4", "V5", "V6"])
    'read from lead(s) V2, V3, V4, which the record lacks (missing, disconnected or flat), and the classifier saw them as flat'
    >>> absence_undecided("IMI", [], paced=True)
    "hidden by the paced rhythm (the QRS and ST are the pacemaker's)"
    >>> absence_undecided("CRBBB", ["V1", "V6"], qrs_ms=84.0) is None
    True
    >>> absence_undecided("IMI", []) is None
    True
    """
    from medts.interpret.infarction import is_infarction

    if paced and (code in PACED_QRS_UNREAD or is_infarction(code)):
        return "hidden by the paced rhythm (the QRS and ST are the pacemaker's)"
    lacking = [lead for lead in required_leads(code, reduced_lead_model=reduced_lead_model) if lead in absent_leads]
    if not lacking:
        return None
    if qrs_ms is not None and code in ("CLBBB", "CRBBB", "IVCD") and qrs_gate({"qrs_ms": qrs_ms}, code)[0] is False:
        return None
    return (f"read from lead(s) {', '.join(lacking)}, which the record lacks (missing, disconnected or flat), and the "
            f"classifier saw {'them' if len(lacking) > 1 else 'it'} as flat")


class StatementDecision(BaseModel):
    """One statement: asserted or withheld, why, and the classifier's raw output beside it."""

    code: str
    description: str
    decision: Decision
    origin: str
    reason: str
    probability: float | None = None
    threshold: float | None = None
    classifier_present: bool | None = None
    source: str | None = None
    evidence_leads: list[str] = []
    evidence: str | None = None
    leads_needed: list[str] = []
    """The leads this statement is read from (:func:`decision_leads`); empty: any one lead."""


MEASURED_ANY_LEAD = ("PAC", "PVC")
"""Statements the engine reads from the beat sequence on whatever leads the record has
(:mod:`medts.interpret.ectopy`), like the rhythm statements."""


def decision_leads(code: str, origin: str, *, reduced_lead_model: bool = False) -> list[str]:
    """The leads a decision on ``code`` needed (empty: any one lead), as the record's output names them.

    A rhythm statement or a premature beat read from the beat sequence needs any one lead; every other
    statement needs :func:`required_leads` (the leads the reconciliation checks before asserting it).
    ``origin`` is the decision's origin (``measurement``, ``classifier``, ...).

    >>> decision_leads("LAFB", "measurement"), decision_leads("PAC", "measurement"), decision_leads("SR", "measurement")
    (['I', 'II', 'aVF'], [], [])
    """
    if code in MEASURED_ANY_LEAD and "measurement" in origin:
        return []
    return list(required_leads(code, reduced_lead_model=reduced_lead_model))


def _value(m, name: str) -> float | None:
    """A measured value from a ``Measurements`` or a ``{name: value}`` dict."""
    if isinstance(m, dict):
        return m.get(name)
    v = getattr(m, name, None)
    return None if v is None else v.value


def _reason(m, name: str, default: str) -> str:
    v = None if isinstance(m, dict) else getattr(m, name, None)
    return (v.reason if v is not None else None) or default


# The criterion of each measurement-defined statement, in words (the table above; no statement
# name, which a reader would take for a claim), quoted by the agent next to the rule's reason so
# an answer never states a limit the rule does not use alone
RULE_TEXT = {
    "LNGQT": "the criterion: QTc Bazett and Fridericia both above the sex-specific limit, with QRS < 120 ms",
    "1AVB": "the criterion: PR > 200 ms with consistent P waves",
    "VTACH": ("the criterion: ventricular tachycardia is a run of wide beats (QRS >= 120 ms) faster than 100 bpm that "
              "sinus P waves do not conduct (AHA/ACC/HRS 2017 ventricular arrhythmia guideline)"),
    "PAUSE": "the criterion: an interval of 2.0 s or more between beats (the Holter convention)",
    "PAC": "the criterion: an early beat followed by a pause, its QRS like the dominant beats, in a sinus rhythm",
    "PVC": "the criterion: an early beat followed by a pause, its QRS at least 30 ms wider than the dominant beats",
}


PACED_AV_DELAY = "the rhythm is paced: the P-to-paced-beat interval is the pacemaker's AV delay, not a PR interval"
"""Why 1AVB is left undecided in a paced rhythm (LUDB 104: third-degree AV block, P-synchronous ventricular pacing at an
AV delay of 218 ms, was asserted 1AVB once its P waves were read, 2026-12-07)."""


def first_degree_av_block(m, p_consistent: bool | None, *, paced: bool) -> tuple[bool | None, str]:
    pr = _value(m, "pr_ms")
    if pr is None:
        return None, f"PR not measured ({_reason(m, 'pr_ms', 'no consistent P waves')})"
    if not p_consistent:
        return None, f"PR {pr:.0f} ms but P waves not consistent"
    if paced:
        return None, f"PR {pr:.0f} ms, but {PACED_AV_DELAY}"
    return pr > LONG_PR_MS, f"PR {pr:.0f} ms ({'>' if pr > LONG_PR_MS else '<='} {LONG_PR_MS:.0f} ms)"


def long_qt(m, sex: str | None) -> tuple[bool | None, str]:
    qb, qf, qrs = _value(m, "qtc_bazett_ms"), _value(m, "qtc_fridericia_ms"), _value(m, "qrs_ms")
    if qb is None or qf is None:
        return None, "QTc not measured"
    limit = reference_range("qtc_bazett_ms", sex)[1]
    long_ = qb > limit and qf > limit
    text = f"QTc Bazett {qb:.0f} ms, Fridericia {qf:.0f} ms vs limit {limit:.0f} ms"
    if long_ and qrs is not None and qrs >= WIDE_QRS_MS:
        return None, f"{text}, but QRS {qrs:.0f} ms >= {WIDE_QRS_MS:.0f} ms lengthens QT (judge JT instead)"
    return long_, text


def lvh_voltage(m, sex: str | None) -> tuple[bool | None, str]:
    sl, co = _value(m, "sokolow_lyon_mv"), _value(m, "cornell_mv")
    if sl is None and co is None:
        return None, f"LVH voltages not measured ({_reason(m, 'sokolow_lyon_mv', 'leads missing')})"
    sl_hi = reference_range("sokolow_lyon_mv", sex)[1]
    co_hi = reference_range("cornell_mv", sex)[1]
    parts, hit = [], False
    if sl is not None:
        parts.append(f"Sokolow-Lyon {sl:.2f} mV (limit {sl_hi})")
        hit |= sl > sl_hi
    if co is not None:
        parts.append(f"Cornell {co:.2f} mV (limit {co_hi})")
        hit |= co > co_hi
    return hit, "; ".join(parts)


def qrs_gate(m, code: str) -> tuple[bool | None, str]:
    """Whether the measured QRS width allows ``code`` (None: QRS not measured)."""
    qrs = _value(m, "qrs_ms")
    if qrs is None:
        return None, "QRS duration not measured"
    if code in ("CLBBB", "CRBBB"):
        return qrs >= WIDE_QRS_MS, f"QRS {qrs:.0f} ms ({'>=' if qrs >= WIDE_QRS_MS else '<'} {WIDE_QRS_MS:.0f} ms needed for complete block)"
    if code in ("IRBBB", "ILBBB"):
        return qrs < WIDE_QRS_MS, f"QRS {qrs:.0f} ms ({'<' if qrs < WIDE_QRS_MS else '>='} {WIDE_QRS_MS:.0f} ms for incomplete block)"
    if code == "IVCD":
        return qrs >= IVCD_QRS_MS, f"QRS {qrs:.0f} ms ({'>=' if qrs >= IVCD_QRS_MS else '<'} {IVCD_QRS_MS:.0f} ms needed)"
    return True, f"QRS {qrs:.0f} ms"


def incomplete_rbbb_from_crbbb(m) -> tuple[bool | None, str]:
    """Whether a classifier CRBBB (a right bundle-branch pattern) reads as incomplete RBBB: QRS < 120 ms.

    AHA/ACCF/HRS 2009 part III defines incomplete RBBB by the RBBB morphology with a QRS short of the
    complete-block duration, so a right bundle-branch pattern that the QRS gate refuses as complete is
    the incomplete block, not "no block". As for a classifier IRBBB, the adult lower limit of 110 ms is not
    applied: PTB-XL's IRBBB labels (folds 1-8) sit at measured QRS 83-113 ms at 100 Hz. Checked on PTB-XL folds 1-8 (IRBBB sensitivity 0.35 -> 0.47,
    PPV 0.83 unchanged) and LUDB 1-80 (0.13 -> 0.20, PPV 0.67 -> 0.75); LUDB 81-160 and fold 9 held out.
    """
    qrs = _value(m, "qrs_ms")
    if qrs is None:
        return None, "QRS duration not measured"
    narrow = qrs < WIDE_QRS_MS
    return narrow, (f"right bundle-branch pattern (classifier CRBBB) with QRS {qrs:.0f} ms "
                    f"{'<' if narrow else '>='} {WIDE_QRS_MS:.0f} ms: "
                    f"{'incomplete' if narrow else 'complete'} right bundle-branch block")


def fascicular_gate(m, code: str) -> tuple[bool | None, str]:
    """Whether the axis (and QRS width) allow LAFB / LPFB."""
    axis = _value(m, "qrs_axis_deg")
    if axis is None:
        return None, "QRS axis not measured"
    # no QRS-width gate here: a fascicular block beside a right bundle-branch block (bifascicular
    # block) keeps its axis criterion; the narrow-QRS criterion is for an isolated fascicular block
    if code == "LAFB":
        return axis < LAD_DEG, f"QRS axis {axis:.0f} deg ({'<' if axis < LAD_DEG else '>='} {LAD_DEG:.0f} deg)"
    return axis > RAD_DEG, f"QRS axis {axis:.0f} deg ({'>' if axis > RAD_DEG else '<='} {RAD_DEG:.0f} deg)"


def lafb_by_axis(m) -> tuple[bool | None, str]:
    axis, qrs = _value(m, "qrs_axis_deg"), _value(m, "qrs_ms")
    if axis is None or qrs is None:
        return None, "QRS axis or duration not measured"
    return (-90.0 <= axis <= LAFB_AXIS_DEG and qrs < WIDE_QRS_MS,
            f"QRS axis {axis:.0f} deg (LAFB: -45 to -90 deg), QRS {qrs:.0f} ms")


def _ventricular_tachycardia_excluded(f, hr: float | None, qrs: float | None,
                                      child: bool) -> tuple[bool | None, str, bool, str | None]:
    """``put`` arguments for VTACH: absent when the rate is not fast, the QRS is narrow or sinus P waves conduct every
    beat; otherwise (a wide-complex tachycardia, or a child's record) undecided, never asserted from measurements."""
    if child:
        return None, "hr_bpm", True, None
    if hr is not None and hr <= TACHY_BPM:
        return False, "hr_bpm", True, f"heart rate {hr:.0f} bpm, not above {TACHY_BPM:.0f} bpm"
    if qrs is not None and qrs < WIDE_QRS_MS:
        return False, "qrs_ms", True, f"QRS {qrs:.0f} ms, narrow (below {WIDE_QRS_MS:.0f} ms)"
    if f.rhythm.sinus:
        return False, "rhythm_label", True, f"the measured rhythm is {f.rhythm.label}: {f.rhythm.reason}"
    return None, "hr_bpm", True, None


def pause_between_beats(longest_rr_ms: float | None) -> tuple[bool | None, str]:
    """Whether a 10 s record shows a pause: absent when every interval between detected beats is shorter than
    :data:`medts.interpret.longterm.PAUSE_S` (the Holter convention, 2.0 s); a longer one is not asserted (None): it
    may be a pause or a beat the detector missed, so its length is said instead."""
    from medts.interpret.longterm import PAUSE_S

    if longest_rr_ms is None:
        return None, "too few beats to measure the intervals between them"
    seconds = longest_rr_ms / 1000.0
    if seconds < PAUSE_S:
        return False, f"the longest interval between beats is {seconds:.2f} s"
    return None, (f"the longest interval between detected beats is {seconds:.2f} s: a pause ({PAUSE_S:.1f} s or longer), "
                  "or a beat not detected - check the tracing")


def measured_statements(f) -> dict[str, dict]:
    """What the measurements of :class:`~medts.interpret.reconcile.Findings` ``f`` say about statements.

    ``{code: {"present": bool, "field": measurement, "decisive": bool}}`` (``present`` None: the rule could not
    decide, said with its reason: a long gap between beats may be a pause or a missed beat). ``decisive``: the
    measurement settles the statement whatever a classifier says (a rate of 90 bpm is not
    tachycardia); otherwise it only supports it (sinus P waves support SR). Pseudo-codes:
    TACHY/BRADY (rate alone), IRREG/RREG (RR pattern), AXIS_* (axis category), WIDEQRS, VCLVH, VTACH (ventricular
    tachycardia) and PAUSE (both only ever absent here).
    The grounding check of the agent reads this instead of keeping its own thresholds.
    """
    values = {fl.name: fl.value for fl in f.flags}
    out: dict[str, dict] = {}

    def put(code: str, present: bool | None, field: str, decisive: bool, reason: str | None = None,
            undecided: bool = False) -> None:
        if present is not None or undecided:  # undecided: said as such ("present": None), with the rule's reason
            out[code] = {"present": None if present is None else bool(present), "field": field, "decisive": decisive}
            if reason is not None:  # the rule's own deciding facts, for a surface to quote
                out[code].update(reason=reason, rule=RULE_TEXT[code])

    hr, qrs = values.get("hr_bpm"), values.get("qrs_ms")
    codes = set(f.rhythm.codes)
    child = is_child(f.age_years)  # adult rate, PR, axis and voltage limits do not apply: those stay undecided
    if hr is not None and not child:
        put("TACHY", hr > TACHY_BPM, "hr_bpm", True)
        put("BRADY", hr < BRADY_BPM, "hr_bpm", True)
        put("STACH", "STACH" in codes, "hr_bpm", hr <= TACHY_BPM)
        put("SBRAD", "SBRAD" in codes, "hr_bpm", hr >= BRADY_BPM)
    if f.rhythm.sinus:
        put("SR", True, "rhythm.p_wave_fraction", False)
    if f.rhythm.code == "AFIB":
        put("AFIB", True, "rhythm_label", False)
        put("AFLT", False, "rhythm_label", False)
    elif f.rhythm.code == "AFLT":
        put("AFLT", True, "rhythm_label", False)
        put("AFIB", False, "rhythm_label", False)
    elif f.rhythm.p_waves_consistent:
        put("AFIB", False, "rhythm.p_wave_fraction", False)
        put("AFLT", False, "rhythm.p_wave_fraction", False)
    if f.rhythm.regular is not None:
        put("IRREG", not f.rhythm.regular, "rr_irregular", False)
        put("RREG", f.rhythm.regular, "rr_irregular", False)
    long_, why = long_qt(values, f.sex)
    put("LNGQT", long_, "qtc_bazett_ms", True, why)
    avb, why = first_degree_av_block(values, f.rhythm.p_waves_consistent, paced="PACE" in f.rhythm.codes)
    put("1AVB", None if child else avb, "pr_ms", True, why)
    if f.axis.category is not None:
        for name, code in (("normal axis", "AXIS_NORMAL"), ("left axis deviation", "AXIS_LEFT"),
                           ("right axis deviation", "AXIS_RIGHT"), ("extreme axis deviation", "AXIS_EXTREME")):
            put(code, f.axis.category == name, "qrs_axis_category", True)
    put("VCLVH", None if child else lvh_voltage(values, f.sex)[0], "flags", True)
    if qrs is not None and (qrs >= WIDE_QRS_MS or not child):  # 120 ms is wide at any age, not the only width
        put("WIDEQRS", qrs >= WIDE_QRS_MS, "qrs_ms", True)
    # premature beats: the engine reads them from the beat sequence on any lead (medts.interpret.ectopy), so its
    # "none" decides where a classifier that saw missing leads as flat lines cannot
    put("VTACH", *_ventricular_tachycardia_excluded(f, hr, qrs, child))
    pause, why = pause_between_beats(f.rhythm.features.longest_rr_ms)
    put("PAUSE", pause, "rhythm.longest_rr_ms", True, why, undecided=f.rhythm.features.longest_rr_ms is not None)
    if f.ectopy is not None:
        put("PAC", f.ectopy.pac, "ectopy", True, f.ectopy.reason, undecided=True)
        put("PVC", f.ectopy.pvc, "ectopy", True, f.ectopy.reason, undecided=True)
    return out
