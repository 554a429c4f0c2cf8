"""``medts bench report-text``: statement F1 of template / untuned-LLM / tuned-head report texts."""

from __future__ import annotations

import sys

import typer

from medts.commands.bench import bench_app
from medts.errors import MedtsError


def register(app: typer.Typer) -> None:  # the command hangs on the shared ``bench`` group
    pass


@bench_app.command("report-text")
def bench_report_text(
    writer: list[str] = typer.Option(["template", "llm", "tuned"], help="template (a), llm (b), tuned (c)"),
    limit: int | None = typer.Option(None, help="only the first N evaluation records per dataset"),
    llm_limit: int | None = typer.Option(None, help="compare the writers on the first N of those records "
                                                       "(template and classifier also on all)"),
    batch_size: int = typer.Option(16, help="records per generation batch"),
    n_boot: int = typer.Option(1000, help="bootstrap resamples for the CIs"),
    adapter: str | None = typer.Option(None, help="text-head folder (default adapters/text-smollm2)"),
) -> None:
    """Score interpretation texts against PTB-XL fold 9 and LUDB 131-160 labels; write eval/results/report_text.*"""
    from medts.agent.report_text import WRITERS
    from medts.bench.report_text import run_report_text_bench
    from medts.config import dataset_dir

    bad = [w for w in writer if w not in WRITERS]
    if bad:
        raise MedtsError(f"unknown writer(s) {bad}; choose from {', '.join(WRITERS)}")
    if dataset_dir("ptbxl") is None or dataset_dir("ludb") is None:
        raise MedtsError("the report-text benchmark needs PTB-XL and LUDB (../shared/data or $MEDTS_DATA)")
    paths = run_report_text_bench(writers=tuple(writer), limit=limit, llm_limit=llm_limit, batch_size=batch_size, n_boot=n_boot,
                                  adapter=adapter, command="medts bench report-text " + " ".join(sys.argv[3:]))
    for p in paths:
        print(p)


@bench_app.command("report-text-speed")
def bench_report_text_speed(
    n: int = typer.Option(32, help="records to write per (writer, threads) run"),
    batch_size: int = typer.Option(16, help="records per generation batch"),
    threads: list[int] = typer.Option([1, 2], help="torch thread counts to time"),
    writer: list[str] = typer.Option(["llm", "tuned"], help="LLM writers to time"),
    adapter: str | None = typer.Option(None, help="text-head folder (default adapters/text-smollm2)"),
) -> None:
    """Records/s and CPU s/record of the LLM report-text writers; write eval/results/report_text_speed.*"""
    from medts.bench.report_text import run_report_text_speed
    from medts.config import dataset_dir

    if dataset_dir("ludb") is None:
        raise MedtsError("the report-text speed benchmark needs LUDB (../shared/data or $MEDTS_DATA)")
    paths = run_report_text_speed(n=n, batch_size=batch_size, threads=tuple(threads), writers=tuple(writer),
                                  adapter=adapter, command="medts bench report-text-speed " + " ".join(sys.argv[3:]))
    for p in paths:
        print(p)
