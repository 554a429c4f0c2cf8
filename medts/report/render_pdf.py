"""PDF rendering with matplotlib's ``PdfPages`` (no extra dependency).

Page 1 is the tracing on ECG paper (vector, A4 landscape, 1 mm on paper per mm of grid when
printed at 100 %); page 2 holds the interpretation and the section tables as text. Both pages
start with the draft notice.

Text uses the PDF standard fonts (Helvetica, Courier; ``pdf.use14corefonts``): nothing is
embedded, which made PDFs 3x faster to write and 3x smaller than embedded Type 3 fonts
(0.23 vs 0.71-0.86 s CPU and 32 vs 110 KiB per report). Those fonts cover Latin-1 only, so
:func:`pdf_safe` spells the few other characters the reports use (dashes, ≤, ≥, arrows) in
Latin-1 first.

Example
-------
>>> import io
>>> from medts.examples import simulate_example
>>> from medts.report.build import ReportBuilder
>>> ecg = simulate_example("sinus")
>>> data = render_pdf(ReportBuilder(text="template").build(ecg), ecg)
>>> data[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
import logging
import textwrap

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from medts.record import ECG  # noqa: E402
from medts.report.paper import PAGE_MM, Overlay, plot_paper  # noqa: E402
from medts.report.render_markdown import section_tables, text_source  # noqa: E402
from medts.report.schema import Report  # noqa: E402

_LINES_PER_PAGE = 52
_PDF_RC = {"pdf.use14corefonts": True, "pdf.compression": 6, "font.family": "sans-serif",
           "font.sans-serif": ["Helvetica"], "font.monospace": ["Courier"],
           "text.parse_math": False}  # "$x$" in a file or lead name is text, not a formula (nor a parse error)
_LATIN1 = str.maketrans({"—": "-", "–": "-", "≤": "<=", "≥": ">=", "→": "->", "⚠": "!", "−": "-", "…": "...",
                         "’": "'", "“": '"', "”": '"', "×": "x", "²": "2"})


def pdf_safe(text: str) -> str:
    """``text`` in Latin-1 (what the PDF standard fonts can show); other characters become ``?``.

    >>> pdf_safe("DRAFT — QTc ≤ 450 ms, 37°")
    'DRAFT - QTc <= 450 ms, 37°'
    """
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _text_lines(report: Report) -> list[tuple[str, str]]:
    """(style, text) lines of the text page(s): style is ``h`` (heading), ``n`` (note) or ``t``."""
    lines: list[tuple[str, str]] = [("h", "Interpretation (draft)")]
    lines += [("t", w) for w in textwrap.wrap(report.interpretation.text, 120)]
    lines += [("n", w) for w in textwrap.wrap(f"Text written by: {text_source(report.interpretation)}; "
                                               + "; ".join(report.interpretation.grounding), 130)]
    for title, note, table in section_tables(report):
        lines.append(("h", title))
        if note:
            lines += [("n", w) for w in textwrap.wrap(note, 120)]
        if table:
            header, rows = table[1], table[2]
            widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
            widths = [min(w, 48) for w in widths]
            fmt = "  ".join(f"{{:<{w}.{w}}}" for w in widths)
            if any(header):
                lines.append(("m", fmt.format(*header)))
            lines += [("m", fmt.format(*[str(c) for c in row])) for row in rows]
    return lines


def _text_page(report: Report, lines: list[tuple[str, str]], page: int, n_pages: int) -> Figure:
    fig = Figure(figsize=(PAGE_MM[0] / 25.4, PAGE_MM[1] / 25.4))
    fig.text(0.5, 0.965, report.notice, ha="center", va="top", fontsize=9, color="#b00000", fontweight="bold",
             wrap=True, bbox={"boxstyle": "square,pad=0.4", "facecolor": "#fff2f2", "edgecolor": "#b00000"})
    fig.text(0.05, 0.885, f"Draft ECG report: {report.record.record_id}  (page {page}/{n_pages})",
             fontsize=11, fontweight="bold")
    y = 0.85
    for k, (style, text) in enumerate(lines):
        if style == "h" and k:
            y -= 0.008  # space above a heading, so it never touches the line before it
        kwargs = {"h": {"fontsize": 10, "fontweight": "bold"}, "n": {"fontsize": 8, "style": "italic", "color": "#555"},
                  "m": {"fontsize": 7.5, "family": "monospace"}, "t": {"fontsize": 8.5}}[style]
        fig.text(0.05, y, text, va="top", **kwargs)
        y -= 0.022 if style == "h" else 0.0155
    return fig


def render_pdf(report: Report, ecg: ECG | None = None, *, overlay: Overlay | None = None) -> bytes:
    """PDF bytes: the paper tracing (when ``ecg`` is given) and the text page(s)."""
    buffer = io.BytesIO()
    safe = report.model_copy(update={"notice": pdf_safe(report.notice)})
    lines = [(style, pdf_safe(text)) for style, text in _text_lines(report)]
    chunks = [lines[i:i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)] or [[]]
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # "findfont: ... Helvetica, now using medium": expected with core fonts
    try:
        with matplotlib.rc_context(_PDF_RC), PdfPages(buffer, metadata={
                "Title": f"DRAFT ECG report {report.record.record_id}", "Subject": pdf_safe(report.notice),
                "Creator": f"medts {report.medts_version}"}) as pdf:
            if ecg is not None:
                pdf.savefig(plot_paper(ecg, title=pdf_safe(f"Draft ECG report: {report.record.record_id}"),
                                       subtitle=pdf_safe(paper_subtitle(report)), notice=safe.notice, overlay=overlay))
            for i, chunk in enumerate(chunks, 1):
                pdf.savefig(_text_page(safe, chunk, i, len(chunks)))
    finally:
        font_log.setLevel(level)
    return buffer.getvalue()


def paper_subtitle(report: Report) -> str:
    """One header line for the tracing: key measurements, rhythm and asserted statement codes."""
    parts = []
    for name in ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms"):
        m = report.measurements.get(name)
        if m is not None and m.value is not None:
            parts.append(f"{m.label} {m.value:.0f} {m.unit}")
    if report.rhythm_axis.rhythm:
        parts.append(report.rhythm_axis.rhythm)
    if report.rhythm_axis.axis_deg is not None:
        parts.append(f"axis {report.rhythm_axis.axis_deg:.0f}°")
    if report.statements.asserted:
        parts.append("statements: " + ", ".join(report.statements.codes()))
    r = report.record
    head = f"{r.fs_hz:g} Hz, {r.duration_s:.1f} s" + (f", {r.sex}" if r.sex else "") + (
        f", {r.age_band if r.deidentified else f'{r.age_years:.0f} y'}" if r.age_years is not None or r.age_band else "")
    return head + ("  |  " + "  |  ".join(parts) if parts else "")
