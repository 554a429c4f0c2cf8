"""Tests of medts.classify.select: greedy, cost-aware ensemble selection on the validation fold."""

from __future__ import annotations

import numpy as np
import pytest
from classify_synthetic import train_tiny, write_classify_root

from medts.classify.metrics import macro_auc
from medts.classify.select import greedy_selection, pool_probabilities


def test_greedy_selection_adds_the_most_helpful_member_first_and_never_twice():
    rng = np.random.default_rng(0)
    y = (rng.random((200, 3)) < 0.3).astype(np.float32)
    good = np.clip(y * 0.6 + rng.random(y.shape) * 0.5, 0, 1).astype(np.float32)
    noisy = rng.random(y.shape).astype(np.float32)
    other = np.clip(y * 0.4 + rng.random(y.shape) * 0.6, 0, 1).astype(np.float32)
    steps = greedy_selection(y, [noisy, good, other], max_members=3, cpu_seconds=[1.0, 2.0, 4.0])
    assert steps[0]["added"] == 1 and steps[0]["macro_auc"] == macro_auc(y, good)
    assert sorted(steps[-1]["members"]) == [0, 1, 2]
    assert [s["cpu_seconds"] for s in steps] == [2.0, 2.0 + (4.0 if steps[1]["added"] == 2 else 1.0), 7.0]
    assert steps[1]["macro_auc"] == pytest.approx(macro_auc(y, (good + [noisy, good, other][steps[1]["added"]]) / 2))


def test_pool_probabilities_scores_every_member_of_every_adapter(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path / "cache"))
    root = write_classify_root(tmp_path / "ptbxl", per_fold=2, val_records=4)
    train_tiny(root, tmp_path / "a", seeds=(0, 1), epochs=1)
    train_tiny(root, tmp_path / "b", seeds=(2,), epochs=1)
    pool = pool_probabilities([tmp_path / "a", tmp_path / "b"], root, "superdiagnostic", stride=250)
    assert [m["pick"] for m in pool["members"]] == ["0:0", "0:1", "1:0"]
    assert [m["seed"] for m in pool["members"]] == [0, 1, 2]
    assert all(p.shape == (4, 5) for p in pool["probs"]) and all(s > 0 for s in pool["cpu_seconds"])
