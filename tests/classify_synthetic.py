"""A small PTB-XL-layout root with two easily separable record kinds, for classifier tests.

Kind "NORM" (even ids): narrow spikes at 1.2 Hz, sinus rhythm. Kind "CLBBB" (odd ids): wide
slow waves at 0.8 Hz plus a 6 Hz ripple, labelled CLBBB (superclass CD) and AFIB. Folds 1-8
hold ``per_fold`` records each, fold 9 ``val_records``, fold 10 (optional) ``test_records``.
Two fold-1 records exist only as ``processed100_zscore/train`` arrays, one row has no signal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import wfdb

LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
NORM_CODES = {"NORM": 100.0, "SR": 0.0}
CD_CODES = {"CLBBB": 100.0, "AFIB": 0.0}


def kind_signal(ecg_id: int, fs: int = 100, seconds: float = 10.0) -> np.ndarray:
    """``float64 [seconds * fs, 12]`` mV for record ``ecg_id`` (kind from its parity)."""
    t = np.arange(int(seconds * fs)) / fs
    rng = np.random.default_rng(ecg_id)
    phase = rng.uniform(0, 1)
    gains = rng.uniform(0.5, 1.5, len(LEADS))
    if ecg_id % 2 == 0:
        wave = np.exp(-(((t * 1.2 + phase) % 1.0 - 0.5) ** 2) / 0.001)
    else:
        wave = np.exp(-(((t * 0.8 + phase) % 1.0 - 0.5) ** 2) / 0.02) + 0.3 * np.sin(2 * np.pi * 6 * t)
    return wave[:, None] * gains[None, :] + 0.02 * rng.standard_normal((len(t), len(LEADS)))


def write_classify_root(root: Path, *, per_fold: int = 4, val_records: int = 8, test_records: int = 0) -> Path:
    """Write the root and return it."""
    rows = []
    ecg_id = 100
    plan = [(fold, per_fold) for fold in range(1, 9)] + [(9, val_records)] + ([(10, test_records)] if test_records else [])
    processed_only = set()
    for fold, count in plan:
        for _ in range(count):
            ecg_id += 1
            if fold == 1 and len(processed_only) < 2:
                processed_only.add(ecg_id)
            rows.append((ecg_id, fold))
    rows.append((ecg_id + 1, 3))  # a csv row without any signal file
    no_signal = ecg_id + 1
    records = []
    for ecg_id, fold in rows:
        folder = f"{ecg_id // 1000 * 1000:05d}"
        lr, hr = f"records100/{folder}/{ecg_id:05d}_lr", f"records500/{folder}/{ecg_id:05d}_hr"
        codes = NORM_CODES if ecg_id % 2 == 0 else CD_CODES
        records.append({"ecg_id": ecg_id, "patient_id": float(ecg_id), "age": 60.0, "sex": ecg_id % 2,
                        "report": "synthetic", "scp_codes": repr(codes), "heart_axis": "MID",
                        "strat_fold": fold, "filename_lr": lr, "filename_hr": hr})
        if ecg_id == no_signal:
            continue
        signal = kind_signal(ecg_id)
        if ecg_id in processed_only:
            split = root / "processed100_zscore" / "train"
            split.mkdir(parents=True, exist_ok=True)
            z = (signal - signal.mean(0)) / signal.std(0)
            np.save(split / f"{ecg_id}.npy", z.astype(np.float16))
            continue
        (root / lr).parent.mkdir(parents=True, exist_ok=True)
        wfdb.wrsamp(Path(lr).name, fs=100, units=["mV"] * 12, sig_name=LEADS, p_signal=signal,
                    fmt=["16"] * 12, write_dir=str((root / lr).parent))
    pd.DataFrame(records).to_csv(root / "ptbxl_database.csv", index=False)
    return root


def train_tiny(root: Path, out: Path, *, level: str = "superdiagnostic", seeds=(0,), epochs: int = 3):
    """Train a seeded xresnet1d-small (ensemble over ``seeds``) on the root, save it to ``out``."""
    from medts.classify.train import TrainConfig, train_ensemble

    cfg = TrainConfig(level=level, model="xresnet1d-small", epochs=epochs, batch_size=8, lr=1e-2, num_threads=1)
    clf, summary = train_ensemble(root, cfg, seeds=list(seeds), command="pytest train_tiny", n_reference=4)
    clf.save(out)
    return clf, summary
