"""``--level`` choices (every level usable or refused clearly) and statements withheld for missing leads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import wfdb
from typer.testing import CliRunner

from medts.adapters import classifier_levels
from medts.adapters import level_availability
from medts.classify.predict import classifier_for_level
from medts.cli import app, main
from medts.errors import MedtsError
from medts.interpret.statements import required_leads
from medts.labels import LEVELS, level_classes
from medts.simulate import simulate_12lead

pytestmark = pytest.mark.skipif("all" not in classifier_levels(), reason="adapters/classifier-all not shipped")


def test_help_lists_every_level():
    result = CliRunner().invoke(app, ["classify", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "|".join(LEVELS) in result.output


def test_rhythm_level_reports_exactly_the_rhythm_statements_of_the_all_classifier():
    ecg = simulate_12lead(10, 500, 72, seed=4)
    rhythm = classifier_for_level("rhythm").predict(ecg)
    full = classifier_for_level("all").predict(ecg)
    assert [s.code for s in rhythm.statements] == level_classes("rhythm")
    by_code = {s.code: s for s in full.statements}
    for s in rhythm.statements:  # same probabilities and thresholds: a view, not another model
        assert s.probability == by_code[s.code].probability and s.threshold == by_code[s.code].threshold
    assert rhythm.level == "rhythm"


def test_a_level_no_adapter_serves_is_refused_with_the_available_levels(tmp_path):
    ecg = simulate_12lead(10, 500, 72, seed=5)
    wfdb.wrsamp("r", fs=500, units=["mV"] * 12, sig_name=list(ecg.leads), p_signal=ecg.signal.astype(float),
                fmt=["16"] * 12, write_dir=str(tmp_path))
    assert "subdiagnostic" not in level_availability()
    with pytest.raises(MedtsError, match="levels available: .*rhythm"):
        classifier_for_level("subdiagnostic")
    assert main(["classify", "--level", "subdiagnostic", str(tmp_path / "r.hea")]) == 2
    assert main(["classify", "--level", "rhythm", str(tmp_path / "r.hea")]) == 0
    assert main(["classify", "--level", "nonsense", str(tmp_path / "r.hea")]) == 2


def test_two_lead_record_withholds_statements_whose_leads_it_lacks(tmp_path):
    ecg = simulate_12lead(10, 500, 72, seed=6).select_leads(("II", "V1"))
    wfdb.wrsamp("two", fs=500, units=["mV"] * 2, sig_name=list(ecg.leads), p_signal=ecg.signal.astype(float),
                fmt=["16"] * 2, write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["classify", "--level", "all", "--json", str(tmp_path / "two.hea")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)[0]
    assert doc["absent_leads"] == ["I", "III", "aVR", "aVL", "aVF", "V2", "V3", "V4", "V5", "V6"]
    for s in doc["statements"]:
        assert s["leads_needed"] == list(required_leads(s["code"]))
        lacking = [lead for lead in s["leads_needed"] if lead in doc["absent_leads"]]
        assert (s["withheld"] is not None) == (s["present"] and bool(lacking))
        if s["withheld"]:
            assert s["code"] in doc["withheld"] and s["code"] not in doc["present"]
    # nothing that needs a limb lead or V5/V6 (CLBBB, CRBBB, LPFB, NORM) can be asserted from II + V1
    assert not {"CLBBB", "CRBBB", "LPFB", "LAFB", "NORM"} & set(doc["present"])


def test_flat_lead_counts_as_absent():
    ecg = simulate_12lead(10, 500, 72, seed=7)
    signal = ecg.signal.copy()
    signal[:, ecg.leads.index("V1")] = 0.0
    from dataclasses import replace

    prediction = classifier_for_level("all").predict(replace(ecg, signal=signal))
    assert prediction.absent_leads == ["V1"] and prediction.missing_leads == []
    assert all(s.withheld is None or "V1" in s.withheld for s in prediction.statements)
    assert np.all([s.leads_needed for s in prediction.statements if s.code == "CRBBB"][0] == list(required_leads("CRBBB")))
