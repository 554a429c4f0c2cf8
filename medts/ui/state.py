"""Per-browser-session state of the app.

Gradio keeps one :class:`SessionState` per browser tab (``gr.State``), so two clinicians using
one server never see each other's record, chat or downloads. Heavy shared things (classifier
weights, the LLM) are process-wide caches elsewhere; a session only holds what belongs to its
record. Uploads and rendered downloads go to a private temporary folder per session, removed
when the session ends (``gr.State``'s ``delete_callback``) or a new record replaces them.

Example
-------
>>> from medts.ui.state import SessionState
>>> a, b = SessionState.new(), SessionState.new()
>>> a.session_id != b.session_id and a.ecg is None
True
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medts.record import ECG


@dataclass
class View:
    """What part of the tracing is shown and which overlays."""

    layout: str = "3x4 + rhythm strip"  # or "stacked leads" (medts.ui.plots.VIEWS)
    leads: list[str] | None = None
    start_s: float = 0.0
    window_s: float | None = 10.0
    show_waves: bool = True
    show_anomalies: bool = True
    show_medtsllm: bool = False  # the MedTsLLM segmentation head's waves (computed when ticked)


@dataclass
class ChatSettings:
    """LLM backend chosen in the Settings panel (passed to the agent when a session is made)."""

    backend: str = "local"  # "local" (SmolLM2), "hf" (local HF folder) or "openai" (compatible URL)
    model_path: str = ""
    base_url: str = ""
    model_name: str = ""
    mode: str = "auto"  # "auto", "native" or "plan"


@dataclass
class SessionState:
    """Everything one browser session owns."""

    session_id: str
    ecg: ECG | None = None
    label: str = ""
    analysis: Any = None  # medts.ui.analysis.Analysis
    evidence: Any = None  # medts.ui.analysis.Evidence of the clicked statement
    compare_ecg: ECG | None = None
    compare_label: str = ""
    chat: Any = None  # the medts.agent session for this record
    token_counter: Any = None  # counts the tokens its chat model streams (progress in the chat)
    messages: list[dict] = field(default_factory=list)
    settings: ChatSettings = field(default_factory=ChatSettings)
    view: View = field(default_factory=View)
    workdir: Path | None = None
    loads: int = 0  # records opened in this session (shown in the status line)
    status_line: str = ""  # "Loaded ... (load n)." of the current record, kept by later steps

    @classmethod
    def new(cls) -> SessionState:
        return cls(session_id=uuid.uuid4().hex[:12])

    def fresh_dir(self, purpose: str) -> Path:
        """A new empty folder under this session's private temporary folder."""
        if self.workdir is None or not self.workdir.is_dir():
            from medts.ui.uploads import remove_at_exit

            self.workdir = Path(tempfile.mkdtemp(prefix=f"medts-ui-{self.session_id}-"))
            remove_at_exit(self.workdir)  # a server stopped before the session ends leaves nothing
        path = Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=self.workdir))
        return path

    def set_record(self, ecg: ECG, label: str) -> None:
        """Switch to a new record: analysis, highlight, chat and view start over."""
        self.ecg, self.label = ecg, label
        self.loads += 1
        self.analysis = self.evidence = self.chat = self.token_counter = None
        self.messages = []
        self.view = View(leads=None, start_s=0.0, window_s=min(10.0, ecg.duration_s))

    def cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def ensure(state: SessionState | None) -> SessionState:
    """The session's state, creating it on the first event of a new browser session."""
    return state if isinstance(state, SessionState) else SessionState.new()
