"""Tests of medts.ui.chat: the chat panel's bridge to the agent (streaming, tool trace, sessions)."""

from __future__ import annotations

import re
import time

import pytest

pytest.importorskip("medts.agent.session")

from medts.agent.backends import ScriptedChatModel
from medts.simulate import simulate_12lead
from medts.ui import chat as chat_bridge
from medts.ui.state import SessionState


@pytest.fixture
def slow_model(monkeypatch):
    """A scripted model that takes 0.8 s to answer, as a small local LLM would."""

    def slow(_messages):
        time.sleep(0.8)
        return "Here is what the measurements show for this record."

    monkeypatch.setattr(chat_bridge, "CHAT_MODEL_FACTORY",
                        lambda _settings: ScriptedChatModel(script=[slow] * 10, supports_tools=False))


def _state(hr_bpm: float, record_id: str) -> SessionState:
    state = SessionState.new()
    state.set_record(simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=hr_bpm, seed=3, record_id=record_id), record_id)
    return state


def test_tool_trace_streams_before_the_answer_and_the_answer_cites_the_value(slow_model) -> None:
    state = _state(75.0, "hr75")
    updates = list(chat_bridge.stream_reply(state, "What is the heart rate?"))
    first_trace = next(i for i, (_, calls) in enumerate(updates) if calls)
    assert updates[first_trace][0] == ""  # the tool trace came while the model was still writing
    assert "measurements" in {c["name"] for c in updates[first_trace][1]}
    text, calls = updates[-1]
    hr = re.search(r"(\d+) bpm \[measurements\.hr_bpm\]", text)
    assert hr and 72 <= int(hr.group(1)) <= 78, text
    message = chat_bridge.tool_trace_message(calls)
    assert message["metadata"]["title"].startswith(f"Tools called ({len(calls)})")
    assert '"hr_bpm"' in message["content"]
    state.cleanup()


def test_sessions_are_per_record_and_share_one_classifier_bank(slow_model) -> None:
    a, b = _state(60.0, "a60"), _state(100.0, "b100")
    chat_bridge.prepare(a)
    chat_bridge.prepare(b)
    assert a.chat is not b.chat
    assert a.chat.toolbox.classifiers is b.chat.toolbox.classifiers is chat_bridge.shared_classifiers()
    assert a.chat.toolbox.workspace.get("current") is a.ecg and b.chat.toolbox.workspace.get("current") is b.ecg
    a.cleanup(), b.cleanup()


def test_local_model_settings_are_the_fast_ones() -> None:
    from medts.ui.state import ChatSettings

    model = chat_bridge.default_chat_model(ChatSettings())
    assert model.dtype == "auto" and model.max_new_tokens <= 48 and model.source == "smollm2"
