"""Tests of medts.classify.scalogram (CWT images, the 2-D CNN) and the 1-D training augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medts.classify.scalogram import (
    N_SCALES,
    TIME_POOL,
    ScalogramNet,
    predict_scalograms,
    scale_frequencies,
    scalograms,
    train_scalogram_net,
)


def _sines(freqs_hz: list[float], fs: float = 100.0, seconds: float = 10.0) -> np.ndarray:
    """``[len(freqs), n_samples, 12]``: one sine per record, the same on every lead."""
    t = np.arange(int(fs * seconds)) / fs
    return np.stack([np.repeat(np.sin(2 * np.pi * f * t)[:, None], 12, axis=1) for f in freqs_hz]).astype(np.float32)


def test_scalogram_shape_is_leads_by_scales_by_pooled_time():
    img = scalograms(np.zeros((2, 1000, 12), np.float32))
    assert img.shape == (2, 12, N_SCALES, 1000 // TIME_POOL) and img.dtype == np.float32
    assert np.allclose(img, 0.0)  # a flat record has no energy at any scale


@pytest.mark.parametrize("freq", [2.0, 8.0, 25.0])
def test_a_sine_peaks_at_the_scale_of_its_frequency(freq):
    img = scalograms(_sines([freq]))[0]
    energy = img[:, :, 50:-50].mean(axis=(0, 2))  # away from the edges
    peak = scale_frequencies()[int(np.argmax(energy))]
    assert abs(np.log(peak / freq)) < 0.15  # within one step of the geometric grid


def test_scalogram_net_gives_one_logit_per_class_and_learns_a_frequency_label():
    x = scalograms(_sines([3.0] * 12 + [15.0] * 12) + 0.1 * np.random.default_rng(0).standard_normal((24, 1000, 12)))
    y = np.repeat([[1.0, 0.0], [0.0, 1.0]], 12, axis=0).astype(np.float32)
    assert ScalogramNet(2)(torch.from_numpy(x[:3])).shape == (3, 2)
    rows = np.arange(24)
    result = train_scalogram_net(x, rows[::2], y[::2], rows[1::2], y[1::2], epochs=3, batch_size=4, log=lambda m: None)
    probs = predict_scalograms(result.net, x[1::2])
    assert result.best_epoch in (1, 2, 3)
    assert (probs[:6, 0] > probs[6:, 0].max()).all()  # the 3 Hz records score higher on their class


def test_augmentation_keeps_shapes_is_seeded_and_changes_the_crop():
    from medts.classify.data import RandomCropDataset

    signals = np.random.default_rng(1).standard_normal((4, 1000, 12)).astype(np.float32)
    labels = np.eye(4, dtype=np.float32)[:, :2]

    def draw(**aug):
        torch.manual_seed(7)
        ds = RandomCropDataset(signals, np.arange(4), labels, 250, **aug)
        return [ds[i][0] for i in range(4)]

    plain, a, b = draw(), draw(amplitude_scale=0.2, noise_sd=0.05), draw(amplitude_scale=0.2, noise_sd=0.05)
    assert all(x.shape == (12, 250) for x in a)
    assert all(torch.equal(x, y) for x, y in zip(a, b))  # same seed, same draws
    assert not any(torch.allclose(x, y) for x, y in zip(plain, a))
    with pytest.raises(ValueError, match="amplitude_scale"):
        RandomCropDataset(signals, np.arange(4), labels, 250, amplitude_scale=1.5)
