"""``medts chat PATH``: terminal chat about an ECG, answers streamed as they are grounded."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from medts.errors import MedtsError

HELP = """Commands: /load PATH (load another ECG; the first becomes 'previous'), /switch (swap current
and previous), /tools (tool calls of the last answer), /json (last answer as JSON), /quit."""


def _session(backend: str, model: Optional[str], base_url: Optional[str], mode: str, dtype: str,
             max_new_tokens: int, grounding: str):
    from medts.agent.backends import LocalChatModel, openai_chat_model
    from medts.agent.session import AgentConfig, ChatSession

    config = AgentConfig(mode=mode, grounding=grounding)
    if backend == "openai":
        if not base_url:
            raise MedtsError("--backend openai needs --base-url (e.g. http://localhost:8000/v1)")
        llm = openai_chat_model(base_url, model or "default")
    elif backend == "local":
        llm = LocalChatModel(source=model or "smollm2", dtype=dtype, max_new_tokens=max_new_tokens)
    else:
        raise MedtsError(f"unknown backend {backend!r}; choose local or openai")
    return ChatSession(llm, config)


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        path: Path = typer.Argument(..., help="ECG record (WFDB .hea, EDF, CSV, NPY, ...)"),
        previous: Optional[Path] = typer.Option(None, "--previous", help="an earlier ECG to compare with"),
        question: list[str] = typer.Option([], "--question", "-q", help="ask and exit (repeatable)"),
        backend: str = typer.Option("local", help="local (transformers) or openai (OpenAI-compatible server)"),
        model: Optional[str] = typer.Option(None, help="local model folder (default: packaged SmolLM2) or server model name"),
        base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1"),
        mode: str = typer.Option("auto", help="auto, native (tool calling) or plan (plan-then-compose)"),
        dtype: str = typer.Option("auto", help="local model dtype: auto (bf16 where the CPU/GPU runs it natively, else float32), bfloat16 or float32"),
        max_new_tokens: int = typer.Option(48, help="local model answer length cap (tokens; an answer cut there ends at its last full sentence)"),
        grounding: str = typer.Option("remove", help="unsupported claims: remove the sentence, or flag it"),
        as_json: bool = typer.Option(False, "--json", help="with -q: print the answers as one JSON list"),
    ) -> None:
        """Chat about an ECG. Answers are grounded in tool results and are drafts for clinician review."""
        session = _session(backend, model, base_url, mode, dtype, max_new_tokens, grounding)
        if previous is not None:
            session.load(previous)
        summary = session.load(path)
        if not summary.get("available", True):
            raise MedtsError(f"{path}: {summary.get('reason')}")
        q = summary.get("quality") or {}
        print(f"Loaded {summary['record_id']}: {summary['duration_s']:.1f} s, {summary['n_leads']} leads at "
              f"{summary['fs_hz']:g} Hz; quality {q.get('overall')}. Mode: {session.mode}.", file=sys.stderr)
        if question:
            answers = []
            for text in question:
                if as_json:
                    answers.append(session.ask(text).model_dump(mode="json"))
                else:
                    print(f"> {text}")
                    _stream(session, text)
            if as_json:
                print(json.dumps(answers, indent=2))
            return
        print(HELP, file=sys.stderr)
        while True:
            try:
                text = input("\n> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if not text:
                continue
            if text in ("/quit", "/exit"):
                return
            if text.startswith("/load "):
                s = session.load(Path(text[6:].strip()))
                print(f"Loaded {s.get('record_id')} as current" + (" (previous kept)" if
                      "previous" in session.toolbox.workspace.records else ""))
                continue
            if text == "/switch":
                session.switch()
                print("Swapped current and previous.")
                continue
            if text == "/tools":
                for t in (session.last.tools if session.last else []):
                    print(f"  {t['name']}({t['args']}) {t['seconds']:.2f} s")
                continue
            if text == "/json":
                print(session.last.model_dump_json(indent=2) if session.last else "{}")
                continue
            _stream(session, text)


def _stream(session, text: str) -> None:
    for piece in session.stream(text):
        sys.stdout.write(piece)
        sys.stdout.flush()
    print()
    a = session.last
    if a is not None:
        lat = a.latency_s
        print(f"[{a.mode}; tools {lat.get('tools')} s, first token {lat.get('first_token_after_tools')} s after tools, "
              f"total {lat.get('total')} s; {a.n_claims - a.n_ungrounded}/{a.n_claims} claims grounded"
              + (f", {len(a.removed)} sentence(s) removed" if a.removed else "") + "]", file=sys.stderr)
