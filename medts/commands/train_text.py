"""``medts train text --data ROOT --config cfg.yaml --out DIR``: the report-text head (LoRA on SmolLM2)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from medts.commands.train import train_app


def register(app: typer.Typer) -> None:  # the command hangs on train_app, registered by train.py
    del app


@train_app.command("text")
def train_text(
    data: Path | None = typer.Option(None, help="folder holding ptbxl/ and ludb/ (default: the shared data folder)"),
    config: Path | None = typer.Option(None, help="YAML settings (e.g. prompts/agent/text-train-cpu.yaml)"),
    out: Path = typer.Option(Path("runs/text-smollm2"), help="adapter folder to write (best checkpoint)"),
    steps: int | None = typer.Option(None, help="override steps"),
    deadline: str | None = typer.Option(None, help="stop at this UTC time HH:MM and keep the best checkpoint"),
    log: Path = typer.Option(Path("runs/text_head/train.jsonl"), help="per-step loss log (JSON lines)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary on stdout"),
) -> None:
    """Train the MedTsLLM report-text head on PTB-XL folds 1-8 and LUDB 1-130 (runs under accelerate)."""
    from medts.agent.text_train import load_text_train_config, run_text_training

    cfg = load_text_train_config(config, steps=steps, deadline=deadline)
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    summary = run_text_training(cfg, out, data_root=data, command=command, log=log)
    if as_json:
        print(json.dumps(summary, default=str))
    else:
        print(f"saved {out} (best step {summary['best_step']}, validation loss {summary['validation_loss_best']})",
              file=sys.stderr)
