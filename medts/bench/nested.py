"""Nested cross-validation over PTB-XL folds 1-9: no reported figure comes from a fold that chose anything.

For each outer fold k (1-9) a network is trained on seven of the other folds, its epoch is chosen on
the remaining one (the inner selection fold, ``k % 9 + 1``), and only then is it scored on fold k.
Every record is thus scored once, by a model that neither trained nor chose anything on it; the
result is the macro-AUC per outer fold, their mean and the pooled macro-AUC over all nine folds
with a bootstrap CI. PTB-XL's ``strat_fold`` puts all records of a patient in one fold, so the
split is by patient. This is nested hold-out (one inner selection fold per outer fold), the
affordable form of nested CV; the recipe is kept small (see the results' notes).

``medts bench ptbxl --nested`` writes it to ``eval/results/ptbxl_nested.{json,md}`` beside the
fold-9 figures of the shipped adapters (which fold 9 also chose, so those are optimistic).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

OUTER_FOLDS = tuple(range(1, 10))


def inner_fold(outer: int) -> int:
    """The selection fold used when ``outer`` is the test fold (the next fold, cyclically over 1-9).

    >>> [inner_fold(k) for k in (1, 8, 9)]
    [2, 9, 1]
    """
    return outer % len(OUTER_FOLDS) + 1


def nested_level(cache: Any, level: str, *, model: str, epochs: int, seed: int, batch_size: int = 64,
                 n_boot: int = 200, log=print) -> dict[str, Any]:
    """Nested hold-out CV of one level: per-outer-fold and pooled macro-AUC (see the module docstring)."""
    from medts.classify.metrics import macro_auc
    from medts.classify.models import fold_batchnorm
    from medts.classify.predict import predict_signals
    from medts.classify.train import LevelData, TrainConfig, train_one

    per_fold, ys, ps = [], [], []
    for outer in OUTER_FOLDS:
        select = inner_fold(outer)
        train_folds = tuple(f for f in OUTER_FOLDS if f not in (outer, select))
        cfg = TrainConfig(level=level, model=model, epochs=epochs, seed=seed, batch_size=batch_size,
                          train_folds=train_folds, val_fold=select, num_threads=1)
        start = time.perf_counter()
        result = train_one(LevelData.build(cache, level, train_folds, select), cfg, log=log)
        seconds = time.perf_counter() - start
        test = LevelData.build(cache, level, train_folds, outer)
        probs = predict_signals([fold_batchnorm(result.net)], test.val_signals, window=cfg.window_samples,
                                stride=cfg.stride_samples, aggregate=cfg.aggregate)
        auc = macro_auc(test.y_val, probs)
        per_fold.append({"outer_fold": outer, "selection_fold": select, "train_folds": list(train_folds),
                         "n_test_records": len(test.val_rows), "macro_auc": auc, "best_epoch": result.best_epoch,
                         "selection_fold_macro_auc": result.best_val_macro_auc, "train_seconds": round(seconds, 1)})
        log(f"[nested {level}] outer fold {outer} (select on {select}): macro-AUC {auc:.4f}")
        ys.append(test.y_val)
        ps.append(probs)
    summary, _ = pooled_summary(ys, ps, n_boot)
    return {"per_outer_fold": per_fold, **summary, "n_records": sum(len(y) for y in ys)}


def pooled_summary(ys: list[np.ndarray], ps: list[np.ndarray], n_boot: int) -> tuple[dict[str, Any], list[float]]:
    """Mean ± SD of the outer folds' macro-AUCs and the pooled macro-AUC with its bootstrap CI, for
    labels ``ys`` and scores ``ps`` per outer fold; also the per-fold macro-AUCs."""
    from medts.classify.metrics import bootstrap_ci, macro_auc

    aucs = [macro_auc(y, p) for y, p in zip(ys, ps)]
    y, p = np.concatenate(ys), np.concatenate(ps)
    return ({"mean_macro_auc": float(np.mean(aucs)), "sd_macro_auc": float(np.std(aucs, ddof=1)),
             "pooled_macro_auc": macro_auc(y, p), "pooled_macro_auc_ci95": list(bootstrap_ci(y, p, macro_auc, n_boot=n_boot))},
            aucs)


def run(root: str | Path, *, levels: tuple[str, ...] = ("superdiagnostic", "all"), model: str = "xresnet1d-small",
        epochs: int = 8, seed: int = 0, batch_size: int = 64, n_boot: int = 200, name: str = "ptbxl_nested",
        fold9: Path | None = None, command: str | None = None, log=print) -> tuple[Path, Path]:
    """Nested CV of ``levels``; writes ``eval/results/<name>.{json,md}``, with the shipped fold-9 figures
    from ``fold9`` (a ``medts bench ptbxl`` result JSON) beside them when given."""
    import json

    from medts.bench.results import markdown_table, write_results
    from medts.classify.data import load_ptbxl_cache

    cache = load_ptbxl_cache(root)
    metrics = {level: nested_level(cache, level, model=model, epochs=epochs, seed=seed, batch_size=batch_size,
                                   n_boot=n_boot, log=log) for level in levels}
    shipped = json.loads(fold9.read_text())["metrics"] if fold9 is not None and fold9.is_file() else {}
    rows = []
    for level, m in metrics.items():
        s = shipped.get(level, {})
        rows.append([level, m["n_records"], (f"{m['pooled_macro_auc']:.3f} ({m['pooled_macro_auc_ci95'][0]:.3f}-"
                     f"{m['pooled_macro_auc_ci95'][1]:.3f})"), f"{m['mean_macro_auc']:.3f} ± {m['sd_macro_auc']:.3f}",
                     f"{s['macro_auc']:.3f}" if s else "-"])
    summary = markdown_table(["level", "records", "nested CV pooled macro-AUC (95% CI)", "mean ± SD over 9 outer folds",
                              "shipped adapter, fold 9 (optimistic)"], rows)
    fold_rows = [[level, f["outer_fold"], f["selection_fold"], f["n_test_records"], round(f["macro_auc"], 4),
                  f["best_epoch"], f["train_seconds"]] for level, m in metrics.items() for f in m["per_outer_fold"]]
    folds = markdown_table(["level", "outer (test) fold", "selection fold", "records", "macro-AUC", "chosen epoch",
                            "train s"], fold_rows)
    notes = [
        ("Nested hold-out CV over PTB-XL folds 1-9 (fold 10 is withheld from the shared data): for each outer fold, "
        "train on seven folds, choose the epoch on the next fold, score the outer fold. No figure here comes from a "
        "fold that chose anything. strat_fold is patient-disjoint."),
        (f"Cheap recipe for the shared 2-core CPU: one {model} (seed {seed}), {epochs} epochs one-cycle, 1 thread. "
        "It is not the shipped ensemble's recipe, so the two columns differ in recipe as well as protocol."),
        ("The shipped adapters' column is their fold-9 figure from eval/results/ptbxl.json: fold 9 chose their "
        "epochs, members and thresholds, so it is optimistic."),
    ]
    return write_results(
        name, command=command,
        data={"dataset": "PTB-XL (shared)", "outer_folds": list(OUTER_FOLDS), "levels": list(levels),
              "fold9_results": str(fold9) if fold9 else None},
        metrics=metrics, baselines={"shipped_fold9": {level: shipped.get(level, {}).get("macro_auc") for level in levels}},
        notes=notes, markdown_tables=["## Nested CV beside the fold-9 figures\n\n" + summary,
                                      "## Per outer fold\n\n" + folds])
