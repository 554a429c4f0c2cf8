"""Save and strictly reload MedTsLLM checkpoints.

A checkpoint folder holds:

- ``encoder_heads.safetensors``: RevIN, encoder (incl. the prototype map) and head weights
  (and the baseline transformer when there is no LLM);
- ``lora/``: the LoRA adapter written by peft ``save_pretrained`` (absent without an LLM);
- ``manifest.json``: config, backbone fingerprint, data, metrics, parameter counts, command.

The backbone itself is not stored (it is the packaged SmolLM2 or a local folder); its
word-embedding fingerprint is, so a checkpoint never silently loads onto another backbone.
Reloading is strict: every tensor must be present and used, and the LoRA weights are checked
after loading (MedTsLLM's reference code silently dropped them on reload).

Example
-------
>>> model = load_checkpoint("adapters/segmentation-smollm2")   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from peft import get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file, save_file
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from medts.errors import MedtsError
from medts.medtsllm.backbone import DEFAULT_BACKBONE
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM

FORMAT = "medts-medtsllm/1"
WEIGHTS = "encoder_heads.safetensors"
LORA_DIR = "lora"
MANIFEST = "manifest.json"


class CheckpointError(MedtsError):
    """A checkpoint folder is incomplete, inconsistent or made for another backbone."""


def backbone_fingerprint(model: MedTsLLM) -> str | None:
    """sha256 (first 16 hex) of the frozen word-embedding matrix, or ``None`` without an LLM."""
    if model.llm is None:
        return None
    w = model.llm.get_input_embeddings().weight.detach().float().contiguous()
    return hashlib.sha256(w.numpy().tobytes()).hexdigest()[:16]


def save_checkpoint(
    model: MedTsLLM,
    out_dir: str | Path,
    *,
    data: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    command: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` to ``out_dir`` (created); returns the manifest path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.own_state_dict().items()}
    save_file(state, out / WEIGHTS, metadata={"format": FORMAT})
    if model.llm is not None:
        model.llm.save_pretrained(out / LORA_DIR)
        if model.config.backbone.source == DEFAULT_BACKBONE:  # name the base by its HF id, not our cache path
            from medts.adapters import write_lora_config

            write_lora_config(out / LORA_DIR, model.llm.peft_config["default"],
                              decoder_layers=model.config.backbone.n_layers, what=f"MedTsLLM {model.config.task} head.")
    manifest = {
        "format": FORMAT,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": model.config.to_dict(),
        "task": model.config.task,
        "sampling_rate_hz": model.config.data.fs,
        "window_s": model.config.data.window_s,
        "leads": list(model.config.data.leads),
        "lead_mode": model.config.data.lead_mode,
        "labels": ["none", "P", "QRS", "T"] if model.config.task == "segmentation" else ["reconstruction_mV"],
        "backbone_fingerprint": backbone_fingerprint(model),
        "parameter_counts": model.count_parameters(),
        "data": data or {},
        "metrics": metrics or {},
        "command": command,
        **(extra or {}),
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of checkpoint folder ``path``."""
    p = Path(path) / MANIFEST
    try:
        manifest = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{p}: cannot read checkpoint manifest ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a MedTsLLM checkpoint (format {manifest.get('format')!r})")
    return manifest


def load_checkpoint(
    path: str | Path,
    *,
    backbone: PreTrainedModel | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
) -> MedTsLLM:
    """Rebuild the model of checkpoint ``path`` in eval mode; outputs equal the saved model's."""
    folder = Path(path)
    manifest = read_manifest(folder)
    config = MedTsLLMConfig.from_dict(manifest["config"])
    model = MedTsLLM(config, backbone=backbone, tokenizer=tokenizer)
    fingerprint = backbone_fingerprint(model)
    if fingerprint != manifest.get("backbone_fingerprint"):
        raise CheckpointError(
            f"{folder}: made for backbone {manifest.get('backbone_fingerprint')}, loaded onto {fingerprint}"
        )
    try:
        model.load_own_state_dict(load_file(folder / WEIGHTS))
    except (OSError, RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{folder / WEIGHTS}: {exc}") from exc
    if model.llm is not None:
        load_lora_strict(model, folder / LORA_DIR)
    model.eval()
    return model


def load_lora_strict(model: MedTsLLM, lora_dir: Path) -> None:
    """Load the peft adapter and check that every LoRA tensor was replaced by the saved one."""
    files = list(lora_dir.glob("adapter_model.safetensors"))
    if not files:
        raise CheckpointError(f"{lora_dir}: no adapter_model.safetensors (LoRA weights missing)")
    saved = load_file(files[0])
    expected = get_peft_model_state_dict(model.llm)
    if set(saved) != set(expected):
        missing, extra = sorted(set(expected) - set(saved)), sorted(set(saved) - set(expected))
        raise CheckpointError(f"{lora_dir}: LoRA keys differ (missing {missing[:3]}, unexpected {extra[:3]})")
    result = set_peft_model_state_dict(model.llm, saved)
    if getattr(result, "unexpected_keys", None):
        raise CheckpointError(f"{lora_dir}: unexpected LoRA keys {result.unexpected_keys[:3]}")
    loaded = get_peft_model_state_dict(model.llm)
    for key, value in saved.items():
        if not torch.equal(loaded[key].to(value.dtype), value):
            raise CheckpointError(f"{lora_dir}: LoRA tensor {key} did not load")
