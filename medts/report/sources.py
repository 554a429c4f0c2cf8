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
anomalies                     :class:`AnomalySource`                  ``medts.signal.beats`` (template
                                                                      + RR on the measured R peaks);
                                                                      MedTsLLM head with ``head=True``
interpretation                :class:`~medts.report.text.AgentText`   ``medts.agent.report_text``
                              (``--no-llm``: ``TemplateText``)
============================  ======================================  =============================

To plug in another tool, pass any object with the same method to
:func:`medts.report.build.build_report` (``sources=Sources(...)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from medts.record import ECG, STANDARD_LEADS
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
    r_peaks: list[int] | None = None  # fused R peaks (samples), reused by the anomaly section
    usable_leads: list[str] = field(default_factory=list)


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
                              rhythm_statements=rhythm_codes, r_peaks=[int(b.r_peak) for b in m.beats],
                              usable_leads=[q.lead for q in m.lead_quality if q.usable])

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

    Rules (stated in ``rhythm_reason``): irregular RR without consistent P waves -> "atrial
    fibrillation-like rhythm (irregular RR intervals; P waves inconsistent)" (AFIB; worded without
    "no"/"without" before the finding so that no reader takes it for a negation); P waves before >= 80 % of QRS with
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
        rhythm, code = "atrial fibrillation-like rhythm (irregular RR intervals; P waves inconsistent)", "AFIB"
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
    the adapter's calibrated threshold. Evidence leads (``evidence != "none"``) are computed for
    the asserted statements only (see :func:`lead_occlusion` and :func:`integrated_gradient_leads`).

    Parameters
    ----------
    evidence : {"occlusion", "integrated_gradients", "none"} or bool
        ``occlusion`` (default, ``True``): each lead zeroed in turn, the 13 copies of every record
        of the call scored in one batch by the cheapest ensemble member; ``integrated_gradients``: captum
        IG through :func:`medts.classify.attribution.explain` (leads and time spans; ~10x slower).
    """

    adapter_dirs: list[Path] | None = None
    name: str = "medts.classify"
    evidence: str | bool = "occlusion"
    _classifiers: list[Any] = field(default_factory=list, init=False)
    _reason: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.evidence = {True: "occlusion", False: "none"}.get(self.evidence, self.evidence)  # type: ignore[arg-type]
        if self.evidence not in EVIDENCE_METHODS:
            raise ValueError(f"evidence must be one of {EVIDENCE_METHODS}, got {self.evidence!r}")
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
        inputs: dict[float, list] = {}  # model rate -> model inputs, shared by the classifiers' evidence
        for clf in self._classifiers:
            try:
                predictions = clf.predict_many(ecgs)
            except Exception as error:  # noqa: BLE001
                for s in out:
                    s.notes.append(f"{clf.name} failed: {type(error).__name__}: {error}")
                continue
            evidence = self._evidence(clf, ecgs, predictions, out, inputs)
            for section, pred, leads_by_code in zip(out, predictions, evidence):
                section.notes += [f"{clf.name}: {n}" for n in pred.notes]
                seen = set(section.codes())
                for sp in pred.statements:
                    if not sp.present or sp.code in seen:
                        continue
                    description = sp.description or (STATEMENTS[sp.code].description if sp.code in STATEMENTS else
                                                      _SUPERCLASS_TEXT.get(sp.code, sp.code))
                    leads, why = leads_by_code.get(sp.code, ([], None))
                    section.asserted.append(StatementFinding(
                        code=sp.code, description=description, probability=round(sp.probability, 4),
                        threshold=round(sp.threshold, 4), source=clf.name, level=clf.level,
                        evidence_leads=leads, evidence=why,
                    ))
        for section in out:
            section.asserted.sort(key=lambda s: -(s.probability or 0.0))
        return out

    def _evidence(self, clf: Any, ecgs: list[ECG], predictions: list[Any], out: list[Statements],
                  inputs: dict[float, list]) -> list[dict[str, tuple[list[str], str]]]:
        """``{code: (evidence leads, how)}`` per record for the statements predicted present.

        ``inputs`` caches the records' model inputs by model rate across classifiers (the
        preprocessing is the same for every shipped classifier: computed once per record)."""
        empty: list[dict[str, tuple[list[str], str]]] = [{} for _ in ecgs]
        if self.evidence == "none":
            return empty
        try:
            if self.evidence == "integrated_gradients":
                return [integrated_gradient_leads(clf, e, p.present) for e, p in zip(ecgs, predictions)]
            return lead_occlusion(clf, ecgs, [p.present for p in predictions],
                                  inputs=inputs.setdefault(clf.fs_hz, [None] * len(ecgs)))
        except Exception as error:  # noqa: BLE001 - evidence is an extra; the statements stand without it
            for section in out:
                section.notes.append(f"{clf.name}: evidence leads failed: {type(error).__name__}: {error}")
            return empty


EVIDENCE_METHODS = ("occlusion", "integrated_gradients", "none")
EVIDENCE_TOP_K = 3
"""Evidence leads listed per statement (the leads whose removal lowers its probability most)."""


EVIDENCE_MEMBERS = 1
"""Ensemble members that score the occluded copies: the cheapest one (see :func:`evidence_members`)."""


def conv_macs(net: Any, window: int, n_leads: int = 12) -> int:
    """Multiply-accumulates of one forward pass of ``net`` on one ``[n_leads, window]`` window.

    Counted with forward hooks on the convolution and linear layers (output elements x inputs per
    output): deterministic, unlike timing, so every run picks the same member.

    >>> import torch
    >>> conv_macs(torch.nn.Conv1d(12, 4, 5), window=100)
    23040
    """
    import torch

    total = 0

    def count(module, inputs, output) -> None:
        nonlocal total
        if isinstance(module, torch.nn.Linear):
            total += output.numel() * module.in_features
        else:  # ConvNd: each output element sums in_channels / groups x kernel inputs
            total += output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)

    kinds = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear)
    hooks = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, kinds)]
    try:
        with torch.inference_mode():
            net(torch.zeros(1, n_leads, window))
    finally:
        for h in hooks:
            h.remove()
    return total


def evidence_members(clf: Any, members: int | None = EVIDENCE_MEMBERS) -> list[Any]:
    """The ``members`` cheapest inference members of ``clf`` (fewest :func:`conv_macs`), all for None.

    The shipped ensembles pair an inception1d member with an xresnet1d one; the xresnet1d member
    took 3x less CPU per window on the development machine, so occlusion uses it.
    """
    nets = list(clf.inference_members)
    if members is None or members >= len(nets):
        return nets
    cost = getattr(clf, "_medts_member_macs", None)
    if cost is None:
        cost = [conv_macs(net, clf.window) for net in nets]
        clf._medts_member_macs = cost  # cached on the loaded classifier: counted once per process
    order = sorted(range(len(nets)), key=lambda k: (cost[k], k))
    return [nets[k] for k in sorted(order[:members])]


def lead_occlusion(clf: Any, ecgs: list[ECG], codes: list[list[str]], *, top_k: int = EVIDENCE_TOP_K,
                   members: int | None = EVIDENCE_MEMBERS,
                   inputs: list[tuple[np.ndarray, list[str]] | None] | None = None) -> list[dict[str, tuple[list[str], str]]]:
    """Evidence leads by lead occlusion: the drop in each statement's probability when one lead is flat.

    For every record with statements in ``codes``, the classifier scores the record and its 12
    copies with one lead zeroed after standardisation (a flat lead, the baseline of
    :mod:`medts.classify.attribution`); all records of the call go through the network in one
    batch (``[records x 13 copies x windows]``). A statement's evidence leads are the ``top_k``
    leads whose removal lowers its probability most (positive drops only). This is captum's
    ``FeatureAblation`` with one feature per lead, computed for all statements at once. To keep it
    cheap only the cheapest ``members`` ensemble member(s) score the copies (None: all; see
    :func:`evidence_members`), on the classifier's own windows and stride, so the probabilities
    quoted in ``how`` are that member's, close to but not identical with the statement's.

    ``inputs``: a per-record cache of :func:`medts.classify.preprocess.model_input` at ``clf.fs_hz``
    (entries that are None are computed and stored), so several classifiers preprocess once.

    Returns
    -------
    list of dict
        Per record ``{code: (leads, "lead occlusion: probability 0.81 -> V2 0.42, V3 0.55, V1 0.63")}``.
    """
    from medts.classify.predict import predict_signals
    from medts.classify.preprocess import model_input

    out: list[dict[str, tuple[list[str], str]]] = [{} for _ in ecgs]
    cache = inputs if inputs is not None else [None] * len(ecgs)
    todo = [i for i, c in enumerate(codes) if c]
    by_length: dict[int, list[tuple[int, np.ndarray, list[str]]]] = {}
    for i in todo:
        if cache[i] is None:
            cache[i] = model_input(ecgs[i], fs_hz=clf.fs_hz)
        x, missing = cache[i]  # [n, 12] standardised
        by_length.setdefault(x.shape[0], []).append((i, x, missing))
    n_leads = len(STANDARD_LEADS)
    nets = evidence_members(clf, members)
    picked = [k + 1 for k, net in enumerate(clf.inference_members) if any(net is n for n in nets)]
    who = f"ensemble member{'s' if len(picked) > 1 else ''} {', '.join(map(str, picked))}"
    for group in by_length.values():
        batch = np.repeat(np.stack([x for _, x, _ in group])[:, None], n_leads + 1, axis=1)  # [records, 13, n, 12]
        for j in range(n_leads):
            batch[:, j + 1, :, j] = 0.0  # copy j + 1: lead j flat; copy 0: the original
        # The original is scored by the same member(s) and windows, so the drops compare like with like.
        probs = predict_signals(nets, batch.reshape(-1, *batch.shape[2:]), window=clf.window, stride=clf.stride,
                                aggregate=clf.aggregate)
        probs = probs.reshape(len(group), n_leads + 1, -1)  # [records, 13, classes]
        for (i, _, missing), p in zip(group, probs):
            for code in codes[i]:
                c = clf.classes.index(code)
                drop = p[0, c] - p[1:, c]  # [12]
                order = [j for j in np.argsort(-drop) if drop[j] > 0 and STANDARD_LEADS[j] not in missing][:top_k]
                leads = [STANDARD_LEADS[j] for j in order]
                how = (f"lead occlusion ({who}): probability {p[0, c]:.2f} -> "
                       + ", ".join(f"{STANDARD_LEADS[j]} flat {p[j + 1, c]:.2f}" for j in order)) if order else \
                    "lead occlusion: no single lead lowers the probability"
                out[i][code] = (leads, how)
    return out


def integrated_gradient_leads(clf: Any, ecg: ECG, codes: list[str], *,
                              top_k: int = EVIDENCE_TOP_K) -> dict[str, tuple[list[str], str]]:
    """Evidence leads and time spans from :func:`medts.classify.attribution.explain` (captum IG)."""
    if not codes:
        return {}
    from medts.classify.attribution import explain

    result = explain(clf, ecg, codes=list(codes), top_k=top_k)
    return {a.code: (list(a.top_leads), "integrated gradients: leads " + ", ".join(
        f"{lead} {a.lead_importance[lead]:.0%}" for lead in a.top_leads) + "; spans " + ", ".join(
        f"{t.start_s:g}-{t.end_s:g} s" for t in a.top_spans)) for a in result.statements}


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

    The hook: shipped weights under ``adapters/*anomaly*/`` and a function
    ``medts.medtsllm.infer.detect_anomalies(ecg, adapter_dir) -> {"threshold": float, "items": [{start_s,
    end_s, score, lead}]}``. Nothing heavy is imported until both exist; until then the section says why
    it is empty.
    """

    def __init__(self, adapter_dirs: list[Path] | None = None) -> None:
        from medts.config import PROJECT_ROOT

        dirs = adapter_dirs if adapter_dirs is not None else sorted((PROJECT_ROOT / "adapters").glob("*anomaly*"))
        self._adapter = next((Path(d) for d in dirs if (Path(d) / "manifest.json").is_file()), None)
        self._func, self._where = None, "no MedTsLLM anomaly adapter shipped (adapters/*anomaly*/manifest.json)"
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


class AnomalyProviderWithBeats(Protocol):
    name: str
    uses_beats: bool

    def anomalies(self, ecg: ECG, *, r_peaks: list[int] | None = None, usable_leads: list[str] | None = None) -> Anomalies: ...


ANOMALY_MIN_CORR = 0.8
ANOMALY_PREMATURE = 0.8
BEAT_HALF_S = 0.25


class AnomalySource:
    """Unusual beats: correlation with the record's median beat and RR prematurity (``medts.signal.beats``).

    The one template + RR beat detector of medts (the same features as the MedTsLLM anomaly
    baselines and the agent's ``anomalies`` tool), run on the R peaks the measurements already
    found (no second beat detection). A beat is listed when its ±0.25 s segment on the usable
    leads correlates below ``min_corr`` with the median beat, or when it comes before
    ``premature`` x the median RR; ``score`` is (1 - correlation) + max(prematurity, 0), the
    ``template+rr`` score of :func:`medts.medtsllm.anomaly.baseline_scores`.

    With ``head=True`` the MedTsLLM anomaly head (:class:`SegmentationSource`) is used instead
    when its adapter is shipped (an LLM forward pass per window: much slower).
    """

    uses_beats = True

    def __init__(self, *, min_corr: float = ANOMALY_MIN_CORR, premature: float = ANOMALY_PREMATURE,
                 head: bool = False) -> None:
        self.min_corr, self.premature = min_corr, premature
        self._head = SegmentationSource() if head else None
        if self._head is not None and self._head._func is not None:
            self.name = self._head.name
        else:
            self._head = None
            self.name = "medts.signal.beats (template correlation + RR prematurity)"

    def anomalies(self, ecg: ECG, *, r_peaks: list[int] | None = None,
                  usable_leads: list[str] | None = None) -> Anomalies:
        if self._head is not None:
            return self._head.anomalies(ecg)
        from medts.report.schema import Anomaly
        from medts.signal.beats import rr_prematurity, template_correlation

        if r_peaks is None:
            return Anomalies(status=_unavailable(self.name, "no R peaks: the measurements did not run"))
        leads = [ecg.leads.index(lead) for lead in (usable_leads or []) if lead in ecg.leads]
        r = np.asarray(r_peaks, dtype=int)
        if len(r) < 4 or not leads:
            return Anomalies(status=_unavailable(self.name, f"needs at least 4 beats on usable leads ({len(r)} beats, "
                                                            f"{len(leads)} usable leads)"))
        half = int(BEAT_HALF_S * ecg.fs)
        whole = (r >= half) & (r + half < ecg.n_samples)  # whole ±0.25 s segments only
        corr = np.full(len(r), np.nan)
        corr[whole] = template_correlation(ecg.signal[:, leads], r[whole], ecg.fs, before_s=half / ecg.fs,
                                           after_s=half / ecg.fs)
        prem = rr_prematurity(r, ecg.fs)
        items = []
        for k, c, p in zip(r, corr, prem):
            shape = bool(np.isfinite(c) and c < self.min_corr)
            early = bool(p > 1.0 - self.premature)
            if not (shape or early):
                continue
            t = float(k) / ecg.fs
            score = (1.0 - (c if np.isfinite(c) else 1.0)) + max(float(p), 0.0)
            kind = "+".join(name for name, hit in (("shape", shape), ("premature", early)) if hit)
            items.append(Anomaly(start_s=round(max(0.0, t - BEAT_HALF_S), 3), end_s=round(min(ecg.duration_s, t + BEAT_HALF_S), 3),
                                 score=round(score, 3), lead="usable leads", kind=kind))
        status = SectionStatus(available=True, tool=self.name,
                               reason=f"{len(r)} beats; listed when correlation with the median beat < {self.min_corr:g} "
                                      f"or RR < {self.premature:.0%} of the median RR")
        return Anomalies(status=status, threshold=None, items=items)


def signal_peak_to_peak_mv(ecg: ECG) -> np.ndarray:
    """Peak-to-peak amplitude per lead in mV (used for the quality table)."""
    return np.ptp(ecg.signal, axis=0)
