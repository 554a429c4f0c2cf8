"""Long-recording S-beat evidence that does not assume normal beats dominate the recent rhythm:
prematurity against the longest recent RR intervals (runs of supraventricular beats)."""

from __future__ import annotations

import numpy as np

from medts.longterm.beats import BeatExtractor
from medts.longterm.stream import iter_chunks, source_from_array

FS = 250.0


def _synthetic(beat_times_s: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """One lead [samples, 1] (mV): a narrow QRS + P + T at each beat time, a wide biphasic complex
    where ``wide`` is True, small seeded noise."""
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
