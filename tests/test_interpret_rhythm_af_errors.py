"""AF error modes of the rhythm rules (issue #13): P waves inside the preceding T wave (rule 3b), P waves
inverted in lead II under an irregular RR (rule 3d) and ventricular ectopic beats of another QRS width under a
grossly irregular RR (rule 4b)."""

from __future__ import annotations

from interpret_helpers import measured, with_values

from medts.interpret.rhythm import (
    IRREGULARITY,
    P_COUPLED_FRACTION,
    P_ON_T_FRACTION,
    P_AXIS_UPRIGHT_II,
    P_TEMPLATE_IRREGULAR,
    call_rhythm,
    confirm_af,
)


def _beats(m, **per_beat):
    """Measurements whose beat fiducials are replaced: ``name=callable(k, beat) -> value``."""
    beats = []
    for k, b in enumerate(m.beats):
        d = b.model_dump()
        d.update({name: f(k, b) for name, f in per_beat.items()})
        beats.append(type(b)(**d))
    return m.model_copy(update={"beats": beats})


def test_p_waves_inside_the_preceding_t_wave_need_the_classifier_to_be_doubted():
    _, m = measured(110.0)
    sinus = call_rhythm(m)
    assert sinus.code == "STACH" and (sinus.features.p_on_t_fraction or 0.0) < P_ON_T_FRACTION, sinus.reason
    # each T wave now ends after the next beat's P wave starts: the "P wave" cannot be told from the T wave
    nxt = {k: b.p_on for k, b in enumerate(m.beats)}
    call = call_rhythm(_beats(m, t_off=lambda k, b: (nxt.get(k + 1) or b.t_off or b.r_peak) + 2))
    assert call.features.p_on_t_fraction >= P_ON_T_FRACTION and "preceding T wave" in call.reason
    assert call.code == "STACH"  # the measurements alone keep the sinus call (never AF on a regular rhythm with P)
    slightly = call.model_copy(update={"features": call.features.model_copy(update={"dominant_irregularity": 0.05})})
    assert confirm_af(slightly, 0.1, 0.24).code == "STACH"  # classifier below threshold: sinus stands
    af = confirm_af(slightly, 0.9, 0.24)
    assert af.code == "AFIB" and af.p_waves_consistent is False and "cannot be told from the T waves" in af.reason
    assert confirm_af(call, 0.9, 0.24).code == "STACH"  # RR regular within 3 %: the classifier alone does not decide
    sinus_slightly = sinus.model_copy(update={"features": sinus.features.model_copy(update={"dominant_irregularity": 0.05})})
    assert confirm_af(sinus_slightly, 0.9, 0.24).code == "STACH"  # separate P waves: sinus stands


def test_an_irregular_fast_rhythm_is_not_given_p_waves_that_do_not_repeat():
    """Rule 3c (issue #13/#16): simulated AF at 170 bpm. The P search lands on the deflection after each T
    wave; with RR ~350 ms its "PR" falls within 40 ms of the median before most beats by chance, so the
    rhythm was called sinus tachycardia. Those "P waves" do not repeat their shape before the QRS."""
    _, m = measured(170.0, af=True, seed=3)
    call = call_rhythm(m)
    f = call.features
    assert f.dominant_irregularity > IRREGULARITY and f.p_coupled_fraction >= P_COUPLED_FRACTION, call.reason
    assert f.p_template_fraction < P_TEMPLATE_IRREGULAR
    assert call.code == "AFIB" and call.p_waves_consistent is False and "not conducted P waves" in call.reason
    # the same beats with a pre-QRS deflection that repeats: the coupled P waves stand (sinus, irregular)
    tpl = m.rhythm.p_template_fraction.model_copy(update={"value": 0.9})
    repeated = call_rhythm(m.model_copy(update={"rhythm": m.rhythm.model_copy(update={"p_template_fraction": tpl})}))
    assert repeated.sinus and "SARRH" in repeated.codes


def _repeated_p(m):
    tpl = m.rhythm.p_template_fraction.model_copy(update={"value": 0.9})
    return m.model_copy(update={"rhythm": m.rhythm.model_copy(update={"p_template_fraction": tpl})})


def test_irregular_p_waves_inverted_in_lead_ii_are_not_sinus_arrhythmia():
    """Rule 3d: the irregular record of the test above, its P waves repeating at a fixed PR, is sinus arrhythmia
    only while their axis is one of sinus P waves (upright in lead II); at -120 deg it is "cannot tell", and AFIB
    only when the classifier confirms AF."""
    _, m = measured(170.0, af=True, seed=3)
    upright = call_rhythm(with_values(_repeated_p(m), p_axis_deg=60.0))
    assert "SARRH" in upright.codes, upright.reason
    lo, hi = P_AXIS_UPRIGHT_II
    for axis in (lo - 5.0, hi + 5.0, -120.0):
        call = call_rhythm(with_values(_repeated_p(m), p_axis_deg=axis))
        assert call.code is None and call.p_waves_consistent is False and "not sinus P waves" in call.reason, axis
        assert confirm_af(call, 0.9, 0.24).code == "AFIB"
        assert confirm_af(call, 0.1, 0.24).code is None
    assert "SARRH" in call_rhythm(with_values(_repeated_p(m), p_axis_deg=lo + 5.0)).codes


def test_a_regular_rhythm_is_not_judged_by_its_p_axis():
    """Rule 3d reads irregular rhythms only (100 Hz PTB-XL sinus tachycardias measure P axes of -86 to -155 deg)."""
    _, m = measured(110.0)
    assert call_rhythm(with_values(m, p_axis_deg=-120.0)).code == "STACH"


def test_ludb_101_af_with_inverted_p_waves_is_not_sinus_arrhythmia(ludb_dir):
    """LUDB 101 (held out; it set rule 3d): atrial fibrillation whose 'P waves' at a fixed PR (axis -120 deg)
    were called sinus arrhythmia."""
    from medts.io.ludb import read_ludb
    from medts.signal import measure_ecg

    rec = read_ludb(ludb_dir, 101)
    assert "Atrial fibrillation" in rec.diagnoses["Rhythms"]
    call = call_rhythm(measure_ecg(rec.ecg))
    assert not call.sinus and "not sinus P waves" in call.reason, call.reason


def test_sinus_tachycardia_at_150_bpm_keeps_its_p_waves():
    """Simulated sinus tachycardia at 150 bpm: regular, P waves close to (partly inside) the T waves. Rule
    3c does not judge a regular rhythm, and the classifier alone does not make it AF (RR within 3 %)."""
    _, m = measured(150.0, seed=3)
    call = call_rhythm(m)
    assert call.code == "STACH" and call.p_waves_consistent, call.reason
    assert confirm_af(call, 0.9, 0.24).code == "STACH"


def _mixed(m):
    """Every third beat widened to 170 ms (the others keep their simulated width, < 120 ms)."""
    fs = m.fs_hz
    return _beats(m, qrs_off=lambda k, b: b.qrs_on + int(0.170 * fs) if k % 3 == 0 and b.qrs_on is not None else b.qrs_off)


def test_wide_beats_among_narrow_ones_keep_the_gross_irregularity_from_calling_af_alone():
    _, m = measured(105.0, af=True, seed=11)
    call = call_rhythm(m)
    assert not call.features.mixed_qrs
    assert confirm_af(call, 0.1, 0.3).code == "AFIB"  # grossly irregular, one QRS width, no P waves
    mixed = call_rhythm(_mixed(m))
    assert mixed.features.mixed_qrs and mixed.code == "AFIB"
    refused = confirm_af(mixed, 0.1, 0.3)
    assert refused.code is None and "two QRS widths" in refused.reason
    assert confirm_af(mixed, 0.9, 0.3).code == "AFIB"  # the classifier still confirms AF with ectopic beats


def test_p_on_t_record_af_at_171_bpm(ptbxl_dir):
    """PTB-XL 00942 (folds 1-8, tuning): AF with rapid ventricular response at 171 bpm, nearly regular RR
    (0.057). The 100 Hz delineation placed a 'P wave' at a fixed PR before every beat, starting inside the
    previous T wave: before rule 3b it stayed sinus tachycardia against the classifier's AFIB 0.92."""
    from medts.io.ptbxl import PtbxlIndex
    from medts.signal import measure_ecg

    ecg = PtbxlIndex.open(ptbxl_dir, sampling_rate=100).read(942)
    assert "AFIB" in ecg.metadata["scp_codes"]
    call = call_rhythm(measure_ecg(ecg))
    assert call.features.p_on_t_fraction >= P_ON_T_FRACTION and call.code == "STACH", call.reason
    assert confirm_af(call, 0.92, 0.24).code == "AFIB"
    assert confirm_af(call, 0.1, 0.24).code == "STACH"


def test_bigeminy_record_is_not_af(ptbxl_dir):
    """PTB-XL 00628 (folds 1-8, tuning): sinus rhythm with ventricular bigeminy (wide beats 160 ms among
    narrow 60-90 ms), RR alternating with missed beats (irregularity 1.29). Before rule 4b the gross
    irregularity called AF although the classifier's AFIB was 0.19 (threshold 0.24)."""
    from medts.io.ptbxl import PtbxlIndex
    from medts.signal import measure_ecg

    ecg = PtbxlIndex.open(ptbxl_dir, sampling_rate=100).read(628)
    assert "PVC" in ecg.metadata["scp_codes"]
    call = call_rhythm(measure_ecg(ecg))
    assert call.features.mixed_qrs, call.reason
    assert confirm_af(call, 0.19, 0.24).code is None
