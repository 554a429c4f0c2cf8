"""``medts segment PATH... [--json] [--adapter DIR] [--out FILE]``: P, QRS and T waves per lead.

Each PATH may be a file, a folder (searched recursively) or a glob pattern, in any format
``medts.io.read_record`` reads. The shipped MedTsLLM segmentation head
(``adapters/segmentation-smollm2``, or ``--adapter``) labels every sample of every lead; each
run of one label becomes a wave with onset, peak and offset as sample indices and seconds of
the input record (:class:`~medts.medtsllm.infer.SegmentationResult`). A record that cannot be
read or segmented gives a one-line error naming it and the batch goes on (exit code 2 at the
end). With ``--json`` exactly one JSON document goes to stdout: a list in input order;
``--out FILE`` writes the same list to FILE. Every wave is a draft for clinician review.

Example
-------
``medts segment rec.hea --json --out waves.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from medts.adapters import SEGMENTATION as DEFAULT_ADAPTER
from medts.cli_inputs import (
    ANALYSIS_MAX_LEADS,
    FsOption,
    InputLimits,
    LeadsOption,
    check_fs_option,
    expand,
    parse_leads,
    run_per_record,
)
from medts.errors import MedtsError

SEGMENT_LIMITS = InputLimits(
    max_leads=ANALYSIS_MAX_LEADS, excerpt_lead_seconds=12 * 300.0, what="medts segment", mend_gaps=True,
    whole_record_hint="to segment a later part, cut the record there first")
"""The model runs in batches of ``SEGMENT_BATCH`` sequences (peak 0.81 GB for 10 s and 0.82 GB for 5 min
of 12 leads; one batch for the whole record took 1.28 GB at 5 minutes and passed 6 GB at 60), but the
per-sample probabilities and wave lists hold the whole record, so a longer record is segmented on its
first 12 leads x 5 minutes (2 leads: 30 minutes), read by sample range, and the output says so."""


def default_adapter() -> Path:
    """The shipped segmentation adapter folder."""
    from medts.adapters import adapter_dir

    return adapter_dir(DEFAULT_ADAPTER)


def text_report(res: Any, source: str) -> str:
    """Readable summary: one line per lead with wave counts, then one line per wave."""
    head = (f"{res.record_id or source}: {len(res.leads)} leads, {res.fs_input_hz:g} Hz, {res.duration_s:g} s "
            f"(segmented at {res.fs_model_hz:g} Hz by {Path(res.adapter).name}; draft for clinician review)")
    lines = [head]
    for lead in res.leads:
        counts = ", ".join(f"{k} {v}" for k, v in lead.n_waves.items())
        lines.append(f"  {lead.lead}: {counts}")
        for w in lead.waves:
            flag = "" if w.complete else "  (cut by the record edge)"
            lines.append(f"    {w.kind:3s} onset {w.onset:6d} ({w.onset_s:7.3f} s)  peak {w.peak:6d} ({w.peak_s:7.3f} s)  "
                         f"offset {w.offset:6d} ({w.offset_s:7.3f} s)  {w.duration_ms:5.0f} ms{flag}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("segment")
    def segment(
        paths: Annotated[list[str], typer.Argument(help="ECG files, folders or glob patterns.")],
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
        adapter: Annotated[Path | None, typer.Option("--adapter", help="Segmentation checkpoint folder "
                                                     "(default: adapters/segmentation-smollm2).")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON list to this file.")] = None,
        format: Annotated[str | None, typer.Option("--format", help="Force a reader: wfdb, edf, csv, npy, npz, cinc.")] = None,
        fs: FsOption = None,
        leads: LeadsOption = None,
    ) -> None:
        """Label P waves, QRS complexes and T waves in every lead (MedTsLLM segmentation head)."""
        folder = adapter or default_adapter()
        if not (folder / "manifest.json").is_file():
            raise MedtsError(f"{folder}: not a segmentation adapter folder (no manifest.json)")
        if out is not None and out.parent and not out.parent.is_dir():
            raise MedtsError(f"{out}: cannot write there (folder {out.parent} does not exist)")

        def setup() -> None:  # after the first record is read: bad inputs cost no model load
            from medts.medtsllm.infer import load_segmentation_adapter

            load_segmentation_adapter(folder)  # a bad adapter is one error, not one per record

        def analyse(ecg):
            from medts.medtsllm.infer import segment_record

            return segment_record(ecg, folder)

        results, failed = run_per_record(
            expand(paths, format), format, check_fs_option(fs), analyse, what="segmentation",
            text_report=None if json_out else text_report, leads=parse_leads(leads), setup=setup,
            limits=SEGMENT_LIMITS)
        if out is not None:
            out.write_text(json.dumps(results, indent=1) + "\n")
            print(f"wrote {out}", file=sys.stderr)
        if json_out:
            print(json.dumps(results))
        failed.exit()
