"""Serving the app: host/port, authentication, upload limit, and the ``python app.py`` CLI.

Binds to 127.0.0.1 unless told otherwise; ``share`` is always off (no public tunnel). For a
server, set a password with ``--auth user:password`` or ``$MEDTS_UI_AUTH`` (``user:password``,
several separated by commas). Gradio's analytics are switched off before it is imported, so
the app makes no outbound connection.

Example
-------
>>> from medts.ui.server import parse_auth
>>> parse_auth("ann:secret,bob:pw")
[('ann', 'secret'), ('bob', 'pw')]
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Sequence

from medts.errors import MedtsError

log = logging.getLogger("medts.ui")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_EXAMPLE = "example: sinus"
"""The record a page opens on when nothing else is asked for: the app is never blank."""


def parse_auth(text: str | None) -> list[tuple[str, str]] | None:
    """``"user:pw[,user2:pw2]"`` -> credential pairs; ``None`` for no authentication."""
    if not text:
        return None
    pairs = []
    for item in text.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise MedtsError("authentication must be given as user:password (comma-separated for several)")
        pairs.append((user, password))
    return pairs


def quiet_gradio() -> None:
    """No telemetry, no update checks: the app must run offline."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


LLM_WARMUP_DELAY_S = 20.0
"""Longest wait, after the report pipeline is warm, before the background LLM load starts when
no record has been shown yet (a record shown earlier starts it at once)."""


def warm_up(*, llm_delay_s: float | None = LLM_WARMUP_DELAY_S, initial: str | None = None) -> threading.Thread:
    """Warm up in the background at start-up, in the order a user needs things: NeuroKit2 and
    SciPy (the tracing and measurements), the report pipeline and classifier weights (statements),
    the patterns that read a question (:func:`medts.agent.session.warm_question_reading`), then,
    once the first record is on screen (:data:`medts.ui.chat.RECORD_SHOWN`) or after ``llm_delay_s``
    seconds, the local LLM (chat). So the first tracing never waits for the LLM,
    and the first question only waits if it comes before the LLM finished loading. ``initial``
    (a record choice such as ``"example: sinus"``) is the record measured first, so a page that
    opens on it shows its tracing without measuring it again. ``llm_delay_s=None``: no LLM
    warm-up (the first question loads it)."""

    def run() -> None:
        from medts.ui import chat as chat_bridge
        from medts.ui.analysis import quick_sections, report_builder

        def measure_once() -> None:  # imports NeuroKit2/SciPy and fills their caches
            from medts.examples import example_path
            from medts.ui.analysis import EXAMPLE_PREFIX, bundled_example

            name = initial[len(EXAMPLE_PREFIX):] if initial and initial.startswith(EXAMPLE_PREFIX) else "sinus"
            quick_sections(bundled_example(example_path(name)))

        def load_llm() -> None:
            if llm_delay_s is None:
                return
            chat_bridge.RECORD_SHOWN.wait(timeout=llm_delay_s)
            chat_bridge.warm_local_model()

        from medts.agent.session import warm_question_reading

        for step in (measure_once, report_builder, chat_bridge.shared_classifiers, warm_question_reading, load_llm):
            try:
                step()
            except Exception:  # a failure shows later, in the panel that needs it
                log.debug("warm-up step %s failed", step.__name__, exc_info=True)

    global WARMUP
    thread = threading.Thread(target=run, name="medts-ui-warmup", daemon=True)
    thread.start()
    WARMUP = thread
    return thread


WARMUP: threading.Thread | None = None
"""The latest start-up warm-up thread (benchmarks wait for it before timing)."""


def launch(*, host: str = DEFAULT_HOST, port: int | None = DEFAULT_PORT, auth: str | None = None,
           initial: str | None = None, open_browser: bool = False, block: bool = True,
           max_upload_mb: float = 100.0, llm_delay_s: float | None = LLM_WARMUP_DELAY_S):
    """Build and serve the app; returns ``(demo, url)`` when ``block`` is false."""
    quiet_gradio()
    initial = initial or DEFAULT_EXAMPLE
    from medts.ui.app import CSS, build_app
    from medts.ui.plots import CALIPER_JS

    max_bytes = int(max_upload_mb * 1024**2)
    demo = build_app(initial=initial, max_upload_bytes=max_bytes)
    demo.queue(default_concurrency_limit=4)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=False, auth=parse_auth(auth or os.environ.get("MEDTS_UI_AUTH")),
        inbrowser=open_browser, prevent_thread_lock=True, show_error=False, max_file_size=max_bytes,
        ssr_mode=False, quiet=True, css=CSS, head=CALIPER_JS, footer_links=[],
    )
    # The warm-up starts once the page is served: its imports (NeuroKit2, torch) would otherwise
    # compete with Gradio's for the interpreter and delay the first page.
    warm_up(llm_delay_s=llm_delay_s, initial=initial)
    if block:
        demo.block_thread()
    return demo, url


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="app.py", description="medts: chat with an ECG (Gradio app)")
    p.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 7860)")
    p.add_argument("--auth", default=None, help="user:password for login (or $MEDTS_UI_AUTH)")
    p.add_argument("--example", default=None, help="bundled example to open, e.g. sinus")
    p.add_argument("--max-upload-mb", type=float, default=100.0, help="upload size limit in MB")
    p.add_argument("--open-browser", action="store_true", help="open a browser tab")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """``python app.py [--host H] [--port P] [--auth user:pw] [--example sinus]``."""
    from medts.config import silence_library_warnings
    from medts.heap import bound_heap

    silence_library_warnings()
    args = parser().parse_args(argv)
    bound_heap()  # the app holds the local LLM too (medts.heap says why)
    if args.host not in ("127.0.0.1", "localhost") and not (args.auth or os.environ.get("MEDTS_UI_AUTH")):
        print(f"warning: serving on {args.host} without --auth; anyone who can reach it can use it")
    launch(host=args.host, port=args.port, auth=args.auth, open_browser=args.open_browser,
           initial=f"example: {args.example}" if args.example else None, max_upload_mb=args.max_upload_mb)
