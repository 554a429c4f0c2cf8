"""``medts bench beats``: beat detection on 12-lead, reduced-lead and one-lead input, beside NeuroKit2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


def register(app: typer.Typer) -> None:
    """Nothing to add at the top level: the command lives in the ``bench`` group."""


@bench_app.command("beats")
def bench_beats(
    data: Annotated[Path | None, typer.Option(
        help="Data root holding ludb/, mitdb/full/, qtdb/, cpsc2019/ (default: $MEDTS_DATA or ../shared/data).")] = None,
    minutes: Annotated[float, typer.Option(min=0.5, help="Minutes of each MIT-BIH / QTDB record scored, in 10-s windows.")] = 5.0,
) -> None:
    """Score R-peak detection (with lead quality) on LUDB, MIT-BIH, QTDB and CPSC2019; NeuroKit2 beside it."""
    from medts.bench.beats import run
    from medts.config import data_root
    from medts.errors import MedtsError

    root = Path(data) if data else data_root()
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"no data folder: {root} (set $MEDTS_DATA or pass --data)")
    command = "medts bench beats " + " ".join(sys.argv[3:]) if len(sys.argv) > 3 else "medts bench beats"
    json_path, md_path = run(Path(root), minutes=minutes, command=command)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
