"""Plain arrays: CSV (with a header of lead names), NumPy ``.npy`` and ``.npz``.

- **CSV**: first row = column names. A time column (``time``, ``t``, ``time_s``, ``seconds``,
  ``time_ms``, ``ms``, ``sample``/``index`` are recognised; ``_ms`` means milliseconds) is used
  to derive ``fs`` when ``fs`` is not given (and checked against it when it is: a mismatch is
  an error). Every other column is a lead, in mV (a unit suffix such as ``II_uV`` / ``II (uV)``
  converts). Text in a numeric column is an error naming the row and column. The separator
  (',', ';' or tab) is detected, and so is a decimal comma (``0,125;-0,03``) when the
  separator is not ','.
- **NPY**: one array ``[n_samples, n_leads]`` (or ``[n_leads, n_samples]``, the longer axis is
  time) in mV; ``fs`` must be given. Leads are named ``ECG1``, ``ECG2``, ... unless ``leads``
  are passed.
- **NPZ**: the signal under ``signal``/``ecg``/``ecg_mv``/``ecg_mlii_mV``/``x``/``data`` (or the
  only array), ``fs`` under ``fs``/``sampling_rate``/``fs_hz`` (or given), optional ``leads``
  array of names. A key ending in ``_mlii_mV`` names the lead (MLII -> II).

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from medts.io.tabular import read_csv
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
>>> t = np.arange(1000) / 250
>>> _ = p.write_text("time_s,I,II\\n" + "\\n".join(f"{a:.4f},{np.sin(a):.3f},0.1" for a in t))
>>> ecg = read_csv(p)
>>> ecg.fs, ecg.leads
(250.0, ('I', 'II'))
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError, InvalidECGError
from medts.io.wfdb_io import unit_scale_to_mv
from medts.record import ECG

# Time column name -> factor from its unit to seconds (None: sample index, needs fs).
TIME_COLUMNS = {
    "time": 1.0, "t": 1.0, "time_s": 1.0, "times": 1.0, "seconds": 1.0, "sec": 1.0, "s": 1.0,
    "time_ms": 1e-3, "ms": 1e-3, "t_ms": 1e-3, "timestamp_ms": 1e-3,
    "sample": None, "samples": None, "index": None, "sample_index": None,
}
NPZ_SIGNAL_KEYS = ("signal", "ecg", "ecg_mv", "ecg_mV", "ecg_mlii_mV", "signals", "x", "data", "sig")
NPZ_FS_KEYS = ("fs", "sampling_rate", "fs_hz", "sampling_frequency", "sfreq")
_UNIT_SUFFIX = re.compile(
    r"^(?P<name>.+?)(?:\s*[\(\[]\s*(?P<u1>mv|uv|µv|μv|v)\s*[\)\]]|_(?P<u2>mv|uv|µv|μv|v))$", re.IGNORECASE
)


def _split_unit(column: str) -> tuple[str, float]:
    """``"II (uV)"`` / ``"II_uV"`` -> ``("II", 0.001)``; ``"V1"`` -> ``("V1", 1.0)``.

    >>> _split_unit("II (uV)"), _split_unit("V1_mV"), _split_unit("aVR")
    (('II', 0.001), ('V1', 1.0), ('aVR', 1.0))
    """
    match = _UNIT_SUFFIX.match(column.strip())
    if match:
        scale = unit_scale_to_mv(match.group("u1") or match.group("u2"))
        return match.group("name").strip(), 1.0 if scale is None else scale
    return column.strip(), 1.0


def read_csv(path: str | Path, *, fs: float | None = None, mend_gaps: bool = False) -> ECG:
    """Read a CSV file with a header row of lead names (and optionally a time column).

    An empty cell, or ``nan``, is a missing sample: an error unless ``mend_gaps`` (the resting-ECG
    rule of :mod:`medts.interpret.gaps`: short stretches bridged, long ones cut, with notes).

    Raises
    ------
    ECGReadError
        Empty file, no header, text in numeric columns (row and column named), ragged rows,
        no ``fs`` and no time column, an irregular time column, or a time column that
        disagrees with ``fs``, plus every invalid-signal case of :class:`ECG`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ECGReadError(path, f"not a UTF-8 text CSV file ({error.reason} at byte {error.start})") from error
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error
    delimiter = _sniff_delimiter(text)
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if len(row) > 1 or any(c.strip() for c in row)]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()  # trailing ';;;' lines of a spreadsheet export; an empty row inside is a missing sample
    if not rows:
        raise ECGReadError(path, "empty CSV file")
    header = [c.strip() for c in rows[0]]
    if not header or any(not c for c in header):
        raise ECGReadError(path, "CSV header row must name every column (lead names, optional time column)")
    if all(_is_number(c) for c in header):
        raise ECGReadError(path, "CSV has no header row: the first row must hold lead names (e.g. I,II,V1)")
    body = rows[1:]
    if not body:
        raise ECGReadError(path, "CSV has a header but no samples")
    comma = _decimal_comma(delimiter, body)
    values = np.empty((len(body), len(header)), np.float64)
    for r, row in enumerate(body):
        if len(row) != len(header):
            hint = (
                " (decimal commas need ';' or tab separators)"
                if delimiter == "," and len(row) > len(header) and not comma else ""
            )
            raise ECGReadError(path, f"row {r + 2} has {len(row)} columns but the header has {len(header)}{hint}")
        for c, cell in enumerate(row):
            try:
                values[r, c] = float(cell.replace(",", ".") if comma else cell) if cell.strip() else np.nan
            except ValueError:
                raise ECGReadError(
                    path, f"row {r + 2}, column {header[c]!r}: {cell.strip()!r} is not a number"
                ) from None
    time_index = next((i for i, name in enumerate(header) if name.lower() in TIME_COLUMNS), None)
    if time_index is not None:
        fs = _fs_from_time(path, header[time_index], values[:, time_index], fs)
        lead_columns = [i for i in range(len(header)) if i != time_index]
    else:
        lead_columns = list(range(len(header)))
    if fs is None:
        raise ECGReadError(
            path, "sampling rate unknown: the CSV has no time column (time, time_s, time_ms, ...); pass fs (e.g. --fs 500)"
        )
    if not lead_columns:
        raise ECGReadError(path, "CSV has a time column but no lead columns")
    names, scales = zip(*(_split_unit(header[i]) for i in lead_columns))
    signal = values[:, lead_columns] * np.asarray(scales)[None, :]
    return _make_ecg(path, signal, fs, names, {"format": "csv", "columns": header}, mend_gaps=mend_gaps)


def _sniff_delimiter(text: str) -> str:
    """Column separator of a CSV text: ',', ';' or tab (``csv.Sniffer`` on the first 4 kB).

    Falls back to ',' when the sniffer cannot decide (for example a single-column file).
    """
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _decimal_comma(delimiter: str, body: list[list[str]]) -> bool:
    """True when the numbers use a decimal comma (European exports: ``0,125;-0,03``).

    Only possible when the separator is not ','; decided from all data rows: some cell holds a
    ',' and no cell holds a '.'.
    """
    if delimiter == ",":
        return False
    text = "".join(cell for row in body for cell in row)
    return "," in text and "." not in text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _fs_from_time(path: Path, name: str, column: np.ndarray, fs: float | None) -> float | None:
    factor = TIME_COLUMNS[name.lower()]
    if factor is None:  # sample index: carries no rate
        return fs
    if column.size < 2:
        raise ECGReadError(path, f"time column {name!r} has fewer than 2 samples")
    steps = np.diff(column) * factor  # seconds
    step = float(np.median(steps))
    if not np.isfinite(step) or step <= 0:
        raise ECGReadError(path, f"time column {name!r} is not increasing")
    if np.max(np.abs(steps - step)) > 0.01 * step + 1e-9:
        raise ECGReadError(path, f"time column {name!r} is not regularly spaced (steps {steps.min():g}-{steps.max():g} s)")
    # The whole span is far more precise than one step of rounded time stamps.
    derived = (column.size - 1) / (float(column[-1] - column[0]) * factor)
    if abs(derived - round(derived)) <= 1e-4 * derived:
        derived = float(round(derived))
    if fs is not None:
        if abs(derived - float(fs)) > 0.01 * float(fs):
            raise ECGReadError(
                path, f"fs={float(fs):g} Hz given but the time column {name!r} implies {derived:.6g} Hz"
            )
        return float(fs)
    return round(derived, 6)


def _make_ecg(path: Path, signal: np.ndarray, fs: float, leads, metadata: dict, *, mend_gaps: bool = False,
              **kwargs) -> ECG:
    try:
        if mend_gaps and not np.isfinite(signal).all():
            from medts.interpret.gaps import mend_for_reader

            signal, metadata = mend_for_reader(signal, fs, [str(n) for n in leads], metadata)
        return ECG(signal=signal, fs=fs, leads=tuple(leads), record_id=path.stem, source=str(path),
                   metadata=metadata, **kwargs)
    except InvalidECGError as error:
        raise ECGReadError(path, str(error)) from error


def _orient(path: Path, array: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise ECGReadError(path, f"{what} must be a non-empty 1-D or 2-D array, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ECGReadError(path, f"{what} is not numeric (dtype {array.dtype})")
    if array.shape[0] < array.shape[1]:
        array = array.T  # time is the longer axis: [n_samples, n_leads]
    return array


def _default_leads(n: int, leads) -> tuple[str, ...]:
    if leads is not None:
        return tuple(str(x) for x in leads)
    return ("ECG",) if n == 1 else tuple(f"ECG{i + 1}" for i in range(n))


def read_npy(path: str | Path, *, fs: float | None = None, leads: list[str] | None = None,
             mend_gaps: bool = False) -> ECG:
    """Read a ``.npy`` array in mV (``fs`` is required: the file cannot carry it); ``mend_gaps``: as :func:`read_csv`."""
    path = Path(path)
    if fs is None:
        raise ECGReadError(path, "a .npy file carries no sampling rate: pass fs (e.g. --fs 500)")
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as error:  # numpy raises ValueError/OSError/EOFError...
        raise ECGReadError(path, f"not a readable .npy array ({type(error).__name__}: {error})") from error
    signal = _orient(path, array, "array")
    return _make_ecg(path, signal, fs, _default_leads(signal.shape[1], leads), {"format": "npy"}, mend_gaps=mend_gaps)


def read_npz(path: str | Path, *, fs: float | None = None, leads: list[str] | None = None,
             mend_gaps: bool = False) -> ECG:
    """Read a ``.npz`` archive with a signal array (mV) and usually ``fs``; see the module doc (``mend_gaps``: as
    :func:`read_csv`)."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ECGReadError(path, "not a .npz archive (a plain .npy array?)")
        with archive:
            content = {k: archive[k] for k in archive.files}
    except ECGReadError:
        raise
    except Exception as error:
        raise ECGReadError(path, f"not a readable .npz archive ({type(error).__name__}: {error})") from error
    key = next((k for k in NPZ_SIGNAL_KEYS if k in content), None)
    if key is None:
        arrays = [k for k, v in content.items() if v.ndim in (1, 2) and v.size > 1 and np.issubdtype(v.dtype, np.floating)]
        if len(arrays) != 1:
            raise ECGReadError(
                path, f"no signal array found (looked for {', '.join(NPZ_SIGNAL_KEYS)}; keys: {', '.join(content) or 'none'})"
            )
        key = arrays[0]
    file_fs = next((content[k] for k in NPZ_FS_KEYS if k in content), None)
    if file_fs is not None:
        try:
            file_fs = float(np.asarray(file_fs).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            raise ECGReadError(path, "the fs entry is not a number") from None
        if fs is not None and not np.isclose(float(fs), file_fs):
            raise ECGReadError(path, f"fs={float(fs):g} Hz given but the file says {file_fs:g} Hz")
        fs = file_fs
    if fs is None:
        raise ECGReadError(path, f"no fs in the archive (looked for {', '.join(NPZ_FS_KEYS)}): pass fs (e.g. --fs 500)")
    signal = _orient(path, content[key], f"array {key!r}")
    if leads is None and "leads" in content:
        leads = [str(x) for x in np.asarray(content["leads"]).reshape(-1)]
    if leads is None and key.lower().startswith("ecg_") and key.lower().endswith("_mv") and signal.shape[1] == 1:
        leads = [key[4:-3]]  # "ecg_mlii_mV" -> "mlii" -> canonical "II"
    extras = {k: v.tolist() for k, v in content.items() if k != key and v.size <= 16}
    return _make_ecg(path, signal, fs, _default_leads(signal.shape[1], leads),
                     {"format": "npz", "npz_key": key, "npz_extras": extras}, mend_gaps=mend_gaps)


def write_csv(ecg: ECG, path: str | Path, *, time_column: bool = True) -> Path:
    """Write ``ecg`` as CSV: ``time_s`` column (optional) then one column per lead, in mV.

    Values are written with 6 significant digits (well under 1 uV for ECG amplitudes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [ecg.signal.astype(np.float64)]
    header = list(ecg.leads)
    if time_column:
        columns.insert(0, ecg.time_s[:, None])
        header.insert(0, "time_s")
    data = np.hstack(columns)  # [n_samples, 1 + n_leads]
    fmt = (["%.9g"] if time_column else []) + ["%.6g"] * ecg.n_leads
    try:
        np.savetxt(path, data, delimiter=",", header=",".join(header), comments="", fmt=fmt)
    except OSError as error:
        raise ECGReadError(path, f"cannot write CSV: {error.strerror or error}") from error
    return path
