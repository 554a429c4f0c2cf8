"""``medts anomalies PATH... [--json] [--adapter DIR] [--threshold X] [--lead NAME]``: unusual
(possibly ventricular) beats and per-window scores.

Each PATH may be a file, a folder (searched recursively) or a glob pattern, in any format
``medts.io.read_record`` reads. R peaks come from the pipeline (NeuroKit2 on the adapter's lead
at its rate), never from annotation files. The shipped MedTsLLM anomaly adapter
(``adapters/anomaly-smollm2``, or ``--adapter``) scores each beat
(:class:`~medts.medtsllm.infer.AnomalyResult`): with its beat scorer, the probability that the
beat is ventricular (the shipped scorer: RR timing + shape + QRS width and amplitude; its
MedTsLLM reconstruction term did not help on whole records and was dropped), else the
reconstruction error; beats at or above the threshold are flagged with the terms that pushed
them up. The MedTsLLM reconstruction error is still given per beat and per window. A record
that cannot be read or scored gives a one-line error naming it and the batch goes on (exit code 2
at the end). With ``--json`` exactly one JSON document goes to stdout: a list in input order.
Every flag is a draft for clinician review.

Example
-------
``medts anomalies rec.hea --json``
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from medts.adapters import ANOMALY as DEFAULT_ADAPTER
from medts.cli_inputs import (
    ANALYSIS_MAX_LEADS,
    FsOption,
    InputLimits,
    LeadsOption,
    check_fs_option,
    expand,
    keep_leads,
    parse_leads,
    run_per_record,
)
from medts.errors import MedtsError

ANOMALY_LIMITS = InputLimits(max_leads=ANALYSIS_MAX_LEADS, excerpt_s=3600.0, what="medts anomalies", mend_gaps=True,
                             whole_record_hint="to score a later part, cut the record there first")
"""One lead is scored over the whole record at once (0.83 GB peak for 60 minutes of 12 leads, the
other leads dropped after reading): a longer record is scored on its first hour, read by sample
range, and every output says so (a 24-hour record was refused before)."""


def default_adapter() -> Path:
    """The shipped anomaly adapter folder."""
    from medts.adapters import adapter_dir

    return adapter_dir(DEFAULT_ADAPTER)


def adapter_leads(folder: Path) -> list[str]:
    """The leads the adapter was trained on (its manifest's ``leads``), read without importing torch."""
    try:
        return [str(x) for x in json.loads((folder / "manifest.json").read_text()).get("leads") or []]
    except (OSError, ValueError, AttributeError) as error:
        raise MedtsError(f"{folder / 'manifest.json'}: cannot read the adapter manifest ({error})") from error


def scored_lead(ecg: Any, adapter_leads: list[str], lead: str | None) -> str:
    """The lead ``detect_anomalies`` scores: ``lead``, else the first of the adapter's training
    leads (``adapter_leads``, from its manifest) in the record, else the record's first lead."""
    from medts.record import canonical_lead_name

    if lead:
        return canonical_lead_name(lead)
    wanted = [canonical_lead_name(x) for x in adapter_leads]
    return next((x for x in wanted if x in ecg.leads), ecg.leads[0])


def text_report(res: Any, source: str, max_windows: int = 30) -> str:
    """Readable summary: flagged beats (time, score, why), then per-window scores."""
    thr = "none" if res.threshold is None else f"{res.threshold:.3g}"
    lines = [f"{res.record_id or source}: lead {res.lead}, {len(res.beats)} beats detected, {len(res.items)} flagged "
             f"({res.score_kind} >= {thr}; {Path(res.adapter).name}; draft for clinician review)"]
    lines += [f"  problem: {p} (scores on this lead are not reliable)" for p in res.problems]
    for it in res.items:
        lines.append(f"  beat at {it.time_s:8.3f} s  score {it.score:.3f}  detector: {it.kind}"
                     + (f" ({', '.join(it.reasons)})" if it.reasons else ""))
    lines.append("  windows (start-end s: mean reconstruction error, largest beat score):")
    for w in res.windows[:max_windows]:
        best = "-" if w.max_beat_score is None else f"{w.max_beat_score:.3f}"
        lines.append(f"    {w.start_s:7.1f}-{w.end_s:7.1f}  {w.score:.3f}  {best}")
    if len(res.windows) > max_windows:
        lines.append(f"    ... {len(res.windows) - max_windows} more windows (use --json for all)")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("anomalies")
    def anomalies(
        paths: Annotated[list[str], typer.Argument(help="ECG files, folders or glob patterns.")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
        adapter: Annotated[Path | None, typer.Option("--adapter", help="Anomaly checkpoint folder "
                                                     "(default: adapters/anomaly-smollm2).")] = None,
        threshold: Annotated[float | None, typer.Option("--threshold", help="Beat threshold instead of the adapter's "
                                                        "(same units as the beat score).")] = None,
        lead: Annotated[str | None, typer.Option("--lead", help="Lead to score (default: II, else the first).")] = None,
        format: Annotated[str | None, typer.Option("--format", help="Force a reader: wfdb, edf, csv, npy, npz, cinc.")] = None,
        fs: FsOption = None,
        leads: LeadsOption = None,
    ) -> None:
        """Flag unusual beats (possible ventricular ectopy) with the MedTsLLM anomaly adapter."""
        folder = adapter or default_adapter()
        if threshold is not None and not math.isfinite(threshold):
            raise MedtsError(f"--threshold {threshold}: must be a finite number")
        if not (folder / "manifest.json").is_file():
            raise MedtsError(f"{folder}: not an anomaly adapter folder (no manifest.json)")

        trained_on = adapter_leads(folder)  # only the scored lead is kept once a record is read

        def setup() -> None:  # after the first record is read: bad inputs cost no model load
            from medts.medtsllm.infer import load_anomaly_adapter

            load_anomaly_adapter(folder)  # a bad adapter is one error, not one per record

        def analyse(ecg):
            from medts.medtsllm.infer import detect_anomalies

            return detect_anomalies(ecg, folder, lead=lead, threshold=threshold)

        results, failed = run_per_record(
            expand(paths, format), format, check_fs_option(fs), analyse, what="anomaly scoring",
            text_report=None if json_out else text_report, leads=parse_leads(leads), setup=setup,
            limits=ANOMALY_LIMITS, prepare=lambda ecg: keep_leads(ecg, [scored_lead(ecg, trained_on, lead)]))
        if json_out:
            print(json.dumps(results))
        failed.exit()
