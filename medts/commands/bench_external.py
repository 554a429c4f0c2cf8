"""``medts bench external DIR``: the classifiers on a PhysioNet/CinC Challenge folder (see :mod:`medts.bench.external`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app

CONVERTERS = ("ludb", "ptbxl")


@bench_app.command("external")
def bench_external(
    folder: Annotated[Path, typer.Argument(help="Folder of Challenge records (.mat + .hea with #Dx SNOMED codes), searched recursively.")],
    make_from: Annotated[str | None, typer.Option("--make-from", help="First write shared records into FOLDER in the Challenge format: ludb or ptbxl (fold 9). For testing the harness; results say so.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Root of the dataset named by --make-from (default: the shared data folder).")] = None,
    statements_adapter: Annotated[Path | None, typer.Option("--statements-adapter", help="All-statement classifier (default: adapters/classifier-all).")] = None,
    superclass_adapter: Annotated[Path | None, typer.Option("--superclass-adapter", help="Superdiagnostic classifier (default: adapters/classifier-superdiagnostic).")] = None,
    reconcile: Annotated[bool, typer.Option("--reconcile/--classifiers-only", help="Also score what medts.interpret asserts (measurements + classifiers + axis); slower.")] = True,
    n_boot: Annotated[int, typer.Option("--n-boot", min=10, help="Bootstrap resamples for the Challenge-score CI.")] = 1000,
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "external",
) -> None:
    """Per-statement sensitivity/PPV, superclass agreement, MI false positives and the Challenge 2021 score,
    for the classifiers alone and as reconciled by medts.interpret."""
    from medts.adapters import classifier_dir
    from medts.bench.external import convert_ludb, convert_ptbxl, run
    from medts.config import dataset_dir
    from medts.errors import MedtsError

    if make_from is not None:
        if make_from not in CONVERTERS:
            raise MedtsError(f"--make-from {make_from!r}: choose one of {', '.join(CONVERTERS)}")
        root = data or dataset_dir(make_from)
        if root is None:
            raise MedtsError(f"no {make_from} root: pass --data ROOT")
        written = (convert_ludb if make_from == "ludb" else convert_ptbxl)(root, folder)
        typer.echo(f"wrote {len(written)} Challenge-format records from {make_from} to {folder}", err=True)
    elif not folder.is_dir():
        raise MedtsError(f"{folder}: not a folder")
    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run(folder, statements_adapter=statements_adapter or classifier_dir("all"),
                             superclass_adapter=superclass_adapter or classifier_dir("superdiagnostic"),
                             reconcile=reconcile, n_boot=n_boot, name=name, command=command)
    typer.echo(md_path.read_text())
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``external`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
