"""The contradiction checker: it finds planted contradictions, and finds none in medts's own reports."""

from __future__ import annotations

import pytest
from interpret_helpers import measured, scores

from medts.examples import example_names, load_example
from medts.interpret import interpret
from medts.interpret.contradictions import (
    answer_contradictions,
    findings_contradictions,
    report_contradictions,
    statement_contradictions,
)


def test_it_finds_planted_contradictions():
    def kinds(contradictions):
        return [c.kind for c in contradictions]

    assert kinds(statement_contradictions(["CLBBB", "CRBBB"], values={"qrs_ms": 140.0})) == ["exclusive"]
    assert kinds(statement_contradictions(["NORM", "LVH"], values={})) == ["exclusive"]
    assert kinds(statement_contradictions(["NORM"], values={}, abnormal_flags=["hr_bpm"])) == ["exclusive"]
    assert kinds(statement_contradictions(["STACH"], values={"hr_bpm": 88.0})) == ["measurement"]
    assert kinds(statement_contradictions(["SR", "AFIB"], values={"hr_bpm": 88.0})) == ["exclusive"]
    assert kinds(statement_contradictions(["CRBBB"], values={"qrs_ms": 100.0})) == ["measurement"]
    assert statement_contradictions(["SR", "NORM"], values={"hr_bpm": 72.0, "qrs_ms": 90.0}) == []


def test_text_against_findings():
    _, m = measured(70.0)
    f = interpret(m, sex="F", scores=scores(NORM=0.9))
    assert findings_contradictions(f) == []
    assert answer_contradictions(f.verdict + " The PR interval is normal.", f) == []
    bad = answer_contradictions(f.verdict + " There is atrial fibrillation.", f)
    assert [c.kind for c in bad] == ["text"] and "AFIB" in bad[0].detail
    hr = next(fl.value for fl in f.flags if fl.name == "hr_bpm")
    wrong_number = answer_contradictions(f"{f.verdict} Heart rate {hr + 20:.0f} bpm.", f)
    assert any("hr_bpm" in c.detail for c in wrong_number)
    assert any("verdict" in c.detail for c in answer_contradictions("Sinus rhythm.", f))


@pytest.fixture(scope="module")
def builder():
    from medts.report.build import ReportBuilder

    return ReportBuilder(text="template", evidence="none")


def test_every_bundled_example_report_has_no_contradiction(builder):
    reports = builder.build_many([load_example(n) for n in example_names()])
    for report in reports:
        assert report_contradictions(report) == [], report.record.record_id
        assert report.interpretation.text.startswith(report.verdict)
        f = report.findings
        said = "; ".join(s.description for s in f.asserted if s.code != "NORM")
        assert answer_contradictions(f"{f.verdict} Findings: {said}.", f) == []
    afib = next(r for r in reports if r.record.record_id == "afib")
    assert "AFIB" in afib.statements.codes() and "NORM" not in afib.statements.codes()
    assert afib.verdict.startswith("Atrial fibrillation")
    from medts.report.render_markdown import render_markdown

    md = render_markdown(afib)
    assert f"**Verdict (draft):** {afib.verdict}" in md.replace("\\", "")
    for s in afib.statements.withheld:  # every withheld statement is shown with its reason
        assert f"| {s.code} |" in md and "withheld" in md


@pytest.mark.realdata
def test_shared_ludb_reports_have_no_contradiction(builder, ludb_dir):
    from medts.io.ludb import read_ludb

    reports = builder.build_many([read_ludb(ludb_dir, i).ecg for i in range(1, 13)])
    for report in reports:
        assert report_contradictions(report) == [], (report.record.record_id, report_contradictions(report))


@pytest.mark.realdata
@pytest.mark.slow
def test_all_ludb_and_ptbxl_fold9_reports_have_no_contradiction(builder, ludb_dir, ptbxl_dir):
    from medts.io.ludb import read_ludb
    from medts.io.ptbxl import PtbxlIndex

    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    ecgs = [read_ludb(ludb_dir, i).ecg for i in range(1, 161)] + [index.read(i) for i in index.ecg_ids([9])]
    for start in range(0, len(ecgs), 16):
        for report in builder.build_many(ecgs[start:start + 16]):
            assert report_contradictions(report) == [], (report.record.record_id, report_contradictions(report))


def test_rate_statements_follow_the_engine_rate_limits():
    from medts.interpret.contradictions import statement_contradictions

    # sinus bradycardia is < 50 bpm (2018 ACC/AHA/HRS): 55 bpm is sinus rhythm, not bradycardia
    assert [c.detail for c in statement_contradictions(["SBRAD"], values={"hr_bpm": 55.0})] == \
        ["SBRAD asserted but heart rate 55 bpm is not below 50"]
    assert statement_contradictions(["SBRAD"], values={"hr_bpm": 45.0}) == []
    assert statement_contradictions(["SR"], values={"hr_bpm": 55.0}) == []
    assert len(statement_contradictions(["SR"], values={"hr_bpm": 45.0})) == 1
