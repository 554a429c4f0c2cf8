"""``measure_ecg``: the full measurement of one record, as a typed JSON-ready result.

Pipeline: clean (baseline + powerline, 50/60 Hz detected or given) -> per-lead quality ->
consensus R peaks on usable leads -> per-lead delineation and multi-lead fusion -> clinical
measurements, each a :class:`~medts.signal.intervals.Value` with a quality flag and, when
unmeasurable, ``None`` with a reason.

Example
-------
>>> import numpy as np, neurokit2 as nk
>>> from medts.record import ECG
>>> x = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=60, random_state=0)
>>> m = measure_ecg(ECG(x[:, None], fs=500.0, leads=["II"]))
>>> 55 < m.hr_bpm.value < 65
True
>>> m.qrs_axis_deg.value is None  # one lead: no axis
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from medts.record import ECG, STANDARD_LEADS
from medts.signal.atrial import AtrialActivity, atrial_activity
from medts.signal.clean import clean_ecg, detect_powerline
from medts.signal.fuse import Delineation, delineate_ecg
from medts.signal.intervals import (
    Value,
    axis_deg,
    heart_rate,
    hrv_time,
    interval_ms,
    isoelectric_level,
    qrs_r_s_mv,
    qtc_values,
    st_level_mv,
    t_amplitude_mv,
)
from medts.signal.peaks import consensus_rpeaks, lead_rpeaks
from medts.signal.quality import LeadQuality, assess_leads, limb_lead_reversal
from medts.signal.qwaves import QrsWaves, qrs_waves

SCHEMA_VERSION = 1

PR_MIN_MS = 60.0
PR_MAX_SPREAD_MS = 40.0
"""A PR below 60 ms or varying by more than 40 ms (IQR over beats) is not reported: such
"P waves" are not conducted P waves (fibrillatory waves, flutter, dissociation, QRS parts)."""


def _iqr_ms(d: np.ndarray, fs: float) -> float:
    d = d[np.isfinite(d)] * 1000.0 / fs
    return float(np.subtract(*np.percentile(d, [75, 25]))) if len(d) else 0.0


class BeatFiducials(BaseModel):
    """Fused fiducials of one beat (sample indices; None where not found)."""

    r_peak: int
    p_on: int | None = None
    p_peak: int | None = None
    p_off: int | None = None
    qrs_on: int | None = None
    qrs_off: int | None = None
    t_on: int | None = None
    t_peak: int | None = None
    t_off: int | None = None


class Rhythm(BaseModel):
    """Rhythm features: RR irregularity and P-wave presence (the rhythm label is
    :func:`medts.interpret.call_rhythm`'s: no clinical rule here)."""

    rr_cv: Value = Field(description="coefficient of variation of RR intervals")
    rr_successive_irregularity: Value = Field(description="median |RR_i+1 - RR_i| / median RR")
    p_wave_fraction: Value = Field(description="fraction of beats with a P wave found before the QRS")
    p_template_fraction: Value = Field(description="fraction of beats whose pre-QRS segment matches the median "
                                                   "pre-QRS segment (a repeated P wave the delineation may miss)")
    pacing_spike_fraction: Value | None = Field(None, description="fraction of beats with a pacemaker spike in the "
                                                                  "120 ms before the R peak (raw signal, >= 500 Hz)")
    atrial: AtrialActivity | None = Field(None, description="atrial activity in II, III, aVF, V1: spectral peak after "
                                                            "QRS-T cancellation, harmonics of the average cycle "
                                                            "(medts.signal.atrial; read by the flutter rule)")


class Measurements(BaseModel):
    """All measurements of one record (drafts for clinician review)."""

    schema_version: int = SCHEMA_VERSION
    record_id: str
    fs_hz: float
    duration_s: float
    leads: list[str]
    missing_leads: list[str]
    powerline_hz: float | None
    lead_quality: list[LeadQuality]
    limb_lead_reversal: str | None
    n_beats: int
    hr_bpm: Value
    rr_ms: Value
    pr_ms: Value
    p_duration_ms: Value
    qrs_ms: Value
    qt_ms: Value
    qtc_bazett_ms: Value
    qtc_fridericia_ms: Value
    qtc_framingham_ms: Value
    qtc_hodges_ms: Value
    p_axis_deg: Value
    qrs_axis_deg: Value
    t_axis_deg: Value
    st_j60_mv: dict[str, Value]
    t_amplitude_mv: dict[str, Value]
    sokolow_lyon_mv: Value
    cornell_mv: Value
    hrv: dict[str, Value]
    rhythm: Rhythm
    beats: list[BeatFiducials]
    warnings: list[str]
    qrs_waves: dict[str, QrsWaves] = Field(default_factory=dict)
    """Per usable lead: Q wave duration and depth, R height, S depth (:mod:`medts.signal.qwaves`)."""


@dataclass
class Analysis:
    """Intermediate results of :func:`analyse_ecg` (arrays, not JSON): what the benchmark scores."""

    cleaned: np.ndarray  # [n_samples, n_leads] mV
    quality: list[LeadQuality]
    usable: list[int]
    delineation: Delineation
    powerline_hz: float | None
    limb_lead_reversal: str | None
    notes: list[str]


@dataclass
class BeatSearch:
    """What :func:`find_beats` returns: the cleaned signal, lead quality and the beats of the usable leads."""

    cleaned: np.ndarray  # [n_samples, n_leads] mV
    quality: list[LeadQuality]
    usable: list[int]
    rpeaks: np.ndarray  # [n_beats] sample indices
    powerline: float | None


def find_beats(raw: np.ndarray, fs: float, leads: list[str], *, powerline: float | str | None = "auto") -> BeatSearch:
    """Clean ``raw`` ([n_samples, n_leads] mV at ``fs`` Hz), assess each lead and find the consensus R peaks
    of the usable leads (no beats when none is usable): the first steps of :func:`analyse_ecg`."""
    raw = np.asarray(raw, float)
    line = detect_powerline(raw - np.median(raw, axis=0), fs) if powerline == "auto" else powerline
    cleaned = clean_ecg(raw, fs, powerline=line)
    # Quality needs beats; a first R-peak pass over all non-constant leads gives them.
    live = [j for j in range(len(leads)) if np.ptp(raw[:, j]) > 1e-6]
    per_lead = {j: lead_rpeaks(cleaned[:, j], fs, invert_negative=len(live) == 1) for j in live}
    r_all = consensus_rpeaks(cleaned, fs, leads=live, per_lead=per_lead) if live else np.zeros(0, np.int64)
    quality = assess_leads(raw, cleaned, fs, leads, r_all, lead_peaks=per_lead)
    usable = [j for j, q in enumerate(quality) if q.usable]
    rpeaks = consensus_rpeaks(cleaned, fs, leads=usable, per_lead=per_lead) if usable else np.zeros(0, np.int64)
    return BeatSearch(cleaned, quality, usable, rpeaks, line if isinstance(line, (int, float)) else None)


def analyse_ecg(ecg: ECG, *, powerline: float | str | None = "auto") -> Analysis:
    """Clean, assess lead quality, find consensus R peaks and delineate with multi-lead fusion."""
    fs = float(ecg.fs)
    leads = list(ecg.leads)
    notes: list[str] = []
    found = find_beats(ecg.signal, fs, leads, powerline=powerline)
    cleaned, quality, usable, rpeaks = found.cleaned, found.quality, found.usable, found.rpeaks
    if not usable:
        notes.append("no usable lead: every lead is flat, disconnected, saturated or noisy")
    if usable and len(rpeaks) < 2:
        notes.append(f"only {len(rpeaks)} beat(s) detected")
    d = delineate_ecg(cleaned, fs, rpeaks, leads, usable)
    reversal = limb_lead_reversal(cleaned, leads, rpeaks, fs, d) if usable else None
    if reversal:
        notes.append(reversal)
    if fs < 250:
        notes.append(f"sampling rate {fs:g} Hz: boundaries are accurate to about {1000 / fs:.0f} ms at best")
    return Analysis(cleaned, quality, usable, d, found.powerline, reversal, notes)


def measure_ecg(ecg: ECG, *, powerline: float | str | None = "auto") -> Measurements:
    """Measure ``ecg`` (any subset of the 12 leads, any sampling rate >= 50 Hz).

    Parameters
    ----------
    ecg : ECG
    powerline : "auto", 50, 60 or None
        Powerline frequency to notch; ``"auto"`` detects it.
    """
    return measurements_from_analysis(ecg, analyse_ecg(ecg, powerline=powerline))


def measurements_from_analysis(ecg: ECG, a: Analysis) -> Measurements:
    """The :class:`Measurements` of ``ecg`` from an :class:`Analysis` already computed."""
    missing = [name for name in STANDARD_LEADS if name not in ecg.leads]
    return _assemble(ecg, a.cleaned, a.delineation, a.quality, a.usable, a.limb_lead_reversal,
                     a.powerline_hz, missing, a.notes)


def _assemble(ecg, cleaned, d: Delineation, quality, usable, reversal, line, missing, notes) -> Measurements:
    fs = float(ecg.fs)
    g = d.global_
    hr, rr = heart_rate(d.rpeaks, fs)
    presence = _p_presence(d)
    if presence.value is not None and presence.value < 0.5:
        seen = f"no consistent P waves: {d.p_note}" if d.p_note else "no consistent P waves"
        pr = Value.missing("ms", seen)
        pdur = Value.missing("ms", seen)
    else:
        pr = interval_ms(g["P_on"], g["QRS_on"], fs, name="PR")
        pdur = interval_ms(g["P_on"], g["P_off"], fs, name="P")
        spread = _iqr_ms(g["QRS_on"] - g["P_on"], fs)
        if pr.value is not None and (pr.value < PR_MIN_MS or spread > PR_MAX_SPREAD_MS):
            why = (f"P waves not consistently coupled to the QRS (PR {pr.value:g} ms, beat-to-beat "
                   f"spread {spread:.0f} ms): e.g. atrial fibrillation, flutter or AV dissociation")
            pr = Value.missing("ms", why)
            pdur = Value.missing("ms", why)
    qrs = interval_ms(g["QRS_on"], g["QRS_off"], fs, name="QRS")
    qt = interval_ms(g["QRS_on"], g["T_off"], fs, name="QT")
    qt_quality = "uncertain" if qt.quality != "good" or rr.quality != "good" else "good"
    qtc = qtc_values(qt.value, rr.value, quality=qt_quality, reason=qt.reason or rr.reason)
    idx = {name: j for j, name in enumerate(d.leads)}
    usable_names = {d.leads[j] for j in usable}
    base = {name: isoelectric_level(cleaned[:, j], g["QRS_on"], fs) for name, j in idx.items()}

    def lead_or_derived(name: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        if name in usable_names:
            return cleaned[:, idx[name]], base[name]
        if name == "aVF" and {"I", "II"} <= usable_names:  # aVF = II - I/2 (Einthoven/Goldberger)
            x = cleaned[:, idx["II"]] - 0.5 * cleaned[:, idx["I"]]
            return x, base["II"] - 0.5 * base["I"]
        return None, None

    li, bi = lead_or_derived("I")
    lf, bf = lead_or_derived("aVF")
    p_axis = axis_deg(li, lf, g["P_on"], g["P_off"], bi, bf, wave="P") if pdur.value is not None \
        else Value.missing("deg", pdur.reason or "no consistent P waves")
    qrs_axis = axis_deg(li, lf, g["QRS_on"], g["QRS_off"], bi, bf, wave="QRS")
    t_axis = axis_deg(li, lf, g["T_on"], g["T_off"], bi, bf, wave="T")
    st, tamp = {}, {}
    for name, j in idx.items():
        if name not in usable_names:
            why = "lead unusable: " + ", ".join(quality[j].flags)
            st[name], tamp[name] = Value.missing("mV", why), Value.missing("mV", why)
            continue
        st[name] = st_level_mv(cleaned[:, j], g["QRS_off"], base[name], fs)
        tamp[name] = t_amplitude_mv(cleaned[:, j], g["T_on"], g["T_off"], base[name])
    rs = {name: qrs_r_s_mv(cleaned[:, idx[name]], g["QRS_on"], g["QRS_off"], base[name])
          for name in ("V1", "V3", "V5", "V6", "aVL") if name in usable_names}
    waves = {name: w for name in usable_names
             if (w := qrs_waves(cleaned[:, idx[name]], g["QRS_on"], g["QRS_off"], base[name], fs)) is not None}
    sokolow = _sum_voltages(rs, [("V1", 1)], [("V5", 0), ("V6", 0)], "Sokolow-Lyon (S V1 + max R V5/V6)")
    cornell = _sum_voltages(rs, [("aVL", 0), ("V3", 1)], [], "Cornell (R aVL + S V3)")
    return Measurements(
        record_id=ecg.record_id, fs_hz=fs, duration_s=round(ecg.duration_s, 3), leads=list(d.leads),
        missing_leads=missing, powerline_hz=line if isinstance(line, (int, float)) else None,
        lead_quality=quality, limb_lead_reversal=reversal, n_beats=len(d.rpeaks),
        hr_bpm=hr, rr_ms=rr, pr_ms=pr, p_duration_ms=pdur, qrs_ms=qrs, qt_ms=qt,
        qtc_bazett_ms=qtc["bazett"], qtc_fridericia_ms=qtc["fridericia"],
        qtc_framingham_ms=qtc["framingham"], qtc_hodges_ms=qtc["hodges"],
        p_axis_deg=p_axis, qrs_axis_deg=qrs_axis, t_axis_deg=t_axis,
        st_j60_mv=st, t_amplitude_mv=tamp, sokolow_lyon_mv=sokolow, cornell_mv=cornell,
        hrv=hrv_time(d.rpeaks, fs), rhythm=_rhythm(d, presence, p_template_fraction(cleaned, fs, d, usable),
                                                   pacing_spike_fraction(ecg.signal, fs, d.rpeaks, usable),
                                                   atrial_activity(cleaned, fs, d.rpeaks, list(d.leads), usable)),
        beats=_beats(d), warnings=notes, qrs_waves={name: waves[name] for name in d.leads if name in waves},
    )


def _sum_voltages(rs, s_terms, r_max_terms, what: str) -> Value:
    """Sum of S depths / R heights (index 1 = S, 0 = R) plus the max of ``r_max_terms``."""
    needed = [n for n, _ in s_terms] + [n for n, _ in r_max_terms]
    have = [n for n in needed if rs.get(n) is not None]
    if any(rs.get(n) is None for n, _ in s_terms) or (r_max_terms and not any(rs.get(n) for n, _ in r_max_terms)):
        return Value.missing("mV", f"{what} needs usable leads {', '.join(needed)}; have {', '.join(have) or 'none'}")
    total = sum(rs[n][k] for n, k in s_terms)
    if r_max_terms:
        total += max(rs[n][k] for n, k in r_max_terms if rs.get(n) is not None)
    return Value(value=round(total, 3), unit="mV", quality="good")


def _p_presence(d: Delineation) -> Value:
    n = len(d.rpeaks)
    if n == 0:
        return Value.missing("fraction", "no beats detected")
    frac = float(np.mean(d.p_present & np.isfinite(d.global_["P_on"])))
    return Value(value=round(frac, 3), unit="fraction", quality="good" if n >= 4 else "uncertain",
                 reason=None if n >= 4 else f"only {n} beat(s)", n_beats=n)


P_TEMPLATE_LEADS = ("II", "V1", "I", "aVF")
P_TEMPLATE_MIN_MV = 0.04
P_TEMPLATE_CORRELATION = 0.6


def p_template_fraction(cleaned: np.ndarray, fs: float, d: Delineation, usable: list[int]) -> Value:
    """How consistently the same deflection precedes the QRS: in the 300 ms before the fused QRS
    onset (leads II, V1, I, aVF, the best one), the fraction of beats whose segment correlates
    >= 0.6 with the median segment, when that median segment has a deflection >= 0.04 mV.

    A template check independent of the wave delineation: a P wave repeated before every QRS
    survives the median, fibrillatory waves average out.
    """
    r = d.rpeaks.astype(int)
    if len(r) < 4:
        return Value.missing("fraction", f"needs at least 4 beats, found {len(r)}")
    on = d.global_["QRS_on"] - r
    on_rel = float(np.nanmedian(on)) if np.isfinite(on).any() else -0.04 * fs
    start, stop = int(on_rel - 0.30 * fs), int(on_rel - 0.02 * fs)
    head = max(2, int(0.02 * fs))
    best = 0.0
    for j in [d.leads.index(n) for n in P_TEMPLATE_LEADS if n in d.leads and d.leads.index(n) in usable]:
        x = cleaned[:, j]
        segs = [x[k + start:k + stop] for k in r if k + start >= 0 and k + stop <= len(x)]
        if len(segs) < 4:
            continue
        seg = np.stack(segs)
        seg = seg - np.median(seg[:, :head], axis=1, keepdims=True)
        template = np.median(seg, axis=0)
        if np.ptp(template) < P_TEMPLATE_MIN_MV:
            continue
        tc = template - template.mean()
        sc = seg - seg.mean(axis=1, keepdims=True)
        corr = sc @ tc / (np.linalg.norm(sc, axis=1) * np.linalg.norm(tc) + 1e-12)
        best = max(best, float(np.mean(corr >= P_TEMPLATE_CORRELATION)))
    return Value(value=round(best, 3), unit="fraction", quality="good" if len(r) >= 6 else "uncertain", n_beats=len(r))


PACING_MIN_FS_HZ = 500.0
PACING_WINDOW_S = 0.12
PACING_SPIKE_MV_PER_MS2 = 0.09
PACING_SPIKE_LEADS = 3
"""A pacemaker spike: a |second difference| of the raw signal >= 0.09 mV/ms^2 in at least 3 usable
leads at once, in the 120 ms before the R peak. Pacing spikes last under 2 ms, so they show only
at >= 500 Hz and only before filtering (the cleaned signal smears them). Set on LUDB 1-80 (500 Hz):
per record the median over beats of the third-largest lead value was >= 0.133 on its 5 paced
records and <= 0.065 on its 75 others; 0.09 lies between (about their geometric mean)."""


def pacing_spike_fraction(raw: np.ndarray, fs: float, rpeaks: np.ndarray, usable: list[int]) -> Value:
    """Fraction of beats preceded (within :data:`PACING_WINDOW_S`) by a pacemaker spike (see above)."""
    if fs < PACING_MIN_FS_HZ:
        return Value.missing("fraction", f"pacemaker spikes need >= {PACING_MIN_FS_HZ:g} Hz sampling, have {fs:g} Hz")
    if len(rpeaks) < 2 or len(usable) < PACING_SPIKE_LEADS:
        return Value.missing("fraction", f"needs 2 beats and {PACING_SPIKE_LEADS} usable leads")
    dt_ms = 1000.0 / fs
    win = round(PACING_WINDOW_S * fs)
    spiked = []
    for r in np.asarray(rpeaks, int):
        x = np.asarray(raw[max(0, r - win - 1):r + 1], float)[:, usable]  # only the window: long records stay cheap
        if len(x) >= 3:
            d2 = np.abs(x[2:] - 2.0 * x[1:-1] + x[:-2]) / dt_ms ** 2  # mV/ms^2
            spiked.append(np.sort(d2.max(axis=0))[-PACING_SPIKE_LEADS] >= PACING_SPIKE_MV_PER_MS2)
    if not spiked:
        return Value.missing("fraction", "no beat with a full window before it")
    return Value(value=round(float(np.mean(spiked)), 3), unit="fraction",
                 quality="good" if len(spiked) >= 4 else "uncertain", n_beats=len(spiked))


def _rhythm(d: Delineation, presence: Value, p_template: Value, pacing: Value | None = None,
            atrial: AtrialActivity | None = None) -> Rhythm:
    rr = np.diff(d.rpeaks.astype(float)) * 1000.0 / d.fs
    if len(rr) < 3:
        why = f"rhythm needs at least 4 beats, found {len(d.rpeaks)}"
        cv = succ = Value.missing("ratio", why)
    else:
        quality = "good" if len(rr) >= 6 else "uncertain"
        cv_v = float(np.std(rr) / np.mean(rr))
        succ_v = float(np.median(np.abs(np.diff(rr))) / np.median(rr))
        cv = Value(value=round(cv_v, 4), unit="ratio", quality=quality, n_beats=len(rr) + 1)
        succ = Value(value=round(succ_v, 4), unit="ratio", quality=quality, n_beats=len(rr) + 1)
    return Rhythm(rr_cv=cv, rr_successive_irregularity=succ, p_wave_fraction=presence, p_template_fraction=p_template,
                  pacing_spike_fraction=pacing, atrial=atrial)


def _beats(d: Delineation) -> list[BeatFiducials]:
    g = d.global_

    def at(kind: str, i: int) -> int | None:
        v = g[kind][i]
        return round(v) if np.isfinite(v) else None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            BeatFiducials(
                r_peak=int(r), p_on=at("P_on", i), p_peak=at("P_peak", i), p_off=at("P_off", i),
                qrs_on=at("QRS_on", i), qrs_off=at("QRS_off", i), t_on=at("T_on", i),
                t_peak=at("T_peak", i), t_off=at("T_off", i),
            )
            for i, r in enumerate(d.rpeaks)
        ]
