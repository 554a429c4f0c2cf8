"""SCP-ECG (EN 1064 / ISO 11073-91064) resting ECGs: rhythm data, demographics, device findings.

Read: the record CRC (CRC-CCITT) and section pointers (section 0); patient age, birth date,
sex and acquisition date/time (section 1 tags 4, 5, 8, 25, 26); lead definitions (section 3);
rhythm data (section 6) uncompressed or Huffman-coded with the standard's default table
(section 2 = 19999), as raw values or first/second differences, scaled by the amplitude value
multiplier (nV). Global measurements of the dominant beat (section 7: RR, P/QRS/T boundaries
and axes) and interpretive statements (section 8) go to ``metadata["device_measurements"]``
and ``["device_statements"]``.

Not supported (a clear :class:`~medts.errors.ECGReadError`): reference-beat subtraction (the
"high compression" mode, sections 4/5 with section 3 flag bit 0), bimodal compression, and
custom Huffman tables.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError
from medts.io.device import age_between, clean_measurements, iso_datetime, read_errors_only

DEFAULT_HUFFMAN = 19999
UNDEFINED = {29999, 29998, 29997}
# SCP-ECG lead identifiers (EN 1064 table 14), the ones resting carts use.
LEAD_IDS = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7", 10: "V2R", 11: "V3R",
    12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R", 16: "X", 17: "Y", 18: "Z", 61: "III", 62: "aVR", 63: "aVL",
    64: "aVF", 65: "-aVR", 66: "V8", 67: "V9", 68: "V8R", 69: "V9R",
}
AGE_UNIT_YEARS = {1: 1.0, 2: 1 / 12, 3: 7 / 365.25, 4: 1 / 365.25, 5: 1 / 8766}
SEX = {1: "M", 2: "F"}


def crc_ccitt(data: bytes) -> int:
    """CRC-CCITT (polynomial 0x1021, initial 0xFFFF), the checksum SCP-ECG uses.

    >>> hex(crc_ccitt(b"123456789"))  # the standard check value of CRC-16/CCITT-FALSE
    '0x29b1'
    """
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class _Section:
    id: int
    body: bytes
    version: int


@read_errors_only
def read_scp_ecg(path: str | Path):
    """Read an SCP-ECG file into an :class:`~medts.record.ECG`.

    Raises
    ------
    ECGReadError
        Damaged files (CRC, truncated sections), missing sections 3/6, or a compression
        mode medts does not decode.
    """
    from medts.record import ECG

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error
    sections = _sections(data, path)
    for needed, what in ((3, "lead definitions"), (6, "rhythm data")):
        if needed not in sections:
            raise ECGReadError(path, f"SCP-ECG has no section {needed} ({what})")
    patient = _patient(sections.get(1))
    lead_ids, counts, reference_beat_subtracted = _leads(sections[3].body, path)
    if reference_beat_subtracted and (4 in sections or 5 in sections):
        raise ECGReadError(path, "SCP-ECG uses reference-beat subtraction (sections 4/5); medts reads only "
                                 "rhythm data stored without it")
    huffman = _huffman(sections.get(2), path)
    fs, columns = _rhythm(sections[6].body, counts, huffman, path)
    names = [LEAD_IDS.get(i, f"ECG{k + 1}") for k, i in enumerate(lead_ids)]
    acquired = patient.get("acquired")
    age = patient.get("age")
    if age is None:
        age = age_between(patient.get("birth"), acquired)
    metadata = {
        "format": "SCP-ECG",
        "base_datetime": acquired.isoformat() if acquired else None,
        "device_measurements": _measurements(sections.get(7)),
        "device_statements": _statements(sections.get(8)),
    }
    return ECG(np.stack(columns, axis=1), fs=fs, leads=tuple(names), record_id=path.stem, source=str(path),
               age=age, sex=patient.get("sex"), metadata=metadata)


def _sections(data: bytes, path: Path) -> dict[int, _Section]:
    if len(data) < 6 + 16:
        raise ECGReadError(path, f"file is {len(data)} bytes: too short for SCP-ECG")
    stored_crc, length = struct.unpack_from("<HI", data, 0)
    if length != len(data):
        raise ECGReadError(path, f"SCP-ECG record length field says {length} bytes but the file has {len(data)}")
    if crc_ccitt(data[2:]) != stored_crc:
        raise ECGReadError(path, "SCP-ECG record CRC mismatch (file damaged or not SCP-ECG)")
    section0 = _section_at(data, 6, path)
    if section0.id != 0:
        raise ECGReadError(path, f"SCP-ECG first section is {section0.id}, expected the pointer section 0")
    sections = {0: section0}
    for k in range(len(section0.body) // 10):
        sid, size, index = struct.unpack_from("<HII", section0.body, 10 * k)
        if sid == 0 or size == 0:
            continue
        if index < 1 or index - 1 + size > len(data):
            raise ECGReadError(path, f"SCP-ECG section {sid} points outside the file (byte {index}, {size} bytes)")
        section = _section_at(data, index - 1, path)
        if section.id != sid:
            raise ECGReadError(path, f"SCP-ECG pointer to section {sid} finds section {section.id}")
        sections[sid] = section
    return sections


def _section_at(data: bytes, offset: int, path: Path) -> _Section:
    if offset + 16 > len(data):
        raise ECGReadError(path, f"SCP-ECG section header at byte {offset} is truncated")
    _crc, sid, size, version = struct.unpack_from("<HHIB", data, offset)
    if size < 16 or offset + size > len(data):
        raise ECGReadError(path, f"SCP-ECG section {sid} length {size} does not fit the file")
    return _Section(sid, data[offset + 16: offset + size], version)


def _patient(section: _Section | None) -> dict:
    out: dict = {}
    if section is None:
        return out
    body, pos, date, clock = section.body, 0, None, (0, 0, 0)
    while pos + 3 <= len(body):
        tag, size = body[pos], struct.unpack_from("<H", body, pos + 1)[0]
        value = body[pos + 3: pos + 3 + size]
        pos += 3 + size
        if tag == 255:
            break
        if tag == 4 and len(value) >= 3:
            years, unit = struct.unpack_from("<H", value)[0], value[2]
            if unit in AGE_UNIT_YEARS and 0 < years * AGE_UNIT_YEARS[unit] < 130:
                out["age"] = round(years * AGE_UNIT_YEARS[unit], 2)
        elif tag == 5 and len(value) >= 4:
            born = iso_datetime(struct.unpack_from("<H", value)[0], value[2], value[3])
            out["birth"] = _parse(born)
        elif tag == 8 and len(value) >= 1:
            out["sex"] = SEX.get(value[0])
        elif tag == 25 and len(value) >= 4:
            date = (struct.unpack_from("<H", value)[0], value[2], value[3])
        elif tag == 26 and len(value) >= 3:
            clock = (value[0], value[1], value[2])
    if date is not None:
        out["acquired"] = _parse(iso_datetime(*date, *clock))
    return out


def _parse(iso: str | None):
    import datetime as _dt

    return _dt.datetime.fromisoformat(iso) if iso else None


def _leads(body: bytes, path: Path) -> tuple[list[int], list[int], bool]:
    if len(body) < 2:
        raise ECGReadError(path, "SCP-ECG section 3 is truncated")
    n_leads, flags = body[0], body[1]
    if n_leads == 0 or len(body) < 2 + 9 * n_leads:
        raise ECGReadError(path, f"SCP-ECG section 3 declares {n_leads} leads but holds {max(len(body) - 2, 0) // 9}")
    ids, counts = [], []
    for k in range(n_leads):
        start, end, lead = struct.unpack_from("<IIB", body, 2 + 9 * k)
        if end < start or start < 1:
            raise ECGReadError(path, f"SCP-ECG lead {k + 1} spans samples {start}-{end}")
        ids.append(lead)
        counts.append(end - start + 1)
    return ids, counts, bool(flags & 1)


def _huffman(section: _Section | None, path: Path) -> bool:
    """``True`` when rhythm data use the default Huffman table; ``False`` when uncoded."""
    if section is None:
        return False
    if len(section.body) < 2:
        raise ECGReadError(path, "SCP-ECG section 2 (Huffman tables) is truncated")
    if struct.unpack_from("<H", section.body)[0] != DEFAULT_HUFFMAN:
        raise ECGReadError(path, "SCP-ECG uses custom Huffman tables; medts decodes the default table only")
    return True


def _rhythm(body: bytes, counts: list[int], huffman: bool, path: Path) -> tuple[float, list[np.ndarray]]:
    n = len(counts)
    if len(body) < 6 + 2 * n:
        raise ECGReadError(path, "SCP-ECG section 6 is truncated")
    avm_nv, interval_us, difference, bimodal = struct.unpack_from("<HHBB", body)
    if interval_us == 0 or avm_nv == 0:
        raise ECGReadError(path, f"SCP-ECG section 6: sample interval {interval_us} us / amplitude {avm_nv} nV is not usable")
    if bimodal:
        raise ECGReadError(path, "SCP-ECG uses bimodal compression; medts does not decode it")
    if difference not in (0, 1, 2):
        raise ECGReadError(path, f"SCP-ECG section 6: unknown difference encoding {difference}")
    sizes = struct.unpack_from(f"<{n}H", body, 6)
    pos, columns = 6 + 2 * n, []
    for k, (size, count) in enumerate(zip(sizes, counts)):
        chunk = body[pos: pos + size]
        pos += size
        if len(chunk) < size:
            raise ECGReadError(path, f"SCP-ECG section 6: lead {k + 1} data is truncated")
        if huffman:
            values = _decode_default_huffman(chunk, count, path, k)
        else:
            if size < 2 * count:
                raise ECGReadError(path, f"SCP-ECG section 6: lead {k + 1} has {size // 2} samples, section 3 says {count}")
            values = np.frombuffer(chunk[: 2 * count], dtype="<i2").astype(np.int64)
        columns.append(_undo_differences(values, difference) * (avm_nv * 1e-6))
    return round(1e6 / interval_us, 6), columns


def _undo_differences(values: np.ndarray, order: int) -> np.ndarray:
    x = values.astype(np.int64).copy()
    if order == 1:
        return np.cumsum(x).astype(np.float64)
    if order == 2:
        for i in range(2, len(x)):
            x[i] = x[i] + 2 * x[i - 1] - x[i - 2]
    return x.astype(np.float64)


def _decode_default_huffman(chunk: bytes, count: int, path: Path, lead: int) -> np.ndarray:
    """The SCP-ECG default table: ``0`` -> 0; ``1^k 0 s`` -> +-k (k = 1..8, s = sign);
    ``1111111110`` + 8-bit value; ``1111111111`` + 16-bit value (two's complement)."""
    bits = np.unpackbits(np.frombuffer(chunk, dtype=np.uint8)).tobytes().translate(_BIT_CHARS).decode("ascii")
    total = len(bits)
    out = np.empty(count, dtype=np.int64)
    pos = 0
    for i in range(count):
        zero = bits.find("0", pos, pos + 10)  # the prefix: up to 9 ones, then a 0 (or ten ones)
        ones = (zero - pos) if zero >= 0 else min(10, total - pos)
        if ones < 9:
            if zero < 0 or (ones and zero + 1 >= total):
                raise ECGReadError(path, f"SCP-ECG lead {lead + 1}: Huffman data ends after {i} of {count} samples")
            if ones == 0:
                out[i] = 0
                pos = zero + 1
            else:
                out[i] = -ones if bits[zero + 1] == "1" else ones
                pos = zero + 2
            continue
        width = 8 if ones == 9 else 16  # nine ones and a 0: 8-bit value; ten ones: 16-bit value
        start = pos + 10
        if ones == 9 and zero < 0 or start + width > total:
            raise ECGReadError(path, f"SCP-ECG lead {lead + 1}: Huffman data ends after {i} of {count} samples")
        raw = int(bits[start:start + width], 2)
        out[i] = raw - (1 << width) if raw >= 1 << (width - 1) else raw
        pos = start + width
    return out


_BIT_CHARS = bytes.maketrans(b"\x00\x01", b"01")


def _measurements(section: _Section | None) -> dict[str, float]:
    if section is None or len(section.body) < 6 + 16:
        return {}
    body = section.body
    rr = struct.unpack_from("<H", body, 2)[0]
    p_on, p_off, qrs_on, qrs_off, t_off = struct.unpack_from("<5H", body, 6)
    p_axis, qrs_axis, t_axis = struct.unpack_from("<3h", body, 16)

    def span(a: int, b: int) -> float | None:
        return float(b - a) if a not in UNDEFINED and b not in UNDEFINED and b > a else None

    def axis(v: int) -> float | None:
        return float(v) if -180 <= v <= 360 else None

    ok_rr = rr not in UNDEFINED and rr > 0
    return clean_measurements({
        "hr_bpm": round(60000.0 / rr, 1) if ok_rr else None, "rr_ms": float(rr) if ok_rr else None,
        "pr_ms": span(p_on, qrs_on), "p_duration_ms": span(p_on, p_off), "qrs_ms": span(qrs_on, qrs_off),
        "qt_ms": span(qrs_on, t_off), "p_axis_deg": axis(p_axis), "qrs_axis_deg": axis(qrs_axis),
        "t_axis_deg": axis(t_axis),
    })


# Section 8 header (EN 1064 / ISO 11073-91064): report type (0 original, 1 confirmed,
# 2 overread not confirmed), date (year u16, month, day), time (h, m, s), number of statements.
SECTION8_HEADER = 9


def _statements(section: _Section | None) -> list[str]:
    """Interpretive statements of section 8, each ``seq u8, length u16, text``; a statement may hold
    several NUL-separated lines, joined with a space. A truncated list keeps what was complete."""
    if section is None or len(section.body) < SECTION8_HEADER:
        return []
    body, out = section.body, []
    n, pos = body[SECTION8_HEADER - 1], SECTION8_HEADER
    for _ in range(n):
        if pos + 3 > len(body):
            break
        size = struct.unpack_from("<H", body, pos + 1)[0]
        value = body[pos + 3: pos + 3 + size]
        pos += 3 + size
        lines = (part.decode("latin-1").strip() for part in value.split(b"\x00"))
        said = " ".join(line for line in lines if line)
        if said:
            out.append(said)
    return out
