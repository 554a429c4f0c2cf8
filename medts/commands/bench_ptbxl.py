"""``medts bench ptbxl``: score the shipped classifiers on PTB-XL (see :mod:`medts.bench.ptbxl`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from medts.commands.bench import bench_app


@bench_app.command("ptbxl")
def bench_ptbxl(
    data: Optional[Path] = typer.Option(None, "--data", help="PTB-XL root (default: the shared data folder)."),
    level: list[str] = typer.Option([], "--level", help="Level(s) to score (default: all six)."),
    fold: int = typer.Option(9, "--fold", help="Test fold when the root has no fold-10 signals (fold 10 is always used when present)."),
    adapter: list[Path] = typer.Option([], "--adapter", help="Classifier folder(s) (default: adapters/classifier-*)."),
    n_boot: int = typer.Option(1000, "--n-boot", min=10, help="Bootstrap resamples for the 95% CIs."),
    name: str = typer.Option("ptbxl", "--name", help="Results name: eval/results/<name>.json and .md."),
    work: Optional[Path] = typer.Option(None, "--work", help="Folder for prepared.json and predictions/ (default: cache)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result JSON on stdout."),
) -> None:
    """prepare -> predict -> evaluate (prepared.json and predictions/*.npz kept in --work)."""
    import sys

    from medts.bench.ptbxl import run_benchmark
    from medts.config import dataset_dir
    from medts.errors import MedtsError
    from medts.labels import LEVELS

    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    bad = [lv for lv in level if lv not in LEVELS]
    if bad:
        raise MedtsError(f"unknown level(s) {', '.join(bad)}; choose from {', '.join(LEVELS)}")
    command = "medts " + " ".join(sys.argv[1:])
    json_path, md_path = run_benchmark(root, fold=fold, levels=tuple(level) or LEVELS, adapters=list(adapter) or None,
                                       n_boot=n_boot, name=name, command=command, work=work)
    if as_json:
        typer.echo(json.dumps(json.loads(json_path.read_text())))
    else:
        typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:  # the command hangs on bench_app, registered by bench.py
    pass
