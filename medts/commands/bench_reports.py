"""``medts bench reports``: score draft reports against PTB-XL labels; throughput and memory."""

from __future__ import annotations

from pathlib import Path

import typer

from medts.commands.bench import bench_app


@bench_app.command("reports")
def bench_reports(
    data: Path = typer.Option(None, "--data", help="PTB-XL root (ptbxl_database.csv, records100/); default: shared data."),
    fold: list[int] = typer.Option([9], "--fold", help="strat_fold(s) to report and score."),
    out: Path = typer.Option(None, "--out", help="Where the reports go (default: <cache>/bench-reports)."),
    workers: int = typer.Option(2, "--workers", min=1),
    limit: int = typer.Option(None, "--limit", min=1, help="Score at most this many records."),
    ludb: Path = typer.Option(None, "--ludb", help="LUDB root for the 500 Hz throughput runs (default: shared data)."),
    speed_limit: int = typer.Option(64, "--speed-limit", min=4, help="PTB-XL records per throughput run (LUDB: 131-160)."),
    n_boot: int = typer.Option(1000, "--n-boot", min=10),
    llm_limit: int = typer.Option(16, "--llm-limit", min=1, help="Fold records also reported with LLM text (checked for disagreements)."),
    llm_speed_limit: int = typer.Option(32, "--llm-speed-limit", min=1, help="Records per LLM-text throughput run."),
    speed_only: bool = typer.Option(False, "--speed-only",
                                    help="Only the throughput runs (a few minutes): eval/results/reports_throughput.{json,md}."),
) -> None:
    """Generate reports for the fold, score their statements (JSON and text) against scp_codes, count
    text-vs-JSON disagreements (template and LLM text), and time PTB-XL 100 Hz / LUDB 500 Hz batches."""
    from medts.bench.reports import run
    from medts.config import cache_dir, dataset_dir

    data = data or dataset_dir("ptbxl")
    if data is None and not speed_only:
        from medts.errors import MedtsError

        raise MedtsError("--data PTB-XL root is required (no shared PTB-XL copy found)")
    out = out or Path(cache_dir()) / "bench-reports"
    ludb = ludb or dataset_dir("ludb")
    json_path, md_path = run(data, folds=list(fold), out=out, workers=workers, limit=limit, ludb=ludb,
                             speed_limit=speed_limit, n_boot=n_boot, llm_limit=llm_limit, llm_speed_limit=llm_speed_limit,
                             speed_only=speed_only)
    typer.echo(md_path.read_text())


def register(app: typer.Typer) -> None:
    """Registered through ``bench_app`` (imported above); nothing to add to the root app."""
