"""Task heads on the LLM's last hidden states at the patch positions.

Each patch token predicts ``patch_len`` samples x ``n_outputs`` values; overlapping patches
(stride < patch_len) are averaged back onto the time axis with ``fold`` (overlap-add / count).

- segmentation: 4 logits per sample (0 none, 1 P, 2 QRS, 3 T, as ``medts.io.annotations``).
  A patch fixes a whole ``patch_len`` block at once, so wave boundaries land on patch edges;
  ``SampleRefiner`` (``HeadConfig.refine_channels`` > 0) corrects them per sample from the
  normalised signal itself.
- anomaly: 1 reconstructed value per sample (in RevIN-normalised units); the squared error
  per sample becomes per-beat and per-window scores (``beat_scores``, ``window_score``).

Example
-------
>>> import torch
>>> head = PatchHead(d_hidden=16, patch_len=10, stride=10, n_outputs=4)
>>> head(torch.randn(2, 3 * 20, 16), n_channels=3, n_samples=200).shape
torch.Size([2, 3, 200, 4])
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from medts.medtsllm.encoder import patch_layout


class PatchHead(nn.Module):
    """Linear map from each patch's hidden state to its samples' outputs (``n_outputs`` values,
    plus ``n_features`` extra per-sample features for a ``SampleRefiner`` when > 0)."""

    def __init__(self, d_hidden: int, patch_len: int, stride: int, n_outputs: int, n_features: int = 0) -> None:
        super().__init__()
        self.patch_len, self.stride = patch_len, stride
        self.n_outputs = n_outputs + n_features  # the features ride along as extra outputs
        self.norm = nn.LayerNorm(d_hidden)
        self.linear = nn.Linear(d_hidden, patch_len * self.n_outputs)

    def forward(self, hidden: torch.Tensor, n_channels: int, n_samples: int) -> torch.Tensor:
        """``hidden`` [batch, channels * n_patches, d_hidden] -> [batch, channels, time, n_outputs]."""
        batch = hidden.shape[0]
        n_patches, _ = patch_layout(n_samples, self.patch_len, self.stride)
        y = self.linear(self.norm(hidden.float()))  # [B, C*N, P*O]
        y = y.reshape(batch * n_channels, n_patches, self.patch_len, self.n_outputs)  # [B*C, N, P, O]
        out = overlap_average(y, n_samples, self.stride)  # [B*C, T, O]
        return out.reshape(batch, n_channels, n_samples, self.n_outputs)  # [B, C, T, O]


class SampleRefiner(nn.Module):
    """Per-sample refinement: dilated 1-D convs over [coarse per-sample outputs, normalised signal]
    -> a residual added to the first ``n_outputs`` coarse outputs.

    The last conv starts at zero, so an untrained refiner leaves the patch head's logits as
    they are. Receptive field: ``1 + (kernel - 1) * sum(dilations)`` samples (61 = 0.61 s at
    100 Hz with the defaults), enough to see a whole P wave and the QRS after it.

    Example
    -------
    >>> r = SampleRefiner(n_in=12, n_outputs=4, channels=16)
    >>> r(torch.randn(2, 3, 200, 12), torch.randn(2, 3, 200)).shape
    torch.Size([2, 3, 200, 4])
    """

    def __init__(self, n_in: int, n_outputs: int, channels: int, kernel: int = 7,
                 dilations: tuple[int, ...] = (1, 2, 4, 8)) -> None:
        super().__init__()
        self.n_outputs = n_outputs
        layers: list[nn.Module] = []
        width = n_in + 1  # coarse outputs + the signal
        for d in dilations:
            layers += [nn.Conv1d(width, channels, kernel, dilation=d, padding=d * (kernel // 2)), nn.GELU()]
            width = channels
        self.convs = nn.Sequential(*layers)
        self.out = nn.Conv1d(channels, n_outputs, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, coarse: torch.Tensor, signal: torch.Tensor) -> torch.Tensor:
        """``coarse`` [batch, channels, time, n_in], ``signal`` [batch, channels, time] ->
        refined [batch, channels, time, n_outputs]."""
        b, c, t, n_in = coarse.shape
        x = torch.cat([coarse, signal.unsqueeze(-1).to(coarse.dtype)], dim=-1)  # [B, C, T, n_in + 1]
        x = x.reshape(b * c, t, n_in + 1).transpose(1, 2)  # [B*C, n_in + 1, T]: Conv1d layout
        delta = self.out(self.convs(x)).transpose(1, 2).reshape(b, c, t, self.n_outputs)  # [B, C, T, O]
        return coarse[..., : self.n_outputs] + delta


def overlap_average(values: torch.Tensor, n_samples: int, stride: int) -> torch.Tensor:
    """Per-patch values [seqs, n_patches, patch_len, n_outputs] -> per-sample [seqs, n_samples,
    n_outputs], averaging where patches overlap and dropping the end padding."""
    seqs, n_patches, patch_len, n_out = values.shape
    padded = (n_patches - 1) * stride + patch_len
    y = values.permute(0, 3, 2, 1).reshape(seqs, n_out * patch_len, n_patches)
    # [seqs, O*P, N] is fold's layout: output channels, then kernel positions; blocks last
    summed = F.fold(y, output_size=(1, padded), kernel_size=(1, patch_len), stride=(1, stride))
    ones = torch.ones(1, patch_len, n_patches, dtype=y.dtype, device=y.device)
    count = F.fold(ones, output_size=(1, padded), kernel_size=(1, patch_len), stride=(1, stride))
    out = summed / count  # [seqs, O, 1, padded]
    return out[:, :, 0, :n_samples].transpose(1, 2)  # [seqs, T, O]


def beat_scores(error: np.ndarray, beats: np.ndarray, fs: float, *, half_width_s: float = 0.2) -> np.ndarray:
    """Per-beat anomaly scores: mean per-sample error within ±``half_width_s`` of each beat.

    ``error`` [n_samples] squared reconstruction error; ``beats`` sample indices (R peaks the
    pipeline detected). Returns float [n_beats] (NaN for beats whose window is empty).
    """
    half = int(round(half_width_s * fs))
    out = np.full(len(beats), np.nan)
    for i, b in enumerate(np.asarray(beats, dtype=int)):
        lo, hi = max(0, b - half), min(len(error), b + half + 1)
        if hi > lo:
            out[i] = float(np.mean(error[lo:hi]))
    return out


def window_score(error: np.ndarray) -> float:
    """Per-window anomaly score: the mean per-sample squared error."""
    return float(np.mean(error))
