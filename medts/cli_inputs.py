"""What every ``medts`` command that takes paths shares: ``--fs``/``--leads``, input checks and exit codes.

The exit-code contract (README "Exit codes"), the same for every command:

- ``0``: every input was read and analysed;
- ``2``: bad input: a file that cannot be read, an impossible value, an option that does not
  fit, or a batch in which any record failed for such a reason (the count is printed last);
- ``1``: an internal error (a bug): medts failed on input it accepted.

Inputs are checked before any model loads: paths are expanded and each record is read and
size-checked before the command's ``setup`` (model loading) runs, so a typo costs no minute of
loading. Sizes that a command cannot process in bounded memory are refused with one line
(:class:`InputLimits`), from the file header where the format allows it, before the samples
are read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from medts.errors import ECGReadError, MedtsError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2

FS_HELP = ("Sampling rate in Hz: required for files that do not carry one (.npy, CSV without a time column, "
           "bare .mat) and for WFDB headers without a valid rate; must agree with a rate the file gives.")
LEADS_HELP = ("Lead names, comma-separated, one per column in file order (e.g. 'II' or 'I,II,V1'): replace the "
              "names the file gives, such as ECG1.. or two leads both called ECG.")

FsOption = Annotated[float | None, typer.Option("--fs", help=FS_HELP)]
LeadsOption = Annotated[str | None, typer.Option("--leads", help=LEADS_HELP)]


def parse_leads(text: str | None) -> list[str] | None:
    """``"I, II ,V1"`` -> ``["I", "II", "V1"]``; ``None`` stays ``None``.

    >>> parse_leads("I, II ,V1"), parse_leads(None)
    (['I', 'II', 'V1'], None)
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not names or any(not name for name in names):
        raise MedtsError(f"--leads {text!r}: give one non-empty name per column, separated by commas")
    return names


def check_fs_option(fs: float | None) -> float | None:
    """The ``--fs`` value, refused when it cannot be a sampling rate (one line, exit 2)."""
    if fs is None:
        return None
    from medts.record import MAX_FS_HZ, MIN_FS_HZ

    if not (MIN_FS_HZ <= fs <= MAX_FS_HZ):  # also refuses nan
        raise MedtsError(f"--fs {fs:g}: not a plausible ECG sampling rate ({MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz)")
    return float(fs)


@dataclass(frozen=True)
class InputLimits:
    """The largest record a command processes in bounded memory; larger ones are refused.

    ``max_leads`` bounds the width; ``max_lead_seconds`` bounds leads x seconds (what a
    whole-record model holds at once); ``max_seconds`` bounds the duration. ``None`` means no
    bound (the command works in windows).
    """

    max_leads: int | None = None
    max_lead_seconds: float | None = None
    max_seconds: float | None = None
    what: str = "this command"
    excerpt_s: float | None = None
    """Records longer than this are analysed on their first ``excerpt_s`` seconds only, read by
    sample range (WFDB) so the rest never enters memory, and every output says so
    (``metadata["carried_notes"]``). ``None``: the whole record."""
    excerpt_lead_seconds: float | None = None
    """As ``excerpt_s``, as leads x seconds (a per-lead model: 12 leads x 5 min = 2 leads x 30 min)."""
    whole_record_hint: str = "`medts rhythm` analyses the whole record window by window"
    """What the excerpt note tells a user who wants the rest of the record."""
    mend_gaps: bool = False
    """Missing samples (NaN) follow the resting-ECG rule of :mod:`medts.interpret.gaps` (short stretches
    bridged, long ones cut, every output says where) instead of refusing the record."""

    def excerpt_samples(self, n_samples: int, fs: float, n_leads: int = 1) -> int | None:
        """Samples to keep of a record of ``n_samples`` x ``n_leads`` at ``fs`` Hz (``None``: all of them)."""
        seconds = [x for x in (self.excerpt_s, None if self.excerpt_lead_seconds is None
                               else self.excerpt_lead_seconds / max(n_leads, 1)) if x is not None]
        if not seconds:
            return None
        keep = round(min(seconds) * fs)
        return keep if n_samples > keep else None

    def check(self, source: str, n_samples: int, n_leads: int, fs: float) -> None:
        if self.max_leads is not None and n_leads > self.max_leads:
            raise ECGReadError(source, f"{n_leads} leads: {self.what} handles at most {self.max_leads} "
                                       "(select the leads you need, e.g. with --leads on a subset file)")
        seconds = n_samples / fs
        if self.max_seconds is not None and seconds > self.max_seconds:
            raise ECGReadError(source, f"{seconds / 60:.1f} min is too long for {self.what}, which holds the whole "
                                       f"record in memory (at most {self.max_seconds / 60:.0f} min): cut the record first")
        if self.max_lead_seconds is not None and n_leads * seconds > self.max_lead_seconds:
            minutes = self.max_lead_seconds / max(n_leads, 1) / 60
            raise ECGReadError(source, f"{n_leads} leads x {seconds / 60:.1f} min is too long for {self.what}, "
                                       f"which holds the whole record in memory (at most {minutes:.1f} min with "
                                       f"{n_leads} leads): cut the record first")


ANALYSIS_MAX_LEADS = 24
"""Widest record the analysis commands accept: 12 standard leads plus right-sided, posterior and
Frank leads fit; body-surface maps (64-256 leads) are not ECGs medts interprets."""


RESTING_EXCERPT_S = 300.0
"""The resting-ECG commands (``measure``, ``classify``, ``report``) analyse at most the first 5
minutes of a record: a resting ECG is 10 s, and 5 minutes already gives hundreds of beats for each
median. Longer records (Holter, monitoring) are analysed on this excerpt, read by sample range,
so peak memory does not grow with the record (about 0.5 GB in ``report`` whatever the length);
``medts rhythm`` streams the whole record in 60-s windows."""


CHAT_WHOLE_RECORD_HINT = ("questions about the recording as a whole (AF/flutter episodes, ectopic beats, runs, pauses, "
                          "rate range) are answered from all of it, window by window")
"""What the excerpt note tells a chat user (CLI, app, MCP: the ``whole_recording`` tool reads the whole file)."""


def resting_limits(what: str, whole_record_hint: str | None = None) -> InputLimits:
    """The input limits of everything that analyses a resting ECG (measure, classify, report, chat,
    the app, the MCP server): at most 24 leads, the first ``RESTING_EXCERPT_S`` of a longer record,
    missing samples handled by :mod:`medts.interpret.gaps`; ``whole_record_hint``: what the excerpt
    note says reads the rest (default: ``medts rhythm``)."""
    hint = {} if whole_record_hint is None else {"whole_record_hint": whole_record_hint}
    return InputLimits(max_leads=ANALYSIS_MAX_LEADS, excerpt_s=RESTING_EXCERPT_S, what=what, mend_gaps=True, **hint)


def peek_shape(path: Path, format: str | None, fs: float | None) -> tuple[int, int, float] | None:
    """``(n_samples, n_leads, fs)`` from a file's header without reading its samples, when the format allows.

    WFDB headers, ISHNE Holter headers and ``.npy`` arrays (memory-mapped) are peeked; other formats
    return ``None`` and are checked after reading.
    """
    suffix = path.suffix.lower()
    if not path.is_file():
        return None  # the reader says what is missing, in its own words
    if format in (None, "wfdb") and suffix == ".hea":
        from medts.io.wfdb_io import _record_line, header_sampling_rate

        fields = _record_line(path)
        if "/" in fields[0] or len(fields) < 4 or not fields[1].isdigit() or not fields[3].isdigit():
            return None  # multi-segment or no length: wfdb reads it, the record is checked after
        rate = header_sampling_rate(path, fs)
        return int(fields[3]), int(fields[1]), rate
    if format in (None, "ishne") and suffix == ".ecg":  # a Holter file: read by sample range too
        from medts.io.ishne import ishne_shape

        return ishne_shape(path)
    if format in (None, "npy") and suffix == ".npy" and fs is not None:
        import numpy as np

        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return None  # the reader names the problem
        if array.ndim != 2:
            return None
        n_samples, n_leads = max(array.shape), min(array.shape)
        return n_samples, n_leads, float(fs)
    return None


def read_checked(path: Path, *, format: str | None = None, fs: float | None = None,
                 leads: Sequence[str] | None = None, limits: InputLimits | None = None):
    """:func:`medts.io.read_record` with ``limits`` checked first from the header, then on the record."""
    from medts.io import read_record

    keep = total = None
    if limits is not None:
        peeked = peek_shape(path, format, fs)
        if peeked is not None:
            total = peeked[0]
            keep = limits.excerpt_samples(peeked[0], peeked[2], peeked[1])
            limits.check(str(path), keep or peeked[0], *peeked[1:])
    ecg = read_record(path, format=format, fs=fs, leads=leads, max_samples=keep,
                      mend_gaps=limits is not None and limits.mend_gaps)
    if limits is None:
        return ecg
    ecg = with_limb_leads(ecg)
    if total is None:  # a format without a header to peek: read whole, cut now
        total = ecg.n_samples
        keep = limits.excerpt_samples(ecg.n_samples, ecg.fs, ecg.n_leads)
        if keep is not None:
            ecg = ecg.slice(0.0, keep / ecg.fs)
    limits.check(str(path), ecg.n_samples, ecg.n_leads, ecg.fs)
    if keep is not None:  # not a record shortened around a signal gap (its own note says so)
        ecg = carry_notes(ecg, [excerpt_note(keep, total, ecg.fs, limits)])
    return ecg


def with_limb_leads(ecg):
    """``ecg`` with III, aVR, aVL and aVF computed from I and II where it lacks them, as the carts that
    store 8 leads (I, II, V1-V6) do, and a note saying so. Only for such a record (I, II and all six
    chest leads): a 2- or 3-lead record (I + II, a Holter's I, II, V5) is read as the leads it holds.
    Unchanged without a live lead I and II (a flat one would make copies of the other look like limb leads)."""
    import numpy as np

    from medts.io.device import complete_limb_leads
    from medts.record import MIN_SIGNAL_MV

    if not {"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"} <= set(ecg.leads) or any(
            np.ptp(ecg.signal[:, ecg.leads.index(name)]) < MIN_SIGNAL_MV for name in ("I", "II")):
        return ecg
    leads, columns, derived = complete_limb_leads(list(ecg.leads), [ecg.signal[:, j] for j in range(ecg.n_leads)])
    if not derived:
        return ecg
    out = replace(ecg, signal=np.stack(columns, axis=1).astype(np.float32), leads=tuple(leads),
                  metadata={**ecg.metadata, "derived_leads": list(ecg.metadata.get("derived_leads", [])) + derived})
    note = (f"lead(s) {', '.join(derived)} derived from I and II (Einthoven/Goldberger: III = II - I, "
            "aVR = -(I + II)/2, aVL = I - II/2, aVF = II - I/2); the record does not hold them")
    return carry_notes(out, [note])


def carry_notes(ecg, notes: Sequence[str]):
    """``ecg`` with ``notes`` added to the input notes every output repeats (``ECG.input_notes``)."""
    carried = list(ecg.metadata.get("carried_notes", []) or [])
    return replace(ecg, metadata={**ecg.metadata, "carried_notes": carried + [n for n in notes if n not in carried]})


def keep_leads(ecg, names: Sequence[str]):
    """``ecg`` with only the leads ``names`` (a command that analyses one lead need not hold the
    others), its input notes on the whole record kept; unchanged when a name is not in the record
    (the analysis then says so in its own words)."""
    if any(name not in ecg.leads for name in names) or list(names) == list(ecg.leads):
        return ecg
    notes = ecg.input_notes()
    return carry_notes(ecg.select_leads(list(names)), notes)


def excerpt_note(kept: int, total: int, fs: float, limits: InputLimits) -> str:
    """The line every output repeats when a long record was cut to its first ``kept`` samples."""
    return (f"long record: {limits.what} analysed its first {kept / fs:g} s of {total / fs:g} s (records longer "
            f"than {kept / fs / 60:g} min are analysed on an excerpt so memory stays bounded); "
            f"{limits.whole_record_hint}")


def expand(paths: list[str], format: str | None) -> list[tuple[str, Path | None, str | None]]:
    """``(source, record_path, error)`` per record, in input order (folders and globs expanded)."""
    from medts.io import find_records

    out: list[tuple[str, Path | None, str | None]] = []
    for text in paths:
        if format is not None and Path(text).is_file():
            out.append((text, Path(text), None))  # a forced format ignores the extension
            continue
        try:
            out.extend((str(p), p, None) for p in find_records(text))
        except MedtsError as error:
            out.append((text, None, str(error)))
    return out


@dataclass
class Failures:
    """Records that failed in a batch: bad input (exit 2) or internal errors (exit 1).

    Truthy when anything failed, so ``if failed: ...`` reads naturally.
    """

    total: int = 0
    bad_input: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bad_input or self.internal)

    @property
    def exit_code(self) -> int:
        if self.internal:
            return EXIT_INTERNAL
        return EXIT_BAD_INPUT if self.bad_input else EXIT_OK

    def summary(self) -> str:
        parts = []
        if self.bad_input:
            parts.append(f"{len(self.bad_input)} of {self.total} record(s) failed (bad input)")
        if self.internal:
            parts.append(f"{len(self.internal)} of {self.total} record(s) hit an internal error (a medts bug: "
                         "please report it with the file)")
        return "; ".join(parts)

    def exit(self) -> None:
        """Print the count on stderr and leave with the contract's exit code (nothing when all went well)."""
        if self:
            print(self.summary(), file=sys.stderr)
            raise typer.Exit(self.exit_code)


def run_per_record(
    inputs: list[tuple[str, Path | None, str | None]],
    format: str | None,
    fs: float | None,
    analyse: Callable[[Any], Any],
    *,
    what: str,
    text_report: Callable[[Any, str], str] | None,
    leads: Sequence[str] | None = None,
    setup: Callable[[], None] | None = None,
    limits: InputLimits | None = None,
    prepare: Callable[[Any], Any] | None = None,
    reader: Callable[[Path], Any] | None = None,
) -> tuple[list[dict[str, Any]], Failures]:
    """Read each record of ``inputs`` (:func:`expand`'s list), run ``analyse(ecg)`` and collect JSON rows; one bad
    record never stops the batch.

    Every record is read and checked (``limits``) before ``setup`` runs (model loading): ``setup``
    runs once, when the first record is ready, so bad inputs cost no model load, and an error in
    ``setup`` (a broken adapter) ends the command with one line instead of one error per record.

    Returns ``(rows, failures)``: a row per record in input order (``{"source", **result}`` plus
    ``input_notes`` when the reader renamed leads or left units unconverted, also printed to stderr
    as ``note:`` lines; or ``{"source", "error"}``), errors also printed to stderr as one line each. ``text_report(result,
    source)`` is printed for each success when given (``None`` for ``--json``). ``what`` names the step
    in error messages ("segmentation failed: ..."). ``prepare(ecg)`` runs right after each read, before
    ``setup``: e.g. :func:`keep_leads`, so leads a command does not analyse are not held while its model runs.
    ``reader(path)`` replaces :func:`read_checked` (``medts info`` summarises a long record window by window).
    """
    rows: list[dict[str, Any]] = []
    failures = Failures(total=len(inputs))
    ready = setup is None
    for source, path, error in inputs:
        internal = False
        if error is None:
            try:
                ecg = (reader(path) if reader is not None
                       else read_checked(path, format=format, fs=fs, leads=leads, limits=limits))
                ecg = prepare(ecg) if prepare is not None else ecg
            except MedtsError as exc:
                error = str(exc)
        if error is None:
            if not ready:
                setup()  # a MedtsError here ends the command: one line, exit 2
                ready = True
            try:
                result = analyse(ecg)
            except MedtsError as exc:
                error = str(exc) if str(path) in str(exc) else f"{source}: {exc}"
            except Exception as exc:  # noqa: BLE001 - one record's bug must not stop the batch; exit 1 says so
                error, internal = f"{source}: {what} failed (internal error): {type(exc).__name__}: {exc}", True
        if error is not None:
            (failures.internal if internal else failures.bad_input).append(source)
            print(f"error: {error}", file=sys.stderr)
            rows.append({"source": source, "error": error})
            continue
        row = {"source": str(path), **result.model_dump(mode="json")}
        notes = ecg.input_notes()
        if notes:  # renamed leads, unconverted units: no output may hide them
            row["input_notes"] = notes
            for note in notes:
                print(f"note: {path}: {note}", file=sys.stderr)
        rows.append(row)
        if text_report is not None:
            print(text_report(result, str(path)))
    return rows, failures
