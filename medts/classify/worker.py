"""A classifier in a worker process, so that loading it overlaps measuring the record.

``medts classify`` needs two heavy imports: torch for the classifier and NeuroKit2 for the
measurements the engine reconciles the statements with (1.2 and 1.7 CPU-s on the development
machine). An import holds the interpreter lock, so in one process they add up (2.9 s for one
record). :class:`ClassifierWorker` loads the classifier in a second process while the command's
own process imports NeuroKit2 and measures; on two cores the wall time is the longer of the two.
Records are predicted one after another in the same worker, so a batch loads the model once.

The worker is forked: it starts with the modules the command has imported (numpy, wfdb); a spawned
worker imports them again and measured slower than no worker at all. On the development machine,
alternating runs took 2.65-2.89 s wall with the worker against 3.70-4.27 s in one process. Where
torch is imported already (the app, a notebook, the tests) a thread of the same process predicts
instead: there is no import left to overlap, and forking a process that runs torch's thread pools
is not safe.

Errors raised in the worker (a bad adapter folder: :class:`~medts.errors.MedtsError`) come back
as the same exception from :meth:`ClassifierWorker.wait_ready` or from the future
that :meth:`ClassifierWorker.submit` returns.

Example
-------
>>> from medts.examples import load_example
>>> worker = ClassifierWorker(adapter=None, level="superdiagnostic")
>>> prediction = worker.submit(load_example("sinus")).result()
>>> worker.close()
>>> prediction.source.endswith("sinus.hea")
True
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from medts.classify.outputs import ClassifierPrediction
    from medts.classify.predict import Classifier
    from medts.record import ECG

FusionInputs = tuple["np.ndarray", float, "np.ndarray"]
"""(model input [n_samples, 12], model rate Hz, fusion features): what the worker's fusion head reads."""
_loaded: dict[tuple[str | None, str], Classifier] = {}
"""The worker process's classifiers, by (adapter folder, level)."""


def _load(adapter: str | None, level: str) -> Classifier:
    """Runs in the worker: the classifier of ``adapter`` or ``level``, loaded once."""
    from medts.classify.predict import classifier_for_level, load_classifier

    key = (adapter, level)
    if key not in _loaded:
        _loaded[key] = load_classifier(adapter) if adapter is not None else classifier_for_level(level)
    return _loaded[key]


def _warm_up(adapter: str | None, level: str) -> float | None:
    """Runs in the worker as soon as it starts: imports torch and loads the classifier while the
    parent imports its own libraries. Returns the model rate (Hz) when a fusion head scores complete
    12-lead records with measurements (:mod:`medts.classify.fusion`), else ``None``."""
    clf = _load(adapter, level)
    return clf.fs_hz if clf.fusion is not None else None


def _predict(adapter: str | None, level: str, ecg: ECG, fusion_inputs: FusionInputs | None) -> ClassifierPrediction:
    """Runs in the worker: the prediction for ``ecg``, with the fusion features the parent measured."""
    if fusion_inputs is not None:
        from medts.classify.fusion import remember_record_features

        remember_record_features(ecg, *fusion_inputs)
    return _load(adapter, level).predict(ecg)


class ClassifierWorker:
    """One worker process that predicts with the classifier of ``adapter`` (a folder) or, when it
    is None, the shipped classifier of ``level``; it starts loading at once. Call :meth:`close`
    when done."""

    def __init__(self, adapter: Path | None, level: str):
        self._args = (None if adapter is None else str(adapter), level)
        self.in_process = "torch" in sys.modules
        # with torch imported already (the app, a notebook, tests) there is no import to overlap: a
        # thread predicts (torch's kernels release the interpreter lock while this one measures)
        self._pool: Executor = (ThreadPoolExecutor(max_workers=1) if self.in_process else
                                ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")))
        self._warm = self._pool.submit(_warm_up, *self._args)

    def wait_ready(self) -> None:
        """Block until the classifier is loaded; re-raises the worker's error (a broken adapter:
        :class:`~medts.errors.MedtsError`)."""
        self._warm.result()

    def submit(self, ecg: ECG) -> Future[ClassifierPrediction]:
        """Start predicting ``ecg``; the future's ``result()`` is the prediction or the worker's error.

        Waits until the classifier is loaded. When it fuses this record with measurements, they are
        measured here first: this process has NeuroKit2 loaded, so the worker never imports it."""
        return self._pool.submit(_predict, *self._args, ecg, self._fusion_inputs(ecg))

    def _fusion_inputs(self, ecg: ECG) -> FusionInputs | None:
        """The fusion head's inputs for ``ecg``, or ``None`` when no head fuses it (no head, or a lead
        missing or flat: those records keep the CNN path, as in :meth:`Classifier.predict_many`)."""
        fs_hz = self._warm.result()
        if fs_hz is None:
            return None
        from medts.classify.fusion import FusionHead
        from medts.classify.preprocess import model_input

        x, missing = model_input(ecg, fs_hz=fs_hz)
        if missing or not x.any(axis=0).all():
            return None
        return x, fs_hz, FusionHead.record_features(ecg, x, fs_hz)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
