"""``medts bench agent``: question suite (accuracy, ungrounded claims, latency) and SmolLM2 CPU latency."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from medts.commands.bench import bench_app
from medts.errors import MedtsError


def register(app: typer.Typer) -> None:  # the command hangs on the shared ``bench`` group
    pass


@bench_app.command("agent")
def bench_agent(
    backend: list[str] = typer.Option(["planner", "fake-native", "smollm2"],
                                      help="planner (no LLM), fake-native (scripted tool-calling loop), smollm2"),
    limit: Optional[int] = typer.Option(None, help="only the first N questions"),
    latency_dtype: Optional[list[str]] = typer.Option(None, help="dtypes for the SmolLM2 CPU latency figure "
                                                                 "(default: none, or bfloat16 and float32 with --latency-only)"),
    write_questions: bool = typer.Option(False, help="regenerate every suite's question file (eval/questions*.yaml) "
                                                     "from the datasets first"),
    smollm2_every: int = typer.Option(1, help="ask SmolLM2 only every Nth question (CPU time)"),
    smollm2_sample: Optional[int] = typer.Option(None, help="ask SmolLM2 N questions spread evenly over the suite"),
    latency_only: bool = typer.Option(False, help="only the SmolLM2 CPU-latency figure (a few minutes): "
                                                  "writes eval/results/agent_latency.json and .md"),
    latency_reps: int = typer.Option(2, help="with --latency-only: times each typical question is asked"),
    suite: str = typer.Option("main", help="main (eval/questions.yaml) or a held-out suite of "
                                           "medts.bench.agent_suites.SUITES (eval/questions_<suite>.yaml: heldout, "
                                           "heldout2 reword the main records, later ones ask others); writes "
                                           "eval/results/agent_<suite>.*"),
    learned_check: bool = typer.Option(True, help="planner and fake-native ask the learned refusal check after the "
                                                  "patterns, as a served model does (where the packaged SmolLM2 is "
                                                  "installed); --no-learned-check: the patterns alone"),
) -> None:
    """Ask eval/questions.yaml about real records; write eval/results/agent.json and .md.

    Quick re-measure of the latency figure on a quiet machine:
    ``medts bench agent --latency-only`` (LUDB record 131, bf16 and float32)."""
    from medts.bench.agent import run_agent_bench
    from medts.bench.agent_latency import run_latency_bench
    from medts.bench.agent_questions import write_questions as write_q
    from medts.bench.agent_suites import SUITES
    from medts.config import dataset_dir

    if latency_only:
        paths = run_latency_bench(ludb_root=dataset_dir("ludb"), dtypes=latency_dtype or ["bfloat16", "float32"], reps=latency_reps,
                                  command="medts bench agent " + " ".join(sys.argv[3:]))
        for p in paths:
            print(p)
        return
    if suite not in SUITES:
        raise MedtsError(f"--suite {suite}: one of {', '.join(SUITES)}")
    ludb = dataset_dir("ludb")
    if ludb is None:
        raise MedtsError("the agent benchmark needs LUDB (../shared/data/ludb or $MEDTS_DATA)")
    ptbxl = dataset_dir("ptbxl")
    if write_questions:
        for name in SUITES:
            write_q(ludb_root=ludb, ptbxl_root=ptbxl, suite=name)
    paths = run_agent_bench(ludb_root=ludb, ptbxl_root=ptbxl, limit=limit, backends=backend,
                            latency_dtypes=latency_dtype or [], smollm2_every=smollm2_every,
                            smollm2_sample=smollm2_sample, suite=suite, learned_check=learned_check, command="medts bench agent " + " ".join(sys.argv[3:]))
    for p in paths:
        print(p)


@bench_app.command("intent")
def bench_intent(
    epochs: int = typer.Option(8, help="LoRA training epochs over the paraphrases"),
    max_seconds: float = typer.Option(1200.0, help="training time cap per classifier (CPU)"),
    lora_r: int = typer.Option(8, help="LoRA rank of the fine-tuned classifier; 0: only the frozen-backbone head"),
) -> None:
    """Rule router vs a LoRA intent classifier on SmolLM2, on held-out paraphrases;
    writes eval/results/intent.json and .md."""
    from medts.agent.intent import IntentConfig
    from medts.bench.intent import run_intent_bench

    for p in run_intent_bench(config=IntentConfig(epochs=epochs, max_seconds=max_seconds, lora_r=lora_r),
                              command="medts bench intent " + " ".join(sys.argv[3:])):
        print(p)


@bench_app.command("safety")
def bench_safety(
    questions: Optional[str] = typer.Option(None, "--questions", help="a blind question file (id, category, text): "
                                            "scored with the shipped adapter as it is, nothing trained"),
    name: str = typer.Option("safety", help="result name with --questions: eval/results/<name>.{json,md}"),
    save_adapter: bool = typer.Option(False, "--save-adapter", help="also fit the head on every example and write "
                                      "adapters/safety-smollm2 with the LOSO threshold"),
    after_first_run: bool = typer.Option(False, "--after-first-run", help="with --questions: the file is no longer "
                                         "blind (a labelled rerun after its first run)"),
) -> None:
    """Pattern policy vs the learned refusal check (SmolLM2 + logistic head) vs either: leave-one-suite-out
    over the agent suites (eval/results/safety.json and .md), or a blind question file."""
    from pathlib import Path

    from medts.bench.safety import run_blind_bench, run_safety_bench

    command = "medts bench safety " + " ".join(sys.argv[3:])
    if questions is not None:
        path = Path(questions)
        if not path.is_file():
            raise MedtsError(f"{path}: question file not found")
        if name == "safety":
            raise MedtsError("--questions needs --name (the LOSO result keeps eval/results/safety.*)")
        paths = run_blind_bench(path, name=name, after=after_first_run, command=command)
    else:
        paths = run_safety_bench(save_adapter=save_adapter, command=command)
    for p in paths:
        print(p)
