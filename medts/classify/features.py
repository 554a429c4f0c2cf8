"""Engine-measurement features the late-fusion heads read (:mod:`medts.classify.fusion`).

One definition for training (:mod:`medts.bench.hybrid`, the nested-CV rows and the shipped heads) and
inference (``medts classify``): intervals, HRV and rhythm features that survive per-lead z-scoring, mV
features (axes as cos/sin, voltages, ST at J+60 ms and T amplitude per lead), and the same ST/T levels
measured on the classifier's standardised input (:data:`SHAPE_FEATURES`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medts.record import STANDARD_LEADS

_SCALARS = ("hr_bpm", "rr_ms", "pr_ms", "p_duration_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms")
_AXES = ("p_axis_deg", "qrs_axis_deg", "t_axis_deg")
_VOLTAGES = ("sokolow_lyon_mv", "cornell_mv")
_HRV = ("sdnn_ms", "rmssd_ms", "pnn50_pct")
_RHYTHM = ("rr_cv", "rr_successive_irregularity", "p_wave_fraction", "p_template_fraction")

TIMING_FEATURES: tuple[str, ...] = (("n_beats",) + _SCALARS + tuple(f"hrv_{k}" for k in _HRV)
                                    + tuple(f"rhythm_{k}" for k in _RHYTHM))
"""Features that survive per-lead z-scoring (ms, bpm, fractions): measured on every record."""
AMPLITUDE_FEATURES: tuple[str, ...] = (tuple(f"{a}_{f}" for a in _AXES for f in ("cos", "sin")) + _VOLTAGES
                                       + tuple(f"st_j60_mv_{lead}" for lead in STANDARD_LEADS)
                                       + tuple(f"t_amplitude_mv_{lead}" for lead in STANDARD_LEADS))
"""Features that need mV (axes as cos/sin so -179 and 179 degrees are neighbours): raw records only."""
FEATURE_NAMES: tuple[str, ...] = TIMING_FEATURES + AMPLITUDE_FEATURES


SHAPE_FEATURES: tuple[str, ...] = (tuple(f"st_j60_z_{lead}" for lead in STANDARD_LEADS)
                                   + tuple(f"t_amplitude_z_{lead}" for lead in STANDARD_LEADS))
"""ST level at J+60 ms and T amplitude per lead, measured on the per-lead standardised training signals
(``cache.signals``, every record): in units of the lead's SD, which the QRS dominates, so roughly ST/QRS and
T/QRS ratios. Unlike the mV features they exist for the processed-only records too."""
ALL_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + SHAPE_FEATURES
"""The columns the hybrid learners see: :data:`FEATURE_NAMES` then :data:`SHAPE_FEATURES`."""


def _value(v: Any) -> float:
    """A :class:`~medts.signal.intervals.Value`'s number, NaN when unmeasured."""
    return float("nan") if v is None or v.value is None else float(v.value)


def features_from_measurements(m: Any, *, amplitudes: bool = True) -> np.ndarray:
    """``float64 [len(FEATURE_NAMES)]`` from a :class:`~medts.signal.measure.Measurements`, in
    :data:`FEATURE_NAMES` order; NaN where unmeasured, and for every amplitude feature when
    ``amplitudes`` is False (signals not in mV)."""
    out = [float(m.n_beats)] + [_value(getattr(m, k)) for k in _SCALARS]
    out += [_value(m.hrv.get(k)) for k in _HRV] + [_value(getattr(m.rhythm, k)) for k in _RHYTHM]
    amp: list[float] = []
    for a in _AXES:
        rad = np.deg2rad(_value(getattr(m, a)))
        amp += [float(np.cos(rad)), float(np.sin(rad))]
    amp += [_value(getattr(m, k)) for k in _VOLTAGES]
    amp += [_value(m.st_j60_mv.get(lead)) for lead in STANDARD_LEADS]
    amp += [_value(m.t_amplitude_mv.get(lead)) for lead in STANDARD_LEADS]
    if not amplitudes:
        amp = [float("nan")] * len(amp)
    return np.asarray(out + amp, np.float64)


def shape_values(m: Any) -> np.ndarray:
    """:data:`SHAPE_FEATURES` ``float64 [24]`` from the :class:`~medts.signal.measure.Measurements` of a per-lead
    standardised signal (ST at J+60 ms, then T amplitude, per lead in :data:`STANDARD_LEADS` order; NaN unmeasured)."""
    return np.asarray([_value(m.st_j60_mv.get(lead)) for lead in STANDARD_LEADS]
                      + [_value(m.t_amplitude_mv.get(lead)) for lead in STANDARD_LEADS], np.float64)
