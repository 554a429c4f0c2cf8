"""The classifier worker of ``medts classify``: a forked process when torch is not imported yet
(its import overlaps NeuroKit2's), a thread otherwise; both give the in-process prediction."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from medts.classify.predict import classifier_for_level
from medts.classify.worker import ClassifierWorker
from medts.examples import example_path, load_example


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "medts", "classify", *args], check=False, capture_output=True,
                          text=True, env=env, timeout=300)


def test_the_cli_classifies_in_a_worker_process_as_in_process():
    done = _cli(str(example_path("afib")), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the worker's imports and model load print nothing
    row = json.loads(done.stdout)[0]
    direct = classifier_for_level("superdiagnostic").predict(load_example("afib"))
    got = {s["code"]: s["probability"] for s in row["statements"]}
    want = {s.code: s.probability for s in direct.statements}
    assert got.keys() == want.keys()
    np.testing.assert_allclose([got[c] for c in want], list(want.values()), atol=1e-6)
    assert row["verdict"].startswith("Atrial fibrillation")


def test_a_broken_adapter_in_the_worker_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    done = _cli(str(example_path("sinus")), "--adapter", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(tmp_path) in lines[0], done.stderr


def test_with_torch_imported_a_thread_predicts():
    import torch  # noqa: F401 - the condition under test

    worker = ClassifierWorker(adapter=None, level="superdiagnostic")
    try:
        assert worker.in_process
        worker.wait_ready()
        prediction = worker.submit(load_example("sinus")).result()
    finally:
        worker.close()
    direct = classifier_for_level("superdiagnostic").predict(load_example("sinus"))
    assert [s.probability for s in prediction.statements] == [s.probability for s in direct.statements]


def test_a_corrupt_weights_file_names_the_file(tmp_path):
    import shutil

    from medts.adapters import classifier_dir
    from medts.classify.predict import Classifier
    from medts.errors import MedtsError

    shutil.copy(classifier_dir("superdiagnostic") / "manifest.json", tmp_path / "manifest.json")
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(MedtsError, match="not a readable safetensors file") as caught:
        Classifier.load(tmp_path)
    assert str(tmp_path / "model.safetensors") in str(caught.value)


def test_the_cli_process_itself_never_imports_torch():
    """The worker only overlaps torch's import if the command's own process does not import it
    (an import of medts.classify.predict for one helper once made the worker a thread)."""
    probe = ("import sys\nfrom medts.cli import main\n"
             f"code = main(['classify', {str(example_path('sinus'))!r}, '--json'])\n"
             "print('torch' in sys.modules, file=sys.stderr)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
    assert json.loads(done.stdout)[0]["present"]


def test_given_the_model_input_the_classifier_imports_neither_scipy_signal_nor_neurokit2(tmp_path):
    """What the worker runs (load, predict from the record and model input the command's process sent)
    needs no band-pass and no measurement library: the worker's start-up is torch and the weights only."""
    import pickle

    from medts.classify.preprocess import model_input

    ecg = load_example("afib")
    clf = classifier_for_level("superdiagnostic")
    (tmp_path / "inputs.pkl").write_bytes(pickle.dumps((ecg, model_input(ecg, fs_hz=clf.fs_hz))))
    code = ("import json, pickle, sys\nfrom medts.classify.predict import classifier_for_level\n"
            f"ecg, inputs = pickle.loads(open({str(tmp_path / 'inputs.pkl')!r}, 'rb').read())\n"
            "clf = classifier_for_level('superdiagnostic')\nclf.fusion = None\n"
            "p = clf.predict_many([ecg], [inputs])[0]\n"
            "print(json.dumps([[s.probability for s in p.statements],"
            " [m for m in ('scipy.signal', 'neurokit2', 'sklearn') if m in sys.modules]]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    probs, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert heavy == []
    clf.fusion = None  # the CNN's own probabilities (fused ones need the measurements)
    assert probs == [s.probability for s in clf.predict(ecg).statements]
