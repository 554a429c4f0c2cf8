"""Report sources: anomalous beats from the template + RR detector, evidence leads by lead occlusion."""

from __future__ import annotations

import numpy as np
import pytest

from medts.classify.attribution import lead_occlusion
from medts.interpret.statements import required_leads
from medts.record import STANDARD_LEADS
from medts.report.sources import AnomalySource, ClassifierSource, SignalSource
from medts.simulate import simulate_12lead


@pytest.fixture(scope="module")
def sinus():
    ecg = simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=72.0, seed=5, record_id="sinus72")
    return ecg, SignalSource().sections(ecg)


def test_regular_sinus_has_no_anomalous_beat_and_reuses_the_measured_r_peaks(sinus):
    ecg, sig = sinus
    assert sig.r_peaks and len(sig.r_peaks) >= 10 and len(sig.usable_leads) == 12
    section = AnomalySource().anomalies(ecg, r_peaks=sig.r_peaks, usable_leads=sig.usable_leads)
    assert section.status.available and f"{len(sig.r_peaks)} beats" in section.status.reason
    assert section.items == []


def test_a_premature_beat_of_another_shape_is_listed_at_its_time(sinus):
    ecg, sig = sinus
    r = list(sig.r_peaks)
    k = len(r) // 2
    # An ectopic beat: a copy of the QRS region, upside down and widened, 55 % into an RR interval.
    at = int(r[k] + 0.55 * (r[k + 1] - r[k]))
    signal = ecg.signal.copy()
    half = int(0.06 * ecg.fs)
    beat = ecg.signal[r[k] - half:r[k] + half]
    wide = np.repeat(beat, 2, axis=0)[: 2 * half * 2]  # [4 * half, 12], twice as long
    signal[at - 2 * half:at + 2 * half] -= wide
    ectopic = ecg.__class__(signal, fs=ecg.fs, leads=ecg.leads, record_id="ectopic")
    peaks = sorted(r + [at])
    section = AnomalySource().anomalies(ectopic, r_peaks=peaks, usable_leads=sig.usable_leads)
    times = [round((a.start_s + a.end_s) / 2, 2) for a in section.items]
    assert round(at / ecg.fs, 2) in times
    item = section.items[times.index(round(at / ecg.fs, 2))]
    assert "premature" in item.kind and "shape" in item.kind
    assert len(section.items) <= 3  # the ectopic beat and at most its neighbours (short RR after it)


def test_without_r_peaks_the_section_says_why_it_is_empty(sinus):
    ecg, _ = sinus
    section = AnomalySource().anomalies(ecg, r_peaks=None)
    assert not section.status.available and "R peaks" in section.status.reason


@pytest.fixture(scope="module")
def classifiers():
    source = ClassifierSource(evidence="occlusion")
    if not source.available:
        pytest.skip(f"no classifier adapter shipped: {source._reason}")
    return source


def test_every_asserted_classifier_statement_has_evidence_leads_among_the_present_leads(classifiers):
    # a sinus record: the fused 12-lead classifier asserts NORM and SR on it (on a simulated AF record
    # neither the CNN nor the fusion asserts anything, so there would be no evidence to check)
    full = simulate_12lead(duration_s=10.0, fs=100.0, hr_bpm=70.0, seed=9, record_id="sinus")
    limb = full.select_leads(["I", "II", "III"])
    runs = classifiers.scores_many([full, limb])
    for run, present in zip(runs, (set(STANDARD_LEADS), {"I", "II", "III"})):
        above = [s for s in run.scores if s.present]
        assert run.available and above
        assert len(run.scores) > len(above)  # every statement's raw score is kept, not only those above threshold
        for score in above:
            if not set(required_leads(score.code, reduced_lead_model=score.reduced_lead_model)) <= present:
                continue  # withheld for missing leads (by the classifier and the engine): no evidence computed
            assert score.evidence and score.evidence.startswith("lead occlusion")
            assert set(score.evidence_leads) <= present and len(score.evidence_leads) <= 3


def test_a_limb_lead_record_gets_no_12_lead_statement(classifiers):
    """On I + II only rhythm statements and the superclasses the reduced-lead model may assert from them stand."""
    from medts.interpret.statements import REDUCED_LEAD_MODEL_LEADS
    from medts.report.sources import report_sections

    full = simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=75.0, seed=9, record_id="limb")
    limb = full.select_leads(["I", "II"])
    (run,) = classifiers.scores_many([limb])
    sec = report_sections(limb, SignalSource().sections(limb), run, "medts.signal.measure_ecg")
    asserted = {s.code for s in sec.statements.asserted}
    # rhythm statements, decided by the measurements, and CD / STTC of the reduced-lead model (lead II) survive
    from_reduced = {c for c, leads in REDUCED_LEAD_MODEL_LEADS.items() if set(leads) <= {"I", "II"}}
    assert from_reduced == {"CD", "STTC"}
    assert asserted <= {"SR", "STACH", "SBRAD", "SARRH", "AFIB"} | from_reduced, asserted
    for s in sec.statements.withheld:
        if s.origin == "classifier" and s.code not in ("SR", "STACH", "SBRAD", "SARRH", "AFIB"):
            assert "lacks" in s.reason or "measured rhythm" in s.reason or "measurement" in s.reason, s


def test_the_first_evidence_lead_lowers_the_full_ensemble_probability_most(classifiers):
    from medts.classify.preprocess import model_input

    ecg = simulate_12lead(duration_s=10.0, fs=100.0, hr_bpm=58.0, seed=21, record_id="brady")
    clf = classifiers._classifiers[0]
    code = clf.predict(ecg).present[0]
    leads, how = lead_occlusion(clf, [ecg], [[code]], members=None)[0][code]
    assert leads, how
    # Independently: zero each lead in the model input and score with the classifier's own predict_proba.
    x, _ = model_input(ecg, fs_hz=clf.fs_hz)
    copies = np.repeat(x[None], 12, axis=0)
    for j in range(12):
        copies[j, :, j] = 0.0
    p0 = clf.predict_proba(x[None])[0, clf.classes.index(code)]
    drops = p0 - clf.predict_proba(copies)[:, clf.classes.index(code)]
    assert STANDARD_LEADS[int(np.argmax(drops))] == leads[0]


def test_occlusion_uses_the_cheapest_member_by_multiply_accumulates(classifiers):
    import torch

    from medts.classify.attribution import conv_macs, evidence_members

    small, big = torch.nn.Conv1d(12, 4, 5), torch.nn.Conv1d(12, 32, 5)
    assert conv_macs(small, window=100) == 96 * 4 * 12 * 5  # 96 outputs x 4 channels x 12 x 5 inputs
    assert conv_macs(big, window=100) == 8 * conv_macs(small, window=100)
    for clf in classifiers._classifiers:
        costs = [conv_macs(net, clf.window) for net in clf.inference_members]
        (picked,) = evidence_members(clf)
        assert costs[[id(n) for n in clf.inference_members].index(id(picked))] == min(costs)
        assert evidence_members(clf, None) == list(clf.inference_members)


def test_occlusion_batched_over_records_equals_one_record_at_a_time(classifiers):
    records = [simulate_12lead(duration_s=10.0, fs=100.0, hr_bpm=hr, seed=s, atrial_fibrillation=af, record_id=f"r{s}")
               for hr, s, af in ((58.0, 31, False), (115.0, 32, True), (75.0, 33, False))]
    clf = classifiers._classifiers[0]
    codes = [clf.predict(e).present[:3] for e in records]
    assert any(codes)
    together = lead_occlusion(clf, records, codes)
    alone = [lead_occlusion(clf, [e], [c])[0] for e, c in zip(records, codes)]
    assert [{k: v[0] for k, v in d.items()} for d in together] == [{k: v[0] for k, v in d.items()} for d in alone]
    assert all(set(d) == set(c) for d, c in zip(together, codes))
