"""Reading a long recording window by window, so memory stays bounded whatever its length.

WFDB records are read straight from disk with ``wfdb.rdrecord(sampfrom=, sampto=)`` and ISHNE
Holter files through :func:`medts.io.ranged.open_ranged`; any other format medts reads
(``medts.io.read_record``) is loaded once and sliced (those formats have no sample-range reader). Every chunk carries ``margin`` samples of context on both sides so that
filters and beat segments near a window edge see real signal, not padding.

Example
-------
>>> src = open_long_record("../shared/data/mitdb/full/203")             # doctest: +SKIP
>>> for chunk in iter_chunks(src, window_s=60.0, margin_s=3.0): ...      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LongSource:
    """A recording that can be read by sample range: ``read(start, stop)`` -> float32
    ``[stop - start, n_leads]`` in mV (missing samples as 0)."""

    name: str
    fs: float
    n_samples: int
    leads: tuple[str, ...]
    read: Callable[[int, int], np.ndarray]
    note: str | None = None
    """What the reader changed, e.g. duplicate or blank lead names renamed ECG1, ECG2."""

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs


@dataclass(frozen=True)
class Chunk:
    """One analysis window: ``signal`` covers samples ``[read_start, read_start + len)``; the
    window proper is ``[start, stop)`` (its beats belong to this chunk, the rest is context)."""

    index: int
    start: int
    stop: int
    read_start: int
    signal: np.ndarray


def _wfdb_base(path: Path) -> Path | None:
    """The WFDB record name for a ``.hea``/``.dat`` path or a bare record name; ``None`` for another file
    (a CinC ``A0001.mat`` has an ``A0001.hea`` beside it, but is no ``A0001.mat.hea`` record)."""
    if path.suffix in (".hea", ".dat"):
        base = path.with_suffix("")
    elif path.is_file():
        return None
    else:
        base = path
    return base if Path(f"{base}.hea").is_file() else None


def open_long_record(path: str | Path, *, fs: float | None = None, leads: list[str] | None = None) -> LongSource:
    """A :class:`LongSource` for ``path`` (WFDB base name, ``.hea``/``.dat``, or any file
    ``medts.io.read_record`` reads). ``fs`` and ``leads`` are for files that lack them (as in
    :func:`medts.io.read_record`). Single-segment WFDB and ISHNE Holter records are read by sample
    range (:func:`medts.io.ranged.open_ranged`: the reader checks the header, rate, units, lead names
    and checksums on the first part; a Holter's invalid-sample gaps read as 0 mV); other files are read
    whole. Raises :class:`MedtsError` with one line on bad input."""
    from medts.io import read_record
    from medts.io.ranged import open_ranged
    from medts.record import record_input_notes

    p = Path(path)
    base = _wfdb_base(p)
    p = Path(f"{base}.hea") if base is not None else p
    ranged = open_ranged(p, format=None, fs=fs, leads=leads, head_samples=1 << 16, missing_as_zero=True)
    if ranged is None:
        return source_from_ecg(read_record(p, fs=fs, leads=leads), name=p.stem)
    head = ranged.head
    note = "; ".join(record_input_notes(head.metadata, [])) or None  # amplitudes are judged per window
    return LongSource(p.stem, head.fs, ranged.n_samples, tuple(head.leads), ranged.read, note)


def source_from_ecg(ecg, *, name: str) -> LongSource:
    """A :class:`LongSource` over a record already in memory."""
    sig = np.asarray(ecg.signal, np.float32)
    return LongSource(name, float(ecg.fs), int(sig.shape[0]), tuple(ecg.leads),
                      lambda start, stop: sig[max(0, start):min(len(sig), stop)], ecg.metadata.get("lead_names_note"))


def source_from_array(signal: np.ndarray, fs: float, leads: tuple[str, ...], *, name: str) -> LongSource:
    """A :class:`LongSource` over a ``[n_samples, n_leads]`` (or 1-D) mV array."""
    sig = np.asarray(signal, np.float32)
    sig = sig[:, None] if sig.ndim == 1 else sig
    return LongSource(name, float(fs), int(sig.shape[0]), tuple(leads),
                      lambda start, stop: sig[max(0, start):min(len(sig), stop)])


def iter_chunks(source: LongSource, *, window_s: float, margin_s: float) -> Iterator[Chunk]:
    """Consecutive windows of ``window_s`` seconds (the last one shorter), each read with
    ``margin_s`` of context on both sides (clipped at the record's ends)."""
    length = int(round(window_s * source.fs))
    margin = int(round(margin_s * source.fs))
    for i, start in enumerate(range(0, source.n_samples, length)):
        stop = min(source.n_samples, start + length)
        lo, hi = max(0, start - margin), min(source.n_samples, stop + margin)
        yield Chunk(i, start, stop, lo, source.read(lo, hi))
