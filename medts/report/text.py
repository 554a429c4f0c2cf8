"""The free-text interpretation of a report: template text, or the agent's LLM text.

:class:`TemplateText` writes deterministic sentences from the report's own sections (every
number and statement code in it comes from the JSON, so text and JSON cannot disagree).
:class:`AgentText` is the hook for the LLM: it calls ``medts.agent.report_text(reports)``
(a list of reports without text -> a list of strings, batched generation) when that function
exists, and falls back to the template, saying so in ``grounding``, when it does not.

The text states statements as ``CODE (description, p=0.93)`` so that ``medts bench reports``
can parse what the text asserts and compare it with the JSON.

Example
-------
>>> from medts.report.text import statement_phrase
>>> statement_phrase("AFIB", "atrial fibrillation", 0.912)
'AFIB (atrial fibrillation, p=0.91)'
"""

from __future__ import annotations

import importlib
from typing import Protocol

from medts.report.render_markdown import format_value
from medts.report.schema import Interpretation, Report


class TextGenerator(Protocol):
    name: str

    def interpretations(self, reports: list[Report]) -> list[Interpretation]: ...


def statement_phrase(code: str, description: str, probability: float | None) -> str:
    p = "" if probability is None else f", p={probability:.2f}"
    return f"{code} ({description}{p})"


def _measure_sentence(report: Report) -> str | None:
    m = report.measurements
    if not m.status.available:
        return None
    parts = []
    for item in m.items:
        if item.value is None or item.name.endswith("_deg"):
            continue
        flag = "" if item.flag in ("normal", "unmeasured") else f" ({item.flag})"
        parts.append(f"{item.label} {format_value(item.value, item.unit)} {item.unit}{flag}")
    return ("Measurements: " + "; ".join(parts) + ".") if parts else None


def template_text(report: Report) -> str:
    """Deterministic interpretation from the report sections (numbers and codes copied from it)."""
    lines = [f"Record {report.record.record_id}: {report.record.duration_s:.1f} s, "
             f"{len(report.record.leads)} leads at {report.record.fs_hz:g} Hz; signal quality "
             f"{report.quality.overall}."]
    ra = report.rhythm_axis
    if ra.status.available:
        bits = []
        if ra.rhythm:
            bits.append(f"Rhythm: {ra.rhythm}" + ("" if ra.regular is None else (", regular" if ra.regular else ", irregular")))
        if ra.axis_deg is not None:
            bits.append(f"QRS axis {ra.axis_deg:.0f} deg ({ra.axis_category})")
        if bits:
            lines.append(". ".join(bits) + ".")
    else:
        lines.append("Rhythm and axis: not available.")
    sentence = _measure_sentence(report)
    lines.append(sentence or "Measurements: not available.")
    st = report.statements
    if st.status.available:
        if st.asserted:
            lines.append("Statements suggested: "
                         + "; ".join(statement_phrase(s.code, s.description, s.probability) for s in st.asserted) + ".")
        else:
            lines.append("Statements suggested: none reached its threshold.")
    else:
        lines.append("Statements: not available.")
    an = report.anomalies
    if an.status.available:
        lines.append(f"Anomalies: {len(an.items)} segment(s) above threshold." if an.items
                     else "Anomalies: none above threshold.")
    lines.append("To be confirmed by a clinician.")
    return " ".join(lines)


class TemplateText:
    """``--no-llm``: template sentences only."""

    name = "template"

    def interpretations(self, reports: list[Report]) -> list[Interpretation]:
        return [Interpretation(generator="template", text=template_text(r),
                               grounding=["every number and code copied from this report's JSON sections"])
                for r in reports]


class AgentText:
    """LLM text through the agent; template text (with the reason) when the agent is absent.

    The hook: ``medts.agent.report_text(reports: list[Report]) -> list[str]`` (and optionally
    ``medts.agent.REPORT_MODEL_NAME``). The agent is expected to ground its text in the report and
    run its grounding check; :mod:`medts.bench.reports` counts text-vs-JSON disagreements.
    """

    name = "agent"

    def __init__(self) -> None:
        try:
            module = importlib.import_module("medts.agent")
            self._func = getattr(module, "report_text", None)
            self._model = getattr(module, "REPORT_MODEL_NAME", None)
            self._reason = None if callable(self._func) else "medts.agent.report_text is not defined yet"
        except ImportError as error:
            self._func, self._model, self._reason = None, None, f"medts.agent not importable ({error.msg})"

    @property
    def available(self) -> bool:
        return self._func is not None

    def interpretations(self, reports: list[Report]) -> list[Interpretation]:
        if self._func is None:
            return [Interpretation(generator="template", text=template_text(r),
                                   grounding=[f"LLM text unavailable: {self._reason}; template text used"])
                    for r in reports]
        texts = self._func(reports)
        return [Interpretation(generator="llm", model=self._model, text=str(t),
                               grounding=["LLM text written from this report's JSON sections"]) for t in texts]
