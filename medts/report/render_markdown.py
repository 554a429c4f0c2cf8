"""Markdown rendering of a :class:`~medts.report.schema.Report` (the draft notice comes first).

The table helpers here (:func:`section_tables`) are shared by the HTML and PDF renderers so
that every format shows the same rows.

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.report.build import ReportBuilder
>>> md = render_markdown(ReportBuilder(text="template").build(simulate_example("sinus")))
>>> md.splitlines()[0].startswith("> **DRAFT for clinician review")
True
"""

from __future__ import annotations

import html
import re

from medts.interpret.ranges import FLAG_TEXT
from medts.report.schema import Report, SectionStatus

Table = tuple[str, list[str], list[list[str]]]  # title, header, rows


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _range(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    if low is None:
        return f"≤ {high:g}"
    if high is None:
        return f"≥ {low:g}"
    return f"{low:g}–{high:g}"


def unavailable_line(status: SectionStatus) -> str | None:
    """``"not available: <reason>"`` for a section whose tool did not run; the note of one that did."""
    if status.available:
        return status.reason
    return f"not available: {status.reason or 'no reason given'}"


def format_value(value: float | None, unit: str) -> str:
    """Measurement value as printed everywhere (text, tables): mV with 2 decimals, others whole."""
    return _fmt(value, 2 if unit == "mV" else 0)


def record_rows(report: Report) -> list[list[str]]:
    r = report.record
    rows = [["Record", r.record_id], ["Dataset", r.dataset or ""], ["Source file", r.source or ("(removed)" if r.deidentified else "")],
            ["Sampling rate", f"{r.fs_hz:g} Hz"], ["Duration", f"{r.duration_s:.1f} s"], ["Leads", ", ".join(r.leads)],
            ["Age", r.age_band if r.deidentified else _fmt(r.age_years)], ["Sex", r.sex or ""]]
    if r.missing_standard_leads:
        rows.append(["Missing standard leads", ", ".join(r.missing_standard_leads)])
    if r.recorded_at:
        rows.append(["Recorded", r.recorded_at])
    return [row for row in rows if row[1]]


def section_tables(report: Report) -> list[tuple[str, str | None, Table | None]]:
    """(section title, note or None, table or None) for every section, in reading order."""
    out: list[tuple[str, str | None, Table | None]] = []
    out.append(("Record", "de-identified" if report.record.deidentified else None,
                ("Record", ["Field", "Value"], record_rows(report))))
    q = report.quality
    bad = [lq for lq in q.leads if not lq.usable]
    out.append(("Signal quality", f"overall: {q.overall}" + (f"; unusable leads: {', '.join(b.lead for b in bad)}" if bad else ""),
                ("Quality", ["Problem"], [[p] for p in q.problems]) if q.problems else None))
    m = report.measurements
    out.append(("Measurements", unavailable_line(m.status),
                ("Measurements", ["Measurement", "Value", "Unit", "Normal range", "Flag"],
                 [[i.label, format_value(i.value, i.unit), i.unit, _range(i.normal_low, i.normal_high),
                   FLAG_TEXT[i.flag]] for i in m.items]) if m.items else None))
    ra = report.rhythm_axis
    rows = []
    if ra.rhythm:
        rows.append(["Rhythm", ra.rhythm + ("" if ra.regular is None else (" (regular)" if ra.regular else " (irregular)"))])
    if ra.axis_deg is not None:
        rows.append(["QRS axis", f"{ra.axis_deg:.0f}° ({ra.axis_category})"])
    out.append(("Rhythm and axis", unavailable_line(ra.status), ("Rhythm", ["", ""], rows) if rows else None))
    st = report.statements
    note = unavailable_line(st.status) or (None if st.asserted else "no statement asserted")
    decided = [(s, "asserted") for s in st.asserted] + [(s, "withheld") for s in st.withheld]
    out.append(("Statements (SCP-ECG)", note,
                ("Statements", ["Code", "Description", "Decision", "Why (medts.interpret)", "Probability", "Threshold",
                                "Evidence leads", "Source"],
                 [[s.code, s.description, decision, s.reason or "—", _fmt(s.probability, 2), _fmt(s.threshold, 2),
                   ", ".join(s.evidence_leads) or "—", s.source] for s, decision in decided]) if decided else None))
    an = report.anomalies
    note = unavailable_line(an.status) or (None if an.items else "none above threshold")
    out.append(("Anomalies", note, ("Anomalies", ["Start (s)", "End (s)", "Score", "Lead"],
                                    [[f"{a.start_s:.2f}", f"{a.end_s:.2f}", f"{a.score:.3g}", a.lead or "all"]
                                     for a in an.items]) if an.items else None))
    if report.long_recording is not None:
        from medts.longterm.report import whole_record_tables

        out += whole_record_tables(report.long_recording)
    return out


_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])(?=\s)", re.MULTILINE)


def md_escape(text: object, *, inline: bool = True) -> str:
    r"""``text`` (from input files, models or users) as literal Markdown: no HTML, link, emphasis,
    table cell break or heading can come out of it.

    ``<``, ``>`` and ``&`` become HTML entities (Markdown passes raw HTML through); Markdown
    punctuation is backslash-escaped; ``inline`` text (table cells, headings, notes) has its
    line breaks folded into spaces, block text keeps them with line-start markers escaped.

    >>> md_escape("<script>alert(1)</script> *x* | [a](b)")
    '&lt;script&gt;alert(1)&lt;/script&gt; \\*x\\* \\| \\[a\\](b)'
    >>> md_escape("# heading\n- item", inline=False)
    '\\# heading\n\\- item'
    """
    out = html.escape(str(text), quote=False)
    out = _MD_INLINE.sub(r"\\\1", out)
    if inline:
        return " ".join(out.split())
    out = _MD_ORDERED.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", out)  # "1. x" is a list; "1\. x" is not
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", out)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[md_escape(c) for c in row] for row in rows]
    if not any(header):
        header = ["", ""]
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in esc])


WRITER_TEXT = {
    "template": "template sentences (no language model)",
    "template (LLM unavailable)": "template sentences (the local language model was unavailable)",
    "llm": "local language model (untuned chat model phrasing the report's facts)",
    "tuned": "local language model (tuned text head conditioned on the ECG)",
}


def text_source(interpretation) -> str:
    """Who wrote the interpretation, in words, with the model's weights (``writer`` of schema 1.1).

    >>> from medts.report.schema import Interpretation
    >>> text_source(Interpretation(generator="llm", writer="tuned", model="smollm2 + text-smollm2", text="..."))
    'local language model (tuned text head conditioned on the ECG) [writer: tuned; model: smollm2 + text-smollm2]'
    """
    key = interpretation.writer or interpretation.generator  # 1.0 documents have no writer
    tags = [f"writer: {key}"] + ([f"model: {interpretation.model}"] if interpretation.model else [])
    return f"{WRITER_TEXT.get(key, key)} [{'; '.join(tags)}]"


def render_markdown(report: Report, *, image: str | None = None, figures: list[tuple[str, str]] | None = None) -> str:
    """The report as Markdown; ``image`` is a relative path to the paper plot, if written; ``figures``
    are (caption, relative path) of the whole-recording trend and event strips, if written."""
    # Every text that can come from an input file, a model or a user goes through md_escape.
    lines = [f"> **{report.notice}**", "", f"# Draft ECG report: {md_escape(report.record.record_id)}", ""]
    if image:
        lines += [f"![12-lead ECG on paper, 25 mm/s, 10 mm/mV]({image})", ""]
    if report.verdict:
        lines += [f"**Verdict (draft):** {md_escape(report.verdict)}", ""]
    lines += ["## Interpretation (draft)", "", md_escape(report.interpretation.text, inline=False), "",
              f"*Text written by: {text_source(report.interpretation)}"
              + ("; " + "; ".join(md_escape(g) for g in report.interpretation.grounding)
                 if report.interpretation.grounding else "") + ".*", ""]
    for title, note, table in section_tables(report):
        lines += [f"## {title}", ""]
        if note:
            lines += [f"*{md_escape(note)}*", ""]
        if table:
            lines += [md_table(table[1], table[2]), ""]
        if title.startswith("Statements") and report.statements.notes:
            lines += [f"- {md_escape(n)}" for n in report.statements.notes] + [""]
    if figures:
        lines += ["## Whole recording: heart-rate trend and strips of the worst events", ""]
        lines += [f"![{md_escape(caption)}]({path})" for caption, path in figures] + [""]
    lines += ["## Tools", "", md_table(["Part", "Tool"], [[k, v] for k, v in report.tools.items()]), "",
              f"Schema {report.schema_version}; generated {report.generated_at} by medts {report.medts_version}.", "",
              f"> **{report.notice}**", ""]
    return "\n".join(lines)
