"""The free-text interpretation of a report: template text, or the agent's LLM text.

:class:`TemplateText` (``--no-llm``) writes deterministic sentences from the report's own
sections: every number and statement code in it is copied from the JSON.
:class:`AgentText` (the default) has the agent write the text with the local LLM
(:func:`medts.agent.report_text.write_report_texts_detailed`, batched over the records of a
chunk), grounded in the report's sections; it falls back to the template, saying so in
``grounding``, when the agent is not importable.

Statements are written as ``CODE (description, p=0.93)``; :mod:`medts.report.consistency` reads
what a text asserts (codes, statements in words, measurement values, probabilities) and
``medts bench reports`` counts the texts that contradict their JSON (goal 0).

Example
-------
>>> from medts.report.text import statement_phrase
>>> statement_phrase("AFIB", "atrial fibrillation", 0.912)
'AFIB (atrial fibrillation, p=0.91)'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from medts.interpret.ranges import FLAG_TEXT
from medts.record import ECG
from medts.report.render_markdown import format_value
from medts.report.schema import Interpretation, Report


class TextGenerator(Protocol):
    name: str

    def interpretations(self, reports: list[Report], ecgs: list[ECG] | None = None) -> list[Interpretation]: ...


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
        flag = "" if item.flag in ("normal", "unmeasured") else f" ({FLAG_TEXT[item.flag].lower()})"
        parts.append(f"{item.label} {format_value(item.value, item.unit)} {item.unit}{flag}")
    return ("Measurements: " + "; ".join(parts) + ".") if parts else None


def template_text(report: Report) -> str:
    """Deterministic interpretation from the report sections (numbers and codes copied from it)."""
    lines = [report.verdict] if report.verdict else []
    lines += [f"Record {report.record.record_id}: {report.record.duration_s:.1f} s, "
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
            lines.append("Statements suggested: " + "; ".join(
                statement_phrase(s.code, s.description, None if s.origin == "measurement" else s.probability)
                for s in st.asserted) + ".")
        else:
            lines.append("Statements suggested: none.")
        if st.withheld:
            lines.append(f"{len(st.withheld)} classifier statement(s) withheld by the measurement check "
                         "(listed with the reasons in the statements table).")
    else:
        lines.append("Statements: not available.")
    an = report.anomalies
    if an.status.available:
        kind = "beat(s) unlike the median beat or premature" if an.threshold is None else "segment(s) above threshold"
        lines.append(f"Anomalies: {len(an.items)} {kind}." if an.items else f"Anomalies: no {kind.replace('(s)', '')}.")
    lines.append("To be confirmed by a clinician.")
    return " ".join(lines)


class TemplateText:
    """``--no-llm``: template sentences only."""

    name = "template"

    def interpretations(self, reports: list[Report], ecgs: list[ECG] | None = None) -> list[Interpretation]:
        return [Interpretation(generator="template", writer="template", text=template_text(r),
                               grounding=["every number and code copied from this report's JSON sections"])
                for r in reports]


LLM_WRITERS = ("auto", "llm", "tuned")
"""``llm``: the untuned chat LLM (SmolLM2-135M-Instruct) phrases the fact lines; ``tuned``: the LoRA
text head (``adapters/text-smollm2``) conditioned on the ECG; ``auto``:
:func:`medts.agent.report_text.default_writer` (tuned when shipped, else llm)."""


def shipped_text_head() -> Path | None:
    """``adapters/text-smollm2`` when it holds a manifest, else None."""
    from medts.adapters import TEXT_HEAD, shipped

    return shipped(TEXT_HEAD)


class AgentText:
    """LLM text from :func:`medts.agent.report_text.write_report_texts_detailed`, batched over records.

    Each record's facts come from its own report sections (``facts_from_report``: no recomputation);
    the agent writes, runs its grounding check (unsupported sentences removed) and ends every text
    with its draft notice. Then this class runs the report's own text-vs-JSON check
    (:func:`medts.report.consistency.check_text`) sentence by sentence and drops any sentence that
    still contradicts the JSON, recording how many in ``grounding`` (a second, independent guard;
    ``medts bench reports`` reports how often it fired).

    Parameters
    ----------
    writer : {"auto", "llm", "tuned"}
    batch_size : int
        Records per generation batch (the batch runner hands over chunks of records).
    options : passed to ``write_report_texts_detailed`` (``source``, ``dtype``, ``max_new_tokens``).
    """

    name = "llm"

    def __init__(self, writer: str = "auto", *, batch_size: int = 8, adapter: str | Path | None = None,
                 **options: Any) -> None:
        if writer not in (*LLM_WRITERS, "template"):  # "template": the agent's fact-line writer (no LLM)
            raise ValueError(f"writer must be one of {LLM_WRITERS}, got {writer!r}")
        self.batch_size, self.options = batch_size, options
        self.adapter = adapter if adapter is not None else shipped_text_head()
        from medts.agent import report_text

        self._module, self._reason = report_text, None
        # one meaning of "auto" everywhere: the agent's default_writer (tuned head, else untuned LLM)
        self.writer = writer if writer != "auto" or self._module is None else self._module.default_writer(self.adapter)
        self.name = f"medts.agent.report_text ({self.writer})" if self._module else "template (LLM unavailable)"

    @property
    def available(self) -> bool:
        return self._module is not None

    def interpretations(self, reports: list[Report], ecgs: list[ECG] | None = None) -> list[Interpretation]:
        if self._module is None:
            return [Interpretation(generator="template", writer="template (LLM unavailable)", text=template_text(r),
                                   grounding=[f"LLM text unavailable: {self._reason}; template text used"])
                    for r in reports]
        rt = self._module
        ecgs = list(ecgs) if ecgs is not None else [None] * len(reports)
        items = [rt.ReportTextInput(ecg=e, facts=report_facts(r, rt), record_id=r.record.record_id)
                 for r, e in zip(reports, ecgs)]
        written = rt.write_report_texts_detailed(items, writer=self.writer, adapter=self.adapter,
                                                 batch_size=self.batch_size, **self.options)
        uses_llm = self.writer != "template"  # "template": the agent's fact-line sentences, no model
        model = (self.options.get("source", "smollm2") + (f" + {Path(self.adapter).name}" if self.writer == "tuned" else "")
                 if uses_llm else None)
        out = []
        for report, w in zip(reports, written):
            text, dropped = drop_contradicting_sentences(report, w.text)
            text = with_verdict(report, text)
            notes = [f"agent grounding check: {w.n_claims} claim(s), "
                     f"{w.n_ungrounded} unsupported sentence(s) removed"]
            if w.abstained:
                notes.append("abstained: signal quality too poor for an interpretation")
            notes.append(f"report consistency check: {dropped} sentence(s) contradicting the JSON removed")
            out.append(Interpretation(generator="llm" if uses_llm else "template", writer=self.writer, model=model,
                                      text=text, grounding=notes))
        return out


def report_facts(report: Report, rt: Any) -> dict[str, Any]:
    """The agent's tool-shaped facts of ``report`` (``facts_from_report``), with rule statements fitted in.

    Statements the engine asserts from measurements alone (``origin = measurement``: rhythm, 1AVB,
    LNGQT, LVH voltage...) have no probability: they stay in ``classify.present`` (so a sentence stating them is grounded)
    but are left out of ``classify.statements``, whose lines the agent writes as "probability N %".
    """
    facts = rt.facts_from_report(report)
    c = facts.get("classify") or {}
    if c.get("statements"):
        c["statements"] = [st for st in c["statements"] if st.get("probability") is not None]
    return facts


def with_verdict(report: Report, text: str) -> str:
    """``text`` opened by the report's verdict line (the engine's), unless it already is."""
    if not report.verdict or text.lstrip().startswith(report.verdict):
        return text
    return f"{report.verdict} {text}"


def drop_contradicting_sentences(report: Report, text: str) -> tuple[str, int]:
    """``text`` without the sentences that contradict ``report``'s JSON, and how many were dropped."""
    from medts.agent.grounding import split_sentences
    from medts.report.consistency import check_text

    if not check_text(report, text).disagreements:
        return text, 0
    kept, dropped = [], 0
    for sentence in split_sentences(text):
        if check_text(report, sentence).disagreements:
            dropped += 1
        else:
            kept.append(sentence)
    return " ".join(kept), dropped
