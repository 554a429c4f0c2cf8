"""The MedTsLLM free-text head: SmolLM2 + LoRA writing an interpretation from ECG patch
embeddings and the tool facts.

Input sequence (one per record, left-padded in a batch)::

    [ "ECG lead II:" tokens ][ ECG prefix: n_prefix vectors ][ prompt tokens: facts ... "Interpretation (structured):" ][ text ... <eos> ]

The ECG prefix is the MedTsLLM patch encoder of the shipped segmentation adapter
(``adapters/segmentation-smollm2``, copied into the text adapter: RevIN -> patches -> reprogramming onto text
prototypes -> LLM hidden size), run on consecutive 2 s windows of lead II at 100 Hz, mean-pooled
to ``pool`` vectors per window and rescaled to the norm of the word embeddings. The encoder is
frozen (it was trained for segmentation); LoRA adapters on the last ``lora_layers`` decoder
layers learn to read the prefix and the facts. Loss: next-token cross-entropy on the text only.

Saved as ``manifest.json`` + ``prefix.safetensors`` (encoder, RevIN) + ``lora/`` (peft); the
manifest stores reference logits of a fixed input so that a reload can be checked exactly.

Example
-------
>>> head = load_text_head()                                   # doctest: +SKIP
>>> head.generate(["ECG facts:\\n- heart rate 70 bpm\\nInterpretation (structured):"], [ecg])   # doctest: +SKIP
['Sinus rhythm. Heart rate 70 bpm.']
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file, save_file
from torch import nn

from medts.adapters import SEGMENTATION, TEXT_HEAD, adapter_dir, write_lora_config
from medts.agent.generated_text import decode_new_tokens
from medts.errors import MedtsError
from medts.medtsllm.backbone import DEFAULT_BACKBONE, quiet_hf
from medts.medtsllm.config import EncoderConfig
from medts.medtsllm.encoder import PatchReprogrammingEncoder
from medts.medtsllm.revin import RevIN
from medts.record import ECG

DEFAULT_ADAPTER = adapter_dir(TEXT_HEAD)
SEGMENTATION_SOURCE = adapter_dir(SEGMENTATION)  # encoder weights copied at training time
FORMAT = "medts-text-head/1"
ECG_HEADER = "ECG lead II:"


class TextHeadError(MedtsError):
    """The text-head adapter is missing or does not match the backbone."""


@dataclass(frozen=True)
class TextHeadConfig:
    """Sizes of the text head (stored in the manifest)."""

    backbone: str = "smollm2"
    dtype: str = "float32"
    lead: str = "II"
    fs: float = 100.0
    window_s: float = 2.0
    n_windows: int = 5
    pool: int = 2
    lora_r: int = 8
    lora_alpha: int = 16
    lora_layers: int = 10
    lora_targets: tuple[str, ...] = ("q_proj", "v_proj")
    max_target_tokens: int = 48
    encoder: dict[str, Any] = field(default_factory=dict)

    @property
    def n_prefix(self) -> int:
        return self.n_windows * self.pool


class TextHead(nn.Module):
    """SmolLM2 + LoRA + frozen MedTsLLM patch encoder; see the module docstring."""

    def __init__(self, config: TextHeadConfig, llm: nn.Module, tokenizer: Any) -> None:
        super().__init__()
        self.config = config
        n_layers = llm.config.num_hidden_layers
        first = max(n_layers - config.lora_layers, 0)
        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.0, bias="none",
                          target_modules=list(config.lora_targets), layers_to_transform=list(range(first, n_layers)))
        llm.requires_grad_(False)
        with quiet_hf():  # peft's is_gradient_checkpointing FutureWarning would print inside our progress bars
            self.llm = get_peft_model(llm, lora)
        self.tokenizer = tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        words = llm.get_input_embeddings().weight  # [vocab, d], frozen
        d = words.shape[1]
        self.revin = RevIN(1)
        self.encoder = PatchReprogrammingEncoder(EncoderConfig(**config.encoder), 1, d, words)
        self.encoder.requires_grad_(False)
        self.revin.requires_grad_(False)
        # word-embedding norm: the prefix is rescaled to it so the LLM sees token-like magnitudes
        self.word_norm = float(words.float().norm(dim=1).mean())
        self._header = tokenizer(ECG_HEADER, add_special_tokens=False)["input_ids"]

    @property
    def device(self) -> torch.device:
        """Where the LLM's weights are (inputs are built there: CPU, or the GPU accelerate chose)."""
        return self.llm.get_input_embeddings().weight.device

    # ----- inputs -----------------------------------------------------------------------
    def ecg_windows(self, ecg: ECG | None) -> torch.Tensor:
        """[n_windows, 1, window] lead II (or the first lead) at ``fs``; zeros without an ECG."""
        c = self.config
        length = round(c.window_s * c.fs)
        total = length * c.n_windows
        if ecg is None:
            return torch.zeros(c.n_windows, 1, length)
        x = ecg.resample(c.fs) if ecg.fs != c.fs else ecg
        j = x.leads.index(c.lead) if c.lead in x.leads else 0
        sig = np.asarray(x.signal[:total, j], dtype=np.float32)
        if sig.shape[0] < total:  # short records: repeat edge values
            sig = np.pad(sig, (0, total - sig.shape[0]), mode="edge")
        return torch.from_numpy(sig.reshape(c.n_windows, 1, length).copy())

    @torch.no_grad()
    def prefix(self, ecgs: list[ECG | None]) -> torch.Tensor:
        """[batch, n_prefix, d] ECG prefix vectors (frozen encoder, pooled, rescaled)."""
        c = self.config
        x = torch.cat([self.ecg_windows(e) for e in ecgs]).to(self.device)  # [B*W, 1, T]
        z = self.revin.normalize(x)
        h = self.encoder(z.to(self.encoder.projection.weight.dtype))  # [B*W, N, d]
        n = h.shape[1] - h.shape[1] % c.pool
        h = h[:, :n].reshape(h.shape[0], c.pool, n // c.pool, -1).mean(2)  # [B*W, pool, d]
        h = h.reshape(len(ecgs), c.n_prefix, -1)  # [B, W*pool, d]
        h = h * (self.word_norm / h.norm(dim=-1, keepdim=True).clamp_min(1e-6))
        # samples with no ECG: zeros (the model learns nothing from them)
        has = torch.tensor([e is not None for e in ecgs], dtype=h.dtype, device=h.device)[:, None, None]
        return (h * has).to(self.llm.get_input_embeddings().weight.dtype)

    def sequences(self, prompts: list[str], ecgs: list[ECG | None], targets: list[str] | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Left-padded ``(inputs_embeds [B, L, d], attention_mask [B, L], position_ids [B, L],
        labels [B, L] or None)``; labels are -100 except on the target tokens and EOS."""
        tok = self.tokenizer
        emb = self.llm.get_input_embeddings()
        pre = self.prefix(ecgs)  # [B, P, d]
        rows, labels = [], []
        dev = pre.device
        for i, prompt in enumerate(prompts):
            head = torch.tensor(self._header, device=dev)
            body = torch.tensor(tok(prompt, add_special_tokens=False)["input_ids"], device=dev)
            parts = [emb(head), pre[i], emb(body)]
            lab = [torch.full((len(head) + pre.shape[1] + len(body),), -100, device=dev)]
            if targets is not None:
                ids = tok(" " + targets[i], add_special_tokens=False)["input_ids"][: self.config.max_target_tokens]
                ids = torch.tensor(ids + [tok.eos_token_id], device=dev)
                parts.append(emb(ids))
                lab.append(ids)
            rows.append(torch.cat(parts))
            labels.append(torch.cat(lab))
        width = max(r.shape[0] for r in rows)
        d = rows[0].shape[1]
        pad_vec = emb(torch.tensor([tok.pad_token_id], device=dev))[0]
        x = torch.stack([torch.cat([pad_vec.expand(width - r.shape[0], d), r]) for r in rows])  # [B, L, d]
        mask = torch.stack([torch.cat([torch.zeros(width - r.shape[0], dtype=torch.long, device=dev),
                                       torch.ones(r.shape[0], dtype=torch.long, device=dev)]) for r in rows])  # [B, L]
        pos = (mask.cumsum(-1) - 1).clamp_min(0)
        y = None
        if targets is not None:
            y = torch.stack([torch.cat([torch.full((width - lab.shape[0],), -100, device=dev), lab]) for lab in labels])
        return x, mask, pos, y

    # ----- training and inference -------------------------------------------------------
    def loss(self, prompts: list[str], ecgs: list[ECG | None], targets: list[str]) -> torch.Tensor:
        """Mean next-token cross-entropy over the target tokens (and EOS) of the batch.

        The vocabulary projection runs only on the positions that predict a target token (about a
        third of the sequence): on CPU the full ``[B, L, vocab]`` logits were ~20 % of a step."""
        x, mask, pos, y = self.sequences(prompts, ecgs, targets)
        lm = self.llm.get_base_model()  # the LoRA layers are injected in place: still active here
        hidden = lm.model(inputs_embeds=x, attention_mask=mask, position_ids=pos).last_hidden_state  # [B, L, d]
        predicts = y[:, 1:] != -100  # [B, L-1]: position t predicts token t+1
        logits = lm.lm_head(hidden[:, :-1][predicts])  # [n_target_tokens, vocab]
        return nn.functional.cross_entropy(logits.float(), y[:, 1:][predicts])

    def forward(self, prompts: list[str], ecgs: list[ECG | None], targets: list[str]) -> torch.Tensor:
        """The training loss (``forward`` so that accelerate/DDP wrappers see the call)."""
        return self.loss(prompts, ecgs, targets)

    @torch.no_grad()
    def logits(self, prompts: list[str], ecgs: list[ECG | None]) -> torch.Tensor:
        """Next-token logits [batch, vocab] after the prompt (reload checks)."""
        x, mask, pos, _ = self.sequences(prompts, ecgs)
        return self.llm(inputs_embeds=x, attention_mask=mask, position_ids=pos).logits[:, -1].float()

    @torch.no_grad()
    def generate(self, prompts: list[str], ecgs: list[ECG | None], *, max_new_tokens: int = 72) -> list[str]:
        """Greedy text for each (prompt, ECG), batched (tidied by
        :func:`medts.agent.generated_text.decode_new_tokens`: a sentence cut by the token cap is dropped)."""

        x, mask, _, _ = self.sequences(prompts, ecgs)
        tok = self.tokenizer
        with warnings.catch_warnings():  # the penalty on new tokens only is what we want: facts stay copyable
            warnings.filterwarnings("ignore", message="Passing `repetition_penalty` with `inputs_embeds`")
            out = self.llm.generate(inputs_embeds=x, attention_mask=mask, max_new_tokens=max_new_tokens,
                                    do_sample=False, repetition_penalty=1.1, pad_token_id=tok.pad_token_id,
                                    eos_token_id=tok.eos_token_id)
        return decode_new_tokens(tok, out, max_new_tokens)  # with inputs_embeds, out holds the new tokens only

    # ----- files ------------------------------------------------------------------------
    def save(self, folder: str | Path, *, manifest_extra: dict[str, Any] | None = None) -> Path:
        """Write manifest.json, prefix.safetensors and lora/ (adapter only) to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {f"encoder.{k}": v.contiguous() for k, v in self.encoder.state_dict().items()}
        state.update({f"revin.{k}": v.contiguous() for k, v in self.revin.state_dict().items()})
        save_file(state, folder / "prefix.safetensors")
        lora = {k: v.contiguous() for k, v in get_peft_model_state_dict(self.llm).items()}
        (folder / "lora").mkdir(exist_ok=True)
        save_file(lora, folder / "lora" / "adapter_model.safetensors")
        if self.config.backbone == DEFAULT_BACKBONE:  # plain peft can load it: adapter_config.json naming the HF id
            write_lora_config(folder / "lora", self.llm.peft_config["default"],
                              what="Report-text head: SmolLM2 with LoRA, prefixed with ECG patch embeddings.")
        probe = reference_logits(self)
        manifest = {"format": FORMAT, "config": asdict(self.config), "reference_logits": probe,
                    **(manifest_extra or {})}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return folder


def probe_inputs() -> tuple[list[str], list[ECG | None]]:
    """A fixed input for reload checks: a synthetic 10 s sine-plus-spike ECG and a fixed prompt."""
    t = np.arange(1000, dtype=np.float32) / 100.0
    sig = (0.1 * np.sin(2 * np.pi * 1.2 * t) + (np.mod(t, 0.8) < 0.02)).astype(np.float32)
    ecg = ECG(np.stack([sig, 0.5 * sig], axis=1), fs=100.0, leads=["I", "II"], record_id="probe")
    return ["ECG facts:\n- heart rate 75 bpm\nInterpretation (structured):"], [ecg]


def reference_logits(head: TextHead, k: int = 8) -> dict[str, Any]:
    """Top-``k`` token ids and their logits on :func:`probe_inputs` (stored in the manifest)."""
    logits = head.logits(*probe_inputs())[0]
    top = torch.topk(logits, k)
    return {"token_ids": top.indices.tolist(), "logits": [float(v) for v in top.values]}


def build_text_head(config: TextHeadConfig | None = None, *, llm: nn.Module | None = None, tokenizer: Any = None,
                    encoder_source: str | Path | None = SEGMENTATION_SOURCE) -> TextHead:
    """A fresh head: backbone (SmolLM2 by default), new LoRA, encoder weights copied from the
    MedTsLLM segmentation adapter (``encoder_source``; ``None`` keeps them random)."""
    from medts.medtsllm.backbone import load_backbone
    from medts.medtsllm.config import BackboneConfig

    config = config or TextHeadConfig()
    if encoder_source is not None and not config.encoder:
        manifest = json.loads((Path(encoder_source) / "manifest.json").read_text())
        config = TextHeadConfig(**{**asdict(config), "encoder": manifest["config"]["encoder"]})
    if llm is None:
        llm, tokenizer = load_backbone(BackboneConfig(source=config.backbone, dtype=config.dtype))
    head = TextHead(config, llm, tokenizer)
    if encoder_source is not None:
        state = load_file(Path(encoder_source) / "encoder_heads.safetensors")
        head.encoder.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("encoder.")}, strict=True)
        head.revin.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("revin.")}, strict=True)
    return head


def load_text_head_from(folder: str | Path, *, llm: nn.Module | None = None, tokenizer: Any = None,
                        check: bool = True) -> TextHead:
    """Rebuild a saved head; with ``check``, its probe logits must equal the manifest's."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise TextHeadError(f"{folder}: no text-head adapter (manifest.json missing); train one with "
                            "`medts train text`")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise TextHeadError(f"{path}: not a text-head adapter (format {manifest.get('format')!r})")
    cfg = dict(manifest["config"])
    cfg["lora_targets"] = tuple(cfg["lora_targets"])
    head = build_text_head(TextHeadConfig(**cfg), llm=llm, tokenizer=tokenizer, encoder_source=None)
    state = load_file(folder / "prefix.safetensors")
    head.encoder.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("encoder.")}, strict=True)
    head.revin.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("revin.")}, strict=True)
    saved = load_file(folder / "lora" / "adapter_model.safetensors")
    expected = get_peft_model_state_dict(head.llm)
    if set(saved) != set(expected):
        raise TextHeadError(f"{folder}: LoRA keys differ from the model's ({len(saved)} vs {len(expected)})")
    set_peft_model_state_dict(head.llm, saved)
    head.eval()
    if check:
        probe = reference_logits(head)
        ref = manifest["reference_logits"]
        same_ids = probe["token_ids"] == ref["token_ids"]
        close = all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-3) for a, b in zip(probe["logits"], ref["logits"]))
        if not (same_ids and close):
            raise TextHeadError(f"{folder}: reloaded head does not reproduce its reference logits "
                                f"({probe['logits'][:3]} vs {ref['logits'][:3]})")
    return head


@lru_cache(maxsize=1)
def _cached_head(folder: str) -> TextHead:
    return load_text_head_from(folder)


def load_text_head(adapter: str | Path | None = None) -> TextHead:
    """The shipped (or given) text head, loaded once per process."""
    return _cached_head(str(Path(adapter) if adapter else DEFAULT_ADAPTER))
