"""MedTsLLM anomaly detection: windows and labels, training, bit-exact reload, detect_anomalies.

Synthetic records: NeuroKit2 ECG (seeded) with some beats replaced by wide, large biphasic
complexes (a crude ventricular beat) at known R-peak positions.
"""


import json

import neurokit2 as nk
import numpy as np
import pytest
import torch

from medts.config import PROJECT_ROOT
from medts.medtsllm.anomaly import (
    AnomalyWindows,
    BeatRecord,
    best_f1_point_adjusted,
    detect_beats,
    detection_metrics,
    match_beats,
    point_adjust,
    template_scores,
)
from medts.medtsllm.backbone import tiny_llama
from medts.medtsllm.checkpoint import load_checkpoint, save_checkpoint
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.model import MedTsLLM
from medts.medtsllm.train import train_model

FS = 100.0
ADAPTER = PROJECT_ROOT / "adapters" / "anomaly-smollm2"


def synthetic_record(seconds: float = 60.0, seed: int = 3, every: int = 7) -> BeatRecord:
    """NeuroKit2 ECG at 100 Hz with every ``every``-th beat replaced by a wide (~160 ms) complex."""
    x = nk.ecg_simulate(duration=seconds, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=seed)
    x = np.asarray(x, np.float32)
    beats = np.asarray(nk.ecg_findpeaks(nk.ecg_clean(x, sampling_rate=int(FS)), sampling_rate=int(FS))["ECG_R_Peaks"])
    pvc = np.zeros(len(beats), bool)
    pvc[3::every] = True
    t = np.arange(-30, 31) / FS  # ±300 ms
    wide = (-1.8 * np.exp(-(t / 0.06) ** 2) + 0.9 * np.exp(-((t - 0.12) / 0.05) ** 2)).astype(np.float32)
    for b in beats[pvc]:
        lo, hi = max(0, b - 30), min(len(x), b + 31)
        x[lo:hi] = np.median(x) + wide[lo - (b - 30):hi - (b - 30)]
    return BeatRecord("synthetic", x, FS, beats.astype(np.int64), pvc, "II")


def small_config(**backbone) -> MedTsLLMConfig:
    return MedTsLLMConfig(task="anomaly").replace(
        encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8, "prototype_vocab": 256},
        data={"fs": FS, "window_s": 4.0, "hop_s": 2.0, "leads": ["II"]},
        prompt={"template": "ecg_short", "covariates": False},
        backbone={"baseline_width": 32, "baseline_layers": 1, **backbone},
        train={"steps": 40, "batch_size": 8, "lr": 3e-3, "eval_every": 1000, "threads": 1},
    )


def test_windows_exclude_abnormal_beats_and_label_them():
    rec = synthetic_record()
    cfg = small_config(use_llm=False)
    normal = AnomalyWindows([rec], cfg, normal_only=True, with_prompts=False)
    every = AnomalyWindows([rec], cfg, normal_only=False, with_prompts=False)
    assert len(every) == (len(rec.signal) - 400) // 200 + 1
    assert 0 < len(normal) < len(every)
    half = int(0.2 * FS)
    for i in range(len(every)):
        item = every[i]
        s = item["start"]
        inside = [b for b in rec.beats[rec.pvc] if s - half <= b < s + 400 + half]
        assert item["x"].shape == (1, 400) and item["y"].shape == (1, 400)
        assert bool(item["y"].any()) == bool(inside)
        for b in inside:
            if s <= b < s + 400:
                assert int(item["y"][0, b - s]) == 1
    assert not any(normal[i]["y"].any() for i in range(len(normal)))


def test_beat_detection_matching_and_baseline_on_synthetic():
    rec = synthetic_record()
    det = detect_beats(rec.signal, FS)
    m = match_beats(det, rec.beats, FS, tolerance_s=0.15)  # the crude wide beat's peak may shift
    assert (m >= 0).mean() > 0.95  # nearly every detection is a reference beat
    labels = np.where(m >= 0, rec.pvc[np.maximum(m, 0)], False)
    assert labels.sum() >= rec.pvc.sum() - 1
    assert detection_metrics(template_scores(rec.signal, det, FS), labels)["auroc"] > 0.95


def test_point_adjustment_marks_whole_runs():
    labels = np.array([0, 1, 1, 1, 0, 1, 0], bool)
    pred = np.array([0, 0, 1, 0, 0, 0, 1], bool)
    assert point_adjust(pred, labels).tolist() == [False, True, True, True, False, False, True]
    assert best_f1_point_adjusted(np.array([0, 0, 1, 0, 0, 0, 0.5]), labels) >= 0.75


def test_short_training_run_lowers_reconstruction_loss():
    torch.set_num_threads(1)
    rec = synthetic_record()
    cfg = small_config(use_llm=False)
    ds = AnomalyWindows([rec], cfg, normal_only=True, with_prompts=False)
    result = train_model(cfg, ds, None, log=lambda m: None)
    first, last = np.mean(result.train_losses[:3]), np.mean(result.train_losses[-3:])
    assert result.steps == 40
    assert last < 0.7 * first


def test_anomaly_checkpoint_reloads_bit_exactly(tokenizer, tmp_path):
    cfg = small_config(use_llm=True)
    model = MedTsLLM(cfg, backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    assert model.encoder.prototype_map.in_features == 256  # prototype source = first 256 tokens
    torch.manual_seed(0)
    with torch.no_grad():  # LoRA B starts at zero: make every trained part matter
        for p in model.trainable_parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.eval()
    rec = synthetic_record(seconds=12)
    ds = AnomalyWindows([rec], cfg, normal_only=False, with_prompts=True)
    x = torch.stack([ds[i]["x"] for i in range(3)])
    prompts = [ds[i]["prompt"] for i in range(3)]
    with torch.no_grad():
        before = model(x, prompts).output
    save_checkpoint(model, tmp_path / "ck", extra={"threshold": {"value": 1.0}})
    manifest = json.loads((tmp_path / "ck" / "manifest.json").read_text())
    assert manifest["task"] == "anomaly" and manifest["threshold"]["value"] == 1.0
    reloaded = load_checkpoint(tmp_path / "ck", backbone=tiny_llama(len(tokenizer), seed=1), tokenizer=tokenizer)
    with torch.no_grad():
        after = reloaded(x, prompts).output
    assert torch.equal(before, after)


@pytest.mark.skipif(not (ADAPTER / "manifest.json").is_file(), reason="anomaly adapter not shipped")
def test_detect_anomalies_scores_injected_beats_higher():
    from medts.medtsllm.infer import detect_anomalies
    from medts.record import ECG

    torch.set_num_threads(1)
    rec = synthetic_record(seconds=40, seed=5, every=5)
    ecg = ECG(signal=rec.signal[:, None], fs=FS, leads=["II"], record_id="synthetic")
    res = detect_anomalies(ecg, ADAPTER)
    data = json.loads(json.dumps(res.model_dump(mode="json")))  # JSON-serialisable
    assert data["lead"] == "II" and data["threshold"] is not None and data["windows"]
    times = np.array([b["time_s"] for b in data["beats"]])
    scores = np.array([b["score"] for b in data["beats"]])
    m = match_beats(np.round(times * FS).astype(int), rec.beats, FS, tolerance_s=0.15)
    injected = np.where(m >= 0, rec.pvc[np.maximum(m, 0)], False)
    assert injected.sum() >= 3
    assert np.median(scores[injected]) > np.median(scores[~injected])
    assert all(i["start_s"] < i["time_s"] < i["end_s"] for i in data["items"])
