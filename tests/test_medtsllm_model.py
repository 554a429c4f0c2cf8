"""MedTsLLM on a tiny random Llama (2 layers, hidden 64) with the real SmolLM2 tokenizer."""

import os

import pytest
import torch

from medts.medtsllm.backbone import tiny_llama
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def tiny_model(tokenizer, **sections):
    cfg = MedTsLLMConfig().replace(encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8}, **sections)
    return MedTsLLM(cfg, backbone=tiny_llama(len(tokenizer)), tokenizer=tokenizer)


@pytest.mark.parametrize("task,mode", [("segmentation", "independent"), ("segmentation", "concatenated"),
                                       ("anomaly", "independent"), ("anomaly", "concatenated")])
def test_output_shapes(tokenizer, task, mode):
    model = tiny_model(tokenizer, task=task, data={"lead_mode": mode})
    c = model.config.n_channels
    out = model(torch.randn(3, c, 200), ["ECG:", "a much longer prompt than the first one. ECG:", "x ECG:"])
    n_out = 4 if task == "segmentation" else 1
    assert out.output.shape == (3, c, 200, n_out)
    assert out.hidden.shape == (3, c * 20, 64)  # patch positions only, prompt dropped
    assert torch.isfinite(out.output).all()


def test_only_lora_encoder_and_head_train(tokenizer):
    model = tiny_model(tokenizer)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any("lora_A" in n for n in trainable) and any("lora_B" in n for n in trainable)
    assert all(("lora_" in n) or not n.startswith("llm.") for n in trainable)
    assert not model.llm.get_input_embeddings().weight.requires_grad
    counts = model.count_parameters()
    assert counts["lora"] > 0 and counts["frozen_backbone"] > counts["lora"]
    lora_q = [n for n in trainable if "lora_A" in n]
    assert all("q_proj" in n or "v_proj" in n for n in lora_q)


def test_prompt_padding_does_not_change_patch_outputs(tokenizer):
    """Left padding plus the attention mask: a short prompt batched with a long one gives the
    same outputs as alone (RoPE is relative, pads are masked)."""
    model = tiny_model(tokenizer).eval()
    x = torch.randn(2, 1, 200)
    with torch.no_grad():
        both = model(x, ["short ECG:", "a considerably longer prompt with many more tokens in it ECG:"]).output
        alone = model(x[:1], ["short ECG:"]).output
    torch.testing.assert_close(both[:1], alone, rtol=1e-4, atol=1e-4)


def test_prompt_cache_gives_the_uncached_logits(tokenizer):
    """Each distinct prompt run once, its key/values shared (inference path), equals running every
    prompt with its own sequence; 3 prompts of different lengths, shuffled over 7 sequences."""
    model = tiny_model(tokenizer, head={"refine_channels": 8, "refine_features": 3}).eval()
    with torch.no_grad():  # give the zero-initialised LoRA B matrices weights, so LoRA counts
        for name, p in model.llm.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
    x = torch.randn(7, 1, 200)
    kinds = ["lead II. ECG:", "LUDB 12-lead ECG, 100 Hz. 51 y, F, lead V1. ECG:", "x ECG:"]
    prompts = [kinds[i] for i in (0, 1, 0, 2, 1, 1, 0)]
    with torch.no_grad():
        plain = model(x, prompts)
        cached = model(x, prompts, cache_prompts=True)
    torch.testing.assert_close(cached.hidden, plain.hidden, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(cached.output, plain.output, rtol=1e-5, atol=1e-5)
    with torch.no_grad():  # a different prompt really changes the cached result
        other = model(x, ["lead aVR, male 30 y. ECG:"] * 7, cache_prompts=True)
    assert not torch.allclose(other.output, plain.output, atol=1e-3)


def test_prompt_changes_the_output(tokenizer):
    model = tiny_model(tokenizer).eval()
    x = torch.randn(1, 1, 200)
    with torch.no_grad():
        a = model(x, ["lead II ECG:"]).output
        b = model(x, ["lead V1, female 80 years ECG:"]).output
    assert not torch.allclose(a, b)


def test_no_llm_baseline_ignores_prompts():
    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32})
    model = MedTsLLM(cfg)
    assert model.llm is None
    out = model(torch.randn(2, 1, 200))
    assert out.output.shape == (2, 1, 200, 4) and out.hidden.shape == (2, 20, 32)


@pytest.mark.parametrize("use_llm", [True, False])
def test_refiner_is_shared_by_llm_and_baseline_and_saved(tokenizer, use_llm):
    head = {"refine_channels": 8, "refine_features": 3}
    if use_llm:
        model = tiny_model(tokenizer, head=head)
    else:
        model = MedTsLLM(MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32,
                                                            "baseline_max_positions": 64}, head=head))
    out = model(torch.randn(2, 1, 200), ["ECG:", "ECG:"] if use_llm else None)
    assert out.output.shape == (2, 1, 200, 4)
    assert "refiner" in model.count_parameters() and any(k.startswith("refiner.") for k in model.own_state_dict())
    assert model.head.linear.out_features == 10 * (4 + 3)  # logits + refiner features per sample
    if not use_llm:
        assert model.body.positions.num_embeddings == 64


def test_anomaly_reconstruction_is_in_input_units(tokenizer):
    model = tiny_model(tokenizer, task="anomaly").eval()
    x = torch.randn(2, 1, 200) * 0.01 + 50.0  # far from zero mean: RevIN must undo it
    with torch.no_grad():
        out = model(x, ["ECG:", "ECG:"])
    assert (out.output[..., 0] - 50.0).abs().max() < 1.0


def test_converting_the_packaged_gguf_prints_only_our_own_line(tmp_path, capfd):
    from medts.medtsllm.backbone import convert_gguf, smollm2_gguf_path

    out = convert_gguf(smollm2_gguf_path(), tmp_path / "converted")
    assert (out / "config.json").is_file() and list(out.glob("*.safetensors"))
    err = capfd.readouterr().err
    # transformers' own GGUF progress bar would add "Converting and de-quantizing ..." lines
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medts: converting"), lines
