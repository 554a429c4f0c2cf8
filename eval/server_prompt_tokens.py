"""Prompt tokens of a native question's requests as llama-cpp-python's server sees them: its
``chatml-function-calling`` chat handler renders the messages and tool schemas medts sends (the
real handler, with a stand-in model that records the prompt instead of running it), and the
packaged SmolLM2 GGUF's tokenizer counts them (``vocab_only``: no weights loaded).

    HF_HUB_OFFLINE=1 .venv/bin/python eval/server_prompt_tokens.py [--write]

Counts: the first tool round (system prompt + tool schemas + question), and the answer request
without tools for two questions (system prompt + fact lines + question). ``--write`` stores them
in eval/results/server_latency.json under ``prompt_tokens``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, "tests")

QUESTIONS = ["What is the heart rate?", "Is the QRS duration normal?"]


class _Captured(Exception):
    def __init__(self, prompt: str):
        super().__init__("captured")
        self.prompt = prompt


class _StandIn:
    """What the chat handler needs of ``llama_cpp.Llama``: it records the prompt and stops."""

    verbose = False

    def create_completion(self, prompt: str, **kwargs):
        raise _Captured(prompt)


def rendered(messages: list, tools: list | None) -> str:
    """The prompt text llama-cpp-python's ``chatml-function-calling`` handler builds."""
    from langchain_openai.chat_models.base import _convert_message_to_dict
    from llama_cpp.llama_chat_format import chatml_function_calling

    wire = [_convert_message_to_dict(m) for m in messages]
    try:
        chatml_function_calling(_StandIn(), wire, tools=tools, tool_choice="auto" if tools else None)
    except _Captured as c:
        return c.prompt
    raise RuntimeError("the chat handler did not build a prompt")


def main() -> None:
    from langchain_core.messages import HumanMessage, SystemMessage
    from llama_cpp import Llama
    from test_agent_server import _gguf

    from medts.agent.native import answer_messages, tool_schemas
    from medts.agent.planner import load_prompt, plan
    from medts.agent.tools import ToolBox, Workspace
    from medts.examples import simulate_example

    vocab = Llama(model_path=str(_gguf()), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=True))

    box = ToolBox(Workspace({"current": simulate_example("sinus")}))
    system = load_prompt("system")["text"].strip()
    tools = tool_schemas(box)
    first = rendered([SystemMessage(system), HumanMessage(QUESTIONS[0])], tools)
    out = {"system_prompt_tokens": count(rendered([SystemMessage(system)], None)),
           "tool_round_tokens": count(first), "tool_schema_chars": len(json.dumps(tools)),
           "system_prompt_version": load_prompt("system")["version"], "answer_request": {}}
    for q in QUESTIONS:
        start = len(box.trace)
        for call in plan(q, has_previous=False):
            box.run(call.name, call.args)
        prompt = rendered(answer_messages(system, [], q, box.trace[start:]), None)
        out["answer_request"][q] = {"tokens": count(prompt), "prompt": prompt}
    print(json.dumps(out, indent=1))
    if "--write" in sys.argv:
        path = Path("eval/results/server_latency.json")
        rec = json.loads(path.read_text()) if path.is_file() else {}
        rec.setdefault("prompt_tokens", {})[time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())] = out
        path.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
