"""medts' ECG tools inside your own LangChain agent.

``ToolBox(...).langchain_tools()`` gives medts' agent tools (record_summary, measurements,
delineation, classify, explain, anomalies, glossary, compare, ...) as LangChain
``StructuredTool`` objects with pydantic argument schemas; any tool-calling agent can use them.

Run it::

    # any OpenAI-compatible server with a tool-calling model (vLLM, llama.cpp server, Ollama):
    python examples/langchain_agent.py ECG_FILE --base-url http://127.0.0.1:8000/v1 --model NAME

    # offline, no model: a scripted stand-in plays the model's part (calls measurements, then answers)
    python examples/langchain_agent.py

Every answer is a draft for clinician review: the numbers come from the tools.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from medts.agent.tools import ToolBox, Workspace
from medts.examples import example_path
from medts.io import read_record

SYSTEM_PROMPT = ("You interpret ECGs with the tools given. Use only numbers the tools return, name the tool, "
                 "and end with: draft for clinician review.")


class ScriptedModel(GenericFakeChatModel):
    """Stand-in for a tool-calling chat model so the example runs offline: it asks for the
    ``measurements`` tool, then answers with the QTc that the tool returned."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        tool_results = [m for m in messages if m.type == "tool"]
        if not tool_results:
            reply = AIMessage(content="", tool_calls=[{"name": "measurements", "args": {"record": "current"},
                                                       "id": "call-1", "type": "tool_call"}])
        else:
            result = json.loads(tool_results[-1].content)
            qtc = result["qtc_bazett_ms"]["value"]
            reply = AIMessage(content=f"QTc (Bazett) is {qtc:g} ms according to the measurements tool "
                                      f"(flag: {result['flags'].get('qtc_bazett_ms', 'unflagged')}); "
                                      "draft for clinician review.")
        return ChatResult(generations=[ChatGeneration(message=reply)])


def build_agent(ecg_path: str, base_url: str | None = None, model: str | None = None):
    """A LangChain agent over medts' tools for the ECG in ``ecg_path`` (and the ToolBox behind it)."""
    box = ToolBox(Workspace({"current": read_record(ecg_path)}))
    if base_url:
        from medts.agent.backends import openai_chat_model

        # medts' ChatOpenAI speaks what every OpenAI-compatible server accepts (vLLM, llama.cpp, Ollama,
        # llama-cpp-python); tool_choice "auto" is said explicitly because some servers never call a
        # tool without it.
        chat = openai_chat_model(base_url, model, check=True)
        chat.model_kwargs = {**chat.model_kwargs, "tool_choice": "auto"}
    else:
        chat = ScriptedModel(messages=iter(()))
    return create_agent(chat, box.langchain_tools(), system_prompt=SYSTEM_PROMPT), box


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ecg", nargs="?", default=str(example_path("sinus")), help="ECG file (default: bundled example)")
    parser.add_argument("--question", default="What is the QTc?")
    parser.add_argument("--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", help="model name on that server")
    args = parser.parse_args(argv)
    agent, box = build_agent(args.ecg, args.base_url, args.model)
    state = agent.invoke({"messages": [{"role": "user", "content": args.question}]})
    print(state["messages"][-1].content)
    print("tools called:", ", ".join(call.name for call in box.trace))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
