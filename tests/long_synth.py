"""A seeded simulated long record written as WFDB (sinus with inserted ventricular beats, then
atrial fibrillation, then sinus again), shared by the long-recording and report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import wfdb
from scipy.signal.windows import tukey

from medts.longterm.beats import detect_rpeaks
from medts.simulate import simulate_12lead

FS = 250.0
SEGMENT_S = 180.0


def _with_ventricular_beats(x: np.ndarray, every: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Replace every ``every``-th beat of lead II/V1 ``x`` [n, 2] by an early, wide, large complex;
    returns the signal and the ectopic R positions (samples)."""
    r, _ = detect_rpeaks(x[:, 0], fs)
    t = np.arange(-int(0.3 * fs), int(0.3 * fs) + 1) / fs
    wide = np.stack([1.6 * np.exp(-(t / 0.045) ** 2) - 0.5 * np.exp(-((t - 0.2) / 0.07) ** 2),
                     -1.2 * np.exp(-(t / 0.05) ** 2) + 0.4 * np.exp(-((t - 0.2) / 0.07) ** 2)], axis=1)
    half = len(t) // 2
    before, after = int(0.25 * fs), int(0.55 * fs)  # the replaced beat, its T wave included
    fade = (1.0 - tukey(before + after, 0.3))[:, None]
    out, ectopic = x.copy(), []
    for i in range(3, len(r) - 2, every):
        p = int(r[i - 1] + 0.6 * (r[i] - r[i - 1]))
        seg = slice(r[i] - before, r[i] + after)
        base = np.median(out, axis=0)
        out[seg] = base + (out[seg] - base) * fade
        out[p - half:p + half + 1] += wide
        ectopic.append(p)
    return out, np.asarray(ectopic)


def write_long_record(folder: Path, name: str = "holter", leads: tuple[str, str] = ("II", "V1")
                      ) -> tuple[Path, np.ndarray, np.ndarray]:
    """9 minutes, 2 leads (II, V1), 250 Hz, written as WFDB ``folder/name``: 3 min sinus with a
    ventricular beat every 7th beat, 3 min atrial fibrillation, 3 min sinus; ``leads`` names the two columns
    as the header does (a Holter's ECG1, ECG2). Returns the record's base
    path, the signal [samples, 2] and the ectopic beats' samples."""
    parts, ectopic_all, offset = [], [], 0
    for k, af in enumerate((False, True, False)):
        ecg = simulate_12lead(SEGMENT_S, FS, 72.0 if not af else 95.0, seed=10 + k, atrial_fibrillation=af)
        x = ecg.signal[:, [ecg.leads.index("II"), ecg.leads.index("V1")]].astype(float)
        if k == 0:
            x, ect = _with_ventricular_beats(x, 7, FS)
            ectopic_all.extend(ect + offset)
        parts.append(x)
        offset += len(x)
    sig = np.concatenate(parts)
    wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=list(leads), p_signal=sig, fmt=["16", "16"],
                write_dir=str(folder))
    return folder / name, sig, np.asarray(ectopic_all)
