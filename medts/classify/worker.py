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
    from medts.classify.outputs import ClassifierPrediction
    from medts.classify.predict import Classifier
    from medts.record import ECG

_loaded: dict[tuple[str | None, str], Classifier] = {}
"""The worker process's classifiers, by (adapter folder, level)."""


def _load(adapter: str | None, level: str) -> Classifier:
    """Runs in the worker: the classifier of ``adapter`` or ``level``, loaded once."""
    from medts.classify.predict import classifier_for_level, load_classifier

    key = (adapter, level)
    if key not in _loaded:
        _loaded[key] = load_classifier(adapter) if adapter is not None else classifier_for_level(level)
    return _loaded[key]


def _warm_up(adapter: str | None, level: str) -> None:
    """Runs in the worker as soon as it starts: imports torch and loads the classifier while the
    parent imports its own libraries."""
    _load(adapter, level)


def _predict(adapter: str | None, level: str, ecg: ECG) -> ClassifierPrediction:
    """Runs in the worker: the prediction for ``ecg``."""
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
        """Start predicting ``ecg``; the future's ``result()`` is the prediction or the worker's error."""
        return self._pool.submit(_predict, *self._args, ecg)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
