"""Adult resting 12-lead reference ranges and the flag of a measured value against them.

One table, :data:`RANGES`: every row names its source. The report table, the agent's
``measurements`` tool, the grounding check and the NORM rule all read it; nothing else in
medts holds a limit.

The limits are adult ones. For a patient younger than :data:`ADULT_AGE_YEARS` the values of
:data:`AGE_DEPENDENT` are shown but not judged (flag ``not_judged``: "cannot tell for this age"),
because a child's normal rate, PR, QRS, axis and voltages change with age and medts holds no
paediatric table (:data:`PAEDIATRIC_REASON`).

Example
-------
>>> reference_range("qtc_bazett_ms", "F")
(None, 460.0)
>>> flag_value(212.0, 120.0, 200.0), flag_value(None, 120.0, 200.0)
('high', 'unmeasured')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

Flag = Literal["normal", "low", "high", "unmeasured", "not_judged"]

AHA_2007_I = "AHA/ACCF/HRS 2007 recommendations, part I (Kligfield et al., Circulation 2007;115:1306)"
AHA_2009_III = "AHA/ACCF/HRS 2009 recommendations, part III: intraventricular conduction (Surawicz et al., Circulation 2009;119:e235)"
AHA_2009_IV = "AHA/ACCF/HRS 2009 recommendations, part IV: ST segment, T and U waves, QT (Rautaharju et al., Circulation 2009;119:e241)"
AHA_2009_V = "AHA/ACCF/HRS 2009 recommendations, part V: chamber hypertrophy (Hancock et al., Circulation 2009;119:e251)"
SOKOLOW_1949 = "Sokolow & Lyon, Am Heart J 1949;37:161 (as adopted by AHA/ACCF/HRS 2009 part V)"
CORNELL_1985 = "Casale et al. (Cornell voltage), Circulation 1985;72:565 (as adopted by AHA/ACCF/HRS 2009 part V)"
ACC_AHA_HRS_2018_BRADY = ("2018 ACC/AHA/HRS guideline on bradycardia and cardiac conduction delay (Kusumoto et al., "
                          "Circulation 2019;140:e382): sinus bradycardia is a sinus rate < 50 bpm")

BRADY_BPM = 50.0
"""Sinus bradycardia below this rate (bpm), and the low limit of the normal heart rate.

The 2018 ACC/AHA/HRS bradycardia guideline (:data:`ACC_AHA_HRS_2018_BRADY`) sets < 50 bpm; the
AHA/ACCF/HRS 2007-2009 standardization statements use < 60 bpm and note 50 as an alternative.
Checked on the tuning records only (LUDB 1-80 and PTB-XL folds 1-8, 803 records): errors on the
SBRAD label were 19 at < 50, 41 at < 55 and 116 at < 60 bpm (PTB-XL labels SBRAD below about
50 bpm, LUDB below about 55; neither labels 56-60 bpm as bradycardia). Held out: LUDB 81-160 and
PTB-XL fold 9 (``medts bench interpretation``). Rechecked per set with rhythm rules 3b/4b (issue #13):
rhythm label agreement LUDB 1-80 65/80 at < 50, 72/80 at < 55, 61/80 at < 60 bpm; PTB-XL folds 1-8
620/684, 597/684, 547/684: < 60 lowers both tuning sets, so < 50 stays."""
TACHY_BPM = 100.0
"""Sinus tachycardia above this rate (bpm), and the high limit of the normal heart rate (AHA/ACCF/HRS 2007 part I)."""


@dataclass(frozen=True)
class ReferenceRange:
    """Normal adult range of one measurement; ``high_female`` where women have their own limit."""

    name: str
    label: str
    unit: str
    low: float | None
    high: float | None
    source: str
    high_female: float | None = None


RANGES: dict[str, ReferenceRange] = {r.name: r for r in (
    ReferenceRange("hr_bpm", "Heart rate", "bpm", BRADY_BPM, TACHY_BPM,
                   f"{ACC_AHA_HRS_2018_BRADY} (low limit); {AHA_2007_I} (high limit)"),
    ReferenceRange("rr_ms", "RR interval", "ms", 60000.0 / TACHY_BPM, 60000.0 / BRADY_BPM,
                   f"the heart-rate limits ({BRADY_BPM:g}-{TACHY_BPM:g} bpm) as RR: "
                   f"{ACC_AHA_HRS_2018_BRADY}; {AHA_2007_I}"),
    ReferenceRange("pr_ms", "PR interval", "ms", 120.0, 200.0, AHA_2009_III),
    ReferenceRange("p_duration_ms", "P duration", "ms", None, 120.0, AHA_2009_V),
    ReferenceRange("qrs_ms", "QRS duration", "ms", None, 110.0, AHA_2009_III),
    ReferenceRange("qt_ms", "QT interval", "ms", None, None, AHA_2009_IV + " (QT is judged corrected)"),
    ReferenceRange("qtc_bazett_ms", "QTc (Bazett)", "ms", None, 450.0, AHA_2009_IV, high_female=460.0),
    ReferenceRange("qtc_fridericia_ms", "QTc (Fridericia)", "ms", None, 450.0, AHA_2009_IV, high_female=460.0),
    ReferenceRange("p_axis_deg", "P axis", "deg", 0.0, 90.0, AHA_2007_I + " (sinus P axis 0 to +90 deg; negative: ectopic atrial or reversed leads)"),
    ReferenceRange("qrs_axis_deg", "QRS axis", "deg", -30.0, 90.0, AHA_2009_III),
    ReferenceRange("t_axis_deg", "T axis", "deg", None, None, AHA_2009_IV),
    ReferenceRange("sokolow_lyon_mv", "Sokolow-Lyon voltage", "mV", None, 3.5, SOKOLOW_1949),
    ReferenceRange("cornell_mv", "Cornell voltage", "mV", None, 2.8, CORNELL_1985, high_female=2.0),
)}

RIJNBEEK_2001 = ("Rijnbeek et al., New normal limits for the paediatric electrocardiogram, Eur Heart J 2001;22:702 "
                 "(1,912 healthy children aged 11 days to 16 years, nine age groups)")
ADULT_AGE_YEARS = 16.0
"""The age (years) from which the adult limits of :data:`RANGES` are applied. Paediatric normal limits are
published up to 16 years (:data:`RIJNBEEK_2001`) and differ from the adult ones by age group: an infant's normal
rate is far above 100 bpm and its axis right of +90 deg, a young child's normal QRS is well under 110 ms and its
precordial voltages above the adult LVH criteria. medts holds no paediatric table, so below this age it says
"cannot tell for this age" instead of judging against adult limits (either way would mislead: adult limits call
a normal child's rate tachycardic and miss a QRS that is wide for a 4-year-old)."""
AGE_DEPENDENT = ("hr_bpm", "rr_ms", "pr_ms", "p_duration_ms", "qrs_ms", "qrs_axis_deg", "sokolow_lyon_mv", "cornell_mv")
"""Values whose normal limits depend on a child's age (:data:`RIJNBEEK_2001`). QTc keeps its adult limits at every
age (a rate-corrected interval whose paediatric upper limits after the first months are close to 450/460 ms), and
the sinus P axis (0 to +90 deg) does not change with age."""


def is_child(age_years: float | None) -> bool:
    """Whether the adult limits do not apply: a recorded age under :data:`ADULT_AGE_YEARS` (None: adult limits)."""
    return age_years is not None and math.isfinite(age_years) and age_years < ADULT_AGE_YEARS


PAEDIATRIC_REASON = (f"patient under {ADULT_AGE_YEARS:g} years: adult limits do not apply and medts holds no "
                     f"paediatric limits")
"""Why a child's value or statement is not judged. It names no age, so a de-identified report keeps only its band."""


REPORTED_VALUES = tuple(RANGES)
"""Measurements shown in the report table and the agent's ``measurements`` tool, in this order."""


def reference_range(name: str, sex: str | None, age_years: float | None = None) -> tuple[float | None, float | None]:
    """``(low, high)`` of ``name`` for ``sex`` (``"M"``, ``"F"`` or None: the male limit); ``(None, None)`` for an
    :data:`AGE_DEPENDENT` value of a child (:func:`is_child`; ``age_years`` None: an adult)."""
    r = RANGES.get(name)
    if r is None or (name in AGE_DEPENDENT and is_child(age_years)):
        return None, None
    high = r.high_female if sex == "F" and r.high_female is not None else r.high
    return r.low, high


def flag_value(value: float | None, low: float | None, high: float | None) -> Flag:
    """``normal``, ``low`` or ``high`` against the range; ``unmeasured`` for None/NaN."""
    if value is None or not math.isfinite(value):
        return "unmeasured"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


def judged_flag(name: str, value: float | None, low: float | None, high: float | None, *, child: bool) -> Flag:
    """:func:`flag_value`, except ``not_judged`` for a measured :data:`AGE_DEPENDENT` value of a child: the one rule
    the flags are made by and checked against (:mod:`medts.interpret.contradictions`).

    >>> judged_flag("hr_bpm", 125.0, None, None, child=True), judged_flag("hr_bpm", 125.0, 50.0, 100.0, child=False)
    ('not_judged', 'high')
    """
    flag = flag_value(value, low, high)
    return "not_judged" if child and flag != "unmeasured" and name in AGE_DEPENDENT else flag


FLAG_TEXT: dict[str, str] = {"normal": "normal", "low": "LOW", "high": "HIGH", "unmeasured": "not measured",
                             "not_judged": "not judged for age"}
"""How each flag is written in a table or a report line (every surface writes it so)."""


class MeasurementFlag(BaseModel):
    """One measured value against its reference range."""

    name: str
    label: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    flag: Flag
    quality: str | None = None
    reason: str | None = None
    source: str

    @property
    def abnormal(self) -> bool:
        return self.flag in ("low", "high")


def flag_measurements(m, sex: str | None, age_years: float | None = None) -> list[MeasurementFlag]:
    """The :data:`REPORTED_VALUES` of a ``medts.signal.Measurements`` with ranges and flags.

    Values are rounded as shown (1 decimal, 3 for mV) before flagging, so a shown value and its
    flag always agree. A measured :data:`AGE_DEPENDENT` value of a child (``age_years`` under
    :data:`ADULT_AGE_YEARS`) gets no limits and the flag ``not_judged``, its reason saying why.
    """
    out = []
    for name in REPORTED_VALUES:
        v = getattr(m, name, None)
        if v is None:
            continue
        low, high = reference_range(name, sex, age_years)
        value = None if v.value is None else round(float(v.value), 3 if v.unit == "mV" else 1)
        flag, reason, source = judged_flag(name, value, low, high, child=is_child(age_years)), v.reason, RANGES[name].source
        if flag == "not_judged":
            reason, source = "; ".join(filter(None, [v.reason, PAEDIATRIC_REASON])), RIJNBEEK_2001
        out.append(MeasurementFlag(name=name, label=RANGES[name].label, value=value, unit=v.unit, low=low, high=high,
                                   flag=flag, quality=v.quality, reason=reason, source=source))
    return out
