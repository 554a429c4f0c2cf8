"""The report-text head: sequences, training signal, exact reload, shipped adapter."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from medts.agent.text_head import (
    DEFAULT_ADAPTER,
    TextHeadConfig,
    TextHeadError,
    build_text_head,
    load_text_head_from,
    probe_inputs,
)
from medts.examples import simulate_example
from medts.medtsllm.backbone import tiny_llama

ENCODER = {"patch_len": 10, "stride": 10, "d_model": 16, "n_heads": 2, "n_prototypes": 8, "prototype_vocab": 256}


def _head(tokenizer, seed=0, perturb=True):
    cfg = TextHeadConfig(encoder=ENCODER, lora_layers=2)
    head = build_text_head(cfg, llm=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer, encoder_source=None)
    if perturb:  # LoRA B starts at zero: make the adapter matter
        g = torch.Generator().manual_seed(seed)
        for name, p in head.llm.named_parameters():
            if "lora_" in name:
                p.data = torch.randn(p.shape, generator=g) * 0.2
    return head.eval()


def test_sequences_are_left_padded_and_only_targets_are_labelled(tokenizer):
    head = _head(tokenizer)
    ecg = simulate_example("sinus")
    x, mask, pos, y = head.sequences(["ECG facts:\n- heart rate 70 bpm\nInterpretation (structured):", "short"],
                                     [ecg, None], ["Sinus rhythm.", "Normal ECG. Heart rate 70 bpm."])
    assert x.shape[:2] == mask.shape == pos.shape == y.shape
    assert mask[:, -1].all() and (mask[1, 0] == 0 or mask[0, 0] == 0)  # one row is padded on the left
    for row in range(2):
        first = int(mask[row].argmax())
        assert pos[row, first] == 0 and pos[row, -1] == mask[row].sum() - 1
    target_ids = tokenizer(" Sinus rhythm.", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert y[0][y[0] != -100].tolist() == target_ids
    # the ECG prefix has the word-embedding norm; a missing ECG gives a zero prefix
    pre = head.prefix([ecg, None])
    assert pre.shape == (2, head.config.n_prefix, x.shape[-1])
    assert torch.allclose(pre[0].norm(dim=-1), torch.full((head.config.n_prefix,), head.word_norm), rtol=1e-4)
    assert pre[1].abs().sum() == 0


def test_target_only_loss_equals_the_full_causal_lm_loss(tokenizer):
    head = _head(tokenizer)
    ecg = simulate_example("sinus")
    args = (["ECG facts:\n- heart rate 70 bpm\nInterpretation (structured):", "short"], [ecg, None],
            ["Sinus rhythm.", "Normal ECG. Heart rate 70 bpm."])
    x, mask, pos, y = head.sequences(*args)
    full = head.llm(inputs_embeds=x, attention_mask=mask, position_ids=pos, labels=y).loss
    assert torch.allclose(head.loss(*args), full, rtol=1e-5, atol=1e-6)
    assert torch.equal(head(*args), head.loss(*args))  # forward is the loss (accelerate/DDP call it)


def test_training_steps_reduce_the_loss_on_a_target(tokenizer):
    torch.manual_seed(0)
    head = _head(tokenizer, perturb=False)
    head.train()
    ecg = simulate_example("sinus")
    args = (["ECG facts:\n- heart rate 70 bpm\nInterpretation (structured):"], [ecg], ["Sinus rhythm. Heart rate 70 bpm."])
    params = [p for p in head.parameters() if p.requires_grad]
    assert params and all("lora_" in n for n, p in head.named_parameters() if p.requires_grad)
    opt = torch.optim.AdamW(params, lr=5e-2)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = head.loss(*args)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    # a random 2-layer model learns slowly through q/v LoRA alone, but steadily
    assert losses[-1] < losses[0] - 0.25 and all(b <= a + 1e-3 for a, b in zip(losses, losses[1:]))


def test_reload_reproduces_logits_exactly(tokenizer, tmp_path):
    head = _head(tokenizer, seed=4)
    head.save(tmp_path / "ad", manifest_extra={"note": "test"})
    manifest = json.loads((tmp_path / "ad" / "manifest.json").read_text())
    assert manifest["format"] == "medts-text-head/1" and manifest["note"] == "test"
    again = load_text_head_from(tmp_path / "ad", llm=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    prompts, ecgs = probe_inputs()
    assert torch.equal(head.logits(prompts, ecgs), again.logits(prompts, ecgs))
    # a fresh LoRA (not the saved one) gives other logits: the check can fail
    other = _head(tokenizer, seed=5)
    assert not torch.equal(other.logits(prompts, ecgs), again.logits(prompts, ecgs))
    # a different backbone is caught by the stored reference logits
    with pytest.raises(TextHeadError, match="reference logits"):
        load_text_head_from(tmp_path / "ad", llm=tiny_llama(len(tokenizer), seed=2), tokenizer=tokenizer)
    texts = again.generate(prompts * 2, ecgs * 2, max_new_tokens=5)
    assert len(texts) == 2 and texts[0] == texts[1]


def test_missing_adapter_is_a_clear_error(tmp_path):
    with pytest.raises(TextHeadError, match="manifest.json missing"):
        load_text_head_from(tmp_path)


@pytest.mark.slow
def test_shipped_adapter_reloads_exactly():
    if not (DEFAULT_ADAPTER / "manifest.json").is_file():
        pytest.skip("adapters/text-smollm2 not shipped")
    head = load_text_head_from(DEFAULT_ADAPTER)  # raises unless the reference logits are reproduced
    manifest = json.loads((DEFAULT_ADAPTER / "manifest.json").read_text())
    logits = head.logits(*probe_inputs())[0]
    assert torch.topk(logits, 8).indices.tolist() == manifest["reference_logits"]["token_ids"]
    assert np.allclose(torch.topk(logits, 8).values.numpy(), manifest["reference_logits"]["logits"], rtol=0, atol=1e-4)


def test_building_the_head_warns_nothing(tokenizer):
    """peft's deprecation warnings would print inside the report progress bar."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _head(tokenizer, perturb=False)
