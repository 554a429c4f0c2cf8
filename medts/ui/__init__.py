"""The medts web app (Gradio): load an ECG, see the tracing and findings, chat, download the report.

:func:`build_app` makes the ``gr.Blocks``; :func:`launch` serves it (127.0.0.1 by default, never
a public share link, optional password); :func:`main` is the ``python app.py`` entry point.
Modules: :mod:`~medts.ui.app` (layout and handlers), :mod:`~medts.ui.plots` (ECG paper),
:mod:`~medts.ui.analysis` (report sections as panels), :mod:`~medts.ui.chat` (agent bridge),
:mod:`~medts.ui.state` (per-session state), :mod:`~medts.ui.uploads` (safe uploads).
"""

from __future__ import annotations

from medts.ui.server import launch, main, parse_auth

__all__ = ["build_app", "launch", "main", "parse_auth"]


def build_app(*args, **kwargs):
    """Lazy forwarder so ``import medts.ui`` does not import Gradio."""
    from medts.ui.app import build_app as _build

    return _build(*args, **kwargs)
