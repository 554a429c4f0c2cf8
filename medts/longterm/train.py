"""Fit the long-recording V-beat model on MIT-BIH DS1 and choose its threshold by
leave-one-record-out (LORO): ``python -m medts.longterm.train [DATA_ROOT]``.

Prints the pooled LORO V sensitivity / PPV / F1 at the chosen threshold and the weights to paste
into :mod:`medts.interpret.longterm` (``V_WEIGHTS``, ``V_INTERCEPT``, ``V_THRESHOLD``). Only
DS1 records (``mitdb/full``) are read: nothing here sees a test record.

Model: logistic regression over ``rules.V_FEATURES`` and their squares, fitted on
standardised features with class-balanced weights and a small L2 penalty (torch L-BFGS, float64),
then folded back to raw-feature weights. Threshold: the best pooled F1 over the 21 held-out
records' scores, each scored by a model fitted on the other 20; missed reference V beats count as
false negatives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from medts.bench.long import DS1, MATCH_S, labelled, match

L2 = 1e-3


def record_features(base: Path) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Beat features (every ``medts.longterm.beats.FEATURES``), the matched AAMI class per detected
    beat ("X": no reference beat), and the number of reference V beats never detected."""
    from medts.interpret import longterm as rules
    from medts.longterm.analyze import beat_lead
    from medts.longterm.beats import FEATURES, BeatExtractor
    from medts.longterm.stream import iter_chunks, open_long_record

    src = open_long_record(base)
    ext = BeatExtractor(fs=src.fs, lead=beat_lead(src.leads))
    samples, feats = [], {k: [] for k in FEATURES}
    for chunk in iter_chunks(src, window_s=rules.WINDOW_S, margin_s=3.0):
        block = ext.add(chunk)
        samples.append(block.samples)
        for k in FEATURES:
            feats[k].append(block.features[k])
    det = np.concatenate(samples)
    ref, lab = labelled(base)
    m = match(det, ref, round(MATCH_S * src.fs))
    truth = np.where(m >= 0, lab[np.clip(m, 0, None)], "X")
    found = np.zeros(len(ref), bool)
    found[m[m >= 0]] = True
    return {k: np.concatenate(v) for k, v in feats.items()}, truth, int(((lab == "V") & ~found).sum())


def design(feats: dict[str, np.ndarray], order: tuple[str, ...]) -> np.ndarray:
    """[beats, 2 * features]: the features in ``order``, then their squares."""
    x = np.stack([np.asarray(feats[k], float) for k in order], axis=1)
    return np.concatenate([x, x ** 2], axis=1)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression; returns raw-feature (weights, intercept)."""
    import torch

    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    xt = torch.tensor((x - mu) / sd, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w_cls = torch.where(yt > 0, 0.5 / yt.mean(), 0.5 / (1 - yt.mean()))
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        z = xt @ w + b
        loss = (w_cls * torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="none")).mean()
        loss = loss + L2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    ws = w.detach().numpy() / sd
    return ws, float(b.detach().numpy()[0] - (ws * mu).sum())


def score(x: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ weights + intercept, -40.0, 40.0)))


def best_threshold(scores: np.ndarray, is_v: np.ndarray, missed: int) -> tuple[float, dict[str, float]]:
    """Threshold with the best pooled F1 (missed reference V beats are false negatives)."""
    best: tuple[float, float, dict[str, float]] = (-1.0, 0.5, {})
    for g in np.unique(np.quantile(scores, np.linspace(0.5, 0.9995, 400))):
        p = scores >= g
        tp, fp = int((p & is_v).sum()), int((p & ~is_v).sum())
        fn = int((~p & is_v).sum()) + missed
        f1 = 2 * tp / (2 * tp + fp + fn)
        if f1 > best[0]:
            best = (f1, float(g), {"se": tp / (tp + fn), "ppv": tp / max(tp + fp, 1), "f1": f1})
    return best[1], best[2]


def main(root: Path) -> None:
    from medts.interpret import longterm as rules

    order = tuple(rules.V_FEATURES)
    data = {rid: record_features(root / "mitdb" / "full" / str(rid)) for rid in DS1}
    xs = {rid: design(f, order) for rid, (f, _, _) in data.items()}
    ys = {rid: (t == "V").astype(float) for rid, (_, t, _) in data.items()}
    held = {}
    for rid in DS1:
        others = [r for r in DS1 if r != rid]
        w, b = fit_logistic(np.concatenate([xs[r] for r in others]), np.concatenate([ys[r] for r in others]))
        held[rid] = score(xs[rid], w, b)
    missed = sum(m for _, _, m in data.values())
    thr, pooled = best_threshold(np.concatenate([held[r] for r in DS1]),
                                 np.concatenate([ys[r] for r in DS1]) > 0, missed)
    w, b = fit_logistic(np.concatenate([xs[r] for r in DS1]), np.concatenate([ys[r] for r in DS1]))
    print(f"LORO on DS1 at threshold {thr:.3f}: V Se {pooled['se']:.4f} PPV {pooled['ppv']:.4f} F1 {pooled['f1']:.4f}")
    print("V_WEIGHTS = (" + ", ".join(f"{v:.5g}" for v in w) + ")")
    print(f"V_INTERCEPT = {b:.5g}")
    print(f"V_THRESHOLD = {thr:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"))
