"""Report texts: the template (--no-llm), the agent's batched text wired into reports, the sentence guard."""

from __future__ import annotations

import pytest

from medts.report.build import ReportBuilder, Sources
from medts.report.consistency import check_text
from medts.report.text import AgentText, TemplateText, drop_contradicting_sentences
from medts.simulate import simulate_12lead


@pytest.fixture(scope="module")
def records():
    return [simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=hr, seed=s, atrial_fibrillation=af, record_id=f"r{s}")
            for hr, s, af in ((64.0, 1, False), (112.0, 2, True), (52.0, 3, False))]


@pytest.fixture(scope="module")
def template_reports(records):
    return ReportBuilder(text="template", evidence="none").build_many(records)


def test_a_sentence_contradicting_the_json_is_dropped_and_the_rest_kept(template_reports):
    report = template_reports[0]
    hr = report.measurements.get("hr_bpm").value
    text = f"Sinus rhythm. The heart rate is {hr + 30:.0f} bpm. The QRS axis is {report.rhythm_axis.axis_deg:.0f} degrees."
    kept, dropped = drop_contradicting_sentences(report, text)
    assert dropped == 1 and f"{hr + 30:.0f} bpm" not in kept and "QRS axis" in kept
    assert check_text(report, kept).disagreements == []


def test_agent_text_writes_one_grounded_text_per_record_in_one_batch(records, template_reports):
    """The agent's writer (its fact-line template here: no LLM download or generation in the default suite)."""
    pytest.importorskip("medts.agent.report_text")
    builder = ReportBuilder(sources=Sources(**{**ReportBuilder(text="template", evidence="none").sources.__dict__,
                                               "text": AgentText("template")}))
    reports = builder.build_many(records)
    assert [r.record.record_id for r in reports] == [r.record_id for r in records]
    for report, plain in zip(reports, template_reports):
        assert report.tools["text"].startswith("medts.agent.report_text")
        # the agent's fact-line writer uses no language model, and the report says so
        assert (report.interpretation.generator, report.interpretation.writer, report.interpretation.model) == (
            "template", "template", None)
        assert report.interpretation.text.rstrip().endswith("not a diagnosis.")
        assert any("report consistency check" in g for g in report.interpretation.grounding)
        assert check_text(report).disagreements == []
        assert report.statements == plain.statements  # the text step never changes the sections


def test_no_llm_is_the_template_text_with_every_statement(template_reports):
    assert isinstance(ReportBuilder(text="template").sources.text, TemplateText)
    for report in template_reports:
        assert report.interpretation.generator == "template"
        assert check_text(report).omissions == []


@pytest.mark.slow
def test_llm_text_from_the_local_model_agrees_with_the_json(records):
    pytest.importorskip("medts.agent.report_text")
    reports = ReportBuilder(text="llm", writer="llm", evidence="none").build_many(records[:2])
    for report in reports:
        assert report.interpretation.generator == "llm"
        assert check_text(report).disagreements == []
        assert report.interpretation.text.rstrip().endswith("not a diagnosis.")
