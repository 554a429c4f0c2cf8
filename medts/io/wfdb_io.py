"""WFDB records and annotations: read into :class:`~medts.record.ECG`, write back.

``read_wfdb`` reads any record ``wfdb`` reads (tested: formats 16, 24, 32, 61, 80, 160, 212,
FLAC 508/516, multi-segment records), converts the signal to mV, checks the
header checksums against the data (a mismatch means a truncated, corrupted or wrong ``.dat``)
and parses age and sex from the usual comment styles. Header comments are kept verbatim in
``ecg.metadata["comments"]``: they are data, never instructions.

Every failure raises :class:`~medts.errors.ECGReadError` naming the file and the problem.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from medts.record import ECG
>>> from medts.io.wfdb_io import write_wfdb, read_wfdb
>>> t = np.arange(2500) / 500
>>> ecg = ECG(np.stack([np.sin(t), np.cos(t)], 1), fs=500, leads=("I", "II"), age=56, sex="F")
>>> hea = write_wfdb(ecg, pathlib.Path(tempfile.mkdtemp()) / "demo")
>>> back = read_wfdb(hea)
>>> back.leads, back.fs, back.age, back.sex
(('I', 'II'), 500.0, 56.0, 'F')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import wfdb

from medts.errors import ECGReadError, InvalidECGError
from medts.record import ECG, MAX_FS_HZ, MIN_FS_HZ

# Physical units -> factor to mV. Anything else is left unscaled and reported in metadata.
UNIT_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "microvolt": 1e-3, "v": 1e3, "nv": 1e-6}

_KEY_VALUE = re.compile(r"^\s*<?\s*([A-Za-z][\w .\-/]*?)\s*>?\s*:\s*(.*?)\s*$")
# MIT-BIH / QTDB first comment: "69 M 1085 1629 x1" (age, sex, then other numbers).
_MITBIH_AGE_SEX = re.compile(r"^\s*(\d{1,3})\s+([MF])\b", re.IGNORECASE)


def unit_scale_to_mv(unit: str | None) -> float | None:
    """Factor that converts ``unit`` (``"mV"``, ``"uV"``, ``"V"``, ...) to mV, or ``None`` if unknown.

    >>> unit_scale_to_mv("uV"), unit_scale_to_mv("mV"), unit_scale_to_mv("bpm")
    (0.001, 1.0, None)
    """
    if unit is None:
        return None
    return UNIT_TO_MV.get(str(unit).strip().lower())


def unit_warnings(unknown: list[tuple[str, str]]) -> list[str]:
    """One problem line per ``(lead, unit)`` whose unit is not a voltage medts converts.

    >>> unit_warnings([("II", "mmHg")])
    ["lead II has unit 'mmHg', not a voltage medts knows (mV, uV, V): left unscaled, so its amplitudes may be wrong"]
    """
    return [f"lead {lead} has unit {unit!r}, not a voltage medts knows (mV, uV, V): left unscaled, so its "
            "amplitudes may be wrong" for lead, unit in unknown]


def parse_comments(comments: list[str]) -> dict[str, Any]:
    """Age, sex, key/value fields and SNOMED codes from WFDB header comments.

    Understands PTB-XL / CinC (``Age: 56``, ``Sex: Female``, ``Dx: 426783006,164889003``),
    LUDB (``<age>: 51``, ``<sex>: F``) and MIT-BIH/QTDB (``69 M 1085 1629 x1``).
    Unknown or unparseable values become ``None``.

    Returns
    -------
    dict with keys ``age`` (float | None, years), ``sex`` ("M" | "F" | None),
    ``fields`` (dict lower-case key -> str) and ``snomed_codes`` (list of str, from ``Dx``).

    >>> parse_comments(["<age>: 51", "<sex>: F"])["age"]
    51.0
    >>> parse_comments(["69 M 1085 1629 x1"])["sex"]
    'M'
    """
    fields: dict[str, str] = {}
    age: float | None = None
    sex: str | None = None
    for comment in comments:
        match = _KEY_VALUE.match(comment)
        if match:
            key = match.group(1).strip().lower()
            fields.setdefault(key, match.group(2))
            continue
        mitbih = _MITBIH_AGE_SEX.match(comment)
        if mitbih and age is None and sex is None:
            age = _parse_age(mitbih.group(1))
            sex = _parse_sex(mitbih.group(2))
    if "age" in fields:
        age = _parse_age(fields["age"])
    if "sex" in fields:
        sex = _parse_sex(fields["sex"])
    elif "gender" in fields:
        sex = _parse_sex(fields["gender"])
    snomed = [c.strip() for c in fields.get("dx", "").split(",") if c.strip().isdigit()]
    return {"age": age, "sex": sex, "fields": fields, "snomed_codes": snomed}


def _parse_age(text: str) -> float | None:
    match = re.match(r"^\s*(\d+(?:\.\d+)?)", str(text))
    if not match:
        return None
    value = float(match.group(1))
    # PTB-XL codes ages over 89 as 300 in some releases; ages outside 0-130 are not ages.
    return value if 0 <= value <= 130 else None


def _parse_sex(text: str) -> str | None:
    key = str(text).strip().lower()
    if key in {"m", "male", "man"}:
        return "M"
    if key in {"f", "female", "woman"}:
        return "F"
    return None


# Record-line sampling frequency: "500", "360.5", "500/1000(3)" (counter frequency and base).
_HEADER_FS = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(?:[eE][+-]?\d+)?(?:/[^\s(]*)?(?:\([^)]*\))?$")


def header_sampling_rate(header: str | Path, given: float | None = None, *, holder: str = "file") -> float:
    """The sampling rate of a WFDB record: the header's, checked, or ``given`` when the header has none.

    ``wfdb`` reads a missing or unparseable rate (``-5``, ``abc``, no field at all) as 250 Hz and
    ``1e9`` as 1 Hz without a word, which turns every interval into a wrong number. medts reads
    the record line itself.

    Raises
    ------
    ECGReadError
        The header has no rate or an impossible one and ``given`` is ``None`` (the message says
        to pass ``--fs``), or ``given`` disagrees with a valid header rate (``holder`` names what
        holds the rate in that message: the file, or the header beside a ``.mat``).

    >>> import tempfile, pathlib
    >>> h = pathlib.Path(tempfile.mkdtemp()) / "r.hea"
    >>> _ = h.write_text("r 1 500 5000\\nr.dat 16 200 16 0 0 0 0 II\\n")
    >>> header_sampling_rate(h)
    500.0
    >>> _ = h.write_text("r 1\\nr.dat 16 200 16 0 0 0 0 II\\n")
    >>> header_sampling_rate(h, given=360)
    360.0
    """
    header = Path(header)
    fields = _record_line(header)
    text = fields[2] if len(fields) > 2 else None
    value = None
    if text is not None and _HEADER_FS.match(text):
        number = text.split("/")[0].split("(")[0]
        value = float(number)
    plausible = value is not None and MIN_FS_HZ <= value <= MAX_FS_HZ
    if plausible:
        if given is not None and abs(float(given) - value) > 1e-6 * value:
            raise ECGReadError(header, f"fs={float(given):g} Hz given but the {holder} says {value:g} Hz")
        return float(value)
    if given is not None:
        return float(given)
    if text is None:
        problem = "the WFDB header gives no sampling rate"
    elif value is None:
        problem = f"the WFDB header's sampling rate {text!r} is not a number"
    else:
        problem = (f"the WFDB header's sampling rate {text} Hz is not plausible for an ECG "
                   f"(expected {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz)")
    raise ECGReadError(header, f"{problem}; pass the true rate with --fs (medts never assumes one)")


def _record_line(header: Path) -> list[str]:
    with open(header, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text = line.split("#", 1)[0].strip()
            if text:
                return text.split()
    raise ECGReadError(header, "WFDB header is empty")


def record_base(path: str | Path) -> Path:
    """The record path without extension: ``a/b.hea`` (or ``.dat``, ``.mat``) -> ``a/b``."""
    path = Path(path)
    if path.suffix.lower() in {".hea", ".dat", ".mat"}:
        return path.with_suffix("")
    return path


def read_wfdb(path: str | Path, *, verify_checksum: bool = True, fs: float | None = None,
              max_samples: int | None = None, missing_as_zero: bool = False, mend_gaps: bool = False) -> ECG:
    """Read a WFDB record (``.hea`` + signal file) as an :class:`ECG` in mV.

    Parameters
    ----------
    path : str or Path
        The record, with or without ``.hea`` (``data/1``, ``data/1.hea``).
    verify_checksum : bool
        Compare the header's per-signal checksums with the data (when the header has them).
        A mismatch means the signal file does not belong to the header, is truncated or
        corrupted.
    fs : float, optional
        The sampling rate when the header lacks one (or has an impossible one); with a valid
        header rate it must agree (see :func:`header_sampling_rate`).
    max_samples : int, optional
        Read only the first ``max_samples`` samples (a sample-range read: the rest of the file is
        never held in memory; its checksums are still verified, streamed in blocks).
    missing_as_zero : bool
        WFDB "invalid sample" markers (a Holter's gaps) become 0 mV instead of an error, as in
        :func:`read_wfdb_samples` (``medts rhythm`` reads the first part with it, then the rest).
    mend_gaps : bool
        WFDB "invalid sample" markers are handled by the resting-ECG rule of
        :mod:`medts.interpret.gaps` (short stretches bridged, long ones cut, notes in
        ``metadata["carried_notes"]``) instead of an error.

    Returns
    -------
    ECG
        ``record_id`` is the record name, ``source`` the ``.hea`` path; ``metadata`` holds
        ``comments`` (list of str, verbatim), ``header_fields`` (dict), ``units`` (as in the
        header), ``snomed_codes`` (from ``#Dx:`` when numeric), ``base_datetime`` (ISO string or
        None) and ``format: "wfdb"``.

    Raises
    ------
    ECGReadError
        Missing header or signal file, syntax errors, truncated data, checksum or size
        mismatch, NaN/inf (or WFDB "invalid") samples, too-short records, duplicate leads.
    """
    base = record_base(path)
    header = Path(f"{base}.hea")
    if not header.is_file():
        raise ECGReadError(header, "WFDB header file not found")
    try:
        rate = header_sampling_rate(header, fs)
        record = _read_record(base, verify_checksum=verify_checksum, header=header, sampto=max_samples)
        return _record_to_ecg(record, header, rate, missing_as_zero, mend_gaps)
    except ECGReadError:
        raise
    except InvalidECGError as error:
        raise ECGReadError(header, str(error)) from error
    except FileNotFoundError as error:
        missing = getattr(error, "filename", None) or str(error)
        raise ECGReadError(header, f"signal file named in the header is missing: {missing}") from error
    except Exception as error:  # wfdb raises ValueError, IndexError, HeaderSyntaxError, ...
        problem = _diagnose_header(header) or _describe_wfdb_error(error)
        raise ECGReadError(header, problem) from error


_WFDB_FORMATS = {"8", "16", "24", "32", "61", "80", "160", "212", "310", "311", "508", "516", "524"}


def _diagnose_header(header: Path) -> str | None:
    """A plain-words reason why wfdb failed on ``header``, or ``None`` if nothing obvious.

    Runs only after a failure, so successful reads pay nothing for it.
    """
    lines = [
        line.split("#", 1)[0].strip()
        for line in header.read_text(errors="replace").splitlines()
    ]
    lines = [line for line in lines if line]
    if not lines:
        return "WFDB header is empty"
    fields = lines[0].split()
    if len(fields) < 2 or not fields[1].isdigit():
        return "WFDB header record line must be 'name n_signals [fs [n_samples]]'"
    n_sig = int(fields[1])
    if n_sig == 0:
        return "WFDB header declares no signals"
    if n_sig > 0 and "/" not in fields[0] and len(lines) - 1 < n_sig:
        return f"WFDB header declares {n_sig} signals but has {len(lines) - 1} signal lines"
    for number, line in enumerate(lines[1 : n_sig + 1], start=1):
        parts = line.split()
        fmt = parts[1].split("x")[0].split(":")[0].split("+")[0] if len(parts) > 1 else ""
        if fmt not in _WFDB_FORMATS:
            return f"signal line {number}: unsupported WFDB storage format {fmt or '(none)'!r}"
    if len(fields) >= 4 and fields[3].isdigit() and int(fields[3]) == 0:
        return "WFDB header declares 0 samples"
    return None


def _describe_wfdb_error(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "Samples were not loaded correctly" in text or "reshape" in text:
        return f"signal data does not match the header (truncated .dat or wrong signal count): {text}"
    if type(error).__name__ == "HeaderSyntaxError":
        return f"invalid WFDB header: {text}"
    return f"cannot read WFDB record ({type(error).__name__}: {text})"


def _is_multi_segment(header: Path) -> bool:
    """True for a multi-segment header (record line ``name/n_segments ...``)."""
    return "/" in _record_line(header)[0]


def _sampto(header: Path, sampto: int | None) -> int | None:
    """``sampto`` when the header says the record is longer, else ``None`` (read it all)."""
    fields = _record_line(header)
    if sampto is None or len(fields) < 4 or not fields[3].isdigit() or int(fields[3]) <= sampto:
        return None  # no excerpt asked, no length to check against, or the record is no longer
    return int(sampto)


CHECKSUM_BLOCK_SAMPLES = 1 << 18
"""Samples per block when a partial read verifies the whole file's checksums (12 leads: 25 MB as int64)."""


def _streamed_checksums(base: Path, n_samples: int) -> list[int]:
    """Per-signal checksums of the whole signal file, read in blocks so memory stays bounded."""
    total = None
    for start in range(0, n_samples, CHECKSUM_BLOCK_SAMPLES):
        block = wfdb.rdrecord(str(base), sampfrom=start, sampto=min(n_samples, start + CHECKSUM_BLOCK_SAMPLES),
                              physical=False, return_res=64)
        sums = block.d_signal.sum(axis=0, dtype=np.int64)
        total = sums if total is None else total + sums
    return [int(x) % 65536 for x in total]


def _read_record(base: Path, *, verify_checksum: bool, header: Path, sampto: int | None = None) -> wfdb.Record:
    sampto = _sampto(header, sampto)
    if _is_multi_segment(header):
        # Segments may have different gains: only wfdb's physical merge is correct, and the
        # checksums live in the segment headers, so there is nothing to verify here.
        record = wfdb.rdrecord(str(base), physical=True, sampto=sampto)
        if record.n_sig == 0 or record.sig_len == 0:
            raise ECGReadError(header, "record has no samples")
        return record
    record = wfdb.rdrecord(str(base), physical=False, sampto=sampto)
    if record.n_sig == 0 or record.sig_len == 0:
        raise ECGReadError(header, "record has no samples")
    single_frame = all(int(s) == 1 for s in (record.samps_per_frame or [1]))
    # wfdb replaces the header's checksums by the read part's on a partial read: take them from the header
    wanted = record.checksum if sampto is None else wfdb.rdheader(str(base)).checksum
    if verify_checksum and wanted is not None and record.d_signal is not None and single_frame:
        # A partial read still proves the file whole (truncated, corrupted or another record's data).
        computed = (record.calc_checksum() if sampto is None
                    else _streamed_checksums(base, int(_record_line(header)[3])))
        # Headers store checksums as signed 16-bit numbers; wfdb computes them unsigned.
        bad = [
            record.sig_name[i]
            for i, (want, got) in enumerate(zip(wanted, computed))
            if want is not None and int(want) % 65536 != int(got) % 65536
        ]
        if bad:
            raise ECGReadError(
                header,
                f"checksum mismatch in signal(s) {', '.join(map(str, bad))}: the signal file does not "
                "match the header (truncated, corrupted or from another record)",
            )
    if record.d_signal is not None:
        record.dac(expanded=False, return_res=64, inplace=True)
    return record


def _record_to_ecg(record: wfdb.Record, header: Path, fs: float, missing_as_zero: bool = False,
                   mend_gaps: bool = False) -> ECG:
    signal = record.p_signal
    if signal is None or signal.ndim != 2 or signal.shape[0] == 0:
        raise ECGReadError(header, "record has no samples")
    units = [str(u) if u is not None else "" for u in (record.units or [""] * record.n_sig)]
    unknown_units = []
    scales = []
    for name, unit in zip(record.sig_name, units):
        scale = unit_scale_to_mv(unit)
        if scale is None:
            unknown_units.append((str(name), unit or "(none)"))
            scale = 1.0
        scales.append(scale)
    if any(s != 1.0 for s in scales):
        signal = signal * np.asarray(scales)[None, :]
    if missing_as_zero:
        signal = np.nan_to_num(signal, nan=0.0)
    n_invalid = int(np.isnan(signal).sum())
    if n_invalid and not mend_gaps:
        raise ECGReadError(
            header,
            f"{n_invalid} NaN samples (WFDB 'invalid sample' markers or NaN values) in the signal",
        )
    comments = [str(c) for c in (record.comments or [])]
    parsed = parse_comments(comments)
    metadata: dict[str, Any] = {
        "format": "wfdb",
        "comments": comments,
        "header_fields": parsed["fields"],
        "units": units,
        "snomed_codes": parsed["snomed_codes"],
        "base_datetime": _base_datetime(record),
    }
    if unknown_units:
        metadata["unit_warnings"] = unit_warnings(unknown_units)
    if n_invalid:
        from medts.interpret.gaps import mend_for_reader

        signal, metadata = mend_for_reader(signal, fs, [str(n) for n in record.sig_name], metadata)
    return ECG(
        signal=signal,
        fs=fs,
        leads=tuple(str(n) for n in record.sig_name),
        record_id=str(record.record_name),
        source=str(header),
        age=parsed["age"],
        sex=parsed["sex"],
        metadata=metadata,
    )


def _base_datetime(record: wfdb.Record) -> str | None:
    try:
        if record.base_date is not None and record.base_time is not None:
            import datetime as _dt

            return _dt.datetime.combine(record.base_date, record.base_time).isoformat()
        if record.base_time is not None:
            return record.base_time.isoformat()
    except Exception:  # noqa: BLE001 - a date is a nicety, never a reason to fail a read
        return None
    return None


_AGE_SEX_COMMENT = re.compile(r"^\s*<?\s*(age|sex|gender)\s*>?\s*:", re.IGNORECASE)
_RECORD_NAME = re.compile(r"^[-\w]+$")


WRITE_WINDOW_SAMPLES = 30_000
"""Samples per lead converted and written at a time by :func:`write_wfdb` (60 s at 500 Hz)."""

_DAT_DTYPES = {"16": np.dtype("<i2"), "32": np.dtype("<i4")}
"""The formats :func:`write_wfdb` writes: little-endian two's complement, frame after frame."""


def write_wfdb(ecg: ECG, path_without_ext: str | Path, *, fmt: str = "16") -> Path:
    """Write ``ecg`` as a WFDB record (``.hea`` + ``.dat``, units mV) and return the ``.hea`` path.

    Age and sex go into ``# Age: ..`` / ``# Sex: ..`` comments (read back by :func:`read_wfdb`);
    other comments from ``ecg.metadata["comments"]`` are kept (newlines replaced by spaces).
    Gains are chosen by ``wfdb`` to use the full digital range of ``fmt`` (16 or 32), so the
    round-trip error is below one quantisation step.

    ``wfdb`` chooses the gains and baselines, converts and writes the header; the samples are
    converted and appended :data:`WRITE_WINDOW_SAMPLES` at a time, because ``wfdb.wrsamp`` holds
    several int64 copies of the whole record (1.3 GB for 60 minutes of 12 leads). The files are
    byte for byte those ``wfdb.wrsamp`` writes (tested).

    Raises
    ------
    ECGReadError
        If the record name is not a valid WFDB name, ``fmt`` is not 16 or 32, or writing fails.
    """
    base = record_base(path_without_ext)
    name = base.name
    if not _RECORD_NAME.match(name):
        raise ECGReadError(base, "WFDB record names may only contain letters, digits, '-' and '_'")
    if str(fmt) not in _DAT_DTYPES:
        raise ECGReadError(base, f"medts writes WFDB formats {' and '.join(_DAT_DTYPES)}, not {fmt!r}")
    base.parent.mkdir(parents=True, exist_ok=True)
    n = ecg.n_leads
    record = wfdb.Record(record_name=name, n_sig=n, fs=float(ecg.fs), sig_len=ecg.n_samples,
                         file_name=[f"{name}.dat"] * n, fmt=[str(fmt)] * n, units=["mV"] * n,
                         sig_name=list(ecg.leads), comments=_header_comments(ecg))
    # wfdb.wrsamp's gains come from float64 extremes: the same here, without a float64 copy of the record
    low = np.nanmin(ecg.signal, axis=0).astype(np.float64)
    high = np.nanmax(ecg.signal, axis=0).astype(np.float64)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        raise ECGReadError(base, "cannot write WFDB record: infinite samples (or a lead of NaN only)")
    try:
        gains_baselines = [record.calc_adc_gain_baseline(ch, low, high) for ch in range(n)]
        record.adc_gain = [float(g) for g, _ in gains_baselines]
        record.baseline = [int(b) for _, b in gains_baselines]
        sums = np.zeros(n, dtype=np.int64)
        with open(base.parent / f"{name}.dat", "wb") as dat:
            for start in range(0, ecg.n_samples, WRITE_WINDOW_SAMPLES):
                window = wfdb.Record(p_signal=ecg.signal[start:start + WRITE_WINDOW_SAMPLES].astype(np.float64),
                                     fmt=record.fmt, adc_gain=record.adc_gain, baseline=record.baseline)
                digital = window.adc()  # int64 [window, leads]
                if start == 0:
                    record.init_value = [int(v) for v in digital[0]]
                sums += digital.sum(axis=0)
                dat.write(digital.astype(_DAT_DTYPES[str(fmt)]).tobytes())
        record.checksum = [int(v) for v in sums % 65536]
        record.set_defaults()
        record.wrheader(write_dir=str(base.parent))
    except (OSError, ValueError) as error:
        raise ECGReadError(base, f"cannot write WFDB record ({type(error).__name__}: {error})") from error
    return base.parent / f"{name}.hea"


def _header_comments(ecg: ECG) -> list[str]:
    """Age, sex and the record's other comments (one line each) for a WFDB header."""
    comments = []
    if ecg.age is not None:
        comments.append(f"Age: {ecg.age:g}")
    if ecg.sex is not None:
        comments.append(f"Sex: {'Male' if ecg.sex == 'M' else 'Female'}")
    for comment in ecg.metadata.get("comments", []) or []:
        text = " ".join(str(comment).splitlines())
        if not _AGE_SEX_COMMENT.match(text):
            comments.append(text)
    return comments


# -- annotations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WfdbAnnotation:
    """A WFDB annotation file as plain arrays.

    Attributes
    ----------
    sample : np.ndarray int64 [n]
        Sample index of each annotation.
    symbol : list of str
        Annotation symbols (``N``, ``V``, ``(``, ``p``, ``)``, ...).
    subtype, chan, num : np.ndarray int64 [n]
        WFDB's extra integer fields (``num`` encodes the wave type in ecgpuwave/QTDB files).
    aux_note : list of str
    fs : float or None
        Sampling rate stored in the annotation file, if any.
    """

    sample: np.ndarray
    symbol: list[str]
    subtype: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    chan: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    num: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    aux_note: list[str] = field(default_factory=list)
    fs: float | None = None

    def __len__(self) -> int:
        return len(self.symbol)


def read_wfdb_annotation(path_without_ext: str | Path, extension: str) -> WfdbAnnotation:
    """Read annotation file ``<path_without_ext>.<extension>`` (e.g. ``100``, ``"atr"``).

    Raises
    ------
    ECGReadError
        Missing or unreadable annotation file.
    """
    base = record_base(path_without_ext)
    ann_path = Path(f"{base}.{extension}")
    if not ann_path.is_file():
        raise ECGReadError(ann_path, "annotation file not found")
    try:
        ann = wfdb.rdann(str(base), extension)
    except Exception as error:  # wfdb raises many types on bad files
        raise ECGReadError(ann_path, f"cannot read WFDB annotation ({type(error).__name__}: {error})") from error
    n = len(ann.sample)
    symbols = list(ann.symbol or [])
    unknown = sum(1 for s in symbols if not isinstance(s, str))
    if unknown:
        # wfdb maps annotation codes it does not know to NaN: the file is not a WFDB annotation.
        raise ECGReadError(ann_path, f"{unknown} of {n} annotation codes are not WFDB codes (not an annotation file?)")
    return WfdbAnnotation(
        sample=np.asarray(ann.sample, dtype=np.int64),
        symbol=[str(s) for s in symbols],
        subtype=_int_field(ann.subtype, n),
        chan=_int_field(ann.chan, n),
        num=_int_field(ann.num, n),
        aux_note=[str(a) for a in (ann.aux_note or [""] * n)],
        fs=float(ann.fs) if ann.fs is not None else None,
    )


def _int_field(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, np.int64)
    return np.asarray(values, dtype=np.int64).reshape(-1)


def write_wfdb_annotation(
    path_without_ext: str | Path, extension: str, annotation: WfdbAnnotation
) -> Path:
    """Write ``annotation`` to ``<path_without_ext>.<extension>`` and return that path.

    Samples must be non-decreasing (WFDB stores differences). Missing ``subtype``/``chan``/
    ``num``/``aux_note`` are written as zeros / empty.
    """
    base = record_base(path_without_ext)
    n = len(annotation.symbol)
    sample = np.asarray(annotation.sample, dtype=np.int64)
    if len(sample) != n:
        raise ECGReadError(base, f"annotation has {len(sample)} samples but {n} symbols")
    if n and np.any(np.diff(sample) < 0):
        raise ECGReadError(base, "annotation samples must be in non-decreasing order")

    def column(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, np.int64) if len(values) == n else np.zeros(n, np.int64)

    base.parent.mkdir(parents=True, exist_ok=True)
    # wfdb.wrann accepts letters-only extensions, but real ones have digits (q1c, pu0, v1):
    # write under a letters-only name, then rename.
    write_ext = extension if extension.isalpha() else "medtstmp"
    try:
        wfdb.wrann(
            base.name,
            write_ext,
            sample=sample,
            symbol=list(annotation.symbol),
            subtype=column(annotation.subtype),
            chan=column(annotation.chan),
            num=column(annotation.num),
            aux_note=list(annotation.aux_note) if len(annotation.aux_note) == n else None,
            fs=annotation.fs,
            write_dir=str(base.parent),
        )
    except Exception as error:
        raise ECGReadError(base, f"cannot write WFDB annotation ({type(error).__name__}: {error})") from error
    target = Path(f"{base}.{extension}")
    if write_ext != extension:
        Path(f"{base}.{write_ext}").replace(target)
    return target


def read_wfdb_samples(path: str | Path, start: int, stop: int, *, missing_as_zero: bool = False) -> np.ndarray:
    """Samples ``[start, stop)`` of a single-segment WFDB record as ``float32 [stop - start, n_leads]`` in mV,
    the values :func:`read_wfdb` gives for them (same conversion, unknown units left unscaled).

    For reading a long record window by window (``medts info``, ``medts rhythm``); the header, checksums
    and metadata are checked by :func:`read_wfdb` on the record's first part first.
    ``missing_as_zero``: WFDB "invalid sample" markers (a Holter's gaps) become 0 mV instead of an error.

    Raises
    ------
    ECGReadError
        NaN (WFDB "invalid") samples in the range (unless ``missing_as_zero``), or data that does
        not match the header.
    """
    base = record_base(path)
    header = Path(f"{base}.hea")
    try:
        record = wfdb.rdrecord(str(base), sampfrom=int(start), sampto=int(stop), physical=False)
    except (OSError, ValueError, IndexError) as error:  # a signal file changed or cut since its header was checked
        raise ECGReadError(header, _describe_wfdb_error(error)) from error
    record.dac(expanded=False, return_res=64, inplace=True)
    signal = record.p_signal
    scales = [unit_scale_to_mv(u) or 1.0 for u in (record.units or [None] * record.n_sig)]
    if any(s != 1.0 for s in scales):
        signal = signal * np.asarray(scales)[None, :]
    if missing_as_zero:
        signal = np.nan_to_num(signal, nan=0.0)
    n_invalid = int(np.isnan(signal).sum())
    if n_invalid:
        raise ECGReadError(header, f"{n_invalid} NaN samples (WFDB 'invalid sample' markers or NaN values) in "
                                   f"samples {start}-{stop} of the signal")
    return np.ascontiguousarray(signal, np.float32)
