"""``medts demo --check``: start the app, load the bundled example, run the pipeline, exit.

For CI and for a quick "does it work here" on a fresh machine: the server is started on a free
local port and its page fetched over HTTP; the example goes through the same functions the
upload handler uses (read, report sections, tracing figure, report files) and, when the agent is
installed, one chat question. A short summary is returned (and printed by the command).

Example
-------
>>> from medts.ui.check import run_check
>>> summary = run_check(serve=False, ask=False)      # doctest: +SKIP
>>> summary["ok"]                                    # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
import urllib.request
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run_check(example: str = "sinus", *, serve: bool = True, ask: bool = True,
              question: str = "What is the heart rate?") -> dict[str, Any]:
    """Run the demo pipeline once; a JSON-ready summary with ``ok`` and timings (seconds)."""
    from medts.ui.server import quiet_gradio

    quiet_gradio()
    from medts.ui import app as ui_app
    from medts.ui import chat as chat_bridge
    from medts.ui.state import SessionState

    summary: dict[str, Any] = {"example": example, "problems": []}
    if serve:
        from medts.ui.server import launch

        t0 = time.perf_counter()
        # Gradio prints to stdout; keep stdout for the summary (``--json`` prints one document).
        with contextlib.redirect_stdout(sys.stderr):
            demo, url = launch(port=free_port(), block=False)
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    summary["http_status"] = response.status
            finally:
                demo.close()
        summary["serve_s"] = round(time.perf_counter() - t0, 3)
    state = SessionState.new()
    try:
        t0 = time.perf_counter()
        ecg = ui_app.read_choice(ui_app.EXAMPLE_PREFIX + example)
        panels = ui_app.open_record(state, ecg, example)
        summary["load_and_panels_s"] = round(time.perf_counter() - t0, 3)
        report = state.analysis.report
        summary["record"] = f"{ecg.record_id}: {ecg.n_leads} leads, {ecg.fs:g} Hz, {ecg.duration_s:.1f} s"
        hr = report.measurements.get("hr_bpm")
        summary["hr_bpm"] = hr.value if hr else None
        summary["measurements"] = len(panels["measurements"])
        summary["statements"] = [s.code for s in report.statements.asserted]
        summary["waves"] = len(report.waves.items)
        summary["unavailable"] = {name: getattr(report, name).status.reason
                                  for name in ("measurements", "statements", "anomalies", "waves")
                                  if not getattr(report, name).status.available}
        files, notes = ui_app.write_downloads(state)
        summary["downloads"] = sorted(f.rsplit(".", 1)[-1] for f in files)
        summary["problems"] += notes
        available, reason = chat_bridge.agent_status()
        if ask and available:
            t0 = time.perf_counter()
            chat_bridge.warm_local_model()  # the served app does this at start-up
            summary["chat_model_load_s"] = round(time.perf_counter() - t0, 3)
            chat_bridge.prepare(state)
            t0 = time.perf_counter()
            text = ""
            for text, _ in chat_bridge.stream_reply(state, question):
                pass
            summary["chat_s"] = round(time.perf_counter() - t0, 3)
            summary["chat_answer"] = text
        elif ask:
            summary["problems"].append(reason)
    finally:
        state.cleanup()
    summary["ok"] = summary.get("http_status", 200) == 200 and summary["measurements"] > 0
    return summary
