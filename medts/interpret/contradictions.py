"""Lists contradictions in a report, an answer or the app's state (goal: none, anywhere).

Three kinds:

- ``exclusive``: statements that cannot hold together (CLBBB with CRBBB, NORM with any abnormal
  statement or abnormal flag, two rhythm labels, AFIB or AFLT with a sinus label, AFLT with AFIB).
- ``measurement``: a statement against the measurement that defines it (STACH at <= 100 bpm,
  CLBBB with QRS < 120 ms, 1AVB with PR <= 200 ms, a flag that does not match its value...).
- ``text``: free text (report interpretation, chat answer) against the structured result: a
  statement the text asserts that the result does not, one it negates that the result asserts,
  a number that differs from the measured one (read by :mod:`medts.report.consistency`), or a
  text that does not open with the verdict.

Example
-------
>>> [c.detail for c in statement_contradictions(["CLBBB", "CRBBB"], values={"qrs_ms": 130.0})]
['CLBBB and CRBBB asserted together']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from medts.interpret.ranges import BRADY_BPM, TACHY_BPM, is_child, judged_flag, reference_range
from medts.interpret.reconcile import CHILD_UNJUDGED, NOT_ABNORMAL, Findings
from medts.interpret.statements import LAD_DEG, LONG_PR_MS, RAD_DEG, WIDE_QRS_MS
from medts.report import consistency

Kind = Literal["exclusive", "measurement", "text"]

RHYTHM_LABELS = ("SR", "STACH", "SBRAD", "AFIB", "AFLT")
EXCLUSIVE_PAIRS = (("CLBBB", "CRBBB"), ("CLBBB", "ILBBB"), ("CRBBB", "IRBBB"), ("ILBBB", "IRBBB"),
                   ("AFIB", "SARRH"), ("AFIB", "1AVB"), ("AFLT", "SARRH"), ("AFLT", "1AVB"))
"""Pairs that cannot hold together; the rhythm labels (:data:`RHYTHM_LABELS`: AFLT against SR, STACH, SBRAD,
AFIB) exclude each other as well."""


class Contradiction(BaseModel):
    kind: Kind
    detail: str


def _c(kind: Kind, detail: str) -> Contradiction:
    return Contradiction(kind=kind, detail=detail)


def statement_contradictions(codes: Iterable[str], *, values: dict[str, float | None],
                             abnormal_flags: Iterable[str] = (), sex: str | None = None,
                             child: bool = False) -> list[Contradiction]:
    """Contradictions among asserted ``codes`` and against measured ``values`` (by measurement name); for a
    ``child`` a statement made by adult limits (rate, PR, QRS, axis, voltage, NORM) is one."""
    codes = list(dict.fromkeys(codes))
    have = set(codes)
    out = []
    if child:
        adult = [c for c in codes if c in (*CHILD_UNJUDGED, "STACH", "SBRAD", "NORM")]
        if adult:
            out.append(_c("measurement", f"{', '.join(adult)} asserted for a child by adult limits"))
    rhythm = [c for c in codes if c in RHYTHM_LABELS]
    if len(rhythm) > 1:
        out.append(_c("exclusive", f"rhythm statements {' and '.join(rhythm)} asserted together"))
    for a, b in EXCLUSIVE_PAIRS:
        if a in have and b in have:
            out.append(_c("exclusive", f"{a} and {b} asserted together"))
    if "NORM" in have:
        abnormal = [c for c in codes if c not in NOT_ABNORMAL]
        if abnormal:
            out.append(_c("exclusive", f"NORM asserted beside abnormal statement(s) {', '.join(abnormal)}"))
        flags = list(abnormal_flags)
        if flags:
            out.append(_c("exclusive", f"NORM asserted beside abnormal measurement(s) {', '.join(flags)}"))
    hr, qrs, pr = values.get("hr_bpm"), values.get("qrs_ms"), values.get("pr_ms")
    axis, qtc = values.get("qrs_axis_deg"), values.get("qtc_bazett_ms")
    checks = [
        ("STACH", hr, lambda v: v > TACHY_BPM, f"heart rate {{}} bpm is not above {TACHY_BPM:g}"),
        ("SBRAD", hr, lambda v: v < BRADY_BPM, f"heart rate {{}} bpm is not below {BRADY_BPM:g}"),
        ("SR", hr, lambda v: child or BRADY_BPM <= v <= TACHY_BPM,
         f"heart rate {{}} bpm is outside {BRADY_BPM:g}-{TACHY_BPM:g}"),
        ("CLBBB", qrs, lambda v: v >= WIDE_QRS_MS, "QRS {} ms is below 120"),
        ("CRBBB", qrs, lambda v: v >= WIDE_QRS_MS, "QRS {} ms is below 120"),
        ("IRBBB", qrs, lambda v: v < WIDE_QRS_MS, "QRS {} ms is 120 or more (complete block)"),
        ("ILBBB", qrs, lambda v: v < WIDE_QRS_MS, "QRS {} ms is 120 or more (complete block)"),
        ("1AVB", pr, lambda v: v > LONG_PR_MS, "PR {} ms is not above 200"),
        ("LAFB", axis, lambda v: v < LAD_DEG, "QRS axis {} deg is not left of -30"),
        ("LPFB", axis, lambda v: v > RAD_DEG, "QRS axis {} deg is not right of +90"),
        ("LNGQT", qtc, lambda v: v > reference_range("qtc_bazett_ms", sex)[1], "QTc {} ms is not prolonged"),
    ]
    for code, value, holds, text in checks:
        if code in have and value is not None and not holds(value):
            out.append(_c("measurement", f"{code} asserted but {text.format(f'{value:g}')}"))
    return out


def findings_contradictions(f: Findings) -> list[Contradiction]:
    """Contradictions inside one :class:`Findings` (statements, flags, rhythm label)."""
    values = {fl.name: fl.value for fl in f.flags}
    child = is_child(f.age_years)
    out = statement_contradictions(f.codes(), values=values, sex=None,
                                   abnormal_flags=[fl.name for fl in f.abnormal_flags], child=child)
    for fl in f.flags:
        if fl.flag != judged_flag(fl.name, fl.value, fl.low, fl.high, child=child):
            out.append(_c("measurement", f"{fl.name} {fl.value} flagged {fl.flag} against {fl.low}-{fl.high}"))
    if f.rhythm.code is not None and f.rhythm.code not in f.codes() and not f.quality.abstain:
        out.append(_c("exclusive", f"rhythm label {f.rhythm.code} not among the asserted statements"))
    return out


def text_contradictions(text: str, f: Findings) -> list[Contradiction]:
    """What ``text`` (a report interpretation or chat answer) says against the findings ``f``."""
    out = []
    codes = set(f.codes())
    implied = {code: by for code, by in consistency.implied_by().items()}
    supported = codes | {code for code, by in implied.items() if codes & set(by)}
    said = consistency.codes_in_text(text, plain_language=True)
    extra = sorted(set(said) - supported)
    if extra:
        out.append(_c("text", f"text asserts {extra}, the findings do not"))
    negated = sorted(set(consistency.negated_codes_in_text(text, plain_language=True)) & codes)
    if negated:
        out.append(_c("text", f"text negates {negated}, the findings assert them"))
    values = {fl.name: fl for fl in f.flags}
    for claim in consistency.number_claims(text):
        candidates = [values[n] for n in claim.names if n in values and values[n].unit == claim.unit]
        if not candidates:
            continue
        if not any(m.value is not None and abs(claim.value - m.value) <= consistency.rounding(claim.written)
                   for m in candidates):
            shown = ", ".join(f"{m.name}={m.value} {m.unit}" for m in candidates)
            out.append(_c("text", f"{'/'.join(claim.names)}: text {claim.written} {claim.unit} vs measured {shown}"))
    return out


def answer_contradictions(text: str, f: Findings, *, opens_with_verdict: bool = True) -> list[Contradiction]:
    """All contradictions of a chat answer or report text with the findings (text + the findings' own)."""
    out = findings_contradictions(f) + text_contradictions(text, f)
    if opens_with_verdict and not text.lstrip().startswith(f.verdict):
        out.append(_c("text", "text does not open with the verdict line"))
    return out


def report_contradictions(report) -> list[Contradiction]:
    """Contradictions in a :class:`medts.report.schema.Report`: its statements, flags, rhythm and text."""
    values = {m.name: m.value for m in report.measurements.items}
    abnormal = [m.name for m in report.measurements.items if m.flag in ("low", "high")]
    # a de-identified report keeps no age: its not-judged flags say that it was read as a child's
    child = is_child(report.record.age_years) or any(m.flag == "not_judged" for m in report.measurements.items)
    out = statement_contradictions(report.statements.codes(), values=values, abnormal_flags=abnormal,
                                   sex=report.record.sex, child=child)
    for m in report.measurements.items:
        if m.flag != judged_flag(m.name, m.value, m.normal_low, m.normal_high, child=child):
            out.append(_c("measurement", f"{m.name} {m.value} flagged {m.flag} against {m.normal_low}-{m.normal_high}"))
    out += [_c("text", d) for d in consistency.check_text(report).disagreements]
    verdict = getattr(report, "verdict", None)
    if verdict and not report.interpretation.text.lstrip().startswith(verdict):
        out.append(_c("text", "report text does not open with the verdict line"))
    return out
