"""Train the report-text head (:mod:`medts.agent.text_head`) on CPU and ship it.

Examples come from the cached tool facts (:mod:`medts.agent.text_data`): PTB-XL folds 1-8
(structured target from SCP labels + heart rate; the English or glossary-translated report when
usable) and LUDB records 1-130 (diagnoses as sentences). PTB-XL fold 9 and LUDB 131-160 are never
used here (they are the evaluation records of ``medts bench report-text``).

Run (background, one thread)::

    OMP_NUM_THREADS=1 nice -n 5 python -m medts.agent.text_train --steps 150 --out adapters/text-smollm2
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from medts.agent.report_text import compact_fact_lines, tuned_prompt
from medts.agent.text_data import LUDB_TRAIN, load_facts, structured_target
from medts.agent.text_head import TextHead, TextHeadConfig, build_text_head
from medts.record import ECG


def training_examples(max_ptbxl: int | None = None) -> list[dict[str, Any]]:
    """``{"dataset", "record_id", "prompt", "target", "style"}`` for every usable training target."""
    out: list[dict[str, Any]] = []
    ptb = [r for r in load_facts("ptbxl").values() if 1 <= int(r.get("fold", 0)) <= 8]
    for r in ptb[:max_ptbxl]:
        lines = compact_fact_lines(r["facts"])
        target = structured_target(r["labels"], r["facts"].get("measurements"))
        out.append({"dataset": "ptbxl", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "structured"),
                    "target": target, "style": "structured"})
        if r.get("report_en"):
            out.append({"dataset": "ptbxl", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "report"),
                        "target": r["report_en"], "style": "report"})
    for r in load_facts("ludb").values():
        if int(r["record_id"]) in LUDB_TRAIN and r.get("ludb_text"):
            lines = compact_fact_lines(r["facts"])
            out.append({"dataset": "ludb", "record_id": r["record_id"], "prompt": tuned_prompt(lines, "ludb"),
                        "target": r["ludb_text"], "style": "ludb"})
    return out


def read_ecg(dataset: str, record_id: str, _cache: dict = {}) -> ECG:  # noqa: B006 - per-process read cache
    from medts.config import dataset_dir

    key = (dataset, record_id)
    if key not in _cache:
        if dataset == "ptbxl":
            from medts.io.ptbxl import PtbxlIndex

            if "index" not in _cache:
                _cache["index"] = PtbxlIndex.open(dataset_dir("ptbxl"), sampling_rate=100)
            ecg = _cache["index"].read(int(record_id))
        else:
            from medts.io.ludb import read_ludb

            ecg = read_ludb(dataset_dir("ludb"), int(record_id)).ecg
        _cache[key] = ecg.resample(100.0) if ecg.fs != 100.0 else ecg
    return _cache[key]


def train(head: TextHead, examples: list[dict[str, Any]], *, steps: int, batch_size: int, lr: float, seed: int,
          log: Path | None = None, deadline: float | None = None) -> list[dict[str, float]]:
    """AdamW on the LoRA parameters; returns the loss history (one entry per step)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    params = [p for p in head.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10) * max(0.1, 1 - s / steps))
    order: list[int] = []
    history = []
    head.train()
    t0 = time.perf_counter()
    for step in range(steps):
        if len(order) < batch_size:
            order += rng.sample(range(len(examples)), len(examples))
        batch = [examples[order.pop()] for _ in range(batch_size)]
        ecgs = [read_ecg(e["dataset"], e["record_id"]) for e in batch]
        loss = head.loss([e["prompt"] for e in batch], ecgs, [e["target"] for e in batch])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        entry = {"step": step + 1, "loss": round(float(loss), 4), "seconds": round(time.perf_counter() - t0, 1)}
        history.append(entry)
        if log is not None:
            with log.open("a") as f:
                f.write(json.dumps(entry) + "\n")
        if deadline is not None and time.time() > deadline:
            print(f"deadline reached after {step + 1} steps", file=sys.stderr)
            break
    head.eval()
    return history


@torch.no_grad()
def validation_loss(head: TextHead, examples: list[dict[str, Any]], batch_size: int = 8) -> float:
    losses = []
    for i in range(0, len(examples), batch_size):
        batch = examples[i:i + batch_size]
        ecgs = [read_ecg(e["dataset"], e["record_id"]) for e in batch]
        losses.append(float(head.loss([e["prompt"] for e in batch], ecgs, [e["target"] for e in batch])))
    return sum(losses) / max(len(losses), 1)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lora-layers", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-ptbxl", type=int, default=None)
    ap.add_argument("--deadline", type=str, default=None, help="stop training at this UTC time (HH:MM)")
    ap.add_argument("--out", type=Path, default=Path("adapters/text-smollm2"))
    ap.add_argument("--log", type=Path, default=Path("runs/text_head/train.jsonl"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    deadline = None
    if args.deadline:
        now = datetime.now(timezone.utc)
        hh, mm = map(int, args.deadline.split(":"))
        deadline = now.replace(hour=hh, minute=mm, second=0).timestamp()
    examples = training_examples(args.max_ptbxl)
    rng = random.Random(args.seed)
    rng.shuffle(examples)
    held = examples[:24]  # a small validation split of training-fold records (loss only)
    train_set = examples[24:]
    counts = {k: sum(e["dataset"] + ":" + e["style"] == k for e in examples)
              for k in ("ptbxl:structured", "ptbxl:report", "ludb:ludb")}
    print(f"examples: {counts}", file=sys.stderr, flush=True)
    head = build_text_head(TextHeadConfig(lora_layers=args.lora_layers))
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.write_text("")
    before = validation_loss(head, held)
    print(f"validation loss before: {before:.3f}", file=sys.stderr, flush=True)
    history = train(head, train_set, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                    log=args.log, deadline=deadline)
    after = validation_loss(head, held)
    print(f"validation loss after: {after:.3f}", file=sys.stderr, flush=True)
    n_train = {"ptbxl": sorted({e["record_id"] for e in train_set if e["dataset"] == "ptbxl"}, key=int),
               "ludb": sorted({e["record_id"] for e in train_set if e["dataset"] == "ludb"}, key=int)}
    extra = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m medts.agent.text_train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "trained_on": {"ptbxl_folds": [1, 2, 3, 4, 5, 6, 7, 8], "ludb_records": "1-130",
                       "n_examples": counts, "n_train_records": {k: len(v) for k, v in n_train.items()},
                       "ptbxl_record_ids": n_train["ptbxl"], "ludb_record_ids": n_train["ludb"]},
        "held_out": {"ptbxl_folds": [9, 10], "ludb_records": "131-160"},
        "training": {"steps_done": len(history), "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
                     "threads": args.threads, "seconds": history[-1]["seconds"] if history else 0.0},
        "metrics": {"validation_loss_before": round(before, 4), "validation_loss_after": round(after, 4),
                    "n_validation_examples": len(held), "final_train_loss": history[-1]["loss"] if history else None},
        "prompt": "prompts/agent/report.yaml (tuned, version 1)",
        "encoder_source": "adapters/segmentation-smollm2 (frozen, weights copied into prefix.safetensors)",
    }
    head.save(args.out, manifest_extra=extra)
    print(f"saved {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
