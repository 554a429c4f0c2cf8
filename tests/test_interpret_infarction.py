"""The infarction rule (medts.interpret.infarction): a classifier MI statement needs Q waves, ST elevation or
poor R progression in its territory; the per-lead Q waves it reads (medts.signal.qwaves)."""

from __future__ import annotations

import numpy as np
from interpret_helpers import measured, scores

from medts.interpret import interpret
from medts.interpret.contradictions import findings_contradictions
from medts.interpret.infarction import infarction_gate
from medts.signal.intervals import Value
from medts.signal.qwaves import QrsWaves, qrs_waves

FS = 500.0


def _beats(*waves: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three identical beats of half-sine waves ``(start, length, amplitude mV)``; QRS 48..(end + 2)."""
    beat = np.zeros(200)
    for start, length, amp in waves:
        beat[start:start + length] += np.sin(np.linspace(0, np.pi, length)) * amp
    end = max(s + n for s, n, _ in waves) + 2
    return np.tile(beat, 3), np.array([48.0, 248, 448]), np.array([end, end + 200, end + 400], dtype=float)


def test_qrs_waves_reads_a_q_wave_a_qs_complex_and_an_r_first_qrs():
    x, on, off = _beats((50, 20, -0.3), (70, 20, 1.0))  # 40 ms Q, then R
    w = qrs_waves(x, on, off, np.zeros(3), FS)
    assert 35 <= w.q_ms <= 45 and abs(w.q_mv - 0.3) < 0.01 and not w.qs and w.r_mv > 0.9
    x, on, off = _beats((50, 40, -0.8))  # no R at all
    w = qrs_waves(x, on, off, np.zeros(3), FS)
    assert w.qs and w.q_ms > 70 and w.r_mv < 0.05
    x, on, off = _beats((50, 20, 1.0), (70, 20, -0.4))  # R then S: no Q
    w = qrs_waves(x, on, off, np.zeros(3), FS)
    assert w.q_ms == 0 and w.q_mv == 0 and abs(w.s_mv - 0.4) < 0.01


def test_a_measured_record_has_q_r_s_per_lead():
    _, m = measured(70.0)
    assert set(m.qrs_waves) == set(m.leads)
    assert m.qrs_waves["II"].r_mv > 0.5 and m.qrs_waves["II"].q_ms < 30  # simulated normal ECG: no inferior Q


def _with_q(m, leads, q: QrsWaves):
    return m.model_copy(update={"qrs_waves": {**m.qrs_waves, **{lead: q for lead in leads}}})


def test_classifier_infarction_without_territory_signs_is_withheld_with_the_measured_values():
    _, m = measured(70.0)
    f = interpret(m, sex="M", scores=scores(IMI=0.8, ASMI=0.7))
    imi = next(s for s in f.statements if s.code == "IMI")
    asmi = next(s for s in f.statements if s.code == "ASMI")
    assert imi.decision == "withheld" and asmi.decision == "withheld"
    assert "no pathological Q wave" in imi.reason and "II no Q" in imi.reason and "ST II" in imi.reason
    assert "classifier p=0.80" in imi.reason and imi.probability == 0.8  # raw probability beside the decision
    assert "V3" in asmi.reason and "IMI" not in f.codes() and "ASMI" not in f.codes()
    assert findings_contradictions(f) == []


def test_inferior_q_waves_assert_imi_naming_them():
    _, m = measured(70.0)
    q = QrsWaves(q_ms=40.0, q_mv=0.3, r_mv=0.5, s_mv=0.1, qs=False, n_beats=12)
    f = interpret(_with_q(m, ("II", "aVF"), q), sex="M", scores=scores(IMI=0.8))
    imi = next(s for s in f.statements if s.code == "IMI")
    assert imi.decision == "asserted" and "II Q 40 ms 0.30 mV" in imi.reason and "aVF Q 40 ms" in imi.reason
    assert findings_contradictions(f) == []


def test_a_q_wave_in_one_lead_needs_a_q_in_the_contiguous_lead():
    _, m = measured(70.0)
    qs = QrsWaves(q_ms=80.0, q_mv=0.5, r_mv=0.02, s_mv=0.5, qs=True, n_beats=12)
    alone = _with_q(m, ("III",), qs)
    assert "IMI" not in interpret(alone, sex="M", scores=scores(IMI=0.8)).codes()
    small = QrsWaves(q_ms=24.0, q_mv=0.05, r_mv=0.6, s_mv=0.1, qs=False, n_beats=12)
    partnered = _with_q(alone, ("aVF",), small)
    assert "IMI" in interpret(partnered, sex="M", scores=scores(IMI=0.8)).codes()


def test_st_elevation_in_two_contiguous_leads_supports_the_territory():
    _, m = measured(70.0)
    st = {**m.st_j60_mv, "II": Value(value=0.15, unit="mV", quality="good"),
          "aVF": Value(value=0.12, unit="mV", quality="good")}
    f = interpret(m.model_copy(update={"st_j60_mv": st}), sex="M", scores=scores(IMI=0.8))
    assert "IMI" in f.codes()
    assert "ST elevation in II +0.15 mV, aVF +0.12 mV" in next(s for s in f.statements if s.code == "IMI").reason


def test_paced_cannot_be_checked_lbbb_keeps_the_classifier_and_wide_qrs_is_not_posterior():
    _, m = measured(70.0)
    assert infarction_gate(m, "IMI", sex="M", paced=True, lbbb=False)[0] is None
    assert infarction_gate(m, "IMI", sex="M", paced=False, lbbb=True)[0] is True
    assert infarction_gate(m, "IMI", sex="M", paced=False, lbbb=False)[0] is False
    tall_r = QrsWaves(q_ms=0.0, q_mv=0.0, r_mv=0.8, s_mv=0.2, qs=False, n_beats=12)
    narrow = _with_q(m, ("V1", "V2"), tall_r)
    assert infarction_gate(narrow, "PMI", sex="M", paced=False, lbbb=False)[0] is True
    wide = narrow.model_copy(update={"qrs_ms": Value(value=140.0, unit="ms", quality="good")})
    assert infarction_gate(wide, "PMI", sex="M", paced=False, lbbb=False)[0] is None
