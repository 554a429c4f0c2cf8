"""``medts info`` on a record too long to hold: the same :class:`~medts.record.RecordSummary`,
computed window by window so memory does not grow with the record.

The summary needs, per lead, the minimum, the maximum, the median (the implausible-amplitude
check measures the largest deviation from it) and the share of samples at the maximum or minimum
(saturation). Minimum and maximum stream trivially; the median is found exactly, in two passes,
from histograms of the samples' float32 bit patterns (an order-preserving 32-bit key: the top 16
bits in the first pass, the low 16 bits within the median's bin in the second), so the summary is
the one :meth:`ECG.summary` gives on the whole record, bit for bit, not an approximation. The
largest deviation from the median is ``max(max - median, median - min)`` (float32 rounding is
monotonic, so this equals the largest ``|x - median|`` over the samples).

Memory: one window (``window_samples`` x leads, float64 while WFDB converts it) plus 2 x 65,536
counters per lead; 24 h of 12 leads at 500 Hz is read twice in about a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medts.record import (
    ECG,
    MAX_PLAUSIBLE_MV,
    RailCount,
    RecordSummary,
    clipping_samples,
    lead_problems,
    record_input_notes,
    summary_of,
)

WINDOW_SAMPLES = 1 << 18
"""Samples per window (about 9 minutes at 500 Hz; 12 leads: 25 MB as float64)."""


def _keys(x: np.ndarray) -> np.ndarray:
    """Order-preserving uint32 keys of float32 samples (``a < b`` iff ``key(a) < key(b)``, NaN aside)."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32)
    negative = (bits >> np.uint32(31)).astype(bool)
    return np.where(negative, ~bits, bits | np.uint32(0x80000000))


def _from_key(key: int) -> np.float32:
    """The float32 sample whose key is ``key`` (inverse of :func:`_keys`)."""
    key = np.uint32(key)
    bits = key & np.uint32(0x7FFFFFFF) if key & np.uint32(0x80000000) else ~key
    return np.array([bits], np.uint32).view(np.float32)[0]


def _rank_bin(counts: np.ndarray, rank: int) -> tuple[int, int]:
    """``(bin, samples before it)`` of the ``rank``-th smallest sample (0-based) in a histogram."""
    cumulative = np.cumsum(counts, dtype=np.int64)
    index = int(np.searchsorted(cumulative, rank, side="right"))
    return index, int(cumulative[index - 1]) if index else 0


def _median_ranks(n: int) -> tuple[int, int]:
    """The 0-based ranks ``np.median`` averages (the same one twice for odd ``n``)."""
    return ((n - 1) // 2, n // 2)


def summarise_windows(head: ECG, n_samples: int,
                      windows: Callable[[], Iterator[np.ndarray]]) -> tuple[RecordSummary, list[str]]:
    """``(summary, input notes)`` of a record of ``n_samples`` samples read as consecutive ``float32 [samples, leads]``
    mV windows (``windows()`` starts a new pass; it is called twice). ``head`` is the record's first part
    as the reader gives it: identity, lead names and the reader's notes (units, renamed leads). The input
    notes are :meth:`ECG.input_notes` of the whole record."""
    n_leads = head.n_leads
    minimum = np.full(n_leads, np.inf, np.float32)
    maximum = np.full(n_leads, -np.inf, np.float32)
    coarse = np.zeros((n_leads, 1 << 16), np.int64)
    seen = 0
    for window in windows():
        seen += window.shape[0]
        minimum = np.minimum(minimum, window.min(axis=0))
        maximum = np.maximum(maximum, window.max(axis=0))
        keys = _keys(window)
        for lead in range(n_leads):
            coarse[lead] += np.bincount(keys[:, lead] >> np.uint32(16), minlength=1 << 16)
    if seen != n_samples:
        raise ValueError(f"the windows held {seen} samples, the record {n_samples}")
    ranks = _median_ranks(n_samples)
    # per lead and rank: (top 16 bits of the key, samples in lower bins)
    target = [[_rank_bin(coarse[lead], rank) for rank in ranks] for lead in range(n_leads)]
    fine = np.zeros((n_leads, 2, 1 << 16), np.int64)
    on_rail = [RailCount(float(maximum[lead]), float(minimum[lead])) for lead in range(n_leads)]
    for window in windows():
        keys = _keys(window)
        for lead in range(n_leads):
            x = window[:, lead]
            on_rail[lead].add(x)
            for r, (top, _) in enumerate(target[lead]):
                low = keys[:, lead][(keys[:, lead] >> np.uint32(16)) == top] & np.uint32(0xFFFF)
                fine[lead, r] += np.bincount(low, minlength=1 << 16)
    median = np.empty(n_leads, np.float32)
    for lead in range(n_leads):
        values = []
        for r, (top, before) in enumerate(target[lead]):
            low, _ = _rank_bin(fine[lead, r], ranks[r] - before)
            values.append(_from_key((top << 16) | low))
        median[lead] = np.mean(np.array(values, np.float32))  # as np.median does for an even count
    deviation = np.maximum(maximum - median, median - minimum)
    too_large = [(name, float(d)) for name, d in zip(head.leads, deviation) if d > MAX_PLAUSIBLE_MV]
    notes = record_input_notes(head.metadata, too_large)
    problems = notes + lead_problems(head.leads, [float(x) for x in maximum - minimum],
                                     [clipping_samples(c.counts(), float(maximum[lead]), float(minimum[lead]),
                                                       float(median[lead])) for lead, c in enumerate(on_rail)],
                                     n_samples, dict(too_large))
    return summary_of(head, n_samples, [float(x) for x in minimum], [float(x) for x in maximum], problems), notes


def iter_windows(read: Callable[[int, int], np.ndarray], n_samples: int,
                 window_samples: int = WINDOW_SAMPLES) -> Callable[[], Iterator[np.ndarray]]:
    """A ``windows()`` for :func:`summarise_windows` over ``read(start, stop)`` (a sample-range reader)."""

    def windows() -> Iterator[np.ndarray]:
        for start in range(0, n_samples, window_samples):
            yield read(start, min(n_samples, start + window_samples))

    return windows


@dataclass(frozen=True)
class StreamedRecord:
    """What ``medts info`` needs of a record summarised window by window: its summary and the input
    notes every output repeats (the methods of :class:`~medts.record.ECG` it uses)."""

    whole: RecordSummary
    notes: list[str]

    def summary(self) -> RecordSummary:
        return self.whole

    def input_notes(self) -> list[str]:
        return list(self.notes)


def read_for_summary(path: Path, *, format: str | None = None, fs: float | None = None,
                     leads: Sequence[str] | None = None, window_samples: int = WINDOW_SAMPLES):
    """The record at ``path`` for ``medts info``: read whole (an :class:`~medts.record.ECG`) when it fits
    one window or its format has no sample-range reader; else summarised window by window
    (:class:`StreamedRecord`, the same summary in bounded memory)."""
    from medts.io import read_record
    from medts.io.ranged import open_ranged, ranged_length

    total = ranged_length(path, format, fs)
    if total is None or total <= window_samples:
        return read_record(path, format=format, fs=fs, leads=leads)
    ranged = open_ranged(path, format=format, fs=fs, leads=leads, head_samples=window_samples)
    summary, notes = summarise_windows(ranged.head, ranged.n_samples,
                                       iter_windows(ranged.read, ranged.n_samples, window_samples))
    return StreamedRecord(summary, notes)
