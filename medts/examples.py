"""Bundled example records (simulated, so they can ship with the package).

The files under ``medts/example_data/`` are written by :func:`write_examples` from the
dipole simulator in :mod:`medts.simulate`; nothing in them comes from a real patient or a
shared dataset. ``python -m medts.examples`` rewrites them (deterministically).

Example
-------
>>> from medts.examples import load_example
>>> ecg = load_example("sinus")
>>> ecg.fs, ecg.n_leads
(500.0, 12)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from medts.record import ECG
from medts.simulate import simulate_12lead

EXAMPLE_DIR = Path(__file__).resolve().parent / "example_data"


@dataclass(frozen=True)
class ExampleSpec:
    description: str
    hr_bpm: float
    seed: int
    atrial_fibrillation: bool
    age: float
    sex: str


EXAMPLES: dict[str, ExampleSpec] = {
    "sinus": ExampleSpec("12-lead, 10 s, 500 Hz, normal sinus rhythm at ~68 bpm (simulated)", 68.0, 7, False, 54, "F"),
    "afib": ExampleSpec("12-lead, 10 s, 500 Hz, atrial fibrillation at ~105 bpm (simulated)", 105.0, 11, True, 71, "M"),
}


def example_names() -> list[str]:
    return list(EXAMPLES)


def example_path(name: str) -> Path:
    """The WFDB header of a bundled example, e.g. ``.../example_data/sinus.hea``."""
    if name not in EXAMPLES:
        raise KeyError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return EXAMPLE_DIR / f"{name}.hea"


def simulate_example(name: str) -> ECG:
    """Simulate the example ``name`` in memory (what :func:`write_examples` stores)."""
    spec = EXAMPLES[name]
    return simulate_12lead(
        duration_s=10.0, fs=500.0, hr_bpm=spec.hr_bpm, seed=spec.seed,
        atrial_fibrillation=spec.atrial_fibrillation, record_id=name, age=spec.age, sex=spec.sex,
    )


def load_example(name: str) -> ECG:
    """Read a bundled example through the normal WFDB reader."""
    from medts.io import read_record

    return read_record(example_path(name))


def write_examples(folder: Path = EXAMPLE_DIR) -> list[Path]:
    """Write every example as a WFDB record (16-bit, 1 uV resolution) into ``folder``."""
    from medts.io.wfdb_io import write_wfdb

    folder.mkdir(parents=True, exist_ok=True)
    return [write_wfdb(simulate_example(name), folder / name) for name in EXAMPLES]


if __name__ == "__main__":
    for path in write_examples(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE_DIR):
        print(path)
