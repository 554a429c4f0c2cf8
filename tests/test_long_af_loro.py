"""The AF window rule's thresholds re-chosen without the scored record (``medts bench long``'s
leave-one-record-out AF test) and the window relabelling it relies on."""

from __future__ import annotations

import numpy as np

from medts.bench.long import leave_one_record_out_af, window_af_reference
from medts.interpret import longterm as rules
from medts.longterm.rhythm import WindowRhythm, relabel_windows, window_rhythm


def _window(i: int, irregularity: float, changing: float, p_wave: bool = False) -> WindowRhythm:
    label = "AF/flutter" if rules.is_af_window(irregularity, changing, p_wave, 70) else "regular"
    return WindowRhythm(start_s=60.0 * i, end_s=60.0 * (i + 1), n_beats=70, hr_bpm=80.0, rhythm=label,
                        irregularity=irregularity, fraction_changing=changing, n_rr_used=70, p_wave=p_wave,
                        p_wave_note="", counts={"N": 70, "S": 0, "V": 0, "Q": 0})


def test_relabel_with_shipped_thresholds_keeps_window_rhythm_labels():
    rng = np.random.default_rng(3)
    rr_af = rng.uniform(0.45, 1.1, 80)  # irregular, no P wave: AF
    rr_sinus = 0.8 + 0.01 * rng.standard_normal(80)
    none = np.full(80, "N")
    ws = [window_rhythm(0.0, 60.0, rr_af, none, False, ""), window_rhythm(60.0, 120.0, rr_sinus, none, True, ""),
          window_rhythm(120.0, 180.0, rr_af, none, True, "")]  # irregular with a P wave: not AF
    assert [w.rhythm for w in ws] == ["AF/flutter", "regular", "irregular"]
    assert [w.rhythm for w in relabel_windows(ws)] == [w.rhythm for w in ws]
    # a stricter irregularity threshold than the AF window's own value: it is no longer AF
    strict = relabel_windows(ws, min_irregularity=ws[0].irregularity + 0.01)
    assert strict[0].rhythm != "AF/flutter"


def test_window_reference_needs_half_the_window_in_af():
    ws = [_window(i, 0.02, 0.1) for i in range(3)]
    assert window_af_reference(ws, [(50.0, 145.0)]).tolist() == [False, True, False]
    assert window_af_reference(ws, [(30.0, 95.0)]).tolist() == [True, True, False]


def test_leave_one_record_out_does_not_let_a_record_choose_its_own_thresholds():
    # two AF records (clearly irregular AF in minutes 2-4), one sinus record and one AF mimic
    # (irregular, no P wave, but milder than the AF records)
    af = [_window(0, 0.02, 0.1), _window(1, 0.3, 0.95), _window(2, 0.3, 0.95), _window(3, 0.3, 0.95),
          _window(4, 0.02, 0.1)]
    ref = [(60.0, 240.0)]
    mimic = [_window(i, 0.12, 0.86) for i in range(5)]
    sinus = [_window(i, 0.02, 0.1, p_wave=True) for i in range(5)]
    results = {"af1": (af, ref, window_af_reference(af, ref)), "af2": (af, ref, window_af_reference(af, ref)),
               "mimic": (mimic, [], window_af_reference(mimic, [])),
               "sinus": (sinus, [], window_af_reference(sinus, []))}
    out = leave_one_record_out_af(results)
    # with the mimic among the tuning records, thresholds above it are chosen and the AF records
    # are still found; left out, nothing stops the loosest thresholds and it is called AF
    t = out["records"]["af1"]["thresholds"]
    assert t["min_irregularity"] >= 0.12 or t["min_fraction_changing"] >= 0.86
    assert out["records"]["mimic"]["found"] == 1
    assert out["records"]["sinus"]["found"] == 0
    p = out["pooled"]
    assert p["sensitivity"] == 1.0 and p["non_af_records"] == 2 and p["non_af_records_called_af"] == 1
