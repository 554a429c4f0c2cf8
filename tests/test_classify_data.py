"""Tests of medts.classify.data: the memory-mapped PTB-XL cache, crops and sliding windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from classify_synthetic import write_classify_root

from medts.classify.data import RandomCropDataset, load_ptbxl_cache, sliding_windows, window_starts
from medts.classify.preprocess import standardise_signal


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    return write_classify_root(tmp_path / "ptbxl", per_fold=2, val_records=2)


def test_cache_holds_preprocessed_raw_and_processed_records(root):
    import wfdb

    cache = load_ptbxl_cache(root)
    assert cache.signals.shape == (18, 1000, 12) and cache.signals.dtype == np.float32
    assert isinstance(cache.signals, np.memmap)
    assert cache.n_missing == 1  # the csv row with no signal anywhere
    assert cache.sources.count("processed100_zscore") == 2
    assert sorted(set(cache.folds.tolist())) == list(range(1, 10))
    row = cache.sources.index("records100")
    ecg_id = int(cache.ecg_ids[row])
    raw = wfdb.rdsamp(str(root / f"records100/00000/{ecg_id:05d}_lr"))[0]
    np.testing.assert_allclose(cache.signals[row], standardise_signal(raw, 100.0), atol=1e-6)
    assert cache.record_counts()["1"] == {"processed100_zscore": 2}
    y, classes = cache.label_matrix("superdiagnostic")
    assert classes == ["CD", "HYP", "MI", "NORM", "STTC"]
    assert y[:, [0, 3]].sum() == 18 and y.sum() == 18


def test_second_load_reuses_the_cache_and_use_processed_false_skips_arrays(root):
    first = load_ptbxl_cache(root)
    mtime = (first.path / "signals.npy").stat().st_mtime_ns
    again = load_ptbxl_cache(root)
    assert again.path == first.path and (again.path / "signals.npy").stat().st_mtime_ns == mtime
    raw_only = load_ptbxl_cache(root, use_processed=False)
    assert raw_only.path != first.path and len(raw_only.ecg_ids) == 16


def test_windows_are_the_record_slices_in_order():
    x = np.arange(2 * 1000 * 12, dtype=np.float32).reshape(2, 1000, 12)
    assert window_starts(1000, 250, 125) == [0, 125, 250, 375, 500, 625, 750]
    assert window_starts(1100, 250, 250) == [0, 250, 500, 750, 850]  # last window ends at the end
    w = sliding_windows(x, 250, 125)
    assert w.shape == (14, 12, 250)
    np.testing.assert_array_equal(w[7 + 2], x[1, 250:500].T)
    short = sliding_windows(x[:, :200], 250, 125)  # zero-padded
    assert short.shape == (2, 12, 250) and np.all(short[:, :, 200:] == 0)


def test_random_crops_are_slices_and_seeded():
    signals = np.random.default_rng(0).standard_normal((3, 1000, 12)).astype(np.float32)
    ds = RandomCropDataset(signals, np.array([2, 0]), np.eye(2, dtype=np.float32), 250)
    torch.manual_seed(5)
    a = [ds[i][0] for i in range(2)]
    torch.manual_seed(5)
    b = [ds[i][0] for i in range(2)]
    for crop, again, row in zip(a, b, (2, 0)):
        assert torch.equal(crop, again) and crop.shape == (12, 250)
        starts = [s for s in range(751) if np.array_equal(signals[row, s : s + 250].T, crop.numpy())]
        assert len(starts) == 1
    assert torch.equal(ds[1][1], torch.tensor([0.0, 1.0]))


def test_lead_dropout_keeps_exactly_one_reduced_lead_set_and_is_off_by_default():
    from medts.classify.data import REDUCED_LEAD_SETS, keep_leads_mask

    signals = np.random.default_rng(1).standard_normal((2, 1000, 12)).astype(np.float32) + 3.0  # no zeros
    masks = {tuple(keep_leads_mask(s)) for s in REDUCED_LEAD_SETS}
    always = RandomCropDataset(signals, np.array([0, 1]), np.eye(2, dtype=np.float32), 250, lead_dropout=1.0)
    torch.manual_seed(0)
    seen = set()
    for _ in range(60):
        kept = tuple((always[0][0] != 0).all(dim=1).numpy())
        assert kept in masks  # the kept leads are whole, the others all zero
        seen.add(kept)
    assert len(seen) == len(REDUCED_LEAD_SETS)  # every set gets drawn
    never = RandomCropDataset(signals, np.array([0, 1]), np.eye(2, dtype=np.float32), 250)
    assert all(bool((never[1][0] != 0).all()) for _ in range(20))
    with pytest.raises(ValueError, match="lead_dropout"):
        RandomCropDataset(signals, np.array([0]), np.eye(1, dtype=np.float32), 250, lead_dropout=1.5)
