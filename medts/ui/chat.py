"""The chat panel's bridge to :class:`medts.agent.session.ChatSession` (the app builds no agent).

The agent owns tools, backends, grounding and citations; this module opens one
``ChatSession`` per browser session and record (with the backend chosen in Settings), streams
its grounded pieces into the chat, and turns the tool calls of the answer (name, arguments,
JSON result) into one collapsible message. "Compare with another ECG" loads the second record
as the session's ``previous`` record, which the agent's ``compare`` tool reads.

The chat model is made by :data:`CHAT_MODEL_FACTORY` (settings -> LangChain chat model); tests
and embedders may replace it (the browser test uses the agent's scripted model so that it runs
in seconds; ``medts bench ui`` times the real local model).

Latency: the local model runs in the CPU's fast dtype (``auto``: float32 without native bf16)
with a short answer cap (:data:`LOCAL_MAX_NEW_TOKENS`); its weights load once per process, in
the background at start-up (:func:`warm_local_model`); the PTB-XL classifiers are one bank per
process shared by every session (:func:`shared_classifiers`); and when a record loads,
:func:`prepare` opens its agent session and runs the measurement and classifier tools, so a
question only waits for the LLM's phrasing.

Example
-------
>>> from medts.ui.chat import agent_status
>>> agent_status()[0] in (True, False)
True
"""

from __future__ import annotations

import functools
import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from medts.ui.state import ChatSettings, SessionState


def agent_status() -> tuple[bool, str]:
    """``(available, reason)`` for the chat panel."""
    try:
        from medts.agent.session import ChatSession  # noqa: F401
    except ImportError as error:
        return False, f"Chat is not available: medts.agent is not installed yet ({error.msg})."
    return True, "ready"


LOCAL_DTYPE = "auto"  # float32 on CPUs without native bf16, where bf16 matmuls are ~4x slower
LOCAL_MAX_NEW_TOKENS = 32  # one sentence: the facts and their citations come from the tools, not this text
_WARM_LOCK = threading.Lock()


def default_chat_model(settings: ChatSettings) -> Any:
    """The LangChain chat model for ``settings`` (local SmolLM2, a local HF folder, or a URL)."""
    from medts.agent.backends import LocalChatModel, openai_chat_model

    if settings.backend == "openai":
        return openai_chat_model(settings.base_url, settings.model_name or "default")
    source = settings.model_path if settings.backend == "hf" else "smollm2"
    return LocalChatModel(source=source, dtype=LOCAL_DTYPE, max_new_tokens=LOCAL_MAX_NEW_TOKENS)


CHAT_MODEL_FACTORY: Callable[[ChatSettings], Any] = default_chat_model


def warm_local_model() -> None:
    """Load the default local model's weights (once per process); questions wait for it."""
    if CHAT_MODEL_FACTORY is not default_chat_model or not agent_status()[0]:
        return  # another model (tests, embedders): nothing of ours to load
    with _WARM_LOCK:
        from medts.agent.backends import load_local

        load_local("smollm2", LOCAL_DTYPE)


@functools.cache
def shared_classifiers() -> Any:
    """One :class:`medts.agent.tools.ClassifierBank` for every session (weights load once)."""
    from medts.agent.tools import ClassifierBank

    bank = ClassifierBank()
    bank.levels()  # load now, under the cache, not in two sessions at once
    return bank


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

    toolbox = ToolBox(Workspace(), classifiers=shared_classifiers())
    session = ChatSession(CHAT_MODEL_FACTORY(state.settings), AgentConfig(mode=state.settings.mode), toolbox)
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
    except Exception:  # noqa: BLE001 - the question itself will report the problem
        pass


def set_compare(state: SessionState) -> None:
    """Give the agent the second record (as ``previous``) for "compare with another ECG"."""
    open_session(state).load(state.compare_ecg, name="previous")


def tool_trace_message(calls: list[dict[str, Any]]) -> dict | None:
    """One collapsible assistant message listing the tools called, their arguments and JSON."""
    if not calls:
        return None
    parts = []
    for call in calls:
        body = json.dumps({k: v for k, v in call.items() if k != "name"}, indent=1, default=str)
        if len(body) > 6000:
            body = body[:6000] + "\n... (truncated)"
        parts.append(f"**{call.get('name', 'tool')}**\n```json\n{body}\n```")
    return {"role": "assistant", "content": "\n\n".join(parts),
            "metadata": {"title": f"Tools called ({len(calls)}) - click to expand", "status": "done"}}


def stream_reply(state: SessionState, question: str, *, poll_s: float = 0.1
                 ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(answer so far, tool calls so far)`` while the agent answers ``question``.

    The agent runs in a worker thread; while its LLM phrases the answer, the tool calls made so
    far are yielded (with the text so far, possibly empty) as soon as they appear, so the chat
    shows the tool trace, with the measured values, before the first grounded sentence.
    """
    with _WARM_LOCK:  # the local model may still be loading in the background: wait, never load twice
        session = open_session(state)
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
    text, n_calls = "", 0
    while True:
        try:
            kind, value = pieces.get(timeout=poll_s)
        except queue.Empty:
            calls = _calls(session, start)
            if len(calls) != n_calls:
                n_calls = len(calls)
                yield text, calls
            continue
        if kind == "error":
            raise value
        if kind == "done":
            break
        text += value
        calls = _calls(session, start)
        n_calls = len(calls)
        yield text, calls
    final = session.last.text if session.last is not None else text
    yield final, _calls(session, start)


def _calls(session: Any, start: int) -> list[dict[str, Any]]:
    return [{"name": c.name, "args": c.args, "seconds": round(c.seconds, 3), "result": c.result}
            for c in session.toolbox.trace[start:]]
