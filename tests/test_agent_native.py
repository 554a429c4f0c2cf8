"""Native tool calling (medts.agent.native) against the strict fake server: explicit
tool_choice, tool-call messages strict servers accept, a forced answer when the model stalls,
streaming, history without notices; and the grounding of yes/no verdicts."""

from __future__ import annotations

import json
import threading
import time

from agent_fake_server import FakeOpenAIServer
from langchain_core.messages import AIMessage

from medts.agent import DRAFT_NOTICE
from medts.agent.backends import ScriptedChatModel, openai_chat_model
from medts.agent.grounding import Grounder
from medts.agent.native import NativeTurn, history_messages, stream_native
from medts.agent.tools import ToolBox, Workspace
from medts.examples import simulate_example


def _box() -> ToolBox:
    return ToolBox(Workspace({"current": simulate_example("sinus")}))


def _hr(body: dict) -> str:
    tool = next(json.loads(m["content"]) for m in reversed(body["messages"]) if m["role"] == "tool")
    return f"The heart rate is {tool['hr_bpm']['value']:.0f} bpm."


def test_tools_run_with_explicit_tool_choice_and_strict_messages():
    box = _box()
    script = [{"tool_calls": [("measurements", {"record": "current"})]}, _hr]
    with FakeOpenAIServer(script) as server:
        turn = NativeTurn()
        text = "".join(stream_native(openai_chat_model(server.base_url), box, "What is the heart rate?", turn=turn))
    hr = box.trace[0].result["hr_bpm"]["value"]
    assert text == f"The heart rate is {hr:.0f} bpm."
    assert [c.name for c in box.trace] == ["measurements"] and turn.steps == 2 and turn.forced_answer is None
    assert [r["tool_choice"] for r in server.requests] == ["auto", "auto"]
    call_msg = server.requests[1]["messages"][-2]
    assert call_msg["role"] == "assistant" and call_msg["content"] == ""
    tool_msg = server.requests[1]["messages"][-1]
    assert tool_msg["role"] == "tool"
    # compact JSON: no spaces after separators, no null fields (prompt the server must prefill)
    sent = json.loads(tool_msg["content"])
    assert tool_msg["content"] == json.dumps(sent, separators=(",", ":"), ensure_ascii=False)
    assert not _has_null(sent) and _has_null(box.trace[0].result)  # the full result (the trace) keeps them
    assert sent["hr_bpm"]["value"] == hr


def _has_null(value) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_null(v) for v in value.values())
    return isinstance(value, list) and any(v is None or _has_null(v) for v in value)


def _hr_from_facts(body: dict) -> str:
    user = body["messages"][-1]["content"]
    line = next(x for x in user.splitlines() if x.startswith("- heart rate:"))
    return f"The heart rate is {line.split(':')[1].strip()}."


def test_an_empty_reply_after_the_tools_gets_one_answer_request_without_tools():
    """llama-cpp-python (chatml-function-calling) sends nothing for a streamed request with tools
    and an empty message for a plain one after tools: tool requests stop streaming, and the answer
    is asked for (streamed) without tools."""
    box = _box()
    script = [{"tool_calls": [("measurements", {"record": "current"})]}, "", _hr_from_facts]
    with FakeOpenAIServer(script) as server:
        turn = NativeTurn()
        llm = openai_chat_model(server.base_url)
        text = "".join(stream_native(llm, box, "Heart rate?", turn=turn))
    assert text.startswith("The heart rate is") and turn.forced_answer == "empty reply"
    # tool rounds unstreamed (the server did not prove it streams tool calls), the answer streamed
    assert [bool(r.get("stream")) for r in server.requests] == [False, False, True]
    assert "tools" not in server.requests[2] and "tool_choice" not in server.requests[2]
    # the answer request is plain chat (some servers' templates drop tool-message content): the
    # system prompt first (a prompt-cache prefix), then the question with the grounded fact lines
    answer = server.requests[2]["messages"]
    assert [m["role"] for m in answer] == ["system", "user"] and answer[0] == server.requests[0]["messages"][0]
    hr = round(box.trace[0].result["hr_bpm"]["value"])
    assert f"- heart rate: {hr} bpm" in answer[1]["content"] and answer[1]["content"].rstrip().endswith("Heart rate?")
    assert text == f"The heart rate is {hr} bpm." and turn.answer_prompt_chars < 2000


def test_a_repeated_call_and_the_step_limit_end_the_tool_rounds():
    call = AIMessage("", tool_calls=[{"name": "glossary", "args": {"term": "LVH"}, "id": "a"}])
    box = _box()
    llm = ScriptedChatModel(script=[call, call, "LVH means left ventricular hypertrophy."])
    turn = NativeTurn()
    assert "".join(stream_native(llm, box, "LVH?", turn=turn)).startswith("LVH means")
    assert turn.forced_answer == "repeated tool call" and [c.name for c in box.trace] == ["glossary"]

    box = _box()
    calls = [AIMessage("", tool_calls=[{"name": "glossary", "args": {"term": t}, "id": t}]) for t in "ABCDEFGH"]
    llm = ScriptedChatModel(script=calls[:3], then="Done.")
    turn = NativeTurn()
    assert "".join(stream_native(llm, box, "?", turn=turn, max_steps=4)) == "Done."
    assert turn.steps == 4 and turn.forced_answer == "step limit (4)" and len(box.trace) == 3


def test_the_answer_streams_while_the_server_writes_it():
    box = _box()
    words = "Left ventricular hypertrophy is a thickened left ventricle wall seen as tall QRS voltages."
    script = [{"tool_calls": [("glossary", {"term": "LVH"})]}, {"text": words, "delay": 0.15}] * 2
    arrivals = []
    with FakeOpenAIServer(script) as server:
        turn = NativeTurn()
        llm = openai_chat_model(server.base_url)
        llm.stream_tools = True  # as the probe finds for vLLM, llama.cpp server, Ollama
        t0 = time.perf_counter()
        for _piece in stream_native(llm, box, "What is LVH?", turn=turn):
            arrivals.append(time.perf_counter() - t0)
        # a server not known to stream tool calls: the tool round's answer comes whole
        whole = list(stream_native(openai_chat_model(server.base_url), box, "What is LVH?", turn=NativeTurn()))
    assert len(arrivals) == len(words.split())
    assert arrivals[-1] - arrivals[0] > 1.0  # pieces came one by one, not as one reply at the end
    assert turn.first_token is not None and turn.first_token - turn.t_tools < 1.0
    assert whole == [words] and [r.get("stream", False) for r in server.requests] == [True, True, False, False]


def test_history_is_sent_without_the_draft_notice():
    msgs = history_messages([("Rate?", f"The heart rate is 70 bpm.\n\n{DRAFT_NOTICE}")])
    assert [m.type for m in msgs] == ["human", "ai"] and msgs[1].content == "The heart rate is 70 bpm."
    assert all(DRAFT_NOTICE not in str(m.content) for m in msgs)


def test_yes_no_verdicts_are_claims_and_html_escapes_are_text():
    box = _box()
    m = box.run("measurements", {"record": "current"})
    hr = round(m["hr_bpm"]["value"])
    g = Grounder.from_trace(box.trace, "Is there a block?")
    assert g.sentence("Yes, there is a block.") == ""  # nothing supports the verdict
    assert [c.kind for c in g.claims] == ["verdict"] and not g.claims[0].grounded
    g = Grounder.from_trace(box.trace, "Does this patient have a heart problem?")
    assert g.sentence("No, everything looks fine.") == ""
    g = Grounder.from_trace(box.trace, "Is the heart rate normal?")
    assert g.sentence(f"Yes, the heart rate is {hr} bpm.") == f"Yes, the heart rate is {hr} bpm [measurements.hr_bpm]."
    g = Grounder.from_trace(box.trace, "QRS?")
    assert g.sentence("The patient&#39;s QRS looks narrow.").startswith("The patient's QRS looks narrow")
    assert all(c.value != 39 for c in g.claims)


def test_a_server_killed_mid_answer_keeps_the_streamed_part():
    from medts.agent.backends import BackendError

    box = _box()
    script = [{"tool_calls": [("glossary", {"term": "LVH"})]}, "", {"die_after": "LVH means left ventricular hypertrophy. It"}]
    got, errors = [], []
    with FakeOpenAIServer(script) as server:

        def run() -> None:
            try:
                got.extend(stream_native(openai_chat_model(server.base_url), box, "LVH?", turn=NativeTurn()))
            except BackendError as error:
                errors.append(str(error))

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(10)
    assert "".join(got).startswith("LVH means left ventricular hypertrophy.")
    assert len(errors) == 1 and "closed mid-answer" in errors[0] and server.base_url in errors[0]


def test_tool_schemas_leave_out_what_the_model_cannot_choose():
    from medts.agent.native import tool_schemas
    from medts.agent.tools import TOOL_SPECS

    one = {t["function"]["name"]: t["function"]["parameters"] for t in tool_schemas(_box())}
    assert list(one) == list(TOOL_SPECS)  # every tool stays listed
    assert one["measurements"]["properties"] == {} and "record" not in one["classify"]["properties"]
    assert "top_k" not in one["classify"]["properties"] and one["classify"]["properties"]["level"]["enum"][0] == "all"
    assert one["glossary"]["required"] == ["term"] and one["explain"]["required"] == ["code"]
    text = json.dumps(one)
    assert '"title"' not in text and "'" not in text and '\\"' not in text  # quotes cost HTML escapes in templates
    two = ToolBox(Workspace({"current": simulate_example("sinus"), "previous": simulate_example("sinus")}))
    both = {t["function"]["name"]: t["function"]["parameters"] for t in tool_schemas(two)}
    assert both["measurements"]["properties"]["record"]["enum"] == ["current", "previous"]
    assert both["compare"]["properties"]["before"]["enum"] == ["current", "previous"]
    # a call without the left-out argument runs on the default record
    assert _box().run("measurements", {})["record"] == "current"


def test_the_answer_request_carries_only_the_facts_the_question_needs():
    from medts.agent.native import answer_facts
    from medts.agent.planner import plan

    box = _box()
    for call in plan("Is the QRS duration normal?", has_previous=False):  # the diagnosis tools too ("normal")
        box.run(call.name, call.args)
    qrs = round(box.trace[1].result["qrs_ms"]["value"])
    facts = answer_facts("Is the QRS duration normal?", box.trace)
    assert len(facts) == 1 and facts[0].startswith(f"QRS duration: {qrs} ms")
    rate = answer_facts("What is the heart rate?", box.trace)
    assert rate[0].startswith("heart rate:") and not any("QRS" in f or "classifier" in f for f in rate)
    # a question about a finding keeps the rhythm and classifier evidence
    af = answer_facts("Is there atrial fibrillation?", box.trace)
    assert any(f.startswith("rhythm:") for f in af) and any("AFIB" in f for f in af)


def test_history_drops_the_partial_mark():
    from medts.agent.native import PARTIAL_MARK

    msgs = history_messages([("Rate?", f"The heart rate is 70 bpm.\n\n{PARTIAL_MARK}\n\n{DRAFT_NOTICE}")])
    assert msgs[1].content == "The heart rate is 70 bpm."
