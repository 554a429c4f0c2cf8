"""Whole-record inference: slide the model's window over a record, average overlapping logits
(segmentation), or score beats (the adapter's beat scorer) and windows (reconstruction error)
(``detect_anomalies``).

Example
-------
>>> masks = segment_signal(model, ecg.resample(100).signal, leads=list(ecg.leads))   # doctest: +SKIP
>>> masks.shape          # [n_samples, n_leads], 0 none 1 P 2 QRS 3 T   # doctest: +SKIP
(1000, 12)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel

from medts.classify.data import window_starts
from medts.medtsllm.model import MedTsLLM
from medts.medtsllm.prompt import build_prompt
from medts.record import ECG

SEGMENT_BATCH = 240
"""Sequences (window x lead) per model call in ``segment_logits``: 20 windows of 12 leads. One
call for every window of a record grew with its length (12 leads: 0.84 GB for 10 s, 1.31 GB for 5 min)."""


@torch.no_grad()
def segment_logits(
    model: MedTsLLM,
    signal: np.ndarray,
    leads: list[str],
    *,
    age: float | None = None,
    sex: str | None = None,
    dataset: str = "default",
    hop_s: float | None = None,
    cache_prompts: bool = True,
    batch_size: int | None = SEGMENT_BATCH,
) -> np.ndarray:
    """Class probabilities float32 [n_samples, n_leads, 4] for ``signal`` [n_samples, n_leads]
    (mV) already at ``model.config.data.fs``; windows and leads run in batches of ``batch_size``
    sequences (``None``: one batch), each distinct prompt once per batch (``cache_prompts``; False
    runs every prompt with its window, as in training: same probabilities up to float rounding,
    for timing comparisons)."""
    cfg = model.config
    fs = cfg.data.fs
    length = int(round(cfg.data.window_s * fs))
    hop = int(round((hop_s or cfg.data.window_s / 2) * fs))
    n, n_leads = signal.shape
    if n < length:  # short records: pad by edge values, crop afterwards
        signal = np.pad(signal, ((0, length - n), (0, 0)), mode="edge")
    starts = window_starts(signal.shape[0], length, hop)
    xs, prompts, where = [], [], []
    for s in starts:
        win = signal[s:s + length]  # [T, L]
        if cfg.data.lead_mode == "independent":
            for li, lead in enumerate(leads):
                xs.append(win[:, li:li + 1].T)  # [1, T]
                prompts.append(build_prompt(cfg.prompt, task=cfg.task, dataset=dataset, fs=fs, window=win[:, li],
                                            age=age, sex=sex, lead=lead) if model.llm is not None else "")
                where.append((s, [li]))
        else:
            xs.append(win.T)  # [L, T]
            prompts.append(build_prompt(cfg.prompt, task=cfg.task, dataset=dataset, fs=fs, window=win,
                                        age=age, sex=sex, lead="all 12") if model.llm is not None else "")
            where.append((s, list(range(n_leads))))
    x = torch.from_numpy(np.stack(xs).astype(np.float32))  # [windows, C, T]
    # the windows of one lead share their prompt: each distinct prompt runs once per batch (key/value
    # cache); batches of ``batch_size`` sequences bound the activations whatever the record's length
    step = batch_size or len(x)
    out = np.concatenate([
        model(x[b:b + step], prompts[b:b + step] if model.llm is not None else None,
              cache_prompts=cache_prompts).output.softmax(-1).numpy()
        for b in range(0, len(x), step)])  # [W, C, T, 4]
    total = np.zeros((signal.shape[0], n_leads, out.shape[-1]), np.float32)
    count = np.zeros((signal.shape[0], n_leads, 1), np.float32)
    for (s, lis), probs in zip(where, out):
        total[s:s + length, lis] += probs.transpose(1, 0, 2)  # [T, C, 4]
        count[s:s + length, lis] += 1
    return (total / np.maximum(count, 1))[:n]


def segment_signal(model: MedTsLLM, signal: np.ndarray, leads: list[str], **kwargs) -> np.ndarray:
    """Per-sample labels int8 [n_samples, n_leads] (0 none, 1 P, 2 QRS, 3 T); see ``segment_logits``."""
    return segment_logits(model, signal, leads, **kwargs).argmax(-1).astype(np.int8)


MIN_WAVE_MS = {1: 30.0, 2: 30.0, 3: 50.0}
"""Shortest P, QRS and T run (ms) kept by ``drop_short_runs``: shorter runs are label flicker
at a boundary, not waves (adult P waves and QRS complexes last >= 60 ms, T waves longer)."""


def drop_short_runs(mask: np.ndarray, fs: float, min_ms: dict[int, float] | None = None) -> np.ndarray:
    """Relabel runs of P/QRS/T shorter than ``min_ms`` (default ``MIN_WAVE_MS``) with the label
    of the run before them (after them at the start); ``mask`` int [n] at ``fs`` Hz.

    Example
    -------
    >>> drop_short_runs(np.array([0, 0, 2, 0, 0, 3, 3, 3, 3, 3, 3]), fs=100.0).tolist()
    [0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3]
    """
    min_ms = MIN_WAVE_MS if min_ms is None else min_ms
    out = np.asarray(mask).copy()
    edges = np.flatnonzero(np.diff(out)) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, len(out)]  # run i is out[starts[i]:ends[i]]
    for i, (a, b) in enumerate(zip(starts, ends)):
        label = int(out[a])
        if label in min_ms and (b - a) * 1000.0 / fs < min_ms[label]:
            if i > 0:
                out[a:b] = out[a - 1]
            elif b < len(out):
                out[a:b] = out[b]
    return out


LEAD_BLEND = 0.5
"""Weight of the all-lead mean in each lead's class probabilities (``blend_leads``). Chosen on LUDB
training records 1-130 with two models (the shipped adapter and a no-LLM model): mean IoU 0.768 ->
0.783 and 0.772 -> 0.786 at 0.5, against 0.25 / 0.75 / 1.0; records 131-160 were not looked at."""


def blend_leads(probs: np.ndarray, weight: float = LEAD_BLEND) -> np.ndarray:
    """Each lead's class probabilities [n, n_leads, 4] mixed with the mean over leads:
    ``(1 - weight) * p_lead + weight * mean``. The leads see one heart, so a wave that is faint in
    one lead (a P wave in aVR or V1) borrows evidence from the leads where it is clear; a
    one-lead record is unchanged.

    >>> p = np.zeros((1, 2, 4)); p[0, 0, 1] = 1; p[0, 1, 0] = 1   # lead 0 says P, lead 1 says none
    >>> blend_leads(p, 0.5)[0, 1].tolist()
    [0.75, 0.25, 0.0, 0.0]
    """
    return (1.0 - weight) * probs + weight * probs.mean(axis=1, keepdims=True)


def decode_masks(probs: np.ndarray, fs_model: float, fs_out: float, n_out: int) -> np.ndarray:
    """Labels int8 [n_out, n_leads] at ``fs_out`` from class probabilities ``probs``
    [n_model, n_leads, 4] at ``fs_model``: leads are blended (``blend_leads``), probabilities are
    interpolated linearly onto the output samples before the argmax (so boundaries fall between
    model samples, not on the 10 ms grid of a 100 Hz model), then ``drop_short_runs`` removes
    flicker. One decoder for ``medts segment`` and every model row of ``medts bench segmentation``.

    Example
    -------
    >>> p = np.zeros((8, 1, 4)); p[:4, 0, 0] = 1; p[4:, 0, 2] = 1     # none, then QRS, at 100 Hz
    >>> decode_masks(p, fs_model=100.0, fs_out=200.0, n_out=16)[:, 0].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2]
    """
    probs = blend_leads(probs)
    n_model, n_leads, n_cls = probs.shape
    pos = np.arange(n_out) * (fs_model / fs_out)  # output samples on the model's sample axis
    grid = np.arange(n_model)
    out = np.empty((n_out, n_leads), np.int8)
    for li in range(n_leads):
        fine = np.stack([np.interp(pos, grid, probs[:, li, k]) for k in range(n_cls)], axis=1)  # [n_out, 4]
        out[:, li] = drop_short_runs(fine.argmax(1), fs_out)
    return out


class SegmentedWave(BaseModel):
    """One P wave, QRS complex or T wave in one lead, at the input record's rate.

    ``onset``/``offset`` (inclusive) are the first/last sample the head labelled with the
    wave's class; ``peak`` is the sample of largest deviation from the straight line between
    the onset and offset values of the signal. ``complete`` is False when the wave touches the
    start or end of the record (it may be cut off)."""

    kind: str
    onset: int
    peak: int
    offset: int
    onset_s: float
    peak_s: float
    offset_s: float
    duration_ms: float
    complete: bool


class LeadSegmentation(BaseModel):
    """The waves of one lead, in time order, and counts per kind."""

    lead: str
    waves: list[SegmentedWave]
    n_waves: dict[str, int]


class SegmentationResult(BaseModel):
    """``segment_record`` output; serialises with ``model_dump(mode="json")``. Sample indices
    and seconds refer to the input record (``fs_input_hz``); the head ran at ``fs_model_hz``."""

    record_id: str | None
    fs_input_hz: float
    fs_model_hz: float
    duration_s: float
    adapter: str
    leads: list[LeadSegmentation]
    note: str = ("Draft for clinician review: waves labelled by the MedTsLLM segmentation head; "
                 "use medts measure for interval measurements.")


_SEG_LOADED: dict[str, tuple[MedTsLLM, dict]] = {}


def load_segmentation_adapter(adapter_dir: str | Path) -> tuple[MedTsLLM, dict]:
    """The checkpoint's model and manifest, loaded once per process and folder; refuses
    folders that are not segmentation checkpoints."""
    from medts.errors import MedtsError
    from medts.medtsllm.checkpoint import load_checkpoint, read_manifest

    key = str(Path(adapter_dir).resolve())
    if key not in _SEG_LOADED:
        if not Path(adapter_dir).is_dir():
            raise MedtsError(f"{adapter_dir}: adapter folder not found")
        manifest = read_manifest(adapter_dir)
        if manifest.get("task") != "segmentation":
            raise MedtsError(f"{adapter_dir}: not a segmentation checkpoint (task {manifest.get('task')!r})")
        _SEG_LOADED[key] = (load_checkpoint(adapter_dir), manifest)
    return _SEG_LOADED[key]


def waves_from_mask(mask: np.ndarray, signal: np.ndarray, fs: float) -> list[SegmentedWave]:
    """Waves of one lead from its per-sample labels ``mask`` [n] and ``signal`` [n] (mV) at ``fs``."""
    from medts.io.annotations import mask_to_waves

    out = []
    n = len(mask)
    for w in mask_to_waves(mask):
        seg = signal[w.onset: w.offset + 1]
        chord = np.linspace(seg[0], seg[-1], len(seg))  # the straight line between the ends
        peak = w.onset + int(np.argmax(np.abs(seg - chord)))
        out.append(SegmentedWave(
            kind=w.kind, onset=w.onset, peak=peak, offset=w.offset, onset_s=round(w.onset / fs, 4),
            peak_s=round(peak / fs, 4), offset_s=round(w.offset / fs, 4),
            duration_ms=round(1000.0 * (w.offset + 1 - w.onset) / fs, 1), complete=bool(w.onset > 0 and w.offset < n - 1)))
    return out


def segment_record(ecg: ECG, adapter_dir: str | Path, *, dataset: str | None = None) -> SegmentationResult:
    """Label P, QRS and T waves in every lead of ``ecg`` with the segmentation adapter.

    The record is resampled to the adapter's rate, segmented in non-overlapping windows (all
    windows and leads in one batch, each lead's prompt run once), and the probabilities are
    decoded at the input rate (``decode_masks``: interpolation, argmax, no runs too short to be waves). ``dataset`` names the prompt's dataset description; by default the one the
    adapter was trained with (its manifest), since other text is a prompt the LoRA never saw.
    A leads-concatenated adapter needs the 12 standard leads (missing ones are refused).

    Example
    -------
    >>> res = segment_record(read_record("rec.hea"), "adapters/segmentation-smollm2")   # doctest: +SKIP
    >>> [(w.kind, w.onset_s) for w in res.leads[0].waves][:3]                          # doctest: +SKIP
    """
    from medts.errors import MedtsError

    model, manifest = load_segmentation_adapter(adapter_dir)
    cfg = model.config
    fs = float(cfg.data.fs)
    x = ecg
    if cfg.data.lead_mode == "concatenated":
        wanted = list(cfg.data.leads)
        missing = [lead for lead in wanted if lead not in ecg.leads]
        if missing:
            raise MedtsError(f"{ecg.record_id}: this adapter reads all of {', '.join(wanted)}; missing {', '.join(missing)}")
        x = ecg.select_leads(wanted)
    res = x.resample(fs) if x.fs != fs else x
    dataset = dataset or (manifest.get("data") or {}).get("dataset") or "default"
    probs = segment_logits(model, res.signal, list(res.leads), age=ecg.age, sex=ecg.sex, dataset=dataset,
                           hop_s=cfg.data.window_s)  # [n_model, L, 4]
    n_in = x.signal.shape[0]
    masks = decode_masks(probs, fs, x.fs, n_in)  # [n_in, L] at the input rate
    leads = []
    for li, lead in enumerate(x.leads):
        waves = waves_from_mask(masks[:, li], x.signal[:, li], x.fs)
        counts = {k: sum(w.kind == k for w in waves) for k in ("P", "QRS", "T")}
        leads.append(LeadSegmentation(lead=lead, waves=waves, n_waves=counts))
    return SegmentationResult(record_id=ecg.record_id, fs_input_hz=float(ecg.fs), fs_model_hz=fs,
                              duration_s=round(n_in / x.fs, 3), adapter=str(adapter_dir), leads=leads)


# ----- anomaly detection ------------------------------------------------------------------------
class BeatScore(BaseModel):
    """One beat: R peak ``sample`` (at the input record's rate), ``time_s``, its ``score`` (what is
    compared with the threshold: the beat scorer's probability when the adapter has one, else the
    reconstruction error), the MedTsLLM ``reconstruction`` error (shown for inspection; the shipped
    scorer does not use it) and, when flagged, the ``reasons`` (the scorer's terms that pushed the
    beat up)."""

    sample: int
    time_s: float
    score: float
    reconstruction: float
    flagged: bool
    reasons: list[str] = []


class WindowScore(BaseModel):
    """One non-overlapping window of ``window_s`` seconds: mean reconstruction error
    (``score``) and the largest beat score inside it (``max_beat_score``, None without beats)."""

    start_s: float
    end_s: float
    score: float
    max_beat_score: float | None = None


class AnomalyItem(BaseModel):
    """A flagged beat as the report expects it (``medts.report.schema.Anomaly`` fields first)."""

    start_s: float
    end_s: float
    score: float
    lead: str | None = None
    kind: str = "reconstruction"
    time_s: float
    sample: int
    reasons: list[str] = []


class AnomalyResult(BaseModel):
    """``detect_anomalies`` output; serialises with ``model_dump(mode="json")``.

    ``score_kind`` says what beat scores are: ``"beat scorer"`` (probability 0..1 that a beat is
    ventricular, from a logistic model over beat features fitted on training records: in the
    shipped adapter RR timing, beat shape, QRS width and amplitude, with no MedTsLLM term, which
    did not help on whole records; see the adapter manifest's ``beat_scorer``) or ``"reconstruction"`` (squared reconstruction error in units of the record's
    scale, mV² / median window SD², over ±0.2 s of each beat). Beats at or above ``threshold`` are
    ``items``."""

    record_id: str | None
    lead: str
    fs_input_hz: float
    fs_model_hz: float
    adapter: str
    score_kind: str
    threshold: float | None
    threshold_method: str | None
    beats: list[BeatScore]
    windows: list[WindowScore]
    items: list[AnomalyItem]
    problems: list[str] = []
    """What is wrong with the scored lead itself (flat, saturated: :meth:`medts.record.ECG.problems`):
    "0 flagged" on a lead without signal is no finding."""
    note: str = ("Draft for clinician review: beats the MedTsLLM anomaly adapter scores as unusual "
                 "(possible ventricular ectopy); not a diagnosis.")


_LOADED: dict[str, tuple[MedTsLLM, dict]] = {}


def load_anomaly_adapter(adapter_dir: str | Path) -> tuple[MedTsLLM, dict]:
    """The checkpoint's model and manifest (loaded once per process and folder)."""
    from medts.errors import MedtsError
    from medts.medtsllm.checkpoint import load_checkpoint, read_manifest

    if not (Path(adapter_dir) / "manifest.json").is_file():
        raise MedtsError(f"{adapter_dir}: not an anomaly adapter folder (no manifest.json)")
    key = str(Path(adapter_dir).resolve())
    if key not in _LOADED:
        manifest = read_manifest(adapter_dir)
        if manifest.get("task") != "anomaly":
            raise MedtsError(f"{adapter_dir}: not an anomaly checkpoint (task {manifest.get('task')!r})")
        _LOADED[key] = (load_checkpoint(adapter_dir), manifest)
    return _LOADED[key]


def _reasons(contrib: np.ndarray, features: list[str], min_term: float = 0.5) -> list[str]:
    """The scorer terms of one beat above ``min_term`` (logit units), largest first, in words."""
    from medts.medtsllm.anomaly import FEATURE_WORDS

    order = np.argsort(-contrib)
    return [FEATURE_WORDS.get(features[i], features[i]) for i in order if contrib[i] >= min_term]


def detect_anomalies(ecg: ECG, adapter_dir: str | Path, *, lead: str | None = None,
                     threshold: float | None = None) -> AnomalyResult:
    """Score every detected beat and window of ``ecg`` with the anomaly adapter in ``adapter_dir``.

    Beats are the R peaks the pipeline detects (``medtsllm.anomaly.detect_beats``), never
    reference annotations. With a ``beat_scorer`` in the manifest (``medts bench anomaly
    --save-scorer``) the beat score is its probability, else the reconstruction error. The
    shipped scorer uses hand-made beat features only (shape, QRS width and amplitude, RR timing):
    its MedTsLLM term did not help on whole records and was dropped (issue #20); the MedTsLLM
    reconstruction pass still runs for each beat's ``reconstruction`` and the window scores,
    shown for inspection, not used to flag a beat.

    Parameters
    ----------
    ecg : the record (any rate; resampled to the model's rate).
    adapter_dir : a ``medts train anomaly`` checkpoint (e.g. ``adapters/anomaly-smollm2``).
    lead : the lead to score; default the adapter's training lead (II) when present, else the first.
    threshold : override the adapter's beat threshold (same units as the beat score).

    Example
    -------
    >>> res = detect_anomalies(read_record("106.npz"), "adapters/anomaly-smollm2")  # doctest: +SKIP
    >>> [b.time_s for b in res.items][:3]                                           # doctest: +SKIP
    """
    from medts.errors import MedtsError
    from medts.medtsllm.anomaly import (
        BEAT_HALF_WIDTH_S,
        BeatScorer,
        detect_beats,
        record_beat_features,
        tile_window_scores,
    )
    from medts.medtsllm.heads import beat_scores
    from medts.record import canonical_lead_name

    model, manifest = load_anomaly_adapter(adapter_dir)
    cfg = model.config
    wanted = [canonical_lead_name(x) for x in cfg.data.leads]
    name = canonical_lead_name(lead) if lead else next((x for x in wanted if x in ecg.leads), ecg.leads[0])
    if name not in ecg.leads:
        raise MedtsError(f"{ecg.record_id or 'record'}: no lead {lead!r} (leads: {', '.join(ecg.leads)})")
    fs = cfg.data.fs
    x = ecg.select_leads([name])
    problems = [p for p in x.problems() if p.startswith(f"lead {name} ")]
    x = x.resample(fs) if x.fs != fs else x
    sig = x.signal[:, 0]
    beats = detect_beats(sig, fs)
    # The prompt the adapter was trained with (MIT-BIH description): a different dataset
    # description would be text the LoRA weights never saw.
    scorer = BeatScorer.from_dict(manifest["beat_scorer"]) if manifest.get("beat_scorer") else None
    feats, err = record_beat_features(model, sig, beats, lead=name, hop_s=scorer.pass_hop_s if scorer else None,
                                      with_embeddings=bool(scorer and scorer.uses_embeddings), dataset="mitdb")
    recon = np.nan_to_num(beat_scores(err, beats, fs, half_width_s=BEAT_HALF_WIDTH_S))
    if scorer is not None:
        scores, contrib = scorer.score(feats), scorer.contributions(feats)  # [n], [n, F]
        kind, thr_default = "beat scorer", scorer.threshold
        method = scorer.fitted_on.get("threshold_rule", "fitted on training records")
    else:
        scores, contrib, kind = recon, None, "reconstruction"
        thr_default = (manifest.get("threshold") or {}).get("value")
        method = (manifest.get("threshold") or {}).get("method")
    thr = threshold if threshold is not None else thr_default
    note = {} if scorer is None or scorer.uses_model_terms else {"note": (
        "Draft for clinician review: beats the adapter's beat scorer flags as unusual (possible ventricular "
        "ectopy) from hand-made beat features (shape, QRS width and amplitude, RR timing); the MedTsLLM "
        "reconstruction error is shown, not used to flag; not a diagnosis.")}
    beat_list, items = [], []
    for i, (b, sc, rc) in enumerate(zip(beats, scores, recon)):
        t = float(b / fs)
        score = float(np.nan_to_num(sc))
        flagged = bool(thr is not None and score >= thr)
        why = _reasons(contrib[i], scorer.features) if flagged and contrib is not None else (
            ["reconstruction error"] if flagged else [])
        sample = int(round(t * ecg.fs))
        beat_list.append(BeatScore(sample=sample, time_s=round(t, 3), score=score, reconstruction=float(rc),
                                   flagged=flagged, reasons=why))
        if flagged:
            items.append(AnomalyItem(start_s=round(max(0.0, t - BEAT_HALF_WIDTH_S), 3), end_s=round(t + BEAT_HALF_WIDTH_S, 3),
                                     score=score, lead=name, kind=kind, time_s=round(t, 3), sample=sample, reasons=why))
    windows = []
    for a, b, s in tile_window_scores(err, fs, cfg.data.window_s):
        inside = scores[(beats >= a) & (beats < b)]
        windows.append(WindowScore(start_s=round(a / fs, 3), end_s=round(b / fs, 3), score=s,
                                   max_beat_score=float(inside.max()) if len(inside) else None))
    return AnomalyResult(record_id=ecg.record_id, lead=name, fs_input_hz=float(ecg.fs), fs_model_hz=float(fs),
                         adapter=str(adapter_dir), score_kind=kind, threshold=None if thr is None else float(thr),
                         threshold_method=method if threshold is None else "given by the caller",
                         beats=beat_list, windows=windows, items=items, problems=problems, **note)
