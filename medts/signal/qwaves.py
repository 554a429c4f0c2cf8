"""Per-lead QRS waves from the fused QRS boundaries: the initial Q wave, the R height and the S depth.

The Q wave is the QRS's first deflection when it goes below the PR baseline (:func:`isoelectric_level`):
its duration runs from the baseline crossing (or the QRS onset) to the crossing back up, interpolated
between samples; a QRS with no R wave (every sample below :data:`R_MIN_MV`) is a QS complex whose Q is
its whole negative deflection. Values are medians over beats. These feed the infarction rule of
:mod:`medts.interpret.infarction` (pathological Q waves, R-wave progression); nothing is re-detected.

Example
-------
>>> import numpy as np
>>> fs = 500.0
>>> beat = np.zeros(200)
>>> beat[50:70] = -np.sin(np.linspace(0, np.pi, 20)) * 0.3  # 40 ms, 0.3 mV Q
>>> beat[70:90] = np.sin(np.linspace(0, np.pi, 20)) * 1.0  # R
>>> w = qrs_waves(np.tile(beat, 3), np.array([48.0, 248, 448]), np.array([92.0, 292, 492]), np.zeros(3), fs)
>>> round(w.q_ms), w.q_mv, w.r_mv, w.qs
(40, 0.299, 0.997, False)
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

DEFLECTION_MV = 0.025
"""A deflection from the PR baseline smaller than this is noise: the QRS's first wave is the first
sample beyond it."""
R_MIN_MV = 0.05
"""A QRS whose highest point stays below this has no R wave (a QS complex)."""


class QrsWaves(BaseModel):
    """One lead's QRS waves (median over beats): Q duration (0 without a Q wave) and depth, R height,
    S depth (mV, all >= 0) and whether most beats are QS complexes."""

    q_ms: float
    q_mv: float
    r_mv: float
    s_mv: float
    qs: bool
    n_beats: int


def _crossing(seg: np.ndarray, i: int, step: int) -> float:
    """Fractional index where ``seg`` returns to >= 0 walking from ``i`` by ``step``; the segment's end if never."""
    j = i
    while 0 <= j + step < len(seg):
        if seg[j + step] >= 0:
            a, b = seg[j], seg[j + step]  # a < 0 <= b
            return j + step * (a / (a - b))
        j += step
    return float(j)


def _beat(seg: np.ndarray, fs: float) -> tuple[float, float, float, float, bool]:
    r = max(0.0, float(seg.max()))
    s_from = int(np.argmax(seg))
    big = np.flatnonzero(np.abs(seg) > DEFLECTION_MV)
    if r < R_MIN_MV:  # QS: the Q wave is the whole negative deflection around the deepest point
        k = int(np.argmin(seg))
        left, right = (_crossing(seg, k, -1), _crossing(seg, k, 1)) if seg[k] < 0 else (k, k)
        return (right - left) * 1000.0 / fs, max(0.0, -float(seg[k])), r, max(0.0, -float(seg.min())), True
    s = max(0.0, -float(seg[s_from:].min()))
    if not len(big) or seg[big[0]] > 0:
        return 0.0, 0.0, r, s, False
    first = int(big[0])
    right = _crossing(seg, first, 1)
    end = int(np.ceil(right))
    k = first + int(np.argmin(seg[first : end + 1]))
    left = _crossing(seg, k, -1)
    return (right - left) * 1000.0 / fs, -float(seg[k]), r, s, False


def qrs_waves(lead: np.ndarray, qrs_on: np.ndarray, qrs_off: np.ndarray, baseline: np.ndarray,
              fs: float) -> QrsWaves | None:
    """Median Q, R, S of one lead over the beats with a QRS onset, offset and baseline; None if none has them."""
    beats = []
    for a, b, base in zip(qrs_on, qrs_off, baseline):
        if np.isfinite(a) and np.isfinite(b) and np.isfinite(base) and b > a and int(b) < len(lead):
            beats.append(_beat(lead[int(a) : int(b) + 1] - base, fs))
    if not beats:
        return None
    q_ms, q_mv, r_mv, s_mv, qs = (np.array(col, dtype=float) for col in zip(*beats))
    return QrsWaves(q_ms=round(float(np.median(q_ms)), 1), q_mv=round(float(np.median(q_mv)), 3),
                    r_mv=round(float(np.median(r_mv)), 3), s_mv=round(float(np.median(s_mv)), 3),
                    qs=bool(qs.mean() > 0.5), n_beats=len(beats))
