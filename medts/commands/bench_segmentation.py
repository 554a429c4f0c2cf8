"""``medts bench segmentation``: MedTsLLM checkpoints on LUDB validation records."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from medts.commands.bench import bench_app
from medts.errors import MedtsError


def register(app: typer.Typer) -> None:  # hangs on bench_app, which bench.py registers
    del app


def _records(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


@bench_app.command("segmentation")
def bench_segmentation(
    checkpoint: List[Path] = typer.Option(..., "--checkpoint", "-c", help="MedTsLLM checkpoint folder (repeat)"),
    data: Optional[Path] = typer.Option(None, help="LUDB root (default: the shared data folder)"),
    records: str = typer.Option("131-160", help="record ids, e.g. 131-160 or 131,140-145"),
    name: str = typer.Option("segmentation", help="results name under eval/results/"),
) -> None:
    """Score segmentation checkpoints (per-sample IoU/F1, fiducial F1 at ±150 ms, timings)."""
    from medts.bench.segmentation import run_segmentation_bench
    from medts.config import dataset_dir

    root = data or dataset_dir("ludb")
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"{root}: LUDB folder not found (pass --data)")
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    paths = run_segmentation_bench(checkpoint, root, record_ids=_records(records), command=command, name=name,
                                   log=lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(str(p) for p in paths))
