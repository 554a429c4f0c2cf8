"""A draft report as HL7 FHIR R5 JSON: a Bundle of one DiagnosticReport and its Observations.

Everything is marked as a draft for clinician review: ``DiagnosticReport.status`` and every
``Observation.status`` are ``preliminary``, and ``DiagnosticReport.note`` carries the report's
safety notice. Measurements become Observations (LOINC codes for the standard 12-lead EKG
panel items, a medts code for the rest; UCUM units; the adult reference range; H/L/N
interpretation). Asserted statements become ``conclusionCode`` entries (SCP-ECG statement codes
with their probabilities and thresholds in the text); the verdict and the free text become
``conclusion``. No Patient resource is written: the report is linked to its record by an
identifier only (de-identified reports carry the pseudonym).

The resources are built and validated with ``fhir.resources`` (pydantic models of FHIR R5).

Example
-------
>>> # report = Report.model_validate_json(open("report.json").read())
>>> # json.loads(report_to_fhir_json(report))["entry"][0]["resource"]["status"]
>>> # 'preliminary'
"""

from __future__ import annotations

import uuid
from typing import Any

from medts.report.schema import Measurement, Report

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MEDTS_MEASUREMENT = "urn:medts:measurement"
SCP_ECG_STATEMENT = "urn:medts:scp-ecg-statement"  # SCP-ECG statement codes as PTB-XL uses them
RECORD_ID = "urn:medts:record-id"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# medts measurement name -> (LOINC code, LOINC display) for the 12-lead EKG panel items.
LOINC_CODES = {
    "hr_bpm": ("8867-4", "Heart rate"),
    "pr_ms": ("8625-6", "P-R Interval"),
    "qrs_ms": ("8633-0", "QRS duration"),
    "qt_ms": ("8634-8", "Q-T interval"),
    "qtc_bazett_ms": ("8636-3", "Q-T interval corrected"),
    "p_axis_deg": ("8626-4", "P wave axis"),
    "qrs_axis_deg": ("8632-2", "QRS axis"),
    "t_axis_deg": ("8638-9", "T wave axis"),
}
UCUM_UNITS = {"ms": "ms", "bpm": "/min", "deg": "deg", "mV": "mV", "mv": "mV", "s": "s", "%": "%"}
FLAG_CODES = {"high": ("H", "High"), "low": ("L", "Low"), "normal": ("N", "Normal")}


def report_to_fhir(report: Report) -> dict[str, Any]:
    """The FHIR R5 Bundle (type ``collection``) for ``report``, validated, as a JSON-ready dict."""
    from fhir.resources.bundle import Bundle

    observations = [(f"urn:uuid:{uuid.uuid4()}", _observation(report, m)) for m in report.measurements.items]
    diagnostic = _diagnostic_report(report, [url for url, _ in observations])
    entries = [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": diagnostic}]
    entries += [{"fullUrl": url, "resource": obs} for url, obs in observations]
    bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "collection",
                                    "timestamp": report.generated_at, "entry": entries})
    return bundle.model_dump(mode="json", exclude_none=True)


def report_to_fhir_json(report: Report) -> str:
    """:func:`report_to_fhir` as indented JSON text (what ``report.fhir.json`` holds)."""
    import json

    return json.dumps(report_to_fhir(report), indent=1, ensure_ascii=False)


def _diagnostic_report(report: Report, results: list[str]) -> dict[str, Any]:
    text, verdict = report.interpretation.text, report.verdict
    conclusion = text if not verdict or verdict in text else f"{verdict} {text}"
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "status": "preliminary",
        "identifier": [{"system": RECORD_ID, "value": report.record.record_id}],
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "EC",
                                  "display": "Electrocardiac (e.g., EKG, EEC, Holter)"}]}],
        "code": {"coding": [{"system": LOINC, "code": "11524-6", "display": "EKG study"}],
                 "text": "Draft ECG interpretation (medts)"},
        "issued": report.generated_at,
        "result": [{"reference": url} for url in results],
        "note": [{"text": report.notice},
                 {"text": f"Written by medts {report.medts_version}; the interpretation text came from "
                          f"{report.interpretation.writer or report.interpretation.generator}."}],
        "conclusionCode": [_statement_concept(s) for s in report.statements.asserted],
    }
    if report.record.recorded_at:
        resource["effectiveDateTime"] = report.record.recorded_at
    if conclusion:
        resource["conclusion"] = conclusion
    if not resource["conclusionCode"]:
        del resource["conclusionCode"]
    if not results:
        del resource["result"]
    return resource


def _statement_concept(statement) -> dict[str, Any]:
    detail = []
    if statement.probability is not None:
        detail.append(f"probability {statement.probability:.2f}")
    if statement.threshold is not None:
        detail.append(f"threshold {statement.threshold:.2f}")
    text = statement.description + (f" ({', '.join(detail)}; {statement.source})" if detail else f" ({statement.source})")
    return {"coding": [{"system": SCP_ECG_STATEMENT, "code": statement.code, "display": statement.description}],
            "text": text}


def _observation(report: Report, m: Measurement) -> dict[str, Any]:
    coding = [{"system": MEDTS_MEASUREMENT, "code": m.name, "display": m.label}]
    if m.name in LOINC_CODES:
        code, display = LOINC_CODES[m.name]
        coding.insert(0, {"system": LOINC, "code": code, "display": display})
    unit = UCUM_UNITS.get(m.unit, m.unit)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "preliminary",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "procedure", "display": "Procedure"}]}],
        "code": {"coding": coding, "text": m.label},
        "identifier": [{"system": RECORD_ID, "value": f"{report.record.record_id}/{m.name}"}],
    }
    if report.record.recorded_at:
        resource["effectiveDateTime"] = report.record.recorded_at
    if m.value is None:
        resource["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "error"}],
                                        "text": m.reason or "not measurable on this record"}
    else:
        resource["valueQuantity"] = {"value": m.value, "unit": m.unit, "system": UCUM, "code": unit}
    if m.normal_low is not None or m.normal_high is not None:
        limits = {}
        if m.normal_low is not None:
            limits["low"] = {"value": m.normal_low, "unit": m.unit, "system": UCUM, "code": unit}
        if m.normal_high is not None:
            limits["high"] = {"value": m.normal_high, "unit": m.unit, "system": UCUM, "code": unit}
        resource["referenceRange"] = [{**limits, "text": "adult reference range used by medts"}]
    if m.flag in FLAG_CODES:
        code, display = FLAG_CODES[m.flag]
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": code, "display": display}]}]
    notes = [f"measurement quality: {m.quality}"] if m.quality else []
    if m.reason and m.value is not None:
        notes.append(m.reason)
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    return resource
