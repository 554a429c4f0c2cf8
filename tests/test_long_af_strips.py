"""``medts bench long``'s AF window rule on 10-s strips: one strip analysed as one long-term window
(seeded simulated ECG), and the strip scores (sensitivity, specificity, strips with too few beats)."""

from __future__ import annotations

import pytest

from medts.bench.long import score_strips, strip_window
from medts.interpret import longterm as rules
from medts.simulate import simulate_12lead


@pytest.fixture(scope="module")
def strips():
    """10 s of lead II at 100 Hz (PTB-XL's rate): AF at 110 bpm, sinus at 90 bpm and at 50 bpm."""
    out = {}
    for name, hr, af, seed in (("af", 110.0, True, 3), ("sinus", 90.0, False, 4), ("slow", 50.0, False, 5)):
        ecg = simulate_12lead(10.0, 100.0, hr, seed=seed, atrial_fibrillation=af)
        out[name] = strip_window(ecg.signal[:, ecg.leads.index("II")], ecg.fs, name)
    return out


def test_one_strip_is_one_window_and_the_rule_tells_af_from_sinus(strips):
    af, sinus, slow = strips["af"], strips["sinus"], strips["slow"]
    assert af.end_s == pytest.approx(10.0, abs=0.05) and af.start_s == 0.0
    assert af.rhythm == "AF/flutter", af
    assert sinus.rhythm == "regular", sinus
    assert af.irregularity > rules.AF_MIN_IRREGULARITY > sinus.irregularity
    assert slow.n_beats < rules.AF_MIN_BEATS and slow.rhythm == "unreadable"


def test_strip_scores_count_sensitivity_specificity_and_too_few_beats(strips):
    rows = [{"name": k, "label": lab, "hard": hard, "window": strips[k].model_dump()}
            for k, lab, hard in (("af", "AF", False), ("sinus", "other", True), ("slow", "AF", False))]
    s = score_strips(rows)
    assert s["af"] == {"n": 2, "too_few_beats": 1, "readable": 1, "called_af": 1, "sensitivity": 1.0,
                       "sensitivity_all_strips": 0.5}
    assert s["non_af"]["specificity"] == 1.0 and s["hard"]["specificity"] == 1.0
    assert s["missed_af"] == [] and s["false_af"] == []
    # thresholds above the AF strip's own irregularity: missed; below the sinus strip's: a false AF call
    # (the sinus strip's P wave still vetoes it when it was seen)
    strict = score_strips(rows, min_irregularity=strips["af"].irregularity + 0.01)
    assert strict["af"]["sensitivity"] == 0.0 and strict["missed_af"] == ["af"]
    lax = score_strips(rows, min_irregularity=0.0, min_fraction_changing=0.0)
    assert lax["false_af"] == ([] if strips["sinus"].p_wave else ["sinus"])


def test_fewer_beats_can_be_allowed_for_the_strip_table_only(strips):
    rows = [{"name": "slow", "label": "other", "hard": False, "window": strips["slow"].model_dump()}]
    assert score_strips(rows)["non_af"]["too_few_beats"] == 1
    relaxed = score_strips(rows, min_beats=strips["slow"].n_rr_used)
    assert relaxed["non_af"] == {"n": 1, "too_few_beats": 0, "readable": 1, "called_af": 0, "specificity": 1.0}
