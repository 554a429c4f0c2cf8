"""The documented error types of medts.

Every reader raises :class:`ECGReadError` (its message names the file and the problem);
building an :class:`~medts.record.ECG` from bad arrays raises :class:`InvalidECGError`.
Both derive from :class:`MedtsError`, which the CLI turns into a one-line message
instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class MedtsError(Exception):
    """Base class of every error medts raises on purpose."""


class InvalidECGError(MedtsError, ValueError):
    """An ECG record's arrays or metadata are not usable (NaN, too short, bad fs, ...)."""


class ECGReadError(MedtsError):
    """A file could not be read as an ECG record or annotation.

    Attributes
    ----------
    path : str
        The file (or folder) that failed.
    problem : str
        What is wrong with it, in plain words.
    """

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # rebuilt from its two fields when it crosses a process boundary
        return type(self), (self.path, self.problem)
