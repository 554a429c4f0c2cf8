"""``medts bench long``: long recordings (beats N/S/V, AF episodes, speed), split by record."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


def register(app: typer.Typer) -> None:
    """Nothing to add at the top level: the command lives in the ``bench`` group."""


@bench_app.command("long")
def bench_long(
    parts: str = typer.Option("speed,beats,af,qtdb", help="Comma-separated parts: speed, beats, af, qtdb."),
    data: Annotated[Path | None, typer.Option(
        help="Data root holding mitdb/, qtdb/, ptbxl/ (default: $MEDTS_DATA or ../shared/data).")] = None,
) -> None:
    """Score long-recording analysis on whole records (thresholds from MIT-BIH DS1, tests elsewhere) and QTDB."""
    from medts.bench.long import run
    from medts.config import data_root
    from medts.errors import MedtsError

    root = Path(data) if data else data_root()
    if root is None or not (Path(root) / "mitdb" / "full").is_dir():
        raise MedtsError(f"data root without mitdb/full: {root} (set $MEDTS_DATA or pass --data)")
    command = "medts bench long " + " ".join(sys.argv[3:]) if len(sys.argv) > 3 else "medts bench long"
    _, json_path, md_path = run(Path(root), parts=tuple(p.strip() for p in parts.split(",")), command=command,
                                progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
