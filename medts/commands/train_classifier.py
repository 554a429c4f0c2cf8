"""``medts train classifier``: train PTB-XL statement classifiers (see :mod:`medts.classify.train`).

Runs under ``accelerate``: ``accelerate launch -m medts.cli train classifier ...`` uses GPUs or
several processes; plain ``medts train classifier`` runs on one CPU or GPU. Several ``--model``
and ``--seed`` values train one network per pair and save them as one ensemble.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.train import train_app


@train_app.command("classifier")
def train_classifier(
    data: Annotated[Path | None, typer.Option("--data", help="PTB-XL root (default: the shared data folder).")] = None,
    level: Annotated[str, typer.Option("--level", help="Label level: all, diagnostic, subdiagnostic, superdiagnostic, form, rhythm.")] = "superdiagnostic",
    model: Annotated[list[str] | None, typer.Option("--model", help="Model preset (repeat for an ensemble): xresnet1d, xresnet1d-small, xresnet1d-wide, inception1d, inception1d-fast, inception1d-large (default xresnet1d).")] = None,
    seed: Annotated[list[int] | None, typer.Option("--seed", help="Random seed (repeat for a seed ensemble; default 0).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 15,
    batch_size: Annotated[int, typer.Option("--batch-size", min=2)] = 64,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate of the one-cycle schedule.")] = 1e-2,
    threads: Annotated[int | None, typer.Option("--threads", help="torch CPU threads.")] = None,
    schedule: Annotated[str, typer.Option("--schedule", help="Learning-rate schedule: onecycle or cosine (warm-up + cosine).")] = "onecycle",
    label_smoothing: Annotated[float, typer.Option("--label-smoothing", min=0.0, max=0.5, help="Binary label smoothing eps (targets eps/2 and 1-eps/2).")] = 0.0,
    teacher: Annotated[Path | None, typer.Option("--teacher", help="Distil from this trained adapter (same level): its probabilities on folds 1-8 become part of the targets.")] = None,
    distill_weight: Annotated[float, typer.Option("--distill-weight", min=0.0, max=1.0, help="Weight of the teacher's probabilities in the targets.")] = 0.5,
    lead_dropout: Annotated[float, typer.Option("--lead-dropout", min=0.0, max=1.0, help="Probability that a training crop keeps only a reduced lead set (6, 4, 3, 2 leads or II; the rest zeroed), so the model reads reduced-lead records.")] = 0.0,
    no_processed: Annotated[bool, typer.Option("--no-processed", help="Ignore processed100_zscore arrays.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Adapter folder to write (default adapters/classifier-<level>).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Train on folds 1-8, select on fold 9, save safetensors + manifest (+ thresholds) to --out."""
    from medts.classify.predict import default_adapter_dir
    from medts.classify.train import TrainConfig, train_ensemble
    from medts.config import dataset_dir
    from medts.errors import MedtsError
    from medts.labels import LEVELS

    model = model or ["xresnet1d"]
    seed = seed or [0]
    if level not in LEVELS:
        raise MedtsError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    cfg = TrainConfig(level=level, model=model[0], epochs=epochs, batch_size=batch_size, lr=lr, seed=seed[0],
                      num_threads=threads, use_processed=not no_processed, schedule=schedule,
                      label_smoothing=label_smoothing, teacher=str(teacher) if teacher else None,
                      distill_weight=distill_weight, lead_dropout=lead_dropout)
    command = "medts " + " ".join(sys.argv[1:]) if Path(sys.argv[0]).name in ("medts", "cli.py") else " ".join(sys.argv)
    clf, _ = train_ensemble(root, cfg, models=list(model), seeds=list(seed), command=command)
    folder = clf.save(out or default_adapter_dir(level))
    result = {"adapter": str(folder), "val_metrics": clf.manifest["val_metrics"], "data": clf.manifest["data"]}
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        typer.echo(f"wrote {folder}; fold-{cfg.val_fold} macro-AUC {clf.manifest['val_metrics']['macro_auc']:.4f}", err=True)


@train_app.command("merge-classifiers")
def merge_classifiers(
    adapters: Annotated[list[Path], typer.Argument(help="Trained adapter folders of one level (members are concatenated in this order).")],
    out: Annotated[Path, typer.Option("--out", help="Adapter folder to write.")],
    data: Annotated[Path | None, typer.Option("--data", help="PTB-XL root (default: the shared data folder).")] = None,
    stride: Annotated[int | None, typer.Option("--stride", min=1, help="Test-time window stride in samples (default: the first adapter's).")] = None,
    pick: Annotated[list[str] | None, typer.Option("--pick", help="Keep only member M of adapter A (0-based, as A:M; repeatable, order kept). Default: all members.")] = None,
    note: Annotated[str | None, typer.Option("--selection-note", help="How the members were chosen (stored in the manifest and the model card).")] = None,
    half: Annotated[bool, typer.Option("--float16", help="Store the weights as float16 (scored as stored; half the size).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Merge trained adapters into one ensemble; re-choose thresholds and re-score on fold 9."""
    from medts.classify.train import merge_adapters
    from medts.config import dataset_dir
    from medts.errors import MedtsError

    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    for folder in adapters:
        if not (folder / "manifest.json").is_file():
            raise MedtsError(f"{folder}: not a classifier adapter (no manifest.json)")
    picks = []
    for text in pick or []:
        a, sep, m = text.partition(":")
        if not sep or not a.isdigit() or not m.isdigit():
            raise MedtsError(f"--pick {text!r}: expected ADAPTER_INDEX:MEMBER_INDEX, e.g. 0:2")
        picks.append((int(a), int(m)))
    # rebuilt from the parameters (not sys.argv) so it reads the same however the command was invoked
    command = " ".join(["medts train merge-classifiers", *map(str, adapters), "--data", str(root),
                        *(["--stride", str(stride)] if stride else []),
                        *[f"--pick {a}:{m}" for a, m in picks], *(["--float16"] if half else []),
                        *([f"--selection-note {json.dumps(note)}"] if note else []),
                        "--out", str(out)])
    merged = merge_adapters(list(adapters), root, stride_samples=stride, command=command, float16_weights=half,
                            picks=picks or None, selection=note)
    folder = merged.save(out)
    result = {"adapter": str(folder), "n_members": len(merged.members), "val_metrics": merged.manifest["val_metrics"]}
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        typer.echo(f"wrote {folder}; {len(merged.members)} members; fold-9 macro-AUC "
                   f"{merged.manifest['val_metrics']['macro_auc']:.4f}", err=True)


def register(app: typer.Typer) -> None:  # the command hangs on train_app, registered by train.py
    pass
