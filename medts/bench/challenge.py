"""The PhysioNet/CinC Challenge 2021 score for sets of SNOMED CT diagnoses.

The Challenge (Reyna et al., CinC 2021, "Will Two Do? Varying Dimensions in Electrocardiography")
scores 26 diagnoses (:data:`medts.labels.CINC2021_SCORED`; codes joined by ``|`` count as one).
Each record adds ``1 / n`` to ``A[true, predicted]`` for every pair of a true and a predicted
diagnosis, where ``n`` is the number of diagnoses either true or predicted for that record
(at least 1). The score is ``sum(W * A)`` with the Challenge's weight matrix ``W`` (1 on the
diagonal, partial credit for related diagnoses), normalised so that predicting the truth scores
1 and always predicting "sinus rhythm" alone scores 0.

The weights are the 26-class ``weights.csv`` of github.com/physionetchallenges/evaluation-2021
(BSD-2-Clause), as reproduced in DeepPSP/torch_ecg ``torch_ecg/databases/aux_data/cinc2021_aux_data.py``;
the implementation here follows the published definition (it is not the Challenge's code).

Example
-------
>>> score = challenge_score([{"164889003"}, {"426783006"}], [{"164889003"}, {"426783006"}])
>>> score.normalized
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medts.labels import CINC2021_SCORED

NORMAL_CLASS = "426783006"
"""The class the "inactive" reference predicts for every record (sinus rhythm)."""

_WEIGHT_ROWS = """
    1.0,0.5,0.475,0.3,0.475,0.4,0.3,0.3,0.35,0.35,0.3,0.425,0.45,0.35,0.25,0.3375,0.375,0.425,0.375,0.4,0.35,0.3,0.3,0.375,0.5,0.5
    0.5,1.0,0.475,0.3,0.475,0.4,0.3,0.3,0.35,0.35,0.3,0.425,0.45,0.35,0.25,0.3375,0.375,0.425,0.375,0.4,0.35,0.3,0.3,0.375,0.5,0.5
    0.475,0.475,1.0,0.325,0.475,0.425,0.325,0.325,0.375,0.375,0.325,0.45,0.475,0.375,0.275,0.3625,0.4,0.45,0.4,0.375,0.375,0.325,0.325,0.4,0.475,0.475
    0.3,0.3,0.325,1.0,0.325,0.4,0.5,0.5,0.45,0.45,0.5,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,0.5,0.5,0.425,0.3,0.3
    0.475,0.475,0.475,0.325,1.0,0.425,0.325,0.325,0.375,0.375,0.325,0.45,0.475,0.375,0.275,0.3625,0.4,0.45,0.4,0.375,0.375,0.325,0.325,0.4,0.475,0.475
    0.4,0.4,0.425,0.4,0.425,1.0,0.4,0.4,0.45,0.45,0.4,0.475,0.45,0.45,0.35,0.4375,0.475,0.475,0.475,0.3,0.45,0.4,0.4,0.475,0.4,0.4
    0.3,0.3,0.325,0.5,0.325,0.4,1.0,0.5,0.45,0.45,0.5,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,0.5,0.5,0.425,0.3,0.3
    0.3,0.3,0.325,0.5,0.325,0.4,0.5,1.0,0.45,0.45,0.5,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,0.5,0.5,0.425,0.3,0.3
    0.35,0.35,0.375,0.45,0.375,0.45,0.45,0.45,1.0,0.5,0.45,0.425,0.4,0.5,0.4,0.4875,0.475,0.425,0.475,0.25,0.5,0.45,0.45,0.475,0.35,0.35
    0.35,0.35,0.375,0.45,0.375,0.45,0.45,0.45,0.5,1.0,0.45,0.425,0.4,0.5,0.4,0.4875,0.475,0.425,0.475,0.25,0.5,0.45,0.45,0.475,0.35,0.35
    0.3,0.3,0.325,0.5,0.325,0.4,0.5,0.5,0.45,0.45,1.0,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,0.5,0.5,0.425,0.3,0.3
    0.425,0.425,0.45,0.375,0.45,0.475,0.375,0.375,0.425,0.425,0.375,1.0,0.475,0.425,0.325,0.4125,0.45,0.475,0.45,0.325,0.425,0.375,0.375,0.45,0.425,0.425
    0.45,0.45,0.475,0.35,0.475,0.45,0.35,0.35,0.4,0.4,0.35,0.475,1.0,0.4,0.3,0.3875,0.425,0.475,0.425,0.35,0.4,0.35,0.35,0.425,0.45,0.45
    0.35,0.35,0.375,0.45,0.375,0.45,0.45,0.45,0.5,0.5,0.45,0.425,0.4,1.0,0.4,0.4875,0.475,0.425,0.475,0.25,0.5,0.45,0.45,0.475,0.35,0.35
    0.25,0.25,0.275,0.45,0.275,0.35,0.45,0.45,0.4,0.4,0.45,0.325,0.3,0.4,1.0,0.4125,0.375,0.325,0.375,0.15,0.4,0.45,0.45,0.375,0.25,0.25
    0.3375,0.3375,0.3625,0.4625,0.3625,0.4375,0.4625,0.4625,0.4875,0.4875,0.4625,0.4125,0.3875,0.4875,0.4125,1.0,0.4625,0.4125,0.4625,0.2375,0.4875,0.4625,0.4625,0.4625,0.3375,0.3375
    0.375,0.375,0.4,0.425,0.4,0.475,0.425,0.425,0.475,0.475,0.425,0.45,0.425,0.475,0.375,0.4625,1.0,0.45,0.5,0.275,0.475,0.425,0.425,0.5,0.375,0.375
    0.425,0.425,0.45,0.375,0.45,0.475,0.375,0.375,0.425,0.425,0.375,0.475,0.475,0.425,0.325,0.4125,0.45,1.0,0.45,0.325,0.425,0.375,0.375,0.45,0.425,0.425
    0.375,0.375,0.4,0.425,0.4,0.475,0.425,0.425,0.475,0.475,0.425,0.45,0.425,0.475,0.375,0.4625,0.5,0.45,1.0,0.275,0.475,0.425,0.425,0.5,0.375,0.375
    0.4,0.4,0.375,0.2,0.375,0.3,0.2,0.2,0.25,0.25,0.2,0.325,0.35,0.25,0.15,0.2375,0.275,0.325,0.275,1.0,0.25,0.2,0.2,0.275,0.4,0.4
    0.35,0.35,0.375,0.45,0.375,0.45,0.45,0.45,0.5,0.5,0.45,0.425,0.4,0.5,0.4,0.4875,0.475,0.425,0.475,0.25,1.0,0.45,0.45,0.475,0.35,0.35
    0.3,0.3,0.325,0.5,0.325,0.4,0.5,0.5,0.45,0.45,0.5,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,1.0,0.5,0.425,0.3,0.3
    0.3,0.3,0.325,0.5,0.325,0.4,0.5,0.5,0.45,0.45,0.5,0.375,0.35,0.45,0.45,0.4625,0.425,0.375,0.425,0.2,0.45,0.5,1.0,0.425,0.3,0.3
    0.375,0.375,0.4,0.425,0.4,0.475,0.425,0.425,0.475,0.475,0.425,0.45,0.425,0.475,0.375,0.4625,0.5,0.45,0.5,0.275,0.475,0.425,0.425,1.0,0.375,0.375
    0.5,0.5,0.475,0.3,0.475,0.4,0.3,0.3,0.35,0.35,0.3,0.425,0.45,0.35,0.25,0.3375,0.375,0.425,0.375,0.4,0.35,0.3,0.3,0.375,1.0,0.5
    0.5,0.5,0.475,0.3,0.475,0.4,0.3,0.3,0.35,0.35,0.3,0.425,0.45,0.35,0.25,0.3375,0.375,0.425,0.375,0.4,0.35,0.3,0.3,0.375,0.5,1.0
"""

SCORED_CLASSES: tuple[str, ...] = tuple(codes for codes, _ in CINC2021_SCORED)
WEIGHTS = np.array([[float(v) for v in row.split(",")] for row in _WEIGHT_ROWS.split()], np.float64)
_CLASS_OF: dict[str, int] = {code: i for i, codes in enumerate(SCORED_CLASSES) for code in codes.split("|")}


@dataclass(frozen=True)
class ChallengeScore:
    """Challenge score of a set of predictions and its two reference points."""

    normalized: float
    """``(observed - inactive) / (correct - inactive)``: 1 is perfect, 0 is "sinus rhythm always"."""
    observed: float
    correct: float
    inactive: float
    n_records: int


def scored_class(code: str) -> int | None:
    """Index of a SNOMED code among :data:`SCORED_CLASSES` (None when the Challenge does not score it)."""
    return _CLASS_OF.get(str(code).strip())


def _matrix(code_sets: list[set[str]]) -> np.ndarray:
    out = np.zeros((len(code_sets), len(SCORED_CLASSES)), bool)
    for row, codes in enumerate(code_sets):
        for code in codes:
            index = scored_class(code)
            if index is not None:
                out[row, index] = True
    return out


def _weighted(labels: np.ndarray, outputs: np.ndarray) -> float:
    n = np.maximum((labels | outputs).sum(axis=1), 1).astype(np.float64)  # per record
    a = (labels[:, :, None] & outputs[:, None, :]).astype(np.float64) / n[:, None, None]
    return float((WEIGHTS * a.sum(axis=0)).sum())


def challenge_score(truth: list[set[str]], predicted: list[set[str]]) -> ChallengeScore:
    """Score ``predicted`` SNOMED code sets against ``truth`` (one set per record; unscored codes ignored)."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} truth sets but {len(predicted)} prediction sets")
    labels, outputs = _matrix(truth), _matrix(predicted)
    inactive_outputs = np.zeros_like(labels)
    inactive_outputs[:, _CLASS_OF[NORMAL_CLASS]] = True
    observed = _weighted(labels, outputs)
    correct = _weighted(labels, labels)
    inactive = _weighted(labels, inactive_outputs)
    normalized = (observed - inactive) / (correct - inactive) if correct != inactive else float("nan")
    return ChallengeScore(normalized=float(normalized), observed=observed, correct=correct, inactive=inactive,
                          n_records=len(truth))
