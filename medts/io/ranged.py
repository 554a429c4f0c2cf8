"""Records read by sample range, for commands that must see a whole long record in bounded memory.

:func:`open_ranged` gives the record's first part as its reader gives it (identity, metadata, the
reader's notes: everything but the rest of the samples), its length, and a ``read(start, stop)``
for the rest. Formats with a sample-range reader: single-segment WFDB (``wfdb.rdrecord``
``sampfrom``/``sampto``) and ISHNE Holter (a memory map of its data block). Other formats
(resting-ECG files: XML, DICOM, SCP-ECG, CSV, ...) are read whole by their readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medts.record import ECG


@dataclass(frozen=True)
class RangedRecord:
    """``head``: the first ``head.n_samples`` samples with the reader's metadata; ``n_samples``: the whole
    record's length; ``read(start, stop)``: ``float32 [stop - start, n_leads]`` in mV, as the reader gives."""

    head: ECG
    n_samples: int
    read: Callable[[int, int], np.ndarray]


def ranged_length(path: Path, format: str | None, fs: float | None) -> int | None:
    """Samples per lead of a record that can be read by sample range, from its header; ``None`` when the
    format has no sample-range reader here (read it whole)."""
    from medts.cli_inputs import peek_shape

    suffix = path.suffix.lower()
    if format in (None, "wfdb") and suffix == ".hea":
        peeked = peek_shape(path, format, fs)
        if peeked is None:
            return None
        from medts.io import _hea_signal_file

        signal_file = _hea_signal_file(path) or ""
        return None if signal_file.lower().endswith(".mat") else peeked[0]
    if format in (None, "ishne") and suffix == ".ecg":
        from medts.io.ishne import ishne_length

        return ishne_length(path)
    return None


def open_ranged(path: Path, *, format: str | None, fs: float | None, leads: Sequence[str] | None,
                head_samples: int, missing_as_zero: bool = False) -> RangedRecord | None:
    """A :class:`RangedRecord` for ``path`` when its format has a sample-range reader, else ``None``
    (``missing_as_zero``: see :func:`medts.io.wfdb_io.read_wfdb_samples`)."""
    from medts.io import read_record

    total = ranged_length(path, format, fs)
    if total is None:
        return None
    head = read_record(path, format=format, fs=fs, leads=leads, max_samples=head_samples,
                       missing_as_zero=missing_as_zero)  # a gap in the first part reads as the rest do
    if path.suffix.lower() == ".ecg":
        from medts.io.ishne import ishne_reader

        return RangedRecord(head, total, ishne_reader(path))
    from medts.io.wfdb_io import read_wfdb_samples

    return RangedRecord(head, total,
                        lambda start, stop: read_wfdb_samples(path, start, stop, missing_as_zero=missing_as_zero))
