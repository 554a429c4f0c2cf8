"""LUDB windows for segmentation training and evaluation.

Each record is resampled to ``DataConfig.fs``; per-lead masks (0 none, 1 P, 2 QRS, 3 T) are
taken at the nearest original sample. Windows of ``window_s`` seconds every ``hop_s`` seconds
lie entirely inside the cardiologists' annotated span (LUDB leaves the first and last beats
unannotated, so labels outside it are not "none" but unknown).

Lead modes: ``independent`` gives one window per lead ([1, time]); ``concatenated`` gives all
leads of a window together ([n_leads, time]) inside the span common to all leads.

Example
-------
>>> from medts.medtsllm.config import MedTsLLMConfig
>>> ds = LudbWindows("../shared/data/ludb", range(1, 3), MedTsLLMConfig())   # doctest: +SKIP
>>> item = ds[0]; item["x"].shape, item["y"].shape                          # doctest: +SKIP
((1, 200), (1, 200))
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from medts.config import cache_dir
from medts.io.ludb import ludb_record_path, read_ludb
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.prompt import build_prompt


@dataclass
class PreparedRecord:
    """One record at the model rate: ``signal`` [n_samples, n_leads] mV, ``masks`` int8
    [n_samples, n_leads], ``spans`` per lead (start, end) samples, covariates."""

    record_id: int
    signal: np.ndarray
    masks: np.ndarray
    spans: list[tuple[int, int]]
    leads: tuple[str, ...]
    age: float | None
    sex: str | None


def resample_mask(mask: np.ndarray, fs_in: float, fs_out: float, n_out: int) -> np.ndarray:
    """Labels at the nearest input sample for each output sample (labels are not averaged)."""
    idx = np.minimum(np.round(np.arange(n_out) * fs_in / fs_out).astype(int), len(mask) - 1)
    return mask[idx]


def cached_prepared(folder: str, header: Path, name: str, key_parts: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, pickled under ``cache_dir()/folder`` and keyed by the source ``header``'s path, size
    and mtime plus ``key_parts``, so an edited record or another rate is prepared again. Written to a
    temporary file first: parallel workers never read a half-written cache."""
    stat = header.stat()
    key = hashlib.sha1(f"{header.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{key_parts}".encode()).hexdigest()[:16]
    cached = cache_dir() / folder / f"{name}-{key}.pkl"
    if cached.is_file():
        with cached.open("rb") as fh:
            return pickle.load(fh)
    prepared = build()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        pickle.dump(prepared, fh)
    tmp.rename(cached)
    return prepared


def prepare_ludb_record(root: str | Path, record_id: int, fs: float, leads: Iterable[str]) -> PreparedRecord:
    """Read one LUDB record and bring signal, masks and spans to ``fs`` Hz.

    The result is cached under ``cache_dir()/ludb_prepared`` (:func:`cached_prepared`) because reading
    and resampling all 160 records takes about two minutes on one core.
    """
    leads = tuple(leads)
    header = ludb_record_path(root, record_id).with_suffix(".hea")
    return cached_prepared("ludb_prepared", header, str(record_id), (fs, leads),
                           lambda: _prepare_ludb_record(root, record_id, fs, leads))


def _prepare_ludb_record(root: str | Path, record_id: int, fs: float, leads: tuple[str, ...]) -> PreparedRecord:
    rec = read_ludb(root, record_id)
    ecg = rec.ecg.select_leads(list(leads))
    fs_in = ecg.fs
    res = ecg.resample(fs) if fs != fs_in else ecg
    n = res.signal.shape[0]
    masks = np.stack([resample_mask(rec.mask(lead), fs_in, fs, n) for lead in leads], axis=1)  # [n, L]
    spans = []
    for lead in leads:
        a, b = rec.annotated_span(lead)
        spans.append((int(np.ceil(a * fs / fs_in)), min(n, int(np.floor(b * fs / fs_in)))))
    return PreparedRecord(record_id, res.signal.astype(np.float32), masks.astype(np.int8), spans, leads, rec.ecg.age, rec.ecg.sex)


def window_starts(span: tuple[int, int], length: int, hop: int) -> list[int]:
    """Starts of windows of ``length`` inside ``span`` every ``hop``, the last flush with the end."""
    a, b = span
    if b - a < length:
        return []
    starts = list(range(a, b - length + 1, hop))
    if starts[-1] != b - length:
        starts.append(b - length)
    return starts


class LudbWindows(Dataset):
    """Windows of LUDB records ``record_ids`` for ``config`` (see module docstring).

    Items: ``x`` float32 [channels, time] mV, ``y`` int64 [channels, time], ``prompt`` str,
    ``record_id``, ``leads``, ``start`` (sample at the model rate).
    """

    def __init__(self, root: str | Path, record_ids: Iterable[int], config: MedTsLLMConfig, *, with_prompts: bool = True) -> None:
        self.config = config
        d = config.data
        self.length = int(round(d.window_s * d.fs))
        hop = int(round(d.hop_s * d.fs))
        self.with_prompts = with_prompts
        self.records = [prepare_ludb_record(root, rid, d.fs, d.leads) for rid in record_ids]
        self.index: list[tuple[int, tuple[int, ...], int]] = []  # (record index, lead indices, start)
        for ri, rec in enumerate(self.records):
            if d.lead_mode == "independent":
                for li, span in enumerate(rec.spans):
                    self.index += [(ri, (li,), s) for s in window_starts(span, self.length, hop)]
            else:
                common = (max(s[0] for s in rec.spans), min(s[1] for s in rec.spans))
                all_leads = tuple(range(len(rec.leads)))
                self.index += [(ri, all_leads, s) for s in window_starts(common, self.length, hop)]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ri, lis, start = self.index[i]
        rec = self.records[ri]
        sl = slice(start, start + self.length)
        x = rec.signal[sl][:, list(lis)]  # [T, C]
        y = rec.masks[sl][:, list(lis)]  # [T, C]
        lead_names = [rec.leads[j] for j in lis]
        prompt = ""
        if self.with_prompts:
            prompt = build_prompt(
                self.config.prompt, task=self.config.task, dataset="ludb", fs=self.config.data.fs, window=x,
                age=rec.age, sex=rec.sex, lead=lead_names[0] if len(lis) == 1 else "all 12",
            )
        return {
            "x": torch.from_numpy(np.ascontiguousarray(x.T)),  # [C, T] at the model edge
            "y": torch.from_numpy(np.ascontiguousarray(y.T).astype(np.int64)),
            "prompt": prompt, "record_id": rec.record_id, "leads": lead_names, "start": start,
        }


def collate(items: list[dict]) -> dict:
    """Stack ``x``/``y`` into [batch, channels, time]; keep the rest as lists."""
    out = {"x": torch.stack([it["x"] for it in items]), "y": torch.stack([it["y"] for it in items])}
    for key in ("prompt", "record_id", "leads", "start"):
        out[key] = [it[key] for it in items]
    return out
