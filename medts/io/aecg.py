"""HL7 aECG (Annotated ECG, HL7 v3, ANSI/HL7 V3 ECG R1-2004): reader and writer.

Reader: the first ``RHYTHM`` series (``REPRESENTATIVE_BEAT`` series become
``metadata["median_beats"]``); the time axis from ``TIME_ABSOLUTE`` (``GLIST_TS``) or
``TIME_RELATIVE`` (``GLIST_PQ``) increments; each ``MDC_ECG_LEAD_*`` sequence as
``SLIST_PQ`` (``origin + scale x digits``, units uV/mV/V/nV). Sex from
``administrativeGenderCode``, age from ``birthTime`` and the acquisition time; global
annotations (``MDC_ECG_HEART_RATE``, ``MDC_ECG_TIME_PD_QTc``, ...) and interpretation
statements go to ``metadata["device_measurements"]`` / ``["device_statements"]``.

Writer: one ``RHYTHM`` series with integer microvolt digits (scale 1 uV, origin 0), so a
write-read round trip is exact to 0.5 uV. aECG has no age field: the age is not written.

Example
-------
>>> import tempfile, pathlib
>>> from medts.examples import simulate_example
>>> from medts.io.aecg import write_aecg
>>> from medts.io import read_record
>>> p = pathlib.Path(tempfile.mkdtemp()) / "sinus.xml"
>>> _ = write_aecg(simulate_example("sinus"), p)
>>> back = read_record(p)
>>> back.fs, back.n_leads, back.sex
(500.0, 12, 'F')
"""

from __future__ import annotations

import datetime as _dt
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

import medts
from medts.errors import ECGReadError
from medts.io.device import (
    MedianBeats,
    age_between,
    clean_measurements,
    complete_limb_leads,
    hl7_timestamp,
    number,
)
from medts.io.ecg_xml import child, descendants
from medts.record import ECG

HL7_NS = "urn:hl7-org:v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ACT_CODE = "2.16.840.1.113883.5.4"  # HL7 ActCode: RHYTHM, TIME_ABSOLUTE, ...
MDC = "2.16.840.1.113883.6.24"  # ISO/IEEE 11073-10101 (MDC) codes

UNIT_TO_MV = {"uV": 1e-3, "mV": 1.0, "V": 1e3, "nV": 1e-6, "mv": 1.0, "uv": 1e-3, "µV": 1e-3}
TIME_UNIT_TO_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6}

# Global annotation codes -> medts names (unit in the name).
ANNOTATION_NAMES = {
    "MDC_ECG_HEART_RATE": "hr_bpm",
    "MDC_ECG_TIME_PD_RR": "rr_ms", "MDC_ECG_TIME_PD_RR_GL": "rr_ms",
    "MDC_ECG_TIME_PD_PR": "pr_ms", "MDC_ECG_TIME_PD_PR_GL": "pr_ms",
    "MDC_ECG_TIME_PD_P": "p_duration_ms", "MDC_ECG_TIME_PD_P_GL": "p_duration_ms",
    "MDC_ECG_TIME_PD_QRS": "qrs_ms", "MDC_ECG_TIME_PD_QRS_GL": "qrs_ms",
    "MDC_ECG_TIME_PD_QT": "qt_ms", "MDC_ECG_TIME_PD_QT_GL": "qt_ms",
    "MDC_ECG_TIME_PD_QTc": "qtc_ms", "MDC_ECG_TIME_PD_QTc_GL": "qtc_ms",
    "MDC_ECG_ANGLE_P_FRONT": "p_axis_deg", "MDC_ECG_ANGLE_P_FRONT_GL": "p_axis_deg",
    "MDC_ECG_ANGLE_QRS_FRONT": "qrs_axis_deg", "MDC_ECG_ANGLE_QRS_FRONT_GL": "qrs_axis_deg",
    "MDC_ECG_ANGLE_T_FRONT": "t_axis_deg", "MDC_ECG_ANGLE_T_FRONT_GL": "t_axis_deg",
}


def aecg_from_xml(root: ET.Element, path: Path) -> ECG:
    """An :class:`ECG` from a parsed, namespace-stripped ``<AnnotatedECG>`` root."""
    series = [s for s in descendants(root, "series") if _code(s) == "RHYTHM"]
    if not series:
        raise ECGReadError(path, "HL7 aECG has no RHYTHM series (no waveform to read)")
    fs, leads, columns = _sequence_set(series[0], path)
    leads, columns, derived = complete_limb_leads(leads, columns)
    acquired = hl7_timestamp(_attr(child(root, "effectiveTime", "low"), "value"))
    person = next(descendants(root, "subjectDemographicPerson"), None)
    sex = _attr(child(person, "administrativeGenderCode"), "code")
    birth = hl7_timestamp(_attr(child(person, "birthTime"), "value"))
    measurements, statements = _annotations(root)
    metadata = {
        "format": "HL7 aECG",
        "base_datetime": acquired.isoformat() if acquired else None,
        "device_measurements": measurements,
        "device_statements": statements,
    }
    if derived:
        metadata["derived_leads"] = derived
    beats = [s for tag in ("series", "derivedSeries") for s in descendants(root, tag)
             if _code(s) == "REPRESENTATIVE_BEAT"]
    if beats:
        beat_fs, beat_leads, beat_columns = _sequence_set(beats[0], path)
        metadata["median_beats"] = MedianBeats(beat_fs, tuple(beat_leads), np.stack(beat_columns, axis=1).astype(np.float32))
    return ECG(np.stack(columns, axis=1), fs=fs, leads=tuple(leads), record_id=path.stem, source=str(path),
               age=age_between(birth, acquired), sex=sex if sex in ("M", "F") else None, metadata=metadata)


def _code(element: ET.Element) -> str | None:
    return _attr(child(element, "code"), "code")


def _attr(element: ET.Element | None, name: str) -> str | None:
    return None if element is None else element.get(name)


def _sequence_set(series: ET.Element, path: Path) -> tuple[float, list[str], list[np.ndarray]]:
    """(fs, lead names, columns in mV) of the first sequence set with leads in ``series``."""
    for sequence_set in descendants(series, "sequenceSet"):
        sequences = list(descendants(sequence_set, "sequence"))
        lead_sequences = [s for s in sequences if (_code(s) or "").startswith("MDC_ECG_LEAD_")]
        if not lead_sequences:
            continue
        time = next((s for s in sequences if (_code(s) or "").startswith("TIME_")), None)
        if time is None:
            raise ECGReadError(path, "aECG sequence set has no TIME_ABSOLUTE/TIME_RELATIVE sequence")
        increment = child(time, "value", "increment")
        step, unit = number(_attr(increment, "value")), _attr(increment, "unit") or "s"
        if step is None or step <= 0 or unit not in TIME_UNIT_TO_S:
            raise ECGReadError(path, f"aECG time increment {_attr(increment, 'value')!r} {unit} is not a positive time")
        fs = round(1.0 / (step * TIME_UNIT_TO_S[unit]), 6)
        leads, columns = [], []
        for sequence in lead_sequences:
            name = (_code(sequence) or "")[len("MDC_ECG_LEAD_"):]
            value = child(sequence, "value")
            scale_el, origin_el = child(value, "scale"), child(value, "origin")
            scale, origin = number(_attr(scale_el, "value")), number(_attr(origin_el, "value")) or 0.0
            scale_unit = _attr(scale_el, "unit") or "uV"
            origin_unit = _attr(origin_el, "unit") or scale_unit
            if scale is None or scale <= 0 or scale_unit not in UNIT_TO_MV or origin_unit not in UNIT_TO_MV:
                # a zero scale would turn every sample into the origin: a flat lead, not an error
                raise ECGReadError(path, f"aECG lead {name}: scale {_attr(scale_el, 'value')!r} {scale_unit!r} "
                                         f"(origin unit {origin_unit!r}) is not a positive voltage")
            digits = (child(value, "digits").text or "") if child(value, "digits") is not None else ""
            try:
                raw = np.array(digits.split(), dtype=np.float64)
            except ValueError:
                raise ECGReadError(path, f"aECG lead {name}: digits are not all numbers") from None
            leads.append(name)
            columns.append(origin * UNIT_TO_MV[origin_unit] + raw * scale * UNIT_TO_MV[scale_unit])
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise ECGReadError(path, f"aECG leads have different sample counts ({', '.join(map(str, sorted(lengths)))})")
        return fs, leads, columns
    raise ECGReadError(path, "aECG series has no sequence set with MDC_ECG_LEAD_* sequences")


def _annotations(root: ET.Element) -> tuple[dict[str, float], list[str]]:
    """Global device measurements (first value per name) and interpretation statements."""
    values: dict[str, float | None] = {}
    statements: list[str] = []
    for annotation in descendants(root, "annotation"):
        code = _code(annotation) or ""
        value = child(annotation, "value")
        if value is None:
            continue
        if "INTERPRETATION" in code:
            said = (value.text or "").strip() or (value.get("value") or "").strip()
            if said:
                statements.append(said)
            continue
        name = ANNOTATION_NAMES.get(code)
        if name is None or name in values:
            continue
        v = number(value.get("value"))
        if v is not None and name.endswith("_ms") and value.get("unit") == "s":
            v *= 1000.0
        values[name] = v
    return clean_measurements(values), statements


# -- writer ----------------------------------------------------------------------------------
def _lead_code(lead: str) -> str:
    return "MDC_ECG_LEAD_" + lead.upper() if lead in ("aVR", "aVL", "aVF") else "MDC_ECG_LEAD_" + lead


def write_aecg(ecg: ECG, path: str | Path) -> Path:
    """Write ``ecg`` as an HL7 aECG XML file (integer microvolts). Returns the path.

    The signal is stored as integer microvolts (``scale 1 uV``): a write-read round trip agrees
    to 0.5 uV. Sex and acquisition time (``metadata["base_datetime"]``) are written; age is not
    (aECG stores a birth date, which medts does not know).
    """
    path = Path(path)
    ET.register_namespace("", HL7_NS)
    ET.register_namespace("xsi", XSI_NS)

    def q(tag: str) -> str:
        return f"{{{HL7_NS}}}{tag}"

    def sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
        return ET.SubElement(parent, q(tag), {k: v for k, v in attrs.items()})

    start = _start_time(ecg)
    end = start + _dt.timedelta(seconds=ecg.duration_s) if start else None
    root = ET.Element(q("AnnotatedECG"))
    sub(root, "id", root=str(uuid.uuid4()))
    sub(root, "code", code="93000", codeSystem="2.16.840.1.113883.6.12", codeSystemName="CPT-4")
    sub(root, "text").text = f"Written by medts {medts.__version__} from {ecg.record_id}"
    _effective_time(sub(root, "effectiveTime"), start, end, q)
    subject = sub(sub(sub(sub(sub(sub(root, "componentOf"), "timepointEvent"), "componentOf"),
                          "subjectAssignment"), "subject"), "trialSubject")
    sub(subject, "id", root="2.25.0", extension=ecg.record_id)
    person = sub(subject, "subjectDemographicPerson")
    sub(person, "administrativeGenderCode", code=ecg.sex or "UN", codeSystem="2.16.840.1.113883.5.1")
    series = sub(sub(root, "component"), "series")
    sub(series, "id", root=str(uuid.uuid4()))
    sub(series, "code", code="RHYTHM", codeSystem=ACT_CODE)
    _effective_time(sub(series, "effectiveTime"), start, end, q)
    sequence_set = sub(sub(series, "component"), "sequenceSet")
    time = sub(sub(sequence_set, "component"), "sequence")
    increment = repr(1.0 / ecg.fs)
    if start is not None:
        sub(time, "code", code="TIME_ABSOLUTE", codeSystem=ACT_CODE)
        value = sub(time, "value", **{f"{{{XSI_NS}}}type": "GLIST_TS"})
        sub(value, "head", value=start.strftime("%Y%m%d%H%M%S.%f")[:-3])
    else:
        sub(time, "code", code="TIME_RELATIVE", codeSystem=ACT_CODE)
        value = sub(time, "value", **{f"{{{XSI_NS}}}type": "GLIST_PQ"})
        sub(value, "head", value="0", unit="s")
    sub(value, "increment", value=increment, unit="s")
    microvolts = np.rint(ecg.signal.astype(np.float64) * 1000.0).astype(np.int64)
    for j, lead in enumerate(ecg.leads):
        sequence = sub(sub(sequence_set, "component"), "sequence")
        sub(sequence, "code", code=_lead_code(lead), codeSystem=MDC, codeSystemName="MDC")
        value = sub(sequence, "value", **{f"{{{XSI_NS}}}type": "SLIST_PQ"})
        sub(value, "origin", value="0", unit="uV")
        sub(value, "scale", value="1", unit="uV")
        sub(value, "digits").text = " ".join(map(str, microvolts[:, j].tolist()))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


def _start_time(ecg: ECG) -> _dt.datetime | None:
    text = ecg.metadata.get("base_datetime")
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(str(text)).replace(tzinfo=None)
    except ValueError:
        return None


def _effective_time(element: ET.Element, start: _dt.datetime | None, end: _dt.datetime | None, q) -> None:
    if start is None or end is None:
        element.set("nullFlavor", "UNK")
        return
    ET.SubElement(element, q("low"), {"value": start.strftime("%Y%m%d%H%M%S")})
    ET.SubElement(element, q("high"), {"value": end.strftime("%Y%m%d%H%M%S")})
