"""medts.signal.peaks: consensus R peaks across leads."""

import numpy as np
from signal_synth import synth_ecg

from medts.signal.clean import clean_ecg
from medts.signal.peaks import consensus_rpeaks, rr_intervals_ms


def test_consensus_finds_every_beat_despite_a_noisy_lead():
    ecg, onsets = synth_ecg(hr_bpm=72, seed=4)
    x = clean_ecg(ecg.signal, ecg.fs, powerline=None)
    x[:, 0] = np.random.default_rng(0).normal(0, 1.0, len(x))  # lead I is pure noise
    r = consensus_rpeaks(x, ecg.fs)
    expected = onsets + int(0.04 * ecg.fs)  # R bump centre
    assert len(r) == len(expected)
    assert np.max(np.abs(r - expected)) <= int(0.02 * ecg.fs)
    rr = rr_intervals_ms(r, ecg.fs)
    assert np.allclose(np.median(rr), 60000 / 72, atol=10)


def test_no_beats_in_silence():
    assert len(consensus_rpeaks(np.zeros((5000, 3)), 500.0)) == 0
