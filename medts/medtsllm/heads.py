"""Task heads on the LLM's last hidden states at the patch positions.

Each patch token predicts ``patch_len`` samples x ``n_outputs`` values; overlapping patches
(stride < patch_len) are averaged back onto the time axis with ``fold`` (overlap-add / count).

- segmentation: 4 logits per sample (0 none, 1 P, 2 QRS, 3 T, as ``medts.io.annotations``).
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
    """Linear map from each patch's hidden state to its samples' outputs."""

    def __init__(self, d_hidden: int, patch_len: int, stride: int, n_outputs: int) -> None:
        super().__init__()
        self.patch_len, self.stride, self.n_outputs = patch_len, stride, n_outputs
        self.norm = nn.LayerNorm(d_hidden)
        self.linear = nn.Linear(d_hidden, patch_len * n_outputs)

    def forward(self, hidden: torch.Tensor, n_channels: int, n_samples: int) -> torch.Tensor:
        """``hidden`` [batch, channels * n_patches, d_hidden] -> [batch, channels, time, n_outputs]."""
        batch = hidden.shape[0]
        n_patches, _ = patch_layout(n_samples, self.patch_len, self.stride)
        y = self.linear(self.norm(hidden.float()))  # [B, C*N, P*O]
        y = y.reshape(batch * n_channels, n_patches, self.patch_len, self.n_outputs)  # [B*C, N, P, O]
        out = overlap_average(y, n_samples, self.stride)  # [B*C, T, O]
        return out.reshape(batch, n_channels, n_samples, self.n_outputs)  # [B, C, T, O]


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
