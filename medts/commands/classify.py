"""``medts classify PATH... [--json]``: PTB-XL statements for ECG files, with probabilities.

Each PATH may be a file, a folder (searched recursively) or a glob. Records are put in the
12-lead order (missing leads zeroed and named in the output), resampled to the model rate, and
scored by the shipped classifier (``adapters/classifier-superdiagnostic`` by default; choose
another with ``--level`` or ``--adapter``). A file that cannot be read gives a one-line error and
the batch goes on (exit code 1 at the end). With ``--json`` exactly one JSON document (a list in
input order of :class:`~medts.classify.predict.ClassifierPrediction` or ``{"source", "error"}``)
goes to stdout. Outputs are drafts for clinician review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from medts.errors import MedtsError


def classify(
    paths: Annotated[list[str], typer.Argument(help="ECG files, folders (recursive) or glob patterns.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
    level: Annotated[str, typer.Option("--level", help="Which shipped classifier: a PTB-XL label level.")] = "superdiagnostic",
    adapter: Annotated[Path | None, typer.Option("--adapter", help="Classifier folder (overrides --level).")] = None,
    fs: Annotated[float | None, typer.Option("--fs", help="Sampling rate in Hz for formats without one (csv, npy).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every statement, not only those present.")] = False,
) -> None:
    """Classify ECG records into PTB-XL statements (drafts for clinician review)."""
    from medts.classify.predict import Classifier, default_adapter_dir
    from medts.io import read_record

    folder = adapter or default_adapter_dir(level)
    clf = Classifier.load(folder)
    results, failed = [], False
    for source, path, error in _expand(paths):
        if path is not None:
            try:
                prediction = clf.predict(read_record(path, fs=fs))
            except MedtsError as exc:
                error = str(exc)
        if error is not None or path is None:
            failed = True
            typer.echo(f"error: {error}", err=True)
            results.append({"source": source, "error": error})
            continue
        if json_output:
            results.append(prediction.model_dump(mode="json"))
        else:
            _print(prediction, show_all)
    if json_output:
        typer.echo(json.dumps(results, indent=2))
    if failed:
        raise typer.Exit(1)


def _expand(paths: list[str]) -> list[tuple[str, Path | None, str | None]]:
    """``(source, record_path, error)`` per record, in input order (folders and globs expanded)."""
    from medts.io import find_records

    out: list[tuple[str, Path | None, str | None]] = []
    for text in paths:
        try:
            out.extend((str(p), p, None) for p in find_records(text))
        except MedtsError as error:
            out.append((text, None, str(error)))
    return out


def _print(prediction, show_all: bool) -> None:
    typer.echo(f"{prediction.record_id} ({prediction.source}) - {prediction.model}")
    for note in prediction.notes:
        typer.echo(f"  note: {note}")
    rows = prediction.statements if show_all else [s for s in prediction.statements if s.present]
    for s in sorted(rows, key=lambda s: -s.probability):
        mark = "present" if s.present else "absent "
        typer.echo(f"  {mark} {s.code:<6} p={s.probability:.3f} (threshold {s.threshold:.3f})  {s.description or ''}")
    if not rows:
        typer.echo("  no statement above its threshold")
    typer.echo(f"  {prediction.disclaimer}")


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
