"""Anomaly detection with MedTsLLM: MIT-BIH beat records, training windows, reconstruction
error, per-beat and per-window scores, the calibrated beat scorer, simple baselines and the
metrics to compare them.

The anomaly head reconstructs each window (``task: anomaly``); the squared error per sample,
divided by the record's squared median window standard deviation (so amplitude differences
between records do not move the scale; see ``reconstruction_error``), is averaged over
overlapping windows and then around each beat (``heads.beat_scores``, ±0.2 s
of the R peak) and over each window. The model trains on windows of normal rhythm only
(windows holding no ventricular beat); split by record, never by window.

Reconstruction error alone does not carry one threshold across records. ``BeatScorer`` turns
it into a calibrated per-beat probability: a logistic model over the error normalised per
record (log of the beat's error / the record's median beat error) and record-relative RR,
shape, QRS-width and amplitude terms (``beat_features``, from ``medts.signal.beats``), with
weights and threshold fitted on the training records' beats only (``fit_beat_scorer``; stored
in the adapter manifest as ``beat_scorer``). The shipped scorer keeps only the hand-made terms:
the error term did not help on whole MIT-BIH records (``medts.bench.anomaly_whole``, issue #20).

Beats are R peaks that the pipeline detects (``detect_beats``: NeuroKit2 clean + peaks, as
``medts.signal.peaks``); a detected beat is a PVC when it lies within 100 ms of a reference
ventricular beat (``match_beats``).

Example
-------
>>> rec = read_beat_record("../shared/data/mitdb/mlii_npz/106.npz", fs=100.0)   # doctest: +SKIP
>>> err = reconstruction_error(model, rec.signal)                                 # doctest: +SKIP
>>> scores = beat_scores(err, rec.beats, rec.fs)                                  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from medts.classify.data import window_starts
from medts.classify.metrics import best_f1_threshold, f1_at
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.heads import beat_scores, window_score
from medts.medtsllm.model import MedTsLLM
from medts.medtsllm.prompt import build_prompt
from medts.signal.beats import (  # noqa: F401 - re-exported: one implementation of the beat features
    amplitude_ratio,
    beat_matrix,
    qrs_width_ms,
    relative_to_median,
    rr_pause,
    rr_prematurity,
    rr_ratio,
    template_correlation,
)

BEAT_HALF_WIDTH_S = 0.2
MATCH_TOLERANCE_S = 0.1


@dataclass
class BeatRecord:
    """One single-lead record at the model rate.

    ``signal`` float32 [n_samples] mV at ``fs`` Hz; ``beats`` int64 sample indices of the
    beats (at ``fs``); ``pvc`` bool [n_beats], True for ventricular beats (unknown: all False).
    """

    record_id: str
    signal: np.ndarray
    fs: float
    beats: np.ndarray
    pvc: np.ndarray
    lead: str = "II"
    fusion: np.ndarray | None = None
    """bool [n_beats], True for fusion beats (F) where the labels say so; ``None``: not labelled."""


def mitdb_npz_path(root: str | Path, record_id: int | str) -> Path:
    """``root/<id>.npz`` or ``root/mlii_npz/<id>.npz`` (root may be ``mitdb`` or ``mitdb/mlii_npz``)."""
    root = Path(root)
    for p in (root / f"{record_id}.npz", root / "mlii_npz" / f"{record_id}.npz"):
        if p.is_file():
            return p
    from medts.errors import MedtsError

    raise MedtsError(f"{root}: no MIT-BIH record {record_id}.npz (expected the mitdb/mlii_npz folder)")


def read_beat_record(path: str | Path, fs: float, *, minutes: float | None = None) -> BeatRecord:
    """Read a MIT-BIH ``.npz`` (``medts.io.read_record``), resample to ``fs`` Hz and map the
    reference R peaks (``r_peaks``) and ventricular beats (``pvc_peaks``) onto the new rate.

    ``minutes`` keeps only the first minutes (quick runs)."""
    from medts.io import read_record

    path = Path(path)
    ecg = read_record(path)
    if minutes is not None:
        ecg = ecg.slice(0.0, 60.0 * minutes)
    fs_in = ecg.fs
    sig = ecg.resample(fs).signal[:, 0] if fs != fs_in else ecg.signal[:, 0]
    with np.load(path) as z:
        r = np.asarray(z["r_peaks"], np.int64) if "r_peaks" in z else np.zeros(0, np.int64)
        v = np.asarray(z["pvc_peaks"], np.int64) if "pvc_peaks" in z else np.zeros(0, np.int64)
    keep = r < ecg.n_samples
    r = r[keep]
    pvc = np.isin(r, v)
    beats = np.minimum(np.round(r * fs / fs_in).astype(np.int64), len(sig) - 1)
    return BeatRecord(path.stem, sig.astype(np.float32), float(fs), beats, pvc, ecg.leads[0])


def read_qtdb_beat_record(root: str | Path, name: str, fs: float, *, minutes: float | None = None) -> BeatRecord:
    """QTDB record ``name`` (e.g. ``"sel213"``), its first lead resampled to ``fs`` Hz, with the
    ``.atr`` beat labels: ventricular (V) and fusion (F) beats marked."""
    from medts.errors import MedtsError
    from medts.io.qtdb import read_qtdb

    rec = read_qtdb(root, name)
    if rec.beats_source != "atr":
        raise MedtsError(f"{Path(root) / name}: no .atr beat labels")
    ecg = rec.ecg.select_leads([rec.ecg.leads[0]])
    if minutes is not None:
        ecg = ecg.slice(0.0, 60.0 * minutes)
    sig = (ecg.resample(fs) if ecg.fs != fs else ecg).signal[:, 0]
    ref = np.array([b.sample for b in rec.beats], np.int64)
    sym = np.array([b.symbol for b in rec.beats])
    keep = ref < ecg.n_samples
    beats = np.minimum(np.round(ref[keep] * fs / ecg.fs).astype(np.int64), len(sig) - 1)
    return BeatRecord(f"qtdb-{name}", sig.astype(np.float32), float(fs), beats, sym[keep] == "V", ecg.leads[0],
                      fusion=sym[keep] == "F")


def detect_beats(signal: np.ndarray, fs: float) -> np.ndarray:
    """R peaks (int64 sample indices) of one lead: NeuroKit2 ``ecg_clean`` then
    ``medts.signal.peaks.lead_rpeaks``; polarity-agnostic peaks are refined to the sample of
    largest absolute cleaned amplitude within ±50 ms (ventricular beats are often negative)."""
    import neurokit2 as nk

    from medts.signal.peaks import lead_rpeaks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = nk.ecg_clean(np.asarray(signal, float), sampling_rate=round(fs))
    peaks = lead_rpeaks(clean, fs)
    half = max(1, int(round(0.05 * fs)))
    out = [max(0, p - half) + int(np.argmax(np.abs(clean[max(0, p - half):p + half + 1]))) for p in peaks]
    return np.unique(np.asarray(out, np.int64))


def match_beats(detected: np.ndarray, reference: np.ndarray, fs: float, tolerance_s: float = MATCH_TOLERANCE_S) -> np.ndarray:
    """For each detected beat, the index of the nearest reference beat within ``tolerance_s``
    (-1 when none): int64 [n_detected]."""
    detected, reference = np.asarray(detected, np.int64), np.asarray(reference, np.int64)
    if len(reference) == 0:
        return np.full(len(detected), -1, np.int64)
    pos = np.searchsorted(reference, detected)
    cand = np.stack([np.clip(pos - 1, 0, len(reference) - 1), np.clip(pos, 0, len(reference) - 1)])  # [2, n]
    dist = np.abs(reference[cand] - detected[None, :])  # [2, n]
    nearest = cand[np.argmin(dist, axis=0), np.arange(len(detected))]
    ok = np.abs(reference[nearest] - detected) <= tolerance_s * fs
    return np.where(ok, nearest, -1).astype(np.int64)


def pvc_sample_mask(n: int, beats: np.ndarray, pvc: np.ndarray, fs: float, half_width_s: float = BEAT_HALF_WIDTH_S) -> np.ndarray:
    """int8 [n]: 1 within ±``half_width_s`` of a ventricular beat, else 0."""
    mask = np.zeros(n, np.int8)
    half = int(round(half_width_s * fs))
    for b in np.asarray(beats)[np.asarray(pvc, bool)]:
        mask[max(0, b - half):b + half + 1] = 1
    return mask


class AnomalyWindows(Dataset):
    """Windows of ``config.data.window_s`` s every ``hop_s`` s from ``records`` (at the model rate).

    With ``normal_only`` a window is kept only if no ventricular beat lies within it (±0.2 s).
    Items as ``data.LudbWindows``: ``x`` float32 [1, time] mV, ``y`` int64 [1, time] (1 near a
    PVC), ``prompt``, ``record_id``, ``leads``, ``start``.
    """

    def __init__(self, records: Sequence[BeatRecord], config: MedTsLLMConfig, *, normal_only: bool = True,
                 with_prompts: bool = True) -> None:
        self.config, self.records, self.with_prompts = config, list(records), with_prompts
        d = config.data
        self.length = int(round(d.window_s * d.fs))
        hop = int(round(d.hop_s * d.fs))
        self.masks = [pvc_sample_mask(len(r.signal), r.beats, r.pvc, r.fs) for r in self.records]
        self.index: list[tuple[int, int]] = []
        for ri, rec in enumerate(self.records):
            for s in range(0, len(rec.signal) - self.length + 1, hop):
                if normal_only and self.masks[ri][s:s + self.length].any():
                    continue
                self.index.append((ri, s))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ri, s = self.index[i]
        rec = self.records[ri]
        x = rec.signal[s:s + self.length]  # [T]
        prompt = window_prompt(self.config, x, rec.lead) if self.with_prompts else ""
        return {
            "x": torch.from_numpy(np.ascontiguousarray(x[None, :])),  # [1, T] at the model edge
            "y": torch.from_numpy(self.masks[ri][s:s + self.length][None, :].astype(np.int64)),
            "prompt": prompt, "record_id": rec.record_id, "leads": [rec.lead], "start": s,
        }


def window_prompt(config: MedTsLLMConfig, x: np.ndarray, lead: str, dataset: str = "mitdb") -> str:
    """The prompt of one anomaly window ``x`` [n_samples] mV (MIT-BIH covariates are unknown)."""
    return build_prompt(config.prompt, task="anomaly", dataset=dataset, fs=config.data.fs, window=x, lead=lead)


@dataclass
class RecordPass:
    """One pass of the anomaly model over a whole record (``reconstruction_pass``).

    ``error`` float32 [n_samples]: squared reconstruction error per sample in units of the
    record's scale (see ``reconstruction_error``); ``hidden`` float32 [n_patches, d_hidden] or
    None: the model's last hidden state at each patch position (the LLM's, or the no-LLM body's),
    averaged over the overlapping windows that hold the patch; patch ``i`` starts at sample
    ``i * stride`` and spans ``patch_len`` samples."""

    error: np.ndarray
    hidden: np.ndarray | None
    stride: int
    patch_len: int


@torch.no_grad()
def reconstruction_pass(
    model: MedTsLLM,
    signal: np.ndarray,
    *,
    lead: str = "II",
    dataset: str = "mitdb",
    hop_s: float | None = None,
    batch_size: int = 64,
    with_hidden: bool = True,
) -> RecordPass:
    """Reconstruct ``signal`` [n_samples] mV (at ``model.config.data.fs``) window by window
    (hop ``window_s / 2`` by default) and return the per-sample error and, with ``with_hidden``,
    the per-patch hidden states on the record's patch grid (``RecordPass``).

    Why the error is in units of the record's scale rather than the per-window RevIN units the
    model trains in: a window holding a large ventricular beat has a larger standard deviation,
    so its normalised errors shrink exactly where the anomaly is (measured: pooled AUROC 0.38 on
    the first 3 min of the test records, below chance). One scale per record keeps scores
    comparable across records without that inversion."""
    cfg = model.config
    length = int(round(cfg.data.window_s * cfg.data.fs))
    hop = int(round((hop_s or cfg.data.window_s / 2) * cfg.data.fs))
    stride, patch_len = int(cfg.encoder.stride), int(cfg.encoder.patch_len)
    n = len(signal)
    sig = np.pad(signal, (0, max(0, length - n)), mode="edge").astype(np.float32)
    starts = window_starts(len(sig), length, hop)
    total = np.zeros(len(sig), np.float64)
    count = np.zeros(len(sig), np.float64)
    n_patches = (len(sig) - patch_len) // stride + 1
    h_sum: np.ndarray | None = None
    h_count = np.zeros(n_patches, np.float64)
    stds: list[np.ndarray] = []
    for b in range(0, len(starts), batch_size):
        chunk = starts[b:b + batch_size]
        x = torch.from_numpy(np.stack([sig[s:s + length] for s in chunk])[:, None, :])  # [W, 1, T]
        prompts = [window_prompt(cfg, sig[s:s + length], lead, dataset) for s in chunk] if model.llm is not None else None
        out = model(x, prompts)
        err = ((out.output[..., 0] - x) ** 2)[:, 0].numpy()  # [W, T] mV^2
        stds.append(x[:, 0].std(dim=-1).numpy())
        hid = out.hidden.float().numpy() if with_hidden else None  # [W, N, d] (one channel: C*N = N)
        for wi, (s, e) in enumerate(zip(chunk, err)):
            total[s:s + length] += e
            count[s:s + length] += 1
            if hid is not None:
                if h_sum is None:
                    h_sum = np.zeros((n_patches, hid.shape[-1]), np.float64)
                # window patch p starts at sample s + p*stride: record patch s // stride + p (exact
                # when the hop is a multiple of the stride; the last, end-aligned window may be off
                # by less than one patch)
                first = int(s) // stride
                k = min(hid.shape[1], n_patches - first)
                h_sum[first:first + k] += hid[wi, :k]
                h_count[first:first + k] += 1
    scale = max(float(np.median(np.concatenate(stds))), 1e-3)  # mV; floor keeps flat lines finite
    error = (total / np.maximum(count, 1) / scale**2)[:n].astype(np.float32)
    hidden = None if h_sum is None else (h_sum / np.maximum(h_count, 1)[:, None]).astype(np.float32)
    return RecordPass(error, hidden, stride, patch_len)


def reconstruction_error(
    model: MedTsLLM,
    signal: np.ndarray,
    *,
    lead: str = "II",
    dataset: str = "mitdb",
    hop_s: float | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Squared reconstruction error per sample, float32 [n_samples], of ``signal`` [n_samples] mV
    at ``model.config.data.fs``, in units of the record's scale: the error in mV² divided by the
    squared median of the windows' standard deviations. Overlapping windows (hop ``window_s / 2``
    by default) are averaged (``reconstruction_pass`` without the hidden states)."""
    return reconstruction_pass(model, signal, lead=lead, dataset=dataset, hop_s=hop_s, batch_size=batch_size,
                               with_hidden=False).error


def beat_embeddings(hidden: np.ndarray, stride: int, patch_len: int, beats: np.ndarray, fs: float, *,
                    before_s: float = 0.1, after_s: float = 0.2) -> np.ndarray:
    """Per-beat embedding, float32 [n_beats, d_hidden]: the mean of the patch hidden states
    (``RecordPass.hidden`` [n_patches, d_hidden]) whose centre lies within ``before_s`` before to
    ``after_s`` after the R peak (the QRS and the start of the T wave at 100 Hz: 3 patches of
    0.1 s); the nearest patch when none does.

    Example: ``beat_embeddings(p.hidden, p.stride, p.patch_len, beats, 100.0)``."""
    beats = np.asarray(beats, np.int64)
    centres = np.arange(len(hidden)) * stride + patch_len / 2.0  # [n_patches] samples
    lo = np.searchsorted(centres, beats - before_s * fs, side="left")
    hi = np.searchsorted(centres, beats + after_s * fs, side="right")
    csum = np.concatenate([np.zeros((1, hidden.shape[1])), np.cumsum(hidden, axis=0, dtype=np.float64)])  # [P+1, d]
    out = np.empty((len(beats), hidden.shape[1]), np.float32)
    for i, (a, b) in enumerate(zip(lo, hi)):
        if b <= a:  # no patch centre inside: the nearest patch
            a = int(np.clip(np.argmin(np.abs(centres - beats[i])), 0, len(hidden) - 1))
            b = a + 1
        out[i] = (csum[b] - csum[a]) / (b - a)
    return out


def cached_reconstruction_pass(model: MedTsLLM, checkpoint: str | Path, signal: np.ndarray, *, lead: str = "II",
                               hop_s: float | None = None, cache: str | Path | None = None) -> RecordPass:
    """``reconstruction_pass`` of ``signal`` (with hidden states), read from / written to ``cache``
    (a folder; None: no cache) keyed as ``error_cache_path`` plus the hop. Hidden states are
    stored as float16: the model computes them under bf16 autocast, so little is lost."""
    if cache is None:
        return reconstruction_pass(model, signal, lead=lead, hop_s=hop_s)
    key = error_cache_path(model, checkpoint, signal, f"{lead}|pass|hop={hop_s}", cache).with_suffix(".npz")
    if key.is_file():
        with np.load(key) as z:
            return RecordPass(z["error"], z["hidden"].astype(np.float32), int(z["stride"]), int(z["patch_len"]))
    p = reconstruction_pass(model, signal, lead=lead, hop_s=hop_s)
    key.parent.mkdir(parents=True, exist_ok=True)
    tmp = key.with_suffix(".tmp.npz")
    np.savez(tmp, error=p.error, hidden=p.hidden.astype(np.float16), stride=p.stride, patch_len=p.patch_len)
    tmp.replace(key)  # atomic: a stopped run leaves no half-written entry
    return RecordPass(p.error, p.hidden.astype(np.float16).astype(np.float32), p.stride, p.patch_len)


def error_cache_path(model: MedTsLLM, checkpoint: str | Path, signal: np.ndarray, lead: str, cache: str | Path) -> Path:
    """``cache/<sha256 of weights, config, lead, signal>.npy``. The config's ``train`` section is
    left out of the key: it does not change the model's outputs."""
    import hashlib
    import json

    h = hashlib.sha256()
    for f in sorted(Path(checkpoint).rglob("*.safetensors")):
        h.update(f.read_bytes())
    config = {k: v for k, v in model.config.to_dict().items() if k != "train"}
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    h.update(lead.encode())
    h.update(np.ascontiguousarray(signal, np.float32).tobytes())
    return Path(cache) / f"{h.hexdigest()[:32]}.npy"


def tile_window_scores(error: np.ndarray, fs: float, window_s: float) -> list[tuple[int, int, float]]:
    """Per-window scores over non-overlapping tiles: (start, end, mean error) in samples."""
    length = max(1, int(round(window_s * fs)))
    return [(s, min(len(error), s + length), window_score(error[s:s + length])) for s in range(0, len(error), length)]


# ----- baselines ------------------------------------------------------------------------------
def template_scores(signal: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """1 − Pearson correlation of each beat with the record's median beat (0 identical .. 2)."""
    return 1.0 - template_correlation(signal, beats, fs)


def baseline_scores(signal: np.ndarray, beats: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """The trivial baselines per beat: template, RR prematurity, and their sum (global scale)."""
    tpl = template_scores(signal, beats, fs)
    rr = rr_prematurity(beats, fs)
    return {"template_1-corr": tpl, "rr_prematurity": rr, "template+rr": tpl + np.maximum(rr, 0.0)}


# ----- the calibrated beat scorer ----------------------------------------------------------------
BEAT_FEATURES = ("recon_rel", "template_robust", "qrs_template_robust", "rr_ratio", "rr_prematurity", "qrs_width_rel",
                 "amplitude_rel")
"""``fit_beat_scorer``'s default features: the hand-made ones plus the MedTsLLM ``recon_rel``
(``beat_features`` computes these and a few more). The shipped scorer dropped ``recon_rel``
after the whole-record test (``medts.bench.anomaly_whole``; adapter manifest)."""
FEATURE_WORDS = {"recon_rel": "reconstruction error", "template_robust": "shape differs from the typical beat",
                 "qrs_template_robust": "QRS shape differs", "rr_ratio": "premature with a pause after",
                 "rr_prematurity": "premature", "qrs_width_rel": "wide QRS", "amplitude_rel": "large QRS",
                 "template_1-corr": "shape differs from the median beat", "rr_pause": "pause after",
                 "qrs_width_ms": "wide QRS", "embed_dist": "MedTsLLM embedding differs from the typical beat"}


def embedding_distance(embeddings: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """How far each beat's MedTsLLM embedding lies from the record's typical beat, float [n_beats]:
    log of the mean absolute robust z-score over the hidden dimensions. The centre and scale
    (median and 1.4826 x MAD per dimension) come from the record's typical half of beats: those
    closest to the median of all beats, so that frequent ectopic beats (bigeminy) do not become
    the reference; RR timing is not used for this because in bigeminy half the intervals are
    short. The learned counterpart of ``template_correlation``: one scale for every record.

    ``embeddings`` float [n_beats, d_hidden] (``beat_embeddings``); ``beats`` their R peaks at
    ``fs`` (kept for a uniform signature with the other beat features)."""
    del beats, fs
    emb = np.asarray(embeddings, float)
    if len(emb) == 0:
        return np.zeros(0)

    def robust_z(ref: np.ndarray) -> np.ndarray:  # [n_beats, d] against the beats in ref
        centre = np.median(ref, axis=0)  # [d]
        spread = 1.4826 * np.median(np.abs(ref - centre), axis=0) + 1e-3  # [d]; floor: constant dims
        return np.abs(emb - centre) / spread

    first = robust_z(emb).mean(axis=1)
    typical = first <= np.median(first)
    return np.log(robust_z(emb[typical]).mean(axis=1) + 1e-6)


def beat_features(signal: np.ndarray, beats: np.ndarray, fs: float, error: np.ndarray | None = None, *,
                  embeddings: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-beat features on one scale for every record, float [n_beats] each:

    - ``recon_rel``: log(beat reconstruction error / the record's median beat error), the MedTsLLM
      term, normalised per record (robust: a typical beat of any record is 0); NaN without ``error``;
    - ``template_1-corr``: log(1 − correlation with the record's median beat + 0.01);
    - ``rr_prematurity`` / ``rr_pause``: preceding / following RR against the median RR, clipped to ±1;
    - ``qrs_width_rel``: log(approximate QRS width / the record's median width);
    - ``embed_dist``: ``embedding_distance`` of the MedTsLLM beat ``embeddings`` [n_beats, d]
      (NaN without them).
    """
    beats = np.asarray(beats, np.int64)
    if error is None:
        recon = np.full(len(beats), np.nan)
    else:
        recon = relative_to_median(np.nan_to_num(beat_scores(error, beats, fs, half_width_s=BEAT_HALF_WIDTH_S)))
    prem = rr_prematurity(beats, fs)
    tpl_robust = template_correlation(signal, beats, fs, typical=0.5, typical_mask=prem < 0.1)
    qrs_robust = template_correlation(signal, beats, fs, before_s=0.1, after_s=0.15, typical=0.5, typical_mask=prem < 0.1)
    return {
        "recon_rel": recon,
        "template_1-corr": np.log(np.maximum(template_scores(signal, beats, fs), 0.0) + 0.01),
        "template_robust": np.log(np.maximum(1.0 - tpl_robust, 0.0) + 0.01),
        "qrs_template_robust": np.log(np.maximum(1.0 - qrs_robust, 0.0) + 0.01),
        "rr_prematurity": np.clip(prem, -1.0, 1.0),
        "rr_pause": np.clip(rr_pause(beats, fs), -1.0, 1.0),
        "rr_ratio": np.clip(rr_ratio(beats, fs), -1.5, 1.5),
        "qrs_width_rel": relative_to_median(qrs_width_ms(signal, beats, fs)),
        "qrs_width_ms": qrs_width_ms(signal, beats, fs) / 100.0,
        "amplitude_rel": amplitude_ratio(signal, beats, fs),
        "embed_dist": np.full(len(beats), np.nan) if embeddings is None else embedding_distance(embeddings, beats, fs),
    }


def record_beat_features(model: MedTsLLM, signal: np.ndarray, beats: np.ndarray, *, lead: str, hop_s: float | None,
                         with_embeddings: bool, dataset: str = "mitdb") -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``beat_features`` of one record with the model's terms, and its per-sample error.

    ``signal`` [n_samples] mV at the model's rate; ``beats`` R-peak sample indices there; one
    ``reconstruction_pass`` (hop ``hop_s``, hidden states only when ``with_embeddings``).
    Returns (features, error float32 [n_samples]).

    Example: ``feats, err = record_beat_features(model, sig, beats, lead="II", hop_s=4.0, with_embeddings=True)``."""
    fs = float(model.config.data.fs)
    p = reconstruction_pass(model, signal, lead=lead, dataset=dataset, hop_s=hop_s, with_hidden=with_embeddings)
    emb = beat_embeddings(p.hidden, p.stride, p.patch_len, beats, fs) if p.hidden is not None else None
    return beat_features(signal, beats, fs, p.error, embeddings=emb), p.error


@dataclass
class BeatScorer:
    """Logistic model over ``beat_features``, fitted on training records only; ``score`` is the
    probability that a beat is ventricular, ``threshold`` the cut chosen on the training beats
    (``fitted_on["threshold_rule"]``). Plain numbers, stored in the adapter manifest under
    ``beat_scorer``.

    ``center``: each feature has the record's median subtracted first (``score`` and
    ``contributions`` take ONE record's features), a per-record robust shift that stays put as
    long as most beats are normal. ``pass_hop_s``: the window hop of the reconstruction pass run
    with the scorer (its ``recon_rel`` feature, or only the errors shown beside the score; None:
    half a window)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float
    fitted_on: dict
    center: bool = False
    pass_hop_s: float | None = None

    def standardized(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        """The scaled feature matrix of one record, float [n_beats, n_features]."""
        x = np.stack([np.nan_to_num(np.asarray(feats[f], float)) for f in self.features], axis=1)  # [beats, F]
        if self.center and len(x):
            x = x - np.median(x, axis=0)
        return (x - np.asarray(self.mean)) / np.asarray(self.scale)

    def score(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        """Probability per beat, float [n_beats]."""
        z = self.standardized(feats) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def contributions(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        """Each feature's term of the logit, float [n_beats, n_features] (why a beat scored high)."""
        return self.standardized(feats) * np.asarray(self.coef)

    @property
    def uses_model_terms(self) -> bool:
        """True when a feature comes from the MedTsLLM model (``recon_rel``, ``embed_*``); False:
        the beat decision rests on the hand-made beat features alone."""
        return any(f == "recon_rel" or f.startswith("embed") for f in self.features)

    @property
    def uses_embeddings(self) -> bool:
        """True when a feature needs the MedTsLLM hidden states (``embed_dist``)."""
        return any(f.startswith("embed") for f in self.features)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("features", "mean", "scale", "coef", "intercept", "threshold", "fitted_on",
                                              "center", "pass_hop_s")}

    @classmethod
    def from_dict(cls, d: dict) -> "BeatScorer":
        return cls(**{k: d[k] for k in ("features", "mean", "scale", "coef", "intercept", "threshold", "fitted_on")},
                   center=bool(d.get("center", False)), pass_hop_s=d.get("pass_hop_s"))


THRESHOLD_RULES = ("youden", "f1_at_prevalence_0.2")
"""How ``fit_beat_scorer`` picks its cut on the training beats (see ``rule_threshold``)."""


def fit_beat_scorer(feats: Sequence[dict[str, np.ndarray]], labels: Sequence[np.ndarray], features: Sequence[str] = BEAT_FEATURES,
                    *, c: float = 1.0, center: bool = False, threshold_rule: str = "youden",
                    pass_hop_s: float | None = None, fitted_on: dict | None = None) -> BeatScorer:
    """Fit ``BeatScorer`` (L2 logistic regression, balanced classes) on the beats of the training
    records (``feats`` and ``labels`` per record) and choose its threshold there with
    ``threshold_rule`` (``rule_threshold``)."""
    from sklearn.linear_model import LogisticRegression

    def raw(f: dict[str, np.ndarray]) -> np.ndarray:
        x = np.stack([np.nan_to_num(np.asarray(f[k], float)) for k in features], axis=1)  # [beats, F]
        return x - np.median(x, axis=0) if center and len(x) else x

    x = np.concatenate([raw(f) for f in feats])  # [beats, F]
    y = np.concatenate([np.asarray(lab, bool) for lab in labels])
    mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6)
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=1000).fit((x - mean) / scale, y)
    scorer = BeatScorer(list(features), mean.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]),
                        0.5, dict(fitted_on or {}, n_beats=int(len(y)), n_positive=int(y.sum()), c=c),
                        center=center, pass_hop_s=pass_hop_s)
    s = np.concatenate([scorer.score(f) for f in feats])
    scorer.threshold = rule_threshold(s, y, threshold_rule)
    scorer.fitted_on.update(threshold_rule=THRESHOLD_RULE_WORDS[threshold_rule],
                            f1_on_training_beats=f1_at(y, s, scorer.threshold),
                            best_f1_threshold_on_training_beats=best_f1_threshold(y, s)[0])
    return scorer


THRESHOLD_RULE_WORDS = {
    "youden": "Youden's J (sensitivity + specificity) on the training beats",
    "f1_at_prevalence_0.2": "best F1 on the training beats re-weighted to 20 % ventricular beats (from their "
                            "sensitivity and false-positive rate)",
}


# ----- metrics --------------------------------------------------------------------------------
def youden_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold maximising sensitivity + specificity (Youden's J): unlike best F1 it does not
    depend on how frequent positives are, which differs 50-fold between MIT-BIH records."""
    from sklearn.metrics import roc_curve

    labels = np.asarray(labels, bool)
    if not labels.any() or labels.all():
        return float("inf")
    fpr, tpr, t = roc_curve(labels, np.nan_to_num(np.asarray(scores, float)))
    return float(t[int(np.argmax(tpr - fpr))])


def f1_at_prevalence(tpr: float, fpr: float, prevalence: float) -> float:
    """F1 that a detector with sensitivity ``tpr`` and false-positive rate ``fpr`` reaches where a
    fraction ``prevalence`` of beats are positive (0 when it finds nothing).

    >>> round(f1_at_prevalence(0.9, 0.01, 0.2), 3)
    0.928
    """
    tp, fp, fn = tpr * prevalence, fpr * (1.0 - prevalence), (1.0 - tpr) * prevalence
    return 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0


def rule_threshold(scores: np.ndarray, labels: np.ndarray, rule: str, n_candidates: int = 400) -> float:
    """The cut on training ``scores`` by ``rule``: ``"youden"`` (``youden_threshold``) or
    ``"f1_at_prevalence_0.2"``, the candidate (score quantiles) maximising ``f1_at_prevalence`` at
    20 % positives, the "records with many PVCs" the goal is about, from the training beats'
    sensitivity and false-positive rate (the training records themselves hold ~1 % PVCs, where a
    best-F1 cut would sit far too high)."""
    if rule == "youden":
        return youden_threshold(scores, labels)
    if rule != "f1_at_prevalence_0.2":
        raise ValueError(f"unknown threshold rule {rule!r} (expected one of {THRESHOLD_RULES})")
    s, y = np.nan_to_num(np.asarray(scores, float)), np.asarray(labels, bool)
    if not y.any() or y.all():
        return float("inf")
    cands = np.unique(np.quantile(s, np.linspace(0.0, 1.0, n_candidates)))
    pos, neg = np.sort(s[y]), np.sort(s[~y])
    tpr = 1.0 - np.searchsorted(pos, cands, side="left") / len(pos)  # fraction of positives >= cut
    fpr = 1.0 - np.searchsorted(neg, cands, side="left") / len(neg)
    f1 = [f1_at_prevalence(t, f, 0.2) for t, f in zip(tpr, fpr)]
    return float(cands[int(np.argmax(f1))])


def point_adjust(pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Point adjustment: every run of consecutive positive beats counts as detected when any
    beat of it is (the usual convention; it inflates F1, so it is reported beside the raw one)."""
    pred, labels = np.asarray(pred, bool).copy(), np.asarray(labels, bool)
    if not labels.any():
        return pred
    starts = labels & ~np.r_[False, labels[:-1]]  # first beat of each positive run
    run = np.cumsum(starts) - 1  # run index of every beat (meaningful where labels)
    hit = np.zeros(int(starts.sum()), bool)
    np.logical_or.at(hit, run[labels], pred[labels])  # any flagged beat per run
    pred[labels] = hit[run[labels]]
    return pred


def best_f1_point_adjusted(scores: np.ndarray, labels: np.ndarray, n_thresholds: int = 200) -> float:
    """Best F1 over thresholds (score quantiles) after point adjustment."""
    labels = np.asarray(labels, bool)
    best = 0.0
    for t in np.unique(np.quantile(scores, np.linspace(0.5, 1.0, n_thresholds))):
        pred = point_adjust(np.asarray(scores) >= t, labels)
        tp = int((pred & labels).sum())
        fp, fn = int((pred & ~labels).sum()), int((~pred & labels).sum())
        best = max(best, 2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return best


def detection_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float | None = None) -> dict[str, float | None]:
    """AUROC, AUPRC, best F1 (threshold chosen on these beats: optimistic), point-adjusted best
    F1 and, given ``threshold`` (chosen elsewhere), F1 at it."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = np.nan_to_num(np.asarray(scores, float), nan=0.0)
    labels = np.asarray(labels, bool)
    both = labels.any() and (~labels).any()
    out: dict[str, float | None] = {
        "n_beats": int(len(labels)), "n_positive": int(labels.sum()),
        "auroc": float(roc_auc_score(labels, scores)) if both else None,
        "auprc": float(average_precision_score(labels, scores)) if both else None,
        "best_f1": best_f1_threshold(labels, scores)[1] if both else None,
        "best_f1_point_adjusted": best_f1_point_adjusted(scores, labels) if both else None,
    }
    if threshold is not None:
        out["f1_fixed_threshold"] = f1_at(labels, scores, threshold)
    return out


# ----- scoring whole records --------------------------------------------------------------------
def split_record(rec: BeatRecord, fraction: float) -> tuple[BeatRecord, BeatRecord]:
    """The first ``fraction`` of ``rec`` and the rest (beats re-indexed), e.g. train / validation."""
    cut = int(len(rec.signal) * fraction)
    first = rec.beats < cut
    a = BeatRecord(rec.record_id, rec.signal[:cut], rec.fs, rec.beats[first], rec.pvc[first], rec.lead)
    b = BeatRecord(rec.record_id, rec.signal[cut:], rec.fs, rec.beats[~first] - cut, rec.pvc[~first], rec.lead)
    return a, b


def detected_beat_labels(rec: BeatRecord) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Detected beats of ``rec`` (``detect_beats``), their PVC labels (matched within 100 ms of a
    reference ventricular beat; unmatched detections are negatives) and matching counts."""
    det, labels, _, info = detected_beat_labels_with_fusion(rec)
    return det, labels, info


def detected_beat_labels_with_fusion(rec: BeatRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """As ``detected_beat_labels`` plus bool [n_detected] fusion labels (all False when the
    record has none)."""
    det = detect_beats(rec.signal, rec.fs)
    m = match_beats(det, rec.beats, rec.fs)
    hit = m >= 0
    labels = (hit & rec.pvc[np.maximum(m, 0)]) if len(rec.pvc) else np.zeros(len(det), bool)
    fusion = (hit & rec.fusion[np.maximum(m, 0)]) if rec.fusion is not None and len(rec.fusion) else np.zeros(len(det), bool)
    info = {"detected": int(len(det)), "reference": int(len(rec.beats)), "matched": int(hit.sum()),
            "pvc_reference": int(rec.pvc.sum()), "pvc_detected": int(labels.sum())}
    if rec.fusion is not None:
        info.update(fusion_reference=int(rec.fusion.sum()), fusion_detected=int(fusion.sum()))
    return det, labels.astype(bool), fusion.astype(bool), info


def model_beat_scores(model: MedTsLLM, rec: BeatRecord, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per-beat scores [n_beats], per-sample error [n_samples]) of ``model`` on ``rec``."""
    err = reconstruction_error(model, rec.signal, lead=rec.lead)
    return beat_scores(err, beats, rec.fs, half_width_s=BEAT_HALF_WIDTH_S), err


def calibrate_threshold(model: MedTsLLM, records: Sequence[BeatRecord]) -> dict[str, object]:
    """The beat-score threshold maximising F1 over the detected beats of ``records`` (training
    records: the threshold is never chosen on held-out data)."""
    scores, labels = [], []
    for rec in records:
        det, lab, _ = detected_beat_labels(rec)
        scores.append(model_beat_scores(model, rec, det)[0])
        labels.append(lab)
    s, y = np.nan_to_num(np.concatenate(scores)), np.concatenate(labels)
    if y.any():
        thr, f1 = best_f1_threshold(y, s)
        method = "best F1 over detected beats of the training records"
    else:  # no positives to calibrate on: a high quantile of normal-beat scores
        thr, f1, method = float(np.quantile(s, 0.995)), None, "99.5th percentile of training-record beat scores"
    return {"value": float(thr), "method": method, "f1_on_calibration": f1, "records": [r.record_id for r in records],
            "n_beats": int(len(y)), "n_pvc": int(y.sum()),
            "minutes": round(sum(len(r.signal) for r in records) / records[0].fs / 60.0, 2) if records else 0}
