"""The app in a real browser: Playwright driving Debian's Chromium, headless.

Part of the default run (``make test`` installs Chromium); ``pytest -m browser`` runs only these.
Skips with a reason when Chromium (``apt-get install chromium``) or Playwright (``pip install
playwright``; never ``playwright install``) is missing. Screenshots go to ``test-artifacts/``,
with the measured upload -> tracing + measurements time in ``ui-browser-timing.txt``.

Checked: a WFDB pair uploads and shows the tracing (with P/QRS/T) and the measurements; the
streamed answer to "What is the heart rate?" holds the measured value and a citation, with the
collapsible tool trace; clicking a statement highlights its evidence; a corrupt file gives a
message naming it; several sessions keep their records, chats and errors apart; errors (a
question before a record, bad settings, a zip escaping its folder) are messages, never a
traceback.

The app runs in this process on a free local port. The chat uses the real agent (tools,
planner, grounding, citations) with the agent's scripted chat model in place of SmolLM2, so the
test takes seconds; ``medts bench ui`` times the real local model.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _require_browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed: pip install playwright (no 'playwright install' needed)")
    return sync_playwright


def _write_record(folder: Path, name: str, hr_bpm: float, seed: int) -> list[Path]:
    """A 12-lead WFDB pair written with wfdb.wrsamp from the dipole simulator."""
    import wfdb

    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=hr_bpm, seed=seed)
    wfdb.wrsamp(name, fs=500, units=["mV"] * 12, sig_name=list(ecg.leads), p_signal=ecg.signal.astype(np.float64),
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(folder))
    return [folder / f"{name}.hea", folder / f"{name}.dat"]


def _scripted_model(_settings):
    from medts.agent.backends import ScriptedChatModel

    # Text without numbers: the agent itself appends the measured facts with their citations.
    return ScriptedChatModel(script=["Here is what the measurements show for this record."] * 50,
                             supports_tools=False)


@pytest.fixture(scope="module")
def app_url():
    _require_browser()
    from medts.ui import chat as chat_bridge
    from medts.ui.check import free_port
    from medts.ui.server import launch

    original = chat_bridge.CHAT_MODEL_FACTORY
    chat_bridge.CHAT_MODEL_FACTORY = _scripted_model
    demo, url = launch(port=free_port(), block=False)
    try:
        yield url
    finally:
        demo.close()
        chat_bridge.CHAT_MODEL_FACTORY = original


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _require_browser()
    profile = tempfile.mkdtemp(prefix="medts-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                       viewport={"width": 1400, "height": 1100})
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _wait_status(page, text: str, timeout_ms: int = 60_000) -> str:
    page.wait_for_function("(t) => document.querySelector('#status')?.innerText.includes(t)", arg=text,
                           timeout=timeout_ms)
    return page.inner_text("#status")


def _table_rows(page, elem_id: str) -> list[list[str]]:
    # Gradio's dataframe renders a virtual table of div rows/cells (plus a hidden <table> for sizing).
    rows = page.evaluate(
        """(id) => Array.from(document.querySelectorAll('#' + id + ' [role=row].virtual-row'))
               .map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.textContent.trim()))""", elem_id)
    return rows


def _classifier_loaded() -> bool:
    """Whether the app's report pipeline (same process) loaded a statement classifier."""
    from medts.ui.analysis import report_builder

    return bool(report_builder().sources.statements.available)


def test_upload_trace_measure_chat_highlight_and_errors(app_url, browser, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    files = _write_record(tmp_path, "walk72", hr_bpm=72.0, seed=5)
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)

    # Upload a WFDB pair; wait for the tracing and the measurements.
    t0 = time.perf_counter()
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    status = _wait_status(page, "Loaded walk72")
    page.wait_for_selector("#tracing .js-plotly-plot .scatterlayer .trace", timeout=30_000)
    page.locator("#measurements [role=gridcell]").first.wait_for(timeout=30_000)
    upload_s = time.perf_counter() - t0
    assert "Error" not in status
    traces = page.evaluate("() => document.querySelector('#tracing .js-plotly-plot').data.map(t => t.name)")
    assert {"I", "II", "V6"} <= set(traces) and "QRS" in traces
    rows = {r[0]: r for r in _table_rows(page, "measurements")}
    hr_text = rows["Heart rate"][1]
    hr = float(hr_text)
    assert 67 <= hr <= 77, f"measured heart rate {hr} bpm for a 72 bpm simulation"
    page.screenshot(path=str(ARTIFACTS / "ui-1-loaded.png"), full_page=True)

    # Ask; the streamed answer must carry the measured value and a citation of the tool field.
    page.fill("#question textarea", "What is the heart rate?")
    page.click("#ask")
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#chat .message'); return m.length >= 2 && "
        "document.querySelector('#chat').innerText.includes('not a diagnosis'); }", timeout=60_000)
    chat_text = page.inner_text("#chat")
    assert re.search(rf"\b{round(hr)}\s*bpm", chat_text), chat_text
    assert re.search(r"\[[a-z_]+\.[a-z_]*hr_bpm[^\]]*\]", chat_text), chat_text
    assert "Tools called" in chat_text
    page.screenshot(path=str(ARTIFACTS / "ui-2-chat.png"), full_page=True)

    # Click a statement: its evidence is highlighted on the tracing.
    page.get_by_role("tab", name="Statements").click()
    page.locator("#statements [role=gridcell]").first.wait_for(timeout=10_000)
    code = _table_rows(page, "statements")[0][0]
    page.locator("#statements [role=gridcell]").nth(1).click()
    if _classifier_loaded():
        _wait_status(page, f"Evidence for {code} highlighted", timeout_ms=60_000)
        names = page.evaluate("() => document.querySelector('#tracing .js-plotly-plot').data.map(t => t.name)")
        assert f"evidence: {code}" in names
        assert "strongest leads" in page.inner_text("#evidence")
    else:  # statements from measurement rules: the panel says why there is no attribution map
        _wait_status(page, f"No attribution map for {code}", timeout_ms=60_000)
        assert "not a classifier" in page.inner_text("#evidence")
    page.screenshot(path=str(ARTIFACTS / "ui-3-statement.png"), full_page=True)

    # Downloads: the report as JSON, HTML and PDF, as links in the page.
    page.get_by_role("tab", name="Report").click()
    page.click("#report-btn")
    assert "Report ready: json, html, pdf" in _wait_status(page, "Report ready", timeout_ms=120_000)
    names = "".join(page.inner_text("#report-files").split())  # the page breaks names at the dot
    assert all(f"walk72.report.{ext}" in names for ext in ("json", "html", "pdf")), names

    # A corrupt file: a clear message naming it, no traceback, and the record stays loaded.
    bad = tmp_path / "corrupt.hea"
    bad.write_bytes(b"corrupt 12 500\n\x00\xff\xfe not a header")
    page.set_input_files("#upload input[type=file]", [str(bad)])
    message = _wait_status(page, "Error")
    assert "corrupt.hea" in message and "Traceback" not in page.inner_text("body")
    assert page.evaluate("() => document.querySelector('#tracing .js-plotly-plot').data.some(t => t.name === 'V6')")
    page.screenshot(path=str(ARTIFACTS / "ui-4-error.png"), full_page=True)
    (ARTIFACTS / "ui-browser-timing.txt").write_text(f"upload_to_tracing_and_measurements_s {upload_s:.3f}\n")
    page.close()


def test_two_sessions_keep_separate_state(app_url, browser, tmp_path: Path) -> None:
    a_files = _write_record(tmp_path, "slow55", hr_bpm=55.0, seed=1)
    b_files = _write_record(tmp_path, "fast110", hr_bpm=110.0, seed=2)
    a, b = browser.new_page(), browser.new_page()
    for page in (a, b):
        page.goto(app_url)
        page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)
    a.set_input_files("#upload input[type=file]", [str(f) for f in a_files])
    _wait_status(a, "Loaded slow55")
    b.set_input_files("#upload input[type=file]", [str(f) for f in b_files])
    _wait_status(b, "Loaded fast110")
    # After b loaded, a still shows its own record and heart rate, and vice versa.
    a.locator("#measurements [role=gridcell]").first.wait_for(timeout=60_000)
    hr_a = float({r[0]: r for r in _table_rows(a, "measurements")}["Heart rate"][1])
    hr_b = float({r[0]: r for r in _table_rows(b, "measurements")}["Heart rate"][1])
    assert hr_a < 65 and hr_b > 95
    assert "slow55" in a.inner_text("#record-info") and "fast110" in b.inner_text("#record-info")
    # A view change in a redraws a's record, not b's.
    a.click("#overlays label:has-text('P/QRS/T')")
    a.wait_for_function("() => !document.querySelector('#tracing .js-plotly-plot').data.some(t => t.name === 'QRS')")
    title = a.evaluate("() => document.querySelector('#tracing .js-plotly-plot').layout.title.text")
    assert title.startswith("slow55")
    # Chat in b stays in b: a's chat is empty, b's answer carries b's heart rate.
    b.fill("#question textarea", "What is the heart rate?")
    b.click("#ask")
    b.wait_for_function("() => document.querySelector('#chat').innerText.includes('not a diagnosis')", timeout=60_000)
    assert re.search(rf"\b{round(hr_b)}\s*bpm", b.inner_text("#chat"))
    assert a.locator("#chat .message").count() == 0
    # An error in a (a corrupt upload) is a message in a only; b keeps its record and status.
    bad = tmp_path / "broken.dat"
    bad.write_bytes(b"\x00" * 10)
    a.set_input_files("#upload input[type=file]", [str(bad)])
    assert "broken.dat" in _wait_status(a, "Error")
    assert "Error" not in b.inner_text("#status") and "fast110" in b.inner_text("#record-info")
    a.close(), b.close()


def test_errors_are_messages_never_tracebacks(app_url, browser, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)
    # A question before any record.
    page.fill("#question textarea", "What is the heart rate?")
    page.click("#ask")
    assert "load a record before asking" in _wait_status(page, "Error")
    # Settings that cannot work.
    page.get_by_text("Settings (LLM backend)").click()
    page.get_by_role("radio", name="openai").check()
    page.fill("#base-url textarea", "ftp://nowhere")
    page.click("#apply")
    assert "must start with http" in _wait_status(page, "base URL")
    # A zip that tries to leave its folder.
    import zipfile

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.hea", "escape 1 500 1000\n")
    page.set_input_files("#upload input[type=file]", [str(evil)])
    message = _wait_status(page, "evil.zip")
    assert "Error" in message
    body = page.inner_text("body")
    assert "Traceback" not in body and 'File "' not in body
    page.screenshot(path=str(ARTIFACTS / "ui-5-errors.png"), full_page=True)
    page.close()


def test_follow_up_question_and_compare_with_another_ecg(app_url, browser, tmp_path: Path) -> None:
    """Multi-turn: a second question keeps the first answer above it; "Compare with another ECG"
    loads a second record (a bundled example) and answers with both records' values."""
    files = _write_record(tmp_path, "base90", hr_bpm=90.0, seed=6)
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    _wait_status(page, "Loaded base90")
    for n, q in enumerate(("What is the heart rate?", "And the QRS duration?"), start=1):
        page.fill("#question textarea", q)
        page.click("#ask")
        page.wait_for_function("(n) => (document.querySelector('#chat').innerText.match(/not a diagnosis/g) || [])"
                               ".length >= n", arg=n, timeout=60_000)
    chat_text = page.inner_text("#chat")
    assert chat_text.index("hr_bpm") < chat_text.index("qrs_ms")  # both answers, in order
    page.get_by_text("Compare with another ECG").click()
    page.fill("#compare-picker input", "example: sinus")
    page.keyboard.press("Escape")
    page.click("#compare")
    page.wait_for_function("() => (document.querySelector('#chat').innerText.match(/not a diagnosis/g) || [])"
                           ".length >= 3", timeout=60_000)
    answer = page.inner_text("#chat")[len(chat_text) - 200:]
    assert "Compare with the previous ECG (bundled example 'sinus'" in page.inner_text("#chat")
    rates = {int(x) for x in re.findall(r"(\d+) bpm", answer)}
    assert any(85 <= r <= 95 for r in rates), answer  # this record
    assert "compare" in answer  # the compare tool's fields are cited / traced
    assert "Error" not in page.inner_text("#status")
    page.screenshot(path=str(ARTIFACTS / "ui-6-compare.png"), full_page=True)
    page.close()


def test_segmentation_head_overlay_is_shaded_per_lead(app_url, browser, tmp_path: Path, monkeypatch) -> None:
    """Ticking the MedTsLLM overlay shades the head's waves on their own leads and says so.
    The head is replaced by a stand-in marking one QRS on V2 (its real output is tested in
    test_ui_app's slow test), so this checks the page's wiring in seconds."""
    from medts.ui import analysis as an
    from medts.ui.plots import WaveBox

    monkeypatch.setattr(an, "medtsllm_waves", lambda ecg: [WaveBox("QRS", 1.0, 1.12, "V2")])
    files = _write_record(tmp_path, "head60", hr_bpm=60.0, seed=9)
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("#upload input[type=file]", state="attached", timeout=60_000)
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    _wait_status(page, "Statements and overlays in")
    page.click("#overlays label:has-text('MedTsLLM')")
    assert "1 waves on 1 leads" in _wait_status(page, "segmentation head:")
    page.wait_for_function("() => document.querySelector('#overlays-note').innerText.includes('shaded per lead')")
    # _fullData holds the decoded arrays (data keeps plotly's base64 packing of numpy arrays)
    qrs_y = page.evaluate("""() => Array.from(document.querySelector('#tracing .js-plotly-plot')._fullData
                               .find(t => t.name === 'QRS').y).filter(v => v !== null && !Number.isNaN(v))""")
    v2 = -7 * 3.0  # V2 is the 8th lead, 3 mV apart
    assert qrs_y and all(v2 - 1.5 < y < v2 + 1.5 for y in qrs_y), qrs_y
    # A new record starts with the default overlays again.
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    _wait_status(page, "(load 2)")
    assert not page.is_checked("#overlays label:has-text('MedTsLLM') input")
    page.close()
