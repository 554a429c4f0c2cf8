"""Tests of medts.classify.attribution (captum integrated gradients and occlusion)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medts.classify.attribution import RecordProbability, explain
from medts.classify.calibrate import Threshold
from medts.classify.models import build_model, preset_config
from medts.classify.predict import Classifier
from medts.classify.preprocess import model_input
from medts.record import ECG, STANDARD_LEADS


def _v2_only_classifier() -> Classifier:
    """A random network whose first convolution reads lead V2 only."""
    torch.manual_seed(0)
    net = build_model(preset_config("xresnet1d-small", 2))
    with torch.no_grad():
        weight = net.body.stem[0][0].weight  # [out, 12 leads, kernel]
        keep = STANDARD_LEADS.index("V2")
        weight[:, [i for i in range(12) if i != keep], :] = 0.0
    thresholds = {c: Threshold(0.5, "test", None, 0) for c in ("A", "B")}
    return Classifier([net.eval()], ["A", "B"], thresholds, {"level": "test", "name": "v2-only"})


def _ecg() -> ECG:
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=10, sampling_rate=100, heart_rate=75, random_state=1)
    signal = x[:, None] * np.linspace(0.5, 1.5, 12)[None, :] + 0.05 * np.random.default_rng(0).standard_normal((1000, 12))
    return ECG(signal.astype(np.float32), fs=100.0, leads=STANDARD_LEADS, record_id="sim")


def test_wrapper_scores_records_exactly_like_the_classifier():
    clf = _v2_only_classifier()
    x, _ = model_input(_ecg(), fs_hz=100.0)
    with torch.no_grad():
        wrapped = RecordProbability(clf)(torch.from_numpy(np.ascontiguousarray(x.T))[None]).numpy()
    np.testing.assert_allclose(wrapped, clf.predict_proba(x[None]), atol=1e-6)


@pytest.mark.parametrize("method", ["integrated_gradients", "occlusion"])
def test_all_evidence_lands_on_the_only_lead_the_network_reads(method):
    result = explain(_v2_only_classifier(), _ecg(), codes=["A"], method=method, n_steps=16)
    s = result.statements[0]
    assert s.top_leads[0] == "V2" and s.lead_importance["V2"] == pytest.approx(1.0, abs=1e-3)
    assert sum(span.importance for span in s.top_spans) <= 1.0 + 1e-6
    assert all(0 <= span.start_s < span.end_s <= 10.0 for span in s.top_spans)
    assert result.model_dump(mode="json")["statements"][0]["code"] == "A"


def test_missing_leads_get_no_attribution_and_unknown_codes_fail():
    clf = _v2_only_classifier()
    ecg = _ecg().select_leads(["I", "II", "V1", "V3"])
    result = explain(clf, ecg, codes=["B"], n_steps=8)
    assert result.missing_leads == ["III", "aVR", "aVL", "aVF", "V2", "V4", "V5", "V6"]
    assert all(v == 0 for v in result.statements[0].lead_importance.values())  # V2 missing: nothing drives it
    with pytest.raises(ValueError, match="not produced"):
        explain(clf, _ecg(), codes=["NORM"])
