"""Per-window rhythm and rate, AF/flutter episodes with onset and offset, pauses, and the
heart-rate trend of a long recording. The rules are :mod:`medts.interpret.longterm`'s.

Example
-------
>>> window_rr_metrics(np.array([1.0, 0.6, 1.1, 0.7, 0.9, 0.5, 1.2, 0.8] * 3))[0] > 0.1
True
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from medts.interpret import longterm as rules


def window_rr_metrics(rr_s: np.ndarray) -> tuple[float, float]:
    """(irregularity, fraction changing) of RR intervals (s): median |successive difference| /
    median RR, and the fraction of successive differences above 5 % of the median RR. Robust to a
    few ectopic beats (medians), unlike RMSSD."""
    rr = np.asarray(rr_s, float)
    rr = rr[np.isfinite(rr)]
    if len(rr) < 4:
        return float("nan"), float("nan")
    d = np.abs(np.diff(rr))
    med = float(np.median(rr))
    return float(np.median(d) / med), float(np.mean(d > 0.05 * med))


class WindowRhythm(BaseModel):
    """One analysis window."""

    start_s: float
    end_s: float
    n_beats: int
    hr_bpm: float | None
    rhythm: str
    """"AF/flutter", "regular" or "irregular" (not AF), or "unreadable" (too few beats)."""
    irregularity: float | None
    fraction_changing: float | None = None
    """Fraction of successive RR differences above 5 % of the median RR (``window_rr_metrics``)."""
    n_rr_used: int = 0
    """RR intervals the rhythm call used (those around ventricular beats left out)."""
    p_wave: bool
    p_wave_note: str
    counts: dict[str, int]
    qt_ms: float | None = None
    """QT (ms) measured by ``medts.signal.measure`` on the window's first 10 s (all leads)."""
    qtc_fridericia_ms: float | None = None
    pr_ms: float | None = None
    interval_note: str | None = None
    """Why QT or PR is missing in this window (the measurement's own reason)."""


class Episode(BaseModel):
    """An AF/flutter episode: onset and offset (s from the start), duration and mean rate."""

    kind: str
    onset_s: float
    offset_s: float
    duration_s: float
    mean_hr_bpm: float | None


class Pause(BaseModel):
    onset_s: float
    duration_s: float
    long: bool


def window_rhythm(start_s: float, end_s: float, rr_s: np.ndarray, classes: np.ndarray, p_wave: bool,
                  p_note: str) -> WindowRhythm:
    """Rhythm of one window from its beats' RR intervals (those around ventricular beats left out)."""
    rr = np.asarray(rr_s, float)
    v = classes == "V"
    around_v = v | np.concatenate([[False], v[:-1]])  # the V beat's own RR and the pause after it
    rr_clean = rr[~around_v & np.isfinite(rr)]
    irregularity, changing = window_rr_metrics(rr_clean)
    n = len(rr)
    finite = rr[np.isfinite(rr)]
    hr = round(60.0 / float(np.median(finite)), 1) if len(finite) else None
    counts = {k: int((classes == k).sum()) for k in ("N", "S", "V", "Q")}
    label = rhythm_label(n, irregularity, changing, p_wave, len(rr_clean))
    return WindowRhythm(start_s=round(start_s, 2), end_s=round(end_s, 2), n_beats=n, hr_bpm=hr, rhythm=label,
                        irregularity=None if not np.isfinite(irregularity) else round(irregularity, 4),
                        fraction_changing=None if not np.isfinite(changing) else round(changing, 4),
                        n_rr_used=len(rr_clean), p_wave=p_wave, p_wave_note=p_note, counts=counts)


def rhythm_label(n_beats: int, irregularity: float, fraction_changing: float, p_wave: bool, n_rr_used: int,
                 **thresholds: float) -> str:
    """A window's rhythm label from its RR measures (``thresholds``: see ``rules.is_af_window``)."""
    if n_beats < thresholds.get("min_beats", rules.AF_MIN_BEATS) or irregularity is None or not np.isfinite(irregularity):
        return "unreadable"
    if rules.is_af_window(irregularity, fraction_changing, p_wave, n_rr_used, **thresholds):
        return "AF/flutter"
    return "irregular" if irregularity > rules.WINDOW_MIN_IRREGULARITY else "regular"


def relabel_windows(windows: list[WindowRhythm], **thresholds: float) -> list[WindowRhythm]:
    """The windows with their rhythm re-decided under other AF thresholds (unreadable ones kept).
    For ``medts bench long``'s leave-one-record-out test of the AF rule; ``analyze_recording`` uses
    the shipped thresholds. Irregularity and fraction changing are the stored values (4 decimals)."""
    out = []
    for w in windows:
        if w.rhythm == "unreadable" or w.irregularity is None or w.fraction_changing is None:
            out.append(w)
            continue
        label = rhythm_label(w.n_beats, w.irregularity, w.fraction_changing, w.p_wave, w.n_rr_used, **thresholds)
        out.append(w.model_copy(update={"rhythm": label}))
    return out


def af_episodes(windows: list[WindowRhythm]) -> list[Episode]:
    """Consecutive AF windows (gaps up to ``AF_MERGE_GAP_S`` bridged) lasting ``AF_MIN_EPISODE_S``."""
    episodes: list[Episode] = []
    current: list[WindowRhythm] = []

    def close() -> None:
        if current:
            dur = current[-1].end_s - current[0].start_s
            if dur >= rules.AF_MIN_EPISODE_S:
                rates = [w.hr_bpm for w in current if w.hr_bpm is not None and w.rhythm == "AF/flutter"]
                episodes.append(Episode(kind="AF/flutter", onset_s=current[0].start_s, offset_s=current[-1].end_s,
                                        duration_s=round(dur, 1),
                                        mean_hr_bpm=round(float(np.mean(rates)), 1) if rates else None))
        current.clear()

    for w in windows:
        if w.rhythm == "AF/flutter":
            if current and w.start_s - current[-1].end_s > rules.AF_MERGE_GAP_S:
                close()
            current.append(w)
        elif current and w.start_s - current[-1].end_s >= rules.AF_MERGE_GAP_S:
            close()
    close()
    return episodes


class SignalGap(BaseModel):
    """A stretch where the beat lead holds one value (``rules.SIGNAL_GAP_S``): no signal, no asystole."""

    onset_s: float
    duration_s: float


def flat_runs(x: np.ndarray, min_samples: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of every run of at least ``min_samples`` equal consecutive values of ``x``."""
    same = np.concatenate([[False], np.diff(np.asarray(x)) == 0, [False]])
    edges = np.flatnonzero(np.diff(same.astype(np.int8)))
    starts, stops = edges[::2], edges[1::2] + 1  # a run of k equal differences spans k + 1 samples
    return [(int(a), int(b)) for a, b in zip(starts, stops) if b - a >= min_samples]


def merge_runs(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching ``[start, stop)`` runs (found in overlapping windows) joined, in order."""
    out: list[list[int]] = []
    for a, b in sorted(runs):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def find_pauses(samples: np.ndarray, fs: float, gaps: list[tuple[int, int]] = ()) -> list[Pause]:
    """RR intervals of at least ``PAUSE_S``, except those across a signal gap (``gaps``: ``[start, stop)``
    samples, see ``rules.SIGNAL_GAP_S``)."""
    s = np.asarray(samples, float)
    rr = np.diff(s) / fs
    idx = [i for i in np.flatnonzero(rr >= rules.PAUSE_S)
           if not any(a < s[i + 1] and b > s[i] for a, b in gaps)]
    return [Pause(onset_s=round(s[i] / fs, 2), duration_s=round(float(rr[i]), 2), long=bool(rr[i] >= rules.LONG_PAUSE_S))
            for i in idx]
