"""Patching, reprogramming and head shapes; overlap averaging is exact."""

import pytest
import torch

from medts.medtsllm.config import EncoderConfig
from medts.medtsllm.encoder import PatchReprogrammingEncoder, make_patches, patch_layout
from medts.medtsllm.heads import PatchHead, SampleRefiner, beat_scores, overlap_average
from medts.medtsllm.revin import RevIN


@pytest.mark.parametrize("n,p,s", [(200, 10, 10), (203, 10, 5), (7, 10, 10), (1000, 16, 8)])
def test_patches_cover_the_window(n, p, s):
    n_patches, padded = patch_layout(n, p, s)
    assert padded >= n and padded - n < s + p  # minimal end padding
    x = torch.arange(n, dtype=torch.float32).reshape(1, 1, n)
    patches = make_patches(x, p, s)
    assert patches.shape == (1, 1, n_patches, p)
    assert torch.equal(patches[0, 0, 0], x[0, 0, :p]) if n >= p else True
    assert patches[0, 0, -1, -1] == n - 1  # replicate padding repeats the last sample


@pytest.mark.parametrize("stride", [10, 5, 3])
def test_overlap_average_inverts_patching(stride):
    x = torch.randn(3, 1, 101)
    patches = make_patches(x, 10, stride)  # [3, 1, N, 10]
    values = patches[:, 0].unsqueeze(-1)  # [3, N, 10, 1]: each patch predicts its own samples
    back = overlap_average(values, 101, stride)[..., 0]
    torch.testing.assert_close(back, x[:, 0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 12])
def test_encoder_and_head_shapes(channels):
    cfg = EncoderConfig(patch_len=10, stride=5, d_model=16, n_heads=2, n_prototypes=8)
    words = torch.randn(50, 24)
    enc = PatchReprogrammingEncoder(cfg, channels, 24, words)
    h = enc(torch.randn(2, channels, 200))
    n_patches, _ = patch_layout(200, 10, 5)
    assert h.shape == (2, channels * n_patches, 24)
    assert enc.text_prototypes().shape == (8, 24)
    assert "_word_embeddings" not in dict(enc.named_buffers()) and all("word" not in k for k in enc.state_dict())
    out = PatchHead(24, 10, 5, 4)(h, channels, 200)
    assert out.shape == (2, channels, 200, 4)


def test_refiner_starts_as_identity_and_then_acts_per_sample():
    coarse = torch.randn(2, 3, 200, 4 + 5)  # 4 logits + 5 refiner features
    signal = torch.randn(2, 3, 200)
    refiner = SampleRefiner(n_in=9, n_outputs=4, channels=8, kernel=5, dilations=(1, 2))
    torch.testing.assert_close(refiner(coarse, signal), coarse[..., :4], rtol=0, atol=0)  # zero-initialised output
    with torch.no_grad():
        refiner.out.weight.normal_()
    spike = signal.clone()
    spike[0, 1, 100] += 5.0  # a change at one sample moves outputs only within the receptive field (1 + 4 * 3)
    delta = (refiner(coarse, spike) - refiner(coarse, signal)).abs().sum(-1)  # [B, C, T]
    assert delta[0, 1, 100] > 0 and delta[0, 1, 94:107].gt(0).all()
    assert delta[0, 1, :94].eq(0).all() and delta[0, 1, 107:].eq(0).all()
    assert delta[1].eq(0).all() and delta[0, 0].eq(0).all() and delta[0, 2].eq(0).all()


def test_free_prototypes_without_llm():
    enc = PatchReprogrammingEncoder(EncoderConfig(n_prototypes=5), 1, 32, None)
    assert enc.text_prototypes().shape == (5, 32) and enc.text_prototypes().requires_grad


def test_revin_round_trip_and_scale_invariance():
    revin = RevIN(2)
    x = torch.randn(4, 2, 300) * 5 + 3
    z = revin.normalize(x)
    assert torch.allclose(z.mean(-1), torch.zeros(4, 2), atol=1e-5)
    assert torch.allclose(revin.denormalize(z), x, atol=1e-4)
    assert torch.allclose(revin.normalize(x * 10 - 7), z, atol=1e-4)


def test_beat_scores_localise_the_error():
    err = torch.zeros(1000).numpy()
    err[500:510] = 1.0
    scores = beat_scores(err, [100, 505, 900], fs=100.0, half_width_s=0.1)
    assert scores.argmax() == 1 and scores[0] == 0 and scores[2] == 0
