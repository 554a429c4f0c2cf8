"""DICOM ECG waveforms (12-lead ECG and General ECG Waveform Storage) through pydicom.

Reader: the first multiplex group labelled ``RHYTHM`` (else the first group that is not a
median beat); each channel is ``raw x ChannelSensitivity x CorrectionFactor + Baseline`` in
its ``ChannelSensitivityUnitsSequence`` unit (uV, mV, V); lead names from
``ChannelSourceSequence`` (SCP-ECG code meanings such as ``"Lead I (Einthoven)"``). A
``MEDIAN BEAT`` group becomes ``metadata["median_beats"]``; ``WaveformAnnotationSequence``
numeric values (RR, PR, QRS, QT, QTc, axes) and text statements become
``metadata["device_measurements"]`` / ``["device_statements"]``. ``PatientAge`` (or birth date),
``PatientSex`` and ``AcquisitionDateTime`` give age, sex and time.

Writer: 12-lead ECG Waveform Storage (General ECG when the record is not a 12-lead of at most
16384 samples, the IOD's limits) with int16 samples at 1 uV per unit, so a round trip agrees to
0.5 uV (the sensitivity grows only when a lead exceeds +-32.767 mV, and the message says so).
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from pathlib import Path

import numpy as np

import medts
from medts.errors import ECGReadError, MedtsError
from medts.io.device import (
    MedianBeats,
    age_between,
    clean_measurements,
    hl7_timestamp,
    number,
    read_errors_only,
)
from medts.record import ECG, STANDARD_LEADS

TWELVE_LEAD_ECG = "1.2.840.10008.5.1.4.1.1.9.1.1"
GENERAL_ECG = "1.2.840.10008.5.1.4.1.1.9.1.2"
AMBULATORY_ECG = "1.2.840.10008.5.1.4.1.1.9.1.3"
ECG_SOP_CLASSES = (TWELVE_LEAD_ECG, GENERAL_ECG, AMBULATORY_ECG)
UNIT_TO_MV = {"uV": 1e-3, "mV": 1.0, "V": 1e3, "nV": 1e-6}
DTYPES = {(16, "SS"): "<i2", (16, "US"): "<u2", (8, "SB"): "i1", (8, "UB"): "u1", (32, "SL"): "<i4", (32, "UL"): "<u4"}

# SCP-ECG lead codes (DICOM PS3.16 CID 3001) for writing.
SCPECG_LEAD_CODES = {
    "I": ("5.6.3-9-1", "Lead I"), "II": ("5.6.3-9-2", "Lead II"), "V1": ("5.6.3-9-3", "Lead V1"),
    "V2": ("5.6.3-9-4", "Lead V2"), "V3": ("5.6.3-9-5", "Lead V3"), "V4": ("5.6.3-9-6", "Lead V4"),
    "V5": ("5.6.3-9-7", "Lead V5"), "V6": ("5.6.3-9-8", "Lead V6"), "III": ("5.6.3-9-61", "Lead III"),
    "aVR": ("5.6.3-9-62", "Lead aVR"), "aVL": ("5.6.3-9-63", "Lead aVL"), "aVF": ("5.6.3-9-64", "Lead aVF"),
}
MEASUREMENT_NAMES = {
    "rr interval": "rr_ms", "pr interval": "pr_ms", "qrs duration": "qrs_ms", "qt interval": "qt_ms",
    "qtc interval": "qtc_ms", "p duration": "p_duration_ms", "p axis": "p_axis_deg", "qrs axis": "qrs_axis_deg",
    "t axis": "t_axis_deg", "ventricular heart rate": "hr_bpm", "heart rate": "hr_bpm",
    "atrial heart rate": "atrial_rate_bpm",
}
UNIT_SUFFIX = {"ms": "ms", "deg": "deg", "/min": "bpm", "bpm": "bpm", "{beats}/min": "bpm", "s": "s", "uV": "uv", "mV": "mv"}


@read_errors_only
def read_dicom_ecg(path: str | Path) -> ECG:
    """Read a DICOM ECG waveform file.

    Raises
    ------
    ECGReadError
        Not DICOM, not an ECG waveform object, a damaged waveform group, or unknown units.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    path = Path(path)
    # pydicom warns about each odd element it tolerates; they are kept with the record instead
    # of reaching the terminal.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(path)
            ecg = _from_dataset(ds, path)
        except MedtsError:  # already says what is wrong (InvalidECGError is also a ValueError)
            raise
        except InvalidDicomError as error:
            raise ECGReadError(path, f"not a DICOM file ({error})") from error
        except (OSError, EOFError) as error:
            raise ECGReadError(path, f"cannot read DICOM file ({error})") from error
        except (ValueError, NotImplementedError, KeyError, OverflowError) as error:  # pydicom parses elements lazily
            detail = ascii(str(error))[1:-1][:120]
            raise ECGReadError(path, f"damaged DICOM element ({type(error).__name__}: {detail})") from error
    if caught:
        ecg.metadata["dicom_warnings"] = list(dict.fromkeys(str(w.message)[:200] for w in caught))[:10]
    return ecg


def _from_dataset(ds, path: Path) -> ECG:
    sop_class = str(ds.get("SOPClassUID", ""))
    groups = list(ds.get("WaveformSequence") or [])
    if not groups:
        what = f"SOP class {sop_class}" if sop_class else "no SOP class"
        raise ECGReadError(path, f"DICOM file has no waveform (Waveform Sequence missing; {what})")
    labels = [str(g.get("MultiplexGroupLabel", "")).strip().upper() for g in groups]
    rhythm = next((i for i, label in enumerate(labels) if label == "RHYTHM"), None)
    if rhythm is None:
        rhythm = next((i for i, label in enumerate(labels) if "MEDIAN" not in label), 0)
    fs, leads, signal = _group(groups[rhythm], path)
    acquired = hl7_timestamp(str(ds.get("AcquisitionDateTime", "") or "")) or hl7_timestamp(
        f"{ds.get('ContentDate', '')}{ds.get('ContentTime', '')}")
    measurements, statements = _annotations(ds)
    metadata = {
        "format": "DICOM ECG waveform",
        "sop_class_uid": sop_class,
        "base_datetime": acquired.isoformat() if acquired else None,
        "device": {k: str(v) for k, v in {"manufacturer": ds.get("Manufacturer"),
                                            "model": ds.get("ManufacturerModelName")}.items() if v},
        "device_measurements": measurements,
        "device_statements": statements,
    }
    median = next((i for i, label in enumerate(labels) if "MEDIAN" in label), None)
    if median is not None:
        beat_fs, beat_leads, beat_signal = _group(groups[median], path)
        metadata["median_beats"] = MedianBeats(beat_fs, tuple(beat_leads), beat_signal.astype(np.float32))
    return ECG(signal, fs=fs, leads=tuple(leads), record_id=path.stem, source=str(path),
               age=_age(ds, acquired), sex=str(ds.get("PatientSex") or "") or None, metadata=metadata)


def _group(group, path: Path) -> tuple[float, list[str], np.ndarray]:
    label = str(group.get("MultiplexGroupLabel", "")).strip() or "waveform"
    n_channels = _whole(group.get("NumberOfWaveformChannels"))
    n_samples = _whole(group.get("NumberOfWaveformSamples"))
    fs = number(group.get("SamplingFrequency"))
    if n_channels <= 0 or n_samples <= 0 or fs is None or fs <= 0:
        raise ECGReadError(path, f"DICOM {label} group: {n_channels} channels, {n_samples} samples at {fs} Hz is not a waveform")
    key = (_whole(group.get("WaveformBitsAllocated")), str(group.get("WaveformSampleInterpretation") or ""))
    if key not in DTYPES:
        raise ECGReadError(path, f"DICOM {label} group: {key[0]}-bit {key[1]!r} samples are not supported")
    data = bytes(group.get("WaveformData") or b"")
    dtype = np.dtype(DTYPES[key])
    needed = n_channels * n_samples * dtype.itemsize
    if len(data) < needed:
        raise ECGReadError(path, f"DICOM {label} group: waveform data is truncated ({len(data)} of {needed} bytes)")
    raw = np.frombuffer(data[:needed], dtype=dtype).reshape(n_samples, n_channels).astype(np.float64)
    channels = list(group.get("ChannelDefinitionSequence") or [])
    if len(channels) != n_channels:
        raise ECGReadError(path, f"DICOM {label} group: {len(channels)} channel definitions for {n_channels} channels")
    leads = []
    for j, channel in enumerate(channels):
        sensitivity = number(channel.get("ChannelSensitivity"))
        sensitivity = 1.0 if sensitivity is None else sensitivity
        correction = number(channel.get("ChannelSensitivityCorrectionFactor"))
        correction = 1.0 if correction is None else correction
        baseline = number(channel.get("ChannelBaseline")) or 0.0
        units = list(channel.get("ChannelSensitivityUnitsSequence") or [])
        unit = str(units[0].get("CodeValue", "")) if units else ""
        if unit not in UNIT_TO_MV:
            raise ECGReadError(path, f"DICOM {label} channel {j + 1}: sensitivity unit {unit or '(none)'!r} is not a voltage")
        raw[:, j] = (raw[:, j] * sensitivity * correction + baseline) * UNIT_TO_MV[unit]
        sources = list(channel.get("ChannelSourceSequence") or [])
        leads.append(_lead_name(str(sources[0].get("CodeMeaning", "")) if sources else "", j))
    return float(fs), leads, raw


def _whole(value) -> int:
    """A count from a DICOM element; 0 when absent or not a single whole number (damaged files)."""
    number_ = number(value) if isinstance(value, (int, float, str)) else None
    return int(number_) if number_ is not None and number_ == int(number_) else 0


def _lead_name(meaning: str, index: int) -> str:
    """``"Lead I (Einthoven)"`` -> ``"I"``, ``"Lead aVR"`` -> ``"aVR"``; empty -> ``ECG<n>``."""
    name = re.sub(r"\(.*?\)", "", meaning).strip()
    name = re.sub(r"^lead\s+", "", name, flags=re.IGNORECASE).strip()
    return name or f"ECG{index + 1}"


def _annotations(ds) -> tuple[dict[str, float], list[str]]:
    from pydicom.multival import MultiValue

    values: dict[str, float | None] = {}
    statements = []
    for item in ds.get("WaveformAnnotationSequence") or []:
        if "UnformattedTextValue" in item:
            said = str(item.UnformattedTextValue).strip()
            if said:
                statements.append(said)
            continue
        concept = list(item.get("ConceptNameCodeSequence") or [])
        if not concept or "NumericValue" not in item:
            continue
        meaning = str(concept[0].get("CodeMeaning", "")).strip()
        units = list(item.get("MeasurementUnitsCodeSequence") or [])
        unit = str(units[0].get("CodeValue", "")) if units else ""
        name = MEASUREMENT_NAMES.get(meaning.lower())
        if name is None:
            name = re.sub(r"[^a-z0-9]+", "_", meaning.lower()).strip("_") + (f"_{UNIT_SUFFIX[unit]}" if unit in UNIT_SUFFIX else "")
        if name and name not in values:
            raw = item.NumericValue  # DS, or a list of DS when the device wrote several
            values[name] = number(raw[0] if isinstance(raw, MultiValue) else raw)
    return clean_measurements(values), statements


def _age(ds, acquired: _dt.datetime | None) -> float | None:
    text = str(ds.get("PatientAge") or "").strip()  # "042Y", "006M", "020W", "003D"
    match = re.fullmatch(r"(\d{1,3})([YMWD])", text)
    if match:
        per = {"Y": 1.0, "M": 1 / 12, "W": 7 / 365.25, "D": 1 / 365.25}[match.group(2)]
        return round(int(match.group(1)) * per, 2)
    return age_between(hl7_timestamp(str(ds.get("PatientBirthDate") or "")), acquired)


# -- writer ----------------------------------------------------------------------------------
def write_dicom_ecg(ecg: ECG, path: str | Path) -> Path:
    """Write ``ecg`` as a DICOM ECG waveform (int16, 1 uV per unit unless a lead is larger). Returns the path."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    path = Path(path)
    twelve = set(ecg.leads) <= set(STANDARD_LEADS) and ecg.n_samples <= 16384 and 200 <= ecg.fs <= 1000
    sop_class = TWELVE_LEAD_ECG if twelve else GENERAL_ECG
    peak_uv = float(np.abs(ecg.signal).max()) * 1000.0
    sensitivity_uv = 1.0 if peak_uv <= 32767 else float(np.ceil(peak_uv / 32767.0))
    samples = np.rint(ecg.signal.astype(np.float64) * 1000.0 / sensitivity_uv).astype("<i2")

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "ECG"
    ds.Manufacturer = "medts"
    ds.SoftwareVersions = medts.__version__
    ds.PatientID = ecg.record_id
    ds.PatientName = ""
    ds.PatientSex = ecg.sex or "O"
    if ecg.age is not None and 0 <= ecg.age < 1000:
        ds.PatientAge = f"{int(ecg.age):03d}Y"
    when = _start(ecg)
    if when is not None:
        ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
        ds.ContentDate, ds.ContentTime = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    group = Dataset()
    group.MultiplexGroupLabel = "RHYTHM"
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = ecg.n_leads
    group.NumberOfWaveformSamples = ecg.n_samples
    group.SamplingFrequency = f"{ecg.fs:g}"
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    channels = []
    for lead in ecg.leads:
        channel = Dataset()
        source = Dataset()
        code, meaning = SCPECG_LEAD_CODES.get(lead, ("", lead))
        if code:
            source.CodeValue, source.CodingSchemeDesignator = code, "SCPECG"
        else:  # a lead outside the standard 12: keep its name in a local code
            source.CodeValue, source.CodingSchemeDesignator = lead[:16], "99MEDTS"
        source.CodeMeaning = meaning
        channel.ChannelSourceSequence = [source]
        channel.ChannelSensitivity = f"{sensitivity_uv:g}"
        unit = Dataset()
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "uV", "UCUM", "microvolt"
        channel.ChannelSensitivityUnitsSequence = [unit]
        channel.ChannelSensitivityCorrectionFactor = "1"
        channel.ChannelBaseline = "0"
        channel.ChannelSampleSkew = "0"
        channel.WaveformBitsStored = 16
        channels.append(channel)
    group.ChannelDefinitionSequence = channels
    group.WaveformData = samples.tobytes()
    ds.WaveformSequence = [group]
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _start(ecg: ECG) -> _dt.datetime | None:
    text = ecg.metadata.get("base_datetime")
    try:
        return _dt.datetime.fromisoformat(str(text)).replace(tzinfo=None) if text else None
    except ValueError:
        return None
