"""MedTsLLM: RevIN -> patch reprogramming encoder -> [prompt embeddings ; patch embeddings] ->
LoRA-tuned causal LLM body -> task head on the patch positions' last hidden states.

``MedTsLLM(config)`` loads the backbone named by ``config.backbone`` (or takes one already
loaded, e.g. a tiny random LlamaConfig model in tests). With ``backbone.use_llm = False`` the
LLM is replaced by a small trainable transformer (the no-LLM baseline) and prompts are ignored.
``forward(..., cache_prompts=True)`` runs each distinct prompt once and shares its key/value
cache across the sequences that use it (inference: the windows of one lead share a prompt).

Example
-------
>>> import torch
>>> from medts.medtsllm.config import MedTsLLMConfig
>>> model = MedTsLLM(MedTsLLMConfig())                          # doctest: +SKIP
>>> out = model(torch.randn(2, 1, 200), ["ECG:", "ECG:"])        # doctest: +SKIP
>>> out.output.shape                                             # doctest: +SKIP
torch.Size([2, 1, 200, 4])
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from medts.medtsllm.backbone import add_lora, decoder_of, load_backbone
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.encoder import PatchReprogrammingEncoder
from medts.medtsllm.heads import PatchHead, SampleRefiner
from medts.medtsllm.revin import RevIN


@dataclass
class MedTsLLMOutput:
    """``output`` [batch, channels, time, n_outputs]: segmentation logits or reconstruction
    (in input units); ``hidden`` [batch, channels * n_patches, d_hidden]: last hidden states at
    the patch positions (for a free-text head); ``normalized_input`` [batch, channels, time]."""

    output: torch.Tensor
    hidden: torch.Tensor
    normalized_input: torch.Tensor
    reconstruction_normalized: torch.Tensor | None = None


class BaselineBody(nn.Module):
    """The no-LLM stand-in: a small transformer encoder with learned positions."""

    def __init__(self, width: int, n_layers: int, max_positions: int = 4096) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(width, nhead=4, dim_feedforward=2 * width, dropout=0.0, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.positions = nn.Embedding(max_positions, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """[batch, seq, width] -> [batch, seq, width]."""
        pos = self.positions(torch.arange(h.shape[1], device=h.device))
        return self.layers(h + pos[None])


class MedTsLLM(nn.Module):
    """The whole model; see the module docstring.

    Parameters
    ----------
    config : the model description (task, backbone, LoRA, encoder, prompt, data).
    backbone, tokenizer : an already loaded causal LM and tokenizer (tests, sharing one
        backbone between models); by default loaded from ``config.backbone``.
    """

    def __init__(
        self,
        config: MedTsLLMConfig,
        backbone: PreTrainedModel | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        n_ch = config.n_channels
        enc = config.encoder
        self.revin = RevIN(n_ch) if enc.revin else None
        if config.backbone.use_llm:
            if backbone is None:
                backbone, tokenizer = load_backbone(config.backbone)
            backbone.requires_grad_(False)
            self.llm = add_lora(backbone, config.lora)
            self.tokenizer = tokenizer
            self.tokenizer.padding_side = "left"  # patches sit at the end, right after the prompt
            if self.tokenizer.pad_token is None:
                self.tokenizer.pad_token = self.tokenizer.eos_token
            words = backbone.get_input_embeddings().weight  # [vocab, d_llm], frozen
            d_hidden = words.shape[1]
            self.llm_dtype = words.dtype
            self.body = None
        else:
            self.llm, self.tokenizer, words = None, None, None
            d_hidden = config.backbone.baseline_width
            self.llm_dtype = torch.float32
            self.body = BaselineBody(d_hidden, config.backbone.baseline_layers, config.backbone.baseline_max_positions)
        self.d_hidden = d_hidden
        self.encoder = PatchReprogrammingEncoder(enc, n_ch, d_hidden, words)
        hc = config.head
        n_features = hc.refine_features if hc.refine_channels > 0 else 0
        self.head = PatchHead(d_hidden, enc.patch_len, enc.stride, config.n_outputs, n_features)
        self.refiner = (SampleRefiner(config.n_outputs + n_features, config.n_outputs, hc.refine_channels,
                                      hc.refine_kernel, tuple(hc.refine_dilations))
                        if hc.refine_channels > 0 else None)

    # ----- parameters -------------------------------------------------------------------
    def own_modules(self) -> dict[str, nn.Module]:
        """The modules saved as safetensors (everything trainable except LoRA)."""
        mods: dict[str, nn.Module] = {"encoder": self.encoder, "head": self.head}
        if self.revin is not None:
            mods["revin"] = self.revin
        if self.body is not None:
            mods["body"] = self.body
        if self.refiner is not None:
            mods["refiner"] = self.refiner
        return mods

    def own_state_dict(self) -> dict[str, torch.Tensor]:
        """Encoder, head, RevIN (and baseline body) weights, prefixed by module name."""
        return {f"{name}.{k}": v for name, mod in self.own_modules().items() for k, v in mod.state_dict().items()}

    def load_own_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Strict inverse of ``own_state_dict``: every key must match, none may be left over."""
        for name, mod in self.own_modules().items():
            prefix = f"{name}."
            mod.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=True)
        known = {f"{n}." for n in self.own_modules()}
        extra = [k for k in state if not any(k.startswith(p) for p in known)]
        if extra:
            raise KeyError(f"unexpected keys in checkpoint: {extra[:5]}")

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def count_parameters(self) -> dict[str, int]:
        """Trainable counts per part (encoder incl. prototype map, head, LoRA, baseline body)."""
        counts = {name: sum(p.numel() for p in mod.parameters() if p.requires_grad) for name, mod in self.own_modules().items()}
        if self.llm is not None:
            counts["lora"] = sum(p.numel() for n, p in self.llm.named_parameters() if p.requires_grad)
            counts["frozen_backbone"] = sum(p.numel() for p in self.llm.parameters() if not p.requires_grad)
        counts["trainable_total"] = sum(v for k, v in counts.items() if k != "frozen_backbone")
        return counts

    # ----- forward ----------------------------------------------------------------------
    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        if self.llm_dtype == torch.bfloat16:
            return torch.autocast(device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def embed_prompts(self, prompts: list[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Left-padded prompt embeddings [batch, prompt_len, d_llm] and attention mask [batch, prompt_len]."""
        tok = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        ids, mask = tok["input_ids"].to(device), tok["attention_mask"].to(device)
        return self.llm.get_input_embeddings()(ids), mask

    def llm_hidden(self, patches: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """Last hidden states [B, C*N, d] at the patch positions, prompts and patches in one pass:
        prompts left-padded to a common length, pads masked out."""
        text, text_mask = self.embed_prompts(prompts, patches.device)  # [B, L, d], [B, L]
        seq = torch.cat([text, patches.to(text.dtype)], dim=1)  # [B, L + C*N, d]
        mask = torch.cat([text_mask, torch.ones(patches.shape[:2], dtype=text_mask.dtype, device=patches.device)], dim=1)
        hidden = decoder_of(self.llm)(inputs_embeds=seq, attention_mask=mask).last_hidden_state
        return hidden[:, text.shape[1]:]  # [B, C*N, d]: the patch positions only

    def llm_hidden_cached(self, patches: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """As ``llm_hidden``, but each distinct prompt runs through the LLM once and its key/value
        cache is shared by every sequence with that prompt (e.g. the 5 windows of one lead).

        Two passes: the distinct prompts (left-padded, as in ``llm_hidden``), then all patch
        sequences at once on top of their prompt's keys/values. Same positions, same masks and
        fixed LoRA weights, so the patch states equal ``llm_hidden``'s up to float rounding.
        For a 10 s 12-lead record this runs 12 prompts instead of 60.
        """
        from transformers import DynamicCache

        decoder = decoder_of(self.llm)
        # transformers 5.x names the argument ``cache`` (``past_key_values`` is deprecated)
        cache_arg = "cache" if "cache" in inspect.signature(decoder.forward).parameters else "past_key_values"
        distinct = list(dict.fromkeys(prompts))
        which = torch.tensor([distinct.index(p) for p in prompts], device=patches.device)  # [B] -> prompt row
        text, text_mask = self.embed_prompts(distinct, patches.device)  # [U, L, d], [U, L]
        cache = DynamicCache()
        decoder(inputs_embeds=text, attention_mask=text_mask, use_cache=True, **{cache_arg: cache})
        cache.batch_select_indices(which)  # key/values [U, heads, L, dh] -> [B, heads, L, dh]
        n_text, n_patches = text.shape[1], patches.shape[1]
        mask = torch.cat([text_mask[which], torch.ones(patches.shape[:2], dtype=text_mask.dtype, device=patches.device)], dim=1)
        positions = torch.arange(n_text, n_text + n_patches, device=patches.device)[None]  # [1, C*N], after the prompt
        return decoder(
            inputs_embeds=patches.to(text.dtype), attention_mask=mask, position_ids=positions, use_cache=True,
            **{cache_arg: cache},
        ).last_hidden_state  # [B, C*N, d]

    def forward(self, x: torch.Tensor, prompts: list[str] | None = None, *, cache_prompts: bool = False) -> MedTsLLMOutput:
        """``x`` [batch, channels, time] in mV; ``prompts`` one string per sequence (LLM only).

        ``cache_prompts`` runs each distinct prompt once and reuses its key/values
        (``llm_hidden_cached``; inference, where many windows share a prompt)."""
        batch, channels, n_samples = x.shape
        z = self.revin.normalize(x) if self.revin is not None else x  # [B, C, T]
        with self._autocast(x.device):
            patches = self.encoder(z)  # [B, C*N, d_hidden]
            if self.llm is not None:
                if prompts is None or len(prompts) != batch:
                    raise ValueError(f"need one prompt per sequence ({batch}), got {None if prompts is None else len(prompts)}")
                hidden = (self.llm_hidden_cached if cache_prompts else self.llm_hidden)(patches, prompts)  # [B, C*N, d]
            else:
                hidden = self.body(patches)  # [B, C*N, d]
        out = self.head(hidden, channels, n_samples)  # [B, C, T, O (+ F refiner features)] float32
        if self.refiner is not None:
            out = self.refiner(out, z)  # [B, C, T, O]: per-sample corrections from the signal
        recon_norm = None
        if self.config.task == "anomaly":
            recon_norm = out[..., 0]  # [B, C, T]
            recon = self.revin.denormalize(recon_norm) if self.revin is not None else recon_norm
            out = recon.unsqueeze(-1)  # [B, C, T, 1]
        return MedTsLLMOutput(output=out, hidden=hidden, normalized_input=z, reconstruction_normalized=recon_norm)
