"""Shared builders for the report tests: simulated 12-lead WFDB records and corrupt files."""

from __future__ import annotations

from pathlib import Path

from medts.io.wfdb_io import write_wfdb
from medts.simulate import simulate_12lead

GOOD_HR = (58.0, 72.0, 95.0, 110.0)


def write_good_records(folder: Path, n: int, *, fs: float = 250.0) -> list[str]:
    """``n`` simulated 10 s 12-lead WFDB records (seeded); returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        ecg = simulate_12lead(duration_s=10.0, fs=fs, hr_bpm=GOOD_HR[i % len(GOOD_HR)], seed=100 + i,
                              atrial_fibrillation=(i % 5 == 4), record_id=f"good{i:02d}", age=40 + i, sex="MF"[i % 2])
        write_wfdb(ecg, folder / f"good{i:02d}")
        names.append(f"good{i:02d}")
    return names


def write_corrupt_files(folder: Path) -> list[str]:
    """Three files that look like records but are not readable; returns their names (stems)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "garbage.csv").write_text("lead I,lead II\nnot,a number\n\x00\x01")
    # A header whose signal file holds far fewer bytes than it announces.
    src = folder / "good00.hea"
    header = src.read_text().replace("good00", "trunc")
    (folder / "trunc.hea").write_text(header)
    (folder / "trunc.dat").write_bytes((folder / "good00.dat").read_bytes()[:200])
    # A header whose signal file is missing.
    (folder / "nodat.hea").write_text(src.read_text().replace("good00", "nodat"))
    return ["garbage", "trunc", "nodat"]
