"""Analysis of a recording of any length, window by window: quality, rate, rhythm, AF/flutter
episodes, beat classes and ectopy, pauses and the heart-rate trend.

Memory stays bounded: the signal is read one window (plus a few seconds of context) at a time
(``medts.longterm.stream``); what is kept per beat is its sample index, class and two scores.

Example
-------
>>> res = analyze_recording("../shared/data/mitdb/full/203")   # doctest: +SKIP
>>> [e.onset_s for e in res.episodes]                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from medts.interpret import longterm as rules
from medts.interpret.ranges import RANGES
from medts.longterm.beats import SEGMENT_AFTER_S, SEGMENT_BEFORE_S, BeatExtractor
from medts.longterm.classify import (
    beat_classes,
    beat_scores,
    summarise_ectopy,
    two_lead_v_score,
    v_scores,
)
from medts.longterm.result import BeatTable, LongTermResult, RateSummary
from medts.longterm.rhythm import (
    SignalGap,
    WindowRhythm,
    af_episodes,
    find_pauses,
    flat_runs,
    merge_runs,
    window_rhythm,
)
from medts.longterm.stream import LongSource, iter_chunks, open_long_record
from medts.record import MAX_PLAUSIBLE_MV, implausible_amplitude

MARGIN_S = 3.0


def beat_lead(leads: tuple[str, ...]) -> int:
    """Index of the lead used for beat analysis (``rules.PREFERRED_LEADS``)."""
    upper = [name.upper() for name in leads]
    for name in rules.PREFERRED_LEADS:
        if name.upper() in upper:
            return upper.index(name.upper())
    return 0


def second_lead(leads: tuple[str, ...], beat: int) -> int | None:
    """Index of the lead whose V scores join the beat lead's (the first other lead), or None."""
    return next((i for i in range(len(leads)) if i != beat), None)


def lead_usable(lead: np.ndarray, fs: float) -> bool:
    """Whether a window of a lead carries a signal: not flat for ``rules.SIGNAL_GAP_S`` anywhere and of a
    plausible amplitude (an electrode off or wrong units)."""
    return (not implausible_amplitude(lead)
            and not flat_runs(lead, int(round(rules.SIGNAL_GAP_S * fs))))


def analyze_recording(path_or_source: str | Path | LongSource, *, window_s: float = rules.WINDOW_S,
                      lead: str | None = None, with_beats: bool = False,
                      on_window: Callable[[float], None] | None = None) -> LongTermResult:
    """Analyse a recording window by window (see the module docstring). ``on_window`` is called after
    each window with the seconds of the recording analysed so far (for a progress bar)."""
    src = path_or_source if isinstance(path_or_source, LongSource) else open_long_record(path_or_source)
    if lead is not None and lead not in src.leads:
        from medts.errors import MedtsError

        raise MedtsError(f"{src.name}: no lead {lead!r} (leads: {', '.join(src.leads)})")
    li = src.leads.index(lead) if lead is not None else beat_lead(src.leads)
    ext = BeatExtractor(fs=src.fs, lead=li)
    other = second_lead(src.leads, li)
    ext_other = BeatExtractor(fs=src.fs, lead=other) if other is not None else None
    two_lead_windows = 0
    samples, classes, vs, ss = [], [], [], []
    windows: list[WindowRhythm] = []
    poor = 0
    min_corr_feature = float(np.log(1.0 - rules.WINDOW_MIN_BEAT_CORR + 0.01))
    implausible = 0
    gaps: list[tuple[int, int]] = []
    for chunk in iter_chunks(src, window_s=window_s, margin_s=MARGIN_S):
        implausible += implausible_amplitude(chunk.signal[:, li])  # no beats are detected there
        gaps += [(chunk.read_start + a, chunk.read_start + b)
                 for a, b in flat_runs(chunk.signal[:, li], int(round(rules.SIGNAL_GAP_S * src.fs)))]
        block = ext.add(chunk)
        v, s = beat_scores(block.features)
        if ext_other is not None:
            # the other lead always follows the same beats (its extractor keeps its own reference);
            # a flat or implausible stretch of it says nothing, so the beat lead scores alone there
            other_block = ext_other.add(chunk, peaks=block.chunk_peaks)
            if lead_usable(chunk.signal[:, other], src.fs):
                v = two_lead_v_score(v, v_scores(other_block.features))
                two_lead_windows += 1
        is_v = v >= rules.V_THRESHOLD
        provisional = np.where(is_v, "V", "N")
        intervals = window_intervals(chunk, src)
        # P-wave evidence from either view: the window's averaged beats, or a PR that the resting-ECG
        # measurements found coupled to the QRS on the window's first 10 s
        p_wave = block.p_wave_window or intervals.get("pr_ms") is not None
        p_note = block.p_wave_note + ("; PR measured on the first 10 s" if intervals.get("pr_ms") is not None else "")
        w = window_rhythm(chunk.start / src.fs, chunk.stop / src.fs, block.rr_s, provisional, p_wave, p_note)
        cls = beat_classes(v, s, np.full(len(v), w.rhythm == "AF/flutter"))
        # a beat whose segment the record's start or end cuts off cannot be compared: AAMI Q
        cut = (block.samples < SEGMENT_BEFORE_S * src.fs) | (block.samples + SEGMENT_AFTER_S * src.fs > src.n_samples)
        cls = np.where(cut, "Q", cls)
        w = w.model_copy(update={"counts": {k: int((cls == k).sum()) for k in ("N", "S", "V", "Q")}, **intervals})
        if len(block.samples) and float(np.median(block.features["beat_corr"])) > min_corr_feature:
            poor += 1
            w = w.model_copy(update={"p_wave_note": w.p_wave_note + "; poor signal quality"})
        windows.append(w)
        if on_window is not None:
            on_window(chunk.stop / src.fs)
        samples.append(block.samples)
        classes.append(cls)
        vs.append(v.astype(np.float32))
        ss.append(s.astype(np.float32))
    all_samples = np.concatenate(samples) if samples else np.zeros(0, np.int64)
    all_classes = np.concatenate(classes) if classes else np.zeros(0, "<U1")
    episodes = af_episodes(windows)
    af_s = sum(e.duration_s for e in episodes)
    v_leads = (f"; V scores from leads {src.leads[li]} and {src.leads[other]} together in {two_lead_windows} of "
               f"{len(windows)} windows" if other is not None else "")
    notes = [f"beat analysis on lead {src.leads[li]}{v_leads}; windows of {window_s:g} s",
             ("fusion (F) beats are not called (they appear as N or V); Q: beats at the record's very start or "
              "end, too close to the edge to compare")]
    if src.note:
        notes.append(src.note)
    af_windows = [w for w in windows if w.rhythm == "AF/flutter"]
    if af_windows and not episodes:  # "0 episodes" must not read as "no AF" beside an AF window
        seen_s = sum(w.end_s - w.start_s for w in af_windows)
        notes.append(f"AF/flutter seen in {len(af_windows)} window(s), {seen_s:.0f} s in all, shorter than the "
                     f"{rules.AF_MIN_EPISODE_S:.0f} s an AF episode needs: no episode counted")
    gaps = merge_runs(gaps)
    if gaps:
        notes.append(f"lead {src.leads[li]}: no signal (one value held {rules.SIGNAL_GAP_S:g} s or longer: invalid samples "
                     f"read as 0 mV, or an electrode off) in {len(gaps)} stretch(es), {sum(b - a for a, b in gaps) / src.fs:.1f} s "
                     "in all: no pause is called across them")
    if implausible:
        notes.append(f"lead {src.leads[li]}: implausible amplitude (beyond {MAX_PLAUSIBLE_MV:g} mV from its median; "
                     f"wrong units?) in {implausible} of {len(windows)} window(s): no beats analysed there")
    if src.leads[li].upper() not in ("MLII", "II", "ML2"):
        notes.append(f"the beat models were fitted on lead MLII; lead {src.leads[li]} may score differently")
    result = LongTermResult(
        record=src.name, fs=src.fs, duration_s=round(src.duration_s, 2), lead=src.leads[li], window_s=window_s,
        rate=rate_summary(windows), af_burden_percent=round(100.0 * af_s / src.duration_s, 2) if src.duration_s else 0.0,
        episodes=episodes, ectopy=summarise_ectopy(all_samples, all_classes, src.fs),
        pauses=find_pauses(all_samples, src.fs, gaps),
        signal_gaps=[SignalGap(onset_s=round(a / src.fs, 2), duration_s=round((b - a) / src.fs, 2)) for a, b in gaps],
        windows=windows, poor_quality_windows=poor,
        p_wave_windows=sum(w.p_wave for w in windows), notes=notes)
    if with_beats:
        result.beats = BeatTable(samples=[int(x) for x in all_samples], classes=[str(c) for c in all_classes],
                                 v_score=[round(float(x), 4) for x in np.concatenate(vs)],
                                 s_score=[round(float(x), 4) for x in np.concatenate(ss)])
    return result


INTERVAL_STRIP_S = 10.0


def window_intervals(chunk, src: LongSource) -> dict[str, object]:
    """QT, QTc (Fridericia) and PR of one window, measured by ``medts.signal.measure`` (the resting
    ECG pipeline, so the numbers mean the same as in a report) on the window's first 10 s."""
    from medts.record import ECG
    from medts.signal.measure import measure_ecg

    a = chunk.start - chunk.read_start
    n = min(int(round(INTERVAL_STRIP_S * src.fs)), chunk.stop - chunk.start)
    if n < 5.0 * src.fs:  # a short last window: too few beats for a median interval
        return {"interval_note": "window shorter than 5 s"}
    m = measure_ecg(ECG(chunk.signal[a:a + n], fs=src.fs, leads=src.leads, record_id=src.name))
    reasons = [f"{name}: {v.reason}" for name, v in (("QT", m.qt_ms), ("PR", m.pr_ms)) if v.value is None and v.reason]
    return {"qt_ms": m.qt_ms.value, "qtc_fridericia_ms": m.qtc_fridericia_ms.value, "pr_ms": m.pr_ms.value,
            "interval_note": "; ".join(reasons) or None}


def rate_summary(windows: list[WindowRhythm]) -> RateSummary:
    """Mean, slowest and fastest window rate, and minutes outside the resting range
    (``medts.interpret.ranges`` ``hr_bpm``)."""
    rng = RANGES["hr_bpm"]
    rated = [w for w in windows if w.hr_bpm is not None and w.rhythm != "unreadable"]
    if not rated:
        return RateSummary(mean_bpm=None, min_bpm=None, min_at_s=None, max_bpm=None, max_at_s=None,
                           minutes_below_range=0.0, minutes_above_range=0.0, range_bpm=(rng.low, rng.high))
    lo = min(rated, key=lambda w: w.hr_bpm)
    hi = max(rated, key=lambda w: w.hr_bpm)

    def minutes(ws: list[WindowRhythm]) -> float:
        return round(sum(w.end_s - w.start_s for w in ws) / 60.0, 1)

    return RateSummary(
        mean_bpm=round(float(np.average([w.hr_bpm for w in rated], weights=[w.n_beats for w in rated])), 1),
        min_bpm=lo.hr_bpm, min_at_s=lo.start_s, max_bpm=hi.hr_bpm, max_at_s=hi.start_s,
        minutes_below_range=minutes([w for w in rated if rng.low is not None and w.hr_bpm < rng.low]),
        minutes_above_range=minutes([w for w in rated if rng.high is not None and w.hr_bpm > rng.high]),
        range_bpm=(rng.low, rng.high))
