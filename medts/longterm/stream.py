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

from medts.errors import MedtsError


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
    base = path.with_suffix("") if path.suffix in (".hea", ".dat") else path
    return base if base.with_suffix(".hea").is_file() else None


def open_long_record(path: str | Path, *, fs: float | None = None, leads: list[str] | None = None) -> LongSource:
    """A :class:`LongSource` for ``path`` (WFDB base name, ``.hea``/``.dat``, or any file
    ``medts.io.read_record`` reads). ``fs`` and ``leads`` are for files that lack them (as in
    :func:`medts.io.read_record`). Raises :class:`MedtsError` with one line on bad input."""
    import wfdb

    from medts.io.wfdb_io import unit_scale_to_mv

    p = Path(path)
    base = _wfdb_base(p)
    if base is None:
        from medts.io import read_record
        from medts.io.ranged import open_ranged

        ranged = open_ranged(p, format=None, fs=fs, leads=leads, head_samples=1 << 16)
        if ranged is not None:  # ISHNE Holter: read by sample range too (24 h of 12 leads is gigabytes)
            head = ranged.head
            notes = [head.metadata.get("lead_names_note"), *(head.metadata.get("carried_notes") or [])]
            return LongSource(p.stem, head.fs, ranged.n_samples, tuple(head.leads), ranged.read,
                              "; ".join(str(n) for n in notes if n) or None)
        return source_from_ecg(read_record(p, fs=fs, leads=leads), name=p.stem)
    from medts.io import read_record

    # medts' reader checks what wfdb does not (an empty or broken header, a missing, truncated or foreign
    # signal file via the header checksums, streamed in blocks) and says so in one line naming the file
    read_record(f"{base}.hea", fs=fs, leads=leads, max_samples=1 << 16)
    try:
        header = wfdb.rdheader(str(base))
    except (OSError, ValueError) as error:
        raise MedtsError(f"{base}.hea: cannot read the header ({error})") from error
    from medts.io.wfdb_io import header_sampling_rate

    rate = header_sampling_rate(f"{base}.hea", fs)  # wfdb reads a missing or impossible rate as 250 Hz
    if not header.sig_len:
        raise MedtsError(f"{base}.hea: the header gives no signal length")
    scales = []
    for name, unit in zip(header.sig_name or [], header.units or [None] * header.n_sig):
        scale = unit_scale_to_mv(unit)
        if scale is None:
            raise MedtsError(f"{base}.hea: lead {name!r} is in {unit!r}, not a voltage unit")
        scales.append(scale)
    factor = np.asarray(scales, np.float32)
    fs, n = rate, int(header.sig_len)

    def read(start: int, stop: int) -> np.ndarray:
        rec = wfdb.rdrecord(str(base), sampfrom=max(0, start), sampto=min(n, stop), physical=True)
        x = np.nan_to_num(np.asarray(rec.p_signal, np.float32), nan=0.0)  # NaN: sample not recorded
        return x * factor[None, :]

    from medts.record import _unique_lead_names, canonical_lead_name

    names = [str(x) for x in header.sig_name or []]
    if leads is not None:  # the caller names the columns (--leads)
        if len(leads) != len(names):
            raise MedtsError(f"{base}.hea: --leads names {len(leads)} lead(s) but the record has {len(names)}")
        names = list(leads)
    unique, note = _unique_lead_names(tuple(canonical_lead_name(x) for x in names))
    return LongSource(base.name, fs, n, tuple(unique), read, note)


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
