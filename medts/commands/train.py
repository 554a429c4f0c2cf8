"""The ``medts train``  command group; subcommands register themselves from their own modules."""

import typer

train_app = typer.Typer(help="Train models (runs under accelerate: CPU, one GPU or many).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
