"""Configuration dataclasses for MedTsLLM; one ``MedTsLLMConfig`` describes a whole model.

Configs round-trip through plain dicts (``to_dict`` / ``from_dict``) so they live in YAML
files and in every checkpoint's ``manifest.json``.

Example
-------
>>> cfg = MedTsLLMConfig(task="segmentation")
>>> MedTsLLMConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from medts.config import read_yaml_mapping
from medts.errors import MedtsError

Task = Literal["segmentation", "anomaly"]
LeadMode = Literal["independent", "concatenated"]
QtdbHalf = Literal["none", "even"]


@dataclass(frozen=True)
class BackboneConfig:
    """Which causal LM to load. ``source``: ``"smollm2"`` (packaged GGUF) or a local HF folder.

    ``dtype``: ``"auto"`` picks bf16 on GPUs and on CPUs with native bf16 (AVX512-BF16/AMX)
    and float32 otherwise: on AVX2-only CPUs bf16 matmuls were measured 4x slower than fp32.
    ``n_layers`` keeps only the first layers (Time-LLM's ``llm_layers``); ``None`` keeps all.
    ``use_llm=False`` replaces the LLM by a small trainable transformer of similar trainable
    size (the no-LLM baseline); ``baseline_max_positions`` sizes its learned position table
    (4096 rows made most of its trainable count while a window uses 20-240 positions).
    """

    source: str = "smollm2"
    dtype: str = "auto"
    n_layers: int | None = None
    trust_remote_code: bool = False
    use_llm: bool = True
    baseline_layers: int = 2
    baseline_width: int = 128
    baseline_max_positions: int = 4096


@dataclass(frozen=True)
class LoraSettings:
    """peft LoRA: rank ``r``, scaling ``alpha``, target module names."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.0
    targets: tuple[str, ...] = ("q_proj", "v_proj")


@dataclass(frozen=True)
class EncoderConfig:
    """Patch encoder: patches of ``patch_len`` samples every ``stride`` samples, embedded to
    ``d_model``, reprogrammed by ``n_heads``-head cross-attention onto ``n_prototypes`` text
    prototypes, then projected to the LLM hidden size. ``prototype_vocab`` limits the prototype
    source to the first N token ids of the vocabulary (``None``: all of it); byte-level BPE ids
    are assigned in merge order, so low ids are the most frequent subwords, and the prototype
    map (vocab x K weights) shrinks from ~3 M to N x K parameters."""

    patch_len: int = 10
    stride: int = 10
    d_model: int = 64
    n_heads: int = 4
    n_prototypes: int = 64
    dropout: float = 0.0
    revin: bool = True
    prototype_vocab: int | None = None


@dataclass(frozen=True)
class HeadConfig:
    """Task head. ``refine_channels`` > 0 adds a per-sample refinement decoder
    (``heads.SampleRefiner``): a small dilated 1-D conv stack over [the patch head's upsampled
    logits and ``refine_features`` extra per-sample features, the RevIN-normalised signal] that
    adds a residual to the logits, so boundaries are placed per sample rather than per patch.
    The LLM model and the no-LLM baseline share it, keeping their comparison fair. 0 (the
    default, and every checkpoint made before it existed) keeps the plain patch head."""

    refine_channels: int = 0
    refine_features: int = 8
    refine_kernel: int = 7
    refine_dilations: tuple[int, ...] = (1, 2, 4, 8)


@dataclass(frozen=True)
class PromptConfig:
    """Which prompt parts to include (ablations need no code change)."""

    template: str = "ecg"
    dataset: bool = True
    task: bool = True
    covariates: bool = True
    statistics: bool = True
    n_lags: int = 3


@dataclass(frozen=True)
class DataConfig:
    """Windows: ``window_s`` seconds resampled to ``fs`` Hz; ``lead_mode`` independent (one lead
    per sequence) or concatenated (all ``leads`` in one sequence).

    Segmentation uses LUDB ``train_records``/``val_records`` (inclusive id ranges), plus QTDB's
    cardiologist-marked beats when ``qtdb_train`` is ``"even"`` (``RECORDS[0::2]``, see
    :mod:`medts.medtsllm.qtdb_data`; ``"none"`` reads no QTDB record). Anomaly uses
    MIT-BIH record ids ``anomaly_train_records`` (training windows, PVC-free when
    ``normal_only``) and ``anomaly_test_records`` (held out, scored by ``medts bench anomaly``);
    split by record, never by window."""

    fs: float = 100.0
    window_s: float = 2.0
    hop_s: float = 1.0
    lead_mode: LeadMode = "independent"
    leads: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    train_records: tuple[int, int] = (1, 130)
    val_records: tuple[int, int] = (131, 160)
    qtdb_train: QtdbHalf = "none"
    anomaly_train_records: tuple[int, ...] = (100, 102, 104, 105, 108, 114, 121, 123)
    anomaly_test_records: tuple[int, ...] = (106, 116, 119, 200)
    normal_only: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation: AdamW, ``steps`` optimizer steps of ``batch_size`` x ``grad_accum`` windows.

    ``dice_weight`` > 0 adds that times a soft Dice loss over P, QRS and T to the segmentation
    cross-entropy (Dice is per class, so the short P waves weigh as much as the T waves);
    ``save_every`` > 0 lets ``medts train`` write the checkpoint every that many steps, so a run
    stopped early still leaves its latest weights. ``init_from`` names a checkpoint folder whose
    weights (encoder, head, LoRA) start the run: training continues from it, with this config's
    prompt, loss and schedule; its architecture sections must match this config's."""

    steps: int = 200
    dice_weight: float = 0.0
    save_every: int = 0
    init_from: str | None = None
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int | None = None
    eval_every: int = 50
    max_val_windows: int | None = 512


@dataclass(frozen=True)
class MedTsLLMConfig:
    """A whole MedTsLLM model: task, backbone, LoRA, encoder, head, prompt, data and training."""

    task: Task = "segmentation"
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    lora: LoraSettings = field(default_factory=LoraSettings)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def n_channels(self) -> int:
        """Leads per sequence: 1 when independent, all leads when concatenated."""
        return 1 if self.data.lead_mode == "independent" else len(self.data.leads)

    @property
    def n_outputs(self) -> int:
        """Per-sample outputs: 4 classes (none/P/QRS/T) or 1 reconstructed value."""
        return 4 if self.task == "segmentation" else 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MedTsLLMConfig:
        parts = {
            "backbone": BackboneConfig, "lora": LoraSettings, "encoder": EncoderConfig, "head": HeadConfig,
            "prompt": PromptConfig, "data": DataConfig, "train": TrainConfig,
        }
        unknown = set(d) - set(parts) - {"task"}
        if unknown:
            raise MedtsError(f"unknown MedTsLLM config keys: {sorted(unknown)}")
        kwargs: dict[str, Any] = {"task": d.get("task", "segmentation")}
        for name, klass in parts.items():
            sub = dict(d.get(name) or {})
            names = {f.name for f in dataclasses.fields(klass)}
            bad = set(sub) - names
            if bad:
                raise MedtsError(f"unknown keys in MedTsLLM config section {name!r}: {sorted(bad)}")
            for f in dataclasses.fields(klass):  # YAML gives lists; frozen configs keep tuples
                if f.name in sub and isinstance(sub[f.name], list):
                    sub[f.name] = tuple(sub[f.name])
            kwargs[name] = klass(**sub)
        return cls(**kwargs)

    def replace(self, **sections: Any) -> MedTsLLMConfig:
        """A copy with whole sections or fields replaced: ``cfg.replace(train={"steps": 5})``."""
        d = self.to_dict()
        for key, value in sections.items():
            if isinstance(value, dict):
                d[key] = {**d[key], **value}
            else:
                d[key] = value
        return MedTsLLMConfig.from_dict(d)


def with_overrides(cfg: MedTsLLMConfig, assignments: list[str] | tuple[str, ...]) -> MedTsLLMConfig:
    """``cfg`` with ``SECTION.FIELD=VALUE`` assignments applied, each value read as YAML
    (``backbone.n_layers=6``, ``lora.r=16``, ``train.steps=4400``): one base config file serves
    a whole ablation grid, and the manifest's command records each row's changes.

    >>> with_overrides(MedTsLLMConfig(), ["backbone.n_layers=6", "train.steps=50"]).backbone.n_layers
    6
    """
    import yaml

    sections: dict[str, dict[str, Any]] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise MedtsError(f"--set {item!r}: expected SECTION.FIELD=VALUE, e.g. backbone.n_layers=6")
        if section == "task" or not isinstance(getattr(cfg, section, None), (BackboneConfig, LoraSettings, EncoderConfig,
                                                                             HeadConfig, PromptConfig, DataConfig, TrainConfig)):
            raise MedtsError(f"--set {item!r}: unknown config section {section!r}")
        value = yaml.safe_load(text)
        if isinstance(getattr(getattr(cfg, section), name, None), float) and isinstance(value, (str, int)):
            try:  # YAML reads "1e-3" (no dot) as a string; a float field wants the number
                value = float(value)
            except ValueError as exc:
                raise MedtsError(f"--set {item!r}: {section}.{name} needs a number") from exc
        sections.setdefault(section, {})[name] = value
    return cfg.replace(**sections) if sections else cfg


def load_config(path: str | Path | None, *, task: Task | None = None) -> MedTsLLMConfig:
    """Read a YAML config (``None`` gives defaults); ``task`` overrides the file's task."""
    d: dict[str, Any] = {} if path is None else read_yaml_mapping(path, "MedTsLLM config")
    if task is not None:
        d["task"] = task
    return MedTsLLMConfig.from_dict(d)
