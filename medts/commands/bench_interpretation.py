"""``medts bench interpretation``: the interpretation engine on LUDB, PTB-XL and the bundled examples
(see :mod:`medts.bench.interpretation`)."""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer

from medts.commands.bench import bench_app


@bench_app.command("interpretation")
def bench_interpretation(
    ludb_first: Annotated[int, typer.Option("--ludb-first", min=1, help="First LUDB record.")] = 1,
    ludb_last: Annotated[int, typer.Option("--ludb-last", min=1, help="Last LUDB record.")] = 160,
    folds: Annotated[list[int] | None, typer.Option("--fold", help="PTB-XL folds (default 1-9).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many PTB-XL records.")] = None,
    name: Annotated[str, typer.Option("--name", help="Results name: eval/results/<name>.json and .md.")] = "interpretation",
) -> None:
    """Per-statement sensitivity/specificity/PPV, rhythm and axis agreement, contradictions; classifier-alone baseline."""
    from tqdm import tqdm

    from medts.bench.interpretation import run
    from medts.config import dataset_dir

    ludb, ptbxl = dataset_dir("ludb"), dataset_dir("ptbxl")
    if ludb is None and ptbxl is None:
        typer.echo("note: no LUDB or PTB-XL folder found (set MEDTS_DATA): scoring the bundled examples only", err=True)
    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    bar = tqdm(desc="interpretation", unit="record", file=sys.stderr)
    json_path, md_path, _ = run(ludb_root=ludb, ptbxl_root=ptbxl, ludb_ids=list(range(ludb_first, ludb_last + 1)),
                                ptbxl_folds=list(folds or range(1, 10)), ptbxl_limit=limit, name=name,
                                command=command, progress=bar.update)
    bar.close()
    typer.echo(md_path.read_text())
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``interpretation`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
