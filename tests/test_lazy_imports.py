"""medts.lazy_imports: matplotlib and scikit-learn, imported by NeuroKit2, do not run in the commands
that measure, and the results do not change (each check in a fresh interpreter: deferring is
process-wide)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from medts.examples import example_path

_NK_CALLS = textwrap.dedent("""
    import json, sys
    import numpy as np
    if sys.argv[1] == "defer":
        from medts.lazy_imports import defer
        assert defer()
    import neurokit2 as nk
    from neurokit2.ecg.ecg_delineate import _prominence_ecg_delineator
    from medts import lazy_imports

    def plain(x):
        if isinstance(x, dict):
            return {str(k): plain(v) for k, v in x.items() if not str(k).startswith("sampling")}
        if hasattr(x, "to_dict"):
            return plain(x.to_dict(orient="list"))
        if isinstance(x, (list, tuple, np.ndarray)):
            return [plain(v) for v in x]
        return None if isinstance(x, float) and x != x else (x.item() if hasattr(x, "item") else x)

    fs = 500
    ecg = nk.ecg_simulate(duration=12, sampling_rate=fs, heart_rate=70, random_state=7)
    clean = nk.ecg_clean(ecg, sampling_rate=fs)
    _, info = nk.ecg_peaks(clean, sampling_rate=fs)
    r = info["ECG_R_Peaks"]
    out = {
        "clean": [round(float(v), 9) for v in clean[::25]],
        "peaks": plain(r),
        "findpeaks": plain(nk.ecg_findpeaks(clean, sampling_rate=fs, method="neurokit")),
        "dwt": plain(nk.ecg_delineate(clean, r, sampling_rate=fs, method="dwt")[1]),
        "prominence": plain(_prominence_ecg_delineator(clean, rpeaks=r, sampling_rate=fs)),
        "hrv_time": plain(nk.hrv_time(r, sampling_rate=fs)),
    }
    ran = sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "sklearn") and lazy_imports.executed(m))
    print(json.dumps({"results": out, "ran": ran}))
""")


def _python(code: str, *args: str) -> dict:
    """The JSON document that ``code`` prints last, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_neurokit2_functions_medts_calls_give_the_same_results_and_run_neither_package():
    deferred, eager = _python(_NK_CALLS, "defer"), _python(_NK_CALLS, "eager")
    assert deferred["ran"] == []  # neither matplotlib nor scikit-learn executed a line
    assert "matplotlib.pyplot" in eager["ran"] and "sklearn" in eager["ran"]
    assert deferred["results"] == eager["results"]


def test_medts_measure_as_the_program_runs_no_matplotlib_and_prints_the_same_measurements():
    path = str(example_path("sinus"))
    program = textwrap.dedent(f"""
        import io, json, sys, contextlib
        from medts import lazy_imports
        from medts.cli import main
        sys.argv = ["medts", "measure", "--json", {path!r}]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = main()
        ran = [m for m in ("matplotlib", "matplotlib.pyplot", "sklearn") if lazy_imports.executed(m)]
        print(json.dumps({{"rc": rc, "ran": ran, "neurokit2": "neurokit2" in sys.modules,
                          "measurements": json.loads(out.getvalue())}}))
    """)
    in_process = textwrap.dedent(f"""
        import io, json, contextlib
        from medts.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = main(["measure", "--json", {path!r}])
        print(json.dumps({{"rc": rc, "measurements": json.loads(out.getvalue())}}))
    """)
    deferred, eager = _python(program), _python(in_process)
    assert deferred["rc"] == eager["rc"] == 0 and deferred["neurokit2"]
    assert deferred["ran"] == []
    assert deferred["measurements"] == eager["measurements"]


def test_a_deferred_package_runs_parent_first_when_read(tmp_path):
    """``import pkg.sub`` and ``from pkg import sub`` run nothing; reading ``sub`` runs pkg's
    ``__init__`` then sub, once each; a name that is no submodule runs the package."""
    pkg = tmp_path / "lazypkg_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import builtins\nbuiltins.ORDER.append('pkg')\nVALUE = 1\n")
    (pkg / "sub.py").write_text("import builtins\nbuiltins.ORDER.append('sub')\nfrom lazypkg_demo import VALUE\n"
                                "def twice():\n    return 2 * VALUE\n")
    code = textwrap.dedent(f"""
        import builtins, json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        builtins.ORDER = []
        from medts.lazy_imports import defer, executed
        defer(["lazypkg_demo"])
        import lazypkg_demo.sub
        from lazypkg_demo import sub
        before = list(builtins.ORDER)
        result = sub.twice()
        print(json.dumps({{"before": before, "after": builtins.ORDER, "result": result,
                          "executed": [executed("lazypkg_demo"), executed("lazypkg_demo.sub")]}}))
    """)
    got = _python(code)
    assert got == {"before": [], "after": ["pkg", "sub"], "result": 2, "executed": [True, True]}




_DRAW = textwrap.dedent("""
    import hashlib, json, sys
    if sys.argv[1] == "defer":
        from medts.lazy_imports import defer
        assert defer()
    import neurokit2  # noqa: F401 - registers matplotlib (lazy, when deferred) as a measuring command does
    from medts.examples import load_example
    from medts.lazy_imports import executed
    from medts.report.paper import figure_bytes, plot_paper
    ran_before = executed("matplotlib")
    png = figure_bytes(plot_paper(load_example("sinus"), title="sinus", notice="DRAFT"), "png", dpi=40)
    x = neurokit2.ecg_simulate(duration=5, sampling_rate=250, random_state=3)
    binary = neurokit2.signal_binarize(x, method="mixture")  # scikit-learn's GaussianMixture
    from sklearn.linear_model import LogisticRegression
    fit = LogisticRegression().fit(list(zip(x[:-1], x[1:])), x[1:] > x[:-1]).coef_
    print(json.dumps({"ran_before": ran_before, "ran_after": executed("matplotlib.figure"),
                      "png": hashlib.sha256(png).hexdigest(), "sklearn": [list(binary), fit.round(9).tolist()]}))
""")


def test_deferred_packages_work_the_same_when_used():
    """A deferred matplotlib runs on first use (here medts's ECG paper page) and draws what an eager
    import draws, byte for byte; a deferred scikit-learn fits the same."""
    deferred, eager = _python(_DRAW, "defer"), _python(_DRAW, "eager")
    assert deferred["ran_before"] is False and eager["ran_before"] is True
    assert deferred["ran_after"] is True
    assert deferred["png"] == eager["png"] and deferred["sklearn"] == eager["sklearn"]
