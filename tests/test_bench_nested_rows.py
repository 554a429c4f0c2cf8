"""Tests of medts.bench.nested_rows: the comparison rows inside the nested CV (tiny synthetic root)."""

from __future__ import annotations

import json

import pytest
from classify_synthetic import write_classify_root

from medts.bench.nested_rows import (
    AUG_ONLY,
    AUGMENTED,
    CNN,
    ENSEMBLES,
    LONGER,
    SCALOGRAM,
    parse_rows,
)
from medts.errors import MedtsError


def test_parse_rows_puts_cnn_first_and_brings_an_ensembles_members():
    assert parse_rows(["ensemble-scalogram"]) == (CNN, SCALOGRAM, "ensemble: CNN + scalogram")
    assert parse_rows([]) == (CNN,)
    assert parse_rows(["augment-only", "longer"]) == (CNN, LONGER, AUG_ONLY)
    with pytest.raises(MedtsError, match="unknown --rows"):
        parse_rows(["resnet50"])


def test_nested_rows_run_scores_every_row_on_the_same_outer_folds(tmp_path, monkeypatch):
    from medts.bench.nested import inner_fold
    from medts.bench.nested_rows import run

    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    root = write_classify_root(tmp_path / "ptbxl", per_fold=6, val_records=6)
    rows = parse_rows(["augment", "ensemble-scalogram", "ensemble-augment"])  # the rows of the committed run
    json_path, md_path = run(root, levels=("superdiagnostic",), rows=rows, folds=(2, 5), epochs=1, batch_size=4,
                             n_boot=10, command="pytest", log=lambda m: None)
    doc = json.loads(json_path.read_text())
    m = doc["metrics"]["superdiagnostic"]
    assert set(m["rows"]) == {CNN, AUGMENTED, SCALOGRAM, *ENSEMBLES}
    assert [f["outer_fold"] for f in m["per_outer_fold"]] == [2, 5] == doc["data"]["outer_folds"]
    assert all(f["selection_fold"] == inner_fold(f["outer_fold"]) for f in m["per_outer_fold"])
    assert set(m["delta_vs_cnn"]) == set(m["rows"]) - {CNN}
    assert m["n_records"] == sum(f["n_test_records"] for f in m["per_outer_fold"])
    fold = m["per_outer_fold"][0]
    assert fold[AUGMENTED]["best_epoch"] in (1, 2)  # 2x the nested epochs
    assert fold[SCALOGRAM]["best_epoch"] == 1 and fold[SCALOGRAM]["predict_ms_per_record"] > 0
    ens = fold["ensemble: CNN + scalogram"]  # an ensemble costs both members
    assert ens["train_seconds"] == pytest.approx(fold[CNN]["train_seconds"] + fold[SCALOGRAM]["train_seconds"], abs=0.11)
    assert doc["data"]["pretrained_2d_weights_offline"] is False
    text = md_path.read_text()
    assert "scalogram 2-D CNN" in text and "mean ± SD over 2 outer folds" in text and "on outer folds [2, 5] only" in text
    # trained rows are cached per outer fold: a rerun on more folds trains only the new fold
    from medts.bench import nested_rows

    trained, original = [], dict(nested_rows.BUILDERS)

    def spy(row):
        return lambda *a, **kw: trained.append(row) or original[row](*a, **kw)

    monkeypatch.setattr(nested_rows, "BUILDERS", {row: spy(row) for row in original})
    json2, _ = run(root, levels=("superdiagnostic",), rows=rows, folds=(2, 5, 7), epochs=1, batch_size=4, n_boot=10,
                   command="pytest", log=lambda m: None)
    m2 = json.loads(json2.read_text())["metrics"]["superdiagnostic"]
    assert sorted(trained) == sorted([AUGMENTED, SCALOGRAM])  # fold 7 only (CNN only has the hybrid cache)
    assert [f[SCALOGRAM]["cached"] for f in m2["per_outer_fold"]] == [True, True, False]
    assert m2["per_outer_fold"][0][SCALOGRAM]["macro_auc"] == fold[SCALOGRAM]["macro_auc"]


def test_cli_rows_without_nested_is_refused_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from medts.cli import app

    result = CliRunner().invoke(app, ["bench", "ptbxl", "--rows", "scalogram", "--data", str(tmp_path)])
    assert isinstance(result.exception, MedtsError)
    assert "--rows needs --nested" in str(result.exception)
