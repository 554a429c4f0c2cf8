"""The external-data harness: Challenge score, SNOMED/SCP maps, Challenge-format writing and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medts.bench.challenge import SCORED_CLASSES, WEIGHTS, challenge_score, scored_class
from medts.bench.external import (
    SOURCE_FILE,
    ExternalRecord,
    convert_ludb,
    mi_false_positives,
    scp_codes_to_snomed,
    statement_table,
    superclass_table,
    write_cinc_record,
)
from medts.cli import app
from medts.io.cinc import read_cinc
from medts.labels import (
    _SCP_TO_SNOMED,
    CINC2021_SCORED,
    scp_to_snomed,
    snomed_superclasses,
    snomed_to_scp,
)
from medts.simulate import simulate_12lead

AF, AFL, NSR, RBBB, CRBBB = "164889003", "164890007", "426783006", "59118001", "713427006"


def test_weights_are_the_26_scored_classes_symmetric_with_unit_diagonal():
    assert WEIGHTS.shape == (26, 26) == (len(SCORED_CLASSES), len(CINC2021_SCORED))
    assert np.array_equal(WEIGHTS, WEIGHTS.T)
    assert np.all(np.diag(WEIGHTS) == 1.0)
    assert WEIGHTS[scored_class(AF), scored_class(AFL)] == 0.5
    assert WEIGHTS[scored_class(NSR), scored_class("164917005")] == 0.15  # sinus rhythm vs Q-wave abnormal


def test_challenge_score_reference_points_and_partial_credit():
    truth = [{AF}, {NSR}]
    assert challenge_score(truth, truth).normalized == 1.0
    assert challenge_score(truth, [{NSR}, {NSR}]).normalized == 0.0
    # AF called AFL: 1/2 pair weight 0.5 for the AF record instead of 1/2 * 0.25 (NSR) -> (1.25-1.125)/(2-1.125)
    assert challenge_score(truth, [{AFL}, {NSR}]).normalized == pytest.approx(0.125 / 0.875)
    # an empty prediction scores below "always sinus rhythm"
    assert challenge_score(truth, [set(), set()]).normalized < 0


def test_challenge_equivalent_codes_score_as_one_and_unscored_codes_are_ignored():
    assert challenge_score([{RBBB}], [{CRBBB}]).observed == 1.0
    assert scored_class("63593006") == scored_class("284470004")
    # truth AF + LAD, output AF (+ unscored ST changes): n = 2, so AF-AF gives 1/2 and LAD-AF 1/2 * 0.35
    assert challenge_score([{AF, "39732003"}], [{AF, "55930002"}]).observed == pytest.approx(0.5 + 0.5 * 0.35)


def test_scp_to_snomed_round_trips_and_every_scored_class_is_accounted_for():
    for scp, snomed in _SCP_TO_SNOMED.items():
        assert scp in snomed_to_scp(snomed), scp
    unreachable = {abbr for codes, abbr in CINC2021_SCORED if not any(snomed_to_scp(c) for c in codes.split("|"))}
    assert unreachable == {"BBB", "Brady", "LAD", "PRWP", "RAD"}


def test_superclasses_from_snomed_never_give_norm():
    assert snomed_superclasses([NSR]) == []
    assert snomed_superclasses(["164865005", CRBBB, "164873001", "428750005"]) == ["CD", "HYP", "MI", "STTC"]
    assert scp_codes_to_snomed(["IMI", "IMI", "SR"]) == ["164865005", NSR]  # located MI without a code: generic MI


def test_written_challenge_record_reads_back_to_one_microvolt(tmp_path):
    ecg = simulate_12lead(10, 500, 70, seed=3, age=61, sex="F")
    header = write_cinc_record(ecg, tmp_path, "A0001", [NSR, AF])
    back = read_cinc(header)
    assert back.fs == 500 and back.leads == ecg.leads and back.age == 61
    assert back.metadata["snomed_codes"] == [NSR, AF]
    assert np.abs(back.signal - ecg.signal).max() <= 0.0005 + 1e-9


def _record(name, truth_snomed, predicted_scp, predicted_super):
    return ExternalRecord(name=name, truth_snomed=truth_snomed,
                          truth_scp=sorted({s for c in truth_snomed for s in snomed_to_scp(c)}),
                          truth_superclasses=snomed_superclasses(truth_snomed), predicted_scp=predicted_scp,
                          predicted_superclasses=predicted_super, leads=["I"])


def test_tables_count_true_and_false_positives():
    records = [
        _record("a", [NSR, "284470004"], ["SR", "PAC"], []),
        _record("b", [NSR, "284470004"], ["SR"], ["MI"]),
        _record("c", ["164865005"], ["IMI"], ["MI"]),
        _record("d", [AF], ["AFIB", "PAC"], ["CD"]),
    ]
    rows = {r["code"]: r for r in statement_table(records)}
    assert (rows["PAC"]["tp"], rows["PAC"]["fn"], rows["PAC"]["fp"]) == (1, 1, 1)
    assert rows["PAC"]["sensitivity"] == 0.5 and rows["PAC"]["ppv"] == 0.5
    assert rows["SR"]["sensitivity"] == 1.0 and rows["IMI"]["in_truth_vocabulary"] is False
    mi = superclass_table(records)["per_class"]["MI"]
    assert (mi["tp"], mi["fp"], mi["fn"], mi["tn"]) == (1, 1, 0, 2)
    assert mi_false_positives(records)["records"] == ["b"]


def test_cli_scores_a_folder_and_skips_a_broken_record(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    folder = tmp_path / "cinc"
    folder.mkdir()
    write_cinc_record(simulate_12lead(10, 500, 72, seed=1), folder, "S1", [NSR])
    write_cinc_record(simulate_12lead(10, 500, 110, seed=2, atrial_fibrillation=True), folder, "S2", [AF])
    from dataclasses import replace

    one = simulate_12lead(10, 500, 72, seed=3).select_leads(("II",))
    write_cinc_record(replace(one, leads=("X1",)), folder, "ODD", [NSR])  # no standard lead: refused, batch goes on
    (folder / "BAD.hea").write_text("BAD 12 500 5000\n")
    (folder / "BAD.mat").write_bytes(b"not a matlab file")
    result = CliRunner().invoke(app, ["bench", "external", str(folder), "--n-boot", "20", "--name", "ext_test"])
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "results" / "ext_test.json").read_text())
    classifier, reconciled = out["metrics"]["classifier"], out["metrics"]["reconciled"]
    assert classifier["n_records"] == reconciled["n_records"] == 2 and classifier["n_skipped"] == 2
    assert {"BAD", "ODD"} == {Path(s["record"]).stem for s in out["data"]["skipped"]}
    assert classifier["challenge"]["classes_medts_cannot_output"] == ["BBB", "Brady", "LAD", "PRWP", "RAD"]
    # the engine never asserts AFIB on the regular simulated sinus record S1 (its RR is regular, P waves present)
    assert {r["code"] for r in reconciled["statements"] if r["code"] == "AFIB" and r["fp"]} == set()
    assert not any("CONVERTED" in note for note in out["notes"])  # no SOURCE.json: said to be the folder as given


def test_cli_refuses_a_folder_without_records(tmp_path):
    result = CliRunner().invoke(app, ["bench", "external", str(tmp_path)])
    assert result.exit_code != 0
    assert "no Challenge records" in str(result.exception) or "no Challenge records" in result.output


def test_converted_ludb_records_carry_their_labels_and_say_they_are_converted(ludb_dir, tmp_path):
    from medts.io.ludb import ludb_diagnoses, read_ludb

    headers = convert_ludb(ludb_dir, tmp_path, record_ids=[1, 2, 3])
    source = json.loads((tmp_path / SOURCE_FILE).read_text())
    assert source["external"] is False and "LUDB" in source["converted_from"]
    for record_id, header in zip([1, 2, 3], headers):
        back = read_cinc(header)
        original = read_ludb(ludb_dir, record_id).ecg
        assert np.abs(back.signal - original.signal).max() <= 0.0005 + 1e-9
        lines = "\n".join(line for column in ludb_diagnoses(ludb_dir)[record_id].values() for line in column).lower()
        if "sinus rhythm" in lines:
            assert NSR in back.metadata["snomed_codes"]
        if "left axis deviation" in lines:
            assert "39732003" in back.metadata["snomed_codes"]
    with pytest.raises(Exception, match="already holds"):
        convert_ludb(ludb_dir, tmp_path, record_ids=[1])
    assert scp_to_snomed("SR") == NSR


def test_converted_ptbxl_records_carry_their_statements_and_axis(ptbxl_dir, tmp_path):
    from medts.bench.external import convert_ptbxl
    from medts.io.ptbxl import PtbxlIndex

    headers = convert_ptbxl(ptbxl_dir, tmp_path, folds=(9,))
    index = PtbxlIndex.open(ptbxl_dir)
    assert len(headers) == len(index.ecg_ids(folds=[9]))
    for header in headers[:20]:
        back = read_cinc(header)
        original = index.read(int(header.stem[1:]))
        codes = set(back.metadata["snomed_codes"])
        assert codes == set(scp_codes_to_snomed(list(original.metadata["scp_codes"]))) | (
            {"39732003"} if original.metadata.get("heart_axis") in ("LAD", "ALAD") else set()) | (
            {"47665007"} if original.metadata.get("heart_axis") in ("RAD", "ARAD") else set())
        assert np.abs(back.signal - original.signal).max() <= 0.0005 + 1e-9
