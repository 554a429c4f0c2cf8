"""medts.longterm.beats.rr_context (whole-array) gives, to the last bit, what the per-beat loop it
replaced gave: the same features, so the V/S models see the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from medts.longterm.beats import (
    AROUND_RR_BEATS,
    LOCAL_RR_BEATS,
    LONG_RR_BEATS,
    LONG_RR_PERCENTILE,
    SLOW_RR_BEATS,
    rr_context,
)


def _loop(history, rr_before, absolute, idx, fs):
    """The per-beat loop of BeatExtractor.add before rr_context (its simple form)."""
    n = len(rr_before)
    hist = list(history)
    local, slow, prev_rr, spread = np.empty(n), np.empty(n), np.full(n, np.nan), np.full(n, np.nan)
    longest, around_mean, around_median = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for i, rr in enumerate(rr_before):
        around = np.concatenate([hist[-AROUND_RR_BEATS:],
                                 np.diff(absolute[idx[i] + 1:idx[i] + 2 + AROUND_RR_BEATS]) / fs])
        if len(around):
            around_mean[i], around_median[i] = np.mean(around), np.median(around)
        local[i] = np.median(hist[-LOCAL_RR_BEATS:]) if hist else (np.nanmedian(rr_before) if n > 1 else np.nan)
        if len(hist) >= 4:
            recent = np.asarray(hist[-SLOW_RR_BEATS:])
            spread[i] = np.median(np.abs(recent - np.median(recent)))
        slow[i] = np.percentile(hist[-SLOW_RR_BEATS:], 75) if hist else local[i]
        if hist:
            longest[i] = np.percentile(hist[-LONG_RR_BEATS:], LONG_RR_PERCENTILE)
        prev_rr[i] = hist[-1] if hist else np.nan
        if np.isfinite(rr):
            hist.append(float(rr))
    return local, slow, prev_rr, spread, longest, around_mean, around_median, hist[-LONG_RR_BEATS:]


def _windows(seed: int, fs: float = 360.0):
    """Consecutive 60-s windows of an irregular rhythm with premature beats, as BeatExtractor.add
    cuts them: every peak of the chunk (3-s margins), the window's own beats, RR before each."""
    rng = np.random.default_rng(seed)
    rr = rng.uniform(0.45, 1.3, 2000)
    rr[rng.random(2000) < 0.15] *= 0.6
    peaks = np.round(np.cumsum(rr) * fs).astype(np.int64)
    last = None
    for start in range(0, int(peaks[-1]), int(60 * fs)):
        stop = start + int(60 * fs)
        absolute = peaks[(peaks >= start - 3 * fs) & (peaks < stop + 3 * fs)]
        idx = np.flatnonzero((absolute >= start) & (absolute < stop))
        samples = absolute[idx]
        prev = np.concatenate([[last if last is not None else np.nan], samples[:-1]]) if len(idx) else np.zeros(0)
        yield (samples - prev) / fs, absolute, idx
        if len(idx):
            last = int(samples[-1])


@pytest.mark.parametrize("seed", [0, 1])
def test_rr_context_equals_the_per_beat_loop_over_a_record(seed):
    hist_fast: list[float] = []
    hist_loop: list[float] = []
    for rr_before, absolute, idx in _windows(seed):
        got = rr_context(hist_fast, rr_before, absolute, idx, 360.0)
        want = _loop(hist_loop, rr_before, absolute, idx, 360.0)
        for g, w in zip(got[:-1], want[:-1]):
            np.testing.assert_array_equal(g, w)
        assert got[-1] == want[-1]
        hist_fast, hist_loop = got[-1], want[-1]


@pytest.mark.parametrize("n_hist", [0, 2, 5, 30])
def test_rr_context_with_short_history_and_few_beats(n_hist):
    """The record's start (no or few earlier RR, the first RR unknown) and windows of 0-3 beats."""
    rng = np.random.default_rng(n_hist)
    history = list(rng.uniform(0.5, 1.2, n_hist))
    for n in (0, 1, 2, 3, 12):
        absolute = np.cumsum(rng.integers(150, 400, n + 4)).astype(np.int64)
        idx = np.arange(2, 2 + n)
        rr_before = np.diff(np.concatenate([[absolute[1]], absolute[idx]])) / 360.0
        if n_hist == 0 and n:
            rr_before[0] = np.nan
        got = rr_context(history, rr_before, absolute, idx, 360.0)
        want = _loop(history, rr_before, absolute, idx, 360.0)
        for g, w in zip(got[:-1], want[:-1]):
            np.testing.assert_array_equal(g, w)
        assert got[-1] == want[-1]
