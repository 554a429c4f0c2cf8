"""``medts bench ui``: upload-to-tracing time, chat latency and memory of the app (eval/results/ui.*)."""

from __future__ import annotations

import json
import shlex
import sys

import typer

from medts.commands.bench import bench_app


@bench_app.command("ui")
def bench_ui(
    repeats: int = typer.Option(5, "--repeats", min=1, help="Timed uploads per record (server path)."),
    ludb: int = typer.Option(5, "--ludb", min=0, help="LUDB records to upload besides the bundled examples."),
    questions: int = typer.Option(8, "--questions", min=1, help="Chat questions to time."),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="Also time uploads in headless Chromium."),
    as_json: bool = typer.Option(False, "--json", help="Print the result JSON on stdout."),
) -> None:
    """Time upload -> tracing + measurements, chat answers (local model), and app memory."""
    import contextlib

    from medts.bench.ui import run_ui_bench

    command = "medts " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    with contextlib.redirect_stdout(sys.stderr):  # Gradio prints; stdout is for the result
        json_path, md_path = run_ui_bench(repeats=repeats, limit_ludb=ludb, n_questions=questions,
                                          browser=browser, command=command)
    if as_json:
        typer.echo(json.dumps(json.loads(json_path.read_text())))
    else:
        typer.echo(md_path.read_text())
        typer.echo(f"wrote {json_path} and {md_path}", err=True)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``ui`` is registered on ``bench_app`` (see :mod:`medts.commands.bench`)."""
