"""Premature beats on 10 s records: PVC from a wide early beat, PAC from a narrow one in sinus rhythm."""

from __future__ import annotations

import pytest
from interpret_helpers import measured

from medts.interpret.ectopy import premature_beats
from medts.interpret.rhythm import call_rhythm


def _early_beat(m, k: int, fraction: float, widen_ms: float = 0.0, drop_p: bool = True):
    """Measurements with beat ``k`` moved ``fraction`` of its RR earlier (all fiducials) and its QRS widened."""
    rr = m.beats[k].r_peak - m.beats[k - 1].r_peak
    shift = -int(fraction * rr)
    widen = int(round(widen_ms * m.fs_hz / 1000.0))
    beats = []
    for j, b in enumerate(m.beats):
        d = b.model_dump()
        if j == k:
            d = {f: (None if v is None else v + shift) for f, v in d.items()}
            d["qrs_on"] -= widen // 2
            d["qrs_off"] += widen - widen // 2
            if drop_p:
                d.update(p_on=None, p_peak=None, p_off=None)
        beats.append(type(b)(**d))
    return m.model_copy(update={"beats": beats})


def test_regular_sinus_has_neither():
    _, m = measured(70.0)
    call = premature_beats(m, call_rhythm(m))
    assert call.pac is False and call.pvc is False and "no premature beat" in call.reason


def test_wide_early_beat_is_a_pvc():
    _, m = measured(70.0)
    e = _early_beat(m, 5, 0.35, widen_ms=60.0)
    call = premature_beats(e, call_rhythm(e))
    assert call.pvc is True and call.ventricular == 1 and call.pac is not True, call.reason
    assert "ventricular" in call.reason


def test_narrow_early_beat_in_sinus_rhythm_is_a_pac():
    _, m = measured(70.0)
    e = _early_beat(m, 5, 0.35)
    rhythm = call_rhythm(e)
    assert rhythm.code == "SR"
    call = premature_beats(e, rhythm)
    assert call.pac is True and call.supraventricular == 1 and call.pvc is False, call.reason


def test_slightly_wider_early_beat_is_of_untold_origin():
    _, m = measured(70.0)
    e = _early_beat(m, 5, 0.35, widen_ms=25.0)  # between the PAC band (20 ms) and the PVC widening (30 ms)
    call = premature_beats(e, call_rhythm(e))
    assert call.pac is None and call.pvc is None and call.untold == 1, call.reason


def test_early_last_beat_is_not_read():
    _, m = measured(70.0)
    last = len(m.beats) - 1
    e = _early_beat(m, last, 0.35, widen_ms=60.0)  # no pause after it inside the record
    call = premature_beats(e, call_rhythm(e))
    assert call.pvc is False


def test_narrow_early_beats_in_atrial_fibrillation_are_not_pacs():
    _, m = measured(105.0, af=True, seed=11)
    rhythm = call_rhythm(m)
    assert rhythm.code == "AFIB"
    assert premature_beats(m, rhythm).pac is False


@pytest.mark.parametrize("record, code", [(363, "PVC"), (816, "PAC")])
def test_ptbxl_tuning_records(ptbxl_dir, record, code):
    """PTB-XL 00363 (sinus tachycardia with ventricular bigeminy, labelled PVC) and 00816 (PAC), both in
    the tuning folds that set the rule."""
    from medts.io.ptbxl import PtbxlIndex
    from medts.signal.measure import measure_ecg

    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    ecg = index.read(record)
    assert code in ecg.metadata["scp_codes"]
    m = measure_ecg(ecg)
    call = premature_beats(m, call_rhythm(m))
    assert getattr(call, code.lower()) is True, call.reason


def test_ventricular_bigeminy_is_ectopy_not_sinus_arrhythmia(ptbxl_dir):
    """PTB-XL 00363 (tuning folds): sinus tachycardia with ventricular bigeminy. The early wide beats are
    set aside by the rhythm rule (up to half of the beats), so the dominant rhythm is regular."""
    from medts.io.ptbxl import PtbxlIndex
    from medts.signal.measure import measure_ecg

    m = measure_ecg(PtbxlIndex.open(ptbxl_dir, sampling_rate=100).read(363))
    rhythm = call_rhythm(m)
    assert rhythm.codes == ["STACH"] and rhythm.features.premature_beats >= 5, rhythm.reason
    assert premature_beats(m, rhythm).pvc is True
