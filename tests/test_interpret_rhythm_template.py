"""Rule 3 of medts.interpret.rhythm: a regular rhythm whose P waves the delineation missed is sinus when the
same pre-QRS deflection precedes >= 85 % of its *dominant* beats; the early beats set aside (ectopic beats, no
sinus P wave before them) no longer pull that share down (issue #13: PTB-XL 00631 and 00896, sinus rhythm with
3 ectopic beats, were "cannot tell")."""

from __future__ import annotations

import pytest
from interpret_helpers import measured

from medts.interpret.rhythm import P_TEMPLATE_FRACTION, call_rhythm, confirm_af
from medts.signal.intervals import Value

EARLY = (2, 5, 8)


def _edited(m, early: tuple[int, ...], template_matches: int):
    """Measurements ``m`` with beats ``early`` moved 35 % of an RR earlier (no P wave: ectopic beats followed by a
    pause), no delineated P wave anywhere (the delineation missed them, as at 100 Hz), and the pre-QRS template
    found before ``template_matches`` beats."""
    rr = m.beats[1].r_peak - m.beats[0].r_peak
    beats = []
    for k, b in enumerate(m.beats):
        d = -int(0.35 * rr) if k in early else 0
        moved = {f: (None if v is None else v + d) for f, v in b.model_dump().items()}
        moved.update(p_on=None, p_peak=None, p_off=None)
        beats.append(type(b)(**moved))
    template = Value(value=round(template_matches / len(beats), 3), unit="fraction", quality="good", n_beats=len(beats))
    return m.model_copy(update={"beats": beats, "rhythm": m.rhythm.model_copy(update={"p_template_fraction": template})})


@pytest.fixture(scope="module")
def sinus():
    _, m = measured(70.0, seed=5)
    return m


def test_ectopic_beats_do_not_hide_the_sinus_template(sinus):
    n = len(sinus.beats)
    m = _edited(sinus, EARLY, template_matches=n - len(EARLY))  # every dominant beat has the template
    assert m.rhythm.p_template_fraction.value < P_TEMPLATE_FRACTION  # the old rule read this share: "cannot tell"
    call = call_rhythm(m)
    assert call.code == "SR" and call.regular and call.p_waves_consistent, call.reason
    assert call.features.premature_beats == len(EARLY), call.reason
    assert call.features.p_template_dominant == 1.0
    assert "dominant beats" in call.reason
    # a classifier voting AF does not turn the regular rhythm with its P template into AF
    assert confirm_af(call, 0.9, 0.5).code == "SR"


def test_dominant_beats_without_the_template_stay_undetermined(sinus):
    n = len(sinus.beats)
    m = _edited(sinus, EARLY, template_matches=n - len(EARLY) - 3)  # 3 dominant beats without it as well
    call = call_rhythm(m)
    assert call.features.p_template_dominant < P_TEMPLATE_FRACTION
    assert call.code is None and call.label == "cannot tell", call.reason


def test_no_early_beats_leaves_the_share_as_measured(sinus):
    n = len(sinus.beats)
    m = _edited(sinus, (), template_matches=n - 3)
    call = call_rhythm(m)
    assert call.features.premature_beats == 0
    assert call.features.p_template_dominant == call.features.p_template_fraction < P_TEMPLATE_FRACTION
    assert call.code is None, call.reason


def test_atrial_fibrillation_is_not_judged_by_the_template():
    _, m = measured(105.0, af=True, seed=11)
    n = len(m.beats)
    template = Value(value=1.0, unit="fraction", quality="good", n_beats=n)
    call = call_rhythm(m.model_copy(update={"rhythm": m.rhythm.model_copy(update={"p_template_fraction": template})}))
    assert call.code == "AFIB", call.reason  # irregular: the missed-P template rule does not apply
