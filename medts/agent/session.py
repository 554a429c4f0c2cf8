"""A conversation about one or two ECGs: mode choice, tools, composing, grounding, safety.

:class:`ChatSession` keeps the loaded records (``current``; loading another moves the first to
``previous``, so "compare with the previous ECG" works), the conversation history and the tool
cache. Each question:

1. abstains when ``record_summary`` grades the signal quality ``poor`` (unless the question is
   about quality);
2. runs the tools: chosen by rules (``plan`` mode) or by the model (``native`` mode);
3. composes the answer (plan mode: the LLM phrases fact lines copied from the tool JSON);
4. grounds it sentence by sentence while streaming (:class:`medts.agent.grounding.Grounder`):
   unsupported sentences are removed (or flagged), supported ones get citations;
5. appends the key tool facts the text left out (plan mode) and the draft notice.

Header comments and other file metadata reach the tools' JSON only under ``untrusted`` keys,
are never put in the compose prompt, and never count as evidence.

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.agent.backends import ScriptedChatModel
>>> s = ChatSession(ScriptedChatModel(script=["The heart rate is 68 bpm."], supports_tools=False))
>>> _ = s.load(simulate_example("sinus"))
>>> answer = s.ask("What is the heart rate?")
>>> answer.mode, answer.n_ungrounded, answer.text.endswith("not a diagnosis.")
('plan', 0, True)
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from medts.agent import DRAFT_NOTICE
from medts.agent.backends import supports_tool_calling
from medts.agent.grounding import Claim, Grounder
from medts.agent.planner import (
    _PREVIOUS, compose_messages, fact_lines, intents, load_prompt, plan, render,
)
from medts.agent.tools import ToolBox, Workspace
from medts.record import ECG


class AgentConfig(BaseModel):
    """How the agent answers. ``mode``: ``auto`` picks ``native`` for tool-calling models."""

    mode: Literal["auto", "native", "plan"] = "auto"
    grounding: Literal["remove", "flag"] = "remove"
    show_facts: Literal["always", "missing", "never"] = "missing"
    claimless: Literal["keep", "drop"] = Field(
        "drop", description="plan mode: model sentences without any number or statement (filler) are dropped")
    history_turns: int = Field(3, ge=0, description="previous turns given to the model (native mode)")


class AgentAnswer(BaseModel):
    """One answer, JSON-ready (``medts chat --json``)."""

    schema_version: int = 1
    question: str
    text: str
    llm_text: str = Field(description="what the LLM wrote, before grounding")
    notice: str = DRAFT_NOTICE
    mode: str
    record: str | None
    abstained: bool = False
    tools: list[dict[str, Any]]
    claims: list[Claim]
    n_claims: int
    n_ungrounded: int
    removed: list[str]
    cut: str = Field("", description="unfinished last sentence dropped (the model hit its token limit)")
    claimless: list[str] = Field(default_factory=list, description="model sentences dropped for stating nothing checkable")
    citations: list[str]
    facts: list[str]
    latency_s: dict[str, float | None]
    prompt_versions: dict[str, int]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[-])|\n+")


class ChatSession:
    """Multi-turn chat about loaded ECGs (see the module docstring)."""

    def __init__(self, llm: BaseChatModel, config: AgentConfig | None = None, toolbox: ToolBox | None = None):
        self.llm = llm
        self.config = config or AgentConfig()
        self.toolbox = toolbox or ToolBox(Workspace())
        self.history: list[tuple[str, str, list[str]]] = []  # (question, answer text, intents)
        self.last: AgentAnswer | None = None
        self._cut = ""
        self._cpu_tools = 0.0

    @classmethod
    def with_local_model(cls, source: str = "smollm2", *, dtype: str = "auto", max_new_tokens: int = 48,
                         config: AgentConfig | None = None) -> ChatSession:
        from medts.agent.backends import LocalChatModel

        return cls(LocalChatModel(source=source, dtype=dtype, max_new_tokens=max_new_tokens), config)

    # -- records -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        if self.config.mode != "auto":
            return self.config.mode
        return "native" if supports_tool_calling(self.llm) else "plan"

    def load(self, source: ECG | str | Path, *, name: str | None = None) -> dict[str, Any]:
        """Load an ECG (a record or a path). Without ``name`` it becomes ``current`` and the former
        current becomes ``previous``. Returns its record summary."""
        ecg = source if isinstance(source, ECG) else _read(source)
        records = self.toolbox.workspace.records
        if name is None:
            if "current" in records:
                records["previous"] = records["current"]
            name = "current"
        records[name] = ecg
        return self.toolbox.run("record_summary", {"record": name})

    def switch(self) -> None:
        """Swap ``current`` and ``previous``."""
        r = self.toolbox.workspace.records
        if "previous" not in r:
            raise KeyError("no previous ECG loaded")
        r["current"], r["previous"] = r["previous"], r["current"]

    # -- answering -------------------------------------------------------------------------------
    def ask(self, question: str) -> AgentAnswer:
        for _ in self.stream(question):
            pass
        assert self.last is not None
        return self.last

    def stream(self, question: str) -> Iterator[str]:
        """Yield the answer in grounded pieces (sentence by sentence); ``self.last`` holds the result."""
        t0 = time.perf_counter()
        start = len(self.toolbox.trace)
        self._cut = ""
        kinds = intents(question)
        if not kinds and self.history:  # a follow-up such as "and for the previous one?"
            kinds = self.history[-1][2]
        record = "previous" if _PREVIOUS.search(question) and "compare" not in kinds \
            and "previous" in self.toolbox.workspace.records else "current"
        summary = self.toolbox.run("record_summary", {"record": record})
        quality = summary.get("quality") or {}
        if quality.get("abstain") and "quality" not in kinds:
            yield from self._abstain(question, record, summary, start, t0)
            return
        if self.mode == "native":
            yield from self._native(question, record, start, t0)
        else:
            yield from self._plan(question, kinds, record, start, t0)

    def _abstain(self, question: str, record: str, summary: dict[str, Any], start: int, t0: float) -> Iterator[str]:
        q = summary["quality"]
        reason = f"{q.get('n_usable_leads')} of {q.get('n_leads')} leads usable, {q.get('n_beats')} beats detected"
        text = render(load_prompt("compose")["abstain"], reason=reason).strip()
        yield text
        yield "\n\n" + DRAFT_NOTICE
        self._finish(question, text + "\n\n" + DRAFT_NOTICE, text, "abstain", record, start, t0, None, None,
                     Grounder.from_trace([], question), [], abstained=True)

    def _plan(self, question: str, kinds: list[str], record: str, start: int, t0: float) -> Iterator[str]:
        calls = plan(question, has_previous="previous" in self.toolbox.workspace.records,
                     found=kinds or None, record=record)
        results = []
        for call in calls:
            args = dict(call.args)
            if call.name == "record_summary" and args.get("record", "current") == record:
                results.append(self.toolbox.trace[start].result)  # already run for the quality check
                continue
            if call.name == "explain" and args.get("code") == "?":
                args["code"] = _top_statement(results)
            results.append(self.toolbox.run(call.name, args))
        t_tools = time.perf_counter()
        self._cpu_tools = time.process_time()
        trace = self.toolbox.trace[start:]
        facts = fact_lines(question, results, kinds or None)
        grounder = Grounder.from_trace(trace, question, self.config.grounding)
        grounder.drop_claimless = self.config.claimless == "drop"
        pieces, llm_text, first = [], "", None
        for sentence, raw in self._grounded_stream(compose_messages(question, facts), grounder):
            llm_text = raw
            if sentence:
                first = first if first is not None else time.perf_counter()
                pieces.append(sentence)
                yield sentence + " "
        llm_text = llm_text or ""
        extra = self._missing_facts(facts, grounder, trace, question)
        if extra:
            block = "\n\nFrom the tools:\n" + "\n".join(f"- {f}" for f in extra)
            yield block
        yield "\n\n" + DRAFT_NOTICE
        text = " ".join(pieces) + (block if extra else "") + "\n\n" + DRAFT_NOTICE
        self._finish(question, text.strip(), llm_text, "plan", record, start, t0, t_tools, first, grounder,
                     facts, kinds=kinds)

    def _grounded_stream(self, messages: list[BaseMessage], grounder: Grounder) -> Iterator[tuple[str, str]]:
        """(grounded sentence or '', LLM text so far) per completed sentence of the LLM stream.

        When the model stopped at its token limit (``finish_reason == "length"``) the unfinished
        last sentence is dropped (kept in ``self._cut``), never shown cut mid-sentence."""
        buffer, raw = "", ""
        finish = None
        self._first_token: float | None = None
        self._cut = ""
        # a blank line ends a plan-mode answer (one or two sentences): small models go on to a new topic
        for chunk in self.llm.stream(messages, stop=["\n\n"]):
            finish = (chunk.response_metadata or {}).get("finish_reason") or finish
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if piece and self._first_token is None:
                self._first_token = time.perf_counter()
            buffer += piece
            raw += piece
            parts = _SENTENCE_END.split(buffer)
            for done in parts[:-1]:
                if done.strip():
                    yield grounder.sentence(done.strip()), raw
            buffer = parts[-1]
        last, self._cut = trim_unfinished(buffer, finish)
        yield (grounder.sentence(last) if last else ""), raw  # always: the caller keeps the full raw text

    def _missing_facts(self, facts: list[str], grounder: Grounder, trace: list, question: str) -> list[str]:
        """Fact lines whose tool fields the grounded text does not cite (``show_facts``), cited."""
        if self.config.show_facts == "never" or not facts:
            return []
        covered = {c.citation for c in grounder.claims if c.grounded}
        checker = Grounder.from_trace(trace, question, "flag")
        out = []
        for fact in facts:
            claims = checker.check(fact)
            cites = {c.citation for c in claims if c.grounded}
            if self.config.show_facts == "always" or not cites or not cites <= covered:
                out.append(checker.sentence(fact))
        return out

    def _native(self, question: str, record: str, start: int, t0: float) -> Iterator[str]:
        from medts.agent.native import run_native

        history: list[BaseMessage] = []
        for q, a, _ in self.history[-self.config.history_turns:] if self.config.history_turns else []:
            history += [HumanMessage(q), AIMessage(a)]
        if record == "previous":
            question = question + " (about the ECG named 'previous')"
        final = run_native(self.llm, self.toolbox, question, history=history)
        t_tools = time.perf_counter()
        self._cpu_tools = time.process_time()
        trace = self.toolbox.trace[start:]
        grounder = Grounder.from_trace(trace, question, self.config.grounding)
        raw = final.content if isinstance(final.content, str) else str(final.content)
        sentences = [s.strip() for s in _SENTENCE_END.split(raw) if s.strip()]
        if sentences:
            kept, self._cut = trim_unfinished(sentences[-1], (final.response_metadata or {}).get("finish_reason"))
            sentences = sentences[:-1] + ([kept] if kept else [])
        pieces = []
        for sentence in sentences:
            g = grounder.sentence(sentence)
            if g:
                pieces.append(g)
                yield g + " "
        yield "\n\n" + DRAFT_NOTICE
        self._first_token = None
        text = " ".join(pieces) + "\n\n" + DRAFT_NOTICE
        self._finish(question, text.strip(), raw, "native", record, start, t0, t_tools, None, grounder, [])

    def _finish(self, question: str, text: str, llm_text: str, mode: str, record: str | None, start: int,
                t0: float, t_tools: float | None, first: float | None, grounder: Grounder, facts: list[str],
                *, abstained: bool = False, kinds: list[str] | None = None) -> None:
        now = time.perf_counter()
        first_token = getattr(self, "_first_token", None)
        trace = self.toolbox.trace[start:]
        self.last = AgentAnswer(
            question=question, text=text, llm_text=llm_text, mode=mode, record=record, abstained=abstained,
            tools=[{"name": c.name, "args": c.args, "seconds": c.seconds, "available": c.result.get("available", True)}
                   for c in trace],
            claims=grounder.claims, n_claims=len(grounder.claims),
            n_ungrounded=sum(not c.grounded for c in grounder.claims), removed=grounder.removed,
            cut=getattr(self, "_cut", "") if mode != "abstain" else "", claimless=list(grounder.claimless),
            citations=sorted({c.citation for c in grounder.claims if c.grounded and c.citation}),
            facts=facts,
            latency_s={
                "tools": None if t_tools is None else round(t_tools - t0, 3),
                "first_token_after_tools": None if (first_token is None or t_tools is None) else round(first_token - t_tools, 3),
                "first_text_after_tools": None if (first is None or t_tools is None) else round(first - t_tools, 3),
                "answer_after_tools": None if t_tools is None else round(now - t_tools, 3),
                # CPU seconds of this process (all threads) after the tools: wall time on a loaded
                # machine includes waiting for the CPU, this does not
                "cpu_s_after_tools": None if t_tools is None else round(time.process_time() - self._cpu_tools, 3),
                "total": round(now - t0, 3),
            },
            prompt_versions={"system": load_prompt("system")["version"], "compose": load_prompt("compose")["version"]},
        )
        self.history.append((question, text, kinds if kinds is not None else intents(question)))


def trim_unfinished(last: str, finish_reason: str | None) -> tuple[str, str]:
    """(the last sentence to keep, the cut-off fragment dropped). A model stopped by its token
    limit (``finish_reason == "length"``) leaves an unfinished sentence: it is dropped unless
    it ends like a sentence.

    >>> trim_unfinished("The QTc is 430 ms, within the", "length")
    ('', 'The QTc is 430 ms, within the')
    >>> trim_unfinished("The QTc is 430 ms.", "length")
    ('The QTc is 430 ms.', '')
    """
    last = last.strip()
    if finish_reason == "length" and last and not re.search(r"[.!?][\"')\]]*$", last):
        return "", last
    return last, ""


def _top_statement(results: list[dict[str, Any]]) -> str:
    """The most probable present non-normal statement of the classify result (for "why?")."""
    for r in results:
        if r.get("tool") == "classify" and r.get("present"):
            codes = [c for c in r["present"] if c not in ("NORM", "SR")]
            return (codes or r["present"])[0]
    return "NORM"


def _read(path: str | Path) -> ECG:
    from medts.io import read_record

    return read_record(path)
