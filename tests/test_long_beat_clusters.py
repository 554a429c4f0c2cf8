"""Long-recording beat features that do not assume normal beats dominate: prematurity against the
longest recent RR (runs of supraventricular beats) and the record's own recurring unusual shape
(the V second pass for ventricular beats that are never scored with confidence)."""

from __future__ import annotations

import numpy as np

from medts.interpret import longterm as rules
from medts.longterm.beats import BeatExtractor
from medts.longterm.classify import own_cluster_v
from medts.longterm.stream import iter_chunks, source_from_array

FS = 250.0


def _synthetic(beat_times_s: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """One lead [samples, 1] (mV): a narrow QRS + T at each beat time, a wide biphasic complex where
    ``wide`` is True, small seeded noise."""
    n = int((beat_times_s[-1] + 2.0) * FS)
    x = np.zeros(n)
    t = np.arange(-int(0.4 * FS), int(0.5 * FS)) / FS
    narrow_shape = 1.2 * np.exp(-(t / 0.012) ** 2) - 0.2 * np.exp(-((t - 0.03) / 0.01) ** 2) \
        + 0.25 * np.exp(-((t - 0.28) / 0.05) ** 2) + 0.12 * np.exp(-((t + 0.16) / 0.025) ** 2)
    wide_shape = -1.0 * np.exp(-(t / 0.04) ** 2) + 0.9 * np.exp(-((t - 0.07) / 0.035) ** 2) \
        - 0.35 * np.exp(-((t - 0.3) / 0.06) ** 2)
    for bt, w in zip(beat_times_s, wide):
        i = int(bt * FS) + np.arange(len(t)) - int(0.4 * FS)
        ok = (i >= 0) & (i < n)
        x[i[ok]] += (wide_shape if w else narrow_shape)[ok]
    x += np.random.default_rng(0).normal(0.0, 0.01, n)
    return x[:, None]


def _features(x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    src = source_from_array(x.astype(np.float32), FS, ("MLII",), name="synthetic")
    ext = BeatExtractor(fs=FS, lead=0)
    blocks = [ext.add(c) for c in iter_chunks(src, window_s=60.0, margin_s=3.0)]
    feats = {k: np.concatenate([b.features[k] for b in blocks]) for k in blocks[0].features}
    return np.concatenate([b.samples for b in blocks]) / FS, feats


def _nearest(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.array([int(np.argmin(np.abs(times - t))) for t in targets])


def test_a_long_run_of_early_beats_stays_premature_against_the_longest_recent_rr():
    """200 beats at 1.0 s, then 40 at 0.6 s (a supraventricular run longer than the 24-beat
    history), then 1.0 s again: late in the run the beats are no longer early against the upper
    quartile of the last 24 RR (``prematurity_slow``), but still are against the 90th percentile
    of the last 256 (``prematurity_long``)."""
    rr = np.concatenate([np.full(200, 1.0), np.full(40, 0.6), np.full(30, 1.0)])
    times = 1.0 + np.cumsum(rr)
    at, f = _features(_synthetic(times, np.zeros(len(times), bool)))
    late_run = _nearest(at, times[200 + 30:200 + 40])
    sinus = _nearest(at, times[100:190])
    assert np.median(f["prematurity_slow"][late_run]) < 0.1
    assert np.median(f["prematurity_long"][late_run]) > 0.3
    assert np.median(np.abs(f["prematurity_long"][sinus])) < 0.05


def test_recurring_unusual_beats_resemble_each_other_and_the_second_pass_calls_them():
    """Every 5th beat a wide complex, on time (no prematurity for the models to lean on):
    ``d_like2`` finds each one like the earlier ones (r > 0.9) and the normal beats unlike them;
    the second pass calls the wide beats V at a middling score while the record has no confident V
    beat, and stops once it has one."""
    times = 1.0 + np.arange(300) * 0.85
    wide = (np.arange(300) % 5) == 2
    at, f = _features(_synthetic(times, wide))
    w, nrm = _nearest(at, times[wide][5:]), _nearest(at, times[~wide][20:])
    assert np.median(1.01 - np.exp(f["d_like2"][w])) > 0.9
    assert np.median(1.01 - np.exp(f["d_like2"][nrm])) < rules.V_CLUSTER_MIN_LIKENESS
    middling = np.full(len(at), 0.5)
    calls, confident = own_cluster_v(middling, f, 0)
    assert calls[w].mean() > 0.9 and calls[nrm].mean() < 0.01 and confident == 0
    assert not own_cluster_v(middling, f, rules.V_CLUSTER_MAX_CONFIDENT)[0].any()
    scores = middling.copy()
    scores[w[0]] = 0.99  # one confident V: the first pass has its own bank from there on
    calls, confident = own_cluster_v(scores, f, 0)
    assert confident == 1 and not calls[at > at[w[0]]].any()
    low = own_cluster_v(np.full(len(at), 0.05), f, 0)[0]  # below V_CLUSTER_MIN_SCORE: left alone
    assert not low.any()
