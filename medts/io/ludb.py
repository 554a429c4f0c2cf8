"""LUDB (Lobachevsky University Electrocardiography Database 1.0.1).

200 ten-second 12-lead records at 500 Hz in the PhysioNet release (160 in ``RECORDS`` here),
each with cardiologist P/QRS/T onsets, peaks and offsets drawn separately on every lead
(annotation extension = lead name: ``1.i``, ``1.ii``, ..., ``1.v6``) and diagnoses in
``ludb.csv``. The cardiologists did not annotate the first and last beats, so evaluation
belongs inside :meth:`LudbRecord.annotated_span`.

Kalyakulina A. et al., "LUDB: A New Open-Access Validation Tool for Electrocardiogram
Delineation Algorithms", IEEE Access 8 (2020). PhysioNet, ODC-By 1.0.

Example
-------
>>> from medts.config import dataset_dir
>>> from medts.io.ludb import read_ludb
>>> root = dataset_dir("ludb")
>>> rec = read_ludb(root, 1) if root else None
>>> rec.ecg.fs if rec else 500.0
500.0
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from medts.errors import ECGReadError
from medts.io.annotations import Wave, waves_from_annotation, waves_to_mask
from medts.io.wfdb_io import read_wfdb, read_wfdb_annotation
from medts.record import ECG, STANDARD_LEADS, canonical_lead_name

LUDB_FS_HZ = 500.0
LUDB_LEAD_EXTENSIONS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
"""Annotation file extensions, one per lead, in canonical order."""

# ludb.csv columns that are patient data, not diagnoses (they go to ecg.age / ecg.sex).
_NON_DIAGNOSIS_COLUMNS = {"ID", "Sex", "Age"}


@dataclass(frozen=True, eq=False)
class LudbRecord:
    """One LUDB record with its per-lead cardiologist annotations.

    Attributes
    ----------
    ecg : ECG
        12 leads, 500 Hz, canonical lead names and order.
    waves : dict[str, list[Wave]]
        Per canonical lead name (``"I"`` ... ``"V6"``), in time order.
    diagnoses : dict[str, list[str]]
        ``ludb.csv`` columns (Rhythms, Electric axis of the heart, Conduction abnormalities,
        ...) -> list of non-empty lines; an empty list when the column is blank.
    """

    record_id: int
    ecg: ECG
    waves: dict[str, list[Wave]]
    diagnoses: dict[str, list[str]] = field(default_factory=dict)

    def mask(self, lead: str) -> np.ndarray:
        """Per-sample labels ``int8 [n_samples]`` (0 none, 1 P, 2 QRS, 3 T) for ``lead``."""
        return waves_to_mask(self._lead_waves(lead), self.ecg.n_samples)

    def annotated_span(self, lead: str) -> tuple[int, int]:
        """``(start, end)`` samples of the annotated part of ``lead``.

        ``start`` is the first annotated sample (normally the first onset) and ``end`` is one
        past the last annotated sample (normally the last offset), so ``mask(lead)[start:end]``
        is the region where annotations are complete and evaluation is fair. ``(0, 0)`` when
        the lead has no annotation.
        """
        points = [
            p for w in self._lead_waves(lead) for p in (w.onset, w.peak, w.offset) if p is not None
        ]
        if not points:
            return 0, 0
        return int(min(points)), int(max(points)) + 1

    def _lead_waves(self, lead: str) -> list[Wave]:
        name = canonical_lead_name(lead)
        if name not in self.waves:
            raise KeyError(f"lead {lead!r} not in LUDB record {self.record_id} (has {', '.join(self.waves)})")
        return self.waves[name]


def ludb_record_ids(root: str | Path) -> list[int]:
    """Record numbers listed in ``<root>/RECORDS`` (``data/1`` ... -> 1 ...), in file order."""
    records = Path(root) / "RECORDS"
    if not records.is_file():
        raise ECGReadError(records, "LUDB RECORDS file not found (is this the LUDB root folder?)")
    ids = []
    for line in records.read_text().split():
        stem = Path(line.strip()).name
        if stem.isdigit():
            ids.append(int(stem))
    if not ids:
        raise ECGReadError(records, "no record numbers found in LUDB RECORDS")
    return ids


def ludb_record_path(root: str | Path, record_id: int) -> Path:
    """Path without extension of record ``record_id`` (``<root>/data/<id>`` or ``<root>/<id>``)."""
    root = Path(root)
    for candidate in (root / "data" / str(record_id), root / str(record_id)):
        if Path(f"{candidate}.hea").is_file():
            return candidate
    raise ECGReadError(root / "data" / f"{record_id}.hea", f"LUDB record {record_id} not found")


def read_ludb(root: str | Path, record_id: int) -> LudbRecord:
    """Read LUDB record ``record_id`` with all 12 per-lead annotations and its diagnoses.

    Raises
    ------
    ECGReadError
        Missing record or annotation file, or a record that is not 12 leads at 500 Hz.
    """
    root = Path(root)
    base = ludb_record_path(root, record_id)
    ecg = read_wfdb(base)
    header = Path(f"{base}.hea")
    if ecg.fs != LUDB_FS_HZ or sorted(ecg.leads) != sorted(STANDARD_LEADS):
        raise ECGReadError(header, f"not a LUDB record: expected 12 leads at 500 Hz, got {ecg!r}")
    ecg = ecg.select_leads(STANDARD_LEADS)
    waves = {}
    for ext in LUDB_LEAD_EXTENSIONS:
        waves[canonical_lead_name(ext)] = waves_from_annotation(read_wfdb_annotation(base, ext))
    diagnoses = ludb_diagnoses(root).get(int(record_id), {})
    metadata = dict(ecg.metadata, dataset="ludb", diagnoses=diagnoses)
    ecg = replace(ecg, record_id=f"ludb-{record_id}", metadata=metadata)
    return LudbRecord(record_id=int(record_id), ecg=ecg, waves=waves, diagnoses=diagnoses)


def ludb_diagnoses(root: str | Path) -> dict[int, dict[str, list[str]]]:
    """``ludb.csv`` as ``{record_id: {column: [lines]}}`` (empty dict if the file is absent).

    ``ID``, ``Sex`` and ``Age`` are left out: they are in the header and in ``ECG.age``/``sex``.
    """
    path = Path(root) / "ludb.csv"
    if not path.is_file():
        return {}
    return _read_diagnoses(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_diagnoses(path: str, _mtime_ns: int) -> dict[int, dict[str, list[str]]]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as error:
        raise ECGReadError(path, f"cannot read LUDB diagnoses table ({type(error).__name__}: {error})") from error
    if "ID" not in table.columns:
        raise ECGReadError(path, "LUDB diagnoses table has no ID column")
    out: dict[int, dict[str, list[str]]] = {}
    for _, row in table.iterrows():
        rid = str(row["ID"]).strip()
        if not rid.isdigit():
            continue
        out[int(rid)] = {
            column: [line.strip() for line in str(row[column]).splitlines() if line.strip()]
            for column in table.columns
            if column not in _NON_DIAGNOSIS_COLUMNS
        }
    return out
