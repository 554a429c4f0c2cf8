"""medts.signal.quality: per-lead flags and limb-lead reversal."""

import numpy as np
from signal_synth import QRS_MS, synth_ecg

from medts.signal.clean import clean_ecg
from medts.signal.fuse import delineate_ecg
from medts.signal.peaks import consensus_rpeaks
from medts.signal.quality import assess_leads, limb_lead_reversal


def _assess(sig, fs, leads):
    x = clean_ecg(sig, fs, powerline=None)
    r = consensus_rpeaks(x, fs)
    return {q.lead: q for q in assess_leads(sig, x, fs, list(leads), r)}, x, r


def test_clean_record_has_no_flags():
    ecg, _ = synth_ecg(seed=5)
    q, _, _ = _assess(ecg.signal, ecg.fs, ecg.leads)
    assert all(not v.flags and v.usable for v in q.values()), {k: v.flags for k, v in q.items() if v.flags}


def test_flat_disconnected_saturated_noisy_and_inverted_leads_are_flagged():
    ecg, _ = synth_ecg(seed=6)
    sig = ecg.signal.copy()
    idx = {name: j for j, name in enumerate(ecg.leads)}
    sig[:, idx["V1"]] = 0.0                                            # electrode off
    sig[:, idx["V2"]] = 0.01 * np.sin(np.arange(len(sig)) / 50)        # 0.02 mV: flat
    sig[:, idx["V4"]] = np.clip(sig[:, idx["V4"]], -0.2, 0.3)          # clipped
    sig[:, idx["V6"]] += np.random.default_rng(1).normal(0, 0.8, len(sig))  # strong noise
    sig[:, idx["III"]] *= -1                                           # inverted lead
    q, _, _ = _assess(sig, ecg.fs, ecg.leads)
    assert q["V1"].flags == ["disconnected"] and not q["V1"].usable
    assert "flat" in q["V2"].flags and not q["V2"].usable
    assert "saturated" in q["V4"].flags
    assert "noisy" in q["V6"].flags and not q["V6"].usable
    assert "possibly_inverted" in q["III"].flags
    assert not any(q[name].flags for name in ("I", "II", "aVF", "V3", "V5"))


def test_left_right_arm_reversal_detected():
    ecg, _ = synth_ecg(seed=7)
    idx = {name: j for j, name in enumerate(ecg.leads)}
    swapped = ecg.signal.copy()
    # LA/RA swap: I -> -I, II <-> III, aVR <-> aVL, aVF unchanged
    swapped[:, idx["I"]] = -ecg.signal[:, idx["I"]]
    swapped[:, idx["II"]], swapped[:, idx["III"]] = ecg.signal[:, idx["III"]], ecg.signal[:, idx["II"]]
    swapped[:, idx["aVR"]], swapped[:, idx["aVL"]] = ecg.signal[:, idx["aVL"]], ecg.signal[:, idx["aVR"]]
    assert _reversal(swapped, ecg.fs, ecg.leads) is not None
    assert _reversal(ecg.signal, ecg.fs, ecg.leads) is None


def _reversal(sig, fs, leads):
    _, x, r = _assess(sig, fs, leads)
    return limb_lead_reversal(x, list(leads), r, fs, delineate_ecg(x, fs, r, list(leads), list(range(len(leads)))))


def test_right_axis_qrs_with_upright_p_and_t_in_lead_i_is_no_arm_reversal():
    # QRS axis 150 deg (lead I QRS negative, aVR positive: RVH, LPFB), P and T axis 50 deg, as in the
    # PTB-XL records the QRS-only rule flagged (ecg_id 222 RVH, 680 and 903 RBBB)
    normal, onsets = synth_ecg(seed=8, axis_deg=50.0)
    right, onsets_r = synth_ecg(seed=8, axis_deg=150.0)
    assert np.array_equal(onsets, onsets_r)
    sig = normal.signal.copy()
    for q0 in onsets:
        sig[q0 : q0 + int(QRS_MS * normal.fs / 1000)] = right.signal[q0 : q0 + int(QRS_MS * normal.fs / 1000)]
    idx = {name: j for j, name in enumerate(normal.leads)}
    qrs = [slice(q0, q0 + int(QRS_MS * normal.fs / 1000)) for q0 in onsets]
    assert np.mean([sig[w, idx["I"]].max() + sig[w, idx["I"]].min() for w in qrs]) < 0
    assert np.mean([sig[w, idx["aVR"]].max() + sig[w, idx["aVR"]].min() for w in qrs]) > 0
    assert _reversal(sig, normal.fs, normal.leads) is None


def test_ventricular_bigeminy_is_two_shapes_not_noise(cpsc2019_dir):
    # CPSC2019 01389: every other beat is ventricular; against the median beat the lead correlated 0.49 and
    # was called noisy, so the one-lead record was refused although NeuroKit2 finds all 13 beats
    import scipy.io

    from medts.signal.measure import find_beats

    x = scipy.io.loadmat(str(cpsc2019_dir / "data" / "data_01389.mat"))["ecg"].ravel().astype(float)
    ref = scipy.io.loadmat(str(cpsc2019_dir / "ref" / "R_01389.mat"))["R_peak"].ravel().astype(np.int64)
    found = find_beats(x[:, None], 500.0, ["ECG1"])
    assert found.usable == [0], found.quality
    assert len(found.rpeaks) == len(ref)


def test_a_lead_of_noise_with_a_few_similar_bursts_is_still_noisy():
    from medts.signal.quality import beat_correlation

    rng = np.random.default_rng(7)
    lead = rng.normal(0, 0.3, 5000)
    r = np.arange(300, 4700, 400)
    assert beat_correlation(lead, r, 500.0) < 0.6
