"""The one-line verdict every report text and chat answer opens with.

Built only from :class:`~medts.interpret.reconcile.Findings` (asserted statements, rhythm, rate,
abnormal flags), so no writer, template or LLM can contradict it.

Examples: "Atrial fibrillation with rapid ventricular response, heart rate 102 bpm; no other
abnormality." / "Sinus rhythm, heart rate 68 bpm; normal ECG." / "Cannot interpret: 3 of 12
leads usable."
"""

from __future__ import annotations

from medts.interpret.longterm import PAUSE_S, RUN_MIN_BEATS
from medts.interpret.ranges import BRADY_BPM, PAEDIATRIC_REASON, TACHY_BPM, is_child

NOT_LISTED = ("NORM", "SR", "STACH", "SBRAD", "SARRH", "AFIB", "AFLT", "PACE")
"""Asserted codes the rhythm phrase already says (or NORM, said separately)."""

FLAG_STATEMENTS = {"hr_bpm": ("STACH", "SBRAD", "AFIB", "AFLT"), "rr_ms": ("STACH", "SBRAD", "AFIB", "AFLT"), "pr_ms": ("1AVB",),
                   "qrs_ms": ("CLBBB", "CRBBB", "IVCD", "ILBBB", "IRBBB", "WPW"), "qtc_bazett_ms": ("LNGQT",),
                   "qtc_fridericia_ms": ("LNGQT",), "sokolow_lyon_mv": ("LVH", "VCLVH"), "cornell_mv": ("LVH", "VCLVH"),
                   "qrs_axis_deg": ("LAFB", "LPFB")}
"""An abnormal flag is not repeated in the verdict when a statement that explains it is asserted."""


SHORT = {"MI": "myocardial infarction (superclass)", "STTC": "ST/T change (superclass)",
         "CD": "conduction disturbance (superclass)", "HYP": "hypertrophy (superclass)"}
"""Superclass codes by name only: their long descriptions list example statements (WPW, ...)
that a reader would take for findings."""


P_WAVE_VALUES = ("p_axis_deg", "pr_ms", "p_duration_ms")
"""Values read from P waves: the verdict names them only when the rhythm call found consistent P waves. A paced
atrial fibrillation (LUDB 8, six limb leads) got "P axis -51 deg (low)" from deflections that are no P waves; the
values and their flags stay in the measurement table."""


def _rate_phrase(f) -> str:
    hr = f.rhythm.features.hr_bpm
    if f.rhythm.code == "AFIB" and "PACE" in f.rhythm.codes:  # the paced rate is no ventricular response
        return "Atrial fibrillation with ventricular pacing" + (f", heart rate {hr:.0f} bpm" if hr is not None else "")
    if f.rhythm.code == "AFIB" and hr is not None:
        speed = "" if is_child(f.age_years) else " with rapid ventricular response" if hr > TACHY_BPM \
            else " with slow ventricular response" if hr < BRADY_BPM else ""
        return f"Atrial fibrillation{speed}, heart rate {hr:.0f} bpm"
    if f.rhythm.code is not None:
        label = f.rhythm.label[0].upper() + f.rhythm.label[1:]
        head = f"{label}, heart rate {hr:.0f} bpm" if hr is not None else label
        return head + (f" ({f.rhythm.caveat})" if f.rhythm.caveat else "")
    if f.rhythm.regular is None:
        why = "too few beats"
    else:  # fixed words: the reason text names statements (e.g. the AF the classifier did not confirm)
        why = f"{'regular' if f.rhythm.regular else 'irregular'} RR, no consistent P wave before the QRS"
    return f"Rhythm: cannot tell ({why})" + (f", heart rate {hr:.0f} bpm" if hr is not None else "")


def make_verdict(f) -> str:
    """The verdict line of :class:`~medts.interpret.reconcile.Findings` ``f``."""
    if f.quality.abstain:
        return f"Cannot interpret: signal quality poor ({f.quality.reason})."
    head = _rate_phrase(f)
    codes = f.codes()
    others = [SHORT.get(s.code, s.description) for s in f.asserted if s.code not in NOT_LISTED]
    explained = set(codes)
    flags = [f"{fl.label} {fl.value:g} {fl.unit} ({fl.flag})" for fl in f.abnormal_flags
             if not explained & set(FLAG_STATEMENTS.get(fl.name, ())) and fl.name not in ("rr_ms", "hr_bpm")
             and not (fl.name in P_WAVE_VALUES and f.rhythm.p_waves_consistent is not True)]
    if f.axis.category not in (None, "normal axis") and not explained & {"LAFB", "LPFB"}:
        flags = [x for x in flags if not x.startswith("QRS axis")] + [f"{f.axis.category} (QRS axis {f.axis.axis_deg:.0f} deg)"]
    absent = f.quality.absent_leads
    if "NORM" in codes:
        tail = "normal ECG"
    elif others or flags:
        tail = "; ".join(others + flags)
    else:
        tail = "no other abnormality" if f.classifier_available else "no other abnormal measurement"
        if is_child(f.age_years):  # what was not judged is said next; "no abnormality" alone would read as all clear
            tail += " by the criteria that do not depend on age"
        if absent:  # "no abnormality" must not read as a clean 12-lead ECG
            tail += f" in the {len(f.quality.usable_leads)} usable lead(s)"
    if not f.classifier_available:
        tail += " (statement classifier not run)"
    if is_child(f.age_years):
        tail += f"; rate, PR, QRS, axis and voltages not judged for age ({PAEDIATRIC_REASON})"
    if absent:
        tail += f"; {_missing_phrase(absent)}: statements that need them not assessed"
    if f.quality.limb_lead_reversal:  # axis and limb-lead Q waves are what a reversal changes first
        tail += f"; {f.quality.limb_lead_reversal}: axis and limb-lead findings may be artefacts, check the electrodes"
    inverted = [lead for lead, flags in f.quality.lead_flags.items() if "possibly_inverted" in flags]
    if inverted and not f.quality.limb_lead_reversal:
        tail += (f"; lead(s) {', '.join(inverted)} possibly inverted (polarity against the other leads): findings "
                 "in them may be artefacts, check the electrodes or the export")
    return f"{head}; {tail}."


def _missing_phrase(leads: list[str]) -> str:
    """The absent leads by name, or by count when there are many (a 1-lead record lacks 11)."""
    return f"lead(s) {', '.join(leads)} missing or flat" if len(leads) <= 4 else f"{len(leads)} of 12 leads missing or flat"


def unavailable_verdict(reason: str) -> str:
    """The verdict when the measurements could not be made (nothing can be checked)."""
    return f"Cannot interpret: measurements unavailable ({reason})."


def _count(n: int, one: str) -> str:
    return f"{n} {one if n == 1 else one + 's'}"


def whole_record_sentence(res, resting_codes: set[str], resting_s: float) -> str:
    """The sentence a report on a long record adds after its verdict: what the windowed analysis of the
    whole recording (:class:`medts.longterm.result.LongTermResult` ``res``) found, in words a reader can
    set beside the resting analysis of the first ``resting_s`` seconds (its asserted codes
    ``resting_codes``). Where the two disagree on atrial fibrillation over the span both read, it says
    so ("cannot tell") instead of taking a side; it never denies an ectopic beat the resting analysis
    asserts. No rate in it: the verdict's rate is the excerpt's."""
    e = res.ectopy
    head = (f"Whole recording ({res.duration_s / 60:.1f} min, {res.window_s:g}-s windows on lead {res.lead}, "
            f"{_count(res.poor_quality_windows, 'poor-quality window')}): ")
    resting_af = bool(resting_codes & {"AFIB", "AFLT"})
    read_both = [w for w in res.windows if w.start_s < resting_s]
    windowed_af = any(w.rhythm == "AF/flutter" for w in read_both)
    parts = []
    if resting_af != windowed_af and read_both:
        parts.append(f"atrial fibrillation or flutter in the first {resting_s:g} s: cannot tell (the resting analysis "
                     f"{'reads it' if resting_af else 'does not'}, the windowed analysis "
                     f"{'does not' if resting_af else 'reads it'}; check the tracing)")
    if res.episodes:
        parts.append(f"AF/flutter in {_count(len(res.episodes), 'episode')} from {res.episodes[0].onset_s:g} s, "
                     f"burden {res.af_burden_percent:g}%")
    elif not resting_af:
        parts.append("no AF/flutter episode")
    for kind, name, code in (("V", "ventricular", "PVC"), ("S", "supraventricular", "PAC")):
        n = e.counts[kind]
        if n == 0:
            parts.append(f"{name} ectopic beats: none called by the windowed analysis" if code in resting_codes
                         else f"no {name} ectopic beat")
            continue
        runs = sum(1 for r in e.runs if r.kind == kind)
        extra = [x for x in (_count(e.couplets[kind], "couplet") if e.couplets[kind] else "",
                             _count(runs, "run") + f" of {RUN_MIN_BEATS} or more" if runs else "") if x]
        parts.append(f"{_count(n, f'{name} ectopic beat')} ({e.burden_percent[kind]:g}% of {e.n_beats} beats"
                     + "".join(f", {x}" for x in extra) + ")")
    if res.pauses:
        longest = max(p.duration_s for p in res.pauses)
        parts.append(f"{_count(len(res.pauses), 'pause')} of {PAUSE_S:g} s or more (longest {longest:g} s)")
    else:
        parts.append(f"no pause of {PAUSE_S:g} s or more")
    return head + "; ".join(parts) + "."
