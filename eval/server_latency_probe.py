"""First streamed token of a native answer after the tools, on the real llama-cpp-python server:
wall seconds (session latency) and the server's own CPU seconds for the answer request.

Run from the repository root after `make test-server` installed llama-cpp-python:
    HF_HUB_OFFLINE=1 .venv/bin/python eval/server_latency_probe.py
It starts the server the real-server tests start (tests/test_agent_server.py), asks two questions
in native mode and adds its figures to eval/results/server_latency.json.
"""
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, "tests")
from langchain_core.callbacks import BaseCallbackHandler
from test_agent_server import LlamaServer, _session

log = Path("/tmp/lat_server.log")
server = LlamaServer(log)
marks = []
class Marks(BaseCallbackHandler):
    def on_chat_model_start(self, serialized, messages, **kw):
        marks.append(["start", time.perf_counter(), server.cpu_s(), None, None])
    def on_llm_new_token(self, token, **kw):
        m = marks[-1]
        if token.strip() and m[3] is None:
            m[3], m[4] = time.perf_counter(), server.cpu_s()
try:
    results = []
    for q in ["What is the heart rate?", "Is the QRS duration normal?"]:
        s = _session(server.base_url)
        s.llm.callbacks = [Marks()]
        marks.clear()
        a = s.ask(q)
        answer_req = [m for m in marks if m[3] is not None]
        r = {"question": q, "latency_s": a.latency_s, "model_tool_calls": [t["name"] for t in a.tools[1:]],
             "requests": len(marks), "load_avg_1min": round(os.getloadavg()[0], 2)}
        if answer_req:
            m = answer_req[-1]
            r["answer_request_first_token_wall_s"] = round(m[3] - m[1], 3)
            r["answer_request_first_token_server_cpu_s"] = round(m[4] - m[2], 3)
        results.append(r)
        print(json.dumps(r), flush=True)
finally:
    server.stop()
out = Path("eval/results/server_latency.json")
rec = json.loads(out.read_text()) if out.is_file() else {}
rec["first_token_after_tools_llama_cpp_python_0.3.36_smollm2"] = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "server": "python -m llama_cpp.server --chat_format chatml-function-calling --n_ctx 8192 --n_threads 2",
    "machine": "2 CPUs shared with other work (see load_avg_1min)", "answers": results,
    "note": "first_token_after_tools: wall s from the last tool result to the first streamed answer token (medts latency_s); answer_request_first_token_server_cpu_s: CPU seconds the server spent on the answer request before its first token (what a quiet machine would wait, with 1 thread)"}
out.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
