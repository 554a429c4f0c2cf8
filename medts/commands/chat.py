"""``medts chat PATH``: terminal chat about an ECG, answers streamed as they are grounded.

With ``--backend openai`` the server is checked first (``GET /models``: reachable, and serving
``--model``), so a wrong URL or model name is one line and exit code 2 within seconds; in
``--mode auto`` a served model gets native tool calling only after it proved it calls tools
(a one-time probe, cached per server and model). With the local model, its weights load in a
background thread while the record is read and measured.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from medts.cli_inputs import ANALYSIS_MAX_LEADS, FS_HELP, LEADS_HELP, RESTING_EXCERPT_S, InputLimits
from medts.errors import MedtsError

CHAT_LIMITS = InputLimits(max_leads=ANALYSIS_MAX_LEADS, excerpt_s=RESTING_EXCERPT_S, what="medts chat", mend_gaps=True)
"""The agent's tools measure and classify the record at once: a long one is cut to its first 5
minutes (read by sample range), and a ``note:`` line says so."""

HELP = """Commands: /load PATH (load another ECG; the first becomes 'previous'), /switch (swap current
and previous), /tools (tool calls of the last answer), /json (last answer as JSON), /quit."""



def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _session(backend: str, model: Optional[str], base_url: Optional[str], mode: str, dtype: str,
             max_new_tokens: int, grounding: str, timeout: float):
    from medts.agent.session import AgentConfig, ChatSession, warm_question_reading

    config = AgentConfig(mode=mode, grounding=grounding)
    # the patterns that read a question are built while the record is read and measured
    threading.Thread(target=warm_question_reading, name="medts-reading-warmup", daemon=True).start()
    if backend == "openai":
        from medts.agent.backends import openai_chat_model, supports_tool_calling

        if not base_url:
            raise MedtsError("--backend openai needs --base-url (e.g. http://localhost:8000/v1)")
        _say(f"Connecting to {base_url} ...")
        llm = openai_chat_model(base_url, model, timeout_s=timeout, check=True)
        from medts.config import smollm2_installed

        if smollm2_installed():  # the learned refusal check's backbone loads while the record is read
            from medts.agent.backends import load_local

            threading.Thread(target=_warm, args=(load_local, "smollm2", "auto"), daemon=True).start()
        if mode == "auto":
            with _waiting(f"{base_url} ({llm.model_name}): does it call tools? (asked once, then cached)"):
                supports_tool_calling(llm)
    elif backend == "local":
        from medts.agent.backends import LocalChatModel, load_local

        llm = LocalChatModel(source=model or "smollm2", dtype=dtype, max_new_tokens=max_new_tokens)
        # the weights load while the record is read and measured
        threading.Thread(target=_warm, args=(load_local, llm.source, llm.dtype), daemon=True).start()
    else:
        raise MedtsError(f"unknown backend {backend!r}; choose local or openai")
    return ChatSession(llm, config)


def _warm(load, source: str, dtype: str) -> None:
    """Load the local weights in the background; a failure shows again (as one line) when the
    first answer needs them."""
    try:
        load(source, dtype)
    except MedtsError:
        pass


@contextmanager
def _waiting(what: str, every_s: float = 2.0) -> Iterator[threading.Event]:
    """Show that we are waiting for ``what`` (a line on stderr every ``every_s`` seconds) until
    the block ends or the event it yields is set (the first streamed piece arrived)."""
    done = threading.Event()
    t0 = time.perf_counter()

    def tick() -> None:
        while not done.wait(every_s):
            _say(f"  waiting for {what}: {time.perf_counter() - t0:.0f} s")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield done
    finally:
        done.set()
        thread.join()


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        path: Path = typer.Argument(..., help="ECG record (WFDB .hea, EDF, CSV, NPY, ...)"),
        previous: Optional[Path] = typer.Option(None, "--previous", help="an earlier ECG to compare with"),
        question: list[str] = typer.Option([], "--question", "-q", help="ask and exit (repeatable)"),
        backend: str = typer.Option("local", help="local (transformers) or openai (OpenAI-compatible server)"),
        model: Optional[str] = typer.Option(None, help="local model folder (default: packaged SmolLM2) or server model name (default: the server's first)"),
        base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1"),
        mode: str = typer.Option("auto", help="auto, native (tool calling) or plan (plan-then-compose)"),
        dtype: str = typer.Option("auto", help="local model dtype: auto (bf16 where the CPU/GPU runs it natively, else float32), bfloat16 or float32"),
        max_new_tokens: int = typer.Option(48, help="local model answer length cap (tokens; an answer cut there ends at its last full sentence)"),
        grounding: str = typer.Option("remove", help="unsupported claims: remove the sentence, or flag it"),
        timeout: float = typer.Option(60.0, help="server backend: longest wait (s) for the server's next bytes"),
        as_json: bool = typer.Option(False, "--json", help="with -q: print the answers as one JSON list"),
        fs: Optional[float] = typer.Option(None, "--fs", help=FS_HELP),
        leads: Optional[str] = typer.Option(None, "--leads", help=LEADS_HELP),
    ) -> None:
        """Chat about an ECG. Answers are grounded in tool results and are drafts for clinician review."""
        from medts.agent.backends import BackendError
        from medts.agent.native import PARTIAL_MARK
        from medts.cli_inputs import check_fs_option, parse_leads, read_checked
        from medts.heap import bound_heap

        bound_heap()  # before the record is read and the model's threads start (medts.heap says why)

        # Read (and check) the records before any model loads: a bad path costs no load.
        rate, names = check_fs_option(fs), parse_leads(leads)
        earlier = read_checked(previous, fs=rate, leads=names, limits=CHAT_LIMITS) if previous is not None else None
        ecg = read_checked(path, fs=rate, leads=names, limits=CHAT_LIMITS)
        for record, where in ((earlier, previous), (ecg, path)):  # what every command repeats about its input
            for note in record.input_notes() if record is not None else []:
                print(f"note: {where}: {note}", file=sys.stderr)
        session = _session(backend, model, base_url, mode, dtype, max_new_tokens, grounding, timeout)
        what = f"{base_url}" if backend == "openai" else "the local model"
        if earlier is not None:
            session.load(earlier)
        summary = session.load(ecg)
        if not summary.get("available", True):
            raise MedtsError(f"{path}: {summary.get('reason')}")
        q = summary.get("quality") or {}
        _say(f"Loaded {summary['record_id']}: {summary['duration_s']:.1f} s, {summary['n_leads']} leads at "
             f"{summary['fs_hz']:g} Hz; quality {q.get('overall')}. Mode: {session.mode}.")
        if session.is_long("current"):
            _say("Long record: its whole recording is being analysed in the background (60-s windows) for questions "
                 "about it as a whole (AF episodes and burden, ectopic beats, runs, pauses, rate range).")
            # a question about the whole recording waits for that analysis, not for the model
            what = f"{what} or the whole-recording analysis (a few seconds per hour of ECG)"
        if question:
            answers = []
            for text in question:
                if as_json:
                    try:
                        with _waiting(what):
                            answers.append(session.ask(text).model_dump(mode="json"))
                    except BackendError:
                        if session.last is not None and session.last.question.startswith(text) \
                                and PARTIAL_MARK in session.last.text:
                            answers.append(session.last.model_dump(mode="json"))
                        print(json.dumps(answers, indent=2))
                        raise
                else:
                    print(f"> {text}")
                    _stream(session, text, what)
            if as_json:
                print(json.dumps(answers, indent=2))
            return
        _say(HELP)
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
            try:
                _stream(session, text, what)
            except BackendError as error:  # the chat goes on: the server may come back
                _say(f"error: {error}")


def _stream(session, text: str, what: str) -> None:
    from medts.agent.backends import BackendError, slow_server_note
    from medts.agent.native import PARTIAL_MARK

    shown = ""
    try:
        with _waiting(what) as first:
            for piece in session.stream(text):
                first.set()
                shown += piece
                sys.stdout.write(piece)
                sys.stdout.flush()
    except BackendError:
        if shown and PARTIAL_MARK not in shown:  # plan mode: the server died while it composed
            sys.stdout.write("\n\n" + PARTIAL_MARK)
        print()
        raise
    print()
    a = session.last
    if a is not None:
        lat = a.latency_s
        token = lat.get("first_token_after_tools")  # None: no language model wrote (refusal, whole recording)
        _say(f"[{a.mode}; tools {lat.get('tools')} s, " + (f"first token {token} s after tools, " if token is not None else "")
             + f"total {lat.get('total')} s; {a.n_claims - a.n_ungrounded}/{a.n_claims} claims grounded"
             + (f", {len(a.removed)} sentence(s) removed" if a.removed else "") + "]")
        base_url = getattr(session.llm, "openai_api_base", None)
        note = slow_server_note(str(base_url), lat) if base_url and not getattr(session, "_slow_noted", False) else None
        if note:  # once per session: the cause does not change between answers
            session._slow_noted = True
            _say(note)
