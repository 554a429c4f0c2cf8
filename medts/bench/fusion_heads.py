"""Training (PTB-XL folds 1-8) and selection (fold 9) of the shipped late-fusion heads, and their
out-of-fold copies for anything checked on folds 1-8 (:mod:`medts.classify.fusion` scores with them).

``python -m medts.bench.fusion_heads --data ROOT --adapter adapters/classifier-all --out adapters/classifier-all-hybrid``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from medts.classify.fusion import FusionHead, logit, trees_from_models
from medts.errors import MedtsError

# -- training (folds 1-8) and selection (fold 9) of a shipped head ----------------------------------------
HYBRID_SUFFIX = "-hybrid"
"""``adapters/classifier-<level>-hybrid``: the fusion head of ``classifier-<level>``."""


def train_head(root: str | Path, adapter: str | Path, *, seed: int = 0, command: str | None = None,
               log: Any = print) -> tuple[FusionHead, dict[str, Any]]:
    """Fit the measurement trees of ``adapter``'s classes on PTB-XL folds 1-8 and choose ``w`` (grid
    :data:`medts.bench.hybrid.FUSION_WEIGHTS`) and the fused thresholds (the adapter's decision rule) on fold 9.

    Features come from :func:`medts.bench.hybrid.measurement_features` and
    :func:`~medts.bench.hybrid.shape_features` (cached per record). Returns the head and the fold-9 record
    (CNN and fused probabilities, labels) for the model card.
    """
    import time

    from medts.bench.hybrid import choose_weight, fit_models, measurement_features, shape_features
    from medts.classify.calibrate import DecisionRule, choose_thresholds
    from medts.classify.data import TRAIN_FOLDS, VAL_FOLD, load_ptbxl_cache
    from medts.classify.metrics import macro_auc
    from medts.classify.predict import Classifier
    from medts.classify.train import LevelData

    clf = Classifier.load(adapter)
    cache = load_ptbxl_cache(root)
    features = np.hstack([measurement_features(cache, log=log), shape_features(cache, log=log)]).astype(np.float64)
    data = LevelData.build(cache, clf.level, TRAIN_FOLDS, VAL_FOLD)
    if data.classes != clf.classes:
        raise MedtsError(f"{adapter}: classes differ from PTB-XL level {clf.level}")
    start = time.perf_counter()
    seen, models = fit_models(features[data.train_rows], data.y_train, seed=seed)
    fit_s = time.perf_counter() - start
    arrays = trees_from_models(models, seen)
    cnn_val = clf.predict_proba(data.val_signals)
    probe = FusionHead(arrays, 0.0, clf.classes, {}, {"name": "probe"})
    meas_val = probe.tree_logits(features[data.val_rows])
    weight, by_weight = choose_weight(data.y_val, logit(cnn_val), meas_val)
    head = FusionHead(arrays, weight, clf.classes, {}, {})
    fused_val = head.fuse(cnn_val, features[data.val_rows])
    rule_dict = clf.manifest.get("decision_rule") or {}
    rule = DecisionRule.from_dict(rule_dict)
    head.thresholds = choose_thresholds(data.y_val, fused_val, clf.classes, rule)
    n_raw = int(sum(cache.sources[r] == "records100" for r in data.train_rows))
    head.manifest = {
        "schema_version": 1, "name": f"{clf.name}{HYBRID_SUFFIX}", "level": clf.level,
        "task": f"late fusion of {clf.name} with boosted trees on the engine's measurements",
        "fuses": clf.name, "command": command,
        "fusion": "sigmoid(logit(p_cnn) + w * tree_logit); tree_logit 0 for classes without a model",
        "trees": {"learner": "sklearn HistGradientBoostingClassifier per class, exported as arrays",
                  "settings": {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 20,
                               "l2_regularization": 1.0, "early_stopping": False, "random_state": seed},
                  "sklearn_version": _sklearn_version(), "fit_seconds": round(fit_s, 1),
                  "classes_with_model": int(arrays["has_model"].sum()), "n_trees": len(arrays["roots"])},
        "data": {"dataset": "PTB-XL", "train_folds": list(TRAIN_FOLDS), "selection_fold": VAL_FOLD,
                 "n_train_records": len(data.train_rows), "n_train_records_raw_mv": n_raw,
                 "n_selection_records": len(data.val_rows)},
        "chosen_on_fold_9": {"fusion_weight": weight, "weight_grid_macro_auc": by_weight,
                             "thresholds": f"{rule.name} (the decision rule of {clf.name})"},
        "fold9_macro_auc": {"cnn": macro_auc(data.y_val, cnn_val), "fused": macro_auc(data.y_val, fused_val),
                            "note": "fold 9 chose w and the thresholds (and the CNN's epochs, members, thresholds): optimistic"},
        "decision_rule": {**{k: v for k, v in rule_dict.items() if k != "previous"}, "name": rule.name},
        "inputs": "12-lead records only; two measure_ecg calls at the model rate (mV record, standardised model input)",
    }
    return head, {"y_val": data.y_val, "cnn_val": cnn_val, "fused_val": fused_val}


def crossfit_heads(root: str | Path, head: FusionHead, *, seed: int = 0, log: Any = print) -> dict[int, FusionHead]:
    """Out-of-fold copies of ``head`` for PTB-XL folds 1-8: for fold ``k`` the trees are refit on the other seven
    training folds (same features, settings and classes), with ``head``'s weight and thresholds (chosen on fold 9).

    The shipped trees were fit on folds 1-8, so on those records they are in-sample; anything tuned or checked on
    folds 1-8 with fused scores (the interpretation engine's rules, ``medts bench interpretation``) uses these.
    """
    from medts.bench.hybrid import fit_models, measurement_features, shape_features
    from medts.classify.data import TRAIN_FOLDS, VAL_FOLD, load_ptbxl_cache
    from medts.classify.train import LevelData

    cache = load_ptbxl_cache(root)
    features = np.hstack([measurement_features(cache, log=log), shape_features(cache, log=log)]).astype(np.float64)
    level = str(head.manifest.get("level"))
    data = LevelData.build(cache, level, TRAIN_FOLDS, VAL_FOLD)
    if data.classes != head.classes:
        raise MedtsError(f"{head.name}: classes differ from PTB-XL level {level}")
    out = {}
    for fold in TRAIN_FOLDS:
        keep = cache.folds[data.train_rows] != fold
        seen, models = fit_models(features[data.train_rows[keep]], data.y_train[keep], seed=seed)
        out[fold] = FusionHead(trees_from_models(models, seen), head.weight, head.classes, head.thresholds,
                               {**head.manifest, "crossfit_fold_out": fold})
    return out


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def main(argv: list[str] | None = None) -> None:
    """``python -m medts.bench.fusion_heads --data ROOT --adapter adapters/classifier-all --out DIR``."""
    import argparse
    import shlex
    import sys

    parser = argparse.ArgumentParser(prog="python -m medts.bench.fusion_heads", description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="PTB-XL root (folds 1-9)")
    parser.add_argument("--adapter", required=True, help="classifier adapter the head fuses with")
    parser.add_argument("--out", required=True, help="output folder (adapters/classifier-<level>-hybrid)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    command = "python -m medts.bench.fusion_heads " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    head, _ = train_head(args.data, args.adapter, seed=args.seed, command=command,
                         log=lambda m: print(m, file=sys.stderr))
    head.save(args.out)
    auc = head.manifest["fold9_macro_auc"]
    print(f"{args.out}: w={head.weight:g}; fold-9 macro-AUC CNN {auc['cnn']:.4f} -> fused {auc['fused']:.4f} "
          "(fold 9 chose w: optimistic)")


if __name__ == "__main__":
    main()
