"""medts.bench.anomaly: threshold rules, point-adjusted F1 at a fixed threshold, fusion figures,
and a whole cross-record run on synthetic MIT-BIH-style ``.npz`` records (seeded NeuroKit2
simulations with inserted ectopic beats) with a small no-LLM checkpoint."""

import json

import numpy as np
import pytest
import torch

from medts.bench.anomaly import (
    f1_point_adjusted_at,
    fusion_metrics,
    run_anomaly_bench,
    window_labels_and_max,
)
from medts.medtsllm.anomaly import (
    BeatScorer,
    beat_features,
    detect_beats,
    fit_beat_scorer,
    match_beats,
    youden_threshold,
)
from medts.medtsllm.checkpoint import save_checkpoint
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM


def test_youden_threshold_ignores_prevalence():
    rng = np.random.default_rng(0)
    neg, pos = rng.normal(0, 1, 5000), rng.normal(4, 1, 20)  # 0.4 % positives
    s, y = np.r_[neg, pos], np.r_[np.zeros(5000, bool), np.ones(20, bool)]
    t = youden_threshold(s, y)
    # Youden's J (TPR - FPR) at t is the best over every candidate cut, computed independently here.
    def j(cut: float) -> float:
        return (s[y] >= cut).mean() - (s[~y] >= cut).mean()
    assert j(t) == pytest.approx(max(j(c) for c in np.unique(s)), abs=1e-9)
    assert t < np.sort(pos)[len(pos) // 2]  # not pushed up by the rare positives, as a best-F1 cut would be
    assert youden_threshold(s, np.zeros(len(s), bool)) == float("inf")


def test_point_adjusted_f1_at_threshold_counts_whole_runs():
    labels = np.array([0, 1, 1, 1, 0, 0], bool)
    scores = np.array([0, 0, 0.9, 0, 0, 0])
    assert f1_point_adjusted_at(scores, labels, 0.5) == 1.0
    assert f1_point_adjusted_at(scores, labels, 0.95) == 0.0


def test_fusion_metrics_and_window_labels():
    scores = np.array([0.1, 0.9, 0.6, 0.2, 0.7])
    v = np.array([0, 1, 0, 0, 0], bool)
    f = np.array([0, 0, 1, 0, 1], bool)
    out = fusion_metrics(scores, v, f, 0.65)
    assert out["n_fusion"] == 2 and out["fraction_flagged"] == 0.5 and out["auroc_fusion_vs_normal"] == 1.0
    lab, best = window_labels_and_max(np.array([5, 15, 25]), np.array([0, 1, 0], bool), np.array([0.2, 0.8, 0.1]), 30, 10)
    assert lab.tolist() == [False, True, False] and best.tolist() == [0.2, 0.8, 0.1]


def test_beat_scorer_round_trips_and_separates_ectopic_beats():
    from test_anomalies_cli import FS, ectopic_simulation

    x, _, ectopic = ectopic_simulation(seconds=40, seed=2, every=5)
    det = detect_beats(x, float(FS))
    lab = match_beats(det, ectopic, float(FS)) >= 0
    feats = beat_features(x, det, float(FS), error=np.abs(x) ** 2)
    scorer = fit_beat_scorer([feats], [lab], ["template_robust", "rr_ratio", "qrs_width_rel"])
    again = BeatScorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    assert np.array_equal(again.score(feats), scorer.score(feats))
    flagged = scorer.score(feats) >= scorer.threshold
    assert lab.sum() >= 6 and flagged[lab].mean() > 0.9 and flagged[~lab].mean() < 0.1
    assert scorer.contributions(feats).shape == (len(det), 3)


def write_npz_record(folder, rid, seconds, every, seed):
    """A MIT-BIH ``mlii_npz``-style record at 360 Hz: signal, reference R peaks, ventricular beats."""
    from test_anomalies_cli import ectopic_simulation

    x, normal, ectopic = ectopic_simulation(seconds=seconds, seed=seed, every=every, fs=360)
    r = np.sort(np.r_[normal, ectopic]).astype(np.int64)
    np.savez(folder / f"{rid}.npz", ecg_mlii_mV=x, fs=np.int64(360), r_peaks=r, pvc_peaks=ectopic.astype(np.int64))


@pytest.mark.slow
def test_cross_record_run_on_synthetic_records(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    data = tmp_path / "mlii_npz"
    data.mkdir()
    for rid, every, seed in ((1, 12, 1), (2, 9, 2), (3, 7, 3), (4, 3, 4), (5, 4, 5)):
        write_npz_record(data, rid, 60, every, seed)
    cfg = MedTsLLMConfig(task="anomaly").replace(
        encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8, "prototype_vocab": 256},
        data={"fs": 100.0, "window_s": 4.0, "hop_s": 2.0, "leads": ["II"], "anomaly_train_records": [1, 2, 3],
              "anomaly_test_records": [4, 5]},
        prompt={"template": "ecg_short", "covariates": False},
        backbone={"baseline_width": 32, "baseline_layers": 1, "use_llm": False},
    )
    torch.manual_seed(0)
    ck = tmp_path / "ck"
    save_checkpoint(MedTsLLM(cfg), ck)
    json_path, md_path = run_anomaly_bench([ck], data, save_scorer=ck, command="test", log=lambda m: None)
    doc = json.loads(json_path.read_text())
    assert doc["data"]["train_records"] == [1, 2, 3] and doc["data"]["test_records"] == [4, 5]
    methods = {**doc["metrics"]["methods"], **doc["baselines"]}
    scorer = methods["ck + beat scorer"]
    assert scorer["scorer"]["fitted_on"]["records"] == [1, 2, 3]
    assert scorer["pooled_mitdb"]["auroc"] > 0.95 and scorer["pooled_mitdb"]["f1_at_chosen_threshold"] > 0.8
    assert set(scorer["per_record"]) == {"4", "5"}
    assert "ck (reconstruction)" in methods and "beat scorer without MedTsLLM terms" in methods
    assert "ck (embedding distance)" in methods and "template+rr" in methods
    # the scorer is the cross-validation's pick among candidates with a MedTsLLM term
    cv = doc["metrics"]["cross_validation"]["ck"]
    assert len(cv) == 16 and all(r["records"] == 3 for r in cv.values())
    with_terms = {k: v for k, v in cv.items() if "recon_rel" in k or "embed_dist" in k}
    assert scorer["candidate"] == max(with_terms, key=lambda k: (round(with_terms[k]["f1_at_prevalence_0.2"], 4),
                                                                 with_terms[k]["auroc"]))
    manifest = json.loads((ck / "manifest.json").read_text())
    assert manifest["beat_scorer"]["threshold"] == scorer["scorer"]["threshold"]
    assert manifest["beat_scorer"]["pass_hop_s"] == 4.0 and "leave-one-record-out" in manifest["beat_scorer"]["selection"]
    # the shipped row scores the manifest's scorer as written, nothing refitted
    shipped = methods["ck shipped beat scorer"]
    assert shipped["kind"] == "shipped scorer" and shipped["scorer"]["coef"] == manifest["beat_scorer"]["coef"]
    assert shipped["pooled_mitdb"]["auroc"] == scorer["pooled_mitdb"]["auroc"]
    assert "F1 @ train thr." in md_path.read_text() and "cross-validation" in md_path.read_text()
