"""SCP-ECG (EN 1064 / ISO 11073-91064) resting ECGs, decoded by ``ecgdatakit`` (Apache-2.0).

ecgdatakit's SCP parser decodes every rhythm encoding the standard defines that carts use:
uncompressed, the default and custom Huffman tables (section 2), first/second differences, and
reference-beat subtraction ("high compression", sections 4/5); medts' own decoder read only
the first three. Its output agreed with medts' former decoder to 6e-8 mV on every sample file,
and 12000 fuzzed hospital files raised only its own exceptions (see the report of issue 17).

What medts adds around it:

- the file's own integrity (:mod:`medts.io.ecgdatakit_io`): a CRC mismatch (only a
  ``ChecksumWarning`` in ecgdatakit, which still returns the damaged samples) is an
  :class:`~medts.errors.ECGReadError`, and so is a lead left in raw ADC counts;
- the record envelope (size and length field) is checked first for clearer messages;
- device findings under medts' metadata keys (:mod:`medts.io.device`): global measurements of
  the dominant beat (section 7: RR, and PR, P, QRS, QT from the stored wave boundaries; axes)
  and interpretive statements (section 8, or 11) in file order; age, sex and acquisition time
  from section 1; the reference beat (section 5) as ``median_beats``. ecgdatakit gives the age
  in whole years.
"""

from __future__ import annotations

import binascii
import struct
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError
from medts.io.device import clean_measurements, read_errors_only

# Section 7 wave boundaries (ms from the start of the reference beat) as ecgdatakit names them.
BOUNDARIES = ("p_onset", "p_offset", "qrs_onset", "qrs_offset", "t_offset")


def crc_ccitt(data: bytes) -> int:
    """CRC-CCITT (polynomial 0x1021, initial 0xFFFF), the checksum SCP-ECG uses.

    >>> hex(crc_ccitt(b"123456789"))  # the standard check value of CRC-16/CCITT-FALSE
    '0x29b1'
    """
    return binascii.crc_hqx(data, 0xFFFF)


@read_errors_only
def read_scp_ecg(path: str | Path):
    """Read an SCP-ECG file into an :class:`~medts.record.ECG` (signals in mV).

    Raises
    ------
    ECGReadError
        Damaged files (CRC, truncated sections), missing sections 3/6, leads without an
        amplitude scale, or an encoding ecgdatakit does not decode (bimodal compression).
    """
    from medts.io.ecgdatakit_io import demographics, parse, signal_mv
    from medts.record import ECG

    path = Path(path)
    _check_envelope(path)
    record = parse(path, "SCPECGParser", "SCP-ECG")
    leads, signal = signal_mv(record, path, "SCP-ECG")
    interval_us = record.raw_metadata.get("rhythm_sample_interval_us")
    fs = round(1e6 / interval_us, 6) if interval_us else float(record.leads[0].sampling_rate)
    who = demographics(record)
    metadata = {
        "format": "SCP-ECG",
        "base_datetime": who["base_datetime"],
        "device_measurements": _measurements(record),
        "device_statements": _statements(record),
    }
    if who["device"]:
        metadata["device"] = who["device"]
    median = _median_beats(record)
    if median is not None:
        metadata["median_beats"] = median
    return ECG(signal, fs=fs, leads=leads, record_id=path.stem, source=str(path), age=who["age"], sex=who["sex"],
               metadata=metadata)


def _check_envelope(path: Path) -> None:
    """The 6-byte record preamble (CRC u16, record length u32) against the file size."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error
    if size < 6 + 16:
        raise ECGReadError(path, f"file is {size} bytes: too short for SCP-ECG")
    length = struct.unpack_from("<I", head, 2)[0]
    if length != size:
        raise ECGReadError(path, f"SCP-ECG record length field says {length} bytes but the file has {size}")


def _measurements(record) -> dict[str, float]:
    """Section 7 of the dominant beat with medts' names; intervals from the wave boundaries."""
    m = record.measurements
    at = {}
    for name in BOUNDARIES:
        text = record.annotations.get(f"median_{name}_ms")
        at[name] = float(text) if text is not None else None

    def span(a: str, b: str) -> float | None:
        return at[b] - at[a] if at[a] is not None and at[b] is not None and at[b] > at[a] else None

    def axis(v: int | None) -> float | None:
        return float(v) if v is not None and -180 <= v <= 360 else None

    rr = m.rr_interval if m.rr_interval and m.rr_interval > 0 else None
    return clean_measurements({
        "hr_bpm": round(60000.0 / rr, 1) if rr else None, "rr_ms": float(rr) if rr else None,
        "pr_ms": span("p_onset", "qrs_onset"), "p_duration_ms": span("p_onset", "p_offset"),
        "qrs_ms": span("qrs_onset", "qrs_offset"), "qt_ms": span("qrs_onset", "t_offset"),
        "p_axis_deg": axis(m.p_axis), "qrs_axis_deg": axis(m.qrs_axis), "t_axis_deg": axis(m.t_axis),
    })


def _median_beats(record):
    """The reference beat of section 5 (stored with reference-beat subtraction), in mV."""
    from medts.io.device import MedianBeats
    from medts.record import canonical_lead_name

    beats = record.median_beats
    interval_us = record.raw_metadata.get("median_sample_interval_us")
    if not beats or not interval_us or any(b.is_raw or b.units != "mV" for b in beats):
        return None
    if len({len(b.samples) for b in beats}) != 1:
        return None
    signal = np.stack([np.asarray(b.samples, dtype=np.float32) for b in beats], axis=1)
    return MedianBeats(round(1e6 / interval_us, 6), tuple(canonical_lead_name(b.label) for b in beats), signal)


def _statements(record) -> list[str]:
    """Interpretive statements in file order; a statement's lines are joined with a space."""
    out = []
    for parts in record.interpretation.statements:
        said = " ".join(str(p).strip() for p in parts if p and str(p).strip())
        if said:
            out.append(said)
    return out
