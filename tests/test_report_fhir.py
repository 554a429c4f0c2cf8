"""FHIR R5 output: a preliminary DiagnosticReport with one Observation per measurement."""

from __future__ import annotations

import json

import pytest
from fhir.resources.bundle import Bundle

from medts.examples import simulate_example
from medts.report.build import ReportBuilder
from medts.report.fhir import LOINC, report_to_fhir
from medts.report.schema import SAFETY_NOTICE


@pytest.fixture(scope="module")
def report():
    return ReportBuilder(text="template").build(simulate_example("sinus"))


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_is_valid_fhir_and_marked_as_a_draft(report):
    bundle = report_to_fhir(report)
    Bundle.model_validate(bundle)  # round trip through the FHIR R5 models
    json.dumps(bundle)
    (diagnostic,) = _resources(bundle, "DiagnosticReport")
    assert diagnostic["status"] == "preliminary"
    assert diagnostic["note"][0]["text"] == SAFETY_NOTICE and "clinician" in SAFETY_NOTICE
    observations = _resources(bundle, "Observation")
    assert {o["status"] for o in observations} == {"preliminary"}
    assert len(observations) == len(report.measurements.items)
    full_urls = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"}
    assert {r["reference"] for r in diagnostic["result"]} == full_urls
    assert [c["coding"][0]["code"] for c in diagnostic.get("conclusionCode", [])] == report.statements.codes()
    assert report.interpretation.text in diagnostic["conclusion"]


def test_observations_carry_the_reports_numbers_units_ranges_and_flags(report):
    observations = {o["code"]["coding"][-1]["code"]: o for o in _resources(report_to_fhir(report), "Observation")}
    hr = report.measurements.get("hr_bpm")
    obs = observations["hr_bpm"]
    assert obs["code"]["coding"][0] == {"system": LOINC, "code": "8867-4", "display": "Heart rate"}
    assert obs["valueQuantity"]["value"] == hr.value and obs["valueQuantity"]["code"] == "/min"
    assert obs["referenceRange"][0]["low"]["value"] == hr.normal_low
    assert obs["referenceRange"][0]["high"]["value"] == hr.normal_high
    assert obs["interpretation"][0]["coding"][0]["code"] == {"normal": "N", "high": "H", "low": "L"}[hr.flag]
    qtc = observations["qtc_bazett_ms"]
    assert qtc["code"]["coding"][0]["code"] == "8636-3" and qtc["valueQuantity"]["code"] == "ms"


def test_unmeasured_values_say_why_and_flags_follow_the_report(report):
    items = [m.model_copy(update={"value": None, "flag": "unmeasured", "reason": "no P waves"})
             if m.name == "pr_ms" else m.model_copy(update={"flag": "high"}) if m.name == "qrs_ms" else m
             for m in report.measurements.items]
    changed = report.model_copy(update={"measurements": report.measurements.model_copy(update={"items": items})})
    observations = {o["code"]["coding"][-1]["code"]: o for o in _resources(report_to_fhir(changed), "Observation")}
    pr = observations["pr_ms"]
    assert "valueQuantity" not in pr and pr["dataAbsentReason"]["text"] == "no P waves"
    assert "interpretation" not in pr
    assert observations["qrs_ms"]["interpretation"][0]["coding"][0]["code"] == "H"


def test_batch_writes_fhir_when_asked(tmp_path):
    from medts.io.wfdb_io import write_wfdb
    from medts.report.batch import run_batch

    write_wfdb(simulate_example("afib"), tmp_path / "in" / "afib")
    result = run_batch([str(tmp_path / "in")], tmp_path / "out", formats=("json", "fhir"), text="template",
                       progress=False)
    assert result.n_done == 1
    folder = tmp_path / "out" / "records" / "afib"
    bundle = json.loads((folder / "report.fhir.json").read_text())
    Bundle.model_validate(bundle)
    saved = json.loads((folder / "report.json").read_text())
    (diagnostic,) = _resources(bundle, "DiagnosticReport")
    assert [c["coding"][0]["code"] for c in diagnostic.get("conclusionCode", [])] == [
        s["code"] for s in saved["statements"]["asserted"]]
    assert not (folder / "report.md").exists()
