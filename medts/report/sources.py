"""The tools a report is built from, each behind one small interface.

A report section comes from exactly one *source*: an object with ``name`` and a method that
takes an :class:`~medts.record.ECG`. The signal source gives the measurements and the classifier
source the raw statement scores; :func:`report_sections` hands both to
:func:`medts.interpret.interpret`, the one place that decides flags, the quality grade, rhythm,
axis, which statements stand (each with its reason) and the verdict, and copies its decisions
into the report schema. A tool that fails on a record leaves its section with
``status.available = False`` and the reason, never with made-up content.

============================  ======================================  =============================
section                       default source                          component
============================  ======================================  =============================
measurements, waves           :class:`SignalSource`                   ``medts.signal.measure_ecg``
raw statement scores          :class:`ClassifierSource`               ``medts.classify.predict``
                                                                      (``adapters/classifier-*``)
quality, flags, rhythm/axis,  :func:`report_sections`                 ``medts.interpret.interpret``
statements, verdict
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

def _unavailable(tool: str, reason: str) -> SectionStatus:
    return SectionStatus(available=False, tool=tool, reason=reason)


def _ok(tool: str) -> SectionStatus:
    return SectionStatus(available=True, tool=tool)


# ---------------------------------------------------------------------------------------------
# Signal: quality, measurements, rhythm/axis, waves
# ---------------------------------------------------------------------------------------------
@dataclass
class SignalSections:
    """What the measurement tool gives a report: the typed measurements (None when it failed, with
    ``reason``), waves for overlays and the fused R peaks (reused by the anomaly section)."""

    measured: Any | None
    waves: Waves
    reason: str | None = None
    r_peaks: list[int] | None = None
    usable_leads: list[str] = field(default_factory=list)


class SignalProvider(Protocol):
    name: str

    def sections(self, ecg: ECG) -> SignalSections: ...


class SignalSource:
    """Measurements and waves from :func:`medts.signal.measure_ecg`; a failure on one record
    becomes the reason its sections are empty (quality then comes from :meth:`ECG.problems`)."""

    name = "medts.signal.measure_ecg"

    def sections(self, ecg: ECG) -> SignalSections:
        from medts.signal import measure_ecg

        try:
            m = measure_ecg(ecg)
        except Exception as error:  # noqa: BLE001 - one record's failure becomes a section note
            reason = f"{self.name} failed: {type(error).__name__}: {error}"
            return SignalSections(measured=None, waves=Waves(status=_unavailable(self.name, reason)), reason=reason)
        return SignalSections(measured=m, waves=waves_from_beats(m, self.name), r_peaks=[int(b.r_peak) for b in m.beats],
                              usable_leads=[q.lead for q in m.lead_quality if q.usable])


def basic_quality(ecg: ECG) -> Quality:
    """Quality from :meth:`ECG.problems` only (flat and saturated leads), graded by :mod:`medts.interpret.quality`."""
    from medts.interpret.quality import grade_counts

    problems = ecg.problems()
    leads = [LeadQuality(lead=lead, usable=not any(f"lead {lead} " in p for p in problems),
                         problems=[p for p in problems if f"lead {lead} " in p]) for lead in ecg.leads]
    return Quality(status=_ok("medts.record.ECG.problems"), leads=leads, problems=problems,
                   overall=grade_counts(sum(q.usable for q in leads), len(leads), None))


@dataclass
class ReportSections:
    """The sections a report takes from the engine's :class:`~medts.interpret.Findings`."""

    quality: Quality
    measurements: Measurements
    rhythm_axis: RhythmAxis
    statements: Statements
    verdict: str
    findings: Any | None


def report_sections(ecg: ECG, sig: SignalSections, run: ClassifierRun, signal_tool: str) -> ReportSections:
    """Measurements + classifier outputs -> :func:`medts.interpret.interpret` -> report sections.

    Every rule (flags, grade, rhythm, axis, which statements stand) is the engine's; this only
    copies its decisions into the report schema.
    """
    from medts.interpret import interpret
    from medts.interpret.axis import NOT_CATEGORISED
    from medts.interpret.ranges import is_child
    from medts.interpret.verdict import unavailable_verdict

    if sig.measured is None:
        why = sig.reason or "measurements unavailable"
        withheld = [_finding(s.code, describe_code(s.code), s.probability, s.threshold, s.source, "classifier",
                             f"cannot be checked: {why}") for s in run.scores if s.present]
        return ReportSections(
            quality=basic_quality(ecg), measurements=Measurements(status=_unavailable(signal_tool, why)),
            rhythm_axis=RhythmAxis(status=_unavailable(signal_tool, why)),
            statements=Statements(status=_unavailable(run.tool, f"statements withheld: {why}"), withheld=withheld,
                                  notes=list(run.notes)),
            verdict=unavailable_verdict(why), findings=None)
    f = interpret(sig.measured, sex=ecg.sex, age_years=ecg.age, scores=run.scores if run.available else None)
    q = f.quality
    # The reader's notes (renamed leads, unconverted units) are problems a reader of the report must see.
    problems = list(q.problems) + [n for n in ecg.input_notes() if n not in q.problems]
    quality = Quality(status=_ok("medts.interpret.quality"), overall=q.overall, problems=problems,
                      leads=[LeadQuality(lead=lq.lead, usable=lq.usable, problems=list(lq.flags), score=lq.beat_correlation)
                             for lq in sig.measured.lead_quality])
    items = [Measurement(name=fl.name, label=fl.label, value=fl.value, unit=fl.unit, normal_low=fl.low,
                         normal_high=fl.high, flag=fl.flag, quality=fl.quality, reason=fl.reason) for fl in f.flags]
    rhythm_axis = RhythmAxis(status=_ok("medts.interpret.rhythm"), rhythm=f.rhythm.label, rhythm_reason=f.rhythm.reason,
                             regular=f.rhythm.regular, axis_deg=f.axis.axis_deg,
                             axis_category=NOT_CATEGORISED if f.axis.category is None and f.axis.axis_deg is not None
                             and is_child(f.age_years) else f.axis.category)
    by_code = {s.code: s for s in run.scores}

    def finding(d) -> StatementFinding:
        score = by_code.get(d.code)
        source = score.source if d.origin == "classifier" and score is not None else (d.source or "medts.interpret")
        return StatementFinding(code=d.code, description=d.description, probability=d.probability, threshold=d.threshold,
                                source=source, level=None, evidence_leads=list(d.evidence_leads), evidence=d.evidence,
                                origin=d.origin, reason=d.reason)

    tool = "medts.interpret" + (f" (classifiers: {run.tool})" if run.available else "")
    notes = list(run.notes) + list(f.notes) + ([] if run.available else [f"classifier unavailable: {run.reason}"])
    statements = Statements(status=_ok(tool), asserted=[finding(d) for d in f.asserted],
                            withheld=[finding(d) for d in f.withheld], notes=notes)
    return ReportSections(quality=quality, measurements=Measurements(status=_ok(signal_tool), items=items),
                          rhythm_axis=rhythm_axis, statements=statements, verdict=f.verdict, findings=f)


def _finding(code, description, probability, threshold, source, origin, reason) -> StatementFinding:
    return StatementFinding(code=code, description=description, probability=round(probability, 4),
                            threshold=round(threshold, 4), source=source, origin=origin, reason=reason)


def describe_code(code: str) -> str:
    from medts.interpret.reconcile import describe

    return describe(code)


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


@dataclass
class ClassifierRun:
    """Raw classifier outputs for one record: every statement's probability and threshold (the
    engine decides which stand), with evidence leads for those above threshold."""

    available: bool
    tool: str
    reason: str | None = None
    scores: list = field(default_factory=list)  # list[medts.interpret.ClassifierScore]
    notes: list[str] = field(default_factory=list)


class StatementProvider(Protocol):
    name: str

    def scores_many(self, ecgs: list[ECG]) -> list[ClassifierRun]: ...


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
        from medts.classify.predict import default_adapter_dir, load_classifier

        dirs = self.adapter_dirs or [default_adapter_dir(level) for level in STATEMENT_LEVELS]
        found = [d for d in dirs if (Path(d) / "manifest.json").is_file()]
        if not found:
            self._reason = "no classifier adapter shipped (looked in " + ", ".join(str(d) for d in dirs) + ")"
            return
        for folder in found:
            try:
                self._classifiers.append(load_classifier(folder))
            except Exception as error:  # noqa: BLE001 - a broken adapter must not stop the batch
                self._reason = f"{folder}: {error}"
        self.name = ", ".join(c.name for c in self._classifiers) or self.name

    @property
    def available(self) -> bool:
        return bool(self._classifiers)

    @property
    def classifiers(self) -> list[Any]:
        """The loaded classifiers (:class:`medts.classify.predict.Classifier`), in scoring order."""
        return list(self._classifiers)

    def scores_many(self, ecgs: list[ECG]) -> list[ClassifierRun]:
        """Every shipped classifier's scores for ``ecgs`` (one batch per classifier)."""
        from medts.interpret import score_of

        if not self._classifiers:
            reason = self._reason or "unavailable"
            return [ClassifierRun(available=False, tool="medts.classify", reason=reason) for _ in ecgs]
        out = [ClassifierRun(available=True, tool=self.name) for _ in ecgs]
        inputs: dict[float, list] = {}  # model rate -> model inputs, shared by the classifiers' evidence
        failed: list[list[str]] = [[] for _ in ecgs]  # per record: why each classifier gave nothing
        for clf in self._classifiers:
            try:
                predictions = clf.predict_many(ecgs)
            except Exception:  # noqa: BLE001 - one record must not cost the others their statements
                predictions = [_predict_one(clf, ecg, why) for ecg, why in zip(ecgs, failed)]
            scored = [i for i, p in enumerate(predictions) if p is not None]
            # The model-input cache is by position in ``ecgs``: a subset gets its own.
            cache = inputs if len(scored) == len(ecgs) else {}
            evidence = self._evidence(clf, [ecgs[i] for i in scored], [predictions[i] for i in scored],
                                      [out[i] for i in scored], cache) if scored else []
            for run, pred, leads_by_code in zip([out[i] for i in scored], [predictions[i] for i in scored],
                                                evidence):
                run.notes += [f"{clf.name}: {n}" for n in pred.notes]
                for sp in pred.statements:
                    leads, why = leads_by_code.get(sp.code, ([], None))
                    run.scores.append(score_of(pred, sp).model_copy(update={"evidence_leads": leads, "evidence": why}))
        for run, why in zip(out, failed):
            if len(why) == len(self._classifiers):  # no classifier scored this record: say why
                run.available, run.reason = False, "; ".join(why)
            else:
                run.notes += why
        return out

    def _evidence(self, clf: Any, ecgs: list[ECG], predictions: list[Any], out: list[ClassifierRun],
                  inputs: dict[float, list]) -> list[dict[str, tuple[list[str], str]]]:
        """``{code: (evidence leads, how)}`` per record for the statements predicted present.

        ``inputs`` caches the records' model inputs by model rate across classifiers (the
        preprocessing is the same for every shipped classifier: computed once per record)."""
        empty: list[dict[str, tuple[list[str], str]]] = [{} for _ in ecgs]
        if self.evidence == "none":
            return empty
        from medts.classify.attribution import lead_occlusion

        try:
            if self.evidence == "integrated_gradients":
                return [integrated_gradient_leads(clf, e, p.present) for e, p in zip(ecgs, predictions)]
            return lead_occlusion(clf, ecgs, [p.present for p in predictions],
                                  inputs=inputs.setdefault(clf.fs_hz, [None] * len(ecgs)))
        except Exception as error:  # noqa: BLE001 - evidence is an extra; the statements stand without it
            for run in out:
                run.notes.append(f"{clf.name}: evidence leads failed: {type(error).__name__}: {error}")
            return empty


def _predict_one(clf: Any, ecg: ECG, why: list[str]) -> Any:
    """``clf``'s prediction for one record, or ``None`` with the reason appended to ``why``
    (``internal error`` marks a failure the input does not explain: the batch redoes that record)."""
    from medts.errors import MedtsError

    try:
        return clf.predict_many([ecg])[0]
    except MedtsError as error:
        why.append(f"{clf.name}: {error}")
    except Exception as error:  # noqa: BLE001 - reported in the section; the batch retries the record
        why.append(f"{clf.name} failed (internal error): {type(error).__name__}: {error}")
    return None


EVIDENCE_METHODS = ("occlusion", "integrated_gradients", "none")
"""Evidence-lead methods; occlusion is :func:`medts.classify.attribution.lead_occlusion` (the one lead occlusion)."""


def integrated_gradient_leads(clf: Any, ecg: ECG, codes: list[str], *,
                              top_k: int | None = None) -> dict[str, tuple[list[str], str]]:
    """Evidence leads and time spans from :func:`medts.classify.attribution.explain` (captum IG);
    ``top_k`` defaults to :data:`medts.classify.attribution.EVIDENCE_TOP_K`."""
    if not codes:
        return {}
    from medts.classify.attribution import EVIDENCE_TOP_K, explain

    top_k = EVIDENCE_TOP_K if top_k is None else top_k

    result = explain(clf, ecg, codes=list(codes), top_k=top_k)
    return {a.code: (list(a.top_leads), "integrated gradients: leads " + ", ".join(
        f"{lead} {a.lead_importance[lead]:.0%}" for lead in a.top_leads) + "; spans " + ", ".join(
        f"{t.start_s:g}-{t.end_s:g} s" for t in a.top_spans)) for a in result.statements}




# ---------------------------------------------------------------------------------------------
# Anomalies: MedTsLLM anomaly head
# ---------------------------------------------------------------------------------------------
class AnomalyProvider(Protocol):
    name: str

    def anomalies(self, ecg: ECG) -> Anomalies: ...


class SegmentationSource:
    """Anomalies from the MedTsLLM anomaly adapter (``detect_anomalies``: its beat scorer flags beats
    from hand-made beat features; the MedTsLLM reconstruction pass gives the per-window scores).

    The hook: shipped weights under ``adapters/*anomaly*/`` and a function
    ``medts.medtsllm.infer.detect_anomalies(ecg, adapter_dir) -> {"threshold": float, "items": [{start_s,
    end_s, score, lead}]}``. Nothing heavy is imported until both exist; until then the section says why
    it is empty.
    """

    def __init__(self, adapter_dirs: list[Path] | None = None) -> None:
        from medts.adapters import ANOMALY, adapter_dir

        dirs = adapter_dirs if adapter_dirs is not None else [adapter_dir(ANOMALY)]
        self._adapter = next((Path(d) for d in dirs if (Path(d) / "manifest.json").is_file()), None)
        self._func, self._where = None, f"no MedTsLLM anomaly adapter shipped (adapters/{ANOMALY}/manifest.json)"
        if self._adapter is not None:
            from medts.medtsllm.infer import detect_anomalies

            self._func, self._where = detect_anomalies, "medts.medtsllm.infer.detect_anomalies"
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

    With ``head=True`` the MedTsLLM anomaly adapter (:class:`SegmentationSource`) is used instead
    when it is shipped (its beat scorer decides; it also runs an LLM forward pass per window for
    the reconstruction scores: much slower).
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
        from medts.signal.beats import unusual_beats

        if r_peaks is None:
            return Anomalies(status=_unavailable(self.name, "no R peaks: the measurements did not run"))
        leads = [ecg.leads.index(lead) for lead in (usable_leads or []) if lead in ecg.leads]
        r = np.asarray(r_peaks, dtype=int)
        if len(r) < 4 or not leads:
            return Anomalies(status=_unavailable(self.name, f"needs at least 4 beats on usable leads ({len(r)} beats, "
                                                            f"{len(leads)} usable leads)"))
        listed, _ = unusual_beats(ecg.signal[:, leads], r, ecg.fs, min_corr=self.min_corr, premature=self.premature)
        items = []
        for b in listed:
            t = b.sample / ecg.fs
            items.append(Anomaly(start_s=round(max(0.0, t - BEAT_HALF_S), 3), end_s=round(min(ecg.duration_s, t + BEAT_HALF_S), 3),
                                 score=round(b.score, 3), lead="usable leads", kind=b.kind))
        status = SectionStatus(available=True, tool=self.name,
                               reason=f"{len(r)} beats; listed when correlation with the median beat < {self.min_corr:g} "
                                      f"or RR < {self.premature:.0%} of the median RR")
        return Anomalies(status=status, threshold=None, items=items)


def signal_peak_to_peak_mv(ecg: ECG) -> np.ndarray:
    """Peak-to-peak amplitude per lead in mV (used for the quality table)."""
    return np.ptp(ecg.signal, axis=0)
