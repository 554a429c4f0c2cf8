"""Reference ranges: one table, sources named, sex-specific limits, flags that match the shown value."""

from __future__ import annotations

from interpret_helpers import measured, with_values

from medts.interpret.ranges import RANGES, flag_measurements, flag_value, reference_range


def test_every_range_names_its_source():
    assert RANGES and all(r.source and ("AHA" in r.source or "Sokolow" in r.source or "Cornell" in r.source)
                          for r in RANGES.values())


def test_sex_specific_limits():
    assert reference_range("qtc_bazett_ms", "M") == (None, 450.0)
    assert reference_range("qtc_bazett_ms", "F") == (None, 460.0)
    assert reference_range("cornell_mv", "F") == (None, 2.0) and reference_range("cornell_mv", None) == (None, 2.8)
    assert reference_range("hr_bpm", "F") == (50.0, 100.0)  # 2018 ACC/AHA/HRS: sinus bradycardia < 50 bpm
    assert reference_range("rr_ms", "M") == (600.0, 1200.0)
    assert reference_range("not_a_measurement", "M") == (None, None)


def test_flag_value_edges():
    assert flag_value(100.0, 60.0, 100.0) == "normal" and flag_value(100.1, 60.0, 100.0) == "high"
    assert flag_value(59.9, 60.0, 100.0) == "low" and flag_value(float("nan"), 60.0, 100.0) == "unmeasured"


def test_flags_of_a_record_use_the_shown_rounding():
    _, m = measured(70.0)
    edited = with_values(m, qrs_ms=110.04, pr_ms=212.0)
    flags = {f.name: f for f in flag_measurements(edited, "M")}
    assert flags["qrs_ms"].value == 110.0 and flags["qrs_ms"].flag == "normal"  # shown as 110.0: not above 110
    assert flags["pr_ms"].flag == "high" and flags["pr_ms"].abnormal
    assert flags["hr_bpm"].flag == "normal"
    assert list(flags) == list(RANGES)
