"""The app in a real browser: Playwright driving Debian's Chromium, headless.

Part of the default run (``make test`` installs Chromium); ``pytest -m browser`` runs only these.
Skips with a reason when Chromium (``apt-get install chromium``) or Playwright (``pip install
playwright``; never ``playwright install``) is missing.

One test per item of the app's brief (issue 18), each checked as a user meets it:

1. the first page opens on the bundled example on ECG paper (3 x 4 + lead II rhythm strip, 1 mm /
   5 mm grid, calibration pulses) without a click; zoom; calipers read ms and mV; the stacked view;
2. overlays where their data says: P/QRS/T on every lead at their times including the first and
   last beats, pooled premature beats on every lead, a selected statement's evidence;
3. the engine's verdict above the tracing, statements asserted/withheld with reasons (an AF
   record shows NORM withheld, never beside AFIB), measurement cells that fit their columns, the
   tool trace as one line per call, expandable;
4. upload -> tracing and measurements, and no server path anywhere (errors, report files);
5. serial comparison: side-by-side tracings and a table of changes.

Screenshots (small palette PNGs) go to ``test-artifacts/``, or with ``MEDTS_DOCS_SCREENSHOTS=1``
to ``docs/`` for the README (a plain test run leaves the tracked files alone); timings, each
with the load average beside it (the machine is shared), to ``test-artifacts/ui-browser-timing.txt``.

The app runs in this process on a free local port. The chat uses the real agent (tools,
planner, grounding, citations) with the agent's scripted chat model in place of SmolLM2, so the
test takes seconds; ``medts bench ui`` times the real local model.
"""

from __future__ import annotations

import json
import os
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
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ROOT / ("docs" if os.environ.get("MEDTS_DOCS_SCREENSHOTS") else "test-artifacts")
PLOT = "#tracing .js-plotly-plot"
TIMINGS: list[str] = []


def _require_browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed: pip install playwright (no 'playwright install' needed)")
    return sync_playwright


def _timing(name: str, seconds: float) -> None:
    """Record a timing with the 1-minute load average beside it (other jobs share the CPUs)."""
    TIMINGS.append(f"{name} {seconds:.3f} s  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-browser-timing.txt").write_text("\n".join(TIMINGS) + "\n")


def _shot(page, name: str, selector: str | None = None) -> None:
    """A screenshot (palette PNG, small) of the page or of one element, for the README (see module doc)."""
    from medts.ui.screenshot import compress_png

    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / name
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    compress_png(path)


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
    demo, url = launch(port=free_port(), block=False, llm_delay_s=None)
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
                                                       viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _wait_status(page, text: str, timeout_ms: int = 90_000) -> str:
    page.wait_for_function("(t) => document.querySelector('#status')?.innerText.includes(t)", arg=text,
                           timeout=timeout_ms)
    return page.inner_text("#status")


def _wait_record(page, record_id: str, timeout_ms: int = 120_000) -> None:
    """Until the tracing shows ``record_id`` and the statements step finished."""
    page.wait_for_function(
        """(rid) => { const p = document.querySelector('#tracing .js-plotly-plot');
                      return p && p.layout && p.layout.title.text.startsWith(rid)
                        && document.querySelector('#status')?.innerText.includes('Statements and overlays in'); }""",
        arg=record_id, timeout=timeout_ms)


def _wait_status_chat_done(page) -> None:
    """Until the chat's last update arrived (the question box is enabled again, nothing pending)."""
    page.wait_for_function("() => !document.querySelector('#chat .pending, #chat .generating')", timeout=60_000)
    time.sleep(0.5)  # the final re-render of the message list


def _table_rows(page, elem_id: str) -> list[list[str]]:
    # Gradio's dataframe renders a virtual table of div rows/cells (plus a hidden <table> for sizing).
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll('#' + id + ' [role=row].virtual-row'))
               .map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.textContent.trim()))""", elem_id)


def _traces(page) -> list[dict]:
    """Name, rhythm flag and box count (overlays) of every trace of the tracing (decoded data)."""
    return page.evaluate(f"""() => document.querySelector('{PLOT}')._fullData.map(t => ({{
        name: t.name, rhythm: !!(t.meta && t.meta.rhythm), mode: t.mode, fill: t.fill,
        x: t.fill === 'toself' ? Array.from(t.x).filter(v => v !== null && !Number.isNaN(v)) : null}}))""")


def _boxes(trace: dict) -> np.ndarray:
    """``[n, 2]`` (x0, x1) mm of a filled overlay trace (each rectangle: 5 finite x values)."""
    x = np.asarray(trace["x"], float).reshape(-1, 5)
    return np.column_stack([x.min(1), x.max(1)])


def _open(browser, app_url):
    page = browser.new_page()
    t0 = time.perf_counter()
    page.goto(app_url)
    _wait_record(page, "sinus")  # the bundled example, without a click
    return page, time.perf_counter() - t0


def test_first_page_shows_the_example_on_ecg_paper_zoom_calipers_and_stacked_view(app_url, browser) -> None:
    page, seconds = _open(browser, app_url)
    _timing("first page -> example's tracing, statements and verdict (no click)", seconds)
    assert "Sinus rhythm" in page.inner_text("#verdict")
    lines = [t for t in _traces(page) if t["mode"] == "lines" and not t["name"].startswith("calibration")]
    assert [t["name"] for t in lines] == ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6", "II"]
    assert lines[-1]["rhythm"] and not any(t["rhythm"] for t in lines[:-1])
    layout = page.evaluate(f"() => {{ const l = document.querySelector('{PLOT}')._fullLayout; return {{"
                           "xd: l.xaxis.dtick, xm: l.xaxis.minor.dtick, yd: l.yaxis.dtick, anchor: l.yaxis.scaleanchor,"
                           "xr: l.xaxis.range, title: l.xaxis.title.text, labels: l.annotations.map(a => a.text)}; }")
    assert (layout["xd"], layout["xm"], layout["yd"], layout["anchor"]) == (5, 1, 5, "x")
    assert "25 mm/s" in layout["title"] and "<b>II (rhythm)</b>" in layout["labels"]
    assert any(t["name"] == "calibration 1 mV" for t in _traces(page))
    _shot(page, "ui-3x4.png")

    # Calipers: two clicks 25 mm apart on the rhythm strip read 1000 ms (one sample is 2 ms).
    pts = page.evaluate(f"""() => {{ const gd = document.querySelector('{PLOT}');
        const t = gd._fullData.find(t => t.meta && t.meta.rhythm);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const r = gd.querySelector('.draglayer .nsewdrag').getBoundingClientRect();
        return [1000, 1500].map(i => [r.left + xa.l2p(t.x0 + t.dx * i), r.top + ya.l2p(t.y[i]), t.y[i]]); }}""")
    for x, y, _ in pts:
        page.mouse.click(x, y)
        time.sleep(0.3)
    page.wait_for_function("() => document.querySelector('#caliper').innerText.includes(' ms,')")
    text = page.inner_text("#caliper")
    ms, mv = re.search(r"(\d+) ms, ([+-]\d+\.\d+) mV", text).groups()
    assert abs(int(ms) - 1000) <= 20, text
    assert abs(float(mv) - (pts[1][2] - pts[0][2]) / 10.0) <= 0.1, text
    _shot(page, "ui-calipers.png", "#tracing")

    # Zoom: a drag over part of the paper narrows the shown range (both axes: square millimetres).
    box = page.locator(f"{PLOT} .draglayer .nsewdrag").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.95, steps=5)
    page.mouse.up()
    page.wait_for_function(f"() => {{ const r = document.querySelector('{PLOT}')._fullLayout.xaxis.range;"
                           " return r[1] - r[0] < 150; }")

    # The stacked view: one full-width strip per lead.
    page.get_by_label("stacked leads").check()
    page.wait_for_function(f"() => !document.querySelector('{PLOT}')._fullLayout.annotations"
                           ".some(a => a.text.includes('rhythm'))")
    lines = [t for t in _traces(page) if t["mode"] == "lines" and not t["name"].startswith("calibration")]
    assert [t["name"] for t in lines] == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    page.close()


def test_af_example_statements_reconciled_and_every_overlay_in_place(app_url, browser) -> None:
    page, _ = _open(browser, app_url)
    page.fill("#picker input", "example: afib")
    page.keyboard.press("Escape")
    page.click("#load")
    _wait_record(page, "afib")
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Verdict (draft): Atrial fibrillation"), verdict
    page.get_by_role("tab", name="Statements").click()
    page.locator("#statements [role=gridcell]").first.wait_for(timeout=10_000)
    rows = {r[0]: r for r in _table_rows(page, "statements")}
    assert rows["AFIB"][2] == "asserted" and "irregular" in rows["AFIB"][3]
    assert "NORM" not in rows or (rows["NORM"][2] == "withheld" and "AFIB" in rows["NORM"][3])
    assert "NORM" not in verdict.split("Statements asserted:")[1].split(";")[0]

    traces = {t["name"]: t for t in _traces(page) if t["fill"] == "toself"}
    # P/QRS/T: fused fiducials on every segment at their times, the first and last beats included
    qrs = _boxes(traces["QRS"])
    rhythm_x = page.evaluate(f"""() => {{ const t = document.querySelector('{PLOT}')._fullData
                                  .find(t => t.meta && t.meta.rhythm); return [t.x0, t.x0 + t.dx * (t.y.length - 1)]; }}""")
    assert qrs[:, 0].min() < rhythm_x[0] + 0.6 * 25  # a QRS within the first 0.6 s
    assert qrs[:, 1].max() > rhythm_x[1] - 0.9 * 25  # and one within the last 0.9 s
    # premature beats pooled over "usable leads": drawn on every lead at their time (3 column rows + rhythm)
    note = page.inner_text("#overlays-note")
    n_premature = int(re.search(r"(\d+) premature beat", note).group(1))
    assert n_premature > 0 and "drawn on every lead" in note
    assert 4 * n_premature <= len(_boxes(traces["premature beat"])) <= 5 * n_premature

    # A statement's evidence: AFIB is defined by the measured rhythm, highlighted over lead II.
    row = [r[0] for r in _table_rows(page, "statements")].index("AFIB")
    page.locator("#statements [role=row].virtual-row").nth(row).locator("[role=gridcell]").nth(1).click()
    _wait_status(page, "Evidence for AFIB highlighted")
    assert "evidence: AFIB" in {t["name"] for t in _traces(page)}
    assert "irregular" in page.inner_text("#evidence")
    _shot(page, "ui-af-tracing.png", "#tracing")
    _shot(page, "ui-af-statements.png", "#statements")
    page.close()


def test_upload_measurements_fit_tool_trace_and_no_server_paths(app_url, browser, tmp_path: Path) -> None:
    files = _write_record(tmp_path, "walk72", hr_bpm=72.0, seed=5)
    page, _ = _open(browser, app_url)
    page.wait_for_selector("#upload input[type=file]", state="attached")
    t0 = time.perf_counter()
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    page.wait_for_function(f"""() => {{ const p = document.querySelector('{PLOT}');
        return p && p.layout && p.layout.title.text.startsWith('walk72')
          && document.querySelector('#status').innerText.includes('Loaded walk72')
          && document.querySelector('#measurements [role=gridcell]'); }}""", timeout=60_000)
    _timing("upload -> tracing + measurements", time.perf_counter() - t0)
    rows = {r[0]: r for r in _table_rows(page, "measurements")}
    assert 67 <= float(rows["Heart rate"][1]) <= 77 and rows["Heart rate"][4] == "normal"
    # every column, the flag included, lies inside the table's box (no cell pushes them off screen)
    overflow = page.evaluate("""() => { const t = document.querySelector('#measurements');
        const right = t.getBoundingClientRect().right;
        return Array.from(t.querySelectorAll('[role=columnheader], [role=gridcell]'))
          .filter(c => c.getClientRects().length && c.getBoundingClientRect().right > right + 1).length; }""")
    assert overflow == 0

    # The chat: one line per tool call, each expandable to its JSON.
    _wait_status(page, "Statements and overlays in")
    t0 = time.perf_counter()
    page.fill("#question textarea", "What is the heart rate?")
    page.click("#ask")
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('not a diagnosis')",
                           timeout=90_000)
    _timing("question -> first answer complete (scripted chat model, real tools)", time.perf_counter() - t0)
    assert re.search(r"\b7\d\s*bpm", page.inner_text("#chat"))
    _wait_status_chat_done(page)
    page.get_by_text("Tools called").first.click()
    summaries = page.locator("#chat details.tool-call summary")
    summaries.first.wait_for(timeout=10_000)
    lines = summaries.all_inner_texts()
    assert lines and all("{" not in line and "(" in line for line in lines), lines
    assert any(line.startswith("measurements(") and "hr_bpm" in line for line in lines), lines
    time.sleep(0.8)  # the accordion's opening animation
    _shot(page, "ui-chat.png", "#chat")
    summaries.first.click()
    page.wait_for_function("() => document.querySelector('#chat details.tool-call[open] code')")

    # The report files: the record's source by name, never the server's temporary path.
    page.get_by_role("tab", name="Report").click()
    page.click("#report-btn")
    _wait_status(page, "Report ready", timeout_ms=180_000)
    href = page.locator("#report-files a[href*='.json']").first.get_attribute("href")
    report = json.loads(page.evaluate("(h) => fetch(h).then(r => r.text())", href))
    assert report["record"]["source"] == "walk72.hea"

    # A corrupt file: a message naming it, no traceback, no server path; the record stays.
    bad = tmp_path / "corrupt.hea"
    bad.write_bytes(b"corrupt 12 500\n\x00\xff\xfe not a header")
    page.set_input_files("#upload input[type=file]", [str(bad)])
    message = _wait_status(page, "Error")
    body = page.inner_text("body")
    assert "corrupt.hea" in message and "Traceback" not in body
    assert str(tmp_path) not in body and tempfile.gettempdir() + "/" not in message
    assert page.evaluate(f"() => document.querySelector('{PLOT}').layout.title.text.startsWith('walk72')")
    page.close()


def test_serial_comparison_side_by_side_with_a_table_of_changes(app_url, browser) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page, _ = _open(browser, app_url)  # current: the sinus example (68 bpm)
    page.get_by_text("Compare with another ECG").click()
    page.fill("#compare-picker input", "example: afib")
    page.keyboard.press("Escape")
    page.click("#compare")
    try:
        page.wait_for_function("() => document.querySelector('#changes [role=gridcell]')"
                               " || document.querySelector('#status').innerText.includes('Error')",
                               timeout=180_000)
    except PlaywrightTimeout:  # say what the page shows instead of a bare timeout
        raise AssertionError(f"status: {page.inner_text('#status')!r}; comparison: {page.inner_text('#comparison')[:300]!r}")
    assert "Error" not in page.inner_text("#status"), page.inner_text("#status")
    for elem in ("compare-previous", "compare-current"):
        page.wait_for_function(f"() => document.querySelector('#{elem} .js-plotly-plot')?._fullData", timeout=30_000)
        names = page.evaluate(f"() => document.querySelector('#{elem} .js-plotly-plot')._fullData.map(t => t.name)")
        assert {"I", "V6", "calibration 1 mV"} <= set(names)
    rows = {r[0]: r for r in _table_rows(page, "changes")}
    before, after, change = (float(c.split()[0]) for c in rows["Heart rate"][1:4])
    assert before > 95 and 60 < after < 75 and change == pytest.approx(after - before, abs=1.5)
    assert any(name.startswith("statements") for name in rows)  # what the compare tool says changed
    page.wait_for_function("() => (document.querySelector('#chat').innerText.match(/not a diagnosis/g) || [])"
                           ".length >= 1", timeout=90_000)
    _shot(page, "ui-compare.png", "#comparison")
    assert "Error" not in page.inner_text("#status")
    page.close()


def test_two_sessions_keep_separate_state(app_url, browser, tmp_path: Path) -> None:
    a_files = _write_record(tmp_path, "slow55", hr_bpm=55.0, seed=1)
    b_files = _write_record(tmp_path, "fast110", hr_bpm=110.0, seed=2)
    (a, _), (b, _) = _open(browser, app_url), _open(browser, app_url)
    a.set_input_files("#upload input[type=file]", [str(f) for f in a_files])
    _wait_record(a, "slow55")
    b.set_input_files("#upload input[type=file]", [str(f) for f in b_files])
    _wait_record(b, "fast110")
    hr_a = float({r[0]: r for r in _table_rows(a, "measurements")}["Heart rate"][1])
    hr_b = float({r[0]: r for r in _table_rows(b, "measurements")}["Heart rate"][1])
    assert hr_a < 65 and hr_b > 95
    assert "slow55" in a.inner_text("#record-info") and "fast110" in b.inner_text("#record-info")
    # A view change in a redraws a's record, not b's.
    a.click("#overlays label:has-text('P/QRS/T')")
    a.wait_for_function(f"() => !document.querySelector('{PLOT}').data.some(t => t.name === 'QRS')")
    assert a.evaluate(f"() => document.querySelector('{PLOT}').layout.title.text").startswith("slow55")
    assert b.evaluate(f"() => document.querySelector('{PLOT}').data.some(t => t.name === 'QRS')")
    # An error in a is a message in a only.
    bad = tmp_path / "broken.dat"
    bad.write_bytes(b"\x00" * 10)
    a.set_input_files("#upload input[type=file]", [str(bad)])
    assert "broken.dat" in _wait_status(a, "Error")
    assert "Error" not in b.inner_text("#status") and "fast110" in b.inner_text("#record-info")
    a.close(), b.close()


def test_errors_are_messages_never_tracebacks(app_url, browser, tmp_path: Path) -> None:
    page, _ = _open(browser, app_url)
    page.get_by_text("Settings (LLM backend)").click()
    page.get_by_role("radio", name="openai").check()
    page.fill("#base-url textarea", "ftp://nowhere")
    page.click("#apply")
    assert "must start with http" in _wait_status(page, "base URL")
    import zipfile

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.hea", "escape 1 500 1000\n")
    page.set_input_files("#upload input[type=file]", [str(evil)])
    message = _wait_status(page, "evil.zip")
    assert "Error" in message
    body = page.inner_text("body")
    assert "Traceback" not in body and 'File "' not in body and str(tmp_path) not in body
    page.close()


def test_segmentation_head_overlay_is_shaded_on_its_own_lead(app_url, browser, monkeypatch) -> None:
    """The MedTsLLM overlay shades the head's waves on their own leads: a QRS on V2 at 5.2 s lands
    in V2's column of the 3 x 4 grid (5-7.5 s) only. The head is replaced by that one wave here (its
    real output is tested in test_ui_app's slow test), so this checks the page's wiring in seconds."""
    from medts.ui import analysis as an
    from medts.ui.plots import WaveBox

    monkeypatch.setattr(an, "medtsllm_waves", lambda ecg: [WaveBox("QRS", 5.2, 5.32, "V2")])
    page, _ = _open(browser, app_url)
    page.click("#overlays label:has-text('MedTsLLM')")
    assert "1 waves on 1 leads" in _wait_status(page, "segmentation head:")
    page.wait_for_function("() => document.querySelector('#overlays-note').innerText.includes('shaded per lead')")
    qrs = _boxes(next(t for t in _traces(page) if t["name"] == "QRS"))
    assert len(qrs) == 1 and qrs[0, 0] == pytest.approx(10 + 5.2 * 25, abs=0.1)
    page.close()
