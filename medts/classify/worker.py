"""A classifier in a worker process, so that loading it overlaps measuring the record.

``medts classify`` needs two heavy imports: torch for the classifier and NeuroKit2 for the
measurements the engine reconciles the statements with (1.2 and 1.7 CPU-s on the development
machine). An import holds the interpreter lock, so in one process they add up (2.9 s for one
record). :class:`ClassifierWorker` loads the classifier in a second process while the command's
own process imports NeuroKit2 and measures; on two cores the wall time is the longer of the two.
Records are predicted one after another in the same worker, so a batch loads the model once.

The worker is forked: it starts with the modules the command has imported (numpy); a spawned
worker imports them again and measured slower than no worker at all. ``medts classify`` starts it
before reading any record, and it imports torch at once (:func:`_import_torch`); the classifier is
loaded once the first record is read (:meth:`ClassifierWorker.load`: bad inputs cost no model load).
The command's process makes the model input (band-pass, scipy.signal) and the fusion features
(NeuroKit2) and hands them over, so the worker imports neither: on the development machine (shared
with other jobs) it needed about 1.3 CPU-s (torch, the networks, the weights) against 2.2 for the
command's process (reading, NeuroKit2, measuring), which is the critical path. Where
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

import gc
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

ModelInput = tuple["np.ndarray", list[str]]
"""(model input [n_samples, 12] at the model rate, missing leads): :func:`medts.classify.preprocess.model_input`."""
_loaded: dict[tuple[str | None, str], Classifier] = {}
"""The worker process's classifiers, by (adapter folder, level)."""


def _import_torch() -> None:
    """Runs in the worker as soon as it starts, before any record is read: the imports that take
    most of its time (torch, the networks), none of which reads a file.

    The cyclic garbage collector is off while they run (its passes over the growing heap took about
    13% of torch's import time on the development machine); what they made is then frozen
    (:func:`gc.freeze`: later collections skip it) and collection resumes for the predictions."""
    gc.disable()
    import medts.classify.predict  # noqa: F401 - imports torch

    gc.freeze()
    gc.enable()


def _load(adapter: str | None, level: str) -> Classifier:
    """Runs in the worker: the classifier of ``adapter`` or ``level``, loaded once."""
    from medts.classify.predict import classifier_for_level, load_classifier

    key = (adapter, level)
    if key not in _loaded:
        _loaded[key] = load_classifier(adapter) if adapter is not None else classifier_for_level(level)
    return _loaded[key]


def _warm_up(adapter: str | None, level: str) -> tuple[float, bool]:
    """Runs in the worker once the first record is read: loads the classifier. Returns its model rate
    (Hz) and whether a fusion head scores complete 12-lead records with measurements
    (:mod:`medts.classify.fusion`)."""
    clf = _load(adapter, level)
    return clf.fs_hz, clf.fusion is not None


def _predict(adapter: str | None, level: str, ecg: ECG, model_signal: ModelInput,
             features: np.ndarray | None) -> ClassifierPrediction:
    """Runs in the worker: the prediction for ``ecg`` from its model input and, when fused, the fusion
    features, both made by the parent (so the worker imports neither scipy.signal nor NeuroKit2)."""
    clf = _load(adapter, level)
    if features is not None:
        from medts.classify.fusion import remember_record_features

        remember_record_features(ecg, model_signal[0], clf.fs_hz, features)
    return clf.predict_many([ecg], [model_signal])[0]


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
        self._warm: Future[tuple[float, bool]] | None = None
        if not self.in_process:
            self._pool.submit(_import_torch)  # the process starts now and imports torch

    def load(self) -> Future[tuple[float, bool]]:
        """Start loading the classifier (after its imports, in the worker); the future of its model rate and
        whether it fuses. ``medts classify`` calls it once the first record is read, so bad inputs cost no
        model load."""
        if self._warm is None:
            self._warm = self._pool.submit(_warm_up, *self._args)
        return self._warm

    def wait_ready(self) -> None:
        """Block until the classifier is loaded (starting to load it if :meth:`load` was not called);
        re-raises the worker's error (a broken adapter: :class:`~medts.errors.MedtsError`)."""
        self.load().result()

    def submit(self, ecg: ECG) -> Future[ClassifierPrediction]:
        """Start predicting ``ecg``; the future's ``result()`` is the prediction or the worker's error.

        Waits until the classifier is loaded. The model input (band-passed, z-scored) and, when a fusion
        head scores this record, the measurements it reads are made here first: this process has
        scipy.signal and NeuroKit2 loaded, so the worker imports neither."""
        from medts.classify.fusion import FusionHead
        from medts.classify.preprocess import model_input

        fs_hz, fused = self.load().result()
        x, missing = model_input(ecg, fs_hz=fs_hz)
        # a lead missing or flat: no fusion (the CNN path, as in Classifier.predict_many)
        features = (FusionHead.record_features(ecg, x, fs_hz) if fused and not missing and x.any(axis=0).all()
                    else None)
        return self._pool.submit(_predict, *self._args, ecg, (x, missing), features)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
