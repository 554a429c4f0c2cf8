"""Writing benchmark results: one JSON and one Markdown file per benchmark under ``eval/results/``.

Every JSON carries the benchmark name, the exact command, the git commit, the date, the data
used, the metrics, the baselines run beside them and the machine, so a number in the README
can always be traced back to the run that produced it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from medts.config import PROJECT_ROOT
from medts.serialization import json_default


def results_dir() -> Path:
    """``$MEDTS_RESULTS`` or ``eval/results`` in the checkout."""
    path = Path(os.environ.get("MEDTS_RESULTS", PROJECT_ROOT / "eval" / "results"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def git_commit() -> str | None:
    """The checkout's HEAD commit (with ``+dirty`` when there are uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def machine_info() -> dict[str, Any]:
    """CPU count, torch threads and GPU (if any) of the machine running the benchmark."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:  # pragma: no cover - torch is a dependency
        info["gpu"] = None
    return info


def command_line() -> str:
    """The command as the user typed it (best effort)."""
    argv0 = Path(sys.argv[0]).name
    return " ".join([argv0, *sys.argv[1:]])


def write_results(
    name: str,
    *,
    command: str | None = None,
    data: dict[str, Any],
    metrics: dict[str, Any],
    baselines: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    markdown_tables: list[str] | None = None,
) -> tuple[Path, Path]:
    """Write ``eval/results/<name>.json`` and ``<name>.md``; return both paths.

    Parameters
    ----------
    name : str
        Benchmark name, e.g. ``"io"`` or ``"delineation"``.
    command : str, optional
        The exact command that reproduces the run; defaults to this process's command line.
    data : dict
        Datasets, record lists, folds and any records used for tuning.
    metrics : dict
        The figures (JSON-serialisable).
    baselines : dict, optional
        Figures of the baselines run in the same process (NeuroKit2, a naive prior, ...).
    notes : list of str, optional
        Evaluation rules and caveats, written into both files.
    markdown_tables : list of str, optional
        Ready-made Markdown tables for the ``.md`` file (the JSON is always complete).
    """
    out = results_dir()
    record = {
        "benchmark": name,
        "command": command or command_line(),
        "git_commit": git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "data": data,
        "metrics": metrics,
        "baselines": baselines or {},
        "notes": notes or [],
    }
    json_path = out / f"{name}.json"
    md_path = out / f"{name}.md"
    _atomic_write(json_path, json.dumps(record, indent=2, default=json_default) + "\n")
    lines = [
        f"# Benchmark: {name}",
        "",
        f"- command: `{record['command']}`",
        f"- commit: `{record['git_commit']}`",
        f"- date: {record['date']}",
        f"- machine: {record['machine']['cpu_count']} CPU(s), GPU: {record['machine'].get('gpu') or 'none'}",
        "",
    ]
    for table in markdown_tables or []:
        lines += [table.rstrip(), ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    _atomic_write(md_path, "\n".join(lines))
    return json_path, md_path


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table; floats are printed with 4 significant digits."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
