"""The AF window rule's thresholds re-chosen without the scored record (``medts bench long``'s
leave-one-record-out AF test) and the window relabelling it relies on."""

from __future__ import annotations

import numpy as np

from medts.bench.long import (
    AF_GRID,
    af_grid_scores,
    choose_af_thresholds,
    leave_one_record_out_af,
    strip_grid_scores,
    window_af_reference,
)
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
    # one clearly irregular AF record, one mild AF record (irregularity 0.08, 60 % of RR changing),
    # one sinus record with P waves and one AF mimic without P waves (irregularity 0.12, 55 % changing)
    def af_record(irr: float, chg: float) -> list[WindowRhythm]:
        return [_window(0, 0.02, 0.1), _window(1, irr, chg), _window(2, irr, chg), _window(3, irr, chg),
                _window(4, 0.02, 0.1)]

    ref = [(60.0, 240.0)]
    strong, mild = af_record(0.3, 0.95), af_record(0.08, 0.6)
    mimic = [_window(i, 0.12, 0.55) for i in range(5)]
    sinus = [_window(i, 0.02, 0.1, p_wave=True) for i in range(5)]
    results = {"strong": (strong, ref, window_af_reference(strong, ref)),
               "mild": (mild, ref, window_af_reference(mild, ref)),
               "mimic": (mimic, [], window_af_reference(mimic, [])),
               "sinus": (sinus, [], window_af_reference(sinus, []))}
    out = leave_one_record_out_af(results)
    # with the mild record among the tuning records, thresholds below it are chosen (and above the
    # mimic's fraction changing); left out, nothing asks for them and the higher pair misses it
    t = out["records"]["strong"]["thresholds"]
    assert t["min_irregularity"] < 0.08 and t["min_fraction_changing"] == 0.55
    assert out["records"]["strong"]["found"] == 1 and out["records"]["mild"]["found"] == 0
    assert out["records"]["mild"]["thresholds"] == {"min_irregularity": max(AF_GRID["min_irregularity"]),
                                                    "min_fraction_changing": max(AF_GRID["min_fraction_changing"])}
    assert out["records"]["mimic"]["found"] == 0 and out["records"]["sinus"]["found"] == 0
    p = out["pooled"]
    assert p["sensitivity"] == 0.5 and p["non_af_records"] == 2 and p["non_af_records_called_af"] == 0
    assert out["chosen_on_all"] == t


def test_tuning_strips_break_ties_towards_fewer_false_af_calls():
    # the DS1-like records cannot tell the pairs apart; a non-AF strip with fraction changing 0.7 can
    ref = [(60.0, 240.0)]
    strong = [_window(0, 0.02, 0.1)] + [_window(i, 0.3, 0.95) for i in (1, 2, 3)] + [_window(4, 0.02, 0.1)]
    results = {"strong": (strong, ref, window_af_reference(strong, ref))}
    grids = {"strong": af_grid_scores(*results["strong"])}
    strip = {"name": "pac", "label": "other", "hard": True,
             "window": _window(0, 0.15, 0.7).model_copy(update={"n_beats": 14, "n_rr_used": 14}).model_dump()}
    af_strip = {"name": "af", "label": "AF", "hard": False,
                "window": _window(0, 0.09, 0.75).model_copy(update={"n_beats": 14, "n_rr_used": 14}).model_dump()}
    pair = choose_af_thresholds(grids, ["strong"], strip_grid_scores([strip, af_strip]))
    # the non-AF strip is not called (fraction threshold >= 0.7), the AF strip is (< 0.09, < 0.75)
    assert pair[0] < 0.09 and 0.7 <= pair[1] < 0.75
