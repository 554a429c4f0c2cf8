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
* **hybrid, stacked OOF**: the stacked learner fit on *out-of-fold* CNN logits (two half-CNNs, each
  trained on half of the training folds, score the other half: :func:`cnn_outputs`), so it learns how far
  to trust the CNN from records the CNN never saw; it scores the full CNN's test logits;
* **hybrid, per-kind choice**: per statement kind (:func:`statement_kinds`: rhythm / form / diagnostic),
  the selection fold picks late fusion with a weight from the grid, the measurement model alone, the
  stack or the OOF stack (:func:`per_kind_candidates`, :func:`choose_per_group`);
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
from medts.classify.features import (  # noqa: F401 (re-exported: the bench's feature columns)
    ALL_FEATURE_NAMES,
    AMPLITUDE_FEATURES,
    FEATURE_NAMES,
    SHAPE_FEATURES,
    TIMING_FEATURES,
    features_from_measurements,
    shape_values,
)
from medts.record import STANDARD_LEADS

FEATURE_VERSION = 1
FUSION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
MIN_POSITIVES = 5
"""A class with fewer training positives gets the prior (measurement model) or the CNN logit alone (stack)."""

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


def shape_features(cache: Any, *, log: Callable[[str], None] = print) -> np.ndarray:
    """:data:`SHAPE_FEATURES` ``float32 [n_records, 24]`` from one :func:`~medts.signal.measure.measure_ecg` per
    row of ``cache.signals`` (standardised, 100 Hz); cached like :func:`measurement_features` (``shape.npy``)."""
    folder = _feature_folder(cache)
    path = folder / "shape.npy"
    if path.is_file():
        return np.load(path)
    from medts.errors import MedtsError
    from medts.record import ECG
    from medts.signal.measure import measure_ecg

    start, failed = time.perf_counter(), 0
    x = np.full((len(cache.ecg_ids), len(SHAPE_FEATURES)), np.nan, np.float32)
    for row, ecg_id in enumerate(cache.ecg_ids.tolist()):
        ecg = ECG(np.asarray(cache.signals[row], np.float64), fs=100.0, leads=list(STANDARD_LEADS), record_id=str(ecg_id))
        try:
            with warnings.catch_warnings():  # neurokit2 warns on short or odd records; the NaNs say it
                warnings.simplefilter("ignore")
                m = measure_ecg(ecg)
        except (MedtsError, ValueError) as err:
            failed += 1
            log(f"[hybrid] record {ecg_id}: shape not measured ({err})")
            continue
        x[row] = shape_values(m)
    seconds = time.perf_counter() - start
    log(f"[hybrid] shape features of {len(x) - failed}/{len(x)} records in {seconds:.0f} s")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shape_meta.json").write_text(json.dumps({"names": list(SHAPE_FEATURES), "measure_seconds": round(seconds, 1)}))
    tmp = folder / "shape.tmp.npy"
    np.save(tmp, x)
    tmp.replace(path)
    return x


def _feature_folder(cache: Any) -> Path:
    from medts.config import cache_dir

    key_text = json.dumps([str(cache.root), FEATURE_VERSION, FEATURE_NAMES, cache.ecg_ids.tolist(), cache.sources])
    return cache_dir() / "ptbxl_measure" / hashlib.sha1(key_text.encode()).hexdigest()[:16]


def measure_seconds(cache: Any) -> float | None:
    """Wall seconds the cached measurements of ``cache`` (mV and shape features) took when first made
    (None if unknown)."""
    metas = [_feature_folder(cache) / name for name in ("meta.json", "shape_meta.json")]
    if not all(m.is_file() for m in metas):
        return None
    return round(sum(json.loads(m.read_text()).get("measure_seconds") or 0.0 for m in metas), 1)


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


def half_split(train_folds: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The training folds cut in two (alternate folds), for out-of-fold CNN logits on the training rows.

    >>> half_split((1, 2, 3, 4, 5, 6, 7))
    ((1, 3, 5, 7), (2, 4, 6))
    """
    return tuple(train_folds[0::2]), tuple(train_folds[1::2])


def cnn_outputs(cache: Any, level: str, train_folds: tuple[int, ...], select: int, outer: int, *, model: str,
                epochs: int, seed: int, batch_size: int = 64) -> dict[str, Any]:
    """CNN logits for one outer fold: the full CNN (trained on ``train_folds``, epoch chosen on ``select``)
    on the training, selection and test rows, and **out-of-fold** logits on the training rows from two
    half-CNNs (each trained on one half of :func:`half_split`, epoch chosen on ``select``, scoring the other
    half), with the half-CNNs' mean logit on the selection and test rows. Also the wall seconds of each part.
    """
    from medts.classify.models import fold_batchnorm
    from medts.classify.predict import predict_signals
    from medts.classify.train import LevelData, TrainConfig, train_one

    def fit(folds: tuple[int, ...]) -> tuple[Any, TrainConfig, Any]:
        cfg = TrainConfig(level=level, model=model, epochs=epochs, seed=seed, batch_size=batch_size,
                          train_folds=folds, val_fold=select, num_threads=1)
        result = train_one(LevelData.build(cache, level, folds, select), cfg, log=lambda _m: None)
        return [fold_batchnorm(result.net)], cfg, result

    def logits(net: Any, cfg: TrainConfig, rows: np.ndarray) -> np.ndarray:
        return _logit(predict_signals(net, np.asarray(cache.signals[rows], np.float32), window=cfg.window_samples,
                                      stride=cfg.stride_samples, aggregate=cfg.aggregate))

    data = LevelData.build(cache, level, train_folds, select)
    test = LevelData.build(cache, level, train_folds, outer)
    start = time.perf_counter()
    net, cfg, result = fit(train_folds)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    full = [logits(net, cfg, rows) for rows in (data.train_rows, data.val_rows, test.val_rows)]
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    oof = np.zeros_like(full[0])
    half_select, half_test = np.zeros_like(full[1]), np.zeros_like(full[2])
    for fit_folds, held in zip(half_split(train_folds), half_split(train_folds)[::-1]):
        half_net, half_cfg, _ = fit(fit_folds)
        held_mask = np.isin(data.train_rows, cache.rows(list(held)))
        oof[held_mask] = logits(half_net, half_cfg, data.train_rows[held_mask])
        half_select += logits(half_net, half_cfg, data.val_rows) / 2
        half_test += logits(half_net, half_cfg, test.val_rows) / 2
    oof_s = time.perf_counter() - start
    return {"data": data, "test": test, "best_epoch": result.best_epoch, "train": full[0], "select": full[1],
            "test_logits": full[2], "oof_train": oof, "half_select": half_select, "half_test": half_test,
            "train_seconds": train_s, "predict_seconds": predict_s, "oof_seconds": oof_s}


CNN_OUTPUTS_VERSION = 1
_CNN_ARRAYS = ("train", "select", "test_logits", "oof_train", "half_select", "half_test")
_CNN_SCALARS = ("best_epoch", "train_seconds", "predict_seconds", "oof_seconds")


def cnn_outputs_folder(cache: Any, level: str, *, model: str, epochs: int, seed: int, batch_size: int) -> Path:
    """Where :func:`cached_cnn_outputs` keeps one level's CNN logits: ``cache_dir()/ptbxl_cnn/<key>``, the key
    hashing the cache's records, the recipe and :data:`CNN_OUTPUTS_VERSION`."""
    from medts.config import cache_dir

    key_text = json.dumps([str(cache.root), CNN_OUTPUTS_VERSION, cache.ecg_ids.tolist(), cache.sources, level, model,
                           epochs, seed, batch_size])
    return cache_dir() / "ptbxl_cnn" / hashlib.sha1(key_text.encode()).hexdigest()[:16]


def cached_cnn_outputs(cache: Any, level: str, train_folds: tuple[int, ...], select: int, outer: int, *, model: str,
                       epochs: int, seed: int, batch_size: int = 64) -> dict[str, Any]:
    """:func:`cnn_outputs`, stored once per outer fold under :func:`cnn_outputs_folder` and loaded on later
    runs (the CNNs then are not retrained; the stored seconds are those of the run that trained them,
    ``"cached": True`` says so). The fusion rows are cheap next to the CNNs; this lets them be rerun."""
    from medts.classify.train import LevelData

    folder = cnn_outputs_folder(cache, level, model=model, epochs=epochs, seed=seed, batch_size=batch_size)
    path = folder / f"outer{outer}.npz"
    if path.is_file():
        with np.load(path) as z:
            out: dict[str, Any] = {k: z[k] for k in _CNN_ARRAYS}
            out.update({k: z[k].item() for k in _CNN_SCALARS})
        out["data"] = LevelData.build(cache, level, train_folds, select)
        out["test"] = LevelData.build(cache, level, train_folds, outer)
        if out["train"].shape[0] != len(out["data"].train_rows) or out["test_logits"].shape[0] != len(out["test"].val_rows):
            raise ValueError(f"{path}: cached CNN outputs do not match the records (delete the folder)")
        return {**out, "cached": True}
    out = cnn_outputs(cache, level, train_folds, select, outer, model=model, epochs=epochs, seed=seed,
                      batch_size=batch_size)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"outer{outer}.tmp.npz"
    np.savez(tmp, **{k: out[k] for k in _CNN_ARRAYS}, **{k: np.asarray(out[k]) for k in _CNN_SCALARS})
    tmp.replace(path)
    return {**out, "cached": False}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_models(x_train: np.ndarray, y_train: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, list[Any]]:
    """One boosted-tree classifier per class fit on ``x_train [n, n_features]`` (labels ``y_train [n, n_classes]``).

    Returns ``(seen, models)``: ``seen`` marks the feature columns the models use (a feature never measured in
    training carries nothing and breaks binning, so it is dropped), and ``models[c]`` is the fitted
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` of class ``c``, or None when the class has fewer than
    :data:`MIN_POSITIVES` positives (or negatives). Fixed settings, no early stopping, one thread: deterministic and
    chosen before any test fold was seen. :mod:`medts.classify.fusion` exports these models for inference.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    seen = np.isfinite(x_train).any(axis=0)
    x_train = x_train[:, seen]
    models: list[Any] = []
    with threadpool_limits(1):
        for c in range(y_train.shape[1]):
            y = y_train[:, c] > 0.5
            pos = int(y.sum())
            if min(pos, len(y) - pos) < MIN_POSITIVES:
                models.append(None)
                continue
            model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=8,
                                                   min_samples_leaf=20, l2_regularization=1.0,
                                                   early_stopping=False, random_state=seed)
            models.append(model.fit(x_train, y))
    return seen, models


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_tests: list[np.ndarray], *, seed: int = 0,
                fallback: list[np.ndarray] | None = None, timing: dict[str, float] | None = None) -> list[np.ndarray]:
    """:func:`fit_models` on ``x_train``; logits ``[n, n_classes]`` for each of ``x_tests``.

    Classes without a model (too few positives) get ``fallback[i][:, c]`` (same shapes as the outputs) or else
    logit 0: a constant that is the same in every fold, so pooling the outer folds adds no fold-dependent offset
    (the training prior's logit would, and it is anti-correlated with the test fold's own prevalence).
    ``timing``, when given, gets ``predict_seconds`` and ``predict_rows`` added (the inference part only).
    """
    from threadpoolctl import threadpool_limits

    seen, models = fit_models(x_train, y_train, seed=seed)
    outs = [np.zeros((len(x), y_train.shape[1]), np.float64) for x in x_tests]
    x_tests = [x[:, seen] for x in x_tests]
    with threadpool_limits(1):
        for c, model in enumerate(models):
            if model is None:
                for i, out in enumerate(outs):
                    out[:, c] = fallback[i][:, c] if fallback is not None else 0.0
                continue
            start = time.perf_counter()
            for out, x in zip(outs, x_tests):
                out[:, c] = model.decision_function(x)
            if timing is not None:
                timing["predict_seconds"] = timing.get("predict_seconds", 0.0) + time.perf_counter() - start
    if timing is not None:
        timing["predict_rows"] = timing.get("predict_rows", 0) + sum(len(x) for x in x_tests)
    return outs


def choose_weight(y_select: np.ndarray, cnn_logit: np.ndarray, meas_logit: np.ndarray,
                  weights: tuple[float, ...] = FUSION_WEIGHTS) -> tuple[float, dict[str, float]]:
    """The late-fusion weight with the best macro-AUC on the selection fold (ties: the smaller weight)."""
    from medts.classify.metrics import macro_auc

    scores = {f"{w:g}": macro_auc(y_select, cnn_logit + w * meas_logit) for w in weights}
    best = max(weights, key=lambda w: (scores[f"{w:g}"], -w))
    return float(best), scores


def statement_kinds(classes: list[str]) -> list[str]:
    """The kind of each class for per-kind fusion: ``rhythm``, ``diagnostic`` or ``form`` (a statement that is
    both diagnostic and form counts as diagnostic); superclasses and sub-classes are ``diagnostic``.

    Fixed before any fold was scored: rhythm statements are where the CNN (2.5 s windows) cannot see the
    RR sequence and the measurements can, so they may want another fusion than the morphology statements.
    """
    from medts.labels import STATEMENTS

    def kind(code: str) -> str:
        s = STATEMENTS.get(code)
        if s is None or s.diagnostic:
            return "diagnostic"
        return "rhythm" if s.rhythm else "form"

    return [kind(c) for c in classes]


def choose_per_group(y_select: np.ndarray, candidates: list[np.ndarray], groups: list[str]) -> np.ndarray:
    """Index into ``candidates`` (score arrays ``[n, n_classes]`` on the selection fold) per class: the one with
    the best macro-AUC over the classes of that class's group (classes without both labels on the selection fold
    count for nothing; a group with none takes candidate 0; ties: the earlier candidate)."""
    from medts.classify.metrics import auc_per_class

    aucs = np.array([auc_per_class(y_select, c) for c in candidates])  # [n_candidates, n_classes]
    g = np.asarray(groups)
    choice = np.zeros(len(groups), np.int64)
    for name in dict.fromkeys(groups):
        cols = g == name
        if not np.isfinite(aucs[:, cols]).any():
            continue
        means = [float(np.nanmean(a[cols])) if np.isfinite(a[cols]).any() else -np.inf for a in aucs]
        choice[cols] = int(np.argmax(means))
    return choice


def apply_choice(choice: np.ndarray, candidates: list[np.ndarray]) -> np.ndarray:
    """Scores ``[n, n_classes]`` taking class ``c`` from ``candidates[choice[c]]``."""
    stacked = np.stack(candidates)  # [n_candidates, n, n_classes]
    return stacked[choice, :, np.arange(len(choice))].T


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


ROWS = ("naive prior", "CNN only", "measurements only", "hybrid, stacked", "hybrid, stacked OOF",
        "hybrid, late fusion", "hybrid, per-kind choice")
"""Rows of the hybrid table (see the module docstring); the last four are hybrids."""


def per_kind_candidates(cnn: np.ndarray, meas: np.ndarray, stack: np.ndarray,
                        oof_stack: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """The scores the per-kind choice picks from, with their names: late fusion ``cnn + w * meas`` for each
    ``w`` in :data:`FUSION_WEIGHTS` (``w = 0`` is the CNN alone), the measurement model alone, the stack
    (in-sample CNN logits in training) and the OOF stack. All are out-of-sample on the selection fold."""
    names = [f"late w={w:g}" for w in FUSION_WEIGHTS] + ["measurements only", "stacked", "stacked OOF"]
    return names, [cnn + w * meas for w in FUSION_WEIGHTS] + [meas, stack, oof_stack]


def hybrid_level(cache: Any, features: np.ndarray, level: str, *, model: str, epochs: int, seed: int,
                 batch_size: int = 64, n_boot: int = 200, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Nested CV of one level with the rows of :data:`ROWS` (see the module docstring)."""
    from medts.classify.metrics import auc_per_class, macro_auc

    scores: dict[str, list[np.ndarray]] = {row: [] for row in ROWS}
    ys, per_fold = [], []
    for outer in OUTER_FOLDS:
        select = inner_fold(outer)
        train_folds = tuple(f for f in OUTER_FOLDS if f not in (outer, select))
        cnn = cached_cnn_outputs(cache, level, train_folds, select, outer, model=model, epochs=epochs, seed=seed,
                                 batch_size=batch_size)
        data, test = cnn["data"], cnn["test"]
        kinds = statement_kinds(data.classes)
        f_tr, f_se, f_te = (features[rows] for rows in (data.train_rows, data.val_rows, test.val_rows))
        seconds, timing = {}, {"measurements only": {}, "hybrid, stacked": {}, "hybrid, stacked OOF": {}}
        start = time.perf_counter()
        meas = fit_predict(f_tr, data.y_train, [f_se, f_te], seed=seed, timing=timing["measurements only"])
        seconds["measurement_model"] = time.perf_counter() - start
        start = time.perf_counter()
        stack = fit_predict(np.hstack([cnn["train"], f_tr]), data.y_train,
                            [np.hstack([cnn["select"], f_se]), np.hstack([cnn["test_logits"], f_te])], seed=seed,
                            fallback=[cnn["select"], cnn["test_logits"]], timing=timing["hybrid, stacked"])
        seconds["stack"] = time.perf_counter() - start
        start = time.perf_counter()  # the OOF stack learns on out-of-fold CNN logits; it scores the full CNN's
        oof = fit_predict(np.hstack([cnn["oof_train"], f_tr]), data.y_train,
                          [np.hstack([cnn["select"], f_se]), np.hstack([cnn["test_logits"], f_te])], seed=seed,
                          fallback=[cnn["select"], cnn["test_logits"]], timing=timing["hybrid, stacked OOF"])
        seconds["stack_oof"] = time.perf_counter() - start
        start = time.perf_counter()
        weight, weight_scores = choose_weight(data.y_val, cnn["select"], meas[0])
        names, select_candidates = per_kind_candidates(cnn["select"], meas[0], stack[0], oof[0])
        choice = choose_per_group(data.y_val, select_candidates, kinds)
        per_kind = apply_choice(choice, per_kind_candidates(cnn["test_logits"], meas[1], stack[1], oof[1])[1])
        seconds["choose"] = time.perf_counter() - start
        prior = np.tile(_logit(data.y_train.mean(axis=0)), (len(test.val_rows), 1))
        for row, sc in zip(ROWS, (prior, cnn["test_logits"], meas[1], stack[1], oof[1], cnn["test_logits"] + weight * meas[1],
                                  per_kind)):
            scores[row].append(sc)
        ys.append(test.y_val)
        n_predicted = len(data.train_rows) + len(data.val_rows) + len(test.val_rows)
        chosen = {k: names[int(choice[kinds.index(k)])] for k in dict.fromkeys(kinds)}
        per_fold.append({"outer_fold": outer, "selection_fold": select, "n_test_records": len(test.val_rows),
                         "best_epoch": cnn["best_epoch"], "cnn_outputs_cached": cnn["cached"],
                         "late_fusion_weight": weight,
                         "selection_fold_macro_auc_by_weight": weight_scores, "per_kind_choice": chosen,
                         "macro_auc": {row: round(macro_auc(test.y_val, scores[row][-1]), 4) for row in ROWS},
                         "cnn_train_seconds": round(cnn["train_seconds"], 1),
                         "cnn_predict_ms_per_record": round(1000 * cnn["predict_seconds"] / n_predicted, 3),
                         "oof_cnn_seconds": round(cnn["oof_seconds"], 1),
                         **{f"{k}_seconds": round(v, 1) for k, v in seconds.items()},
                         "learner_predict_ms_per_record": {k: round(1000 * t["predict_seconds"] / t["predict_rows"], 3)
                                                           for k, t in timing.items() if t.get("predict_rows")},
                         "fusion_seconds": round(seconds["measurement_model"] + seconds["stack"] + seconds["choose"], 1)})
        log(f"[hybrid {level}] outer fold {outer}: " + ", ".join(f"{r} {v:.3f}" for r, v in per_fold[-1]["macro_auc"].items())
            + f" (w={weight:g}; per kind: {chosen})")
    rows = {row: _pooled(ys, scores[row], n_boot) for row in ROWS}
    deltas = {row: paired_delta(ys, scores[row], scores["CNN only"], n_boot) for row in ROWS[2:]}
    late = "hybrid, late fusion"
    deltas_vs_late = {row: paired_delta(ys, scores[row], scores[late], n_boot) for row in ROWS[ROWS.index(late) + 1:]}
    y = np.concatenate(ys)
    per_class = {row: {c: (None if np.isnan(a) else round(float(a), 4)) for c, a in
                       zip(data.classes, auc_per_class(y, np.concatenate(scores[row])))} for row in ROWS[1:]}
    return {"rows": rows, "delta_vs_cnn": deltas, "delta_vs_late_fusion": deltas_vs_late, "per_outer_fold": per_fold,
            "n_records": len(y), "classes": data.classes, "statement_kinds": dict(zip(data.classes, kinds)),
            "pooled_auc_per_class": per_class,
            "n_positives": {c: int(n) for c, n in zip(data.classes, y.sum(axis=0))}}


CHANGE_ROW = "hybrid, per-kind choice"
"""The row whose per-statement changes vs the CNN the results list."""


def row_costs(m: dict[str, Any], measure_ms: float) -> dict[str, tuple[str, str]]:
    """Per row of one level's metrics ``m``: (training seconds per outer fold, mean over folds; inference
    milliseconds per record), as table text. Inference of a measurement row includes ``measure_ms`` (one
    :func:`~medts.signal.measure.measure_ecg` per record, 1 core), which dominates it."""
    folds = m["per_outer_fold"]

    def mean(key: str) -> float:
        return float(np.mean([f.get(key, 0.0) for f in folds]))

    def learner_ms(row: str) -> float:
        return float(np.mean([f["learner_predict_ms_per_record"].get(row, 0.0) for f in folds]))

    cnn_s, oof_s, meas_s = mean("cnn_train_seconds"), mean("oof_cnn_seconds"), mean("measurement_model_seconds")
    cnn_ms, meas_ms = mean("cnn_predict_ms_per_record"), measure_ms + learner_ms("measurements only")
    train = {"naive prior": 0.0, "CNN only": cnn_s, "measurements only": meas_s,
             "hybrid, stacked": cnn_s + mean("stack_seconds"), "hybrid, stacked OOF": cnn_s + oof_s + mean("stack_oof_seconds"),
             "hybrid, late fusion": cnn_s + meas_s + mean("choose_seconds"),
             "hybrid, per-kind choice": (cnn_s + oof_s + meas_s + mean("stack_seconds") + mean("stack_oof_seconds")
                                         + mean("choose_seconds"))}
    infer = {"naive prior": 0.0, "CNN only": cnn_ms, "measurements only": meas_ms,
             "hybrid, stacked": cnn_ms + measure_ms + learner_ms("hybrid, stacked"),
             "hybrid, stacked OOF": cnn_ms + measure_ms + learner_ms("hybrid, stacked OOF"),
             "hybrid, late fusion": cnn_ms + meas_ms,
             "hybrid, per-kind choice": (cnn_ms + meas_ms + learner_ms("hybrid, stacked")
                                         + learner_ms("hybrid, stacked OOF"))}
    return {row: (f"{train[row]:.1f}", f"{infer[row]:.2f}") for row in ROWS}


def class_changes(m: dict[str, Any], row: str = CHANGE_ROW, *, min_pos: int = 10,
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
    features = np.hstack([measurement_features(cache, log=log), shape_features(cache, log=log)])
    measure_s = time.perf_counter() - start
    finite = np.isfinite(features)
    raw = np.asarray([s == "records100" for s in cache.sources])
    coverage = {feat: {"raw": round(float(finite[raw, j].mean()), 3), "processed": round(float(finite[~raw, j].mean()), 3)}
                for j, feat in enumerate(ALL_FEATURE_NAMES)}
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

    measure_ms = 1000 * measure_s[1] / len(raw) if measure_s[1] else float("nan")
    summary = []
    for level, m in metrics.items():
        costs = row_costs(m, measure_ms)
        for row in ROWS:
            r = m["rows"][row]
            d, dl = m["delta_vs_cnn"].get(row), m.get("delta_vs_late_fusion", {}).get(row)
            summary.append([level, row, (f"{r['pooled_macro_auc']:.3f} ({r['pooled_macro_auc_ci95'][0]:.3f}-"
                            f"{r['pooled_macro_auc_ci95'][1]:.3f})"), f"{r['mean_macro_auc']:.3f} ± {r['sd_macro_auc']:.3f}",
                            *(f"{x['delta']:+.3f} ({x['ci95'][0]:+.3f} to {x['ci95'][1]:+.3f})" if x else "-" for x in (d, dl)),
                            *costs[row]])
    table = markdown_table(["level", "row", "pooled macro-AUC (95% CI)", "mean ± SD over 9 outer folds",
                            "pooled Δ vs CNN only (paired 95% CI)", "pooled Δ vs late fusion (paired 95% CI)",
                            "train s per outer fold (mean)", "inference ms/record"], summary)
    fold_rows = [[level, f["outer_fold"], f["selection_fold"], f["n_test_records"], f["best_epoch"],
                  f["late_fusion_weight"], ", ".join(f"{k}: {v}" for k, v in f["per_kind_choice"].items()),
                  *(f["macro_auc"][row] for row in ROWS[1:]), f["cnn_train_seconds"], f["oof_cnn_seconds"],
                  f["fusion_seconds"]] for level, m in metrics.items() for f in m["per_outer_fold"]]
    folds = markdown_table(["level", "outer fold", "selection fold", "records", "chosen epoch", "fusion w",
                            "per-kind choice", *ROWS[1:], "CNN train s", "OOF CNNs s", "fusion s"], fold_rows)
    changes = [[level, *r] for level, m in metrics.items() for r in class_changes(m, CHANGE_ROW)]
    change_table = markdown_table(["level", "statement", "positives", "CNN only", "measurements only",
                                   CHANGE_ROW, "Δ"], changes)
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
        ("Hybrid, stacked OOF: the same learner on [out-of-fold CNN logits, measurements]. The training folds are cut "
         "in two (alternate folds); a half-CNN trained on each half (epoch chosen on the selection fold) scores the "
         "other half, so no training row's CNN logit comes from a CNN that saw it. The learner then scores the full "
         "CNN's logits on the test fold. Costs two extra half-size CNN trainings per outer fold ('OOF CNNs s')."),
        ("Hybrid, per-kind choice: statements are split by kind (rhythm; form-only; diagnostic, which includes the "
         "superclasses, so at the superdiagnostic level there is one group), fixed before any run. For each kind the "
         "selection fold chooses one of: late fusion CNN + w x measurements for each w in the grid (w = 0 is the CNN "
         "alone), the measurement model alone, the stack or the OOF stack, by the kind's macro-AUC on the selection "
         "fold. The stack joined the candidates after a first run of this table (commit 296742c) showed it ahead of "
         "late fusion on the outer folds for diagnostic and form statements; within each outer fold the choice still "
         "sees only the selection fold. "
         "Per-statement choice was not used: a fold of ~260 records has a handful of positives for most statements "
         "(tried on the superdiagnostic level during development: per-class weights 0.9125 vs 0.9141 global, mean over "
         "outer folds)."),
        ("Costs: train s per outer fold = CNN training (plus the two half-CNNs for the OOF rows) plus the boosted "
         "trees, mean over outer folds, 1 thread on a shared 2-core machine. Inference ms/record = CNN prediction "
         "+ one measure_ecg per record (first-measurement wall time / records) + tree prediction: the measurements "
         "dominate, so every hybrid row runs at a few records/s per core, far below the CNN alone."),
        ("CNN outputs (logits of the full CNN and the half-CNNs) are cached per outer fold under the user cache "
         "(ptbxl_cnn/<key>); 'cnn_outputs_cached' per fold in the JSON says whether this run trained them, and the "
         "seconds shown are those of the run that did."),
        (f"Measurements: medts.signal.measure.measure_ecg once per record (first measurement {measure_s[1]} s wall "
         f"on the shared 2-core machine; {measure_s[0]:.0f} s this run; cached under the user cache). {n_raw} records have raw mV signals (records100) and get all {len(FEATURE_NAMES)} "
         f"features; {len(raw) - n_raw} exist only as band-passed z-scored arrays and get the "
         f"{len(TIMING_FEATURES)} timing/rate/rhythm features (amplitude and axis features missing). Missingness "
         "therefore marks the source, whose label mix differs a little (e.g. MI 19% raw vs 14% processed at "
         "superdiagnostic level); on the full PTB-XL release every record is raw."),
        (f"Shape features ({len(SHAPE_FEATURES)}, every record): measure_ecg a second time on the per-lead "
         "standardised training signal (cache.signals), keeping ST at J+60 and T amplitude per lead in units of the "
         "lead's SD (roughly ST/QRS and T/QRS). Added after the first two runs of this table (296742c, dfa364a), "
         "which had only the mV and timing features; the first-measurement seconds above include both passes, and "
         "so does the inference cost."),
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
              "feature_names": list(ALL_FEATURE_NAMES), "feature_coverage": coverage,
              "records_by_source": {"records100": n_raw, "processed100_zscore": int(len(raw) - n_raw)}},
        metrics={**metrics, "measure_seconds_this_run": round(measure_s[0], 1), "measure_seconds_first": measure_s[1]},
        baselines={level: {"naive prior": m["rows"]["naive prior"], "CNN only": m["rows"]["CNN only"]}
                   for level, m in metrics.items()},
        notes=notes, markdown_tables=["## Hybrid rows beside the CNN and the prior (nested CV)\n\n" + table,
                                      "## Per outer fold (macro-AUC)\n\n" + folds,
                                      f"## Statements that changed most with the {CHANGE_ROW} row (pooled AUC, >= 10 "
                                      "positives; largest gains, then largest losses)\n\n" + change_table])
