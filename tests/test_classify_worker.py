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
