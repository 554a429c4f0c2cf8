"""``medts bench delineation``: medts's fused delineation against cardiologists and NeuroKit2.

Figures (all in one run, written to ``eval/results/delineation.json`` and ``.md``):

1. **LUDB** (12 leads, 500 Hz): per fiducial (P/QRS/T onset, peak, offset) sensitivity, PPV,
   F1 at ±150 ms and the mean / SD of the signed error and MAE (ms), pooled over the 12 leads,
   for medts (fused fiducials placed in every lead) and NeuroKit2 ``dwt`` and ``prominence``
   run per lead (``nk.ecg_clean`` -> ``nk.ecg_peaks`` -> ``nk.ecg_delineate``). Reported on all
   records, on the tuning records (1-80) and on the held-out records (81-160).
2. **Global intervals on LUDB**: PR, QRS and QT per record against the same intervals from the
   cardiologist annotations (median over leads of each lead's median per-beat interval).
3. **QTDB** ``.q1c``: the same fiducial metrics on the annotated beats (sensitivity and errors
   only: the cardiologist marked selected beats, so unmatched detections cannot be judged).
4. **R peaks**: F1 at 75 ms on CPSC2019 and MIT-BIH MLII against ``nk.ecg_peaks``.
5. **Speed and memory**: full ``measure_ecg`` of a 12-lead 10 s 500 Hz record against
   ``nk.ecg_process`` on each of the 12 leads.

Example
-------
>>> from medts.bench.delineation import parse_records
>>> parse_records("1-3,7")
[1, 2, 3, 7]
"""

from __future__ import annotations

import glob
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import neurokit2 as nk
import numpy as np

from medts.bench.metrics import FiducialScore, match_fiducials
from medts.bench.results import markdown_table, write_results
from medts.signal.clean import clean_ecg
from medts.signal.delineate import FIDUCIALS
from medts.signal.fuse import TUNED_ON
from medts.signal.measure import analyse_ecg, measure_ecg, measurements_from_analysis
from medts.signal.openecg_baseline import OPENECG_LUDB_VAL, openecg_lead_fiducials
from medts.signal.peaks import consensus_rpeaks

TOLERANCE_MS = 150.0
RPEAK_TOLERANCE_MS = 75.0
METHODS = ("medts", "nk_dwt", "nk_prominence", "openecg")
NK_METHODS = ("nk_dwt", "nk_prominence")
OPENECG = "openecg"
"""openecg (PyPI) is scored on LUDB only, on its own validation records: it was trained on the rest of
LUDB and on all of QTDB (``medts.signal.openecg_baseline``)."""
OPENECG_SUBSETS = ("openecg_val", "openecg_val_held_out")
CSE_SD_MS = {"P_on": 10.2, "P_off": 12.7, "QRS_on": 6.5, "QRS_off": 11.6, "T_off": 30.6}

RULES = [
    ("LUDB: each lead is evaluated only inside its annotated span (first to last annotated sample; "
    "LUDB skips the first and last beats). Annotations outside the span are ignored; a detection is a "
    "false positive only if unmatched and inside the span."),
    (f"Matching: one-to-one, same fiducial kind, closest pairs first, tolerance ±{TOLERANCE_MS:g} ms; "
    "errors are detected minus annotated (ms); metrics pooled over all leads and records."),
    ("medts places its fused (global, one per beat) onsets/offsets in every usable lead, except T onset "
    "(the lead's own NeuroKit2 onset held within 30 ms of the fused one); its peaks are lead-specific "
    "(QRS: the most prominent positive deflection in the fused QRS; P/T: largest deviation from the chord "
    "across the fused wave, the T window widened by 20 ms before and 60 ms after). NeuroKit2 baselines run per lead: nk.ecg_clean -> nk.ecg_peaks -> nk.ecg_delineate "
    "(method dwt or prominence), QRS peak = that lead's R peak."),
    (f"Tuning: medts constants were chosen on LUDB records {TUNED_ON[0]}-{TUNED_ON[-1]} only; records "
    f"{TUNED_ON[-1] + 1}-160 and all of CPSC2019 and MIT-BIH are held out. Exception: the T-end constants "
    "(medts.signal.tend: trapezium window, lead selection by T amplitude, percentile, shift) were chosen on "
    "LUDB 1-80 together with QTDB RECORDS[0::2] (1st, 3rd, ... record); QTDB QT and T-offset figures are "
    "given for that tuning half and for the held-out half RECORDS[1::2] apart."),
    ("Annotators' cross-lead SD: for each beat, the SD (ms) of the cardiologists' own marks of a fiducial "
    "across the leads where they marked it (>= 3 leads; marks more than 100 ms apart belong to different beats), "
    "as the root mean square over all beats of the LUDB records scored (metrics.ludb.annotator_cross_lead_sd_ms "
    "also gives mean and median). medts places one fused boundary per beat in every lead, so its per-lead error "
    "SD cannot go below this floor; where the floor exceeds the CSE limit, that limit is unreachable per lead."),
    ("Intervals: reference per record = median over leads of each lead's median per-beat annotated "
    "interval (PR = QRS on - P on, QRS = QRS off - QRS on, QT = T off - QRS on). NeuroKit2's interval "
    "is computed the same way from its per-lead fiducials; medts's is its measure_ecg value. MAE over "
    "records where both the reference and the method give a value; missing counts are reported."),
    ("QTDB q1c: the cardiologist marked selected beats only, so unmatched detections cannot be judged: "
    "sensitivity and errors are reported (no PPV/F1). medts fuses both leads into one fiducial; "
    "NeuroKit2 is run per lead and pooled over the two leads. To bound the run time, 60 s of each "
    "record are processed, from 5 s before its first q1c mark; marks at least 1 s inside that window are scored."),
    (f"R peaks: F1 at ±{RPEAK_TOLERANCE_MS:g} ms; medts = clean_ecg + consensus_rpeaks (one lead here), "
    "NeuroKit2 = nk.ecg_clean + nk.ecg_peaks."),
    ("openecg (PyPI openecg==0.11.0, bundled codec_v6 frame channel, per lead, 500 Hz 10 s windows): it was "
    "trained on LUDB except its 41 validation records (github.com/vitaldb/openecg data/splits/ludb_v1.json) and "
    "on all of QTDB, so it is scored on LUDB only and only on the benchmark's records in that validation split "
    "(subset openecg_val; for LUDB 1-160: 10, 11, 14, 20, 21, 22, 28, 33, 34, 35, 39, 47, 48, 53, 55, 56, 66, 67, "
    "70, 72, 73, 74, 78, 91, 92, 93, 95, 101, 115, 119, 120, 133, 135, 154). Those records are also in medts's "
    "tuning half (1-80) for 23 of them; subset openecg_val_held_out keeps the 11 records that neither openecg "
    "trained on nor medts tuned on (81-160). All methods are shown on both subsets. openecg fiducials: one beat "
    "per QRS label run; its P = last P run since the previous QRS, T = first T run before the next QRS; "
    "onset/offset = first/last sample of the run; peak = largest deviation from the chord across the run."),
    ("Speed: wall time per 12-lead 10 s 500 Hz LUDB record (median over records, after a warm-up), "
    "single process; peak Python memory by tracemalloc (it does not see torch's tensor memory, so openecg's "
    "figure leaves out its model and activations)."),
]


def parse_records(spec: str) -> list[int]:
    """``"1-80,90"`` -> ``[1, ..., 80, 90]``."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


# --------------------------------------------------------------------------- per-lead detections
def nk_lead_fiducials(lead: np.ndarray, fs: float, method: str) -> dict[str, np.ndarray]:
    """NeuroKit2 per-lead pipeline: ecg_clean -> ecg_peaks -> ecg_delineate(method)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cleaned = nk.ecg_clean(np.asarray(lead, float), sampling_rate=round(fs))
            _, info = nk.ecg_peaks(cleaned, sampling_rate=round(fs))
            rpeaks = np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
        except Exception:  # noqa: BLE001 - a baseline failing on a lead counts as no detections
            return {k: np.zeros(0) for k in FIDUCIALS}
        return _public_delineate(cleaned, rpeaks, fs, method)


def _public_delineate(cleaned: np.ndarray, rpeaks: np.ndarray, fs: float, method: str) -> dict[str, np.ndarray]:
    """Baselines use the public ``nk.ecg_delineate`` exactly as a user would."""
    out = {k: np.full(len(rpeaks), np.nan) for k in FIDUCIALS}
    out["QRS_peak"] = rpeaks.astype(float)
    if len(rpeaks) < 2:
        return out
    try:
        _, waves = nk.ecg_delineate(cleaned, rpeaks, sampling_rate=round(fs), method=method)
    except Exception:  # noqa: BLE001
        return out
    keys = {"P_on": "ECG_P_Onsets", "P_peak": "ECG_P_Peaks", "P_off": "ECG_P_Offsets",
            "QRS_on": "ECG_R_Onsets", "QRS_off": "ECG_R_Offsets", "T_on": "ECG_T_Onsets",
            "T_peak": "ECG_T_Peaks", "T_off": "ECG_T_Offsets"}
    for kind, key in keys.items():
        values = np.asarray(waves.get(key, []), dtype=float)
        if len(values) == len(rpeaks):
            out[kind] = values
    return out


def waves_to_fiducials(waves: list) -> dict[str, np.ndarray]:
    """Annotated ``Wave`` list -> {fiducial kind: sample array}."""
    out: dict[str, list[int]] = {k: [] for k in FIDUCIALS}
    for w in waves:
        for part, value in (("on", w.onset), ("peak", w.peak), ("off", w.offset)):
            if value is not None:
                out[f"{w.kind}_{part}"].append(int(value))
    return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}


def annotator_cross_lead_sd_ms(ann: dict[str, dict[str, np.ndarray]], fs: float, *,
                               min_leads: int = 3, gap_ms: float = 100.0) -> dict[str, list[float]]:
    """Per-beat SD (ms) of the cardiologists' own marks of one fiducial across the leads.

    LUDB annotators mark each lead separately; the spread of one beat's marks across the leads
    is the floor that a single global fiducial placed in every lead cannot go below. All leads'
    marks of a kind are pooled and split into beats where consecutive marks are more than
    ``gap_ms`` apart; beats marked in fewer than ``min_leads`` leads are skipped.
    """
    out: dict[str, list[float]] = {}
    for kind in FIDUCIALS:
        marks = np.sort(np.concatenate([a[kind] for a in ann.values()]).astype(float))
        if len(marks) < min_leads:
            out[kind] = []
            continue
        beats = np.split(marks, np.flatnonzero(np.diff(marks) > gap_ms * fs / 1000.0) + 1)
        out[kind] = [float(b.std(ddof=1) * 1000.0 / fs) for b in beats if len(b) >= min_leads]
    return out


# --------------------------------------------------------------------------- intervals
def annotated_intervals_ms(waves: list, fs: float) -> dict[str, float | None]:
    """Median per-beat PR, QRS and QT (ms) of one lead's annotated waves."""
    pr, qrs, qt = [], [], []
    seq = sorted(waves, key=lambda w: (w.peak if w.peak is not None else (w.onset or 0)))
    for i, w in enumerate(seq):
        if w.kind != "QRS" or w.onset is None:
            continue
        if w.offset is not None:
            qrs.append(w.offset - w.onset)
        prev = seq[i - 1] if i > 0 else None
        if prev is not None and prev.kind == "P" and prev.onset is not None and w.onset - prev.onset < 0.4 * fs:
            pr.append(w.onset - prev.onset)
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        if nxt is not None and nxt.kind == "T" and nxt.offset is not None and nxt.offset - w.onset < 0.75 * fs:
            qt.append(nxt.offset - w.onset)
    k = 1000.0 / fs
    return {name: float(np.median(v)) * k if v else None for name, v in (("PR", pr), ("QRS", qrs), ("QT", qt))}


def fiducial_intervals_ms(f: dict[str, np.ndarray], fs: float) -> dict[str, float | None]:
    """Median per-beat PR, QRS and QT (ms) from per-beat fiducial arrays of one lead."""
    out: dict[str, float | None] = {}
    for name, (a, b, lo, hi) in {"PR": ("P_on", "QRS_on", 40, 400), "QRS": ("QRS_on", "QRS_off", 20, 250),
                                 "QT": ("QRS_on", "T_off", 150, 750)}.items():
        if len(f[a]) != len(f[b]):
            out[name] = None
            continue
        d = (f[b] - f[a]) * 1000.0 / fs
        d = d[np.isfinite(d) & (d >= lo) & (d <= hi)]
        out[name] = float(np.median(d)) if len(d) else None
    return out


def _median_or_none(values: list[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return float(np.median(v)) if v else None


def _interval_summary(pairs: list[tuple[float | None, float | None]]) -> dict[str, Any]:
    both = [(m, r) for m, r in pairs if m is not None and r is not None]
    err = np.array([m - r for m, r in both], dtype=float)
    return {
        "n_records_compared": len(both),
        "n_reference_only": sum(1 for m, r in pairs if m is None and r is not None),
        "n_method_only": sum(1 for m, r in pairs if m is not None and r is None),
        "mae_ms": float(np.abs(err).mean()) if len(err) else None,
        "mean_error_ms": float(err.mean()) if len(err) else None,
        "sd_error_ms": float(err.std(ddof=1)) if len(err) > 1 else None,
    }


# --------------------------------------------------------------------------- LUDB
def ludb_record_result(root: Path, rid: int, methods: tuple[str, ...]) -> dict[str, Any]:
    """Matches (per method, lead and fiducial), intervals and AF rows of one LUDB record."""
    from medts.io.ludb import read_ludb

    rec = read_ludb(root, rid)
    ecg, fs = rec.ecg, rec.ecg.fs
    tol = round(TOLERANCE_MS * fs / 1000)
    ann = {lead: waves_to_fiducials(rec.waves[lead]) for lead in ecg.leads}
    spans = {lead: rec.annotated_span(lead) for lead in ecg.leads}
    ref_iv = {name: _median_or_none([annotated_intervals_ms(rec.waves[lead], fs)[name] for lead in ecg.leads])
              for name in ("PR", "QRS", "QT")}
    rhythm = " ".join(rec.diagnoses.get("Rhythms", []))
    out: dict[str, Any] = {"record": rid, "fs": fs, "matches": {}, "intervals": {}, "af": None,
                           "annotator_sd_ms": annotator_cross_lead_sd_ms(ann, fs)}
    for method in methods:
        if method == OPENECG and rid not in OPENECG_LUDB_VAL:
            continue  # openecg trained on this record
        if method == "medts":
            a = analyse_ecg(ecg)
            per = a.delineation.per_lead
            lead_fids = {lead: {k: per[k][j] for k in FIDUCIALS} for j, lead in enumerate(ecg.leads)}
            m = measurements_from_analysis(ecg, a)
            method_iv = {"PR": m.pr_ms.value, "QRS": m.qrs_ms.value, "QT": m.qt_ms.value}
            if "fibrillation" in rhythm.lower():
                out["af"] = {"record": rid, "rhythm": rhythm, "pr_ms": m.pr_ms.value,
                             "pr_reason": m.pr_ms.reason, "p_wave_fraction": m.rhythm.p_wave_fraction.value}
        else:
            if method == OPENECG:
                lead_fids = {lead: openecg_lead_fiducials(ecg.lead(lead), fs) for lead in ecg.leads}
            else:
                nk_method = method.removeprefix("nk_")
                lead_fids = {lead: nk_lead_fiducials(ecg.lead(lead), fs, nk_method) for lead in ecg.leads}
            per_lead_iv = [fiducial_intervals_ms(lead_fids[lead], fs) for lead in ecg.leads]
            method_iv = {name: _median_or_none([iv[name] for iv in per_lead_iv]) for name in ("PR", "QRS", "QT")}
        out["intervals"][method] = {name: (method_iv[name], ref_iv[name]) for name in ("PR", "QRS", "QT")}
        out["matches"][method] = [
            (kind, match_fiducials(lead_fids[lead][kind], ann[lead][kind], tolerance=tol, span=spans[lead]))
            for lead in ecg.leads for kind in FIDUCIALS
        ]
    return out


def bench_ludb(root: Path, records: list[int], methods: tuple[str, ...] = METHODS,
               progress: Callable[[str], None] | None = None, workers: int = 1) -> dict[str, Any]:
    """Per-fiducial scores and global intervals on LUDB ``records`` for each method.

    ``workers`` > 1 scores records in that many processes (results are identical).
    """
    subsets = {"all": set(records), "tuning": set(records) & set(TUNED_ON),
               "held_out": set(records) - set(TUNED_ON)}
    if OPENECG in methods:
        subsets["openecg_val"] = set(records) & set(OPENECG_LUDB_VAL)
        subsets["openecg_val_held_out"] = subsets["openecg_val"] - set(TUNED_ON)
    scores = {m: {s: {k: FiducialScore() for k in FIDUCIALS} for s in _method_subsets(m, subsets)}
              for m in methods}
    intervals: dict[str, dict[str, list]] = {m: {"PR": [], "QRS": [], "QT": []} for m in methods}
    by_subset = {m: {s: {"PR": [], "QRS": [], "QT": []} for s in _method_subsets(m, subsets) if s != "all"}
                 for m in methods}
    af_records = []
    annotator_sd: dict[str, list[float]] = {k: [] for k in FIDUCIALS}
    results = _map(ludb_record_result, [(root, rid, methods) for rid in records], workers)
    for n, res in enumerate(results):
        rid = res["record"]
        for method in methods:
            if method not in res["matches"]:
                continue
            for name, pair in res["intervals"][method].items():
                intervals[method][name].append(pair)
                for subset in by_subset[method]:
                    if rid in subsets[subset]:
                        by_subset[method][subset][name].append(pair)
            for kind, match in res["matches"][method]:
                for subset in scores[method]:
                    if rid in subsets[subset]:
                        scores[method][subset][kind].add(match, res["fs"])
        if res["af"]:
            af_records.append(res["af"])
        for kind, sds in res["annotator_sd_ms"].items():
            annotator_sd[kind].extend(sds)
        if progress:
            progress(f"LUDB {n + 1}/{len(records)} (record {rid})")
    return {
        "fiducials": {m: {s: {k: scores[m][s][k].summary() for k in FIDUCIALS} for s in scores[m] if subsets[s]}
                      for m in methods},
        "intervals": {m: {name: _interval_summary(pairs) for name, pairs in intervals[m].items()} for m in methods},
        "intervals_by_subset": {m: {s: {name: _interval_summary(p) for name, p in by_subset[m][s].items()}
                                    for s in by_subset[m] if subsets[s]} for m in methods},
        "atrial_fibrillation_records": af_records,
        "annotator_cross_lead_sd_ms": {
            k: {"n_beats": len(v), "mean": float(np.mean(v)) if v else None,
                "median": float(np.median(v)) if v else None,
                "rms": float(np.sqrt(np.mean(np.square(v)))) if v else None}
            for k, v in annotator_sd.items()},
    }


def _method_subsets(method: str, subsets: dict[str, set[int]]) -> list[str]:
    """Record subsets a method is scored on: openecg only on records outside its LUDB training split."""
    if method == OPENECG:
        return [s for s in subsets if s in OPENECG_SUBSETS]
    return list(subsets)


def _map(fn: Callable, args: list[tuple], workers: int):
    """``fn(*a)`` for each ``a`` in order, in ``workers`` processes when > 1 (a generator)."""
    if workers <= 1:
        for a in args:
            yield fn(*a)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(fn, *zip(*args))


# --------------------------------------------------------------------------- QTDB
QTDB_WINDOW_S = 60.0
"""Seconds of each QTDB record processed, from 5 s before its first ``.q1c`` mark."""


def qtdb_record_result(root: Path, name: str, methods: tuple[str, ...]) -> dict[str, Any] | None:
    """Matches per method and fiducial for one QTDB record (``None`` without q1c marks)."""
    from medts.io.qtdb import read_qtdb
    from medts.record import ECG

    rec = read_qtdb(root, name)
    if not rec.q1c:
        return None
    fs = rec.ecg.fs
    ann = waves_to_fiducials(rec.q1c)
    points = np.concatenate([v for v in ann.values() if len(v)])
    start = max(0, int(points.min() - 5 * fs))
    stop = min(rec.ecg.n_samples, start + int(QTDB_WINDOW_S * fs))
    ecg = ECG(rec.ecg.signal[start:stop], fs=fs, leads=rec.ecg.leads, record_id=rec.ecg.record_id)
    # only marks at least 1 s inside the processed window are scored
    ann = {k: v[(v >= start + fs) & (v < stop - fs)] - start for k, v in ann.items()}
    tol = round(TOLERANCE_MS * fs / 1000)
    in_window = [w for w in rec.q1c if all(v is None or start + fs <= v < stop - fs for v in (w.onset, w.peak, w.offset))]
    ref_qt = annotated_intervals_ms([replace(w, onset=None if w.onset is None else w.onset - start,
                                             peak=None if w.peak is None else w.peak - start,
                                             offset=None if w.offset is None else w.offset - start)
                                     for w in in_window], fs)["QT"]
    out: dict[str, Any] = {"record": name, "fs": fs, "matches": {}, "qt": {}}
    for method in methods:
        if method == "medts":
            g = analyse_ecg(ecg).delineation.global_
            candidates = [{k: g[k] for k in FIDUCIALS}]  # one fused fiducial per beat
        else:
            candidates = [nk_lead_fiducials(ecg.signal[:, j], fs, method.removeprefix("nk_"))
                          for j in range(ecg.n_leads)]
        # QT: the median over the window's beats (NeuroKit2: the median of its two leads' QT)
        out["qt"][method] = (_median_or_none([fiducial_intervals_ms(c, fs)["QT"] for c in candidates]), ref_qt)
        matches = []
        for fids in candidates:
            for kind in FIDUCIALS:
                if len(ann[kind]):
                    match = match_fiducials(fids[kind], ann[kind], tolerance=tol)
                    match.fp = 0  # unannotated beats: unmatched detections cannot be judged
                    matches.append((kind, match))
        out["matches"][method] = matches
    return out


def bench_qtdb(root: Path, names: list[str], methods: tuple[str, ...] = METHODS,
               progress: Callable[[str], None] | None = None, workers: int = 1) -> dict[str, Any]:
    """Sensitivity and errors against QTDB ``.q1c`` annotations (annotated region only)."""
    tuned = qtdb_tuning_records(root)
    subsets = ("all", "tuning", "held_out")
    scores = {m: {s: {k: FiducialScore() for k in FIDUCIALS} for s in subsets} for m in methods}
    used = []
    qt_pairs: dict[str, dict[str, list]] = {m: {s: [] for s in subsets} for m in methods}
    for n, res in enumerate(_map(qtdb_record_result, [(root, name, methods) for name in names], workers)):
        if res is None:
            continue
        used.append(res["record"])
        mine = ("all", "tuning" if res["record"] in tuned else "held_out")
        for method in methods:
            for subset in mine:
                qt_pairs[method][subset].append(res["qt"][method])
                for kind, match in res["matches"][method]:
                    scores[method][subset][kind].add(match, res["fs"])
        if progress:
            progress(f"QTDB {n + 1}/{len(names)} ({res['record']})")

    def fiducials(subset: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for m in methods:
            out[m] = {}
            for k in FIDUCIALS:
                s = scores[m][subset][k].summary()
                out[m][k] = {key: s[key] for key in ("tp", "fn", "sensitivity", "mean_error_ms", "sd_error_ms", "mae_ms")}
        return out

    return {"records": used, "window_s": QTDB_WINDOW_S, "fiducials": fiducials("all"),
            "fiducials_held_out": fiducials("held_out"),
            "tuning_records": [r for r in used if r in tuned],
            "qt_vs_q1c": {m: _interval_summary(qt_pairs[m]["all"]) for m in methods},
            "qt_vs_q1c_by_subset": {m: {s: _interval_summary(qt_pairs[m][s]) for s in ("tuning", "held_out")}
                                    for m in methods}}


def qtdb_tuning_records(root: Path) -> set[str]:
    """QTDB records that took part in choosing the T-end constants (``medts.signal.tend``)."""
    from medts.io.qtdb import qtdb_record_names
    from medts.signal.tend import QTDB_TUNED_EVERY

    start, step = QTDB_TUNED_EVERY
    return set(qtdb_record_names(root)[start::step])


# --------------------------------------------------------------------------- R peaks
def _rpeak_f1(detected: np.ndarray, reference: np.ndarray, fs: float) -> tuple[int, int, int]:
    m = match_fiducials(detected, reference, tolerance=round(RPEAK_TOLERANCE_MS * fs / 1000))
    return m.tp, m.fp, m.fn


def medts_rpeaks(x: np.ndarray, fs: float) -> np.ndarray:
    """medts R peaks of a single-lead signal (cleaning + consensus detector)."""
    return consensus_rpeaks(clean_ecg(x[:, None], fs), fs)


def nk_rpeaks(x: np.ndarray, fs: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = nk.ecg_clean(x, sampling_rate=round(fs))
        _, info = nk.ecg_peaks(cleaned, sampling_rate=round(fs))
    return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


def bench_rpeaks(signals: list[tuple[str, np.ndarray, float, np.ndarray]]) -> dict[str, Any]:
    """Pooled R-peak F1 (75 ms) for medts and ``nk.ecg_peaks`` over ``(name, x, fs, reference)``."""
    totals = {"medts": [0, 0, 0], "nk_ecg_peaks": [0, 0, 0]}
    for _name, x, fs, ref in signals:
        for method, fn in (("medts", medts_rpeaks), ("nk_ecg_peaks", nk_rpeaks)):
            tp, fp, fn_ = _rpeak_f1(fn(x, fs), ref, fs)
            t = totals[method]
            t[0] += tp
            t[1] += fp
            t[2] += fn_
    out = {}
    for method, (tp, fp, fn_) in totals.items():
        out[method] = {"tp": tp, "fp": fp, "fn": fn_, "sensitivity": tp / max(1, tp + fn_),
                       "ppv": tp / max(1, tp + fp), "f1": 2 * tp / max(1, 2 * tp + fp + fn_)}
    return {"n_records": len(signals), **out}


def load_cpsc2019(root: Path) -> list[tuple[str, np.ndarray, float, np.ndarray]]:
    """CPSC2019 records (10 s, 500 Hz, one lead) with reference R peaks (0-based samples)."""
    import scipy.io

    out = []
    for path in sorted(glob.glob(str(root / "data" / "data_*.mat"))):
        ident = Path(path).stem.split("_")[-1]
        ref_path = root / "ref" / f"R_{ident}.mat"
        if not ref_path.is_file():
            continue
        x = np.asarray(scipy.io.loadmat(path)["ecg"], dtype=float).ravel()
        ref = np.asarray(scipy.io.loadmat(ref_path)["R_peak"], dtype=np.int64).ravel()
        out.append((ident, x, 500.0, ref))
    return out


def load_mitdb_mlii(root: Path) -> list[tuple[str, np.ndarray, float, np.ndarray]]:
    """MIT-BIH MLII ``.npz`` excerpts (360 Hz) with all reference beats."""
    out = []
    for path in sorted(glob.glob(str(root / "mlii_npz" / "*.npz"))):
        z = np.load(path)
        out.append((Path(path).stem, np.asarray(z["ecg_mlii_mV"], float), float(z["fs"]), np.asarray(z["r_peaks"], np.int64)))
    return out


# --------------------------------------------------------------------------- speed
def bench_speed(root: Path, records: list[int], methods: tuple[str, ...] = METHODS) -> dict[str, Any]:
    """Median wall time (s) per 12-lead record and peak traced memory (MiB) per pipeline."""
    from medts.io.ludb import read_ludb

    ecgs = [read_ludb(root, rid).ecg for rid in records]

    def nk_process(ecg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for j in range(ecg.n_leads):
                nk.ecg_process(ecg.signal[:, j].astype(float), sampling_rate=int(ecg.fs))

    def nk_delineate(method):
        def run(ecg):
            for j in range(ecg.n_leads):
                nk_lead_fiducials(ecg.signal[:, j], ecg.fs, method)
        return run

    pipelines = {"medts_measure_ecg": measure_ecg, "nk_ecg_process_12_leads": nk_process,
                 "nk_clean_peaks_dwt_12_leads": nk_delineate("dwt"),
                 "nk_clean_peaks_prominence_12_leads": nk_delineate("prominence")}
    if OPENECG in methods:
        pipelines["openecg_12_leads"] = lambda ecg: [openecg_lead_fiducials(ecg.signal[:, j], ecg.fs)
                                                     for j in range(ecg.n_leads)]
    out: dict[str, Any] = {"records": records}
    for name, fn in pipelines.items():
        fn(ecgs[0])  # warm-up (imports, caches)
        times = []
        for ecg in ecgs:
            t0 = time.perf_counter()
            fn(ecg)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        fn(ecgs[0])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = {"median_s": float(np.median(times)), "mean_s": float(np.mean(times)),
                     "peak_traced_mib": peak / 2**20}
    base = out["medts_measure_ecg"]["median_s"]
    for name in pipelines:
        out[name]["speedup_of_medts"] = out[name]["median_s"] / base
    return out


# --------------------------------------------------------------------------- report
def _fid_rows(fid: dict[str, Any], subset: str, methods: tuple[str, ...],
             annotator_sd: dict[str, Any] | None = None) -> list[list[Any]]:
    rows = []
    for kind in FIDUCIALS:
        row: list[Any] = [kind]
        for m in methods:
            s = fid[m][subset][kind]
            row += [s["f1"], s["mean_error_ms"], s["sd_error_ms"], s["mae_ms"]]
        best_f1 = max((fid[m][subset][kind]["f1"] or 0 for m in methods if m in NK_METHODS), default=0)
        best_mae = min((fid[m][subset][kind]["mae_ms"] or 1e9 for m in methods if m in NK_METHODS), default=1e9)
        ours = fid["medts"][subset][kind]
        row += [ours["f1"] / best_f1 if best_f1 else None,
                ours["mae_ms"] / best_mae if ours["mae_ms"] is not None and best_mae < 1e9 else None,
                CSE_SD_MS.get(kind), (annotator_sd or {}).get(kind, {}).get("rms")]
        rows.append(row)
    return rows


def _openecg_interval_tables(ludb: dict[str, Any], methods: tuple[str, ...]) -> list[str]:
    """Global intervals of every method on openecg's LUDB validation records (one table per subset)."""
    tables = []
    by = ludb.get("intervals_by_subset", {})
    for subset in OPENECG_SUBSETS:
        if OPENECG not in methods or subset not in by.get(OPENECG, {}):
            continue
        rows = [[name] + [v for m in methods for v in (by[m][subset][name]["mae_ms"], by[m][subset][name]["mean_error_ms"],
                                                        by[m][subset][name]["n_records_compared"])]
                for name in ("PR", "QRS", "QT")]
        header = ["interval"] + [f"{m} {c}" for m in methods for c in ("MAE", "mean", "n")]
        tables.append(f"## LUDB global intervals vs cardiologists, {subset} records (ms)\n\n"
                      + markdown_table(header, rows))
    return tables


def _tables(metrics: dict[str, Any], methods: tuple[str, ...],
            qtdb_methods: tuple[str, ...] | None = None) -> list[str]:
    tables = []
    if qtdb_methods is None:
        qtdb_methods = tuple(m for m in methods if m != OPENECG)
    ludb = metrics.get("ludb")
    if ludb:
        for subset in ludb["fiducials"]["medts"]:
            shown = tuple(m for m in methods if subset in ludb["fiducials"][m])
            header = ["fiducial"]
            for m in shown:
                header += [f"{m} F1", f"{m} mean", f"{m} SD", f"{m} MAE"]
            header += ["F1 ratio (medts / best NK)", "MAE ratio (medts / best NK)", "CSE SD limit",
                       "annotators' cross-lead SD (all records)"]
            tables.append(f"## LUDB fiducials ({subset}; ms; ±{TOLERANCE_MS:g} ms)\n\n"
                          + markdown_table(header, _fid_rows(ludb["fiducials"], subset, shown,
                                                             ludb.get("annotator_cross_lead_sd_ms"))))
        tables += _openecg_interval_tables(ludb, methods)
        methods = tuple(m for m in methods if m != OPENECG)  # openecg: its own records, table above
        rows = []
        for name in ("PR", "QRS", "QT"):
            row: list[Any] = [name]
            for m in methods:
                s = ludb["intervals"][m][name]
                row += [s["mae_ms"], s["mean_error_ms"], s["n_records_compared"], s["n_reference_only"]]
            rows.append(row)
        header = ["interval"] + [f"{m} {c}" for m in methods for c in ("MAE", "mean", "n", "missed")]
        tables.append("## LUDB global intervals vs cardiologists (ms)\n\n" + markdown_table(header, rows))
        by = ludb.get("intervals_by_subset", {}).get("medts", {})
        if by:
            rows = [[name] + [v for subset in ("tuning", "held_out") if subset in by
                              for v in (by[subset][name]["mae_ms"], by[subset][name]["mean_error_ms"],
                                        by[subset][name]["n_records_compared"])]
                    for name in ("PR", "QRS", "QT")]
            header = ["interval"] + [f"medts {subset} {c}" for subset in ("tuning", "held_out") if subset in by
                                     for c in ("MAE", "mean", "n")]
            tables.append("## LUDB global intervals, medts, tuning vs held-out records (ms)\n\n"
                          + markdown_table(header, rows))
    methods = qtdb_methods
    qtdb = metrics.get("qtdb")
    if qtdb:
        def fiducial_rows(key: str) -> list[list]:
            return [[kind] + [x for m in methods for x in (qtdb[key][m][kind]["sensitivity"], qtdb[key][m][kind]["mean_error_ms"],
                                                           qtdb[key][m][kind]["sd_error_ms"], qtdb[key][m][kind]["mae_ms"])]
                    for kind in FIDUCIALS]

        header = ["fiducial"] + [f"{m} {c}" for m in methods for c in ("Se", "mean", "SD", "MAE")]
        tables.append(f"## QTDB q1c ({len(qtdb['records'])} records; ms)\n\n"
                      + markdown_table(header, fiducial_rows("fiducials")))
        if "fiducials_held_out" in qtdb:
            rows = fiducial_rows("fiducials_held_out")
            n_held = len(qtdb["records"]) - len(qtdb.get("tuning_records", []))
            tables.append(f"## QTDB q1c, held-out half RECORDS[1::2] ({n_held} records; ms)\n\n"
                          + markdown_table(header, rows))
        if "qt_vs_q1c" in qtdb:
            by = qtdb.get("qt_vs_q1c_by_subset", {})
            rows = []
            for m, q in qtdb["qt_vs_q1c"].items():
                row = [m, q["mae_ms"], q["mean_error_ms"], q["n_records_compared"], q["n_reference_only"]]
                for subset in ("tuning", "held_out"):
                    s = by.get(m, {}).get(subset, {})
                    row += [s.get("mae_ms"), s.get("mean_error_ms"), s.get("n_records_compared")]
                rows.append(row)
            tables.append("## QTDB QT (median over the annotated beats' window) vs q1c (ms)\n\n"
                          + markdown_table(["method", "MAE", "mean error", "records", "missed",
                                            "tuning MAE", "tuning mean", "tuning n",
                                            "held-out MAE", "held-out mean", "held-out n"], rows))
    rows = []
    for ds in ("rpeaks_cpsc2019", "rpeaks_mitdb_mlii"):
        if ds in metrics:
            r = metrics[ds]
            rows.append([ds, r["n_records"], r["medts"]["f1"], r["nk_ecg_peaks"]["f1"],
                         r["medts"]["sensitivity"], r["medts"]["ppv"]])
    if rows:
        tables.append(f"## R peaks (F1 at {RPEAK_TOLERANCE_MS:g} ms)\n\n"
                      + markdown_table(["dataset", "records", "medts F1", "nk.ecg_peaks F1", "medts Se", "medts PPV"], rows))
    speed = metrics.get("speed")
    if speed:
        rows = [[name, v["median_s"], v["speedup_of_medts"], v["peak_traced_mib"]]
                for name, v in speed.items() if isinstance(v, dict)]
        tables.append("## Speed per 12-lead 10 s 500 Hz record\n\n"
                      + markdown_table(["pipeline", "median s", "x slower than medts", "peak traced MiB"], rows))
    return tables


def run(
    *,
    data_root: Path,
    ludb_records: list[int],
    qtdb_limit: int | None = None,
    speed_records: int = 10,
    methods: tuple[str, ...] = METHODS,
    parts: tuple[str, ...] = ("ludb", "qtdb", "rpeaks", "speed"),
    name: str = "delineation",
    command: str | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> tuple[dict[str, Any], Path, Path]:
    """Run the benchmark parts and write ``eval/results/<name>.json`` / ``.md``."""
    metrics: dict[str, Any] = {}
    data: dict[str, Any] = {"tuning_records_ludb": list(TUNED_ON)}
    if OPENECG in methods:
        data["openecg_ludb_val_records"] = [r for r in ludb_records if r in OPENECG_LUDB_VAL]
    notes = list(RULES)
    qtdb_methods = tuple(m for m in methods if m != OPENECG)  # openecg trained on all of QTDB
    ludb_root, qtdb_root = data_root / "ludb", data_root / "qtdb"
    if "ludb" in parts and ludb_root.is_dir():
        metrics["ludb"] = bench_ludb(ludb_root, ludb_records, methods, progress, workers)
        data["ludb"] = {"root": str(ludb_root), "records": ludb_records}
    if "qtdb" in parts and qtdb_root.is_dir():
        from medts.io.qtdb import qtdb_record_names

        names = qtdb_record_names(qtdb_root)[: qtdb_limit or None]
        metrics["qtdb"] = bench_qtdb(qtdb_root, names, qtdb_methods, progress, workers)
        data["qtdb"] = {"root": str(qtdb_root), "records": metrics["qtdb"]["records"], "annotation": "q1c"}
    if "rpeaks" in parts:
        if (data_root / "cpsc2019").is_dir():
            sig = load_cpsc2019(data_root / "cpsc2019")
            metrics["rpeaks_cpsc2019"] = bench_rpeaks(sig)
            data["cpsc2019"] = {"records": [s[0] for s in sig]}
        if (data_root / "mitdb" / "mlii_npz").is_dir():
            sig = load_mitdb_mlii(data_root / "mitdb")
            metrics["rpeaks_mitdb_mlii"] = bench_rpeaks(sig)
            data["mitdb_mlii"] = {"records": [s[0] for s in sig]}
        if progress:
            progress("R peaks done")
    if "speed" in parts and ludb_root.is_dir():
        metrics["speed"] = bench_speed(ludb_root, ludb_records[:speed_records], methods)
    data["threads"] = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "workers": workers}
    baselines = {m: "see metrics.*.<method>" for m in methods if m != "medts"}
    baselines["nk_ecg_peaks"] = "see metrics.rpeaks_*.nk_ecg_peaks"
    json_path, md_path = write_results(name, command=command, data=data, metrics=metrics, baselines=baselines,
                                       notes=notes, markdown_tables=_tables(metrics, methods, qtdb_methods))
    return metrics, json_path, md_path
