"""``medts bench robustness``: every command fed a catalogue of bad and odd inputs (issue 19)."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Annotated

import typer

from medts.commands.bench import bench_app


@bench_app.command("robustness")
def bench_robustness(
    commands: Annotated[str, typer.Option("--commands", help="Comma list of commands to feed.")] =
        "info,measure,classify,segment,anomalies,report,chat,rhythm,convert",
    with_models: Annotated[bool, typer.Option("--with-models", help="Also feed readable inputs to segment, "
                                              "anomalies and chat (each run loads a large model).")] = False,
    long_minutes: Annotated[float, typer.Option("--long-minutes", min=0.0,
                                                help="Length of the long 12-lead record (0: no long case).")] = 60.0,
    long_hours: Annotated[float, typer.Option("--long-hours", min=0.0, help="Length of the day-long 12-lead record "
                                              "(1 GB on disk per 24 h; 0: no such case).")] = 24.0,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds before a run is killed.")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result JSON on stdout.")] = False,
) -> None:
    """Feed bad inputs to every command: exit codes, messages, peak memory, temp files; write eval/results/robustness.*"""
    from medts.bench.robustness import COMMANDS, run_robustness, write_robustness_results
    from medts.errors import MedtsError

    chosen = tuple(c.strip() for c in commands.split(",") if c.strip())
    unknown = sorted(set(chosen) - set(COMMANDS))
    if unknown:
        raise MedtsError(f"--commands: unknown {', '.join(unknown)} (choose from {', '.join(COMMANDS)})")
    result = run_robustness(commands=chosen, with_models=with_models, long_minutes=long_minutes, long_hours=long_hours,
                            timeout_s=timeout)
    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = write_robustness_results(result, command=command)
    if as_json:
        typer.echo(json.dumps(json.loads(json_path.read_text())))
    else:
        typer.echo(md_path.read_text())
        typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``robustness`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
