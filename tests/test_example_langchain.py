"""``examples/langchain_agent.py`` runs: a LangChain agent calls medts' tools and answers from them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from medts.agent.tools import TOOL_SPECS, ToolBox, Workspace
from medts.config import PROJECT_ROOT
from medts.examples import simulate_example
from medts.io import read_record
from medts.io.aecg import write_aecg

EXAMPLE = Path(PROJECT_ROOT) / "examples" / "langchain_agent.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("langchain_agent_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_langchain_agent_example_answers_from_the_tools(tmp_path, capsys):
    example = _load_example()
    path = write_aecg(simulate_example("afib"), tmp_path / "afib.xml")  # any format medts reads
    assert example.main([str(path)]) == 0
    answer, called = capsys.readouterr().out.strip().splitlines()[-2:]
    expected = ToolBox(Workspace({"current": read_record(path)})).run("measurements")["qtc_bazett_ms"]["value"]
    assert f"QTc (Bazett) is {expected:g} ms" in answer and answer.endswith("draft for clinician review.")
    assert called == "tools called: measurements"


def test_langchain_tools_are_the_agent_tools():
    agent, box = _load_example().build_agent(str(Path(PROJECT_ROOT) / "medts" / "example_data" / "sinus.hea"))
    tools = box.langchain_tools()
    assert [t.name for t in tools] == list(TOOL_SPECS)
    assert all(t.args_schema is TOOL_SPECS[t.name][0] for t in tools)
    assert agent is not None


def test_langchain_agent_example_on_an_openai_compatible_server(capsys):
    """The same agent against a strict OpenAI-compatible server (the project's fake, which like
    llama-cpp-python rejects null content and calls tools only when tool_choice is sent)."""
    from agent_fake_server import FakeOpenAIServer

    script = [{"tool_calls": [("measurements", {"record": "current"})]}, "QTc is as the measurements tool says."]
    with FakeOpenAIServer(script) as server:
        assert _load_example().main(["--base-url", server.base_url, "--model", "fake-model"]) == 0
    answer, called = capsys.readouterr().out.strip().splitlines()[-2:]
    assert answer == "QTc is as the measurements tool says." and called == "tools called: measurements"
    tool_reply = next(m for m in server.requests[1]["messages"] if m["role"] == "tool")
    assert '"qtc_bazett_ms"' in tool_reply["content"]  # the model saw the tool's JSON
