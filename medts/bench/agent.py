"""``medts bench agent``: the question suite (accuracy, ungrounded claims, latency) and CPU latency.

Questions (``eval/questions.yaml``, made by :func:`build_questions`) are asked about real
records; each names the facts a correct answer must contain, taken from the datasets' own
references, never from medts's tools:

- LUDB (records with cardiologist annotations): heart rate from the annotated QRS peaks of lead II
  (median RR), QRS duration (median over leads and beats of the annotated QRS), PR (lead II),
  QTc Bazett from the annotated QT (lead II), rhythm and electrical axis from ``ludb.csv``;
- PTB-XL: SCP statements of the record (``scp_codes``);
- statement definitions (the glossary must state them).

Scoring (:func:`score_answer`): a number is correct when the final answer holds a claim of the
same unit within the question's tolerance; a statement when the answer asserts it with the right
polarity (present / absent) and never the opposite; a text fact when the phrase occurs. A question
is correct when all its facts are. The ungrounded rate is the share of claims the model wrote
that no tool supports (these are removed before the answer is shown; the rate of ungrounded
claims left in final answers is reported too and should be 0).

Example
-------
>>> score_answer_text("The heart rate is 71 bpm.", [{"number": "hr_bpm", "value": 70.0, "unit": "bpm", "tol": 5}])
True
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from medts.config import PROJECT_ROOT

QUESTIONS_PATH = PROJECT_ROOT / "eval" / "questions.yaml"
SMOLLM2_MAX_NEW_TOKENS = 40
"""Answer cap for SmolLM2 (about 30 words: two short sentences; a cut answer ends at its last full sentence)."""
LUDB_QUESTION_RECORDS = tuple(range(131, 143))
"""LUDB records asked about in detail (131-160 is the text-evaluation range of the issue)."""


# ---------------------------------------------------------------------------------------------
# References from the datasets
# ---------------------------------------------------------------------------------------------
def ludb_reference(rec: Any) -> dict[str, Any]:
    """Heart rate, QRS, PR, QT, QTc (Bazett) from the cardiologists' annotations of one record."""
    lead2 = rec.waves.get("II", [])
    qrs2 = [w for w in lead2 if w.kind == "QRS" and w.peak is not None]
    rr = np.diff([w.peak for w in qrs2]) / rec.ecg.fs * 1000.0
    med_rr = float(np.median(rr)) if len(rr) else None
    durations = []
    for waves in rec.waves.values():
        d = [(w.offset - w.onset) for w in waves if w.kind == "QRS" and w.onset is not None and w.offset is not None]
        if d:
            durations.append(float(np.median(d)) / rec.ecg.fs * 1000.0)
    pr, qt = [], []
    for i, w in enumerate(lead2):
        if w.kind != "QRS" or w.onset is None:
            continue
        prev = [p for p in lead2[:i] if p.kind == "P" and p.onset is not None and 0 < w.onset - p.onset < 0.4 * rec.ecg.fs]
        if prev:
            pr.append((w.onset - prev[-1].onset) / rec.ecg.fs * 1000.0)
        nxt = [t for t in lead2[i + 1:i + 3] if t.kind == "T" and t.offset is not None]
        if nxt:
            qt.append((nxt[0].offset - w.onset) / rec.ecg.fs * 1000.0)
    out: dict[str, Any] = {
        "hr_bpm": None if med_rr is None else round(60000.0 / med_rr, 1),
        "qrs_ms": round(float(np.median(durations)), 1) if durations else None,
        "pr_ms": round(float(np.median(pr)), 1) if len(pr) >= 2 else None,
        "qt_ms": round(float(np.median(qt)), 1) if len(qt) >= 2 else None,
    }
    out["qtc_bazett_ms"] = (None if out["qt_ms"] is None or med_rr is None
                            else round(out["qt_ms"] / math.sqrt(med_rr / 1000.0), 1))
    return out


_AXIS = {"left axis deviation": "AXIS_LEFT", "right axis deviation": "AXIS_RIGHT", "normal": "AXIS_NORMAL",
         "vertical": "AXIS_NORMAL", "horizontal": "AXIS_NORMAL"}
GLOSSARY_QUESTIONS = (
    ("What does IRBBB mean?", "incomplete right bundle branch block"),
    ("What are the criteria for LVH?", "Sokolow"),
    ("What does 1AVB mean?", "first-degree AV block"),
    ("What does LAFB mean?", "left anterior fascicular block"),
    ("What does STACH mean?", "sinus tachycardia"),
)


def build_questions(ludb_root: Path, ptbxl_root: Path | None = None) -> list[dict[str, Any]]:
    """The question suite over LUDB (and PTB-XL fold 9 when present)."""
    from medts.io.ludb import read_ludb

    questions: list[dict[str, Any]] = []

    def add(record: dict[str, Any], question: str, expect: list[dict[str, Any]], previous: dict | None = None) -> None:
        q = {"id": f"q{len(questions) + 1:03d}", "record": record, "question": question, "expect": expect}
        if previous:
            q["previous"] = previous
        questions.append(q)

    refs = {}
    af_ids = []
    from medts.io.ludb import ludb_diagnoses

    diagnoses = ludb_diagnoses(ludb_root)
    for rid, dx in sorted(diagnoses.items()):
        rhythm = " ".join(dx.get("Rhythms", [])).lower()
        if "atrial fibrillation" in rhythm:
            af_ids.append(rid)
    for rid in list(LUDB_QUESTION_RECORDS) + af_ids[:6]:
        rec = read_ludb(ludb_root, rid)
        ref = ludb_reference(rec)
        refs[rid] = ref
        record = {"dataset": "ludb", "id": rid}
        rhythm = " ".join(rec.diagnoses.get("Rhythms", [])).lower()
        if ref["hr_bpm"]:
            add(record, "What is the heart rate?",
                [{"number": "hr_bpm", "value": ref["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * ref["hr_bpm"])}])
        if "flutter" not in rhythm:
            add(record, "Is there atrial fibrillation?",
                [{"statement": "AFIB", "present": "atrial fibrillation" in rhythm}])
        if rid not in LUDB_QUESTION_RECORDS:
            continue
        if ref["qrs_ms"]:
            add(record, "How long is the QRS duration?", [{"number": "qrs_ms", "value": ref["qrs_ms"], "unit": "ms", "tol": 20.0}])
        axis = " ".join(rec.diagnoses.get("Electric axis of the heart", [])).lower()
        code = next((c for k, c in _AXIS.items() if k in axis), None)
        if code:
            add(record, "What is the electrical axis?", [{"statement": code, "present": True}])
        if rid < 137 and ref["pr_ms"]:
            add(record, "What is the PR interval?", [{"number": "pr_ms", "value": ref["pr_ms"], "unit": "ms", "tol": 25.0}])
        if rid < 137 and ref["qtc_bazett_ms"]:
            limit = 460.0 if rec.ecg.sex == "F" else 450.0
            add(record, "Is the QTc prolonged?", [{"statement": "LNGQT", "present": ref["qtc_bazett_ms"] > limit}])
    pairs = [(131, 133), (134, 135), (137, af_ids[0] if af_ids else 138)]
    for before, after in pairs:
        if before in refs and after in refs and refs[before]["hr_bpm"] and refs[after]["hr_bpm"]:
            add({"dataset": "ludb", "id": after}, "Compare with the previous ECG: what changed?",
                [{"number": "hr_bpm", "value": refs[before]["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * refs[before]["hr_bpm"])},
                 {"number": "hr_bpm", "value": refs[after]["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * refs[after]["hr_bpm"])}],
                previous={"dataset": "ludb", "id": before})
    for question, phrase in GLOSSARY_QUESTIONS:
        add({"dataset": "ludb", "id": 131}, question, [{"text": phrase}])
    if ptbxl_root is not None:
        questions += _ptbxl_questions(ptbxl_root, start=len(questions))
    return questions


def _ptbxl_questions(root: Path, start: int) -> list[dict[str, Any]]:
    from medts.io.ptbxl import PtbxlIndex

    index = PtbxlIndex.open(root, sampling_rate=100)
    out = []
    wanted = [("NORM", "Is this a normal ECG?"), ("AFIB", "Is there atrial fibrillation?"),
              ("LVH", "Is there left ventricular hypertrophy?"), ("CLBBB", "Is there a left bundle branch block?"),
              ("IMI", "Is there an inferior myocardial infarction?")]
    ids = index.ecg_ids(folds=[9])
    for code, question in wanted:
        pos = [i for i in ids if code in index.table.loc[i, "scp_codes"]][:2]
        neg = [i for i in ids if code not in index.table.loc[i, "scp_codes"]][:1]
        for ecg_id in pos + neg:
            out.append({"id": f"q{start + len(out) + 1:03d}", "record": {"dataset": "ptbxl", "id": int(ecg_id)},
                        "question": question, "expect": [{"statement": code, "present": ecg_id in pos}]})
    return out


def write_questions(path: Path = QUESTIONS_PATH, *, ludb_root: Path, ptbxl_root: Path | None) -> Path:
    questions = build_questions(ludb_root, ptbxl_root)
    header = ("# Agent question suite (medts bench agent). Generated by\n"
              "#   python -m medts.bench.agent --write-questions\n"
              "# Expected facts come from the datasets' references (LUDB cardiologist annotations and\n"
              "# ludb.csv, PTB-XL scp_codes, the statement glossary), never from medts's tools.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump({"version": 1, "questions": questions}, sort_keys=False))
    return path


def load_questions(path: Path = QUESTIONS_PATH) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())["questions"]


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------
def fact_correct(fact: dict[str, Any], numbers: list[tuple[float, str]], statements: list[tuple[str, bool]],
                 text: str) -> bool:
    if "number" in fact:
        return any(u == fact["unit"] and abs(v - fact["value"]) <= fact["tol"] for v, u in numbers)
    if "statement" in fact:
        code, present = fact["statement"], bool(fact["present"])
        said = [not neg for c, neg in statements if c == code]
        return bool(said) and all(s == present for s in said)
    return fact["text"].lower() in text.lower()


def score_answer_text(text: str, expect: list[dict[str, Any]], question: str = "") -> bool:
    """Whether ``text`` contains every expected fact (see the module docstring). A sentence
    starting with "Yes"/"No" asserts/denies the statements the question names."""
    from medts.agent.grounding import _YES_NO, find_numbers, find_statements, split_sentences

    sentences = split_sentences(text)
    numbers = [(v, u) for s in sentences for _, v, u in find_numbers(s)]
    statements = [(c, neg) for s in sentences for _, c, neg in find_statements(s)]
    qcodes = [c for _, c, neg in find_statements(question) if not neg]
    for s in sentences:  # "No." / "Yes," answer the question; "No sign of AF" does not
        m = _YES_NO.match(s)
        if m:
            statements += [(c, m.group(1).lower() == "no") for c in qcodes]
    return all(fact_correct(f, numbers, statements, text) for f in expect)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
def read_question_record(record: dict[str, Any], roots: dict[str, Path]) -> Any:
    if record["dataset"] == "ludb":
        from medts.io.ludb import read_ludb

        return read_ludb(roots["ludb"], int(record["id"])).ecg
    from medts.io.ptbxl import PtbxlIndex

    return PtbxlIndex.open(roots["ptbxl"], sampling_rate=100).read(int(record["id"]))


def planner_driven_fake():
    """A scripted chat model that drives the *native* loop: it asks for the tools the rule
    planner would choose, then answers with the fact lines of their results (no LLM)."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from medts.agent.backends import ScriptedChatModel
    from medts.agent.planner import fact_lines, plan

    def step(messages):
        question = next(m.content for m in reversed(messages) if isinstance(m, HumanMessage))
        tail = []
        for m in reversed(messages):
            if not isinstance(m, ToolMessage):
                break
            tail.append(json.loads(m.content))
        if not tail:
            calls = [c for c in plan(question, has_previous=True) if c.name != "record_summary"]
            return AIMessage("", tool_calls=[{"name": c.name, "args": c.args, "id": f"c{k}"} for k, c in enumerate(calls)])
        return ". ".join(x[0].upper() + x[1:] for x in fact_lines(question, list(reversed(tail)))) + "."

    return ScriptedChatModel(script=[], then=step, supports_tools=True)


def spread(items: list[Any], n: int) -> list[Any]:
    """``n`` items spread evenly over ``items`` (all of them when ``n >= len(items)``).

    >>> spread(list(range(10)), 4)
    [0, 2, 5, 7]
    """
    if n >= len(items):
        return list(items)
    return [items[int(k * len(items) / n)] for k in range(n)]


def run_suite(questions: list[dict[str, Any]], session_factory, roots: dict[str, Path],
              log=lambda s: print(s, file=sys.stderr)) -> dict[str, Any]:
    """Ask every question in a fresh session; per-question rows and the summary metrics."""
    rows = []
    cache: dict[tuple, Any] = {}
    for q in questions:
        key = (q["record"]["dataset"], q["record"]["id"])
        if key not in cache:
            cache[key] = read_question_record(q["record"], roots)
        session = session_factory()
        if q.get("previous"):
            pkey = (q["previous"]["dataset"], q["previous"]["id"])
            cache.setdefault(pkey, read_question_record(q["previous"], roots))
            session.load(cache[pkey])
        session.load(cache[key])
        answer = session.ask(q["question"])
        llm_part = answer.text.split("From the tools:")[0]
        rows.append({
            "id": q["id"], "record": q["record"], "question": q["question"],
            "correct": score_answer_text(answer.text, q["expect"], q["question"]),
            "correct_llm_text_only": score_answer_text(llm_part, q["expect"], q["question"]),
            "n_claims_model": len(answer.claims), "n_ungrounded_model": answer.n_ungrounded,
            "n_ungrounded_final": _ungrounded_in_final(answer, session),
            "abstained": answer.abstained, "latency_s": answer.latency_s,
            "load_average_1min": round(os.getloadavg()[0], 2), "cut": answer.cut,
            "tools": [t["name"] for t in answer.tools], "answer": answer.text, "llm_text": answer.llm_text,
        })
        log(f"{q['id']} {'OK ' if rows[-1]['correct'] else 'BAD'} {q['question']} -> "
            f"{answer.text[:100]!r} ({answer.latency_s['total']:.1f} s)")
    return {"rows": rows, "summary": summarise(rows)}


def _ungrounded_in_final(answer: Any, session: Any) -> int:
    """Claims in the final text (model sentences and appended facts) that no tool supports."""
    from medts.agent.grounding import ground_answer

    body = answer.text.replace(answer.notice, "")
    import re

    body = re.sub(r"\[[^\]]*\]", "", body)  # citations are not claims
    trace = [c for c in session.toolbox.trace]
    return ground_answer(body, trace, question=answer.question).n_ungrounded


def _pct(values: list[float], q: float) -> float | None:
    return None if not values else round(float(np.percentile(values, q)), 3)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    totals = [r["latency_s"]["total"] for r in rows]
    first = [r["latency_s"]["first_token_after_tools"] for r in rows if r["latency_s"].get("first_token_after_tools") is not None]
    tools = [r["latency_s"]["tools"] for r in rows if r["latency_s"].get("tools") is not None]
    cpu = [r["latency_s"]["cpu_s_after_tools"] for r in rows if r["latency_s"].get("cpu_s_after_tools") is not None]
    loads = [r["load_average_1min"] for r in rows if r.get("load_average_1min") is not None]
    claims = sum(r["n_claims_model"] for r in rows)
    return {
        "n_questions": n,
        "accuracy": round(sum(r["correct"] for r in rows) / max(n, 1), 4),
        "accuracy_llm_text_only": round(sum(r["correct_llm_text_only"] for r in rows) / max(n, 1), 4),
        "ungrounded_rate_model_claims": round(sum(r["n_ungrounded_model"] for r in rows) / max(claims, 1), 4),
        "n_model_claims": claims,
        "ungrounded_claims_in_final_answers": sum(r["n_ungrounded_final"] for r in rows),
        "abstained": sum(r["abstained"] for r in rows),
        "latency_total_s": {"median": _pct(totals, 50), "p95": _pct(totals, 95)},
        "latency_tools_s": {"median": _pct(tools, 50), "p95": _pct(tools, 95)},
        "latency_first_token_after_tools_s": {"median": _pct(first, 50), "p95": _pct(first, 95)},
        "cpu_s_after_tools": {"median": _pct(cpu, 50), "p95": _pct(cpu, 95)},
        "load_average_1min": {"median": _pct(loads, 50), "max": max(loads) if loads else None},
        "answers_cut_at_token_limit": sum(bool(r.get("cut")) for r in rows),
    }


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
    import os

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
        "first_token_s_median": _pct(first, 50), "first_token_s_p95": _pct(first, 95),
        "full_answer_s_median": _pct(full, 50), "full_answer_s_p95": _pct(full, 95),
        "cpu_s_after_tools_median": _pct(cpu, 50),
        "prefilled_tokens_median": statistics.median(r["prefilled_tokens"] for r in turns),
        "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in turns),
        "answer_tokens_median": statistics.median(r["answer_tokens"] for r in turns),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "goal_first_token_le_1_5_s": None if not first else _pct(first, 50) <= 1.5,
        "goal_answer_le_5_s": _pct(full, 50) <= 5.0,
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
    "CPU latency: whole plan-then-compose chat turns on one record (see data.latency_record), questions "
    "'What is the heart rate?', 'Is the QTc prolonged?', 'Is there atrial fibrillation?', 'What is the electrical axis?' "
    "asked `reps` times after one warm-up turn; 'after tools' = from the moment the tools finished. "
    "The system prompt and worked example are prefilled once per process (prompt-prefix cache); each turn prefills "
    "only its facts and question ('prefilled tokens').",
    "Wall times on a shared machine include waiting for the CPU: compare 'CPU s after tools' and the load average. "
    "bf16 is emulated on CPUs without AVX512-BF16/AMX (bf16 matmuls several times slower than fp32); "
    "dtype 'auto' picks float32 there.",
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


def run_agent_bench(*, ludb_root: Path, ptbxl_root: Path | None, limit: int | None, backends: list[str],
                    latency_dtypes: list[str], command: str | None = None, smollm2_every: int = 1,
                    smollm2_sample: int | None = None) -> tuple[Path, Path]:
    """The full benchmark; writes ``eval/results/agent.json`` and ``.md``. SmolLM2 answers every
    ``smollm2_every``-th question, or ``smollm2_sample`` questions spread evenly over the suite."""
    from medts.agent.backends import LocalChatModel
    from medts.agent.session import AgentConfig, ChatSession
    from medts.bench.results import markdown_table, write_results

    if not QUESTIONS_PATH.is_file():
        write_questions(ludb_root=ludb_root, ptbxl_root=ptbxl_root)
    questions = load_questions()
    if ptbxl_root is None:
        questions = [q for q in questions if q["record"]["dataset"] != "ptbxl"]
    questions = questions[:limit] if limit else questions
    roots = {"ludb": ludb_root, **({"ptbxl": ptbxl_root} if ptbxl_root else {})}
    metrics: dict[str, Any] = {}
    per_question: dict[str, Any] = {}
    from medts.agent.tools import ClassifierBank, ToolBox

    bank = ClassifierBank()  # loaded once, shared by every question's fresh session
    for backend in backends:
        asked = questions
        if backend == "smollm2":
            asked = spread(questions, smollm2_sample) if smollm2_sample else questions[::smollm2_every]
            llm = LocalChatModel(dtype="auto", max_new_tokens=SMOLLM2_MAX_NEW_TOKENS)

            def factory(llm=llm):
                return ChatSession(llm, AgentConfig(mode="plan"), ToolBox(classifiers=bank))
        elif backend == "fake-native":
            def factory():
                return ChatSession(planner_driven_fake(), AgentConfig(mode="native"), ToolBox(classifiers=bank))
        else:
            raise ValueError(f"unknown backend {backend!r}")
        result = run_suite(asked, factory, roots)
        metrics[backend] = result["summary"]
        per_question[backend] = result["rows"]
    ecg, latency_name = latency_record(ludb_root)
    latency = {d: measure_latency(d, ecg) for d in latency_dtypes}
    rows = [[b, m["n_questions"], m["accuracy"], m["accuracy_llm_text_only"], m["ungrounded_rate_model_claims"],
             m["ungrounded_claims_in_final_answers"], m["latency_total_s"]["median"], m["latency_total_s"]["p95"],
             m["latency_first_token_after_tools_s"]["median"], m["cpu_s_after_tools"]["median"],
             m["load_average_1min"]["median"]] for b, m in metrics.items()]
    tables = [markdown_table(["backend (mode)", "questions", "accuracy", "accuracy, LLM text only",
                              "ungrounded rate (model claims)", "ungrounded claims left in answers",
                              "latency median s", "latency p95 s", "first token after tools median s",
                              "CPU s after tools median", "load average (1 min) median"], rows)]
    if latency:
        tables.append(latency_table(latency))
    by_kind: dict[str, dict[str, list[bool]]] = {}
    for b, rws in per_question.items():
        for r in rws:
            by_kind.setdefault(r["question"], {}).setdefault(b, []).append(r["correct"])
    tables.append(markdown_table(["question", *per_question],
                                 [[q, *[f"{sum(v.get(b, []))}/{len(v.get(b, []))}" for b in per_question]]
                                  for q, v in by_kind.items()]))
    notes = [
        "Expected facts come from LUDB cardiologist annotations / ludb.csv and PTB-XL scp_codes (see eval/questions.yaml); "
        "no record was used to tune prompts or rules against these references.",
        "accuracy: the final answer (grounded model sentences + appended tool facts) holds every expected fact; "
        "'LLM text only' scores the model's grounded sentences alone.",
        "ungrounded rate: claims (numbers with units, statements, qualitative claims about measurements) written by the "
        "model that no tool result supports; they are removed before the answer is shown. 'left in answers' re-checks "
        "the final texts.",
        f"smollm2 (plan-then-compose, max {SMOLLM2_MAX_NEW_TOKENS} new tokens, stop at a blank line, dtype auto) answered "
        + (f"{smollm2_sample} questions spread evenly over the suite (CPU time on the shared machine; ids in "
           "per_question)" if smollm2_sample else "every question" if smollm2_every == 1
           else f"every {smollm2_every}th question") + "; fake-native answered all.",
        "fake-native: a scripted model that drives the LangGraph tool-calling loop with the rule planner's tools and "
        "answers with the tools' fact lines (checks the native loop, not a language model).",
        *LATENCY_NOTES,
    ]
    return write_results(
        "agent", command=command,
        data={"questions": str(QUESTIONS_PATH.relative_to(PROJECT_ROOT)), "n_questions": len(questions),
              "latency_record": latency_name,
              "datasets": sorted({q["record"]["dataset"] for q in questions}),
              "records": sorted({f"{q['record']['dataset']}:{q['record']['id']}" for q in questions})},
        metrics={"suite": metrics, "cpu_latency_smollm2": latency, "per_question": per_question},
        notes=notes, markdown_tables=tables,
    )


if __name__ == "__main__":
    from medts.config import dataset_dir

    if "--write-questions" in sys.argv:
        print(write_questions(ludb_root=dataset_dir("ludb"), ptbxl_root=dataset_dir("ptbxl")))
