"""``medts convert INPUT... --to dicom|aecg|wfdb --out DIR``: any ECG medts reads, in a standard format.

Writers: DICOM ECG waveform (:func:`medts.io.dicom_ecg.write_dicom_ecg`), HL7 aECG
(:func:`medts.io.aecg.write_aecg`), both in integer microvolts (round trip exact to 0.5 uV), and
WFDB (:func:`medts.io.wfdb_io.write_wfdb`). Each record becomes ``DIR/<record id>.<ext>``; an
existing file is never overwritten without ``--overwrite``. The contract of every command holds:
one line per bad input on stderr, the batch goes on, exit code 2 at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from medts.cli_inputs import (
    FsOption,
    InputLimits,
    LeadsOption,
    check_fs_option,
    expand,
    parse_leads,
    run_per_record,
)

TARGETS = {"dicom": ".dcm", "aecg": ".xml", "wfdb": ".hea"}

CONVERT_LIMITS = InputLimits(max_lead_seconds=12 * 3600.0, what="medts convert")
"""The reader and the DICOM / aECG writers hold the whole record: at most 12 leads x 60 minutes
(2 leads: 6 hours), refused from the header before any sample is read. Measured peaks for 60
minutes of 12 leads at 500 Hz: WFDB 471 MB (written window by window), DICOM 564 MB, aECG 597 MB;
24 hours would need about 9 GB. Cut a longer record first."""


class Converted(BaseModel):
    """One written file (the JSON row of ``medts convert --json``)."""

    output: str
    to: str
    record_id: str
    fs_hz: float
    leads: list[str]
    n_samples: int


def write_as(ecg, to: str, out: Path, *, overwrite: bool) -> Converted:
    """Write ``ecg`` into folder ``out`` in format ``to``; refuses to replace a file unless ``overwrite``."""
    from medts.errors import MedtsError

    target = out / f"{ecg.record_id}{TARGETS[to]}"
    if target.exists() and not overwrite:
        raise MedtsError(f"{target} exists; pass --overwrite to replace it")
    if to == "dicom":
        from medts.io.dicom_ecg import write_dicom_ecg

        written = write_dicom_ecg(ecg, target)
    elif to == "aecg":
        from medts.io.aecg import write_aecg

        written = write_aecg(ecg, target)
    else:
        from medts.io.wfdb_io import write_wfdb

        written = write_wfdb(ecg, target.with_suffix(""))
    return Converted(output=str(written), to=to, record_id=ecg.record_id, fs_hz=ecg.fs, leads=list(ecg.leads),
                     n_samples=ecg.n_samples)


def register(app: typer.Typer) -> None:
    @app.command("convert")
    def convert(
        paths: Annotated[list[str], typer.Argument(help="ECG files, folders (recursive) or glob patterns.")],
        to: Annotated[str, typer.Option("--to", help="Output format: dicom, aecg or wfdb.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
        format: Annotated[str | None, typer.Option("--format", help="Force a reader (see `medts info --help`).")] = None,
        fs: FsOption = None,
        leads: LeadsOption = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document (a list) on stdout.")] = False,
    ) -> None:
        """Write each ECG as DICOM ECG waveform, HL7 aECG or WFDB (signal, rate, leads, age, sex, time)."""
        from medts.errors import MedtsError

        if to not in TARGETS:
            raise MedtsError(f"--to must be one of {', '.join(TARGETS)}, got {to!r}")
        rows, failures = run_per_record(
            expand(paths, format), format, check_fs_option(fs), lambda ecg: write_as(ecg, to, out, overwrite=overwrite),
            what="conversion", leads=parse_leads(leads), limits=CONVERT_LIMITS,
            text_report=None if json_out else (lambda done, source: f"{source} -> {done.output}"))
        if json_out:
            print(json.dumps(rows))
        failures.exit()
