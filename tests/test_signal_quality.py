"""medts.signal.quality: per-lead flags and limb-lead reversal."""

import numpy as np
from signal_synth import synth_ecg

from medts.signal.clean import clean_ecg
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
    _, x, r = _assess(swapped, ecg.fs, ecg.leads)
    assert limb_lead_reversal(x, list(ecg.leads), r, ecg.fs) is not None
    _, x0, r0 = _assess(ecg.signal, ecg.fs, ecg.leads)
    assert limb_lead_reversal(x0, list(ecg.leads), r0, ecg.fs) is None
