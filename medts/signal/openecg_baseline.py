"""openecg (PyPI ``openecg==0.11.0``, Apache-2.0) as a delineation baseline; not used by medts itself.

openecg's bundled layered codec (``codec_v6.pt``, 1.16 M parameters, 4.9 MB, shipped inside the wheel:
nothing is downloaded) labels every sample of one lead as other / P / QRS / T. It was trained on
**10 s windows at 500 Hz**, single lead, rank-normalised input (``openecg.encode`` normalises, so any
amplitude unit works; medts passes mV). This module

* resamples a lead to 500 Hz when needed (``scipy.signal.resample_poly``) and maps the labels back to
  the caller's sample grid;
* runs ``openecg.encode`` on 10 s windows overlapping by 4 s and keeps each sample's label from a window
  where it has at least 2 s of context on both sides (except at the signal's ends). Signals shorter than
  10 s are refused: the model never saw a shorter window. (``openecg.encode_stream`` 0.11.0 is not used:
  when its last window is pulled back to end at the signal's end it still cuts that window as if it had
  not moved, so labels after the second-to-last window shift, e.g. by 1 s for a 15 s signal.)
* turns the label runs into per-beat fiducials aligned with the QRS runs, like the NeuroKit2 baselines.

openecg was trained on LUDB records of its own split (``data/splits/ludb_v1.json`` in
github.com/vitaldb/openecg: train = 159 records, val = 41) and on all of QTDB and ISP, so it may only be
scored on its LUDB *val* records (``OPENECG_LUDB_VAL``); see ``medts bench delineation``.

Example
-------
>>> import neurokit2 as nk
>>> x = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=1)
>>> f = openecg_lead_fiducials(x, 500.0)
>>> sorted(f) == sorted(FIDUCIALS) and len(f["QRS_on"]) > 5
True
"""

from __future__ import annotations

import contextlib
import io
import warnings
from functools import lru_cache
from math import gcd

import numpy as np
import scipy.signal

from medts.signal.delineate import FIDUCIALS

OPENECG_VERSION = "0.11.0"
OPENECG_FS_HZ = 500
OPENECG_WINDOW_S = 10.0
OPENECG_GUARD_S = 2.0

# openecg's LUDB validation split (seed 42, rhythm-stratified 20 %), copied from
# github.com/vitaldb/openecg data/splits/ludb_v1.json (commit e97e989): the only LUDB records its models
# were not trained on. The other 159 LUDB records are in its training split.
OPENECG_LUDB_VAL: tuple[int, ...] = (
    10, 11, 14, 20, 21, 22, 28, 33, 34, 35, 39, 47, 48, 53, 55, 56, 66, 67, 70, 72, 73, 74, 78,
    91, 92, 93, 95, 101, 115, 119, 120, 133, 135, 154, 174, 178, 179, 189, 191, 194, 196,
)

# Frame classes of openecg's frame channel (openecg.eval.SUPER_*): 4 = paced QRS, counted as QRS here.
_OTHER, _P, _QRS, _T, _PACED_QRS = 0, 1, 2, 3, 4
WAVE_CLASSES = {"P": (_P,), "QRS": (_QRS, _PACED_QRS), "T": (_T,)}


@lru_cache(maxsize=1)
def _codec():
    """The bundled codec_v6 torch model, loaded once (quietly: torch warns about its layer options)."""
    import openecg

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return openecg.load_codec()


def openecg_frame_labels(x: np.ndarray, fs: float) -> np.ndarray:
    """Per-sample wave class of one lead (uint8 ``[len(x)]``: 0 other, 1 P, 2 QRS, 3 T, 4 paced QRS).

    ``x`` is one lead in any amplitude unit (openecg rank-normalises each window); ``fs`` in Hz.
    Raises ``ValueError`` for a signal shorter than 10 s.
    """
    import openecg

    x = np.asarray(x, dtype=float)
    if len(x) < OPENECG_WINDOW_S * fs:
        raise ValueError(f"openecg needs at least {OPENECG_WINDOW_S:g} s of signal; got {len(x) / fs:.2f} s")
    x500 = _to_500hz(np.nan_to_num(x), fs)
    win, guard = round(OPENECG_WINDOW_S * OPENECG_FS_HZ), round(OPENECG_GUARD_S * OPENECG_FS_HZ)
    starts = list(range(0, len(x500) - win, win - 2 * guard)) + [len(x500) - win]
    labels = np.zeros(len(x500), dtype=np.uint8)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for i, start in enumerate(starts):
            frame = openecg.encode(x500[start:start + win], fs=OPENECG_FS_HZ, model=_codec()).frame
            # A later window overwrites an earlier one from its own guard band on: the earlier window
            # keeps the samples up to there (>= 2 s of context on both sides in one of them).
            lo = 0 if i == 0 else guard
            labels[start + lo:start + win] = frame[lo:]
    if round(fs) == OPENECG_FS_HZ:
        return np.asarray(labels, dtype=np.uint8)
    # Nearest 500 Hz label for each input sample.
    idx = np.minimum(np.round(np.arange(len(x)) * OPENECG_FS_HZ / fs).astype(np.int64), len(labels) - 1)
    return np.asarray(labels[idx], dtype=np.uint8)


def _to_500hz(x: np.ndarray, fs: float) -> np.ndarray:
    if round(fs) == OPENECG_FS_HZ:
        return x.astype(np.float32)
    g = gcd(OPENECG_FS_HZ, round(fs))
    return scipy.signal.resample_poly(x, OPENECG_FS_HZ // g, round(fs) // g).astype(np.float32)


def label_runs(labels: np.ndarray, classes: tuple[int, ...]) -> list[tuple[int, int]]:
    """``(first, last)`` sample of each run of ``labels`` in ``classes`` (inclusive bounds)."""
    mask = np.isin(labels, classes).astype(np.int8)
    edges = np.diff(np.concatenate([[0], mask, [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _peak(x: np.ndarray, on: int, off: int) -> int:
    """Sample of the largest deviation from the chord joining the wave's ends (medts's P/T peak rule)."""
    seg = x[on:off + 1]
    chord = np.linspace(seg[0], seg[-1], len(seg))
    return on + int(np.argmax(np.abs(seg - chord)))


def fiducials_from_labels(x: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Per-beat fiducials (float ``[n_qrs]``, samples, NaN = no wave) from per-sample wave labels.

    One beat per QRS run. Its P wave is the last P run between the previous QRS and this one; its
    T wave is the first T run between this QRS and the next. P/T runs with no QRS beside them (at
    the window edges, or blocked P waves) are dropped, as NeuroKit2's per-R-peak output drops them.
    Peaks: largest deviation from the chord across the run.
    """
    x = np.asarray(x, dtype=float)
    qrs = label_runs(labels, WAVE_CLASSES["QRS"])
    p_runs, t_runs = label_runs(labels, WAVE_CLASSES["P"]), label_runs(labels, WAVE_CLASSES["T"])
    out = {k: np.full(len(qrs), np.nan) for k in FIDUCIALS}
    for i, (on, off) in enumerate(qrs):
        out["QRS_on"][i], out["QRS_off"][i], out["QRS_peak"][i] = on, off, _peak(x, on, off)
        lo = qrs[i - 1][1] if i > 0 else -1
        hi = qrs[i + 1][0] if i + 1 < len(qrs) else len(x)
        p = [r for r in p_runs if lo < r[0] and r[1] < on]
        t = [r for r in t_runs if off < r[0] and r[1] < hi]
        for kind, runs in (("P", p[-1:]), ("T", t[:1])):
            if runs:
                a, b = runs[0]
                out[f"{kind}_on"][i], out[f"{kind}_off"][i], out[f"{kind}_peak"][i] = a, b, _peak(x, a, b)
    return out


def openecg_lead_fiducials(x: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """openecg's per-beat fiducials of one lead (samples at ``fs``; see ``fiducials_from_labels``)."""
    return fiducials_from_labels(x, openecg_frame_labels(x, fs))
