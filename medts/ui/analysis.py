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
import importlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


def relevance_regions(relevance: np.ndarray, leads: list[str], fs: float, *, top_fraction: float = 0.05,
                      min_gap_s: float = 0.04) -> list[Region]:
    """Spans where ``relevance [n_samples, n_leads]`` is in the top ``top_fraction`` of all values.

    Spans closer than ``min_gap_s`` on one lead are merged, so a QRS shows as one box.
    """
    rel = np.abs(np.asarray(relevance, dtype=np.float64))
    if rel.ndim != 2 or rel.size == 0 or not np.isfinite(rel).all() or rel.max() <= 0:
        return []
    cut = np.quantile(rel, 1.0 - top_fraction)
    regions = []
    gap = int(min_gap_s * fs)
    for j, lead in enumerate(leads):
        hot = np.flatnonzero(rel[:, j] >= cut)
        if hot.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(hot) > gap)
        starts = np.r_[hot[0], hot[breaks + 1]]
        ends = np.r_[hot[breaks], hot[-1]]
        for s, e in zip(starts, ends):
            regions.append(Region(s / fs, (e + 1) / fs, lead, float(rel[s:e + 1, j].mean() / rel.max())))
    return regions


_ATTRIBUTION_CANDIDATES = ("explain_statement", "attribute_statement", "explain", "attribution")


def statement_evidence(ecg: ECG, report: Any, code: str) -> Evidence:
    """Evidence of statement ``code``: attribution from :mod:`medts.classify.attribution` when it
    offers a per-sample map, else the statement's evidence leads from the report (whole leads).

    Raises
    ------
    LookupError
        When the report does not assert ``code`` or nothing can locate its evidence.
    """
    finding = next((s for s in report.statements.asserted if s.code == code), None)
    if finding is None:
        raise LookupError(f"statement {code} is not in this report")
    try:
        module = importlib.import_module("medts.classify.attribution")
    except ImportError:
        module = None
    func = next((getattr(module, n) for n in _ATTRIBUTION_CANDIDATES if module and callable(getattr(module, n, None))), None)
    if func is not None:
        result = func(ecg, code)
        relevance, leads, fs = _relevance_of(result, ecg)
        regions = relevance_regions(relevance, leads, fs)
        if regions:
            top = sorted({r.lead for r in regions}, key=lambda lead: -sum(r.score or 0 for r in regions if r.lead == lead))
            return Evidence(code, regions, f"{code}: strongest evidence in lead(s) {', '.join(top[:4])}",
                            f"medts.classify.attribution.{func.__name__}")
    if finding.evidence_leads:
        regions = [Region(0.0, ecg.duration_s, lead, None) for lead in finding.evidence_leads]
        return Evidence(code, regions, f"{code}: evidence in lead(s) {', '.join(finding.evidence_leads)}",
                        "report evidence leads")
    raise LookupError(f"no attribution available for {code} (medts.classify.attribution is not installed yet)")


def _relevance_of(result: Any, ecg: ECG) -> tuple[np.ndarray, list[str], float]:
    """Accept a bare ``[n_samples, n_leads]`` array or an object/dict with ``relevance``/``leads``/``fs``."""
    if isinstance(result, np.ndarray):
        return result, list(ecg.leads), ecg.fs
    data = result if isinstance(result, dict) else getattr(result, "__dict__", {})
    rel = next((data[k] for k in ("relevance", "attribution", "attributions", "map") if k in data), None)
    if rel is None:
        return np.zeros((0, 0)), [], ecg.fs
    rel = np.asarray(rel)
    leads = list(data.get("leads") or ecg.leads)
    if rel.shape[0] == len(leads) and rel.shape[1] != len(leads):
        rel = rel.T  # [leads, time] -> [time, leads]
    fs = float(data.get("fs_hz") or data.get("fs") or ecg.fs * rel.shape[0] / ecg.n_samples)
    return rel, leads, fs
