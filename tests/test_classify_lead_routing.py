"""Reduced-lead records go to the lead-dropout adapter (adapters/classifier-superdiagnostic-reduced).

Every classifying surface loads through :func:`medts.classify.predict.load_classifier`; a record that lacks a
standard lead is scored by the reduced-lead model for the superdiagnostic level and the output says so, a
12-lead record is scored by the 12-lead model as before, and the engine asserts a superclass from the
reduced-lead model only with the leads :data:`medts.interpret.statements.REDUCED_LEAD_MODEL_LEADS` names.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import wfdb
from interpret_helpers import measured
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from medts.adapters import (
    REDUCED_LEAD_CLASSIFIERS,
    adapter_dir,
    classifier_dir,
    load_manifest,
    reduced_lead_dir,
)
from medts.classify.predict import Classifier, classifier_for_level, load_classifier
from medts.cli import app
from medts.config import PROJECT_ROOT
from medts.errors import MedtsError
from medts.interpret import ClassifierScore, interpret
from medts.interpret.statements import REDUCED_LEAD_MODEL_LEADS, required_leads
from medts.labels import level_classes
from medts.record import ECG, STANDARD_LEADS
from medts.simulate import simulate_12lead

REDUCED = "classifier-superdiagnostic-reduced"
EXAMPLE = PROJECT_ROOT / "medts" / "example_data" / "sinus"

pytestmark = pytest.mark.skipif(reduced_lead_dir("superdiagnostic") is None or
                                not (classifier_dir("superdiagnostic") / "manifest.json").is_file(),
                                reason="superdiagnostic adapters not shipped")


def _write_example_leads(folder, name: str, leads: list[str]):
    """The bundled example record with only ``leads`` kept, written as WFDB ``folder/name.hea``."""
    rec = wfdb.rdrecord(str(EXAMPLE), channel_names=leads)
    wfdb.wrsamp(name, fs=rec.fs, units=["mV"] * len(leads), sig_name=list(rec.sig_name), p_signal=rec.p_signal,
                fmt=["16"] * len(leads), write_dir=str(folder))
    return folder / f"{name}.hea"


def _classify_json(path) -> dict:
    result = CliRunner().invoke(app, ["classify", "--json", "--all", str(path)])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    return doc


# -- the adapter --------------------------------------------------------------------------------------

def test_reduced_lead_adapter_is_registered_complete_and_documented():
    folder = reduced_lead_dir("superdiagnostic")
    assert folder == adapter_dir(REDUCED) and REDUCED_LEAD_CLASSIFIERS == {"superdiagnostic": REDUCED}
    manifest = load_manifest(REDUCED)
    assert manifest["name"] == REDUCED and manifest["level"] == "superdiagnostic"
    assert manifest["classes"] == level_classes("superdiagnostic") and set(manifest["thresholds"]) == set(manifest["classes"])
    # trained on folds 1-7, epoch and thresholds on fold 8: fold 9 stays held out for it
    assert manifest["data"]["train_folds"] == [1, 2, 3, 4, 5, 6, 7] and manifest["data"]["val_fold"] == 8
    assert manifest["train_config"]["lead_dropout"] == 0.5
    figures = manifest["reduced_leads"]["fold9_macro_auc_per_lead_set"]
    assert figures["1 lead (II)"]["leads"] == ["II"] and 0.8 < figures["1 lead (II)"]["macro_auc"] < 0.95
    assert (folder / "model.safetensors").stat().st_size < 2_000_000
    card = (folder / "MODEL_CARD.md").read_text()
    for needed in ("lead dropout", "fold 8", "fold 9", "Limits", "0.872"):
        assert needed in card


def test_reduced_lead_adapter_loads_strictly(tmp_path):
    folder = reduced_lead_dir("superdiagnostic")
    tensors = load_file(folder / "model.safetensors")
    dropped = min(tensors)
    save_file({k: v for k, v in tensors.items() if k != dropped}, tmp_path / "model.safetensors")
    (tmp_path / "manifest.json").write_text((folder / "manifest.json").read_text())
    with pytest.raises(MedtsError, match="weights do not match manifest member 0"):
        Classifier.load(tmp_path)


@pytest.mark.realdata
def test_reduced_lead_adapter_reproduces_its_recorded_probabilities(ptbxl_dir):
    from medts.io.ptbxl import PtbxlIndex, load_processed_zscore, processed_zscore_arrays

    clf = Classifier.load(reduced_lead_dir("superdiagnostic"))
    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    arrays = processed_zscore_arrays(ptbxl_dir)
    refs = clf.manifest["reference_predictions"]
    assert {r["source"] for r in refs} == {"records100", "processed100_zscore"}
    ecgs = [index.read(r["ecg_id"]) if r["source"] == "records100"
            else ECG(load_processed_zscore(arrays[r["ecg_id"]]), fs=100.0, leads=STANDARD_LEADS) for r in refs]
    got = np.array([[s.probability for s in p.statements] for p in clf.predict_many(ecgs)])
    # stored rounded to 6 decimals: a last-bit difference in a BLAS sum (thread count, CPU) can move a value
    # across a rounding boundary (CI: 0.012780 vs 0.012779); a weight that failed to load moves far more
    np.testing.assert_allclose(got, np.array([r["probabilities"] for r in refs]), rtol=0, atol=2e-6)


# -- routing ------------------------------------------------------------------------------------------

def test_classify_routes_a_two_lead_record_to_the_reduced_lead_model(tmp_path):
    path = _write_example_leads(tmp_path, "two", ["I", "II"])
    doc = _classify_json(path)
    assert doc["model"] == REDUCED and doc["reduced_lead_model"] is True
    # a 2-lead record is read as the leads it holds (limb leads are derived only for 8-lead exports)
    assert doc["leads_present"] == ["I", "II"] and doc["missing_leads"] == [lead for lead in STANDARD_LEADS if lead not in ("I", "II")]
    assert doc["notes"][0].startswith(f"scored by {REDUCED}") and "instead of the 12-lead classifier-superdiagnostic" in doc["notes"][0]
    assert "lead(s) present: I, II" in doc["notes"][0] and "III" not in doc["notes"][0]
    # the probabilities are the reduced-lead model's own, not the 12-lead model's relabelled
    direct = Classifier.load(reduced_lead_dir("superdiagnostic"))
    from medts.cli_inputs import read_checked, resting_limits

    ecg = read_checked(path, limits=resting_limits("medts classify"))  # as the command reads it
    expected = {s.code: s.probability for s in direct.predict(ecg).statements}
    assert {s["code"]: s["probability"] for s in doc["statements"]} == expected
    zero_filled = {s.code: s.probability for s in Classifier.load(classifier_dir("superdiagnostic")).predict(ecg).statements}
    assert zero_filled != expected
    needed = {s["code"]: s["leads_needed"] for s in doc["statements"]}
    assert needed["CD"] == ["II"] and needed["STTC"] == ["II"] and needed["MI"] == ["I", "II", "V2"]
    assert needed["HYP"] == needed["NORM"] == list(STANDARD_LEADS)


def test_classify_routes_a_one_lead_record_and_the_text_names_the_model(tmp_path):
    path = _write_example_leads(tmp_path, "one", ["II"])
    doc = _classify_json(path)
    assert doc["model"] == REDUCED and doc["leads_present"] == ["II"] and doc["scored_by"] == "CNN"
    for s in doc["statements"]:  # a statement above threshold stands only when its leads are present
        lacking = [lead for lead in s["leads_needed"] if lead != "II"]
        assert (s["withheld"] is not None) == (s["present"] and bool(lacking))
    assert "NORM" not in doc["present"] and "MI" not in doc["present"] and "HYP" not in doc["present"]
    text = CliRunner().invoke(app, ["classify", str(path)])
    assert text.exit_code == 0 and f"- {REDUCED}" in text.output and "lead(s) present: II" in text.output


def test_a_12_lead_record_still_uses_the_12_lead_model(tmp_path):
    path = _write_example_leads(tmp_path, "twelve", list(STANDARD_LEADS))
    doc = _classify_json(path)
    assert doc["model"] == "classifier-superdiagnostic" and doc["reduced_lead_model"] is False
    assert doc["leads_present"] == list(STANDARD_LEADS) and not any(REDUCED in n for n in doc["notes"])
    from medts.io import read_record

    plain = Classifier.load(classifier_dir("superdiagnostic")).predict(read_record(path))  # the CNN alone
    assert doc["scored_by"] == "CNN + measurements (late fusion)"  # a 12-lead record also gets the fusion head
    assert {s["code"]: s["cnn_probability"] for s in doc["statements"]} == {s.code: s.probability for s in plain.statements}


def test_a_batch_mixes_both_models_in_input_order():
    clf = classifier_for_level("superdiagnostic")
    full = simulate_12lead(10, 500, 72, seed=4)
    clf.predict(full)
    assert clf.reduced_dir is not None and clf._reduced is None  # 12-lead use does not load the reduced-lead weights
    preds = clf.predict_many([full, full.select_leads(("II",)), full])
    assert [p.model for p in preds] == ["classifier-superdiagnostic", REDUCED, "classifier-superdiagnostic"]
    assert preds[0].statements == preds[2].statements == clf.predict(full).statements


def test_a_flat_lead_counts_as_missing_for_routing():
    from dataclasses import replace

    ecg = simulate_12lead(10, 500, 72, seed=7)
    signal = ecg.signal.copy()
    signal[:, ecg.leads.index("V1")] = 0.0
    pred = classifier_for_level("superdiagnostic").predict(replace(ecg, signal=signal))
    assert pred.model == REDUCED and pred.missing_leads == [] and pred.absent_leads == ["V1"]
    assert "V1" not in pred.leads_present


def test_only_the_shipped_folder_gets_the_reduced_lead_model(tmp_path):
    import shutil

    copy = shutil.copytree(classifier_dir("superdiagnostic"), tmp_path / "copy")
    assert load_classifier(copy).reduced is None  # --adapter on another folder: exactly that model
    assert load_classifier(classifier_dir("superdiagnostic")).reduced is not None
    assert load_classifier(classifier_dir("all")).reduced is None


# -- the engine ---------------------------------------------------------------------------------------

def _score(code: str, reduced: bool) -> ClassifierScore:
    return ClassifierScore(code=code, probability=0.9, threshold=0.5, present=True, source="test (superdiagnostic)",
                           reduced_lead_model=reduced)


def test_engine_asserts_a_superclass_from_the_reduced_lead_model_only_with_its_leads():
    from medts.signal.qwaves import QrsWaves

    _, two = measured(70.0, leads=("I", "II"))
    for reduced, expected in ((True, "asserted"), (False, "withheld")):
        f = interpret(two, sex="F", scores=[_score("STTC", reduced), _score("CD", reduced)])
        for code in ("STTC", "CD"):
            d = next(s for s in f.statements if s.code == code)
            assert d.decision == expected, (reduced, d.reason)
    f = interpret(two, sex="F", scores=[_score("MI", True), _score("HYP", True)])
    for code, lacking in (("MI", "V2"), ("HYP", "V1")):
        d = next(s for s in f.statements if s.code == code)
        assert d.decision == "withheld" and lacking in d.reason and "lacks" in d.reason
    _, three = measured(70.0, leads=("I", "II", "V2"))
    mi = next(s for s in interpret(three, sex="F", scores=[_score("MI", True)]).statements if s.code == "MI")
    # no lead lacking; the infarction rule (medts.interpret.infarction) then needs two contiguous leads of a
    # territory, which I, II, V2 are not: undecided
    assert mi.decision == "withheld" and "lacks" not in mi.reason and "cannot be checked" in mi.reason
    _, four = measured(70.0, leads=("I", "II", "III", "V2"))
    q = QrsWaves(q_ms=40.0, q_mv=0.3, r_mv=0.5, s_mv=0.1, qs=False, n_beats=12)
    four = four.model_copy(update={"qrs_waves": {**four.qrs_waves, "II": q, "III": q}})
    mi = next(s for s in interpret(four, sex="F", scores=[_score("MI", True)]).statements if s.code == "MI")
    assert mi.decision == "asserted" and "II Q 40 ms" in mi.reason
    assert required_leads("MI", reduced_lead_model=True) == REDUCED_LEAD_MODEL_LEADS["MI"]
    assert required_leads("NORM", reduced_lead_model=True) == required_leads("HYP", reduced_lead_model=True) == STANDARD_LEADS


# -- the other surfaces -------------------------------------------------------------------------------

def test_report_scores_and_evidence_come_from_the_reduced_lead_model():
    from medts.report.sources import ClassifierSource

    ecg = simulate_12lead(10, 500, 72, seed=4).select_leads(("I", "II"))
    (run,) = ClassifierSource().scores_many([ecg])
    superclass = [s for s in run.scores if s.code in ("CD", "HYP", "MI", "STTC")]
    assert superclass and all(s.source == f"{REDUCED} (superdiagnostic)" and s.reduced_lead_model for s in superclass)
    assert any(n.startswith(f"classifier-superdiagnostic: scored by {REDUCED}") for n in run.notes)
    for s in run.scores:
        assert set(s.evidence_leads) <= {"I", "II"}


def test_agent_classify_tool_names_the_reduced_lead_model():
    from medts.agent.tools import ToolBox, Workspace

    ecg = simulate_12lead(10, 500, 72, seed=4)
    box = ToolBox(Workspace({"current": ecg.select_leads(("II",)), "full": ecg}))
    out = box.run("classify", {"level": "superdiagnostic"})
    assert out["model"] == REDUCED and out["leads_present"] == ["II"] and REDUCED in out["notes"][0]
    assert box.run("classify", {"record": "full", "level": "superdiagnostic"})["model"] == "classifier-superdiagnostic"
    e = box.run("explain", {"code": "STTC"})
    assert e["model"] == REDUCED
