"""medts.bench.segmentation and the decoding helpers it shares with ``medts segment``."""

import json

import numpy as np
import pytest
import torch

from medts.bench.segmentation import mask_fiducials, model_masks
from medts.errors import MedtsError
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.data import resample_mask
from medts.medtsllm.infer import decode_masks, drop_short_runs, waves_from_mask
from medts.medtsllm.model import MedTsLLM


def test_drop_short_runs_relabels_flicker_only():
    fs = 100.0
    mask = np.array([0] * 10 + [1] * 8 + [0] * 5 + [2] * 2 + [2] * 6 + [3] * 2 + [2] * 1 + [0] * 10 + [3] * 20)
    out = drop_short_runs(mask, fs)
    # the 20 ms T run after the QRS becomes QRS, the 10 ms QRS run after it too; real waves stay
    assert out[:23].tolist() == mask[:23].tolist()
    assert (out[23:34] == 2).all() and (out[34:44] == 0).all() and (out[44:] == 3).all()
    assert drop_short_runs(np.array([3, 3, 0, 0, 0, 0, 0]), fs).tolist() == [0] * 7  # at the start: next label


def test_decode_masks_places_boundaries_between_model_samples():
    """A QRS whose probability crosses 0.5 between 100 Hz samples: interpolating before the
    argmax puts the 500 Hz boundary at the crossing; nearest-sample mapping snaps it to the
    10 ms grid. Short flicker is still removed at the output rate."""
    n = 40
    p_qrs = np.zeros(n)
    p_qrs[10], p_qrs[11:25] = 0.45, 1.0  # crosses 0.5 at model sample 10.09
    probs = np.zeros((n, 2, 4))
    probs[:, 0, 2] = p_qrs
    probs[:, 0, 0] = 1 - p_qrs
    probs[:, 1] = probs[:, 0]  # the same QRS in lead 2 (leads are blended: keep them alike here)
    probs[30, 1, :] = [0.2, 0.0, 0.0, 0.8]  # one 10 ms T blip in lead 2
    out = decode_masks(probs, fs_model=100.0, fs_out=500.0, n_out=5 * n)
    assert out.shape == (200, 2) and out.dtype == np.int8
    onset = int(np.flatnonzero(out[:, 0] == 2)[0])
    assert onset == 51  # the first 500 Hz sample past the crossing (10.09 x 5 = 50.5)
    assert not (out[:, 1] == 3).any()  # the blip is shorter than a T wave: dropped
    nearest = resample_mask(probs[:, 0].argmax(-1), 100.0, 500.0, 200)
    assert int(np.flatnonzero(nearest == 2)[0]) == 53  # the 10 ms grid: halfway to model sample 11


def test_decode_masks_lends_a_faint_lead_the_other_leads_wave():
    """A P wave that 11 leads see clearly and one lead calls 'none' at 0.6 (faint P, as in aVR):
    blended with the all-lead mean, that lead gets the P wave too; a lead alone is unchanged."""
    n = 60
    probs = np.zeros((n, 12, 4))
    probs[:, :, 0] = 1.0
    probs[20:30, :, :] = [0.1, 0.9, 0.0, 0.0]
    probs[20:30, 5, :] = [0.6, 0.4, 0.0, 0.0]
    out = decode_masks(probs, fs_model=100.0, fs_out=100.0, n_out=n)
    assert (out[20:30, 5] == 1).all() and (out[20:30, 0] == 1).all()
    alone = decode_masks(probs[:, 5:6], fs_model=100.0, fs_out=100.0, n_out=n)
    assert not (alone == 1).any()


def test_waves_from_mask_places_peak_at_the_extremum():
    fs = 500.0
    t = np.arange(1000) / fs
    signal = np.exp(-((t - 1.0) / 0.01) ** 2)  # a bump peaking at sample 500
    mask = np.zeros(1000, np.int8)
    mask[480:531] = 2
    mask[:20] = 3  # touches the record start: incomplete
    waves = waves_from_mask(mask, signal, fs)
    assert [(w.kind, w.onset, w.offset, w.complete) for w in waves] == [("T", 0, 19, False), ("QRS", 480, 530, True)]
    assert waves[1].peak == 500 and waves[1].peak_s == pytest.approx(1.0) and waves[1].duration_ms == pytest.approx(102.0)
    fids = mask_fiducials(mask, signal, fs)
    assert fids["QRS_on"].tolist() == [480] and fids["QRS_peak"].tolist() == [500] and fids["QRS_off"].tolist() == [530]


def test_model_masks_cover_the_record_at_the_input_rate():
    torch.manual_seed(0)
    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32, "baseline_max_positions": 64},
                                   head={"refine_channels": 8, "refine_features": 3})
    model = MedTsLLM(cfg).eval()
    signal = np.random.default_rng(0).normal(size=(2345, 3)).astype(np.float32)  # 4.69 s at 500 Hz
    masks = model_masks(model, signal, ["I", "II", "V1"], 500.0)
    assert masks.shape == (2345, 3) and set(np.unique(masks)) <= {0, 1, 2, 3}


@pytest.mark.slow
@pytest.mark.realdata
def test_bench_writes_results_with_baselines(ludb_dir, tmp_path, monkeypatch):
    """A one-record run of the whole benchmark with a freshly trained tiny baseline checkpoint."""
    from medts.bench.segmentation import run_segmentation_bench
    from medts.medtsllm.checkpoint import save_checkpoint

    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32, "baseline_max_positions": 64})
    save_checkpoint(MedTsLLM(cfg).eval(), tmp_path / "ck")
    torch.manual_seed(1)
    save_checkpoint(MedTsLLM(cfg).eval(), tmp_path / "ck2")
    json_path, md_path = run_segmentation_bench([tmp_path / "ck", tmp_path / "ck2"], ludb_dir, record_ids=[131, 132],
                                                timing_records=0, pairs=[("ck", "ck2")], n_boot=50,
                                                name="segmentation-test", log=lambda m: None)
    doc = json.loads(json_path.read_text())
    assert set(doc["metrics"]["baselines"]) == {"nk_dwt", "nk_prominence", "medts"}
    nk = doc["metrics"]["baselines"]["nk_dwt"]["fiducials"]["QRS_on"]
    assert nk["tp"] > 0 and nk["f1"] > 0.5
    assert "ck" in doc["metrics"]["models"] and "## LUDB fiducial F1" in md_path.read_text()
    model = doc["metrics"]["models"]["ck"]
    assert len(model["confusion_per_record"]) == 2
    lo, hi = model["per_sample_ci95"]["mean_iou"]
    assert lo <= model["per_sample"]["mean_iou"] <= hi
    (pair,) = doc["metrics"]["bootstrap"]["pairs"]
    expected = model["per_sample"]["mean_iou"] - doc["metrics"]["models"]["ck2"]["per_sample"]["mean_iou"]
    assert pair["delta"]["mean_iou"] == pytest.approx(expected)
    assert "LLM row minus its no-LLM twin" in md_path.read_text()


def test_bench_refuses_a_pair_naming_no_checkpoint(ludb_dir, tmp_path):
    from medts.bench.segmentation import run_segmentation_bench

    with pytest.raises(MedtsError, match="pair a=b"):
        run_segmentation_bench([tmp_path / "a"], ludb_dir, record_ids=[131], pairs=[("a", "b")], log=lambda m: None)


def _perfect_confusions(n_records: int, wrong: int) -> np.ndarray:
    """[n_records, 4, 4]: 100 samples per class per record, ``wrong`` of each wave class called "none"."""
    c = np.zeros((n_records, 4, 4), np.int64)
    for k in range(4):
        c[:, k, k] = 100
    for k in (1, 2, 3):
        c[:, k, k] -= wrong
        c[:, k, 0] += wrong
    return c


def test_bootstrap_pairs_tell_a_better_row_from_a_tie():
    from medts.bench.segmentation import bootstrap_iou

    rng = np.random.default_rng(0)
    noisy = _perfect_confusions(20, 5)
    worse = _perfect_confusions(20, 30)

    noisy[:, 1, 1] -= rng.integers(0, 10, 20)  # record-to-record spread, so intervals are not points
    noisy[:, 1, 0] += 100 - noisy[:, 1, :].sum(axis=1)
    out = bootstrap_iou({"good": noisy, "worse": worse, "same": noisy.copy()}, n_boot=200,
                        pairs=[("good", "worse"), ("good", "same")])
    ahead, tie = out["pairs"]
    assert ahead["delta"]["mean_iou"] > 0.1 and ahead["llm_ahead_beyond_interval"]
    assert tie["delta"]["mean_iou"] == 0 and tie["interval"]["mean_iou"] == [0.0, 0.0]
    assert not tie["llm_ahead_beyond_interval"]
    lo, hi = out["models"]["good"]["iou_P"]
    assert lo < hi


@pytest.mark.parametrize("pair, message", [("ck", "expected LLM=TWIN"), ("ck=nope", "pair ck=nope")])
def test_bench_cli_refuses_a_bad_pair_with_exit_2(tmp_path, capsys, pair, message):
    from medts.cli import main
    from medts.medtsllm.checkpoint import save_checkpoint

    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32, "baseline_max_positions": 64})
    save_checkpoint(MedTsLLM(cfg).eval(), tmp_path / "ck")
    code = main(["bench", "segmentation", "-c", str(tmp_path / "ck"), "--data", str(tmp_path), "--qtdb-records", "-1",
                 "--pair", pair, "--name", "never-written"])
    assert code == 2 and message in capsys.readouterr().err


def test_bench_cli_refuses_an_unknown_qtdb_half_with_exit_2(tmp_path, capsys):
    from medts.cli import main
    from medts.medtsllm.checkpoint import save_checkpoint

    cfg = MedTsLLMConfig().replace(backbone={"use_llm": False, "baseline_width": 32, "baseline_max_positions": 64})
    save_checkpoint(MedTsLLM(cfg).eval(), tmp_path / "ck")
    code = main(["bench", "segmentation", "-c", str(tmp_path / "ck"), "--data", str(tmp_path), "--qtdb-half", "even",
                 "--name", "never-written"])
    assert code == 2 and "--qtdb-half 'even'" in capsys.readouterr().err
