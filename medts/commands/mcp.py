"""``medts mcp``: serve medts' agent tools to any MCP client (stdio), see :mod:`medts.mcp_server`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp(
        current: str = typer.Argument(None, help="ECG file to load as 'current' before serving (optional)."),
        previous: str = typer.Option(None, "--previous", help="ECG file to load as 'previous' (for compare)."),
        transport: str = typer.Option("stdio", "--transport", help="MCP transport; stdio is the one supported."),
        list_tools: bool = typer.Option(False, "--list-tools", help="Print the tools and their JSON schemas, then exit."),
    ) -> None:
        """Serve the agent's tools (load_ecg, record_summary, measurements, delineation, classify, interpretation, explain,
        anomalies, glossary, compare, whole_recording) over the Model Context Protocol. Results are drafts for clinician review."""
        import json

        from medts.errors import MedtsError
        from medts.mcp_server import MedtsTools, serve_stdio

        if transport != "stdio":
            raise MedtsError(f"--transport {transport!r} is not supported; medts mcp serves stdio")
        tools = MedtsTools()
        if list_tools:
            schemas = tools.input_schemas()
            typer.echo(json.dumps([{"name": n, "description": d, "input_schema": schemas[n]}
                                   for n, (_, d) in tools.specs().items()], indent=1))
            return
        for name, path in (("current", current), ("previous", previous)):
            if path:
                loaded = tools.load({"path": path, "name": name})
                if not loaded["available"]:
                    raise MedtsError(loaded["reason"])
        serve_stdio(tools)
