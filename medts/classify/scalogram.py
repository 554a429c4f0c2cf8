"""Continuous-wavelet-transform scalograms of 12-lead ECGs and a small 2-D CNN that reads them.

The comparison row of the project's reading list ("CWT scalogram -> 2-D CNN", usually an
ImageNet-pretrained network fine-tuned on the images). No pretrained 2-D weights exist offline
here (no torchvision, no weight files, no network), so :class:`ScalogramNet` is small and trained
from scratch; the row therefore tests the *representation*, not transfer learning.

Transform (:func:`scalograms`): for each lead of a preprocessed record (band-passed, z-scored,
100 Hz, :mod:`medts.classify.preprocess`), :func:`pywt.cwt` with the real Morlet wavelet at
:data:`N_SCALES` scales whose centre frequencies run geometrically from :data:`FMAX_HZ` down to
:data:`FMIN_HZ`; the magnitude is averaged over blocks of :data:`TIME_POOL` samples (100 Hz ->
25 Hz, 40 ms per column) and compressed with ``log1p``. A 10 s record becomes
``float32 [12 leads, 32 scales, 250 columns]``: the leads are the image's channels.

Training (:func:`train_scalogram_net`) follows :func:`medts.classify.train.train_one`: AdamW,
one-cycle learning rate, binary cross-entropy, seeded, and the epoch with the best macro-AUC on
the selection fold is kept. The whole record is one image (no crops).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

SCALOGRAM_VERSION = 1
WAVELET = "morl"
N_SCALES = 32
FMIN_HZ = 0.7
FMAX_HZ = 40.0
TIME_POOL = 4


def scale_frequencies(n_scales: int = N_SCALES, fmin_hz: float = FMIN_HZ, fmax_hz: float = FMAX_HZ) -> np.ndarray:
    """Centre frequencies (Hz) of the scalogram rows, highest first, geometrically spaced.

    >>> scale_frequencies(3, 1.0, 4.0).tolist()
    [4.0, 2.0, 1.0]
    """
    return np.geomspace(fmax_hz, fmin_hz, n_scales)


def scalograms(signals: np.ndarray, fs_hz: float = 100.0, *, n_scales: int = N_SCALES,
               time_pool: int = TIME_POOL) -> np.ndarray:
    """Log-magnitude CWT images ``float32 [n, leads, n_scales, n_samples // time_pool]`` of
    ``signals [n, n_samples, leads]`` (preprocessed, sampled at ``fs_hz``); row ``j`` is the scale
    whose Morlet centre frequency is ``scale_frequencies(n_scales)[j]`` Hz."""
    import pywt

    x = np.asarray(signals, np.float32).transpose(0, 2, 1)  # [n, leads, samples]
    freqs = scale_frequencies(n_scales)
    scales = pywt.central_frequency(WAVELET) * fs_hz / freqs
    coef, _ = pywt.cwt(x, scales, WAVELET, sampling_period=1.0 / fs_hz, method="fft", axis=-1)
    mag = np.abs(coef).transpose(1, 2, 0, 3)  # [n, leads, scales, samples]
    cols = mag.shape[-1] // time_pool
    pooled = mag[..., : cols * time_pool].reshape(*mag.shape[:-1], cols, time_pool).mean(axis=-1)
    return np.log1p(pooled).astype(np.float32)


def scalogram_cache(cache: Any, *, batch: int = 64, log: Callable[[str], None] = print) -> tuple[np.ndarray, float]:
    """:func:`scalograms` of every row of a :class:`~medts.classify.data.PtbxlCache` (memory-mapped
    ``float16``) and the wall seconds the transform took when first computed (stored beside it).

    Stored once under ``cache_dir()/ptbxl_scalogram/<key>`` (the key hashes the cache folder and
    :data:`SCALOGRAM_VERSION`), outside the repository; later calls load it."""
    from medts.config import cache_dir

    key = hashlib.sha1(json.dumps([str(cache.path), SCALOGRAM_VERSION, N_SCALES, TIME_POOL, FMIN_HZ, FMAX_HZ,
                                   WAVELET]).encode()).hexdigest()[:16]
    folder = cache_dir() / "ptbxl_scalogram" / key
    path, meta = folder / "scalograms.npy", folder / "meta.json"
    if not (path.is_file() and meta.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        n = len(cache.ecg_ids)
        shape = (n, cache.signals.shape[2], N_SCALES, cache.signals.shape[1] // TIME_POOL)
        tmp = folder / "scalograms.tmp.npy"
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=shape)
        start = time.perf_counter()
        for i in range(0, n, batch):
            out[i : i + batch] = scalograms(cache.signals[i : i + batch], cache.fs_hz)
        seconds = time.perf_counter() - start
        out.flush()
        del out
        tmp.replace(path)
        meta.write_text(json.dumps({"seconds": round(seconds, 1), "n_records": n}))
        log(f"[scalogram] {n} records in {seconds:.0f} s")
    return np.load(path, mmap_mode="r"), float(json.loads(meta.read_text())["seconds"])


class ScalogramNet(nn.Module):
    """A small 2-D CNN over ``[batch, leads, scales, time]``: three conv-BN-ReLU stages (3x3,
    2x2 max-pool after the first two), then global average and max pooling and a linear layer.
    Returns logits ``[batch, n_classes]``."""

    def __init__(self, n_classes: int, n_leads: int = 12, widths: tuple[int, ...] = (16, 32, 64),
                 dropout: float = 0.25):
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm2d(n_leads)]  # the log-magnitudes are not centred
        c_in = n_leads
        for i, c_out in enumerate(widths):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))


@dataclass
class ScalogramResult:
    """A trained :class:`ScalogramNet` (weights of the best selection-fold epoch) and its history."""

    net: ScalogramNet
    best_epoch: int
    best_val_macro_auc: float
    history: list[dict[str, float]]


def predict_scalograms(net: nn.Module, images: np.ndarray, *, batch_size: int = 128) -> np.ndarray:
    """Probabilities ``float32 [n, n_classes]`` of ``images [n, leads, scales, time]``."""
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = torch.from_numpy(np.asarray(images[i : i + batch_size], np.float32))
            out.append(torch.sigmoid(net(x)).numpy())
    return np.concatenate(out) if out else np.zeros((0, net.head[-1].out_features), np.float32)


def train_scalogram_net(images: np.ndarray, train_rows: np.ndarray, y_train: np.ndarray, val_rows: np.ndarray,
                        y_val: np.ndarray, *, epochs: int = 8, seed: int = 0, batch_size: int = 64, lr: float = 3e-3,
                        weight_decay: float = 1e-2, log: Callable[[str], None] = print) -> ScalogramResult:
    """Train a :class:`ScalogramNet` on ``images[train_rows]`` and keep the epoch with the best macro-AUC
    on ``images[val_rows]`` (the selection fold), as :func:`medts.classify.train.train_one` does."""
    from medts.classify.metrics import macro_auc
    from medts.classify.train import make_scheduler

    torch.manual_seed(seed)
    torch.set_flush_denormal(True)
    x_train = torch.from_numpy(np.asarray(images[train_rows], np.float32))
    y = torch.from_numpy(np.asarray(y_train, np.float32))
    x_val = np.asarray(images[val_rows], np.float32)
    net = ScalogramNet(y.shape[1], n_leads=x_train.shape[1])
    steps = max(1, len(x_train) // batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = make_scheduler(optimizer, "onecycle", lr, epochs * steps)
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    best = ScalogramResult(net, -1, -1.0, [])
    best_state = None
    for epoch in range(1, epochs + 1):
        net.train()
        start, total = time.perf_counter(), 0.0
        perm = torch.randperm(len(x_train), generator=gen)
        for s in range(steps):  # drop_last, as the 1-D training does (batch norm dislikes a batch of 1)
            idx = perm[s * batch_size : (s + 1) * batch_size]
            loss = loss_fn(net(x_train[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach())
        auc = macro_auc(y_val, predict_scalograms(net, x_val))
        best.history.append({"epoch": epoch, "train_loss": total / steps, "val_macro_auc": auc,
                             "train_seconds": time.perf_counter() - start})
        log(f"[scalogram] epoch {epoch}/{epochs} loss {total / steps:.4f} selection macro-AUC {auc:.4f}")
        if auc > best.best_val_macro_auc:
            best.best_val_macro_auc, best.best_epoch = auc, epoch
            best_state = copy.deepcopy(net.state_dict())
    net.load_state_dict(best_state)
    return ScalogramResult(net.eval(), best.best_epoch, best.best_val_macro_auc, best.history)


def describe() -> dict[str, Any]:
    """The transform's settings, for results files."""
    return {"wavelet": WAVELET, "n_scales": N_SCALES, "fmin_hz": FMIN_HZ, "fmax_hz": FMAX_HZ,
            "time_pool": TIME_POOL, "version": SCALOGRAM_VERSION, "pretrained": False}
