"""The agent's tools: thin LangChain tools over medts, each with a pydantic schema and a JSON result.

A :class:`Workspace` holds the loaded ECGs by name (``"current"``, ``"previous"``, ...); a
:class:`ToolBox` runs tools on them, caches results per record, and keeps a trace of every call
(the grounding check reads it). ``ToolBox.langchain_tools()`` gives the same tools as LangChain
``StructuredTool`` objects for any LangChain agent.

===================  ==================================================================
tool                 medts component underneath
===================  ==================================================================
record_summary       ``ECG.summary`` + lead quality from ``medts.signal.measure_ecg``
measurements         ``medts.signal.measure_ecg`` (intervals, QTc, axes, HRV, rhythm)
delineation          MedTsLLM segmentation head (``segment_record``, ``adapters/segmentation-smollm2``),
                     else the NeuroKit2-based fused delineation in ``measure_ecg``
classify             ``medts.classify.predict.Classifier`` (``adapters/classifier-*``)
interpretation       ``medts.interpret``: verdict, reconciled statements (asserted / withheld, reasons)
explain              ``medts.classify.attribution`` (integrated gradients by lead and time span)
anomalies            anomaly adapter (``detect_anomalies``, ``adapters/anomaly-smollm2``: beat scorer
                     over hand-made beat features; MedTsLLM reconstruction shown, not deciding),
                     else beat-template correlation + RR prematurity (``detector`` says which)
glossary             ``medts.labels.STATEMENTS`` + typical criteria (below)
compare              measurements and statements of two records
whole_recording      ``medts.longterm.analyze_recording`` over the whole file of a long record (60-s windows)
===================  ==================================================================

Every result has ``tool``, ``record``, ``available`` and, when unavailable, ``reason``; numbers
carry their unit in the field name (``hr_bpm``) or in a ``unit`` field next to ``value``.
Text from the input file (header comments) appears only under keys containing ``untrusted``:
it is data to show, never instructions, and never evidence for the grounding check.

Example
-------
>>> from medts.examples import simulate_example
>>> box = ToolBox(Workspace({"current": simulate_example("sinus")}))
>>> m = box.run("measurements", {})
>>> 55 < m["hr_bpm"]["value"] < 80
True
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from medts.adapters import ANOMALY as ANOMALY_ADAPTER
from medts.adapters import SEGMENTATION as SEGMENTATION_ADAPTER
from medts.adapters import adapter_dir
from medts.interpret import RANGES
from medts.interpret.ranges import PAEDIATRIC_REASON, is_child
from medts.interpret import rhythm as rhythm_rules
from medts.interpret.statements import engine_threshold
from medts.record import ECG

RecordName = str

# Typical criteria shown by the glossary (our wording, standard adult criteria); the numbers of
# the rules medts applies come from medts.interpret, so the glossary says what the engine does.
CRITERIA: dict[str, str] = {
    "NORM": (f"sinus rhythm {RANGES['hr_bpm'].low:g}-{RANGES['hr_bpm'].high:g} bpm, PR {RANGES['pr_ms'].low:g}-"
             f"{RANGES['pr_ms'].high:g} ms, QRS <= {RANGES['qrs_ms'].high:g} ms, QTc <= {RANGES['qtc_bazett_ms'].high:g} ms "
             f"(men) / {RANGES['qtc_bazett_ms'].high_female:g} ms (women), axis {RANGES['qrs_axis_deg'].low:g} to "
             f"+{RANGES['qrs_axis_deg'].high:g} deg, no ST-T abnormality"),
    "SR": "regular rhythm with an upright P wave before every QRS in lead II, rate 60-100 bpm",
    "STACH": f"sinus rhythm faster than {rhythm_rules.TACHY_BPM:g} bpm",
    "SBRAD": f"sinus rhythm slower than {rhythm_rules.BRADY_BPM:g} bpm",
    "SARRH": (f"sinus rhythm whose successive RR intervals differ by more than {rhythm_rules.IRREGULARITY:.0%} of the "
              "median RR, usually with breathing"),
    "AFIB": "irregularly irregular RR intervals, no distinct P waves, fibrillatory baseline",
    "AFLT": "regular saw-tooth flutter waves at about 250-350 per minute, often 2:1 conduction",
    "1AVB": "PR interval longer than 200 ms with every P wave conducted",
    "2AVB": "some P waves not followed by a QRS (Mobitz I: progressive PR lengthening; Mobitz II: fixed PR)",
    "3AVB": "P waves and QRS complexes independent of each other (AV dissociation)",
    "CRBBB": "QRS >= 120 ms, rsR' in V1-V2, wide S wave in I and V6",
    "IRBBB": "rsR' in V1-V2 with QRS 110-119 ms",
    "CLBBB": "QRS >= 120 ms, broad notched R in I, aVL, V5-V6, absent Q waves in lateral leads",
    "ILBBB": "LBBB morphology with QRS 110-119 ms",
    "LAFB": "QRS axis -45 deg or more negative, qR in aVL, rS in II, III, aVF, QRS < 120 ms",
    "LPFB": "QRS axis +90 to +180 deg, rS in I and aVL, qR in III and aVF, no other cause of right axis",
    "IVCD": "QRS >= 110 ms without typical bundle-branch-block morphology",
    "WPW": "short PR (< 120 ms), delta wave, QRS widening",
    "LVH": "high QRS voltage (Sokolow-Lyon S V1 + R V5/V6 > 3.5 mV or Cornell R aVL + S V3 > 2.8 mV men / 2.0 mV women), often with ST-T strain",
    "RVH": "right axis deviation, dominant R in V1 (R/S > 1), deep S in V5-V6",
    "LAO/LAE": "P wave >= 120 ms, notched in II, deep terminal negative P in V1",
    "RAO/RAE": "tall P wave > 2.5 mm in II (P pulmonale)",
    "LNGQT": "QTc above 450 ms (men) / 460 ms (women)",
    "LVOLT": "QRS amplitude < 0.5 mV in all limb leads and < 1.0 mV in all chest leads",
    "PVC": "early wide QRS (>= 120 ms) without a preceding P wave, usually followed by a compensatory pause",
    "PAC": "early beat with an abnormal P wave and a normal QRS",
    "IMI": "pathological Q waves (>= 40 ms) in II, III and aVF",
    "ASMI": "pathological Q waves or QS complexes in V1-V3",
    "STE_": "ST elevation at the J point above 0.1 mV in two contiguous leads (higher limits in V2-V3)",
    "STD_": "horizontal or down-sloping ST depression of 0.05 mV or more in two contiguous leads",
    "INVT": "negative T waves in leads where they are normally upright",
}


# ---------------------------------------------------------------------------------------------
# Workspace and JSON helpers
# ---------------------------------------------------------------------------------------------
@dataclass
class Workspace:
    """The ECGs the conversation is about, by name (``current`` is the default target)."""

    records: dict[str, ECG] = field(default_factory=dict)

    def get(self, name: str) -> ECG:
        if name not in self.records:
            known = ", ".join(self.records) or "none loaded"
            raise KeyError(f"no ECG named {name!r} (loaded: {known})")
        return self.records[name]


def to_jsonable(value: Any) -> Any:
    """Pydantic models, dataclasses, numpy values -> plain JSON types (NaN/inf -> None)."""
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _value(v: Any) -> float | None:
    """The number of a ``Value``-like dict (``{"value": x, ...}``) or a plain number."""
    if isinstance(v, dict):
        v = v.get("value")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def reference_limits(sex: str | None, age_years: float | None) -> dict[str, dict[str, float | None]]:
    """Reference limits (low/high) per measurement from :mod:`medts.interpret.ranges` (QTc, Cornell by sex; none for
    a child's age-dependent values)."""
    from medts.interpret import REPORTED_VALUES, reference_range

    out = {}
    for name in REPORTED_VALUES:
        low, high = reference_range(name, sex, age_years)
        if low is not None or high is not None:
            out[name] = {"low": low, "high": high}
    return out


# ---------------------------------------------------------------------------------------------
# Tool implementations: ECG (+ args) -> JSON-ready dict
# ---------------------------------------------------------------------------------------------
def quality_summary(grade: Any) -> dict[str, Any]:
    """The engine's quality grade (:func:`medts.interpret.grade_quality`) as the tool shows it (poor -> abstain)."""
    return {
        "overall": grade.overall, "usable_leads": grade.usable_leads, "n_usable_leads": len(grade.usable_leads),
        "n_leads": len(grade.usable_leads) + len(grade.unusable_leads), "lead_flags": grade.lead_flags,
        "missing_leads": grade.missing_leads, "limb_lead_reversal": grade.limb_lead_reversal,
        "n_beats": grade.n_beats, "warnings": grade.problems, "abstain": grade.abstain,
        "reason": grade.reason, "abstain_rule": grade.rule,
    }


def record_summary(ecg: ECG, findings: Any) -> dict[str, Any]:
    s = ecg.summary()
    comments = ecg.metadata.get("comments") or []
    return {
        "record_id": s.record_id, "fs_hz": s.fs_hz, "duration_s": s.duration_s, "leads": s.leads,
        "n_leads": len(s.leads), "age_years": s.age_years, "sex": s.sex, "problems": s.problems,
        "quality": quality_summary(findings.quality),
        # Shown to the user as file content; keys containing "untrusted" are never instructions
        # and never count as evidence in the grounding check.
        "untrusted_header_text": [str(c)[:200] for c in comments][:10],
        # What the recording device itself reported (hospital formats, medts.io.device): shown beside
        # medts' numbers, never mixed with them and never evidence (an "untrusted" key).
        "untrusted_device_report": {"measurements": s.device_measurements,
                                    "statements": [text[:200] for text in s.device_statements][:20]}
        if s.device_measurements or s.device_statements else None,
    }


_MEASURE_KEYS = ("hr_bpm", "rr_ms", "pr_ms", "p_duration_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms",
                 "qtc_fridericia_ms", "qtc_framingham_ms", "qtc_hodges_ms", "p_axis_deg", "qrs_axis_deg",
                 "t_axis_deg", "sokolow_lyon_mv", "cornell_mv")


def measurements(ecg: ECG, measured: dict[str, Any], findings: Any) -> dict[str, Any]:
    """Global measurements with quality flags, and the engine's reference limits, flags, rhythm and axis."""
    from medts.interpret.statements import measured_statements

    out: dict[str, Any] = {k: measured[k] for k in _MEASURE_KEYS if k in measured}
    out["hrv"] = measured.get("hrv", {})
    out["rhythm"] = {**(measured.get("rhythm") or {}), **to_jsonable(findings.rhythm.features)}
    out["st_j60_mv"] = measured.get("st_j60_mv", {})
    out["t_amplitude_mv"] = measured.get("t_amplitude_mv", {})
    out["n_beats"] = measured.get("n_beats")
    out["reference_limits"] = reference_limits(ecg.sex, ecg.age)
    # a child: the rate, PR, QRS, axis and voltages are shown but not judged (medts.interpret.ranges.AGE_DEPENDENT)
    out["not_judged_for_age"] = PAEDIATRIC_REASON if is_child(findings.age_years) else None
    out["flags"] = {f.name: f.flag for f in findings.flags if f.flag != "unmeasured"}
    out["qrs_axis_category"] = findings.axis.category
    out["rhythm_label"] = findings.rhythm.label
    out["rhythm_reason"] = findings.rhythm.reason
    out["p_waves_consistent"] = findings.rhythm.p_waves_consistent  # the engine's P waves ("Are there P waves?")
    out["rr_irregular"] = None if findings.rhythm.regular is None else not findings.rhythm.regular
    out["af_like_irregular_without_p_waves"] = (None if findings.rhythm.regular is None
                                                else findings.rhythm.code == "AFIB")
    out["ectopy"] = {"reason": findings.ectopy.reason, "ventricular": findings.ectopy.ventricular,
                     "supraventricular": findings.ectopy.supraventricular, "untold_origin": findings.ectopy.untold}
    statements = measured_statements(findings)
    out["measured_statements"] = statements
    out["qtc_prolonged"] = (statements.get("LNGQT") or {}).get("present")
    out["warnings"] = measured.get("warnings", [])
    return out


def interpretation(findings: Any) -> dict[str, Any]:
    """The engine's verdict and reconciled statements (asserted and withheld, each with its reason)."""
    return {
        "verdict": findings.verdict,
        "rhythm": findings.rhythm.label,
        "asserted": [{"code": s.code, "description": s.description, "origin": s.origin, "reason": s.reason,
                      "probability": s.probability} for s in findings.asserted],
        "withheld": [{"code": s.code, "description": s.description, "reason": s.reason,
                      "probability": s.probability} for s in findings.withheld],
        "abnormal_flags": {f.name: f.flag for f in findings.abnormal_flags},
        "classifier_available": findings.classifier_available,
        "rule": "statements reconciled by medts.interpret: classifier probabilities checked against the measurements",
    }



def _wave_table(beats: list[dict[str, Any]], fs: float) -> dict[str, Any]:
    """Per-wave counts, median durations (ms) and the first beats' boundaries (s)."""
    out: dict[str, Any] = {}
    for kind, on, off in (("P", "p_on", "p_off"), ("QRS", "qrs_on", "qrs_off"), ("T", "t_on", "t_off")):
        pairs = [(b[on], b[off]) for b in beats if b.get(on) is not None and b.get(off) is not None and b[off] > b[on]]
        dur = [1000.0 * (b - a) / fs for a, b in pairs]
        out[kind] = {
            "n_waves": len(pairs),
            "median_duration_ms": round(float(np.median(dur)), 1) if dur else None,
            "first_waves_s": [[round(a / fs, 3), round(b / fs, 3)] for a, b in pairs[:4]],
        }
    return out


def medtsllm_segmentation(ecg: ECG, folder: Path) -> dict[str, Any]:
    """Waves from the MedTsLLM segmentation head (``adapters/segmentation-smollm2``) through the
    public ``segment_record`` API: counts, median durations (ms) and the first waves (s) of lead
    II (or the first lead), at the input record's sampling rate."""
    from medts.medtsllm.infer import segment_record

    where = "medts.medtsllm.infer.segment_record"
    res = segment_record(ecg, folder)
    by_lead = {seg.lead: seg for seg in res.leads}
    lead = "II" if "II" in by_lead else res.leads[0].lead
    waves: dict[str, Any] = {}
    for kind in ("P", "QRS", "T"):
        found = [w for w in by_lead[lead].waves if w.kind == kind and w.complete]
        waves[kind] = {
            "n_waves": len(found),
            "median_duration_ms": round(float(np.median([w.duration_ms for w in found])), 1) if found else None,
            "first_waves_s": [[w.onset_s, w.offset_s] for w in found[:4]],
        }
    from medts.medtsllm.checkpoint import read_manifest

    metrics = read_manifest(folder).get("metrics")
    final = metrics.get("final_val") if isinstance(metrics, dict) else None  # the adapter's validation IoU/F1
    return {"method": "medtsllm segmentation head", "source": where, "adapter": f"adapters/{folder.name}",
            "lead": lead, "fs_hz_model": res.fs_model_hz, "waves": waves,
            "validation_metrics": ({k: v for k, v in final.items() if k.startswith(("iou", "f1", "mean"))}
                                   if isinstance(final, dict) else None)}


def delineation(ecg: ECG, measured: dict[str, Any], method: str, folder: Path | None = None) -> dict[str, Any]:
    """Waves from the MedTsLLM segmentation head in ``folder`` (default the shipped
    ``adapters/segmentation-smollm2``), else NeuroKit2's fused delineation, saying why."""
    folder = folder or adapter_dir(SEGMENTATION_ADAPTER)
    note = None
    if method in ("auto", "medtsllm"):
        if (folder / "manifest.json").is_file():
            try:
                return medtsllm_segmentation(ecg, folder)
            except Exception as error:  # noqa: BLE001 - fall back to NeuroKit2, saying why
                note = f"MedTsLLM segmentation head failed ({type(error).__name__}: {error}); used the NeuroKit2 fallback"
        else:
            note = f"MedTsLLM segmentation head not shipped ({folder}); used the NeuroKit2 fallback"
    beats = measured.get("beats") or []
    return {
        "method": "neurokit2 per-lead delineation fused across leads (medts.signal)",
        "source": "medts.signal.measure_ecg", "note": note, "n_beats": len(beats),
        "waves": _wave_table(beats, ecg.fs),
        "p_wave_fraction": _value((measured.get("rhythm") or {}).get("p_wave_fraction")),
    }


def anomalies(ecg: ECG, measured: dict[str, Any], folder: Path | None = None) -> dict[str, Any]:
    """Unusual beats from the MedTsLLM anomaly adapter in ``folder`` (default the shipped
    ``adapters/anomaly-smollm2``, through ``detect_anomalies``); the beat-template fallback only
    when the adapter is missing or fails. ``detector`` says which ran (``"adapter"`` /
    ``"fallback"``); both give ``n_beats``, ``n_anomalous_beats`` and ``anomalous_beats``
    (``time_s``, ``why``)."""
    folder = folder or adapter_dir(ANOMALY_ADAPTER)
    if (folder / "manifest.json").is_file():
        from medts.medtsllm.infer import detect_anomalies

        where = "medts.medtsllm.infer.detect_anomalies"
        try:
            return _adapter_anomalies(detect_anomalies(ecg, folder), folder, where)
        except Exception as error:  # noqa: BLE001 - fall back, saying why
            note = f"MedTsLLM anomaly adapter failed ({where}: {type(error).__name__}: {error}); used the fallback"
    else:
        note = f"MedTsLLM anomaly adapter not shipped (adapters/{folder.name}); used the fallback"
    return {**template_anomalies(ecg, measured), "detector": "fallback", "adapter": None, "note": note}


def _adapter_anomalies(res: Any, folder: Path, where: str) -> dict[str, Any]:
    """A ``detect_anomalies`` result in the tool's JSON shape (flagged beats first, 10 at most)."""
    items = [{"time_s": it.time_s, "score": round(float(it.score), 3),
              "why": list(it.reasons) or [f"{res.score_kind} score {it.score:.2f} at or above the threshold"]}
             for it in res.items]
    return {"method": "medtsllm anomaly head", "detector": "adapter", "adapter": f"adapters/{folder.name}",
            "source": where, "lead": res.lead, "score_kind": res.score_kind, "threshold": res.threshold,
            "threshold_method": res.threshold_method, "n_beats": len(res.beats), "n_anomalous_beats": len(items),
            "anomalous_beats": items[:10], "note": res.note}


def template_anomalies(ecg: ECG, measured: dict[str, Any], *, min_corr: float = 0.8,
                       premature: float = 0.8) -> dict[str, Any]:
    """Beats unlike the median beat (correlation < ``min_corr`` on the usable leads) or premature
    (RR < ``premature`` x median RR). A fallback detector, reported as such: the one template + RR
    detector, :func:`medts.signal.beats.unusual_beats` (the report's anomaly section uses it too)."""
    from medts.signal.beats import unusual_beats

    r = np.array([b["r_peak"] for b in measured.get("beats") or []], dtype=int)
    usable = [j for j, q in enumerate(measured.get("lead_quality") or []) if q.get("usable")]
    base = {"method": "beat-template correlation and RR prematurity (fallback)", "source": "medts.signal.beats"}
    if len(r) < 4 or not usable:
        return {**base, "n_beats": int(len(r)), "n_anomalous_beats": None,
                "reason": "needs at least 4 beats on usable leads"}
    listed, corr = unusual_beats(ecg.signal[:, usable], r, ecg.fs, min_corr=min_corr, premature=premature)
    items = []
    for b in listed:
        why = []
        if b.shape:
            why.append(f"shape differs from the median beat (correlation {b.correlation:.2f})")
        if b.premature:
            why.append(f"premature (RR < {premature:.0%} of median)")
        items.append({"time_s": round(b.sample / ecg.fs, 3),
                      "correlation": None if b.correlation is None else round(b.correlation, 3), "why": why})
    corr = corr[np.isfinite(corr)]
    return {**base, "n_beats": int(len(r)), "n_anomalous_beats": len(items), "anomalous_beats": items[:10],
            "median_beat_correlation": round(float(np.median(corr)), 3) if len(corr) else None}


# -- classifiers --------------------------------------------------------------------------------
CLASSIFIER_LEVELS = ("all", "rhythm", "form", "diagnostic", "superdiagnostic")


@dataclass
class ClassifierBank:
    """The shipped PTB-XL classifiers, loaded once on first use (``adapters/classifier-<level>``)."""

    adapter_dirs: dict[str, Path] | None = None
    _loaded: dict[str, Any] = field(default_factory=dict)
    _reason: str | None = None

    def get(self, level: str) -> Any:
        """The classifier for ``level``, else the one for ``all``; ``None`` with ``reason`` if none."""
        if not self._loaded and self._reason is None:
            self._load()
        return self._loaded.get(level) or self._loaded.get("all")

    @property
    def reason(self) -> str:
        return self._reason or "no classifier adapter found"

    def levels(self) -> list[str]:
        self.get("all")
        return list(self._loaded)

    def _load(self) -> None:
        from medts.classify.predict import default_adapter_dir, load_classifier

        dirs = self.adapter_dirs or {lvl: default_adapter_dir(lvl) for lvl in CLASSIFIER_LEVELS}
        for level, folder in dirs.items():
            if (Path(folder) / "manifest.json").is_file():
                try:
                    self._loaded[level] = load_classifier(folder)
                except Exception as error:  # noqa: BLE001 - one broken adapter must not hide the others
                    self._reason = f"{folder}: {error}"
        if not self._loaded:
            self._reason = self._reason or ("no classifier adapter shipped (looked in "
                                            + ", ".join(str(d) for d in dirs.values()) + ")")


def classify(ecg: ECG, bank: ClassifierBank, level: str, top_k: int) -> dict[str, Any]:
    clf = bank.get(level)
    if clf is None:
        return {"available": False, "reason": bank.reason}
    pred = to_jsonable(clf.predict(ecg))
    ranked = sorted(pred["statements"], key=lambda s: -s["probability"])
    shown = [s for s in ranked if s["present"]] + [s for s in ranked if not s["present"]][: max(top_k, 0)]
    return {
        "model": pred["model"], "level": pred["level"], "scored_by": pred["scored_by"], "present": pred["present"],
        "statements": [_classifier_row(s, pred["model"]) for s in shown],
        "evaluated_codes": [s["code"] for s in ranked],
        "notes": pred["notes"], "missing_leads": pred["missing_leads"], "leads_present": pred["leads_present"],
        "absent_leads": pred["absent_leads"], "reduced_lead_model": pred["reduced_lead_model"],
        "rule": "present when probability >= the statement's calibrated threshold",
    }


def _classifier_row(s: dict[str, Any], model: str) -> dict[str, Any]:
    """One classifier statement as the agent sees it; ``engine_threshold`` where the engine reads this
    model's probability at its own threshold (medts.interpret.statements.ENGINE_THRESHOLDS), so an
    answer quoting the threshold that decided can cite it. A record scored by CNN + measurements (late fusion) also
    shows the CNN's own ``cnn_probability``, which the engine reads for the statements of
    medts.interpret.statements.CNN_ENGINE_INPUTS (:func:`medts.interpret.score_of`)."""
    row = {k: s[k] for k in ("code", "description", "probability", "threshold", "present")}
    if s.get("cnn_probability") is not None:
        row["cnn_probability"] = s["cnn_probability"]
    engine = engine_threshold(model, s["code"])
    if engine is not None:
        row["engine_threshold"] = engine
    return row


def explain(ecg: ECG, bank: ClassifierBank, code: str) -> dict[str, Any]:
    """Where the evidence for ``code`` lies: integrated gradients by lead and time span
    (:func:`medts.classify.attribution.explain` on the first shipped classifier that scores ``code``)."""
    from medts.classify.attribution import explain as attribute

    code = code.upper()
    bank.get("all")
    clf = next((c for c in bank._loaded.values() if code in c.classes), None)
    if clf is None:
        return {"available": False, "code": code,
                "reason": f"no shipped classifier scores {code} ({', '.join(bank.levels()) or bank.reason})"}
    result = attribute(clf, ecg, codes=[code], top_k=3)
    a = result.statements[0]
    return {"code": code, "method": f"{a.method} (medts.classify.attribution)", "model": result.model,
            "probability": round(a.probability, 4), "top_leads": list(a.top_leads),
            "lead_importance": {lead: round(v, 4) for lead, v in a.lead_importance.items()},
            "top_spans_s": [[t.start_s, t.end_s] for t in a.top_spans], "missing_leads": result.missing_leads,
            "note": result.note}


# -- glossary and comparison ------------------------------------------------------------------
def glossary(term: str) -> dict[str, Any]:
    from medts.labels import STATEMENTS

    key = term.strip()
    hits = [c for c in STATEMENTS if c.upper() == key.upper()]
    if not hits:
        words = [w for w in key.lower().replace("-", " ").split() if len(w) > 2]
        scored = [(sum(w in s.description.lower() for w in words), c) for c, s in STATEMENTS.items()]
        best = max((n for n, _ in scored), default=0)
        hits = [c for n, c in scored if n == best and n > 0][:3]
    if not hits:
        return {"available": False, "term": term, "reason": f"no statement matches {term!r}"}
    return {"term": term, "entries": [{
        "code": c, "description": STATEMENTS[c].description,
        "kind": [k for k in ("diagnostic", "form", "rhythm") if getattr(STATEMENTS[c], k)],
        "diagnostic_class": STATEMENTS[c].diagnostic_class,
        "typical_criteria": CRITERIA.get(c, "no criteria text in the glossary yet"),
    } for c in hits]}


_COMPARE_KEYS = ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms", "qrs_axis_deg")


def compare(a: dict[str, Any], b: dict[str, Any], findings_a: Any, findings_b: Any) -> dict[str, Any]:
    """What changed from record a (earlier) to record b (later): measurement deltas and the
    engine's reconciled statements (:meth:`medts.interpret.Findings.codes`), not raw classifier
    calls, so a change listed here is one the report and the interpretation tool also assert."""
    changes = {}
    for key in _COMPARE_KEYS:
        va, vb = _value(a.get(key)), _value(b.get(key))
        unit = key.rsplit("_", 1)[-1]
        changes[key] = {"before": va, "after": vb,
                        f"change_{unit}": None if va is None or vb is None else round(vb - va, 1)}
    out: dict[str, Any] = {"measurements": changes}
    abstained = [f for f in (findings_a, findings_b) if f.quality.abstain]
    if abstained:
        out["statements"] = {"available": False, "reason": f"signal quality poor on {abstained[0].record_id}: "
                                                            f"{abstained[0].quality.reason}"}
        return out
    pa, pb = set(findings_a.codes()), set(findings_b.codes())
    out["statements"] = {"new": sorted(pb - pa), "resolved": sorted(pa - pb), "unchanged": sorted(pa & pb),
                         "source": "medts.interpret (reconciled statements)"}
    if not (findings_a.classifier_available and findings_b.classifier_available):
        out["statements"]["note"] = "no statement classifier: statements come from measurements only"
    return out


# ---------------------------------------------------------------------------------------------
# Argument schemas (what an LLM sees) and the ToolBox
# ---------------------------------------------------------------------------------------------
# Descriptions are short and free of quotes: every native question sends them (llama-cpp-python's
# template writes each quote as an HTML escape, several tokens), and the tool names, argument
# names and enums already say most of it. medts.agent.native.tool_schemas leaves out what the
# model cannot choose (a record argument when one ECG is loaded, classify's top_k).
def analyse_whole_recording(ecg: ECG) -> Any:
    """The windowed analysis (:class:`medts.longterm.result.LongTermResult`) of the whole recording behind
    ``ecg`` (a long record is read for chat on its first minutes), streamed from its file; a ``str`` saying
    why there is none (a record given as data, a file shorter than two windows)."""
    from medts.interpret.longterm import REPORT_WHOLE_RECORD_MIN_S
    from medts.longterm.stream import open_long_record

    if ecg.source is None:
        return "the record was given as data, not a file, so there is no whole recording to read"
    src = open_long_record(ecg.source, fs=ecg.fs)
    if src.duration_s < REPORT_WHOLE_RECORD_MIN_S:
        return (f"the record is {src.duration_s:.0f} s long; a whole-recording analysis needs "
                f"{REPORT_WHOLE_RECORD_MIN_S:g} s or more (two 60-s windows), so the answer comes from the resting tools")
    from medts.longterm.analyze import analyze_recording

    return analyze_recording(src)


def whole_recording(ecg: ECG, resting_codes: set[str], res: Any = None) -> dict[str, Any]:
    """The ``whole_recording`` tool: the windowed analysis ``res`` of the recording behind ``ecg``
    (:func:`analyse_whole_recording`, run now when not given): AF/flutter episodes and burden, ventricular
    and supraventricular ectopy, runs, pauses and the rate range, with the codes it shows present or absent
    and the report's sentence on it (which names the resting analysis's ``resting_codes`` where the two
    disagree)."""
    from medts.interpret.longterm import PAUSE_S, RUN_MIN_BEATS, WHOLE_RECORD_CODES, whole_record_codes
    from medts.interpret.verdict import whole_record_sentence

    res = analyse_whole_recording(ecg) if res is None else res
    if isinstance(res, str):
        return {"available": False, "reason": res}
    e, rate = res.ectopy, res.rate
    present = whole_record_codes(res)
    longest = max(res.pauses, key=lambda p: p.duration_s, default=None)
    return {
        "duration_s": round(res.duration_s, 1), "duration_minutes": round(res.duration_s / 60.0, 1), "window_s": res.window_s,
        "beat_lead": res.lead, "n_beats": e.n_beats, "n_windows": len(res.windows),
        "n_poor_quality_windows": res.poor_quality_windows, "n_p_wave_windows": res.p_wave_windows,
        "af_episodes": len(res.episodes), "af_burden_pct": res.af_burden_percent,
        "episodes": [{"onset_s": x.onset_s, "offset_s": x.offset_s, "duration_s": x.duration_s,
                      "mean_hr_bpm": x.mean_hr_bpm} for x in res.episodes[:50]],
        **{name: {"n_beats": e.counts[k], "burden_pct": e.burden_percent[k], "isolated": e.isolated[k],
                  "couplets": e.couplets[k], "runs": sum(1 for x in e.runs if x.kind == k),
                  **({"n_bigeminy_beats": e.bigeminy_beats} if k == "V" else {})}
           for k, name in (("V", "ventricular"), ("S", "supraventricular"))},
        "runs": [{"kind": x.kind, "n_beats": x.beats, "onset_s": x.onset_s, "rate_bpm": x.rate_bpm} for x in e.runs[:50]],
        "run_min_beats": RUN_MIN_BEATS, "pause_min_s": PAUSE_S, "n_pauses": len(res.pauses),
        "longest_pause_s": None if longest is None else longest.duration_s,
        "longest_pause_onset_s": None if longest is None else longest.onset_s,
        "rate": {"mean_hr_bpm": rate.mean_bpm, "slowest_window_hr_bpm": rate.min_bpm, "slowest_window_at_s": rate.min_at_s,
                 "fastest_window_hr_bpm": rate.max_bpm, "fastest_window_at_s": rate.max_at_s},
        "present": list(present),
        "absent": [c for c in WHOLE_RECORD_CODES if c not in present],
        "summary": whole_record_sentence(res, resting_codes, ecg.duration_s),
        "notes": res.notes,
    }


class RecordArgs(BaseModel):
    record: str = Field("current", description="which loaded ECG")


class DelineationArgs(RecordArgs):
    method: Literal["auto", "medtsllm", "neurokit2"] = Field(
        "auto", description="medtsllm segmentation head, neurokit2 fallback, or auto")


class ClassifyArgs(RecordArgs):
    level: Literal["all", "rhythm", "form", "diagnostic", "superdiagnostic"] = Field(
        "all", description="PTB-XL label level")
    top_k: int = Field(5, ge=0, le=71, description="also list this many absent statements with probabilities")


class ExplainArgs(RecordArgs):
    code: str = Field(..., description="SCP statement code, e.g. LVH or AFIB")


class GlossaryArgs(BaseModel):
    term: str = Field(..., description="SCP code (IRBBB) or words (right bundle branch block)")


class CompareArgs(BaseModel):
    before: str = Field("previous", description="the earlier ECG")
    after: str = Field("current", description="the later ECG")


TOOL_SPECS: dict[str, tuple[type[BaseModel], str]] = {
    "record_summary": (RecordArgs, ("Record facts (duration, leads, fs, age, sex) and signal quality; "
                                    "quality poor means the ECG cannot be interpreted.")),
    "measurements": (RecordArgs, ("Heart rate, PR, QRS, QT, QTc, P/QRS/T axes, ST at J+60 ms, T amplitude, "
                                  "LVH voltages, HRV, rhythm features, reference limits.")),
    "delineation": (DelineationArgs, "P/QRS/T onsets and offsets: wave counts and median durations."),
    "classify": (ClassifyArgs, "PTB-XL statements with probabilities, thresholds and present/absent."),
    "interpretation": (RecordArgs, ("The verdict and final statements: classifier outputs checked against "
                                    "the measurements, each asserted or withheld with its reason.")),
    "explain": (ExplainArgs, "Which leads and times drive the classifier for one statement."),
    "anomalies": (RecordArgs, "Unusual beats (anomaly head, or beat-template correlation)."),
    "glossary": (GlossaryArgs, "Definition and typical criteria of an ECG statement."),
    "compare": (CompareArgs, "What changed between two loaded ECGs: measurements and statements."),
    "whole_recording": (RecordArgs, ("A long record as a whole, window by window: AF/flutter episodes and burden, "
                                     "ventricular and supraventricular ectopic beats, runs, pauses, rate range.")),
}


@dataclass
class ToolCall:
    """One executed tool call (the trace the grounding check and the UI read)."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any]
    seconds: float


class ToolBox:
    """Runs the tools on a :class:`Workspace`, caching per record and tracing every call."""

    def __init__(self, workspace: Workspace | None = None, classifiers: ClassifierBank | None = None, *,
                 anomaly_adapter: Path | None = None, segmentation_adapter: Path | None = None):
        self.workspace = workspace or Workspace()
        self.classifiers = classifiers or ClassifierBank()
        # MedTsLLM heads (default: the shipped adapters/anomaly-smollm2, adapters/segmentation-smollm2)
        self.anomaly_adapter = Path(anomaly_adapter) if anomaly_adapter else adapter_dir(ANOMALY_ADAPTER)
        self.segmentation_adapter = (Path(segmentation_adapter) if segmentation_adapter
                                     else adapter_dir(SEGMENTATION_ADAPTER))
        self.trace: list[ToolCall] = []
        # Keyed by the ECG object itself (identity hash), which also keeps it alive: an id() key
        # could be reused by a new record after the old one is freed.
        self._cache: dict[tuple[ECG, str], dict[str, Any]] = {}
        self._objects: dict[tuple[ECG, str], Any] = {}  # typed results (measurements, findings) by record
        self._whole: dict[ECG, Future] = {}  # whole-recording analyses started in the background

    def start_whole_recording(self, name: str) -> None:
        """Start the windowed analysis of record ``name``'s whole recording in a background thread (a long
        record's first question about it then need not wait for it all: about 4 CPU-s per hour of ECG). A
        daemon thread: leaving the chat never waits for it."""
        ecg = self.workspace.get(name)
        if ecg in self._whole:
            return
        future: Future = Future()
        self._whole[ecg] = future

        def work() -> None:
            try:
                future.set_result(analyse_whole_recording(ecg))
            except BaseException as error:  # noqa: BLE001 - handed to the tool call that waits for it, which reports it
                future.set_exception(error)

        threading.Thread(target=work, name=f"whole-recording-{name}", daemon=True).start()

    def _cached(self, ecg: ECG, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        k = (ecg, key)
        if k not in self._cache:
            self._cache[k] = compute()
        return self._cache[k]

    def measured(self, name: str) -> dict[str, Any]:
        """``medts.signal.measure_ecg`` of record ``name`` as JSON (cached)."""
        ecg = self.workspace.get(name)
        return self._cached(ecg, "measure", lambda: to_jsonable(self._measurement(ecg)))

    def _measurement(self, ecg: ECG) -> Any:
        from medts.signal import measure_ecg

        key = (ecg, "measure_obj")
        if key not in self._objects:
            self._objects[key] = measure_ecg(ecg)
        return self._objects[key]

    def findings(self, name: str) -> Any:
        """:class:`medts.interpret.Findings` of record ``name``: measurements + every shipped classifier (cached)."""
        from medts.interpret import interpret, scores_from_predictions

        ecg = self.workspace.get(name)
        key = (ecg, "findings")
        if key not in self._objects:
            from medts.errors import InvalidECGError

            self.classifiers.get("all")
            loaded = list(self.classifiers._loaded.values())
            unread = None
            try:
                scores = scores_from_predictions([c.predict(ecg) for c in loaded]) if loaded else None
            except InvalidECGError as error:  # no standard lead (a Holter's ECG1, ECG2): the measurements still stand
                scores, unread = None, str(error)
            found = interpret(self._measurement(ecg), sex=ecg.sex, age_years=ecg.age, scores=scores)
            if unread is not None:  # the verdict says "statement classifier not run"; the notes say why
                found = found.model_copy(update={"notes": [*found.notes, unread]})
            self._objects[key] = found
        return self._objects[key]

    def classified(self, name: str, level: str = "all", top_k: int = 5) -> dict[str, Any]:
        ecg = self.workspace.get(name)
        return self._cached(ecg, f"classify:{level}:{top_k}", lambda: classify(ecg, self.classifiers, level, top_k))

    def _dispatch(self, name: str, a: BaseModel) -> dict[str, Any]:
        if name == "glossary":
            return glossary(a.term)
        if name == "compare":
            return compare(self.measured(a.before), self.measured(a.after),
                           self.findings(a.before), self.findings(a.after))
        ecg = self.workspace.get(a.record)
        if name == "record_summary":
            return record_summary(ecg, self.findings(a.record))
        if name == "measurements":
            return measurements(ecg, self.measured(a.record), self.findings(a.record))
        if name == "interpretation":
            return interpretation(self.findings(a.record))
        if name == "delineation":
            return self._cached(ecg, f"delineation:{a.method}", lambda: delineation(
                ecg, self.measured(a.record), a.method, self.segmentation_adapter))
        if name == "classify":
            return self.classified(a.record, a.level, a.top_k)
        if name == "explain":
            return self._cached(ecg, f"explain:{a.code.upper()}", lambda: explain(ecg, self.classifiers, a.code))
        if name == "anomalies":
            return self._cached(ecg, "anomalies", lambda: anomalies(ecg, self.measured(a.record), self.anomaly_adapter))
        if name == "whole_recording":
            started = self._whole.get(ecg)
            return self._cached(ecg, "whole_recording", lambda: whole_recording(
                ecg, set(self.findings(a.record).codes()), started.result() if started is not None else None))
        raise KeyError(f"unknown tool {name!r}")

    def run(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run tool ``name`` with ``args`` (validated by its schema); errors become JSON, not raises."""
        if name not in TOOL_SPECS:
            result: dict[str, Any] = {"available": False, "reason": f"unknown tool {name!r}"}
            self.trace.append(ToolCall(name, dict(args or {}), result, 0.0))
            return {"tool": name, **result}
        schema, _ = TOOL_SPECS[name]
        t0 = time.perf_counter()
        try:
            parsed = schema(**(args or {}))
            body = self._dispatch(name, parsed)
            result = {"available": True, **body} if "available" not in body else dict(body)
        except Exception as error:  # noqa: BLE001 - the LLM sees a reason, the chat goes on
            parsed = None
            result = {"available": False, "reason": f"{type(error).__name__}: {error}"}
        record = getattr(parsed, "record", None) if parsed is not None else (args or {}).get("record")
        result = {"tool": name, **({"record": record} if record else {}), **to_jsonable(result)}
        self.trace.append(ToolCall(name, parsed.model_dump() if parsed else dict(args or {}), result,
                                   round(time.perf_counter() - t0, 4)))
        return result

    def langchain_tools(self) -> list:
        """The tools as LangChain ``StructuredTool`` objects (JSON string results)."""
        from langchain_core.tools import StructuredTool

        def make(name: str, schema: type[BaseModel], description: str) -> StructuredTool:
            def call(**kwargs: Any) -> str:
                return json.dumps(self.run(name, kwargs))

            return StructuredTool.from_function(func=call, name=name, description=description, args_schema=schema)

        return [make(n, s, d) for n, (s, d) in TOOL_SPECS.items()]
