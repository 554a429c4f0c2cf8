"""The one place that knows where shipped adapters live and what each folder holds.

Every trained artifact medts ships is a folder under ``adapters/`` with a ``manifest.json``
(see DESIGN.md). Code asks this module for a folder by name (``adapter_dir("text-smollm2")``)
or for a PTB-XL classifier by label level (``classifier_dir("superdiagnostic")``), and reads
manifests with :func:`load_manifest`, so no other module builds an ``adapters/...`` path.

Example
-------
>>> classifier_dir("all").name
'classifier-all'
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
