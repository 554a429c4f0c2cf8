"""What the app shows about one record: the draft report's sections as tables and overlays.

The app runs the same pipeline as ``medts report`` (:class:`medts.report.build.ReportBuilder`
with template text, so no LLM runs before the tracing appears), in two steps so the tracing
and the measurements show within a second or two:

1. :func:`quick_sections`: quality, measurements with normal ranges and flags, rhythm/axis and
   P/QRS/T waves (``medts.signal.measure_ecg``, a few hundred ms);
2. :func:`analyse`: the full report (PTB-XL statements, MedTsLLM anomalies, interpretation),
   which reuses step 1's measurements (the signal source is memoised per record).

Each section says itself whether its tool was available; this module only turns sections into
rows and plot overlays, finds the evidence of a statement for the highlight, and runs the
MedTsLLM segmentation head on every lead for its optional overlay (:func:`medtsllm_waves`).

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.ui.analysis import analyse, quick_sections
>>> ecg = simulate_example("sinus")
>>> quick_sections(ecg).measurements.status.available
True
>>> analyse(ecg).report.notice.startswith("DRAFT")
True
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medts.interpret.ranges import FLAG_TEXT
from medts.record import ECG
from medts.ui.plots import Region, WaveBox

_BUILDER_LOCK = threading.Lock()
EXAMPLE_PREFIX = "example: "
"""How the record picker names a bundled example (``"example: sinus"``)."""


@functools.lru_cache(maxsize=8)
def bundled_example(path: Path) -> ECG:
    """The bundled example at ``path``, read (or simulated, when not written) once per process.

    Examples never change and ``ECG`` is immutable, so every session shares one object; the
    measurements are memoised per object (:func:`signal_source`), so an example measured by
    the start-up warm-up shows at once when ``medts demo`` opens it.
    """
    if not path.is_file():
        from medts.examples import simulate_example

        return simulate_example(path.stem)
    from medts.io import read_record

    return read_record(path)


class MemoSignal:
    """A report signal source that remembers its last ``size`` records (keyed by the ECG object:
    ``ECG`` hashes by identity), so the quick panels and the full report measure a record once.
    A record being measured is not measured again by a second caller, which waits for the
    first (e.g. the start-up warm-up measuring the example a just-opened demo page asks for)."""

    def __init__(self, inner: Any, size: int = 16) -> None:
        self.inner, self.name, self.size = inner, inner.name, size
        self._memo: OrderedDict[ECG, Any] = OrderedDict()
        self._pending: dict[ECG, threading.Event] = {}
        self._lock = threading.Lock()

    def _cached(self, ecg: ECG) -> Any:
        """The memoised sections of ``ecg`` or ``None`` (call under ``self._lock``)."""
        if ecg in self._memo:
            self._memo.move_to_end(ecg)
            return self._memo[ecg]
        return None

    def sections(self, ecg: ECG) -> Any:
        with self._lock:
            cached = self._cached(ecg)
            if cached is not None:
                return cached
            pending = self._pending.get(ecg)
            if pending is None:
                self._pending[ecg] = threading.Event()
        if pending is not None:  # another caller is measuring this record: wait for its result
            pending.wait()
            with self._lock:
                cached = self._cached(ecg)
            return cached if cached is not None else self.inner.sections(ecg)  # its run failed
        try:
            result = self.inner.sections(ecg)
            with self._lock:
                self._memo[ecg] = result
                while len(self._memo) > self.size:
                    self._memo.popitem(last=False)
            return result
        finally:
            with self._lock:
                self._pending.pop(ecg).set()

    def __getattr__(self, name: str) -> Any:  # anything else the report builder asks of the source
        return getattr(self.inner, name)


@functools.cache
def signal_source() -> MemoSignal:
    """The process's measurement source (NeuroKit2-based ``medts.signal``), memoised per record.
    Step 1 needs only this, so the first record does not wait for classifier or LLM weights."""
    from medts.report.sources import SignalSource

    return MemoSignal(SignalSource())


@functools.cache
def _report_builder() -> Any:
    from medts.report.build import ReportBuilder, Sources

    sources = Sources.default("template")
    sources.signal = signal_source()
    return ReportBuilder(text="template", sources=sources)


def report_builder() -> Any:
    """One :class:`~medts.report.build.ReportBuilder` per process (weights load once, sessions
    share it), sharing :func:`signal_source` with step 1."""
    with _BUILDER_LOCK:  # building the sources the first time must happen once
        return _report_builder()


@dataclass
class QuickReport:
    """The sections step 1 fills (same types as the report's; statements etc. come later)."""

    record: Any  # medts.report.schema.RecordInfo
    quality: Any
    measurements: Any
    rhythm_axis: Any
    waves: Any


@dataclass
class Analysis:
    """The sections of one record: ``quick`` at once, ``report`` (full) when step 2 ran;
    ``seconds`` says how long each step took."""

    quick: QuickReport
    report: Any = None  # medts.report.schema.Report
    seconds: dict[str, float] = field(default_factory=dict)
    medtsllm: list[WaveBox] | None = None  # segmentation-head waves, when asked for

    @property
    def sections(self) -> Any:
        """The full report when ready, else the quick sections (for the panels both fill)."""
        return self.report if self.report is not None else self.quick


def quick_sections(ecg: ECG) -> QuickReport:
    """Step 1: quality, measurements, rhythm/axis and waves of ``ecg`` (no classifier, no LLM),
    as the report will have them: the engine's flags and grades through the report's own
    :func:`medts.report.sources.report_sections`, with no classifier scores yet."""
    from medts.report.build import record_info
    from medts.report.sources import ClassifierRun, report_sections

    source = signal_source()
    sig = source.sections(ecg)
    sec = report_sections(ecg, sig, ClassifierRun(available=False, tool="medts.classify", reason="not run yet"),
                          source.name)
    return QuickReport(record=record_info(ecg), quality=sec.quality, measurements=sec.measurements,
                       rhythm_axis=sec.rhythm_axis, waves=sig.waves)


def analyse_quick(ecg: ECG) -> Analysis:
    """Step 1 as an :class:`Analysis` (timed)."""
    t0 = time.perf_counter()
    signal_source()
    t1 = time.perf_counter()
    quick = quick_sections(ecg)
    return Analysis(quick=quick, seconds={"load_tools": round(t1 - t0, 3), "quick": round(time.perf_counter() - t1, 3)})


def complete(analysis: Analysis, ecg: ECG) -> Analysis:
    """Step 2: the full report of ``ecg`` into ``analysis`` (its measurements are reused)."""
    t0 = time.perf_counter()
    analysis.report = report_builder().build(ecg)
    analysis.seconds["report"] = round(time.perf_counter() - t0, 3)
    return analysis


def analyse(ecg: ECG) -> Analysis:
    """Both steps: the draft report of ``ecg`` (see module doc), timed."""
    return complete(analyse_quick(ecg), ecg)


def section_status(section: Any) -> str | None:
    """``None`` when the section's tool ran, else a one-line reason to show in its panel."""
    status = section.status
    if status.available:
        return None
    return f"Not available: {status.reason or 'tool missing'}"


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def measurement_rows(report: Any) -> list[list[str]]:
    """``[measurement, value, unit, normal range, flag]`` rows: short cells that fit their
    columns; why a value is missing is listed under the table (:func:`measurement_notes`)."""
    rows = []
    for m in report.measurements.items:
        low, high = m.normal_low, m.normal_high
        rng = ("-" if low is None and high is None else
               f"< {_fmt(high)}" if low is None else f"> {_fmt(low)}" if high is None else f"{_fmt(low)}-{_fmt(high)}")
        value = _fmt(m.value, 0 if m.unit in ("ms", "bpm", "deg") else 2) if m.value is not None else "-"
        flag = FLAG_TEXT[m.flag]
        rows.append([m.label, value, m.unit, rng, flag])
    ra = report.rhythm_axis
    if ra.status.available and ra.rhythm:
        rows.append(["Rhythm", ra.rhythm, "", "", "-" if ra.regular is None else ("regular" if ra.regular else "irregular")])
    if ra.status.available and ra.axis_category:
        rows.append(["Axis category", ra.axis_category, "", "", ""])
    return rows


def measurement_notes(report: Any) -> str:
    """One Markdown bullet per unmeasured value with its reason (kept out of the table's cells)."""
    return "\n".join(f"- *{m.label}* not measured: {m.reason or 'no reason given'}"
                      for m in report.measurements.items if m.value is None)


STATEMENT_HEADERS = ["code", "statement", "decision", "why", "classifier p (threshold)"]


def decided_statements(report: Any) -> list[Any]:
    """The report's statements as the engine decided them: asserted first, then withheld."""
    return [*report.statements.asserted, *report.statements.withheld]


def statement_rows(report: Any) -> list[list[Any]]:
    """One row per reconciled statement (:func:`decided_statements`): ``[code, description,
    asserted/withheld, the engine's reason, the classifier's raw output]``."""
    asserted = set(report.statements.codes())
    return [[s.code, s.description, "asserted" if s.code in asserted else "withheld", short_reason(s.reason or s.evidence),
             "-" if s.probability is None else f"{s.probability:.2f} ({s.threshold:.2f})"]
            for s in decided_statements(report)]


REASON_CHARS = 110


def short_reason(reason: str | None) -> str:
    """The head of an engine reason for a table cell (up to its first detail in brackets or its
    first "; "); the whole reason is shown when the statement is clicked."""
    if not reason:
        return "-"
    head = re.split(r" \(|; ", reason, maxsplit=1)[0]
    return head if len(head) <= REASON_CHARS else head[: REASON_CHARS - 3].rstrip() + "..."


def verdict_html(report: Any) -> str:
    """The engine's one-line verdict, as the banner above the tracing."""
    import html

    st = report.statements
    asserted = ", ".join(st.codes()) or "none"
    return (f'<div class="medts-verdict"><b>Verdict (draft):</b> {html.escape(report.verdict or "not available")}'
            f'<br><small>Statements asserted: {html.escape(asserted)}; withheld: {len(st.withheld)} '
            f'(see Statements, each with its reason)</small></div>')


def quality_rows(report: Any) -> list[list[str]]:
    """``[lead, usable, problems, score]`` per lead."""
    return [[q.lead, "yes" if q.usable else "NO", "; ".join(q.problems) or "-",
             "-" if q.score is None else f"{q.score:.2f}"] for q in report.quality.leads]


def wave_boxes(report: Any) -> list[WaveBox]:
    """P/QRS/T overlays; fused fiducials (``lead`` not one lead) are drawn on every lead."""
    lead = report.waves.lead if report.waves.lead in report.record.leads else None
    return [WaveBox(w.kind, w.onset_s, w.offset_s, lead) for w in report.waves.items]


def anomaly_regions(report: Any) -> list[Region]:
    """Anomaly regions, premature (possibly ectopic) beats apart; a lead the record does not have
    (the detector pooled leads: "usable leads") is drawn on every lead, not dropped."""
    leads = set(report.record.leads)
    return [Region(a.start_s, a.end_s, a.lead if a.lead in leads else None, a.score,
                   "premature beat" if any(k in a.kind.lower() for k in ("premature", "ectop")) else "anomaly")
            for a in report.anomalies.items]


# -------------------------------------------------------------------------------------------
# MedTsLLM segmentation overlay (optional: seconds per record on a CPU, so only when asked)
# -------------------------------------------------------------------------------------------
_SEG_LOCK = threading.Lock()


def segmentation_adapter() -> Path | None:
    """The shipped MedTsLLM segmentation adapter (:mod:`medts.adapters`); ``None`` when none is shipped."""
    from medts.adapters import SEGMENTATION, shipped

    return shipped(SEGMENTATION)


def medtsllm_waves(ecg: ECG) -> list[WaveBox]:
    """P/QRS/T spans in every lead from the MedTsLLM segmentation head
    (:func:`medts.medtsllm.infer.segment_record`: the adapter's rate, short runs dropped, mapped
    back to the record's rate), as per-lead overlays in seconds.

    Raises
    ------
    LookupError
        When no segmentation adapter is shipped.
    """
    from medts.medtsllm.infer import segment_record

    folder = segmentation_adapter()
    if folder is None:
        raise LookupError("no MedTsLLM segmentation adapter is shipped")
    with _SEG_LOCK:  # one model per process; torch runs one record at a time here
        result = segment_record(ecg, folder)
    return [WaveBox(w.kind, w.onset_s, w.offset_s, lead.lead) for lead in result.leads for w in lead.waves]


@dataclass
class Evidence:
    """Where a statement's evidence lies: regions to highlight and a sentence about them."""

    code: str
    regions: list[Region]
    summary: str
    method: str


@functools.cache
def classifier_for(source: str | None) -> Any:
    """The shipped classifier that scored a statement, from its ``source`` ("model (level)"; the
    process's shared bank, loaded once); the one for all statements when the level is not named."""
    import re

    from medts.ui.chat import shared_classifiers

    match = re.search(r"\((\w+)\)\s*$", source or "")
    clf = shared_classifiers().get(match.group(1) if match else "all")
    if clf is None:
        raise LookupError(f"no classifier for attribution: {shared_classifiers().reason}")
    return clf


def statement_evidence(ecg: ECG, report: Any, code: str, *, n_steps: int = 16) -> Evidence:
    """Evidence of statement ``code`` (one of the report's decided statements).

    A statement a classifier scored: :func:`medts.classify.attribution.explain` (integrated
    gradients) of the classifier that scored it, its strongest leads and time spans. A statement
    only measurements define (e.g. the rhythm, LVH by voltage): its evidence is the rule's
    reason, highlighted over the leads it names (lead II for the rhythm).

    Raises
    ------
    LookupError
        When the report has no decision on ``code`` or attribution found nothing.
    """
    decision = next((d for d in decided_statements(report) if d.code == code), None)
    if decision is None:
        raise LookupError(f"statement {code} is not among this record's statements")
    state = "asserted" if code in report.statements.codes() else "withheld"
    if decision.probability is None or "classifier" not in (decision.origin or "classifier"):
        leads = [lead for lead in decision.evidence_leads if lead in ecg.leads] or (["II"] if "II" in ecg.leads else [])
        regions = [Region(0.0, ecg.duration_s, lead, None, "evidence") for lead in leads]
        return Evidence(code, regions, f"{code} ({decision.description}) is {state} from measurements, "
                        f"not a classifier, so there is no attribution map; the rule's reason: {decision.reason}",
                        decision.source or "medts.interpret")
    try:
        from medts.classify.attribution import explain
    except ImportError as error:
        raise LookupError(f"no attribution available for {code}: {error.msg}") from None
    result = explain(classifier_for(decision.source), ecg, codes=[code], n_steps=n_steps)
    sa = result.statements[0]
    leads = [lead for lead in sa.top_leads if lead in ecg.leads]
    if not leads or not sa.top_spans:
        raise LookupError(f"the attribution of {code} found no evidence (missing leads: {', '.join(result.missing_leads) or 'none'})")
    regions = [Region(sp.start_s, sp.end_s, lead, sp.importance, "evidence") for lead in leads for sp in sa.top_spans]
    lead_text = ", ".join(f"{lead} ({sa.lead_importance.get(lead, 0.0):.0%})" for lead in leads)
    span_text = ", ".join(f"{sp.start_s:.1f}-{sp.end_s:.1f} s" for sp in sa.top_spans)
    return Evidence(code, regions, f"{code} ({decision.description}, {state}): strongest leads {lead_text}; "
                    f"strongest spans {span_text}. Why {state}: {decision.reason or 'no reason given'}",
                    f"{sa.method} ({result.model})")
