"""QT Database (QTDB) records and MIT-BIH beat annotations.

QTDB: 105 (here 84) fifteen-minute two-lead records at 250 Hz. Annotation files per record:

- ``.q1c`` cardiologist 1 (second pass): P/QRS/T marks on ~30 beats, drawn looking at both
  leads (lead independent). T waves usually have only peak and offset (no onset).
- ``.q2c`` cardiologist 2, a few records only.
- ``.pu0`` / ``.pu1``: automatic delineation (ecgpuwave) on lead 0 / lead 1 only, whole record.
- ``.atr`` reference beat labels (N, V, A, ...) where present; ``.man`` manual beat labels
  for the annotated beats only.

Wave marks follow the WFDB convention ``(`` onset, ``p``/beat symbol/``t``/``u`` peak, ``)``
offset, with the wave type also in ``num`` (0 P, 1 QRS, 2 T, 3 U); see
:func:`medts.io.annotations.waves_from_annotation`. U waves are dropped.

Laguna P. et al., "A Database for Evaluation of Algorithms for Measurement of QT and Other
Waveform Intervals in the ECG", Computers in Cardiology 24 (1997). PhysioNet, ODC-By 1.0.

Example
-------
>>> from medts.config import dataset_dir
>>> from medts.io.qtdb import read_qtdb
>>> root = dataset_dir("qtdb")
>>> rec = read_qtdb(root, "sel100") if root else None
>>> rec.ecg.fs if rec else 250.0
250.0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from medts.errors import ECGReadError
from medts.io.annotations import (
    QTDB_NUM_KIND,
    Beat,
    Wave,
    beats_from_annotation,
    waves_from_annotation,
)
from medts.io.wfdb_io import read_wfdb, read_wfdb_annotation, record_base
from medts.record import ECG


@dataclass(frozen=True, eq=False)
class QtdbRecord:
    """One QTDB record with its wave and beat annotations (sample indices at ``ecg.fs``).

    ``beats_source`` says which file the beats came from (``"atr"`` or ``"man"``, or ``None``).
    """

    name: str
    ecg: ECG
    q1c: list[Wave]
    q2c: list[Wave] | None
    pu0: list[Wave]
    pu1: list[Wave]
    beats: list[Beat]
    beats_source: str | None = None
    annotated_beats: list[Beat] = field(default_factory=list)
    """Beats of the ``.man`` file: the beats the cardiologist delineated in ``.q1c``."""


def qtdb_record_names(root: str | Path) -> list[str]:
    """Record names from ``<root>/RECORDS`` (``sel100``, ...), in file order."""
    records = Path(root) / "RECORDS"
    if not records.is_file():
        raise ECGReadError(records, "QTDB RECORDS file not found (is this the QTDB root folder?)")
    names = [line.strip() for line in records.read_text().split() if line.strip()]
    if not names:
        raise ECGReadError(records, "no record names in QTDB RECORDS")
    return names


def read_waves(path_without_ext: str | Path, extension: str) -> list[Wave]:
    """P/QRS/T waves of a QTDB-style delineation file (``q1c``, ``q2c``, ``pu0``, ``pu1``, ...)."""
    annotation = read_wfdb_annotation(path_without_ext, extension)
    return waves_from_annotation(annotation, num_kinds=QTDB_NUM_KIND)


def read_beats(path_without_ext: str | Path, extension: str = "atr") -> list[Beat]:
    """Beat labels of a WFDB beat annotation file (MIT-BIH ``100.atr``, QTDB ``.atr``/``.man``).

    Only beat symbols are returned (``N L R B A a J S V r F e j n E / f Q ?``); rhythm changes
    (``+``), noise (``~``) and other non-beat marks are dropped.
    """
    return beats_from_annotation(read_wfdb_annotation(path_without_ext, extension))


def read_qtdb(root: str | Path, name: str) -> QtdbRecord:
    """Read QTDB record ``name`` (e.g. ``"sel100"``) with all its annotations.

    Raises
    ------
    ECGReadError
        Missing record, ``.q1c``, ``.pu0`` or ``.pu1`` file, or an unreadable file.
    """
    base = record_base(Path(root) / name)
    ecg = read_wfdb(base)
    ecg = replace(ecg, record_id=f"qtdb-{base.name}", metadata=dict(ecg.metadata, dataset="qtdb"))
    q1c = read_waves(base, "q1c")
    q2c = read_waves(base, "q2c") if Path(f"{base}.q2c").is_file() else None
    pu0 = read_waves(base, "pu0")
    pu1 = read_waves(base, "pu1")
    beats: list[Beat] = []
    source = None
    for ext in ("atr", "man"):
        if Path(f"{base}.{ext}").is_file():
            beats, source = read_beats(base, ext), ext
            break
    annotated = read_beats(base, "man") if Path(f"{base}.man").is_file() else []
    return QtdbRecord(
        name=base.name, ecg=ecg, q1c=q1c, q2c=q2c, pu0=pu0, pu1=pu1,
        beats=beats, beats_source=source, annotated_beats=annotated,
    )
