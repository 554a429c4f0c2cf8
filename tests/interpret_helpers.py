"""Shared helpers for the medts.interpret tests: real measurements of simulated records, edited
where a test needs a value the simulator does not produce, and classifier scores."""

from __future__ import annotations

from functools import cache

from medts.interpret import ClassifierScore
from medts.signal import measure_ecg
from medts.signal.intervals import Value
from medts.simulate import simulate_12lead


@cache
def measured(hr_bpm: float = 70.0, af: bool = False, seed: int = 3, leads: tuple[str, ...] | None = None, fs: float = 500.0):
    """``(ecg, measure_ecg(ecg))`` of a simulated 10 s record (cached: measurement is the slow part)."""
    ecg = simulate_12lead(duration_s=10.0, fs=fs, hr_bpm=hr_bpm, seed=seed, atrial_fibrillation=af, record_id=f"sim{hr_bpm:g}")
    if leads is not None:
        ecg = ecg.select_leads(list(leads))
    return ecg, measure_ecg(ecg)


def with_values(m, **values: float | None):
    """A copy of measurements ``m`` with some values replaced (e.g. ``qrs_ms=140``)."""
    update = {}
    for name, v in values.items():
        old = getattr(m, name)
        update[name] = Value(value=v, unit=old.unit, quality="good") if v is not None else Value.missing(old.unit, "edited")
    return m.model_copy(update=update)


def scores(**probabilities: float) -> list[ClassifierScore]:
    """Classifier scores at threshold 0.5: ``scores(CLBBB=0.8, NORM=0.2)``."""
    return [ClassifierScore(code=c, probability=p, threshold=0.5, present=p >= 0.5, source="test classifier")
            for c, p in probabilities.items()]
