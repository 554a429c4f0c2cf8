"""Training loop for MedTsLLM under ``accelerate`` (one CPU, one GPU or many, same code).

Seeded, gradient accumulation, bf16 autocast for the LLM where bf16 is native (see
``backbone.resolve_dtype``), ``torch.set_flush_denormal(True)`` (AdamW states full of denormals
made CPU steps 10-20x slower). Segmentation: cross-entropy per sample. Anomaly: MSE between
the reconstruction and the input, both in RevIN-normalised units.

Example
-------
>>> from medts.medtsllm.config import MedTsLLMConfig
>>> result = train_model(MedTsLLMConfig(), train_set, val_set, out_dir="runs/seg")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, Dataset

from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.data import collate
from medts.medtsllm.model import MedTsLLM, MedTsLLMOutput

N_CLASSES = 4


@dataclass
class TrainResult:
    """What a run produced: the trained model, loss curve and validation metrics."""

    model: MedTsLLM
    train_losses: list[float] = field(default_factory=list)
    val_history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    windows_seen: int = 0


def soft_dice_loss(logits: torch.Tensor, labels: torch.Tensor, classes: tuple[int, ...] = (1, 2, 3)) -> torch.Tensor:
    """1 - mean soft Dice over ``classes`` of softmax(``logits``) [..., K] against ``labels`` [...].

    Samples labelled below 0 (``ignore_index`` -100: unknown, see
    :mod:`medts.medtsllm.qtdb_data`) count for neither side, as in the cross-entropy.

    Example
    -------
    >>> y = torch.tensor([[0, 1, 2, 3]])
    >>> round(float(soft_dice_loss(100.0 * F.one_hot(y, 4).float(), y)), 4)
    0.0
    """
    probs = logits.float().softmax(-1).reshape(-1, logits.shape[-1])  # [n, K]
    flat = labels.reshape(-1)
    known = (flat >= 0).to(probs.dtype)[:, None]  # [n, 1]
    onehot = F.one_hot(flat.clamp(min=0), logits.shape[-1]).to(probs.dtype) * known  # [n, K]
    probs = probs * known
    cls = list(classes)
    inter = (probs[:, cls] * onehot[:, cls]).sum(0)  # [len(classes)]
    total = probs[:, cls].sum(0) + onehot[:, cls].sum(0)
    return 1.0 - ((2 * inter + 1.0) / (total + 1.0)).mean()  # +1 smoothing: empty classes score 1


def task_loss(model: MedTsLLM, out: MedTsLLMOutput, batch: dict) -> torch.Tensor:
    """Cross-entropy (plus ``train.dice_weight`` x soft Dice) for segmentation, or normalised
    MSE (anomaly), for one batch."""
    if model.config.task == "segmentation":
        logits = out.output  # [B, C, T, 4]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch["y"].reshape(-1))
        if model.config.train.dice_weight > 0:
            loss = loss + model.config.train.dice_weight * soft_dice_loss(logits, batch["y"])
        return loss
    return F.mse_loss(out.reconstruction_normalized, out.normalized_input)


def confusion(pred: np.ndarray, true: np.ndarray, n: int = N_CLASSES) -> np.ndarray:
    """[n, n] counts, rows = true class, columns = predicted."""
    return np.bincount(true.ravel() * n + pred.ravel(), minlength=n * n).reshape(n, n)


def iou_f1(conf: np.ndarray) -> dict[str, float]:
    """Per-class IoU and F1 per sample (P, QRS, T) and their means over P, QRS and T."""
    out: dict[str, float] = {}
    names = ("none", "P", "QRS", "T")
    for c in range(1, len(names)):
        tp = conf[c, c]
        fp = conf[:, c].sum() - tp
        fn = conf[c, :].sum() - tp
        out[f"iou_{names[c]}"] = float(tp / (tp + fp + fn)) if tp + fp + fn else float("nan")
        out[f"f1_{names[c]}"] = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else float("nan")
    out["mean_iou"] = float(np.mean([out["iou_P"], out["iou_QRS"], out["iou_T"]]))
    out["mean_f1"] = float(np.mean([out["f1_P"], out["f1_QRS"], out["f1_T"]]))
    return out


@torch.no_grad()
def evaluate(model: MedTsLLM, loader: DataLoader, max_windows: int | None = None) -> dict[str, float]:
    """Mean loss (and per-sample IoU/F1 for segmentation) over ``loader``."""
    model.eval()
    losses, conf, seen = [], np.zeros((N_CLASSES, N_CLASSES), np.int64), 0
    for batch in loader:
        out = model(batch["x"], batch["prompt"] if model.llm is not None else None)
        losses.append(float(task_loss(model, out, batch)) * len(batch["x"]))
        if model.config.task == "segmentation":
            pred = out.output.argmax(-1).cpu().numpy()
            conf += confusion(pred, batch["y"].cpu().numpy())
        seen += len(batch["x"])
        if max_windows is not None and seen >= max_windows:
            break
    model.train()
    metrics = {"loss": float(np.sum(losses) / max(seen, 1)), "windows": seen}
    if model.config.task == "segmentation":
        metrics.update(iou_f1(conf))
    return metrics


def train_model(
    config: MedTsLLMConfig,
    train_set: Dataset,
    val_set: Dataset | None,
    *,
    model: MedTsLLM | None = None,
    log: Callable[[str], None] = print,
    on_save: Callable[[TrainResult], None] | None = None,
) -> TrainResult:
    """Train ``config.train.steps`` optimizer steps; return the model and its history.

    ``on_save`` (e.g. write a checkpoint) is called every ``train.save_every`` steps."""
    tc = config.train
    torch.set_flush_denormal(True)
    if tc.threads:
        torch.set_num_threads(tc.threads)
    set_seed(tc.seed)
    accelerator = Accelerator(gradient_accumulation_steps=tc.grad_accum, cpu=not torch.cuda.is_available())
    if model is None:
        model = MedTsLLM(config)
    model.train()
    params = model.trainable_parameters()
    optimizer = torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)
    total = tc.steps
    warmup = max(1, total // 20)

    def lr_lambda(step: int) -> float:  # linear warm-up then cosine decay to 10 %
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    gen = torch.Generator().manual_seed(tc.seed)
    train_loader = DataLoader(train_set, batch_size=tc.batch_size, shuffle=True, collate_fn=collate, generator=gen, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=tc.batch_size, shuffle=False, collate_fn=collate) if val_set else None
    model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    core: MedTsLLM = accelerator.unwrap_model(model)
    result = TrainResult(model=core)
    start = time.perf_counter()
    step, micro = 0, 0
    running: list[float] = []
    while step < total:
        for batch in train_loader:
            with accelerator.accumulate(model):
                out = model(batch["x"], batch["prompt"] if core.llm is not None else None)
                loss = task_loss(core, out, batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            micro += 1
            running.append(float(loss.detach()))
            result.windows_seen += len(batch["x"])
            if accelerator.sync_gradients:
                step += 1
                result.train_losses.append(float(np.mean(running)))
                running = []
                if step % 10 == 0 or step == 1:
                    log(f"step {step}/{total} loss {result.train_losses[-1]:.4f} ({time.perf_counter() - start:.0f} s)")
                if val_loader is not None and (step % tc.eval_every == 0 or step == total):
                    metrics = {"step": step, **evaluate(core, val_loader, tc.max_val_windows)}
                    result.val_history.append(metrics)
                    log("val " + " ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()))
                if on_save is not None and tc.save_every and step % tc.save_every == 0 and step < total:
                    result.seconds, result.steps = time.perf_counter() - start, step
                    core.eval()
                    on_save(result)
                    core.train()
            if step >= total:
                break
    result.seconds = time.perf_counter() - start
    result.steps = step
    core.eval()
    return result
