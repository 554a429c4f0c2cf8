"""GE MUSE XML (``<RestingECG>``): rhythm and median waveforms, demographics, the cart's findings.

Each ``<Waveform>`` (``WaveformType`` ``Rhythm`` or ``Median``) has ``SampleBase`` (Hz) and one
``<LeadData>`` per lead: base64 little-endian int16 samples (``WaveFormData``),
``LeadAmplitudeUnitsPerBit`` with ``LeadAmplitudeUnits`` (``MICROVOLTS``), optional
``LeadDataCRC32`` (checked). MUSE stores 8 leads (I, II, V1-V6); III, aVR, aVL and aVF are
derived (``metadata["derived_leads"]`` says so). ``PatientAge``/``AgeUnits``, ``Gender``,
``AcquisitionDate`` (MM-DD-YYYY) and ``AcquisitionTime`` give age, sex and time;
``RestingECGMeasurements`` and ``Diagnosis`` statements go to ``metadata["device_measurements"]``
and ``["device_statements"]`` (``OriginalDiagnosis`` to ``["device_statements_original"]``).
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError
from medts.io.device import (
    MedianBeats,
    clean_measurements,
    complete_limb_leads,
    iso_datetime,
    number,
)
from medts.io.ecg_xml import text
from medts.record import ECG

UNITS_TO_MV = {"MICROVOLTS": 1e-3, "MILLIVOLTS": 1.0, "VOLTS": 1e3, "NANOVOLTS": 1e-6}
AGE_UNIT_YEARS = {"YEARS": 1.0, "MONTHS": 1 / 12, "WEEKS": 7 / 365.25, "DAYS": 1 / 365.25, "HOURS": 1 / 8766}

# RestingECGMeasurements element -> medts name (MUSE reports ms, bpm and degrees).
MEASUREMENTS = {
    "VentricularRate": "hr_bpm", "AtrialRate": "atrial_rate_bpm", "PRInterval": "pr_ms",
    "PDuration": "p_duration_ms", "QRSDuration": "qrs_ms", "QTInterval": "qt_ms", "QTCorrected": "qtc_ms",
    "PAxis": "p_axis_deg", "RAxis": "qrs_axis_deg", "TAxis": "t_axis_deg",
}


def muse_from_xml(root: ET.Element, path: Path) -> ECG:
    """An :class:`ECG` (the rhythm waveform) from a parsed ``<RestingECG>`` root."""
    waveforms = {(text(w, "WaveformType") or "").lower(): w for w in root.findall("Waveform")}
    if "rhythm" not in waveforms:
        found = ", ".join(sorted(waveforms)) or "none"
        raise ECGReadError(path, f"GE MUSE XML has no Rhythm waveform (waveforms: {found})")
    fs, leads, columns = _waveform(waveforms["rhythm"], path)
    leads, columns, derived = complete_limb_leads(leads, columns)
    metadata = {
        "format": "GE MUSE XML",
        "base_datetime": _acquired(root),
        "device": {k: v for k, v in {"manufacturer": "GE", "model": text(root, "TestDemographics", "AcquisitionDevice"),
                                     "software": text(root, "MuseInfo", "MuseVersion")}.items() if v},
        "device_measurements": clean_measurements(
            {name: number(text(root, "RestingECGMeasurements", tag)) for tag, name in MEASUREMENTS.items()}),
        "device_statements": _statements(root.find("Diagnosis")),
    }
    original = _statements(root.find("OriginalDiagnosis"))
    if original:
        metadata["device_statements_original"] = original
    if derived:
        metadata["derived_leads"] = derived
    if "median" in waveforms:
        beat_fs, beat_leads, beat_columns = _waveform(waveforms["median"], path)
        beat_leads, beat_columns, _ = complete_limb_leads(beat_leads, beat_columns)
        metadata["median_beats"] = MedianBeats(beat_fs, tuple(beat_leads),
                                               np.stack(beat_columns, axis=1).astype(np.float32))
    return ECG(np.stack(columns, axis=1), fs=fs, leads=tuple(leads), record_id=path.stem, source=str(path),
               age=_age(root), sex=text(root, "PatientDemographics", "Gender"), metadata=metadata)


def _waveform(waveform: ET.Element, path: Path) -> tuple[float, list[str], list[np.ndarray]]:
    kind = text(waveform, "WaveformType")
    fs = number(text(waveform, "SampleBase"))
    exponent = number(text(waveform, "SampleExponent")) or 0.0
    if fs is None or fs <= 0:
        raise ECGReadError(path, f"MUSE {kind} waveform: SampleBase {text(waveform, 'SampleBase')!r} is not a rate in Hz")
    if exponent != int(exponent) or not -3 <= exponent <= 3:
        raise ECGReadError(path, f"MUSE {kind} waveform: SampleExponent {exponent:g} is not a plausible power of ten")
    fs *= 10.0 ** exponent
    leads, columns = [], []
    for lead_data in waveform.findall("LeadData"):
        name = text(lead_data, "LeadID") or f"ECG{len(leads) + 1}"
        encoded = "".join((text(lead_data, "WaveFormData") or "").split())
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ECGReadError(path, f"MUSE {kind} lead {name}: WaveFormData is not valid base64") from None
        crc = number(text(lead_data, "LeadDataCRC32"))
        if crc is not None and zlib.crc32(raw) != int(crc):
            raise ECGReadError(path, f"MUSE {kind} lead {name}: CRC32 mismatch (data damaged)")
        size = int(number(text(lead_data, "LeadSampleSize")) or 2)
        if size != 2 or len(raw) % 2:
            raise ECGReadError(path, f"MUSE {kind} lead {name}: expected 2-byte samples, got {size}-byte / {len(raw)} bytes")
        count = number(text(lead_data, "LeadSampleCountTotal"))
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float64)
        if count is not None and int(count) != samples.size:
            raise ECGReadError(path, f"MUSE {kind} lead {name}: {samples.size} samples but LeadSampleCountTotal says {int(count)}")
        per_bit = number(text(lead_data, "LeadAmplitudeUnitsPerBit"))
        units = (text(lead_data, "LeadAmplitudeUnits") or "MICROVOLTS").upper()
        if per_bit is None or per_bit <= 0 or units not in UNITS_TO_MV:
            raise ECGReadError(path, f"MUSE {kind} lead {name}: amplitude {per_bit!r} {units} per bit is not a voltage")
        leads.append(name)
        columns.append(samples * per_bit * UNITS_TO_MV[units])
    if not columns:
        raise ECGReadError(path, f"MUSE {kind} waveform has no LeadData")
    lengths = {len(c) for c in columns}
    if len(lengths) != 1:
        raise ECGReadError(path, f"MUSE {kind} leads have different sample counts ({', '.join(map(str, sorted(lengths)))})")
    return fs, leads, columns


def _statements(diagnosis: ET.Element | None) -> list[str]:
    """Statement texts; MUSE splits one statement over several lines unless ``ENDSLINE`` follows."""
    if diagnosis is None:
        return []
    out, current = [], []
    for statement in diagnosis.findall("DiagnosisStatement"):
        said = text(statement, "StmtText")
        if said:
            current.append(said)
        flags = [f.text.strip() for f in statement.findall("StmtFlag") if f.text]
        if "ENDSLINE" in flags or not flags:
            if current:
                out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _age(root: ET.Element) -> float | None:
    age = number(text(root, "PatientDemographics", "PatientAge"))
    unit = (text(root, "PatientDemographics", "AgeUnits") or "YEARS").upper()
    if age is None or unit not in AGE_UNIT_YEARS or not 0 <= age * AGE_UNIT_YEARS[unit] < 130:
        return None
    return round(age * AGE_UNIT_YEARS[unit], 2)


def _acquired(root: ET.Element) -> str | None:
    date = text(root, "TestDemographics", "AcquisitionDate")  # MM-DD-YYYY
    clock = text(root, "TestDemographics", "AcquisitionTime") or "00:00:00"
    try:
        month, day, year = (int(x) for x in (date or "").split("-"))
        hour, minute, second = (int(x) for x in clock.split(":"))
    except ValueError:
        return None
    return iso_datetime(year, month, day, hour, minute, second)
