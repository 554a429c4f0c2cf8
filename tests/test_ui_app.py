"""Tests of medts.ui (app handlers' helpers, analysis panels, sessions, server options, demo check)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medts.errors import ECGReadError, MedtsError
from medts.simulate import simulate_12lead
from medts.ui import analysis as an
from medts.ui import app as ui_app
from medts.ui.server import parse_auth
from medts.ui.state import SessionState


@pytest.fixture(scope="module")
def opened():
    state = SessionState.new()
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=80.0, seed=4, record_id="hr80")
    panels = ui_app.open_record(state, ecg, "test")
    yield state, panels
    state.cleanup()


def test_open_record_fills_panels_from_the_report(opened) -> None:
    state, panels = opened
    report = state.analysis.report
    assert report.notice.startswith("DRAFT")
    if not report.measurements.status.available:
        pytest.skip(f"measurements unavailable: {report.measurements.status.reason}")
    rows = {r[0]: r for r in panels["measurements"]}
    assert 75 <= float(rows["Heart rate"][1]) <= 85
    assert rows["Heart rate"][3] == "50-100" and rows["Heart rate"][4] == "normal"
    assert len(panels["quality"]) == 12
    names = {t.name for t in panels["figure"].data}
    assert "QRS" in names and "V6" in names


def test_unavailable_sections_say_why(opened) -> None:
    state, _ = opened
    for name in ("measurements", "statements", "anomalies", "waves"):
        section = getattr(state.analysis.report, name)
        message = an.section_status(section)
        assert (message is None) == section.status.available
        if message:
            assert message.startswith("Not available:") and len(message) > 20


def test_downloads_json_html_pdf(opened) -> None:
    state, _ = opened
    files, notes = ui_app.write_downloads(state)
    paths = {Path(f).suffix: Path(f) for f in files}
    data = json.loads(paths[".json"].read_text())
    assert data["record"]["record_id"] == "hr80" and data["notice"].startswith("DRAFT")
    assert paths[".json"].is_relative_to(state.workdir)
    if ".html" in paths:
        assert "DRAFT" in paths[".html"].read_text()
    if ".pdf" in paths:
        assert paths[".pdf"].read_bytes().startswith(b"%PDF")
    assert len(files) + len(notes) == 3


def test_sessions_are_separate() -> None:
    a, b = SessionState.new(), SessionState.new()
    a.set_record(simulate_12lead(duration_s=3.0, fs=250.0, hr_bpm=60.0, seed=1, record_id="a"), "a")
    assert b.ecg is None and a.session_id != b.session_id
    da, db = a.fresh_dir("x"), b.fresh_dir("x")
    assert da.parent != db.parent
    a.cleanup()
    assert not da.exists() and db.exists()
    b.cleanup()


def test_errors_become_messages_not_tracebacks() -> None:
    assert ui_app.error_message(ECGReadError("bad.hea", "not a header")) == \
        '<span class="medts-error">Error: bad.hea: not a header</span>'
    text = ui_app.error_message(ZeroDivisionError("division by zero"))
    assert "Traceback" not in text and "ZeroDivisionError" in text
    assert "&lt;script&gt;" in ui_app.error_message(ValueError("<script>"))


def test_record_choice_cannot_leave_the_data_root(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ds").mkdir()
    monkeypatch.setenv("MEDTS_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="not inside the data folder"):
        ui_app.resolve_choice("../../etc/passwd")
    with pytest.raises(ValueError, match="no such record"):
        ui_app.resolve_choice("ds/nothing")
    path, _ = ui_app.resolve_choice("example: sinus")
    assert path.name == "sinus.hea"
    ecg = ui_app.read_choice("example: sinus")
    assert ecg.n_leads == 12 and ecg.fs == 500.0


def test_parse_auth() -> None:
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("a:b") == [("a", "b")]
    with pytest.raises(MedtsError):
        parse_auth("nopassword")


def test_build_app_has_the_panels() -> None:
    demo = ui_app.build_app()
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"upload", "tracing", "measurements", "statements", "quality", "chat", "question",
            "report-files", "status", "leads", "backend", "mode"} <= ids


def test_quick_step_shows_tracing_and_measurements_before_the_report() -> None:
    state = SessionState.new()
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=60.0, seed=7, record_id="q60")
    quick = ui_app.open_record_quick(state, ecg, "test")
    assert state.analysis.report is None  # no classifier, no anomaly head yet
    if not state.analysis.quick.measurements.status.available:
        pytest.skip(f"measurements unavailable: {state.analysis.quick.measurements.status.reason}")
    assert 55 <= float({r[0]: r for r in quick["measurements"]}["Heart rate"][1]) <= 65
    assert {"QRS", "V6"} <= {t.name for t in quick["figure"].data}
    rest = ui_app.open_record_rest(state)
    report = state.analysis.report
    assert report.measurements == state.analysis.quick.measurements
    # the report reused step 1's measurement (memoised per record object): measured once
    assert an.report_builder().sources.signal.sections(ecg) is an.signal_source().sections(ecg)
    assert rest["statements"] == an.statement_rows(report)
    files, _ = ui_app.write_downloads(state)
    assert any(f.endswith(".json") for f in files)
    state.cleanup()


def test_step_two_and_downloads_need_a_loaded_record() -> None:
    with pytest.raises(ValueError, match="load a record first"):
        ui_app.open_record_rest(SessionState.new())
    with pytest.raises(ValueError, match="load a record first"):
        ui_app.write_downloads(SessionState.new())


def test_segmentation_adapter_is_the_registrys() -> None:
    from medts.adapters import SEGMENTATION, adapter_dir

    folder = an.segmentation_adapter()
    if folder is None:
        pytest.skip("no MedTsLLM segmentation adapter shipped")
    assert folder == adapter_dir(SEGMENTATION) and (folder / "manifest.json").is_file()


def test_segmentation_head_overlay_replaces_the_fused_waves_per_lead() -> None:
    """With the MedTsLLM overlay ticked, the tracing shades the head's waves on their own leads
    (here: QRS on V1 only) instead of the fused delineation drawn on every lead."""
    from medts.ui.plots import WaveBox

    state = SessionState.new()
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=60.0, seed=7, record_id="per-lead")
    ui_app.open_record_quick(state, ecg, "test")

    def qrs_boxes(fig):
        qrs = next(t for t in fig.data if t.name == "QRS")
        return len([v for v in qrs.x if v is not None and np.isfinite(v)]) // 5

    n_fused = qrs_boxes(ui_app.figure_for(state))
    assert n_fused >= 10 * 4  # ~10 beats, each on the 3 leads of its column and on the rhythm strip
    state.analysis.medtsllm = [WaveBox("QRS", 5.2, 5.3, "V1"), WaveBox("QRS", 1.0, 1.1, "V1")]
    state.view.show_medtsllm = True
    fig = ui_app.figure_for(state)
    assert qrs_boxes(fig) == 1  # V1 shows 5-7.5 s in the 3x4 grid: the 1.0 s wave has no place there
    state.view.layout = "stacked leads"
    assert qrs_boxes(ui_app.figure_for(state)) == 2
    state.cleanup()


@pytest.mark.slow
def test_medtsllm_overlay_marks_qrs_complexes_on_every_lead() -> None:
    if an.segmentation_adapter() is None:
        pytest.skip("no MedTsLLM segmentation adapter shipped")
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=60.0, seed=11, record_id="seg")
    boxes = an.medtsllm_waves(ecg)
    assert {b.lead for b in boxes} == set(ecg.leads)
    for lead in ("II", "V5"):
        qrs = [b for b in boxes if b.kind == "QRS" and b.lead == lead]
        assert 6 <= len(qrs) <= 14, (lead, len(qrs))
    assert all(0.0 <= b.onset_s < b.offset_s <= ecg.duration_s for b in boxes)


def test_auth_protects_the_served_app() -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    from medts.ui.check import free_port
    from medts.ui.server import launch

    demo, url = launch(port=free_port(), block=False, auth="ann:secret", llm_delay_s=None)  # no chat here
    try:
        assert url.startswith("http://127.0.0.1:")  # the default bind: this machine only
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url + "config", timeout=30)
        assert denied.value.code == 401
        data = urllib.parse.urlencode({"username": "ann", "password": "wrong"}).encode()
        with pytest.raises(urllib.error.HTTPError) as wrong:
            urllib.request.urlopen(url + "login", data=data, timeout=30)
        assert wrong.value.code == 400
        data = urllib.parse.urlencode({"username": "ann", "password": "secret"}).encode()
        with urllib.request.urlopen(url + "login", data=data, timeout=30) as ok:
            assert ok.status == 200
    finally:
        demo.close()


def test_answer_shows_progress_until_it_is_complete() -> None:
    from medts.ui.chat import ReplyUpdate

    assert "Loading the language model" in ui_app.answer_markdown(ReplyUpdate("", [], "model"))
    assert ui_app.answer_markdown(ReplyUpdate("", [], "tools")) == ui_app.PROGRESS["tools"]
    writing = ui_app.answer_markdown(ReplyUpdate("Rate 70 bpm [measurements.hr_bpm].", [], "writing", 12))
    assert writing.startswith("Rate 70 bpm") and "(12 tokens)" in writing
    assert ui_app.answer_markdown(ReplyUpdate("Done.", [], "done", 30)) == "Done."


def test_bundled_examples_are_read_once_and_shared() -> None:
    a, b = ui_app.read_choice("example: sinus"), ui_app.read_choice("example: sinus")
    assert a is b and a.record_id == "sinus"
    assert ui_app.read_choice("example: afib") is not a


def test_a_record_being_measured_is_not_measured_twice() -> None:
    import threading
    import time

    class SlowSource:
        name = "slow"
        calls = 0

        def sections(self, ecg):
            SlowSource.calls += 1
            time.sleep(0.3)
            return ("sections of", ecg.record_id)

    memo = an.MemoSignal(SlowSource())
    ecg = simulate_12lead(duration_s=2.0, fs=250.0, hr_bpm=60.0, seed=1, record_id="once")
    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.sections(ecg))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert SlowSource.calls == 1 and results == [("sections of", "once")] * 3
    other = simulate_12lead(duration_s=2.0, fs=250.0, hr_bpm=60.0, seed=1, record_id="once")
    memo.sections(other)  # an equal but distinct object is another record (identity keys)
    assert SlowSource.calls == 2


def test_af_record_shows_the_engines_reconciled_statements_and_verdict() -> None:
    """An AF record must not show NORM beside AFIB: the app shows the engine's decisions, each
    with its reason, and the verdict line opens with the rhythm."""
    from medts.examples import simulate_example

    state = SessionState.new()
    panels = ui_app.open_record(state, simulate_example("afib"), "afib")
    report = state.analysis.report
    decided = {row[0]: row for row in panels["statements"]}
    assert decided["AFIB"][2] == "asserted" and "irregular" in decided["AFIB"][3]
    assert "NORM" not in report.statements.codes()
    if "NORM" in decided:  # the classifier said NORM: shown withheld, with the engine's reason
        assert decided["NORM"][2] == "withheld" and "AFIB" in decided["NORM"][3]
    assert report.verdict.startswith("Atrial fibrillation") and report.verdict in panels["verdict"]
    if report.findings is not None:  # the same decisions as the engine's findings
        assert report.statements.codes() == report.findings.codes()
    rows = panels["statements"]
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), key=lambda d: d != "asserted")
    # evidence of a measurement-defined statement: the rule's reason over lead II
    ev = an.statement_evidence(state.ecg, report, "AFIB")
    assert "measurements" in ev.summary and {r.lead for r in ev.regions} == {"II"}
    state.cleanup()


def test_measurement_cells_stay_short_and_reasons_go_under_the_table() -> None:
    from types import SimpleNamespace

    long_reason = "P waves not found consistently: fewer than half of the beats had a P wave " * 3
    item = SimpleNamespace(label="P duration", value=None, unit="ms", normal_low=60.0, normal_high=120.0,
                           flag="unmeasured", reason=long_reason)
    ok = SimpleNamespace(label="QRS duration", value=96.4, unit="ms", normal_low=None, normal_high=120.0,
                         flag="normal", reason=None)
    report = SimpleNamespace(measurements=SimpleNamespace(items=[item, ok]),
                             rhythm_axis=SimpleNamespace(status=SimpleNamespace(available=False)))
    rows = an.measurement_rows(report)
    assert rows == [["P duration", "-", "ms", "60-120", "not measured"], ["QRS duration", "96", "ms", "< 120", "normal"]]
    assert max(len(c) for r in rows for c in r) <= 20
    assert long_reason.strip() in an.measurement_notes(report)


def test_pooled_anomalies_are_drawn_on_every_lead() -> None:
    from types import SimpleNamespace

    anomaly = SimpleNamespace(start_s=2.0, end_s=2.5, lead="usable leads", score=0.9, kind="shape+premature")
    other = SimpleNamespace(start_s=4.0, end_s=4.5, lead="V2", score=0.5, kind="shape")
    report = SimpleNamespace(record=SimpleNamespace(leads=["I", "V2"]), anomalies=SimpleNamespace(items=[anomaly, other]))
    regions = an.anomaly_regions(report)
    assert [(r.lead, r.kind) for r in regions] == [(None, "premature beat"), ("V2", "anomaly")]


def test_no_server_path_reaches_the_page(opened, tmp_path: Path) -> None:
    message = ui_app.error_message(ECGReadError(f"{tmp_path}/upload-x1/rec.hea", "header line 1 is not WFDB"))
    assert str(tmp_path) not in message and "rec.hea: header line 1" in message
    assert "a/b ratio" in ui_app.hide_server_paths("a/b ratio")
    state, _ = opened
    report = state.analysis.report.model_copy(update={"record": state.analysis.report.record.model_copy(
        update={"source": "/tmp/medts-ui-123/upload-abc/hr80.hea"})})
    assert ui_app.public_report(report).record.source == "hr80.hea"


def test_serial_comparison_tracings_and_table_of_changes() -> None:
    """Two ECGs side by side with the agent's compare tool's changes: heart rate 60 -> 90 bpm."""
    pytest.importorskip("medts.agent.session")
    from medts.agent.backends import ScriptedChatModel
    from medts.ui import chat as chat_bridge

    original = chat_bridge.CHAT_MODEL_FACTORY
    chat_bridge.CHAT_MODEL_FACTORY = lambda _s: ScriptedChatModel(script=["ok"] * 5, supports_tools=False)
    state = SessionState.new()
    try:
        state.set_record(simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=90.0, seed=3, record_id="later"), "later")
        state.compare_ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=60.0, seed=3, record_id="earlier")
        state.compare_label = "earlier"
        p = ui_app.comparison(state)
    finally:
        chat_bridge.CHAT_MODEL_FACTORY = original
        state.cleanup()
    rows = {r[0]: r for r in p["changes"]}
    hr = rows["Heart rate"]
    before, after, change = (float(c.split()[0]) for c in hr[1:4])
    assert 55 <= before <= 65 and 85 <= after <= 95 and change == pytest.approx(after - before, abs=1.5)
    assert p["previous"].layout.title.text.endswith("earlier") and p["current"].layout.title.text.endswith("later")
    assert {t.name for t in p["previous"].data} >= {"I", "V6"}
    with pytest.raises(LookupError, match="not available: no ECG"):
        ui_app.change_rows({"available": False, "reason": "no ECG named 'previous'"})


def test_step_two_of_a_replaced_record_leaves_the_panels_to_the_new_one(monkeypatch) -> None:
    """A page that opens on the example and gets an upload at once: the example's step 2 must not
    fill (or crash on) the panels of the record that replaced it."""
    state = SessionState.new()
    first = simulate_12lead(duration_s=4.0, fs=250.0, hr_bpm=60.0, seed=1, record_id="first")
    second = simulate_12lead(duration_s=4.0, fs=250.0, hr_bpm=90.0, seed=2, record_id="second")
    ui_app.open_record_quick(state, first, "first")
    real_complete = an.complete

    def complete_while_a_new_record_arrives(analysis, ecg):
        ui_app.open_record_quick(state, second, "second")  # the upload's step 1, meanwhile
        return real_complete(analysis, ecg)

    monkeypatch.setattr(an, "complete", complete_while_a_new_record_arrives)
    assert ui_app.open_record_rest(state) is None
    assert state.ecg is second and state.analysis.report is None  # the upload's own step 2 is still to come
    monkeypatch.setattr(an, "complete", real_complete)
    assert ui_app.open_record_rest(state)["figure"].layout.title.text.startswith("second")
    state.cleanup()


def test_tracing_shows_before_the_measurements() -> None:
    """Step 0 draws the tracing without measuring (no waves yet); step 1 adds the measurements and
    the P/QRS/T overlay, and does nothing for a record that was replaced meanwhile."""
    state = SessionState.new()
    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=70.0, seed=8, record_id="steps")
    tracing = ui_app.open_record_tracing(state, ecg, "steps")
    names = {t.name for t in tracing["figure"].data}
    assert {"I", "V6", "calibration 1 mV"} <= names and "QRS" not in names and state.analysis is None
    measured = ui_app.measure_record(state)
    assert "QRS" in {t.name for t in measured["figure"].data} and measured["measurements"]
    ui_app.open_record_tracing(state, simulate_12lead(duration_s=4.0, fs=250.0, hr_bpm=60.0, seed=1), "other")
    other = state.ecg
    state.ecg = ecg  # as if this record's step 1 started before "other" arrived ...
    state.analysis = None
    real = an.analyse_quick

    def swap_then_measure(e):
        state.ecg = other  # ... and "other" replaced it while it measured
        return real(e)

    an.analyse_quick, original = swap_then_measure, an.analyse_quick
    try:
        assert ui_app.measure_record(state) is None and state.analysis is None
    finally:
        an.analyse_quick = original
    state.cleanup()
