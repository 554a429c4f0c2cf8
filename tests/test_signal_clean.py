"""medts.signal.clean: powerline detection and zero-phase cleaning."""

import numpy as np
import pytest
from signal_synth import synth_ecg

from medts.signal.clean import clean_ecg, detect_powerline


@pytest.mark.parametrize("line", [50.0, 60.0])
def test_detects_and_removes_powerline(line):
    ecg, _ = synth_ecg(seed=1)
    t = np.arange(ecg.n_samples) / ecg.fs
    noisy = ecg.signal + 0.2 * np.sin(2 * np.pi * line * t)[:, None]
    assert detect_powerline(noisy, ecg.fs) == line
    cleaned = clean_ecg(noisy, ecg.fs, powerline="auto")
    reference = clean_ecg(ecg.signal, ecg.fs, powerline=None)
    # the 0.2 mV hum is gone: the residual is far below the hum amplitude
    inner = slice(int(ecg.fs), -int(ecg.fs))  # filter edge transients aside
    assert np.sqrt(np.mean((cleaned[inner] - reference[inner]) ** 2)) < 0.02


def test_no_powerline_on_clean_signal_and_low_fs():
    ecg, _ = synth_ecg(seed=2)
    assert detect_powerline(ecg.signal, ecg.fs) is None
    low, _ = synth_ecg(fs=100.0, seed=2)
    assert detect_powerline(low.signal, 100.0) is None  # 50/60 Hz not resolvable at 100 Hz


def test_baseline_wander_removed_without_shifting_waves():
    ecg, onsets = synth_ecg(seed=3, noise_mv=0.0)
    t = np.arange(ecg.n_samples) / ecg.fs
    wander = 1.0 * np.sin(2 * np.pi * 0.15 * t)[:, None]
    cleaned = clean_ecg(ecg.signal + wander, ecg.fs, powerline=None)
    lead = cleaned[:, 1]  # lead II
    # R peaks stay where they were (zero-phase filtering): R bump centre = onset + 40 ms
    for q0 in onsets[1:-1]:
        r = q0 + int(0.04 * ecg.fs)
        window = lead[r - 25 : r + 25]
        assert abs(int(np.argmax(window)) - 25) <= 2
    reference = clean_ecg(ecg.signal, ecg.fs, powerline=None)[:, 1]
    inner = slice(int(ecg.fs), -int(ecg.fs))
    assert np.max(np.abs(lead[inner] - reference[inner])) < 0.05  # the 1 mV wander is gone


def test_a_step_in_the_last_samples_is_held_not_spread_over_the_last_second():
    from medts.signal.clean import hold_edge_steps

    fs = 500.0
    x = np.zeros((5000, 2))
    x[100::250, :] = 1.0  # spikes standing in for QRS complexes: amplitude 1 mV
    x[-3:, 0] = [0.3, 0.6, 0.9]  # lead 0 ends with a step
    held = hold_edge_steps(x, fs)
    assert np.all(held[-10:, 0] == x[-11, 0])
    assert np.array_equal(held[:, 1], x[:, 1])  # no step: untouched
    cleaned = clean_ecg(x, fs, powerline=None)
    # the last second matches the lead without the step (held: 0.9 mV spread as a -1.6 mV swing on LUDB 133)
    assert np.abs(cleaned[-500:-10, 0] - cleaned[-500:-10, 1]).max() < 0.05
