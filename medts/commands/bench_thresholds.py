"""``medts bench thresholds``: the classifiers' decision rule on PTB-XL fold 9 (see :mod:`medts.bench.thresholds`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


@bench_app.command("thresholds")
def bench_thresholds(
    data: Annotated[Path | None, typer.Option("--data", help="PTB-XL root (default: the shared data folder).")] = None,
    adapter: Annotated[list[Path] | None, typer.Option("--adapter", help="Classifier folder(s) (default: superdiagnostic and all).")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", min=10, help="Bootstrap resamples for the 95% CIs.")] = 1000,
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "thresholds",
) -> None:
    """Legacy vs new decision rule: statement F1 and statements asserted per record, cross-fitted by patient on fold 9."""
    from medts.bench.thresholds import run
    from medts.config import dataset_dir
    from medts.errors import MedtsError

    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run(root, adapters=list(adapter or []) or None, n_boot=n_boot, name=name, command=command)
    typer.echo(md_path.read_text())
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``thresholds`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
