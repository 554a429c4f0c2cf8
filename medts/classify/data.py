"""PTB-XL training data: a memory-mapped cache of preprocessed signals, crops and sliding windows.

Reading 2,000+ WFDB files every epoch would dominate CPU training time, so
:func:`load_ptbxl_cache` preprocesses every usable record once (band-pass + per-lead
z-score, :mod:`medts.classify.preprocess`) into ``float32 [n_records, n_samples, 12]``
stored as ``.npy`` under :func:`medts.config.cache_dir` and memory-mapped afterwards.

Sources: the raw ``records100`` WFDB records of a PTB-XL root and, where present, the
``processed100_zscore/{train,val}`` arrays of the partial shared copy. A record present in
both is taken from ``records100`` once. On the full PTB-XL release only ``records100`` exists
and the same code runs unchanged (folds 1-8 train, 9 validation, 10 test).

Training samples random 2.5 s crops (:class:`RandomCropDataset`); evaluation cuts each record
into overlapping windows (:func:`sliding_windows`) and aggregates the window probabilities.

Example
-------
>>> import numpy as np
>>> window_starts(1000, 250, 125)
[0, 125, 250, 375, 500, 625, 750]
>>> sliding_windows(np.zeros((2, 1000, 12), np.float32), 250, 125).shape
(14, 12, 250)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from medts.config import cache_dir
from medts.errors import ECGReadError, MedtsError

RECORD_SECONDS = 10.0
"""PTB-XL records are 10 s; shorter ones are zero-padded, longer ones cut, in the cache."""
TRAIN_FOLDS = (1, 2, 3, 4, 5, 6, 7, 8)
VAL_FOLD = 9
TEST_FOLD = 10


@dataclass
class PtbxlCache:
    """Preprocessed PTB-XL signals and their metadata (rows in ascending ``ecg_id``).

    Attributes
    ----------
    signals : numpy.ndarray (memory-mapped), float32 [n_records, n_samples, 12]
    ecg_ids, folds : numpy.ndarray int64 [n_records]
    sources : list of str
        ``"records100"`` or ``"processed100_zscore"`` per row.
    fs_hz : float
    root : Path
    n_missing : int
        Rows of ``ptbxl_database.csv`` with no signal anywhere in the root (skipped).
    path : Path
        The cache folder.
    """

    signals: np.ndarray
    ecg_ids: np.ndarray
    folds: np.ndarray
    sources: list[str]
    fs_hz: float
    root: Path
    n_missing: int
    path: Path

    def rows(self, folds: tuple[int, ...] | list[int]) -> np.ndarray:
        """Row indices of the records in ``folds`` (``int64``)."""
        return np.flatnonzero(np.isin(self.folds, list(folds)))

    def label_matrix(self, level: str) -> tuple[np.ndarray, list[str]]:
        """Multi-hot labels ``float32 [n_records, n_classes]`` at ``level`` and the class names."""
        from medts.io.ptbxl import PtbxlIndex

        index = PtbxlIndex.open(self.root, sampling_rate=100)
        return index.label_matrix(level, self.ecg_ids.tolist())

    def record_counts(self) -> dict[str, dict[str, int]]:
        """Records per fold and source, for manifests and benchmark reports."""
        counts: dict[str, dict[str, int]] = {}
        for fold, source in zip(self.folds.tolist(), self.sources):
            counts.setdefault(str(fold), {}).setdefault(source, 0)
            counts[str(fold)][source] += 1
        return dict(sorted(counts.items(), key=lambda kv: int(kv[0])))


def load_ptbxl_cache(
    root: str | Path, *, use_processed: bool = True, folder: Path | None = None
) -> PtbxlCache:
    """Build (first call) or memory-map (later calls) the preprocessed signal cache of a PTB-XL root.

    Parameters
    ----------
    root : str or Path
        PTB-XL root (``ptbxl_database.csv``, ``records100/``, optionally ``processed100_zscore/``).
    use_processed : bool
        Also use ``processed100_zscore`` arrays for records without a ``records100`` file.
    folder : Path, optional
        Cache location; default ``cache_dir()/ptbxl/<key>`` where the key hashes the root, the
        preprocessing version and the list of files.

    Raises
    ------
    ECGReadError
        If the root is not a PTB-XL root or holds no usable record.
    """
    from medts.classify.preprocess import PREPROCESS_VERSION  # imported here: it loads scipy.signal
    from medts.io.ptbxl import PtbxlIndex, processed_zscore_arrays

    root = Path(root).resolve()
    index = PtbxlIndex.open(root, sampling_rate=100)
    fs_hz = 100.0
    entries: dict[int, tuple[str, Path]] = {}
    if use_processed:
        for ecg_id, path in processed_zscore_arrays(root).items():
            if ecg_id in index.metadata.index:
                entries[ecg_id] = ("processed100_zscore", path)
    for ecg_id in index.ecg_ids():
        entries[ecg_id] = ("records100", index.path(ecg_id))  # raw wins over processed
    if not entries:
        raise ECGReadError(root, "no PTB-XL signals found (neither records100/ nor processed100_zscore/)")
    ids = sorted(entries)
    key_text = json.dumps([str(root), PREPROCESS_VERSION, [(i, entries[i][0]) for i in ids]])
    key = hashlib.sha1(key_text.encode()).hexdigest()[:16]
    folder = folder or cache_dir() / "ptbxl" / key
    signals_path = folder / "signals.npy"
    meta_path = folder / "meta.json"
    n_samples = int(RECORD_SECONDS * fs_hz)
    if not (signals_path.is_file() and meta_path.is_file()):
        _write_cache(index, entries, ids, folder, n_samples, fs_hz)
    meta = json.loads(meta_path.read_text())
    signals = np.load(signals_path, mmap_mode="r")
    n_missing = len(index.metadata) - len(ids)
    return PtbxlCache(
        signals=signals,
        ecg_ids=np.asarray(meta["ecg_ids"], np.int64),
        folds=np.asarray(meta["folds"], np.int64),
        sources=list(meta["sources"]),
        fs_hz=fs_hz,
        root=root,
        n_missing=n_missing,
        path=folder,
    )


def _write_cache(index, entries: dict, ids: list[int], folder: Path, n_samples: int, fs_hz: float) -> None:
    from medts.classify.preprocess import PREPROCESS_VERSION, standardise_signal
    from medts.io.ptbxl import load_processed_zscore

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"signals.{os.getpid()}.tmp.npy"
    signals = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(ids), n_samples, 12))
    for row, ecg_id in enumerate(ids):
        source, path = entries[ecg_id]
        if source == "records100":
            ecg, _ = index.read(ecg_id).with_standard_leads()
            raw = ecg.signal
        else:
            raw = load_processed_zscore(path)
        signals[row] = fit_length(standardise_signal(raw, fs_hz), n_samples)
    signals.flush()
    del signals
    os.replace(tmp, folder / "signals.npy")
    folds = [int(index.metadata.loc[i, "strat_fold"]) for i in ids]
    meta = {"ecg_ids": ids, "folds": folds, "sources": [entries[i][0] for i in ids],
            "fs_hz": fs_hz, "preprocess_version": PREPROCESS_VERSION, "root": str(index.root)}
    (folder / "meta.json").write_text(json.dumps(meta))


def fit_length(signal: np.ndarray, n_samples: int) -> np.ndarray:
    """Zero-pad or cut ``signal [n, leads]`` to ``n_samples`` rows."""
    if signal.shape[0] >= n_samples:
        return signal[:n_samples]
    out = np.zeros((n_samples, signal.shape[1]), signal.dtype)
    out[: signal.shape[0]] = signal
    return out


def window_starts(n_samples: int, window: int, stride: int) -> list[int]:
    """Start samples of windows covering ``n_samples`` (the last one ends at the record's end)."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window + 1, stride))
    if starts[-1] != n_samples - window:
        starts.append(n_samples - window)
    return starts


def sliding_windows(signals: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Cut ``signals [n, n_samples, leads]`` into windows ``float32 [n * n_windows, leads, window]``.

    Records shorter than ``window`` are zero-padded. Windows of record ``i`` are rows
    ``i * n_windows ... (i + 1) * n_windows - 1``.
    """
    signals = np.asarray(signals, dtype=np.float32)
    if signals.shape[1] < window:
        signals = np.stack([fit_length(s, window) for s in signals])
    starts = window_starts(signals.shape[1], window, stride)
    windows = np.stack([signals[:, s : s + window] for s in starts], axis=1)  # [n, w, window, leads]
    return np.ascontiguousarray(windows.reshape(-1, window, signals.shape[2]).transpose(0, 2, 1))


REDUCED_LEAD_SETS: tuple[tuple[str, ...], ...] = (
    ("I", "II", "III", "aVR", "aVL", "aVF"),
    ("I", "II", "III", "V2"),
    ("I", "II", "V2"),
    ("I", "II"),
    ("II",),
)
"""Reduced lead sets trained for and scored: the 6-, 4-, 3- and 2-lead sets of the PhysioNet/CinC
Challenge 2021 ("Will Two Do?") and lead II alone (single-lead monitors)."""


def keep_leads_mask(leads: tuple[str, ...]) -> np.ndarray:
    """``bool [12]``: True for the canonical leads in ``leads``."""
    from medts.record import STANDARD_LEADS

    unknown = sorted(set(leads) - set(STANDARD_LEADS))
    if unknown:
        raise ValueError(f"not standard leads: {', '.join(unknown)}")
    return np.array([lead in leads for lead in STANDARD_LEADS])


class RandomCropDataset(torch.utils.data.Dataset):
    """Random ``window``-sample crops of cached records, as ``(x [leads, window], y [n_classes])``.

    With ``lead_dropout`` p, a crop keeps only one of :data:`REDUCED_LEAD_SETS` (chosen uniformly)
    with probability p, the other leads set to zero: exactly what inference feeds the model for a
    lead the record lacks (flat after standardisation), so the model learns to read reduced-lead
    records. Crops and drops are drawn with torch's global generator: a seeded run is reproducible.

    Optional augmentation (off by default): ``amplitude_scale`` a multiplies each lead of a crop by a
    factor drawn uniformly from [1 - a, 1 + a] (electrode gain varies between recordings), and
    ``noise_sd`` adds white Gaussian noise of that SD (the signals are z-scored: units of the lead's SD).
    """

    def __init__(self, signals: np.ndarray, rows: np.ndarray, labels: np.ndarray, window: int, *,
                 lead_dropout: float = 0.0, amplitude_scale: float = 0.0, noise_sd: float = 0.0):
        if len(rows) == 0:
            raise MedtsError("no training records: check the folds and the label level")
        if not 0.0 <= lead_dropout <= 1.0:
            raise ValueError(f"lead_dropout must be in [0, 1], got {lead_dropout}")
        self.signals = signals
        self.rows = np.asarray(rows)
        self.labels = torch.from_numpy(np.asarray(labels, np.float32))
        self.window = window
        self.lead_dropout = lead_dropout
        if not 0.0 <= amplitude_scale < 1.0 or noise_sd < 0.0:
            raise ValueError(f"amplitude_scale must be in [0, 1) and noise_sd >= 0, got {amplitude_scale}, {noise_sd}")
        self.amplitude_scale = amplitude_scale
        self.noise_sd = noise_sd
        self._masks = [keep_leads_mask(s) for s in REDUCED_LEAD_SETS]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        record = self.signals[self.rows[i]]
        start = int(torch.randint(0, max(1, record.shape[0] - self.window + 1), ()).item())
        crop = np.array(record[start : start + self.window], dtype=np.float32).T  # [leads, window]
        if self.lead_dropout and float(torch.rand(())) < self.lead_dropout:
            crop[~self._masks[int(torch.randint(0, len(self._masks), ()))]] = 0.0
        x = torch.from_numpy(crop)
        if self.amplitude_scale:
            x = x * (1.0 + self.amplitude_scale * (2.0 * torch.rand(x.shape[0], 1) - 1.0))
        if self.noise_sd:
            x = x + self.noise_sd * torch.randn(x.shape)
        return x, self.labels[i]
