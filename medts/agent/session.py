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
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field

from medts.agent import DRAFT_NOTICE
from medts.agent.backends import supports_tool_calling
from medts.agent.grounding import Claim, Grounder, split_sentences
from medts.agent.planner import (
    _PREVIOUS,
    LEAD_EVIDENCE,
    compose_messages,
    fact_lines,
    intents,
    load_prompt,
    plan,
    render,
)
from medts.agent.readable import Reading, read_question
from medts.agent.safety import (
    Refusal,
    asked_parts,
    follow_learned,
    follow_learned_parts,
    policy,
    refusal,
    refusal_for,
    scrub,
)
from medts.agent.tools import TOOL_SPECS, ToolBox, Workspace
from medts.agent.verdict import Topic, Verdict, asked_topics, decide, route
from medts.agent.whole_recording import asks_whole_recording
from medts.record import ECG

UNREAD_WORDS_SHOWN = 5
"""How many of a question's unread words the answer names (all are in ``AgentAnswer.unread_words``)."""

class AgentConfig(BaseModel):
    """How the agent answers. ``mode``: ``auto`` picks ``native`` for tool-calling models."""

    mode: Literal["auto", "native", "plan"] = "auto"
    grounding: Literal["remove", "flag"] = "remove"
    show_facts: Literal["always", "missing", "never"] = "missing"
    claimless: Literal["keep", "drop"] = Field(
        "drop", description="plan mode: model sentences without any number or statement (filler) are dropped")
    history_turns: int = Field(3, ge=0, description="previous turns given to the model (native mode)")
    max_facts: int = Field(4, ge=0, description="supporting fact lines shown after the verdict (plan mode)")


class AgentAnswer(BaseModel):
    """One answer, JSON-ready (``medts chat --json``)."""

    schema_version: int = 2
    question: str
    text: str
    verdict: str = Field("", description="the direct answer the text opens with (grounded), '' when none applies")
    verdict_answer: str = Field("", description="yes / no / a category / a number / 'cannot tell'")
    topic: str = Field("", description="what the question asks, as the intent router read it")
    refused: str | None = Field(None, description="safety-policy category when the question was refused")
    safety: dict[str, Any] | None = Field(
        None, description="which check refused ('by': 'patterns' or 'classifier') and, when the learned check "
                          "ran, its p_refuse, threshold and most probable category; None when no check refused and "
                          "none but the patterns ran")
    llm_text: str = Field(description="the LLM's sentences that passed grounding and the safety policy; every "
                                      "other sentence it wrote is replaced by a [removed: why] mark")
    notice: str = DRAFT_NOTICE
    mode: str
    record: str | None
    abstained: bool = False
    unread_words: list[str] = Field(default_factory=list, description="the words medts could not read when it "
                                    "answered nothing because too few of the question's words were English or "
                                    "ECG terms (medts.agent.readable); empty otherwise")
    tools: list[dict[str, Any]]
    claims: list[Claim]
    n_claims: int
    n_ungrounded: int
    removed: list[str] = Field(description="why each removed sentence went (its text is never kept)")
    cut: bool = Field(False, description="an unfinished last sentence was dropped (the model hit its token limit)")
    n_claimless: int = Field(0, description="model sentences dropped for stating nothing checkable")
    citations: list[str]
    facts: list[str]
    latency_s: dict[str, float | None]
    prompt_versions: dict[str, int]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[-])|\n+")

FOLLOW_UP_WORDS = frozenset(
    "and also so then ok okay what about how same for the a in on of with previous prior earlier older other first "
    "last second one ones ecg ekg tracing recording record strip it that this those these there question again now "
    "are you sure certain really please too as well is was true can could would will repeat say tell me once more "
    "go over yes yeah right".split())
"""Words a follow-up question (one that asks the previous question again: "And for the previous one?", "What
about that one?", "Are you sure?", "Can you repeat that?") is made of. A question with a word outside them asks something of its own,
even when no rule places it ("Any signs of hyperkalemia?" after "Is this a STEMI?" is not answered as the STEMI
question: it was answered "No: the classifier does not find STE_")."""


def is_follow_up(question: str) -> bool:
    """Whether ``question`` only points back at the previous question (see :data:`FOLLOW_UP_WORDS`).

    >>> is_follow_up("And for the previous one?"), is_follow_up("Any signs of hyperkalemia?")
    (True, False)
    """
    words = re.findall(r"[^\W\d_]+", question.casefold())
    return bool(words) and all(w in FOLLOW_UP_WORDS for w in words)


class ChatSession:
    """Multi-turn chat about loaded ECGs (see the module docstring)."""

    def __init__(self, llm: BaseChatModel | None, config: AgentConfig | None = None, toolbox: ToolBox | None = None,
                 safety_check: Any = "auto"):
        # llm None: the planner alone answers (verdict and tool facts, no model text)
        self.llm = llm
        # the learned refusal check, asked after the patterns: "auto" uses it where the local
        # SmolLM2 is loaded anyway (see default_safety_check); None: the patterns alone
        self.safety_check = default_safety_check(llm) if safety_check == "auto" else safety_check
        self._safety: dict[str, Any] | None = None
        self.config = config or AgentConfig()
        self.toolbox = toolbox or ToolBox(Workspace())
        self.history: list[tuple[str, str, list[str]]] = []  # (question, answer text, intents)
        self.last: AgentAnswer | None = None
        self._cut = ""
        self._cpu_tools = 0.0
        self._topic: Topic = Topic("unknown")
        self._topics: list[Topic] = []
        self._verdict: Verdict | None = None
        self._verdict_text = ""

    @classmethod
    def with_local_model(cls, source: str = "smollm2", *, dtype: str = "auto", max_new_tokens: int = 48,
                         config: AgentConfig | None = None) -> ChatSession:
        from medts.agent.backends import LocalChatModel

        return cls(LocalChatModel(source=source, dtype=dtype, max_new_tokens=max_new_tokens), config)

    # -- records -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        if self.llm is None:
            return "plan"
        if self.config.mode != "auto":
            return self.config.mode
        return "native" if supports_tool_calling(self.llm) else "plan"

    def load(self, source: ECG | str | Path, *, name: str | None = None) -> dict[str, Any]:
        """Load an ECG (a record or a path). Without ``name`` it becomes ``current`` and the former
        current becomes ``previous``; a long record's whole recording starts being analysed in the background
        (:meth:`ToolBox.start_whole_recording`). Returns its record summary."""
        ecg = source if isinstance(source, ECG) else _read(source)
        records = self.toolbox.workspace.records
        if name is None:
            if "current" in records:
                records["previous"] = records["current"]
            name = "current"
        records[name] = ecg
        if self.is_long(name):  # its whole recording is analysed while the first questions are typed
            self.toolbox.start_whole_recording(name)
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
        """Yield the answer in grounded pieces (the verdict first, then sentence by sentence);
        ``self.last`` holds the result."""
        t0 = time.perf_counter()
        start = len(self.toolbox.trace)
        self._cut = ""
        self._verdict, self._verdict_text = None, ""
        refused = self._refusal(question)
        if refused is not None:  # no tool, no LLM: nothing a model writes can reach a refusal
            yield from self._refuse(question, refused, start, t0)
            return
        kinds = intents(question)
        topic = route(question)
        if not kinds and self.history and is_follow_up(question):  # "and for the previous one?"
            kinds = self.history[-1][2]
            topic = self._topics[-1] if self._topics else topic
        self._topic = topic
        if topic.kind == "unknown":  # words the router could not place: are they words medts reads at all?
            reading = read_question(question)
            if not reading.readable:
                yield from self._unread(question, reading, start, t0)
                return
        record = "previous" if _PREVIOUS.search(question) and "compare" not in kinds \
            and "previous" in self.toolbox.workspace.records else "current"
        summary = self.toolbox.run("record_summary", {"record": record})
        quality = summary.get("quality") or {}
        if self.is_long(record) and asks_whole_recording(question):
            # the first minutes' quality does not decide: the windowed analysis grades every window
            yield from self._whole_recording(question, record, start, t0)
            return
        if quality.get("abstain") and "quality" not in kinds and topic.name != "quality":
            yield from self._abstain(question, record, summary, start, t0)
            return
        if self.mode == "native":
            yield from self._native(question, record, start, t0)
        else:
            yield from self._plan(question, kinds, record, start, t0)

    def is_long(self, record: str) -> bool:
        """Whether ``record`` is a long recording read from a file (its whole recording can be analysed)."""
        from medts.interpret.longterm import REPORT_WHOLE_RECORD_MIN_S

        ecg = self.toolbox.workspace.get(record)
        return ecg.source is not None and ecg.duration_s >= REPORT_WHOLE_RECORD_MIN_S

    def _whole_recording(self, question: str, record: str, start: int, t0: float) -> Iterator[str]:
        """A question about a long recording as a whole: the ``whole_recording`` tool and a verdict built
        from its fields only (no language model), grounded like every verdict; its summary as the fact."""
        from medts.agent.whole_recording import TOPIC, whole_recording_verdict

        self._topic, self._first_token = TOPIC, None  # no language model writes here
        result = self.toolbox.run("whole_recording", {"record": record})
        t_tools = time.perf_counter()
        self._cpu_tools = time.process_time()
        trace = self.toolbox.trace[start:]
        grounder = Grounder.from_trace(trace, question, self.config.grounding)
        verdict = whole_recording_verdict(question, result)
        # the verdict names what its "Yes"/"No" is about ("Yes: 12 run(s) of 3 or more ventricular beats"), so
        # the "Yes" stands on the grounded claims of its own sentence, not on a statement the question names
        # ("runs of ventricular tachycardia" reads as tachycardia, which no whole-recording field decides)
        checker = Grounder.from_trace(trace, "", "remove")
        # sentence by sentence: a quantity named in one ("P waves in 15 of them") must not bind the next one's numbers
        kept = [checker.sentence(part) for part in split_sentences(verdict.sentence)]
        text = " ".join(kept) if all(kept) else ""
        if not text:
            verdict = Verdict(TOPIC, "cannot tell", "Cannot tell over the whole recording: the tool results disagree.")
            text = verdict.sentence
        grounder.claims += checker.claims
        self._verdict, self._verdict_text = verdict, text
        first = time.perf_counter()
        yield text + " "
        summary = result.get("summary")
        facts = [f for f in ([summary] if summary and summary != verdict.sentence else [])
                 if all(c.grounded for c in Grounder.from_trace(trace, question).check(f))]
        extra = self._supporting_facts(facts, grounder, trace, question)
        block = ("\n\n" + "\n".join(f"- {f}" for f in extra)) if extra else ""
        if block:
            yield block
        yield "\n\n" + DRAFT_NOTICE
        self._finish(question, (text + block + "\n\n" + DRAFT_NOTICE).strip(), "", "whole_recording", record, start,
                     t0, t_tools, first, grounder, facts, kinds=["whole_recording"])

    def _refusal(self, question: str) -> Refusal | None:
        """The pattern policy first (data: prompts/agent/safety.yaml), then the learned check on what
        the patterns let through; ``self._safety`` records which decided (and the probability)."""
        refused = refusal(question)
        self._safety = {"by": "patterns"} if refused is not None else None
        if refused is None and self.safety_check is not None:
            decision = self.safety_check.decide(question)
            # a category the policy ruled out (a drug or dose named as context of an ECG question,
            # a question about what the patient takes, an ECG question naming nothing of the
            # category) is not refused on the check's word
            category = follow_learned(question, decision.category if decision.refuse else None)
            self._safety = {"by": "classifier" if category else None, **decision.as_dict()}
            if decision.refuse and category is None:
                self._safety["overruled_by"] = "patterns"
            parts = asked_parts(question) if category is None else []
            if parts:  # a forbidden clause beside an ECG clause is read alone too
                found = self.safety_check.decide_many(parts)
                by_part = follow_learned_parts(question, [d.category if d.refuse else None for d in found])
                if by_part is not None:
                    k, category = by_part
                    self._safety = {"by": "classifier (one clause)", "clause": parts[k], **found[k].as_dict()}
            if category is not None:
                refused = refusal_for(category)
        return refused

    def _refuse(self, question: str, refused: Refusal, start: int, t0: float) -> Iterator[str]:
        text = refused.text + "\n\n" + DRAFT_NOTICE
        yield text
        self._verdict = None
        self._finish(question, text, "", "refused", None, start, t0, None, None, Grounder.from_trace([], question), [],
                     refused=refused.category, kinds=[])

    def _unread(self, question: str, reading: Reading, start: int, t0: float) -> Iterator[str]:
        """A question in words medts does not read (:mod:`medts.agent.readable`): it says so, names them,
        and answers nothing (no tool, no LLM)."""
        shown = ", ".join(f"'{w}'" for w in dict.fromkeys(reading.unread[:UNREAD_WORDS_SHOWN]))
        more = " ..." if len(reading.unread) > UNREAD_WORDS_SHOWN else ""
        # no count of them: a number in an answer is a claim the grounding check looks for in the tools' results
        text = render(load_prompt("compose")["unread"], words=shown + more).strip() + "\n\n" + DRAFT_NOTICE
        yield text
        self._verdict = None
        self._finish(question, text, "", "unread", None, start, t0, None, None, Grounder.from_trace([], question), [],
                     kinds=[], unread=reading.unread)

    def _abstain(self, question: str, record: str, summary: dict[str, Any], start: int, t0: float) -> Iterator[str]:
        q = summary["quality"]
        reason = f"{q.get('n_usable_leads')} of {q.get('n_leads')} leads usable, {q.get('n_beats')} beats detected"
        text = render(load_prompt("compose")["abstain"], reason=reason).strip()
        yield text
        yield "\n\n" + DRAFT_NOTICE
        self._verdict = None
        self._finish(question, text + "\n\n" + DRAFT_NOTICE, "", "abstain", record, start, t0, None, None,
                     Grounder.from_trace([], question), [], abstained=True)

    def _tool_calls(self, question: str, kinds: list[str], topic: Topic, record: str) -> list[tuple[str, dict[str, Any]]]:
        """The planner's tool calls plus those the verdict needs (the classifier with every
        statement's probability, so a "no" can name the most probable one)."""
        calls = [(c.name, dict(c.args)) for c in plan(question, has_previous="previous" in self.toolbox.workspace.records,
                                                       found=kinds or None, record=record)]
        names = {n for n, _ in calls}
        rec = {"record": record}
        if topic.kind in ("statement", "flag", "number", "category", "overview") and "measurements" not in names:
            calls.append(("measurements", rec))
        if topic.kind in ("statement", "overview") or (topic.kind == "category" and topic.name == "rhythm"):
            if "classify" not in names:
                calls.append(("classify", {**rec, "level": "all"}))
            if "interpretation" in TOOL_SPECS and "interpretation" not in names:
                calls.append(("interpretation", rec))
        return [(n, {**a, "top_k": 71} if n == "classify" else a) for n, a in calls]

    def _plan(self, question: str, kinds: list[str], record: str, start: int, t0: float) -> Iterator[str]:
        asked = asked_topics(question, self._topic)  # two questions joined by "and" get a verdict each, in order
        self._topic = topic = asked[0][1]
        calls = []
        for _, part_topic in asked:
            calls += [c for c in self._tool_calls(question, kinds, part_topic, record) if c not in calls]
        results = []
        for name, args in calls:
            if name == "record_summary" and args.get("record", "current") == record:
                results.append(self.toolbox.trace[start].result)  # already run for the quality check
                continue
            if name == "explain" and args.get("code") == "?":
                args["code"] = _top_statement(results, topic.codes)
            results.append(self.toolbox.run(name, args))
        t_tools = time.perf_counter()
        self._cpu_tools = time.process_time()
        trace = self.toolbox.trace[start:]
        grounder = Grounder.from_trace(trace, question, self.config.grounding)
        grounder.drop_claimless = self.config.claimless == "drop"
        # only fact lines the grounding check supports reach the model, the answer and --json
        facts = [f for f in fact_lines(question, results, kinds or None)
                 if all(c.grounded for c in Grounder.from_trace(trace, question).check(f))]
        # asked_topics gives the whole question where one is asked; the answer's verdict fields keep the first one's
        verdict_text = self._verdict_sentence(topic, results, trace, asked[0][0], grounder)
        if len(asked) == 2 and verdict_text:
            first_verdict = self._verdict, self._verdict_text
            second = self._verdict_sentence(asked[1][1], results, trace, asked[1][0], grounder)
            self._verdict, self._verdict_text = first_verdict
            if second and second != verdict_text:
                verdict_text += " " + second
        pieces, llm_text, first = [], "", None
        if verdict_text:
            first = time.perf_counter()
            pieces.append(verdict_text)
            yield verdict_text + " "
        if self.llm is not None:
            for sentence, raw in self._grounded_stream(compose_messages(question, facts), grounder):
                llm_text = raw
                if sentence and sentence not in pieces:
                    first = first if first is not None else time.perf_counter()
                    pieces.append(sentence)
                    yield sentence + " "
        extra = self._supporting_facts(facts, grounder, trace, question)
        block = ("\n\n" + "\n".join(f"- {f}" for f in extra)) if extra else ""
        if block:
            yield block
        yield "\n\n" + DRAFT_NOTICE
        text = " ".join(pieces) + block + "\n\n" + DRAFT_NOTICE
        self._finish(question, text.strip(), llm_text or "", "plan", record, start, t0, t_tools, first, grounder,
                     facts, kinds=kinds)

    def _verdict_sentence(self, topic: Topic, results: list[dict[str, Any]], trace: list, question: str,
                          grounder: Grounder) -> str:
        """The grounded verdict sentence ('' when the topic has none: glossary, compare...). A
        verdict the grounding check would not support is replaced by "cannot tell" (it never is
        when the tools and the grounding agree; the test suite checks that)."""
        verdict = decide(topic, results, trace, question)
        self._verdict, self._verdict_text = verdict, ""
        if not verdict.sentence:
            return ""
        checker = Grounder.from_trace(trace, question, "remove")
        text = checker.sentence(verdict.sentence)
        if not text:
            self._verdict = Verdict(topic, "cannot tell", "Cannot tell from this ECG: the tool results disagree.")
            self._verdict_text = self._verdict.sentence
            return self._verdict.sentence
        grounder.claims += checker.claims
        self._verdict_text = text
        return text

    def _supporting_facts(self, facts: list[str], grounder: Grounder, trace: list, question: str) -> list[str]:
        """At most ``max_facts`` fact lines the text does not cite yet, each grounded and cited;
        a fact line the grounding check does not support is left out, never shown flagged."""
        if self.config.show_facts == "never" or not facts:
            return []
        covered = {c.citation for c in grounder.claims if c.grounded}
        out = []
        for fact in facts:
            checker = Grounder.from_trace(trace, question, "remove")
            claims = checker.check(fact)
            cites = {c.citation for c in claims if c.grounded}
            if any(not c.grounded for c in claims):
                continue
            # the leads an attribution names are news even where the statement it cites was said already
            if self.config.show_facts == "always" or not cites or not cites <= covered or LEAD_EVIDENCE in fact:
                line = checker.sentence(fact)
                if line:
                    out.append(line)
                    covered |= cites
        limit = self.config.max_facts if self._verdict is not None and self._verdict.sentence else max(self.config.max_facts, 8)
        return out[:limit]

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

    def _native(self, question: str, record: str, start: int, t0: float) -> Iterator[str]:
        """The model calls the tools (:func:`medts.agent.native.stream_native`); its answer is
        grounded sentence by sentence as it streams. A server that fails mid-answer leaves the
        grounded part, marked as partial (``self.last``), and the error is raised on."""
        from medts.agent.backends import BackendError
        from medts.agent.native import PARTIAL_MARK, NativeTurn, history_messages, stream_native

        turns = self.history[-self.config.history_turns:] if self.config.history_turns else []
        if record == "previous":
            question = question + " (about the ECG named 'previous')"
        turn = NativeTurn()
        grounder: Grounder | None = None
        pieces: list[str] = []
        buffer = raw = ""
        partial = first = None
        self._cpu_tools = time.process_time()
        try:
            for piece in stream_native(self.llm, self.toolbox, question, turn=turn,
                                       history=history_messages([(q, a) for q, a, _ in turns])):
                if grounder is None:  # the tools are done once the answer streams
                    grounder, verdict_text = self._native_verdict(question, record, start)
                    self._cpu_tools = time.process_time()
                    if verdict_text:
                        first = time.perf_counter()
                        pieces.append(verdict_text)
                        yield verdict_text + " "
                buffer += piece
                raw += piece
                parts = _SENTENCE_END.split(buffer)
                for done in (p.strip() for p in parts[:-1]):
                    if done and (g := grounder.sentence(done)):
                        first = first or time.perf_counter()
                        pieces.append(g)
                        yield g + " "
                buffer = parts[-1]
        except BackendError as error:
            if not raw:  # nothing to keep
                raise
            partial = str(error)
        if grounder is None:
            grounder, verdict_text = self._native_verdict(question, record, start)
            if verdict_text:
                first = time.perf_counter()
                pieces.append(verdict_text)
                yield verdict_text + " "
        last, self._cut = trim_unfinished(buffer, "length" if partial else turn.finish_reason)
        if last and (g := grounder.sentence(last)):
            first = first or time.perf_counter()
            pieces.append(g)
            yield g
        self._first_token = turn.first_token
        mark = "\n\n" + PARTIAL_MARK if partial else ""
        if mark:
            yield mark
        yield "\n\n" + DRAFT_NOTICE
        text = " ".join(pieces) + mark + "\n\n" + DRAFT_NOTICE
        self._finish(question, text.strip(), raw, "native", record, start, t0, turn.t_tools,
                     first, grounder, [])
        if partial:
            raise BackendError(partial + " (partial answer kept)")

    def _native_verdict(self, question: str, record: str, start: int) -> tuple[Grounder, str]:
        """After the model's tools: run what the verdict needs (cached), then the grounder and
        the grounded verdict sentence."""
        topic = self._topic
        results = [c.result for c in self.toolbox.trace[start:]]
        have = {r.get("tool") for r in results}
        for name, args in self._tool_calls(question, intents(question), topic, record):
            if name in ("measurements", "classify", "interpretation") and name not in have:
                results.append(self.toolbox.run(name, args))
        trace = self.toolbox.trace[start:]
        grounder = Grounder.from_trace(trace, question, self.config.grounding)
        grounder.drop_claimless = self.config.claimless == "drop"
        text = self._verdict_sentence(topic, results, trace, question, grounder)
        return grounder, text

    def _finish(self, question: str, text: str, llm_text: str, mode: str, record: str | None, start: int,
                t0: float, t_tools: float | None, first: float | None, grounder: Grounder, facts: list[str],
                *, abstained: bool = False, kinds: list[str] | None = None, refused: str | None = None,
                unread: tuple[str, ...] = ()) -> None:
        now = time.perf_counter()
        first_token = getattr(self, "_first_token", None)
        trace = self.toolbox.trace[start:]
        verdict = getattr(self, "_verdict", None)
        headers = grounder.header_texts
        self.last = AgentAnswer(
            question=question, text=scrub(text, headers), llm_text=redacted_llm_text(llm_text, grounder, self._cut),
            verdict=self._verdict_text if verdict is not None else "",
            verdict_answer=verdict.answer if verdict is not None else "", refused=refused, safety=self._safety,
            topic=verdict.topic.label if verdict is not None else (f"refused:{refused}" if refused else mode),
            mode=mode, record=record, abstained=abstained, unread_words=list(unread),
            tools=[{"name": c.name, "args": c.args, "seconds": c.seconds, "available": c.result.get("available", True)}
                   for c in trace],
            # an unsupported claim keeps its kind and unit, never its text
            claims=[c if c.grounded else c.model_copy(update={"text": "[removed]", "value": None}) for c in grounder.claims],
            n_claims=len(grounder.claims),
            n_ungrounded=sum(not c.grounded for c in grounder.claims), removed=list(grounder.removed_why),
            cut=bool(getattr(self, "_cut", "")) and mode not in ("abstain", "refused"),
            n_claimless=len(grounder.claimless),
            citations=sorted({c.citation for c in grounder.claims if c.grounded and c.citation}),
            facts=[scrub(f, headers) for f in facts],
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
            prompt_versions={"system": load_prompt("system")["version"], "compose": load_prompt("compose")["version"],
                             "safety": policy().version},
        )
        self.history.append((question, text, kinds if kinds is not None else intents(question)))
        self._topics.append(self._topic)


def warm_question_reading() -> None:
    """Build what reading a question needs (the safety policy's patterns, the glossary and its literal
    index, the router's patterns) by reading one question, so that the first question asked does not
    wait for it: about 3 CPU-s, 25 before the glossary's index was kept on disk
    (:func:`medts.agent.glossary_filter.cached_requirements`). Meant for a background thread started
    while a record loads (``medts chat``, the app's warm-up)."""
    question = "Is there atrial fibrillation on this ECG, and what is the QRS duration?"
    refusal(question)
    route(question)


def redacted_llm_text(raw: str, grounder: Grounder, cut: str) -> str:
    """The model's text with every sentence that did not pass replaced by ``[removed: why]``
    (unsupported, unsafe, claimless filler, unfinished): no unverified text reaches ``--json``."""
    from medts.agent.grounding import split_sentences

    why = dict(zip(grounder.removed, grounder.removed_why))
    out = []
    for sentence in split_sentences(raw):
        if sentence in why:
            out.append(f"[removed: {why[sentence]}]")
        elif sentence in grounder.claimless:
            out.append("[removed: no checkable claim]")
        elif cut and sentence.strip() == cut.strip():
            out.append("[removed: unfinished]")
        elif sentence in grounder.kept:
            out.append(sentence)
        else:  # split differently from the stream: keep only what the grounding check let through
            out.append("[removed: not checked]")
    return " ".join(out)


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


def _top_statement(results: list[dict[str, Any]], asked: tuple[str, ...] = ()) -> str:
    """The statement a "why?" or "which leads?" question is explained by: the asked statement's present member
    ("Which leads show the infarct?": the present infarct statement, not the record's most probable statement,
    which explained a bundle-branch block), else the asked statement the classifiers score, else the most
    probable present non-normal statement of the classify result."""
    from medts.agent.grounding import IMPLIED_BY
    from medts.labels import STATEMENTS, SUPERCLASSES

    present = next((r.get("present") or [] for r in results if r.get("tool") == "classify"), [])
    for code in asked:
        members = {code, *IMPLIED_BY.get(code, ())}
        found = [c for c in present if c in members]
        if found:
            return found[0]
    scored = [c for c in asked if c in STATEMENTS or c in SUPERCLASSES]
    if scored:
        return scored[0]
    codes = [c for c in present if c not in ("NORM", "SR")]
    return (codes or present or ["NORM"])[0]


def _read(path: str | Path) -> ECG:
    from medts.cli_inputs import CHAT_WHOLE_RECORD_HINT, read_checked, resting_limits

    return read_checked(Path(path), limits=resting_limits("medts chat", CHAT_WHOLE_RECORD_HINT))


def default_safety_check(llm: BaseChatModel | None) -> Any:
    """The learned refusal check (adapters/safety-smollm2) asked after the patterns.

    - the local model it was trained on: that model's weights are loaded anyway, so the check costs one
      forward pass of the question;
    - a served model (OpenAI-compatible server): the packaged SmolLM2 is loaded for the check alone, where it
      is installed (the default install has it). Its first run on a blind set (eval/results/
      safety_heldout12_first_run.md) missed 1 of 63 refusals against 15 for the patterns alone, refusing 7 of
      314 answerable questions (2.2 %);
    - no model (the planner alone) or the scripted test model: None, the patterns alone (programmatic and
      test paths that load no weights)."""
    from medts.agent.backends import LocalChatModel, ScriptedChatModel

    if llm is None or isinstance(llm, ScriptedChatModel):
        return None
    from medts.agent.safety_model import shipped_check

    if isinstance(llm, LocalChatModel):
        return shipped_check(llm.source, llm.dtype)
    return served_model_safety_check()


def served_model_safety_check() -> Any:
    """The learned refusal check a served model's session asks (the packaged SmolLM2's, loaded for the
    check alone), or None where the packaged SmolLM2 is not installed (the patterns alone). Used by
    :func:`default_safety_check` and by ``medts bench agent`` for its rows that stand for a served
    model (fake-native) and for the planner."""
    from medts.agent.safety_model import shipped_check
    from medts.config import smollm2_installed

    return shipped_check("smollm2", "auto") if smollm2_installed() else None
