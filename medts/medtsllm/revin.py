"""RevIN: reversible instance normalisation (Kim et al., ICLR 2022) per sequence and channel.

Each channel of each window is shifted and scaled to zero mean, unit variance over time before
the encoder; ``denormalize`` undoes it (used by the anomaly head's reconstruction).

Example
-------
>>> import torch
>>> revin = RevIN(n_channels=1)
>>> x = torch.randn(2, 1, 200) * 3 + 1
>>> z = revin.normalize(x)
>>> bool(torch.allclose(revin.denormalize(z), x, atol=1e-4))
True
"""

from __future__ import annotations

import torch
from torch import nn


class RevIN(nn.Module):
    """Instance normalisation over time with a learnable per-channel affine map.

    Parameters
    ----------
    n_channels : channels per sequence (1 when leads are independent).
    eps : variance floor; flat-line windows stay finite.
    """

    def __init__(self, n_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_channels))
            self.bias = nn.Parameter(torch.zeros(n_channels))
        self._mean: torch.Tensor | None = None
        self._std: torch.Tensor | None = None

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [batch, channels, time] -> normalised, same shape; remembers the statistics."""
        self._mean = x.mean(dim=-1, keepdim=True).detach()  # [B, C, 1]
        self._std = torch.sqrt(x.var(dim=-1, keepdim=True, unbiased=False) + self.eps).detach()
        z = (x - self._mean) / self._std
        if self.affine:
            z = z * self.weight[None, :, None] + self.bias[None, :, None]
        return z

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        """Inverse of the last ``normalize`` call: [batch, channels, time] back to input units."""
        if self._mean is None or self._std is None:
            raise RuntimeError("RevIN.denormalize called before normalize")
        if self.affine:
            z = (z - self.bias[None, :, None]) / (self.weight[None, :, None] + self.eps)
        return z * self._std + self._mean
