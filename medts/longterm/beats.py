"""R peaks and per-beat features of a long recording, chunk by chunk, with a reference beat
that follows slow morphology drift.

Why not the record-wide median beat (``medts.signal.beats.template_correlation``): over hours the
normal QRS changes (posture, electrode drift, rate), so a fixed template slowly turns every
normal beat into an "unusual" one and a fixed threshold loses its meaning (MIT-BIH 208: PVC recall
0.85 in the first 15 minutes, 0.50 in the last). Here the reference is rebuilt for every window
from the typical beats of that window and the one before it, and every feature is a ratio to
that local reference or to the local rhythm (median of the preceding RR intervals), so one
threshold holds across records and across time.

Features per beat (float, one scale for every record):

- ``qrs_corr`` / ``beat_corr``: log(1 - correlation + 0.01) of the QRS (-80..+100 ms) and the
  whole beat (-250..+400 ms) with the local reference;
- ``qrs_diff``: RMS difference of the QRS from the reference / the reference's QRS RMS (log);
- ``width_rel`` / ``amp_rel``: log QRS width / amplitude against the reference beats';
- ``prematurity``: 1 - RR before / local RR; ``pause``: RR after / local RR - 1; ``rr_ratio``:
  log(RR before / RR after); local RR = median of the 8 RR intervals before the beat;
- ``p_corr``: log(1 - correlation + 0.01) of the P-wave region (-250..-60 ms) with the
  reference's, ``p_amp``: log of its peak-to-peak against the reference's (absent or different P
  waves point to an ectopic origin);
- ``qrs_corr_rel`` / ``qrs_diff_rel``: ``qrs_corr`` / ``qrs_diff`` minus their median over the
  window's beats (how unusual a beat is for this window's noise level, not on an absolute scale);
- ``t_corr``: log(1 - correlation + 0.01) of the ST-T region (+100..+400 ms) with the reference's
  (ventricular beats carry a discordant T wave);
- ``width_abs``: log(QRS width / 100 ms);
- ``compensation``: (RR before + RR after) / local RR - 2 (about 0 after a full compensatory
  pause, negative for a premature atrial beat that resets the sinus node);
- ``prematurity_slow``: 1 - RR before / upper quartile of the 24 RR intervals before the beat;
  ``rr_change``: log(RR before / the RR interval before it);
- ``rr_z`` / ``pause_z``: asinh((local RR - RR before) / spread) and asinh((RR after - local RR) /
  spread), spread = median absolute deviation of the 24 RR intervals before the beat (at least 2 %
  of the local RR): prematurity and pause in units of the patient's own beat-to-beat variability;
- ``window_noise``: the median ``beat_corr`` of the window's beats (the same for all of them: how
  far even typical beats stray from the reference, so noise-driven shape changes count for less);
  ``qrs_diff_z``: asinh of ``qrs_diff`` minus its window median, in units of its median absolute
  deviation (+0.05): how unusual a QRS is against this window's own beat-to-beat variation;
- ``prematurity_long``: 1 - RR before / 90th percentile of the 256 RR intervals before the beat (the
  underlying rhythm even through a run of supraventricular beats longer than 24 beats).
- ``prematurity_mean`` / ``prematurity_centred``: 1 - RR before / mean (median) of the RR intervals
  around the beat: up to 10 before its own RR and up to 10 after the RR that follows it (within the
  window and its margin), the beat's own two intervals left out; ``pause_mean``: RR after / that mean
  - 1 (de Chazal et al. 2004's local average RR: the rhythm on both sides of the beat, so a beat at the
  start of a rate change is not called premature, and the beat's own short RR and pause do not pull
  its reference).
- ``slope_rel``: log of the QRS's peak-to-peak over its steepest absolute slope (the time its steepest
  deflection would take to cover the QRS) against the reference's; ``energy_width_rel``: log of the time
  holding the middle 80 % of the QRS's absolute slope against the reference's (a QRS duration with no
  onset/offset threshold). Both are free of amplitude and polarity: a ventricular beat of the same
  polarity and shape family as the normal beat is still slower and broader.
- ``beat_noise``: log RMS of the second difference of the beat before its P-wave peak and late in its T
  wave (``NOISE_S``; the second derivative, scaled to 360-Hz samples) over the reference QRS
  peak-to-peak; ``window_beat_noise``: its window median
  (high-frequency noise and muscle artefact, on one scale for every record).

Example
-------
>>> from medts.longterm.stream import source_from_array, iter_chunks          # doctest: +SKIP
>>> ext = BeatExtractor(fs=360.0, lead=0)                                       # doctest: +SKIP
>>> blocks = [ext.add(c) for c in iter_chunks(src, window_s=60, margin_s=3)]   # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import neurokit2 as nk
import numpy as np

from medts.record import implausible_amplitude
from medts.signal.beats import beat_matrix, qrs_width_ms
from medts.signal.peaks import drop_t_waves

FEATURES = ("qrs_corr", "beat_corr", "qrs_diff", "width_rel", "amp_rel", "prematurity", "pause", "rr_ratio",
            "p_corr", "p_amp", "qrs_corr_rel", "qrs_diff_rel", "t_corr", "width_abs", "compensation",
            "prematurity_slow", "rr_change", "v_like", "v_like2", "v_vs_n", "rr_z", "pause_z", "window_noise", "qrs_diff_z",
            "prematurity_long", "prematurity_mean", "pause_mean", "prematurity_centred", "slope_rel", "energy_width_rel",
            "beat_noise", "window_beat_noise")

SEGMENT_BEFORE_S, SEGMENT_AFTER_S = 0.30, 0.45
QRS_S = (-0.08, 0.10)
BEAT_S = (-0.25, 0.40)
P_S = (-0.25, -0.06)
LOCAL_RR_BEATS = 8
SLOW_RR_BEATS = 24
"""The slower local rhythm: upper quartile of the 24 RR intervals before a beat (frequent
premature beats pull a median down; the upper quartile stays on the underlying rhythm)."""
AROUND_RR_BEATS = 10
"""``prematurity_mean`` / ``pause_mean`` / ``prematurity_centred``: the local rhythm from up to 10 RR
intervals before the beat's own RR and up to 10 after the RR that follows it (de Chazal et al. 2004's
local average RR, the beat's own two intervals left out so that it does not pull its reference)."""
LONG_RR_PERCENTILE = 90
LONG_RR_BEATS = 256
"""``prematurity_long``: against the 90th percentile of the 256 RR intervals before a beat (a few
minutes: a run of supraventricular beats longer than the 24-beat history is still early against it)."""
T_S = (0.10, 0.40)
NOISE_S = ((-0.25, -0.12), (0.22, 0.40))
"""``beat_noise`` is measured here (s from the R peak): smooth P and T waves, clear of even a wide QRS."""
NOISE_REF_FS = 360.0
"""``beat_noise`` is the second difference per sample at this rate (MIT-BIH's, where the V model was fitted):
the second derivative, so that it does not change with the sampling rate."""
V_BANK_BEATS = 32
"""The most recent beats the seed model calls ventricular with confidence, kept as examples."""
ALIGN_S = 0.04
"""Beats are shifted by up to ±40 ms onto the reference before comparing shapes."""


def detect_rpeaks(lead: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """R peaks of one lead (sample indices into ``lead``) and the NeuroKit2-cleaned lead.

    Detector: wfdb's ``gqrs`` (``wfdb.processing.gqrs_detect``, a port of PhysioNet's gqrs) on the
    raw lead. Why not NeuroKit2's ``neurokit`` method, used before: it never finds 314 of the 2796
    ventricular beats of MIT-BIH DS1 (wide, slow-sloped beats and ventricular runs; 217 of 444 on
    record 203), and a missed beat cannot be classified. On the 21 DS1 records, streamed in 60-s
    windows, beats found within 150 ms of the reference (``medts bench long`` protocol):
    V 0.888 -> 0.983, S 0.883 -> 0.969, N 0.985 -> 0.999, F 0.976 -> 1.0, with fewer extra
    detections (358 -> 283), at about 5 CPU-s per hour of 360 Hz ECG in wfdb's own code (0.3 in
    :mod:`medts.longterm.gqrs`, the same beats; NeuroKit2: 0.2). The union of
    both detectors found more S beats (0.997) but kept NeuroKit2's 240 false beats on record 108.
    Two corrections follow: each peak moves to the largest absolute cleaned amplitude within
    ±50 ms (ventricular beats are often negative), and T waves taken for beats are dropped
    (``medts.signal.peaks.drop_t_waves``: the source of 1.2-1.6x over-detection at 40-50 bpm)."""
    x = np.asarray(lead, float)
    clean = clean_lead(x, fs)
    peaks = _gqrs(x, fs)
    if len(peaks) == 0:
        return peaks, clean
    half = max(1, round(0.05 * fs))
    win = beat_matrix(np.abs(clean), peaks, fs, half / fs, (half + 1) / fs)  # [beats, 2*half+1]
    peaks = np.unique(np.clip(peaks - half + np.argmax(win, axis=1), 0, len(clean) - 1))
    return drop_t_waves(peaks, clean, fs), clean


def clean_lead(lead: np.ndarray, fs: float) -> np.ndarray:
    """One lead cleaned by NeuroKit2 (``nk.ecg_clean``, its default filter) at ``fs`` Hz."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NeuroKit2 warns on short or flat input
        return nk.ecg_clean(np.asarray(lead, float), sampling_rate=round(fs))


def _gqrs(x: np.ndarray, fs: float) -> np.ndarray:
    """QRS sample indices (int64, sorted) by ``wfdb.processing.gqrs_detect`` on a mV lead (run as
    :func:`medts.longterm.gqrs.gqrs_detect`: the same beats, about 10x less CPU); none for a flat or
    too short lead (gqrs needs about 2 s to learn the signal's scale) or one whose amplitude no ECG
    front end records (:func:`medts.record.implausible_amplitude`: wrong units; gqrs overflows)."""
    from medts.longterm.gqrs import gqrs_detect

    if len(x) < int(2 * fs) or not np.ptp(x) > 0 or implausible_amplitude(x):
        return np.zeros(0, np.int64)
    peaks = np.asarray(gqrs_detect(x, fs), np.int64)
    return np.sort(peaks[(peaks >= 0) & (peaks < len(x))])


def _trailing(h: np.ndarray, ends: np.ndarray, k: int, stat) -> np.ndarray:
    """``stat(h[max(0, e - k):e])`` for each end ``e`` of ``ends`` (all >= 1); ``stat(rows, axis)``
    reduces rows of a 2-D array (the full windows) or one 1-D window (the shorter ones at the start)."""
    out = np.empty(len(ends))
    full = ends >= k
    if full.any():
        out[full] = stat(np.lib.stride_tricks.sliding_window_view(h, k)[ends[full] - k], 1)
    for i in np.flatnonzero(~full):
        out[i] = stat(h[:ends[i]], 0)
    return out


def rr_context(history: list[float], rr_before: np.ndarray, absolute: np.ndarray, idx: np.ndarray,
               fs: float) -> tuple[np.ndarray, ...]:
    """The local rhythm around each beat of a window, from the RR intervals before it (``history``:
    the record's finite RR intervals so far, then each beat's own ``rr_before`` as it is passed) and
    the beats after it (``absolute``: every R peak of the chunk, margins included; ``idx``: the
    window's beats among them). Returns (local, slow, prev_rr, spread, longest, around_mean,
    around_median, new history): the median of the last LOCAL_RR_BEATS intervals, the upper quartile
    of the last SLOW_RR_BEATS, the last interval, the median absolute deviation of the last
    SLOW_RR_BEATS (at least 4 intervals), the LONG_RR_PERCENTILE of the last LONG_RR_BEATS, and the
    mean and median of up to AROUND_RR_BEATS intervals before the beat's own RR and after its next RR;
    NaN where there is no history (``local``: the window's median RR; ``slow``: ``local``).
    Whole-array form of the per-beat loop (``tests/test_longterm_rr_context.py`` checks the two agree
    to the last bit)."""
    n = len(rr_before)
    finite = np.isfinite(rr_before)
    h = np.concatenate([np.asarray(history, float), rr_before[finite]])
    ends = len(history) + np.concatenate([[0], np.cumsum(finite)[:-1]]).astype(np.int64) if n else np.zeros(0, np.int64)
    some = ends > 0
    e = ends[some]
    local = np.full(n, np.nanmedian(rr_before) if n > 1 else np.nan)
    slow, prev_rr, spread, longest = np.empty(n), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    local[some] = _trailing(h, e, LOCAL_RR_BEATS, lambda w, ax: np.median(w, axis=ax))
    slow[:] = local
    slow[some] = _trailing(h, e, SLOW_RR_BEATS, lambda w, ax: np.percentile(w, 75, axis=ax))
    longest[some] = _trailing(h, e, LONG_RR_BEATS, lambda w, ax: np.percentile(w, LONG_RR_PERCENTILE, axis=ax))
    prev_rr[some] = h[e - 1]
    four = ends >= 4
    spread[four] = _trailing(h, ends[four], SLOW_RR_BEATS, lambda w, ax: np.median(
        np.abs(w - np.median(w, axis=ax, keepdims=True)), axis=ax))
    # around: up to AROUND_RR_BEATS intervals before the beat's own RR, then as many after its next RR
    after = np.diff(absolute) / fs
    a_len = np.minimum(ends, AROUND_RR_BEATS)
    f_len = np.clip(len(after) - idx - 1, 0, AROUND_RR_BEATS) if n else np.zeros(0, np.int64)
    around_mean, around_median = np.full(n, np.nan), np.full(n, np.nan)
    full = (a_len == AROUND_RR_BEATS) & (f_len == AROUND_RR_BEATS)
    if full.any():
        win = np.lib.stride_tricks.sliding_window_view
        rows = np.concatenate([win(h, AROUND_RR_BEATS)[ends[full] - AROUND_RR_BEATS],
                               win(after, AROUND_RR_BEATS)[idx[full] + 1]], axis=1)
        around_mean[full], around_median[full] = np.mean(rows, axis=1), np.median(rows, axis=1)
    for i in np.flatnonzero(~full & (a_len + f_len > 0)):
        around = np.concatenate([h[ends[i] - a_len[i]:ends[i]], after[idx[i] + 1:idx[i] + 1 + f_len[i]]])
        around_mean[i], around_median[i] = np.mean(around), np.median(around)
    return local, slow, prev_rr, spread, longest, around_mean, around_median, h[-LONG_RR_BEATS:].tolist()


def _log1m(corr: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(1.0 - corr, 0.0) + 0.01)


def _corr(seg: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``seg`` [beats, samples] with ``ref`` [samples]."""
    a = seg - seg.mean(axis=1, keepdims=True)
    b = ref - ref.mean()
    return (a @ b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b) + 1e-12)


@dataclass
class BeatBlock:
    """The beats of one window: ``samples`` int64 (record sample index) and ``features`` name ->
    float [n_beats]; ``rr_s`` the RR interval before each beat (NaN for the record's first)."""

    samples: np.ndarray
    features: dict[str, np.ndarray]
    rr_s: np.ndarray
    qrs_width_ms: np.ndarray
    p_wave_window: bool
    """Whether the window's typical beats show a consistent P wave (see :func:`p_wave_present`)."""
    p_wave_note: str
    chunk_peaks: np.ndarray
    """Every R peak found in the chunk read (its margins included), as sample indices into the chunk:
    what ``BeatExtractor.add(chunk, peaks=...)`` takes to describe the same beats on another lead."""


@dataclass
class BeatExtractor:
    """Stateful per-chunk beat detection and features; feed chunks in order (``add``)."""

    fs: float
    lead: int
    _last_beat: int | None = None
    _rr_history: list[float] = field(default_factory=list)
    _previous_typical: np.ndarray | None = None
    _v_bank: np.ndarray | None = None

    def _idx(self, span: tuple[float, float]) -> slice:
        a = round((SEGMENT_BEFORE_S + span[0]) * self.fs)
        b = round((SEGMENT_BEFORE_S + span[1]) * self.fs)
        return slice(a, b)

    def add(self, chunk, peaks: np.ndarray | None = None) -> BeatBlock:
        """The features of the beats ``chunk`` owns. ``peaks`` (sample indices into the chunk): beats
        found on another lead, so that a second lead describes the same beats (none: detect here)."""
        fs = self.fs
        if peaks is None:
            peaks, clean = detect_rpeaks(chunk.signal[:, self.lead], fs)
        else:
            clean = clean_lead(chunk.signal[:, self.lead], fs)
        absolute = peaks + chunk.read_start
        own = (absolute >= chunk.start) & (absolute < chunk.stop)
        if self._last_beat is not None:  # beats already owned by the previous window
            own &= absolute > self._last_beat + int(0.2 * fs)
        idx = np.flatnonzero(own)
        samples = absolute[idx]
        n = len(idx)
        # RR before each beat (from the previous window's last beat for the first) and after it
        prev = np.concatenate([[self._last_beat if self._last_beat is not None else np.nan], samples[:-1]]) if n else np.zeros(0)
        rr_before = (samples - prev) / fs
        after = absolute[idx[-1] + 1] if n and idx[-1] + 1 < len(absolute) else None
        nxt = np.full(n, np.nan)
        if n:
            later = np.append(absolute[idx[1:]] if n > 1 else np.zeros(0), np.nan if after is None else after)
            nxt = (later - samples) / fs
        # local RR: median of the LOCAL_RR_BEATS intervals before each beat (history carried over)
        local, slow, prev_rr, spread, longest, around_mean, around_median, hist = rr_context(
            self._rr_history, rr_before, absolute, idx, fs)
        self._rr_history = hist
        if n:
            self._last_beat = int(samples[-1])
        local = np.where(np.isfinite(local), local, np.nanmedian(rr_before) if n > 1 else 1.0)
        prem = np.nan_to_num(1.0 - rr_before / local, nan=0.0)
        pause = np.nan_to_num(nxt / local - 1.0, nan=0.0)
        rr_ratio = np.nan_to_num(np.log(np.maximum(rr_before, 1e-3) / np.maximum(nxt, 1e-3)), nan=0.0)
        slow = np.where(np.isfinite(slow), slow, local)
        prem_slow = np.nan_to_num(1.0 - rr_before / slow, nan=0.0)
        longest = np.where(np.isfinite(longest), longest, slow)
        prem_long = np.nan_to_num(1.0 - rr_before / longest, nan=0.0)
        compensation = np.nan_to_num((rr_before + nxt) / local - 2.0, nan=0.0)
        around_mean = np.where(np.isfinite(around_mean), around_mean, local)
        around_median = np.where(np.isfinite(around_median), around_median, local)
        prem_mean = np.nan_to_num(1.0 - rr_before / around_mean, nan=0.0)
        pause_mean = np.nan_to_num(nxt / around_mean - 1.0, nan=0.0)
        prem_centred = np.nan_to_num(1.0 - rr_before / around_median, nan=0.0)
        rr_change = np.nan_to_num(np.log(np.maximum(rr_before, 1e-3) / np.maximum(prev_rr, 1e-3)), nan=0.0)
        # prematurity / pause in units of this patient's own RR spread (floor 2 % of the local RR):
        # 10 % early is striking in a steady sinus rhythm and ordinary in sinus arrhythmia
        scale = np.maximum(np.nan_to_num(spread, nan=0.0), 0.02 * local)
        rr_z = np.nan_to_num((local - rr_before) / scale, nan=0.0)
        pause_z = np.nan_to_num((nxt - local) / scale, nan=0.0)

        lag = round(ALIGN_S * fs)
        ext = beat_matrix(clean, peaks[idx], fs, SEGMENT_BEFORE_S + lag / fs, SEGMENT_AFTER_S + lag / fs)
        widths = qrs_width_ms(clean, peaks[idx], fs)
        qrs, beat, pw, tw = self._idx(QRS_S), self._idx(BEAT_S), self._idx(P_S), self._idx(T_S)
        seg = ext[:, lag:ext.shape[1] - lag]
        ref, own_typical = self._reference(ext, prem, lag, qrs)
        feats: dict[str, np.ndarray] = {}
        p_present, p_note = False, "no beats"
        if n and ref is not None:
            tpl = np.median(ref, axis=0)
            seg, _ = _align(ext, tpl, lag, qrs)  # each beat shifted (±ALIGN_S) onto the reference
            centre = np.array([round(SEGMENT_BEFORE_S * fs)])
            typical_width = float(qrs_width_ms(tpl, centre, fs)[0])
            t_q = tpl[qrs]
            t_q_rms = float(np.sqrt(np.mean((t_q - t_q.mean()) ** 2))) + 1e-6
            q = seg[:, qrs]
            diff = (q - q.mean(axis=1, keepdims=True)) - (t_q - t_q.mean())
            t_ptp = float(np.ptp(t_q)) + 1e-6
            p_ptp = float(np.ptp(tpl[pw])) + 1e-6
            qrs_corr = _log1m(_corr(q, t_q))
            qrs_diff = np.log(np.sqrt(np.mean(diff ** 2, axis=1)) / t_q_rms + 1e-3)
            feats = {
                "qrs_corr": qrs_corr,
                "beat_corr": _log1m(_corr(seg[:, beat], tpl[beat])),
                "qrs_diff": qrs_diff,
                "width_rel": np.log(np.maximum(widths, 1.0) / max(typical_width, 1.0)),
                "amp_rel": np.log(np.ptp(q, axis=1) / t_ptp + 1e-3),
                "prematurity": np.clip(prem, -1.0, 1.0),
                "pause": np.clip(pause, -1.0, 2.0),
                "rr_ratio": np.clip(rr_ratio, -1.5, 1.5),
                "p_corr": _log1m(_corr(seg[:, pw], tpl[pw])),
                "p_amp": np.log(np.ptp(seg[:, pw], axis=1) / p_ptp + 1e-3),
                "qrs_corr_rel": qrs_corr - np.median(qrs_corr),
                "qrs_diff_rel": qrs_diff - np.median(qrs_diff),
                "t_corr": _log1m(_corr(seg[:, tw], tpl[tw])),
                "width_abs": np.log(np.maximum(widths, 1.0) / 100.0),
                "compensation": np.clip(compensation, -1.5, 2.0),
                "prematurity_slow": np.clip(prem_slow, -1.0, 1.0),
                "prematurity_long": np.clip(prem_long, -1.0, 1.0),
                "prematurity_mean": np.clip(prem_mean, -1.0, 1.0),
                "pause_mean": np.clip(pause_mean, -1.0, 2.0),
                "prematurity_centred": np.clip(prem_centred, -1.0, 1.0),
                "rr_change": np.clip(rr_change, -1.5, 1.5),
                "rr_z": np.arcsinh(np.clip(rr_z, -100.0, 100.0)),
                "pause_z": np.arcsinh(np.clip(pause_z, -100.0, 100.0)),
            }
            feats["window_noise"] = np.full(n, float(np.median(feats["beat_corr"])))
            qd_spread = float(np.median(np.abs(qrs_diff - np.median(qrs_diff)))) + 0.05
            feats["qrs_diff_z"] = np.arcsinh((qrs_diff - np.median(qrs_diff)) / qd_spread)
            feats.update(_shape_features(q, t_q, seg, tuple(self._idx(span) for span in NOISE_S), t_ptp, fs))
            feats["window_beat_noise"] = np.full(n, float(np.median(feats["beat_noise"])))
            feats.update(self._v_bank_features(feats, ext, q, lag, qrs))
            p_present, p_note = p_wave_present(own_typical, pw, qrs)  # this window's beats only
        else:
            feats = {k: np.zeros(n) for k in FEATURES}
        return BeatBlock(samples.astype(np.int64), feats, rr_before, widths, p_present, p_note, peaks)

    def _v_bank_features(self, feats: dict[str, np.ndarray], ext: np.ndarray, q: np.ndarray, lag: int,
                         qrs: slice) -> dict[str, np.ndarray]:
        """Likeness to this record's own confident ventricular beats: each beat's best and
        second-best QRS correlation (±ALIGN_S) with the bank of recent beats the seed model scores
        at least ``rules.V_SEED_THRESHOLD`` (the beat itself excluded), as log(1 - r + 0.01), and
        ``v_vs_n`` = qrs_corr - v_like (positive: closer to the record's ventricular beats than to
        its normal reference). Scale-free across records: a subtle ventricular beat of one patient
        is still nearer that patient's clear ones than the normal beat."""
        from medts.interpret import longterm as rules

        n = len(q)
        seed = logistic_score(feats, rules.V_SEED_FEATURES, rules.V_SEED_WEIGHTS, rules.V_SEED_INTERCEPT)
        new = q[seed >= rules.V_SEED_THRESHOLD]
        old = self._v_bank if self._v_bank is not None else np.zeros((0, q.shape[1]))
        bank = np.concatenate([old, new])
        corr = _bank_corr(ext, bank, lag, qrs)  # [beats, bank]
        own = np.flatnonzero(seed >= rules.V_SEED_THRESHOLD)
        corr[own, len(old) + np.arange(len(own))] = -1.0  # not the beat itself
        top = -np.sort(-corr, axis=1) if corr.shape[1] else np.full((n, 0), -1.0)
        best = top[:, 0] if top.shape[1] >= 1 else np.full(n, -1.0)
        second = top[:, 1] if top.shape[1] >= 2 else np.full(n, -1.0)
        self._v_bank = bank[-V_BANK_BEATS:]
        v_like = _log1m(np.maximum(best, -1.0))
        return {"v_like": v_like, "v_like2": _log1m(np.maximum(second, -1.0)), "v_vs_n": feats["qrs_corr"] - v_like}

    def _reference(self, ext: np.ndarray, prem: np.ndarray, lag: int,
                   qrs: slice) -> tuple[np.ndarray | None, np.ndarray]:
        """The typical beats of this window plus the previous window's, aligned on their QRS: not
        premature, and the half most like the median of those (so frequent ectopic beats do not
        set the shape). Returns (reference beats or None, this window's typical beats)."""
        pool = ext[prem < 0.1] if (prem < 0.1).sum() >= 3 else ext
        typical = pool[:, lag:pool.shape[1] - lag]
        if len(pool):
            med = np.median(typical, axis=0)
            if self._previous_typical is not None:  # keeps the reference's alignment from drifting
                med = np.median(self._previous_typical, axis=0)
            aligned, c = _align(pool, med, lag, qrs)
            typical = aligned[c >= np.median(c)]
        ref = typical if self._previous_typical is None else np.concatenate([self._previous_typical, typical])
        if len(typical):
            self._previous_typical = typical[-64:]
        return (ref if len(ref) else None), typical


def _slope_time(q: np.ndarray, fs: float) -> np.ndarray:
    """Peak-to-peak over the largest absolute slope (s) of each QRS row [beats, samples]: how long
    the steepest deflection would take to cover the QRS amplitude; amplitude- and polarity-free."""
    q = np.atleast_2d(q)
    slope = np.abs(np.diff(q, axis=1)).max(axis=1) * fs + 1e-9
    return np.ptp(q, axis=1) / slope


def _energy_span(q: np.ndarray, fs: float) -> np.ndarray:
    """Time (s) holding the middle 80 % of each QRS row's absolute slope (10th to 90th percentile of
    its cumulative sum): a QRS duration without onset/offset thresholds, amplitude- and polarity-free."""
    q = np.atleast_2d(q)
    e = np.abs(np.diff(q, axis=1))
    c = np.cumsum(e, axis=1) / (e.sum(axis=1, keepdims=True) + 1e-12)
    lo = (c < 0.1).sum(axis=1)
    hi = (c < 0.9).sum(axis=1)
    return (hi - lo + 1) / fs


def _shape_features(q: np.ndarray, t_q: np.ndarray, seg: np.ndarray, noise_spans: tuple[slice, ...], t_ptp: float,
                    fs: float) -> dict[str, np.ndarray]:
    """``slope_rel`` / ``energy_width_rel``: log of each QRS's :func:`_slope_time` /
    :func:`_energy_span` over the reference QRS's (ventricular beats rise slowly and spread their
    deflection over a longer time, whatever their amplitude or polarity); ``beat_noise``: log RMS of
    the second difference of the beat in ``noise_spans`` (``NOISE_S``: before the P wave's peak and
    late in the T wave, clear of even a wide QRS) over the reference QRS peak-to-peak (high-frequency
    noise or muscle artefact around the beat itself, on one scale for every record)."""
    # a flat stretch (an electrode off) has no QRS: NaN here, and the caller leaves such a lead out
    with np.errstate(divide="ignore", invalid="ignore"):
        slope_rel = np.log(_slope_time(q, fs) / _slope_time(t_q, fs)[0])
        width_rel = np.log(_energy_span(q, fs) / _energy_span(t_q, fs)[0])
    # second derivative in time units (x (fs / NOISE_REF_FS)^2): the same signal gives the same value at any
    # sampling rate (a raw second difference of a smooth wave shrinks as (1 / fs)^2: 250 Hz read 2x noisier)
    d2 = np.concatenate([np.diff(seg[:, quiet], n=2, axis=1) for quiet in noise_spans], axis=1) * (fs / NOISE_REF_FS) ** 2
    noise = np.log(np.sqrt(np.mean(d2 ** 2, axis=1)) / t_ptp + 1e-5)
    return {"slope_rel": slope_rel, "energy_width_rel": width_rel, "beat_noise": noise}


def logistic_score(feats: dict[str, np.ndarray], order: tuple[str, ...], weights: tuple[float, ...],
                   intercept: float) -> np.ndarray:
    """Logistic model over the named features and their squares (weights: linear terms in
    ``order``, then the squared terms); float [n_beats] in [0, 1]."""
    x = np.stack([np.asarray(feats[k], float) for k in order], axis=1)  # [beats, features]
    z = np.concatenate([x, x ** 2], axis=1) @ np.asarray(weights) + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _bank_corr(ext: np.ndarray, bank: np.ndarray, lag: int, qrs: slice) -> np.ndarray:
    """Best Pearson correlation over shifts of ±lag samples between each beat's QRS (rows of
    ``ext`` [beats, samples + 2*lag]) and each bank QRS (rows of ``bank`` [m, qrs samples]);
    [beats, m]."""
    if len(bank) == 0 or len(ext) == 0:
        return np.full((len(ext), len(bank)), -1.0)
    b = bank - bank.mean(axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True) + 1e-12
    best = np.full((len(ext), len(bank)), -1.0)
    for s in range(-lag, lag + 1, max(1, lag // 4)):
        w = ext[:, lag + s + qrs.start:lag + s + qrs.stop]
        w = w - w.mean(axis=1, keepdims=True)
        w /= np.linalg.norm(w, axis=1, keepdims=True) + 1e-12
        best = np.maximum(best, w @ b.T)
    return best


def _align(ext: np.ndarray, tpl: np.ndarray, lag: int, qrs: slice) -> tuple[np.ndarray, np.ndarray]:
    """Shift each beat of ``ext`` [beats, samples + 2*lag] by up to ±lag samples to best match
    ``tpl``'s QRS; returns the aligned beats [beats, samples] and the QRS correlation at that shift.
    Why: R-peak marks jump between R and S on biphasic QRS, which looks like a shape change."""
    width = ext.shape[1] - 2 * lag
    t_q = tpl[qrs]
    step = max(1, lag // 8)
    shifts = np.arange(-lag, lag + 1, step)
    corr = np.stack([_corr(ext[:, lag + s + qrs.start:lag + s + qrs.stop], t_q) for s in shifts])  # [shifts, beats]
    best = np.argmax(corr, axis=0)
    offs = lag + shifts[best]
    rows = offs[:, None] + np.arange(width)[None, :]
    return np.take_along_axis(ext, rows, axis=1), corr[best, np.arange(ext.shape[0])]


def p_wave_present(typical: np.ndarray, p_region: slice, qrs_region: slice) -> tuple[bool, str]:
    """Whether the typical beats of a window carry a consistent P wave: the averaged P region of
    two interleaved halves of the beats agree (correlation) and stand out of the beat-to-beat
    noise. Atrial fibrillation waves and noise average out; a sinus P wave adds up."""
    from medts.interpret.longterm import P_WAVE_MIN_CORR, P_WAVE_MIN_FRACTION_OF_QRS

    if len(typical) < 6:
        return False, f"only {len(typical)} typical beats"
    a = typical[0::2, p_region].mean(axis=0)
    b = typical[1::2, p_region].mean(axis=0)
    c = float(_corr(a[None, :], b)[0])
    qrs_amp = float(np.ptp(typical[:, qrs_region].mean(axis=0))) + 1e-6
    frac = float(np.ptp((a + b) / 2.0)) / qrs_amp
    ok = c >= P_WAVE_MIN_CORR and frac >= P_WAVE_MIN_FRACTION_OF_QRS
    note = (f"P wave seen in the averaged beats (halves agree r={c:.2f}, {frac:.0%} of QRS)" if ok
            else f"no consistent P wave in the averaged beats (halves agree r={c:.2f}, {frac:.0%} of QRS)")
    return ok, note
