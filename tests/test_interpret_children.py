"""A child's ECG (a recorded age under 16 years) is not judged against adult limits.

Adult limits call a healthy 4-year-old's 125 bpm sinus tachycardia and miss a QRS that is wide for
the age; medts holds no paediatric table, so it shows the values and says "cannot tell for this age"
on every surface (engine, report, chat), and never asserts a statement the adult limits made.
"""

from __future__ import annotations

import json
from dataclasses import replace

from interpret_helpers import measured, scores, with_values
from medts.interpret import interpret
from medts.interpret.contradictions import findings_contradictions, report_contradictions, statement_contradictions
from medts.interpret.ranges import AGE_DEPENDENT, PAEDIATRIC_REASON, flag_measurements, is_child, reference_range
from medts.interpret.reconcile import undetermined
from medts.io.wfdb_io import write_wfdb
from medts.report.batch import run_batch
from medts.report.schema import Report


def test_age_dependent_values_of_a_child_are_shown_but_not_judged():
    _, m = measured(125.0)
    child = {f.name: f for f in flag_measurements(m, "M", 4.0)}
    adult = {f.name: f for f in flag_measurements(m, "M", 40.0)}
    for name in AGE_DEPENDENT:
        assert child[name].flag == "not_judged" and child[name].low is None and child[name].high is None
        assert PAEDIATRIC_REASON in child[name].reason and child[name].value == adult[name].value
    assert adult["hr_bpm"].flag == "high" and adult["hr_bpm"].high == 100.0
    # QTc and the P axis keep their limits at every age
    assert child["qtc_bazett_ms"].flag == adult["qtc_bazett_ms"].flag != "not_judged"
    assert child["qtc_bazett_ms"].high == 450.0 and child["p_axis_deg"].low == 0.0
    assert reference_range("hr_bpm", "F", 15.9) == (None, None) and reference_range("hr_bpm", "F", 16.0) == (50.0, 100.0)
    assert not is_child(None) and is_child(0.1) and not is_child(float("nan"))


def test_a_fast_child_is_in_sinus_rhythm_with_nothing_asserted_by_adult_limits():
    _, m = measured(125.0)
    clf = scores(STACH=0.9, NORM=0.8, LVH=0.7, IRBBB=0.7, LAFB=0.6)
    adult = interpret(m, sex="M", age_years=40.0, scores=clf)
    child = interpret(m, sex="M", age_years=4.0, scores=clf)
    assert adult.rhythm.code == "STACH" and "STACH" in adult.codes()
    assert child.rhythm.code == "SR" and child.codes() == ["SR"] and PAEDIATRIC_REASON in child.rhythm.reason
    assert adult.axis.category == "normal axis" and child.axis.category is None and child.axis.axis_deg is not None
    withheld = {s.code: s.reason for s in child.withheld}
    for code in ("LVH", "IRBBB", "LAFB", "NORM"):  # undecided for the age, not found absent
        assert undetermined(code, withheld[code]) and PAEDIATRIC_REASON in withheld[code], code
    assert not undetermined("STACH", withheld["STACH"])  # the measured rhythm is sinus rhythm
    assert "not judged for age" in child.verdict and "not judged" not in adult.verdict
    assert findings_contradictions(child) == [] and findings_contradictions(adult) == []


def test_what_is_abnormal_at_any_age_is_still_asserted_for_a_child():
    _, m = measured(125.0)
    wide = interpret(with_values(m, qrs_ms=140.0), sex="F", age_years=6.0, scores=scores(CRBBB=0.8, NORM=0.7))
    assert "CRBBB" in wide.codes() and "NORM" not in wide.codes()
    norm = next(s for s in wide.withheld if s.code == "NORM")
    assert not undetermined("NORM", norm.reason)  # no normal ECG beside a complete block, at any age
    # a complete block refused only for a QRS under 120 ms is undecided in a child (it can be narrower)
    narrow = interpret(with_values(m, qrs_ms=104.0), sex="F", age_years=6.0, scores=scores(CRBBB=0.8))
    crbbb = next(s for s in narrow.withheld if s.code == "CRBBB")
    assert undetermined("CRBBB", crbbb.reason) and "IRBBB" not in narrow.codes()
    long_qt = interpret(with_values(m, qtc_bazett_ms=520.0, qtc_fridericia_ms=500.0), sex="F", age_years=6.0, scores=[])
    assert "LNGQT" in long_qt.codes()


def test_statements_made_by_adult_limits_contradict_a_childs_record():
    values = {"hr_bpm": 125.0, "pr_ms": 150.0}
    assert statement_contradictions(["SR"], values=values, child=True) == []
    assert [c.detail for c in statement_contradictions(["SR"], values=values)] == [
        "SR asserted but heart rate 125 bpm is outside 50-100"]
    found = statement_contradictions(["STACH", "NORM"], values=values, child=True)
    assert any("STACH, NORM asserted for a child" in c.detail for c in found)


def _child_record(folder, age: float):
    ecg, _ = measured(125.0)
    folder.mkdir(parents=True, exist_ok=True)
    write_wfdb(replace(ecg, record_id=f"kid{age:g}", age=age, sex="M"), folder / f"kid{age:g}")
    return folder / f"kid{age:g}.hea"


def test_a_childs_report_says_not_judged_everywhere_and_deidentified_keeps_no_age(tmp_path):
    header = _child_record(tmp_path / "in", 4.0)
    run_batch([str(header)], tmp_path / "out", formats=("json", "md"), text="template", progress=False)
    folder = tmp_path / "out" / "records" / "kid4"
    report = Report.model_validate_json((folder / "report.json").read_text())
    flags = {i.name: i.flag for i in report.measurements.items}
    assert flags["hr_bpm"] == flags["qrs_ms"] == "not_judged" and flags["qtc_bazett_ms"] == "normal"
    assert report.rhythm_axis.axis_category == "not categorised for age" and report.findings.age_years == 4.0
    assert "STACH" not in report.statements.codes() and report_contradictions(report) == []
    md = (folder / "report.md").read_text()
    assert "not judged for age" in md and "(None)" not in md and "sinus tachycardia" not in md.split("## Statements")[0]

    run_batch([str(header)], tmp_path / "anon", formats=("json",), text="template", deidentify=True, salt="k",
              progress=False)
    (folder,) = (tmp_path / "anon" / "records").iterdir()
    data = json.loads((folder / "report.json").read_text())
    assert data["record"]["age_years"] is None and data["findings"]["age_years"] is None
    assert data["record"]["age_band"] == "0-9" and "4 years" not in json.dumps(data)
    assert report_contradictions(Report.model_validate(data)) == []
