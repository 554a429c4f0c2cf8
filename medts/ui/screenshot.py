"""The README screenshot: the app in headless Chromium with a record, its tracing, measurements
and a chat answer, saved as a small PNG.

``python -m medts.ui.screenshot docs/screenshot.png`` starts the app on a free local port,
loads the bundled example (``--example sinus``), ticks the MedTsLLM segmentation head's
per-lead overlay (unless ``--no-segmentation-head``), asks ``--question`` with the app's local model
(``--scripted`` uses the agent's scripted model instead, for machines without SmolLM2), waits
for the streamed answer, and saves the page. The PNG is reduced to a 256-colour palette so it
stays well under 400 KB. Needs Playwright and Debian's Chromium (``/usr/bin/chromium``).

Example
-------
>>> from medts.ui.screenshot import take_screenshot
>>> take_screenshot("docs/screenshot.png")          # doctest: +SKIP
PosixPath('docs/screenshot.png')
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def _scripted(_settings):
    from medts.agent.backends import ScriptedChatModel

    return ScriptedChatModel(script=["Here is what the measurements show for this record."] * 50,
                             supports_tools=False)


def compress_png(path: Path, colours: int = 256) -> Path:
    """Rewrite the PNG at ``path`` with a ``colours`` palette (the page is mostly flat colour)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path


def take_screenshot(out: str | Path, *, example: str = "sinus", question: str = "What is the heart rate?",
                    scripted: bool = False, segmentation_head: bool = True, width: int = 1440, height: int = 1000,
                    timeout_s: float = 300.0) -> Path:
    """Save the app's page with ``example`` loaded (with the MedTsLLM segmentation head's
    per-lead overlay when ``segmentation_head``) and ``question`` answered to ``out`` (PNG)."""
    from playwright.sync_api import sync_playwright

    from medts.ui import chat as chat_bridge
    from medts.ui.check import free_port
    from medts.ui.server import launch

    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(f"{CHROMIUM} not found: apt-get install -y chromium")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    original = chat_bridge.CHAT_MODEL_FACTORY
    if scripted:
        chat_bridge.CHAT_MODEL_FACTORY = _scripted
    demo, url = launch(port=free_port(), block=False)
    profile = tempfile.mkdtemp(prefix="medts-chromium-")
    ms = int(timeout_s * 1000)
    try:
        chat_bridge.warm_local_model()  # the question should not wait for the weights
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                           viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("#picker input", timeout=ms)
            page.fill("#picker input", f"example: {example}")
            page.keyboard.press("Escape")
            page.click("#load")
            # the page opened on the default example (load 1); this is load 2
            page.wait_for_function("() => { const s = document.querySelector('#status')?.innerText || '';"
                                   " return s.includes('(load 2)') && s.includes('Statements and overlays in'); }",
                                   timeout=ms)
            if segmentation_head:  # the MedTsLLM head's waves, shaded per lead
                page.click("#overlays label:has-text('MedTsLLM')")
                page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('segmentation head:')",
                                       timeout=ms)
            page.fill("#question textarea", question)
            page.click("#ask")
            page.wait_for_function("() => document.querySelector('#chat')?.innerText.includes('not a diagnosis')",
                                   timeout=ms)
            page.mouse.move(0, 0)  # no hover label on the tracing
            page.wait_for_timeout(500)
            page.screenshot(path=str(out), full_page=True)
            context.close()
    finally:
        demo.close()
        chat_bridge.CHAT_MODEL_FACTORY = original
        shutil.rmtree(profile, ignore_errors=True)
    return compress_png(out)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m medts.ui.screenshot", description=__doc__.split("\n\n")[0])
    p.add_argument("out", nargs="?", default="docs/screenshot.png", help="PNG to write")
    p.add_argument("--example", default="sinus", help="bundled example to load")
    p.add_argument("--question", default="What is the heart rate?", help="question to ask")
    p.add_argument("--scripted", action="store_true", help="use the agent's scripted model, not SmolLM2")
    p.add_argument("--no-segmentation-head", action="store_true",
                   help="show the fused P/QRS/T delineation instead of the MedTsLLM head's per-lead waves")
    args = p.parse_args(argv)
    path = take_screenshot(args.out, example=args.example, question=args.question, scripted=args.scripted,
                           segmentation_head=not args.no_segmentation_head)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
