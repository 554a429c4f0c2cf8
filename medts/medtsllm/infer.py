"""Whole-record inference: slide the model's window over a record, average overlapping logits
(segmentation), or score beats and windows by reconstruction error (``detect_anomalies``).

Example
-------
>>> masks = segment_signal(model, ecg.resample(100).signal, leads=list(ecg.leads))   # doctest: +SKIP
>>> masks.shape                                    # [n_samples, n_leads], 0 none 1 P 2 QRS 3 T
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
) -> np.ndarray:
    """Class probabilities float32 [n_samples, n_leads, 4] for ``signal`` [n_samples, n_leads]
    (mV) already at ``model.config.data.fs``; all windows and leads run as one batch."""
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
    out = model(x, prompts if model.llm is not None else None).output.softmax(-1).numpy()  # [W, C, T, 4]
    total = np.zeros((signal.shape[0], n_leads, out.shape[-1]), np.float32)
    count = np.zeros((signal.shape[0], n_leads, 1), np.float32)
    for (s, lis), probs in zip(where, out):
        total[s:s + length, lis] += probs.transpose(1, 0, 2)  # [T, C, 4]
        count[s:s + length, lis] += 1
    return (total / np.maximum(count, 1))[:n]


def segment_signal(model: MedTsLLM, signal: np.ndarray, leads: list[str], **kwargs) -> np.ndarray:
    """Per-sample labels int8 [n_samples, n_leads] (0 none, 1 P, 2 QRS, 3 T); see ``segment_logits``."""
    return segment_logits(model, signal, leads, **kwargs).argmax(-1).astype(np.int8)


# ----- anomaly detection ------------------------------------------------------------------------
class BeatScore(BaseModel):
    """One beat: R peak ``sample`` (at the input record's rate), ``time_s``, reconstruction score."""

    sample: int
    time_s: float
    score: float
    flagged: bool


class WindowScore(BaseModel):
    """Mean reconstruction error over one non-overlapping window of ``window_s`` seconds."""

    start_s: float
    end_s: float
    score: float


class AnomalyItem(BaseModel):
    """A flagged beat as the report expects it (``medts.report.schema.Anomaly`` fields first)."""

    start_s: float
    end_s: float
    score: float
    lead: str | None = None
    kind: str = "reconstruction"
    time_s: float
    sample: int


class AnomalyResult(BaseModel):
    """``detect_anomalies`` output; serialises with ``model_dump(mode="json")``.

    Scores are squared reconstruction errors in units of the record's scale (mV² / median window SD²), averaged over ±0.2 s
    of each beat (``beats``) or over each window (``windows``); beats with a score at or above
    ``threshold`` (chosen on training records, see the adapter manifest) are ``items``."""

    record_id: str | None
    lead: str
    fs_input_hz: float
    fs_model_hz: float
    adapter: str
    threshold: float | None
    threshold_method: str | None
    beats: list[BeatScore]
    windows: list[WindowScore]
    items: list[AnomalyItem]
    note: str = ("Draft for clinician review: beats that the MedTsLLM reconstruction head reconstructs "
                 "poorly; not a diagnosis.")


_LOADED: dict[str, tuple[MedTsLLM, dict]] = {}


def load_anomaly_adapter(adapter_dir: str | Path) -> tuple[MedTsLLM, dict]:
    """The checkpoint's model and manifest (loaded once per process and folder)."""
    from medts.medtsllm.checkpoint import load_checkpoint, read_manifest

    key = str(Path(adapter_dir).resolve())
    if key not in _LOADED:
        manifest = read_manifest(adapter_dir)
        if manifest.get("task") != "anomaly":
            from medts.errors import MedtsError

            raise MedtsError(f"{adapter_dir}: not an anomaly checkpoint (task {manifest.get('task')!r})")
        _LOADED[key] = (load_checkpoint(adapter_dir), manifest)
    return _LOADED[key]


def detect_anomalies(ecg: ECG, adapter_dir: str | Path, *, lead: str | None = None,
                     threshold: float | None = None) -> AnomalyResult:
    """Score every detected beat and window of ``ecg`` with the anomaly adapter in ``adapter_dir``.

    Parameters
    ----------
    ecg : the record (any rate; resampled to the model's rate).
    adapter_dir : a ``medts train anomaly`` checkpoint (e.g. ``adapters/medtsllm-anomaly-smollm2``).
    lead : the lead to score; default the adapter's training lead (II) when present, else the first.
    threshold : override the adapter's calibrated beat threshold.

    Example
    -------
    >>> res = detect_anomalies(read_record("106.npz"), "adapters/medtsllm-anomaly-smollm2")  # doctest: +SKIP
    >>> [b.time_s for b in res.items][:3]                                                     # doctest: +SKIP
    """
    from medts.medtsllm.anomaly import (
        BEAT_HALF_WIDTH_S,
        detect_beats,
        reconstruction_error,
        tile_window_scores,
    )
    from medts.medtsllm.heads import beat_scores
    from medts.record import canonical_lead_name

    model, manifest = load_anomaly_adapter(adapter_dir)
    cfg = model.config
    wanted = [canonical_lead_name(x) for x in cfg.data.leads]
    name = canonical_lead_name(lead) if lead else next((x for x in wanted if x in ecg.leads), ecg.leads[0])
    fs = cfg.data.fs
    x = ecg.select_leads([name])
    x = x.resample(fs) if x.fs != fs else x
    sig = x.signal[:, 0]
    beats = detect_beats(sig, fs)
    # The prompt the adapter was trained with (MIT-BIH description): a different dataset
    # description would be text the LoRA weights never saw.
    err = reconstruction_error(model, sig, lead=name, dataset="mitdb")
    scores = beat_scores(err, beats, fs, half_width_s=BEAT_HALF_WIDTH_S)
    thr_info = manifest.get("threshold") or {}
    thr = threshold if threshold is not None else thr_info.get("value")
    beat_list, items = [], []
    for b, s in zip(beats, scores):
        t = float(b / fs)
        score = float(np.nan_to_num(s))
        flagged = thr is not None and score >= thr
        sample = int(round(t * ecg.fs))
        beat_list.append(BeatScore(sample=sample, time_s=round(t, 3), score=score, flagged=bool(flagged)))
        if flagged:
            items.append(AnomalyItem(start_s=round(max(0.0, t - BEAT_HALF_WIDTH_S), 3), end_s=round(t + BEAT_HALF_WIDTH_S, 3),
                                     score=score, lead=name, time_s=round(t, 3), sample=sample))
    windows = [WindowScore(start_s=a / fs, end_s=b / fs, score=s) for a, b, s in tile_window_scores(err, fs, cfg.data.window_s)]
    return AnomalyResult(record_id=ecg.record_id, lead=name, fs_input_hz=float(ecg.fs), fs_model_hz=float(fs),
                         adapter=str(adapter_dir), threshold=None if thr is None else float(thr),
                         threshold_method=thr_info.get("method") if threshold is None else "given by the caller",
                         beats=beat_list, windows=windows, items=items)
