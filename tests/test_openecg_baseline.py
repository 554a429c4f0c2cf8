"""openecg (PyPI) as a delineation baseline: the wrapper and its row in ``medts bench delineation``."""

import json

import neurokit2 as nk
import numpy as np
import pytest

from medts.signal.openecg_baseline import (
    OPENECG_LUDB_VAL,
    fiducials_from_labels,
    openecg_frame_labels,
    openecg_lead_fiducials,
)


def _simulated(fs: int, seconds: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded NeuroKit2 ECG and its R peaks (from nk.ecg_peaks on the clean simulation)."""
    x = nk.ecg_simulate(duration=seconds, sampling_rate=fs, heart_rate=70, noise=0.01, random_state=seed)
    _, info = nk.ecg_peaks(x, sampling_rate=fs)
    return x, np.asarray(info["ECG_R_Peaks"])


@pytest.mark.parametrize(("fs", "seconds"), [(500, 10.0), (360, 15.0)])
def test_qrs_marks_bracket_the_simulated_r_peaks(fs, seconds):
    x, r = _simulated(fs, seconds, seed=3)
    f = openecg_lead_fiducials(x, float(fs))
    inner = r[(r > 2 * fs) & (r < len(x) - 2 * fs)]  # away from the window edges openecg leaves unlabelled
    assert len(inner) >= 5
    on, off, peak = f["QRS_on"], f["QRS_off"], f["QRS_peak"]
    for rp in inner:
        hit = np.flatnonzero((on <= rp + 0.01 * fs) & (off >= rp - 0.01 * fs))
        assert len(hit) == 1, f"R peak at {rp} not inside exactly one openecg QRS"
        assert abs(peak[hit[0]] - rp) <= 0.03 * fs
        assert 0.04 * fs <= off[hit[0]] - on[hit[0]] <= 0.16 * fs  # a QRS duration, in samples
    # every beat of a clean sinus simulation has a P before and a T after its QRS
    beats = [i for i, q in enumerate(on) if 2 * fs < q < len(x) - 2 * fs]
    assert all(f["P_off"][i] < on[i] < off[i] < f["T_on"][i] for i in beats)


def test_labels_follow_the_callers_sampling_rate_and_refuse_short_signals():
    x, _ = _simulated(250, 12.0, seed=5)
    assert len(openecg_frame_labels(x, 250.0)) == len(x)
    with pytest.raises(ValueError, match="at least 10 s"):
        openecg_frame_labels(x[: 9 * 250], 250.0)


def test_fiducials_from_labels_pairs_waves_with_their_beat():
    labels = np.zeros(100, np.uint8)
    labels[5:8] = 1     # P of beat 0
    labels[10:14] = 2   # QRS 0
    labels[20:26] = 3   # T of beat 0
    labels[30:33] = 1   # a P followed by ...
    labels[36:39] = 1   # ... a second P: the last one before QRS 1 is its P
    labels[45:49] = 2   # QRS 1, no T before the end
    x = np.sin(np.arange(100) / 3.0)
    f = fiducials_from_labels(x, labels)
    assert f["QRS_on"].tolist() == [10, 45] and f["QRS_off"].tolist() == [13, 48]
    assert f["P_on"].tolist() == [5, 36] and f["P_off"].tolist() == [7, 38]
    assert f["T_on"][0] == 20 and f["T_off"][0] == 25 and np.isnan(f["T_on"][1])
    assert 20 <= f["T_peak"][0] <= 25


@pytest.mark.realdata
def test_bench_scores_openecg_only_outside_its_ludb_training_split(ludb_dir, tmp_path, monkeypatch):
    from medts.bench.delineation import run

    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path))
    # record 1 is in openecg's LUDB training split and 91 in its validation split (checked below in the JSON)
    metrics, json_path, md_path = run(data_root=ludb_dir.parent, ludb_records=[1, 91],
                                      methods=("medts", "nk_prominence", "openecg"), parts=("ludb",),
                                      name="delin_openecg_test")
    fid = metrics["ludb"]["fiducials"]
    assert set(fid["openecg"]) == {"openecg_val", "openecg_val_held_out"}
    assert {"all", "openecg_val"} <= set(fid["medts"]) and "openecg_val" in fid["nk_prominence"]
    ours, theirs = fid["medts"], fid["openecg"]["openecg_val"]
    # openecg saw record 91 only: the same annotations as medts on that subset, fewer than on both records
    n_ann = theirs["QRS_on"]["tp"] + theirs["QRS_on"]["fn"]
    assert n_ann == ours["openecg_val"]["QRS_on"]["tp"] + ours["openecg_val"]["QRS_on"]["fn"]
    assert n_ann < ours["all"]["QRS_on"]["tp"] + ours["all"]["QRS_on"]["fn"]
    assert theirs["QRS_on"]["f1"] > 0.9
    record = json.loads(json_path.read_text())
    assert record["data"]["openecg_ludb_val_records"] == [91]
    assert any("ludb_v1.json" in note for note in record["notes"])
    md = md_path.read_text()
    assert "## LUDB fiducials (openecg_val;" in md and "openecg F1" in md
    all_table = md.split("## LUDB fiducials (all;")[1].split("##")[0]
    assert "openecg" not in all_table
    assert "openecg_val records (ms)" in md


@pytest.mark.realdata
def test_segmentation_bench_openecg_row_uses_only_its_held_out_records(ludb_dir):
    from medts.bench.segmentation import _openecg_tables, evaluate_openecg
    from medts.medtsllm.train import iou_f1

    assert 131 not in OPENECG_LUDB_VAL and 133 in OPENECG_LUDB_VAL
    out = evaluate_openecg(ludb_dir, [131, 133], log=lambda m: None)
    assert out["records"] == [133] and len(out["confusion_per_record"]) == 1
    assert out["per_sample"]["iou_QRS"] > 0.7 and out["per_sample"]["mean_iou"] > 0.6
    # a model row in that table is recomputed from the model's confusion of record 133 only
    conf_131, conf_133 = np.diag([100, 0, 0, 0]), np.diag([50, 10, 20, 30])
    conf_133[2, 0] = 20  # 20 QRS samples called none
    table = "\n".join(_openecg_tables(out, {"m": {"confusion_per_record": [conf_131, conf_133]}}, [131, 133]))
    assert "(133)" in table
    row = next(line for line in table.splitlines() if line.startswith("| m |"))
    assert f"{iou_f1(conf_133)['iou_QRS']:.4g}" in row and iou_f1(conf_133)["iou_QRS"] == pytest.approx(0.5)
