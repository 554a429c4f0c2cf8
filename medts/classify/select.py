"""Choose ensemble members from a pool of trained adapters on the validation fold (greedy, cost-aware).

Every member of every candidate adapter scores the validation fold once (the same inference
path as :class:`medts.classify.predict.Classifier`: batch norm folded, 2.5 s windows); then
members are added greedily, each time the one that raises the ensemble's macro-AUC most
(Caruana et al., ICML 2004, without replacement). Each step records the ensemble's cost as the
sum of the members' measured CPU seconds, so accuracy can be weighed against throughput.

The selection uses the validation fold (9), so the selected ensemble's fold-9 figure is
optimistic; on the partial shared PTB-XL copy there is no fold 10 to check it on.

``python -m medts.classify.select --data ROOT --level superdiagnostic --stride 250 ADAPTER...``
prints the greedy path as JSON (``--pick`` arguments for ``medts train merge-classifiers``).

Example
-------
>>> import numpy as np
>>> y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], np.float32)
>>> good = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.7], [0.1, 0.2]], np.float32)
>>> bad = good[::-1].copy()
>>> [step["added"] for step in greedy_selection(y, [bad, good], max_members=2)]
[1, 0]
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from medts.classify.metrics import macro_auc


def greedy_selection(y: np.ndarray, member_probs: list[np.ndarray], *, max_members: int,
                     cpu_seconds: list[float] | None = None) -> list[dict[str, Any]]:
    """Greedy forward selection of members by validation macro-AUC (no member twice).

    Parameters
    ----------
    y : float32 [n_records, n_classes]
        Validation labels.
    member_probs : list of float32 [n_records, n_classes]
        Each candidate member's probabilities.
    max_members : int
    cpu_seconds : list of float, optional
        Each member's inference CPU time on the validation fold (summed per step as ``cpu_seconds``).

    Returns
    -------
    list of dict
        One per step: ``added`` (candidate index), ``members`` (indices so far), ``macro_auc``, ``cpu_seconds``.
    """
    chosen: list[int] = []
    steps = []
    total = np.zeros_like(member_probs[0], dtype=np.float64)
    for _ in range(min(max_members, len(member_probs))):
        best_auc, best = -1.0, -1
        for i, probs in enumerate(member_probs):
            if i in chosen:
                continue
            auc = macro_auc(y, (total + probs) / (len(chosen) + 1))
            if auc > best_auc:
                best_auc, best = auc, i
        chosen.append(best)
        total += member_probs[best]
        steps.append({"added": best, "members": list(chosen), "macro_auc": best_auc,
                      "cpu_seconds": None if cpu_seconds is None else float(sum(cpu_seconds[j] for j in chosen))})
    return steps


def pool_probabilities(folders: list[str | Path], root: str | Path, level: str, *, stride: int) -> dict[str, Any]:
    """Validation probabilities and CPU seconds of every member of every adapter in ``folders``."""
    import torch

    from medts.classify.data import TRAIN_FOLDS, VAL_FOLD, load_ptbxl_cache
    from medts.classify.models import fold_batchnorm, to_channels_last_2d
    from medts.classify.predict import Classifier, predict_signals, round_weights_to_float16
    from medts.classify.train import LevelData

    data = LevelData.build(load_ptbxl_cache(root), level, TRAIN_FOLDS, VAL_FOLD)
    labels, probs, seconds = [], [], []
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for a, folder in enumerate(folders):
            clf = Classifier.load(folder)
            if clf.classes != data.classes:
                raise ValueError(f"{folder}: labels do not match level {level}")
            for m, (net, info) in enumerate(zip(clf.members, clf.manifest["training"])):
                # scored as a float16-stored member would be, like the shipped adapters
                folded = to_channels_last_2d(fold_batchnorm(round_weights_to_float16(copy.deepcopy(net))))
                start = time.process_time()
                p = predict_signals([folded], data.val_signals, window=clf.window, stride=stride, aggregate=clf.aggregate)
                seconds.append(time.process_time() - start)
                probs.append(p)
                labels.append({"pick": f"{a}:{m}", "adapter": str(folder), "model": info["model"], "seed": info["seed"],
                               "macro_auc": macro_auc(data.y_val, p)})
    finally:
        torch.set_num_threads(previous)
    return {"y": data.y_val, "probs": probs, "cpu_seconds": seconds, "members": labels, "n_records": len(data.y_val)}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m medts.classify.select", description=__doc__.split("\n")[0])
    parser.add_argument("adapters", nargs="+")
    parser.add_argument("--data", required=True)
    parser.add_argument("--level", required=True)
    parser.add_argument("--stride", type=int, default=250)
    parser.add_argument("--max-members", type=int, default=8)
    args = parser.parse_args(argv)
    pool = pool_probabilities(args.adapters, args.data, args.level, stride=args.stride)
    steps = greedy_selection(pool["y"], pool["probs"], max_members=args.max_members, cpu_seconds=pool["cpu_seconds"])
    for step in steps:
        step["picks"] = [pool["members"][i]["pick"] for i in step["members"]]
        step["records_per_cpu_second"] = pool["n_records"] / step["cpu_seconds"]
    print(json.dumps({"command": "python -m medts.classify.select " + " ".join(argv), "level": args.level,
                      "stride": args.stride, "pool": [{**m, "cpu_seconds": s} for m, s in zip(pool["members"], pool["cpu_seconds"])],
                      "greedy": steps}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
