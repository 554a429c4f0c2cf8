"""Quality grade: one rule for the report, the agent and the UI."""

from __future__ import annotations

from interpret_helpers import measured

from medts.interpret.quality import grade_counts, grade_quality
from medts.record import ECG
from medts.signal import measure_ecg
from medts.simulate import simulate_12lead


def test_grade_counts():
    assert grade_counts(12, 12, 10) == "good"
    assert grade_counts(11, 12, 10) == "acceptable"
    assert grade_counts(12, 12, 10, reversal=True) == "acceptable"
    assert grade_counts(5, 12, 10) == "poor" and grade_counts(12, 12, 1) == "poor"
    assert grade_counts(0, 0, None) == "unknown"


def test_clean_record_is_good_and_disconnected_leads_make_it_poor():
    _, m = measured(70.0)
    q = grade_quality(m)
    assert q.overall == "good" and not q.abstain and len(q.usable_leads) == 12
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=4, record_id="flat")
    x = ecg.signal.copy()
    x[:, :8] = 0.0  # 8 of 12 leads disconnected
    bad = grade_quality(measure_ecg(ECG(x, fs=500.0, leads=ecg.leads, record_id="flat")))
    assert bad.overall == "poor" and bad.abstain and "leads usable" in bad.reason
    assert set(ecg.leads[:8]) <= set(bad.absent_leads)


def test_missing_leads_are_absent_but_do_not_lower_the_grade():
    _, m = measured(70.0, leads=("I", "II", "III"))
    q = grade_quality(m)
    assert q.overall == "good" and "V1" in q.missing_leads and "V1" in q.absent_leads
