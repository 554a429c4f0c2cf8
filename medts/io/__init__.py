"""Readers and writers: every ECG file format medts understands becomes an :class:`~medts.record.ECG`.

:func:`read_record` is the single entry point (and the single error choke point: whatever goes
wrong inside a reader surfaces as :class:`~medts.errors.ECGReadError` naming the file and the
problem). :func:`find_records` expands files, folders (recursively) and glob patterns into
record paths. :data:`FORMATS` describes the supported formats (used by the docs and ``--help``).

Dataset-specific readers live beside it: :mod:`medts.io.ludb`, :mod:`medts.io.qtdb`,
:mod:`medts.io.ptbxl`; annotations in :mod:`medts.io.annotations`.

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from medts.io import read_record
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.npy"
>>> np.save(p, np.zeros((1000, 2), np.float32))
>>> read_record(p, fs=250).leads
('ECG1', 'ECG2')
"""

from __future__ import annotations

import glob as _glob
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError, InvalidECGError, MedtsError
from medts.io import hospital as _hospital
from medts.record import ECG


@dataclass(frozen=True)
class FormatInfo:
    """One supported file format (for docs and CLI help)."""

    name: str
    extensions: tuple[str, ...]
    needs_fs: str
    description: str


FORMATS: dict[str, FormatInfo] = {
    f.name: f
    for f in (
        FormatInfo(
            "wfdb", (".hea", ".dat"), "no (from the header)",
            "PhysioNet WFDB record: .hea header + signal file in any format wfdb reads "
            "(tested: 16, 24, 32, 61, 80, 160, 212, FLAC 508/516); age/sex from header comments; checksums verified.",
        ),
        FormatInfo(
            "cinc", (".mat",), "no with a .hea; yes for a bare .mat",
            "PhysioNet/CinC Challenge 2020-2021 and CPSC 2018: .mat (variable 'val', digital) + .hea "
            "(gain, units, #Dx SNOMED codes). A .mat without .hea (e.g. CPSC 2019) is read as a float "
            "array in mV and needs fs.",
        ),
        FormatInfo(
            "edf", (".edf", ".bdf"), "no (from the file)",
            "EDF / EDF+ / BDF via pyedflib; voltage channels at the most common rate; uV/mV/V -> mV.",
        ),
        FormatInfo(
            "csv", (".csv", ".tsv"), "yes, unless a time column (time, t, time_s, time_ms) is present",
            "Text table, header row of lead names (unit suffix like 'II (uV)' optional), values in mV.",
        ),
        FormatInfo(
            "npy", (".npy",), "yes",
            "NumPy array [n_samples, n_leads] (or transposed; the longer axis is time) in mV.",
        ),
        FormatInfo(
            "npz", (".npz",), "no if the archive has 'fs', else yes",
            "NumPy archive: signal under 'signal'/'ecg'/'ecg_mlii_mV'/..., 'fs', optional 'leads'.",
        ),
        FormatInfo(
            "xml", (".xml",), "no (from the file)",
            "Hospital ECG XML, told apart by the root element: HL7 aECG (root `AnnotatedECG`), GE MUSE "
            "(`RestingECG`, base64 rhythm + median beats; 8 stored leads, III/aVR/aVL/aVF derived), Philips "
            "Sierra/PageWriter 1.03/1.04 (`restingecgdata`, uncompressed or XLI via sierraecg). Device "
            "measurements/statements in metadata.",
        ),
        FormatInfo(
            "dicom", (".dcm",), "no (from the file)",
            "DICOM 12-lead / General ECG Waveform Storage via pydicom (rhythm + median beat groups, "
            "waveform annotations as device measurements/statements).",
        ),
        FormatInfo(
            "scp", (".scp",), "no (from the file)",
            "SCP-ECG (EN 1064) decoded by ecgdatakit: rhythm data uncompressed or Huffman (default or custom "
            "tables), raw or 1st/2nd differences, reference-beat subtraction (reference beat kept as median "
            "beats); CRCs checked; sections 1, 7, 8 as metadata. Not: bimodal compression.",
        ),
        FormatInfo(
            "ishne", (".ecg",), "no (from the file)",
            "ISHNE Holter 1.0 (long ambulatory recordings, 1-12 int16 leads): header decoded by ecgdatakit, CRC "
            "checked; samples read by sample range (a long file is never held whole); a file shorter than its "
            "header says is read as far as it goes, with a note; age/sex/start time from the header.",
        ),
    )
}
"""Supported formats by name (the names ``read_record(..., format=...)`` accepts)."""

def formats_markdown() -> str:
    """:data:`FORMATS` as a Markdown table (for the README and docs).

    >>> formats_markdown().splitlines()[0]
    '| format | extensions | fs needed | what |'
    """
    rows = ["| format | extensions | fs needed | what |", "|---|---|---|---|"]
    for info in FORMATS.values():
        rows.append(f"| `{info.name}` | {', '.join(info.extensions)} | {info.needs_fs} | {info.description} |")
    return "\n".join(rows)


_FORMAT_ALIASES = {"mat": "cinc", "hea": "wfdb", "bdf": "edf", "tsv": "csv", "edf+": "edf",
                   "aecg": "xml", "hl7": "xml", "muse": "xml", "philips": "xml", "sierra": "xml",
                   "dcm": "dicom", "scp-ecg": "scp", "scpecg": "scp", "holter": "ishne", "ishne-holter": "ishne"}
_EXTENSION_FORMAT = {ext: info.name for info in FORMATS.values() for ext in info.extensions}

# Dataset metadata tables that live beside records but are not records.
_log = logging.getLogger("medts.io")
_NOT_RECORDS = {"ptbxl_database.csv", "scp_statements.csv", "ludb.csv", "records.csv"}


def _resolve_format(path: Path, format: str | None) -> str:
    if format is not None:
        name = format.strip().lower()
        name = _FORMAT_ALIASES.get(name, name)
        if name not in FORMATS:
            raise ECGReadError(path, f"unknown format {format!r} (known: {', '.join(FORMATS)})")
        return name
    suffix = path.suffix.lower()
    if suffix in _EXTENSION_FORMAT:
        return _EXTENSION_FORMAT[suffix]
    if Path(f"{path}.hea").is_file():  # a WFDB record name without extension: data/1
        return "wfdb"
    known = ", ".join(sorted(_EXTENSION_FORMAT))
    raise ECGReadError(path, f"unknown file extension {suffix or '(none)'!r}: supported are {known} (or give the format explicitly, e.g. --format csv)")


def _hea_signal_file(header: Path) -> str | None:
    """File name of the first signal line of a WFDB header (``A0001.mat``), if readable."""
    try:
        lines = header.read_text(errors="replace").splitlines()
    except OSError:
        return None
    body = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if len(body) < 2 or not body[1].split():
        return None
    return body[1].split()[0]


def read_record(path: str | Path, *, format: str | None = None, fs: float | None = None,
                leads: Sequence[str] | None = None, max_samples: int | None = None,
                missing_as_zero: bool = False, mend_gaps: bool = False) -> ECG:
    """Read one ECG record from any supported format (see :data:`FORMATS`).

    Parameters
    ----------
    path : str or Path
        The file (``.hea``/``.dat``/``.mat``/``.edf``/``.csv``/``.npy``/``.npz``) or a WFDB
        record name without extension.
    format : str, optional
        Force a format by name (``"wfdb"``, ``"cinc"``, ``"edf"``, ``"csv"``, ``"npy"``, ``"npz"``)
        instead of choosing it from the extension.
    fs : float, optional
        Sampling rate in Hz, for formats that cannot carry it (NPY, CSV without time column,
        bare ``.mat``), and for WFDB headers without a valid rate. For formats that carry it, a
        different value is an error.
    leads : sequence of str, optional
        The lead names, one per column, in the file's column order: they replace the names the
        file gives (generic names like ``ECG1`` or none at all). A different count is an error.
    max_samples : int, optional
        Keep only the first ``max_samples`` samples. WFDB records and ISHNE Holter files are read
        by sample range (the rest never enters memory); other formats are read whole, then cut.
    missing_as_zero : bool
        With ``max_samples``: a WFDB record's "invalid sample" markers become 0 mV instead of an
        error (the first part of a long record read window by window, :mod:`medts.io.ranged`).
    mend_gaps : bool
        Missing samples (WFDB "invalid" markers, NaN, empty CSV cells) in WFDB, CSV, NPY and NPZ
        records follow the resting-ECG rule of :mod:`medts.interpret.gaps` (short stretches bridged,
        long ones cut to the longest part without a gap, notes every output repeats) instead of an error.

    Raises
    ------
    ECGReadError
        For every failure, with the file and the problem in the message.
    """
    path = Path(path)
    try:
        name = _resolve_format(path, format)
        if path.is_dir():
            raise ECGReadError(path, "is a folder, not a record (use find_records to list its records)")
        if name == "wfdb" and path.suffix.lower() == ".hea":
            signal_file = _hea_signal_file(path)
            if signal_file and signal_file.lower().endswith(".mat"):
                name = "cinc"
        # Overflow/invalid warnings from absurd values are noise: validation reports them.
        with np.errstate(all="ignore"):
            if name == "wfdb" and max_samples is not None:
                from medts.io.wfdb_io import read_wfdb

                ecg = read_wfdb(path, fs=fs, max_samples=max_samples, missing_as_zero=missing_as_zero,
                                mend_gaps=mend_gaps)
            elif name == "ishne":  # read by sample range too: a Holter file can hold 24 h
                ecg = _hospital.read_ishne(path, fs, max_samples)
            elif mend_gaps and name in GAP_FORMATS:
                ecg = _READERS[name](path, fs, mend_gaps=True)
            else:
                ecg = _READERS[name](path, fs)
        if max_samples is not None and ecg.n_samples > max_samples:
            ecg = replace(ecg, signal=ecg.signal[:max_samples])
        if leads is not None:
            ecg = _rename_leads(ecg, leads)
    except ECGReadError:
        raise
    except MedtsError as error:  # InvalidECGError from a constructor, ...
        raise ECGReadError(path, str(error)) from error
    except UnicodeDecodeError as error:
        raise ECGReadError(path, f"file is not valid text ({error.reason} at byte {error.start})") from error
    except Exception as error:  # the single choke point: never a bare traceback
        raise ECGReadError(path, f"cannot read ({type(error).__name__}: {error})") from error
    return ecg


def _rename_leads(ecg: ECG, leads: Sequence[str]) -> ECG:
    names = tuple(str(name).strip() for name in leads)
    if len(names) != ecg.n_leads:
        raise InvalidECGError(
            f"--leads names {len(names)} lead(s) ({', '.join(names)}) but the record has {ecg.n_leads} "
            f"({', '.join(ecg.leads)})"
        )
    metadata = {**ecg.metadata, "leads_in_file": list(ecg.leads)}
    metadata.pop("lead_names_note", None)  # the caller has now said which lead each column is
    return replace(ecg, leads=names, metadata=metadata)


def _check_fs(path: Path, ecg: ECG, fs: float | None) -> ECG:
    if fs is not None and abs(float(fs) - ecg.fs) > 1e-6 * ecg.fs:
        raise ECGReadError(path, f"fs={float(fs):g} Hz given but the file says {ecg.fs:g} Hz")
    return ecg


def _read_wfdb(path: Path, fs: float | None, mend_gaps: bool = False) -> ECG:
    from medts.io.wfdb_io import read_wfdb

    return read_wfdb(path, fs=fs, mend_gaps=mend_gaps)


def _read_cinc(path: Path, fs: float | None) -> ECG:
    from medts.io.cinc import read_cinc

    return read_cinc(path, fs=fs)


def _read_edf(path: Path, fs: float | None) -> ECG:
    from medts.io.edf import read_edf

    return _check_fs(path, read_edf(path), fs)


def _read_csv(path: Path, fs: float | None, mend_gaps: bool = False) -> ECG:
    from medts.io.tabular import read_csv

    return read_csv(path, fs=fs, mend_gaps=mend_gaps)


def _read_npy(path: Path, fs: float | None, mend_gaps: bool = False) -> ECG:
    from medts.io.tabular import read_npy

    return read_npy(path, fs=fs, mend_gaps=mend_gaps)


def _read_npz(path: Path, fs: float | None, mend_gaps: bool = False) -> ECG:
    from medts.io.tabular import read_npz

    return read_npz(path, fs=fs, mend_gaps=mend_gaps)


_READERS = {
    "wfdb": _read_wfdb, "cinc": _read_cinc, "edf": _read_edf,
    "csv": _read_csv, "npy": _read_npy, "npz": _read_npz,
    "xml": _hospital.read_xml, "dicom": _hospital.read_dicom, "scp": _hospital.read_scp,
    "ishne": _hospital.read_ishne,
}


GAP_FORMATS = frozenset({"wfdb", "csv", "npy", "npz"})
"""Formats whose files can hold missing samples (NaN); their readers take ``mend_gaps``."""


def _is_record_file(path: Path) -> bool:
    """A file that stands for one record (a ``.dat`` or a ``.mat`` with a ``.hea`` is its header's)."""
    suffix = path.suffix.lower()
    if path.name.startswith(".") or path.name.lower() in _NOT_RECORDS:
        return False
    if suffix == ".hea":
        return True
    if suffix == ".dat":
        return False
    if suffix == ".mat":
        return not path.with_suffix(".hea").is_file()
    return suffix in _EXTENSION_FORMAT


def _skip_non_records(paths: list[Path]) -> list[Path]:
    """``paths`` without the files that are not ECG records, each skip logged as one line on stderr."""
    kept = []
    for path in paths:
        why = _hospital.not_a_record(path)
        if why is None:
            kept.append(path)
        else:
            _log.warning("skipped %s: %s", path, why)
    return kept


def find_records(path_or_folder_or_glob: str | Path) -> list[Path]:
    """Expand a file, a folder (recursively) or a glob pattern into record paths, sorted.

    WFDB records are returned as their ``.hea``; ``.dat`` files and ``.mat`` files with a
    ``.hea`` beside them are represented by that header. Dataset tables (``ptbxl_database.csv``,
    ``scp_statements.csv``, ``ludb.csv``) and hidden files are skipped.

    Raises
    ------
    ECGReadError
        A path that does not exist, a file with an unsupported extension, or a folder or
        pattern with no records in it.
    """
    text = str(path_or_folder_or_glob)
    path = Path(text)
    if path.is_dir():
        found = _skip_non_records(sorted(p for p in path.rglob("*") if p.is_file() and _is_record_file(p)
                                         and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        if not found:
            known = ", ".join(sorted(_EXTENSION_FORMAT))
            raise ECGReadError(path, f"folder contains no ECG records (looked recursively for {known})")
        return found
    if path.is_file():
        _resolve_format(path, None)  # raises for an unknown extension
        if path.suffix.lower() == ".dat":
            return [path.with_suffix(".hea")]
        return [path]
    if any(ch in text for ch in "*?["):
        matches = sorted(Path(p) for p in _glob.glob(text, recursive=True))
        found = []
        for match in matches:
            if match.is_dir():
                found.extend(p for p in match.rglob("*") if p.is_file() and _is_record_file(p))
            elif match.is_file() and _is_record_file(match):
                found.append(match)
        if not found:
            raise ECGReadError(text, "pattern matches no ECG records")
        return _skip_non_records(sorted(dict.fromkeys(found)))
    if Path(f"{text}.hea").is_file():  # WFDB record name without extension
        return [Path(f"{text}.hea")]
    raise ECGReadError(path, "no such file or folder")


__all__ = ["FORMATS", "FormatInfo", "find_records", "formats_markdown", "read_record"]
