"""``medts ui`` (serve the app) and ``medts demo`` (the app on the bundled example).

``medts demo --check`` starts the server on a free port, loads the example, runs the pipeline
(and one chat question when the agent is installed), prints a short summary and exits 0 when it
all worked: usable in CI without a browser.
"""

from __future__ import annotations

import json

import typer

from medts.errors import MedtsError


def register(app: typer.Typer) -> None:
    @app.command("ui")
    def ui(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1: this machine only)."),
        port: int = typer.Option(7860, "--port", help="Port."),
        auth: str = typer.Option(None, "--auth", help="user:password for login (or $MEDTS_UI_AUTH)."),
        example: str = typer.Option(None, "--example", help="Bundled example to open, e.g. sinus."),
        max_upload_mb: float = typer.Option(100.0, "--max-upload-mb", help="Upload size limit in MB."),
        open_browser: bool = typer.Option(False, "--open-browser", help="Open a browser tab."),
    ) -> None:
        """Serve the web app (chat with an ECG). No public share link is ever made."""
        from medts.ui.server import main
        from medts.ui.uploads import install_shutdown_cleanup

        install_shutdown_cleanup()  # uploads and session folders are deleted when the server stops

        argv = ["--host", host, "--port", str(port), "--max-upload-mb", str(max_upload_mb)]
        argv += ["--auth", auth] if auth else []
        argv += ["--example", example] if example else []
        argv += ["--open-browser"] if open_browser else []
        main(argv)

    @app.command("demo")
    def demo(
        example: str = typer.Option("sinus", "--example", help="Bundled example to open."),
        port: int = typer.Option(7860, "--port", help="Port (127.0.0.1 only)."),
        no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser tab."),
        check: bool = typer.Option(False, "--check", help="Start, load the example, run the pipeline, print a summary, exit."),
        as_json: bool = typer.Option(False, "--json", help="With --check: print the summary as JSON."),
    ) -> None:
        """Open the app on a bundled example, offline."""
        from medts.examples import example_names

        if example not in example_names():
            raise MedtsError(f"unknown example {example!r}; choose one of {', '.join(example_names())}")
        if check:
            from medts.ui.check import run_check

            summary = run_check(example)
            if as_json:
                typer.echo(json.dumps(summary))
            else:
                for key, value in summary.items():
                    typer.echo(f"{key}: {value}")
            raise typer.Exit(0 if summary["ok"] else 1)
        from medts.ui.server import launch
        from medts.ui.uploads import install_shutdown_cleanup

        install_shutdown_cleanup()  # uploads and session folders are deleted when the server stops
        typer.echo(f"medts demo: http://127.0.0.1:{port}/  (Ctrl+C to stop)", err=True)
        launch(port=port, initial=f"example: {example}", open_browser=not no_browser)
