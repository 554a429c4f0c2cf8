"""Per-statement decision thresholds chosen on the validation fold (PTB-XL fold 9).

The networks output sigmoid scores; a report needs present/absent. For each statement we pick
the threshold that maximises F1 on the validation records. Statements with no positive
validation record keep the default 0.5 and say so (``source``), since nothing there can
tell a better value.

Example
-------
>>> import numpy as np
>>> y = np.array([[1], [1], [0], [0]], np.float32)
>>> p = np.array([[0.4], [0.35], [0.3], [0.1]], np.float32)
>>> t = choose_thresholds(y, p, ["X"])["X"]
>>> round(t.threshold, 4), t.f1
(0.35, 1.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Threshold:
    """Decision threshold of one statement: present when ``probability >= threshold``."""

    threshold: float
    source: str
    f1: float | None
    n_positive: int

    def to_dict(self) -> dict:
        return asdict(self)


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The score threshold with the highest F1 for labels ``y [n]`` and scores ``p [n]``."""
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order].astype(bool)
    tp = np.cumsum(y_sorted)
    predicted = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (predicted + y_sorted.sum())
    # a threshold equal to a score includes every record with that score: use the last of ties
    last_of_tie = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1 = np.where(last_of_tie, f1, -1.0)
    best = int(np.argmax(f1))
    return float(p_sorted[best]), float(f1[best])


def choose_thresholds(y_true: np.ndarray, probs: np.ndarray, classes: list[str]) -> dict[str, Threshold]:
    """F1-optimal threshold per statement on validation labels ``y_true`` and scores ``probs``."""
    out: dict[str, Threshold] = {}
    for j, code in enumerate(classes):
        n_pos = int(y_true[:, j].sum())
        if n_pos == 0:
            out[code] = Threshold(DEFAULT_THRESHOLD, "default: no positive validation record", None, 0)
            continue
        value, f1 = best_f1_threshold(y_true[:, j], probs[:, j])
        out[code] = Threshold(value, "max F1 on validation fold", round(f1, 4), n_pos)
    return out
