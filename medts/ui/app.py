"""The Gradio app: load an ECG, see the tracing with what the models found, chat, download the report.

Layout: a loading column (upload, bundled examples, records under ``$MEDTS_DATA``) and, opened
on the bundled example without a click, the interpretation engine's verdict above the tracing on
ECG paper (the report's 3 x 4 + lead II rhythm strip, or stacked leads; zoom, calipers); below
it, panels for measurements (normal ranges and flags; why a value is missing under the table),
statements (asserted and withheld, each with the engine's reason; click one to highlight its
evidence), per-lead signal quality and the draft report with HTML/PDF/JSON downloads; beside
them the chat with the agent (streamed answers with citations and a tool trace of one line per
call), serial comparison with a second ECG (side-by-side tracings, a table of changes) and the
LLM settings. Nothing the page shows names a path on the server.

Every event handler goes through :func:`guarded`: an exception becomes a message in the status
box (never a traceback in the page); unexpected ones are logged with their traceback on the
server. State lives in one ``gr.State`` per browser session (:mod:`medts.ui.state`).

Example
-------
>>> from medts.ui.app import build_app
>>> demo = build_app()            # doctest: +SKIP
>>> demo.launch(server_name="127.0.0.1")   # doctest: +SKIP
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from medts.errors import MedtsError
from medts.record import ECG
from medts.ui import analysis as an
from medts.ui import chat as chat_bridge
from medts.ui.plots import VIEWS, ecg_figure
from medts.ui.state import SessionState, ensure
from medts.ui.uploads import MAX_UPLOAD_BYTES, load_upload

log = logging.getLogger("medts.ui")

NOTICE = ("**Draft for clinician review - not a diagnosis.** Numbers come from medts tools "
          "(NeuroKit2-based measurements, PTB-XL classifiers, MedTsLLM heads); the chat only phrases them.")
EXAMPLE_PREFIX = an.EXAMPLE_PREFIX
WAVES_OVERLAY = "P/QRS/T"
MEDTSLLM_OVERLAY = "P/QRS/T by the MedTsLLM segmentation head (per lead, ~5 s CPU)"
PROGRESS = {  # the line under the answer until it is complete (sentences appear once grounded)
    "model": "_Loading the language model (once per server start)..._",
    "tools": "_Running the tools..._",
    "writing": "_Writing the answer ({tokens} tokens); each sentence is shown once checked against the tools..._",
}
VERDICT_PENDING = '<div class="medts-verdict">Verdict: computing statements...</div>'
CALIPER_HINT = "Calipers: click two points on the tracing to read the time (ms) and voltage (mV) between them."
MAX_DATA_CHOICES = 40  # records listed per dataset from $MEDTS_DATA (others can be typed)

CSS = """
#status .prose, #status {font-size: 0.95em}
.medts-error {color: #b00020; font-weight: 600}
.medts-ok {color: #1b5e20}
.medts-verdict {font-size: 1.1em; padding: 0.4em 0.8em; border-left: 5px solid #3b7dd8; background: #f3f7ff}
#caliper {font-family: monospace; color: #0044cc}
#statements, #measurements, #changes {font-size: 0.85em}
details.tool-call summary {cursor: pointer; font-family: monospace; font-size: 0.9em}
"""


_SERVER_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?(?:[\\/][^\\/\s:'\"`,;()<>\[\]]+){2,}")


def hide_server_paths(text: str) -> str:
    """``text`` with every absolute path of the server cut to its file name: an upload's temporary
    folder, the package's install path or the data root are nobody's business in the page."""
    return _SERVER_PATH.sub(lambda m: re.split(r"[\\/]", m.group())[-1], text)


def error_message(error: BaseException) -> str:
    """The one line a user sees for ``error`` (no traceback, no internal paths of the server)."""
    if isinstance(error, (MedtsError, LookupError, ValueError, RuntimeError, OSError)):
        text = str(error) or type(error).__name__
    else:
        text = f"unexpected {type(error).__name__}: {error}"
    return f'<span class="medts-error">Error: {html.escape(hide_server_paths(text))}</span>'


def ok_message(text: str) -> str:
    return f'<span class="medts-ok">{html.escape(hide_server_paths(text))}</span>'


def guarded(status: gr.components.Component) -> Callable:
    """Decorator: a handler returning ``{component: value}`` reports any exception in ``status``."""

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as error:
                if not isinstance(error, (MedtsError, LookupError, ValueError)):
                    log.exception("handler %s failed", func.__name__)
                return {status: error_message(error)}

        return run

    return wrap


# -------------------------------------------------------------------------------------------
# Record sources
# -------------------------------------------------------------------------------------------
def record_choices() -> list[str]:
    """Bundled examples, then up to :data:`MAX_DATA_CHOICES` records per dataset under the data root."""
    from medts.examples import example_names

    choices = [EXAMPLE_PREFIX + name for name in example_names()]
    from medts.config import data_root

    root = data_root()
    if root is None:
        return choices
    for dataset in sorted(p for p in root.iterdir() if p.is_dir()):
        choices += [str(p.relative_to(root)) for p in _first_records(dataset, MAX_DATA_CHOICES)]
    return choices


def _first_records(folder: Path, limit: int) -> list[Path]:
    """The first ``limit`` WFDB headers under ``folder`` in walk order (bounded: never a full scan)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".hea"):
                found.append(Path(dirpath) / name)
                if len(found) >= limit:
                    return found
    return found


def resolve_choice(choice: str) -> tuple[Path, str]:
    """The file behind a dropdown choice; data-root paths may not leave the data root."""
    choice = (choice or "").strip()
    if not choice:
        raise ValueError("choose an example or type a record path under $MEDTS_DATA")
    if choice.startswith(EXAMPLE_PREFIX):
        from medts.examples import example_path

        name = choice[len(EXAMPLE_PREFIX):]
        try:
            return example_path(name), f"bundled example '{name}' (simulated)"
        except KeyError as error:
            raise ValueError(str(error.args[0])) from None
    from medts.config import data_root

    root = data_root()
    if root is None:
        raise ValueError("no data folder: set $MEDTS_DATA to list real records")
    path = (root / choice).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"{choice}: not inside the data folder")
    if not path.exists() and Path(f"{path}.hea").is_file():
        path = Path(f"{path}.hea")
    if not path.exists():
        raise ValueError(f"{choice}: no such record under the data folder")
    return path, choice


def read_choice(choice: str, *, fs: float | None = None) -> ECG:
    """Read the record behind a dropdown choice (a bundled example not yet written is simulated)."""
    path, _ = resolve_choice(choice)
    if choice.strip().startswith(EXAMPLE_PREFIX):
        return an.bundled_example(path)
    from medts.cli_inputs import CHAT_WHOLE_RECORD_HINT, read_checked, resting_limits

    return read_checked(Path(path), fs=fs, limits=resting_limits("the app", CHAT_WHOLE_RECORD_HINT))


# -------------------------------------------------------------------------------------------
# Pure helpers the handlers share (also used by the benchmark)
# -------------------------------------------------------------------------------------------
def figure_for(state: SessionState) -> Any:
    ecg = state.ecg
    sections = state.analysis.sections if state.analysis else None
    report = state.analysis.report if state.analysis else None
    v = state.view
    ev = state.evidence
    if v.show_medtsllm and state.analysis is not None and state.analysis.medtsllm is not None:
        waves = state.analysis.medtsllm  # the head's per-lead waves replace the fused delineation
    else:
        waves = an.wave_boxes(sections) if sections is not None and v.show_waves else []
    return ecg_figure(
        ecg, view=v.layout, leads=v.leads, start_s=v.start_s, window_s=v.window_s, waves=waves or None,
        anomalies=an.anomaly_regions(report) if report is not None and v.show_anomalies else None,
        evidence=ev.regions if ev else None, evidence_label=ev.code if ev else None,
        title=f"{ecg.record_id}  ({ecg.n_leads} leads, {ecg.fs:g} Hz, {ecg.duration_s:.1f} s)",
    )


def open_record_tracing(state: SessionState, ecg: ECG, label: str) -> dict[str, Any]:
    """Step 0 of opening ``ecg``: switch ``state`` to it and draw its tracing (the paper layout
    only: no measurement yet, so it shows at once, even while NeuroKit2 is still being imported)."""
    t0 = time.perf_counter()
    state.set_record(ecg, label)
    return {"figure": figure_for(state), "seconds": time.perf_counter() - t0}


def measure_record(state: SessionState) -> dict[str, Any] | None:
    """Step 1: the measurements, signal quality and P/QRS/T waves of the state's record and the
    tracing again with the waves (no classifier, no LLM). ``None`` when another record replaced
    this one meanwhile."""
    ecg = state.ecg
    if ecg is None:
        raise ValueError("load a record first")
    t0 = time.perf_counter()
    analysis = an.analyse_quick(ecg)
    if state.ecg is not ecg:
        return None
    state.analysis = analysis
    quick = analysis.quick
    return {
        "figure": figure_for(state),
        "measurements": an.measurement_rows(quick),
        "measurements_note": measurements_note(quick),
        "quality": an.quality_rows(quick),
        "quality_note": _quality_line(quick),
        "seconds": time.perf_counter() - t0,
    }


def open_record_quick(state: SessionState, ecg: ECG, label: str) -> dict[str, Any]:
    """Steps 0 and 1 of opening ``ecg``: switch ``state`` to it and return the tracing, the
    measurements and the signal quality (what an upload must show within ~2 s)."""
    t0 = time.perf_counter()
    open_record_tracing(state, ecg, label)
    panels = measure_record(state)
    seconds = time.perf_counter() - t0
    state.analysis.seconds["record_to_tracing"] = round(seconds, 3)
    return {**panels, "seconds": seconds}


def open_record_rest(state: SessionState) -> dict[str, Any] | None:
    """Step 2: the full report (statements, anomalies, interpretation) for the state's record,
    and the tracing again with the anomaly overlay. ``None`` when another record replaced this
    one meanwhile (a new upload while step 2 ran): its own step 2 fills the panels."""
    analysis, ecg = state.analysis, state.ecg
    if ecg is None or analysis is None:
        raise ValueError("load a record first")
    t0 = time.perf_counter()
    an.complete(analysis, ecg)
    if state.analysis is not analysis:
        return None
    report = analysis.report
    fig = figure_for(state)
    seconds = time.perf_counter() - t0
    analysis.seconds["report_to_panels"] = round(seconds, 3)
    notes = "; ".join(report.statements.notes)
    return {
        "figure": fig,
        "verdict": an.verdict_html(report),
        "statements": an.statement_rows(report),
        "statements_note": (an.section_status(report.statements) or "") +
        ("No statement asserted. " if not report.statements.asserted else "") +
        "Each statement is asserted or withheld by the interpretation engine, with its reason and the classifier's "
        "raw output beside it. Click a statement to highlight its evidence on the tracing." +
        (f"\n\n<small>Notes: {html.escape(notes)}</small>" if notes else ""),
        "overlays_note": _overlay_line(report),
        "interpretation": report.interpretation.text,
        "seconds": seconds,
    }


def open_record(state: SessionState, ecg: ECG, label: str) -> dict[str, Any]:
    """Both steps: switch ``state`` to ``ecg``, analyse it and return everything the panels show."""
    t0 = time.perf_counter()
    quick = open_record_quick(state, ecg, label)
    rest = open_record_rest(state)
    return {**quick, **rest, "measurements_note": measurements_note(state.analysis.report),
            "quick_seconds": quick["seconds"],
            "seconds": time.perf_counter() - t0}


CHANGE_HEADERS = ["what", "previous", "current", "change"]
COMPARE_HEIGHT_PX = 420  # two tracings side by side: each half the page wide


def change_rows(result: dict[str, Any]) -> list[list[str]]:
    """The agent's ``compare`` tool result as table rows: each measurement before/after/change
    (with its unit), then the statements that are new, resolved or unchanged."""
    from medts.interpret import RANGES

    if result.get("available") is False:
        raise LookupError(f"comparison not available: {result.get('reason') or 'no reason given'}")
    rows = []
    for name, change in (result.get("measurements") or {}).items():
        unit = name.rsplit("_", 1)[-1]
        label = RANGES[name].label if name in RANGES else name.rsplit("_", 1)[0].replace("_", " ")
        delta = next((v for k, v in change.items() if k.startswith("change")), None)
        rows.append([label, _cell(change.get("before"), unit), _cell(change.get("after"), unit),
                     "-" if delta is None else f"{delta:+.0f} {unit}"])
    statements = result.get("statements") or {}
    if statements.get("available") is False:
        rows.append(["statements", "-", "-", f"not compared: {statements.get('reason')}"])
    else:
        for kind in ("new", "resolved", "unchanged"):
            if statements.get(kind):
                before = ", ".join(statements[kind]) if kind != "new" else "-"
                after = ", ".join(statements[kind]) if kind != "resolved" else "-"
                rows.append([f"statements {kind}", before, after, kind])
    return rows


def _cell(value: Any, unit: str) -> str:
    return "-" if value is None else f"{value:.0f} {unit}" if isinstance(value, (int, float)) else str(value)


def comparison(state: SessionState) -> dict[str, Any]:
    """Serial comparison of the session's record (current) with ``state.compare_ecg`` (previous):
    both tracings on ECG paper and the agent's ``compare`` tool's changes as a table."""
    if state.ecg is None or state.compare_ecg is None:
        raise ValueError("load a record and a second ECG to compare")
    session = chat_bridge.open_session(state)
    result = session.toolbox.run("compare", {"before": "previous", "after": "current"})
    prev, cur = state.compare_ecg, state.ecg
    return {"title": (f"**Serial comparison** - previous: {html.escape(state.compare_label)} "
                      f"({prev.record_id}); current: {html.escape(state.label)} ({cur.record_id}). "
                      "Values from the agent's compare tool."),
            "previous": ecg_figure(prev, title=f"previous: {prev.record_id}").update_layout(height=COMPARE_HEIGHT_PX),
            "current": ecg_figure(cur, title=f"current: {cur.record_id}").update_layout(height=COMPARE_HEIGHT_PX),
            "changes": change_rows(result), "result": result}


def answer_markdown(update: chat_bridge.ReplyUpdate) -> str:
    """The chat message for a streamed answer: the grounded text so far, then (until it is
    complete) a progress line saying what the agent is doing."""
    if update.phase == "done":
        return update.text
    progress = PROGRESS[update.phase].format(tokens=update.tokens)
    return f"{update.text}\n\n{progress}" if update.text else progress


def measurements_note(sections: Any) -> str:
    """The line above the measurements (rhythm and axis, or why nothing was measured) and, under
    it, why each missing value is missing."""
    head = an.section_status(sections.measurements) or _rhythm_line(sections)
    return "\n\n".join(part for part in (head, an.measurement_notes(sections)) if part)


def _quality_line(sections: Any) -> str:
    q = sections.quality
    return f"Overall quality: **{q.overall}**" + ("" if not q.problems else " - " + "; ".join(q.problems[:6]))


def _rhythm_line(report: Any) -> str:
    ra = report.rhythm_axis
    if not ra.status.available:
        return ""
    parts = [f"Rhythm: **{ra.rhythm}**" if ra.rhythm else "", f"QRS axis {ra.axis_deg:.0f} deg ({ra.axis_category})"
             if ra.axis_deg is not None else ""]
    return " - ".join(p for p in parts if p)


def _overlay_line(report: Any, head_waves: list | None = None) -> str:
    """Where the shaded P/QRS/T and anomalies come from; ``head_waves``: the MedTsLLM
    segmentation head's waves when they are shown instead of the fused delineation."""
    w, a = report.waves, report.anomalies
    waves = (f"P/QRS/T from {w.status.tool} ({len(w.items)} waves)" if w.status.available
             else f"P/QRS/T overlay unavailable: {w.status.reason}")
    if head_waves is not None:
        waves = (f"P/QRS/T from the MedTsLLM segmentation head ({len(head_waves)} waves on "
                 f"{len({b.lead for b in head_waves})} leads, shaded per lead; {waves} hidden)")
    if a.status.available:
        regions = an.anomaly_regions(report)
        premature = sum(r.kind == "premature beat" for r in regions)
        pooled = sum(r.lead is None for r in regions)
        anomalies = (f"{len(regions) - premature} anomaly region(s) and {premature} premature beat(s) from "
                     f"{a.status.tool}" + (f"; {pooled} pooled over leads, so drawn on every lead" if pooled else ""))
    else:
        anomalies = f"anomaly overlay unavailable: {a.status.reason}"
    return f"{waves}. {anomalies}."


def write_downloads(state: SessionState) -> tuple[list[str], list[str]]:
    """Render the report of the session's record as JSON, HTML and PDF; ``(files, notes)``."""
    if state.analysis is None or state.ecg is None:
        raise ValueError("load a record first")
    if state.analysis.report is None:  # asked before step 2 finished: finish it here
        an.complete(state.analysis, state.ecg)
    report = public_report(state.analysis.report)
    folder = state.fresh_dir("report")
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in report.record.record_id) or "record"
    files, notes = [], []
    path = folder / f"{stem}.report.json"
    path.write_text(report.model_dump_json(indent=2) + "\n")
    files.append(str(path))
    for fmt in ("html", "pdf"):
        try:
            files.append(str(render_report(report, fmt, folder / f"{stem}.report.{fmt}", state.ecg)))
        except Exception as error:  # noqa: BLE001 - one missing renderer must not hide the others
            notes.append(f"{fmt.upper()} unavailable: {error}")
    return files, notes


def public_report(report: Any) -> Any:
    """``report`` as the page hands it out: the record's source file by name, not by the
    server's (temporary) path."""
    source = report.record.source
    if not source:
        return report
    return report.model_copy(update={"record": report.record.model_copy(update={"source": Path(source).name})})


def render_report(report: Any, fmt: str, path: Path, ecg: ECG | None) -> Path:
    """Write ``report`` as ``fmt`` (``html`` or ``pdf``) with the batch renderer of :mod:`medts.report`
    (ECG paper with the P/QRS/T and anomaly overlays), to ``path``."""
    from medts.report.batch import write_outputs

    if ecg is None:
        raise ValueError("no record loaded")
    scratch = path.parent / f".{fmt}"
    scratch.mkdir(exist_ok=True)
    write_outputs(report, ecg, scratch, (fmt,))
    (scratch / f"report.{fmt}").replace(path)
    shutil.rmtree(scratch, ignore_errors=True)
    return path


# -------------------------------------------------------------------------------------------
# The Blocks
# -------------------------------------------------------------------------------------------
def build_app(*, initial: str | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> gr.Blocks:
    """The app. ``initial``: a record choice (e.g. ``"example: sinus"``) loaded when a page opens."""
    choices = record_choices()
    chat_ok, chat_reason = chat_bridge.agent_status()

    with gr.Blocks(title="medts - chat with an ECG", analytics_enabled=False) as demo:
        state = gr.State(None, delete_callback=lambda s: s.cleanup() if isinstance(s, SessionState) else None)
        gr.Markdown("# medts - chat with an ECG\n" + NOTICE)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                upload = gr.File(label="Upload ECG (WFDB .hea+.dat, zip, EDF, CSV, NPY, CinC .mat+.hea)",
                                 file_count="multiple", elem_id="upload")
                fs_box = gr.Number(label="Sampling rate (Hz) for NPY/CSV without one", value=None,
                                   placeholder="e.g. 500", minimum=0, elem_id="fs")
                picker = gr.Dropdown(choices=choices, value=initial if initial in choices else (choices[0] if choices else None),
                                     label="Or pick a bundled example / a record under $MEDTS_DATA",
                                     allow_custom_value=True, elem_id="picker")
                load_btn = gr.Button("Load record", variant="primary", elem_id="load")
                status = gr.HTML("Load a record to start.", elem_id="status")
                record_md = gr.Markdown("", elem_id="record-info")
            with gr.Column(scale=4):
                verdict_md = gr.HTML("", elem_id="verdict")
                plot = gr.Plot(label="Tracing on ECG paper (drag to zoom, double-click to reset)", elem_id="tracing")
                caliper_md = gr.HTML(CALIPER_HINT, elem_id="caliper")
                with gr.Row():
                    layout_radio = gr.Radio(list(VIEWS), value=VIEWS[0], label="Layout", elem_id="layout")
                    leads_box = gr.CheckboxGroup(label="Leads (stacked view)", choices=[], elem_id="leads")
                with gr.Row():
                    start_slider = gr.Slider(0, 10, value=0, step=0.5, label="Start (s)", elem_id="start")
                    window_slider = gr.Slider(1, 60, value=10, step=1, label="Window (s, stacked view)",
                                              elem_id="window")
                    overlays = gr.CheckboxGroup([WAVES_OVERLAY, "anomalies", MEDTSLLM_OVERLAY],
                                                value=[WAVES_OVERLAY, "anomalies"], label="Overlays", elem_id="overlays")
                overlays_md = gr.Markdown("", elem_id="overlays-note")
        # "hidden", not False: a column left out of the page drops the plot and table values sent in the
        # update that shows it (empty comparison seen under load); a hidden one is mounted and keeps them
        with gr.Column(visible="hidden", elem_id="comparison") as compare_box:
            compare_md = gr.Markdown("", elem_id="comparison-title")
            with gr.Row():
                compare_prev_plot = gr.Plot(label="Previous ECG", elem_id="compare-previous")
                compare_cur_plot = gr.Plot(label="Current ECG", elem_id="compare-current")
            changes_df = gr.Dataframe(headers=CHANGE_HEADERS, interactive=False, elem_id="changes", wrap=True)
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tabs():
                    with gr.Tab("Measurements"):
                        meas_df = gr.Dataframe(headers=["measurement", "value", "unit", "normal range", "flag"],
                                               interactive=False, elem_id="measurements", wrap=True,
                                               column_widths=["34%", "16%", "12%", "22%", "16%"])
                        meas_note = gr.Markdown("", elem_id="measurements-note")
                    with gr.Tab("Statements"):
                        stm_note = gr.Markdown("", elem_id="statements-note")
                        stm_df = gr.Dataframe(headers=an.STATEMENT_HEADERS, interactive=False, elem_id="statements",
                                              wrap=True, column_widths=["11%", "18%", "13%", "42%", "16%"])
                        evidence_md = gr.Markdown("", elem_id="evidence")
                    with gr.Tab("Signal quality"):
                        quality_note = gr.Markdown("", elem_id="quality-note")
                        quality_df = gr.Dataframe(headers=["lead", "usable", "problems", "score"],
                                                  interactive=False, elem_id="quality")
                    with gr.Tab("Report"):
                        interp_md = gr.Markdown("", elem_id="interpretation")
                        report_btn = gr.Button("Prepare downloads (HTML, PDF, JSON)", elem_id="report-btn")
                        report_files = gr.File(label="Report files", file_count="multiple", interactive=False,
                                               elem_id="report-files")
                        report_note = gr.Markdown("", elem_id="report-note")
            with gr.Column(scale=3):
                gr.Markdown("" if chat_ok else chat_reason, elem_id="chat-note")
                chatbot = gr.Chatbot(label="Chat about this ECG", height=420, elem_id="chat")
                with gr.Row():
                    question = gr.Textbox(placeholder="e.g. What is the heart rate?", show_label=False,
                                          scale=5, elem_id="question", interactive=chat_ok)
                    ask_btn = gr.Button("Ask", scale=1, elem_id="ask", interactive=chat_ok)
                with gr.Accordion("Compare with another ECG", open=False):
                    compare_upload = gr.File(label="Second ECG", file_count="multiple", elem_id="compare-upload")
                    compare_picker = gr.Dropdown(choices=choices, value=None, label="or pick one",
                                                 allow_custom_value=True, elem_id="compare-picker")
                    compare_btn = gr.Button("Compare", elem_id="compare")
                with gr.Accordion("Settings (LLM backend)", open=False):
                    backend = gr.Radio(["local", "hf", "openai"], value="local", elem_id="backend",
                                       label="Backend: local SmolLM2, a local HF folder, or an OpenAI-compatible URL")
                    model_path = gr.Textbox(label="Local HF model folder", elem_id="model-path")
                    base_url = gr.Textbox(label="OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1)",
                                          elem_id="base-url")
                    model_name = gr.Textbox(label="Model name on that server", elem_id="model-name")
                    mode = gr.Radio(["auto", "native", "plan"], value="auto", elem_id="mode",
                                    label="Agent mode (native tool calling or plan-then-compose)")
                    apply_btn = gr.Button("Apply settings", elem_id="apply")

        quick_outputs = [state, status, record_md, verdict_md, plot, layout_radio, caliper_md, compare_box, leads_box,
                         start_slider,
                         window_slider, overlays, overlays_md,
                         meas_note, meas_df, stm_note, stm_df, evidence_md, quality_note, quality_df, interp_md,
                         report_files, report_note, chatbot]
        rest_outputs = [state, status, plot, verdict_md, stm_note, stm_df, overlays_md, interp_md]

        def show_record(st: SessionState, ecg: ECG, label: str, notes: list[str]) -> dict:
            """Step 0: the tracing now; the other panels say they are coming (chained steps fill them)."""
            p = open_record_tracing(st, ecg, label)
            info = (f"**{html.escape(ecg.record_id)}** - {html.escape(label)}<br>{ecg.n_leads} leads, {ecg.fs:g} Hz, "
                    f"{ecg.duration_s:.1f} s; age {ecg.age if ecg.age is not None else '-'}, sex {ecg.sex or '-'}")
            st.status_line = (f"Loaded {ecg.record_id} (load {st.loads}): tracing in {p['seconds']:.2f} s." +
                              (" " + " ".join(notes) if notes else ""))
            return {
                state: st, status: ok_message(st.status_line + " Measuring..."),
                record_md: info, plot: p["figure"], verdict_md: VERDICT_PENDING,
                leads_box: gr.update(choices=list(ecg.leads), value=list(ecg.leads)),
                start_slider: gr.update(maximum=max(0.0, round(ecg.duration_s - 1.0, 1)), value=0),
                window_slider: gr.update(maximum=max(1.0, round(ecg.duration_s)), value=st.view.window_s),
                overlays: [WAVES_OVERLAY, "anomalies"],  # a new record starts with the default view (View())
                layout_radio: VIEWS[0], caliper_md: CALIPER_HINT, compare_box: gr.update(visible="hidden"),
                overlays_md: "Computing statements and anomalies...", meas_note: "Measuring...",
                meas_df: [], stm_note: "Computing statements...", stm_df: [], evidence_md: "",
                quality_note: "", quality_df: [], interp_md: "",
                report_files: None, report_note: "", chatbot: [],
            }

        @guarded(status)
        def on_measure(st: SessionState | None) -> dict:
            """Step 1 (chained after the tracing): measurements, quality, P/QRS/T on the tracing."""
            st = ensure(st)
            if st.ecg is None or st.analysis is not None:
                return {state: st}  # nothing new loaded (e.g. the upload failed): keep what is shown
            p = measure_record(st)
            if p is None:  # a newer record took over meanwhile
                return {state: st}
            st.status_line += f" Measured in {p['seconds']:.2f} s."
            return {state: st, status: ok_message(st.status_line + " Statements and overlays are being computed..."),
                    plot: p["figure"], meas_note: p["measurements_note"], meas_df: p["measurements"],
                    quality_note: p["quality_note"], quality_df: p["quality"]}

        @guarded(status)
        def on_rest(st: SessionState | None) -> dict:
            """Step 2 (chained after a load): statements, anomalies, interpretation; then the chat
            session for the record is opened so the first question finds its tools warm."""
            st = ensure(st)
            if st.ecg is None or st.analysis is None or st.analysis.report is not None:
                return {state: st}  # nothing new loaded (e.g. the upload failed): keep what is shown
            p = open_record_rest(st)
            if p is None:  # a newer record took over while this one's statements were computed
                return {state: st}
            chat_bridge.RECORD_SHOWN.set()  # the server's background LLM load may start now
            chat_bridge.prepare(st)
            return {state: st, status: ok_message(f"{st.status_line} Statements and overlays in {p['seconds']:.2f} s."),
                    plot: p["figure"], verdict_md: p["verdict"], stm_note: p["statements_note"], stm_df: p["statements"],
                    overlays_md: p["overlays_note"], interp_md: p["interpretation"]}

        @guarded(status)
        def load_uploaded(files: list[str] | None, fs: float | None, st: SessionState | None) -> dict:
            st = ensure(st)
            if not files:
                return {state: st}
            result = load_upload(files, fs=fs or None, workdir=st.fresh_dir("upload"), max_bytes=max_upload_bytes)
            return show_record(st, result.ecg, f"uploaded {result.path.name}", result.notes)

        def on_upload(files: list[str] | None, fs: float | None, st: SessionState | None) -> dict:
            # The box is emptied after each upload (a "multiple" File box would otherwise add the
            # next upload to this one's files).
            return {**load_uploaded(files, fs, st), upload: None}

        @guarded(status)
        def on_pick(choice: str, fs: float | None, st: SessionState | None) -> dict:
            st = ensure(st)
            return show_record(st, read_choice(choice, fs=fs or None), resolve_choice(choice)[1], [])

        @guarded(status)
        def on_view(layout: str, leads: list[str], start: float, window: float, shown: list[str],
                    st: SessionState | None) -> dict:
            st = ensure(st)
            if st.ecg is None:
                return {state: st}
            st.view.layout = layout if layout in VIEWS else VIEWS[0]
            st.view.leads = list(leads) or None
            st.view.start_s, st.view.window_s = float(start), float(window)
            st.view.show_waves, st.view.show_anomalies = WAVES_OVERLAY in shown, "anomalies" in shown
            st.view.show_medtsllm = MEDTSLLM_OVERLAY in shown
            note = None
            if st.view.show_medtsllm and st.analysis is not None and st.analysis.medtsllm is None:
                t0 = time.perf_counter()
                st.analysis.medtsllm = an.medtsllm_waves(st.ecg)
                n_leads = len({b.lead for b in st.analysis.medtsllm})
                note = ok_message(f"MedTsLLM segmentation head: {len(st.analysis.medtsllm)} waves on {n_leads} "
                                  f"leads in {time.perf_counter() - t0:.1f} s (shown instead of the fused P/QRS/T).")
            shown_head = st.analysis.medtsllm if st.view.show_medtsllm and st.analysis is not None else None
            overlay_note = (_overlay_line(st.analysis.report, shown_head)
                            if st.analysis is not None and st.analysis.report is not None else gr.update())
            return {state: st, plot: figure_for(st), overlays_md: overlay_note, **({status: note} if note else {})}

        @guarded(status)
        def on_statement(evt: gr.SelectData, st: SessionState | None) -> dict:
            st = ensure(st)
            if st.analysis is None:
                raise ValueError("load a record first")
            if st.analysis.report is None:
                raise ValueError("the statements are still being computed; click again in a moment")
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            codes = [s.code for s in an.decided_statements(st.analysis.report)]
            if not 0 <= int(row) < len(codes):
                raise LookupError("no statement in that row")
            code = codes[int(row)]
            st.evidence = an.statement_evidence(st.ecg, st.analysis.report, code)
            return {state: st, plot: figure_for(st), evidence_md: ("Highlighted on the tracing: " if st.evidence.regions else "") + f"{st.evidence.summary} "
                    f"(method: {st.evidence.method})", status: ok_message(f"Evidence for {code} highlighted." if st.evidence.regions
                                      else f"No attribution map for {code}.")}

        @guarded(status)
        def on_report(st: SessionState | None) -> dict:
            st = ensure(st)
            files, notes = write_downloads(st)
            return {state: st, report_files: files, report_note: "\n\n".join(notes),
                    status: ok_message(f"Report ready: {', '.join(Path(f).suffix.lstrip('.') for f in files)}.")}

        @guarded(status)
        def on_settings(b: str, path: str, url: str, name: str, m: str, st: SessionState | None) -> dict:
            st = ensure(st)
            st.settings.backend, st.settings.model_path = b, path.strip()
            st.settings.base_url, st.settings.model_name, st.settings.mode = url.strip(), name.strip(), m
            if b == "hf" and not Path(st.settings.model_path).is_dir():
                raise ValueError(f"model folder not found: {st.settings.model_path or '(empty)'}")
            if b == "openai" and not st.settings.base_url.startswith(("http://", "https://")):
                raise ValueError("the OpenAI-compatible base URL must start with http:// or https://")
            st.chat = st.token_counter = None  # the next question opens a session with the new backend
            return {state: st, status: ok_message(f"Settings applied: backend {b}, mode {m}.")}

        def on_ask(q: str, history: list[dict] | None, st: SessionState | None):
            st = ensure(st)
            history = list(history or [])
            q = (q or "").strip()
            if not q:
                yield {state: st}
                return
            if st.ecg is None:
                yield {state: st, status: error_message(ValueError("load a record before asking"))}
                return
            history.append({"role": "user", "content": q})
            history.append({"role": "assistant", "content": PROGRESS["tools"]})
            yield {state: st, chatbot: history, question: ""}
            try:
                n_traced = 0
                for up in chat_bridge.stream_reply(st, q):
                    history[-1] = {"role": "assistant", "content": answer_markdown(up)}
                    if len(up.calls) != n_traced:  # the collapsible tool trace, above the answer, as soon as known
                        if n_traced:
                            history.pop(-2)
                        history.insert(len(history) - 1, chat_bridge.tool_trace_message(up.calls))
                        n_traced = len(up.calls)
                    yield {chatbot: history}
                st.messages = history
                yield {state: st, chatbot: history}
            except Exception as error:
                if not isinstance(error, (MedtsError, LookupError, ValueError)):
                    log.exception("chat failed")
                history[-1] = {"role": "assistant", "content": f"Sorry, I could not answer: {hide_server_paths(str(error))}"}
                yield {state: st, chatbot: history, status: error_message(error)}

        def on_compare(files: list[str] | None, choice: str | None, history: list[dict] | None,
                       st: SessionState | None):
            """Side-by-side tracings and the table of changes (the agent's compare tool), then the
            chat's answer about what changed."""
            st = ensure(st)
            try:
                if st.ecg is None:
                    raise ValueError("load a record before comparing")
                if files:
                    res = load_upload(files, workdir=st.fresh_dir("compare"), max_bytes=max_upload_bytes)
                    other, label = res.ecg, res.path.name
                else:
                    other, label = read_choice(choice or ""), resolve_choice(choice or "")[1]
                st.compare_ecg, st.compare_label = other, label
                chat_bridge.set_compare(st)
                # shown first, filled by the next update: a hidden column's plots miss values sent
                # in the same update that shows it
                yield {state: st, compare_box: gr.update(visible=True), compare_md: "Comparing...",
                       status: ok_message(f"Comparing with {label}...")}
                p = comparison(st)
            except Exception as error:
                if not isinstance(error, (MedtsError, LookupError, ValueError)):
                    log.exception("compare failed")
                yield {state: st, status: error_message(error)}
                return
            yield {state: st, compare_md: p["title"], compare_prev_plot: p["previous"], compare_cur_plot: p["current"],
                   changes_df: p["changes"], status: ok_message(f"Compared with {label}: {len(p['changes'])} rows of changes.")}
            # the table once more: under load it still came up empty beside its filled plots and the status naming its
            # rows (a full browser-test run, 2026-12-07), its value lost right after the update that showed the column
            yield {changes_df: p["changes"]}
            yield from on_ask(f"Compare with the previous ECG ({label}): what changed?", history, st)

        measure_outputs = [state, status, plot, meas_note, meas_df, quality_note, quality_df]
        upload.upload(on_upload, [upload, fs_box, state], [*quick_outputs, upload], show_progress="minimal") \
            .then(on_measure, [state], measure_outputs, show_progress="hidden") \
            .then(on_rest, [state], rest_outputs, show_progress="hidden")
        load_btn.click(on_pick, [picker, fs_box, state], quick_outputs) \
            .then(on_measure, [state], measure_outputs, show_progress="hidden") \
            .then(on_rest, [state], rest_outputs, show_progress="hidden")
        view_inputs = [layout_radio, leads_box, start_slider, window_slider, overlays, state]
        for control in (layout_radio, leads_box, overlays):
            control.input(on_view, view_inputs, [state, plot, status, overlays_md])
        for control in (start_slider, window_slider):
            control.release(on_view, view_inputs, [state, plot, status, overlays_md])
        stm_df.select(on_statement, [state], [state, plot, evidence_md, status])
        report_btn.click(on_report, [state], [state, report_files, report_note, status])
        apply_btn.click(on_settings, [backend, model_path, base_url, model_name, mode, state], [state, status])
        ask_outputs = [state, chatbot, question, status]
        question.submit(on_ask, [question, chatbot, state], ask_outputs)
        ask_btn.click(on_ask, [question, chatbot, state], ask_outputs)
        compare_btn.click(on_compare, [compare_upload, compare_picker, chatbot, state],
                          [*ask_outputs, compare_box, compare_md, compare_prev_plot, compare_cur_plot, changes_df])
        if initial:
            demo.load(on_pick, [picker, fs_box, state], quick_outputs) \
                .then(on_measure, [state], measure_outputs, show_progress="hidden") \
                .then(on_rest, [state], rest_outputs, show_progress="hidden")
    return demo
