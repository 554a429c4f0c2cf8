"""A short training run on synthetic labelled windows: the loss goes down, seeds reproduce."""

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from medts.medtsllm.backbone import tiny_llama
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM
from medts.medtsllm.train import confusion, iou_f1, soft_dice_loss, train_model


class PulseWindows(Dataset):
    """2 s at 100 Hz: wide low bumps labelled P (1), narrow spikes labelled QRS (2)."""

    def __init__(self, n: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.items = []
        for _ in range(n):
            x = rng.normal(0, 0.02, 200).astype(np.float32)
            y = np.zeros(200, np.int64)
            for start in range(rng.integers(0, 30), 180, 60):
                x[start:start + 10] += 0.2
                y[start:start + 10] = 1
                x[start + 15:start + 19] += 1.0
                y[start + 15:start + 19] = 2
            self.items.append({"x": torch.from_numpy(x[None]), "y": torch.from_numpy(y[None]),
                               "prompt": "ECG:", "record_id": 0, "leads": ["II"], "start": 0})

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def _config():
    return MedTsLLMConfig().replace(
        encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8},
        train={"steps": 30, "batch_size": 8, "lr": 5e-3, "seed": 3, "eval_every": 30, "threads": 1},
    )


def test_loss_goes_down_and_seed_reproduces(tokenizer):
    cfg = _config()
    runs = []
    for _ in range(2):
        model = MedTsLLM(cfg, backbone=tiny_llama(len(tokenizer)), tokenizer=tokenizer)
        runs.append(train_model(cfg, PulseWindows(64, 0), PulseWindows(16, 1), model=model, log=lambda m: None))
    losses = runs[0].train_losses
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:3])
    assert runs[0].val_history[-1]["loss"] < losses[0]
    assert losses == runs[1].train_losses  # seeded: identical runs


def test_iou_f1_from_confusion():
    true = np.array([0, 1, 1, 2, 2, 3, 3, 3])
    pred = np.array([0, 1, 0, 2, 2, 3, 3, 0])
    m = iou_f1(confusion(pred, true))
    assert m["iou_QRS"] == 1.0 and m["iou_P"] == 0.5 and m["iou_T"] == pytest.approx(2 / 3)
    assert m["f1_P"] == pytest.approx(2 / 3)


def test_soft_dice_is_zero_when_perfect_and_weighs_the_small_class():
    y = torch.tensor([[0] * 80 + [1] * 4 + [2] * 6 + [3] * 10])  # [1, 100]: a short P run
    perfect = 50.0 * torch.nn.functional.one_hot(y, 4).float()
    assert float(soft_dice_loss(perfect, y)) < 1e-3
    miss_p = perfect.clone()
    miss_p[0, 80:84] = 50.0 * torch.nn.functional.one_hot(torch.tensor(0), 4).float()  # P called none
    ce_gain = torch.nn.functional.cross_entropy(miss_p[0], y[0]) - torch.nn.functional.cross_entropy(perfect[0], y[0])
    dice_gain = soft_dice_loss(miss_p, y) - soft_dice_loss(perfect, y)
    assert dice_gain > 0.25  # one of three classes lost: 0.8 / 3 with the +1 smoothing
    assert dice_gain > ce_gain / 20  # CE spreads the 4 missed samples over 100


def test_dice_weight_changes_training_and_save_every_calls_back(tokenizer):
    cfg = _config().replace(train={"steps": 10, "eval_every": 10, "save_every": 4})
    saved = []
    runs = []
    for w in (0.0, 1.0):
        c = cfg.replace(train={"dice_weight": w})
        model = MedTsLLM(c, backbone=tiny_llama(len(tokenizer)), tokenizer=tokenizer)
        runs.append(train_model(c, PulseWindows(32, 0), None, model=model, log=lambda m: None,
                                on_save=lambda r: saved.append((w, r.steps, r.model.training))))
    assert runs[0].train_losses != runs[1].train_losses
    assert runs[1].train_losses[0] > runs[0].train_losses[0]  # the Dice term adds to the CE
    assert saved == [(0.0, 4, False), (0.0, 8, False), (1.0, 4, False), (1.0, 8, False)]  # eval mode while saving


def test_init_from_continues_a_checkpoint_and_refuses_another_architecture(tmp_path):
    from medts.commands.train_medtsllm import _initial_model
    from medts.errors import MedtsError
    from medts.medtsllm.checkpoint import save_checkpoint

    base = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32, "baseline_max_positions": 64},
                                    head={"refine_channels": 8, "refine_features": 3})
    torch.manual_seed(0)
    first = MedTsLLM(base).eval()
    save_checkpoint(first, tmp_path / "ck")
    assert _initial_model(base) is None  # no init_from: a fresh model
    cont = base.replace(train={"init_from": str(tmp_path / "ck"), "dice_weight": 0.5, "lr": 1e-4},
                        prompt={"statistics": False})
    model = _initial_model(cont)
    assert model.config == cont  # the new prompt/loss/schedule, the old weights
    x = torch.randn(2, 1, 200)
    with torch.no_grad():
        torch.testing.assert_close(model(x).output, first(x).output, rtol=0, atol=0)
    with pytest.raises(MedtsError, match="head"):
        _initial_model(cont.replace(head={"refine_channels": 16}))


def test_set_overrides_fields_and_names_bad_assignments():
    from medts.errors import MedtsError
    from medts.medtsllm.config import with_overrides

    cfg = with_overrides(MedTsLLMConfig(), ["backbone.n_layers=6", "lora.targets=[q_proj, k_proj]", "train.lr=1e-3"])
    assert cfg.backbone.n_layers == 6 and cfg.lora.targets == ("q_proj", "k_proj") and cfg.train.lr == 1e-3
    assert with_overrides(cfg, []) == cfg
    for bad, message in (("n_layers=6", "SECTION.FIELD=VALUE"), ("model.n_layers=6", "unknown config section"),
                         ("backbone.layers=6", "unknown keys")):
        with pytest.raises(MedtsError, match=message):
            with_overrides(MedTsLLMConfig(), [bad])


def test_train_cli_exits_2_on_a_bad_set(tmp_path, capsys):
    from medts.cli import main

    code = main(["train", "segmentation", "--data", str(tmp_path), "--set", "backbone.layers=6",
                 "--out", str(tmp_path / "run")])
    assert code == 2 and "'backbone': ['layers']" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
