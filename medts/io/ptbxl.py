"""PTB-XL dataset index: metadata, folds, label levels and records of a PTB-XL root.

A PTB-XL root (Wagner et al. 2020) holds ``ptbxl_database.csv`` (one row per record),
``scp_statements.csv`` (the 71 statements) and the signals under ``records100/NNNNN/NNNNN_lr``
(100 Hz) and ``records500/NNNNN/NNNNN_hr`` (500 Hz). :class:`PtbxlIndex` reads the tables,
parses ``scp_codes``, aggregates labels at the six benchmark levels
(:mod:`medts.labels`) and reads records through :func:`medts.io.wfdb_io.read_wfdb`.
Rows whose signal files are missing (a partial copy, or fold 10 withheld) are skipped and
counted in :attr:`PtbxlIndex.n_missing`; their metadata stay available in
:attr:`PtbxlIndex.metadata`, so labels can still be looked up for them (for example for the
``processed100_zscore`` arrays).

Example
-------
>>> from medts.config import dataset_dir
>>> root = dataset_dir("ptbxl")
>>> if root is not None:  # doctest: +SKIP
...     index = PtbxlIndex.open(root, sampling_rate=100)
...     ecg = index.read(1)
...     index.labels(1, "superdiagnostic")
['NORM']
"""

from __future__ import annotations

import ast
import json
import math
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medts.errors import ECGReadError
from medts.labels import Statement, aggregate_codes, level_classes, load_statements
from medts.record import ECG

SAMPLING_RATES: dict[int, str] = {100: "filename_lr", 500: "filename_hr"}
"""Sampling rate in Hz -> the ``ptbxl_database.csv`` column naming the record."""

PROCESSED_ZSCORE_DIR = "processed100_zscore"
"""Sub-folder of a root holding z-scored 100 Hz arrays: ``{train,val}/<ecg_id>.npy``."""

_REQUIRED_COLUMNS = ("patient_id", "age", "sex", "scp_codes", "strat_fold", "filename_lr", "filename_hr")
_ROW_COLUMNS = ("patient_id", "age", "sex", "scp_codes", "strat_fold", "filename", "report", "heart_axis")
_AGE_OVER_89 = 300  # PTB-XL's original release codes ages above 89 as 300


class PtbxlIndex:
    """Index of a PTB-XL root. Build it with :meth:`open`.

    Attributes
    ----------
    root : Path
    sampling_rate : int
        100 or 500 (Hz): which record set :meth:`read` uses.
    metadata : pandas.DataFrame
        Every row of ``ptbxl_database.csv``, indexed by ``ecg_id``, ``scp_codes`` parsed to dicts
        and ``filename`` set to the chosen sampling rate's record path.
    table : pandas.DataFrame
        The rows whose signal files exist (same columns).
    n_missing : int
        Rows skipped because their ``.hea`` or ``.dat`` file is missing.
    statements : dict of str to Statement
        From the root's ``scp_statements.csv`` (the built-in table if the file is absent).
    """

    def __init__(
        self,
        root: Path,
        sampling_rate: int,
        metadata: pd.DataFrame,
        readable: np.ndarray,
        statements: dict[str, Statement],
    ) -> None:
        self.root = root
        self.sampling_rate = sampling_rate
        self.metadata = metadata
        self.table = metadata[readable]
        self.n_missing = int((~readable).sum())
        self.statements = statements
        # plain-Python lookups: a pandas row access costs ~0.25 ms, a dict/array lookup ~1 us
        self._position = {int(ecg_id): i for i, ecg_id in enumerate(metadata.index)}
        self._readable = {int(ecg_id) for ecg_id in self.table.index}
        self._columns = {
            name: metadata[name].to_numpy() for name in _ROW_COLUMNS if name in metadata.columns
        }

    @classmethod
    def open(cls, root: str | Path, *, sampling_rate: int = 100) -> PtbxlIndex:
        """Read the tables of a PTB-XL root and find which records are present.

        Parameters
        ----------
        root : str or Path
            Folder with ``ptbxl_database.csv`` (and ``scp_statements.csv``, ``records100/``...).
        sampling_rate : {100, 500}
            Record set to use, in Hz.

        Raises
        ------
        ECGReadError
            When the folder is not a PTB-XL root, a table is unreadable, or
            ``sampling_rate`` is not 100 or 500.
        """
        root = Path(root)
        if sampling_rate not in SAMPLING_RATES:
            raise ECGReadError(root, f"sampling_rate must be 100 or 500 Hz for PTB-XL, got {sampling_rate!r}")
        metadata = read_database(root / "ptbxl_database.csv")
        metadata["filename"] = metadata[SAMPLING_RATES[sampling_rate]]
        readable = _records_present(root, metadata["filename"])
        csv = root / "scp_statements.csv"
        if csv.is_file():
            statements = load_statements(csv)
        else:
            from medts.labels import STATEMENTS

            statements = dict(STATEMENTS)
        return cls(root, sampling_rate, metadata, readable, statements)

    # -- lookup ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.table)

    def __contains__(self, ecg_id: object) -> bool:
        return ecg_id in self._readable

    def __repr__(self) -> str:
        return (
            f"PtbxlIndex(root={str(self.root)!r}, sampling_rate={self.sampling_rate}, "
            f"readable={len(self.table)}, missing={self.n_missing})"
        )

    def ecg_ids(self, folds: Iterable[int] | None = None) -> list[int]:
        """Readable ``ecg_id`` s in ascending order, optionally only those in ``strat_fold`` ``folds``.

        Standard protocol: folds 1-8 train, 9 validation, 10 test.
        """
        table = self.table
        if folds is not None:
            table = table[table["strat_fold"].isin(list(folds))]
        return [int(i) for i in table.index]

    def labels(self, ecg_id: int, level: str) -> list[str]:
        """Labels of any row of the csv (readable or not) at ``level`` (see :mod:`medts.labels`)."""
        return aggregate_codes(self._row(ecg_id)["scp_codes"], level, self.statements)

    def label_matrix(self, level: str, ecg_ids: Iterable[int]) -> tuple[np.ndarray, list[str]]:
        """Multi-hot labels ``float32 [n_records, n_classes]`` and the class names (sorted).

        Columns are :func:`medts.labels.level_classes` ``(level)``; rows follow ``ecg_ids``.
        """
        classes = level_classes(level, self.statements)
        column = {name: j for j, name in enumerate(classes)}
        ids = list(ecg_ids)
        matrix = np.zeros((len(ids), len(classes)), np.float32)
        for i, ecg_id in enumerate(ids):
            for label in self.labels(ecg_id, level):
                if label in column:  # unknown codes at level "all" have no column
                    matrix[i, column[label]] = 1.0
        return matrix, classes

    def path(self, ecg_id: int) -> Path:
        """Record path without extension, e.g. ``root/records100/00000/00001_lr``."""
        return self.root / self._row(ecg_id)["filename"]

    # -- reading ------------------------------------------------------------------------------
    def read(self, ecg_id: int) -> ECG:
        """Read one record with its csv metadata (age, sex, report, scp_codes, fold).

        Raises
        ------
        ECGReadError
            When ``ecg_id`` is not in the csv, its files are missing, or the record is unreadable.
        """
        from medts.io.wfdb_io import read_wfdb

        row = self._row(ecg_id)
        path = self.root / row["filename"]
        if int(ecg_id) not in self._readable:
            raise ECGReadError(path, f"signal files of PTB-XL ecg_id {ecg_id} are missing in this root")
        ecg = read_wfdb(path)
        age, age_note = _age(row["age"])
        metadata = {
            **ecg.metadata,
            "dataset": "PTB-XL",
            "ecg_id": int(ecg_id),
            "patient_id": _optional_int(row["patient_id"]),
            "strat_fold": int(row["strat_fold"]),
            "scp_codes": dict(row["scp_codes"]),
            "report": _optional_str(row.get("report")),
            "heart_axis": _optional_str(row.get("heart_axis")),
        }
        if age_note:
            metadata["age_note"] = age_note
        return replace(ecg, age=age, sex=_sex(row["sex"]), metadata=metadata)

    def _row(self, ecg_id: int) -> dict[str, Any]:
        """The csv fields :meth:`read` and :meth:`labels` use, for one ``ecg_id``."""
        try:
            position = self._position[int(ecg_id)]
        except (KeyError, TypeError, ValueError):
            raise ECGReadError(self.root / "ptbxl_database.csv", f"no row with ecg_id {ecg_id!r}") from None
        return {name: values[position] for name, values in self._columns.items()}


def read_database(csv: Path) -> pd.DataFrame:
    """``ptbxl_database.csv`` indexed by ``ecg_id`` with ``scp_codes`` parsed to dicts.

    Raises
    ------
    ECGReadError
        When the file is missing, unreadable, lacks a required column or has an unparsable
        ``scp_codes`` cell.
    """
    if not csv.is_file():
        raise ECGReadError(csv.parent, "not a PTB-XL root: ptbxl_database.csv is missing")
    try:
        table = pd.read_csv(csv, index_col="ecg_id")
    except (OSError, ValueError) as error:
        raise ECGReadError(csv, f"cannot read PTB-XL database table ({error})") from None
    missing = [c for c in _REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ECGReadError(csv, f"PTB-XL database table lacks column(s) {', '.join(missing)}")
    parsed = {text: _parse_scp_codes(csv, text) for text in table["scp_codes"].unique()}
    # parse each distinct string once (about 5k of 21,837), give every row its own dict
    table["scp_codes"] = [dict(parsed[text]) for text in table["scp_codes"]]
    return table


def _parse_scp_codes(csv: Path, text: Any) -> dict[str, float]:
    """Parse one ``scp_codes`` cell such as ``"{'NORM': 100.0, 'SR': 0.0}"``."""
    if not isinstance(text, str):
        raise ECGReadError(csv, f"scp_codes cell is not a dict literal: {text!r}")
    try:
        # JSON is a fast, safe path for the quoting PTB-XL uses; literal_eval covers the rest
        value = json.loads(text.replace("'", '"'))
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ECGReadError(csv, f"scp_codes cell is not a dict literal: {text[:80]!r}") from None
    if not isinstance(value, dict):
        raise ECGReadError(csv, f"scp_codes cell is not a dict literal: {text[:80]!r}")
    return {str(code): float(likelihood) for code, likelihood in value.items()}


def _records_present(root: Path, filenames: pd.Series) -> np.ndarray:
    """``bool [n_rows]``: whether both ``.hea`` and ``.dat`` exist for each record path.

    Lists each record folder once instead of stat-ing every file (21,837 rows).
    """
    parents = filenames.map(lambda name: os.path.dirname(name))
    listing: dict[str, set[str]] = {}
    for parent in parents.unique():
        try:
            with os.scandir(root / parent) as entries:
                listing[parent] = {entry.name for entry in entries}
        except OSError:
            listing[parent] = set()
    present = [
        f"{os.path.basename(name)}.hea" in listing[parent] and f"{os.path.basename(name)}.dat" in listing[parent]
        for name, parent in zip(filenames, parents)
    ]
    return np.asarray(present, dtype=bool)


def processed_zscore_arrays(root: str | Path) -> dict[int, Path]:
    """``ecg_id`` -> path of ``processed100_zscore/{train,val}/<ecg_id>.npy`` in a PTB-XL root.

    These arrays are band-passed (0.5-40 Hz) and z-scored per lead, 100 Hz, ``[1000, 12]``:
    for classifier training only, never for measurements in mV. ``train`` holds folds 1-8,
    ``val`` fold 9. Returns ``{}`` when the folder is absent.
    """
    base = Path(root) / PROCESSED_ZSCORE_DIR
    arrays: dict[int, Path] = {}
    for split in ("train", "val"):
        folder = base / split
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            stem, ext = os.path.splitext(entry.name)
            if ext == ".npy" and stem.isdigit():
                arrays[int(stem)] = folder / entry.name
    return dict(sorted(arrays.items()))


def load_processed_zscore(path: str | Path) -> np.ndarray:
    """One processed array as ``float32 [n_samples, 12]`` (z-scored units, not mV).

    Raises
    ------
    ECGReadError
        When the file is unreadable, not 2-D with 12 columns, or holds NaN/inf.
    """
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ECGReadError(path, f"cannot read processed PTB-XL array ({error})") from None
    if array.ndim != 2 or array.shape[1] != 12:
        raise ECGReadError(path, f"expected shape [n_samples, 12], got {array.shape}")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ECGReadError(path, "array holds NaN or infinite values")
    return array


def _age(value: Any) -> tuple[float | None, str | None]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if float(value) >= _AGE_OVER_89:
        return 90.0, "over 89 years (PTB-XL codes this as 300)"
    return float(value), None


def _sex(value: Any) -> str | None:
    """PTB-XL codes sex as 0 = male, 1 = female."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return {0: "M", 1: "F"}.get(int(value))


def _optional_int(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _optional_str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
