"""The simulated 12-lead ECG must look like an ECG in every lead."""

from __future__ import annotations

import numpy as np
import neurokit2 as nk

from medts.simulate import simulate_12lead


def test_limb_leads_obey_einthoven_and_goldberger() -> None:
    ecg = simulate_12lead(duration_s=10, fs=500, hr_bpm=70, seed=0, noise_mv=0.0)
    lead = ecg.lead
    np.testing.assert_allclose(lead("III"), lead("II") - lead("I"), atol=1e-5)
    np.testing.assert_allclose(lead("aVR"), -(lead("I") + lead("II")) / 2, atol=1e-5)


def test_r_wave_progression_and_qrs_polarity() -> None:
    ecg = simulate_12lead(duration_s=10, fs=500, hr_bpm=70, seed=0, noise_mv=0.0)
    peak = {name: float(ecg.lead(name).max()) for name in ecg.leads}
    trough = {name: float(ecg.lead(name).min()) for name in ecg.leads}
    assert peak["II"] > 0.7  # a real QRS in lead II, unlike nk "multileads"
    assert trough["V1"] < -0.5 and peak["V1"] < 0.4  # rS in V1
    assert peak["V5"] > peak["V1"] + 0.6  # R grows across the precordium
    assert trough["aVR"] < -0.5  # aVR is negative


def test_heart_rate_and_rhythm_are_as_requested() -> None:
    for hr, af in [(60, False), (100, False), (90, True)]:
        ecg = simulate_12lead(duration_s=20, fs=500, hr_bpm=hr, seed=4, atrial_fibrillation=af)
        _, info = nk.ecg_peaks(nk.ecg_clean(ecg.lead("II"), sampling_rate=500), sampling_rate=500)
        rr = np.diff(info["ECG_R_Peaks"]) / 500
        assert abs(60 / rr.mean() - hr) < 0.1 * hr
        cv = rr.std() / rr.mean()
        assert (cv > 0.1) if af else (cv < 0.06)


def test_same_seed_same_signal() -> None:
    a = simulate_12lead(duration_s=5, fs=250, hr_bpm=70, seed=9)
    b = simulate_12lead(duration_s=5, fs=250, hr_bpm=70, seed=9)
    c = simulate_12lead(duration_s=5, fs=250, hr_bpm=70, seed=10)
    np.testing.assert_array_equal(a.signal, b.signal)
    assert not np.array_equal(a.signal, c.signal)
