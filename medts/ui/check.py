"""``medts demo --check``: start the app, load the bundled example, run the pipeline, exit.

For CI and for a quick "does it work here" on a fresh machine: the server is started on a free
local port (which starts the app's background warm-up, as ``medts demo`` does) and its page
fetched over HTTP; then, with the server still up, the example goes through the same functions
the handlers use, in the order a user meets them (the tracing and measurements, then the
statements, the report files) and, when the agent is installed, one chat question, which waits
for the background LLM load like a user's first question would. A JSON-ready summary is
returned (and printed by the command), with seconds since the check started for each milestone:

* ``page_s``: the page is served;
* ``tracing_s``: the example's tracing and measurements are ready (the demo is usable);
* ``statements_s``: statements, anomalies and interpretation are ready too;
* ``chat_answer_s``: the first chat answer is complete (``chat_waited_for_llm_s`` of it was
  spent waiting for the LLM weights to finish loading in the background).

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
    """Run the demo pipeline once; a JSON-ready summary with ``ok`` and milestones (seconds)."""
    t_start = time.perf_counter()

    def since() -> float:
        return round(time.perf_counter() - t_start, 3)

    from medts.ui.server import quiet_gradio

    quiet_gradio()
    summary: dict[str, Any] = {"example": example, "problems": []}
    demo = None
    with contextlib.ExitStack() as stack:
        if serve:
            from medts.ui.server import launch

            # Gradio prints to stdout; keep stdout for the summary (``--json`` prints one document).
            with contextlib.redirect_stdout(sys.stderr):
                demo, url = launch(port=free_port(), block=False, initial=f"example: {example}")
            stack.callback(demo.close)
            with urllib.request.urlopen(url, timeout=60) as response:
                summary["http_status"] = response.status
            summary["page_s"] = since()
        _run_pipeline(summary, example, ask, question, since)
    summary["ok"] = (summary.get("http_status", 200) == 200 and summary.get("measurements", 0) > 0
                     and (not ask or "chat_answer" not in summary or "not a diagnosis" in summary["chat_answer"]))
    summary["total_s"] = since()
    return summary


def _run_pipeline(summary: dict[str, Any], example: str, ask: bool, question: str, since: Any) -> None:
    """The example through the handlers' functions, then one question; fills ``summary``."""
    from medts.ui import app as ui_app
    from medts.ui import chat as chat_bridge
    from medts.ui.state import SessionState

    state = SessionState.new()
    try:
        ecg = ui_app.read_choice(ui_app.EXAMPLE_PREFIX + example)
        panels = ui_app.open_record_quick(state, ecg, example)
        summary["tracing_s"] = since()
        summary["record"] = f"{ecg.record_id}: {ecg.n_leads} leads, {ecg.fs:g} Hz, {ecg.duration_s:.1f} s"
        summary["measurements"] = len(panels["measurements"])
        ui_app.open_record_rest(state)
        chat_bridge.RECORD_SHOWN.set()  # as the app does once the panels are shown
        summary["statements_s"] = since()
        report = state.analysis.report
        hr = report.measurements.get("hr_bpm")
        summary["hr_bpm"] = hr.value if hr else None
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
            chat_bridge.prepare(state)
            t0 = time.perf_counter()
            waited, up = None, None
            for up in chat_bridge.stream_reply(state, question):
                if waited is None and up.phase != "model":
                    waited = time.perf_counter() - t0
            summary["chat_waited_for_llm_s"] = round(waited or 0.0, 3)
            summary["chat_answer_s"] = since()
            summary["chat_answer"] = up.text if up is not None else ""
        elif ask:
            summary["problems"].append(reason)
    finally:
        state.cleanup()
