"""``medts bench ui``: how fast the app shows a record, how fast the chat answers, how much memory.

Figures (goals from the issue):

* **upload -> tracing + measurements** (goal <= 2 s on CPU). Measured two ways:
  - *server*: the upload handler's work, timed in process: staging the uploaded WFDB pair
    (:func:`medts.ui.uploads.load_upload`), step 1 (measurements, quality, waves and the
    figure, :func:`medts.ui.app.open_record_quick`) and the figure's JSON (what Gradio sends);
    step 2 (statements, anomalies, interpretation: :func:`medts.ui.app.open_record_rest`),
    which the app runs after the tracing is shown, is timed beside it;
  - *browser* (when Chromium and Playwright are installed): a headless Chromium uploads the
    pair into the running app and the clock stops when the status says the record is loaded,
    the tracing shows its title and the measurements table shows a value; the time until the
    statements are shown too is reported beside it.
  The first record after start-up also imports NeuroKit2/SciPy; that cold time is reported
  separately from the warm median/p95.
* **chat answer latency**, median and p95, with the local model (SmolLM2 through
  :mod:`medts.agent`, as the app configures it), over a fixed list of questions, after the
  record's session was prepared as the app does when a record loads; the time to the first
  streamed text is reported beside the full answer.
* **demo start** (with the browser): ``medts demo`` in a fresh process until the page is served,
  the example's tracing shows, and a question asked at once is answered.
* **MedTsLLM overlay**: the optional per-lead segmentation-head overlay.
* **memory**: resident set size of the app process after all of the above, and its peak.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

QUESTIONS = (
    "What is the heart rate?", "What is the QRS duration?", "Is the QTc prolonged?",
    "What is the rhythm?", "What is the axis?", "What is the PR interval?",
    "Is there atrial fibrillation?", "Is the signal quality good?",
)


def load_now() -> float:
    """The 1-minute load average: recorded beside every timing (the CPUs are shared)."""
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], q: float) -> float | None:
    return None if not values else float(np.percentile(values, q))


def summarise(values: list[float]) -> dict[str, Any]:
    """Median, p95, max and count of ``values`` (seconds)."""
    return {"n": len(values), "median_s": None if not values else round(statistics.median(values), 4),
            "p95_s": None if not values else round(percentile(values, 95), 4),
            "max_s": None if not values else round(max(values), 4)}


def record_files(limit_ludb: int) -> list[tuple[str, list[Path]]]:
    """``(name, files)`` to upload: the bundled examples, then LUDB records 1.. when present."""
    from medts.config import dataset_dir
    from medts.examples import example_names, example_path, write_examples

    out = []
    tmp = Path(tempfile.mkdtemp(prefix="medts-bench-ui-"))
    example_dir = example_path(example_names()[0]).parent
    if not example_path(example_names()[0]).is_file():
        write_examples(tmp)  # the bundled files are not generated in this checkout yet
        example_dir = tmp
    for name in example_names():
        out.append((f"example:{name}", [example_dir / f"{name}.hea", example_dir / f"{name}.dat"]))
    ludb = dataset_dir("ludb")
    if ludb is not None:
        from medts.io.ludb import ludb_record_ids, ludb_record_path

        for rid in ludb_record_ids(ludb)[:limit_ludb]:
            base = Path(ludb_record_path(ludb, rid))
            hea = base if base.suffix == ".hea" else base.with_suffix(".hea")
            out.append((f"ludb:{rid}", [hea, hea.with_suffix(".dat")]))
    return out


def time_server_path(files: list[Path]) -> tuple[float, float, float]:
    """``(wall, cpu, step2)`` seconds: from uploaded files to a ready figure (as JSON) and
    measurement rows (step 1; wall and this process's CPU time), and the wall seconds of step 2
    (statements, anomalies, interpretation and the figure again)."""
    from medts.ui.app import open_record_quick, open_record_rest
    from medts.ui.state import SessionState
    from medts.ui.uploads import load_upload

    state = SessionState.new()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = load_upload(files, workdir=state.fresh_dir("upload"))
        panels = open_record_quick(state, result.ecg, "bench")
        panels["figure"].to_json()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        if not panels["measurements"]:
            raise RuntimeError(f"no measurements for {files[0].name}")
        t1 = time.perf_counter()
        open_record_rest(state)["figure"].to_json()
        return elapsed, cpu, time.perf_counter() - t1
    finally:
        state.cleanup()


def time_demo_startup(question: str = "What is the heart rate?", timeout_s: float = 300.0) -> dict[str, Any]:
    """``medts demo`` from a cold start, as a user meets it: a fresh process serves the app on
    the bundled example; headless Chromium opens the page as soon as it answers, and the clock
    (from the process start) stops when the page is served, when the example's tracing and
    measurements show, and when the answer to ``question`` (asked at once, with the real local
    model, which may still be loading in the background) is complete."""
    import subprocess
    import sys
    import urllib.request

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"available": False, "reason": "playwright is not installed"}
    if not Path("/usr/bin/chromium").is_file():
        return {"available": False, "reason": "/usr/bin/chromium is not installed"}
    from medts.ui.check import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "medts", "demo", "--no-browser", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, Any] = {"available": True, "question": question}
    import psutil

    child = psutil.Process(proc.pid)

    def cpu_s() -> float:  # the app process's CPU seconds so far (all threads): load-independent
        times = child.cpu_times()
        return round(times.user + times.system, 3)

    try:
        while True:
            if proc.poll() is not None:
                return {"available": False, "reason": f"medts demo exited with {proc.returncode}"}
            if time.perf_counter() - t0 > timeout_s:
                return {"available": False, "reason": f"page not served within {timeout_s:.0f} s"}
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.2)
        out["page_s"], out["page_cpu_s"], out["page_load"] = round(time.perf_counter() - t0, 3), cpu_s(), load_now()
        ms = int(timeout_s * 1000)
        with sync_playwright() as p:
            profile = tempfile.mkdtemp(prefix="medts-chromium-")
            browser = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium",
                                                           headless=True, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            t_open = time.perf_counter()
            page.goto(url)
            # no click: the page opens on the bundled example by itself; its tracing shows first
            page.wait_for_function(
                """() => { const p = document.querySelector('#tracing .js-plotly-plot');
                           return p && p.layout && p.layout.title.text.startsWith('sinus'); }""", timeout=ms)
            out["example_tracing_s"] = round(time.perf_counter() - t0, 3)
            page.wait_for_function(
                """() => { const p = document.querySelector('#tracing .js-plotly-plot');
                           return p && p.layout && p.layout.title.text.startsWith('sinus')
                             && document.querySelector('#measurements [role=gridcell]'); }""", timeout=ms)
            out["tracing_s"], out["tracing_cpu_s"] = round(time.perf_counter() - t0, 3), cpu_s()
            out["example_shown_after_open_s"], out["tracing_load"] = round(time.perf_counter() - t_open, 3), load_now()
            page.wait_for_function("() => document.querySelector('#verdict')?.innerText.includes('Verdict (draft):')",
                                   timeout=ms)
            out["verdict_s"] = round(time.perf_counter() - t0, 3)
            page.fill("#question textarea", question)
            page.click("#ask")
            page.wait_for_function("() => document.querySelector('#chat')?.innerText.includes('not a diagnosis')",
                                   timeout=ms)
            out["first_answer_s"], out["first_answer_cpu_s"] = round(time.perf_counter() - t0, 3), cpu_s()
            out["first_answer_load"] = load_now()
            out["first_answer"] = page.inner_text("#chat")[-600:]
            memory = child.memory_info()
            out["app_rss_mb"] = round(memory.rss / 1024**2, 1)  # the app process with its LLM loaded
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def time_browser_path(records: list[tuple[str, list[Path]]], repeats: int) -> dict[str, Any]:
    """Upload each record in headless Chromium; seconds until the measurements table fills."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"available": False, "reason": "playwright is not installed"}
    if not Path("/usr/bin/chromium").is_file():
        return {"available": False, "reason": "/usr/bin/chromium is not installed"}
    from medts.ui import server
    from medts.ui.check import free_port
    from medts.ui.server import launch

    demo, url = launch(port=free_port(), block=False)
    if server.WARMUP is not None:  # time a warm app, as a user meets it after start-up
        server.WARMUP.join(timeout=600)
    times: list[float] = []
    tracing: list[float] = []  # upload -> tracing shown (before the measurements)
    server_cpu: list[float] = []  # this process (the app's server) only; Chromium's CPU is not in it
    full: list[float] = []
    try:
        with sync_playwright() as p:
            profile = tempfile.mkdtemp(prefix="medts-chromium-")
            browser = p.chromium.launch_persistent_context(
                profile, executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)
            # the page opens on the bundled example (load 1); uploads start once it is shown, as a user's would
            page.wait_for_function(
                "() => document.querySelector('#status')?.innerText.includes('Statements and overlays in')",
                timeout=120_000)
            n_loaded = 1
            for _ in range(repeats):
                for name, files in records:
                    n_loaded += 1
                    record_id = files[0].stem
                    t0, c0 = time.perf_counter(), time.process_time()
                    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
                    page.wait_for_function(
                        """([n, rid]) => {
                             const s = document.querySelector('#status');
                             const p = document.querySelector('#tracing .js-plotly-plot');
                             return s && s.innerText.includes('(load ' + n + ')') && p && p.layout
                               && p.layout.title.text.startsWith(rid); }""",
                        arg=[str(n_loaded), record_id], timeout=60_000)
                    tracing.append(time.perf_counter() - t0)
                    # the measurements table is emptied when the tracing is shown, filled by step 1
                    page.wait_for_function("() => document.querySelector('#measurements [role=gridcell]')",
                                           timeout=60_000)
                    times.append(time.perf_counter() - t0)
                    server_cpu.append(time.process_time() - c0)
                    page.wait_for_function(
                        "() => document.querySelector('#status')?.innerText.includes('Statements and overlays in')",
                        timeout=120_000)
                    full.append(time.perf_counter() - t0)
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "medts-bench-ui.png"))
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
    finally:
        demo.close()
    first, warm = times[0], times[1:]
    return {"available": True, "first_s": round(first, 4), **summarise(warm),
            "server_cpu_median_s": round(statistics.median(server_cpu[1:] or server_cpu), 4),
            "with_statements": summarise(full[1:]), "tracing_only": summarise(tracing[1:]), "load": load_now()}


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def time_chat(n_questions: int) -> dict[str, Any]:
    """Latency of answers to :data:`QUESTIONS` about the bundled sinus example, local model, with
    the session prepared as the app prepares it when a record loads."""
    from medts.ui import chat as chat_bridge
    from medts.ui.app import EXAMPLE_PREFIX, open_record, read_choice
    from medts.ui.state import SessionState

    ok, reason = chat_bridge.agent_status()
    if not ok:
        return {"available": False, "reason": reason}
    t_load = time.perf_counter()
    chat_bridge.warm_local_model()  # the app does this in the background once a record is shown
    load_s = time.perf_counter() - t_load
    state = SessionState.new()
    open_record(state, read_choice(EXAMPLE_PREFIX + "sinus"), "bench")
    totals, firsts, tokens, answers, traces = [], [], [], [], []
    t_open = time.perf_counter()
    chat_bridge.prepare(state)  # the app does this when the record's statements are shown
    open_s = time.perf_counter() - t_open
    for q in (QUESTIONS * 4)[:n_questions]:  # one session: multi-turn, as in the app
        t0 = time.perf_counter()
        first = trace = token = None
        up = None
        for up in chat_bridge.stream_reply(state, q):
            now = time.perf_counter() - t0
            trace = now if trace is None and up.calls else trace
            token = now if token is None and up.tokens else token
            first = now if first is None and up.text.strip() else first
        totals.append(time.perf_counter() - t0)
        firsts.append(first if first is not None else totals[-1])
        traces.append(trace if trace is not None else totals[-1])
        tokens.append(token if token is not None else totals[-1])
        last = state.chat.last
        answers.append({"question": q, "answer": up.text[:400] if up else "",
                        "citations": list(last.citations) if last else [],
                        "llm_tokens": up.tokens if up else 0, "seconds": round(totals[-1], 3),
                        "agent_latency_s": dict(last.latency_s) if last else {}})
    state.cleanup()
    from medts.agent.backends import load_local

    return {"available": True, "model": {"source": "smollm2", "dtype": chat_bridge.LOCAL_DTYPE,
                                         "max_new_tokens": chat_bridge.LOCAL_MAX_NEW_TOKENS},
            "model_load_s": round(load_s, 3), "session_prepare_s": round(open_s, 3),
            "local_models_loaded": load_local.cache_info().currsize, "answer": summarise(totals),
            "first_token": summarise(tokens), "first_text": summarise(firsts),
            "tool_trace_shown": summarise(traces), "examples": answers, "load": load_now()}


def time_medtsllm_overlay(repeats: int) -> dict[str, Any]:
    """Seconds for the optional overlay of the MedTsLLM segmentation head on every lead of the
    bundled sinus example (the first call loads the adapter and is reported apart)."""
    from medts.ui.analysis import medtsllm_waves, segmentation_adapter
    from medts.ui.app import EXAMPLE_PREFIX, read_choice

    if segmentation_adapter() is None:
        return {"available": False, "reason": "no MedTsLLM segmentation adapter shipped"}
    ecg = read_choice(EXAMPLE_PREFIX + "sinus")
    times, cpu = [], []
    for _ in range(repeats + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        boxes = medtsllm_waves(ecg)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"available": True, "first_s": round(times[0], 3), **summarise(times[1:]),
            "cpu_median_s": round(statistics.median(cpu[1:]), 3), "waves": len(boxes),
            "leads": len({b.lead for b in boxes})}


def rss_mb() -> dict[str, float]:
    import psutil

    rss = psutil.Process().memory_info().rss / 1024**2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    return {"rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1)}


def run_ui_bench(*, repeats: int = 5, limit_ludb: int = 5, n_questions: int = 8, browser: bool = True,
                 command: str | None = None) -> tuple[Path, Path]:
    """Run every figure and write ``eval/results/ui.json`` and ``ui.md``."""
    from medts.bench.results import markdown_table, write_results
    from medts.ui.server import quiet_gradio

    quiet_gradio()
    load_start = os.getloadavg()
    try:
        demo_start = time_demo_startup() if browser else {"available": False, "reason": "--no-browser"}
    except Exception as error:  # noqa: BLE001 - report it; the other figures still run
        demo_start = {"available": False, "reason": f"{type(error).__name__}: {error}"}
    records = record_files(limit_ludb)
    cold, _, _ = time_server_path(records[0][1])
    runs = [time_server_path(files) for _ in range(repeats) for _, files in records]
    server = {"cold_first_record_s": round(cold, 4), "load": load_now(), **summarise([w for w, _, _ in runs]),
              "cpu_median_s": round(statistics.median(c for _, c, _ in runs), 4),
              "step2_statements_anomalies": summarise([b for _, _, b in runs])}
    browser_fig = time_browser_path(records, max(1, repeats // 2)) if browser else {"available": False, "reason": "--no-browser"}
    chat = time_chat(n_questions)
    overlay = {**time_medtsllm_overlay(2), "load": load_now()}
    memory = rss_mb()
    load_end = os.getloadavg()
    upload_ok = (server["p95_s"] is not None and server["p95_s"] <= 2.0
                 and (not browser_fig.get("available") or browser_fig["p95_s"] <= 2.0))
    metrics = {"demo_startup": demo_start,
               "upload_to_tracing_and_measurements_server": server,
               "upload_to_tracing_and_measurements_browser": browser_fig,
               "chat_latency_local_model": chat, "medtsllm_overlay": overlay, "memory": memory,
               "load_average": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in load_end],
                                "cpus": os.cpu_count()},
               "goals": {"first_page_le_5s": demo_start.get("page_s", 1e9) <= 5.0,
                         "example_shown_without_a_click": "tracing_s" in demo_start,
                         "upload_to_panels_p95_le_2s": upload_ok,
                         "chat_first_answer_median_le_3s_warm": bool(chat.get("available"))
                         and chat["answer"]["median_s"] <= 3.0,
                         "memory_le_2gb": memory["peak_rss_mb"] <= 2048
                         and demo_start.get("app_rss_mb", 0.0) <= 2048}}
    step2 = server["step2_statements_anomalies"]
    rows = []
    if demo_start.get("available"):
        rows += [["`medts demo` cold start -> first page served", demo_start["page_s"], None,
                  f"<= 5 s; fresh process; its CPU {demo_start['page_cpu_s']} s", demo_start["page_load"]],
                 ["`medts demo` cold start -> example's tracing in Chromium (no click)", demo_start["example_tracing_s"],
                  None, "", None],
                 ["`medts demo` cold start -> example's tracing + measurements in Chromium (no click)",
                  demo_start["tracing_s"], None,
                  f"{demo_start['example_shown_after_open_s']} s after the page opened; app CPU "
                  f"{demo_start['tracing_cpu_s']} s", demo_start["tracing_load"]],
                 ["`medts demo` cold start -> engine's verdict shown", demo_start["verdict_s"], None, "", None],
                 ["`medts demo` cold start -> first chat answer complete (asked at once)",
                  demo_start["first_answer_s"], None,
                  f"waits for the background LLM load; app CPU {demo_start['first_answer_cpu_s']} s",
                  demo_start["first_answer_load"]]]
    rows += [["upload -> tracing + measurements (server, warm)", server["median_s"], server["p95_s"],
              f"<= 2 s; CPU median {server['cpu_median_s']} s", server["load"]],
             ["same, first record after start (cold)", server["cold_first_record_s"], None, "imports NeuroKit2/SciPy",
              server["load"]],
             ["then statements + anomalies + interpretation (server, step 2)", step2["median_s"], step2["p95_s"],
              "shown after the tracing", server["load"]]]
    if browser_fig.get("available"):
        rows.append(["upload -> tracing shown, headless Chromium (warm)", browser_fig["tracing_only"]["median_s"],
                     browser_fig["tracing_only"]["p95_s"], "<= 2 s; measurements follow", browser_fig["load"]])
        rows.append(["upload -> tracing + measurements, headless Chromium (warm)", browser_fig["median_s"],
                     browser_fig["p95_s"], f"<= 2 s; server CPU median {browser_fig['server_cpu_median_s']} s",
                     browser_fig["load"]])
        rows.append(["upload -> statements shown too, headless Chromium", browser_fig["with_statements"]["median_s"],
                     browser_fig["with_statements"]["p95_s"], "", browser_fig["load"]])
    else:
        rows.append(["same, in headless Chromium", None, None, f"not run: {browser_fig.get('reason')}", None])
    if chat.get("available"):
        m = chat["model"]
        rows.append([f"chat answer, local model ({m['source']}, {m['dtype']}, <= {m['max_new_tokens']} tokens), warm",
                     chat["answer"]["median_s"], chat["answer"]["p95_s"], "first answer <= 3 s warm", chat["load"]])
        rows.append(["chat first streamed token (progress shown), local model", chat["first_token"]["median_s"],
                     chat["first_token"]["p95_s"], "prompt prefill", chat["load"]])
        rows.append(["chat first grounded text, local model", chat["first_text"]["median_s"], chat["first_text"]["p95_s"],
                     "a sentence is shown once grounded", chat["load"]])
        rows.append(["chat tool trace (with the measured values) shown", chat["tool_trace_shown"]["median_s"],
                     chat["tool_trace_shown"]["p95_s"], "before the LLM's text", chat["load"]])
    else:
        rows.append(["chat answer, local model", None, None, f"not run: {chat.get('reason')}", None])
    if overlay.get("available"):
        rows.append([f"MedTsLLM segmentation overlay, {overlay['leads']} leads (optional)", overlay["median_s"],
                     overlay["p95_s"], f"CPU median {overlay['cpu_median_s']} s", overlay["load"]])
    table = markdown_table(["figure", "median (s)", "p95 (s)", "goal / note", "load average (1 min)"], rows)
    mem_rows = [["bench process (server, classifiers, local LLM, segmentation head) RSS at end", memory["rss_mb"], ""],
                ["bench process peak RSS", memory["peak_rss_mb"], "<= 2048"]]
    if "app_rss_mb" in demo_start:
        mem_rows.insert(0, ["`medts demo` process after its first answer (LLM loaded)", demo_start["app_rss_mb"],
                            "<= 2048"])
    mem_table = markdown_table(["memory", "MB", "goal"], mem_rows)
    data = {"records": [name for name, _ in records], "repeats": repeats,
            "questions": list((QUESTIONS * 4)[:n_questions])}
    notes = [("demo start: `python -m medts demo --no-browser` in a fresh process (imports, server, background "
              "warm-up); Chromium opens the page once it is served; the question is asked as soon as the tracing "
              "shows, with the real local model, so it includes waiting for the LLM's background load"),
             ("server time: load_upload + step 1 (measurements, quality, P/QRS/T waves, figure) + figure.to_json(), "
              "in process, warm; step 2 (classifier statements with evidence leads, the report's anomaly source, "
              "interpretation) runs after the tracing is shown (a chained Gradio event)"),
             ("browser time: set_input_files on the upload box until the status says Loaded, the tracing shows "
              "the record's title and the measurements table has rows (includes Gradio's upload and round trips "
              "and plotly drawing in headless Chromium)"),
             ("chat: the app's local model settings, one session asked the questions in turn (multi-turn); the "
              "model was loaded first (the app does it in the background) and the record's tools ran when it "
              "loaded (chat.prepare), as in the app: neither is in the answer times; the tool trace (with the "
              "measured values) is streamed before the LLM's first token, the token count while it writes"),
             ("memory: one process serving the app and the browser test's server, with the local LLM, the "
              "classifiers and the optional MedTsLLM segmentation head loaded"),
             (f"machine load average (1, 5, 15 min) at the start: {load_start[0]:.1f}, {load_start[1]:.1f}, "
              f"{load_start[2]:.1f}; at the end: {load_end[0]:.1f}, {load_end[1]:.1f}, {load_end[2]:.1f}; "
              f"{os.cpu_count()} CPUs shared with other jobs: wall times are inflated roughly by load / CPUs")]
    return write_results("ui", command=command, data=data, metrics=metrics, notes=notes,
                         markdown_tables=[table, mem_table])
