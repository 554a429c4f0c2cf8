"""Comparison rows inside the nested CV of :mod:`medts.bench.nested` (issue #15): longer training with
augmentation, a CWT-scalogram 2-D CNN, and equal-weight ensembles, each beside the CNN-only row.

Per outer (test) fold ``k`` every row trains on the same seven folds, chooses its epoch on the same
selection fold ``inner_fold(k)`` (the best selection-fold macro-AUC epoch, as
:func:`medts.classify.train.train_one`) and only then scores fold ``k``. Rows:

* **CNN only**: the nested run's CNN (``xresnet1d-small``, ``epochs`` one-cycle, seed 0), loaded from
  the cache of :func:`medts.bench.hybrid.cached_cnn_outputs` (trained there if missing);
* **CNN, 2x epochs + augmentation**: the same preset and seed, ``2 * epochs`` epochs, training crops
  with per-lead gain x U[0.8, 1.2], white noise SD 0.05 (z units) and reduced-lead dropout p 0.1
  (random 2.5 s crops, the time-shift augmentation, are in every row already);
* **scalogram 2-D CNN**: :mod:`medts.classify.scalogram` (Morlet CWT, 12 x 32 x 250 image per record,
  small 2-D CNN trained from scratch: no pretrained 2-D weights are available offline), ``epochs`` epochs;
* **ensemble rows**: the mean of two rows' logits with equal weights (nothing chosen, so nothing to
  choose on); cost = the sum of both members' costs.

Costs per row: training seconds per outer fold (1 thread, shared CPU) and inference milliseconds per
record on the test fold (for the scalogram row this includes the CWT of the test records).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medts.bench.nested import OUTER_FOLDS, inner_fold

AUGMENT = {"amplitude_scale": 0.2, "noise_sd": 0.05, "lead_dropout": 0.1}
"""The augmentation of the augmented row, fixed before any run (not tuned on any fold)."""

CNN, AUGMENTED, SCALOGRAM = "CNN only", "CNN, 2x epochs + augmentation", "scalogram 2-D CNN"
LONGER, AUG_ONLY = "CNN, 2x epochs", "CNN, augmentation"
"""The two halves of the augmented row, to tell which one helps (same preset and seed)."""
ENSEMBLES = {"ensemble: CNN + scalogram": (CNN, SCALOGRAM), "ensemble: CNN + augmented": (CNN, AUGMENTED)}
ROW_KEYS = {"cnn": CNN, "augment": AUGMENTED, "longer": LONGER, "augment-only": AUG_ONLY, "scalogram": SCALOGRAM,
            "ensemble-scalogram": "ensemble: CNN + scalogram", "ensemble-augment": "ensemble: CNN + augmented"}
"""``--rows`` keys and the row each names (``cnn`` is always run: every delta is against it)."""


@dataclass
class FoldOutput:
    """One row on one outer fold: test logits and what they cost."""

    test_logits: np.ndarray
    train_seconds: float
    predict_ms_per_record: float
    best_epoch: int | None
    cached: bool = False


@dataclass
class Context:
    """What every row builder needs: the signal cache, the recipe and (lazily) the scalograms."""

    cache: Any
    model: str
    epochs: int
    seed: int
    batch_size: int
    log: Callable[[str], None]
    images: np.ndarray | None = None

    def scalogram_images(self) -> np.ndarray:
        if self.images is None:
            from medts.classify.scalogram import scalogram_cache

            self.images, _ = scalogram_cache(self.cache, log=self.log)
        return self.images


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def cnn_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int) -> FoldOutput:
    """The nested run's CNN, from the hybrid bench's per-fold cache (same recipe key)."""
    from medts.bench.hybrid import cached_cnn_outputs

    out = cached_cnn_outputs(ctx.cache, level, train_folds, select, outer, model=ctx.model, epochs=ctx.epochs,
                             seed=ctx.seed, batch_size=ctx.batch_size)
    n_predicted = len(out["data"].train_rows) + len(out["data"].val_rows) + len(out["test"].val_rows)
    return FoldOutput(out["test_logits"], float(out["train_seconds"]), 1000 * float(out["predict_seconds"]) / n_predicted,
                      int(out["best_epoch"]), bool(out["cached"]))


def cnn_variant_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int, *,
                    epoch_factor: int, augment: bool) -> FoldOutput:
    """The CNN preset trained ``epoch_factor * epochs`` epochs, with :data:`AUGMENT` when ``augment``, epoch
    chosen on ``select``."""
    from medts.classify.models import fold_batchnorm
    from medts.classify.predict import predict_signals
    from medts.classify.train import LevelData, TrainConfig, train_one

    cfg = TrainConfig(level=level, model=ctx.model, epochs=epoch_factor * ctx.epochs, seed=ctx.seed,
                      batch_size=ctx.batch_size, train_folds=train_folds, val_fold=select, num_threads=1,
                      **(AUGMENT if augment else {}))
    start = time.perf_counter()
    result = train_one(LevelData.build(ctx.cache, level, train_folds, select), cfg, log=lambda _m: None)
    train_s = time.perf_counter() - start
    test = LevelData.build(ctx.cache, level, train_folds, outer)
    start = time.perf_counter()
    probs = predict_signals([fold_batchnorm(result.net)], test.val_signals, window=cfg.window_samples,
                            stride=cfg.stride_samples, aggregate=cfg.aggregate)
    ms = 1000 * (time.perf_counter() - start) / len(test.val_rows)
    return FoldOutput(_logit(probs), train_s, ms, result.best_epoch)


def scalogram_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int) -> FoldOutput:
    """:class:`~medts.classify.scalogram.ScalogramNet` on the cached scalograms, epoch chosen on ``select``;
    the test records' scalograms are recomputed from their signals so inference includes the CWT."""
    from medts.classify.scalogram import predict_scalograms, scalograms, train_scalogram_net
    from medts.classify.train import LevelData

    images = ctx.scalogram_images()
    data = LevelData.build(ctx.cache, level, train_folds, select)
    start = time.perf_counter()
    result = train_scalogram_net(images, data.train_rows, data.y_train, data.val_rows, data.y_val, epochs=ctx.epochs,
                                 seed=ctx.seed, batch_size=ctx.batch_size, log=lambda _m: None)
    train_s = time.perf_counter() - start
    test = LevelData.build(ctx.cache, level, train_folds, outer)
    start = time.perf_counter()
    probs = predict_scalograms(result.net, scalograms(test.val_signals, ctx.cache.fs_hz))
    ms = 1000 * (time.perf_counter() - start) / len(test.val_rows)
    return FoldOutput(_logit(probs), train_s, ms, result.best_epoch)


def augmented_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int) -> FoldOutput:
    """2x epochs and :data:`AUGMENT`."""
    return cnn_variant_row(ctx, level, train_folds, select, outer, epoch_factor=2, augment=True)


def longer_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int) -> FoldOutput:
    """2x epochs, no augmentation beyond the random crop."""
    return cnn_variant_row(ctx, level, train_folds, select, outer, epoch_factor=2, augment=False)


def augment_only_row(ctx: Context, level: str, train_folds: tuple[int, ...], select: int, outer: int) -> FoldOutput:
    """:data:`AUGMENT` at the nested run's epochs."""
    return cnn_variant_row(ctx, level, train_folds, select, outer, epoch_factor=1, augment=True)


BUILDERS: dict[str, Callable[..., FoldOutput]] = {CNN: cnn_row, AUGMENTED: augmented_row, LONGER: longer_row,
                                                  AUG_ONLY: augment_only_row, SCALOGRAM: scalogram_row}

ROWS_CACHE_VERSION = 1


def row_cache_path(ctx: Context, level: str, row: str, outer: int) -> Path:
    """Where :func:`cached_row` keeps one trained row's outputs on one outer fold:
    ``cache_dir()/ptbxl_rows/<key>/outer<k>.npz``, the key hashing the records, the level, the row and its
    recipe (preset, epochs, seed, batch size, :data:`AUGMENT`, the scalogram settings)."""
    import hashlib
    import json

    from medts.classify.scalogram import describe
    from medts.config import cache_dir

    key_text = json.dumps([str(ctx.cache.root), ROWS_CACHE_VERSION, ctx.cache.ecg_ids.tolist(), ctx.cache.sources,
                           level, row, ctx.model, ctx.epochs, ctx.seed, ctx.batch_size, AUGMENT, describe()])
    return cache_dir() / "ptbxl_rows" / hashlib.sha1(key_text.encode()).hexdigest()[:16] / f"outer{outer}.npz"


def cached_row(ctx: Context, level: str, row: str, train_folds: tuple[int, ...], select: int,
               outer: int) -> FoldOutput:
    """``BUILDERS[row]`` on one outer fold, stored once (outside the repository) and loaded on later runs, so an
    interrupted run, or one on more folds, retrains nothing already done; ``cached`` says which. The stored
    seconds are those of the run that trained it. CNN only has its own cache (the hybrid bench's)."""
    if row == CNN:
        return cnn_row(ctx, level, train_folds, select, outer)
    path = row_cache_path(ctx, level, row, outer)
    if path.is_file():
        with np.load(path) as z:
            return FoldOutput(z["test_logits"], float(z["train_seconds"]), float(z["predict_ms_per_record"]),
                              int(z["best_epoch"]), cached=True)
    out = BUILDERS[row](ctx, level, train_folds, select, outer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, test_logits=out.test_logits, train_seconds=out.train_seconds,
             predict_ms_per_record=out.predict_ms_per_record, best_epoch=out.best_epoch)
    tmp.replace(path)
    return out


def rows_level(ctx: Context, level: str, rows: tuple[str, ...], folds: tuple[int, ...], *,
               n_boot: int = 200) -> dict[str, Any]:
    """Nested CV of one level over outer ``folds`` with the trained ``rows`` (names in :data:`BUILDERS`)
    and the ensembles of :data:`ENSEMBLES` whose members are among them."""
    import torch

    from medts.bench.hybrid import _pooled, paired_delta
    from medts.classify.metrics import macro_auc
    from medts.classify.train import LevelData

    torch.set_num_threads(1)
    trained = [r for r in BUILDERS if r in rows]
    ensembles = {e: m for e, m in ENSEMBLES.items() if e in rows and all(x in trained for x in m)}
    names = trained + list(ensembles)
    scores: dict[str, list[np.ndarray]] = {r: [] for r in names}
    ys, per_fold = [], []
    for outer in folds:
        select = inner_fold(outer)
        train_folds = tuple(f for f in OUTER_FOLDS if f not in (outer, select))
        outs = {}
        for row in trained:
            outs[row] = cached_row(ctx, level, row, train_folds, select, outer)
            ctx.log(f"[rows {level}] outer fold {outer}: {row} trained in {outs[row].train_seconds:.0f} s")
        for e, members in ensembles.items():
            a, b = (outs[m] for m in members)
            outs[e] = FoldOutput((a.test_logits + b.test_logits) / 2, a.train_seconds + b.train_seconds,
                                 a.predict_ms_per_record + b.predict_ms_per_record, None)
        y = LevelData.build(ctx.cache, level, train_folds, outer).y_val
        ys.append(y)
        for row in names:
            scores[row].append(outs[row].test_logits)
        per_fold.append({"outer_fold": outer, "selection_fold": select, "n_test_records": len(y),
                         **{row: {"macro_auc": round(macro_auc(y, outs[row].test_logits), 4),
                                  "best_epoch": outs[row].best_epoch, "train_seconds": round(outs[row].train_seconds, 1),
                                  "predict_ms_per_record": round(outs[row].predict_ms_per_record, 3),
                                  "cached": outs[row].cached} for row in names}})
        ctx.log(f"[rows {level}] outer fold {outer}: "
                + ", ".join(f"{r} {per_fold[-1][r]['macro_auc']:.3f}" for r in names))
    summary = {row: _pooled(ys, scores[row], n_boot) for row in names}
    for row in names:
        summary[row]["train_seconds_mean"] = round(float(np.mean([f[row]["train_seconds"] for f in per_fold])), 1)
        summary[row]["predict_ms_per_record_mean"] = round(float(np.mean([f[row]["predict_ms_per_record"]
                                                                          for f in per_fold])), 3)
    deltas = {row: paired_delta(ys, scores[row], scores[CNN], n_boot) for row in names if row != CNN}
    return {"rows": summary, "delta_vs_cnn": deltas, "per_outer_fold": per_fold, "n_records": int(sum(map(len, ys)))}


def parse_rows(keys: list[str]) -> tuple[str, ...]:
    """Row names for ``--rows`` keys (:data:`ROW_KEYS`), CNN first; an ensemble brings its members."""
    from medts.errors import MedtsError

    bad = [k for k in keys if k not in ROW_KEYS]
    if bad:
        raise MedtsError(f"unknown --rows {', '.join(bad)}; choose from {', '.join(ROW_KEYS)}")
    names = {CNN} | {ROW_KEYS[k] for k in keys}
    for e, members in ENSEMBLES.items():
        if e in names:
            names |= set(members)
    return tuple(r for r in (*BUILDERS, *ENSEMBLES) if r in names)


def run(root: str | Path, *, levels: tuple[str, ...] = ("superdiagnostic",), rows: tuple[str, ...] = (CNN,),
        folds: tuple[int, ...] = OUTER_FOLDS, model: str = "xresnet1d-small", epochs: int = 8, seed: int = 0,
        batch_size: int = 64, n_boot: int = 200, name: str = "ptbxl_nested_rows", command: str | None = None,
        log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Nested CV with the comparison ``rows`` for ``levels`` on outer ``folds``; writes
    ``eval/results/<name>.{json,md}`` after each level (a long run leaves the finished levels)."""
    from medts.classify.data import load_ptbxl_cache
    from medts.errors import MedtsError

    bad = [f for f in folds if f not in OUTER_FOLDS]
    if bad or not folds:
        raise MedtsError(f"outer folds must be among {list(OUTER_FOLDS)}, got {list(folds)}")
    ctx = Context(load_ptbxl_cache(root), model, epochs, seed, batch_size, log)
    metrics: dict[str, Any] = {}
    paths: tuple[Path, Path] = (Path(), Path())
    for level in levels:
        metrics[level] = rows_level(ctx, level, rows, tuple(folds), n_boot=n_boot)
        paths = _write(name, command, metrics, levels, tuple(folds), ctx)
    return paths


def _write(name: str, command: str | None, metrics: dict[str, Any], levels: tuple[str, ...],
           folds: tuple[int, ...], ctx: Context) -> tuple[Path, Path]:
    from medts.bench.results import markdown_table, write_results
    from medts.classify.scalogram import describe

    n = len(folds)
    summary, fold_rows = [], []
    for level, m in metrics.items():
        for row, r in m["rows"].items():
            d = m["delta_vs_cnn"].get(row)
            epochs = [f[row]["best_epoch"] for f in m["per_outer_fold"]]
            summary.append([level, row, (f"{r['pooled_macro_auc']:.3f} ({r['pooled_macro_auc_ci95'][0]:.3f}-"
                            f"{r['pooled_macro_auc_ci95'][1]:.3f})"), f"{r['mean_macro_auc']:.3f} ± {r['sd_macro_auc']:.3f}",
                            f"{d['delta']:+.3f} ({d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f})" if d else "-",
                            f"{r['train_seconds_mean']:.1f}", f"{r['predict_ms_per_record_mean']:.2f}",
                            "-" if epochs[0] is None else ", ".join(map(str, epochs))])
        for f in m["per_outer_fold"]:
            fold_rows.append([level, f["outer_fold"], f["selection_fold"], f["n_test_records"],
                              *(f[row]["macro_auc"] for row in m["rows"])])
    table = markdown_table(["level", "row", "pooled macro-AUC (95% CI)", f"mean ± SD over {n} outer folds",
                            "pooled Δ vs CNN only (paired 95% CI)", "train s per outer fold (mean)",
                            "inference ms/record", "chosen epoch per fold"], summary)
    row_names = list(next(iter(metrics.values()))["rows"])
    folds_table = markdown_table(["level", "outer fold", "selection fold", "records", *row_names], fold_rows)
    notes = [
        (f"Nested hold-out CV as in ptbxl_nested, on outer folds {list(folds)}"
         + ("" if n == len(OUTER_FOLDS) else " only (of 1-9: the shared 2-core CPU could not fit all nine for every row; "
            "every row, CNN only included, is scored on the same folds)") + ": per outer fold, every row trains on "
         "the seven folds that are neither the outer nor the selection fold, chooses its epoch on the selection fold (the next fold) and scores the "
         "outer fold. Nothing from the outer fold chooses anything."),
        (f"CNN only: one {ctx.model} (seed {ctx.seed}), {ctx.epochs} epochs one-cycle, 1 thread: the nested run's "
         "recipe, loaded from the cache the hybrid bench wrote (its train seconds are those of the run that trained it)."),
        (f"CNN, 2x epochs + augmentation: the same preset and seed, {2 * ctx.epochs} epochs, training crops with per-lead "
         f"gain x U[{1 - AUGMENT['amplitude_scale']:g}, {1 + AUGMENT['amplitude_scale']:g}], white noise SD "
         f"{AUGMENT['noise_sd']:g} (z units) and reduced-lead dropout p {AUGMENT['lead_dropout']:g}; the random 2.5 s "
         "crop (time shift) is in every 1-D row. Settings fixed before the run, not tuned. 'CNN, 2x epochs' and 'CNN, "
         f"augmentation' (when present) are its two halves: {2 * ctx.epochs} epochs without the augmentation, and the "
         f"augmentation at {ctx.epochs} epochs."),
        (f"Scalogram 2-D CNN: CWT ({describe()['wavelet']} wavelet, {describe()['n_scales']} scales "
         f"{describe()['fmax_hz']:g}-{describe()['fmin_hz']:g} Hz, |coef| averaged over {describe()['time_pool']} samples, "
         "log1p) per lead of the preprocessed 100 Hz record: a 12 x 32 x 250 image, leads as channels; a small 2-D CNN "
         f"(3 conv stages 16/32/64, global avg+max pool, linear) trained from scratch for {ctx.epochs} epochs one-cycle. "
         "No pretrained weights offline (no torchvision, no weight files, no network): trained from scratch, so this "
         "row tests the scalogram representation, not the reading list's ImageNet transfer learning. Its inference "
         "cost includes the CWT of the test records."),
        ("Ensembles: equal-weight mean of the two rows' logits (no weight chosen). Cost = both members' training and "
         "inference."),
        ("Raw + processed copies together was not run: only 64 records exist in both records100 and "
         "processed100_zscore (the cache takes the raw copy), so it would add ~2.6% duplicate training records."),
        ("Trained rows are cached per outer fold under the user cache (ptbxl_rows/<key>, CNN only under ptbxl_cnn); "
         "'cached' per fold and row in the JSON says whether this run trained it, and the seconds shown are those of "
         "the run that did."),
        ("Pooled Δ: paired bootstrap over records (same resamples for both rows). Train s: wall seconds per outer fold, "
         "1 thread on a 2-core machine shared with other training jobs, so costs are comparable only roughly."),
    ]
    return write_results(
        name, command=command,
        data={"dataset": "PTB-XL (shared)", "outer_folds": list(folds), "levels": list(levels),
              "levels_done": list(metrics), "scalogram": describe(), "augment": AUGMENT,
              "pretrained_2d_weights_offline": False},
        metrics=metrics, baselines={level: {CNN: m["rows"][CNN]} for level, m in metrics.items()},
        notes=notes, markdown_tables=["## Comparison rows (nested CV)\n\n" + table,
                                      "## Per outer fold (macro-AUC)\n\n" + folds_table])
