"""The bridge to ``ecgdatakit`` (Apache-2.0, UMMISCO/IRD), which decodes SCP-ECG and ISHNE Holter
files for medts.

ecgdatakit returns damaged files with only a warning (a CRC mismatch is a ``ChecksumWarning``)
and leaves leads without a usable amplitude scale in raw ADC counts; medts refuses both, so a
record it returns always holds samples in mV that the file vouches for. Everything it raises is
an :class:`~medts.errors.ECGReadError` naming the file: its parsers report every decoding failure
as an ``ECGDataKitError`` (12000 fuzzed hospital files raised nothing else, issue 17).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError


def parse(path: Path, parser: str, format_name: str):
    """ecgdatakit's record of ``path`` in mV, which must come from ``parser`` (e.g. ``"SCPECGParser"``)."""
    from ecgdatakit.exceptions import ChecksumWarning, ECGDataKitError, UnsupportedFormatError
    from ecgdatakit.parsing.parser import FileParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quiet: its other warnings are about optional fields
            warnings.simplefilter("error", ChecksumWarning)  # a damaged record is refused, not read
            record = FileParser.parse(path, auto_scale=True, units="mV")
    except ChecksumWarning as error:
        raise ECGReadError(path, f"{error} (file damaged)") from None
    except UnsupportedFormatError:
        raise ECGReadError(path, f"not readable as {format_name}: ecgdatakit recognises no format in it") from None
    except ECGDataKitError as error:
        raise ECGReadError(path, str(error).replace("\n", " ")) from None
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error
    if record.file_format.parser != parser:
        raise ECGReadError(path, f"not readable as {format_name}: it reads as {record.file_format.name or 'another format'}")
    return record


def signal_mv(record, path: Path, format_name: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Canonical lead names and the ``[n_samples, n_leads]`` signal in mV (float64)."""
    from medts.record import canonical_lead_name

    leads = [lead for lead in record.leads if len(lead.samples)]
    if not leads:
        raise ECGReadError(path, f"{format_name} holds no signal data")
    raw = [lead.label for lead in leads if lead.is_raw or lead.units != "mV"]
    if raw:
        raise ECGReadError(path, f"{format_name} leads {', '.join(raw)} have no usable amplitude scale")
    lengths = {len(lead.samples) for lead in leads}
    if len(lengths) != 1:
        raise ECGReadError(path, f"{format_name} leads have different sample counts ({', '.join(map(str, sorted(lengths)))})")
    names = tuple(canonical_lead_name(lead.label) for lead in leads)
    return names, np.stack([np.asarray(lead.samples, dtype=np.float64) for lead in leads], axis=1)


def demographics(record) -> dict:
    """``age`` (whole years, ecgdatakit's), ``sex`` (``"M"``/``"F"``/``None``), ``base_datetime``
    (ISO 8601) and ``device`` (manufacturer/model when the file names them)."""
    age, acquired = record.patient.age, record.recording.date
    device = {k: v for k, v in (("manufacturer", record.recording.device.manufacturer),
                                 ("model", record.recording.device.model)) if v}
    return {"age": float(age) if age is not None else None, "sex": {"M": "M", "F": "F"}.get(record.patient.sex),
            "base_datetime": acquired.isoformat() if acquired else None, "device": device or None}
