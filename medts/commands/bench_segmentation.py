"""``medts bench segmentation``: MedTsLLM checkpoints, NeuroKit2 and the fused delineation on LUDB
validation records, plus a QTDB ``.q1c`` cross-dataset check."""

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
    try:
        for part in spec.split(","):
            a, _, b = part.partition("-")
            out += list(range(int(a), int(b or a) + 1))
    except ValueError as exc:
        raise MedtsError(f"--records {spec!r}: expected ids like 131-160 or 131,140-145") from exc
    return out


@bench_app.command("segmentation")
def bench_segmentation(
    checkpoint: List[Path] = typer.Option(..., "--checkpoint", "-c", help="MedTsLLM checkpoint folder (repeat)"),
    data: Optional[Path] = typer.Option(None, help="LUDB root (default: the shared data folder)"),
    records: str = typer.Option("131-160", help="record ids, e.g. 131-160 or 131,140-145"),
    qtdb: Optional[Path] = typer.Option(None, help="QTDB root (default: the shared data folder, when present)"),
    qtdb_records: int = typer.Option(0, help="score only the first N QTDB records (0: all; -1: skip QTDB)"),
    qtdb_half: str = typer.Option("all", help="QTDB records scored: all, or odd (RECORDS[1::2], the half no "
                                  "segmentation run trains on: data.qtdb_train=even reads RECORDS[0::2])"),
    timing_records: int = typer.Option(3, help="LUDB records timed for fp32/bf16 and window overlap (0: skip)"),
    workers: int = typer.Option(1, help="processes for the independent parts (figures unchanged)"),
    name: str = typer.Option("segmentation", help="results name under eval/results/"),
    pair: Optional[List[str]] = typer.Option(None, "--pair", help="LLM=TWIN checkpoint folder names: paired bootstrap "
                                             "interval of their mean-IoU difference (repeat)"),
    n_boot: int = typer.Option(1000, help="bootstrap resamples of the records"),
    timing_only: bool = typer.Option(False, "--timing-only", help="only time inference on the first "
                                     "--timing-records records (writes <name>_timing)"),
) -> None:
    """Score segmentation checkpoints and baselines (IoU/F1 per sample, fiducial F1 at ±150 ms, timings)."""
    from medts.bench.segmentation import run_segmentation_bench
    from medts.config import dataset_dir

    root = data or dataset_dir("ludb")
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"{root}: LUDB folder not found (pass --data)")
    for ck in checkpoint:
        if not (Path(ck) / "manifest.json").is_file():
            raise MedtsError(f"{ck}: not a MedTsLLM checkpoint folder (no manifest.json)")
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if timing_only:
        from medts.bench.segmentation import run_timing_only

        paths = run_timing_only(checkpoint, root, record_ids=_records(records)[:max(1, timing_records)], command=command,
                                name=f"{name}_timing", log=lambda m: print(m, file=sys.stderr, flush=True))
        print("\n".join(str(p) for p in paths))
        return
    if qtdb_half not in ("all", "odd"):
        raise MedtsError(f"--qtdb-half {qtdb_half!r}: expected all or odd")
    qroot = None
    names = None
    if qtdb_records >= 0:
        qroot = qtdb or dataset_dir("qtdb")
        if qtdb is not None and not Path(qtdb).is_dir():
            raise MedtsError(f"{qtdb}: QTDB folder not found")
        if qroot is not None and (qtdb_records > 0 or qtdb_half == "odd"):
            from medts.io.qtdb import qtdb_record_names

            names = qtdb_record_names(qroot)[slice(1, None, 2) if qtdb_half == "odd" else slice(None)]
            names = names[:qtdb_records] if qtdb_records > 0 else names
    pairs = []
    for item in pair or []:
        llm, sep, twin = item.partition("=")
        if not sep or not llm or not twin:
            raise MedtsError(f"--pair {item!r}: expected LLM=TWIN checkpoint folder names")
        pairs.append((llm, twin))
    paths = run_segmentation_bench(checkpoint, root, record_ids=_records(records), qtdb_root=qroot, qtdb_names=names,
                                   timing_records=timing_records, workers=workers, pairs=pairs, n_boot=n_boot,
                                   command=command, name=name,
                                   log=lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(str(p) for p in paths))
