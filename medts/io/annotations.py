"""ECG wave and beat annotations: typed fiducials, per-sample masks, WFDB conversion.

A :class:`Wave` is one P wave, QRS complex or T wave with sample indices of its onset, peak
and offset (any of them may be ``None`` when the annotator did not mark it). A mask is an
``int8 [n_samples]`` array with 0 = none, 1 = P, 2 = QRS, 3 = T (``WAVE_CLASSES``).

WFDB delineation files (LUDB per-lead files, QTDB ``.q1c``/``.q2c``/``.pu0``/``.pu1``) use the
convention ``(`` onset, a peak symbol, ``)`` offset; the peak symbol gives the wave type
(``p`` P, ``t`` T, ``u`` U, any beat symbol such as ``N``/``V``/``A`` a QRS). QTDB and ecgpuwave
also encode the wave type of ``(``/``)`` in the ``num`` field (0 P, 1 QRS, 2 T, 3 U).
:func:`waves_from_annotation` parses that convention; :func:`waves_to_annotation` writes it.

Example
-------
>>> from medts.io.annotations import Wave, waves_to_mask, mask_to_waves
>>> mask = waves_to_mask([Wave("P", 2, 4, 6), Wave("QRS", 9, 10, 12)], 15)
>>> mask.tolist()
[0, 0, 1, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 0, 0]
>>> mask_to_waves(mask)[1]
Wave(kind='QRS', onset=9, peak=None, offset=12)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from medts.io.wfdb_io import WfdbAnnotation

WAVE_CLASSES = ("none", "P", "QRS", "T")
"""Mask values 0..3."""

WaveKind = Literal["P", "QRS", "T"]

_KIND_TO_CLASS = {"P": 1, "QRS": 2, "T": 3}
_PEAK_SYMBOL_KIND = {"p": "P", "t": "T", "u": "U"}
# ecgpuwave / QTDB ``num`` field on "(" and ")" marks.
QTDB_NUM_KIND = {0: "P", 1: "QRS", 2: "T", 3: "U"}
_KIND_TO_QTDB_NUM = {"P": 0, "QRS": 1, "T": 2}
_KIND_TO_PEAK_SYMBOL = {"P": "p", "QRS": "N", "T": "t"}

# Beat annotation codes (MIT-BIH / WFDB); everything else (+, ~, |, x, [, ], !, ...) is not a beat.
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFeQjEn/f?")


@dataclass(frozen=True)
class Wave:
    """One P wave, QRS complex or T wave (sample indices; ``None`` when not marked)."""

    kind: WaveKind
    onset: int | None
    peak: int | None
    offset: int | None

    def bounds(self) -> tuple[int, int] | None:
        """``(onset, offset)`` inclusive, or ``None`` if either is missing."""
        if self.onset is None or self.offset is None:
            return None
        return self.onset, self.offset


@dataclass(frozen=True)
class Beat:
    """One annotated beat: sample index of the fiducial point and its MIT-BIH symbol."""

    sample: int
    symbol: str


def waves_to_mask(waves: Iterable[Wave], n_samples: int) -> np.ndarray:
    """Per-sample labels ``int8 [n_samples]`` (0 none, 1 P, 2 QRS, 3 T) from waves.

    Each wave fills ``onset..offset`` inclusive (clipped to the signal). Waves missing an
    onset or offset are not drawn: their extent is unknown. Later waves overwrite earlier
    ones where they overlap.
    """
    mask = np.zeros(int(n_samples), np.int8)
    for wave in waves:
        bounds = wave.bounds()
        if bounds is None or wave.kind not in _KIND_TO_CLASS:
            continue
        start, end = max(0, bounds[0]), min(int(n_samples) - 1, bounds[1])
        if end >= start:
            mask[start : end + 1] = _KIND_TO_CLASS[wave.kind]
    return mask


def mask_to_waves(mask: np.ndarray) -> list[Wave]:
    """Waves from a per-sample mask: each run of 1/2/3 is one wave (onset, offset inclusive).

    ``peak`` is ``None`` (a mask has no amplitude). ``waves_to_mask(mask_to_waves(m), len(m))``
    gives back ``m``.
    """
    labels = np.asarray(mask).astype(np.int64).reshape(-1)
    if labels.size == 0:
        return []
    # Run starts: first sample and every change of label.
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [labels.size]]) - 1
    waves = []
    for start, end in zip(starts, ends):
        value = int(labels[start])
        if 1 <= value <= 3:
            waves.append(Wave(WAVE_CLASSES[value], int(start), None, int(end)))  # type: ignore[arg-type]
    return waves


def _peak_kind(symbol: str) -> str | None:
    if symbol in _PEAK_SYMBOL_KIND:
        return _PEAK_SYMBOL_KIND[symbol]
    if symbol in BEAT_SYMBOLS:
        return "QRS"
    return None


def waves_from_annotation(
    annotation: WfdbAnnotation, *, num_kinds: dict[int, str] | None = None
) -> list[Wave]:
    """Parse the WFDB delineation convention ``(`` onset, peak symbol, ``)`` offset into waves.

    Parameters
    ----------
    annotation : WfdbAnnotation
        Marks in time order.
    num_kinds : dict, optional
        Wave type encoded in the ``num`` field of ``(`` and ``)`` marks (QTDB / ecgpuwave:
        :data:`QTDB_NUM_KIND`). Used for bracket pairs without a peak mark; LUDB leaves ``num``
        at 0, so pass ``None`` there and unpeaked pairs are dropped.

    Notes
    -----
    - A peak mark takes the immediately preceding unmatched ``(`` as its onset and the next
      ``)`` as its offset; a missing one stays ``None`` (QTDB ``.q1c`` T waves often have only
      peak and offset).
    - A second peak of the same wave before its ``)`` (biphasic T in ecgpuwave output) is
      ignored: the first peak is kept.
    - U waves and non-wave symbols are dropped (``WAVE_CLASSES`` has no U).
    """
    waves: list[Wave] = []
    pending_onset: tuple[int, int] | None = None  # (sample, num) of an unmatched "("
    current: dict | None = None  # wave under construction: kind, onset, peak

    def close(offset: int | None) -> None:
        nonlocal current
        if current is not None and current["kind"] in _KIND_TO_CLASS:
            waves.append(Wave(current["kind"], current["onset"], current["peak"], offset))
        current = None

    nums = annotation.num if len(annotation.num) == len(annotation.symbol) else np.zeros(len(annotation.symbol), np.int64)
    for sample, symbol, num in zip(annotation.sample.tolist(), annotation.symbol, nums.tolist()):
        if symbol == "(":
            close(None)
            pending_onset = (sample, num)
        elif symbol == ")":
            if current is not None:
                close(sample)
            elif pending_onset is not None and num_kinds is not None:
                kind = num_kinds.get(pending_onset[1])
                if kind in _KIND_TO_CLASS:
                    waves.append(Wave(kind, pending_onset[0], None, sample))  # type: ignore[arg-type]
            pending_onset = None
        else:
            kind = _peak_kind(symbol)
            if kind is None:
                continue
            if current is not None:
                if current["kind"] == kind:
                    continue  # second peak of a biphasic wave
                close(None)
            onset = pending_onset[0] if pending_onset is not None else None
            current = {"kind": kind, "onset": onset, "peak": sample}
            pending_onset = None
    close(None)
    return waves


def waves_to_annotation(waves: Iterable[Wave], *, fs: float | None = None) -> WfdbAnnotation:
    """Waves as a WFDB delineation annotation (``(`` onset, ``p``/``N``/``t`` peak, ``)`` offset).

    ``num`` carries the QTDB wave-type code on every mark (0 P, 1 QRS, 2 T), so files
    written here parse back identically with :func:`waves_from_annotation`, with or without
    ``num_kinds``, as long as every wave has a peak.
    """
    marks: list[tuple[int, int, str, int]] = []  # (sample, order within wave, symbol, num)
    for wave in waves:
        num = _KIND_TO_QTDB_NUM[wave.kind]
        if wave.onset is not None:
            marks.append((wave.onset, 0, "(", num))
        if wave.peak is not None:
            marks.append((wave.peak, 1, _KIND_TO_PEAK_SYMBOL[wave.kind], num))
        if wave.offset is not None:
            marks.append((wave.offset, 2, ")", num))
    marks.sort(key=lambda m: (m[0], m[1]))
    n = len(marks)
    return WfdbAnnotation(
        sample=np.array([m[0] for m in marks], np.int64),
        symbol=[m[2] for m in marks],
        subtype=np.zeros(n, np.int64),
        chan=np.zeros(n, np.int64),
        num=np.array([m[3] for m in marks], np.int64),
        aux_note=[""] * n,
        fs=fs,
    )


def beats_from_annotation(annotation: WfdbAnnotation) -> list[Beat]:
    """Beat annotations only (``N``, ``V``, ``A``, ...; rhythm/noise marks such as ``+`` dropped)."""
    return [
        Beat(int(sample), symbol)
        for sample, symbol in zip(annotation.sample.tolist(), annotation.symbol)
        if symbol in BEAT_SYMBOLS
    ]


def beats_to_annotation(beats: Iterable[Beat], *, fs: float | None = None) -> WfdbAnnotation:
    """Beats as a WFDB annotation (sorted by sample)."""
    ordered = sorted(beats, key=lambda b: b.sample)
    n = len(ordered)
    return WfdbAnnotation(
        sample=np.array([b.sample for b in ordered], np.int64),
        symbol=[b.symbol for b in ordered],
        subtype=np.zeros(n, np.int64),
        chan=np.zeros(n, np.int64),
        num=np.zeros(n, np.int64),
        aux_note=[""] * n,
        fs=fs,
    )
