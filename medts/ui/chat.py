"""The chat panel's bridge to :mod:`medts.agent` (the app builds no agent of its own).

The agent owns tools, backends, grounding and citations; this module only opens an agent
session for the session's record, streams its answer into Gradio chat messages, and shows the
tools it called (name + JSON) as a collapsible message. When :mod:`medts.agent` is not
importable, :func:`agent_status` says why and the panel shows that instead of answers.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

from medts.ui.state import ChatSettings, SessionState

AGENT_MODULE = "medts.agent"


def agent_status() -> tuple[bool, str]:
    """``(available, reason)`` for the chat panel."""
    try:
        module = importlib.import_module(AGENT_MODULE)
    except ImportError as error:
        return False, f"Chat is not available: {AGENT_MODULE} is not installed yet ({error.msg})."
    if not callable(_session_factory(module)):
        return False, f"Chat is not available: {AGENT_MODULE} has no chat session class yet."
    return True, "ready"


def _session_factory(module: Any) -> Any:
    for name in ("ChatSession", "AgentSession", "Session", "open_session", "new_session"):
        factory = getattr(module, name, None)
        if callable(factory):
            return factory
    return None


def open_session(state: SessionState) -> Any:
    """The agent session for the state's record (created once per record and settings)."""
    if state.chat is not None:
        return state.chat
    ok, reason = agent_status()
    if not ok:
        raise RuntimeError(reason)
    module = importlib.import_module(AGENT_MODULE)
    factory = _session_factory(module)
    state.chat = factory(state.ecg, **backend_kwargs(module, state.settings))
    return state.chat


def backend_kwargs(module: Any, settings: ChatSettings) -> dict[str, Any]:
    """Keyword arguments for the agent session from the Settings panel."""
    kwargs: dict[str, Any] = {}
    if settings.mode != "auto":
        kwargs["mode"] = settings.mode
    make_backend = getattr(module, "make_backend", None) or getattr(module, "load_backend", None)
    if settings.backend == "local" or make_backend is None:
        return kwargs
    if settings.backend == "hf":
        kwargs["backend"] = make_backend("transformers", model=settings.model_path)
    elif settings.backend == "openai":
        kwargs["backend"] = make_backend("openai", base_url=settings.base_url, model=settings.model_name or None)
    return kwargs


def tool_trace_message(calls: list[Any]) -> dict | None:
    """One collapsible assistant message listing the tools called and their JSON results."""
    if not calls:
        return None
    parts = []
    for call in calls:
        data = call.model_dump(mode="json") if hasattr(call, "model_dump") else (
            call if isinstance(call, dict) else getattr(call, "__dict__", {"call": str(call)}))
        name = data.get("name") or data.get("tool") or "tool"
        parts.append(f"**{name}**\n```json\n{json.dumps(data, indent=1, default=str)[:4000]}\n```")
    return {"role": "assistant", "content": "\n\n".join(parts),
            "metadata": {"title": f"Tools called ({len(calls)})", "status": "done"}}


def stream_reply(state: SessionState, question: str) -> Iterator[tuple[str, list[Any]]]:
    """Yield ``(answer so far, tool calls)`` while the agent answers ``question``.

    Works with an agent session offering ``stream(question)`` (chunks of text or events) or only
    ``ask(question)`` / ``answer(question)`` returning one answer object.
    """
    session = open_session(state)
    text, calls = "", []
    streamer = getattr(session, "stream", None)
    if callable(streamer):
        for event in streamer(question):
            piece, final, event_calls = _read_event(event)
            if final is not None:
                text = final
            elif piece:
                text += piece
            calls = event_calls or calls
            yield text, calls
        return
    asker = getattr(session, "ask", None) or getattr(session, "answer", None)
    result = asker(question)
    final, event_calls = _answer_text(result), _answer_calls(result)
    yield final, event_calls


def _read_event(event: Any) -> tuple[str, str | None, list[Any]]:
    """``(text delta, full final text or None, tool calls)`` from one streamed event."""
    if isinstance(event, str):
        return event, None, []
    kind = getattr(event, "kind", None) or getattr(event, "type", None) or (event.get("type") if isinstance(event, dict) else None)
    delta = getattr(event, "text", None) or getattr(event, "delta", None) or (
        (event.get("text") or event.get("delta")) if isinstance(event, dict) else None)
    answer = getattr(event, "answer", None) or (event.get("answer") if isinstance(event, dict) else None)
    if answer is not None:
        return "", _answer_text(answer), _answer_calls(answer)
    if kind in ("final", "answer", "done"):
        return "", str(delta) if delta is not None else None, []
    return str(delta or ""), None, []


def _answer_text(answer: Any) -> str:
    if isinstance(answer, str):
        return answer
    for name in ("display_text", "markdown", "text", "content"):
        value = getattr(answer, name, None)
        if callable(value):
            value = value()
        if isinstance(value, str):
            return value
    return str(answer)


def _answer_calls(answer: Any) -> list[Any]:
    for name in ("tool_calls", "calls", "tools", "trace"):
        value = getattr(answer, name, None)
        if isinstance(value, list):
            return value
    return []
