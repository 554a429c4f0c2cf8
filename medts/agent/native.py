"""Native tool calling: the model chooses the tools itself (served models that proved they can,
see :func:`medts.agent.backends.probe_tool_calling`).

A small loop of our own rather than a framework agent, because the servers people run differ
in exactly the places a generic loop leaves open:

- every request with tools says ``tool_choice="auto"`` explicitly (llama-cpp-python treats a
  missing ``tool_choice`` as "none" and the model then never calls a tool);
- the assistant message that carries tool calls has ``content: ""`` (the OpenAI backend fixes
  that on the wire: some servers answer ``null`` with HTTP 500);
- a model that repeats a call it already made, returns an empty message after its tools, or
  reaches :data:`MAX_STEPS` is asked once more without tools, for the answer, streamed, as a
  plain chat: the system prompt, the history and ONE user message with the question and the
  grounded fact lines of this turn's tool results (:func:`answer_messages`). No tool schemas,
  no tool-call or tool messages: llama-cpp-python's ``chatml-function-calling`` template drops
  tool-message content (the model never saw the results), and the fact lines are ~50 tokens
  where the raw results are ~3,000; the system prompt stays the first message, so the server's
  prompt cache reuses it and prefills only the question and the facts;
- tool results go back as compact JSON (no spaces, no null fields: :func:`compact_json`);
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
    answer_prompt_chars: int | None = None
    """Characters of the messages of the answer request without tools (None: the model answered in a tool round)."""


def history_messages(turns: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    """Earlier (question, answer) pairs as chat messages, without the draft notice and the
    partial-answer mark: sent back every turn they would teach the model to repeat them."""
    out: list[BaseMessage] = []
    for question, answer in turns:
        out += [HumanMessage(question), AIMessage(answer.replace(DRAFT_NOTICE, "").replace(PARTIAL_MARK, "").strip())]
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
    start = len(toolbox.trace)
    done: set[str] = set()
    turn.t_tools = time.perf_counter()
    while True:
        forced = turn.forced_answer is not None or turn.steps >= max_steps - 1
        if forced and turn.forced_answer is None:
            turn.forced_answer = f"step limit ({max_steps})"
        turn.steps += 1
        if forced:  # no tools: every server streams a plain answer
            answer = answer_messages(system_prompt, history, question, toolbox.trace[start:])
            turn.answer_prompt_chars = sum(len(str(m.content)) for m in answer)
            reply = yield from _streamed(llm, answer, turn)
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
            messages.append(ToolMessage(compact_json(_run(toolbox, c)), name=c["name"] or "unknown", tool_call_id=i))
        turn.t_tools = time.perf_counter()


def answer_messages(system_prompt: str, history: Sequence[BaseMessage], question: str,
                    trace: Sequence[Any]) -> list[BaseMessage]:
    """The answer request without tools: system prompt, history, then one user message with the
    grounded fact lines of ``trace`` (this turn's tool calls) and the question (the form of
    ``prompts/agent/system.yaml`` ``answer``). Plain chat messages every server renders."""
    from medts.agent.planner import load_prompt, render

    facts = answer_facts(question, trace)
    user = render(load_prompt("system")["answer"], facts=facts, question=question).strip()
    return [SystemMessage(system_prompt), *history, HumanMessage(user)]


def answer_facts(question: str, trace: Sequence[Any]) -> list[str]:
    """The fact lines (:func:`medts.agent.planner.fact_lines`, as plan mode gives the model) of
    the results in ``trace`` that the grounding check supports, and only those the question
    needs: each fact line is ~10 tokens the server prefills before the first answer token.

    - a question about one measurement ("Is the QRS duration normal?", "What is the heart
      rate?": :func:`measurement_kinds`) gets that measurement's lines (and record_summary's
      when the quality is not good), not the rhythm and classifier lines its wording ("normal")
      would bring in;
    - otherwise the results of the tools the planner would call for ``question``
      (:func:`medts.agent.planner.plan`) when the model called any of them: a small model calls
      more than it needs (delineation for a heart rate).

    A result no fact line covers goes as :func:`compact_json`."""
    from medts.agent.grounding import Grounder
    from medts.agent.planner import fact_lines, plan

    check = Grounder.from_trace(trace, question)
    kinds = measurement_kinds(question)
    wanted = {"record_summary", "measurements"} if kinds else {c.name for c in plan(question, has_previous=True)}
    relevant = [c for c in trace if c.name in wanted] or list(trace)
    out: list[str] = []
    for call in relevant:
        lines = fact_lines(question, [call.result], kinds=kinds)
        if not lines and call.name != "record_summary":  # a good-quality summary says nothing to answer from
            lines = [f"{call.name}: {compact_json(call.result)}"]
        out += [f for f in lines if f not in out and all(c.grounded for c in check.check(f))]
    return out


_KEY_KINDS = {"hr_bpm": "rate", "rr_ms": "rate", "pr_ms": "intervals", "qrs_ms": "intervals", "qt_ms": "intervals",
              "qtc_bazett_ms": "intervals", "qtc_fridericia_ms": "intervals", "hrv": "hrv", "sokolow_lyon_mv": "voltage", "cornell_mv": "voltage",
              "qrs_axis_deg": "axis", "axis": "axis"}
"""Measurement (the verdict router's topic name) -> the fact-line kind that covers it."""


def measurement_kinds(question: str) -> list[str] | None:
    """``[kind]`` when ``question`` asks about one measurement (a number, its reference-range
    flag, or the axis: :func:`medts.agent.verdict.route`), else None."""
    from medts.agent.verdict import route

    topic = route(question)
    if topic.kind in ("number", "flag", "category") and topic.name in _KEY_KINDS:
        return [_KEY_KINDS[topic.name]]
    return None


def compact_json(result: Any) -> str:
    """``result`` as JSON without spaces and without null fields (what a tool message carries):
    the measurements result drops from ~8.2 to ~5 kB, and every character is prompt the server
    prefills before it can answer."""
    return json.dumps(_drop_nulls(result), separators=(",", ":"), ensure_ascii=False)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


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


HIDDEN_ARGS: dict[str, frozenset[str]] = {"classify": frozenset({"top_k"})}
"""Arguments the model is not shown (their defaults apply): tuning knobs no question needs."""

_RECORD_ARGS = frozenset({"record", "before", "after"})


def tool_schemas(toolbox: ToolBox) -> list[dict[str, Any]]:
    """The tools in OpenAI format, as short as the choices they leave the model: every native
    question sends them (the first tool round is most of its prompt), and small servers prefill
    every token on a CPU.

    - a record argument (``record``, ``before``, ``after``) is limited to the loaded records'
      names: servers that constrain tool arguments by their schema (llama-cpp-python, vLLM's
      guided decoding) then cannot produce a record that does not exist; with one record
      loaded ``record`` is left out (nothing to choose; the tool's default, ``current``, applies)
      and ``compare`` keeps its defaults;
    - :data:`HIDDEN_ARGS` are left out, and so are pydantic's ``title`` fields.

    Every tool stays listed (``compare`` with one record loaded answers that there is no
    earlier ECG)."""
    names = sorted(toolbox.workspace.records)
    out = []
    for name, (schema, description) in TOOL_SPECS.items():
        params = schema.model_json_schema()
        props: dict[str, Any] = {}
        for arg, prop in params.get("properties", {}).items():
            if arg in HIDDEN_ARGS.get(name, ()) or (arg == "record" and len(names) <= 1):
                continue
            prop = {k: v for k, v in prop.items() if k != "title"}
            if arg in _RECORD_ARGS and len(names) > 1:
                prop["enum"] = names
            props[arg] = prop
        parameters: dict[str, Any] = {"type": "object", "properties": props}
        required = [arg for arg in params.get("required", []) if arg in props]
        if required:
            parameters["required"] = required
        out.append({"type": "function",
                    "function": {"name": name, "description": description, "parameters": parameters}})
    return out


def _run(toolbox: ToolBox, call: dict[str, Any]) -> dict[str, Any]:
    """The tool's JSON result; a call the model wrote badly gets a reason, not a run."""
    if call["args"] is None:
        return {"tool": call["name"], "available": False,
                "reason": f"the arguments were not valid JSON; the tools are {', '.join(TOOL_SPECS)}"}
    return toolbox.run(call["name"], call["args"])
