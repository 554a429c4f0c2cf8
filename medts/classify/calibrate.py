"""Per-statement decision thresholds: when a classifier asserts a statement.

The networks output sigmoid scores; a report needs present/absent. A :class:`DecisionRule` turns
the labels and scores of a *selection split* (PTB-XL fold 9 for the shipped adapters) into one
threshold per statement (present when ``probability >= threshold``):

1. **Support.** A statement needs at least ``min_support`` positive selection records for a
   data-chosen threshold. With fewer, the F1 optimum sits on the score of one or two records
   (0.001-0.01 for rare codes of the first adapters, which then fired on up to 40% of records),
   so the statement gets the fixed ``default`` instead.
2. **Optimum.** Otherwise the threshold maximises F-beta on the selection records.
3. **Floor.** The threshold is raised to at least ``floor``: no statement is asserted below that
   probability.

Why these numbers (:data:`DEFAULT_RULE`: support 5, floor 0.15, default 0.25). The shipped
ensembles' fold-9 probabilities are calibrated (pooled over the 71 statements, records with
``p`` in 0.1-0.15 / 0.2-0.3 / >= 0.5 were positive 15 % / 30 % / 86 % of the time), so an
assertion at ``p`` is true about ``p`` of the time, and the F1-optimal threshold of a calibrated
score is half the attainable F1 (Lipton et al., 2014). The floor 0.15 therefore drops assertions
that are true less than ~15 % of the time (statements whose attainable F1 is below 0.3); the
default 0.25 is the calibrated F1 optimum of a statement with attainable F1 0.5. The constants
were picked from a small grid scored by choosing on one patient half of fold 9 and scoring on
the other (``medts bench thresholds`` shows the grid), so they are tuned on fold 9 as the
thresholds are. ``LEGACY_RULE`` (any support, no floor) is the first adapters' rule, kept for
comparison.

Example
-------
>>> import numpy as np
>>> y = np.array([[1], [1], [0], [0]], np.float32)
>>> p = np.array([[0.4], [0.35], [0.3], [0.1]], np.float32)
>>> t = choose_thresholds(y, p, ["X"], LEGACY_RULE)["X"]
>>> round(t.threshold, 4), t.f1
(0.35, 1.0)
>>> choose_thresholds(y, p, ["X"], DEFAULT_RULE)["X"].source   # 2 positives < support 5
'default: fewer than 5 positive validation records'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from medts.classify.metrics import best_f1_threshold, f1_at

DEFAULT_THRESHOLD = 0.5
"""The legacy rule's threshold for statements without any positive selection record."""


@dataclass(frozen=True)
class DecisionRule:
    """How per-statement thresholds are chosen on a selection split (see the module docstring).

    Attributes
    ----------
    beta : float
        F-beta optimised (1: F1; below 1 favours precision).
    min_support : int
        Positive selection records needed for a data-chosen threshold.
    floor : float
        Smallest threshold (probability) a data-chosen threshold may have, in [0, 1].
    default : float
        Threshold of statements with fewer than ``min_support`` positives.
    """

    beta: float = 1.0
    min_support: int = 5
    floor: float = 0.15
    default: float = 0.25

    def __post_init__(self) -> None:
        if self.beta <= 0 or self.min_support < 1 or not 0 <= self.floor <= 1 or not 0 <= self.default <= 1:
            raise ValueError(f"invalid decision rule {self}: needs beta > 0, min_support >= 1, floor and default in [0, 1]")

    @property
    def name(self) -> str:
        """Short description, e.g. ``max F1, support >= 5, floor 0.1, default 0.5``."""
        f = "F1" if self.beta == 1 else f"F{self.beta:g}"
        return f"max {f}, support >= {self.min_support}, floor {self.floor:g}, default {self.default:g}"

    def to_dict(self) -> dict:
        return {**asdict(self), "name": self.name}

    @classmethod
    def from_dict(cls, d: dict) -> DecisionRule:
        return cls(**{k: d[k] for k in ("beta", "min_support", "floor", "default") if k in d})


DEFAULT_RULE = DecisionRule()
"""The rule of the shipped adapters: max F1 with at least 5 positive selection records, floor 0.15, else 0.25."""
LEGACY_RULE = DecisionRule(min_support=1, floor=0.0, default=DEFAULT_THRESHOLD)
"""The first adapters' rule: max F1 whatever the support, no floor (0.5 only without any positive)."""


@dataclass(frozen=True)
class Threshold:
    """Decision threshold of one statement: present when ``probability >= threshold``.

    ``f1`` is the selection records' F1 at ``threshold`` (None without a positive record);
    ``optimum`` the F-beta-optimal threshold before the support and floor rules (None when not
    computed). Manifests written before ``optimum`` existed load unchanged.
    """

    threshold: float
    source: str
    f1: float | None
    n_positive: int
    optimum: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def choose_thresholds(y_true: np.ndarray, probs: np.ndarray, classes: list[str],
                      rule: DecisionRule = DEFAULT_RULE) -> dict[str, Threshold]:
    """One :class:`Threshold` per statement from selection labels ``y_true [n, c]`` and scores ``probs [n, c]``.

    Example
    -------
    >>> y = np.array([[1], [1], [1], [1], [1], [0], [0]], np.float32)
    >>> p = np.array([[0.09], [0.08], [0.07], [0.06], [0.05], [0.01], [0.02]], np.float32)
    >>> t = choose_thresholds(y, p, ["X"])["X"]   # optimum 0.05 raised to the 0.15 floor
    >>> t.threshold, round(t.optimum, 2), t.source
    (0.15, 0.05, 'max F1 on validation fold, raised to the floor')
    """
    out: dict[str, Threshold] = {}
    for j, code in enumerate(classes):
        y, p = y_true[:, j], probs[:, j]
        n_pos = int(y.sum())
        if n_pos == 0:
            out[code] = Threshold(rule.default, "default: no positive validation record", None, 0)
            continue
        optimum, _ = best_f1_threshold(y, p, rule.beta)
        if n_pos < rule.min_support:
            value, source = rule.default, f"default: fewer than {rule.min_support} positive validation records"
        elif optimum < rule.floor:
            value, source = rule.floor, "max F1 on validation fold, raised to the floor"
        else:
            value, source = optimum, "max F1 on validation fold"
        out[code] = Threshold(value, source, round(f1_at(y, p, value), 4), n_pos, optimum)
    return out


def rule_manifest(rule: DecisionRule, *, fold: int, n_records: int, level: str) -> dict:
    """The ``decision_rule`` entry of an adapter manifest: the rule and the records it chose on.

    >>> rule_manifest(DEFAULT_RULE, fold=9, n_records=301, level="superdiagnostic")["chosen_on"]
    'PTB-XL fold 9, 301 records with a superdiagnostic label'
    """
    return {**rule.to_dict(), "chosen_on": f"PTB-XL fold {fold}, {n_records} records with a {level} label",
            "evaluated_in": "eval/results/thresholds.md"}


def apply_thresholds(probs: np.ndarray, classes: list[str], thresholds: dict[str, Threshold]) -> np.ndarray:
    """Present/absent ``bool [n, c]`` for scores ``probs [n, c]`` (present when ``p >= threshold``)."""
    cut = np.array([thresholds[c].threshold for c in classes], probs.dtype)
    return probs >= cut[None, :]
