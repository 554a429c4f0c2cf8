"""A progress bar in minutes of ECG analysed, for the window-by-window analysis of a long record
(``medts rhythm``, the whole-recording section of ``medts report``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from medts.longterm.stream import LongSource

PROGRESS_MIN_S = 600.0
"""Records at least this long get a progress bar: shorter ones finish in a few seconds."""

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} min [{elapsed}<{remaining}]"


@contextmanager
def window_bar(src: LongSource, *, enabled: bool, nested: bool = False,
               label: str | None = None) -> Iterator[Callable[[float], None] | None]:
    """Yield an ``on_window`` callback for :func:`medts.longterm.analyze.analyze_recording` that moves a
    tqdm bar on stderr, or None for a record shorter than ``PROGRESS_MIN_S`` or when not ``enabled``.
    ``nested``: a second line under another bar (the report batch's), removed when done. ``label``: the
    bar's name instead of the record's (a de-identified run never prints the record's name)."""
    if not enabled or src.duration_s < PROGRESS_MIN_S:
        yield None
        return
    from tqdm import tqdm

    total = round(src.duration_s / 60, 1)
    name = src.name if label is None else label
    with tqdm(total=total, unit="min", desc=f"{name} (whole recording)" if nested else name,
              dynamic_ncols=True, bar_format=BAR_FORMAT, position=1 if nested else 0, leave=not nested) as bar:
        yield lambda seconds: bar.update(round(min(seconds / 60, total) - bar.n, 1))
