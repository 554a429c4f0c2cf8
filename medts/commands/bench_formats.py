"""``medts bench formats``: hospital-format round trips on real records, ``medts info`` speed per sample file."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from medts.commands.bench import bench_app


@bench_app.command("formats")
def bench_formats(
    ludb: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional on Python 3.10
        "--ludb", help="LUDB root (default: shared data); all its records are round-tripped.")] = None,
    ptbxl: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--ptbxl", help="PTB-XL root (default: shared data).")] = None,
    ptbxl_limit: Annotated[int, typer.Option(
        "--ptbxl-limit", min=0, help="First N PTB-XL 100 Hz records (0: none).")] = 200,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="`medts info` runs per sample file (median).")] = 3,
) -> None:
    """Write real records as HL7 aECG and DICOM and read them back (max error in uV); time `medts info`
    on every generated sample file. Writes eval/results/formats.json and .md."""
    from medts.bench.formats import run
    from medts.config import dataset_dir

    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    json_path, md_path = run(ludb=ludb or dataset_dir("ludb"), ptbxl=ptbxl or dataset_dir("ptbxl"),
                             ptbxl_limit=ptbxl_limit, repeats=repeats, command=command)
    typer.echo(md_path.read_text())
    typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``formats`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
