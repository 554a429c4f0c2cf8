"""SmolLM2 CPU latency of whole chat turns (plan-then-compose) for ``medts bench agent``
(``--latency-only``: :func:`run_latency_bench`, ``eval/results/agent_latency.*``)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

SMOLLM2_MAX_NEW_TOKENS = 40
"""Answer cap for SmolLM2 (about 30 words: two short sentences; a cut answer ends at its last full sentence)."""


def pct(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values``, rounded to 3 decimals (None when there are none)."""
    return None if not values else round(float(np.percentile(values, q)), 3)


LATENCY_QUESTIONS = ("What is the heart rate?", "Is the QTc prolonged?", "Is there atrial fibrillation?",
                     "What is the electrical axis?")
"""Typical questions timed for the CPU-latency figure (plan-then-compose, one real record)."""


def latency_record(ludb_root: Path | None) -> tuple[Any, str]:
    """The record the latency figure is timed on: LUDB 131 (simulated sinus ECG without LUDB)."""
    if ludb_root is not None:
        from medts.io.ludb import read_ludb

        return read_ludb(ludb_root, 131).ecg, "ludb:131"
    from medts.examples import simulate_example

    return simulate_example("sinus"), "simulated:sinus"


def measure_latency(dtype: str, ecg: Any, *, reps: int = 2, max_new_tokens: int = SMOLLM2_MAX_NEW_TOKENS) -> dict[str, Any]:
    """SmolLM2 CPU latency of whole chat turns (plan-then-compose) on ``ecg``: first token after
    the tools finish and the full answer after them, for :data:`LATENCY_QUESTIONS` asked
    ``reps`` times, with CPU seconds and the load average (the machine may be shared).

    One warm-up turn first (it also fills the tool cache and the prompt-prefix cache, as the
    first question of a chat does); model load time is reported separately."""
    import torch

    from medts.agent.backends import LocalChatModel, load_local
    from medts.agent.planner import compose_messages
    from medts.agent.session import AgentConfig, ChatSession

    load_before = os.getloadavg()
    t, c = time.perf_counter(), time.process_time()
    _, tok = load_local("smollm2", dtype)
    load_s, load_cpu = time.perf_counter() - t, time.process_time() - c
    session = ChatSession(LocalChatModel(dtype=dtype, max_new_tokens=max_new_tokens), AgentConfig(mode="plan"))
    session.load(ecg)
    t = time.perf_counter()
    session.ask(LATENCY_QUESTIONS[0])
    warmup_s = time.perf_counter() - t
    turns = []
    for _ in range(reps):
        for question in LATENCY_QUESTIONS:
            a = session.ask(question)
            messages = compose_messages(question, a.facts)
            n_prompt = _n_tokens(tok, messages, add_generation_prompt=True)
            n_prefix = _n_tokens(tok, messages[:-1], add_generation_prompt=False)
            turns.append({"question": question, **{k: a.latency_s.get(k) for k in (
                "first_token_after_tools", "answer_after_tools", "cpu_s_after_tools", "tools")},
                "prompt_tokens": n_prompt, "prefilled_tokens": n_prompt - n_prefix,
                "answer_tokens": len(tok(a.llm_text)["input_ids"]), "cut": bool(a.cut), "llm_text": a.llm_text})
    first = [r["first_token_after_tools"] for r in turns if r["first_token_after_tools"] is not None]
    full = [r["answer_after_tools"] for r in turns]
    cpu = [r["cpu_s_after_tools"] for r in turns]
    return {
        "dtype": dtype, "resolved_dtype": str(llm_dtype(dtype)), "torch_threads": torch.get_num_threads(),
        "reps": reps, "max_new_tokens": max_new_tokens, "questions": list(LATENCY_QUESTIONS),
        "model_load_s": round(load_s, 2), "model_load_cpu_s": round(load_cpu, 2), "warmup_turn_s": round(warmup_s, 2),
        "first_token_s_median": pct(first, 50), "first_token_s_p95": pct(first, 95),
        "full_answer_s_median": pct(full, 50), "full_answer_s_p95": pct(full, 95),
        "cpu_s_after_tools_median": pct(cpu, 50),
        "prefilled_tokens_median": statistics.median(r["prefilled_tokens"] for r in turns),
        "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in turns),
        "answer_tokens_median": statistics.median(r["answer_tokens"] for r in turns),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "goal_first_token_le_1_5_s": None if not first else pct(first, 50) <= 1.5,
        "goal_answer_le_5_s": pct(full, 50) <= 5.0,
        "turns": turns,
    }


def _n_tokens(tok: Any, messages: list[Any], *, add_generation_prompt: bool) -> int:
    """Prompt length in tokens of ``messages`` through the chat template."""
    from medts.agent.backends import _role_dicts

    enc = tok.apply_chat_template(_role_dicts(messages), add_generation_prompt=add_generation_prompt,
                                  return_tensors="pt", return_dict=True)
    return int(enc["input_ids"].shape[-1])


def latency_table(latency: dict[str, Any]) -> str:
    from medts.bench.results import markdown_table

    return markdown_table(
        ["SmolLM2 dtype", "threads", "first token after tools s (median / p95)", "full answer after tools s (median / p95)",
         "CPU s after tools (median)", "prefilled / prompt tokens", "answer tokens", "load average (1 min) before/after",
         "goal: first token <= 1.5 s, answer <= 5 s"],
        [[f"{d} ({v['resolved_dtype']})", v["torch_threads"], f"{v['first_token_s_median']} / {v['first_token_s_p95']}",
          f"{v['full_answer_s_median']} / {v['full_answer_s_p95']}", v["cpu_s_after_tools_median"],
          f"{v['prefilled_tokens_median']} / {v['prompt_tokens_median']}", v["answer_tokens_median"],
          f"{v['load_average_before'][0]} / {v['load_average_after'][0]}",
          f"{'met' if v['goal_first_token_le_1_5_s'] else 'missed'} / {'met' if v['goal_answer_le_5_s'] else 'missed'}"]
         for d, v in latency.items()])


LATENCY_NOTES = [
    ("CPU latency: whole plan-then-compose chat turns on one record (see data.latency_record), questions "
    "'What is the heart rate?', 'Is the QTc prolonged?', 'Is there atrial fibrillation?', 'What is the electrical axis?' "
    "asked `reps` times after one warm-up turn; 'after tools' = from the moment the tools finished. "
    "The system prompt and worked example are prefilled once per process (prompt-prefix cache); each turn prefills "
    "only its facts and question ('prefilled tokens')."),
    ("Wall times on a shared machine include waiting for the CPU: compare 'CPU s after tools' and the load average. "
    "bf16 is emulated on CPUs without AVX512-BF16/AMX (bf16 matmuls several times slower than fp32); "
    "dtype 'auto' picks float32 there."),
]


def run_latency_bench(*, ludb_root: Path | None, dtypes: list[str], reps: int = 2,
                      command: str | None = None) -> tuple[Path, Path]:
    """Only the CPU-latency figure; writes ``eval/results/agent_latency.json`` and ``.md`` (the quick
    re-measure on a quiet machine)."""
    from medts.bench.results import write_results

    ecg, name = latency_record(ludb_root)
    latency = {d: measure_latency(d, ecg, reps=reps) for d in dtypes}
    return write_results("agent_latency", command=command, data={"latency_record": name},
                         metrics={"cpu_latency_smollm2": latency}, notes=LATENCY_NOTES,
                         markdown_tables=[latency_table(latency)])


def llm_dtype(name: str) -> Any:
    from medts.medtsllm.backbone import resolve_dtype

    return resolve_dtype(name)

