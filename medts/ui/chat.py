"""The chat panel's bridge to :class:`medts.agent.session.ChatSession` (the app builds no agent).

The agent owns tools, backends, grounding and citations; this module opens one
``ChatSession`` per browser session and record (with the backend chosen in Settings), streams
its grounded pieces into the chat (:func:`stream_reply`, one :class:`ReplyUpdate` per change:
the tool calls as soon as they ran, the number of tokens the LLM has written, each sentence
once grounding accepted it), and turns the tool calls of the answer into one collapsible message:
one readable line per call (name, arguments, seconds, main values), each expandable to its JSON. "Compare with another ECG" loads the second record as
the session's ``previous`` record, which the agent's ``compare`` tool reads.

The chat model is made by :data:`CHAT_MODEL_FACTORY` (settings -> LangChain chat model); tests
and embedders may replace it (the browser test uses the agent's scripted model so that it runs
in seconds; ``medts bench ui`` times the real local model).

Latency and memory: the local model runs in the CPU's fast dtype (``auto``: float32 without
native bf16) with a short answer cap (:data:`LOCAL_MAX_NEW_TOKENS`). Its weights load once per
process (:func:`ensure_local_model`, under one lock: every session and turn shares them); the
server loads them in the background once the first record is on screen
(:data:`RECORD_SHOWN`), so the tracing never waits for the LLM, and a question asked before
they are loaded waits for them (the chat says so) instead of failing. The PTB-XL classifiers
are one bank per process shared by every session (:func:`shared_classifiers`); and when a
record loads, :func:`prepare` opens its agent session and runs the measurement and classifier
tools, so a question only waits for the LLM's phrasing.

Example
-------
>>> from medts.ui.chat import agent_status
>>> agent_status()[0] in (True, False)
True
"""

from __future__ import annotations

import functools
import html
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from medts.errors import MedtsError
from medts.ui.state import ChatSettings, SessionState

log = logging.getLogger("medts.ui")


def agent_status() -> tuple[bool, str]:
    """``(available, reason)`` for the chat panel."""
    import importlib.util

    # find_spec, not an import: the agent (LangChain) takes seconds to import and the first
    # page must not wait for it; a broken install still fails loudly at the first question.
    for module in ("medts.agent.session", "langchain_core"):
        if importlib.util.find_spec(module) is None:
            return False, f"Chat is not available: {module} is not installed."
    return True, "ready"


LOCAL_DTYPE = "auto"  # float32 on CPUs without native bf16, where bf16 matmuls are ~4x slower
LOCAL_MAX_NEW_TOKENS = 32  # one sentence: the facts and their citations come from the tools, not this text
_WARM_LOCK = threading.Lock()
_LOADED: set[tuple[str, str]] = set()  # (source, dtype) of the local models loaded in this process
RECORD_SHOWN = threading.Event()
"""Set when a record's panels were first shown; the server's background LLM load waits for it
(or for :data:`medts.ui.server.LLM_WARMUP_DELAY_S`) so the first tracing gets the CPU first."""


def default_chat_model(settings: ChatSettings) -> Any:
    """The LangChain chat model for ``settings`` (local SmolLM2, a local HF folder, or a URL)."""
    from medts.agent.backends import LocalChatModel, openai_chat_model

    if settings.backend == "openai":
        return openai_chat_model(settings.base_url, settings.model_name or "default")
    source, dtype = local_model_key(settings)
    return LocalChatModel(source=source, dtype=dtype, max_new_tokens=LOCAL_MAX_NEW_TOKENS)


CHAT_MODEL_FACTORY: Callable[[ChatSettings], Any] = default_chat_model


def local_model_key(settings: ChatSettings) -> tuple[str, str]:
    """``(source, dtype)`` of the local model ``settings`` use (the key of its loaded weights)."""
    return (settings.model_path if settings.backend == "hf" else "smollm2"), LOCAL_DTYPE


def uses_local_weights(settings: ChatSettings) -> bool:
    """Whether answering with ``settings`` needs local weights in this process: the local model, or with a
    served model the packaged SmolLM2 of the learned refusal check (:func:`medts.agent.session.default_safety_check`)."""
    from medts.config import smollm2_installed

    served = settings.backend == "openai"
    return CHAT_MODEL_FACTORY is default_chat_model and agent_status()[0] and (not served or smollm2_installed())


def local_model_loaded(settings: ChatSettings | None = None) -> bool:
    """Whether the weights ``settings`` (default: the local SmolLM2) need are loaded (or none are needed)."""
    settings = settings or ChatSettings()
    return not uses_local_weights(settings) or local_model_key(settings) in _LOADED


def ensure_local_model(settings: ChatSettings | None = None) -> float:
    """Load the local weights ``settings`` need, once per process; seconds spent loading here.

    Every caller (the start-up warm-up, a question, the benchmark) goes through this one lock,
    so the weights are never loaded twice, and a question asked during the background load
    waits for it. The model objects of all sessions then share these weights
    (:func:`medts.agent.backends.load_local` caches them).
    """
    settings = settings or ChatSettings()
    if not uses_local_weights(settings):
        return 0.0
    key = local_model_key(settings)
    with _WARM_LOCK:
        if key in _LOADED:
            return 0.0
        from medts.agent.backends import load_local

        t0 = time.perf_counter()
        load_local(*key)
        if settings.backend != "openai":  # a served model answers; the local weights only run the refusal check
            prime_local_model(settings)
        _LOADED.add(key)
        return time.perf_counter() - t0


def prime_local_model(settings: ChatSettings) -> None:
    """Run the local model once on a compose prompt (one new token), so what the backend keeps
    per process for every later prompt (e.g. the attention cache of the fixed system prompt and
    worked example) is computed now, not in the first user's question. Best effort: a failure
    here only means the first question does that work itself."""
    try:
        from medts.agent.backends import LocalChatModel
        from medts.agent.planner import compose_messages

        source, dtype = local_model_key(settings)
        LocalChatModel(source=source, dtype=dtype, max_new_tokens=1).invoke(
            compose_messages("What is the heart rate?", ["heart rate: 70 bpm"]))
    except MedtsError:  # a model that cannot load: the first question reports it as one line
        log.debug("priming the local model failed", exc_info=True)


def warm_local_model() -> float:
    """Load the default local model's weights (see :func:`ensure_local_model`)."""
    return ensure_local_model(ChatSettings())


@functools.cache
def shared_classifiers() -> Any:
    """One :class:`medts.agent.tools.ClassifierBank` for every session (weights load once)."""
    from medts.agent.tools import ClassifierBank

    bank = ClassifierBank()
    bank.levels()  # load now, under the cache, not in two sessions at once
    return bank


def _token_counter() -> Any:
    """A LangChain callback counting the tokens a chat model streams (the progress shown while
    the LLM writes: sentences appear only once grounded, which can be the end of the answer)."""
    from langchain_core.callbacks import BaseCallbackHandler

    class TokenCounter(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens = 0

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens += bool(token)  # LangChain ends a stream with an empty chunk

    return TokenCounter()


def open_session(state: SessionState) -> Any:
    """The agent session for the state's record (one per record and settings)."""
    if state.chat is not None:
        return state.chat
    ok, reason = agent_status()
    if not ok:
        raise RuntimeError(reason)
    if state.ecg is None:
        raise ValueError("load a record first")
    from medts.agent.session import AgentConfig, ChatSession
    from medts.agent.tools import ToolBox, Workspace

    llm = CHAT_MODEL_FACTORY(state.settings)
    state.token_counter = _token_counter()
    llm.callbacks = [*(llm.callbacks or []), state.token_counter]
    toolbox = ToolBox(Workspace(), classifiers=shared_classifiers())
    session = ChatSession(llm, AgentConfig(mode=state.settings.mode), toolbox)
    session.load(state.ecg)
    if state.compare_ecg is not None:
        session.load(state.compare_ecg, name="previous")
    state.chat = session
    return session


def prepare(state: SessionState) -> None:
    """Open the agent session of the state's record and run its measurement and classifier tools
    (cached in the session), so the first question only waits for the LLM. Chat is optional:
    nothing here may fail the record's panels."""
    if not agent_status()[0] or state.ecg is None:
        return
    try:
        session = open_session(state)
        session.toolbox.measured("current")
        session.toolbox.classified("current")
    except MedtsError:  # a record or model problem: the question itself reports it as one line
        log.debug("preparing the chat session failed", exc_info=True)


def set_compare(state: SessionState) -> None:
    """Give the agent the second record (as ``previous``) for "compare with another ECG"."""
    open_session(state).load(state.compare_ecg, name="previous")


TRACE_VALUES = 4  # scalar results shown on a tool call's line (the rest when it is expanded)
TRACE_JSON_CHARS = 6000


def _scalar(value: Any) -> str | None:
    """A short text for a result value worth a place on the one-line summary, else ``None``."""
    if isinstance(value, dict) and "value" in value:  # a measurement: {"value": ..., "unit": ...}
        value = value["value"]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) <= 40:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) and len(value) <= 6:
        return ", ".join(value)
    return None


def call_line(call: dict[str, Any]) -> str:
    """One line for one tool call: name, non-default arguments, seconds and its main results."""
    name = call.get("name", "tool")
    args = ", ".join(f"{k}={v}" for k, v in (call.get("args") or {}).items() if v not in (None, "current", "all"))
    result = call.get("result") if isinstance(call.get("result"), dict) else {}
    if result.get("available") is False:
        what = f"unavailable: {result.get('reason') or 'no reason given'}"
    else:
        shown = []
        for key, value in result.items():
            text = _scalar(value) if key not in ("tool", "record", "available") else None
            if text is not None:
                shown.append(f"{key} {text}")
            if len(shown) == TRACE_VALUES:
                break
        what = "; ".join(shown) or f"{len(result)} fields"
    seconds = call.get("seconds")
    timing = f" ({seconds:.2f} s)" if isinstance(seconds, (int, float)) else ""
    return f"{name}({args}){timing}: {what}"


def tool_trace_message(calls: list[dict[str, Any]]) -> dict | None:
    """One collapsible assistant message: one line per tool call, each expandable to its JSON."""
    if not calls:
        return None
    parts = []
    for call in calls:
        body = json.dumps({k: v for k, v in call.items() if k != "name"}, indent=1, default=str)
        if len(body) > TRACE_JSON_CHARS:
            body = body[:TRACE_JSON_CHARS] + "\n... (truncated)"
        parts.append(f"<details class=\"tool-call\"><summary>{html.escape(call_line(call))}</summary>\n\n"
                     f"```json\n{body}\n```\n</details>")
    return {"role": "assistant", "content": "\n".join(parts),
            "metadata": {"title": f"Tools called ({len(calls)}) - click to expand", "status": "done"}}


@dataclass(frozen=True)
class ReplyUpdate:
    """One step of a streamed answer.

    ``phase``: ``"model"`` (waiting for the local weights to finish loading), ``"tools"``
    (tools running), ``"writing"`` (the LLM is writing; ``tokens`` so far) or ``"done"``
    (``text`` is the final answer). ``text``: the grounded answer so far; ``calls``: the tool
    calls so far (name, args, seconds, JSON result).
    """

    text: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    phase: str = "tools"
    tokens: int = 0


def stream_reply(state: SessionState, question: str, *, poll_s: float = 0.1) -> Iterator[ReplyUpdate]:
    """Yield a :class:`ReplyUpdate` whenever the answer to ``question`` moves on.

    The agent runs in a worker thread; while its LLM phrases the answer, the tool calls made so
    far and the count of tokens written are yielded as soon as they change, so the chat shows
    the tool trace, with the measured values, and live progress before the first grounded
    sentence. When the local weights are still loading (a question right after start-up), a
    ``"model"`` update comes first and the answer follows once they are loaded.
    """
    if not local_model_loaded(state.settings):
        yield ReplyUpdate("", [], "model")
    ensure_local_model(state.settings)
    session = open_session(state)
    counter = state.token_counter
    if counter is not None:
        counter.tokens = 0
    start = len(session.toolbox.trace)
    pieces: queue.Queue = queue.Queue()

    def produce() -> None:
        try:
            for piece in session.stream(question):
                pieces.put(("piece", piece))
            pieces.put(("done", None))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            pieces.put(("error", error))

    threading.Thread(target=produce, name="medts-ui-answer", daemon=True).start()
    text, seen = "", (0, 0)  # nothing new until a tool call or a token: the app already shows that tools run

    def update() -> ReplyUpdate:
        tokens = counter.tokens if counter is not None else 0
        calls = _calls(session, start)
        return ReplyUpdate(text, calls, "writing" if tokens else "tools", tokens)

    while True:
        try:
            kind, value = pieces.get(timeout=poll_s)
        except queue.Empty:
            now = update()
            if (len(now.calls), now.tokens) != seen:
                seen = (len(now.calls), now.tokens)
                yield now
            continue
        if kind == "error":
            raise value
        if kind == "done":
            break
        text += value
        now = update()
        seen = (len(now.calls), now.tokens)
        yield now
    final = session.last.text if session.last is not None else text
    yield ReplyUpdate(final, _calls(session, start), "done", counter.tokens if counter is not None else 0)


def _calls(session: Any, start: int) -> list[dict[str, Any]]:
    return [{"name": c.name, "args": c.args, "seconds": round(c.seconds, 3), "result": c.result}
            for c in session.toolbox.trace[start:]]
