"""Tests of medts.labels: the built-in SCP table, level aggregation and vocabulary mappings."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from medts.errors import ECGReadError
from medts.labels import (
    LEVELS,
    STATEMENTS,
    SUPERCLASSES,
    aggregate_codes,
    level_classes,
    load_statements,
    ludb_text_to_scp,
    snomed_to_scp,
)


def test_level_sizes_match_ptbxl_benchmark():
    sizes = {level: len(level_classes(level)) for level in LEVELS}
    assert sizes == {"all": 71, "diagnostic": 44, "subdiagnostic": 23, "superdiagnostic": 5, "form": 19, "rhythm": 12}
    assert set(level_classes("superdiagnostic")) == set(SUPERCLASSES)
    assert level_classes("superdiagnostic") == sorted(SUPERCLASSES)


def test_every_statement_has_a_kind_and_diagnostic_ones_have_classes():
    for statement in STATEMENTS.values():
        assert statement.diagnostic or statement.form or statement.rhythm, statement.code
        assert statement.description and statement.description == statement.description.strip()
        if statement.diagnostic:
            assert statement.diagnostic_class in SUPERCLASSES
            assert statement.diagnostic_subclass
        else:
            assert statement.diagnostic_class is None and statement.diagnostic_subclass is None
    both = sorted(code for code, s in STATEMENTS.items() if s.diagnostic and s.form)
    assert both == ["DIG", "LNGQT", "NDT", "NST_"]


@pytest.mark.realdata
def test_built_in_table_matches_scp_statements_csv(ptbxl_dir):
    loaded = load_statements(ptbxl_dir / "scp_statements.csv")
    assert list(loaded) == list(STATEMENTS)
    for code, statement in loaded.items():
        ours = STATEMENTS[code]
        assert dataclasses.replace(statement, description="") == dataclasses.replace(ours, description=""), code
    # the csv's own text is kept by load_statements
    assert loaded["NORM"].description == "normal ECG"
    assert [len(level_classes(level, loaded)) for level in LEVELS] == [71, 44, 23, 5, 19, 12]
    # a folder is accepted too
    assert load_statements(ptbxl_dir) == loaded


def test_load_statements_reads_a_written_table(tmp_path):
    csv = tmp_path / "scp_statements.csv"
    pd.DataFrame(
        {
            "description": ["normal ECG", "sinus rhythm", "digitalis"],
            "diagnostic": [1.0, None, 1.0],
            "form": [None, None, 1.0],
            "rhythm": [None, 1.0, None],
            "diagnostic_class": ["NORM", None, "STTC"],
            "diagnostic_subclass": ["NORM", None, "STTC"],
        },
        index=["NORM", "SR", "DIG"],
    ).to_csv(csv)
    table = load_statements(csv)
    assert table["SR"].rhythm and not table["SR"].diagnostic and table["SR"].diagnostic_class is None
    assert table["DIG"].diagnostic and table["DIG"].form
    assert aggregate_codes({"DIG": 0.0, "SR": 0.0}, "form", table) == ["DIG"]
    assert level_classes("rhythm", table) == ["SR"]


def test_load_statements_errors_name_the_file(tmp_path):
    with pytest.raises(ECGReadError, match="scp_statements.csv"):
        load_statements(tmp_path / "scp_statements.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text(",description\nNORM,normal\n")
    with pytest.raises(ECGReadError, match="bad.csv.*lacks column"):
        load_statements(bad)


def test_aggregation_counts_statements_whatever_their_likelihood():
    codes = {"IMI": 15.0, "LNGQT": 100.0, "NST_": 100.0, "DIG": 100.0, "ABQRS": 0.0, "SR": 0.0}
    assert aggregate_codes(codes, "superdiagnostic") == ["MI", "STTC"]
    assert aggregate_codes(codes, "subdiagnostic") == ["IMI", "NST_", "STTC"]
    assert aggregate_codes(codes, "diagnostic") == ["DIG", "IMI", "LNGQT", "NST_"]
    assert aggregate_codes(codes, "form") == ["ABQRS", "DIG", "LNGQT", "NST_"]
    assert aggregate_codes(codes, "rhythm") == ["SR"]
    assert aggregate_codes(codes, "all") == sorted(codes)
    # sub/superclass duplicates collapse: two anterior MI statements give one AMI, one MI
    assert aggregate_codes({"ASMI": 100.0, "ALMI": 50.0}, "subdiagnostic") == ["AMI"]
    assert aggregate_codes({"ASMI": 100.0, "ALMI": 50.0}, "superdiagnostic") == ["MI"]


def test_aggregation_handles_unknown_codes_and_levels():
    assert aggregate_codes({"XYZ": 100.0, "SR": 0.0}, "all") == ["SR", "XYZ"]
    assert aggregate_codes({"XYZ": 100.0}, "superdiagnostic") == []
    assert aggregate_codes([], "rhythm") == []
    assert aggregate_codes(["AFIB", "PVC"], "rhythm") == ["AFIB"]
    with pytest.raises(ValueError, match="unknown label level"):
        aggregate_codes({"NORM": 100.0}, "superclass")


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Sinus rhythm", ["SR"]),
        ("Sinus bradycardia", ["SBRAD"]),
        ("Atrial fibrillation", ["AFIB"]),
        ("Atrial flutter, typical", ["AFLT"]),
        ("Left ventricular hypertrophy", ["LVH"]),
        ("Left atrial hypertrophy", ["LAO/LAE"]),
        ("Complete right bundle branch block", ["CRBBB"]),
        ("I degree av block", ["1AVB"]),
        ("Iii degree av-block", ["3AVB"]),
        ("Left anterior hemiblock", ["LAFB"]),
        ("Non-specific intravintricular conduction delay", ["IVCD"]),
        ("Ventricular extrasystole, type: couplet", ["PVC"]),
        ("Atrial extrasystole, type: bigemini", ["BIGU", "PAC"]),
        ("Unipolar ventricular pacing", ["PACE"]),
        ("Stemi: inferior wall", ["IMI"]),
        ("Ischemia: lateral wall", ["ISCLA"]),
        ("Electric axis of the heart: left axis deviation", []),
        ("Left ventricular overload", []),
        ("Undefined ischemia/scar/supp.nstemi: apical", []),
        ("Early repolarization syndrome", []),
        ("Sinus rhythm\nIncomplete right bundle branch block\n", ["IRBBB", "SR"]),
        ("  sinus   RHYTHM ", ["SR"]),
        ("", []),
    ],
)
def test_ludb_text_to_scp(text, codes):
    assert ludb_text_to_scp(text) == codes


@pytest.mark.realdata
def test_ludb_csv_lines_map_to_known_codes(ludb_dir):
    table = pd.read_csv(ludb_dir / "ludb.csv")
    lines = {
        line.strip()
        for column in table.columns
        if column not in ("ID", "Sex", "Age")
        for cell in table[column].dropna()
        for line in str(cell).splitlines()
        if line.strip()
    }
    mapped = {line: ludb_text_to_scp(line) for line in lines}
    assert all(code in STATEMENTS for codes in mapped.values() for code in codes)
    # every rhythm line of LUDB's 160 records except two has an SCP equivalent
    rhythms = {line for cell in table["Rhythms"].dropna() for line in str(cell).splitlines() if line.strip()}
    unmapped = sorted(line for line in rhythms if not mapped[line.strip()])
    assert unmapped == ["Aberrant conduction", "Wandering atrial pacemaker"]
    # and no axis line is mapped: PTB-XL has no SCP statement for the axis
    assert not any(mapped[line] for line in lines if line.startswith("Electric axis"))


@pytest.mark.parametrize(
    ("code", "scp"),
    [
        ("426783006", ["SR"]),
        (164889003, ["AFIB"]),
        ("59118001", ["CRBBB"]),
        ("713427006", ["CRBBB"]),
        ("164909002", ["CLBBB"]),
        ("270492004", ["1AVB"]),
        ("164873001", ["LVH"]),
        ("11157007", ["BIGU", "PVC"]),
        ("55827005", ["VCLVH"]),  # left ventricular high voltage: voltage criteria, not the diagnosis LVH
        ("282825002", ["AFIB"]),
        ("39732003", []),  # left axis deviation: no SCP statement
        ("164865005", []),  # myocardial infarction without a location
        ("not-a-code", []),
    ],
)
def test_snomed_to_scp(code, scp):
    assert snomed_to_scp(code) == scp


def test_snomed_targets_are_real_statements():
    from medts.labels import _SNOMED_TO_SCP

    assert all(code in STATEMENTS for codes in _SNOMED_TO_SCP.values() for code in codes)
