"""Turn files a browser uploaded into one :class:`~medts.record.ECG`, safely.

Accepted: a WFDB ``.hea`` + signal file pair (``.dat``, ...), a CinC ``.mat`` + ``.hea`` pair,
EDF/BDF, CSV/TSV, NPY/NPZ, or a ``.zip`` holding any of these. Uploaded files are copied into a
fresh private folder under their *base names only* (a browser chooses names; they are data), so
the two halves of a WFDB record meet again whatever temporary folders the server used.

Zip archives are opened, never blindly extracted: members with absolute paths, ``..`` parts,
symbolic links or device entries are refused; the member count, the declared total size, the
whole archive's and each member's compression ratio are bounded before anything is written, and
the bytes actually inflated are counted while writing, so a zip bomb with lying headers stops at
the limit too.

Nothing stays on disk: the staged copies are deleted as soon as the record is read (the
:class:`~medts.record.ECG` is in memory), whether reading worked or not; folders still staging
when the process ends are deleted at exit, and so is each UI session's folder (:func:`install_shutdown_cleanup` makes SIGTERM an
orderly exit too, so a stopped server leaves nothing behind).

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from medts.ui.uploads import load_upload
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.npy"
>>> np.save(p, np.zeros((1000, 2), np.float32))
>>> load_upload([p], fs=250).ecg.n_samples
1000
"""

from __future__ import annotations

import atexit
import shutil
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from medts.errors import ECGReadError, MedtsError
from medts.record import ECG

MAX_UPLOAD_BYTES = 100 * 1024**2
"""Largest total upload accepted (bytes); a 12-lead 24-h Holter at 500 Hz, 16 bit is ~1 GB."""
MAX_ZIP_MEMBERS = 64
"""An upload is one record (a header and its signal file, maybe a few more): 64 files is plenty."""
MAX_UNPACKED_BYTES = 200 * 1024**2
"""Largest total a zip may unpack to (bytes); twice the upload limit, for compressed ECGs."""
MAX_COMPRESSION_RATIO = 200.0
"""ECG signal files compress 2-10x; a ratio far beyond that is a zip bomb, not an ECG."""
MAX_ARCHIVE_RATIO = 50.0
"""The same bound for the whole archive: many small members each under the per-member check
(299 one-megabyte files of zeros in a 336 KB zip) still unpack ~900x in total."""

_SIGNAL_SUFFIXES = {".dat", ".mat", ".edf", ".bdf", ".csv", ".tsv", ".npy", ".npz", ".hea", ".zip",
                    ".xml", ".dcm", ".scp"}  # hospital formats: HL7 aECG / GE MUSE / Philips XML, DICOM, SCP-ECG


STAGING_PREFIX = "medts-upload-"

_STAGING: set[Path] = set()
"""Folders being staged right now, deleted at exit if the process ends mid-upload."""
_AT_EXIT: set[Path] = set()
"""Other folders to delete at exit (each UI session's private folder)."""
_CLEANUP_INSTALLED = False


def remove_at_exit(folder: Path) -> None:
    """Delete ``folder`` when the process ends (normal exit, Ctrl+C, or SIGTERM after
    :func:`install_shutdown_cleanup`). Deleting it earlier is fine."""
    _AT_EXIT.add(Path(folder))


def _remove_all() -> None:
    for folder in [*_STAGING, *_AT_EXIT]:
        shutil.rmtree(folder, ignore_errors=True)
    _STAGING.clear()
    _AT_EXIT.clear()


# Registered on import, not by the server alone: any process that staged an upload or opened a
# UI session (a test, a notebook, a script driving the app) leaves no folder behind at exit.
atexit.register(_remove_all)


def install_shutdown_cleanup() -> None:
    """Turn SIGTERM into an orderly exit, so the at-exit deletion of staged uploads and registered
    folders also runs when a server is stopped (Python's default SIGTERM ends the process without
    running exit handlers). Call it once from the main thread of a server process; calling it again
    does nothing."""
    global _CLEANUP_INSTALLED
    if _CLEANUP_INSTALLED:
        return
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    _CLEANUP_INSTALLED = True


class UploadError(MedtsError, ValueError):
    """An upload that cannot become an ECG; the message is shown to the user as is."""


@dataclass
class UploadResult:
    """The record read from an upload, where it was staged, and what else was found."""

    ecg: ECG
    path: Path
    notes: list[str] = field(default_factory=list)


def safe_member_name(name: str) -> PurePosixPath:
    """A zip member name as a relative path, or :class:`UploadError` for a dangerous one.

    >>> str(safe_member_name("rec/100.hea"))
    'rec/100.hea'
    >>> safe_member_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    medts.ui.uploads.UploadError: zip member '../etc/passwd' points outside the archive
    """
    cleaned = name.replace("\\", "/")
    path = PurePosixPath(cleaned)
    if cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":") or ".." in path.parts:
        raise UploadError(f"zip member {name!r} points outside the archive")
    if "\x00" in cleaned:
        raise UploadError(f"zip member {name!r} has a NUL byte in its name")
    return path


def extract_zip_safely(archive: Path, dest: Path, *, max_members: int = MAX_ZIP_MEMBERS,
                       max_bytes: int = MAX_UNPACKED_BYTES, max_ratio: float = MAX_COMPRESSION_RATIO,
                       max_archive_ratio: float = MAX_ARCHIVE_RATIO) -> list[Path]:
    """Extract the regular files of ``archive`` under ``dest``; returns the written paths.

    Raises
    ------
    UploadError
        Not a zip, too many members, traversal or link members, a declared or actual
        uncompressed size above ``max_bytes``, a member compressed more than ``max_ratio`` or
        the whole archive more than ``max_archive_ratio``.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise UploadError(f"{archive.name}: not a readable zip archive ({error})") from None
    written: list[Path] = []
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > max_members:
            raise UploadError(f"{archive.name}: {len(infos)} files in the zip (limit {max_members}: upload one "
                              "record, e.g. its .hea and .dat)")
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes:
            raise UploadError(f"{archive.name}: unpacks to {declared / 1e6:.0f} MB (limit {max_bytes / 1e6:.0f} MB)")
        packed = max(archive.stat().st_size, 1)
        if declared > 1024**2 and declared > max_archive_ratio * packed:
            raise UploadError(f"{archive.name}: {packed / 1e3:.0f} kB unpacks to {declared / 1e6:.0f} MB "
                              f"({declared / packed:.0f}x; ECG files compress at most ~10x): refused as a zip bomb")
        root = dest.resolve()
        total = 0
        for info in infos:
            try:
                rel = safe_member_name(info.filename)
            except UploadError as error:
                raise UploadError(f"{archive.name}: {error}") from None
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind != stat.S_IFREG:
                raise UploadError(f"{archive.name}: member {info.filename!r} is a link or special file")
            if info.file_size > 1024**2 and info.file_size > max_ratio * max(info.compress_size, 1):
                raise UploadError(f"{archive.name}: member {info.filename!r} is compressed "
                                  f"{info.file_size / max(info.compress_size, 1):.0f}x (a zip bomb?)")
            target = (root / rel).resolve()
            if not target.is_relative_to(root):
                raise UploadError(f"{archive.name}: zip member {info.filename!r} points outside the archive")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    # Count what really inflates: headers can lie about file_size.
                    while chunk := src.read(1 << 20):
                        total += len(chunk)
                        if total > max_bytes:
                            raise UploadError(f"{archive.name}: unpacks to more than {max_bytes / 1e6:.0f} MB")
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as error:
                if isinstance(error, UploadError):
                    raise
                raise UploadError(f"{archive.name}: member {info.filename!r} is corrupt ({error})") from None
            written.append(target)
    return written


def stage_files(files: list[Path], dest: Path, *, max_bytes: int = MAX_UPLOAD_BYTES) -> list[Path]:
    """Copy uploaded ``files`` into ``dest`` by base name, unpacking zips; returns staged files."""
    if not files:
        raise UploadError("no file uploaded")
    total = sum(Path(f).stat().st_size for f in files)
    if total > max_bytes:
        raise UploadError(f"upload is {total / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    dest.mkdir(parents=True, exist_ok=True)
    staged: list[Path] = []
    for f in map(Path, files):
        name = Path(f.name).name  # base name only: never a path the browser chose
        if not name or name.startswith("."):
            raise UploadError(f"{f.name!r}: hidden or empty file name")
        if Path(name).suffix.lower() not in _SIGNAL_SUFFIXES:
            known = ", ".join(sorted(_SIGNAL_SUFFIXES))
            raise UploadError(f"{name}: unsupported file type (upload one of {known})")
        if name.lower().endswith(".zip"):
            staged += extract_zip_safely(f, dest / Path(name).stem)
        else:
            target = dest / name
            shutil.copyfile(f, target)
            staged.append(target)
    return staged


def pick_records(staged: list[Path], dest: Path) -> list[Path]:
    """The records among ``staged`` files (WFDB/CinC by their ``.hea``), in name order."""
    from medts.io import find_records

    orphans = [p for p in staged if p.suffix.lower() == ".dat" and not p.with_suffix(".hea").is_file()]
    try:
        records = find_records(dest)
    except ECGReadError:
        records = []
    if not records and orphans:
        raise UploadError(f"{orphans[0].name}: a WFDB signal file needs its .hea header; upload both together")
    if not records:
        raise UploadError("no ECG record among the uploaded files")
    return records


def load_upload(files: list[str | Path], *, fs: float | None = None, workdir: Path | None = None,
                max_bytes: int = MAX_UPLOAD_BYTES) -> UploadResult:
    """Stage ``files`` (see module doc) and read the first record found.

    Parameters
    ----------
    files : list of path
        What the browser uploaded (temporary paths; only base names are used).
    fs : float, optional
        Sampling rate in Hz for formats that do not store one (NPY, CSV without a time column).
    workdir : Path, optional
        Folder to stage into (a fresh temporary folder by default). It is deleted, with
        everything staged in it, before this function returns; ``UploadResult.path`` then only
        names the file the record came from.

    Raises
    ------
    UploadError, ECGReadError
        With a message naming the file and the problem.
    """
    dest = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))
    _STAGING.add(dest)
    try:
        staged = stage_files([Path(f) for f in files], dest, max_bytes=max_bytes)
        records = pick_records(staged, dest)
        from medts.cli_inputs import CHAT_WHOLE_RECORD_HINT, read_checked, resting_limits

        path = records[0]
        try:
            ecg = read_checked(path, fs=fs, limits=resting_limits("the app", CHAT_WHOLE_RECORD_HINT))
        except ECGReadError as error:
            # Show the name the user knows, not the staging folder.
            raise ECGReadError(path.relative_to(dest), error.problem) from None
    finally:
        shutil.rmtree(dest, ignore_errors=True)  # the record is in memory: no copy stays on disk
        _STAGING.discard(dest)
    notes = []
    if len(records) > 1:
        notes.append(f"{len(records)} records uploaded; showing {path.name} "
                     f"(others: {', '.join(p.name for p in records[1:6])}{'...' if len(records) > 6 else ''})")
    return UploadResult(ecg=ecg, path=path, notes=notes)
