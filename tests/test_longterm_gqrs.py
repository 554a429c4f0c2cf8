"""medts.longterm.gqrs (wfdb's gqrs with whole-array filters) finds exactly the beats of
``wfdb.processing.gqrs_detect``, sample for sample, including its end-of-signal and circular-buffer
behaviour; MIT-BIH chunks when the shared data are present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from wfdb.processing import gqrs_detect as wfdb_gqrs

from medts.longterm.gqrs import gqrs_detect
from medts.simulate import simulate_12lead

MITDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb" / "full"


def _same(x: np.ndarray, fs: float) -> None:
    ref = np.asarray(wfdb_gqrs(sig=x, fs=fs))
    got = gqrs_detect(x, fs)
    assert got.tolist() == ref.tolist()


@pytest.mark.parametrize(("fs", "hr", "af", "seconds"), [(360.0, 70.0, False, 30.0), (250.0, 110.0, True, 30.0),
                                                           (100.0, 45.0, False, 30.0)])
def test_same_beats_as_wfdb_on_simulated_ecg(fs, hr, af, seconds):
    ecg = simulate_12lead(seconds, fs, hr, seed=3, atrial_fibrillation=af, noise_mv=0.03)
    _same(ecg.signal[:, ecg.leads.index("II")].astype(float), fs)


def test_same_beats_as_wfdb_past_the_circular_buffer_and_in_noise():
    """Longer than wfdb's 32768-sample buffer (its end-of-signal pass then reads old filter values),
    and pure noise with a few large spikes."""
    ecg = simulate_12lead(100.0, 360.0, 80.0, seed=4, noise_mv=0.05)
    _same(ecg.signal[:, ecg.leads.index("V1")].astype(float), 360.0)
    noise = np.random.default_rng(0).normal(0.0, 0.2, 6000)
    noise[::700] += 3.0
    _same(noise, 360.0)


def test_same_beats_as_wfdb_after_a_pause_and_an_amplitude_drop():
    """A 5-s pause (thresholds decay after 2.4 s without a peak), then beats at 15 % of the
    amplitude, found only once the thresholds have decayed."""
    ecg = simulate_12lead(40.0, 360.0, 75.0, seed=6, noise_mv=0.02)
    x = ecg.signal[:, ecg.leads.index("II")].astype(float)
    x[12 * 360:17 * 360] = np.median(x)
    x[17 * 360:] *= 0.15
    _same(x, 360.0)


def test_too_short_or_flat_gives_no_beats_like_wfdb():
    ecg = simulate_12lead(10.0, 360.0, 70.0, seed=1)
    _same(ecg.signal[:300, 1].astype(float), 360.0)
    assert gqrs_detect(ecg.signal[:300, 1].astype(float), 360.0).size == 0


@pytest.mark.skipif(not (MITDB / "203.hea").is_file(), reason="MIT-BIH DS1 not present")
def test_same_beats_as_wfdb_on_mitdb_203_chunks():
    import wfdb

    x = wfdb.rdrecord(str(MITDB / "203"), sampfrom=100_000, sampto=140_000).p_signal
    _same(x[:23_760, 0], 360.0)  # one analysis chunk (60 s + 2 x 3 s)
    _same(x[:, 0], 360.0)  # 40000 samples: past the buffer; here wfdb's cleanup pass finds a beat it does not mark
