"""MedTsLLM beat scorer parts: per-patch hidden states of a whole-record pass, per-beat
embeddings and their record-relative distance, per-record centring, threshold rules, the cache
of reconstruction passes and the leave-one-record-out selection of the benchmark."""

import numpy as np
import pytest
import torch
from test_medtsllm_anomaly import small_config, synthetic_record

from medts.bench.anomaly import HAND_FEATURES, Candidate, cross_validate, select_by_cv
from medts.medtsllm.anomaly import (
    BeatScorer,
    beat_embeddings,
    cached_reconstruction_pass,
    embedding_distance,
    f1_at_prevalence,
    fit_beat_scorer,
    reconstruction_error,
    reconstruction_pass,
    rule_threshold,
)
from medts.medtsllm.checkpoint import save_checkpoint
from medts.medtsllm.model import MedTsLLM


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    model = MedTsLLM(small_config(use_llm=False))
    model.eval()
    return model


def test_reconstruction_pass_hidden_states_sit_on_the_record_patch_grid(small_model):
    torch.set_num_threads(1)
    rec = synthetic_record(seconds=20)
    p = reconstruction_pass(small_model, rec.signal, hop_s=4.0)
    assert p.stride == 10 and p.patch_len == 10
    assert p.hidden.shape == ((len(rec.signal) - 10) // 10 + 1, small_model.d_hidden)
    # with hop = window every patch comes from one window: record patches 40..79 are window 400..800
    with torch.no_grad():
        x = torch.from_numpy(rec.signal[400:800][None, None, :].copy())
        direct = small_model(x).hidden[0].float().numpy()  # [40, d]
    np.testing.assert_allclose(p.hidden[40:80], direct, rtol=1e-5, atol=1e-5)
    # the error alone is what reconstruction_error returns
    assert np.array_equal(p.error, reconstruction_error(small_model, rec.signal, hop_s=4.0))


def test_beat_embeddings_average_the_patches_around_each_beat():
    hidden = np.arange(100, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)  # patch i holds i
    emb = beat_embeddings(hidden, 10, 10, np.array([200, 505]), 100.0, before_s=0.3, after_s=0.0)
    # patch i is centred on sample 10 i + 5; beat 200 takes centres in [170, 200] -> patches 17..19,
    # beat 505 takes [475, 505] -> patches 47..50
    assert emb.shape == (2, 3)
    assert emb[0, 0] == pytest.approx(18.0)
    assert emb[1, 0] == pytest.approx(48.5)
    # no centre inside the span: the nearest patch
    assert beat_embeddings(hidden, 10, 10, np.array([703]), 100.0, before_s=0.0, after_s=0.0)[0, 0] == 70.0


def test_beat_embeddings_pool_the_qrs_patches_with_the_default_window():
    hidden = np.arange(100, dtype=np.float32)[:, None]
    emb = beat_embeddings(hidden, 10, 10, np.array([500]), 100.0)
    # default 0.1 s before / 0.2 s after at 100 Hz: sample window [490, 520] -> centres 495, 505, 515
    assert emb[0, 0] == pytest.approx(50.0)


def test_embedding_distance_marks_odd_beats_even_when_they_are_frequent():
    rng = np.random.default_rng(0)
    n, d = 200, 16
    beats = np.cumsum(np.full(n, 80))
    odd = np.zeros(n, bool)
    odd[1::2] = True  # bigeminy: every other beat, premature
    beats[odd] -= 30
    emb = rng.normal(0, 1, (n, d))
    emb[odd] += 6.0
    dist = embedding_distance(emb, beats, 100.0)
    assert dist[odd].min() > dist[~odd].max()
    # one scale for every record: multiplying all embeddings leaves the distances unchanged
    np.testing.assert_allclose(embedding_distance(emb * 7.0, beats, 100.0), dist, atol=1e-2)


def test_centred_scorer_ignores_a_per_record_offset_and_old_manifests_load():
    rng = np.random.default_rng(1)
    feats, labels = [], []
    for offset in (0.0, 3.0, -2.0):
        y = rng.random(300) < 0.1
        x = rng.normal(offset, 1, 300) + 4 * y
        feats.append({"a": x})
        labels.append(y)
    sc = fit_beat_scorer(feats, labels, ["a"], center=True)
    shifted = {"a": feats[0]["a"] + 10.0}
    np.testing.assert_allclose(sc.score(shifted), sc.score(feats[0]))
    glob = fit_beat_scorer(feats, labels, ["a"], center=False)
    assert not np.allclose(glob.score(shifted), glob.score(feats[0]))
    old = {k: v for k, v in sc.to_dict().items() if k not in ("center", "pass_hop_s")}
    again = BeatScorer.from_dict(old)
    assert again.center is False and again.pass_hop_s is None and not again.uses_embeddings


def test_prevalence_threshold_rule_trades_sensitivity_for_fewer_false_positives():
    rng = np.random.default_rng(2)
    s = np.r_[rng.normal(0, 1, 20000), rng.normal(3.5, 1, 200)]
    y = np.r_[np.zeros(20000, bool), np.ones(200, bool)]
    t_y, t_p = rule_threshold(s, y, "youden"), rule_threshold(s, y, "f1_at_prevalence_0.2")

    def f1_20(t: float) -> float:
        return f1_at_prevalence((s[y] >= t).mean(), (s[~y] >= t).mean(), 0.2)

    assert f1_20(t_p) >= f1_20(t_y) and t_p > t_y
    assert f1_at_prevalence(1.0, 0.0, 0.2) == 1.0 and f1_at_prevalence(0.0, 0.1, 0.2) == 0.0
    with pytest.raises(ValueError, match="unknown threshold rule"):
        rule_threshold(s, y, "median")


def test_cached_pass_round_trips(small_model, tmp_path):
    rec = synthetic_record(seconds=12)
    ck = tmp_path / "ck"
    save_checkpoint(small_model, ck)
    first = cached_reconstruction_pass(small_model, ck, rec.signal, hop_s=4.0, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    again = cached_reconstruction_pass(small_model, ck, rec.signal, hop_s=4.0, cache=tmp_path / "cache")
    assert np.array_equal(first.error, again.error) and np.array_equal(first.hidden, again.hidden)
    other_hop = cached_reconstruction_pass(small_model, ck, rec.signal, hop_s=2.0, cache=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2 and not np.array_equal(other_hop.error, first.error)


def test_cross_validation_prefers_the_informative_term():
    rng = np.random.default_rng(3)
    feats, labels = [], []
    for r in range(5):
        y = rng.random(400) < 0.05
        f = {h: rng.normal(0, 1, 400) for h in HAND_FEATURES}
        f["recon_rel"] = rng.normal(0, 1, 400) + 5.0 * y  # only the model term separates the classes
        f["embed_dist"] = rng.normal(0, 1, 400)
        feats.append(f)
        labels.append(y)
    cv = cross_validate(feats, labels, ("recon_rel",))
    assert len(cv) == 8 and all(r["records"] == 5 for r in cv.values())
    best = select_by_cv(cv, lambda c: True)
    assert "recon_rel" in best.features
    hand_only = Candidate(HAND_FEATURES, best.center, best.rule)
    assert cv[best]["auroc"] > cv[hand_only]["auroc"] + 0.2
