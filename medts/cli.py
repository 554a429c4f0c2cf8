"""The ``medts`` command line.

Subcommands live in :mod:`medts.commands`, one module per command group; each module
defines ``register(app: typer.Typer) -> None``. Exit codes (:mod:`medts.cli_inputs`): 0 all
good; 2 bad input: errors that medts raises on purpose (:class:`~medts.errors.MedtsError`) are
printed as one line on stderr, never as a traceback, and so are usage errors; 1 an internal
error, also one line (``MEDTS_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

import medts
import medts.commands
from medts.errors import MedtsError

app = typer.Typer(
    name="medts",
    help="LLM-assisted ECG interpretation: read, measure, classify, report. Drafts for clinician review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"medts {medts.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """medts: LLM-assisted ECG interpretation (every output is a draft for clinician review)."""


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(medts.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"medts.commands.{module_info.name}")
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medts`` script; returns the exit code."""
    from medts.cli_inputs import EXIT_BAD_INPUT, EXIT_INTERNAL

    try:
        app(args=argv, standalone_mode=True)
    except MedtsError as error:
        typer.echo(f"error: {error}", err=True)
        return EXIT_BAD_INPUT
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except Exception as error:  # the last line of defence: one line, and exit 1 says it is our bug
        if os.environ.get("MEDTS_DEBUG"):
            raise
        first = str(error).splitlines()[0] if str(error) else ""
        typer.echo(f"internal error: {type(error).__name__}: {first} (a medts bug; MEDTS_DEBUG=1 shows the "
                   "traceback)", err=True)
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())
