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
    qtdb: Optional[Path] = typer.Option(None, help="QTDB folder for held-out records with fusion beats (default: shared data)"),
    qtdb_records: Optional[str] = typer.Option(None, help="held-out QTDB record names, e.g. sel213,sel223 ('' for none)"),
    qtdb_train_records: Optional[str] = typer.Option(None, help="QTDB training record names ('' for none; default: "
                                                     "medts.bench.anomaly.QTDB_TRAIN)"),
    test_records: Optional[str] = typer.Option(None, help="held-out record ids, e.g. 106,116 (default: the config's)"),
    train_records: Optional[str] = typer.Option(None, help="training record ids for scorers and thresholds (default: the config's)"),
    minutes: Optional[float] = typer.Option(None, help="score only the first minutes of each test record"),
    calib_minutes: Optional[float] = typer.Option(None, help="use only the first minutes of each training record"),
    pass_hop_s: float = typer.Option(4.0, help="window hop (s) of the reconstruction pass"),
    cache: Optional[Path] = typer.Option(None, help="folder caching reconstruction errors (keyed by weights and signal)"),
    save_scorer: Optional[Path] = typer.Option(None, help="write a beat scorer into this checkpoint's manifest: the "
                                               "cross-validated candidate with a MedTsLLM term; with --whole-records, "
                                               "issue #20's rule: that term is kept only if it helps on the whole "
                                               "records, else the candidate without it ships"),
    name: str | None = typer.Option(None, help="results name under eval/results/ (default: anomaly, or "
                                       "anomaly_whole with --whole-records)"),
    whole_records: Path | None = typer.Option(None, "--whole-records", help="folder of whole WFDB MIT-BIH records "
                                                 "(e.g. mitdb/full): score them whole with the first checkpoint's "
                                                 "shipped beat scorer and its candidate with and without the "
                                                 "MedTsLLM term"),
    whole_limit: int | None = typer.Option(None, help="with --whole-records: score only the first N records"),
) -> None:
    """Per-beat PVC detection across records (AUROC, F1 at a training-record threshold, fusion
    beats) of anomaly checkpoints and their cross-validated beat scorers beside the baselines.
    With ``--whole-records``: whole 30-min records, the beat-scorer candidate with vs without its
    MedTsLLM term (paired bootstrap over records; ``medts.bench.anomaly_whole``) beside the
    shipped scorer; with ``--save-scorer`` too, the term ships only if it helps there."""
    from medts.bench.anomaly import run_anomaly_bench
    from medts.config import dataset_dir

    root = data or dataset_dir("mitdb")
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"{root}: MIT-BIH folder not found (pass --data)")
    qroot = qtdb or dataset_dir("qtdb")
    if qtdb is not None and not Path(qtdb).is_dir():
        raise MedtsError(f"{qtdb}: QTDB folder not found")
    for c in checkpoint:
        if not (Path(c) / "manifest.json").is_file():
            raise MedtsError(f"{c}: not a checkpoint folder (no manifest.json)")
    if save_scorer is not None and Path(save_scorer).resolve() not in [Path(c).resolve() for c in checkpoint]:
        raise MedtsError(f"{save_scorer}: --save-scorer must be one of the --checkpoint folders")
    qrecs = None if qtdb_records is None else [q for q in qtdb_records.split(",") if q]
    qtrain = None if qtdb_train_records is None else [q for q in qtdb_train_records.split(",") if q]
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if whole_records is not None:
        paths = _whole(checkpoint, whole_records, root, qroot, calib_minutes, cache, whole_limit, command,
                       name or "anomaly_whole", save_scorer)
        print("\n".join(str(p) for p in paths))
        return
    paths = run_anomaly_bench(checkpoint, root, qtdb_root=qroot, qtdb_records=qrecs, qtdb_train_records=qtrain, test_records=_ids(test_records),
                              train_records=_ids(train_records), minutes=minutes, calib_minutes=calib_minutes,
                              pass_hop_s=pass_hop_s, cache=cache, save_scorer=save_scorer, command=command, name=name or "anomaly",
                              log=lambda m: print(m, file=sys.stderr, flush=True))
    print("\n".join(str(p) for p in paths))


def _whole(checkpoints: list[Path], folder: Path, root: Path, qroot: Path | None, calib_minutes: float | None,
           cache: Path | None, limit: int | None, command: str, name: str,
           save_scorer: Path | None) -> tuple[Path, Path]:
    """``--whole-records``: the first checkpoint whose manifest holds a beat scorer (``save_scorer``
    must name it)."""
    import json

    from medts.bench.anomaly_whole import run_whole_record_bench

    if not Path(folder).is_dir():
        raise MedtsError(f"{folder}: whole-record folder not found")
    ck = next((c for c in checkpoints if json.loads((Path(c) / "manifest.json").read_text()).get("beat_scorer")), None)
    if ck is None:
        raise MedtsError("--whole-records needs a checkpoint with a beat_scorer (medts bench anomaly --save-scorer)")
    if save_scorer is not None and Path(save_scorer).resolve() != Path(ck).resolve():
        raise MedtsError(f"--save-scorer {save_scorer}: --whole-records tests and saves {ck} only")
    if save_scorer is not None and limit:
        raise MedtsError("--save-scorer decides on every whole record: drop --whole-limit")
    return run_whole_record_bench(ck, folder, root, qtdb_root=qroot if qroot and Path(qroot).is_dir() else None,
                                  calib_minutes=15.0 if calib_minutes is None else calib_minutes, cache=cache,
                                  limit=limit, save=save_scorer is not None, command=command, name=name,
                                  log=lambda m: print(m, file=sys.stderr, flush=True))
