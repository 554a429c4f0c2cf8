"""Hybrid PTB-XL rows inside the nested CV of :mod:`medts.bench.nested`: CNN outputs + engine measurements.

Per outer (test) fold ``k`` the CNN is trained exactly as in the nested run (seven training folds,
epoch chosen on the selection fold ``inner_fold(k)``). Beside it, with nothing from fold ``k``
choosing anything:

* **measurements only**: one gradient-boosted tree model per class
  (:class:`~sklearn.ensemble.HistGradientBoostingClassifier`, fixed settings, missing values
  native) on the measurement features of :func:`measurement_features`, fit on the seven training folds;
* **hybrid, stacked**: the same learner on ``[CNN logits, measurement features]``, fit on the seven
  training folds. The CNN logits there are in-sample (the CNN trained on those records), so the
  learner may trust the CNN more than it deserves on new records;
* **hybrid, late fusion**: ``CNN logit + w * measurement-model logit`` per class, ``w`` from
  :data:`FUSION_WEIGHTS` chosen on the selection fold (where both models are out-of-sample);
  ``w = 0`` is allowed, so it can fall back to the CNN;
* **naive prior**: the training prevalence of each class (macro-AUC 0.5 by construction: the floor).

Measurements come from :func:`medts.signal.measure.measure_ecg`, once per record, cached on disk
under :func:`medts.config.cache_dir` (outside the repository). Records with a raw ``records100``
file are measured in mV; records only present as band-passed z-scored arrays
(``processed100_zscore``) are measured for timing, rate and rhythm only, and their amplitude and
axis features are missing (z-scoring per lead destroys mV and the I/aVF ratio the axis needs).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from medts.bench.nested import OUTER_FOLDS, inner_fold
from medts.record import STANDARD_LEADS

FEATURE_VERSION = 1
FUSION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
MIN_POSITIVES = 5
"""A class with fewer training positives gets the prior (measurement model) or the CNN logit alone (stack)."""

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


def measurement_features(cache: Any, *, folder: Path | None = None, log: Callable[[str], None] = print) -> np.ndarray:
    """Measurement features ``float32 [n_records, len(FEATURE_NAMES)]`` aligned with ``cache`` rows.

    Measured once per record and stored as ``features.npy`` under ``cache_dir()/ptbxl_measure/<key>``
    (the key hashes the cache's records, sources and :data:`FEATURE_VERSION`); later calls load it.
    A record the engine cannot measure (an error from the reader or the measurement) is all NaN.
    """
    folder = folder or _feature_folder(cache)
    path = folder / "features.npy"
    if path.is_file():
        return np.load(path)
    start = time.perf_counter()
    x = _measure_all(cache, log)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "features.tmp.npy"
    np.save(tmp, x)
    tmp.replace(path)
    (folder / "meta.json").write_text(json.dumps({"names": list(FEATURE_NAMES),
                                                  "measure_seconds": round(time.perf_counter() - start, 1)}))
    return x


def _feature_folder(cache: Any) -> Path:
    from medts.config import cache_dir

    key_text = json.dumps([str(cache.root), FEATURE_VERSION, FEATURE_NAMES, cache.ecg_ids.tolist(), cache.sources])
    return cache_dir() / "ptbxl_measure" / hashlib.sha1(key_text.encode()).hexdigest()[:16]


def measure_seconds(cache: Any) -> float | None:
    """Wall seconds the cached measurements of ``cache`` took when first made (None if unknown)."""
    meta = _feature_folder(cache) / "meta.json"
    return json.loads(meta.read_text()).get("measure_seconds") if meta.is_file() else None


def _measure_all(cache: Any, log: Callable[[str], None]) -> np.ndarray:
    from medts.errors import MedtsError
    from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays
    from medts.record import ECG
    from medts.signal.measure import measure_ecg

    index = PtbxlIndex.open(cache.root, sampling_rate=100)
    processed = processed_zscore_arrays(cache.root)
    x = np.full((len(cache.ecg_ids), len(FEATURE_NAMES)), np.nan, np.float32)
    start, failed = time.perf_counter(), 0
    for row, (ecg_id, source) in enumerate(zip(cache.ecg_ids.tolist(), cache.sources)):
        raw = source == "records100"
        try:
            if raw:
                ecg, _ = index.read(ecg_id).with_standard_leads()
            else:  # z-scored units: timing features only (amplitudes=False below)
                ecg = ECG(load_processed_zscore(processed[ecg_id]), fs=100.0, leads=list(STANDARD_LEADS),
                          record_id=str(ecg_id))
            with warnings.catch_warnings():  # neurokit2 warns on short or odd records; the NaNs say it
                warnings.simplefilter("ignore")
                x[row] = features_from_measurements(measure_ecg(ecg), amplitudes=raw)
        except (MedtsError, ValueError) as err:
            failed += 1
            log(f"[hybrid] record {ecg_id}: not measured ({err})")
    log(f"[hybrid] measured {len(x) - failed}/{len(x)} records in {time.perf_counter() - start:.0f} s")
    return x


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_tests: list[np.ndarray], *, seed: int = 0,
                fallback: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """One boosted-tree classifier per class fit on ``x_train``; logits ``[n, n_classes]`` for each of ``x_tests``.

    Classes with fewer than :data:`MIN_POSITIVES` positives (or negatives) in ``y_train`` get
    ``fallback[i][:, c]`` (same shapes as the outputs) or else logit 0: a constant that is the same in
    every fold, so pooling the outer folds adds no fold-dependent offset (the training prior's logit
    would, and it is anti-correlated with the test fold's own prevalence).
    Fixed settings, no early stopping, one thread: deterministic and chosen before any test fold was seen.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    n_classes = y_train.shape[1]
    outs = [np.zeros((len(x), n_classes), np.float64) for x in x_tests]
    seen = np.isfinite(x_train).any(axis=0)  # a feature never measured in training carries nothing (and breaks binning)
    x_train, x_tests = x_train[:, seen], [x[:, seen] for x in x_tests]
    with threadpool_limits(1):
        for c in range(n_classes):
            y = y_train[:, c] > 0.5
            pos = int(y.sum())
            if min(pos, len(y) - pos) < MIN_POSITIVES:
                for i, out in enumerate(outs):
                    out[:, c] = fallback[i][:, c] if fallback is not None else 0.0
                continue
            model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=8,
                                                   min_samples_leaf=20, l2_regularization=1.0,
                                                   early_stopping=False, random_state=seed)
            model.fit(x_train, y)
            for out, x in zip(outs, x_tests):
                out[:, c] = model.decision_function(x)
    return outs


def choose_weight(y_select: np.ndarray, cnn_logit: np.ndarray, meas_logit: np.ndarray,
                  weights: tuple[float, ...] = FUSION_WEIGHTS) -> tuple[float, dict[str, float]]:
    """The late-fusion weight with the best macro-AUC on the selection fold (ties: the smaller weight)."""
    from medts.classify.metrics import macro_auc

    scores = {f"{w:g}": macro_auc(y_select, cnn_logit + w * meas_logit) for w in weights}
    best = max(weights, key=lambda w: (scores[f"{w:g}"], -w))
    return float(best), scores


def _pooled(ys: list[np.ndarray], ps: list[np.ndarray], n_boot: int) -> dict[str, Any]:
    from medts.bench.nested import pooled_summary

    summary, per_fold = pooled_summary(ys, ps, n_boot)
    return {**summary, "per_outer_fold": [round(a, 4) for a in per_fold]}


def paired_delta(ys: list[np.ndarray], a: list[np.ndarray], b: list[np.ndarray], n_boot: int) -> dict[str, Any]:
    """Pooled macro-AUC of ``a`` minus that of ``b`` with a paired bootstrap CI (same resampled records)."""
    from medts.classify.metrics import bootstrap_ci, macro_auc

    y, pa, pb = np.concatenate(ys), np.concatenate(a), np.concatenate(b)
    k = pa.shape[1]

    def delta(yy: np.ndarray, pp: np.ndarray) -> float:
        return macro_auc(yy, pp[:, :k]) - macro_auc(yy, pp[:, k:])

    both = np.hstack([pa, pb])
    return {"delta": delta(y, both), "ci95": list(bootstrap_ci(y, both, delta, n_boot=n_boot))}


ROWS = ("naive prior", "CNN only", "measurements only", "hybrid, stacked", "hybrid, late fusion")


def hybrid_level(cache: Any, features: np.ndarray, level: str, *, model: str, epochs: int, seed: int,
                 batch_size: int = 64, n_boot: int = 200, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Nested CV of one level with the rows of :data:`ROWS` (see the module docstring)."""
    from medts.classify.metrics import auc_per_class, macro_auc
    from medts.classify.models import fold_batchnorm
    from medts.classify.predict import predict_signals
    from medts.classify.train import LevelData, TrainConfig, train_one

    scores: dict[str, list[np.ndarray]] = {row: [] for row in ROWS}
    ys, per_fold = [], []
    for outer in OUTER_FOLDS:
        select = inner_fold(outer)
        train_folds = tuple(f for f in OUTER_FOLDS if f not in (outer, select))
        cfg = TrainConfig(level=level, model=model, epochs=epochs, seed=seed, batch_size=batch_size,
                          train_folds=train_folds, val_fold=select, num_threads=1)
        data = LevelData.build(cache, level, train_folds, select)
        start = time.perf_counter()
        result = train_one(data, cfg, log=lambda _m: None)
        train_s = time.perf_counter() - start
        test = LevelData.build(cache, level, train_folds, outer)
        net = [fold_batchnorm(result.net)]
        cnn = [_logit(predict_signals(net, np.asarray(cache.signals[rows], np.float32), window=cfg.window_samples,
                                      stride=cfg.stride_samples, aggregate=cfg.aggregate))
               for rows in (data.train_rows, data.val_rows, test.val_rows)]
        start = time.perf_counter()
        f_tr, f_se, f_te = (features[rows] for rows in (data.train_rows, data.val_rows, test.val_rows))
        meas = fit_predict(f_tr, data.y_train, [f_se, f_te], seed=seed)
        stack = fit_predict(np.hstack([cnn[0], f_tr]), data.y_train,
                            [np.hstack([cnn[2], f_te])], seed=seed, fallback=[cnn[2]])[0]
        weight, weight_scores = choose_weight(data.y_val, cnn[1], meas[0])
        fuse_s = time.perf_counter() - start
        prior = np.tile(_logit(data.y_train.mean(axis=0)), (len(test.val_rows), 1))
        for row, s in zip(ROWS, (prior, cnn[2], meas[1], stack, cnn[2] + weight * meas[1])):
            scores[row].append(s)
        ys.append(test.y_val)
        per_fold.append({"outer_fold": outer, "selection_fold": select, "n_test_records": len(test.val_rows),
                         "best_epoch": result.best_epoch, "late_fusion_weight": weight,
                         "selection_fold_macro_auc_by_weight": weight_scores,
                         "macro_auc": {row: round(macro_auc(test.y_val, scores[row][-1]), 4) for row in ROWS},
                         "cnn_train_seconds": round(train_s, 1), "fusion_seconds": round(fuse_s, 1)})
        log(f"[hybrid {level}] outer fold {outer}: " + ", ".join(f"{r} {v:.3f}" for r, v in per_fold[-1]["macro_auc"].items())
            + f" (w={weight:g})")
    rows = {row: _pooled(ys, scores[row], n_boot) for row in ROWS}
    deltas = {row: paired_delta(ys, scores[row], scores["CNN only"], n_boot) for row in ROWS[2:]}
    y = np.concatenate(ys)
    per_class = {row: {c: (None if np.isnan(a) else round(float(a), 4)) for c, a in
                       zip(data.classes, auc_per_class(y, np.concatenate(scores[row])))} for row in ROWS[1:]}
    return {"rows": rows, "delta_vs_cnn": deltas, "per_outer_fold": per_fold, "n_records": len(y),
            "classes": data.classes, "pooled_auc_per_class": per_class,
            "n_positives": {c: int(n) for c, n in zip(data.classes, y.sum(axis=0))}}


def class_changes(m: dict[str, Any], row: str = "hybrid, late fusion", *, min_pos: int = 10,
                  n: int = 8) -> list[list[Any]]:
    """Table rows for the classes (>= ``min_pos`` positives) whose pooled AUC ``row`` changed most vs the CNN:
    the ``n`` largest gains, then the ``n // 2`` largest losses."""
    cnn, new, pos = m["pooled_auc_per_class"]["CNN only"], m["pooled_auc_per_class"][row], m["n_positives"]
    meas = m["pooled_auc_per_class"]["measurements only"]
    ok = [c for c in m["classes"] if pos[c] >= min_pos and cnn[c] is not None and new[c] is not None]
    ranked = sorted(ok, key=lambda c: new[c] - cnn[c], reverse=True)
    chosen = ranked[:n] + [c for c in ranked[::-1][: n // 2] if c not in ranked[:n]]
    return [[c, pos[c], cnn[c], meas[c], new[c], f"{new[c] - cnn[c]:+.3f}"] for c in chosen]


def run(root: str | Path, *, levels: tuple[str, ...] = ("superdiagnostic", "all"), model: str = "xresnet1d-small",
        epochs: int = 8, seed: int = 0, batch_size: int = 64, n_boot: int = 200, name: str = "ptbxl_nested_hybrid",
        command: str | None = None, log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Nested CV with the hybrid rows for ``levels``; writes ``eval/results/<name>.{json,md}``."""
    from medts.classify.data import load_ptbxl_cache

    cache = load_ptbxl_cache(root)
    start = time.perf_counter()
    features = measurement_features(cache, log=log)
    measure_s = time.perf_counter() - start
    finite = np.isfinite(features)
    raw = np.asarray([s == "records100" for s in cache.sources])
    coverage = {feat: {"raw": round(float(finite[raw, j].mean()), 3), "processed": round(float(finite[~raw, j].mean()), 3)}
                for j, feat in enumerate(FEATURE_NAMES)}
    metrics: dict[str, Any] = {}
    for level in levels:  # written after each level, so a long run leaves the finished levels behind
        metrics[level] = hybrid_level(cache, features, level, model=model, epochs=epochs, seed=seed,
                                      batch_size=batch_size, n_boot=n_boot, log=log)
        paths = _write(name, command, metrics, levels, coverage, raw, (measure_s, measure_seconds(cache)), model,
                       epochs, seed)
    return paths


def _write(name: str, command: str | None, metrics: dict[str, Any], levels: tuple[str, ...], coverage: dict,
           raw: np.ndarray, measure_s: tuple[float, float | None], model: str, epochs: int,
           seed: int) -> tuple[Path, Path]:
    from medts.bench.results import markdown_table, write_results

    summary = []
    for level, m in metrics.items():
        for row in ROWS:
            r = m["rows"][row]
            d = m["delta_vs_cnn"].get(row)
            summary.append([level, row, (f"{r['pooled_macro_auc']:.3f} ({r['pooled_macro_auc_ci95'][0]:.3f}-"
                            f"{r['pooled_macro_auc_ci95'][1]:.3f})"), f"{r['mean_macro_auc']:.3f} ± {r['sd_macro_auc']:.3f}",
                            f"{d['delta']:+.3f} ({d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f})" if d else "-"])
    table = markdown_table(["level", "row", "pooled macro-AUC (95% CI)", "mean ± SD over 9 outer folds",
                            "pooled Δ vs CNN only (paired 95% CI)"], summary)
    fold_rows = [[level, f["outer_fold"], f["selection_fold"], f["n_test_records"], f["best_epoch"],
                  f["late_fusion_weight"], *(f["macro_auc"][row] for row in ROWS), f["cnn_train_seconds"],
                  f["fusion_seconds"]] for level, m in metrics.items() for f in m["per_outer_fold"]]
    folds = markdown_table(["level", "outer fold", "selection fold", "records", "chosen epoch", "fusion w",
                            *ROWS, "CNN train s", "fusion s"], fold_rows)
    changes = [[level, *r] for level, m in metrics.items() for r in class_changes(m)]
    change_table = markdown_table(["level", "statement", "positives", "CNN only", "measurements only",
                                   "hybrid, late fusion", "Δ"], changes)
    n_raw = int(raw.sum())
    notes = [
        ("Same protocol as ptbxl_nested: per outer fold, the CNN trains on seven folds and its epoch is chosen on the "
         "next fold (the selection fold); the outer fold only scores. The boosted-tree learners (per class, fixed "
         "settings: 100 iterations, rate 0.1, 8 leaves, min 20 per leaf, L2 1.0, no early stopping) are fit on the "
         "seven training folds; the late-fusion weight is chosen on the selection fold from "
         f"{list(FUSION_WEIGHTS)}. Nothing from the outer fold chooses anything."),
        (f"CNN recipe: one {model} (seed {seed}), {epochs} epochs one-cycle, 1 thread, as in ptbxl_nested "
         "(same seed and folds, so the CNN-only row should repeat it up to thread-level nondeterminism)."),
        ("The stacked hybrid's CNN logits on the training folds are in-sample (the CNN trained on them), so the "
         "stacker learns to trust a CNN that is better there than on new records; the late fusion avoids this by "
         "weighting on the selection fold. Both rows are reported; neither was chosen by test figures."),
        (f"Measurements: medts.signal.measure.measure_ecg once per record (first measurement {measure_s[1]} s wall "
         f"on the shared 2-core machine; {measure_s[0]:.0f} s this run; cached under the user cache). {n_raw} records have raw mV signals (records100) and get all {len(FEATURE_NAMES)} "
         f"features; {len(raw) - n_raw} exist only as band-passed z-scored arrays and get the "
         f"{len(TIMING_FEATURES)} timing/rate/rhythm features (amplitude and axis features missing). Missingness "
         "therefore marks the source, whose label mix differs a little (e.g. MI 19% raw vs 14% processed at "
         "superdiagnostic level); on the full PTB-XL release every record is raw."),
        ("The naive prior scores every record with the training prevalence: 0.5 per fold by construction. Pooled, "
         "it falls below 0.5 because the leave-folds-out prevalence is anti-correlated with the test fold's own; the "
         "same fold-to-fold calibration shifts lower every pooled figure at the all-statements level (many rare "
         "statements), so there the mean over folds is the fairer summary and the pooled one a lower bound."),
        ("Classes with fewer than 5 training positives get logit 0 from the measurement model (the CNN logit alone in "
         "the stack). A first run (commit d6c5b1b) gave them the training prior's logit instead: every per-fold "
         "figure is the same (a constant within a fold changes no AUC), but the pooled all-statements late fusion "
         "fell to 0.726 from that fold-dependent offset; nothing else changed."),
        "Pooled Δ: paired bootstrap over records (same resamples for both rows).",
    ]
    if len(metrics) < len(levels):
        notes.append(f"Partial: levels {', '.join(metrics)} done of {', '.join(levels)} (the run was still going).")
    return write_results(
        name, command=command,
        data={"dataset": "PTB-XL (shared)", "outer_folds": list(OUTER_FOLDS), "levels": list(levels),
              "levels_done": list(metrics),
              "feature_names": list(FEATURE_NAMES), "feature_coverage": coverage,
              "records_by_source": {"records100": n_raw, "processed100_zscore": int(len(raw) - n_raw)}},
        metrics={**metrics, "measure_seconds_this_run": round(measure_s[0], 1), "measure_seconds_first": measure_s[1]},
        baselines={level: {"naive prior": m["rows"]["naive prior"], "CNN only": m["rows"]["CNN only"]}
                   for level, m in metrics.items()},
        notes=notes, markdown_tables=["## Hybrid rows beside the CNN and the prior (nested CV)\n\n" + table,
                                      "## Per outer fold (macro-AUC)\n\n" + folds,
                                      "## Statements that changed most with the late fusion (pooled AUC, >= 10 "
                                      "positives; largest gains, then largest losses)\n\n" + change_table])
