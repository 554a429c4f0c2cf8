"""QTDB windows for segmentation training: the cardiologist's ``.q1c`` beats as extra labels.

QTDB's first cardiologist delineated about 30 consecutive beats per 15-minute record, looking at
both leads together, so one label track serves both leads. Labels are only partly known:

- a T wave usually has a peak and an offset but no onset, so the span from the QRS offset to the T
  peak is unknown (ST segment or T wave);
- a beat without a P mark in a record where other beats have one leaves the span before its QRS
  unknown (the P wave may be there, unmarked); a record with no P mark at all (paced rhythm, atrial
  fibrillation) has none;
- the signal between two marked beats is "none" only when no unmarked beat can lie between them
  (the QRS-to-QRS distance is under 1.6 median RR);
- everything outside the marked run is unknown.

Unknown samples get the label ``IGNORE`` (-100, PyTorch's cross-entropy ``ignore_index``); the
Dice term skips them too (:func:`medts.medtsllm.train.soft_dice_loss`). Windows lie inside one
marked run of linked beats.

Records: ``RECORDS[0::2]`` (the first, third, ... record) is the half that also tunes the
delineation constants (``medts bench delineation``); ``RECORDS[1::2]`` stays held out, so
segmentation training may only read the even half.

Example
-------
>>> from medts.medtsllm.config import MedTsLLMConfig
>>> ds = QtdbWindows("../shared/data/qtdb", ["sel100"], MedTsLLMConfig())   # doctest: +SKIP
>>> item = ds[0]; item["x"].shape, int(item["y"].min())                     # doctest: +SKIP
((1, 200), -100)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from medts.io.annotations import Wave
from medts.io.qtdb import qtdb_record_names, read_qtdb
from medts.medtsllm.config import MedTsLLMConfig
from medts.medtsllm.data import cached_prepared, resample_mask, window_starts
from medts.medtsllm.prompt import build_prompt

IGNORE = -100
"""Label of a sample whose class the annotation does not fix (PyTorch's ``ignore_index``)."""
LABEL_VERSION = 1
"""Bumped when :func:`qtdb_labels` changes, so cached prepared records are rebuilt."""
MAX_GAP_RR = 1.6
"""Two marked beats are linked (the signal between them is labelled) when their QRS onsets are
closer than this many median RR intervals: no unmarked beat fits between them."""


@dataclass
class PreparedQtdbRecord:
    """One QTDB record at the model rate: ``signal`` [n_samples, 2] mV, ``labels`` int16
    [n_samples] (0 none, 1 P, 2 QRS, 3 T, ``IGNORE`` unknown), ``runs`` (start, end) samples of
    linked marked beats."""

    name: str
    signal: np.ndarray
    labels: np.ndarray
    runs: list[tuple[int, int]]
    leads: tuple[str, ...]


def qtdb_training_names(root: str | Path, half: str) -> list[str]:
    """QTDB records a segmentation run may train on: ``"none"`` (no record) or ``"even"``
    (``RECORDS[0::2]``, the delineation tuning half). Any other value is an error."""
    if half == "none":
        return []
    if half != "even":
        raise ValueError(f"data.qtdb_train must be 'none' or 'even', not {half!r}")
    return qtdb_record_names(root)[0::2]


def _beats(waves: list[Wave]) -> list[dict[str, Wave]]:
    """Group ``.q1c`` waves into beats around each QRS: the P just before it, the T just after."""
    waves = sorted(waves, key=lambda w: w.peak if w.peak is not None else (w.onset or 0))
    beats: list[dict[str, Wave]] = []
    pending_p: Wave | None = None
    for w in waves:
        if w.kind == "P":
            pending_p = w
        elif w.kind == "QRS" and w.onset is not None and w.offset is not None:
            beat = {"QRS": w}
            if pending_p is not None and pending_p.onset is not None and pending_p.offset is not None \
                    and pending_p.offset <= w.onset:
                beat["P"] = pending_p
            beats.append(beat)
            pending_p = None
        elif w.kind == "T" and beats and "T" not in beats[-1] and w.offset is not None and w.peak is not None \
                and w.peak > beats[-1]["QRS"].offset:
            beats[-1]["T"] = w
    return beats


def qtdb_labels(waves: list[Wave], n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Per-sample labels [n] (0/1/2/3 or ``IGNORE``) and linked runs from ``.q1c`` waves
    (sample indices of the record's own rate), following the module docstring's rules."""
    labels = np.full(n, IGNORE, np.int16)
    beats = _beats(waves)
    if not beats:
        return labels, []
    record_has_p = any("P" in b for b in beats)
    onsets = np.array([b["QRS"].onset for b in beats])
    median_rr = float(np.median(np.diff(onsets))) if len(onsets) > 1 else float("inf")

    def start(b: dict[str, Wave]) -> int:
        return b["P"].onset if "P" in b else b["QRS"].onset

    def end(b: dict[str, Wave]) -> int:
        return b["T"].offset if "T" in b else b["QRS"].offset

    for b in beats:
        a, z = start(b), end(b)
        labels[a:z + 1] = 0
        if "P" in b:
            labels[b["P"].onset:b["P"].offset + 1] = 1
        qrs = b["QRS"]
        labels[qrs.onset:qrs.offset + 1] = 2
        if "T" in b:
            t = b["T"]
            if t.onset is not None and t.onset > qrs.offset:
                labels[t.onset:t.offset + 1] = 3
            else:
                labels[qrs.offset + 1:t.peak] = IGNORE
                labels[t.peak:t.offset + 1] = 3
    runs: list[tuple[int, int]] = []
    run_start = start(beats[0])
    for prev, nxt in pairwise(beats):
        linked = (nxt["QRS"].onset - prev["QRS"].onset < MAX_GAP_RR * median_rr and "T" in prev
                  and ("P" in nxt or not record_has_p) and end(prev) < start(nxt))
        if linked:
            labels[end(prev) + 1:start(nxt)] = 0
        else:
            runs.append((run_start, end(prev) + 1))
            run_start = start(nxt)
    runs.append((run_start, end(beats[-1]) + 1))
    return labels, runs


def prepare_qtdb_record(root: str | Path, name: str, fs: float) -> PreparedQtdbRecord:
    """Read QTDB record ``name``, label it from ``.q1c`` and bring it to ``fs`` Hz (cached under
    ``cache_dir()/qtdb_prepared``, :func:`medts.medtsllm.data.cached_prepared`)."""
    return cached_prepared("qtdb_prepared", Path(root) / f"{name}.hea", name, (fs, LABEL_VERSION),
                           lambda: _prepare_qtdb_record(root, name, fs))


def _prepare_qtdb_record(root: str | Path, name: str, fs: float) -> PreparedQtdbRecord:
    rec = read_qtdb(root, name)
    ecg = rec.ecg
    labels, runs = qtdb_labels(rec.q1c, ecg.signal.shape[0])
    res = ecg.resample(fs) if fs != ecg.fs else ecg
    n = res.signal.shape[0]
    scale = fs / ecg.fs
    return PreparedQtdbRecord(
        name=name, signal=res.signal.astype(np.float32), labels=resample_mask(labels, ecg.fs, fs, n),
        runs=[(int(np.ceil(a * scale)), min(n, int(np.floor(b * scale)))) for a, b in runs], leads=tuple(ecg.leads),
    )


class QtdbWindows(Dataset):
    """One-lead windows of QTDB records ``names`` inside their marked runs (``independent`` lead
    mode only: QTDB has two leads, not the twelve a concatenated model reads).

    Items as :class:`medts.medtsllm.data.LudbWindows`; ``y`` holds ``IGNORE`` where unknown.
    """

    def __init__(self, root: str | Path, names: Iterable[str], config: MedTsLLMConfig, *, with_prompts: bool = True) -> None:
        d = config.data
        if d.lead_mode != "independent":
            raise ValueError("QTDB windows need data.lead_mode 'independent' (QTDB records have 2 leads)")
        self.config = config
        self.length = round(d.window_s * d.fs)
        hop = round(d.hop_s * d.fs)
        self.with_prompts = with_prompts
        self.records = [prepare_qtdb_record(root, name, d.fs) for name in names]
        self.index: list[tuple[int, int, int]] = []  # (record index, lead index, start)
        for ri, rec in enumerate(self.records):
            for run in rec.runs:
                for s in window_starts(run, self.length, hop):
                    self.index += [(ri, li, s) for li in range(len(rec.leads))]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ri, li, start = self.index[i]
        rec = self.records[ri]
        x = rec.signal[start:start + self.length, li]  # [T]
        y = rec.labels[start:start + self.length]  # [T]
        lead = rec.leads[li]
        prompt = ""
        if self.with_prompts:
            prompt = build_prompt(self.config.prompt, task=self.config.task, dataset="qtdb", fs=self.config.data.fs,
                                  window=x[:, None], age=None, sex=None, lead=lead)
        return {
            "x": torch.from_numpy(np.ascontiguousarray(x[None, :])),  # [1, T]
            "y": torch.from_numpy(y[None, :].astype(np.int64)),
            "prompt": prompt, "record_id": rec.name, "leads": [lead], "start": start,
        }
