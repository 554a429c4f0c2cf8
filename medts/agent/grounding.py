"""Grounding check: every number with a unit and every diagnostic statement in an answer must
match a tool result; unmatched claims are removed (or flagged) and matched ones cited.

Facts are read from the tool trace (:class:`medts.agent.tools.ToolCall`): every numeric leaf of
every result, with its unit (a sibling ``unit`` field or the unit suffix of the nearest key:
``qtc_bazett_ms`` -> ms), plus statement facts (classifier present/absent codes and rhythm,
interval and axis features from the measurements). Keys containing ``untrusted`` (text from the
input file) are never facts.

Claims are found with regular expressions: ``<number> <unit>`` (bpm, ms, s, mV, deg/°, %, Hz,
years, beats, leads, min) and statement phrases (a lexicon from :data:`medts.labels.STATEMENTS` plus
common synonyms), with negation (``no``, ``not``, ``without``...) in the same clause. A number
matches a fact of the same unit within :data:`TOLERANCE` (ms<->s converted; % also matches
probabilities and fractions x100). A positive statement matches a classifier ``present`` code (or
a measurement that shows it, e.g. QTc above the limit for long QT); a negative one matches a code
the classifier evaluated and found absent (or the measurement showing it is absent). Statements a
measurement defines (long QT, tachycardia, first-degree AV block, axis deviation, wide QRS) are
decided by the measurement unless the sentence reports the classifier's output. Qualitative
claims about a measurement ("the QTc is prolonged", "normal heart rate", "PR within the range")
must agree with that measurement's reference-range flag (:func:`find_qualifiers`). A statement's
own description written out ("CD (conduction disturbance (..., WPW, ...))") is one mention of it.

Example
-------
>>> from medts.agent.tools import ToolCall
>>> trace = [ToolCall("measurements", {}, {"tool": "measurements", "hr_bpm": {"value": 72.4, "unit": "bpm"}}, 0.1)]
>>> g = ground_answer("The heart rate is 72 bpm. The QTc is 500 ms.", trace)
>>> g.text
'The heart rate is 72 bpm [measurements.hr_bpm].'
>>> g.n_ungrounded
1
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

# unit -> (absolute tolerance, relative tolerance); a claim matches when |claim - fact| <= max(abs, rel*|fact|)
TOLERANCE: dict[str, tuple[float, float]] = {
    "bpm": (1.0, 0.01), "ms": (2.0, 0.01), "s": (0.02, 0.01), "mV": (0.02, 0.03), "deg": (2.0, 0.0),
    "%": (1.0, 0.0), "Hz": (0.5, 0.0), "": (0.5, 0.01), "years": (0.5, 0.0), "beats": (0.0, 0.0), "leads": (0.0, 0.0),
    "min": (0.05, 0.0),
}

_UNIT_WORDS = [
    (r"bpm|beats?\s*(?:per|/)\s*min(?:ute)?|/min", "bpm"),
    (r"ms|msec|milliseconds?", "ms"),
    (r"mV|millivolts?", "mV"),
    (r"°|degrees?|deg", "deg"),
    (r"%|percent", "%"),
    (r"Hz|hertz", "Hz"),
    (r"years?(?:\s*old)?|-year-old|yrs?", "years"),
    (r"s|sec|seconds?", "s"),
    (r"beats?", "beats"),
    (r"leads?", "leads"),
    (r"minutes?|mins?", "min"),  # only the whole-recording tool reports one (duration_minutes)
    # units no tool reports: such claims can never be grounded (small models invent them)
    (r"hours?|days?|weeks?|months?|cm|mm|kg|mmHg|times", "other"),
]
_NUMBER_UNIT = re.compile(
    r"(?<![\w.])(?<!\w\+)([-+−]?\d+(?:\.\d+)?)\s*(" + "|".join(f"(?:{w})" for w, _ in _UNIT_WORDS) + r")(?![\w])",
    re.IGNORECASE,
)
_KEY_UNITS = (("_ms", "ms"), ("_bpm", "bpm"), ("_deg", "deg"), ("_mv", "mV"), ("_s", "s"), ("_hz", "Hz"), ("_minutes", "min"),
              ("_pct", "%"), ("_years", "years"), ("probability", "probability"), ("_fraction", "fraction"),
              ("_cv", "fraction"), ("irregularity", "fraction"),
              ("threshold", "probability"))


def canonical_unit(word: str) -> str:
    for pattern, unit in _UNIT_WORDS:
        if re.fullmatch(pattern, word.strip(), re.IGNORECASE):
            return unit
    return word


@dataclass(frozen=True)
class Fact:
    """A numeric value from a tool result: ``tool.path`` = ``value`` ``unit``."""

    tool: str
    path: str
    value: float
    unit: str
    # What the number is about, when its place in the result says so: the statement code of a
    # classifier entry ("classify.statements[4].probability" -> "AFIB") and the lead of a per-lead
    # value ("st_j60_mv.aVF" -> "aVF"). A claim naming another statement or lead cannot cite it.
    code: str | None = None
    lead: str | None = None

    @property
    def citation(self) -> str:
        path = self.path.removesuffix(".value")
        return f"{self.tool}.{path}"


class Claim(BaseModel):
    """One claim found in an answer and whether a tool result supports it."""

    text: str
    kind: Literal["number", "statement", "qualifier", "citation", "safety", "verdict"]
    value: float | None = None
    unit: str | None = None
    code: str | None = None
    negated: bool = False
    grounded: bool
    citation: str | None = None


class GroundedAnswer(BaseModel):
    """The checked answer: final ``text`` plus every claim, grounded or not."""

    text: str
    original: str
    claims: list[Claim]
    removed: list[str]
    n_claims: int
    n_ungrounded: int
    mode: Literal["remove", "flag"]

    @property
    def citations(self) -> list[str]:
        return sorted({c.citation for c in self.claims if c.grounded and c.citation})


# ---------------------------------------------------------------------------------------------
# Facts from the tool trace
# ---------------------------------------------------------------------------------------------
def _key_unit(key: str) -> str | None:
    k = key.lower()
    if k.startswith("n_") and "beat" in k:
        return "beats"
    if k.startswith("n_") and "lead" in k:
        return "leads"
    if k in ("age_years",):
        return "years"
    for suffix, unit in _KEY_UNITS:
        if k.endswith(suffix):
            return unit
    return None


LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def numeric_facts(tool: str, data: Any, path: str = "", unit: str | None = None,
                  code: str | None = None, lead: str | None = None) -> list[Fact]:
    """Every finite number in ``data`` with its unit (None-unit numbers are skipped), the
    statement code and lead it belongs to (see :class:`Fact`)."""
    out: list[Fact] = []
    if isinstance(data, dict):
        local_unit = data.get("unit") if isinstance(data.get("unit"), str) else None
        code = data["code"] if isinstance(data.get("code"), str) else code
        for key, value in data.items():
            if "untrusted" in str(key):
                continue
            sub = f"{path}.{key}" if path else str(key)
            u = _key_unit(str(key)) or (local_unit if key == "value" else None) or unit
            out += numeric_facts(tool, value, sub, u, code, key if key in LEADS else lead)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += numeric_facts(tool, value, f"{path}[{i}]", unit, code, lead)
    elif isinstance(data, (int, float)) and not isinstance(data, bool) and math.isfinite(data):
        unit = unit or ""  # unit-less numbers (counts) can only ground bare numbers
        keep = unit in ("probability", "fraction", "ratio")
        out.append(Fact(tool, path, float(data), unit if keep else canonical_unit(unit), code, lead))
    return out


def reason_texts(data: Any) -> list[str]:
    """The tools' own ``reason`` (and ``rule``) texts (e.g. "QRS onsets spread 102 ms"). They are never evidence
    for a number; a sentence quoting one verbatim (a fact line saying why a value is missing)
    makes no claim with the numbers inside the quote."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            # a rule's criterion in words ("long QT needs ... both above the limit") is quotable too
            if key in ("reason", "rule", "rhythm_reason", "not_judged_for_age") and isinstance(value, str) and value.strip():
                out.append(value.strip())
            elif "untrusted" not in str(key):
                out += reason_texts(value)
    elif isinstance(data, list):
        for value in data:
            out += reason_texts(value)
    return out


def glossary_facts(trace: Iterable[Any]) -> list[Fact]:
    """Numbers with units inside the glossary's criteria texts (limits, never measurements)."""
    out = []
    for call in trace:
        if call.name != "glossary":
            continue
        for i, entry in enumerate(call.result.get("entries") or []):
            for field_name in ("description", "typical_criteria"):
                for _, value, unit in find_numbers(str(entry.get(field_name, ""))):
                    out.append(Fact("glossary", f"entries[{i}].{field_name}", value, unit))
    return out


@dataclass
class StatementFacts:
    """Codes supported as present / absent, each with the citation that supports it."""

    present: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    defined: dict[str, str] = field(default_factory=dict)
    # Statements defined by a measurement (QTc above its limit is long QT, HR > 100 bpm is
    # tachycardia...): the measurement decides them, whatever the classifier says, unless the
    # sentence reports the classifier's own output. code -> (present, citation)
    measured: dict[str, tuple[bool, str]] = field(default_factory=dict)
    # Reference-range flags of measurements: citation "measurements.flags.qtc_bazett_ms" -> "normal"/"high"/"low"
    flags: dict[str, str] = field(default_factory=dict)
    # Statements the engine withheld as undecided (:func:`medts.interpret.reconcile.undetermined`):
    # neither present nor absent; only a "cannot tell" sentence may name them
    undecided: dict[str, str] = field(default_factory=dict)


def statement_facts(trace: Iterable[Any]) -> StatementFacts:
    """Present/absent statements from classifier results and measurement features."""
    from medts.labels import STATEMENTS

    facts = StatementFacts()
    for call in trace:
        r, tool = call.result, call.name
        if not r.get("available", True):
            continue
        if tool == "classify":
            present = set(r.get("present") or [])
            for code in present:
                facts.present.setdefault(code, "classify.present")
                cls = STATEMENTS[code].diagnostic_class if code in STATEMENTS else None
                if cls:
                    facts.present.setdefault(cls, f"classify.present ({code})")
            for code in r.get("evaluated_codes") or []:
                if code not in present:
                    facts.absent.setdefault(code, f"classify.statements ({code} below threshold)")
        elif tool == "measurements":
            _measurement_statements(r, facts, "measurements")
        elif tool == "glossary":  # definitions: statements named in them may be mentioned
            for e in r.get("entries") or []:
                facts.defined[e["code"]] = "glossary.entries"
                for _, code, _ in find_statements(f"{e.get('description', '')}. {e.get('typical_criteria', '')}"):
                    facts.defined.setdefault(code, "glossary.entries")
        elif tool == "whole_recording":  # the long record as a whole: its own present/absent codes
            for code in r.get("present") or []:
                facts.present.setdefault(code, f"whole_recording.present ({code})")
            for code in r.get("absent") or []:
                facts.absent.setdefault(code, f"whole_recording.absent ({code})")
        elif tool == "compare":
            st = r.get("statements") or {}
            for code in (st.get("new") or []) + (st.get("unchanged") or []):
                facts.present.setdefault(code, "compare.statements")
            for code in st.get("resolved") or []:  # present before, absent now: may be named as resolved
                facts.defined.setdefault(code, "compare.statements.resolved")
    for call in trace:  # last: the engine's reconciled statements overrule the raw classifier
        if call.name == "interpretation" and call.result.get("available", True):
            _interpretation_statements(call.result, facts)
    for call in trace:
        if call.name == "measurements" and call.result.get("not_judged_for_age"):
            _child_statements(facts)
    _unread_absences(trace, facts)
    for code, cite in facts.undecided.items():  # a rule the engine could not decide outranks a classifier's "not found"
        if cite.startswith("measurements.") and code not in facts.present:
            facts.absent.pop(code, None)
    return facts


def _unread_absences(trace: Iterable[Any], facts: StatementFacts) -> None:
    """A classifier's "not found" on a statement read from leads the record lacks, or on a block or an infarction in a
    paced rhythm, is no absence (:func:`medts.interpret.statements.absence_undecided`): only a "cannot tell" sentence may
    name it."""
    from medts.interpret.statements import absence_undecided

    calls = {call.name: call.result for call in trace if call.result.get("available", True)}
    c = calls.get("classify")
    paced = any(s["code"] == "PACE" for s in (calls.get("interpretation") or {}).get("asserted") or [])
    if not c or not (c.get("absent_leads") or paced):
        return
    qrs = ((calls.get("measurements") or {}).get("qrs_ms") or {}).get("value")
    for code, cite in list(facts.absent.items()):
        why = cite.startswith("classify.statements") and absence_undecided(
            code, c.get("absent_leads") or [], reduced_lead_model=bool(c.get("reduced_lead_model")), qrs_ms=qrs,
            paced=paced)
        if why:
            del facts.absent[code]
            facts.undecided[code] = "interpretation.asserted (PACE)" if why.startswith("hidden by the paced") \
                else "classify.absent_leads"


def _child_statements(facts: StatementFacts) -> None:
    """A child's record: what adult limits would decide is undecided unless asserted
    (:func:`medts.interpret.reconcile.child_undecided`), so no sentence may say "no tachycardia" at 126 bpm."""
    from medts.interpret.reconcile import child_undecided

    measured = {code for code, (present, _) in facts.measured.items() if present}
    asserted = {code for code, cite in facts.present.items() if cite.startswith("interpretation.asserted")}
    for code in child_undecided(asserted, measured) - set(facts.present):
        facts.absent.pop(code, None)
        facts.measured.pop(code, None)
        facts.undecided[code] = "measurements.not_judged_for_age"


def _interpretation_statements(r: dict[str, Any], facts: StatementFacts) -> None:
    """The engine's decisions (:mod:`medts.interpret`, the ``interpretation`` tool): an asserted
    statement is present, a withheld one absent, whatever the raw classifier said; a superclass
    is present only through an asserted member."""
    from medts.interpret.reconcile import undetermined
    from medts.labels import STATEMENTS, SUPERCLASSES

    asserted = [s["code"] for s in r.get("asserted") or []]
    for code in asserted:
        facts.absent.pop(code, None)
        facts.present[code] = f"interpretation.asserted ({code})"
    for s in r.get("withheld") or []:
        facts.present.pop(s["code"], None)
        if undetermined(s["code"], str(s.get("reason") or "")):
            # withheld because medts could not decide it (PR not measured, a lacking lead, a paced
            # rhythm hiding the atrial rhythm): no tool may then say it is absent either
            facts.absent.pop(s["code"], None)
            facts.measured.pop(s["code"], None)
            facts.undecided[s["code"]] = f"interpretation.withheld ({s['code']})"
            continue
        facts.absent[s["code"]] = f"interpretation.withheld ({s['code']})"
    for cls in SUPERCLASSES:
        members = [c for c in asserted if c == cls or (c in STATEMENTS and STATEMENTS[c].diagnostic_class == cls)]
        if members:
            facts.present[cls] = f"interpretation.asserted ({members[0]})"
        elif cls != "NORM":
            facts.present.pop(cls, None)


def _measured(facts: StatementFacts, code: str, present: bool, citation: str) -> None:
    facts.measured.setdefault(code, (present, citation))
    (facts.present if present else facts.absent).setdefault(code, citation)


def _measurement_statements(r: dict[str, Any], facts: StatementFacts, tool: str) -> None:
    """Statements the measurements settle or support, as decided by the engine
    (``measured_statements`` of the measurements tool, :func:`medts.interpret.statements.measured_statements`)."""
    for key, flag in (r.get("flags") or {}).items():
        if isinstance(flag, str):
            facts.flags.setdefault(f"{tool}.flags.{key}", flag)
    for code, s in (r.get("measured_statements") or {}).items():
        cite = f"{tool}.{s['field']}"
        if s["present"] is None:
            facts.undecided.setdefault(code, cite)
        elif s["decisive"]:
            _measured(facts, code, s["present"], cite)
        else:
            (facts.present if s["present"] else facts.absent).setdefault(code, cite)


# ---------------------------------------------------------------------------------------------
# Claims in text
# ---------------------------------------------------------------------------------------------
# Synonyms beyond the built-in descriptions; pseudo-codes cover measurement findings.
NOT_A_WORD_MI = (r"(?!(?<=(?-i:Mi|mi))\s+(?:left|right|sinus|atrial|first|1st|complete|incomplete|bundle|QTc?|QRS|PR|"
                  r"heart|axis|long|normal)\b)"
                  # heldout55: "ECG mi enyene LVH?" (Efik "this ECG"), creole "Tel mi ol yu rul" (tell me)
                  + "".join(rf"(?<!(?i:{word}) (?-i:mi))" for word in ("ECG", "EKG", "tel", "tell", "gib", "give", "show", "for", "to")))
"""After "MI": "Mi" or "mi" before another finding's name, after "ECG" or after a verb that takes "me" is a word of another
language or an English creole, not myocardial infarction."""
SYNONYMS: dict[str, tuple[str, ...]] = {
    "AFIB": (r"atrial fibrillation", r"a-?fib", r"\bAF\b", r"(?-i:\bf[- ]waves?\b)", r"\bfibrillatory waves?\b"),
    "AFLT": (r"atrial flutter", r"\bAFL\b"),
    # "LV hypertrophy", "RV wall thickening", "hypertrophy of the LV" (heldout49)
    **{code: (rf"{side} ventricular hypertrophy",
              rf"\b{letter}V\b(?:\s+(?:wall|muscle|free wall))?\s+(?:hypertroph\w*|enlarge\w*|thicken\w*)",
              rf"\b(?:hypertroph\w*|enlarge\w*|thicken\w*)\s+(?:of|in)\s+(?:the\s+)?{letter}V\b")
       for code, side, letter in (("LVH", "left", "L"), ("RVH", "right", "R"))},
    # "right bundle block", "RBB block": the word "branch" left out
    "CRBBB": (r"(?:complete )?right bundle(?:[- ]branch)? block", r"\bRBBB\b", r"\bRBB block\b"),
    "CLBBB": (r"(?:complete )?left bundle(?:[- ]branch)? block", r"\bLBBB\b", r"\bLBB block\b"),
    "IRBBB": (r"incomplete right bundle(?:[- ]branch)? block", r"incomplete RBB block\b"),
    "ILBBB": (r"incomplete left bundle(?:[- ]branch)? block", r"incomplete LBB block\b"),
    # AVB / "1st degree block" / "1°AVB" / "1AVB": the abbreviations of ECG reports
    # "1st deg HB": "deg" for degree, HB for heart block
    "1AVB": (r"(?:first|1st|1\s*°)[- ]?degree (?:AV |atrioventricular |heart )?block", r"(?:first|1st)[- ]degree AVB",
             r"\b(?:first|1st|1\s*°)[- ]?deg(?:ree|\.)?\s*(?:AV ?B|HB|AV block|heart block)\b",
             r"\b1\s*°?\s*AVB\b", r"\b(?:1st|first)[- ]degree\b(?!\s+(?:\w+ )?(?:burn|relative))"),
    "2AVB": (r"(?:second|2nd)[- ]degree (?:AV |atrioventricular |heart )?block", r"\b(?:2\s*°?\s*|(?:second|2nd)[- ]degree )AVB\b",
             r"\b(?:second|2nd|2\s*°)[- ]?deg(?:ree|\.)?\s*(?:AV ?B|HB|AV block|heart block)\b",
             r"\bMobitz\b", r"\bWenckebach\b"),
    "3AVB": (r"(?:third|3rd)[- ]degree (?:AV |atrioventricular |heart )?block", r"\b(?:3\s*°?\s*|(?:third|3rd)[- ]degree )AVB\b",
             r"\b(?:third|3rd|3\s*°)[- ]?deg(?:ree|\.)?\s*(?:AV ?B|HB|AV block|heart block)\b",
             r"complete (?:heart|AV|atrioventricular) block", r"\bCHB\b"),
    # heldout54: "the left front fascicle is blocked", "just the front fascicle, the hemiblock"
    "LAFB": (r"left anterior fascicular block", r"left anterior hemiblock",
             r"\b(?:left )?(?:front|anterior) fascic(?:le|ular)(?:,? (?:the )?hemiblock| block\w*| (?:is |was )?blocked)\b"),
    "LPFB": (r"left posterior fascicular block",),
    # "Any delta wave?" (the pre-excitation sign) asks WPW: it was read as a wave-delineation question
    "WPW": (r"Wolff[- ]Parkinson[- ]White", r"pre-?excitation", r"\bdelta[- ]waves?\b"),
    # a wall named before MI / infarct is the located statement ("inferior MI" claims IMI, not only MI)
    # ("inferior wall myocardial infarction", "antero-septal infarct" and "IWMI" too)
    **{code: (rf"\b{wall}(?: wall)?(?: myocardial)? (?:MI|infarcts?|infarction)\b", rf"\b{abbr}\b")
       for code, wall, abbr in (
        ("IMI", "inferior", "IWMI"), ("ASMI", "antero-?septal", "ASMI"), ("AMI", "anterior", "AWMI"),
        ("ALMI", "antero-?lateral", "ALMI"), ("ILMI", "infero-?lateral", "ILMI"), ("LMI", "lateral", "LWMI"),
        ("PMI", "posterior", "PWMI"), ("IPLMI", "infero-?postero-?lateral", "IPLMI"),
        ("IPMI", "infero-?posterior", "IPMI"))},
    # not "ECG-mi" (Greenlandic: "in the ECG") nor "Mi left anterior fascicular block ...?" (Kalenjin "is there":
    # a word written "Mi" or "mi" before another finding's name; heldout53)
    "MI": (r"myocardial infarction", r"\binfarcts?\b", r"heart[- ]attack",
           r"(?<![\w/])(?<!ECG-)(?<!EKG-)MI(?![\w/])(?!\s+(?:ECG|EKG|electro\w*)\b)" + NOT_A_WORD_MI, r"\bN?STEMI\b"),
    "STTC": (r"ST[- /]T(?:[- ]waves?)? changes?", r"ischa?emi[ac]\w*"),
    "CD": (r"conduction disturbances?",),
    "HYP": (r"\bhypertrophy\b",),
    # "This trace lies between normal limits ..." (SmolLM2, after a "No" to "Is this tracing within
    # normal limits?") claims a normal ECG, not only a heart rate in range
    "NORM": (r"normal ECG", r"normal electrocardiogram", r"\bnormal (?:tracing|EKG)\b",
             r"\b(?:ECG|EKG|trac(?:e|ing)|electrocardiogram)\b[^.;:]{0,30}\b(?:within|between|in) (?:the )?normal limits"),
    "SR": (r"(?<!no )sinus rhythm",),
    "STACH": (r"sinus tachycardia", r"\bsinus tach(?:y)?\b"),
    "SBRAD": (r"sinus bradycardia", r"\bsinus brady\b"),
    "SARRH": (r"sinus arrhythmia",),
    "TACHY": (r"tachycardi?a?c?",),
    "BRADY": (r"bradycardi?a?c?",),
    "LNGQT": (r"(?:long|prolonged) QTc?", r"QTc? prolongation", r"QTc?(?: interval)? (?:is |was )?(?:not )?(?:prolonged|long)"),
    # "supraventricular ectopic beats" (the long-recording S class) are PAC, never PVC
    "PVC": (r"premature ventricular (?:beats?|contractions?|complex(?:es)?)", r"\bPVCs?\b", r"\bventricular ectop\w+"),
    "PAC": (r"premature atrial (?:beats?|contractions?|complex(?:es)?)", r"\bPACs?\b",
            r"\bsupraventricular (?:ectop\w+|premature (?:beats?|contractions?|complex(?:es)?))"),
    # premature beats of either origin ("any ectopics?", "extra beats?"): the family of PAC and PVC; an ectopic atrial
    # rhythm or focus is no premature beat
    "ECTOPY": (r"\bectopics\b", r"\bectopic (?:beats?|complex(?:es)?|activity)", r"\bectopy\b", r"\bextra ?systol\w*",
               r"\bextra beats?\b", r"(?<!atrial )(?<!ventricular )(?<!supraventricular )\bpremature (?:beats?|complex(?:es)?|contractions?)",
               r"\bskipped beats?\b"),
    # no SCP statement: the engine only rules it out (medts.interpret.statements.measured_statements)
    "VTACH": (r"\bVT\b", r"\bV-?tach\b", r"ventricular tachy\w*"),
    "SVTAC": (r"\bSVT\b",),
    # no SCP statement: an interval of 2 s or more between beats (medts.interpret.statements.pause_between_beats)
    # asked ("any pauses?", "is there a pause?"), not named as context ("the Holter summary mentions pauses")
    "PAUSE": (r"\b(?:any|is there an?|are there(?: any)?|(?:see|show|shows|showing) (?:an?|any))\s+(?:\w+\s+)?pauses?\b",
              r"\bpauses?\s*\?", r"\bsinus (?:arrest|pause)s?\b"),
    "BIGU": (r"\bbigemin\w*",),
    "TRIGU": (r"\btrigemin\w*",),
    "DIG": (r"\b(?:digoxin|digitalis|dig)\s+(?:effect|changes?)\b",),
    "STE_": (r"ST[- ]elevation", r"ST[- ]segment elevation"),
    "STD_": (r"ST[- ]depression", r"ST[- ]segment depression"),
    "INVT": (r"inverted T[- ]waves?", r"T[- ]wave inversions?"),
    "LVOLT": (r"low (?:QRS )?voltage",),
    "VCLVH": (r"voltage criteria (?:for|of) (?:LVH|left ventricular hypertrophy)",),
    # a wandering (atrial) pacemaker is an atrial rhythm, not a device (heldout81: "sinus arrhythmia rather than wandering
    # pacemaker?" was asked as a choice with PACE)
    "PACE": (r"(?<!wandering )(?<!wandering atrial )pacemaker|paced rhythm",),
    "IRREG": (r"irregular(?:ly irregular)? (?:rhythm|RR|R-R|heartbeat)", r"(?:rhythm|RR intervals?) (?:is |are )?(?:not )?irregular"),
    "AXIS_NORMAL": (r"normal (?:QRS |electrical |cardiac )?axis",),
    "AXIS_LEFT": (r"left axis deviation",),
    "AXIS_RIGHT": (r"right axis deviation",),
    "AXIS_EXTREME": (r"extreme axis deviation",),
    "WIDEQRS": (r"(?:wide|broad|prolonged) QRS",),
    # heldout79: "any conduction block in the bundles?"
    "BBB": (r"bundle[- ]branch blocks?", r"\bBBB\b", r"\bblock(?:s|ed|age)? (?:in|of) (?:the |either |both |his |her )?bundles?\b"),
    "RREG": (r"\bregular (?:rhythm|RR|R-R|heartbeat|rate)", r"(?:rhythm|RR(?: intervals?)?|R-R(?: intervals?)?) (?:is |are )?regular"),
}
WALLS: dict[str, tuple[str, ...]] = {"AMI": ("ASMI", "ALMI"), "IMI": ("ILMI", "IPLMI", "IPMI"), "LMI": ("ALMI", "ILMI", "IPLMI")}
"""An infarct of a wall is there when an infarct spanning it and another wall is (heldout72's first run: "is that an
anterior infarct?" got "No" beside an asserted anteroseptal infarction); each wall is a statement of its own too."""
# Pseudo-codes that are implied by a more specific code (a claim of TACHY is grounded by STACH...).
IMPLIED_BY: dict[str, tuple[str, ...]] = {
    "TACHY": ("STACH", "SVTAC", "PSVT", "VTACH"), "BRADY": ("SBRAD",), "IRREG": ("AFIB", "SARRH"),
    "SR": ("STACH", "SBRAD", "SARRH"), "HYP": ("LVH", "RVH", "SEHYP"), "WIDEQRS": ("CLBBB", "CRBBB", "IVCD"),
    "BBB": ("CLBBB", "CRBBB", "ILBBB", "IRBBB"), "ECTOPY": ("PAC", "PVC"),
    # a superclass is absent when every statement of it is (the classifier evaluates all 71)
    "MI": ("IMI", "ASMI", "ILMI", "AMI", "ALMI", "INJAS", "LMI", "INJAL", "IPLMI", "IPMI", "INJIN", "INJLA", "PMI", "INJIL"),
    "STTC": ("NDT", "NST_", "DIG", "LNGQT", "ISC_", "ISCAL", "ISCIN", "ISCIL", "ISCAS", "ISCLA", "ANEUR", "EL", "ISCAN"),
    "CD": ("LAFB", "IRBBB", "1AVB", "IVCD", "CRBBB", "CLBBB", "LPFB", "WPW", "ILBBB", "3AVB", "2AVB"),
    **WALLS,
}
_NEGATION = re.compile(
    r"\b(no|not|without|absent|negative for|rules? out|ruled out|unlikely|neither|nor|isn'?t|doesn'?t|"
    r"does not|do not|cannot|can't|no evidence of|free of|never|none)\b", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"[;,:]|\bbut\b|\bwhile\b|\bwhereas\b|\bhowever\b", re.IGNORECASE)


def _statement_patterns() -> list[tuple[re.Pattern, str]]:
    from medts.labels import STATEMENTS

    patterns: list[tuple[str, str]] = []
    for code, alts in SYNONYMS.items():
        patterns += [(alt, code) for alt in alts]
    for code, st in STATEMENTS.items():
        phrase = st.description.split("(")[0].strip()
        if len(phrase.split()) >= 2 and "without" not in phrase and "unspecified" not in phrase:
            patterns.append((re.escape(phrase), code))
    compiled = [(re.compile(p, re.IGNORECASE), c) for p, c in patterns]
    # SCP codes written as codes (whole word): in any case ("lvh y/n", "lafb present??"), except the
    # codes that are English words in lower case ("dig", "pace"), and "norm" after an article or
    # preposition ("within the norm" is not a normal ECG)
    for code in STATEMENTS:
        if len(code.rstrip("_")) >= 3:
            word = r"(?<![\w/])" + re.escape(code) + r"(?![\w/])"
            if code in _ENGLISH_WORD_CODES:
                compiled.append((re.compile(word), code))
            else:
                compiled.append((re.compile(_AFTER_ARTICLE.get(code, "") + word, re.IGNORECASE), code))
    return compiled


_ENGLISH_WORD_CODES = frozenset({"DIG", "PACE"})
"""SCP codes read only as written (upper case): in lower case they are English words."""
_AFTER_ARTICLE = {"NORM": r"(?<!\bthe )(?<!\ba )(?<!\bof )(?<!\bfrom )"}
"""SCP codes that are English nouns after an article or preposition ("within the norm")."""


_PATTERNS: list[tuple[re.Pattern, str]] | None = None


def find_statements(sentence: str) -> list[tuple[str, str, bool]]:
    """``(matched text, code, negated)`` for each statement mention (longest match wins).

    A statement's own description written out (``"CD (conduction disturbance (bundle branch or
    fascicular block, AV block, WPW, ...))"``) is one mention of that statement: the example
    codes listed inside it (WPW) are part of its name, not statements asserted on their own."""
    return [(text, code, neg) for _, _, text, code, neg in statement_mentions(sentence)]


def statement_mentions(sentence: str) -> list[tuple[int, int, str, str, bool]]:
    """``(start, end, matched text, code, negated)`` for each statement mention, in text order
    (see :func:`find_statements`)."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _statement_patterns()
    described = description_spans(sentence)
    taken: list[tuple[int, int]] = [(a, b) for a, b, _ in described]
    found = [(a, b, sentence[a:b], code, _negated(sentence, a, b, description=True)) for a, b, code in described]
    matches = [(m, code) for pattern, code in _PATTERNS for m in pattern.finditer(sentence)]
    matches.sort(key=lambda mc: -(mc[0].end() - mc[0].start()))  # longest match first
    for m, code in matches:
        if any(m.start() < b and a < m.end() for a, b in taken):
            continue
        taken.append((m.start(), m.end()))
        found.append((m.start(), m.end(), m.group(0), code, _negated(sentence, m.start(), m.end())))
    return sorted(found)


@functools.cache
def _descriptions() -> tuple[tuple[re.Pattern, str], ...]:
    """Patterns of the descriptions medts writes for statement, subclass and superclass codes
    (:func:`medts.classify.predict.describe_label`; those with parentheses or commas, whose
    inner words could read as other statements), longest first."""
    from medts.classify.outputs import describe_label
    from medts.labels import STATEMENTS, SUPERCLASSES

    codes = [*STATEMENTS, *SUPERCLASSES, *sorted({s.diagnostic_subclass for s in STATEMENTS.values()
                                                  if getattr(s, "diagnostic_subclass", None)})]
    texts: dict[str, str] = {}
    for code in codes:
        text = describe_label(code)
        if text and re.search(r"[(,:]", text):
            texts.setdefault(text, code)
    ordered = sorted(texts.items(), key=lambda tc: -len(tc[0]))
    return tuple((re.compile(re.escape(t), re.IGNORECASE), c) for t, c in ordered)


def description_spans(sentence: str) -> list[tuple[int, int, str]]:
    """``(start, end, code)`` of statement descriptions written out in ``sentence`` (see
    :func:`find_statements`); non-overlapping, longest first."""
    out: list[tuple[int, int, str]] = []
    for pattern, code in _descriptions():
        for m in pattern.finditer(sentence):
            if not any(m.start() < b and a < m.end() for a, b, _ in out):
                out.append((m.start(), m.end(), code))
    return out


@functools.cache
def _statement_names() -> frozenset[str]:
    """Lower-case statement descriptions: a "not" inside one is part of its name
    ("ischaemic ST-T changes, location not specified"), not a negation."""
    from medts.labels import STATEMENTS

    return frozenset(st.description.split("(")[0].strip().lower() for st in STATEMENTS.values())


# After a narrow negation ("without P waves"), these end its scope: what follows is asserted
# ("irregular rhythm without P waves, typical of atrial fibrillation").
_SCOPE_END = re.compile(r"\(|\bsuggest\w*|\bindicat\w*|\b(?:consistent|compatible) with\b|\btypical of\b|"
                        r"\bcharacteristic of\b|\bas in\b|\bas seen in\b|\bpointing to\b|\bi\.e\.", re.IGNORECASE)


def _negated(sentence: str, start: int, end: int, *, description: bool = False) -> bool:
    """A negation cue in the same clause before the mention, or inside/just after it ("is not").

    A negation governs what follows it up to the mention unless its scope ends first: a
    parenthesis that glosses a phrase with no statement in it ("without consistent P waves
    (atrial fibrillation)": the gloss names what the absence of P waves means), or, after
    "without", a word such as "suggesting" / "typical of". ``description``: the mention is a
    statement description, whose inner "not"/"without" are part of its name."""
    clause_start = 0
    for m in _CLAUSE_SPLIT.finditer(sentence[:start]):
        clause_start = m.end()
    before = sentence[clause_start:start]
    after = re.split(r"[;,.:]", sentence[end:], maxsplit=1)[0][:25]
    inside = sentence[start:end]
    cues = list(_NEGATION.finditer(before))
    negated_before = bool(cues) and not _scope_ended(before[cues[-1].end():], cues[-1].group(0))
    return bool(negated_before
                or (not description and _NEGATION.search(inside) and inside.lower() not in _statement_names())
                or re.match(r"\s*(?:is|was|are)?\s*(?:not|absent)\b", after, re.IGNORECASE))


def _scope_ended(between: str, cue: str) -> bool:
    """Whether the negation ``cue`` no longer governs a mention that follows ``between``."""
    for m in _SCOPE_END.finditer(between):
        if m.group(0) == "(":
            inner = between[:m.start()]
            # "does not find SR (sinus rhythm)": a code just before the gloss keeps the scope
            code = re.search(r"\b([A-Z][A-Z0-9_]+)\s*$", inner)
            named = code is not None and _is_code(code.group(1))
            if inner.strip() and not named and not _mentions_statement(inner):
                return True
        elif cue.lower() == "without":
            return True
    return False


def _is_code(token: str) -> bool:
    """Whether ``token`` is a statement code or a pseudo-code (SR, LVH, AXIS_LEFT...)."""
    from medts.labels import STATEMENTS

    return token in STATEMENTS or token in SYNONYMS or token in IMPLIED_BY


def _mentions_statement(text: str) -> bool:
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _statement_patterns()
    return any(p.search(text) for p, _ in _PATTERNS)


def find_numbers(sentence: str) -> list[tuple[str, float, str]]:
    """``(matched text, value, canonical unit)`` for each number with a unit."""
    return [(text, value, unit) for text, value, unit, _ in _numbers_with_keys(sentence)]


_BARE_NUMBER = re.compile(r"(?<![\w.+\-/])(\d+(?:\.\d+)?)(?![\w%°/]|\.\d|-\w)")


def _numbers_with_keys(sentence: str) -> list[tuple[str, float, str, tuple[str, ...] | None]]:
    """Numbers with units, then bare numbers (unit ``""``) outside them."""
    return [(text, value, unit, keys) for text, value, unit, keys, _ in _numbers_in_context(sentence)]


def _numbers_in_context(sentence: str, skip: list[tuple[int, int]] | None = None, *, with_start: bool = False
                        ) -> list[tuple]:
    """``(text, value, unit, quantity keys, stated as a limit)`` for each number outside the
    ``skip`` spans (statement descriptions: "faster than 100 bpm" in the STACH description is
    part of its name, not a claim about this ECG)."""
    out, spans = [], list(skip or [])
    for m in _NUMBER_UNIT.finditer(sentence):
        if any(a <= m.start() < b for a, b in spans):
            continue
        value = float(m.group(1).replace("−", "-").replace("+", ""))
        out.append((m.start(), m.group(0), value, canonical_unit(m.group(2)), quantity_keys(sentence, m.start(), m.end()),
                    limit_context(sentence, m.start(), m.end())))
        spans.append((m.start(), m.end()))
    for m in _BARE_NUMBER.finditer(sentence):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append((m.start(), m.group(0), float(m.group(1)), "", quantity_keys(sentence, m.start(), m.end()),
                    limit_context(sentence, m.start(), m.end())))
    return out if with_start else [row[1:] for row in out]


def _close(claim: float, fact: float, unit: str) -> bool:
    a, r = TOLERANCE.get(unit, (0.0, 0.0))
    return abs(claim - fact) <= max(a, r * abs(fact)) + 1e-9


# Quantity words -> substrings of the fact paths they may cite (checked in this order).
QUANTITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"probabilit\w*|likelihood|confidence|\bp\s*=", ("probability", "threshold")),
    (r"threshold", ("threshold",)),
    (r"limit|upper|lower|normal range|reference|cut-?off", ("reference_limits",)),
    (r"\bQRS axis|electrical axis|cardiac axis|heart axis|\bQRS\b[^.,;]{0,20}\baxis", ("qrs_axis",)),
    (r"\bP[- ]?(?:wave )?axis", ("p_axis",)),
    (r"\bT[- ]?(?:wave )?axis", ("t_axis",)),
    (r"axis", ("axis",)),
    (r"QTc|corrected QT", ("qtc",)),
    (r"\bQT\b", ("qt_ms",)),
    (r"\bPR\b|P-R|\bPQ\b", ("pr_ms",)),
    (r"P[- ]wave|\bP duration", ("p_duration", "waves.P", "p_wave")),
    (r"pre-QRS deflection", ("p_template",)),
    (r"\bQRS\b", ("qrs",)),
    (r"beat-to-beat change", ("irregularity",)),
    (r"\bRR\b|R-R|\bNN\b", ("rr_ms", "mean_rr", "rr")),
    (r"variation|variability of the RR|coefficient of variation", ("rr_cv",)),
    (r"heart rate|\brate\b|\bHR\b|pulse", ("hr_bpm", "hr")),
    (r"Sokolow", ("sokolow",)),
    (r"Cornell", ("cornell",)),
    (r"\bST\b", ("st_j60",)),
    (r"T[- ]wave|\bT amplitude", ("t_amplitude", "waves.T", "t_axis")),
    (r"SDNN", ("sdnn",)),
    (r"RMSSD", ("rmssd",)),
    (r"pNN50", ("pnn50",)),
    (r"\bage\b|years? old|aged", ("age",)),
)
_QUANTITY_RE = [(re.compile(p, re.IGNORECASE), keys) for p, keys in QUANTITIES]


def quantity_keys(sentence: str, start: int, end: int) -> tuple[str, ...] | None:
    """The fact-path substrings a number at ``sentence[start:end]`` refers to, from the nearest
    quantity word before it in its clause (a limit/threshold word just after it wins); None if
    no quantity word is near."""
    after = sentence[end:end + 25]
    for pattern, keys in _QUANTITY_RE[:3]:
        if pattern.search(after.split(",")[0]):
            return keys
    splits = list(_CLAUSE_SPLIT.finditer(sentence[:start]))
    clause_start = splits[-1].end() if splits else 0
    before = sentence[clause_start:start]
    if splits and splits[-1].group() == ":" and not before.strip():
        # a fact line "highest ST level at J+60 ms: 0.00 mV in lead V1" names its quantity before the colon; without
        # it the closest value of any mV field in V1 cited the line (an atrial harmonic's amplitude, 0.0 mV)
        before = sentence[splits[-2].end() if len(splits) > 1 else 0:start]
    best: tuple[int, tuple[str, ...]] | None = None
    for pattern, keys in _QUANTITY_RE:
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), keys)
    return None if best is None else best[1]


# Fact paths that hold limits or criteria, not values measured on this ECG.
_LIMIT_PATH = re.compile(r"reference_limits|normal_(?:low|high)|threshold|abstain_rule|typical_criteria|"
                         r"entries\[\d+\]\.description", re.IGNORECASE)
# Words that make a number a limit or criterion ("above 450 ms", "range 120 ms to 200 ms", ">= 120 ms").
_LIMIT_CUE_BEFORE = re.compile(r"limit|range|within|between|above|below|over|under|exceed\w*|more than|less than|"
                               r"longer than|shorter than|greater than|faster than|slower than|wider than|taller than|deeper than|"
                               r"at least|at most|up to|upper|lower|"
                               r"normal|reference|threshold|cut-?off|criteri\w*|[<>≤≥]=?|\d\s*(?:-|–|to)\s*$", re.IGNORECASE)
_LIMIT_CUE_AFTER = re.compile(r"^\s*(?:or (?:more|less|longer|shorter|above|below|higher|lower)|\+)", re.IGNORECASE)


def is_limit_fact(fact: Fact) -> bool:
    """True for reference limits, thresholds and glossary criteria (not measured values)."""
    return fact.tool == "glossary" or bool(_LIMIT_PATH.search(fact.path))


def limit_context(sentence: str, start: int, end: int) -> bool:
    """Whether the number at ``sentence[start:end]`` is stated as a limit or criterion: a cue word
    (above, below, limit, range, more than, >=...) in its clause before it or "or more" after it."""
    clause_start = 0
    for m in _CLAUSE_SPLIT.finditer(sentence[:start]):
        clause_start = m.end()
    return bool(_LIMIT_CUE_BEFORE.search(sentence[max(clause_start, start - 40):start])
                or _LIMIT_CUE_AFTER.match(sentence[end:end + 20]))


def match_number(value: float, unit: str, facts: list[Fact], keys: tuple[str, ...] | None = None,
                 *, as_limit: bool = False, lead: str | None = None,
                 codes: frozenset[str] | None = None) -> Fact | None:
    """The best fact (closest) supporting ``value unit``, with unit conversions; else None.

    ``keys`` (from :func:`quantity_keys`) restricts the facts to paths containing one of them, so
    "QRS 168 ms" is not grounded by a PR of 168 ms. Limits and criteria (reference limits,
    thresholds, glossary text: :func:`is_limit_fact`) ground a number only when it is stated as a
    limit (``as_limit``, from :func:`limit_context`): "the QTc is 450 ms" needs a measured 450 ms.
    """
    candidates: list[tuple[float, Fact]] = []
    for f in facts:
        if not as_limit and is_limit_fact(f):
            continue
        if keys is not None and f.tool != "glossary" and not any(k in f.path.lower() for k in keys):
            continue
        if lead is not None and f.lead is not None and f.lead != lead:
            continue  # "ST 0.05 mV in lead II" cannot cite aVF's value
        if f.code is not None and (codes is None or not ({f.code, _class_of(f.code)} & codes)):
            continue  # a statement's probability supports a sentence about that statement only
        if unit == "" or f.unit == unit:  # a bare number may cite any field
            v = f.value
        elif unit == "ms" and f.unit == "s":
            v = f.value * 1000.0
        elif unit == "s" and f.unit == "ms":
            v = f.value / 1000.0
        elif unit == "%" and f.unit in ("probability", "fraction", "ratio"):
            v = f.value * 100.0
        elif unit == "deg" and f.unit == "deg":
            v = f.value
        else:
            continue
        if _close(value, v, unit) or (unit == "deg" and _close(abs(value), abs(v), unit) and value * v >= 0):
            candidates.append((abs(value - v), f))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def _class_of(code: str) -> str | None:
    from medts.labels import STATEMENTS

    st = STATEMENTS.get(code)
    return st.diagnostic_class if st is not None else None


_LEAD_NAME = re.compile(r"\blead\s+(I{1,3}|aVR|aVL|aVF|V[1-6])\b|(?<![\w/])(aVR|aVL|aVF|V[1-6])(?![\w/])", re.IGNORECASE)


def lead_of(sentence: str, start: int) -> str | None:
    """The lead named in the clause of the number at ``start`` (nearest after it, else before)."""
    clause_start = 0
    for m in _CLAUSE_SPLIT.finditer(sentence[:start]):
        clause_start = m.end()
    clause_end = next((m.start() + start for m in _CLAUSE_SPLIT.finditer(sentence[start:])), len(sentence))
    found = [(abs(m.start() + clause_start - start), m.group(1) or m.group(2))
             for m in _LEAD_NAME.finditer(sentence[clause_start:clause_end])]
    if not found:
        return None
    name = min(found)[1]
    return next((lead for lead in LEADS if lead.lower() == name.lower()), None)


# A bare comparison before a number ("the QTc is above 450 ms") claims something about the
# measurement, not the limit: the measured value must satisfy it.
_COMPARATOR = re.compile(r"(?:(?P<gt>above|over|exceed\w*|more than|greater than|longer than|wider than|higher than|"
                         r"faster than|>=?|≥)|(?P<lt>below|under|less than|shorter than|lower than|slower than|<=?|≤))"
                         r"\s*$", re.IGNORECASE)
_CRITERIA_WORDS = re.compile(r"criteri|\bmeans?\b|defin|typical|\bif\b|\bwhen\b", re.IGNORECASE)


def compare_measured(value: float, unit: str, facts: list[Fact], keys: tuple[str, ...], greater: bool,
                     lead: str | None) -> Fact | None:
    """The measured fact (not a limit) for ``keys`` that is above (``greater``) / below ``value``."""
    for f in facts:
        if is_limit_fact(f) or f.code is not None or not any(k in f.path.lower() for k in keys):
            continue
        if lead is not None and f.lead is not None and f.lead != lead:
            continue
        v = f.value * 1000.0 if (unit == "ms" and f.unit == "s") else f.value
        if f.unit != unit and not (unit == "ms" and f.unit == "s"):
            continue
        if (v > value) if greater else (v < value):
            return f
    return None


def match_statement(code: str, negated: bool, facts: StatementFacts, *, classifier_output: bool = False) -> str | None:
    """The citation supporting the (possibly negated) statement ``code``; None if unsupported.

    A statement a measurement defines (:attr:`StatementFacts.measured`: long QT, tachycardia,
    axis deviation...) is decided by the measurement, unless ``classifier_output`` (the sentence
    reports what the classifier found)."""
    if code in facts.measured and not classifier_output:
        present, citation = facts.measured[code]
        return citation if present != negated else None
    if code in facts.defined:
        return facts.defined[code]
    if negated:
        if code in facts.absent:
            return facts.absent[code]
        implied = IMPLIED_BY.get(code, ())
        if implied and all(c in facts.absent for c in implied) and code not in facts.present:
            return facts.absent[implied[0]]
        return None
    if code in facts.present:
        return facts.present[code]
    for specific in IMPLIED_BY.get(code, ()):
        if specific in facts.present:
            return facts.present[specific]
    return None


# ---------------------------------------------------------------------------------------------
# Qualitative claims about measurements ("the QTc is prolonged", "normal heart rate")
# ---------------------------------------------------------------------------------------------
# Quantity words -> the measurement whose reference-range flag decides qualitative claims.
FLAGGED_QUANTITIES: tuple[tuple[str, str], ...] = (
    (r"\bQTc\s*\(\s*Fridericia\s*\)(?:\s+interval)?|\bQTcF\b", "qtc_fridericia_ms"),
    (r"\bQTc\b(?:\s*\(\s*Bazett\s*\))?(?:\s+interval)?|\bcorrected QT(?: interval)?", "qtc_bazett_ms"),
    (r"\bP-?R\b(?:\s+interval)?|\bPQ\b(?:\s+interval)?", "pr_ms"),
    (r"\bQRS\b(?!\s+axis)(?:\s+(?:duration|complex(?:es)?|width))?", "qrs_ms"),
    (r"\bheart rate\b|\b(?:ventricular )?rate\b|\bpulse\b|\bHR\b", "hr_bpm"),
    # the P and T axes have limits and flags of their own ("the P axis is 157 degrees, above the limit of 90 degrees")
    (r"\bP(?:[- ]waves?)? axis\b", "p_axis_deg"),
    (r"\bT(?:[- ]waves?)? axis\b", "t_axis_deg"),
    (r"\b(?:QRS |electrical |cardiac )?axis\b", "qrs_axis_deg"),
    (r"\bP[- ]?waves? (?:duration|width)\b", "p_duration_ms"),
    (r"\bSokolow(?:-Lyon)?(?:\s+(?:voltage|index|criteri(?:on|a)))?", "sokolow_lyon_mv"),
    (r"\bCornell(?:\s+(?:voltage|index|criteri(?:on|a)|product))?", "cornell_mv"),
)
# Qualifier words -> the flags (tools.measurements "flags": low / normal / high) they claim.
QUALIFIERS: tuple[tuple[str, frozenset[str]], ...] = (
    (r"within (?:the )?(?:normal |reference )?(?:limits?|range)|within normal limits|WNL|normal|unremarkable|narrow",
     frozenset({"normal"})),
    # "above normal", "longer than normal" claim high (leftmost match: before "normal" alone)
    ((r"(?:above|over|beyond|exceed(?:s|ing)?) (?:the )?(?:upper )?(?:normal |reference )?(?:limit|range)|"
      r"(?:above|over|beyond|(?:longer|higher|wider|faster|greater|more) than) (?:the )?(?:upper )?(?:normal|reference|usual)"
      r"(?: (?:limits?|range|values?))?|prolonged|lengthened|long(?:er)?|wide(?:ned|r)?|"
      r"broad|increased|elevated|high(?:er)?|fast(?:er)?|rapid"), frozenset({"high"})),
    ((r"below (?:the )?(?:lower )?(?:normal |reference )?(?:limit|range)|"
      r"(?:below|under|(?:shorter|lower|slower|less) than) (?:the )?(?:lower )?(?:normal|reference|usual)"
      r"(?: (?:limits?|range|values?))?|shortened|short(?:er)?|decreased|low(?:er)?|slow(?:er)?"),
     frozenset({"low"})),
    (r"abnormal", frozenset({"low", "high"})),
)
_QUANTITY_FLAG_RE = [(re.compile(p, re.IGNORECASE), key) for p, key in FLAGGED_QUANTITIES]
_QUALIFIER_RE = re.compile("|".join(f"(?P<q{i}>\\b(?:{p})\\b)" for i, (p, _) in enumerate(QUALIFIERS)), re.IGNORECASE)
# What may follow a qualifier that refers back to an earlier quantity ("the QTc is 439 ms, normal.")
_QUALIFIER_ENDS = re.compile(r"\s*(?:$|[,.;:!?)\]]|\(|[-+]?\d|\b(?:and|but|for|at|in|with|of|on|compared|since|"
                             r"range|limits?|today|now|here|overall)\b)", re.IGNORECASE)
_QUALIFIER_BREAK = re.compile(r"[;!?]|\.(?!\d)|\b(?:and|but|while|whereas)\s+(?:the|a|an|there|it|this)\b", re.IGNORECASE)
_PRONOUN_START = re.compile(r"\W*(?:it|this|that|which|both|the value)\b", re.IGNORECASE)
_QUALIFIER_NEGATION = re.compile(r"\b(?:not|no|never|isn'?t|wasn'?t|aren'?t|neither|nor)\b", re.IGNORECASE)


def find_qualifiers(sentence: str, skip: list[tuple[int, int]] | None = None, *, previous: str | None = None
                    ) -> list[tuple[str, str, frozenset[str], bool]]:
    """``(text, measurement key, flags claimed, negated)`` for each qualitative claim about a
    flagged measurement: a qualifier just before the quantity ("prolonged QTc", "normal heart
    rate") or after it in the same clause ("the QTc is 439 ms, within the limit"; "the PR
    interval is not prolonged"). Spans in ``skip`` (statement mentions such as "long QT" or
    "normal sinus rhythm", decided as statements) are ignored. ``previous``: the measurement
    the last sentence was about, for a sentence that starts with a pronoun ("It is prolonged.").

    Example
    -------
    >>> [(k, sorted(f), n) for _, k, f, n in find_qualifiers("The QTc is 439 ms, which is not prolonged.")]
    [('qtc_bazett_ms', ['high'], True)]
    """
    skip = skip or []
    found = sorted((m.start(), m.end(), key) for p, key in _QUANTITY_FLAG_RE for m in p.finditer(sentence))
    # a quantity inside a longer one names nothing of its own ("axis" in "the P axis")
    quantities = [q for q in found if not any(o != q and o[0] <= q[0] and q[1] <= o[1] for o in found)]
    out = []
    for m in _QUALIFIER_RE.finditer(sentence):
        if any(m.start() < b and a < m.end() for a, b in skip):
            continue
        flags = QUALIFIERS[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])][1]
        ahead = [q for q in quantities if 0 <= q[0] - m.end() <= 5 and not sentence[m.end():q[0]].strip()]
        if ahead:  # "prolonged QTc", "no prolonged QTc"
            key = ahead[0][2]
            negated = bool(_QUALIFIER_NEGATION.search(sentence[max(0, m.start() - 12):m.start()]))
        else:  # "the QTc ... is not prolonged": the nearest quantity before, same clause
            before = [q for q in quantities if q[1] <= m.start() and m.start() - q[1] <= 60
                      and not _QUALIFIER_BREAK.search(sentence[q[1]:m.start()])]
            if previous and not quantities and _PRONOUN_START.match(sentence):
                before = [(0, 0, previous)]
            if not before or not _QUALIFIER_ENDS.match(sentence[m.end():]):
                continue
            key = before[-1][2]
            negated = bool(_QUALIFIER_NEGATION.search(sentence[before[-1][1]:m.start()]))
        out.append((m.group(0), key, flags, negated))
    return out


def last_quantity(sentence: str) -> str | None:
    """The flagged measurement named last in ``sentence`` (what a following "it" refers to)."""
    found = [(m.start(), m.end(), key) for p, key in _QUANTITY_FLAG_RE for m in p.finditer(sentence)]
    found = [q for q in found if not any(o != q and o[0] <= q[0] and q[1] <= o[1] for o in found)]
    return max(found)[2] if found else None


def match_qualifier(key: str, flags: frozenset[str], negated: bool, facts: StatementFacts) -> str | None:
    """The citation (``measurements.flags.<key>``) when the measurement's flag agrees with the
    claim (a negated claim: the flag is none of ``flags``); None when it disagrees or is unknown."""
    cite = next((c for c in facts.flags if c.endswith(f".{key}")), None)
    if cite is None:
        return None
    return cite if (facts.flags[cite] in flags) != negated else None


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[-])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and lines); decimal points and abbreviations like ``e.g.`` stay inside."""
    return [s for s in (p.strip() for p in _SENTENCE.split(text.strip())) if s]


_YES_NO = re.compile(r"^\W*(yes|no)\b(?=\s*[,.!;:]|\s*$)", re.IGNORECASE)


def answered_codes(question: str) -> list[str]:
    """The statements a bare "Yes"/"No" answering ``question`` asserts / denies: the statement the
    intent router reads (:func:`medts.agent.verdict.route`; its verdict's "Yes"/"No" answers the
    first code: "Incomplete RBBB?" is IRBBB, "MI in V1-V4?" AMI, "RBBB or LBBB?" the family BBB),
    else the statements the question names, not negated. The grounding check once read the
    lexicon alone, so a verdict on the router's statement failed it ("the tool results disagree")."""
    return _answered(question)[0]


def _answered(question: str) -> tuple[list[str], bool]:
    """:func:`answered_codes` of ``question`` and whether a bare "Yes" answering it denies its statement (the
    question asks for the statement's absence, "Are the ST segments normal?": :attr:`medts.agent.verdict.Topic.negated`),
    from one reading by the router."""
    from medts.agent.verdict import route  # verdict builds on this module

    topic = route(question) if question.strip() else None
    if topic is not None and topic.kind == "statement" and topic.codes:
        return [topic.codes[0]], topic.negated
    if topic is not None and topic.kind in ("number", "flag"):  # "Is the PR over 200?": the yes or no answers the
        # measure (heldout82: "Is the PR short? Wondering about pre-excitation ..." read its "No" as denying WPW)
        return [], False
    return [code for _, code, negated in find_statements(question) if not negated], False


def check_sentence(sentence: str, numbers: list[Fact], statements: StatementFacts,
                   question_numbers: list[tuple[float, str]] | None = None,
                   question_codes: list[str] | None = None, previous_quantity: str | None = None,
                   quoted: Iterable[str] = (), inverted: bool = False) -> list[Claim]:
    """Claims of one sentence, each matched to the facts. A bare "Yes"/"No" answering a question
    about statements (``question_codes``) asserts / denies them (denies / asserts where ``inverted``:
    the question asks for their absence). ``previous_quantity``: the
    measurement the previous sentence named (see :func:`find_qualifiers`). ``quoted``: tool
    ``reason`` texts; numbers inside a verbatim quote of one are not claims (and a reason is
    never evidence for a number anywhere else). Citations written in the sentence
    (``[measurements.hr_bpm]``) must each support one of its claims (:func:`check_citations`)."""
    cited, sentence = split_citations(html.unescape(sentence))  # "&#39;" is an apostrophe, not 39
    for text in quoted:  # a verbatim tool reason is medts's own explanation, not a claim
        if len(text) >= 12 and text in sentence:  # (a short reason could blank ordinary words)
            sentence = sentence.replace(text, " " * len(text))
    claims: list[Claim] = []
    yes_no = _YES_NO.match(sentence)
    for code in (question_codes or []) if yes_no else []:
        negated = (yes_no.group(1).lower() == "no") != inverted
        citation = match_statement(code, negated, statements)
        claims.append(Claim(text=yes_no.group(1), kind="statement", code=code, negated=negated,
                            grounded=citation is not None, citation=citation))
    described = [(a, b) for a, b, _ in description_spans(sentence)]
    mentions = statement_mentions(sentence)
    codes = frozenset(c for *_, c, _ in mentions) | frozenset(question_codes or [])
    criteria = bool(_CRITERIA_WORDS.search(sentence))
    for start, text, value, unit, keys, as_limit in _numbers_in_context(sentence, described, with_start=True):
        if keys in (("reference_limits",), ("threshold",)):  # "the limit of 450 ms", "threshold of 50%"
            as_limit = True
        lead = lead_of(sentence, start)
        comparison = _COMPARATOR.search(sentence[max(0, start - 20):start])
        if as_limit and comparison and keys and keys not in (("reference_limits",), ("threshold",)) and not criteria:
            fact = compare_measured(value, unit, numbers, keys, comparison.group("gt") is not None, lead)
        else:
            fact = match_number(value, unit, numbers, keys, as_limit=as_limit, lead=lead, codes=codes)
        citation = fact.citation if fact else None
        if fact is None and question_numbers and any(u == unit and _close(value, v, unit) for v, u in question_numbers):
            citation = "question"
        claims.append(Claim(text=text, kind="number", value=value, unit=unit,
                            grounded=citation is not None, citation=citation))
    classifier_output = bool(_CLASSIFIER_OUTPUT.search(sentence))
    undecided_sentence = bool(UNDECIDED_SENTENCE.match(sentence))
    for _, _, text, code, negated in mentions:
        citation = match_statement(code, negated, statements, classifier_output=classifier_output)
        if undecided_sentence:  # "Cannot tell ...: medts withholds 1AVB undecided" claims no polarity
            # ... and may name what holds as said ("... not read from a paced rhythm": PACE asserted)
            citation = match_undecided(code, statements) or (citation if not negated else None)
        claims.append(Claim(text=text, kind="statement", code=code, negated=negated,
                            grounded=citation is not None, citation=citation))
    for text, key, flags, negated in find_qualifiers(sentence, [(a, b) for a, b, *_ in mentions],
                                                     previous=previous_quantity):
        citation = match_qualifier(key, flags, negated, statements)
        claims.append(Claim(text=text, kind="qualifier", code=key, negated=negated,
                            grounded=citation is not None, citation=citation))
    return claims + check_citations(cited, claims) + verdict_claims(yes_no, claims)


def verdict_claims(yes_no: re.Match | None, claims: list[Claim]) -> list[Claim]:
    """A "Yes"/"No" opening a sentence is a claim in every mode ("Yes, there is a block."). When
    the question named no statement it could assert or deny, it is supported only by the other
    claims of its sentence: at least one, all grounded; otherwise it is ungrounded."""
    if yes_no is None or any(c.text == yes_no.group(1) and c.kind == "statement" for c in claims):
        return []
    grounded = bool(claims) and all(c.grounded for c in claims)
    return [Claim(text=yes_no.group(1), kind="verdict", negated=yes_no.group(1).lower() == "no",
                  grounded=grounded, citation=None)]


# a bracket group, which may hold list indices of the cited path ("[classify.statements[4].probability]")
_CITATION = re.compile(r"\s*\[((?:[^\[\]]|\[\d+\])*)\]")


def split_citations(sentence: str) -> tuple[list[str], str]:
    """(the citations written in ``sentence``, the sentence without them). ``[a; b]`` is two;
    ``[UNVERIFIED]`` marks are not citations."""
    cited = [c.strip() for m in _CITATION.finditer(sentence) for c in m.group(1).split(";")
             if c.strip() and c.strip() != "UNVERIFIED"]
    return cited, _CITATION.sub("", sentence).strip()


def _citation_path(citation: str) -> str:
    """``"classify.present (IMI)"`` -> ``"classify.present"``; ``.value`` dropped."""
    return re.sub(r"\s*\(.*\)$", "", citation.strip()).removesuffix(".value")


def _supports(cited: str, claim_citation: str) -> bool:
    """Whether the written citation names the field that grounds a claim (either may be the
    more specific one: ``measurements.flags`` / ``measurements.flags.cornell_mv``; the tool
    prefix may be left out: ``hr_bpm``)."""
    a, b = _citation_path(cited), _citation_path(claim_citation)
    if not a or not b:
        return False
    return (a == b or b.endswith("." + a) or a.startswith(b + ".") or a.startswith(b + "[")
            or b.startswith(a + ".") or b.startswith(a + "["))


def check_citations(cited: list[str], claims: list[Claim]) -> list[Claim]:
    """One ungrounded ``citation`` claim for each written citation that supports none of the
    sentence's grounded claims ("RR regular [classify.statements[4].probability]")."""
    supported = [c.citation for c in claims if c.grounded and c.citation and c.citation != "question"]
    return [Claim(text=f"[{c}]", kind="citation", grounded=False) for c in cited
            if not any(_supports(c, s) for s in supported)]


# A sentence that reports the classifier's output ("classifier finds LNGQT ...", "the
# classifier's probability"): its statements are checked against the classifier, not measurements.
_CLASSIFIER_OUTPUT = re.compile(r"\bclassifier\b", re.IGNORECASE)
UNDECIDED_SENTENCE = re.compile(r"\W*cannot tell\b", re.IGNORECASE)
"""A sentence that says a statement is undecided ("Cannot tell from this ECG: ...")."""


def match_undecided(code: str, facts: StatementFacts) -> str | None:
    """The citation of the engine's undecided decision on ``code`` or on a member of its family
    (a "cannot tell" sentence may name only those); None otherwise."""
    for c in (code, *IMPLIED_BY.get(code, ())):
        if c in facts.undecided:
            return facts.undecided[c]
    return None


@dataclass
class Grounder:
    """Facts from one answer's tool trace; checks text sentence by sentence (used for streaming)."""

    numbers: list[Fact]
    statements: StatementFacts
    question_numbers: list[tuple[float, str]]
    mode: Literal["remove", "flag"] = "remove"
    question_codes: list[str] = field(default_factory=list)
    inverted: bool = False  # a "Yes" denies the question's statement ("Are the ST segments normal?")
    claims: list[Claim] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # why each removed sentence went ("unsupported number", "safety: dose"...): what output
    # fields may show instead of the sentence itself
    removed_why: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # sentences shown (as written, before citations)
    previous_quantity: str | None = None
    # Drop sentences that state nothing checkable (plan mode: a small model's filler, e.g. a
    # textbook sentence about "the electrical axis" in physics); kept in ``claimless``.
    drop_claimless: bool = False
    claimless: list[str] = field(default_factory=list)
    # the tools' reason texts (quotable, never evidence) and the record's header comments (data:
    # a sentence repeating them is removed, see medts.agent.safety)
    quoted: list[str] = field(default_factory=list)
    header_texts: list[str] = field(default_factory=list)

    @classmethod
    def from_trace(cls, trace: Iterable[Any], question: str = "", mode: Literal["remove", "flag"] = "remove") -> Grounder:
        trace = list(trace)
        numbers = [f for call in trace if call.result.get("available", True)
                   for f in numeric_facts(call.name, call.result)]
        numbers += glossary_facts(trace)
        qnums = [(v, u) for _, v, u in find_numbers(question)]
        qcodes, inverted = _answered(question)
        quoted = sorted({t for call in trace for t in reason_texts(call.result)}, key=len, reverse=True)
        headers = [str(h) for call in trace if call.name == "record_summary"
                   for h in call.result.get("untrusted_header_text") or []]
        return cls(numbers, statement_facts(trace), qnums, mode, qcodes, inverted, quoted=quoted,
                   header_texts=headers)

    def check(self, sentence: str) -> list[Claim]:
        """The claims of ``sentence`` (not recorded): safety first, then tools and citations."""
        from medts.agent.safety import unsafe_reason

        unsafe = unsafe_reason(sentence, self.header_texts)
        if unsafe is not None:  # whatever it cites: a dose never becomes safe by a citation
            return [Claim(text=unsafe, kind="safety", grounded=False)]
        return check_sentence(sentence, self.numbers, self.statements, self.question_numbers, self.question_codes,
                              previous_quantity=self.previous_quantity, quoted=self.quoted, inverted=self.inverted)

    def sentence(self, sentence: str) -> str:
        """The sentence with citations, or '' (removed) / flagged when a claim is unsupported.
        Unsafe sentences (:mod:`medts.agent.safety`) are removed in both modes."""
        sentence = html.unescape(sentence)  # servers may HTML-escape the model's text ("&#39;")
        claims = self.check(sentence)
        self.previous_quantity = last_quantity(sentence) or self.previous_quantity
        self.claims += claims
        bad = [c for c in claims if not c.grounded]
        if bad and (self.mode == "remove" or any(c.kind == "safety" for c in claims)):
            self.removed.append(sentence)
            self.removed_why.append(removal_reason(bad))
            return ""
        if not claims and self.drop_claimless:
            self.claimless.append(sentence)
            return ""
        self.kept.append(sentence)
        out = split_citations(sentence)[1]  # the sentence's own citations are replaced by checked ones
        if bad:
            for c in bad:
                out = out.replace(c.text, f"{c.text} [UNVERIFIED]", 1)
        cites = sorted({c.citation for c in claims if c.grounded and c.citation and c.citation != "question"})
        if cites:
            body = out.rstrip(".!?")  # "normal ECG.." keeps one full stop, after the citations
            end = out[-1] if body != out else ""
            out = f"{body} [{'; '.join(cites)}]{end}"
        return out

    def result(self, original: str, text: str) -> GroundedAnswer:
        n_bad = sum(not c.grounded for c in self.claims)
        return GroundedAnswer(text=text, original=original, claims=self.claims, removed=self.removed,
                              n_claims=len(self.claims), n_ungrounded=n_bad, mode=self.mode)


def removal_reason(bad: list[Claim]) -> str:
    """``"safety: dose"`` or ``"unsupported number, citation"``: why a sentence was removed."""
    safety = [c.text for c in bad if c.kind == "safety"]
    if safety:
        return f"safety: {safety[0]}"
    return "unsupported " + ", ".join(dict.fromkeys(c.kind for c in bad))


def ground_answer(text: str, trace: Iterable[Any], *, question: str = "",
                  mode: Literal["remove", "flag"] = "remove") -> GroundedAnswer:
    """Check ``text`` against the tool ``trace``; see the module docstring."""
    g = Grounder.from_trace(trace, question, mode)
    kept = [s for s in (g.sentence(s) for s in split_sentences(text)) if s]
    return g.result(text, " ".join(kept))
