"""Axis categories (AHA/ACCF/HRS 2009): boundaries and the call on a record."""

from __future__ import annotations

from interpret_helpers import measured, with_values

from medts.interpret.axis import axis_category, call_axis


def test_axis_category_boundaries():
    assert [axis_category(a) for a in (60, -30, -30.5, -90, -91, 90, 90.5, 179, -120, None)] == [
        "normal axis", "normal axis", "left axis deviation", "left axis deviation", "extreme axis deviation",
        "normal axis", "right axis deviation", "right axis deviation", "extreme axis deviation", None]
    assert axis_category(300.0) == axis_category(-60.0) == "left axis deviation"  # the same angle


def test_call_axis_on_a_record():
    _, m = measured(70.0)
    call = call_axis(m)
    assert call.category == axis_category(m.qrs_axis_deg.value) and "AHA" in call.source
    left = call_axis(with_values(m, qrs_axis_deg=-50.0))
    assert left.category == "left axis deviation" and "-50" in left.reason
    unknown = call_axis(with_values(m, qrs_axis_deg=None))
    assert unknown.category is None and unknown.reason
