"""Tests of medts.ui.chat: the chat panel's bridge to the agent (streaming, tool trace, sessions,
multi-turn, compare, backends from Settings, one load of the local weights)."""

from __future__ import annotations

import re
import threading
import time

import pytest

pytest.importorskip("medts.agent.session")

from agent_fake_server import FakeOpenAIServer  # tests/ helper (on sys.path under pytest)

from medts.agent.backends import ScriptedChatModel
from medts.config import smollm2_installed
from medts.simulate import simulate_12lead
from medts.ui import chat as chat_bridge
from medts.ui.state import ChatSettings, SessionState

TEXT = "Here is what the measurements show for this record."


@pytest.fixture
def slow_model(monkeypatch):
    """A scripted model that takes 0.8 s before it writes, as a small local LLM would."""

    def slow(_messages):
        time.sleep(0.8)
        return TEXT

    monkeypatch.setattr(chat_bridge, "CHAT_MODEL_FACTORY",
                        lambda _settings: ScriptedChatModel(script=[slow] * 10, supports_tools=False))


def _state(hr_bpm: float, record_id: str) -> SessionState:
    state = SessionState.new()
    state.set_record(simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=hr_bpm, seed=3, record_id=record_id), record_id)
    return state


def _cited_hr(text: str) -> int:
    hr = re.search(r"(\d+) bpm[^\[]*\[[^\]]*\bmeasurements\.hr_bpm\b[^\]]*\]", text)
    assert hr, text
    return int(hr.group(1))


def test_tool_trace_and_token_progress_stream_before_the_answer_and_it_cites_the_value(slow_model) -> None:
    state = _state(75.0, "hr75")
    updates = list(chat_bridge.stream_reply(state, "What is the heart rate?"))
    first = updates[0]
    # the tool trace, with the measurements, came with the first update, before the model wrote a word
    assert first.phase == "tools" and first.tokens == 0
    assert "measurements" in {c["name"] for c in first.calls}
    final = updates[-1]
    assert final.phase == "done" and [u.phase for u in updates].count("done") == 1
    assert final.tokens == len(TEXT.split(" "))  # every streamed token was counted
    assert all(u.phase != "model" for u in updates)  # a scripted model needs no local weights
    assert 72 <= _cited_hr(final.text) <= 78
    message = chat_bridge.tool_trace_message(final.calls)
    assert message["metadata"]["title"].startswith(f"Tools called ({len(final.calls)})")
    assert '"hr_bpm"' in message["content"]
    state.cleanup()


def test_multi_turn_keeps_one_session_and_follows_up(slow_model) -> None:
    state = _state(70.0, "hr70")
    first = list(chat_bridge.stream_reply(state, "What is the heart rate?"))[-1]
    session = state.chat
    second = list(chat_bridge.stream_reply(state, "And the QRS duration?"))[-1]
    third = list(chat_bridge.stream_reply(state, "Can you repeat that?"))[-1]  # no topic: the last one's
    assert state.chat is session and len(session.history) == 3
    qrs = re.compile(r"QRS duration(?::| is) (\d+) ms[^\[]*\[[^\]]*measurements\.qrs_ms")
    assert 66 <= _cited_hr(first.text) <= 74 and "qrs_ms" not in first.text
    assert qrs.search(second.text) and qrs.search(third.text), third.text
    assert qrs.search(second.text).group(1) == qrs.search(third.text).group(1)
    # each answer's tool trace holds only that turn's calls
    assert {c["name"] for c in third.calls} <= {"record_summary", "measurements"}
    state.cleanup()


def test_compare_with_another_ecg_uses_both_records(slow_model) -> None:
    state = _state(60.0, "now60")
    state.compare_ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=100.0, seed=8, record_id="then100")
    chat_bridge.set_compare(state)
    final = list(chat_bridge.stream_reply(state, "Compare with the previous ECG: what changed?"))[-1]
    names = [c["name"] for c in final.calls]
    assert "compare" in names
    compare = next(c for c in final.calls if c["name"] == "compare")["result"]
    hr = compare["measurements"]["hr_bpm"]
    assert 95 <= hr["before"] <= 105 and 55 <= hr["after"] <= 65  # the compared record is "before"
    rates = {int(x) for x in re.findall(r"(\d+) bpm", final.text)}
    assert any(55 <= r <= 65 for r in rates) and any(95 <= r <= 105 for r in rates), final.text
    state.cleanup()


def test_sessions_are_per_record_and_share_one_classifier_bank(slow_model) -> None:
    a, b = _state(60.0, "a60"), _state(100.0, "b100")
    chat_bridge.prepare(a)
    chat_bridge.prepare(b)
    assert a.chat is not b.chat
    assert a.chat.toolbox.classifiers is b.chat.toolbox.classifiers is chat_bridge.shared_classifiers()
    assert a.chat.toolbox.workspace.get("current") is a.ecg and b.chat.toolbox.workspace.get("current") is b.ecg
    a.cleanup(), b.cleanup()


def test_openai_compatible_url_from_settings_streams_through_the_server() -> None:
    """Settings -> backend "openai": the real ChatOpenAI client against a local fake server."""
    state = _state(80.0, "hr80")
    with FakeOpenAIServer(["Here is the heart rate of this record."]) as server:
        state.settings = ChatSettings(backend="openai", base_url=server.base_url, model_name="fake-model", mode="plan")
        loaded_before = chat_bridge.local_model_loaded(state.settings)
        updates = list(chat_bridge.stream_reply(state, "What is the heart rate?"))
    assert server.requests[0]["model"] == "fake-model" and server.requests[0]["stream"] is True
    # the only local weights: the packaged SmolLM2 of the learned refusal check, loaded once per process
    assert any(u.phase == "model" for u in updates) == (smollm2_installed() and not loaded_before)
    assert chat_bridge.local_model_loaded(state.settings)
    assert updates[-1].tokens >= 7  # the SSE words were counted as they arrived
    assert 76 <= _cited_hr(updates[-1].text) <= 84
    state.cleanup()


def test_local_weights_load_once_for_concurrent_callers(monkeypatch) -> None:
    from medts.agent import backends

    calls, primed = [], []

    def slow_load(source, dtype):
        calls.append((source, dtype))
        time.sleep(0.3)
        return object(), object()

    # A fresh lock and registry, and a folder no background warm-up of another test touches.
    monkeypatch.setattr(backends, "load_local", slow_load)
    monkeypatch.setattr(chat_bridge, "prime_local_model", primed.append)
    monkeypatch.setattr(chat_bridge, "_WARM_LOCK", threading.Lock())
    monkeypatch.setattr(chat_bridge, "_LOADED", set())
    folder = ChatSettings(backend="hf", model_path="/models/test-only")
    assert not chat_bridge.local_model_loaded(folder)
    threads = [threading.Thread(target=chat_bridge.ensure_local_model, args=(folder,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [("/models/test-only", chat_bridge.LOCAL_DTYPE)] and chat_bridge.local_model_loaded(folder)
    assert len(primed) == 1  # the prompt prefix is computed once, with the load
    assert not chat_bridge.local_model_loaded(ChatSettings(backend="hf", model_path="/models/other"))
    # a served model needs the packaged SmolLM2 only for the learned refusal check (not loaded in this fresh registry)
    served = ChatSettings(backend="openai", base_url="http://x")
    assert chat_bridge.local_model_loaded(served) == (not smollm2_installed())


def test_server_loads_the_llm_only_after_the_first_record_is_shown(monkeypatch) -> None:
    import medts.ui.analysis as an
    from medts.ui import server

    done = threading.Event()
    monkeypatch.setattr(an, "quick_sections", lambda ecg: None)
    monkeypatch.setattr(an, "report_builder", lambda: None)
    monkeypatch.setattr(chat_bridge, "shared_classifiers", lambda: None)
    monkeypatch.setattr(chat_bridge, "warm_local_model", done.set)
    was_set = chat_bridge.RECORD_SHOWN.is_set()
    chat_bridge.RECORD_SHOWN.clear()
    try:
        thread = server.warm_up(llm_delay_s=30.0)
        assert not done.wait(0.5)  # NeuroKit2 and the classifiers first; the LLM waits for a record
        chat_bridge.RECORD_SHOWN.set()
        assert done.wait(5.0)
        thread.join(5.0)
        chat_bridge.RECORD_SHOWN.clear()
        assert server.warm_up(llm_delay_s=0.2).join(5.0) is None and done.is_set()  # or the delay passes
    finally:
        if was_set:
            chat_bridge.RECORD_SHOWN.set()


def test_local_model_settings_are_the_fast_ones() -> None:
    model = chat_bridge.default_chat_model(ChatSettings())
    assert model.dtype == "auto" and model.max_new_tokens <= 48 and model.source == "smollm2"
    hf = chat_bridge.default_chat_model(ChatSettings(backend="hf", model_path="/models/x"))
    assert hf.source == "/models/x"


@pytest.mark.slow
def test_first_question_during_the_background_load_waits_and_answers_with_smollm2() -> None:
    """The real local model: a question asked while the weights load in the background waits
    for them (the chat says so) and is answered; a second session reuses the same weights."""
    from medts.agent.backends import load_local

    if chat_bridge.local_model_loaded():
        pytest.skip("the local model is already loaded in this process")
    loader = threading.Thread(target=chat_bridge.warm_local_model)
    loader.start()
    time.sleep(0.2)
    a, b = _state(72.0, "a72"), _state(90.0, "b90")
    updates = list(chat_bridge.stream_reply(a, "What is the heart rate?"))
    loader.join()
    assert updates[0].phase == "model" and updates[-1].phase == "done"
    assert 68 <= _cited_hr(updates[-1].text) <= 76 and updates[-1].tokens > 0
    n_loaded = load_local.cache_info().currsize
    final_b = list(chat_bridge.stream_reply(b, "What is the heart rate?"))[-1]
    assert load_local.cache_info().currsize == n_loaded  # no second copy of the weights
    assert 86 <= _cited_hr(final_b.text) <= 94
    a.cleanup(), b.cleanup()


def test_tool_trace_is_one_readable_line_per_call_each_expandable_to_its_json() -> None:
    calls = [{"name": "measurements", "args": {"record": "current"}, "seconds": 0.12,
              "result": {"tool": "measurements", "available": True, "hr_bpm": {"value": 72.31, "unit": "bpm"},
                         "qrs_ms": {"value": 96.0}, "rhythm": "sinus rhythm", "beats": [1, 2, 3],
                         "present": ["SR"], "pr_ms": {"value": 150.0}}},
             {"name": "classify", "args": {"record": "previous", "level": "all"}, "seconds": 1.5,
              "result": {"available": False, "reason": "no classifier adapter shipped"}}]
    assert chat_bridge.call_line(calls[0]) == \
        "measurements() (0.12 s): hr_bpm 72.3; qrs_ms 96; rhythm sinus rhythm; present SR"
    assert chat_bridge.call_line(calls[1]) == \
        "classify(record=previous) (1.50 s): unavailable: no classifier adapter shipped"
    message = chat_bridge.tool_trace_message(calls)
    content = message["content"]
    assert content.count("<details") == 2 and content.count("<summary>") == 2
    assert content.index("hr_bpm 72.3") < content.index('"hr_bpm"')  # the line first, the JSON inside
    assert "{" not in content.split("<summary>")[1].split("</summary>")[0]  # no JSON on the line
    assert chat_bridge.tool_trace_message([]) is None
