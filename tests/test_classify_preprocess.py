"""Tests of medts.classify.preprocess: band-pass + per-lead z-score, lead order, resampling, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from medts.classify.preprocess import model_input, standardise_signal
from medts.errors import InvalidECGError
from medts.record import ECG, STANDARD_LEADS


def _ecg(fs: float, leads=STANDARD_LEADS, seconds: float = 10.0) -> ECG:
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=seconds, sampling_rate=int(fs), heart_rate=70, random_state=3)
    drift = 1.5 * np.sin(2 * np.pi * 0.1 * np.arange(len(x)) / fs)  # baseline wander, 0.1 Hz
    signal = (x + drift)[:, None] * np.linspace(0.5, 1.5, len(leads))[None, :] + 0.3
    return ECG(signal.astype(np.float32), fs=fs, leads=tuple(leads), record_id="sim")


def test_output_is_zero_mean_unit_variance_and_drift_is_removed():
    ecg = _ecg(100.0)
    x = standardise_signal(ecg.signal, 100.0)
    assert x.dtype == np.float32 and x.shape == ecg.signal.shape
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-4)
    f, before = welch(ecg.signal[:, 0], fs=100.0, nperseg=1000)
    _, after = welch(x[:, 0] * ecg.signal[:, 0].std(), fs=100.0, nperseg=1000)
    low = f <= 0.15
    assert after[low].sum() < 0.01 * before[low].sum()


def test_scale_and_offset_do_not_matter():
    ecg = _ecg(100.0)
    a = standardise_signal(ecg.signal, 100.0)
    b = standardise_signal(ecg.signal * 1000.0 - 7.0, 100.0)  # e.g. µV with an offset
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_flat_lead_stays_zero_and_nan_is_refused():
    signal = _ecg(100.0).signal.copy()
    signal[:, 3] = 0.2
    x = standardise_signal(signal, 100.0)
    assert np.all(x[:, 3] == 0) and np.isfinite(x).all()
    signal[10, 0] = np.nan
    with pytest.raises(InvalidECGError, match="NaN"):
        standardise_signal(signal, 100.0)


def test_model_input_resamples_and_reports_missing_leads():
    ecg = _ecg(500.0, leads=("V1", "II", "I"))
    x, missing = model_input(ecg, fs_hz=100.0)
    assert x.shape == (1000, 12)
    assert missing == ["III", "aVR", "aVL", "aVF", "V2", "V3", "V4", "V5", "V6"]
    for lead in missing:
        assert np.all(x[:, STANDARD_LEADS.index(lead)] == 0)
    # V1 is column 6 whatever the input order: its standardised trace matches the 100 Hz version
    reference = standardise_signal(ecg.resample(100.0).lead("V1")[:, None], 100.0)[:, 0]
    np.testing.assert_allclose(x[:, 6], reference, atol=1e-4)


def test_record_without_standard_leads_is_refused():
    ecg = ECG(np.random.default_rng(0).standard_normal((1000, 1)).astype(np.float32), fs=100.0, leads=("ECG1",))
    with pytest.raises(InvalidECGError, match="none of the 12 standard leads"):
        model_input(ecg, fs_hz=100.0)


@pytest.mark.realdata
def test_raw_and_processed_ptbxl_records_look_alike(ptbxl_dir):
    from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays

    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    arrays = processed_zscore_arrays(ptbxl_dir)
    both = [i for i in index.ecg_ids() if i in arrays][:6]
    assert len(both) >= 3
    correlations = []
    for ecg_id in both:
        raw = index.read(ecg_id).signal
        processed = load_processed_zscore(arrays[ecg_id])
        before = np.corrcoef(raw.ravel(), processed.ravel())[0, 1]
        after = np.corrcoef(standardise_signal(raw, 100.0).ravel(), standardise_signal(processed, 100.0).ravel())[0, 1]
        assert after > 0.9 and after > before, (ecg_id, before, after)
        correlations.append(after)
    assert np.mean(correlations) > 0.97
