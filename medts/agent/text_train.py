"""Train the report-text head (:mod:`medts.agent.text_head`) under accelerate and ship it.

Examples come from the cached tool facts (:mod:`medts.agent.text_data`; missing ones are computed
first): PTB-XL folds 1-8 (structured target from SCP labels + heart rate; the English or
glossary-translated ``report`` when usable) and LUDB records 1-130 (diagnoses as sentences). PTB-XL
folds 9-10 and LUDB 131-160 are never read here (they are the evaluation records of ``medts bench
report-text``). A few training-fold records are held out for the validation loss, which picks the
checkpoint that is saved (the best one seen, evaluated every ``eval_every`` steps).

Run (one CPU thread, background)::

    OMP_NUM_THREADS=1 nice -n 10 medts train text --config prompts/agent/text-train-cpu.yaml --out adapters/text-smollm2

Example
-------
>>> cfg = TextTrainConfig.from_dict({"steps": 5, "batch_size": 2})
>>> cfg.steps, cfg.lr
(5, 0.002)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from medts.agent.report_text import compact_fact_lines, tuned_prompt
from medts.agent.text_data import LUDB_TRAIN, load_facts, prepare_facts, structured_target
from medts.agent.text_head import TextHead, TextHeadConfig, build_text_head
from medts.config import read_yaml_mapping
from medts.errors import MedtsError
from medts.record import ECG

TRAIN_FOLDS = (1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class TextTrainConfig:
    """Text-head training settings (YAML keys of ``prompts/agent/text-train-cpu.yaml``).

    ``steps``: optimizer steps of ``batch_size`` examples; ``lr``: AdamW peak learning rate (10-step
    warm-up, linear decay to 10 % at ``steps``); ``val_records``: training-fold records held out
    for the validation loss; ``eval_every``: steps between validation losses (the best checkpoint
    is kept); ``deadline``: stop at this UTC time ``HH:MM`` (then save the best checkpoint);
    ``prepare``: compute missing tool facts first; ``max_ptbxl``: cap on PTB-XL training records;
    ``init_from``: an adapter folder to continue training from (its LoRA sizes are used), or None
    for a fresh LoRA.
    """

    steps: int = 400
    batch_size: int = 4
    lr: float = 2e-3
    seed: int = 0
    lora_layers: int = 10
    lora_r: int = 8
    threads: int = 1
    val_records: int = 24
    eval_every: int = 50
    deadline: str | None = None
    prepare: bool = True
    max_ptbxl: int | None = None
    init_from: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextTrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise MedtsError(f"unknown text-training setting(s) {unknown} (known: {sorted(known)})")
        return cls(**d)


def load_text_train_config(path: str | Path | None, **overrides: Any) -> TextTrainConfig:
    """Settings from a YAML file (``None``: defaults), then ``overrides`` that are not ``None``."""
    d: dict[str, Any] = {} if path is None else read_yaml_mapping(path, "text-training config")
    d.update({k: v for k, v in overrides.items() if v is not None})
    return TextTrainConfig.from_dict(d)


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------
def training_examples(max_ptbxl: int | None = None) -> list[dict[str, Any]]:
    """``{"dataset", "record_id", "prompt", "target", "style"}`` for every usable training target."""
    out: list[dict[str, Any]] = []
    ptb = sorted((r for r in load_facts("ptbxl").values() if int(r.get("fold", 0)) in TRAIN_FOLDS),
                 key=lambda r: int(r["record_id"]))
    for r in ptb[:max_ptbxl]:
        lines = compact_fact_lines(r["facts"])
        target = structured_target(r["labels"], r["facts"].get("measurements"))
        if target:
            out.append({"dataset": "ptbxl", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "structured"),
                        "target": target, "style": "structured"})
        if r.get("report_en"):
            out.append({"dataset": "ptbxl", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "report"),
                        "target": r["report_en"], "style": "report"})
    for r in sorted(load_facts("ludb").values(), key=lambda r: int(r["record_id"])):
        if int(r["record_id"]) in LUDB_TRAIN and r.get("ludb_text"):
            lines = compact_fact_lines(r["facts"])
            out.append({"dataset": "ludb", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "ludb"),
                        "target": r["ludb_text"], "style": "ludb"})
    return out


def split_by_record(examples: list[dict[str, Any]], n_val_records: int
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, validation): all examples of ``n_val_records`` records go to validation (no record is
    in both): the lowest-id half of the PTB-XL records (the facts cache fills in id order, so they
    are there first) and the highest-id LUDB training records.

    >>> ex = [{"dataset": "ptbxl", "record_id": str(i)} for i in (5, 1, 9)] + [{"dataset": "ludb", "record_id": "130"}]
    >>> [e["record_id"] for e in split_by_record(ex, 2)[1]]
    ['1', '130']
    """
    ptb = sorted({e["record_id"] for e in examples if e["dataset"] == "ptbxl"}, key=int)
    ludb = sorted({e["record_id"] for e in examples if e["dataset"] == "ludb"}, key=int)
    n_ptb = n_val_records // 2
    held = {("ptbxl", r) for r in ptb[:n_ptb]} | {("ludb", r) for r in ludb[len(ludb) - (n_val_records - n_ptb):]}
    return ([e for e in examples if (e["dataset"], e["record_id"]) not in held],
            [e for e in examples if (e["dataset"], e["record_id"]) in held])


_ECGS: dict[tuple[str, str], ECG] = {}  # per-process read cache: records are re-read every epoch
_INDEX: dict[str, Any] = {}


def read_ecg(dataset: str, record_id: str, root: str | Path | None = None) -> ECG:
    """A PTB-XL (``records100``) or LUDB record at 100 Hz (cached per process).

    ``root``: the dataset folder (default: ``medts.config.dataset_dir(dataset)``)."""
    from medts.config import dataset_dir

    key = (dataset, str(record_id))
    if key not in _ECGS:
        folder = Path(root) if root else dataset_dir(dataset)
        if folder is None:
            raise MedtsError(f"{dataset}: dataset folder not found (set MEDTS_DATA or pass --data)")
        if dataset == "ptbxl":
            from medts.io.ptbxl import PtbxlIndex

            if str(folder) not in _INDEX:
                _INDEX[str(folder)] = PtbxlIndex.open(folder, sampling_rate=100)
            ecg = _INDEX[str(folder)].read(int(record_id))
        else:
            from medts.io.ludb import read_ludb

            ecg = read_ludb(folder, int(record_id)).ecg
        _ECGS[key] = ecg.resample(100.0) if ecg.fs != 100.0 else ecg
    return _ECGS[key]


def prepare_training_facts(data_root: Path | None) -> dict[str, int]:
    """Compute (and cache) the tool facts of the training records that are not cached yet."""
    from medts.config import dataset_dir
    from medts.io.ptbxl import PtbxlIndex

    ptb = data_root / "ptbxl" if data_root else dataset_dir("ptbxl")
    ludb = data_root / "ludb" if data_root else dataset_dir("ludb")
    if ptb is None or not Path(ptb).is_dir() or ludb is None or not Path(ludb).is_dir():
        raise MedtsError(f"{data_root or 'the shared data folder'}: needs ptbxl/ and ludb/ (pass --data)")
    ids = PtbxlIndex.open(ptb, sampling_rate=100).ecg_ids(list(TRAIN_FOLDS))
    return {"ptbxl": prepare_facts("ptbxl", ids, root=ptb), "ludb": prepare_facts("ludb", LUDB_TRAIN, root=ludb)}


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """Loss history (one entry per step), validation losses, and the step of the saved checkpoint."""

    history: list[dict[str, float]]
    validation: list[dict[str, float]]
    best_step: int
    best_loss: float
    stopped_by_deadline: bool


def _deadline_timestamp(hhmm: str | None) -> float | None:
    if not hhmm:
        return None
    now = datetime.now(timezone.utc)
    hh, mm = map(int, hhmm.split(":"))
    return now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()


@torch.no_grad()
def validation_loss(head: TextHead, examples: list[dict[str, Any]], batch_size: int = 8) -> float:
    """Mean loss over ``examples`` (eval mode)."""
    was_training = head.training
    head.eval()
    losses = []
    for i in range(0, len(examples), batch_size):
        batch = examples[i:i + batch_size]
        ecgs = [read_ecg(e["dataset"], e["record_id"]) for e in batch]
        losses.append(float(head.loss([e["prompt"] for e in batch], ecgs, [e["target"] for e in batch])))
    head.train(was_training)
    return sum(losses) / max(len(losses), 1)


def train(head: TextHead, examples: list[dict[str, Any]], cfg: TextTrainConfig, *,
          validation: list[dict[str, Any]] | None = None, on_best: Any = None, log: Path | None = None,
          refresh: Any = None) -> TrainResult:
    """AdamW on the LoRA parameters under :class:`accelerate.Accelerator` (CPU, one or many GPUs).

    Every ``cfg.eval_every`` steps (and at the end) the validation loss is computed; when it is the
    best so far, ``on_best(head, step, loss, history, validation_history, pool)`` is called (it saves
    the adapter; ``pool`` is the example list in use). ``refresh()``, when given, is called at every
    epoch end and every ``cfg.eval_every`` steps and returns the current example pool: tool facts
    that another process is still computing join the training as they land."""
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    params = [p for p in head.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    steps = cfg.steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10) * max(0.1, 1 - s / steps))
    model, opt, sched = accelerator.prepare(head, opt, sched)
    inner: TextHead = accelerator.unwrap_model(model)
    deadline = _deadline_timestamp(cfg.deadline)
    order: list[int] = []
    history: list[dict[str, float]] = []
    val_hist: list[dict[str, float]] = []
    best = (0, float("inf"))

    def evaluate(step: int) -> None:
        nonlocal best
        if not validation:
            return
        loss = validation_loss(inner, validation)
        val_hist.append({"step": step, "loss": round(loss, 4)})
        print(f"step {step}: validation loss {loss:.4f}", file=sys.stderr, flush=True)
        if step > 0 and loss < best[1]:  # step 0 (the starting weights) is a reference, never saved
            best = (step, loss)
            if on_best is not None and accelerator.is_main_process:
                on_best(inner, step, loss, history, val_hist, examples)

    evaluate(0)
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    stopped = False
    for step in range(1, steps + 1):
        if refresh is not None and (len(order) < cfg.batch_size or step % cfg.eval_every == 0):
            grown = refresh()
            if len(grown) > len(examples):
                print(f"step {step}: example pool {len(examples)} -> {len(grown)}", file=sys.stderr, flush=True)
                examples, order = grown, []
        if len(order) < cfg.batch_size:
            order += rng.sample(range(len(examples)), len(examples))
        batch = [examples[order.pop()] for _ in range(cfg.batch_size)]
        ecgs = [read_ecg(e["dataset"], e["record_id"]) for e in batch]
        loss = model([e["prompt"] for e in batch], ecgs, [e["target"] for e in batch])
        opt.zero_grad()
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        entry = {"step": step, "loss": round(float(loss.detach()), 4), "seconds": round(time.perf_counter() - t0, 1),
                 "cpu_seconds": round(time.process_time() - c0, 1)}
        history.append(entry)
        if log is not None:
            with log.open("a") as f:
                f.write(json.dumps(entry) + "\n")
        stopped = deadline is not None and time.time() > deadline
        if step % cfg.eval_every == 0 or step == steps or stopped:
            evaluate(step)
            model.train()
        if stopped:
            print(f"deadline {cfg.deadline} UTC reached after {step} steps", file=sys.stderr, flush=True)
            break
    inner.eval()
    return TrainResult(history, val_hist, best[0], best[1], stopped)


def run_text_training(cfg: TextTrainConfig, out: Path, *, data_root: Path | None = None,
                      command: str = "", log: Path | None = None) -> dict[str, Any]:
    """Prepare facts, build the head, train, and save the best checkpoint to ``out``; returns a summary."""
    torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)  # denormal optimizer states made CPU steps 10-20x slower
    if data_root is not None:
        import os

        os.environ["MEDTS_DATA"] = str(data_root)  # read_ecg and dataset_dir read from here
    if cfg.prepare:
        added = prepare_training_facts(data_root)
        print(f"tool facts computed for {added}", file=sys.stderr, flush=True)
    examples = training_examples(cfg.max_ptbxl)
    if not examples:
        raise MedtsError("no training examples: no cached tool facts for PTB-XL folds 1-8 or LUDB 1-130")
    train_set, held = split_by_record(examples, cfg.val_records)
    counts = {k: sum(e["dataset"] + ":" + e["style"] == k for e in train_set)
              for k in ("ptbxl:structured", "ptbxl:report", "ludb:ludb")}
    print(f"training examples: {counts}; validation: {len(held)} examples", file=sys.stderr, flush=True)
    if cfg.init_from:
        from medts.agent.text_head import load_text_head_from

        head = load_text_head_from(cfg.init_from)  # checks its reference logits before continuing
        for name, p in head.named_parameters():
            p.requires_grad_("lora_" in name)
    else:
        head = build_text_head(TextHeadConfig(lora_layers=cfg.lora_layers, lora_r=cfg.lora_r, lora_alpha=2 * cfg.lora_r))
    held_ids = sorted({f"{e['dataset']}:{e['record_id']}" for e in held})
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    previous = {}
    if cfg.init_from:
        prior = json.loads((Path(cfg.init_from) / "manifest.json").read_text())
        previous = {"continued_from": {"adapter": str(cfg.init_from), "created": prior.get("created"),
                                       "steps_done": (prior.get("training") or {}).get("steps_done"),
                                       "command": prior.get("command")}}

    def manifest(step: int, loss: float, history: list[dict[str, float]], val: list[dict[str, float]],
                 pool: list[dict[str, Any]]) -> dict[str, Any]:
        done = [h for h in history if h["step"] <= step]
        ids = {d: sorted({e["record_id"] for e in pool if e["dataset"] == d}, key=int) for d in ("ptbxl", "ludb")}
        counts = {k: sum(e["dataset"] + ":" + e["style"] == k for e in pool)
                  for k in ("ptbxl:structured", "ptbxl:report", "ludb:ludb")}
        return {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "training_started": started,
            "command": command,
            "trained_on": {"ptbxl_folds": list(TRAIN_FOLDS), "ludb_records": "1-130", "n_examples": counts,
                           "n_train_records": {k: len(v) for k, v in ids.items()},
                           "ptbxl_record_ids": ids["ptbxl"], "ludb_record_ids": ids["ludb"],
                           "validation_records": held_ids},
            "held_out": {"ptbxl_folds": [9, 10], "ludb_records": "131-160"},
            "training": {**asdict(cfg), "steps_done": step, "examples_seen": step * cfg.batch_size,
                         "seconds": done[-1]["seconds"] if done else 0.0,
                         "cpu_seconds": done[-1]["cpu_seconds"] if done else 0.0},
            "metrics": {"validation_loss_before": val[0]["loss"] if val else None,
                        "validation_loss_best": round(loss, 4), "best_step": step, "validation_history": val,
                        "n_validation_examples": len(held),
                        "train_loss_last20_mean": round(sum(h["loss"] for h in done[-20:]) / max(len(done[-20:]), 1), 4)},
            **previous,
            "prompt": "prompts/agent/report.yaml (tuned)",
            "encoder_source": "adapters/segmentation-smollm2 (frozen, weights copied into prefix.safetensors)",
        }

    def save_best(h: TextHead, step: int, loss: float, history: list[dict[str, float]],
                  val: list[dict[str, float]], pool: list[dict[str, Any]]) -> None:
        if step == 0:
            return  # the untrained head is never shipped
        h.save(out, manifest_extra=manifest(step, loss, history, val, pool))
        print(f"saved step {step} (validation loss {loss:.4f}) to {out}", file=sys.stderr, flush=True)

    held_keys = {(e["dataset"], e["record_id"]) for e in held}

    def refresh() -> list[dict[str, Any]]:  # facts still being cached by another process join the pool
        return [e for e in training_examples(cfg.max_ptbxl) if (e["dataset"], e["record_id"]) not in held_keys]

    result = train(head, train_set, cfg, validation=held, on_best=save_best, log=log, refresh=refresh)
    return {"out": str(out), "best_step": result.best_step, "validation_loss_best": round(result.best_loss, 4),
            "validation": result.validation, "steps_done": len(result.history),
            "stopped_by_deadline": result.stopped_by_deadline,
            "seconds": result.history[-1]["seconds"] if result.history else 0.0,
            "cpu_seconds": result.history[-1]["cpu_seconds"] if result.history else 0.0, "examples": counts}


def main(argv: list[str] | None = None) -> None:
    """``python -m medts.agent.text_train`` (same as ``medts train text``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--data", type=Path, default=None, help="folder holding ptbxl/ and ludb/")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--deadline", type=str, default=None, help="stop training at this UTC time (HH:MM)")
    ap.add_argument("--out", type=Path, default=Path("runs/text-smollm2"))
    ap.add_argument("--log", type=Path, default=Path("runs/text_head/train.jsonl"))
    args = ap.parse_args(argv)
    cfg = load_text_train_config(args.config, steps=args.steps, deadline=args.deadline)
    command = "python -m medts.agent.text_train " + " ".join(argv if argv is not None else sys.argv[1:])
    print(json.dumps(run_text_training(cfg, args.out, data_root=args.data, command=command, log=args.log)))


if __name__ == "__main__":
    main()
