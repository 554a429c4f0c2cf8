"""Whole-record inference: slide the model's window over a record, average overlapping logits.

Example
-------
>>> masks = segment_signal(model, ecg.resample(100).signal, leads=list(ecg.leads))   # doctest: +SKIP
>>> masks.shape                                    # [n_samples, n_leads], 0 none 1 P 2 QRS 3 T
(1000, 12)
"""

from __future__ import annotations

import numpy as np
import torch

from medts.medtsllm.model import MedTsLLM
from medts.medtsllm.prompt import build_prompt


def window_grid(n_samples: int, length: int, hop: int) -> list[int]:
    """Window starts covering ``[0, n_samples)``; the last window is flush with the end."""
    if n_samples <= length:
        return [0]
    starts = list(range(0, n_samples - length + 1, hop))
    if starts[-1] != n_samples - length:
        starts.append(n_samples - length)
    return starts


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
    starts = window_grid(signal.shape[0], length, hop)
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
