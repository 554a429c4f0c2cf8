"""Synthetic 12-lead ECGs with exactly known wave boundaries, for the medts.signal tests.

Each wave is a Hann (raised-cosine) bump with compact support, so its onset and offset are
known to the sample: P 100 ms, PR (P onset -> QRS onset) 160 ms, QRS 90 ms (Q 20 + R 40 + S 30),
ST 100 ms, T 200 ms, so QT = 390 ms. Limb leads project one frontal axis ``axis_deg``.
"""

from __future__ import annotations

import numpy as np

from medts.record import ECG, STANDARD_LEADS

PR_MS, P_MS, QRS_MS, QT_MS = 160.0, 100.0, 90.0, 390.0
LIMB_ANGLES = {"I": 0, "II": 60, "III": 120, "aVR": -150, "aVL": -30, "aVF": 90}
# precordial (R mV, S mV, P gain, T gain): rS in V1 -> qR in V5/V6
PRECORDIAL = {"V1": (0.2, 1.5, 0.5, 0.3), "V2": (0.4, 1.2, 0.6, 0.8), "V3": (0.8, 0.8, 0.7, 1.0),
              "V4": (1.2, 0.4, 0.8, 1.0), "V5": (1.4, 0.2, 0.8, 0.9), "V6": (1.1, 0.1, 0.8, 0.7)}


def hann(n: int) -> np.ndarray:
    return np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def lead_amplitudes(axis_deg: float = 50.0) -> dict[str, dict[str, float]]:
    """Per-lead wave amplitudes (mV): p, q, r, s, t (q and s are depths, drawn negative)."""
    out = {}
    for name, angle in LIMB_ANGLES.items():
        g = float(np.cos(np.radians(axis_deg - angle)))
        out[name] = {"p": 0.15 * g, "q": 0.1 * g, "r": 1.2 * g, "s": 0.3 * g, "t": 0.3 * g}
    for name, (r, s, pg, tg) in PRECORDIAL.items():
        out[name] = {"p": 0.15 * pg, "q": 0.0, "r": r, "s": s, "t": 0.4 * tg}
    return out


def synth_ecg(
    *,
    fs: float = 500.0,
    duration_s: float = 10.0,
    hr_bpm: float = 70.0,
    axis_deg: float = 50.0,
    p_waves: bool = True,
    rr_jitter: float = 0.0,
    noise_mv: float = 0.01,
    st_mv: dict[str, float] | None = None,
    seed: int = 0,
) -> tuple[ECG, np.ndarray]:
    """A 12-lead ECG and its QRS onsets (samples).

    ``rr_jitter`` > 0 draws RR intervals uniformly within ±rr_jitter of the mean (AF-like when
    combined with ``p_waves=False``). ``st_mv`` adds a flat ST deviation (mV) per lead between
    J and the T onset.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    ms = fs / 1000.0
    rr_mean = 60.0 / hr_bpm
    onsets = []
    t = 0.35
    while t + 0.5 < duration_s:
        onsets.append(round(t * fs))
        t += rr_mean * (1 + rng.uniform(-rr_jitter, rr_jitter))
    amps = lead_amplitudes(axis_deg)
    sig = np.zeros((n, len(STANDARD_LEADS)))
    parts = [("p", -PR_MS, P_MS, 1.0), ("q", 0, 20, -1.0), ("r", 20, 40, 1.0), ("s", 60, 30, -1.0),
             ("t", QRS_MS + 100, 200, 1.0)]
    for j, name in enumerate(STANDARD_LEADS):
        a = amps[name]
        for q0 in onsets:
            for key, start_ms, width_ms, sign in parts:
                if key == "p" and not p_waves:
                    continue
                s0, w = q0 + round(start_ms * ms), round(width_ms * ms)
                if s0 < 0 or s0 + w > n:
                    continue
                sig[s0 : s0 + w, j] += sign * a[key] * hann(w)
            if st_mv and name in st_mv:
                s0, s1 = q0 + round(QRS_MS * ms), q0 + round((QRS_MS + 100) * ms)
                if s1 + int(200 * ms) < n:
                    ramp = np.ones(s1 - s0)
                    sig[s0:s1, j] += st_mv[name] * ramp
                    # slur the deviation into the T wave so the ST level is a plateau, as in real ECGs
                    tw = round(200 * ms)
                    sig[s1 : s1 + tw, j] += st_mv[name] * np.cos(np.linspace(0, np.pi / 2, tw))
        if not p_waves:
            sig[:, j] += 0.03 * np.sin(2 * np.pi * 6.3 * np.arange(n) / fs + j) * rng.uniform(0.5, 1.0)
    sig += rng.normal(0, noise_mv, sig.shape)
    return ECG(sig.astype(np.float32), fs=fs, leads=STANDARD_LEADS, record_id=f"synth-{seed}"), np.array(onsets)
