"""The ``medts bench``  command group; subcommands register themselves from their own modules."""

import typer

bench_app = typer.Typer(help="Benchmarks: each writes eval/results/<name>.json and .md.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
