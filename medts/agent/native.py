"""Native tool calling: a LangChain agent loop (``langchain.agents.create_agent``, a LangGraph
graph) for models that call tools themselves (served models via the OpenAI-compatible backend).

The tools are :meth:`medts.agent.tools.ToolBox.langchain_tools`, so every call lands in the
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
>>> run_native(llm, box, "What is AFIB?").content
'AFIB means atrial fibrillation.'
>>> [c.name for c in box.trace]
['glossary']
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from medts.agent.tools import ToolBox

MAX_STEPS = 8
"""Model calls per question (each tool round counts one); the loop stops after this many."""


def build_agent(llm: BaseChatModel, toolbox: ToolBox, system_prompt: str):
    """The compiled LangGraph agent over ``toolbox``'s tools."""
    from langchain.agents import create_agent

    return create_agent(llm, toolbox.langchain_tools(), system_prompt=system_prompt)


def run_native(llm: BaseChatModel, toolbox: ToolBox, question: str, *,
               history: Sequence[BaseMessage] = (), system_prompt: str | None = None,
               max_steps: int = MAX_STEPS) -> AIMessage:
    """Run the tool-calling loop for ``question``; the final AI message (no tool calls)."""
    if system_prompt is None:
        from medts.agent.planner import load_prompt

        system_prompt = load_prompt("system")["text"].strip()
    agent = build_agent(llm, toolbox, system_prompt)
    messages = [*history, HumanMessage(question)]
    state = agent.invoke({"messages": messages}, config={"recursion_limit": 2 * max_steps + 1})
    final = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage) and not m.tool_calls), None)
    if final is None:
        return AIMessage(content="")
    return final
