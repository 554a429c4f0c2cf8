"""Text-head training: config, record-level validation split, accelerate loop, best checkpoint, CLI errors."""

from __future__ import annotations

import json

import pytest
import torch

from medts.agent import text_train
from medts.agent.text_head import TextHeadConfig, build_text_head, load_text_head_from
from medts.agent.text_train import TextTrainConfig, load_text_train_config, split_by_record, train
from medts.errors import MedtsError
from medts.examples import simulate_example
from medts.medtsllm.backbone import tiny_llama

ENCODER = {"patch_len": 10, "stride": 10, "d_model": 16, "n_heads": 2, "n_prototypes": 8, "prototype_vocab": 256}


def _examples(n: int, dataset: str = "ptbxl") -> list[dict]:
    return [{"dataset": dataset, "record_id": str(i), "style": "structured",
             "prompt": f"ECG facts:\n- heart rate {60 + i} bpm\nInterpretation (structured):",
             "target": f"Sinus rhythm. Heart rate {60 + i} bpm."} for i in range(1, n + 1)]


def test_config_reads_yaml_and_rejects_unknown_keys(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("steps: 7\nlr: 0.001\n")
    cfg = load_text_train_config(path, steps=None, deadline="02:40")
    assert (cfg.steps, cfg.lr, cfg.deadline, cfg.batch_size) == (7, 0.001, "02:40", 4)
    path.write_text("stpes: 7\n")
    with pytest.raises(MedtsError, match=r"unknown text-training setting\(s\) \['stpes'\]"):
        load_text_train_config(path)
    path.write_text("- 1\n")
    with pytest.raises(MedtsError, match="must be a mapping"):
        load_text_train_config(path)


def test_validation_split_keeps_every_record_on_one_side():
    ex = _examples(10) + _examples(3)  # two examples for records 1-3 (e.g. structured + report)
    ex += _examples(6, "ludb")
    train_set, held = split_by_record(ex, 4)
    held_keys = {(e["dataset"], e["record_id"]) for e in held}
    assert held_keys == {("ptbxl", "1"), ("ptbxl", "2"), ("ludb", "5"), ("ludb", "6")}
    assert len(held) == 2 + 2 + 2  # both examples of ptbxl records 1 and 2
    assert not held_keys & {(e["dataset"], e["record_id"]) for e in train_set}
    assert len(train_set) + len(held) == len(ex)


def test_accelerate_loop_lowers_validation_loss_and_saves_the_best(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setattr(text_train, "read_ecg", lambda dataset, record_id, root=None: simulate_example("sinus"))
    torch.manual_seed(0)
    head = build_text_head(TextHeadConfig(encoder=ENCODER, lora_layers=2), llm=tiny_llama(len(tokenizer), seed=1),
                           tokenizer=tokenizer, encoder_source=None)
    ex = _examples(4)
    saved = []

    def on_best(h, step, loss, history, val, pool):
        saved.append((step, loss, len(history), len(pool)))
        h.save(tmp_path / "best", manifest_extra={"step": step})

    grown = ex + _examples(6)[4:]  # two more records land in the facts cache during training
    cfg = TextTrainConfig(steps=12, batch_size=2, lr=5e-2, eval_every=4)
    result = train(head, ex, cfg, validation=ex[:2], on_best=on_best, refresh=lambda: grown)
    losses = [v["loss"] for v in result.validation]
    assert [v["step"] for v in result.validation] == [0, 4, 8, 12]
    # the LoRA learns the targets (a random 2-layer model through q/v LoRA: slowly, but steadily)
    assert losses[-1] < losses[0] - 0.2 and all(b < a for a, b in zip(losses, losses[1:]))
    assert result.best_step == saved[-1][0] and result.best_loss == pytest.approx(min(losses), abs=1e-4)
    assert saved[0][0] == 4 and saved[-1][3] == 6  # step 0 is never saved; the pool grew to the refreshed examples
    assert len(result.history) == 12 and not result.stopped_by_deadline
    manifest = json.loads((tmp_path / "best" / "manifest.json").read_text())
    assert manifest["step"] == result.best_step
    again = load_text_head_from(tmp_path / "best", llm=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    prompts = [ex[0]["prompt"]]
    ecg = [simulate_example("sinus")]
    assert torch.equal(again.logits(prompts, ecg), head.logits(prompts, ecg)) is (result.best_step == 12)


def test_cli_reports_a_bad_config_before_loading_anything(tmp_path, capsys):
    from medts.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("learning_rate: 1\n")
    assert main(["train", "text", "--config", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "unknown text-training setting" in err and "learning_rate" in err
    assert not (tmp_path / "out").exists()
