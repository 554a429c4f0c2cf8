"""``medts bench io``: PTB-XL read throughput vs ``wfdb.rdsamp`` and per-dataset load counts."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from medts.commands.bench import bench_app


@bench_app.command("io")
def bench_io(
    data: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(
            "--data",
            help="Folder holding ptbxl/, ludb/, qtdb/, mitdb/, cpsc2019/ (default: $MEDTS_DATA or ../shared/data).",
        ),
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Timed passes over the PTB-XL records.")] = 3,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", min=1, help="Time only the first N PTB-XL records."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON on stdout.")] = False,
) -> None:
    """Time PTB-XL reads (medts vs wfdb.rdsamp) and load every shared record; write eval/results/io.*"""
    from medts.bench.io_bench import run_io_bench

    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run_io_bench(data, repeats=repeats, limit=limit, command=command)
    if as_json:
        typer.echo(json.dumps(json.loads(json_path.read_text())))
    else:
        typer.echo(md_path.read_text(), err=False)
        typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``io`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
