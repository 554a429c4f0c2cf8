"""``medts bench delineation``: LUDB/QTDB delineation, intervals, R peaks and speed vs NeuroKit2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


def register(app: typer.Typer) -> None:
    """Nothing to add at the top level: the command lives in the ``bench`` group."""


@bench_app.command("delineation")
def bench_delineation(
    records: str = typer.Option("1-160", help="LUDB records, e.g. '1-160' or '81-160,5'."),
    qtdb_limit: int = typer.Option(0, help="Use only the first N QTDB records (0 = all)."),
    parts: str = typer.Option("ludb,qtdb,rpeaks,speed", help="Comma-separated parts to run."),
    methods: str = typer.Option("medts,nk_dwt,nk_prominence,openecg",
                                help="Methods to score on LUDB and QTDB (openecg: LUDB only, its validation records)."),
    speed_records: int = typer.Option(10, help="LUDB records timed for the speed comparison."),
    workers: int = typer.Option(1, help="Processes for the LUDB and QTDB parts (speed is always timed in one)."),
    name: str = typer.Option("delineation", help="Results name: eval/results/<name>.json and .md."),
    data: Annotated[Path | None, typer.Option(
        help="Data root holding ludb/, qtdb/, cpsc2019/, mitdb/ (default: $MEDTS_DATA or ../shared/data).")] = None,
) -> None:
    """Score medts delineation against cardiologists (LUDB, QTDB) and NeuroKit2, in one run."""
    from medts.bench.delineation import METHODS, parse_records, run
    from medts.config import data_root
    from medts.errors import MedtsError

    root = Path(data) if data else data_root()
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"data root not found: {root} (set $MEDTS_DATA or pass --data)")
    chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or "medts" not in chosen:
        raise MedtsError(f"--methods must include medts and be among {', '.join(METHODS)}; got {methods}")
    command = "medts bench delineation " + " ".join(sys.argv[3:]) if len(sys.argv) > 3 else "medts bench delineation"
    _, json_path, md_path = run(
        data_root=Path(root), ludb_records=parse_records(records), qtdb_limit=qtdb_limit or None,
        speed_records=speed_records, methods=chosen, parts=tuple(p.strip() for p in parts.split(",")),
        name=name, command=command, workers=workers, progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
