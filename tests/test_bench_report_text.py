"""``medts bench report-text``: statement scoring of texts against labels."""

from __future__ import annotations

import json

import pytest

from medts.bench.report_text import run_report_text_bench, score, truth_codes
from medts.report.consistency import codes_in_text


def test_score_perfect_partial_and_empty_predictions():
    truths = [truth_codes({"labels": ["SR", "NORM"]}), truth_codes({"labels": ["AFIB", "CLBBB"]})]
    perfect = score([["SR", "NORM"], ["AFIB", "CLBBB"]], truths, n_boot=20)
    assert perfect["all"]["micro_f1"] == 1.0 and perfect["superdiagnostic"]["micro_f1"] == 1.0
    # one of four codes found, one false code: micro F1 = 2*1 / (2*1 + 1 + 3) = 1/3
    partial = score([["SR", "LVH"], []], truths, n_boot=20)
    assert partial["all"]["micro_f1"] == pytest.approx(1 / 3, abs=1e-4)
    # superdiagnostic: NORM (row 0) and CD (row 1, from CLBBB) are true; LVH -> HYP is false
    assert partial["superdiagnostic"]["micro_f1"] == 0.0
    assert score([[], []], truths, n_boot=20)["all"]["micro_f1"] == 0.0


def test_texts_are_read_with_the_report_parser():
    text = "Sinus rhythm [measurements.rhythm]. No atrial fibrillation. Left bundle branch block."
    codes = codes_in_text(text, plain_language=True)
    assert "CLBBB" in codes and "AFIB" not in codes
    truths = [truth_codes({"labels": ["SR", "CLBBB"]})]
    assert score([codes], truths, n_boot=10)["superdiagnostic"]["micro_f1"] == 1.0


@pytest.mark.realdata
def test_template_run_writes_results(ptbxl_dir, ludb_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path))
    json_path, md_path = run_report_text_bench(writers=("template",), limit=2, n_boot=20, command="test")
    result = json.loads(json_path.read_text())
    assert result["benchmark"] == "report_text" and result["data"]["ptbxl"]["n_records"] == 2
    assert result["data"]["ludb"]["records"] == ["131", "132"]
    for key in ("ptbxl/template", "ludb/template"):
        assert 0.0 <= result["metrics"][key]["grounded"]["all"]["micro_f1"] <= 1.0
    assert "ptbxl/classifier_present" in result["baselines"] and "ludb/template" in md_path.read_text()
