"""Does a report's free text agree with its own JSON? (the text-vs-JSON disagreement counter)

The counter reads the text the way a clinician would and compares what it *asserts* with the
report's sections; it is independent of the agent's grounding check (which matches any number
against any tool fact of the same unit), so the two check each other.

What the text asserts
---------------------
- **Statements**: every SCP code (or superclass code) written in the text, except
  (a) codes inside the parenthesised description that directly follows a code, e.g. ``WPW`` in
  ``CD (conduction disturbance (bundle branch or fascicular block, AV block, WPW, ...), p=0.97)``
  (it names an example of CD, not a finding; this was the root cause of all 37 disagreements in
  the first fold-9 benchmark), (b) codes inside square-bracket citations (``[classify.present
  (INJAL)]``, provenance added by the grounding check) and (c) negated codes (``no AFIB``,
  ``without LBBB``), which are collected separately.
- **Measurements**: a number with a unit (ms, bpm, mV, deg/degrees/°) bound to the nearest
  measurement name written before it in the same clause (``QRS duration: 93 ms``, ``heart rate
  of 74 bpm``, ``QTc (Bazett) 408 ms``). Numbers with no measurement name before them (reference
  limits such as ``within 120 ms to 200 ms``) are not claims about this record.
- **Statements in words** (``atrial fibrillation``, ``no left bundle branch block``), read with
  the statement lexicon of :mod:`medts.agent.grounding` (real SCP codes only); a word-statement
  counts as supported when the JSON asserts it or a more specific code (``sinus rhythm`` by STACH).
- **Probabilities** written with a code (``p=0.93``, ``probability 93%``).

Disagreements (goal 0): a code the text asserts that the JSON does not (the statements, or on a long
record the whole-recording analysis: an AF/flutter episode, ventricular or supraventricular ectopic beats); a code the JSON asserts
that the text negates; a measurement whose written value differs from the JSON value by more
than the rounding of the written number (or whose JSON value is missing); a number in a unit the
named measurement never has (``QRS 1.2 mV``) is not compared;
a probability that differs from the JSON one. Codes the JSON asserts that the text does not
mention are **omissions**, counted separately (an LLM text may summarise; the template text
omits nothing).

Example
-------
>>> codes_in_text("CD (conduction disturbance (bundle branch block, WPW, ...), p=0.97); SR (sinus rhythm).")
['CD', 'SR']
>>> negated_codes_in_text("No AFIB. Sinus rhythm SR.")
['AFIB']
>>> codes_in_text("Atrial fibrillation with a rapid rate.", plain_language=True)
['AFIB']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medts.labels import STATEMENTS, SUPERCLASSES
from medts.report.schema import Report

_CODES = sorted(set(STATEMENTS) | set(SUPERCLASSES), key=len, reverse=True)
_CODE_PATTERN = re.compile(r"(?<![A-Za-z0-9_/])(" + "|".join(re.escape(c) for c in _CODES) + r")(?![A-Za-z0-9_/])")
_NEGATION = re.compile(r"\b(?:no|not|without|absent|absence of|rules? out|ruled out|negative for)\b[^.;:]*$", re.I)
_CLAUSE_END = re.compile(r"[.;!?\n]")


def _close(text: str, start: int) -> int:
    """Index just after the bracket group opening at ``text[start]`` (balanced; end of text if unclosed)."""
    pairs = {"(": ")", "[": "]"}
    stack = []
    for i in range(start, len(text)):
        ch = text[i]
        if ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
    return len(text)


def strip_citations(text: str) -> str:
    """``text`` without square-bracket groups (grounding citations such as ``[measurements.hr_bpm]``)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "[":
            i = _close(text, i)
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


@dataclass
class CodeMention:
    """One statement code written in the text: position, its scope (to the next code or clause end), negation."""

    code: str
    start: int
    end: int
    scope: str
    negated: bool


def code_mentions(text: str) -> list[CodeMention]:
    """Statement codes in ``text`` (citations removed; a code's own parenthesised description skipped)."""
    text = strip_citations(text)
    found: list[CodeMention] = []
    pos = 0
    while (m := _CODE_PATTERN.search(text, pos)) is not None:
        after = m.end()
        j = after
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "(":
            after = _close(text, j)  # the description (and p=...) of this code, not further findings
        clause_start = max((k.end() for k in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
        negated = bool(_NEGATION.search(text[clause_start:m.start()]))
        nxt = _CODE_PATTERN.search(text, after)
        end_clause = _CLAUSE_END.search(text, after)
        stop = min(x.start() for x in (nxt, end_clause) if x is not None) if (nxt or end_clause) else len(text)
        found.append(CodeMention(m.group(1), m.start(), after, text[m.end():max(stop, after)], negated))
        pos = after
    return found


def without_code_descriptions(text: str) -> str:
    """``text`` without citations and without the parenthesised description after each code."""
    text = strip_citations(text)
    parts, pos = [], 0
    for c in code_mentions(text):
        parts.append(text[pos:c.start + len(c.code)])
        pos = c.end
    return "".join(parts) + text[pos:]


def plain_language_mentions(text: str) -> list[tuple[str, bool]]:
    """``(code, negated)`` for statements written in words (``atrial fibrillation``, ``no LBBB``).

    Uses the statement lexicon of :func:`medts.agent.grounding.find_statements` (SCP descriptions
    plus synonyms), keeping real SCP and superclass codes only.
    """
    from medts.agent.grounding import find_statements, split_sentences

    known = set(STATEMENTS) | set(SUPERCLASSES)
    out = []
    for sentence in split_sentences(without_code_descriptions(text)):
        out += [(code, negated) for _, code, negated in find_statements(sentence) if code in known]
    return out


def implied_by() -> dict[str, tuple[str, ...]]:
    """Codes a more specific asserted code supports (``SR`` by ``STACH``...)."""
    from medts.agent.grounding import IMPLIED_BY

    return dict(IMPLIED_BY)


def codes_in_text(text: str, *, plain_language: bool = False) -> list[str]:
    """Codes the text asserts (not negated), in order, without repeats; with ``plain_language``
    also statements written in words."""
    codes = [c.code for c in code_mentions(text) if not c.negated]
    if plain_language:
        codes += [code for code, negated in plain_language_mentions(text) if not negated]
    return list(dict.fromkeys(codes))


def negated_codes_in_text(text: str, *, plain_language: bool = False) -> list[str]:
    """Codes the text says are absent (``no AFIB``)."""
    codes = [c.code for c in code_mentions(text) if c.negated]
    if plain_language:
        codes += [code for code, negated in plain_language_mentions(text) if negated]
    return list(dict.fromkeys(codes))


# --- measurements ---------------------------------------------------------------------------
# Phrase -> the measurement names it may refer to (most specific phrases first).
MEASUREMENT_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"QTc\s*\(?\s*Bazett\s*\)?", ("qtc_bazett_ms",)),
    (r"QTc\s*\(?\s*Fridericia\s*\)?", ("qtc_fridericia_ms",)),
    (r"(?:corrected QT|QTc)(?:\s+interval)?", ("qtc_bazett_ms", "qtc_fridericia_ms")),
    (r"QT(?:\s+interval)?", ("qt_ms",)),
    (r"QRS\s+axis|(?:electrical|frontal(?: plane)?)\s+axis", ("qrs_axis_deg",)),
    (r"P(?:-wave)?\s+axis", ("p_axis_deg",)),
    (r"T(?:-wave)?\s+axis", ("t_axis_deg",)),
    (r"QRS\s+(?:duration|width|interval)", ("qrs_ms",)),
    (r"P(?:-wave)?\s+duration", ("p_duration_ms",)),
    (r"PR\s+interval|PR", ("pr_ms",)),
    (r"RR\s+interval|RR", ("rr_ms",)),
    (r"(?:heart|ventricular)\s+rate|HR", ("hr_bpm",)),
    (r"Sokolow(?:-Lyon)?(?:\s+voltage|\s+index)?", ("sokolow_lyon_mv",)),
    (r"Cornell(?:\s+voltage|\s+index)?", ("cornell_mv",)),
    # Loose wording ("QRS of 96 ms", "the axis is 60 degrees"): the unit picks the measurement.
    (r"QRS(?:\s+complex(?:es)?)?", ("qrs_ms", "qrs_axis_deg")),
    (r"axis", ("qrs_axis_deg",)),
    (r"P[- ]waves?", ("p_duration_ms", "p_axis_deg")),
    (r"T[- ]waves?", ("t_axis_deg",)),
)
_PHRASES = [(re.compile(r"(?<![A-Za-z0-9])(?:" + p + r")(?![A-Za-z0-9])", re.I), names) for p, names in MEASUREMENT_PHRASES]
_UNITS = {"ms": "ms", "msec": "ms", "milliseconds": "ms", "millisecond": "ms", "bpm": "bpm", "beats per minute": "bpm", "beats/min": "bpm", "mv": "mV", "deg": "deg",
          "degrees": "deg", "degree": "deg", "°": "deg"}
_NUMBER = re.compile(r"(?<![\w.])([-−+]?\d+(?:\.\d+)?)\s*(beats per minute|beats/min|degrees|degree|deg|bpm|"
                     r"milliseconds|millisecond|msec|ms|mV|°)(?![A-Za-z])", re.I)


@dataclass
class NumberClaim:
    names: tuple[str, ...]
    written: str
    value: float
    unit: str


def number_claims(text: str) -> list[NumberClaim]:
    """``<measurement phrase> ... <number> <unit>`` claims (the phrase nearest before the number, same clause)."""
    text = strip_citations(text)
    claims = []
    prev_end = 0
    for m in _NUMBER.finditer(text):
        clause_start = max((k.end() for k in _CLAUSE_END.finditer(text, 0, m.start()) if not _decimal_point(text, k)),
                           default=0)
        segment_start = max(prev_end, clause_start)
        segment = text[segment_start:m.start()]
        prev_end = m.end()
        best = None
        for pattern, names in _PHRASES:
            for hit in pattern.finditer(segment):
                if best is None or hit.end() > best[0] or (hit.end() == best[0] and hit.start() < best[1]):
                    best = (hit.end(), hit.start(), names)
        if best is None or _LIMIT_WORDS.search(segment[best[0]:]):
            continue
        written = m.group(1).replace("−", "-")
        claims.append(NumberClaim(best[2], written, float(written), _UNITS[m.group(2).lower()]))
    return claims


NORMAL_UNITS = {"hr_bpm": "bpm", "rr_ms": "ms", "pr_ms": "ms", "p_duration_ms": "ms", "qrs_ms": "ms", "qt_ms": "ms",
                "qtc_bazett_ms": "ms", "qtc_fridericia_ms": "ms", "p_axis_deg": "deg", "qrs_axis_deg": "deg",
                "t_axis_deg": "deg", "sokolow_lyon_mv": "mV", "cornell_mv": "mV"}
"""The unit of every measurement a report can hold (a claim in another unit is not about it)."""


def _decimal_point(text: str, match: re.Match) -> bool:
    """A ``.`` between two digits is a decimal point, not the end of a clause."""
    i = match.start()
    return text[i] == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def rounding(written: str) -> float:
    """Half a unit of the last written digit (``74`` -> 0.5, ``2.16`` -> 0.005), plus float slack."""
    decimals = len(written.split(".")[1]) if "." in written else 0
    return 0.5 * 10 ** -decimals + 1e-9


_LIMIT_WORDS = re.compile(r"\b(?:above|below|over|under|exceed\w*|limit|range|than|up to|at least|at most|between|"
                          r"threshold|cut-?off|upper|lower|normal)\b|[<>≤≥]", re.I)
"""Words between a measurement name and a number that make the number a reference limit, not a value."""

_PROBABILITY = re.compile(r"\bp\s*=\s*([01]?\.\d+|[01])\b|probability(?:\s+of)?\s*:?\s*(\d+(?:\.\d+)?)\s*%", re.I)


# --- the check -----------------------------------------------------------------------------
@dataclass
class Consistency:
    """Result of :func:`check_text`: ``disagreements`` (goal empty) and ``omissions``."""

    disagreements: list[str] = field(default_factory=list)
    omissions: list[str] = field(default_factory=list)
    text_codes: list[str] = field(default_factory=list)
    n_number_claims: int = 0


def whole_record_codes(report: Report) -> tuple[str, ...]:
    """Codes the report's whole-recording analysis supports (none without one): its verdict sentence may
    name an AF/flutter episode or ectopic beats the resting excerpt does not show."""
    from medts.interpret.longterm import whole_record_codes as codes

    return () if report.long_recording is None else codes(report.long_recording)


def check_text(report: Report, text: str | None = None) -> Consistency:
    """Compare ``text`` (default: the report's interpretation) with the report's JSON sections."""
    text = report.interpretation.text if text is None else text
    out = Consistency()
    json_codes = set(report.statements.codes())
    implied = implied_by()
    supported = json_codes | {code for code, by in implied.items() if json_codes & set(by)}
    supported |= set(whole_record_codes(report))
    mentions = code_mentions(text)
    asserted = [c for c in mentions if not c.negated]
    words = plain_language_mentions(text)
    out.text_codes = codes_in_text(text, plain_language=True)
    extra = sorted(set(out.text_codes) - supported)
    if extra:
        out.disagreements.append(f"text asserts {extra}, JSON does not")
    negated = sorted(({c.code for c in mentions if c.negated} | {c for c, n in words if n}) & json_codes)
    if negated:
        out.disagreements.append(f"text negates {negated}, JSON asserts them")
    out.omissions = sorted(json_codes - set(out.text_codes) - set(negated))
    by_code = {s.code: s for s in report.statements.asserted}
    for c in asserted:
        finding = by_code.get(c.code)
        m = _PROBABILITY.search(c.scope)
        if finding is None or finding.probability is None or m is None:
            continue
        written = m.group(1) or m.group(2)
        value = float(written) if m.group(1) else float(written) / 100.0
        tol = rounding(written) * (1.0 if m.group(1) else 0.01)
        if abs(value - finding.probability) > tol:
            out.disagreements.append(f"{c.code}: text probability {written} vs JSON {finding.probability}")
    values = {m.name: m for m in report.measurements.items}
    claims = number_claims(text)
    out.n_number_claims = len(claims)
    for claim in claims:
        candidates = [values[n] for n in claim.names if n in values and values[n].unit == claim.unit]
        if not candidates and not any(NORMAL_UNITS.get(n) == claim.unit for n in claim.names):
            continue  # e.g. "QRS 1.2 mV": no measurement of that kind in the report to compare with
        ok = any(m.value is not None and m.unit == claim.unit and abs(claim.value - m.value) <= rounding(claim.written)
                 for m in candidates)
        if not ok:
            shown = ", ".join(f"{m.name}={m.value} {m.unit}" for m in candidates) or "not in JSON"
            out.disagreements.append(f"{'/'.join(claim.names)}: text {claim.written} {claim.unit} vs JSON {shown}")
    return out


def text_json_disagreements(report: Report) -> list[str]:
    """Ways the report's free text contradicts its own JSON (empty when consistent)."""
    return check_text(report).disagreements
