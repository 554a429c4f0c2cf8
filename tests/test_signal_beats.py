"""medts.signal.beats: template correlation (one and several leads, robust template), RR terms,
QRS width and amplitude on a seeded NeuroKit2 simulation with inserted wide ectopic beats."""

import numpy as np

from medts.signal.beats import (
    amplitude_ratio,
    qrs_width_ms,
    relative_to_median,
    rr_pause,
    rr_prematurity,
    rr_ratio,
    template_correlation,
)


def simulated(fs=250):
    from test_anomalies_cli import ectopic_simulation

    x, normal, ectopic = ectopic_simulation(seconds=40, seed=4, every=4, fs=fs)
    beats = np.sort(np.r_[normal, ectopic])
    return x, beats, np.isin(beats, ectopic), fs


def test_template_correlation_separates_ectopic_beats_and_the_robust_template_helps():
    x, beats, ect, fs = simulated()
    plain = template_correlation(x, beats, fs)
    robust = template_correlation(x, beats, fs, typical=0.5, typical_mask=rr_prematurity(beats, fs) < 0.1)
    assert plain[~ect].min() > plain[ect].max()
    assert robust[~ect].min() > robust[ect].max()
    assert np.median(robust[~ect]) >= np.median(plain[~ect]) - 1e-9  # a cleaner template for normal beats
    two = template_correlation(np.stack([x, -0.5 * x], axis=1), beats, fs)  # same shape on both leads
    assert np.allclose(two, plain, atol=1e-9)
    assert template_correlation(x, np.zeros(0, int), fs).shape == (0,)


def test_rr_terms_mark_premature_beats_with_a_pause():
    _, beats, ect, fs = simulated()
    prem, pause, ratio = rr_prematurity(beats, fs), rr_pause(beats, fs), rr_ratio(beats, fs)
    inner = np.arange(len(beats))[1:-1]
    e, n = inner[ect[1:-1]], inner[~ect[1:-1]]
    assert prem[e].min() > 0.3 and pause[e].min() > 0.3 and ratio[e].max() < -0.5
    assert np.abs(prem[n[~ect[n - 1]]]).max() < 0.3  # normal beats after normal beats are on time
    assert rr_prematurity(beats[:2], fs).tolist() == [0.0, 0.0]


def test_width_and_amplitude_are_larger_for_the_wide_beats():
    x, beats, ect, fs = simulated()
    width = qrs_width_ms(x, beats, fs)
    assert np.median(width[ect]) > np.median(width[~ect]) + 30
    amp = amplitude_ratio(x, beats, fs)
    assert np.median(amp[ect]) > np.median(amp[~ect])
    assert relative_to_median(np.array([1.0, 2.0, 4.0])).tolist() == [np.log(0.5), 0.0, np.log(2.0)]


def test_unusual_beats_lists_the_ectopic_beats_with_their_reasons():
    from medts.signal.beats import unusual_beats

    x, beats, ect, fs = simulated()
    listed, corr = unusual_beats(x, beats, fs, min_corr=0.8, premature=0.8)
    flagged = {b.sample for b in listed}
    assert set(beats[ect].tolist()) <= flagged
    assert len(flagged - set(beats[ect].tolist())) <= 2  # at most the beats cut by the record's ends
    one = next(b for b in listed if b.sample == beats[ect][0])
    assert one.shape and one.premature and one.kind == "shape+premature"
    assert one.score > 1.0 - one.correlation
    assert corr.shape == beats.shape
