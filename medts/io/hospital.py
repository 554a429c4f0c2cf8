"""Hospital ECG formats behind :func:`medts.io.read_record`, and what folder scans skip.

=========  ==============================  ==========================================
format     files                           reader
=========  ==============================  ==========================================
``xml``    HL7 aECG, GE MUSE, Philips XML  :func:`medts.io.ecg_xml.read_ecg_xml`
``dicom``  ``.dcm`` ECG waveform objects   :func:`medts.io.dicom_ecg.read_dicom_ecg`
``scp``    ``.scp`` SCP-ECG                :func:`medts.io.scp_ecg.read_scp_ecg`
``ishne``  ``.ecg`` ISHNE Holter 1.0       :func:`medts.io.ishne.read_ishne`
=========  ==============================  ==========================================

All of them carry their own sampling rate: a different ``fs`` from the caller is an error.
:func:`not_a_record` tells a folder scan which files beside records are not records (a
``labels.csv`` next to CinC records, an XML that is no ECG, a DICOM image, another vendor's
``.ecg``) and why.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from medts.errors import ECGReadError
from medts.record import ECG


def _check_fs(path: Path, ecg: ECG, fs: float | None) -> ECG:
    if fs is not None and abs(float(fs) - ecg.fs) > 1e-6 * ecg.fs:
        raise ECGReadError(path, f"fs={float(fs):g} Hz given but the file says {ecg.fs:g} Hz")
    return ecg


def read_xml(path: Path, fs: float | None) -> ECG:
    from medts.io.ecg_xml import read_ecg_xml

    return _check_fs(path, read_ecg_xml(path), fs)


def read_dicom(path: Path, fs: float | None) -> ECG:
    from medts.io.dicom_ecg import read_dicom_ecg

    return _check_fs(path, read_dicom_ecg(path), fs)


def read_scp(path: Path, fs: float | None) -> ECG:
    from medts.io.scp_ecg import read_scp_ecg

    return _check_fs(path, read_scp_ecg(path), fs)


def read_ishne(path: Path, fs: float | None, max_samples: int | None = None) -> ECG:
    from medts.io.ishne import read_ishne as _read

    return _check_fs(path, _read(path, max_samples=max_samples), fs)


def not_a_record(path: Path) -> str | None:
    """Why a file a folder scan found is not an ECG record (``None``: it may be one).

    Cheap checks on the first bytes only; a file that passes can still fail to read, and then
    the caller reports it as a failed record, not a skipped one.
    """
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _table_problem(path)
    if suffix == ".xml":
        from medts.io.ecg_xml import sniff_xml_format

        return None if sniff_xml_format(path) else "XML without an ECG root element (AnnotatedECG, RestingECG, restingecgdata)"
    if suffix == ".dcm":
        return _dicom_problem(path)
    if suffix == ".ecg":
        return _ishne_problem(path)
    return None


def _ishne_problem(path: Path) -> str | None:
    """``.ecg`` is used by other vendors too; an ISHNE file starts with ``ISHNE1.0``."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(8)
    except OSError as error:
        return f"cannot read ({error.strerror or error})"
    return None if magic == b"ISHNE1.0" else "an .ecg file that is not ISHNE Holter (no ISHNE1.0 magic)"


def _table_problem(path: Path) -> str | None:
    """A signal table has a header row, then rows of numbers only; a label table has words."""
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as handle:
            lines = [line for line in (handle.readline() for _ in range(3)) if line.strip()]
    except UnicodeDecodeError:
        return "not a UTF-8 text table"
    except OSError as error:
        return f"cannot read ({error.strerror or error})"
    if len(lines) < 2:
        return "table with no data rows"
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in lines[0] else (";" if ";" in lines[0] and "," not in lines[0] else ",")
    header, first = ([c.strip().strip('"') for c in line.rstrip("\r\n").split(delimiter)] for line in lines[:2])
    if any(_names_a_lead_or_time(name) for name in header):
        return None  # meant as an ECG table: if it is broken, reading it says so
    for cell in first:
        try:
            float(cell)
        except ValueError:
            return f"a table of words, not samples (no lead names in the header; first data row has {cell[:30]!r})"
    return None


def _names_a_lead_or_time(column: str) -> bool:
    from medts.io.tabular import TIME_COLUMNS, _split_unit
    from medts.record import STANDARD_LEADS, canonical_lead_name

    name = _split_unit(column)[0]
    return canonical_lead_name(name) in STANDARD_LEADS or name.lower() in TIME_COLUMNS


def _dicom_problem(path: Path) -> str | None:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a scan only asks what kind of object this is
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID", "Modality"])
    except (InvalidDicomError, OSError, EOFError, ValueError) as error:
        return f"not a readable DICOM file ({type(error).__name__})"
    from medts.io.dicom_ecg import ECG_SOP_CLASSES

    sop = str(ds.get("SOPClassUID", ""))
    if sop and sop not in ECG_SOP_CLASSES:
        return f"DICOM object of another kind (SOP class {sop}), not an ECG waveform"
    return None
