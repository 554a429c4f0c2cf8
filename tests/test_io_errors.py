"""Bad input: every reader fails with ECGReadError naming the file and the problem.

Each case writes its own broken file. The property tests feed random bytes and fuzzed WFDB
headers to read_record and accept nothing but an ECG or ECGReadError.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import wfdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medts.errors import ECGReadError
from medts.io import find_records, read_record
from medts.record import ECG


def _wfdb(folder: Path, name="r", n=1500, leads=("I", "II"), fs=500, p_signal=None):
    x = p_signal if p_signal is not None else np.sin(np.arange(n)[:, None] / 20.0 * np.arange(1, len(leads) + 1))
    wfdb.wrsamp(name, fs=fs, units=["mV"] * len(leads), sig_name=list(leads), p_signal=x,
                fmt=["16"] * len(leads), write_dir=str(folder))
    return folder / f"{name}.hea"


def _raises(path, match, **kwargs):
    """read_record(path) raises ECGReadError whose message names the file and matches ``match``."""
    with pytest.raises(ECGReadError) as info:
        read_record(path, **kwargs)
    message = str(info.value)
    assert Path(path).stem in message, message
    assert re.search(match, message), message
    return message


def test_missing_dat_for_hea(tmp_path):
    hea = _wfdb(tmp_path)
    (tmp_path / "r.dat").unlink()
    _raises(hea, r"signal file named in the header is missing: .*r\.dat")


def test_truncated_dat(tmp_path):
    hea = _wfdb(tmp_path)
    data = (tmp_path / "r.dat").read_bytes()
    (tmp_path / "r.dat").write_bytes(data[: len(data) // 2 + 1])
    _raises(hea, "truncated")


def test_header_data_mismatch_more_signals_than_data(tmp_path):
    hea = _wfdb(tmp_path)
    lines = hea.read_text().splitlines()
    lines[0] = lines[0].replace("r 2 ", "r 3 ")
    lines.insert(3, lines[2].replace(" II", " V1"))
    hea.write_text("\n".join(lines) + "\n")
    _raises(hea, "does not match the header")


def test_header_data_mismatch_data_longer_than_header(tmp_path):
    hea = _wfdb(tmp_path)
    hea.write_text(hea.read_text().replace("r 2 500 1500", "r 2 500 1200"))
    _raises(hea, "checksum mismatch")


def test_header_data_mismatch_mat_lead_count(tmp_path):
    scipy.io.savemat(tmp_path / "A1.mat", {"val": np.zeros((2, 5000), np.int16)})
    lines = ["A1 3 500 5000"] + [f"A1.mat 16+24 1000/mV 16 0 0 0 0 {lead}" for lead in ("I", "II", "III")]
    (tmp_path / "A1.hea").write_text("\n".join(lines) + "\n")
    _raises(tmp_path / "A1.mat", "lists 3 leads but the .mat has shape")


def test_unknown_extension(tmp_path):
    path = tmp_path / "scan.xyz"
    path.write_text("1,2,3")
    _raises(path, r"unknown file extension '\.xyz'")


def test_nan_and_inf_samples(tmp_path):
    x = np.sin(np.arange(1500)[:, None] / 20.0) * np.ones((1, 2))
    nan = x.copy()
    nan[10, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    _raises(tmp_path / "nan.npy", r"NaN or infinite samples in lead\(s\) ECG2", fs=500)
    inf = x.copy()
    inf[20, 0] = np.inf
    np.savez(tmp_path / "inf.npz", signal=inf, fs=500)
    _raises(tmp_path / "inf.npz", "NaN or infinite")
    rows = "\n".join(f"{a:.4f},{'inf' if i == 7 else a}" for i, a in enumerate(x[:, 0]))
    (tmp_path / "inf.csv").write_text("I,II\n" + rows + "\n")
    _raises(tmp_path / "inf.csv", r"NaN or infinite samples in lead\(s\) II", fs=500)
    # WFDB writes NaN as its "invalid sample" marker.
    _wfdb(tmp_path, "wnan", p_signal=nan)
    _raises(tmp_path / "wnan.hea", "NaN samples")


def test_zero_length_and_too_short_signals(tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((0, 2)))
    _raises(tmp_path / "empty.npy", "non-empty", fs=500)
    np.save(tmp_path / "short.npy", np.zeros((999, 2)))
    _raises(tmp_path / "short.npy", r"1\.998 s long .* at least 2 s", fs=500)
    _wfdb(tmp_path, "wshort", n=500)
    _raises(tmp_path / "wshort.hea", "at least 2 s")
    (tmp_path / "one.csv").write_text("I\n0.1\n")
    _raises(tmp_path / "one.csv", "at least 2 s", fs=500)
    header_only = tmp_path / "zero.hea"
    header_only.write_text("zero 1 500 0\nzero.dat 16 200/mV 16 0 0 0 0 II\n")
    (tmp_path / "zero.dat").write_bytes(b"")
    _raises(header_only, "declares 0 samples")


def test_duplicate_lead_names_are_renamed_with_a_note(tmp_path):
    from medts.io import read_record

    _wfdb(tmp_path, "dup", leads=("MLII", "II"))  # the same lead after normalisation
    ecg = read_record(tmp_path / "dup.hea")
    assert ecg.leads == ("ECG1", "ECG2") and "MLII" not in ecg.metadata["lead_names_note"]
    assert "II, II" in ecg.metadata["lead_names_note"]
    rows = "\n".join("0.1,0.2" for _ in range(1500))
    (tmp_path / "dup.csv").write_text("V1,v1\n" + rows + "\n")
    assert read_record(tmp_path / "dup.csv", fs=500).leads == ("ECG1", "ECG2")
    np.savez(tmp_path / "dup.npz", signal=np.zeros((1500, 2)), fs=500, leads=np.array(["ECG", "ECG"]))
    assert read_record(tmp_path / "dup.npz").leads == ("ECG1", "ECG2")
    named = read_record(tmp_path / "dup.npz", leads=["II", "V5"])
    assert named.leads == ("II", "V5") and "lead_names_note" not in named.metadata
    _raises(tmp_path / "dup.npz", r"--leads names 1 lead\(s\) \(II\) but the record has 2", leads=["II"])


def test_csv_text_in_numeric_columns(tmp_path):
    rows = [f"{i / 500:.4f},0.1,0.2" for i in range(1500)]
    rows[41] = f"{41 / 500:.4f},0.1,abc"
    (tmp_path / "text.csv").write_text("time,I,II\n" + "\n".join(rows) + "\n")
    _raises(tmp_path / "text.csv", r"row 43, column 'II': 'abc' is not a number")


@pytest.mark.parametrize("fs", [0, -500, float("nan"), float("inf"), 1e7, 10])
def test_wrong_fs_values(tmp_path, fs):
    np.save(tmp_path / "x.npy", np.zeros((100_000, 1)))
    _raises(tmp_path / "x.npy", "sampling rate .* not plausible", fs=fs)


def test_absent_or_conflicting_fs(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1500, 1)))
    _raises(tmp_path / "x.npy", "carries no sampling rate")
    (tmp_path / "x.csv").write_text("I\n" + "\n".join("0.1" for _ in range(1500)) + "\n")
    _raises(tmp_path / "x.csv", "sampling rate unknown")
    _wfdb(tmp_path, "w")
    _raises(tmp_path / "w.hea", "fs=250 Hz given but the file says 500 Hz", fs=250)
    rows = "\n".join(f"{i / 500:.4f},0.1" for i in range(1500))
    (tmp_path / "t.csv").write_text("time,I\n" + rows + "\n")
    _raises(tmp_path / "t.csv", "implies 500 Hz", fs=1000)
    np.savez(tmp_path / "z.npz", signal=np.zeros((1500, 1)), fs="fast")
    _raises(tmp_path / "z.npz", "fs entry is not a number")


def test_directory_with_no_records(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "readme.txt").write_text("no ECG here")
    with pytest.raises(ECGReadError, match=r"empty: folder contains no ECG records"):
        find_records(tmp_path / "empty")
    with pytest.raises(ECGReadError, match="empty"):
        read_record(tmp_path / "empty", format="wfdb")


def test_binary_junk_in_text_formats(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81garbage\x00" * 50)
    _raises(tmp_path / "bin.csv", "not a UTF-8 text CSV|not a number|header")


# -- property tests -------------------------------------------------------------------------

EXTENSIONS = [".hea", ".dat", ".mat", ".edf", ".bdf", ".csv", ".tsv", ".npy", ".npz", ".xml", ".dcm", ".scp", ".ecg"]


def _accept_only_read_error(path: Path, fs) -> None:
    try:
        ecg = read_record(path, fs=fs)
    except ECGReadError as error:
        assert str(path.stem) in str(error) or str(path.with_suffix(".hea").stem) in str(error)
        return
    assert isinstance(ecg, ECG)  # random input that happens to be a valid record is fine


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ext=st.sampled_from(EXTENSIONS),
    payload=st.binary(min_size=0, max_size=3000),
    fs=st.sampled_from([None, 500.0]),
)
def test_random_bytes_raise_only_ecg_read_error(ext, payload, fs):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{ext}"
        path.write_bytes(payload)
        if ext == ".dat":  # give the random data a valid header so the data path is exercised
            (Path(folder) / "fuzz.hea").write_text("fuzz 2 500 1000\nfuzz.dat 16 200/mV 16 0 0 0 0 I\nfuzz.dat 16 200/mV 16 0 0 0 0 II\n")
        _accept_only_read_error(path, fs)


_token = st.one_of(
    st.integers(-5, 70_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
_fmt = st.sampled_from(["16", "212", "8", "80", "24", "32", "61", "160", "310", "311", "16+24", "999", "x", ""])
_gain = st.one_of(st.sampled_from(["200/mV", "1000(0)/uV", "0/mV", "-3/V", "nan/mV", "200(x)/mV", ""]), _token)


@st.composite
def _fuzzed_header(draw):
    n_sig = draw(st.integers(0, 3))
    record_line = " ".join(["fuzz", draw(st.one_of(st.just(str(n_sig)), _token)),
                            draw(st.one_of(st.sampled_from(["500", "250/360", "0", "-1"]), _token)),
                            draw(st.one_of(st.integers(0, 3000).map(str), _token))])
    lines = [record_line]
    for i in range(n_sig):
        fields = ["fuzz.dat", draw(_fmt), draw(_gain), draw(st.sampled_from(["16", "12", ""])),
                  draw(st.sampled_from(["0", "x", ""])), draw(_token), draw(_token), "0",
                  draw(st.sampled_from(["I", "II", "ii", "V1", "", "I I"]))]
        lines.append(" ".join(f for f in fields))
    lines += draw(st.lists(st.text(max_size=30).map(lambda t: "#" + t.replace("\n", " ")), max_size=3))
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    return "\n".join(lines) + "\n"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=_fuzzed_header(), data=st.binary(min_size=0, max_size=6000))
def test_fuzzed_wfdb_headers_raise_only_ecg_read_error(header, data):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "fuzz.hea").write_text(header, encoding="utf-8")
        (Path(folder) / "fuzz.dat").write_bytes(data)
        _accept_only_read_error(Path(folder) / "fuzz.hea", None)


@pytest.mark.parametrize(("field", "problem"), [
    ("-5", "-5 Hz is not plausible"), ("-500", "-500 Hz is not plausible"), ("abc", "'abc' is not a number"),
    ("", "gives no sampling rate"), ("0", "0 Hz is not plausible"), ("1e9", "1e9 Hz is not plausible"),
])
def test_missing_or_impossible_wfdb_sampling_rate_is_an_error_unless_fs_is_given(tmp_path, field, problem):
    """wfdb reads all of these as 250 Hz (or 1 Hz) without a word; medts refuses and asks for --fs."""
    hea = _wfdb(tmp_path, "rate", n=5000, fs=500)
    lines = hea.read_text().splitlines()
    record_line = lines[0].split()
    lines[0] = " ".join(record_line[:2] + ([field, record_line[3]] if field else []))
    hea.write_text("\n".join(lines) + "\n")
    message = _raises(hea, problem)
    assert "--fs" in message and message.count("\n") == 0
    ecg = read_record(hea, fs=500)
    assert ecg.fs == 500.0 and ecg.duration_s == 10.0


def test_wfdb_rate_with_counter_frequency_and_given_fs_that_disagrees(tmp_path):
    hea = _wfdb(tmp_path, "ctr", n=2000, fs=500)
    lines = hea.read_text().splitlines()
    parts = lines[0].split()
    parts[2] = "500/1000(3)"
    hea.write_text("\n".join([" ".join(parts), *lines[1:]]) + "\n")
    assert read_record(hea).fs == 500.0
    _raises(hea, "fs=250 Hz given but the file says 500 Hz", fs=250)


def test_unknown_unit_is_flagged(tmp_path):
    hea = _wfdb(tmp_path, "units", n=2000)
    hea.write_text(hea.read_text().replace("/mV", "/mmHg", 1))
    ecg = read_record(hea)
    assert any("unit 'mmHg'" in p and p.startswith("lead I ") for p in ecg.problems())


# -- hospital formats: damaged copies of valid files ---------------------------------------------
def _hospital_files() -> dict[str, bytes]:
    """One valid file per hospital format (built from the format descriptions, see medts.io.samples)."""
    from medts.io.aecg import write_aecg
    from medts.io.dicom_ecg import write_dicom_ecg
    from medts.io.samples import ishne_holter, muse_xml, philips_xml, scp_ecg
    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(duration_s=2.5, fs=250.0, hr_bpm=70.0, seed=3, record_id="fuzz", age=60, sex="M")
    with tempfile.TemporaryDirectory() as folder:
        aecg = write_aecg(ecg, Path(folder) / "a.xml").read_bytes()
        dicom = write_dicom_ecg(ecg, Path(folder) / "d.dcm").read_bytes()
    return {
        "aecg.xml": aecg, "dicom.dcm": dicom, "muse.xml": muse_xml(ecg).encode("latin-1"),
        "philips.xml": philips_xml(ecg).encode(), "philips_xli.xml": philips_xml(ecg, compression="XLI").encode(),
        "scp.scp": scp_ecg(ecg), "scp_huffman.scp": scp_ecg(ecg, difference=2, huffman=True),
        "scp_refbeat.scp": scp_ecg(ecg, difference=1, huffman="custom", reference_beat=True),
        "holter.ecg": ishne_holter(ecg.select_leads(["I", "II", "V5"])),
    }


_HOSPITAL = _hospital_files()


@st.composite
def _damaged(draw, suffixes: tuple[str, ...] = (".xml", ".dcm", ".scp", ".ecg")):
    name = draw(st.sampled_from(sorted(n for n in _HOSPITAL if n.endswith(suffixes))))
    data = bytearray(_HOSPITAL[name])
    kind = draw(st.sampled_from(["truncate", "flip", "splice", "zero"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        data = data[:at]
    elif kind == "flip":
        for offset in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[offset] ^= draw(st.integers(1, 255))
    elif kind == "splice":
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    else:
        data[at:at + draw(st.integers(1, 400))] = b"\x00" * 4
    return name, bytes(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_damaged(), fs=st.sampled_from([None, 250.0]))
def test_damaged_hospital_files_raise_only_ecg_read_error(case, fs):
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        _accept_only_read_error(path, fs)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_damaged(suffixes=(".scp", ".ecg")))
def test_ecgdatakit_parsers_raise_only_their_own_errors(case):
    """medts.io.ecgdatakit_io catches only ecgdatakit's own exceptions (and OSError): anything
    else its SCP-ECG or ISHNE parser raised on a damaged file would escape and fail here."""
    import warnings

    from ecgdatakit.exceptions import ECGDataKitError
    from ecgdatakit.parsing.parser import FileParser

    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CRC mismatches are warnings there; the bridge refuses them
            try:
                FileParser.parse(path)
            except ECGDataKitError:
                pass


_XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=12)


@st.composite
def _fuzzed_ecg_xml(draw):
    """Valid XML with the right root element and random fields, values and attributes."""
    root = draw(st.sampled_from(["AnnotatedECG", "RestingECG", "restingecgdata"]))
    source = {"AnnotatedECG": _HOSPITAL["aecg.xml"], "RestingECG": _HOSPITAL["muse.xml"],
              "restingecgdata": _HOSPITAL["philips.xml"]}[root].decode("latin-1")
    tokens = re.findall(r">([^<]{1,40})<|\"([^\"]{1,40})\"", source)
    text = source
    for _ in range(draw(st.integers(1, 6))):
        old = draw(st.sampled_from([a or b for a, b in tokens]))
        new = draw(st.one_of(_XML_TEXT, st.sampled_from(["0", "-1", "nan", "1e309", "", "99999999999", "XLI", "3"])))
        text = text.replace(f">{old}<", f">{new}<", 1) if f">{old}<" in text else text.replace(f'"{old}"', f'"{new.replace(chr(34), "")}"', 1)
    return text.encode("latin-1", errors="replace")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_fuzzed_ecg_xml())
def test_fuzzed_ecg_xml_fields_raise_only_ecg_read_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.xml"
        path.write_bytes(data)
        _accept_only_read_error(path, None)
