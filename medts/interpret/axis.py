"""The frontal QRS axis category (AHA/ACCF/HRS 2009 part III, Surawicz et al.).

normal -30..+90 deg; left axis deviation below -30 (to -90); right axis deviation above +90
(to +180); extreme (northwest) axis -90..-180. The axis itself is measured by
:func:`medts.signal.intervals.axis_deg` (net QRS area in I and aVF over the fused QRS span,
median over beats).

>>> axis_category(-45.0), axis_category(60.0), axis_category(None)
('left axis deviation', 'normal axis', None)
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from medts.interpret.ranges import AHA_2009_III, is_child, PAEDIATRIC_REASON

AXIS_SOURCE = AHA_2009_III
CATEGORIES = ("normal axis", "left axis deviation", "right axis deviation", "extreme axis deviation")
NOT_CATEGORISED = "not categorised for age"
"""How a report writes the category of a child's measured axis (:func:`call_axis` gives it none)."""


class AxisCall(BaseModel):
    axis_deg: float | None
    category: str | None
    reason: str
    source: str = AXIS_SOURCE


def axis_category(axis_deg: float | None) -> str | None:
    """One of :data:`CATEGORIES`, None when the axis is unknown."""
    if axis_deg is None or not math.isfinite(axis_deg):
        return None
    a = (axis_deg + 180.0) % 360.0 - 180.0
    if -30.0 <= a <= 90.0:
        return "normal axis"
    if -90.0 <= a < -30.0:
        return "left axis deviation"
    if 90.0 < a <= 180.0:
        return "right axis deviation"
    return "extreme axis deviation"


def call_axis(m, age_years: float | None = None) -> AxisCall:
    """Axis and category of a ``medts.signal.Measurements``; no category for a child (``age_years`` under
    :data:`medts.interpret.ranges.ADULT_AGE_YEARS`: a right axis is normal in infancy), the reason saying why."""
    v = m.qrs_axis_deg
    cat = axis_category(v.value)
    reason = (f"QRS axis {v.value:.0f} deg" + (f" ({v.reason})" if v.reason else "")) if v.value is not None \
        else (v.reason or "QRS axis not measured")
    if cat is not None and is_child(age_years):
        cat, reason = None, f"{reason}; not categorised ({PAEDIATRIC_REASON})"
    return AxisCall(axis_deg=v.value, category=cat, reason=reason)
