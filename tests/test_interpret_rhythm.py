"""Rhythm label on 10 s records: sinus family, AF, ectopic beats and sinus arrhythmia are not 'undetermined'."""

from __future__ import annotations

import numpy as np
import pytest
from interpret_helpers import measured

from medts.interpret.rhythm import call_rhythm


def _shift_beats(m, shifts: dict[int, int], drop_p: tuple[int, ...] = ()):
    """Measurements whose beat ``k`` moved by ``shifts[k]`` samples (all its fiducials), P removed for ``drop_p``."""
    beats = []
    for k, b in enumerate(m.beats):
        d = shifts.get(k, 0)
        moved = {f: (None if v is None else v + d) for f, v in b.model_dump().items()}
        if k in drop_p:
            moved.update(p_on=None, p_peak=None, p_off=None)
        beats.append(type(b)(**moved))
    return m.model_copy(update={"beats": beats})


@pytest.mark.parametrize("hr, code", [(70.0, "SR"), (130.0, "STACH"), (46.0, "SBRAD"), (55.0, "SR")])
def test_sinus_rates(hr, code):
    _, m = measured(hr)
    call = call_rhythm(m)
    assert call.code == code and call.regular and call.p_waves_consistent, call.reason
    assert "AFIB" not in call.codes


def test_atrial_fibrillation():
    _, m = measured(105.0, af=True, seed=11)
    call = call_rhythm(m)
    assert call.code == "AFIB" and call.regular is False and not call.p_waves_consistent
    assert "irregularly irregular" in call.reason


def test_regular_tachycardia_with_p_waves_is_never_af():
    for seed in (1, 2, 3):
        _, m = measured(150.0, seed=seed)
        assert call_rhythm(m).code == "STACH"


def test_one_premature_beat_keeps_the_sinus_label():
    _, m = measured(70.0)
    rr = m.beats[5].r_peak - m.beats[4].r_peak
    ectopic = _shift_beats(m, {5: -int(0.35 * rr)}, drop_p=(5,))  # 35 % early, no P wave
    call = call_rhythm(ectopic)
    assert call.code == "SR" and call.features.premature_beats == 1 and "early beat" in call.reason


def test_sinus_arrhythmia_is_named_not_undetermined():
    _, m = measured(70.0)
    rr = m.beats[1].r_peak - m.beats[0].r_peak
    # breathing-like RR modulation (+-12 %), P waves kept with their QRS
    offsets = np.cumsum([0] + [int(0.12 * rr * np.sin(2 * np.pi * k / 5)) for k in range(1, len(m.beats))])
    call = call_rhythm(_shift_beats(m, {k: int(o) for k, o in enumerate(offsets)}))
    assert call.code == "SARRH" and call.p_waves_consistent and call.regular is False, call.reason


def test_regular_rhythm_without_p_waves_cannot_be_told_and_is_not_af():
    from signal_synth import synth_ecg

    from medts.signal import measure_ecg

    m = measure_ecg(synth_ecg(p_waves=False, rr_jitter=0.0, seed=13)[0])  # junctional-like: no P waves at all
    call = call_rhythm(m)
    assert call.code is None and call.label == "cannot tell" and "without consistent P waves" in call.reason


def test_a_repeated_p_wave_the_delineation_missed_still_makes_a_regular_rhythm_sinus():
    _, m = measured(70.0)
    missed = _shift_beats(m, {}, drop_p=tuple(range(len(m.beats))))  # the delineation found no P wave...
    assert missed.rhythm.p_template_fraction.value >= 0.85  # ...but the same deflection precedes every QRS
    assert call_rhythm(missed).code == "SR"
    none = missed.model_copy(update={"rhythm": missed.rhythm.model_copy(
        update={"p_template_fraction": missed.rhythm.p_template_fraction.model_copy(update={"value": 0.2})})})
    assert call_rhythm(none).code is None


def test_too_few_beats():
    _, m = measured(70.0)
    call = call_rhythm(m.model_copy(update={"beats": m.beats[:3]}))
    assert call.code is None and "at least 4 beats" in call.reason


def test_the_classifier_confirms_af_unless_the_rr_is_grossly_irregular():
    from medts.interpret.rhythm import confirm_af

    _, m = measured(105.0, af=True, seed=11)
    call = call_rhythm(m)
    assert confirm_af(call, 0.9, 0.3).code == "AFIB" and "confirmed" in confirm_af(call, 0.9, 0.3).reason
    assert confirm_af(call, None, None) == call  # no classifier: the measurement rule alone
    mild = call.model_copy(update={"features": call.features.model_copy(update={"dominant_irregularity": 0.08})})
    assert confirm_af(mild, 0.1, 0.3).code is None  # mildly irregular, no P, classifier says no: cannot tell
    assert confirm_af(call, 0.1, 0.3).code == "AFIB"  # grossly irregular, no P waves at all
    _, sinus = measured(130.0)
    assert confirm_af(call_rhythm(sinus), 0.99, 0.3).code == "STACH"  # a regular tachycardia with P waves stays sinus


def _with_pacing_spikes(ecg, r_peaks, *, before_ms: float = 10.0, mv: float = 0.5):
    """``ecg`` with a 1-sample pacemaker spike ``before_ms`` before each R peak in every lead."""
    from dataclasses import replace

    x = ecg.signal.copy()
    for r in r_peaks:
        k = r - round(before_ms * ecg.fs / 1000)
        if k > 0:
            x[k, :] += mv
    return replace(ecg, signal=x)


def test_pacemaker_spikes_make_a_paced_rhythm_not_undetermined():
    from medts.signal import measure_ecg

    ecg, m = measured(70.0)
    assert m.rhythm.pacing_spike_fraction.value == 0.0 and call_rhythm(m).code == "SR"
    paced = measure_ecg(_with_pacing_spikes(ecg, [b.r_peak for b in m.beats]))
    assert paced.rhythm.pacing_spike_fraction.value >= 0.9
    call = call_rhythm(paced)  # sinus P waves still precede the paced beats: atrial-synchronous pacing
    assert call.codes == ["SR", "PACE"] and call.label == "sinus rhythm with pacing", call.reason
    assert "pacemaker spikes" in call.reason


def test_paced_beats_without_p_waves_are_a_paced_rhythm_never_af():
    from medts.signal import measure_ecg

    ecg, m = measured(105.0, af=True, seed=11)
    assert call_rhythm(m).code == "AFIB"
    call = call_rhythm(measure_ecg(_with_pacing_spikes(ecg, [b.r_peak for b in m.beats])))
    assert call.code == "PACE" and call.codes == ["PACE"] and "atrial rhythm is not named" in call.reason


def test_pacing_spikes_are_not_measured_below_500_hz():
    _, m = measured(70.0, fs=250.0)
    v = m.rhythm.pacing_spike_fraction
    assert v.value is None and "500 Hz" in v.reason
    assert call_rhythm(m).code == "SR"


def _rr_from_median(m, pattern: dict[int, float]):
    """Measurements whose RR interval ``k`` (ending on beat ``k + 1``) is ``pattern[k]`` x the median RR."""
    rr = np.diff([b.r_peak for b in m.beats])
    med = float(np.median(rr))
    shift, shifts = 0, {}
    for k in range(len(rr)):
        if k in pattern:
            shift += round((pattern[k] - 1.0) * med)
        shifts[k + 1] = shift
    return _shift_beats(m, shifts, drop_p=tuple(k + 1 for k in pattern))


def test_ectopic_beats_need_a_pause_to_be_set_aside():
    from medts.interpret.rhythm import ectopic_rr

    # an early beat followed by its pause, a couplet followed by a pause, an early last beat: set aside
    assert ectopic_rr(np.array([1000, 700, 1300, 1000, 1000.0]), 1000.0).tolist() == [1]
    assert ectopic_rr(np.array([1000, 750, 750, 1500, 1000.0]), 1000.0).tolist() == [1, 2]
    assert ectopic_rr(np.array([1000, 1000, 1000, 700.0]), 1000.0).tolist() == [3]
    # short intervals not followed by a pause, or three in a row (a run): the AF pattern, kept
    assert ectopic_rr(np.array([1000, 800, 900, 1100, 1000.0]), 1000.0).tolist() == []
    assert ectopic_rr(np.array([1000, 840, 820, 810, 1120.0]), 1000.0).tolist() == []


def test_a_couplet_with_a_pause_keeps_the_sinus_label_on_a_real_signal():
    _, m = measured(70.0)
    call = call_rhythm(_rr_from_median(m, {4: 0.75, 5: 0.75, 6: 1.5}))  # two early beats, then the pause
    assert call.code == "SR" and call.features.premature_beats == 2, call.reason


def test_random_short_intervals_are_not_set_aside_as_ectopic_beats():
    _, m = measured(70.0)
    # AF-like: short intervals that follow each other without a pause (PTB-XL 00691's RR pattern)
    afib_like = _rr_from_median(m, {2: 0.9, 3: 0.8, 4: 0.82, 5: 0.81, 6: 1.15, 7: 1.2})
    call = call_rhythm(afib_like)
    assert call.features.premature_beats == 0
    assert call.features.dominant_irregularity > 0.06 and call.regular is False, call.reason


def _ptbxl_rhythm(root, ecg_id: int):
    from medts.io.ptbxl import PtbxlIndex
    from medts.signal import measure_ecg

    ecg = PtbxlIndex.open(root, sampling_rate=100).read(ecg_id)
    return ecg, call_rhythm(measure_ecg(ecg))


@pytest.mark.parametrize("ecg_id", [575, 882])
def test_sinus_rhythm_with_atrial_ectopic_beats_is_not_af_when_the_classifier_says_no(ptbxl_dir, ecg_id):
    """PTB-XL folds 1-8 (tuning records for the pause rule): sinus rhythm with PACs whose P waves the
    100 Hz delineation misses. Before the pause rule every short RR was set aside or none (more than a
    third), the dominant RR looked grossly irregular (0.22) and AFIB was asserted against the classifier."""
    from medts.interpret.rhythm import AF_GROSS_IRREGULARITY, confirm_af

    ecg, call = _ptbxl_rhythm(ptbxl_dir, ecg_id)
    assert "SR" in ecg.metadata["scp_codes"] and "PAC" in ecg.metadata["scp_codes"]
    assert call.features.premature_beats >= 2
    assert call.features.dominant_irregularity < AF_GROSS_IRREGULARITY, call.reason
    assert confirm_af(call, 0.17, 0.24).code is None  # the classifier's own probability is 0.12-0.17


def test_af_with_short_runs_stays_irregular_on_a_real_record(ptbxl_dir):
    """PTB-XL 00691 (AF, fold 1-8): its run of three short RR is not set aside as ectopic beats."""
    ecg, call = _ptbxl_rhythm(ptbxl_dir, 691)
    assert "AFIB" in ecg.metadata["scp_codes"]
    assert call.code == "AFIB" and call.features.premature_beats <= 1, call.reason
