"""``medts classify PATH... [--json]``: PTB-XL statements for ECG files, with probabilities.

Each PATH may be a file, a folder (searched recursively) or a glob. Records are put in the
12-lead order (missing leads zeroed and named in the output), resampled to the model rate, and
scored by the shipped classifier (``adapters/classifier-superdiagnostic`` by default; choose
another with ``--level`` or ``--adapter``). The diagnostic, form and rhythm levels are served by the
all-statement classifier restricted to their statements; a level no shipped adapter serves is refused
(exit 2) with the list of levels that are. Each statement lists the leads it needs; one above its
threshold that needs a lead the record lacks (missing or flat) is withheld with the reason. At the
superdiagnostic level a record lacking a standard lead (missing or flat) is scored by the reduced-lead
adapter ``adapters/classifier-superdiagnostic-reduced`` (trained with lead dropout) instead of being
zero-filled into the 12-lead model; the output names the model and the leads present
(:func:`medts.classify.predict.load_classifier`). Records with all 12 leads at the all-statement and superdiagnostic
levels (and the levels derived from the all-statement one) are scored by the CNN and the shipped late-fusion head
together (``adapters/classifier-<level>-hybrid``, :mod:`medts.classify.fusion`): the output says ``scored by: CNN +
measurements (late fusion)`` and keeps the CNN's own probability beside each fused one. A file
that cannot be read gives a one-line error and the batch goes on (exit code 2 at the end; see :mod:`medts.cli_inputs`). Name generic leads
(``ECG1``, one unnamed lead) with ``--leads``. With ``--json`` exactly one JSON document (a list in
input order of :class:`~medts.classify.predict.ClassifierPrediction` or ``{"source", "error"}``)
goes to stdout. Outputs are drafts for clinician review.
"""

from __future__ import annotations

import enum
import gc
import json
from pathlib import Path
from typing import Annotated

import typer

from medts.cli_inputs import (
    ANALYSIS_MAX_LEADS,
    RESTING_EXCERPT_S,
    FsOption,
    InputLimits,
    LeadsOption,
    check_fs_option,
    parse_leads,
    run_per_record,
)
from medts.labels import LEVELS

Level = enum.Enum("Level", {level: level for level in LEVELS}, type=str)
"""The six PTB-XL label levels as ``--level`` choices (typer lists them in --help)."""

CLASSIFY_LIMITS = InputLimits(max_leads=ANALYSIS_MAX_LEADS, excerpt_s=RESTING_EXCERPT_S, what="medts classify",
                              mend_gaps=True)
"""At most the first 5 minutes are classified and measured (the whole of a 60-minute 12-lead
record took 1.7 GB); the output says so (``input_notes``)."""


def classify(
    paths: Annotated[list[str], typer.Argument(help="ECG files, folders (recursive) or glob patterns.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
    level: Annotated[Level, typer.Option("--level", help="PTB-XL label level. A level without an adapter of its own "
                                         "uses the all-statement classifier's statements where they are the level's "
                                         "labels (diagnostic, form, rhythm); otherwise exit 2 with the levels available.")] = Level.superdiagnostic,
    adapter: Annotated[Path | None, typer.Option("--adapter", help="Classifier folder (overrides --level).")] = None,
    fs: FsOption = None,
    leads: LeadsOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every statement, not only those present.")] = False,
) -> None:
    """Classify ECG records into PTB-XL statements (drafts for clinician review)."""
    from medts.adapters import level_availability
    from medts.classify.worker import ClassifierWorker
    from medts.errors import MedtsError

    level_name = Level(level).value
    if adapter is None and level_name not in level_availability():
        available = ", ".join(f"{name} ({how})" for name, how in level_availability().items()) or "none"
        raise MedtsError(f"--level {level_name}: no shipped classifier serves this level; levels available: {available}")
    collecting = gc.isenabled()
    gc.disable()  # while the libraries import (wfdb and pandas with the first record, then NeuroKit2): see setup
    try:
        import numpy  # noqa: F401 - before the worker forks, so that it inherits numpy instead of importing it again

        from medts.cli_inputs import expand

        # the worker process starts now: its torch import overlaps this process reading the first record and
        # importing NeuroKit2; when no input names a record (missing files) no worker starts, so the command
        # exits without waiting for torch (a file that exists but fails to read still waits for that import)
        inputs = expand(paths, None)
        worker = ClassifierWorker(adapter, level_name) if any(error is None for *_, error in inputs) else None

        def setup() -> None:  # after the first record is read: bad inputs cost no model load
            worker.load()
            import neurokit2  # noqa: F401 - the measurements' library, imported while the worker loads the classifier

            # the cyclic collector's passes over the growing heap took about 13% of NeuroKit2's import time on the
            # development machine: it was off; what the imports made is frozen (later collections skip it)
            gc.freeze()
            if collecting:
                gc.enable()
            worker.wait_ready()  # a broken adapter ends the command here, with one line

        try:
            rows, failed = run_per_record(inputs, None, check_fs_option(fs), lambda ecg: reconciled(worker, ecg),
                                          what="classification", text_report=None if json_output else _text(show_all),
                                          leads=parse_leads(leads), setup=setup, limits=CLASSIFY_LIMITS)
        finally:
            if worker is not None:
                worker.close()
    finally:
        gc.unfreeze()  # a caller in the same process (the tests) collects as before
        if collecting:
            gc.enable()
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
    failed.exit()


def reconciled(worker, ecg):
    """The classifier's prediction (made in ``worker``, a :class:`~medts.classify.worker.ClassifierWorker`,
    while this process measures) with the engine's decision on each statement beside it
    (:func:`medts.interpret.interpret`: the probabilities checked against the measurements)."""
    from pydantic import create_model

    from medts.classify.outputs import ClassifierPrediction
    from medts.interpret import StatementDecision, interpret, scores_from_predictions
    from medts.signal import measure_ecg

    pending = worker.submit(ecg)
    measurements = measure_ecg(ecg)
    prediction = pending.result()
    findings = interpret(measurements, sex=ecg.sex, age_years=ecg.age, scores=scores_from_predictions([prediction]))
    model = create_model("ReconciledPrediction", __base__=ClassifierPrediction, verdict=(str, ...),
                         decisions=(list[StatementDecision], ...))
    return model(**prediction.model_dump(), verdict=findings.verdict, decisions=findings.statements)


def _text(show_all: bool):
    def render(prediction, _source: str) -> str:
        lines: list[str] = []
        _print(prediction, show_all, lines.append)
        return "\n".join(lines)

    return render


def _leads_text(leads: list[str]) -> str:
    """A statement's needed leads in words: ``all 12``, ``any one`` or the names."""
    return "all 12" if len(leads) == 12 else ", ".join(leads) or "any one"


def _print(prediction, show_all: bool, echo=typer.echo) -> None:
    echo(f"{prediction.record_id} ({prediction.source}) - {prediction.model}, scored by: {prediction.scored_by}")
    for note in prediction.notes:
        echo(f"  note: {note}")
    echo(f"  verdict (medts.interpret): {prediction.verdict}")
    decided = {d.code: d for d in prediction.decisions}
    rows = prediction.statements if show_all else [s for s in prediction.statements if s.present]
    for s in sorted(rows, key=lambda s: -s.probability):
        mark = "withheld" if s.withheld else "present " if s.present else "absent  "
        needed = _leads_text(s.leads_needed)
        cnn = "" if s.cnn_probability is None else f" [CNN alone p={s.cnn_probability:.3f}, threshold {s.cnn_threshold:.3f}]"
        echo(f"  {mark} {s.code:<6} p={s.probability:.3f} (threshold {s.threshold:.3f}){cnn}  {s.description or ''}"
             f"  [leads needed: {needed}]")
        if s.withheld:
            echo(f"           {s.withheld}")
        if s.code in decided:
            echo(f"           engine: {decided[s.code].decision} - {decided[s.code].reason}")
    shown = {s.code for s in rows}
    for d in prediction.decisions:  # the engine's own statements (rhythm, measurement rules), not in the rows above
        if d.code not in shown:
            echo(f"  {d.decision:<8} {d.code:<6} by the engine ({d.origin})  {d.description}  "
                 f"[leads needed: {_leads_text(d.leads_needed)}]")
            echo(f"           {d.reason}")
    if not rows and not prediction.decisions:
        echo("  no statement above its threshold")
    echo(f"  {prediction.disclaimer}")


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
