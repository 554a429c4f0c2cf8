"""Hospital ECG formats: HL7 aECG, GE MUSE, Philips XML, DICOM waveform, SCP-ECG.

Files are written by the builders in ``medts/io/samples.py`` (from the public format
descriptions), by medts' own writers, or are the sample DICOM ECG that pydicom ships. Every
check compares decoded values with the integers that were written.
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pydicom
import pytest

from medts.errors import ECGReadError
from medts.examples import simulate_example
from medts.io import FORMATS, find_records, read_record
from medts.io.aecg import write_aecg
from medts.io.device import MedianBeats
from medts.io.dicom_ecg import GENERAL_ECG, TWELVE_LEAD_ECG, write_dicom_ecg
from medts.io.samples import MUSE_LEADS, integers, ishne_holter, muse_xml, philips_xml, scp_ecg
from medts.record import ECG, STANDARD_LEADS


@pytest.fixture(scope="module")
def sinus() -> ECG:
    ecg = simulate_example("sinus")
    return replace(ecg, metadata={"base_datetime": "2024-01-02T10:11:12"})


def _raises(path: Path, match: str, **kwargs) -> str:
    with pytest.raises(ECGReadError, match=match) as info:
        read_record(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


# -- writers: round trips ----------------------------------------------------------------------
@pytest.mark.parametrize("writer, suffix", [(write_aecg, ".xml"), (write_dicom_ecg, ".dcm")])
def test_round_trip_agrees_to_one_microvolt(tmp_path, sinus, writer, suffix):
    path = writer(sinus, tmp_path / f"sinus{suffix}")
    back = read_record(path)
    assert back.leads == sinus.leads and back.fs == sinus.fs and back.n_samples == sinus.n_samples
    assert float(np.abs(back.signal.astype(np.float64) - sinus.signal).max()) <= 1e-3  # 1 uV
    assert back.sex == "F" and back.metadata["base_datetime"] == "2024-01-02T10:11:12"


def test_round_trip_at_other_rates_and_lead_sets(tmp_path):
    ecg = simulate_example("afib").select_leads(["II", "V1", "V5"]).resample(360.0)
    for writer, suffix in ((write_aecg, ".xml"), (write_dicom_ecg, ".dcm")):
        back = read_record(writer(ecg, tmp_path / f"afib{suffix}"))
        assert back.leads == ("II", "V1", "V5") and back.fs == 360.0
        assert float(np.abs(back.signal.astype(np.float64) - ecg.signal).max()) <= 1e-3


def test_aecg_without_acquisition_time_uses_relative_time(tmp_path, sinus):
    path = write_aecg(replace(sinus, metadata={}), tmp_path / "rel.xml")
    text = path.read_text()
    assert "TIME_RELATIVE" in text and "TIME_ABSOLUTE" not in text
    back = read_record(path)
    assert back.metadata["base_datetime"] is None and back.fs == 500.0


@pytest.mark.parametrize("scale", ["0", "-1", "abc"])
def test_aecg_scale_that_is_not_a_positive_voltage_is_refused(tmp_path, sinus, scale):
    """A zero scale once read as a flat lead (found by comparing with ecgdatakit on fuzzed files)."""
    text = write_aecg(sinus, tmp_path / "a.xml").read_text()
    assert text.count('<scale value="1" unit="uV"') == 12
    (tmp_path / "b.xml").write_text(text.replace('<scale value="1" unit="uV"', f'<scale value="{scale}" unit="uV"', 1))
    _raises(tmp_path / "b.xml", "is not a positive voltage")


def test_aecg_reads_device_annotations_birth_date_and_median_beats(tmp_path, sinus):
    path = write_aecg(sinus.select_leads(["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]), tmp_path / "a.xml")
    text = path.read_text()
    text = text.replace('<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1" />',
                        '<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1" />'
                        '<birthTime value="19691015" />')
    beat = " ".join(["0", "100", "200", "100"] * 100)
    annotations = (
        '<subjectOf><annotationSet>'
        '<component><annotation><code code="MDC_ECG_HEART_RATE" codeSystem="2.16.840.1.113883.6.24"/>'
        '<value xsi:type="PQ" value="68" unit="bpm"/></annotation></component>'
        '<component><annotation><code code="MDC_ECG_TIME_PD_QTc" codeSystem="2.16.840.1.113883.6.24"/>'
        '<value xsi:type="PQ" value="0.408" unit="s"/></annotation></component>'
        '<component><annotation><code code="MDC_ECG_INTERPRETATION_STATEMENT"/>'
        '<value xsi:type="ST">Sinus rhythm</value></annotation></component>'
        '</annotationSet></subjectOf>'
        '<derivation><derivedSeries><code code="REPRESENTATIVE_BEAT" codeSystem="2.16.840.1.113883.5.4"/>'
        '<component><sequenceSet><component><sequence><code code="TIME_RELATIVE"/>'
        '<value xsi:type="GLIST_PQ"><head value="0" unit="s"/><increment value="2" unit="ms"/></value></sequence></component>'
        '<component><sequence><code code="MDC_ECG_LEAD_II"/><value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/>'
        f'<scale value="5" unit="uV"/><digits>{beat}</digits></value></sequence></component>'
        '</sequenceSet></component></derivedSeries></derivation>'
    )
    text = text.replace("</series>", annotations + "</series>", 1)
    path.write_text(text)
    ecg = read_record(path)
    assert ecg.age == 54.0  # born 1969-10-15, recorded 2024-01-02
    assert ecg.metadata["device_measurements"] == {"hr_bpm": 68.0, "qtc_ms": 408.0}
    assert ecg.metadata["device_statements"] == ["Sinus rhythm"]
    assert ecg.metadata["derived_leads"] == ["III", "aVR", "aVL", "aVF"] and ecg.leads == STANDARD_LEADS
    beats = ecg.metadata["median_beats"]
    assert isinstance(beats, MedianBeats) and beats.fs_hz == 500.0 and beats.leads == ("II",)
    assert np.allclose(beats.signal_mv[:4, 0], [0, 0.5, 1.0, 0.5])


def test_dicom_writer_picks_the_sop_class_and_keeps_large_amplitudes(tmp_path, sinus):
    assert pydicom.dcmread(write_dicom_ecg(sinus, tmp_path / "a.dcm")).SOPClassUID == TWELVE_LEAD_ECG
    long = replace(sinus, signal=np.tile(sinus.signal, (4, 1)))  # 40 s: past the 12-lead IOD's 16384 samples
    assert pydicom.dcmread(write_dicom_ecg(long, tmp_path / "long.dcm")).SOPClassUID == GENERAL_ECG
    loud = replace(sinus.select_leads(["II", "V2"]), signal=sinus.select_leads(["II", "V2"]).signal * 40)
    path = write_dicom_ecg(loud, tmp_path / "loud.dcm")
    ds = pydicom.dcmread(path)  # 40x amplitudes pass +-32.767 mV: the sensitivity grows
    sensitivity = float(ds.WaveformSequence[0].ChannelDefinitionSequence[0].ChannelSensitivity)
    assert sensitivity > 1
    back = read_record(path)
    assert float(np.abs(back.signal.astype(np.float64) - loud.signal).max()) <= sensitivity / 2 * 1e-3 + 1e-9


# -- readers ----------------------------------------------------------------------------------
def test_dicom_sample_shipped_by_pydicom():
    path = Path(pydicom.data.get_testdata_file("waveform_ecg.dcm"))
    ecg = read_record(path)
    assert ecg.leads == STANDARD_LEADS and ecg.fs == 1000.0 and ecg.n_samples == 10000
    assert ecg.age == 42.0 and ecg.sex == "F" and ecg.metadata["base_datetime"] == "2013-01-25T10:59:19"
    device = ecg.metadata["device_measurements"]
    assert device["qrs_ms"] == 75.0 and device["qtc_ms"] == 370.0 and device["pr_ms"] == 161.0
    assert ecg.metadata["device_statements"] == ["RITMO SINUSALE", "ECG NORMALE"]
    assert ecg.metadata["median_beats"].signal_mv.shape == (1200, 12)
    raw = pydicom.dcmread(path).waveform_array(0)  # pydicom's own scaling, in uV
    assert np.allclose(ecg.signal, raw / 1000.0, atol=1e-6)


@pytest.mark.parametrize("per_bit", [1.0, 4.88])
def test_muse_stored_leads_exact_and_limb_leads_derived(tmp_path, sinus, per_bit):
    path = tmp_path / "muse.xml"
    path.write_text(muse_xml(sinus, per_bit=per_bit), encoding="latin-1")
    ecg = read_record(path)
    assert ecg.leads == STANDARD_LEADS and ecg.fs == 500.0
    for lead in MUSE_LEADS:
        assert np.allclose(ecg.lead(lead), integers(sinus, lead, per_bit) * per_bit / 1000.0, atol=1e-6)
    i, ii = ecg.lead("I").astype(np.float64), ecg.lead("II").astype(np.float64)
    assert np.allclose(ecg.lead("III"), ii - i, atol=1e-6) and np.allclose(ecg.lead("aVR"), -(i + ii) / 2, atol=1e-6)
    assert np.allclose(ecg.lead("aVL"), i - ii / 2, atol=1e-6) and np.allclose(ecg.lead("aVF"), ii - i / 2, atol=1e-6)
    assert ecg.metadata["derived_leads"] == ["III", "aVR", "aVL", "aVF"]
    assert ecg.age == 54.0 and ecg.sex == "F" and ecg.metadata["base_datetime"] == "2024-01-02T10:11:12"
    assert ecg.metadata["device_measurements"]["qtc_ms"] == 408.0
    assert ecg.metadata["device_measurements"]["qrs_axis_deg"] == 44.0
    assert ecg.metadata["device_statements"] == ["Normal sinus rhythm", "Normal ECG"]
    assert ecg.metadata["median_beats"].signal_mv.shape == (300, 12)


def test_muse_damaged_files(tmp_path, sinus):
    text = muse_xml(sinus, per_bit=1.0)
    start = text.index("<WaveFormData>", text.index("<WaveformType>Rhythm")) + len("<WaveFormData>")
    flipped = text[:start] + ("B" if text[start] != "B" else "C") + text[start + 1:]
    (tmp_path / "crc.xml").write_text(flipped, encoding="latin-1")
    _raises(tmp_path / "crc.xml", "MUSE Rhythm lead I: CRC32 mismatch")
    (tmp_path / "norhythm.xml").write_text(text.replace("<WaveformType>Rhythm", "<WaveformType>Other"), encoding="latin-1")
    _raises(tmp_path / "norhythm.xml", r"no Rhythm waveform \(waveforms: median, other\)")
    (tmp_path / "b64.xml").write_text(text[:start] + "@@@" + text[start + 3:], encoding="latin-1")
    _raises(tmp_path / "b64.xml", "not valid base64")


@pytest.mark.parametrize("compression", ["Uncompressed", "XLI"])
def test_philips_uncompressed_and_xli(tmp_path, sinus, compression):
    path = tmp_path / "philips.xml"
    path.write_text(philips_xml(sinus, compression=compression))
    ecg = read_record(path)
    assert ecg.leads == STANDARD_LEADS and ecg.fs == 500.0
    for lead in STANDARD_LEADS:  # XLI: sierraecg rebuilds III, aVR, aVL, aVF from the residuals
        assert np.array_equal(np.rint(ecg.lead(lead).astype(np.float64) * 200).astype(np.int64), integers(sinus, lead, 5.0)), lead
    assert ecg.metadata["waveform_compression"] == compression
    assert ecg.metadata["device_measurements"]["qtc_ms"] == 404.0
    assert ecg.metadata["device_statements"] == ["SINUS RHYTHM V-rate 50-99", "NORMAL ECG"]
    assert ecg.age == 54.0 and ecg.sex == "F" and ecg.metadata["device"]["model"] == "PageWriter TC70"


def test_philips_signal_offset_is_the_count_for_zero_volts(tmp_path, sinus):
    """signaloffset (the ADC count that stands for 0 V) is subtracted, unsigned counts read as such: an
    offset-binary file reads as the signed one does, and as ecgdatakit reads it (sierraecg ignores it)."""
    import warnings

    from ecgdatakit.parsing.parser import FileParser

    (tmp_path / "signed.xml").write_text(philips_xml(sinus))
    (tmp_path / "offset.xml").write_text(philips_xml(sinus, signal_offset=32768))
    assert "<signaloffset>32768</signaloffset>" in (tmp_path / "offset.xml").read_text()
    signed, offset = read_record(tmp_path / "signed.xml"), read_record(tmp_path / "offset.xml")
    assert np.array_equal(offset.signal, signed.signal)
    assert not offset.input_notes()  # no 164 mV shift flagged as an implausible amplitude
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = FileParser.parse(tmp_path / "offset.xml", auto_scale=True, units="mV")
    for lead in theirs.leads:
        assert np.allclose(np.asarray(lead.samples), offset.lead(lead.label), atol=1e-6), lead.label


def test_philips_unsupported_and_damaged(tmp_path, sinus):
    (tmp_path / "zip.xml").write_text(philips_xml(sinus).replace('compression="Uncompressed"', 'compression="ZIP"'))
    _raises(tmp_path / "zip.xml", "compression 'ZIP' is not supported")
    text = philips_xml(sinus)
    start = text.index('samplespersecond="500">') + len('samplespersecond="500">')
    end = text.index("</parsedwaveforms>")
    encoded = "".join(text[start:end].split())[:4000]  # whole base64 quanta, far fewer than 12 x 5000 samples
    (tmp_path / "short.xml").write_text(text[:start] + encoded + text[end:])
    _raises(tmp_path / "short.xml", "waveform data is truncated")
    xli = philips_xml(sinus, compression="XLI")
    (tmp_path / "v2.xml").write_text(xli.replace("<documentversion>1.04<", "<documentversion>2.00<"))
    _raises(tmp_path / "v2.xml", "version '2.00' with XLI compression is not supported")


@pytest.mark.parametrize("difference, huffman, reference_beat", [
    (0, False, False), (1, False, False), (2, False, False), (0, True, False), (1, True, False), (2, True, False),
    (0, "custom", False), (2, "custom", False), (0, False, True), (2, True, True), (1, "custom", True)])
def test_scp_ecg_encodings(tmp_path, sinus, difference, huffman, reference_beat):
    """Every rhythm encoding: raw, differences, default and custom Huffman tables, and
    reference-beat subtraction (the residuals only match the signal once the beat is added back)."""
    path = tmp_path / "r.scp"
    path.write_bytes(scp_ecg(sinus, difference=difference, huffman=huffman, reference_beat=reference_beat))
    ecg = read_record(path)
    assert ecg.leads == STANDARD_LEADS and ecg.fs == 500.0
    assert float(np.abs(ecg.signal.astype(np.float64) - sinus.signal).max()) <= 0.5e-3 + 1e-7
    assert ecg.age == 54.0 and ecg.sex == "F" and ecg.metadata["base_datetime"] == "2024-01-02T10:11:12"
    assert ecg.metadata["device_measurements"] == {
        "hr_bpm": 68.0, "rr_ms": 882.0, "pr_ms": 160.0, "p_duration_ms": 100.0, "qrs_ms": 90.0, "qt_ms": 380.0,
        "p_axis_deg": 50.0, "qrs_axis_deg": 40.0, "t_axis_deg": 35.0}
    assert ecg.metadata["device_statements"] == ["Sinus rhythm", "Normal ECG"]
    median = ecg.metadata.get("median_beats")
    if reference_beat:  # section 5: the mean beat, 100 ms before to 400 ms after each R peak
        assert median.leads == STANDARD_LEADS and median.fs_hz == 500.0 and median.signal_mv.shape == (250, 12)
        assert 0.5 < float(np.ptp(median.signal_mv[:, 1])) < 5.0
    else:
        assert median is None


def _patch_section(data: bytes, sid: int, offset: int, value: bytes) -> bytes:
    """Overwrite bytes of section ``sid``'s body and fix the section and record CRCs."""
    from medts.io.scp_ecg import crc_ccitt

    out = bytearray(data)
    for k in range(12):
        entry_sid, size, index = struct.unpack_from("<HII", out, 6 + 16 + 10 * k)
        if entry_sid == sid:
            start = index - 1
            out[start + 16 + offset: start + 16 + offset + len(value)] = value
            out[start: start + 2] = struct.pack("<H", crc_ccitt(bytes(out[start + 2: start + size])))
            out[0:2] = struct.pack("<H", crc_ccitt(bytes(out[2:])))
            return bytes(out)
    raise AssertionError(f"no section {sid}")


def test_scp_ecg_without_amplitude_scale_is_refused(tmp_path, sinus):
    """Section 6 amplitude multiplier 0: the samples are raw counts, so the file is refused."""
    path = tmp_path / "avm0.scp"
    path.write_bytes(_patch_section(scp_ecg(sinus), 6, 0, struct.pack("<H", 0)))
    _raises(path, "no usable amplitude scale")


def test_ishne_holter_reads_leads_demographics_and_refuses_damage(tmp_path, sinus):
    """ISHNE 1.0 written from the published layout; decoded by ecgdatakit behind medts' checks."""
    three = sinus.select_leads(["II", "V1", "V5"])
    data = ishne_holter(three, resolution_nv=2500)
    (tmp_path / "h.ecg").write_bytes(data)
    ecg = read_record(tmp_path / "h.ecg")
    assert ecg.leads == ("II", "V1", "V5") and ecg.fs == 500.0 and ecg.n_samples == three.n_samples
    for k, name in enumerate(ecg.leads):  # the exact integers written, in 2.5 uV steps
        assert np.allclose(ecg.signal[:, k].astype(np.float64), integers(three, name, 2.5) * 0.0025, atol=1e-6)
    assert ecg.sex == "F" and ecg.age == 53.0 and ecg.metadata["base_datetime"] == "2024-01-02T10:11:12"
    assert ecg.metadata["format"] == "ISHNE Holter"
    assert read_record(tmp_path / "h.ecg", format="holter").n_samples == three.n_samples
    damaged = bytearray(data)
    damaged[200] ^= 0x01  # a header byte: the CRC no longer matches
    (tmp_path / "crc.ecg").write_bytes(bytes(damaged))
    _raises(tmp_path / "crc.ecg", "checksum mismatch")
    (tmp_path / "cut.ecg").write_bytes(data[:-600])
    cut = read_record(tmp_path / "cut.ecg")  # read as far as it goes, and said
    assert cut.n_samples == 4900 and np.array_equal(cut.signal, ecg.signal[:4900])
    assert any("announces 5000 samples per lead but the file holds 4900" in n for n in cut.input_notes())
    (tmp_path / "other.ecg").write_bytes(b"MFR-ECG\x00" + bytes(2000))
    _raises(tmp_path / "other.ecg", "not readable as ISHNE Holter: ecgdatakit recognises no format in it")
    from medts.io.hospital import not_a_record

    assert not_a_record(tmp_path / "other.ecg") == "an .ecg file that is not ISHNE Holter (no ISHNE1.0 magic)"
    assert not_a_record(tmp_path / "h.ecg") is None


def test_scp_ecg_section8_as_the_standard_lays_it_out(tmp_path, sinus):
    """EN 1064 section 8, built byte by byte: report type (2 = overread), date, time, number of
    statements, then per statement sequence number u8, length u16, text (NUL-separated lines)."""
    statements = [(1, b"Sinus bradycardia\x00"), (2, b"Left axis deviation\x00with QRS widening\x00"), (3, b"\x00")]
    body = bytes([2]) + (2023).to_bytes(2, "little") + bytes([12, 31, 23, 59, 58, len(statements)])
    for seq, text in statements:
        body += bytes([seq]) + len(text).to_bytes(2, "little") + text
    path = tmp_path / "overread.scp"
    path.write_bytes(scp_ecg(sinus, section8=body))
    ecg = read_record(path)
    assert ecg.metadata["device_statements"] == ["Sinus bradycardia", "Left axis deviation with QRS widening"]
    written = scp_ecg(sinus, statements=("First statement", "B"))
    at = written.index(b"First statement\x00") - 3 - 9  # our own writer: the same 9-byte header first
    assert written[at] == 0 and written[at + 8] == 2 and written[at + 1: at + 3] == (2024).to_bytes(2, "little")


def test_scp_ecg_damaged_and_unsupported(tmp_path, sinus):
    data = bytearray(scp_ecg(sinus))
    data[500] ^= 0xFF
    (tmp_path / "crc.scp").write_bytes(bytes(data))
    _raises(tmp_path / "crc.scp", "CRC mismatch")
    (tmp_path / "cut.scp").write_bytes(scp_ecg(sinus)[:3000])
    _raises(tmp_path / "cut.scp", "length field says")
    (tmp_path / "tiny.scp").write_bytes(b"\x00" * 10)
    _raises(tmp_path / "tiny.scp", "too short for SCP-ECG")


def test_xml_dispatch_and_format_names(tmp_path, sinus):
    (tmp_path / "other.xml").write_text("<?xml version='1.0'?><svg><g/></svg>")
    _raises(tmp_path / "other.xml", r"root element <svg> is not an ECG format")
    (tmp_path / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><AnnotatedECG>&a;</AnnotatedECG>')
    _raises(tmp_path / "bomb.xml", "entities or DTDs, refused")
    (tmp_path / "bad.xml").write_text("<AnnotatedECG><series>")
    _raises(tmp_path / "bad.xml", "not well-formed XML")
    path = write_aecg(sinus, tmp_path / "sinus.aecg")  # any extension, with the format named
    assert read_record(path, format="aecg").n_leads == 12
    assert read_record(path, format="hl7").fs == 500.0
    _raises(path, "fs=250 Hz given but the file says 500 Hz", format="xml", fs=250)
    assert {"xml", "dicom", "scp"} <= set(FORMATS)


def test_each_fixture_reads_within_two_seconds(tmp_path, sinus):
    files = {
        "a.xml": write_aecg(sinus, tmp_path / "a.xml"), "d.dcm": write_dicom_ecg(sinus, tmp_path / "d.dcm"),
        "dicom-sample.dcm": Path(pydicom.data.get_testdata_file("waveform_ecg.dcm")),
    }
    for name, text in (("m.xml", muse_xml(sinus)), ("p.xml", philips_xml(sinus)), ("x.xml", philips_xml(sinus, compression="XLI"))):
        (tmp_path / name).write_text(text, encoding="latin-1" if name == "m.xml" else "utf-8")
        files[name] = tmp_path / name
    (tmp_path / "s.scp").write_bytes(scp_ecg(sinus, difference=2, huffman=True))
    files["s.scp"] = tmp_path / "s.scp"
    for name, path in files.items():
        start = time.perf_counter()
        summary = read_record(path).summary()  # what `medts info` prints
        assert time.perf_counter() - start <= 2.0, name
        assert summary.n_samples > 0


# -- folder scans -----------------------------------------------------------------------------
def test_folder_scan_skips_and_names_what_is_not_a_record(tmp_path, sinus, caplog):
    write_aecg(sinus, tmp_path / "ecg1.xml")
    (tmp_path / "ecg2.scp").write_bytes(scp_ecg(sinus))
    (tmp_path / "signal.csv").write_text("time,I\n" + "\n".join(f"{i / 500:.3f},0.1" for i in range(1500)) + "\n")
    (tmp_path / "labels.csv").write_text("Recording,First_label\nA0001,1\nA0002,2\n")
    (tmp_path / "broken.csv").write_text("lead I,lead II\nnot,a number\n")  # names leads: a broken record, kept
    (tmp_path / "settings.xml").write_text("<settings><theme>dark</theme></settings>")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    image = Dataset()
    image.file_meta = FileMetaDataset()
    image.file_meta.MediaStorageSOPClassUID = image.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT image
    image.file_meta.MediaStorageSOPInstanceUID = image.SOPInstanceUID = generate_uid()
    image.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    image.save_as(tmp_path / "ct.dcm", enforce_file_format=True)
    with caplog.at_level("WARNING", logger="medts.io"):
        found = find_records(tmp_path)
    assert [p.name for p in found] == ["broken.csv", "ecg1.xml", "ecg2.scp", "signal.csv"]
    skipped = "\n".join(caplog.messages)
    assert "labels.csv: a table of words, not samples (no lead names in the header; first data row has 'A0001')" in skipped
    assert "settings.xml: XML without an ECG root element" in skipped
    assert "ct.dcm: DICOM object of another kind (SOP class 1.2.840.10008.5.1.4.1.1.2)" in skipped
    assert read_record(tmp_path / "signal.csv").fs == 500.0


def test_folder_of_only_non_records_is_an_error(tmp_path):
    (tmp_path / "labels.csv").write_text("Recording,label\nA0001,AF\n")
    with pytest.raises(ECGReadError, match="folder contains no ECG records"):
        find_records(tmp_path)


def test_report_batch_inputs_skip_a_labels_table_next_to_cinc_records(tmp_path, sinus, caplog):
    import scipy.io

    from medts.report.batch import resolve_inputs

    digital = np.rint(sinus.signal.T * 1000).astype(np.int16)  # CinC: .mat 'val' in uV steps + .hea
    scipy.io.savemat(tmp_path / "A0001.mat", {"val": digital})
    lines = ["A0001 12 500 5000"] + [f"A0001.mat 16+24 1000/mV 16 0 0 0 0 {lead}" for lead in sinus.leads]
    (tmp_path / "A0001.hea").write_text("\n".join(lines + ["#Age: 54", "#Sex: Female", "#Dx: 426783006"]) + "\n")
    (tmp_path / "labels.csv").write_text("Recording,First_label,Second_label\nA0001,1,\n")
    with caplog.at_level("WARNING", logger="medts.io"):
        jobs = resolve_inputs([str(tmp_path)])
    assert [job.key for job in jobs] == ["A0001"]
    assert any("labels.csv: a table of words" in m for m in caplog.messages)
    assert read_record(jobs[0].path).n_leads == 12


def test_module_readers_raise_only_read_errors_for_unusable_records(tmp_path, sinus):
    from medts.io.dicom_ecg import read_dicom_ecg
    from medts.io.ecg_xml import read_ecg_xml
    from medts.io.scp_ecg import read_scp_ecg

    two_seconds = sinus.slice(0.0, 2.0)  # 1000 samples: valid at 500 Hz, 1 s (too short) at 1000 Hz
    aecg = write_aecg(two_seconds, tmp_path / "short.xml")
    aecg.write_text(aecg.read_text().replace('<increment value="0.002" unit="s"', '<increment value="0.001" unit="s"'))
    dicom = write_dicom_ecg(two_seconds, tmp_path / "short.dcm")
    ds = pydicom.dcmread(dicom)
    ds.WaveformSequence[0].SamplingFrequency = "1000"
    ds.save_as(dicom)
    scp = tmp_path / "short.scp"
    scp.write_bytes(scp_ecg(_FastClock(two_seconds)))
    for reader, path in ((read_ecg_xml, aecg), (read_dicom_ecg, dicom), (read_scp_ecg, scp)):
        with pytest.raises(ECGReadError, match=r"short\.\w+: signal is 1\.000 s long \(1000 samples at 1000 Hz\)"):
            reader(path)


class _FastClock:
    """``ecg`` claiming twice its sampling rate (an SCP-ECG builder input that no ECG could be)."""

    def __init__(self, ecg: ECG):
        self._ecg = ecg
        self.fs, self.n_samples, self.n_leads, self.leads = 1000.0, ecg.n_samples, ecg.n_leads, ecg.leads
        self.age, self.sex = ecg.age, ecg.sex

    def lead(self, name: str) -> np.ndarray:
        return self._ecg.lead(name)


def test_info_shows_the_device_findings_beside_medts_own(tmp_path, sinus, capsys):
    from medts.cli import main

    path = tmp_path / "muse.xml"
    path.write_text(muse_xml(sinus), encoding="latin-1")
    assert main(["info", "--json", str(path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["device_measurements"]["qtc_ms"] == 408.0 and row["device_statements"] == ["Normal sinus rhythm", "Normal ECG"]
    assert row["recorded_at"] == "2024-01-02T10:11:12" and row["sex"] == "F"
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "device reported (from the file, not measured by medts):" in text and "statement: Normal ECG" in text
    wfdb_text = main(["info", str(tmp_path / "x.hea")])  # a file without device findings prints no such block
    assert wfdb_text == 2 and "device reported" not in capsys.readouterr().out


def test_hospital_files_upload_through_the_ui_staging(tmp_path, sinus):
    from medts.ui.uploads import load_upload

    for name, data in (("muse.xml", muse_xml(sinus).encode("latin-1")), ("r.scp", scp_ecg(sinus))):
        (tmp_path / name).write_bytes(data)
    dicom = write_dicom_ecg(sinus, tmp_path / "d.dcm")
    for path in (tmp_path / "muse.xml", tmp_path / "r.scp", dicom):
        result = load_upload([path], workdir=tmp_path / f"work-{path.suffix[1:]}")
        assert result.ecg.leads == STANDARD_LEADS and result.ecg.fs == 500.0, path


@pytest.mark.parametrize("compression", ["Uncompressed", "XLI"])
def test_philips_version_103_without_lead_labels(tmp_path, sinus, compression):
    text = philips_xml(sinus, compression=compression, version="1.03")
    attrs = 'compressflag="True" compressmethod="XLI"' if compression == "XLI" else 'compressflag="False"'
    text = text.replace(f'compression="{compression}"', attrs)
    text = text.replace(f'numberofleads="12" leadlabels="{" ".join(sinus.leads)}"', "")
    path = tmp_path / "v103.xml"
    path.write_text(text)
    ecg = read_record(path)
    assert ecg.leads == STANDARD_LEADS
    assert np.array_equal(np.rint(ecg.lead("aVL").astype(np.float64) * 200).astype(np.int64), integers(sinus, "aVL", 5.0))


def test_info_on_damaged_hospital_files_is_one_line_each_and_exit_2(tmp_path, sinus, capsys):
    from medts.cli import main

    text = muse_xml(sinus)
    (tmp_path / "cut.xml").write_text(text[: len(text) // 2], encoding="latin-1")
    (tmp_path / "bad.scp").write_bytes(scp_ecg(sinus)[:-7])
    (tmp_path / "bad.dcm").write_bytes(b"DICM" * 100)
    assert main(["info", str(tmp_path / "cut.xml"), str(tmp_path / "bad.scp"), str(tmp_path / "bad.dcm")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 3 and "cut.xml: not well-formed XML" in err[0]
    assert "bad.scp: SCP-ECG record length field says" in err[1] and "bad.dcm: DICOM file has no waveform" in err[2]


def test_agent_record_summary_shows_device_findings_as_untrusted_and_never_as_evidence(tmp_path, sinus):
    from medts.agent.grounding import numeric_facts
    from medts.agent.tools import ToolBox, Workspace

    path = tmp_path / "muse.xml"
    path.write_text(muse_xml(sinus), encoding="latin-1")
    summary = ToolBox(Workspace({"current": read_record(path)})).run("record_summary")
    device = summary["untrusted_device_report"]
    assert device["measurements"]["qtc_ms"] == 408.0 and device["statements"] == ["Normal sinus rhythm", "Normal ECG"]
    assert all(fact.value != 408.0 for fact in numeric_facts("record_summary", summary))
    plain = ToolBox(Workspace({"current": sinus})).run("record_summary")
    assert plain["untrusted_device_report"] is None
