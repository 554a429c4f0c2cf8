"""``medts bench ptbxl``: score the shipped classifiers on PTB-XL (see :mod:`medts.bench.ptbxl`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


@bench_app.command("ptbxl")
def bench_ptbxl(
    data: Annotated[Path | None, typer.Option("--data", help="PTB-XL root (default: the shared data folder).")] = None,
    level: Annotated[list[str] | None, typer.Option("--level", help="Level(s) to score (default: all six).")] = None,
    fold: Annotated[int, typer.Option("--fold", help="Test fold when the root has no fold-10 signals (fold 10 is always used when present).")] = 9,
    adapter: Annotated[list[Path] | None, typer.Option("--adapter", help="Classifier folder(s) (default: adapters/classifier-*).")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", min=10, help="Bootstrap resamples for the 95% CIs.")] = 1000,
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "ptbxl",
    work: Annotated[Path | None, typer.Option("--work", help="Folder for prepared.json and predictions/ (default: cache).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON on stdout.")] = False,
    nested: Annotated[bool, typer.Option("--nested", help="Then run nested CV over folds 1-9 (train, choose the epoch on an inner fold, score the outer fold) and write eval/results/ptbxl_nested beside the fold-9 figures.")] = False,
    nested_level: Annotated[list[str] | None, typer.Option("--nested-level", help="Level(s) for --nested (default: superdiagnostic and all).")] = None,
    nested_model: Annotated[str, typer.Option("--nested-model", help="Model preset trained per outer fold.")] = "xresnet1d-small",
    nested_epochs: Annotated[int, typer.Option("--nested-epochs", min=1, help="Epochs per outer fold.")] = 8,
    rows: Annotated[list[str] | None, typer.Option("--rows", help="With --nested: the comparison rows beside CNN only (repeatable: augment, scalogram, ensemble-scalogram, ensemble-augment; see medts.bench.nested_rows); writes eval/results/<name>_nested_rows and skips the fold-9 scoring.")] = None,
    rows_fold: Annotated[list[int] | None, typer.Option("--rows-fold", help="With --rows: outer folds to score (repeatable; default 1-9). Every row uses the same folds.")] = None,
    hybrid: Annotated[bool, typer.Option("--hybrid", help="With --nested: add the hybrid rows (CNN logits + engine measurements; naive prior, CNN only, measurements only, stacked, stacked on out-of-fold CNN logits, late fusion, per-kind choice; CNN outputs cached per outer fold) and write eval/results/<name>_nested_hybrid instead of <name>_nested; skips the fold-9 scoring of the shipped adapters.")] = False,
) -> None:
    """prepare -> predict -> evaluate (prepared.json and predictions/*.npz kept in --work); --nested adds nested CV."""
    import sys

    from medts.bench.ptbxl import run_benchmark
    from medts.config import dataset_dir
    from medts.errors import MedtsError
    from medts.labels import LEVELS

    if hybrid and not nested:
        raise MedtsError("--hybrid needs --nested (the hybrid rows are built inside the nested CV)")
    if rows and not nested:
        raise MedtsError("--rows needs --nested (the comparison rows are built inside the nested CV)")
    if rows and hybrid:
        raise MedtsError("--rows and --hybrid write different tables: run them one at a time")
    if rows:
        from medts.bench.nested_rows import parse_rows

        row_names = parse_rows(list(rows))
    root = data or dataset_dir("ptbxl")
    if root is None:
        raise MedtsError("no PTB-XL root: pass --data ROOT")
    level = level or []
    bad = [lv for lv in level if lv not in LEVELS]
    if bad:
        raise MedtsError(f"unknown level(s) {', '.join(bad)}; choose from {', '.join(LEVELS)}")
    command = "medts " + " ".join(sys.argv[1:])
    json_path = None
    if not (hybrid or rows):  # those files have no fold-9 column: the shipped adapters need not be scored
        json_path, md_path = run_benchmark(root, fold=fold, levels=tuple(level) or LEVELS,
                                           adapters=list(adapter or []) or None, n_boot=n_boot, name=name,
                                           command=command, work=work)
        if as_json:
            typer.echo(json.dumps(json.loads(json_path.read_text())))
        else:
            typer.echo(f"wrote {json_path} and {md_path}", err=True)
    if nested:
        from medts.bench.hybrid import run as run_hybrid
        from medts.bench.nested import run as run_nested

        chosen = tuple(nested_level or ("superdiagnostic", "all"))
        bad = [lv for lv in chosen if lv not in LEVELS]
        if bad:
            raise MedtsError(f"unknown --nested-level {', '.join(bad)}; choose from {', '.join(LEVELS)}")
        def log(message: str) -> None:
            typer.echo(message, err=True)

        if rows:
            from medts.bench.nested_rows import run as run_rows

            nested_json, nested_md = run_rows(root, levels=chosen, rows=row_names,
                                              folds=tuple(rows_fold or range(1, 10)), model=nested_model,
                                              epochs=nested_epochs, n_boot=min(n_boot, 200),
                                              name=f"{name}_nested_rows", command=command, log=log)
        elif hybrid:
            nested_json, nested_md = run_hybrid(root, levels=chosen, model=nested_model, epochs=nested_epochs,
                                                n_boot=min(n_boot, 200), name=f"{name}_nested_hybrid",
                                                command=command, log=log)
        else:
            nested_json, nested_md = run_nested(root, levels=chosen, model=nested_model, epochs=nested_epochs,
                                                n_boot=min(n_boot, 200), name=f"{name}_nested", fold9=json_path,
                                                command=command, log=log)
        typer.echo(f"wrote {nested_json} and {nested_md}", err=True)


@bench_app.command("ptbxl-ensembles")
def bench_ptbxl_ensembles(
    adapter: Annotated[list[Path], typer.Argument(help="Finalised classifier adapters (python -m medts.classify.card ADAPTER first).")],
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "ptbxl_ensembles",
    note: Annotated[list[str] | None, typer.Option("--note", help="A note for the results (repeatable).")] = None,
) -> None:
    """Single members vs ensembles (fold-9 macro-AUC, throughput, training time) from the adapters' manifests."""
    import sys

    from medts.bench.ptbxl import ensemble_report
    from medts.errors import MedtsError

    for folder in adapter:
        if not (folder / "manifest.json").is_file():
            raise MedtsError(f"{folder}: not a classifier adapter (no manifest.json)")
    json_path, md_path = ensemble_report(list(adapter), name=name, notes=list(note or []),
                                         command="medts " + " ".join(sys.argv[1:]))
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:  # the command hangs on bench_app, registered by bench.py
    pass
