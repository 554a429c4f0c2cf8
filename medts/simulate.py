"""Simulated 12-lead ECGs from a rotating cardiac dipole, for examples and tests.

NeuroKit2's ``ecg_simulate(method="multileads")`` gives every lead the same morphology with
different gains (its lead II has a tiny QRS), which no cardiologist would accept. Here each
wave (P, septal q, main R, terminal s, T) is a Gaussian pulse of a 3-D heart vector in Frank
XYZ coordinates (X leftward, Y inferior, Z posterior), and the 12 leads are its projections
through the Dower transform. The leads are therefore physically consistent (III = II - I,
aVR = -(I + II) / 2, ...) and show the familiar R-wave progression from V1 (rS) to V6 (qR).

Example
-------
>>> from medts.simulate import simulate_12lead
>>> ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=1)
>>> ecg.leads[:3], ecg.signal.shape
(('I', 'II', 'III'), (5000, 12))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import sawtooth

from medts.record import ECG, STANDARD_LEADS

# Dower et al. (1980) XYZ -> 8 independent leads (V1..V6, I, II); rows are leads, columns X, Y, Z.
_DOWER = np.array(
    [
        [-0.515, 0.157, -0.917],  # V1
        [0.044, 0.164, -1.387],  # V2
        [0.882, 0.098, -1.277],  # V3
        [1.213, 0.127, -0.601],  # V4
        [1.125, 0.127, -0.086],  # V5
        [0.831, 0.076, 0.230],  # V6
        [0.632, -0.235, 0.059],  # I
        [0.235, 1.066, -0.132],  # II
    ]
)


@dataclass(frozen=True)
class DipoleWave:
    """One Gaussian component of the heart vector.

    ``offset_s`` is relative to the R peak (P and q negative); ``width_s`` is the Gaussian
    SD; ``vector_mv`` is the XYZ amplitude in mV.
    """

    offset_s: float
    width_s: float
    vector_mv: tuple[float, float, float]


NORMAL_SINUS_WAVES: tuple[DipoleWave, ...] = (
    DipoleWave(-0.165, 0.022, (0.10, 0.16, -0.02)),  # P: leftward, inferior
    DipoleWave(-0.024, 0.008, (-0.12, 0.05, -0.20)),  # septal q: rightward, anterior
    DipoleWave(0.000, 0.011, (1.10, 0.75, 0.35)),  # main R: leftward, inferior, posterior
    DipoleWave(0.026, 0.010, (-0.30, -0.12, 0.55)),  # terminal s: rightward, superior, posterior
)
T_WAVE = DipoleWave(0.0, 0.055, (0.28, 0.22, -0.22))  # leftward, inferior, anterior; offset set by QT


def _rr_intervals(duration_s: float, hr_bpm: float, irregular: bool, rng: np.random.Generator) -> np.ndarray:
    mean_rr = 60.0 / hr_bpm
    n_beats = int(duration_s / mean_rr) + 3
    if irregular:
        # Atrial fibrillation: RR intervals with no pattern (coefficient of variation ~20%).
        rr = rng.gamma(shape=25.0, scale=mean_rr / 25.0, size=n_beats)
    else:
        # Sinus rhythm: a gentle respiratory modulation plus a little jitter.
        beat_times = np.cumsum(np.full(n_beats, mean_rr))
        rr = mean_rr * (1.0 + 0.03 * np.sin(2 * np.pi * 0.25 * beat_times)) + rng.normal(0, 0.008, n_beats)
    return np.clip(rr, 0.3, 2.0)


def simulate_12lead(
    duration_s: float,
    fs: float,
    hr_bpm: float,
    seed: int,
    *,
    atrial_fibrillation: bool = False,
    flutter_conduction: tuple[int, ...] = (),
    flutter_rate_per_min: float = 300.0,
    flutter_amplitude_mv: float = 0.15,
    noise_mv: float = 0.01,
    record_id: str | None = None,
    age: float | None = None,
    sex: str | None = None,
) -> ECG:
    """Simulate a 12-lead ECG in mV from a dipole model.

    Parameters
    ----------
    duration_s : float
        Length in seconds (at least 2).
    fs : float
        Sampling rate in Hz.
    hr_bpm : float
        Mean heart rate in beats per minute.
    seed : int
        Seed for RR variability and noise; the same seed gives the same signal.
    atrial_fibrillation : bool
        Irregular RR, no P waves, fibrillatory baseline (f waves, ~6 Hz).
    flutter_conduction : tuple of int
        Atrial flutter when given: no P waves, a sawtooth of flutter waves at ``flutter_rate_per_min``
        (negative in II, III, aVF, positive in V1, ~0.15 mV), and each QRS after the number of flutter
        waves given here in turn: ``(2,)`` is 2:1 conduction, ``(2, 4, 3)`` variable conduction.
        ``hr_bpm`` is then ignored (the rate follows from the flutter rate and the ratios).
    flutter_rate_per_min : float
        Atrial rate of the flutter (typical flutter 240-340 /min).
    flutter_amplitude_mv : float
        Amplitude of the flutter heart vector's inferior component (mV); lead II shows about as much.
    noise_mv : float
        SD of white noise added to every lead, in mV; a slow baseline wander is added too.

    Returns
    -------
    ECG
        12 leads in canonical order.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    if flutter_conduction:
        n_beats = int(duration_s * flutter_rate_per_min / 60.0 / min(flutter_conduction)) + 3
        ratios = np.resize(np.asarray(flutter_conduction, float), n_beats)
        rr = ratios * 60.0 / flutter_rate_per_min
    else:
        rr = _rr_intervals(duration_s, hr_bpm, atrial_fibrillation, rng)
    r_times = 0.35 + np.concatenate([[0.0], np.cumsum(rr[:-1])])
    f_start = r_times[0] - 0.2  # a flutter wave 0.2 s (the AV delay) before the first QRS
    if len(set(flutter_conduction)) > 1:
        # variable conduction: the flutter-wave-to-QRS interval varies from beat to beat (concealed conduction)
        r_times = r_times + rng.uniform(-0.04, 0.08, len(r_times))
    r_times = r_times[r_times < duration_s + 0.5]

    heart = np.zeros((n, 3))  # [n_samples, xyz]
    no_p = atrial_fibrillation or bool(flutter_conduction)
    waves = [w for w in NORMAL_SINUS_WAVES if not (no_p and w.offset_s < -0.1)]
    for i, r_time in enumerate(r_times):
        rr_s = rr[min(i, len(rr) - 1)]
        for wave in waves:
            heart += np.outer(np.exp(-0.5 * ((t - r_time - wave.offset_s) / wave.width_s) ** 2), wave.vector_mv)
        if flutter_conduction:  # QT adapts to the rate over minutes, not beat to beat (variable conduction)
            rr_s = float(np.mean(rr))
        qt_s = 0.40 * np.sqrt(rr_s)  # Bazett-like QT that follows the rate
        t_peak = r_time + qt_s - 0.10
        # A T wave rises slowly and falls faster: two half-Gaussians.
        width = np.where(t < t_peak, T_WAVE.width_s * 1.25, T_WAVE.width_s * 0.75)
        heart += np.outer(np.exp(-0.5 * ((t - t_peak) / width) ** 2), T_WAVE.vector_mv)
    if atrial_fibrillation:
        f_rate = rng.uniform(5.0, 7.0)
        phase = 2 * np.pi * f_rate * t + 0.8 * np.sin(2 * np.pi * 0.7 * t)
        heart += np.outer(0.03 * np.sin(phase), (0.3, 0.3, -0.9))
    if flutter_conduction:
        # each QRS follows a flutter wave by an AV delay of 0.2 s; a slow limb and a fast one (sawtooth)
        wave = sawtooth(2 * np.pi * flutter_rate_per_min / 60.0 * (t - f_start), width=0.8)
        heart += np.outer(wave, flutter_amplitude_mv * np.array([0.0, -1.0, -0.67]))

    # Baseline wander (breathing) moves the whole heart vector, so the limb leads stay consistent.
    heart += 0.06 * np.sin(2 * np.pi * 0.15 * t[:, None] + rng.uniform(0, 2 * np.pi, 3))
    eight = heart @ _DOWER.T  # [n_samples, 8] V1..V6, I, II
    v_leads, lead_i, lead_ii = eight[:, :6], eight[:, 6], eight[:, 7]
    limb = np.stack(
        [lead_i, lead_ii, lead_ii - lead_i, -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2, lead_ii - lead_i / 2],
        axis=1,
    )
    signal = np.concatenate([limb, v_leads], axis=1)  # [n_samples, 12]
    signal = signal + rng.normal(0.0, noise_mv, signal.shape)
    return ECG(
        signal.astype(np.float32),
        fs=fs,
        leads=STANDARD_LEADS,
        record_id=record_id or ("sim-af" if atrial_fibrillation else "sim-flutter" if flutter_conduction else "sim-sinus"),
        age=age,
        sex=sex,
        metadata={"simulated": True, "hr_bpm_target": hr_bpm, "seed": seed,
                  "rhythm": "atrial fibrillation" if atrial_fibrillation else "atrial flutter" if flutter_conduction
                  else "sinus rhythm"},
    )
