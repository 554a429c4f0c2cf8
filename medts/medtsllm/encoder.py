"""Patch encoder with reprogramming (Time-LLM / MedTsLLM): ECG windows -> LLM-sized embeddings.

Steps: RevIN (in the model) -> replicate-pad the end so patches tile the window -> patches of
``patch_len`` samples every ``stride`` samples -> linear patch embedding (``d_model``) ->
multi-head cross-attention from patches (queries) to K text prototypes (keys/values) -> linear
projection to the backbone hidden size. The prototypes are a learned linear map of the frozen
word-embedding matrix (K rows mixing the whole vocabulary), so the patches land in the region
of embedding space the LLM already reads. Without an LLM (the no-LLM baseline) the prototypes
are free parameters. ``EncoderConfig.prototype_vocab`` restricts the vocabulary the prototypes
mix (the first N token ids) to keep adapters small.

Example
-------
>>> import torch
>>> enc = PatchReprogrammingEncoder(EncoderConfig(patch_len=10, stride=10), n_channels=1,
...                                 d_out=32, word_embeddings=torch.randn(100, 32))
>>> enc(torch.randn(3, 1, 200)).shape        # [batch, channels * n_patches, d_out]
torch.Size([3, 20, 32])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from medts.medtsllm.config import EncoderConfig


def patch_layout(n_samples: int, patch_len: int, stride: int) -> tuple[int, int]:
    """(n_patches, padded_length) so that patches of ``patch_len`` every ``stride`` cover
    ``n_samples`` samples, padding the end as little as possible."""
    if n_samples <= patch_len:
        return 1, patch_len
    n_patches = -(-(n_samples - patch_len) // stride) + 1  # ceil division
    return n_patches, (n_patches - 1) * stride + patch_len


def make_patches(x: torch.Tensor, patch_len: int, stride: int) -> torch.Tensor:
    """[batch, channels, time] -> [batch, channels, n_patches, patch_len] (end replicate-padded)."""
    n_patches, padded = patch_layout(x.shape[-1], patch_len, stride)
    if padded > x.shape[-1]:
        x = F.pad(x, (0, padded - x.shape[-1]), mode="replicate")  # [B, C, padded]
    return x.unfold(-1, patch_len, stride)  # [B, C, N, patch_len]


class PatchReprogrammingEncoder(nn.Module):
    """Patches -> reprogrammed embeddings of width ``d_out`` (the LLM hidden size).

    Parameters
    ----------
    config : patch and attention sizes.
    n_channels : channels per sequence; >1 (leads concatenated) adds a learned lead embedding
        so the LLM can tell which lead a patch came from.
    d_out : output width (LLM hidden size, or the baseline transformer width).
    word_embeddings : frozen [vocab, d_out] matrix (not stored in this module's state), or
        ``None`` for free prototypes.
    """

    def __init__(
        self,
        config: EncoderConfig,
        n_channels: int,
        d_out: int,
        word_embeddings: torch.Tensor | None,
    ) -> None:
        super().__init__()
        self.config = config
        self.n_channels = n_channels
        self.patch_embedding = nn.Linear(config.patch_len, config.d_model)
        self.lead_embedding = nn.Embedding(n_channels, config.d_model) if n_channels > 1 else None
        # Held outside the state dict: the backbone owns it, checkpoints must stay small.
        self._word_embeddings = [word_embeddings] if word_embeddings is not None else None
        if word_embeddings is not None and config.prototype_vocab:
            word_embeddings = word_embeddings[: config.prototype_vocab]  # a view: no copy, still frozen
            self._word_embeddings = [word_embeddings]
        if word_embeddings is not None:
            vocab = word_embeddings.shape[0]
            self.prototype_map = nn.Linear(vocab, config.n_prototypes)
            self.prototypes = None
        else:
            self.prototype_map = None
            self.prototypes = nn.Parameter(torch.randn(config.n_prototypes, d_out) * d_out**-0.5)
        self.reprogramming = nn.MultiheadAttention(
            config.d_model, config.n_heads, dropout=config.dropout, kdim=d_out, vdim=d_out, batch_first=True
        )
        self.projection = nn.Linear(config.d_model, d_out)
        self.dropout = nn.Dropout(config.dropout)

    def text_prototypes(self) -> torch.Tensor:
        """[n_prototypes, d_out]: each prototype a learned mixture of the vocabulary."""
        if self.prototype_map is None:
            return self.prototypes
        words = self._word_embeddings[0]  # [vocab, d_out], frozen
        mapped = self.prototype_map(words.T.to(self.prototype_map.weight.dtype))  # [d_out, K]
        return mapped.T  # [K, d_out]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [batch, channels, time] (normalised) -> [batch, channels * n_patches, d_out]."""
        batch, channels, _ = x.shape
        patches = make_patches(x, self.config.patch_len, self.config.stride)  # [B, C, N, P]
        h = self.patch_embedding(patches)  # [B, C, N, d_model]
        if self.lead_embedding is not None:
            lead_ids = torch.arange(channels, device=x.device)
            h = h + self.lead_embedding(lead_ids)[None, :, None, :]  # broadcast over B and N
        n_patches = h.shape[2]
        h = h.reshape(batch, channels * n_patches, -1)  # [B, C*N, d_model], lead-major order
        protos = self.text_prototypes()  # [K, d_out]
        protos = protos.unsqueeze(0).expand(batch, -1, -1)  # [B, K, d_out]
        attended, _ = self.reprogramming(h, protos, protos, need_weights=False)  # [B, C*N, d_model]
        return self.projection(self.dropout(attended))  # [B, C*N, d_out]
