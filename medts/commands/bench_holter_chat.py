"""``medts bench holter-chat``: chat questions about long recordings as a whole, scored against MIT-BIH."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from medts.commands.bench import bench_app


def register(app: typer.Typer) -> None:
    """Nothing to add at the top level: the command lives in the ``bench`` group."""


@bench_app.command("holter-chat")
def bench_holter_chat(
    wordings: Annotated[Path, typer.Option(help="Blind wordings file (families and refusals).")] = Path(
        "eval/wordings_holter1.yaml"),
    data: Annotated[Path | None, typer.Option(
        help="Data root holding mitdb/ (default: $MEDTS_DATA or ../shared/data).")] = None,
) -> None:
    """Ask chat questions about whole long recordings (AF, ectopy, runs, pauses, rate) and score them
    against the MIT-BIH reference annotations; resting questions must keep the resting tools."""
    from medts.bench.holter_chat import run
    from medts.config import data_root
    from medts.errors import MedtsError

    root = Path(data) if data else data_root()
    if root is None or not (Path(root) / "mitdb" / "full").is_dir():
        raise MedtsError(f"data root without mitdb/full: {root} (set $MEDTS_DATA or pass --data)")
    if not wordings.is_file():
        raise MedtsError(f"{wordings}: no such wordings file")
    command = "medts bench holter-chat " + " ".join(sys.argv[3:]) if len(sys.argv) > 3 else "medts bench holter-chat"
    metrics, json_path, md_path = run(Path(root), wordings, command=command,
                                      progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    for key, value in metrics["overall"].items():
        print(f"{key}: {value}", file=sys.stderr)
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
