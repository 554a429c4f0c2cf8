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

_app = typer.Typer(
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


@_app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """medts: LLM-assisted ECG interpretation (every output is a draft for clinician review)."""


# Commands are registered on demand: importing every command module costs about 0.2 CPU-s
# (pydantic, rich, each module's own imports), a tenth of a one-record `medts measure`.
_ALIASES = {"demo": "ui"}  # command name -> its module, where they differ
_registered: set[str] = set()


def _command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(medts.commands.__path__))


def _register(names: list[str]) -> None:
    for name in names:
        if name not in _registered:
            _registered.add(name)
            importlib.import_module(f"medts.commands.{name}").register(_app)


def modules_for(argv: list[str]) -> list[str]:
    """The command modules ``medts ARGV`` needs: the named command's module (for a group such
    as ``bench``, also its ``bench_*`` subcommand modules); every module for help, ``--version``
    or a name no module has (typer then lists every command or suggests the nearest)."""
    names = _command_modules()
    if not argv or argv[0].startswith("-"):
        return names
    module = _ALIASES.get(argv[0], argv[0].replace("-", "_"))
    return [n for n in names if n == module or n.startswith(module + "_")] or names


def __getattr__(name: str):
    """``medts.cli.app``: the app with every command registered (tests, documentation)."""
    if name == "app":
        _register(_command_modules())
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medts`` script; returns the exit code.

    Called as the program (``argv`` None: the ``medts`` script, ``python -m medts``), it leaves the
    objects it made out of the interpreter's final garbage collections (:func:`_skip_exit_collection`),
    for a command that measures, does not run NeuroKit2's unused imports (:func:`_defer_unused_packages`),
    and shows no library warning (:func:`medts.config.silence_library_warnings`)."""
    if argv is None:
        from medts.config import silence_library_warnings

        silence_library_warnings()
        _defer_unused_packages(sys.argv[1:])
        try:
            return _run(sys.argv[1:])
        finally:
            _skip_exit_collection()
    return _run(list(argv))


_DEFERRING_COMMANDS = frozenset({"measure", "rhythm", "classify"})
"""Commands that import NeuroKit2 but use neither matplotlib nor scikit-learn (both of which NeuroKit2 imports)."""


def _defer_unused_packages(args: list[str]) -> None:
    """For the commands above, run as the program: matplotlib and scikit-learn are imported lazily
    (:mod:`medts.lazy_imports`): their code runs only if something reads them. Measure on the bundled
    examples: about 1.5 CPU-s instead of 2.3 on the development machine (eval/results/cli_startup.md)."""
    if args and args[0] in _DEFERRING_COMMANDS:
        from medts.lazy_imports import defer

        defer()


def _skip_exit_collection() -> None:
    """Freeze every live object (:func:`gc.freeze`) so the interpreter's shutdown collections skip them.

    Those collections walk every object numpy, scipy, pandas, NeuroKit2 and torch created: about
    0.4-0.5 CPU-s after a one-record ``medts measure`` on the development machine (2.2 -> 1.7 s for
    importing its libraries and exiting). Nothing of medts needs them: files are closed by context
    managers and temporary files removed by ``atexit`` / ``weakref.finalize``, which still run."""
    import gc

    gc.freeze()


def _run(args: list[str]) -> int:
    from medts.cli_inputs import EXIT_BAD_INPUT, EXIT_INTERNAL

    _register(modules_for(args))
    try:
        _app(args=args, standalone_mode=True)
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
