"""``medts bench reduced-leads``: lead-dropout training vs plain, macro-AUC per lead set (see :mod:`medts.bench.reduced_leads`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


@bench_app.command("reduced-leads")
def bench_reduced_leads(
    data: Annotated[Path | None, typer.Option("--data", help="PTB-XL root (default: the shared data folder).")] = None,
    level: Annotated[str, typer.Option("--level", help="Label level to train and score.")] = "superdiagnostic",
    model: Annotated[str, typer.Option("--model", help="Model preset of both networks.")] = "xresnet1d-small",
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 12,
    batch_size: Annotated[int, typer.Option("--batch-size", min=2)] = 64,
    lead_dropout: Annotated[float, typer.Option("--lead-dropout", min=0.0, max=1.0, help="Lead-dropout probability of the second network.")] = 0.5,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    shipped: Annotated[Path | None, typer.Option("--shipped", help="Also score this adapter (default: the shipped one of --level, if any).")] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Write the lead-dropout network as an adapter folder here.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", min=10)] = 200,
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "reduced_leads",
) -> None:
    """Train plain and lead-dropout networks (folds 1-7, select on 8), score fold 9 with 12, 6, 4, 3, 2 and 1 leads."""
    from medts.adapters import classifier_dir, is_classifier
    from medts.bench.reduced_leads import run
    from medts.config import dataset_dir
    from medts.errors import MedtsError
    from medts.labels import LEVELS

    if level not in LEVELS:
        raise MedtsError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    if shipped is None and is_classifier(classifier_dir(level)):
        shipped = classifier_dir(level)
    elif shipped is not None and not is_classifier(shipped):
        raise MedtsError(f"{shipped}: not a classifier adapter (needs manifest.json and model.safetensors)")
    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run(root, level=level, model=model, epochs=epochs, batch_size=batch_size, lead_dropout=lead_dropout, seed=seed,
                             shipped=shipped, save=save, n_boot=n_boot, name=name, command=command)
    typer.echo(md_path.read_text())
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``reduced-leads`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
