"""Atrial flutter (rule 1c of medts.interpret.rhythm, measurements of medts.signal.atrial): simulated
flutter with fixed and variable conduction, sinus tachycardia and AF that must not become flutter,
the exclusions, and the real tuning records (skipped without the shared data)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from medts.interpret.contradictions import statement_contradictions
from medts.interpret.rhythm import call_rhythm, confirm_af, flutter_evidence
from medts.signal import measure_ecg
from medts.signal.atrial import AtrialActivity, LeadAtrialActivity, spectral_peak
from medts.simulate import simulate_12lead


@cache
def _flutter(conduction: tuple[int, ...], amplitude_mv: float, fs: float, seed: int = 0):
    ecg = simulate_12lead(10.0, fs, 70.0, seed, flutter_conduction=conduction, flutter_amplitude_mv=amplitude_mv)
    return measure_ecg(ecg)


@pytest.mark.parametrize("fs", [500.0, 100.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_flutter_with_variable_conduction_is_flutter_not_af(fs, seed):
    """Variable 3-5:1 conduction: irregular RR without P waves, which rule 4 alone calls AFIB."""
    m = _flutter((4, 3, 5, 4), 0.2, fs, seed)
    call = call_rhythm(m)
    assert call.code == "AFLT" and call.codes == ["AFLT"], call.reason
    assert call.label == "atrial flutter with variable conduction" and call.regular is False
    assert 280 <= call.features.atrial_rate_per_min <= 320  # simulated at 300 /min
    assert confirm_af(call, 0.95, 0.3).code == "AFLT"  # a classifier AF call does not turn flutter into AF


def test_flutter_with_fixed_4_to_1_conduction_is_flutter():
    """Fixed 4:1: the flutter waves are locked to the QRS (cancelled with the template); the
    average cycle's 4th harmonic carries them."""
    m = _flutter((4,), 0.3, 500.0)
    call = call_rhythm(m)
    assert call.code == "AFLT" and call.features.conduction_ratio == 4, call.reason
    assert call.label == "atrial flutter with 4:1 conduction" and call.regular is True
    assert 74 <= m.hr_bpm.value <= 76


def test_weak_flutter_waves_do_not_make_flutter():
    """The same 4:1 rhythm with flutter waves of half the size stays below the criteria (rule 1c)."""
    call = call_rhythm(_flutter((4,), 0.15, 500.0))
    assert call.code != "AFLT" and call.features.flutter_evidence == "none"


@pytest.mark.parametrize("hr", [120.0, 140.0, 150.0, 160.0])
@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_sinus_tachycardia_with_p_waves_is_not_flutter(hr, fs):
    """At 120-160 bpm the 2nd harmonic of the rate lies in the flutter band: a sinus P wave must not count."""
    m = measure_ecg(simulate_12lead(10.0, fs, hr, 2))
    call = call_rhythm(m)
    assert call.code == "STACH" and call.features.flutter_evidence == "none", call.reason


@pytest.mark.parametrize("hr", [80.0, 110.0])
def test_atrial_fibrillation_is_not_flutter(hr):
    call = call_rhythm(measure_ecg(simulate_12lead(10.0, 500.0, hr, 4, atrial_fibrillation=True)))
    assert call.code == "AFIB" and call.features.flutter_evidence == "none", call.reason


def test_spectral_peak_concentration_tells_a_regular_wave_from_broadband_activity():
    fs = 250.0
    t = np.arange(int(10 * fs)) / fs
    rng = np.random.default_rng(0)
    peak, conc = spectral_peak(0.1 * np.sin(2 * np.pi * 4.8 * t) + 0.01 * rng.normal(size=t.size), fs)
    assert abs(peak - 4.8) < 0.1 and conc > 0.8
    _, broad = spectral_peak(0.1 * rng.normal(size=t.size), fs)
    assert broad < 0.15


def _lead(name, conc=None, hz=None, share=None, over=None, mv=None, k=2):
    return LeadAtrialActivity(lead=name, residual_concentration=conc, residual_peak_hz=hz, harmonic=k,
                              harmonic_hz=None if share is None else 4.8, harmonic_share=share,
                              harmonic_over_lower=over, harmonic_amplitude_mv=mv)


def test_flutter_evidence_needs_two_leads_at_one_frequency_or_a_dominant_harmonic():
    two = AtrialActivity(leads=[_lead("II", 0.6, 4.5), _lead("III", 0.55, 4.55)])
    assert flutter_evidence(two)[0] == "strong"
    apart = AtrialActivity(leads=[_lead("II", 0.6, 4.1), _lead("III", 0.55, 5.6)])  # not one atrial rate
    assert flutter_evidence(apart)[0] == "weak"
    one = AtrialActivity(leads=[_lead("II", 0.6, 4.5), _lead("III", 0.2, 4.5)])
    assert flutter_evidence(one)[0] == "weak"
    slow = AtrialActivity(leads=[_lead("II", 0.6, 3.5), _lead("III", 0.6, 3.5)])  # 210 /min: outside the band
    assert flutter_evidence(slow)[0] == "none"
    locked = AtrialActivity(leads=[_lead("V1", share=0.7, over=4.5, mv=0.08)])
    strength, _, rate, ratio = flutter_evidence(locked)
    assert strength == "strong" and ratio == 2 and rate == pytest.approx(288.0)
    small = AtrialActivity(leads=[_lead("V1", share=0.7, over=4.5, mv=0.03)])
    assert flutter_evidence(small)[0] == "none"
    assert flutter_evidence(None)[0] is None


def test_flutter_excludes_sinus_and_af_labels_in_the_contradiction_checker():
    for other in ("SR", "STACH", "SBRAD", "AFIB", "SARRH", "1AVB"):
        found = statement_contradictions(["AFLT", other], values={"hr_bpm": 150.0 if other == "STACH" else 70.0})
        assert any(c.kind == "exclusive" and "AFLT" in c.detail for c in found), other
    assert statement_contradictions(["AFLT"], values={"hr_bpm": 142.0}) == []


def test_weak_flutter_evidence_keeps_cannot_tell_against_a_classifier_af_call():
    m = _flutter((4, 3, 5, 4), 0.2, 500.0, 0)
    weak = m.rhythm.atrial.model_copy(update={"leads": [m.rhythm.atrial.leads[0].model_copy(
        update={"residual_concentration": 0.5, "residual_peak_hz": 4.8})] + [
        a.model_copy(update={"residual_concentration": 0.1, "harmonic_share": 0.1}) for a in m.rhythm.atrial.leads[1:]]})
    call = call_rhythm(m.model_copy(update={"rhythm": m.rhythm.model_copy(update={"atrial": weak})}))
    assert call.code is None and "possible flutter" in call.reason, call.reason
    assert confirm_af(call, 0.95, 0.3).code is None


def _ludb_call(root, record: int):
    from medts.io.ludb import read_ludb

    rec = read_ludb(root, record)
    return rec, call_rhythm(measure_ecg(rec.ecg))


@pytest.mark.parametrize("record, ratio", [(35, 2), (52, None)])
def test_ludb_flutter_tuning_records(ludb_dir, record, ratio):
    """LUDB 35 (flutter 2:1 at 142 bpm, was 'sinus tachycardia': the flutter wave before each QRS passed
    for a P wave) and 52 (variable conduction, was 'cannot tell'): tuning records of rule 1c."""
    rec, call = _ludb_call(ludb_dir, record)
    assert "flutter" in rec.diagnoses["Rhythms"][0].lower()
    assert call.code == "AFLT" and call.features.conduction_ratio == ratio, call.reason


def test_ludb_sinus_record_with_one_peaked_lead_stays_sinus(ludb_dir):
    """LUDB 17 (sinus rhythm): 55 % concentration in lead II only, the closest LUDB 1-80 negative."""
    _, call = _ludb_call(ludb_dir, 17)
    assert call.code == "SR", call.reason


@pytest.mark.parametrize("ecg_id, code", [(858, "AFLT"), (706, "AFLT"), (932, "SR"), (855, "STACH")])
def test_ptbxl_tuning_records(ptbxl_dir, ecg_id, code):
    """PTB-XL folds 1-8 (tuning): 858 flutter 2:1, 706 flutter with variable block; 932 sinus rhythm
    (harmonic 3 in the band at 64 %, 3.1 x) and 855 sinus tachycardia at 128 bpm stay sinus."""
    from medts.io.ptbxl import PtbxlIndex

    ecg = PtbxlIndex.open(ptbxl_dir, sampling_rate=100).read(ecg_id)
    assert ("AFLT" in ecg.metadata["scp_codes"]) == (code == "AFLT")
    assert call_rhythm(measure_ecg(ecg)).code == code


def test_a_sinus_tachycardia_at_2_to_1_flutter_rates_without_v1_says_flutter_is_not_excluded():
    # LUDB 35 (typical flutter, 2:1, 142 bpm): rule 1c finds it from V1 on the 12 leads, while lead II alone,
    # I + II and the six limb leads were called plain sinus tachycardia.
    from interpret_helpers import measured

    from medts.interpret import interpret

    _, full = measured(140.0, seed=5)
    _, limb = measured(140.0, seed=5, leads=("I", "II", "III", "aVR", "aVL", "aVF"))
    f12, f6 = interpret(full, sex="F", scores=[]), interpret(limb, sex="F", scores=[])
    assert f12.rhythm.code == f6.rhythm.code == "STACH"
    assert f12.rhythm.caveat is None and "not excluded" not in f12.verdict
    assert "atrial flutter not excluded without lead V1: at 2:1 conduction its waves can pass for P waves" in f6.verdict
    assert f6.rhythm.caveat in f6.rhythm.reason
    from medts.report.consistency import codes_in_text

    assert "AFLT" not in codes_in_text(f6.verdict, plain_language=True)  # the caveat reads as no flutter claim
    _, slow = measured(95.0, seed=5, leads=("II",))
    assert interpret(slow, sex="F", scores=[]).rhythm.caveat is None
