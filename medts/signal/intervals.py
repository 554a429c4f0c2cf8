"""Clinical measurements from fused fiducials: intervals, QTc, axes, ST, voltages, HRV, rhythm.

Every function returns a :class:`Value` (or a dict of them): a number with its unit, a quality
flag (``good`` / ``uncertain`` / ``unavailable``) and, when not good, the reason. Nothing is
invented: a value that cannot be measured is ``None`` with a reason.

Example
-------
>>> import numpy as np
>>> v = interval_ms(np.array([100.0, 600, 1100]), np.array([150.0, 650, 1150]), 500.0, name="QRS")
>>> v.value, v.quality
(100.0, 'good')
>>> qtc_values(400.0, 1000.0)["bazett"].value
400.0
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from pydantic import BaseModel

Quality = Literal["good", "uncertain", "unavailable"]

SPREAD_LIMIT_MS = {"PR": 20.0, "P": 20.0, "QRS": 20.0, "QT": 40.0}
"""Beat-to-beat interquartile range above which an interval is flagged ``uncertain``."""

PLAUSIBLE_MS = {"PR": (60, 400), "P": (40, 200), "QRS": (40, 250), "QT": (200, 700)}
"""Physiological ranges. A median above one is kept but flagged ``uncertain`` (a PR of 450 ms or a QT of
720 ms can be real); a median below one is no measurement and is reported unavailable: on V1 alone (LUDB 21
and 24) the QRS boundaries fell 3 ms apart, and the report printed "QRS duration 3 ms, normal" beside an
LBBB of 170 ms."""


class Value(BaseModel):
    """One measurement: ``value`` in ``unit`` (None when unmeasurable), quality and reason."""

    value: float | None
    unit: str
    quality: Quality
    reason: str | None = None
    n_beats: int | None = None

    @classmethod
    def missing(cls, unit: str, reason: str) -> Value:
        return cls(value=None, unit=unit, quality="unavailable", reason=reason)


def _median(x: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmedian(x))


def interval_ms(start: np.ndarray, end: np.ndarray, fs: float, *, name: str) -> Value:
    """Median over beats of ``end - start`` (ms), with a quality flag.

    ``uncertain`` when fewer than 3 beats, a beat-to-beat IQR above ``SPREAD_LIMIT_MS`` or a
    median above ``PLAUSIBLE_MS``; unavailable when the median is below it.
    """
    d = (np.asarray(end, float) - np.asarray(start, float)) * 1000.0 / fs
    d = d[np.isfinite(d) & (d > 0)]
    if len(d) == 0:
        return Value.missing("ms", f"no beat with both {name} boundaries delineated")
    value = float(np.median(d))
    reasons = []
    if len(d) < 3:
        reasons.append(f"only {len(d)} beat(s) measured")
    iqr = float(np.subtract(*np.percentile(d, [75, 25])))
    if iqr > SPREAD_LIMIT_MS.get(name, 40.0):
        reasons.append(f"beat-to-beat spread {iqr:.0f} ms")
    lo, hi = PLAUSIBLE_MS.get(name, (0, 1e9))
    if value < lo:
        return Value.missing("ms", f"{name} boundaries not found: median {value:.0f} ms over {len(d)} beat(s), "
                                   f"below the physiological {lo} ms")
    if not lo <= value <= hi:
        reasons.append(f"outside the usual {lo}-{hi} ms")
    return Value(
        value=round(value, 1), unit="ms", quality="uncertain" if reasons else "good",
        reason="; ".join(reasons) or None, n_beats=len(d),
    )


def heart_rate(rpeaks: np.ndarray, fs: float) -> tuple[Value, Value]:
    """Heart rate (bpm, from the median RR) and median RR (ms)."""
    rr = np.diff(np.asarray(rpeaks, float)) * 1000.0 / fs
    if len(rr) == 0:
        reason = "fewer than 2 beats detected"
        return Value.missing("bpm", reason), Value.missing("ms", reason)
    med = float(np.median(rr))
    reasons = []
    if len(rr) < 3:
        reasons.append(f"only {len(rr)} RR interval(s)")
    quality: Quality = "uncertain" if reasons else "good"
    reason = "; ".join(reasons) or None
    return (
        Value(value=round(60000.0 / med, 1), unit="bpm", quality=quality, reason=reason, n_beats=len(rr) + 1),
        Value(value=round(med, 1), unit="ms", quality=quality, reason=reason, n_beats=len(rr) + 1),
    )


def qtc_values(qt_ms: float | None, rr_ms: float | None, *, quality: Quality = "good", reason: str | None = None) -> dict[str, Value]:
    """QTc by Bazett, Fridericia, Framingham and Hodges (ms).

    Bazett ``QT / sqrt(RR)``; Fridericia ``QT / RR^(1/3)``; Framingham ``QT + 154 (1 - RR)``;
    Hodges ``QT + 1.75 (HR - 60)``; RR in seconds, HR in bpm.
    """
    names = ("bazett", "fridericia", "framingham", "hodges")
    if qt_ms is None or rr_ms is None or rr_ms <= 0:
        why = "QT not measured" if qt_ms is None else "RR not measured"
        return {n: Value.missing("ms", why) for n in names}
    rr = rr_ms / 1000.0
    hr = 60.0 / rr
    values = {
        "bazett": qt_ms / math.sqrt(rr),
        "fridericia": qt_ms / rr ** (1.0 / 3.0),
        "framingham": qt_ms + 154.0 * (1.0 - rr),
        "hodges": qt_ms + 1.75 * (hr - 60.0),
    }
    return {n: Value(value=round(v, 1), unit="ms", quality=quality, reason=reason) for n, v in values.items()}


def wave_net(lead: np.ndarray, start: np.ndarray, end: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Per-beat net area (mV * samples) of ``lead`` between ``start`` and ``end`` above ``baseline``."""
    out = np.full(len(start), np.nan)
    for i, (a, b, base) in enumerate(zip(start, end, baseline)):
        if np.isfinite(a) and np.isfinite(b) and np.isfinite(base) and b > a:
            out[i] = float(np.sum(lead[int(a) : int(b) + 1] - base))
    return out


def axis_deg(lead_i: np.ndarray | None, lead_avf: np.ndarray | None, start: np.ndarray, end: np.ndarray,
             baseline_i: np.ndarray, baseline_avf: np.ndarray, *, wave: str) -> Value:
    """Frontal-plane axis (degrees, -180..180) of a wave from the net areas in I and aVF.

    ``atan2(aVF, I)``: 0 deg points to lead I, +90 deg to aVF.
    """
    if lead_i is None or lead_avf is None:
        return Value.missing("deg", f"{wave} axis needs leads I and aVF (or I and II)")
    a_i = _median(wave_net(lead_i, start, end, baseline_i))
    a_f = _median(wave_net(lead_avf, start, end, baseline_avf))
    if not (np.isfinite(a_i) and np.isfinite(a_f)):
        return Value.missing("deg", f"{wave} wave not delineated")
    if abs(a_i) + abs(a_f) < 1e-6:
        return Value.missing("deg", f"{wave} wave has no net area in I and aVF")
    n = int(np.sum(np.isfinite(start) & np.isfinite(end)))
    return Value(value=round(math.degrees(math.atan2(a_f, a_i)), 0), unit="deg",
                 quality="good" if n >= 3 else "uncertain",
                 reason=None if n >= 3 else f"only {n} beat(s)", n_beats=n)


def isoelectric_level(lead: np.ndarray, qrs_on: np.ndarray, fs: float) -> np.ndarray:
    """Per-beat baseline (mV): median of the 20 ms before the QRS onset (the PR segment)."""
    w = max(1, int(0.02 * fs))
    out = np.full(len(qrs_on), np.nan)
    q = np.asarray(qrs_on, dtype=float)
    ok = np.isfinite(q)
    ok[ok] = (q[ok].astype(int) - w >= 0) & (q[ok].astype(int) < len(lead))
    if ok.any():
        windows = np.lib.stride_tricks.sliding_window_view(lead, w + 1)  # [n - w, w + 1]
        out[ok] = np.median(windows[q[ok].astype(int) - w], axis=1)
    return out


def st_level_mv(lead: np.ndarray, qrs_off: np.ndarray, baseline: np.ndarray, fs: float, *, after_ms: float = 60.0) -> Value:
    """ST level at J + ``after_ms`` (mV, median over beats) relative to the PR baseline."""
    k = round(after_ms * fs / 1000)
    vals = [lead[int(j) + k] - b for j, b in zip(qrs_off, baseline)
            if np.isfinite(j) and np.isfinite(b) and int(j) + k < len(lead)]
    if not vals:
        return Value.missing("mV", "no beat with a QRS offset and baseline")
    return Value(value=round(float(np.median(vals)), 3), unit="mV",
                 quality="good" if len(vals) >= 3 else "uncertain",
                 reason=None if len(vals) >= 3 else f"only {len(vals)} beat(s)", n_beats=len(vals))


def t_amplitude_mv(lead: np.ndarray, t_on: np.ndarray, t_off: np.ndarray, baseline: np.ndarray) -> Value:
    """Signed T-wave amplitude (mV): the extremum between T onset and offset, median over beats."""
    vals = []
    for a, b, base in zip(t_on, t_off, baseline):
        if np.isfinite(a) and np.isfinite(b) and np.isfinite(base) and b > a:
            seg = lead[int(a) : int(b) + 1] - base
            vals.append(float(seg[np.argmax(np.abs(seg))]))
    if not vals:
        return Value.missing("mV", "T wave not delineated")
    return Value(value=round(float(np.median(vals)), 3), unit="mV",
                 quality="good" if len(vals) >= 3 else "uncertain",
                 reason=None if len(vals) >= 3 else f"only {len(vals)} beat(s)", n_beats=len(vals))


def qrs_r_s_mv(lead: np.ndarray, qrs_on: np.ndarray, qrs_off: np.ndarray, baseline: np.ndarray) -> tuple[float, float] | None:
    """Median R height and S depth (both >= 0, mV) in the QRS window; None if undelineated."""
    rs, ss = [], []
    for a, b, base in zip(qrs_on, qrs_off, baseline):
        if np.isfinite(a) and np.isfinite(b) and np.isfinite(base) and b > a:
            seg = lead[int(a) : int(b) + 1] - base
            rs.append(max(0.0, float(seg.max())))
            ss.append(max(0.0, float(-seg.min())))
    if not rs:
        return None
    return float(np.median(rs)), float(np.median(ss))


def hrv_time(rpeaks: np.ndarray, fs: float) -> dict[str, Value]:
    """Time-domain HRV (NeuroKit2 ``hrv_time``): mean RR, SDNN, RMSSD (ms), pNN50 (%).

    Short-term HRV needs several minutes; on a 10 s record it is flagged ``uncertain``.
    """
    names = {"mean_rr_ms": ("HRV_MeanNN", "ms"), "sdnn_ms": ("HRV_SDNN", "ms"),
             "rmssd_ms": ("HRV_RMSSD", "ms"), "pnn50_pct": ("HRV_pNN50", "%")}
    r = np.asarray(rpeaks, dtype=np.int64)
    if len(r) < 4:
        return {k: Value.missing(u, f"HRV needs at least 4 beats, found {len(r)}") for k, (_, u) in names.items()}
    try:
        import neurokit2 as nk

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = nk.hrv_time(r, sampling_rate=round(fs))
    except Exception as exc:  # noqa: BLE001 - NeuroKit2 raises many types on odd input
        return {k: Value.missing(u, f"NeuroKit2 hrv_time failed: {exc}") for k, (_, u) in names.items()}
    duration_s = (r[-1] - r[0]) / fs
    quality: Quality = "good" if duration_s >= 60 else "uncertain"
    reason = None if quality == "good" else f"only {duration_s:.0f} s of beats (HRV norms assume >= 60 s)"
    out = {}
    for key, (col, unit) in names.items():
        v = float(table[col].iloc[0]) if col in table else float("nan")
        out[key] = Value(value=round(v, 2), unit=unit, quality=quality, reason=reason, n_beats=len(r)) if np.isfinite(v) \
            else Value.missing(unit, f"{col} not computable")
    return out
