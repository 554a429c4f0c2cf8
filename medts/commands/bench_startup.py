"""``medts bench startup``: start-up time of one-record ``info`` / ``measure`` / ``classify`` (eval/results/cli_startup.*)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from medts.commands.bench import bench_app


@bench_app.command("startup")
def bench_startup(
    record: Optional[Path] = typer.Option(None, "--record", help="Record to run on (default: the bundled sinus example)."),
    repeats: int = typer.Option(5, "--repeats", min=1, help="Fresh processes per command."),
    as_json: bool = typer.Option(False, "--json", help="Print the result JSON on stdout."),
) -> None:
    """Time fresh `medts info/measure/classify RECORD` processes and the heavy imports alone."""
    from medts.bench.startup import run_startup_bench
    from medts.examples import example_path

    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run_startup_bench(record or example_path("sinus"), repeats=repeats, command=command)
    if as_json:
        typer.echo(json.dumps(json.loads(json_path.read_text())))
    else:
        typer.echo(md_path.read_text())
        typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``startup`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
