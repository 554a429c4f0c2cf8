"""1-D CNN classifiers for 12-lead ECGs: a small xresnet1d and a small inception1d.

Both follow the two best model families of the PTB-XL benchmark (Strodthoff et al., 2021,
IEEE JBHI 25(5)), shrunk so that they train in minutes on a CPU. Input is
``float32 [batch, leads, time]`` (preprocessed, see :mod:`medts.classify.preprocess`),
output is one logit per statement ``[batch, n_classes]``. Both end in global average + max
pooling, so any window length of at least ``ModelConfig.window_samples`` works.

The architecture is fully described by :class:`ModelConfig`, which is stored next to the
weights; :func:`build_model` rebuilds the exact module from it.

Example
-------
>>> import torch
>>> from medts.classify.models import ModelConfig, build_model
>>> model = build_model(ModelConfig(arch="xresnet1d", n_classes=5)).eval()
>>> model(torch.zeros(2, 12, 250)).shape
torch.Size([2, 5])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

ARCHITECTURES = ("xresnet1d", "inception1d")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a classifier network (saved in checkpoints).

    Parameters
    ----------
    arch : {"xresnet1d", "inception1d"}
    n_classes : int
        Number of statements (outputs).
    n_leads : int
        Input channels, 12 in canonical order (I, II, III, aVR, aVL, aVF, V1-V6).
    fs_hz : float
        Sampling rate the network was trained at (100 Hz for PTB-XL ``records100``).
    window_samples : int
        Training crop and test window length in samples (250 = 2.5 s at 100 Hz).
    widths, blocks : tuple of int
        xresnet1d: channels and number of residual blocks per stage.
    stem : tuple of int
        xresnet1d: channels of the three stem convolutions.
    kernel_size : int
        xresnet1d: convolution kernel size (odd).
    filters, depth, kernels : int, int, tuple of int
        inception1d: filters per branch, number of inception blocks, branch kernel sizes.
    downsample : {1, 2, 4}
        inception1d: time downsampling before the first block (1: none, as in the benchmark;
        2: a stride-2 convolution stem; 4: that stem plus a stride-2 max-pool). Downsampling by 4
        makes every block 4x cheaper, which is what lets inception1d train in minutes on a CPU
        (kernels are in samples *after* downsampling).
    head_hidden : int
        Width of the hidden layer of the classification head.
    dropout : float
        Dropout in the head.
    """

    arch: str = "xresnet1d"
    n_classes: int = 5
    n_leads: int = 12
    fs_hz: float = 100.0
    window_samples: int = 250
    widths: tuple[int, ...] = (64, 128, 192, 256)
    blocks: tuple[int, ...] = (1, 1, 1, 1)
    stem: tuple[int, ...] = (32, 32, 64)
    kernel_size: int = 5
    filters: int = 32
    depth: int = 6
    kernels: tuple[int, ...] = (39, 19, 9)
    downsample: int = 1
    head_hidden: int = 128
    dropout: float = 0.25

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if len(self.widths) != len(self.blocks):
            raise ValueError("widths and blocks must have the same length")
        if self.downsample not in (1, 2, 4):
            raise ValueError(f"downsample must be 1, 2 or 4, got {self.downsample}")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _conv_bn_act(c_in: int, c_out: int, kernel: int, stride: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(c_out),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResBlock1d(nn.Module):
    """xresnet basic block: two convolutions; the shortcut downsamples by average pooling (ResNet-D)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int):
        super().__init__()
        self.convs = nn.Sequential(
            _conv_bn_act(c_in, c_out, kernel, stride=stride),
            _conv_bn_act(c_out, c_out, kernel, act=False),
        )
        # Zero-init the last BN so each block starts as the identity (fastai xresnet).
        nn.init.zeros_(self.convs[1][1].weight)
        shortcut: list[nn.Module] = []
        if stride != 1:
            shortcut.append(nn.AvgPool1d(stride, stride, ceil_mode=True))
        if c_in != c_out:
            shortcut.append(_conv_bn_act(c_in, c_out, 1, act=False))
        self.shortcut = nn.Sequential(*shortcut)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.convs(x) + self.shortcut(x))


class InceptionBlock1d(nn.Module):
    """Inception block: bottleneck, parallel convolutions of several lengths, max-pool branch."""

    def __init__(self, c_in: int, filters: int, kernels: tuple[int, ...]):
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, filters, 1, bias=False) if c_in > 1 else nn.Identity()
        c_b = filters if c_in > 1 else c_in
        self.branches = nn.ModuleList(nn.Conv1d(c_b, filters, k, padding=k // 2, bias=False) for k in kernels)
        self.pool_branch = nn.Sequential(nn.MaxPool1d(3, 1, padding=1), nn.Conv1d(c_in, filters, 1, bias=False))
        self.out = nn.Sequential(nn.BatchNorm1d(filters * (len(kernels) + 1)), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bottleneck(x)
        return self.out(torch.cat([conv(b) for conv in self.branches] + [self.pool_branch(x)], dim=1))


class Inception1d(nn.Module):
    """InceptionTime-style body: ``depth`` blocks with a residual shortcut every three.

    With ``cfg.downsample`` > 1 a stride-2 convolution stem (and for 4 a stride-2 max-pool)
    shortens the sequence first (``self.stem``; an identity otherwise).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c_out = cfg.filters * (len(cfg.kernels) + 1)
        self.blocks = nn.ModuleList()
        self.shortcuts = nn.ModuleList()
        c_in = cfg.n_leads
        if cfg.downsample > 1:
            c_in = 2 * cfg.filters
            stem: list[nn.Module] = [_conv_bn_act(cfg.n_leads, c_in, 7, stride=2)]
            if cfg.downsample == 4:
                stem.append(nn.MaxPool1d(3, 2, padding=1))
            self.stem: nn.Module = nn.Sequential(*stem)
        else:
            self.stem = nn.Identity()
        c_res = c_in
        for d in range(cfg.depth):
            self.blocks.append(InceptionBlock1d(c_in, cfg.filters, cfg.kernels))
            c_in = c_out
            if d % 3 == 2:
                self.shortcuts.append(_conv_bn_act(c_res, c_out, 1, act=False))
                c_res = c_out
        self.out_channels = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        residual = x
        for d, block in enumerate(self.blocks):
            x = block(x)
            if d % 3 == 2:
                x = torch.relu(x + self.shortcuts[d // 3](residual))
                residual = x
        return x


class XResNet1d(nn.Module):
    """xresnet1d body: three-conv stem, max-pool, then stages of residual blocks."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        k = cfg.kernel_size
        stem_in = (cfg.n_leads, *cfg.stem[:-1])
        self.stem = nn.Sequential(
            *[_conv_bn_act(c_in, c_out, k, stride=2 if i == 0 else 1)
              for i, (c_in, c_out) in enumerate(zip(stem_in, cfg.stem))],
            nn.MaxPool1d(3, 2, padding=1),
        )
        stages: list[nn.Module] = []
        c_in = cfg.stem[-1]
        for i, (width, n_blocks) in enumerate(zip(cfg.widths, cfg.blocks)):
            for b in range(n_blocks):
                stride = 2 if (i > 0 and b == 0) else 1
                stages.append(ResBlock1d(c_in, width, k, stride))
                c_in = width
        self.stages = nn.Sequential(*stages)
        self.out_channels = c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


class ConcatPoolHead(nn.Module):
    """Global average and max pooling, concatenated, then a two-layer classifier (fastai head)."""

    def __init__(self, c_in: int, n_classes: int, hidden: int, dropout: float):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.BatchNorm1d(2 * c_in), nn.Dropout(dropout / 2), nn.Linear(2 * c_in, hidden), nn.ReLU(inplace=True),
            nn.BatchNorm1d(hidden), nn.Dropout(dropout), nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=-1), x.amax(dim=-1)], dim=1)  # [batch, 2 * channels]
        return self.mlp(pooled)


class ECGClassifierNet(nn.Module):
    """Body + head. ``forward(x [batch, leads, time]) -> logits [batch, n_classes]``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        self.body = XResNet1d(cfg) if cfg.arch == "xresnet1d" else Inception1d(cfg)
        self.head = ConcatPoolHead(self.body.out_channels, cfg.n_classes, cfg.head_hidden, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def build_model(cfg: ModelConfig) -> ECGClassifierNet:
    """The network described by ``cfg`` (randomly initialised; seed torch first for reproducibility)."""
    return ECGClassifierNet(cfg)


def fold_batchnorm(model: ECGClassifierNet) -> ECGClassifierNet:
    """An inference copy of ``model`` with every convolution + batch-norm pair merged into one convolution.

    Same outputs up to float rounding (about 1e-7 in probability), fewer passes over memory on
    CPU. The original is left untouched (it is what gets saved and trained).

    Example
    -------
    >>> import torch
    >>> net = build_model(ModelConfig(n_classes=3)).eval()
    >>> x = torch.randn(2, 12, 250)
    >>> bool(torch.allclose(net(x), fold_batchnorm(net)(x), atol=1e-4))
    True
    """
    import copy

    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        if isinstance(module, nn.Sequential) and len(module) >= 2 and isinstance(module[0], nn.Conv1d) \
                and isinstance(module[1], nn.BatchNorm1d):
            module[0] = fuse_conv_bn_eval(module[0], module[1])
            module[1] = nn.Identity()
    return folded


class ChannelsLastNet(nn.Module):
    """Inference form of a classifier whose body runs as 2-D ``[batch, channels, 1, time]`` in channels-last memory.

    oneDNN's channels-last 2-D convolutions were 1.3-2.5x faster than its 1-D ones for these
    narrow networks on the development CPU (AVX2, one thread); the arithmetic is the same up
    to float rounding (about 1e-7 in probability). Built by :func:`to_channels_last_2d`.
    """

    def __init__(self, body: nn.Module, head: nn.Module, config: ModelConfig):
        super().__init__()
        self.body, self.head, self.config = body, head, config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # [batch, leads, 1, time]
        return self.head(self.body(x).squeeze(2))  # body out [batch, channels, 1, time'] -> [batch, channels, time']


class TimeMaxPool2d(nn.Module):
    """Max-pool over the last axis of ``[batch, channels, 1, time]`` as a max of shifted strided views.

    Same values as ``nn.MaxPool1d(kernel, stride, padding)`` (max is exact); several times faster
    than ``max_pool2d`` on channels-last tensors on the development CPU, which also computes indices.
    """

    def __init__(self, kernel: int, stride: int, padding: int):
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1] + 2 * self.padding
        n_out = (n - self.kernel) // self.stride + 1
        if self.padding:
            x = torch.nn.functional.pad(x, (self.padding, self.padding), value=float("-inf"))
        span = self.stride * (n_out - 1) + 1
        out = x[..., 0:span:self.stride]
        for i in range(1, self.kernel):
            out = torch.maximum(out, x[..., i : i + span : self.stride])
        return out


def _as_2d(module: nn.Module) -> nn.Module:
    """The 2-D (height 1) equivalent of a 1-D layer, with the same parameters; other modules unchanged."""
    if isinstance(module, nn.Conv1d):
        conv = nn.Conv2d(module.in_channels, module.out_channels, (1, module.kernel_size[0]),
                         stride=(1, module.stride[0]), padding=(0, module.padding[0]),
                         dilation=(1, module.dilation[0]), groups=module.groups, bias=module.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(module.weight.unsqueeze(2))
            if module.bias is not None:
                conv.bias.copy_(module.bias)
        return conv
    if isinstance(module, nn.BatchNorm1d):
        bn = nn.BatchNorm2d(module.num_features, eps=module.eps)
        bn.load_state_dict(module.state_dict())
        return bn.eval()
    if isinstance(module, nn.MaxPool1d) and not module.ceil_mode and module.dilation == 1:
        return TimeMaxPool2d(module.kernel_size, module.stride, module.padding)
    if isinstance(module, nn.MaxPool1d):
        return nn.MaxPool2d((1, module.kernel_size), (1, module.stride), (0, module.padding), ceil_mode=module.ceil_mode)
    if isinstance(module, nn.AvgPool1d):
        return nn.AvgPool2d((1, module.kernel_size[0]), (1, module.stride[0]), (0, module.padding[0]),
                            ceil_mode=module.ceil_mode, count_include_pad=module.count_include_pad)
    return module


def to_channels_last_2d(model: ECGClassifierNet) -> ChannelsLastNet:
    """A channels-last 2-D inference copy of ``model`` (fold batch norm first: :func:`fold_batchnorm`).

    Example
    -------
    >>> import torch
    >>> net = build_model(ModelConfig(arch="inception1d", n_classes=3, downsample=4)).eval()
    >>> x = torch.randn(2, 12, 250)
    >>> bool(torch.allclose(net(x), to_channels_last_2d(net)(x), atol=1e-4))
    True
    """
    import copy

    body = copy.deepcopy(model.body).eval()
    for parent in list(body.modules()):
        for name, child in list(parent.named_children()):
            replaced = _as_2d(child)
            if replaced is not child:
                setattr(parent, name, replaced)
    body = body.to(memory_format=torch.channels_last)
    return ChannelsLastNet(body, copy.deepcopy(model.head).eval(), model.config).eval()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


PRESETS: dict[str, dict[str, Any]] = {
    "xresnet1d": {"arch": "xresnet1d"},
    "xresnet1d-small": {"arch": "xresnet1d", "widths": (32, 64, 96, 128), "stem": (16, 16, 32)},
    "inception1d": {"arch": "inception1d", "filters": 24, "depth": 6, "kernels": (19, 9, 5)},
    "inception1d-large": {"arch": "inception1d", "filters": 32, "depth": 6, "kernels": (39, 19, 9)},
    # kernels 11/5/3 at 25 Hz cover about the same 0.4/0.2/0.1 s as 39/19/9 at 100 Hz
    "inception1d-fast": {"arch": "inception1d", "filters": 24, "depth": 6, "kernels": (11, 5, 3), "downsample": 4},
    "xresnet1d-wide": {"arch": "xresnet1d", "widths": (48, 96, 144, 192), "stem": (24, 24, 48)},
}
"""Named model sizes for ``medts train classifier --model NAME`` (all train on a CPU)."""


def preset_config(name: str, n_classes: int, **overrides: Any) -> ModelConfig:
    """The :class:`ModelConfig` of a named preset (see :data:`PRESETS`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(PRESETS)}")
    return ModelConfig(**{**PRESETS[name], "n_classes": n_classes, **overrides})
