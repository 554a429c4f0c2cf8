"""Premature beats on a 10 s record: premature atrial (PAC) and ventricular (PVC) complexes.

The engine decides PAC and PVC from the measured beats (the classifiers' own calls are shown beside
the decision but do not decide; on the tuning records the shipped ``classifier-all`` found 0 of 27
PAC records and called PVC on 34 records without one):

1. A beat is *premature* when :func:`medts.interpret.rhythm.ectopic_rr` sets it aside: its RR is below
   ``PREMATURE_FRACTION`` (85 %) of the median RR, alone or as a couplet, and a pause follows it. Here the
   pause must lie inside the record (an early last beat is not read: the record may have cut it), and
   at most half of the beats may be premature (bigeminy; more is another rhythm).
2. Its origin comes from the width of its QRS (fused onset to offset over the leads) against the
   median width of the dominant beats (Surawicz & Knilans, Chou's Electrocardiography in Clinical
   Practice, 6th ed., ch. 17-18: a ventricular premature complex is wide and differs from the conducted
   beats; a supraventricular one is conducted like them):

   - ventricular (PVC): at least ``VENTRICULAR_WIDENING_MS`` (30 ms) wider than the dominant beats and at
     least ``VENTRICULAR_MIN_MS`` (110 ms) wide;
   - atrial (PAC): within ``SUPRAVENTRICULAR_WIDTH_MS`` (20 ms) of the dominant width, in a sinus rhythm
     (a narrow early beat in atrial fibrillation is part of the rhythm), and early against the RR before it too
     (below ``PAC_PRECEDING_FRACTION`` = 85 % of it: sinus arrhythmia shortens RR gradually, an atrial premature
     beat abruptly);
   - otherwise, or when the dominant QRS is itself wide (>= 120 ms: a bundle-branch block hides the widening),
     the origin is not told and neither statement is asserted for that beat.

3. No premature beat among at least ``rhythm.MIN_BEATS`` beats: PAC and PVC are absent. A paced rhythm or too
   few beats: cannot tell.

Set on the tuning records only, PTB-XL folds 1-8 and LUDB 1-80 (27 PAC and 35 PVC records among 803;
widening 20/30/40 ms, narrow band 10/20 ms, PAC prematurity 0.75-0.85 of the median and 0.80-1.0 of the RR
before, pause inside the record or not were tried): PAC sensitivity 0.56 at specificity 0.991 (0.00 for the
classifier), PVC 0.57 at 0.995 (classifier 0.57 at 0.956). PTB-XL fold 9 and LUDB 81-160 held out
(``medts bench interpretation``).

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.interpret.rhythm import call_rhythm
>>> from medts.signal.measure import measure_ecg
>>> m = measure_ecg(simulate_example("sinus"))
>>> call = premature_beats(m, call_rhythm(m))
>>> call.pac, call.pvc
(False, False)
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from medts.interpret.rhythm import (
    MIN_BEATS,
    PREMATURE_FRACTION,
    RhythmCall,
    beat_qrs_ms,
    ectopic_rr,
)
from medts.interpret.statements import WIDE_QRS_MS

VENTRICULAR_WIDENING_MS = 30.0
VENTRICULAR_MIN_MS = 110.0
SUPRAVENTRICULAR_WIDTH_MS = 20.0
PAC_PRECEDING_FRACTION = 0.85
MAX_PREMATURE_SHARE = 0.5
ECTOPY_SOURCE = "Surawicz & Knilans, Chou's Electrocardiography in Clinical Practice, 6th ed., ch. 17-18"
SINUS_CODES = ("SR", "STACH", "SBRAD", "SARRH")


class EctopyCall(BaseModel):
    """Premature beats of one record: ``pac`` / ``pvc`` True, False, or None (cannot tell), with the reason."""

    pac: bool | None
    pvc: bool | None
    ventricular: int = 0
    supraventricular: int = 0
    untold: int = 0
    """Premature beats whose origin the width does not tell."""
    dominant_qrs_ms: float | None = None
    reason: str


def premature_beats(m, rhythm: RhythmCall) -> EctopyCall:
    """PAC / PVC of a ``medts.signal.Measurements`` given its rhythm call (see the module rules)."""
    n = len(m.beats)
    if n < MIN_BEATS:
        return EctopyCall(pac=None, pvc=None, reason=f"premature beats need at least {MIN_BEATS} beats, found {n}")
    if "PACE" in rhythm.codes:
        return EctopyCall(pac=None, pvc=None, reason=f"{rhythm.label}: premature beats are not read from a paced rhythm")
    r = np.array([b.r_peak for b in m.beats], dtype=float)
    rr = np.diff(r) * 1000.0 / float(m.fs_hz)
    premature = ectopic_rr(rr, float(np.median(rr)), pause_in_record=True).tolist()
    if not premature:
        return EctopyCall(pac=False, pvc=False, reason=f"no premature beat followed by a pause among {n} beats "
                                                       f"(premature: RR below {100 * PREMATURE_FRACTION:.0f} % of the median)")
    if len(premature) > MAX_PREMATURE_SHARE * n:
        return EctopyCall(pac=None, pvc=None, reason=f"{len(premature)} of {n} beats come early: the early beats are "
                                                      "the rhythm itself, not ectopy that can be told apart")
    widths = beat_qrs_ms(m)
    dominant = np.ones(n, bool)
    dominant[[i + 1 for i in premature]] = False
    dom_widths = widths[dominant & np.isfinite(widths)]
    dom = float(np.median(dom_widths)) if len(dom_widths) else None
    sinus = rhythm.code in SINUS_CODES
    v = s = untold = 0
    for i in premature:
        w = widths[i + 1]
        if dom is None or not np.isfinite(w):
            untold += 1
        elif w - dom >= VENTRICULAR_WIDENING_MS and w >= VENTRICULAR_MIN_MS:
            v += 1
        elif (dom < WIDE_QRS_MS and abs(w - dom) <= SUPRAVENTRICULAR_WIDTH_MS and sinus
              and (i == 0 or rr[i] < PAC_PRECEDING_FRACTION * rr[i - 1])):
            s += 1
        else:
            untold += 1
    dom_text = f"dominant QRS {dom:.0f} ms" if dom is not None else "dominant QRS width not measured"
    parts = [f"{len(premature)} premature beat(s) followed by a pause among {n} beats ({dom_text})"]
    if v:
        parts.append(f"{v} wide (>= {VENTRICULAR_WIDENING_MS:.0f} ms wider than the dominant beats): ventricular")
    if s:
        parts.append(f"{s} narrow like the dominant beats in {rhythm.label}: atrial")
    if untold:
        why = ("the dominant QRS is wide, which hides the widening" if dom is not None and dom >= WIDE_QRS_MS
               else "width or rhythm does not tell the origin")
        parts.append(f"{untold} of untold origin ({why})")
    reason = "; ".join(parts)
    # a beat of untold origin leaves the statement it might be undecided, unless another beat decided it
    pvc = True if v else (None if untold else False)
    pac = True if s else None if untold and rhythm.code not in ("AFIB", "AFLT") else False
    return EctopyCall(pac=pac, pvc=pvc, ventricular=v, supraventricular=s, untold=untold,
                      dominant_qrs_ms=None if dom is None else round(dom, 1), reason=reason)
