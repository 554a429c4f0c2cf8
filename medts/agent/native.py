"""Native tool calling: the model chooses the tools itself (served models that proved they can,
see :func:`medts.agent.backends.probe_tool_calling`).

A small loop of our own rather than a framework agent, because the servers people run differ
in exactly the places a generic loop leaves open:

- every request with tools says ``tool_choice="auto"`` explicitly (llama-cpp-python treats a
  missing ``tool_choice`` as "none" and the model then never calls a tool);
- the assistant message that carries tool calls has ``content: ""`` (the OpenAI backend fixes
  that on the wire: some servers answer ``null`` with HTTP 500);
- a model that repeats a call it already made, returns an empty message after its tools, or
  reaches :data:`MAX_STEPS` is asked once more without tools, for the answer, streamed;
- requests with tools are streamed only where the server proved it streams tool calls
  (``stream_tools``, found by the probe; llama-cpp-python cannot, and breaks the connection or
  streams its grammar's ``functions.name:`` as text); there an answer the model writes in a
  tool round streams as it arrives, elsewhere it comes whole.

Every tool runs through :meth:`medts.agent.tools.ToolBox.run`, so every call lands in the
toolbox trace and the grounding check sees exactly what the model saw.

Example
-------
>>> from langchain_core.messages import AIMessage
>>> from medts.examples import simulate_example
>>> from medts.agent.backends import ScriptedChatModel
>>> from medts.agent.tools import ToolBox, Workspace
>>> box = ToolBox(Workspace({"current": simulate_example("sinus")}))
>>> llm = ScriptedChatModel(script=[
...     AIMessage("", tool_calls=[{"name": "glossary", "args": {"term": "AFIB"}, "id": "c1"}]),
...     "AFIB means atrial fibrillation."])
>>> turn = NativeTurn()
>>> "".join(stream_native(llm, box, "What is AFIB?", turn=turn))
'AFIB means atrial fibrillation.'
>>> [c.name for c in box.trace], turn.steps
(['glossary'], 2)
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from medts.agent import DRAFT_NOTICE
from medts.agent.backends import BackendError
from medts.agent.tools import TOOL_SPECS, ToolBox

PARTIAL_MARK = "[Partial answer: the server stopped before it finished.]"
"""Ends an answer the server broke off (the part before it is grounded like any answer)."""

MAX_STEPS = 4
"""Model calls per question (each tool round counts one, and the answer one)."""


@dataclass
class NativeTurn:
    """What one native answer did, filled in while it streams (``perf_counter`` times)."""

    steps: int = 0
    t_tools: float | None = None
    """When the last tool finished (the answer request went out after it)."""
    first_token: float | None = None
    finish_reason: str | None = None
    forced_answer: str | None = None
    """Why the model was asked for its answer without tools (repeat call, empty reply, step limit)."""
    ignored_calls: list[str] = field(default_factory=list)
    """Tool calls that came after the model had started writing its answer (not run)."""


def history_messages(turns: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    """Earlier (question, answer) pairs as chat messages, without the draft notice: sent back
    every turn it would teach the model to repeat it."""
    out: list[BaseMessage] = []
    for question, answer in turns:
        out += [HumanMessage(question), AIMessage(answer.replace(DRAFT_NOTICE, "").strip())]
    return out


def stream_native(llm: BaseChatModel, toolbox: ToolBox, question: str, *, turn: NativeTurn,
                  history: Sequence[BaseMessage] = (), system_prompt: str | None = None,
                  max_steps: int = MAX_STEPS) -> Iterator[str]:
    """Run the tool-calling loop for ``question``; yield the answer text as it streams."""
    if system_prompt is None:
        from medts.agent.planner import load_prompt

        system_prompt = load_prompt("system")["text"].strip()
    with_tools = llm.bind_tools(tool_schemas(toolbox), tool_choice="auto")
    messages: list[BaseMessage] = [SystemMessage(system_prompt), *history, HumanMessage(question)]
    done: set[str] = set()
    turn.t_tools = time.perf_counter()
    while True:
        forced = turn.forced_answer is not None or turn.steps >= max_steps - 1
        if forced and turn.forced_answer is None:
            turn.forced_answer = f"step limit ({max_steps})"
        turn.steps += 1
        if forced:  # no tools: every server streams a plain answer
            reply = yield from _streamed(llm, messages, turn)
            turn.finish_reason = (reply.response_metadata or {}).get("finish_reason")
            return
        reply = None
        if getattr(llm, "stream_tools", True) is True:
            try:
                reply = yield from _streamed(with_tools, messages, turn)
            except BackendError:
                if turn.first_token is not None or not hasattr(llm, "stream_tools"):
                    raise  # it broke off an answer: the caller keeps the part it has
            if turn.first_token is not None:  # it answered (tool calls after its text are not run)
                turn.finish_reason = (reply.response_metadata or {}).get("finish_reason")
                turn.ignored_calls += [c["name"] or "?" for c in _calls(reply)]
                return
            if (reply is None or not _calls(reply)) and hasattr(llm, "stream_tools"):
                llm.stream_tools = False  # the server cannot stream tool calls after all: ask unstreamed
                reply = None
        if reply is None:
            reply = with_tools.invoke(messages)
            text = reply.content if isinstance(reply.content, str) else ""
            if text.strip() and not _calls(reply):  # the model answered in a tool round (whole)
                turn.first_token = time.perf_counter()
                turn.finish_reason = (reply.response_metadata or {}).get("finish_reason")
                yield text
                return
        calls = _calls(reply)
        if not calls:  # an empty message after tools (llama-cpp-python's "auto" grammar does this)
            turn.forced_answer = "empty reply"
            continue
        keys = [f"{c['name']}:{json.dumps(c['args'], sort_keys=True)}" for c in calls]
        if all(k in done for k in keys):
            turn.forced_answer = "repeated tool call"
            continue
        done.update(keys)
        ids = [c.get("id") or f"call_{turn.steps}_{k}" for k, c in enumerate(calls)]
        messages.append(AIMessage(content="", tool_calls=[
            {"name": c["name"] or "unknown", "args": c["args"] or {}, "id": i} for c, i in zip(calls, ids)]))
        for c, i in zip(calls, ids):
            messages.append(ToolMessage(json.dumps(_run(toolbox, c)), name=c["name"] or "unknown", tool_call_id=i))
        turn.t_tools = time.perf_counter()


def _streamed(runnable: Any, messages: list[BaseMessage], turn: NativeTurn) -> Generator[str, None, AIMessage]:
    """Stream one request: yield its text as it arrives (unless it starts with a tool call);
    return the whole reply. An empty stream is an empty reply."""
    reply = None
    try:
        for chunk in runnable.stream(messages):
            reply = chunk if reply is None else reply + chunk
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text and (turn.first_token is not None or not reply.tool_call_chunks):
                if turn.first_token is None:
                    turn.first_token = time.perf_counter()
                yield text
    except ValueError as error:  # langchain: "No generation chunks were returned" (an empty stream)
        if reply is not None or "no generation chunks" not in str(error).lower():
            raise
    return reply if reply is not None else AIMessage(content="")


def _calls(reply: Any) -> list[dict[str, Any]]:
    """The reply's tool calls; badly written ones (invalid JSON arguments) with ``args`` None."""
    return list(reply.tool_calls or []) + [
        {**c, "args": None} for c in getattr(reply, "invalid_tool_calls", None) or []]


def tool_schemas(toolbox: ToolBox) -> list[dict[str, Any]]:
    """The tools in OpenAI format, each ``record`` argument limited to the loaded records' names:
    servers that constrain tool arguments by their schema (llama-cpp-python, vLLM's guided
    decoding) then cannot produce a record that does not exist."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    names = sorted(toolbox.workspace.records)
    out = []
    for tool in toolbox.langchain_tools():
        spec = convert_to_openai_tool(tool)
        prop = spec["function"].get("parameters", {}).get("properties", {}).get("record")
        if prop is not None and names:
            prop["enum"] = names
        out.append(spec)
    return out


def _run(toolbox: ToolBox, call: dict[str, Any]) -> dict[str, Any]:
    """The tool's JSON result; a call the model wrote badly gets a reason, not a run."""
    if call["args"] is None:
        return {"tool": call["name"], "available": False,
                "reason": f"the arguments were not valid JSON; the tools are {', '.join(TOOL_SPECS)}"}
    return toolbox.run(call["name"], call["args"])
