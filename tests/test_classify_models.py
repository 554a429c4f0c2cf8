"""Tests of medts.classify.models: shapes, config round trip, sizes, window-length independence."""

from __future__ import annotations

import pytest
import torch

from medts.classify.models import PRESETS, ModelConfig, build_model, count_parameters, preset_config


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_maps_batch_leads_time_to_logits(name):
    torch.manual_seed(0)
    net = build_model(preset_config(name, 7)).eval()
    with torch.inference_mode():
        for length in (250, 313):
            assert net(torch.randn(2, 12, length)).shape == (2, 7)


def test_config_round_trips_through_json_types():
    cfg = preset_config("inception1d", 71, dropout=0.1)
    back = ModelConfig.from_dict(__import__("json").loads(__import__("json").dumps(cfg.to_dict())))
    assert back == cfg
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({**cfg.to_dict(), "bogus": 1})
    with pytest.raises(ValueError, match="unknown architecture"):
        ModelConfig(arch="lstm")


def test_sizes_stay_cpu_friendly():
    big = count_parameters(build_model(preset_config("xresnet1d", 71)))
    small = count_parameters(build_model(preset_config("xresnet1d-small", 5)))
    # frozen tensors are not counted: freezing the first weight lowers the count by exactly its size
    model = build_model(preset_config("xresnet1d", 71))
    first = next(model.parameters())
    first.requires_grad_(False)
    assert count_parameters(model) == big - first.numel()
    # only the output layer depends on the label count: one weight row and one bias per class
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    five = count_parameters(build_model(preset_config("xresnet1d", 5)))
    assert big - five == (71 - 5) * (head.in_features + 1)
    # the CPU preset is several times smaller than the full one at the same label count
    assert small * 3 < five


def test_same_seed_same_weights_and_strict_load_rejects_other_shapes():
    torch.manual_seed(1)
    a = build_model(preset_config("xresnet1d-small", 5))
    torch.manual_seed(1)
    b = build_model(preset_config("xresnet1d-small", 5))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    other = build_model(preset_config("xresnet1d-small", 6))
    with pytest.raises(RuntimeError):
        other.load_state_dict(a.state_dict(), strict=True)


def test_eval_output_depends_on_every_lead():
    torch.manual_seed(0)
    net = build_model(preset_config("xresnet1d-small", 3)).eval()
    x = torch.randn(1, 12, 250, requires_grad=True)
    net(x).sum().backward()
    assert (x.grad.abs().sum(dim=-1) > 0).all()


@pytest.mark.parametrize("name", ["xresnet1d-small", "inception1d", "inception1d-fast"])
def test_fold_batchnorm_keeps_outputs_and_leaves_the_original_alone(name):
    from medts.classify.models import fold_batchnorm

    torch.manual_seed(0)
    net = build_model(preset_config(name, 4))
    net.train()
    with torch.no_grad():  # a few batches give the batch norms non-trivial running statistics
        for _ in range(3):
            net(3.0 * torch.randn(16, 12, 250) + 1.0)
    net.eval()
    folded = fold_batchnorm(net)
    x = torch.randn(8, 12, 250)
    n_bn = sum(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules())
    n_bn_folded = sum(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules())
    assert n_bn_folded < n_bn  # some were merged away ...
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules()) == n_bn  # ... from the copy only
    with torch.no_grad():
        torch.testing.assert_close(torch.sigmoid(folded(x)), torch.sigmoid(net(x)), atol=1e-5, rtol=0)


def test_inception_downsampling_stem_shortens_time_and_validates():
    torch.manual_seed(0)
    fast = build_model(preset_config("inception1d-fast", 5)).eval()
    with torch.inference_mode():
        assert fast.body.stem(torch.zeros(1, 12, 250)).shape[-1] == 63  # 250 -> 125 (conv) -> 63 (pool)
    assert isinstance(build_model(preset_config("inception1d", 5)).body.stem, torch.nn.Identity)
    with pytest.raises(ValueError, match="downsample"):
        preset_config("inception1d", 5, downsample=3)


@pytest.mark.parametrize("name", ["xresnet1d-small", "inception1d-fast"])
def test_channels_last_2d_copy_gives_the_same_outputs(name):
    from medts.classify.models import TimeMaxPool2d, fold_batchnorm, to_channels_last_2d

    torch.manual_seed(0)
    net = build_model(preset_config(name, 4))
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(2.0 * torch.randn(16, 12, 250) + 0.5)
    net.eval()
    fast = to_channels_last_2d(fold_batchnorm(net))
    assert not any(isinstance(m, torch.nn.Conv1d) for m in fast.body.modules())
    x = torch.randn(8, 12, 313)
    with torch.inference_mode():
        torch.testing.assert_close(torch.sigmoid(fast(x)), torch.sigmoid(net(x)), atol=1e-5, rtol=0)
    pool = TimeMaxPool2d(3, 2, 1)
    y = torch.randn(2, 5, 1, 31)
    torch.testing.assert_close(pool(y), torch.nn.functional.max_pool1d(y.squeeze(2), 3, 2, 1).unsqueeze(2), atol=0, rtol=0)
