"""``medts chat`` end to end over HTTP: a written WFDB record, the OpenAI-compatible backend
(a local server started here), native tool calling, JSON output and streamed text."""

from __future__ import annotations

import json

import numpy as np
import wfdb
from agent_fake_server import FakeOpenAIServer
from typer.testing import CliRunner

from medts.cli import app
from medts.examples import simulate_example


def _write(tmp_path):
    ecg = simulate_example("sinus")
    wfdb.wrsamp("rec", fs=ecg.fs, units=["mV"] * ecg.n_leads, sig_name=list(ecg.leads),
                p_signal=ecg.signal.astype(np.float64), fmt=["16"] * ecg.n_leads, adc_gain=[1000.0] * ecg.n_leads,
                baseline=[0] * ecg.n_leads, comments=["Age: 54", "Sex: F"], write_dir=str(tmp_path))
    return tmp_path / "rec.hea"


def test_chat_one_shot_json_over_http(tmp_path):
    def answer(body):
        m = json.loads([x for x in body["messages"] if x["role"] == "tool"][-1]["content"])
        return f"The heart rate is {m['hr_bpm']['value']:.0f} bpm."

    script = [{"tool_calls": [("measurements", {"record": "current"})]}, answer]
    with FakeOpenAIServer(script) as server:
        result = CliRunner().invoke(app, ["chat", str(_write(tmp_path)), "--backend", "openai", "--base-url",
                                          server.base_url, "--mode", "native", "-q", "What is the heart rate?", "--json"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)
    assert len(answers) == 1 and answers[0]["mode"] == "native"
    assert answers[0]["n_ungrounded"] == 0 and "measurements.hr_bpm" in answers[0]["citations"]
    assert answers[0]["text"].endswith("not a diagnosis.")


def test_chat_streams_plain_text_and_reports_bad_input(tmp_path, capsys):
    with FakeOpenAIServer([{"tool_calls": [("glossary", {"term": "LVH"})]},
                           "LVH means left ventricular hypertrophy."]) as server:
        result = CliRunner().invoke(app, ["chat", str(_write(tmp_path)), "--backend", "openai", "--base-url",
                                          server.base_url, "--mode", "native", "-q", "What does LVH mean?"])
    assert result.exit_code == 0, result.output
    assert "LVH means left ventricular hypertrophy [glossary.entries]." in result.stdout
    from medts.cli import main

    code = main(["chat", str(tmp_path / "nope.hea"), "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "-q", "hi"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "nope.hea" in err and "Traceback" not in err


def test_chat_says_once_when_the_server_is_slow_to_answer(tmp_path, monkeypatch):
    from medts.agent import backends

    monkeypatch.setattr(backends, "SLOW_FIRST_TOKEN_S", 0.2)  # the real limit is 5 s: keep the test short
    words = "LVH means left ventricular hypertrophy."
    slow = [{"tool_calls": [("glossary", {"term": "LVH"})]}, "", {"text": words, "delay": 0.4}]
    fast = [{"tool_calls": [("glossary", {"term": "LVH"})]}, words]
    with FakeOpenAIServer(slow * 2) as server:
        result = CliRunner().invoke(app, ["chat", str(_write(tmp_path)), "--backend", "openai", "--base-url",
                                          server.base_url, "--mode", "native", "-q", "What does LVH mean?",
                                          "-q", "What does LVH mean?"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and server.base_url in notes[0] and "OMP_WAIT_POLICY=PASSIVE" in notes[0]
    with FakeOpenAIServer(fast) as server:
        result = CliRunner().invoke(app, ["chat", str(_write(tmp_path)), "--backend", "openai", "--base-url",
                                          server.base_url, "--mode", "native", "-q", "What does LVH mean?"])
    assert result.exit_code == 0 and "note: " not in result.stderr
