"""A tiny PTB-XL-layout root written by tests (no shared data needed).

Used by ``test_io_ptbxl.py`` and ``test_bench_io.py``. Real PTB-XL layout: ``ptbxl_database.csv``,
``scp_statements.csv``, ``records100/00000/NNNNN_lr.{hea,dat}``, ``records500/.../NNNNN_hr``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import wfdb

from medts.labels import STATEMENTS

LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]

# ecg_id -> (age, sex, scp_codes, strat_fold, report); 9004 has no signal files.
ROWS = {
    9001: (56.0, 1, {"NORM": 100.0, "SR": 0.0}, 3, "sinus rhythm normal ecg"),
    9002: (300.0, 0, {"IMI": 35.0, "ABQRS": 0.0, "SR": 0.0}, 9, "inferior infarct"),
    9003: (float("nan"), 0, {"CLBBB": 100.0, "LVH": 50.0, "AFIB": 0.0}, 10, "afib lbbb"),
    9004: (70.0, 1, {"NORM": 100.0}, 1, "no files"),
}
WITH_FILES = (9001, 9002, 9003)
WITH_500HZ = (9001,)


def synthetic_signal(ecg_id: int, fs: int) -> np.ndarray:
    """``float64 [10 s * fs, 12]`` mV: a 1.2 Hz spiky beat per lead with a per-record phase."""
    t = np.arange(10 * fs) / fs
    rng = np.random.default_rng(ecg_id)
    phase = rng.uniform(0, 1)
    beat = np.exp(-(((t * 1.2 + phase) % 1.0 - 0.5) ** 2) / 0.002)  # one narrow peak per beat
    gains = np.linspace(0.3, 1.5, len(LEADS))
    return beat[:, None] * gains[None, :] + 0.01 * rng.standard_normal((len(t), len(LEADS)))


def write_ptbxl_root(root: Path, *, statements_csv: bool = True) -> Path:
    """Write the tiny root and return it."""
    records = []
    for ecg_id, (age, sex, codes, fold, report) in ROWS.items():
        folder = f"{ecg_id // 1000 * 1000:05d}"
        lr, hr = f"records100/{folder}/{ecg_id:05d}_lr", f"records500/{folder}/{ecg_id:05d}_hr"
        records.append(
            {
                "ecg_id": ecg_id, "patient_id": float(ecg_id + 100), "age": age, "sex": sex,
                "report": report, "scp_codes": repr(codes), "heart_axis": "MID",
                "strat_fold": fold, "filename_lr": lr, "filename_hr": hr,
            }
        )
        for fs, name, wanted in ((100, lr, WITH_FILES), (500, hr, WITH_500HZ)):
            if ecg_id in wanted:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                wfdb.wrsamp(
                    Path(name).name, fs=fs, units=["mV"] * 12, sig_name=LEADS,
                    p_signal=synthetic_signal(ecg_id, fs), fmt=["16"] * 12,
                    write_dir=str((root / name).parent),
                )
    pd.DataFrame(records).to_csv(root / "ptbxl_database.csv", index=False)
    if statements_csv:
        pd.DataFrame(
            {
                "description": [s.description for s in STATEMENTS.values()],
                "diagnostic": [1.0 if s.diagnostic else None for s in STATEMENTS.values()],
                "form": [1.0 if s.form else None for s in STATEMENTS.values()],
                "rhythm": [1.0 if s.rhythm else None for s in STATEMENTS.values()],
                "diagnostic_class": [s.diagnostic_class for s in STATEMENTS.values()],
                "diagnostic_subclass": [s.diagnostic_subclass for s in STATEMENTS.values()],
            },
            index=list(STATEMENTS),
        ).to_csv(root / "scp_statements.csv")
    return root
