"""Train PTB-XL statement classifiers under ``accelerate`` (CPU, one GPU or many, unchanged code).

Protocol (Strodthoff et al. 2021): train on ``strat_fold`` 1-8, select the epoch on fold 9,
test on fold 10. Records with no label at the chosen level are left out, as in the benchmark.
Training samples one random 2.5 s crop per record and epoch; validation scores every record
with overlapping 2.5 s windows (stride 1.25 s) whose probabilities are averaged.
Optimiser: AdamW with a one-cycle (default) or warm-up + cosine learning-rate schedule; loss:
binary cross-entropy, optionally with label smoothing (targets pulled towards 0.5 by ``eps / 2``).

Distillation (``TrainConfig.teacher``): the targets become ``(1 - w) * labels + w * teacher``, where
``teacher`` is a trained adapter's (e.g. an ensemble's) probability for each training record
(sliding windows over the whole record, folds 1-8 only) and ``w = distill_weight``. One student
network then carries much of an ensemble's accuracy at the inference cost of one member.
The run is seeded (``accelerate.utils.set_seed``: Python, NumPy, torch).

CPU note: ``torch.set_flush_denormal(True)`` is set, because AdamW state full of denormal
numbers made steps 10-20x slower on the development CPUs.

Example
-------
>>> from medts.classify.train import TrainConfig, train_ensemble     # doctest: +SKIP
>>> clf, summary = train_ensemble("/data/ptbxl", TrainConfig(level="superdiagnostic"), seeds=[0])  # doctest: +SKIP
>>> clf.save("adapters/classifier-superdiagnostic")                  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medts.classify.calibrate import DEFAULT_RULE, choose_thresholds, rule_manifest
from medts.classify.data import (
    TRAIN_FOLDS,
    VAL_FOLD,
    PtbxlCache,
    RandomCropDataset,
    load_ptbxl_cache,
)
from medts.classify.metrics import macro_auc
from medts.classify.models import (
    ECGClassifierNet,
    build_model,
    count_parameters,
    fold_batchnorm,
    preset_config,
)
from medts.classify.predict import Classifier, predict_signals, round_weights_to_float16
from medts.errors import MedtsError


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (stored in the manifest)."""

    level: str = "superdiagnostic"
    model: str = "xresnet1d"
    epochs: int = 15
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-2
    seed: int = 0
    window_samples: int = 250
    stride_samples: int = 125
    aggregate: str = "mean"
    train_folds: tuple[int, ...] = TRAIN_FOLDS
    val_fold: int = VAL_FOLD
    use_processed: bool = True
    last_k: int = 5
    num_threads: int | None = None
    schedule: str = "onecycle"
    label_smoothing: float = 0.0
    teacher: str | None = None
    distill_weight: float = 0.5
    lead_dropout: float = 0.0
    """Probability that a training crop keeps only a reduced lead set (see ``data.REDUCED_LEAD_SETS``)."""
    amplitude_scale: float = 0.0
    """Per-lead gain augmentation of training crops: factor uniform in [1 - a, 1 + a] (0: off)."""
    noise_sd: float = 0.0
    """White Gaussian noise added to training crops, in units of the z-scored lead's SD (0: off)."""


SCHEDULES = ("onecycle", "cosine")


def make_scheduler(optimizer: torch.optim.Optimizer, schedule: str, lr: float, total_steps: int):
    """``onecycle``: OneCycleLR to ``lr``; ``cosine``: linear warm-up over 5% of the steps, then cosine to 0."""
    if schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps)
    if schedule == "cosine":
        warmup = max(1, total_steps // 20)
        return torch.optim.lr_scheduler.SequentialLR(optimizer, [
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.05, total_iters=warmup),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup)),
        ], milestones=[warmup])
    raise MedtsError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")


@dataclass
class TrainResult:
    """One trained network (weights of the best validation epoch) and its history."""

    net: ECGClassifierNet
    config: TrainConfig
    classes: list[str]
    history: list[dict[str, float]]
    best_epoch: int
    best_val_macro_auc: float
    mean_last_k_val_macro_auc: float
    val_probs: np.ndarray
    seconds_per_epoch: float
    n_parameters: int
    device: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LevelData:
    """Cached signals split for one level (records without a label at the level dropped)."""

    cache: PtbxlCache
    classes: list[str]
    train_rows: np.ndarray
    val_rows: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    val_signals: np.ndarray

    @classmethod
    def build(cls, cache: PtbxlCache, level: str, train_folds, val_fold: int) -> LevelData:
        y, classes = cache.label_matrix(level)
        labelled = y.sum(axis=1) > 0
        train_rows = np.intersect1d(cache.rows(train_folds), np.flatnonzero(labelled))
        val_rows = np.intersect1d(cache.rows([val_fold]), np.flatnonzero(labelled))
        if len(train_rows) == 0 or len(val_rows) == 0:
            raise MedtsError(
                f"{cache.root}: no labelled records at level {level!r} in folds {list(train_folds)} "
                f"(train: {len(train_rows)}) or fold {val_fold} (validation: {len(val_rows)})"
            )
        return cls(cache, classes, train_rows, val_rows, y[train_rows], y[val_rows],
                   np.asarray(cache.signals[val_rows], np.float32))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train_one(data: LevelData, cfg: TrainConfig, *, log: Callable[[str], None] = _log) -> TrainResult:
    """Train one network on ``data`` with ``cfg``; keep the weights of the best fold-9 epoch."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    torch.set_flush_denormal(True)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    set_seed(cfg.seed)
    model_cfg = preset_config(cfg.model, len(data.classes), window_samples=cfg.window_samples)
    net = build_model(model_cfg)
    dataset = RandomCropDataset(data.cache.signals, data.train_rows, data.y_train, cfg.window_samples,
                                lead_dropout=cfg.lead_dropout, amplitude_scale=cfg.amplitude_scale,
                                noise_sd=cfg.noise_sd)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(cfg.seed))
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = make_scheduler(optimizer, cfg.schedule, cfg.lr, cfg.epochs * len(loader))
    net, optimizer, loader, scheduler = accelerator.prepare(net, optimizer, loader, scheduler)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    history: list[dict[str, float]] = []
    best_auc, best_state, best_epoch, best_probs = -1.0, None, -1, None
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        start = time.perf_counter()
        total, steps = 0.0, 0
        for x, y in loader:
            if cfg.label_smoothing:
                y = y * (1.0 - cfg.label_smoothing) + cfg.label_smoothing / 2
            loss = loss_fn(net(x), y)
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
            steps += 1
        train_s = time.perf_counter() - start
        plain = accelerator.unwrap_model(net)
        probs = predict_signals([plain], data.val_signals, window=cfg.window_samples,
                                stride=cfg.stride_samples, aggregate=cfg.aggregate)
        auc = macro_auc(data.y_val, probs)
        history.append({"epoch": epoch, "train_loss": total / max(1, steps), "val_macro_auc": auc,
                        "train_seconds": train_s})
        log(f"[{cfg.model} seed {cfg.seed} {cfg.level}] epoch {epoch}/{cfg.epochs} "
            f"loss {total / max(1, steps):.4f} fold-{cfg.val_fold} macro-AUC {auc:.4f} ({train_s:.1f} s)")
        if auc > best_auc:
            best_auc, best_epoch, best_probs = auc, epoch, probs
            best_state = copy.deepcopy(plain.state_dict())
    final = accelerator.unwrap_model(net)
    final.load_state_dict(best_state, strict=True)
    final = final.cpu().eval()
    last = [h["val_macro_auc"] for h in history[-cfg.last_k:]]
    return TrainResult(
        net=final, config=cfg, classes=data.classes, history=history, best_epoch=best_epoch,
        best_val_macro_auc=best_auc, mean_last_k_val_macro_auc=float(np.mean(last)), val_probs=best_probs,
        seconds_per_epoch=float(np.mean([h["train_seconds"] for h in history])),
        n_parameters=count_parameters(final), device=str(accelerator.device),
    )


def train_ensemble(
    root: str | Path | PtbxlCache,
    cfg: TrainConfig,
    *,
    models: list[str] | None = None,
    seeds: list[int] | None = None,
    command: str | None = None,
    n_reference: int = 8,
    log: Callable[[str], None] = _log,
) -> tuple[Classifier, dict[str, Any]]:
    """Train one network per (model, seed) and combine them into one :class:`Classifier`.

    Thresholds are chosen on the validation fold from the ensemble's probabilities. The
    manifest records data, folds, per-member histories, validation metrics and reference
    probabilities of ``n_reference`` validation records so a reload can be checked exactly.
    """
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    cache = root if isinstance(root, PtbxlCache) else load_ptbxl_cache(root, use_processed=cfg.use_processed)
    data = LevelData.build(cache, cfg.level, cfg.train_folds, cfg.val_fold)
    if cfg.teacher:
        data = distillation_targets(data, cfg.teacher, cfg.distill_weight, log=log)
    models = models or [cfg.model]
    seeds = seeds if seeds is not None else [cfg.seed]
    results = []
    for model in models:
        for seed in seeds:
            run_cfg = TrainConfig(**{**asdict(cfg), "model": model, "seed": seed})
            results.append(train_one(data, run_cfg, log=log))
    # scored through the inference path (batch norm folded) so a reload reproduces the metrics exactly
    val_probs = predict_signals([fold_batchnorm(r.net) for r in results], data.val_signals,
                                window=cfg.window_samples, stride=cfg.stride_samples, aggregate=cfg.aggregate)
    thresholds = choose_thresholds(data.y_val, val_probs, data.classes)
    members_summary = [
        {"model": r.config.model, "seed": r.config.seed, "n_parameters": r.n_parameters,
         "best_epoch": r.best_epoch, "best_val_macro_auc": r.best_val_macro_auc,
         f"mean_last_{cfg.last_k}_val_macro_auc": r.mean_last_k_val_macro_auc,
         "seconds_per_epoch": r.seconds_per_epoch, "device": r.device, "recipe": member_recipe(r.config),
         "history": r.history}
        for r in results
    ]
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "name": f"classifier-{cfg.level}",
        "task": "PTB-XL SCP-ECG statement classification (multi-label)",
        "level": cfg.level,
        "command": command,
        "train_config": {**asdict(cfg), "models": models, "seeds": seeds},
        "preprocessing": _preprocessing_manifest(),
        "leads": ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
        "data": {
            "dataset": "PTB-XL",
            "root": str(cache.root),
            "train_folds": list(cfg.train_folds),
            "val_fold": cfg.val_fold,
            "n_train_records": len(data.train_rows),
            "n_val_records": len(data.val_rows),
            "records_per_fold_and_source": cache.record_counts(),
            "n_rows_without_signal": cache.n_missing,
        },
        "val_metrics": {
            **validation_metrics(data.y_val, val_probs),
            "members": [{k: v for k, v in m.items() if k != "history"} for m in members_summary],
        },
        "training": members_summary,
        "decision_rule": rule_manifest(DEFAULT_RULE, fold=cfg.val_fold, n_records=len(data.y_val), level=cfg.level),
        "stride_samples": cfg.stride_samples,
        "aggregate": cfg.aggregate,
    }
    classifier = Classifier([r.net for r in results], data.classes, thresholds, manifest)
    classifier.manifest["reference_predictions"] = reference_predictions(
        classifier, cache, pick_reference_rows(cache, data.val_rows, n_reference))
    summary = {"val_probs": val_probs, "y_val": data.y_val, "results": results, "data": data}
    return classifier, summary


RECIPE_KEYS = ("epochs", "batch_size", "lr", "schedule", "label_smoothing", "teacher", "distill_weight", "lead_dropout")


def member_recipe(cfg: TrainConfig) -> dict[str, Any]:
    """The training settings that can differ between members of a merged ensemble (kept per member)."""
    recipe = {k: getattr(cfg, k) for k in RECIPE_KEYS}
    if not cfg.teacher:
        recipe.pop("distill_weight")
    return recipe


def member_label(member: dict[str, Any]) -> str:
    """Short name of a trained member for tables, e.g. ``xresnet1d-small s10 KD``.

    Members recorded before recipes were stored were all trained with the defaults (one-cycle).
    """
    recipe = member.get("recipe") or {}
    tags = [" KD" if recipe.get("teacher") else "", " cos" if recipe.get("schedule") == "cosine" else "",
            f" ls{recipe['label_smoothing']:g}" if recipe.get("label_smoothing") else "",
            f" ld{recipe['lead_dropout']:g}" if recipe.get("lead_dropout") else ""]
    return f"{member['model']} s{member['seed']}" + "".join(tags)


def recipe_text(member: dict[str, Any]) -> str:
    """A member's training recipe in a few words (members without a recorded recipe used the defaults)."""
    r = member.get("recipe") or {"epochs": 15, "lr": 0.01, "schedule": "onecycle"}
    text = f"{r['epochs']} ep {r.get('schedule', 'onecycle')} lr {r['lr']:g}"
    if r.get("label_smoothing"):
        text += f", label smoothing {r['label_smoothing']:g}"
    if r.get("lead_dropout"):
        text += f", lead dropout {r['lead_dropout']:g}"
    if r.get("teacher"):
        text += f", distilled from {Path(r['teacher']).name} (w {r['distill_weight']:g})"
    return text


def distillation_targets(data: LevelData, teacher: str | Path, weight: float, *,
                         log: Callable[[str], None] = _log) -> LevelData:
    """``data`` with training targets ``(1 - weight) * labels + weight * teacher probabilities``.

    The teacher scores the training records (folds 1-8) only; validation labels are untouched.
    """
    import dataclasses

    if not 0.0 <= weight <= 1.0:
        raise MedtsError(f"distill weight must be in [0, 1], got {weight}")
    clf = Classifier.load(teacher)
    if clf.classes != data.classes:
        raise MedtsError(f"{teacher}: teacher labels ({clf.level}) do not match the training level's labels")
    start = time.perf_counter()
    soft = np.concatenate([clf.predict_proba(np.asarray(data.cache.signals[rows], np.float32))
                           for rows in np.array_split(data.train_rows, max(1, len(data.train_rows) // 256))])
    log(f"teacher {teacher}: {len(clf.members)} member(s) scored {len(soft)} training records "
        f"in {time.perf_counter() - start:.0f} s")
    targets = ((1.0 - weight) * data.y_train + weight * soft).astype(np.float32)
    return dataclasses.replace(data, y_train=targets)


def validation_metrics(y_val: np.ndarray, probs: np.ndarray, *, n_boot: int = 1000) -> dict[str, Any]:
    """Macro-AUC and Fmax with bootstrap 95% CIs on the validation fold (stored in manifests)."""
    from medts.classify.metrics import bootstrap_ci, fmax

    return {
        "macro_auc": macro_auc(y_val, probs),
        "macro_auc_ci95": list(bootstrap_ci(y_val, probs, macro_auc, n_boot=n_boot)),
        "fmax": fmax(y_val, probs),
        "fmax_ci95": list(bootstrap_ci(y_val, probs, fmax, n_boot=min(n_boot, 200))),
        "n_records": len(y_val),
    }


def _preprocessing_manifest() -> dict[str, Any]:
    from medts.classify import preprocess

    return {"bandpass_hz": list(preprocess.BANDPASS_HZ), "filter": f"butterworth order {preprocess.FILTER_ORDER}, zero phase",
            "standardise": "per lead z-score over the record", "version": preprocess.PREPROCESS_VERSION}


def pick_reference_rows(cache: PtbxlCache, rows: np.ndarray, n: int) -> np.ndarray:
    """Up to ``n`` rows, alternating sources (raw and processed) so both reload paths are checked."""
    by_source: dict[str, list[int]] = {}
    for r in rows.tolist():
        by_source.setdefault(cache.sources[r], []).append(r)
    picked: list[int] = []
    while len(picked) < n and any(by_source.values()):
        for source in sorted(by_source):
            if by_source[source] and len(picked) < n:
                picked.append(by_source[source].pop(0))
    return np.asarray(sorted(picked), np.int64)


def reference_ecg(cache: PtbxlCache, row: int):
    """The ECG of cache row ``row`` as read from disk (raw WFDB or processed array)."""
    from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays
    from medts.record import ECG, STANDARD_LEADS

    ecg_id = int(cache.ecg_ids[row])
    if cache.sources[row] == "records100":
        return PtbxlIndex.open(cache.root, sampling_rate=100).read(ecg_id)
    array = load_processed_zscore(processed_zscore_arrays(cache.root)[ecg_id])
    return ECG(array, fs=100.0, leads=STANDARD_LEADS, record_id=str(ecg_id))


def reference_predictions(classifier: Classifier, cache: PtbxlCache, rows: np.ndarray) -> list[dict[str, Any]]:
    """Probabilities of a few records through the public predict path, stored to check reloads."""
    ecgs = [reference_ecg(cache, int(r)) for r in rows]
    preds = classifier.predict_many(ecgs)
    return [{"ecg_id": int(cache.ecg_ids[r]), "source": cache.sources[r],
             "probabilities": [s.probability for s in p.statements]} for r, p in zip(rows, preds)]


MERGE_NOTE = " && (members merged with medts.classify.train.merge_adapters)"
"""Suffix older manifests used for a merge step that had no command of its own."""


def merge_adapters(folders: list[str | Path], root: str | Path, *, n_reference: int = 8,
                   stride_samples: int | None = None, command: str | None = None,
                   float16_weights: bool = False, picks: list[tuple[int, int]] | None = None,
                   selection: str | None = None) -> Classifier:
    """One ensemble from several trained adapters of the same level (members concatenated).

    ``stride_samples`` changes the test-time window stride (default: keep the first adapter's).
    ``command`` is the merge command line (``medts train merge-classifiers ...``); the manifest
    records the parts' training commands followed by it, so the adapter can be rebuilt.
    ``picks`` keeps only the listed ``(adapter index, member index)`` pairs, in that order (default:
    every member of every adapter), e.g. members chosen on the validation fold; ``selection`` says
    how they were chosen (kept in the manifest and the model card).

    Validation probabilities are recomputed on the validation fold through the merged
    classifier's own predict path, thresholds re-chosen on them, and the members' training
    records carried over; reference predictions are recomputed. ``float16_weights`` rounds the
    weights to float16 before scoring and saves them so (half the size; scored as stored).
    """
    parts = [Classifier.load(f) for f in folders]
    level = parts[0].level
    if any(p.level != level or p.classes != parts[0].classes for p in parts):
        raise MedtsError("only adapters of the same level and label list can be merged")
    manifest = dict(parts[0].manifest)
    cache = load_ptbxl_cache(root, use_processed=manifest["train_config"].get("use_processed", True))
    data = LevelData.build(cache, level, manifest["data"]["train_folds"], manifest["data"]["val_fold"])
    pairs = picks or [(a, m) for a, p in enumerate(parts) for m in range(len(p.members))]
    for a, m in pairs:
        if not (0 <= a < len(parts) and 0 <= m < len(parts[a].members)):
            raise MedtsError(f"no member {m} in adapter {a} ({len(parts)} adapters given)")
    members = [parts[a].members[m] for a, m in pairs]
    if float16_weights:
        members = [round_weights_to_float16(net) for net in members]
        manifest["weights_dtype"] = "float16"
    stride = stride_samples or parts[0].stride
    manifest["stride_samples"] = stride
    # the merged classifier's own path (folded batch norm), so a reload reproduces these numbers exactly
    probs = Classifier(members, parts[0].classes, parts[0].thresholds, manifest).predict_proba(data.val_signals)
    # members recorded before per-member recipes were stored take their part's training configuration
    training = [{"recipe": member_recipe(TrainConfig(**{k: v for k, v in parts[a].manifest["train_config"].items()
                                                         if k in RECIPE_KEYS})),
                 **parts[a].manifest["training"][m]} for a, m in pairs]
    used = sorted({a for a, _ in pairs})
    part_commands = [str(parts[a].manifest["command"]).removesuffix(MERGE_NOTE) for a in used]
    manifest.update({
        "command": " && ".join(part_commands + [command or MERGE_NOTE.removeprefix(" && ")]),
        "training": training,
        "val_metrics": {**validation_metrics(data.y_val, probs),
                        "members": [{k: v for k, v in t.items() if k != "history"} for t in training]},
        "train_config": {**manifest["train_config"], "models": [t["model"] for t in training],
                         "seeds": [t["seed"] for t in training]},
    })
    for drop in ("members", "thresholds", "reference_predictions", "ensemble_comparison", "selection"):
        manifest.pop(drop, None)
    if selection:
        manifest["selection"] = selection
    manifest["decision_rule"] = rule_manifest(DEFAULT_RULE, fold=manifest["data"]["val_fold"], n_records=len(data.y_val),
                                              level=level)
    merged = Classifier(members, parts[0].classes, choose_thresholds(data.y_val, probs, parts[0].classes), manifest)
    merged.manifest["reference_predictions"] = reference_predictions(
        merged, cache, pick_reference_rows(cache, data.val_rows, n_reference))
    return merged
