"""Philips Sierra / PageWriter XML (``<restingecgdata>``, versions 1.03 and 1.04.x).

``parsedwaveforms`` holds all leads, base64, little-endian int16 (uint16 when ``signalsigned`` is
false), lead after lead, each ``durationperchannel`` ms long at ``signalcharacteristics/samplingrate``;
one unit is ``resolution`` microvolts above ``signaloffset``, the count that stands for 0 V (0 on
the carts seen, subtracted from every lead as ecgdatakit does; sierraecg ignores it). Uncompressed data are read here. XLI-compressed data (what
PageWriter carts write) are decoded by ``sierraecg`` (the maintained reference decoder of the
format, sierra-ecg-tools), which also rebuilds the limb leads the carts store as residuals.
Demographics from ``patient/generalpatientdata``, time from ``dataacquisition@date/@time``, the
cart's ``globalmeasurements`` and ``statement`` lines go to ``metadata["device_measurements"]``
and ``["device_statements"]``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError
from medts.io.device import age_between, clean_measurements, iso_datetime, number
from medts.io.ecg_xml import child, text
from medts.record import ECG, STANDARD_LEADS

SUPPORTED_VERSIONS = ("1.03", "1.04", "1.04.01", "1.04.02")
MEASUREMENTS = {
    "heartrate": "hr_bpm", "rrint": "rr_ms", "print": "pr_ms", "pdur": "p_duration_ms", "qrsdur": "qrs_ms",
    "qtint": "qt_ms", "qtcb": "qtc_ms", "pfrontaxis": "p_axis_deg", "qrsfrontaxis": "qrs_axis_deg",
    "tfrontaxis": "t_axis_deg",
}


def philips_from_xml(root: ET.Element, path: Path) -> ECG:
    """An :class:`ECG` from a parsed ``<restingecgdata>`` root (XLI decoded by ``sierraecg``)."""
    version = (text(root, "documentinfo", "documentversion") or "").strip()
    signal_info = child(root, "dataacquisition", "signalcharacteristics")
    waveform = child(root, "waveforms", "parsedwaveforms")
    if waveform is None:
        raise ECGReadError(path, "Philips XML has no waveforms/parsedwaveforms element")
    fs = number(text(signal_info, "samplingrate")) or number(waveform.get("samplespersecond"))
    if fs is None or fs <= 0:
        raise ECGReadError(path, "Philips XML gives no sampling rate (signalcharacteristics/samplingrate)")
    resolution_uv = number(text(signal_info, "resolution")) or number(waveform.get("resolution"))
    if resolution_uv is None or resolution_uv <= 0:
        raise ECGReadError(path, "Philips XML gives no amplitude resolution (signalcharacteristics/resolution)")
    duration_ms = number(waveform.get("durationperchannel"))
    if duration_ms is None or duration_ms <= 0:
        raise ECGReadError(path, "Philips XML parsedwaveforms has no durationperchannel")
    n_samples = round(duration_ms * fs / 1000.0)
    labels = _labels(waveform, signal_info)
    compression = waveform.get("compression") or (
        waveform.get("compressmethod") if waveform.get("compressflag", "").lower() == "true" else None) or "Uncompressed"
    if (waveform.get("dataencoding") or "Base64") != "Base64":
        raise ECGReadError(path, f"Philips waveform encoding {waveform.get('dataencoding')!r} is not supported (Base64 is)")
    # signaloffset: the ADC count that stands for 0 V (0 on the carts seen; an offset-binary writer stores
    # unsigned counts around e.g. 32768): subtracted from every lead, as ecgdatakit's reader does
    zero = number(waveform.get("signaloffset")) or number(text(signal_info, "signaloffset")) or 0.0
    signed = (waveform.get("signalsigned") or text(signal_info, "signalsigned") or "true").strip().lower()
    if compression.upper() == "XLI":
        columns = _xli_leads(path, version, labels, n_samples)
    elif compression.lower() in ("uncompressed", "none", ""):
        columns = _uncompressed_leads(path, waveform.text or "", len(labels), n_samples,
                                      unsigned=signed in ("false", "0", "no"))
    else:
        raise ECGReadError(path, f"Philips waveform compression {compression!r} is not supported (XLI and uncompressed are)")
    acquisition = child(root, "dataacquisition")
    acquired = _acquired(acquisition)
    patient = child(root, "patient", "generalpatientdata")
    interpretation = child(root, "interpretations", "interpretation")
    metadata = {
        "format": "Philips Sierra XML",
        "format_version": version,
        "waveform_compression": compression,
        "base_datetime": acquired.isoformat() if acquired else None,
        "device": {k: v for k, v in {"manufacturer": "Philips", "model": text(acquisition, "machine")}.items() if v},
        "device_measurements": clean_measurements(
            {name: number(text(interpretation, "globalmeasurements", tag)) for tag, name in MEASUREMENTS.items()}),
        "device_statements": _statements(interpretation),
    }
    signal = (np.stack(columns, axis=1) - zero) * (resolution_uv / 1000.0)
    return ECG(signal, fs=fs, leads=tuple(labels), record_id=path.stem, source=str(path),
               age=_age(patient, acquired), sex=text(patient, "sex"), metadata=metadata)


def _labels(waveform: ET.Element, signal_info: ET.Element | None) -> list[str]:
    listed = (waveform.get("leadlabels") or "").split()
    count = int(number(waveform.get("numberofleads")) or number(text(signal_info, "numberchannelsvalid")) or len(listed) or 12)
    if listed:
        return listed[:count]
    return list(STANDARD_LEADS[:count]) + [f"ECG{i + 1}" for i in range(12, count)]


def _uncompressed_leads(path: Path, encoded: str, n_leads: int, n_samples: int, *,
                        unsigned: bool = False) -> list[np.ndarray]:
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ECGReadError(path, "Philips waveform data is not valid base64") from None
    needed = 2 * n_leads * n_samples
    if len(raw) < needed:
        raise ECGReadError(path, f"Philips waveform data is truncated: {len(raw)} bytes for {n_leads} leads x "
                                 f"{n_samples} samples ({needed} bytes)")
    samples = np.frombuffer(raw[:needed], dtype="<u2" if unsigned else "<i2").astype(np.float64).reshape(n_leads, n_samples)
    return list(samples)


def _xli_leads(path: Path, version: str, labels: list[str], n_samples: int) -> list[np.ndarray]:
    """XLI-compressed leads through ``sierraecg`` (it also rebuilds III, aVR, aVL, aVF)."""
    import sierraecg

    if version not in SUPPORTED_VERSIONS:
        raise ECGReadError(path, f"Philips XML version {version!r} with XLI compression is not supported "
                                 f"(sierraecg reads {', '.join(SUPPORTED_VERSIONS)})")
    try:
        decoded = sierraecg.read_file(str(path))
    except (sierraecg.UnsupportedXmlFileError, sierraecg.MissingXmlElementError,
            sierraecg.MissingXmlAttributeError) as error:
        raise ECGReadError(path, f"Philips XLI data cannot be decoded ({type(error).__name__}: {error})") from error
    except (IndexError, ValueError, OverflowError) as error:  # damaged LZW stream or chunk header
        raise ECGReadError(path, f"Philips XLI data is damaged ({type(error).__name__}: {error})") from error
    if len(decoded.leads) < len(labels):
        raise ECGReadError(path, f"Philips XLI data holds {len(decoded.leads)} leads, the header lists {len(labels)}")
    columns = []
    for label, lead in zip(labels, decoded.leads):
        samples = np.asarray(lead.samples, dtype=np.float64)
        if samples.size < n_samples:
            raise ECGReadError(path, f"Philips XLI lead {label} holds {samples.size} samples, expected {n_samples}")
        columns.append(samples[:n_samples])
    return columns


def _acquired(acquisition: ET.Element | None) -> _dt.datetime | None:
    if acquisition is None:
        return None
    try:
        year, month, day = (int(x) for x in (acquisition.get("date") or "").split("-"))
        hour, minute, second = (int(x) for x in (acquisition.get("time") or "00:00:00").split(":"))
    except ValueError:
        return None
    iso = iso_datetime(year, month, day, hour, minute, second)
    return _dt.datetime.fromisoformat(iso) if iso else None


def _age(patient: ET.Element | None, acquired: _dt.datetime | None) -> float | None:
    years = number(text(patient, "age", "years"))
    if years is not None and 0 <= years < 130:
        return years
    born = text(patient, "age", "dateofbirth")
    try:
        birth = _dt.datetime.fromisoformat(born) if born else None
    except ValueError:
        return None
    return age_between(birth, acquired)


def _statements(interpretation: ET.Element | None) -> list[str]:
    if interpretation is None:
        return []
    out = []
    for statement in interpretation.findall("statement"):
        parts = [text(statement, "leftstatement"), text(statement, "rightstatement")]
        said = " ".join(p for p in parts if p)
        if said:
            out.append(said)
    return out
