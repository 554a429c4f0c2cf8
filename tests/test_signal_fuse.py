"""medts.signal.fuse.p_waves_present: P-wave presence per 10-s window, and one coupled lead being
enough on records with few leads (2-lead Holter) but not on 12-lead records, where three agreeing leads are."""

import numpy as np

from medts.signal.fuse import P_WINDOW_S, p_waves_present

FS = 250.0


def _beats(seconds: float) -> np.ndarray:
    return np.arange(int(0.5 * FS), int(seconds * FS), int(0.8 * FS))


def _coupled(r: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return r - int(0.16 * FS) + rng.integers(-1, 2, len(r))  # PR 160 ms, +-4 ms


def _random(r: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return r - rng.integers(int(0.07 * FS), int(0.3 * FS), len(r))  # "P peaks" anywhere before the QRS


def test_one_coupled_lead_is_enough_with_two_leads():
    rng = np.random.default_rng(0)
    r = _beats(30.0)
    peaks = np.stack([_coupled(r, rng), _random(r, rng)]).astype(float)
    present, lead_ok, note = p_waves_present(peaks, r, FS)
    assert present.all()
    assert lead_ok[0].all() and not lead_ok[1].any()
    assert "one lead only" in note


def test_twelve_leads_never_rest_on_one_lead():
    rng = np.random.default_rng(1)
    r = _beats(30.0)
    peaks = np.stack([_coupled(r, rng)] + [_random(r, rng) for _ in range(11)]).astype(float)
    _, lead_ok, note = p_waves_present(peaks, r, FS)
    assert lead_ok.all() and "one lead only" not in note
    two_random = np.stack([_random(r, rng), _random(r, rng)]).astype(float)
    present, _, note = p_waves_present(two_random, r, FS)
    assert not present.any() and "not coupled" in note


def test_twelve_leads_keep_the_p_waves_of_three_agreeing_coupled_leads():
    # LUDB 60 and 121 (sinus): P waves clear in II, III, aVF and V4 only; the median over leads wandered
    rng = np.random.default_rng(3)
    r = _beats(10.0)
    coupled = [_coupled(r, rng) for _ in range(3)]
    wandering = _random(r, rng)  # the other leads' "P peaks" follow one feature that wanders, as the median does
    others = [wandering + rng.integers(-1, 2, len(r)) for _ in range(9)]
    peaks = np.stack(coupled + others).astype(float)
    present, lead_ok, note = p_waves_present(peaks, r, FS)
    assert present.all() and lead_ok[:3].all() and not lead_ok[3:].any()
    assert "some leads only" in note
    # ... not two, and not three whose PRs disagree (160, 160 and 240 ms)
    two = np.stack(coupled[:2] + others + [_random(r, rng)]).astype(float)
    assert not p_waves_present(two, r, FS)[0].any()
    apart = np.stack(coupled[:2] + [coupled[2] - int(0.08 * FS)] + others).astype(float)
    assert not p_waves_present(apart, r, FS)[0].any()


def test_presence_is_decided_per_window_not_for_the_whole_record():
    rng = np.random.default_rng(2)
    r = _beats(40.0)
    af = (r >= 10 * FS) & (r < 20 * FS)  # the second 10-s window has no P waves
    lead = np.where(af, _random(r, rng), _coupled(r, rng)).astype(float)
    present, _, note = p_waves_present(np.stack([lead, lead + rng.integers(-1, 2, len(r))]), r, FS)
    window = np.floor(r / (P_WINDOW_S * FS))
    assert not present[window == 1].any()
    assert present[window != 1].all()
    assert "1 of 4 window(s)" in note
