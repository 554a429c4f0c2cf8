"""Hospital ECG files made by code from the public format descriptions (no patient data): test
fixtures, benchmark inputs, and sample files for anyone checking their own reader.

The signals come from :func:`medts.examples.simulate_example` (the dipole simulator). Each
builder writes the format's own integer units, so a test can compare what a reader returns
with the exact integers written:

- ``muse_xml``: GE MUSE ``<RestingECG>`` with 8 stored leads (I, II, V1-V6) as base64 int16,
  Rhythm and Median waveforms, CRC32 per lead, demographics, measurements, statements.
- ``philips_xml``: Philips ``<restingecgdata>`` 1.04, uncompressed or XLI. The XLI encoder
  inverts the ``sierraecg`` decoder: LZW with 10-bit codes (MSB first) over the int16 words split
  into high and low byte halves, second-order prediction with a +64 offset, and limb leads stored
  as residuals that the decoder rebuilds.
- ``scp_ecg``: an SCP-ECG record (sections 0, 1, 3, 6, 7, 8; optional section 2 with the
  default or a custom Huffman table; optional reference-beat subtraction with sections 4 and 5)
  with CRC-CCITT checksums.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

from medts.io.scp_ecg import crc_ccitt
from medts.record import ECG

MUSE_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")


def integers(ecg: ECG, lead: str, units_uv: float) -> np.ndarray:
    """Lead ``lead`` in integer steps of ``units_uv`` microvolts."""
    return np.rint(ecg.lead(lead).astype(np.float64) * 1000.0 / units_uv).astype(np.int64)


# -- GE MUSE ------------------------------------------------------------------------------------
def _muse_waveform(kind: str, columns: dict[str, np.ndarray], fs: int, per_bit: float, *, crc: bool) -> str:
    parts = []
    for name, values in columns.items():
        raw = values.astype("<i2").tobytes()
        crc_line = f"<LeadDataCRC32>{zlib.crc32(raw)}</LeadDataCRC32>" if crc else ""
        parts.append(
            f"<LeadData><LeadByteCountTotal>{len(raw)}</LeadByteCountTotal><LeadTimeOffset>0</LeadTimeOffset>"
            f"<LeadSampleCountTotal>{len(values)}</LeadSampleCountTotal>"
            f"<LeadAmplitudeUnitsPerBit>{per_bit:g}</LeadAmplitudeUnitsPerBit>"
            f"<LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>{name}</LeadID>"
            f"<LeadSampleSize>2</LeadSampleSize>{crc_line}"
            f"<WaveFormData>{_wrapped_base64(raw)}</WaveFormData></LeadData>")
    return (f"<Waveform><WaveformType>{kind}</WaveformType><WaveformStartTime>0</WaveformStartTime>"
            f"<NumberofLeads>{len(columns)}</NumberofLeads><SampleType>CONTINUOUS_SAMPLES</SampleType>"
            f"<SampleBase>{fs}</SampleBase><SampleExponent>0</SampleExponent>{''.join(parts)}</Waveform>")


def _wrapped_base64(raw: bytes) -> str:
    text = base64.b64encode(raw).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))  # as MUSE wraps it


def muse_xml(ecg: ECG, *, per_bit: float = 4.88, crc: bool = True, median: bool = True) -> str:
    fs = int(ecg.fs)
    rhythm = {name: integers(ecg, name, per_bit) for name in MUSE_LEADS}
    waveforms = []
    if median:  # the first 0.6 s as a stand-in median beat (the reader does not care what it shows)
        waveforms.append(_muse_waveform("Median", {k: v[: int(0.6 * fs)] for k, v in rhythm.items()}, fs, per_bit, crc=crc))
    waveforms.append(_muse_waveform("Rhythm", rhythm, fs, per_bit, crc=crc))
    sex = {"M": "MALE", "F": "FEMALE"}.get(ecg.sex or "", "UNKNOWN")
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE RestingECG SYSTEM "restecg.dtd">
<RestingECG>
<MuseInfo><MuseVersion>9.0.10.18188</MuseVersion></MuseInfo>
<PatientDemographics><PatientID>SIM-0001</PatientID><PatientAge>{int(ecg.age or 0)}</PatientAge><AgeUnits>YEARS</AgeUnits>
<Gender>{sex}</Gender></PatientDemographics>
<TestDemographics><DataType>RESTING</DataType><AcquisitionDevice>MAC55</AcquisitionDevice>
<AcquisitionTime>10:11:12</AcquisitionTime><AcquisitionDate>01-02-2024</AcquisitionDate></TestDemographics>
<RestingECGMeasurements><VentricularRate>68</VentricularRate><AtrialRate>68</AtrialRate><PRInterval>158</PRInterval>
<QRSDuration>92</QRSDuration><QTInterval>384</QTInterval><QTCorrected>408</QTCorrected><PAxis>51</PAxis>
<RAxis>44</RAxis><TAxis>38</TAxis></RestingECGMeasurements>
<Diagnosis><Modality>RESTING</Modality>
<DiagnosisStatement><StmtFlag>ENDSLINE</StmtFlag><StmtText>Normal sinus rhythm</StmtText></DiagnosisStatement>
<DiagnosisStatement><StmtText>Normal ECG</StmtText></DiagnosisStatement>
</Diagnosis>
{''.join(waveforms)}
</RestingECG>
"""


# -- Philips Sierra XML -------------------------------------------------------------------------
def lzw_encode(data: bytes, bits: int = 10) -> bytes:
    """LZW with fixed ``bits``-bit codes, MSB first; the table stops growing at 2**bits - 2."""
    max_code = (1 << bits) - 2
    table = {bytes([i]): i for i in range(256)}
    next_code, word, codes = 256, b"", []
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        codes.append(table[word])
        if next_code <= max_code:
            table[candidate] = next_code
            next_code += 1
        word = bytes([byte])
    if word:
        codes.append(table[word])
    acc, n_bits, out = 0, 0, bytearray()
    for code in codes:
        acc, n_bits = (acc << bits) | code, n_bits + bits
        while n_bits >= 8:
            n_bits -= 8
            out.append((acc >> n_bits) & 0xFF)
    if n_bits:
        out.append((acc << (8 - n_bits)) & 0xFF)
    return bytes(out)


def xli_chunk(samples: np.ndarray) -> bytes:
    """One lead as an XLI chunk: ``int32 size, int16 unused, int16 start`` + LZW payload."""
    s = [int(v) for v in samples]
    words = [0] * len(s)
    words[0], words[1] = s[0], s[1]
    start = 2 * s[1] - s[0] - s[2]
    for i in range(3, len(s)):
        words[i - 1] = 2 * s[i - 1] - s[i - 2] - s[i] + 64
    words[-1] = 64
    unsigned = [w & 0xFFFF for w in words]
    payload = lzw_encode(bytes(w >> 8 for w in unsigned) + bytes(w & 0xFF for w in unsigned))
    return struct.pack("<ihh", len(payload), 0, start) + payload


def limb_residuals(leads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What PageWriter stores for III, aVR, aVL, aVF (the decoder adds the derived part back)."""
    i, ii, iii = leads["I"], leads["II"], leads["III"]
    out = dict(leads)
    out["III"] = ii - i - iii
    out["aVR"] = -leads["aVR"] - (i + ii) // 2
    out["aVL"] = (i - iii) // 2 - leads["aVL"]
    out["aVF"] = (ii + iii) // 2 - leads["aVF"]
    return out


def philips_xml(ecg: ECG, *, compression: str = "Uncompressed", resolution_uv: float = 5.0, version: str = "1.04",
                signal_offset: int = 0) -> str:
    """``signal_offset``: the ADC count that stands for 0 V (``signaloffset``); a non-zero one writes
    uncompressed samples as unsigned 16-bit counts (``signalsigned`` False), as offset-binary carts do."""
    if signal_offset and compression == "XLI":
        raise ValueError("a signal offset is written for uncompressed data only")
    leads = {name: integers(ecg, name, resolution_uv) + signal_offset for name in ecg.leads}
    if compression == "XLI":
        stored = limb_residuals(leads)
        payload = b"".join(xli_chunk(stored[name]) for name in ecg.leads)
        attrs = 'dataencoding="Base64" compression="XLI"'
    else:
        payload = b"".join(leads[name].astype("<u2" if signal_offset else "<i2").tobytes() for name in ecg.leads)
        attrs = 'dataencoding="Base64" compression="Uncompressed"'
    duration_ms = round(1000 * ecg.n_samples / ecg.fs)
    sex = {"M": "Male", "F": "Female"}.get(ecg.sex or "", "Unknown")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<restingecgdata xmlns="http://www3.medical.philips.com" status="Confirmed">
  <documentinfo><documenttype>PhilipsECG</documenttype><documentversion>{version}</documentversion></documentinfo>
  <dataacquisition date="2024-01-02" time="10:11:12">
    <machine machineid="1">PageWriter TC70</machine>
    <signalcharacteristics><samplingrate>{int(ecg.fs)}</samplingrate><resolution>{resolution_uv:g}</resolution>
      <acquisitiontype>STD-12</acquisitiontype><bitspersample>16</bitspersample><signaloffset>{signal_offset}</signaloffset>
      <signalsigned>{not signal_offset}</signalsigned><numberchannelsallocated>{ecg.n_leads}</numberchannelsallocated>
      <numberchannelsvalid>{ecg.n_leads}</numberchannelsvalid></signalcharacteristics>
  </dataacquisition>
  <patient><generalpatientdata><patientid>SIM-0001</patientid><age><years>{int(ecg.age or 0)}</years></age>
    <sex>{sex}</sex></generalpatientdata></patient>
  <interpretations><interpretation>
    <globalmeasurements><heartrate>68</heartrate><rrint>882</rrint><print>160</print><qrsdur>90</qrsdur>
      <qtint>380</qtint><qtcb>404</qtcb><pfrontaxis>50</pfrontaxis><qrsfrontaxis>40</qrsfrontaxis>
      <tfrontaxis>35</tfrontaxis></globalmeasurements>
    <statement><statementcode>SR</statementcode><leftstatement>SINUS RHYTHM</leftstatement><rightstatement>V-rate 50-99</rightstatement></statement>
    <statement><leftstatement>NORMAL ECG</leftstatement><rightstatement/></statement>
  </interpretation></interpretations>
  <waveforms>
    <parsedwaveforms {attrs} numberofleads="{ecg.n_leads}" leadlabels="{' '.join(ecg.leads)}"
        durationperchannel="{duration_ms}" samplespersecond="{int(ecg.fs)}">{_wrapped_base64(payload)}</parsedwaveforms>
  </waveforms>
</restingecgdata>
"""


# -- SCP-ECG ------------------------------------------------------------------------------------
SCP_LEAD_IDS = {"I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8,
                "III": 61, "aVR": 62, "aVL": 63, "aVF": 64}


def _section(sid: int, body: bytes) -> bytes:
    if len(body) % 2:
        body += b"\x00"  # sections have an even length
    head = struct.pack("<HIBB6s", sid, 16 + len(body), 20, 20, b"SCPECG")
    crc = crc_ccitt(head + body)
    return struct.pack("<H", crc) + head + body


def _tag(tag: int, value: bytes) -> bytes:
    return struct.pack("<BH", tag, len(value)) + value


def huffman_default(values: list[int]) -> bytes:
    """The SCP-ECG default Huffman table, MSB first."""
    bits = []
    for v in values:
        if v == 0:
            bits.append("0")
        elif -8 <= v <= 8:
            bits.append("1" * abs(v) + "0" + ("1" if v < 0 else "0"))
        elif -128 <= v <= 127:
            bits.append("1" * 9 + "0" + format(v & 0xFF, "08b"))
        else:
            bits.append("1" * 10 + format(v & 0xFFFF, "016b"))
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    return bytes(int(stream[i:i + 8], 2) for i in range(0, len(stream), 8))


# A custom Huffman table (section 2), each code: prefix bits, total bits, mode (1 = a value),
# base value, prefix code: "0" -> 0, "10" + 8 bits, "11" + 16 bits (two's complement).
CUSTOM_HUFFMAN = ((1, 1, 1, 0, "0"), (2, 10, 1, 0, "10"), (2, 18, 1, 0, "11"))


def huffman_custom_table() -> bytes:
    """Section 2 body for :data:`CUSTOM_HUFFMAN`: one table; base codes stored bit-reversed."""
    body = struct.pack("<HH", 1, len(CUSTOM_HUFFMAN))
    for prefix, total, mode, value, code in CUSTOM_HUFFMAN:
        body += struct.pack("<BBBhI", prefix, total, mode, value, int(code[::-1], 2))
    return body


def huffman_custom(values: list[int]) -> bytes:
    """``values`` coded with :data:`CUSTOM_HUFFMAN`, MSB first."""
    bits = []
    for v in values:
        if v == 0:
            bits.append("0")
        elif -128 <= v <= 127:
            bits.append("10" + format(v & 0xFF, "08b"))
        else:
            bits.append("11" + format(v & 0xFFFF, "016b"))
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    return bytes(int(stream[i:i + 8], 2) for i in range(0, len(stream), 8))


def _differences(x: np.ndarray, order: int) -> np.ndarray:
    if order == 1:
        return np.concatenate([x[:1], np.diff(x)])
    if order == 2:
        d = x.copy()
        d[2:] = x[2:] - 2 * x[1:-1] + x[:-2]
        return d
    return x


def _reference_beat(leads: list[np.ndarray], fs: float, ms_before: int = 100, ms_after: int = 400):
    """QRS fiducials (R peaks of the first lead), the mean beat per lead around them (integers),
    and the subtraction zones ``(start, fiducial, end)`` as 1-based sample numbers."""
    from scipy.signal import find_peaks

    before, after = round(ms_before * fs / 1000), round(ms_after * fs / 1000)
    peaks, _ = find_peaks(leads[0], distance=round(0.3 * fs), prominence=0.5 * np.ptp(leads[0]))
    peaks = [int(p) for p in peaks if p - before >= 0 and p + after < len(leads[0])]
    beats = [np.rint(np.mean([x[p - before: p + after] for p in peaks], axis=0)).astype(np.int64) for x in leads]
    zones = [(p - before + 1, p + 1, p + after) for p in peaks]
    return beats, zones, before + 1


def scp_ecg(ecg: ECG, *, avm_nv: int = 1000, difference: int = 0, huffman: bool | str = False,
            reference_beat: bool = False, statements: tuple[str, ...] = ("Sinus rhythm", "Normal ECG"),
            section8: bytes | None = None) -> bytes:
    """An SCP-ECG record of ``ecg``.

    ``huffman``: ``True``/``"default"`` codes rhythm (and reference beat) data with the
    standard's default table, ``"custom"`` with :data:`CUSTOM_HUFFMAN` stored in section 2.
    ``reference_beat``: "high compression" -- section 4 holds QRS zones, section 5 the mean
    beat, section 6 the rhythm minus that beat inside each zone (section 3 flag bit 0).
    ``section8`` replaces the written section 8 body (tests hand-build one from the standard).
    """
    n = ecg.n_samples
    code = {True: huffman_default, "default": huffman_default, "custom": huffman_custom}.get(huffman)
    leads = [integers(ecg, name, avm_nv / 1000.0) for name in ecg.leads]
    rhythm = leads
    if reference_beat:
        beats, zones, fiducial = _reference_beat(leads, ecg.fs)
        rhythm = []
        for x, beat in zip(leads, beats):
            r = x.copy()
            for start, fid, end in zones:
                r[start - 1: end] -= beat[fiducial - fid + start - 1: fiducial - fid + end]
            rhythm.append(r)

    def encode(x: np.ndarray) -> bytes:
        d = _differences(x, difference)
        return code(d.tolist()) if code else d.astype("<i2").tobytes()

    encoded = [encode(x) for x in rhythm]
    age = int(ecg.age or 0)
    s1 = b"".join([
        _tag(2, b"SIM-0001\x00"), _tag(4, struct.pack("<HB", age, 1)),
        _tag(8, bytes([{"M": 1, "F": 2}.get(ecg.sex or "", 0)])),
        _tag(25, struct.pack("<HBB", 2024, 1, 2)), _tag(26, bytes([10, 11, 12])), _tag(255, b""),
    ])
    s3 = bytes([ecg.n_leads, 0b100 | int(reference_beat)]) + b"".join(struct.pack("<IIB", 1, n, SCP_LEAD_IDS[name]) for name in ecg.leads)
    s6 = struct.pack("<HHBB", avm_nv, round(1e6 / ecg.fs), difference, 0)
    s6 += b"".join(struct.pack("<H", len(e)) for e in encoded) + b"".join(encoded)
    # Section 7: 1 reference beat type, no spikes, RR 882 ms, PP 882 ms; P on/off, QRS on/off, T off, axes.
    s7 = struct.pack("<BBHH", 1, 0, 882, 882) + struct.pack("<5H3h", 100, 200, 260, 350, 640, 50, 40, 35)
    # Section 8: report type 0 (original, not overread), date, time, number of statements.
    s8 = struct.pack("<BHBBBBBB", 0, 2024, 1, 2, 10, 11, 12, len(statements))
    for k, said in enumerate(statements):
        text = said.encode("latin-1") + b"\x00"
        s8 += struct.pack("<BH", k + 1, len(text)) + text
    bodies = {1: s1, 3: s3, 6: s6, 7: s7, 8: s8 if section8 is None else section8}
    if code is not None:
        bodies[2] = huffman_custom_table() if huffman == "custom" else struct.pack("<H", 19999)
    if reference_beat:
        length_ms = round(1000 * len(beats[0]) / ecg.fs)
        s4 = struct.pack("<HHH", length_ms, fiducial, len(zones))
        s4 += b"".join(struct.pack("<HIII", 0, start, fid, end) for start, fid, end in zones)
        s4 += b"".join(struct.pack("<II", start, end) for start, _, end in zones)  # protected zones
        coded = [encode(beat) for beat in beats]
        s5 = struct.pack("<HHBB", avm_nv, round(1e6 / ecg.fs), difference, 0)
        s5 += b"".join(struct.pack("<H", len(c)) for c in coded) + b"".join(coded)
        bodies[4], bodies[5] = s4, s5
    ids = list(range(12))
    pointer_size = 16 + 10 * len(ids)
    sections, offset, pointers = [], 6 + pointer_size, b""
    for sid in ids[1:]:
        if sid in bodies:
            block = _section(sid, bodies[sid])
            pointers += struct.pack("<HII", sid, len(block), offset + 1)
            sections.append(block)
            offset += len(block)
        else:
            pointers += struct.pack("<HII", sid, 0, 0)
    section0 = _section(0, struct.pack("<HII", 0, pointer_size, 7) + pointers)
    record = section0 + b"".join(sections)
    length = 6 + len(record)
    body = struct.pack("<I", length) + record
    return struct.pack("<H", crc_ccitt(body)) + body


# -- ISHNE Holter -------------------------------------------------------------------------------
ISHNE_LEAD_CODES = {"I": 5, "II": 6, "III": 7, "aVR": 8, "aVL": 9, "aVF": 10,
                    "V1": 11, "V2": 12, "V3": 13, "V4": 14, "V5": 15, "V6": 16}


def ishne_holter(ecg: ECG, *, resolution_nv: int = 2500, comment: str = "simulated record",
                 crc: bool = True) -> bytes:
    """An ISHNE Holter 1.0 ``.ecg`` file (Badilini 1998): ``ISHNE1.0``, CRC-CCITT of the header
    and variable block, a 512-byte fixed header (little-endian), a variable-length text block,
    then int16 samples interleaved by lead, each lead in steps of ``resolution_nv`` nV."""
    leads = [integers(ecg, name, resolution_nv / 1000.0) for name in ecg.leads]
    var = comment.encode("latin-1") + b"\x00"
    dates = struct.pack("<3h", 15, 3, 1970) + struct.pack("<3h", 2, 1, 2024) + struct.pack("<3h", 2, 1, 2024)
    codes = [ISHNE_LEAD_CODES.get(name, 1) for name in ecg.leads] + [-9] * (12 - ecg.n_leads)
    header = b"".join([
        struct.pack("<iiiih", len(var), ecg.n_samples, 522, 522 + len(var), 1),
        b"\x00" * 40, b"\x00" * 40, b"SIM-0001".ljust(20, b"\x00"),
        struct.pack("<hh", {"M": 1, "F": 2}.get(ecg.sex or "", 0), 0), dates, struct.pack("<3h", 10, 11, 12),
        struct.pack("<h", ecg.n_leads), struct.pack("<12h", *codes), struct.pack("<12h", *([1] * 12)),
        struct.pack("<12h", *([resolution_nv] * ecg.n_leads + [0] * (12 - ecg.n_leads))), struct.pack("<h", 0),
        b"digital".ljust(40, b"\x00"), struct.pack("<h", int(ecg.fs)), b"\x00" * 80, b"\x00" * 80, b"\x00" * 88,
    ])
    assert len(header) == 512
    checksum = crc_ccitt(header + var) if crc else 0
    data = np.stack(leads, axis=1).astype("<i2").tobytes()
    return b"ISHNE1.0" + struct.pack("<H", checksum) + header + var + data
