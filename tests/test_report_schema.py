"""The report JSON schema: every built report validates; malformed documents are rejected."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from medts.examples import simulate_example
from medts.report.build import ReportBuilder, age_band, deidentified_id
from medts.report.schema import SAFETY_NOTICE, SCHEMA_VERSION, Report, json_schema


@pytest.fixture(scope="module")
def report() -> Report:
    return ReportBuilder(text="template").build(simulate_example("afib"))


def test_report_round_trips_through_json_and_matches_the_json_schema(report):
    doc = json.loads(report.model_dump_json())
    again = Report.model_validate(doc)
    assert again == report
    schema = json_schema()
    assert set(schema["required"]) <= set(doc)
    assert set(doc) <= set(schema["properties"])
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["notice"] == SAFETY_NOTICE and doc["notice"].startswith("DRAFT for clinician review")


@pytest.mark.parametrize("mutate", [
    lambda d: d.pop("notice") and d.update(notice=123),
    lambda d: d.update(schema_version="0.9"),
    lambda d: d.update(unexpected_field=1),
    lambda d: d["measurements"]["items"][0].update(flag="weird"),
    lambda d: d.pop("record"),
])
def test_malformed_reports_fail_validation(report, mutate):
    doc = json.loads(report.model_dump_json())
    mutate(doc)
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


def test_measurements_are_tool_values_with_ranges_and_flags(report):
    from medts.signal import measure_ecg

    m = measure_ecg(simulate_example("afib"))
    hr = report.measurements.get("hr_bpm")
    assert hr.value == pytest.approx(m.hr_bpm.value, abs=0.05)
    assert (hr.normal_low, hr.normal_high) == (50.0, 100.0)  # the engine range: sinus bradycardia < 50 bpm (2018 ACC/AHA/HRS)
    assert hr.flag == ("high" if hr.value > 100 else "low" if hr.value < 50 else "normal")
    # The simulated AF has no P waves: PR is unmeasured, with the tool's reason.
    pr = report.measurements.get("pr_ms")
    assert pr.value is None and pr.flag == "unmeasured" and pr.reason


def test_unavailable_sections_say_why_instead_of_inventing(report):
    for section in (report.anomalies,):
        if not section.status.available:
            assert section.status.reason and not section.items


def test_deidentify_removes_source_date_and_exact_age():
    ecg = simulate_example("sinus")
    r = ReportBuilder(text="template", deidentify=True, salt="s3cret").build(ecg)
    assert r.record.deidentified and r.record.source is None and r.record.age_years is None
    assert r.record.age_band == "50-59" and r.record.record_id == deidentified_id("sinus", "s3cret")
    assert "sinus" not in r.record.record_id and r.record.record_id not in (deidentified_id("sinus"),)
    assert age_band(93) == "90+" and age_band(None) is None


def test_a_schema_1_4_report_without_the_premature_beat_reading_still_validates(report):
    """1.5 added ``findings.ectopy``; a resumed batch re-reads reports written before it."""
    data = report.model_dump(mode="json")
    assert data["schema_version"] == "1.5" and data["findings"]["ectopy"]["reason"]
    del data["findings"]["ectopy"]
    data["schema_version"] = "1.4"
    assert Report.model_validate(data).findings.ectopy is None
