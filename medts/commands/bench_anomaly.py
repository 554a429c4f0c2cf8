"""``medts bench anomaly``: MedTsLLM anomaly checkpoints and simple baselines on held-out MIT-BIH records."""

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


def _ids(spec: Optional[str]) -> Optional[list[int]]:
    return [int(x) for x in spec.split(",")] if spec else None


@bench_app.command("anomaly")
def bench_anomaly(
    checkpoint: List[Path] = typer.Option(..., "--checkpoint", "-c", help="MedTsLLM anomaly checkpoint folder (repeat)"),
    data: Optional[Path] = typer.Option(None, help="MIT-BIH folder (mitdb or mitdb/mlii_npz; default: shared data)"),
    test_records: Optional[str] = typer.Option(None, help="held-out record ids, e.g. 106,116 (default: the config's)"),
    train_records: Optional[str] = typer.Option(None, help="training record ids for baseline thresholds (default: the config's)"),
    minutes: Optional[float] = typer.Option(None, help="score only the first minutes of each test record"),
    name: str = typer.Option("anomaly", help="results name under eval/results/"),
) -> None:
    """Per-beat PVC detection (AUROC, AUPRC, F1) of anomaly checkpoints beside the trivial baselines."""
    from medts.bench.anomaly import run_anomaly_bench
    from medts.config import dataset_dir

    root = data or dataset_dir("mitdb")
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"{root}: MIT-BIH folder not found (pass --data)")
    for c in checkpoint:
        if not (Path(c) / "manifest.json").is_file():
            raise MedtsError(f"{c}: not a checkpoint folder (no manifest.json)")
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    paths = run_anomaly_bench(checkpoint, root, test_records=_ids(test_records), train_records=_ids(train_records),
                              minutes=minutes, command=command, name=name,
                              log=lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(str(p) for p in paths))
