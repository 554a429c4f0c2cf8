"""Markdown, HTML and PDF renderings: the draft notice first, the same numbers, the PDF opens as images."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from medts.examples import simulate_example
from medts.report.batch import overlay_of
from medts.report.build import ReportBuilder
from medts.report.paper import figure_bytes, plot_paper
from medts.report.render_html import render_html
from medts.report.render_markdown import format_value, render_markdown
from medts.report.render_pdf import render_pdf
from medts.report.schema import SAFETY_NOTICE


@pytest.fixture(scope="module")
def built():
    ecg = simulate_example("sinus")
    return ecg, ReportBuilder(text="template").build(ecg)


def test_markdown_starts_and_ends_with_the_notice_and_lists_every_measurement(built):
    _, report = built
    md = render_markdown(report, image="paper.png")
    lines = [line for line in md.splitlines() if line.strip()]
    assert SAFETY_NOTICE in lines[0] and SAFETY_NOTICE in lines[-1]
    for m in report.measurements.items:
        assert f"| {m.label} | {format_value(m.value, m.unit)} | {m.unit} |" in md
    assert "![12-lead ECG on paper" in md


def test_html_is_self_contained_with_the_embedded_plot_and_escapes_input_text(built):
    ecg, report = built
    hostile = report.model_copy(update={"record": report.record.model_copy(update={"record_id": "<script>x</script>"})})
    png = figure_bytes(plot_paper(ecg), dpi=60)
    page = render_html(hostile, image=png)
    assert page.index(SAFETY_NOTICE) < page.index("<h1>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(uri) == png
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_pdf_opens_and_converts_to_images_with_the_tracing_and_the_notice(built):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 renders the PDF to an image")
    ecg, report = built
    data = render_pdf(report, ecg, overlay=overlay_of(report))
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) >= 2
    first = np.asarray(pdf[0].render(scale=1.5).to_pil().convert("RGB")).astype(int)
    w_mm, h_mm = pdf[0].get_size()[0] / 72 * 25.4, pdf[0].get_size()[1] / 72 * 25.4
    assert (w_mm, h_mm) == pytest.approx((297.0, 210.0), abs=0.5)  # A4 landscape: prints at 100 %
    pink = (first[..., 0] > 200) & (first[..., 1] < 230) & (first[..., 2] < 230)
    dark = (first < 90).all(axis=2)
    assert pink.mean() > 0.05 and dark.mean() > 0.002  # grid and traces are on the page
    text = pdf[0].get_textpage().get_text_range() + pdf[1].get_textpage().get_text_range()
    assert "DRAFT for clinician review" in text
    hr = report.measurements.get("hr_bpm")
    assert f"{format_value(hr.value, hr.unit)}" in pdf[1].get_textpage().get_text_range()


def test_every_renderer_escapes_file_and_lead_names(tmp_path):
    """A file and a lead named with markup, Markdown and matplotlib math: nothing comes out raw."""

    from medts.report.batch import run_batch
    from medts.report.render_markdown import md_escape

    hostile_lead = "<script>alert(1)</script>"
    t = np.arange(2500) / 250
    wave = np.sin(2 * np.pi * 1.2 * t) * 0.8
    name = "x<img src=q onerror=alert(2)>[a](javascript:alert(3))$\\frac{1}{0}$"
    path = tmp_path / f"{name}.csv"
    header = ",".join(["I", "II", hostile_lead, "*bold* | cell"])
    rows = "\n".join(f"{a:.4f},{a:.4f},{a / 2:.4f},{-a:.4f}" for a in wave)
    path.write_text("time_s," + header + "\n" + "\n".join(f"{i / 250:.4f},{r}" for i, r in enumerate(rows.splitlines())))
    out = tmp_path / "out"
    result = run_batch([str(path)], out, formats=("json", "md", "html", "pdf", "png"), text="template",
                       evidence="none", progress=False)
    assert result.n_done == 1, result.results[0].error
    folder = next((out / "records").iterdir())
    md = (folder / "report.md").read_text()
    page = (folder / "report.html").read_text()
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)).decode()
    for text, where in ((md, "report.md"), (page, "report.html"), (svg, "tracing SVG"),
                        ((out / "index.html").read_text(), "index.html")):
        for raw in ("<script", "<img src=q"):
            assert raw not in text, f"{raw} raw in {where}"
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # an escaped bracket is no link
    assert "&lt;script&gt;" in md and "\\[a\\]" in md and "\\*bold\\* \\| cell" in md
    assert (folder / "report.pdf").read_bytes()[:4] == b"%PDF" and (folder / "paper.png").stat().st_size > 1000
    assert md_escape("a\nb|c") == "a b\\|c"
