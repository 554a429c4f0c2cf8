"""Measurement-defined statements and gates, and the leads a statement needs."""

from __future__ import annotations

from interpret_helpers import measured, with_values

from medts.interpret import interpret
from medts.interpret import statements as rules
from medts.record import STANDARD_LEADS


def test_first_degree_av_block_needs_a_long_pr_with_consistent_p_waves():
    _, m = measured(70.0)
    assert rules.first_degree_av_block(with_values(m, pr_ms=240.0), True, paced=False)[0] is True
    assert rules.first_degree_av_block(with_values(m, pr_ms=180.0), True, paced=False)[0] is False
    assert rules.first_degree_av_block(with_values(m, pr_ms=240.0), False, paced=False)[0] is None
    assert rules.first_degree_av_block(with_values(m, pr_ms=None), True, paced=False)[0] is None


def test_long_qt_uses_both_formulas_and_the_sex_limit_and_not_a_wide_qrs():
    _, m = measured(70.0)
    both = with_values(m, qtc_bazett_ms=470.0, qtc_fridericia_ms=465.0, qrs_ms=96.0)
    assert rules.long_qt(both, "M")[0] is True and rules.long_qt(both, "F")[0] is True
    assert rules.long_qt(with_values(both, qtc_bazett_ms=455.0, qtc_fridericia_ms=455.0), "F")[0] is False
    assert rules.long_qt(with_values(both, qtc_fridericia_ms=440.0), "M")[0] is False  # Bazett alone overcorrects
    wide, why = rules.long_qt(with_values(both, qrs_ms=150.0), "M")
    assert wide is None and "JT" in why


def test_lvh_voltage_criteria():
    _, m = measured(70.0)
    assert rules.lvh_voltage(with_values(m, sokolow_lyon_mv=3.8, cornell_mv=1.0), "M")[0] is True
    assert rules.lvh_voltage(with_values(m, sokolow_lyon_mv=2.0, cornell_mv=2.4), "F")[0] is True  # Cornell 2.0 for women
    assert rules.lvh_voltage(with_values(m, sokolow_lyon_mv=2.0, cornell_mv=2.4), "M")[0] is False


def test_qrs_width_and_axis_gates():
    _, m = measured(70.0)
    assert rules.qrs_gate(with_values(m, qrs_ms=130.0), "CLBBB")[0] is True
    assert rules.qrs_gate(with_values(m, qrs_ms=100.0), "CRBBB")[0] is False
    assert rules.qrs_gate(with_values(m, qrs_ms=130.0), "IRBBB")[0] is False
    assert rules.qrs_gate(with_values(m, qrs_ms=112.0), "IVCD")[0] is True
    assert rules.fascicular_gate(with_values(m, qrs_axis_deg=-50.0, qrs_ms=100.0), "LAFB")[0] is True
    assert rules.fascicular_gate(with_values(m, qrs_axis_deg=20.0, qrs_ms=100.0), "LAFB")[0] is False
    assert rules.fascicular_gate(with_values(m, qrs_axis_deg=110.0, qrs_ms=100.0), "LPFB")[0] is True
    assert rules.lafb_by_axis(with_values(m, qrs_axis_deg=-50.0, qrs_ms=100.0))[0] is True
    assert rules.lafb_by_axis(with_values(m, qrs_axis_deg=-35.0, qrs_ms=100.0))[0] is False


def test_required_leads():
    assert set(rules.required_leads("CRBBB")) == {"I", "V1", "V6"}
    assert rules.required_leads("AFIB") == ()  # a rhythm needs any one lead
    assert rules.required_leads("NORM") == STANDARD_LEADS and rules.required_leads("ISCAL") == STANDARD_LEADS


def test_measured_statements_are_what_the_grounding_reads():
    _, m = measured(130.0)
    f = interpret(m, sex="M", scores=None)
    ms = rules.measured_statements(f)
    assert ms["TACHY"] == {"present": True, "field": "hr_bpm", "decisive": True}
    assert ms["STACH"]["present"] and ms["SR"]["present"] and ms["AFIB"]["present"] is False
    assert ms["AXIS_NORMAL"]["present"] is (f.axis.category == "normal axis")


def test_fascicular_block_beside_a_wide_qrs_keeps_its_axis_criterion():
    _, m = measured(70.0)
    assert rules.fascicular_gate(with_values(m, qrs_axis_deg=-60.0, qrs_ms=140.0), "LAFB")[0] is True  # with RBBB
    assert rules.lafb_by_axis(with_values(m, qrs_axis_deg=-60.0, qrs_ms=140.0))[0] is False  # not by axis alone
