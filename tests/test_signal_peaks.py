"""medts.signal.peaks: consensus R peaks across leads."""

import numpy as np
import pytest
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


def _lead_ii(hr_bpm: float, seed: int):
    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(10.0, 500.0, hr_bpm, seed=seed)
    return clean_ecg(ecg.signal[:, [ecg.leads.index("II")]], 500.0)


def test_a_p_wave_taken_for_a_beat_on_a_one_lead_record_is_dropped():
    # LUDB 24 lead II alone (LBBB): NeuroKit2 took the last P wave for a beat (0.13x the QRS slope),
    # so a regular sinus rhythm had RR variation 0.25 and SDNN 276 ms.
    from medts.signal.peaks import drop_flat_false_beats

    x = _lead_ii(50.0, 7)
    beats = consensus_rpeaks(x, 500.0)
    assert len(beats) >= 6
    last = int(beats[-1])
    lo, hi = last - int(0.30 * 500), last - int(0.12 * 500)
    p_peak = lo + int(np.argmax(np.abs(x[lo:hi, 0])))
    with_p = np.sort(np.append(beats, p_peak))
    kept = drop_flat_false_beats(with_p, np.abs(x[:, 0]), 500.0)
    assert list(kept) == list(beats)


def test_a_premature_steep_beat_is_kept():
    # the rule drops flat early detections only: a premature QRS (a PVC-like copy of a beat) stays
    x = _lead_ii(60.0, 8)
    beats = consensus_rpeaks(x, 500.0)
    a, b = int(beats[2]), int(beats[3])
    at, w = a + int(0.55 * (b - a)), int(0.06 * 500)
    y = x.copy()
    y[at - w:at + w, 0] += 1.3 * x[a - w:a + w, 0]
    found = consensus_rpeaks(y, 500.0)
    assert len(found) == len(beats) + 1 and np.min(np.abs(found - at)) <= 10


def _qs_lead(seed: int, fs: float = 500.0, hr_bpm: float = 50.0) -> np.ndarray:
    """A lead like aVR in LBBB (mV): a deep negative QRS (-0.9 mV) after a small r, an upright T (+0.35 mV)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(10 * fs)) / fs
    x = np.zeros_like(t)
    for b in np.arange(0.6, 10, 60 / hr_bpm) + rng.normal(0, 0.01, len(np.arange(0.6, 10, 60 / hr_bpm))):
        for c, w, a in ((-0.16, 0.02, -0.08), (-0.02, 0.012, 0.12), (0.03, 0.03, -0.9), (0.30, 0.05, 0.35)):
            x += a * np.exp(-0.5 * ((t - b - c) / w) ** 2)
    return x + rng.normal(0, 0.01, len(t))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beats_of_a_dominantly_negative_lead_alone_are_found_at_a_steady_rr(seed):
    # aVR alone (LUDB 24, LBBB): NeuroKit2's peaks wandered between the small r and the T wave (RR 527-664
    # samples on a regular rhythm), the lead was called noisy and medts abstained
    from medts.signal.peaks import dominantly_negative

    x = clean_ecg(_qs_lead(seed)[:, None], 500.0)
    assert dominantly_negative(x[:, 0], 500.0)
    beats = consensus_rpeaks(x, 500.0)
    assert len(beats) == 8 and np.diff(beats).std() < 15


def test_with_several_leads_a_negative_lead_is_not_inverted():
    # I + II of a paced record (LUDB 34): one lead's peaks moved to another deflection on some beats, the
    # consensus beat jittered (RR variation 0.04 -> 0.11) and the rhythm read as atrial fibrillation
    from medts.signal.peaks import lead_rpeaks

    x = clean_ecg(_qs_lead(0)[:, None], 500.0)[:, 0]
    assert list(lead_rpeaks(x, 500.0)) == list(lead_rpeaks(x, 500.0, invert_negative=False))
    assert list(lead_rpeaks(x, 500.0)) != list(lead_rpeaks(x, 500.0, invert_negative=True))


def test_small_flat_detections_between_af_beats_are_not_beats(ludb_dir):
    # LUDB 109 (atrial fibrillation, short RR): two T/f waves at a third of the QRS size were counted as
    # beats in nearly every lead (17 beats for the cardiologists' 15): heart rate 134 instead of ~90 bpm
    import wfdb

    from medts.io import read_record
    from medts.signal.measure import analyse_ecg

    ecg = read_record(ludb_dir / "data" / "109.hea")
    beats = analyse_ecg(ecg).delineation.rpeaks
    ann = wfdb.rdann(str(ludb_dir / "data" / "109"), "ii")
    truth = ann.sample[np.asarray(ann.symbol) == "N"]
    inside = beats[(beats >= truth.min() - 50) & (beats <= truth.max() + 50)]
    assert len(inside) == len(truth)
    assert np.abs(inside - truth).max() <= 25


def test_a_premature_beat_followed_by_a_pause_survives_the_small_beat_rule():
    # a small early beat (a PVC seen small in this lead) with a compensatory pause is kept; the same small
    # beat with no pause after it is dropped
    from medts.signal.peaks import drop_flat_false_beats

    fs = 500.0
    magnitude = np.zeros(5000)
    beats = np.array([300, 800, 1300, 1800, 2050, 2800, 3300, 3800, 4300])
    for b in beats:
        magnitude[b - 10:b + 11] = np.concatenate([np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]])
    magnitude[2040:2061] *= 0.3  # the early beat at 2050 is small and flat; 750 samples to the next
    assert 2050 in drop_flat_false_beats(beats, magnitude, fs)
    early_no_pause = np.array([300, 800, 1300, 1800, 2050, 2300, 2800, 3300, 3800, 4300])
    magnitude[2290:2311] = np.concatenate([np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]])
    assert 2050 not in drop_flat_false_beats(early_no_pause, magnitude, fs)


def test_a_step_at_the_records_end_does_not_turn_lead_ii_alone_into_noise(ludb_dir):
    # LUDB 133 lead II ends with 0.03 -> 0.92 mV in 3 samples: the cleaned lead ended at -1.6 mV, the lead
    # was inverted as 'dominantly negative', T waves became beats and the one-lead record was refused
    import wfdb

    from medts.record import ECG
    from medts.signal.measure import measure_ecg

    rec = wfdb.rdrecord(str(ludb_dir / "data" / "133"))
    m = measure_ecg(ECG(rec.p_signal[:, [1]], 500.0, ["II"], "ludb133-II"))
    assert m.lead_quality[0].usable, m.lead_quality
    assert m.n_beats >= 8
    assert 45 <= m.hr_bpm.value <= 60


def test_muscle_noise_does_not_hide_beats_from_a_one_lead_record(cpsc2019_dir):
    # CPSC2019 01714: NeuroKit2's detector on the 0.5-100 Hz cleaned lead found 4 of 12 beats (muscle noise
    # raised its gradient threshold); the 25 Hz pass finds them
    import scipy.io

    from medts.signal.measure import find_beats

    x = scipy.io.loadmat(str(cpsc2019_dir / "data" / "data_01714.mat"))["ecg"].ravel().astype(float)
    ref = scipy.io.loadmat(str(cpsc2019_dir / "ref" / "R_01714.mat"))["R_peak"].ravel().astype(np.int64)
    beats = find_beats(x[:, None], 500.0, ["ECG1"]).rpeaks
    found = sum(np.abs(beats - r).min() <= 38 for r in ref)
    assert found >= 11 and len(beats) <= len(ref) + 1


def test_the_wide_band_peaks_stay_unless_the_smoothed_lead_finds_far_more_beats_as_steep():
    from medts.signal.peaks import more_complete_peaks

    fs = 500.0
    lead = np.zeros(5000)
    for p in range(500, 4600, 500):
        lead[p - 10:p + 11] = 1.0 - np.abs(np.arange(-10, 11)) / 10  # QRS-like spikes every second
    wide = np.array([500, 1500, 2500, 3500])
    assert np.array_equal(more_complete_peaks(wide, np.array([500, 1000, 1500, 2000, 2500]), lead, fs), wide)
    smooth = np.arange(500, 4600, 500)
    assert np.array_equal(more_complete_peaks(wide, smooth, lead, fs), smooth)
    elsewhere = np.arange(250, 4600, 500)  # more peaks, but none where the wide-band ones were
    assert np.array_equal(more_complete_peaks(wide, elsewhere, lead, fs), wide)
    # blocked P waves (2:1 AV block, QTDB sel231): extra peaks that are gentle bumps, not QRS complexes
    bumps = lead.copy()
    for p in range(750, 4600, 1000):
        bumps[p - 40:p + 41] = 0.3 * np.hanning(81)
    with_p = np.sort(np.concatenate([wide, np.arange(750, 4600, 1000)]))
    assert np.array_equal(more_complete_peaks(wide, with_p, bumps, fs), wide)
