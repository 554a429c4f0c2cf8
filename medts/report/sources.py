"""The tools a report is built from, each behind one small interface.

A report section comes from exactly one *source*: an object with ``name`` and a method that
takes an :class:`~medts.record.ECG` and returns that section (a model from
:mod:`medts.report.schema`). Each default source imports its medts component lazily; when the
component is not installed yet, has no shipped weights, or fails on the record, the section
comes back with ``status.available = False`` and the reason, never with made-up content.

============================  ======================================  =============================
section                       default source                          component
============================  ======================================  =============================
quality, measurements,        :class:`SignalSource`                   ``medts.signal.measure_ecg``
rhythm/axis, waves
statements                    :class:`ClassifierSource`               ``medts.classify.predict``
                                                                      (``adapters/classifier-*``)
anomalies, waves (fallback)   :class:`SegmentationSource`             ``medts.medtsllm`` heads
interpretation                :class:`~medts.report.text.TemplateText` ``medts.agent`` (hook)
============================  ======================================  =============================

To plug in another tool, pass any object with the same method to
:func:`medts.report.build.build_report` (``sources=Sources(...)``).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from medts.record import ECG
from medts.report.schema import (
    Anomalies,
    LeadQuality,
    Measurement,
    Measurements,
    Quality,
    RhythmAxis,
    SectionStatus,
    StatementFinding,
    Statements,
    WaveMark,
    Waves,
)
from medts.agent.tools import find_callable
from medts.signal.intervals import axis_category

# name -> (label, unit, normal low, normal high). Adult resting 12-lead reference ranges as
# printed by common ECG machines (AHA/ACCF/HRS 2009 recommendations); QTc upper limit is
# sex-specific and set in ``normal_range``.
NORMAL_RANGES: dict[str, tuple[str, str, float | None, float | None]] = {
    "hr_bpm": ("Heart rate", "bpm", 60.0, 100.0),
    "rr_ms": ("RR interval", "ms", 600.0, 1000.0),
    "pr_ms": ("PR interval", "ms", 120.0, 200.0),
    "p_duration_ms": ("P duration", "ms", None, 120.0),
    "qrs_ms": ("QRS duration", "ms", None, 110.0),
    "qt_ms": ("QT interval", "ms", None, None),
    "qtc_bazett_ms": ("QTc (Bazett)", "ms", None, 450.0),
    "qtc_fridericia_ms": ("QTc (Fridericia)", "ms", None, 450.0),
    "p_axis_deg": ("P axis", "deg", 0.0, 75.0),
    "qrs_axis_deg": ("QRS axis", "deg", -30.0, 90.0),
    "t_axis_deg": ("T axis", "deg", None, None),
    "sokolow_lyon_mv": ("Sokolow-Lyon voltage", "mV", None, 3.5),
    "cornell_mv": ("Cornell voltage", "mV", None, 2.8),
}


def normal_range(name: str, sex: str | None) -> tuple[float | None, float | None]:
    """Adult normal range of ``name``: QTc upper limit 450 ms men / 460 ms women, Cornell 2.8 / 2.0 mV.

    >>> normal_range("qtc_bazett_ms", "F")
    (None, 460.0)
    """
    _, _, low, high = NORMAL_RANGES.get(name, (name, "", None, None))
    if name.startswith("qtc") and sex == "F":
        high = 460.0
    if name == "cornell_mv" and sex == "F":
        high = 2.0
    return low, high


def flag_value(value: float | None, low: float | None, high: float | None) -> str:
    """``normal``, ``low`` or ``high`` against the range; ``unmeasured`` for None/NaN.

    >>> flag_value(212.0, 120.0, 200.0), flag_value(None, 120.0, 200.0)
    ('high', 'unmeasured')
    """
    if value is None or not math.isfinite(value):
        return "unmeasured"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


def _unavailable(tool: str, reason: str) -> SectionStatus:
    return SectionStatus(available=False, tool=tool, reason=reason)


def _ok(tool: str) -> SectionStatus:
    return SectionStatus(available=True, tool=tool)


# ---------------------------------------------------------------------------------------------
# Signal: quality, measurements, rhythm/axis, waves
# ---------------------------------------------------------------------------------------------
@dataclass
class SignalSections:
    quality: Quality
    measurements: Measurements
    rhythm_axis: RhythmAxis
    waves: Waves
    rhythm_statements: list[StatementFinding] = field(default_factory=list)


class SignalProvider(Protocol):
    name: str

    def sections(self, ecg: ECG) -> SignalSections: ...


REPORTED_VALUES = ("hr_bpm", "rr_ms", "pr_ms", "p_duration_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms",
                   "qtc_fridericia_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg", "sokolow_lyon_mv", "cornell_mv")
"""Fields of ``medts.signal.Measurements`` shown in the measurements table, in this order."""


class SignalSource:
    """Quality, measurements, rhythm, axis and waves from :func:`medts.signal.measure_ecg`.

    Without ``medts.signal`` (or when it fails on a record) quality still comes from
    :meth:`ECG.problems` (flat/saturated leads) and the other sections say why they are empty.
    """

    def __init__(self) -> None:
        try:
            from medts.signal import measure_ecg

            self._func, self._why = measure_ecg, None
            self.name = "medts.signal.measure_ecg"
        except ImportError as error:
            self._func, self._why = None, f"medts.signal not importable ({error.msg})"
            self.name = "medts.signal (unavailable)"

    def sections(self, ecg: ECG) -> SignalSections:
        if self._func is None:
            return self._empty(ecg, f"measurements tool not available: {self._why}")
        try:
            m = self._func(ecg)
        except Exception as error:  # noqa: BLE001 - one record's failure becomes a section note
            return self._empty(ecg, f"{self.name} failed: {type(error).__name__}: {error}")
        rhythm_axis, rhythm_codes = rhythm_from_measurements(m, self.name)
        return SignalSections(quality=quality_from_measurements(m, self.name),
                              measurements=measurements_table(m, ecg.sex, self.name),
                              rhythm_axis=rhythm_axis, waves=waves_from_beats(m, self.name),
                              rhythm_statements=rhythm_codes)

    def _empty(self, ecg: ECG, reason: str) -> SignalSections:
        return SignalSections(quality=basic_quality(ecg),
                              measurements=Measurements(status=_unavailable(self.name, reason)),
                              rhythm_axis=RhythmAxis(status=_unavailable(self.name, reason)),
                              waves=Waves(status=_unavailable(self.name, reason)))


def basic_quality(ecg: ECG) -> Quality:
    """Quality from :meth:`ECG.problems` only (flat and saturated leads)."""
    problems = ecg.problems()
    leads = [LeadQuality(lead=lead, usable=not any(f"lead {lead} " in p for p in problems),
                         problems=[p for p in problems if f"lead {lead} " in p]) for lead in ecg.leads]
    return Quality(status=_ok("medts.record.ECG.problems"), overall=_grade(leads, problems), leads=leads, problems=problems)


def _grade(leads: list[LeadQuality], problems: list[str]) -> str:
    """``good`` (all leads usable), ``acceptable`` (at least half), ``poor`` (fewer)."""
    if not leads:
        return "unknown"
    n_ok = sum(q.usable for q in leads)
    if n_ok == len(leads):
        return "good"
    return "acceptable" if n_ok >= len(leads) / 2 else "poor"


def quality_from_measurements(m: Any, tool: str) -> Quality:
    leads = [LeadQuality(lead=q.lead, usable=q.usable, problems=list(q.flags), score=q.beat_correlation)
             for q in m.lead_quality]
    problems = list(m.warnings)
    problems += [f"lead {q.lead}: {', '.join(q.flags)}" for q in m.lead_quality if q.flags]
    if m.limb_lead_reversal and m.limb_lead_reversal not in problems:
        problems.append(m.limb_lead_reversal)
    return Quality(status=_ok(tool), overall=_grade(leads, problems), leads=leads, problems=problems)


def measurements_table(m: Any, sex: str | None, tool: str) -> Measurements:
    """The :data:`REPORTED_VALUES` of a ``medts.signal.Measurements`` with ranges and flags."""
    items = []
    for name in REPORTED_VALUES:
        v = getattr(m, name, None)
        if v is None:
            continue
        low, high = normal_range(name, sex)
        value = None if v.value is None else round(float(v.value), 3 if v.unit == "mV" else 1)
        items.append(Measurement(name=name, label=NORMAL_RANGES.get(name, (name,))[0], value=value, unit=v.unit,
                                 normal_low=low, normal_high=high, flag=flag_value(value, low, high),
                                 quality=v.quality, reason=v.reason))
    return Measurements(status=_ok(tool), items=items)


def rhythm_from_measurements(m: Any, tool: str) -> tuple[RhythmAxis, list[StatementFinding]]:
    """Rhythm label from RR regularity, P-wave presence and rate; QRS axis and its category.

    Rules (stated in ``rhythm_reason``): irregular RR without consistent P waves -> "irregular
    rhythm without P waves (atrial fibrillation-like)" (AFIB); P waves before >= 80 % of QRS with
    regular RR -> sinus rhythm (SR), sinus tachycardia > 100 bpm (STACH), sinus bradycardia
    < 60 bpm (SBRAD). Anything else stays "undetermined". The matching SCP rhythm codes are
    returned as statements with ``source = medts.signal rules``.
    """
    r = m.rhythm
    hr = m.hr_bpm.value
    p_frac = r.p_wave_fraction.value
    irregularity = r.rr_successive_irregularity.value
    axis = m.qrs_axis_deg.value
    rhythm, code, regular = None, None, None
    if irregularity is not None:
        regular = irregularity <= 0.06
    if r.irregular_without_p_waves:
        rhythm, code = "irregular rhythm without consistent P waves (atrial fibrillation-like)", "AFIB"
    elif p_frac is not None and p_frac >= 0.8 and regular and hr is not None:
        if hr > 100:
            rhythm, code = "sinus tachycardia", "STACH"
        elif hr < 60:
            rhythm, code = "sinus bradycardia", "SBRAD"
        else:
            rhythm, code = "sinus rhythm", "SR"
    elif hr is not None:
        rhythm = "undetermined"
    reason = (f"P waves before {_pct(p_frac)} of QRS complexes; successive RR irregularity "
              f"{_num(irregularity)}; heart rate {_num(hr)} bpm")
    section = RhythmAxis(status=_ok(tool), rhythm=rhythm, rhythm_reason=reason, regular=regular,
                         axis_deg=axis, axis_category=axis_category(axis))
    findings = []
    if code:
        from medts.labels import STATEMENTS

        findings.append(StatementFinding(code=code, description=STATEMENTS[code].description, source="medts.signal rules",
                                         level="rhythm", evidence=reason))
    return section, findings


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.0f} %"


def _num(x: float | None) -> str:
    return "?" if x is None else f"{x:.3g}"


def waves_from_beats(m: Any, tool: str) -> Waves:
    """P/QRS/T onset-offset spans (seconds) of every beat, for overlays."""
    marks = []
    for beat in m.beats:
        for kind, on, off in (("P", beat.p_on, beat.p_off), ("QRS", beat.qrs_on, beat.qrs_off), ("T", beat.t_on, beat.t_off)):
            if on is not None and off is not None and off > on:
                marks.append(WaveMark(kind=kind, onset_s=round(on / m.fs_hz, 4), offset_s=round(off / m.fs_hz, 4)))
    if not marks:
        return Waves(status=_unavailable(tool, "no wave delineated"))
    return Waves(status=_ok(tool), lead="all leads (fused)", items=marks)


# ---------------------------------------------------------------------------------------------
# Statements: PTB-XL classifiers
# ---------------------------------------------------------------------------------------------
STATEMENT_LEVELS = ("all", "diagnostic", "form", "rhythm", "superdiagnostic")
"""Classifier adapters the report looks for, in order; ``all`` gives SCP codes directly."""


class StatementProvider(Protocol):
    name: str

    def statements_many(self, ecgs: list[ECG]) -> list[Statements]: ...


@dataclass
class ClassifierSource:
    """Statements from the shipped PTB-XL classifiers (``adapters/classifier-<level>``).

    Every adapter present is loaded once; a statement is asserted when its probability reaches
    the adapter's calibrated threshold. Evidence leads come from ``medts.classify.attribution``
    when that module offers ``lead_importance``; otherwise the list is empty and a note says so.
    """

    adapter_dirs: list[Path] | None = None
    name: str = "medts.classify"
    _classifiers: list[Any] = field(default_factory=list, init=False)
    _reason: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        try:
            from medts.classify.predict import Classifier, default_adapter_dir
        except ImportError as error:
            self._reason = f"medts.classify not importable ({error.msg})"
            return
        dirs = self.adapter_dirs or [default_adapter_dir(level) for level in STATEMENT_LEVELS]
        found = [d for d in dirs if (Path(d) / "manifest.json").is_file()]
        if not found:
            self._reason = "no classifier adapter shipped (looked in " + ", ".join(str(d) for d in dirs) + ")"
            return
        for folder in found:
            try:
                self._classifiers.append(Classifier.load(folder))
            except Exception as error:  # noqa: BLE001 - a broken adapter must not stop the batch
                self._reason = f"{folder}: {error}"
        self.name = ", ".join(c.name for c in self._classifiers) or self.name

    @property
    def available(self) -> bool:
        return bool(self._classifiers)

    def statements_many(self, ecgs: list[ECG]) -> list[Statements]:
        if not self._classifiers:
            return [Statements(status=_unavailable("medts.classify", self._reason or "unavailable")) for _ in ecgs]
        from medts.labels import STATEMENTS

        out: list[Statements] = [Statements(status=_ok(self.name)) for _ in ecgs]
        for clf in self._classifiers:
            try:
                predictions = clf.predict_many(ecgs)
            except Exception as error:  # noqa: BLE001
                for s in out:
                    s.notes.append(f"{clf.name} failed: {type(error).__name__}: {error}")
                continue
            for section, pred in zip(out, predictions):
                section.notes += [f"{clf.name}: {n}" for n in pred.notes]
                seen = set(section.codes())
                for sp in pred.statements:
                    if not sp.present or sp.code in seen:
                        continue
                    description = sp.description or (STATEMENTS[sp.code].description if sp.code in STATEMENTS else
                                                      _SUPERCLASS_TEXT.get(sp.code, sp.code))
                    section.asserted.append(StatementFinding(
                        code=sp.code, description=description, probability=round(sp.probability, 4),
                        threshold=round(sp.threshold, 4), source=clf.name, level=clf.level,
                    ))
        for section in out:
            section.asserted.sort(key=lambda s: -(s.probability or 0.0))
        return out


_SUPERCLASS_TEXT = {
    "NORM": "normal ECG", "MI": "myocardial infarction (any location)", "STTC": "ST/T changes",
    "CD": "conduction disturbance", "HYP": "hypertrophy",
}


# ---------------------------------------------------------------------------------------------
# Anomalies: MedTsLLM anomaly head
# ---------------------------------------------------------------------------------------------
class AnomalyProvider(Protocol):
    name: str

    def anomalies(self, ecg: ECG) -> Anomalies: ...


class SegmentationSource:
    """Anomalies from the MedTsLLM anomaly head.

    The hook: shipped weights under ``adapters/medtsllm-anomaly*/`` and a function
    ``medts.medtsllm.infer.detect_anomalies(ecg, adapter_dir) -> {"threshold": float, "items": [{start_s,
    end_s, score, lead}]}``. Nothing heavy is imported until both exist; until then the section says why
    it is empty.
    """

    def __init__(self, adapter_dirs: list[Path] | None = None) -> None:
        from medts.config import PROJECT_ROOT

        dirs = adapter_dirs if adapter_dirs is not None else sorted((PROJECT_ROOT / "adapters").glob("medtsllm-anomaly*"))
        self._adapter = next((Path(d) for d in dirs if (Path(d) / "manifest.json").is_file()), None)
        self._func, self._where = None, "no MedTsLLM anomaly adapter shipped (adapters/medtsllm-anomaly*/manifest.json)"
        if self._adapter is not None:
            self._func, self._where = find_callable((("medts.medtsllm.infer", "detect_anomalies"),))
        self.name = self._where if self._func else "medts.medtsllm (unavailable)"

    def anomalies(self, ecg: ECG) -> Anomalies:
        if self._func is None:
            return Anomalies(status=_unavailable("medts.medtsllm", f"anomaly head not available: {self._where}"))
        try:
            result = self._func(ecg, self._adapter)
        except Exception as error:  # noqa: BLE001
            return Anomalies(status=_unavailable(self._where, f"failed: {type(error).__name__}: {error}"))
        data = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
        items = data.get("items", data.get("anomalies", [])) if isinstance(data, dict) else list(data)
        from medts.report.schema import Anomaly

        return Anomalies(status=_ok(self._where),
                         threshold=data.get("threshold") if isinstance(data, dict) else None,
                         items=[Anomaly(**{k: v for k, v in dict(i).items() if k in Anomaly.model_fields}) for i in items])


def signal_peak_to_peak_mv(ecg: ECG) -> np.ndarray:
    """Peak-to-peak amplitude per lead in mV (used for the quality table)."""
    return np.ptp(ecg.signal, axis=0)
