"""What the app shows about one record: the draft report's sections as tables and overlays.

The app runs the same pipeline as ``medts report`` (:class:`medts.report.build.ReportBuilder`
with template text, so no LLM runs before the tracing appears): quality, measurements with
normal ranges and flags, rhythm/axis, PTB-XL statements, anomalies and P/QRS/T waves. Each
section says itself whether its tool was available; this module only turns sections into rows
and plot overlays, and finds the evidence of a statement for the highlight.

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.ui.analysis import analyse
>>> result = analyse(simulate_example("sinus"))
>>> result.report.notice.startswith("DRAFT")
True
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from medts.record import ECG
from medts.ui.plots import Region, WaveBox

_BUILDER_LOCK = threading.Lock()


@functools.cache
def report_builder() -> Any:
    """One :class:`~medts.report.build.ReportBuilder` per process: weights load once, sessions share it."""
    from medts.report.build import ReportBuilder

    return ReportBuilder(text="template")


@dataclass
class Analysis:
    """The report of one record plus how long each step took (seconds)."""

    report: Any  # medts.report.schema.Report
    seconds: dict[str, float] = field(default_factory=dict)


def analyse(ecg: ECG) -> Analysis:
    """Build the draft report of ``ecg`` (see module doc) and time it."""
    t0 = time.perf_counter()
    with _BUILDER_LOCK:  # building the sources the first time must happen once
        builder = report_builder()
    t1 = time.perf_counter()
    report = builder.build(ecg)
    t2 = time.perf_counter()
    return Analysis(report=report, seconds={"load_tools": round(t1 - t0, 3), "report": round(t2 - t1, 3)})


def section_status(section: Any) -> str | None:
    """``None`` when the section's tool ran, else a one-line reason to show in its panel."""
    status = section.status
    if status.available:
        return None
    return f"Not available: {status.reason or 'tool missing'}"


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def measurement_rows(report: Any) -> list[list[str]]:
    """``[measurement, value, unit, normal range, flag]`` rows; unmeasured values show the reason."""
    rows = []
    for m in report.measurements.items:
        low, high = m.normal_low, m.normal_high
        rng = ("-" if low is None and high is None else
               f"< {_fmt(high)}" if low is None else f"> {_fmt(low)}" if high is None else f"{_fmt(low)}-{_fmt(high)}")
        value = _fmt(m.value, 0 if m.unit in ("ms", "bpm", "deg") else 2) if m.value is not None else f"- ({m.reason or 'not measured'})"
        flag = {"high": "HIGH", "low": "LOW", "normal": "normal", "unmeasured": "-"}[m.flag]
        rows.append([m.label, value, m.unit, rng, flag])
    ra = report.rhythm_axis
    if ra.status.available and ra.rhythm:
        rows.append(["Rhythm", ra.rhythm, "", "", "-" if ra.regular is None else ("regular" if ra.regular else "irregular")])
    if ra.status.available and ra.axis_category:
        rows.append(["Axis category", ra.axis_category, "", "", ""])
    return rows


def statement_rows(report: Any) -> list[list[Any]]:
    """``[code, description, probability, threshold, evidence leads]`` for each asserted statement."""
    return [[s.code, s.description, round(s.probability, 3) if s.probability is not None else None,
             round(s.threshold, 3) if s.threshold is not None else None, ", ".join(s.evidence_leads) or "-"]
            for s in report.statements.asserted]


def quality_rows(report: Any) -> list[list[str]]:
    """``[lead, usable, problems, score]`` per lead."""
    return [[q.lead, "yes" if q.usable else "NO", "; ".join(q.problems) or "-",
             "-" if q.score is None else f"{q.score:.2f}"] for q in report.quality.leads]


def wave_boxes(report: Any) -> list[WaveBox]:
    """P/QRS/T overlays; fused fiducials (``lead`` not one lead) are drawn on every lead."""
    lead = report.waves.lead if report.waves.lead in report.record.leads else None
    return [WaveBox(w.kind, w.onset_s, w.offset_s, lead) for w in report.waves.items]


def anomaly_regions(report: Any) -> list[Region]:
    return [Region(a.start_s, a.end_s, a.lead, a.score) for a in report.anomalies.items]


@dataclass
class Evidence:
    """Where a statement's evidence lies: regions to highlight and a sentence about them."""

    code: str
    regions: list[Region]
    summary: str
    method: str


@functools.cache
def classifier_for(level: str | None) -> Any:
    """The shipped classifier of ``level`` (loaded once per process), as the report used it."""
    from medts.classify.predict import Classifier, default_adapter_dir

    return Classifier.load(default_adapter_dir(level or "superdiagnostic"))


def statement_evidence(ecg: ECG, report: Any, code: str, *, n_steps: int = 16) -> Evidence:
    """Evidence of statement ``code`` from :func:`medts.classify.attribution.explain`
    (integrated gradients): its strongest leads, and its strongest time spans on those leads.

    Raises
    ------
    LookupError
        When the report does not assert ``code`` or attribution is not available.
    """
    finding = next((s for s in report.statements.asserted if s.code == code), None)
    if finding is None:
        raise LookupError(f"statement {code} is not in this report")
    if finding.probability is None:  # not from a classifier (e.g. measurement rules): nothing to attribute
        regions = [Region(0.0, ecg.duration_s, lead, None) for lead in finding.evidence_leads if lead in ecg.leads]
        why = finding.evidence or "no evidence text"
        return Evidence(code, regions, f"{code} ({finding.description}) comes from {finding.source}, not a "
                        f"classifier, so there is no attribution map; its evidence: {why}", finding.source)
    try:
        from medts.classify.attribution import explain
    except ImportError as error:
        raise LookupError(f"no attribution available for {code}: {error.msg}") from None
    result = explain(classifier_for(finding.level), ecg, codes=[code], n_steps=n_steps)
    sa = result.statements[0]
    leads = [lead for lead in sa.top_leads if lead in ecg.leads]
    if not leads or not sa.top_spans:
        raise LookupError(f"the attribution of {code} found no evidence (missing leads: {', '.join(result.missing_leads) or 'none'})")
    regions = [Region(sp.start_s, sp.end_s, lead, sp.importance) for lead in leads for sp in sa.top_spans]
    lead_text = ", ".join(f"{lead} ({sa.lead_importance.get(lead, 0.0):.0%})" for lead in leads)
    span_text = ", ".join(f"{sp.start_s:.1f}-{sp.end_s:.1f} s" for sp in sa.top_spans)
    return Evidence(code, regions, f"{code} ({finding.description}): strongest leads {lead_text}; "
                    f"strongest spans {span_text}", f"{sa.method} ({result.model})")
