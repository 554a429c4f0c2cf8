"""Missing samples in a resting ECG (WFDB "invalid sample" markers, NaN values, empty CSV cells):
what the resting commands measure, and when they refuse. One rule for every reader and command.

- A stretch of missing samples shorter than ``SIGNAL_GAP_S`` (0.5 s, the long-recording signal-gap
  rule of :mod:`medts.interpret.longterm`) inside the record is bridged by a straight line in each
  lead; every output names it (a beat inside it is not seen).
- A shorter stretch at the record's start or end is cut off (nothing is invented at an edge).
- A stretch of ``SIGNAL_GAP_S`` or longer, anywhere, is a signal gap: the analysis keeps the longest part of
  the record without one, when it lasts at least ``MIN_GAP_FREE_S`` (8 s, most of a 10-s resting
  ECG), and every output says which part; a shorter part is refused (one line, exit 2).

``medts rhythm`` reads missing samples of a long recording as 0 mV and reports flat stretches of
``SIGNAL_GAP_S`` or longer as signal gaps (:func:`medts.longterm.rhythm.flat_runs`): the same limit.

>>> import numpy as np
>>> x = np.sin(np.arange(5000) / 40.0)[:, None].repeat(2, axis=1)
>>> x[2000:2100] = np.nan  # 0.2 s at 500 Hz
>>> out = mend_gaps(x, 500.0, ("I", "II"))
>>> out.start, out.signal.shape, bool(np.isfinite(out.signal).all())
(0, (5000, 2), True)
>>> out.notes[0][:63]
'missing samples (NaN) bridged by a straight line at 4.00-4.20 s'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from medts.errors import InvalidECGError
from medts.interpret.longterm import SIGNAL_GAP_S

MIN_GAP_FREE_S = 8.0
"""Shortest part of a record, free of signal gaps, that a resting command measures when a gap
(``SIGNAL_GAP_S`` or longer) cut the record: most of a 10-s resting ECG."""

MAX_LISTED_GAPS = 3
"""Gaps named one by one in a note; more are counted."""


@dataclass(frozen=True)
class MendedSignal:
    """A signal without missing samples, and what was done to get it.

    ``signal``: ``[n_samples, n_leads]`` in the input's unit, no NaN; ``start``: index of its first
    sample in the input; ``notes``: one line per action, times in seconds from the record's start;
    ``gaps``: every stretch of missing samples as ``(onset_s, duration_s, action)`` with action
    ``"bridged"`` or ``"cut"``.
    """

    signal: np.ndarray
    start: int
    notes: tuple[str, ...]
    gaps: tuple[tuple[float, float, str], ...]


def missing_runs(signal: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` sample ranges where any lead holds NaN or inf, in order."""
    bad = ~np.isfinite(np.asarray(signal, dtype=np.float64)).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _span(a: int, b: int, fs: float) -> str:
    return f"{a / fs:.2f}-{b / fs:.2f} s ({(b - a) / fs:.2f} s)"


def _listed(runs: list[tuple[int, int]], fs: float) -> str:
    text = ", ".join(_span(a, b, fs) for a, b in runs[:MAX_LISTED_GAPS])
    return text + (f" and {len(runs) - MAX_LISTED_GAPS} more" if len(runs) > MAX_LISTED_GAPS else "")


def _leads_in(signal: np.ndarray, runs: list[tuple[int, int]], leads: Sequence[str]) -> str:
    hit = np.zeros(signal.shape[1], bool)
    for a, b in runs:
        hit |= ~np.isfinite(signal[a:b]).all(axis=0)
    return ", ".join(name for name, h in zip(leads, hit) if h)


def mend_gaps(signal: np.ndarray, fs: float, leads: Sequence[str]) -> MendedSignal:
    """Apply the module's rule to ``signal`` (``[n_samples, n_leads]``, NaN where samples are missing).

    Raises
    ------
    InvalidECGError
        A lead with no sample at all, or signal gaps (``SIGNAL_GAP_S`` or longer) that leave no part
        of ``MIN_GAP_FREE_S`` seconds; the message names the gaps.
    """
    signal = np.asarray(signal, dtype=np.float64)
    n = signal.shape[0]
    runs = missing_runs(signal)
    if not runs:
        return MendedSignal(signal, 0, (), ())
    empty = [name for j, name in enumerate(leads) if not np.isfinite(signal[:, j]).any()]
    if empty:
        raise InvalidECGError(f"lead(s) {', '.join(empty)} hold no samples (all missing: NaN or WFDB invalid markers)")
    long_gap = int(np.ceil(SIGNAL_GAP_S * fs))
    cuts = [(a, b) for a, b in runs if b - a >= long_gap]
    short_edges = [(a, b) for a, b in runs if (a == 0 or b == n) and b - a < long_gap]
    # the parts between signal gaps and short edge gaps; the longest is analysed
    bounds = sorted(cuts + short_edges)
    pieces, pos = [], 0
    for a, b in bounds:
        pieces.append((pos, a))
        pos = b
    pieces.append((pos, n))
    start, stop = max(pieces, key=lambda p: p[1] - p[0])
    notes: list[str] = []
    if cuts and (stop - start) < MIN_GAP_FREE_S * fs:
        raise InvalidECGError(
            f"signal gap(s) (missing samples: NaN or WFDB invalid markers, {SIGNAL_GAP_S:g} s or longer) at "
            f"{_listed(cuts, fs)}: the longest part without one is {(stop - start) / fs:.1f} s, and at least "
            f"{MIN_GAP_FREE_S:g} s is needed to measure a resting ECG")
    bridged = [(a, b) for a, b in runs if b - a < long_gap and start < a and b < stop]
    if (start, stop) != (0, n):
        dropped = [r for r in runs if r not in bridged]
        why = "the longest part without a signal gap" if cuts else "without the missing samples at its edge"
        notes.append(f"analysed {start / fs:.2f}-{stop / fs:.2f} s of the record ({(stop - start) / fs:.1f} s of "
                     f"{n / fs:.1f} s), {why}: missing samples (NaN) at {_listed(dropped, fs)}")
    kept = signal[start:stop].copy()
    if bridged:
        for j in range(kept.shape[1]):
            good = np.isfinite(kept[:, j])
            if not good.all():
                kept[~good, j] = np.interp(np.flatnonzero(~good), np.flatnonzero(good), kept[good, j])
        notes.append(f"missing samples (NaN) bridged by a straight line at {_listed(bridged, fs)} in lead(s) "
                     f"{_leads_in(signal, bridged, leads)}: measurements there are not from recorded signal, "
                     "and a beat inside a bridged stretch is not seen")
    gaps = tuple((round(a / fs, 3), round((b - a) / fs, 3), "bridged" if (a, b) in bridged else "cut") for a, b in runs)
    return MendedSignal(kept, start, tuple(notes), gaps)


def mend_for_reader(signal: np.ndarray, fs: float, leads: Sequence[str], metadata: dict) -> tuple[np.ndarray, dict]:
    """:func:`mend_gaps` as a reader applies it: the mended signal, and ``metadata`` with the notes
    added to ``carried_notes`` (repeated by every output, ``ECG.input_notes``), ``signal_gaps`` (list of
    ``{"onset_s", "duration_s", "action"}``) and ``gap_start_s`` (where the analysed part begins)."""
    mended = mend_gaps(signal, fs, leads)
    if not mended.gaps:
        return signal, metadata
    carried = list(metadata.get("carried_notes", []) or [])
    return mended.signal, {
        **metadata,
        "carried_notes": carried + [n for n in mended.notes if n not in carried],
        "signal_gaps": [{"onset_s": a, "duration_s": d, "action": act} for a, d, act in mended.gaps],
        "gap_start_s": round(mended.start / fs, 3),
    }
