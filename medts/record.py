"""The one ECG record type of medts.

An :class:`ECG` holds a signal ``float32 [n_samples, n_leads]`` in millivolts, an explicit
sampling rate ``fs`` in Hz, canonical lead names and patient metadata. Readers in
:mod:`medts.io` produce it; every other module consumes it.

Example
-------
>>> import numpy as np
>>> from medts.record import ECG
>>> ecg = ECG(np.zeros((5000, 2), np.float32), fs=500.0, leads=("ii", "AVR"), record_id="demo")
>>> ecg.leads
('II', 'aVR')
>>> ecg.duration_s
10.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from medts.errors import InvalidECGError

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
"""Canonical 12-lead order."""

MIN_DURATION_S = 2.0
"""Shortest record medts accepts: below this no rhythm or interval can be measured."""

MIN_FS_HZ = 50.0
MAX_FS_HZ = 20_000.0
"""Plausible sampling-rate range for an ECG; outside it ``fs`` is almost surely wrong."""

MAX_PLAUSIBLE_MV = 25.0
"""Largest deviation from a lead's median (mV) an ECG front end records: diagnostic amplifiers
span about +/-5 to +/-10 mV (IEC 60601-2-25 asks for +/-5 mV), so a lead beyond this holds wrong
units (uV read as mV) or corrupt data, and every amplitude measured on it would be wrong."""

MIN_SIGNAL_MV = 0.01
"""Peak-to-peak below this (mV) is a flat lead (or volts read as millivolts)."""

_LEAD_ALIASES = {
    "i": "I", "ii": "II", "iii": "III",
    "avr": "aVR", "avl": "aVL", "avf": "aVF",
    "d1": "I", "d2": "II", "d3": "III", "di": "I", "dii": "II", "diii": "III",
    "mli": "I", "mlii": "II", "mliii": "III",  # MIT-BIH "modified" limb leads
    "lead1": "I", "lead2": "II", "lead3": "III",
    "leadi": "I", "leadii": "II", "leadiii": "III",
}
_PRECORDIAL = re.compile(r"^(?:lead)?v([1-6])$")
_LABEL_PREFIX = re.compile(r"^(?:mdcecglead|ecg|ekg|lead)")
"""What exports put before a lead's name: "ECG II", "EKG V1", "Lead aVR", "MDC_ECG_LEAD_AVF" (ISO/IEEE 11073)."""


def canonical_lead_name(name: str) -> str:
    """Map a lead label to its canonical spelling.

    ``"avr"``, ``"AVR"`` and ``"aVR"`` become ``"aVR"``; ``"MLII"``, ``"ii"``, ``"Lead II"``, ``"ECG II"``
    and ``"MDC_ECG_LEAD_II"`` become ``"II"``; ``"v1"`` becomes ``"V1"``. Labels with no standard
    meaning (``"ECG1"``) and inverted leads (``"-aVR"``, Cabrera's display: not aVR itself) are
    returned stripped but otherwise unchanged.

    >>> canonical_lead_name("MLII"), canonical_lead_name("avf"), canonical_lead_name(" v5 ")
    ('II', 'aVF', 'V5')
    >>> canonical_lead_name("EKG V1"), canonical_lead_name("MDC_ECG_LEAD_AVR"), canonical_lead_name("-aVR")
    ('V1', 'aVR', '-aVR')
    """
    label = str(name).strip()
    if label.startswith("-"):
        return label
    key = re.sub(r"[\s_\-:]", "", label).lower()
    for candidate in dict.fromkeys((key, _LABEL_PREFIX.sub("", key))):
        if candidate in _LEAD_ALIASES:
            return _LEAD_ALIASES[candidate]
        match = _PRECORDIAL.match(candidate)
        if match:
            return f"V{match.group(1)}"
    return label


class RecordSummary(BaseModel):
    """JSON-ready overview of a record, as printed by ``medts info``."""

    schema_version: int = 1
    record_id: str
    source: str | None
    fs_hz: float
    n_samples: int
    duration_s: float
    leads: list[str]
    age_years: float | None
    sex: str | None
    amplitude_min_mv: dict[str, float]
    amplitude_max_mv: dict[str, float]
    problems: list[str]
    recorded_at: str | None = None
    # What the recording device itself reported in the file (hospital formats, see medts.io.device):
    # shown beside medts' results, never mixed with them; file content, never instructions.
    device_measurements: dict[str, float] = Field(default_factory=dict)
    device_statements: list[str] = Field(default_factory=list)


@dataclass(frozen=True, eq=False)
class ECG:
    """An ECG recording.

    Parameters
    ----------
    signal : array-like, shape [n_samples, n_leads]
        Samples in millivolts. Converted to C-contiguous float32. A 1-D array is one lead.
    fs : float
        Sampling rate in Hz. Required: medts never assumes a default.
    leads : sequence of str
        One name per column; normalised with :func:`canonical_lead_name`. Blank names and
        names used twice (after normalisation; e.g. two leads called ``"ECG"``) cannot say which
        lead a column is: those columns are renamed ``ECG<column number>`` and
        ``metadata["lead_names_note"]`` says so.
    record_id : str
        A short identifier, e.g. ``"00001_lr"`` or ``"ludb-1"``.
    source : str, optional
        The file it came from.
    age : float, optional
        Patient age in years.
    sex : {"M", "F"}, optional
    metadata : dict, optional
        Anything else the reader found (header comments, diagnoses). This is data, never
        instructions: nothing in medts executes or obeys it.

    Raises
    ------
    InvalidECGError
        On NaN/inf samples, fewer than ``MIN_DURATION_S`` seconds, a missing or implausible
        ``fs``, or a lead count that does not match ``leads``.
    """

    signal: np.ndarray
    fs: float
    leads: tuple[str, ...]
    record_id: str = "ecg"
    source: str | None = None
    age: float | None = None
    sex: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        signal = np.asarray(self.signal)
        if signal.ndim == 1:
            signal = signal[:, None]
        if signal.ndim != 2:
            raise InvalidECGError(f"signal must be 2-D [n_samples, n_leads], got shape {signal.shape}")
        if not np.issubdtype(signal.dtype, np.number):
            raise InvalidECGError(f"signal must be numeric, got dtype {signal.dtype}")
        signal = np.ascontiguousarray(signal, dtype=np.float32)
        n_samples, n_leads = signal.shape

        fs = _validate_fs(self.fs)
        if isinstance(self.leads, str):
            raise InvalidECGError(f"leads must be a sequence of names, got the string {self.leads!r}")
        leads = tuple(canonical_lead_name(name) for name in self.leads)
        if len(leads) != n_leads:
            raise InvalidECGError(f"{len(leads)} lead names for {n_leads} signal columns")
        if n_leads == 0:
            raise InvalidECGError("record has no leads")
        metadata = dict(self.metadata)
        leads, note = _unique_lead_names(leads)
        if note:
            metadata["lead_names_note"] = note
        if n_samples < MIN_DURATION_S * fs:
            raise InvalidECGError(
                f"signal is {n_samples / fs:.3f} s long ({n_samples} samples at {fs:g} Hz); "
                f"at least {MIN_DURATION_S:g} s is needed"
            )
        bad = ~np.isfinite(signal)
        if bad.any():
            columns = sorted({leads[c] for c in np.nonzero(bad)[1]})
            raise InvalidECGError(
                f"{int(bad.sum())} NaN or infinite samples in lead(s) {', '.join(columns)}"
            )
        sex = _normalise_sex(self.sex)
        age = None if self.age is None or (isinstance(self.age, float) and math.isnan(self.age)) else float(self.age)
        signal.setflags(write=False)
        object.__setattr__(self, "signal", signal)
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "leads", leads)
        object.__setattr__(self, "sex", sex)
        object.__setattr__(self, "age", age)
        object.__setattr__(self, "metadata", metadata)

    # -- shape -------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def n_leads(self) -> int:
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def time_s(self) -> np.ndarray:
        """Sample times in seconds, ``float64 [n_samples]``."""
        return np.arange(self.n_samples) / self.fs

    # -- access ----------------------------------------------------------------------------
    def has_lead(self, name: str) -> bool:
        return canonical_lead_name(name) in self.leads

    def lead(self, name: str) -> np.ndarray:
        """One lead as ``float32 [n_samples]`` (mV). Raises ``KeyError`` naming the leads present."""
        canonical = canonical_lead_name(name)
        if canonical not in self.leads:
            raise KeyError(f"lead {name!r} not in record {self.record_id} (has {', '.join(self.leads)})")
        return self.signal[:, self.leads.index(canonical)]

    def select_leads(self, names: list[str] | tuple[str, ...]) -> ECG:
        """A new record with only ``names``, in that order. Missing leads raise ``KeyError``."""
        canonical = [canonical_lead_name(n) for n in names]
        missing = [n for n in canonical if n not in self.leads]
        if missing:
            raise KeyError(
                f"lead(s) {', '.join(missing)} not in record {self.record_id} (has {', '.join(self.leads)})"
            )
        columns = [self.leads.index(n) for n in canonical]
        return replace(self, signal=self.signal[:, columns], leads=tuple(canonical))

    def with_standard_leads(self) -> tuple[ECG, list[str]]:
        """The 12 standard leads in canonical order, missing ones filled with zeros.

        Returns the new record and the list of leads that were missing (and zeroed), so
        callers can say so in their output.
        """
        missing = [name for name in STANDARD_LEADS if name not in self.leads]
        out = np.zeros((self.n_samples, len(STANDARD_LEADS)), np.float32)
        for i, name in enumerate(STANDARD_LEADS):
            if name in self.leads:
                out[:, i] = self.signal[:, self.leads.index(name)]
        return replace(self, signal=out, leads=STANDARD_LEADS), missing

    def resample(self, fs: float) -> ECG:
        """Resample to ``fs`` Hz with a polyphase anti-aliasing filter (``scipy.signal.resample_poly``)."""
        from scipy.signal import resample_poly

        target = _validate_fs(fs)
        if target == self.fs:
            return self
        ratio = Fraction(target / self.fs).limit_denominator(1000)
        resampled = resample_poly(self.signal.astype(np.float64), ratio.numerator, ratio.denominator, axis=0)
        return replace(self, signal=resampled.astype(np.float32), fs=target)

    def slice(self, start_s: float, end_s: float | None = None) -> ECG:
        """The part from ``start_s`` to ``end_s`` seconds (end exclusive, clipped to the record)."""
        start = max(0, int(round(start_s * self.fs)))
        end = self.n_samples if end_s is None else min(self.n_samples, int(round(end_s * self.fs)))
        if end <= start:
            raise InvalidECGError(f"empty slice [{start_s}, {end_s}) s of a {self.duration_s:.2f} s record")
        return replace(self, signal=self.signal[start:end])

    # -- summary ---------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Obvious problems a human should know about: implausible amplitudes (wrong units),
        flat or saturated leads, units the reader could not convert, renamed leads.

        Lead problems start with ``"lead <name> "`` so a quality grade can tell which lead is
        unusable (see :func:`implausible_amplitude_leads`)."""
        too_large = dict(implausible_amplitude_leads(self))
        peak_to_peak, on_rail = [], []
        for i in range(self.n_leads):
            x = self.signal[:, i]
            peak_to_peak.append(float(np.ptp(x)))
            top, bottom = float(x.max()), float(x.min())
            on_rail.append(clipping_samples(rail_samples(x, top, bottom), top, bottom, float(np.median(x))))
        return self.input_notes() + lead_problems(self.leads, peak_to_peak, on_rail, self.n_samples, too_large)

    def input_notes(self) -> list[str]:
        """What every output must repeat about the input itself: leads with an implausible
        amplitude (wrong units or corrupt data), leads renamed because their names were blank or
        repeated, units the reader could not convert to mV, and ``metadata["carried_notes"]``: a
        long record cut to an excerpt, notes on leads dropped before the analysis
        (:func:`medts.cli_inputs.read_checked`, :func:`medts.cli_inputs.keep_leads`)."""
        return record_input_notes(self.metadata, implausible_amplitude_leads(self))

    def summary(self) -> RecordSummary:
        return summary_of(self, self.n_samples,
                          [float(self.signal[:, i].min()) for i in range(self.n_leads)],
                          [float(self.signal[:, i].max()) for i in range(self.n_leads)], self.problems())

    def __repr__(self) -> str:
        return (
            f"ECG(record_id={self.record_id!r}, fs={self.fs:g} Hz, duration={self.duration_s:.2f} s, "
            f"leads={list(self.leads)})"
        )


SATURATED_FRACTION = 0.005
"""A lead is saturated (clipped at the ADC rail) when more than this share of its samples, and at least
``SATURATED_MIN_SAMPLES``, sit on its maximum or on its minimum: R peaks cut flat for 15 ms each in a
10-s record put about 2 % there. One rule for ``medts info`` (:meth:`ECG.problems`) and for the lead
quality of ``measure`` (:mod:`medts.signal.quality`)."""
SATURATED_MIN_SAMPLES = 5

RAIL_FAR_FRACTION = 0.4
"""Only an extreme at least this share of the lead's range away from its median can be an ADC rail: a
clipped lead is cut at its largest excursions. Flat stretches at a shallow trough are not clipping: LUDB
stores some leads piecewise flat (LUDB 120 lead I: four 38-ms runs at its -0.13 mV minimum, R waves at
0.85 mV; 115 II, 115 aVR, 116 V5, 124 II, 100 V6) and PTB-XL 00262 lead III; all read as saturated, and a
one-lead record of such a lead was refused. Set on LUDB 1-160 and PTB-XL 00001-00999 (the 9 leads flagged
there; 2 stay flagged: LUDB 109 II and V4 end on a 60-ms flat run at 0.7-0.9 of their range)."""


def clipping_samples(counts: tuple[int, int], maximum: float, minimum: float, median: float) -> int:
    """Samples on the busier rail (``counts`` from :class:`RailCount`: on the maximum, on the minimum) among
    the rails far enough from the lead's ``median`` (:data:`RAIL_FAR_FRACTION`) to be clipping (mV)."""
    span = maximum - minimum
    far = (maximum - median >= RAIL_FAR_FRACTION * span, median - minimum >= RAIL_FAR_FRACTION * span)
    return max((n for n, ok in zip(counts, far) if ok), default=0)


class RailCount:
    """Samples of one lead on its ``maximum`` and on its ``minimum`` (the lead's extremes over the whole
    record), fed window by window, within a tolerance of a millionth of the range. A run that starts
    or ends the record is not counted: records are often padded with a held value at their edges
    (PTB-XL's last 4-8 samples), which is no clipping."""

    def __init__(self, maximum: float, minimum: float):
        tol = 1e-6 * max(1.0, maximum - minimum)
        self.limits = ((maximum - tol, True), (minimum + tol, False))
        self.total, self.leading, self.trailing = [0, 0], [0, 0], [0, 0]
        self.leading_open, self.n = [True, True], 0

    def add(self, x: np.ndarray) -> None:
        for k, (limit, upper) in enumerate(self.limits):
            on = x >= limit if upper else x <= limit
            n_on = int(np.count_nonzero(on))
            self.total[k] += n_on
            if n_on == len(on):
                self.leading[k] += n_on if self.leading_open[k] else 0
                self.trailing[k] += n_on
            else:
                if self.leading_open[k]:
                    self.leading[k] += int(np.argmin(on))
                    self.leading_open[k] = False
                self.trailing[k] = int(np.argmin(on[::-1]))
        self.n += len(x)

    def counts(self) -> tuple[int, int]:
        """(on the maximum, on the minimum), edge runs left out (all of it when the whole lead is on it)."""
        return tuple(t if t == self.n else t - lead - trail
                     for t, lead, trail in zip(self.total, self.leading, self.trailing))


def rail_samples(x: np.ndarray, maximum: float, minimum: float) -> tuple[int, int]:
    """:class:`RailCount` of a whole lead ``x`` in one piece."""
    count = RailCount(maximum, minimum)
    count.add(x)
    return count.counts()


def is_saturated(on_rail: int, n_samples: int) -> bool:
    """The saturation rule (``SATURATED_FRACTION``) for a lead with ``on_rail`` samples on its busier rail."""
    return on_rail >= SATURATED_MIN_SAMPLES and on_rail > SATURATED_FRACTION * n_samples


def lead_problems(leads, peak_to_peak, on_rail, n_samples: int, too_large) -> list[str]:
    """Flat and saturated leads from per-lead statistics (the rule of :meth:`ECG.problems`, also
    applied to a record summarised window by window, :mod:`medts.summary_stream`).

    ``peak_to_peak`` in mV per lead; ``on_rail`` is the number of samples on the lead's maximum or
    on its minimum, whichever holds more, among the rails that can be clipping (:func:`clipping_samples`); leads in ``too_large`` (implausible
    amplitude) are said by the input notes.
    """
    problems = []
    for name, ptp, rail in zip(leads, peak_to_peak, on_rail):
        if name in too_large:
            continue  # said by input_notes
        if ptp < MIN_SIGNAL_MV:
            problems.append(f"lead {name} is flat (peak-to-peak < {MIN_SIGNAL_MV:g} mV)")
        elif is_saturated(rail, n_samples):
            problems.append(f"lead {name} looks saturated ({100 * rail / n_samples:.1f}% of samples at one of its "
                            "limits: clipped)")
    return problems


def record_input_notes(metadata: dict[str, Any], too_large: list[tuple[str, float]]) -> list[str]:
    """The notes of :meth:`ECG.input_notes` from the reader's ``metadata`` and the
    ``(lead, deviation from its median in mV)`` of leads with an implausible amplitude."""
    notes = [
        f"lead {name} has an implausible amplitude ({deviation:.4g} mV from its median; an ECG front end records "
        f"at most about {MAX_PLAUSIBLE_MV:g} mV): wrong units (uV read as mV?) or corrupt data, so its "
        "amplitudes are not used"
        for name, deviation in too_large
    ]
    notes += [str(w) for w in metadata.get("unit_warnings", []) or []]
    if metadata.get("lead_names_note"):
        notes.append(str(metadata["lead_names_note"]))
    # what an earlier step saw or did to the whole record: an excerpt cut from a long record, notes
    # on leads dropped before the analysis (medts.cli_inputs)
    notes += [str(n) for n in metadata.get("carried_notes", []) or [] if str(n) not in notes]
    return notes


def summary_of(ecg: ECG, n_samples: int, minimum: list[float], maximum: list[float],
               problems: list[str]) -> RecordSummary:
    """The :class:`RecordSummary` of a record with ``n_samples`` samples whose identity and metadata are
    ``ecg``'s (all of it, or its first window when the record is summarised window by window) and whose
    per-lead ``minimum``/``maximum`` (mV) and ``problems`` were computed on the whole record."""
    return RecordSummary(
        record_id=ecg.record_id,
        source=ecg.source,
        fs_hz=ecg.fs,
        n_samples=n_samples,
        duration_s=round(n_samples / ecg.fs, 4),
        leads=list(ecg.leads),
        age_years=ecg.age,
        sex=ecg.sex,
        amplitude_min_mv={n: round(v, 4) for n, v in zip(ecg.leads, minimum)},
        amplitude_max_mv={n: round(v, 4) for n, v in zip(ecg.leads, maximum)},
        problems=problems,
        recorded_at=ecg.metadata.get("base_datetime"),
        device_measurements=dict(ecg.metadata.get("device_measurements") or {}),
        device_statements=[str(s) for s in ecg.metadata.get("device_statements") or []],
    )


def implausible_amplitude_leads(ecg: ECG) -> list[tuple[str, float]]:
    """``(lead, largest deviation from its median in mV)`` for leads beyond :data:`MAX_PLAUSIBLE_MV`.

    >>> ecg = ECG(np.c_[np.zeros(1000), np.r_[np.zeros(999), 1e6]], fs=250, leads=("I", "II"))
    >>> implausible_amplitude_leads(ecg)
    [('II', 1000000.0)]
    """
    if ecg.n_samples == 0:
        return []
    deviation = deviation_from_median_mv(ecg.signal)
    return [(name, float(d)) for name, d in zip(ecg.leads, deviation) if d > MAX_PLAUSIBLE_MV]


def deviation_from_median_mv(x: np.ndarray) -> np.ndarray:
    """Largest distance of each lead of ``x`` ``[samples]`` or ``[samples, leads]`` (mV) from its median."""
    return np.max(np.abs(x - np.median(x, axis=0)), axis=0)


def implausible_amplitude(x: np.ndarray) -> bool:
    """True when lead ``x`` [samples] (mV) strays further from its median than an ECG front end records
    (:data:`MAX_PLAUSIBLE_MV`): wrong units or corrupt data. The one rule every check reads.

    >>> implausible_amplitude(np.r_[np.zeros(99), 1e6]), implausible_amplitude(np.zeros(100))
    (True, False)
    """
    return bool(len(x)) and float(deviation_from_median_mv(x)) > MAX_PLAUSIBLE_MV


def _unique_lead_names(leads: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """Rename blank or repeated lead names ``ECG<column>``; the note says what was renamed.

    >>> _unique_lead_names(("ECG", "ECG"))
    (('ECG1', 'ECG2'), 'lead names ECG, ECG do not say which lead each column is: renamed ECG1, ECG2 (pass --leads to name them)')
    >>> _unique_lead_names(("II", "V1"))
    (('II', 'V1'), None)
    """
    clash = [not name or leads.count(name) > 1 for name in leads]
    if not any(clash):
        return leads, None
    renamed = [f"ECG{i + 1}" if bad else name for i, (name, bad) in enumerate(zip(leads, clash))]
    if len(set(renamed)) != len(renamed):  # a kept name was already "ECG<k>": number every column
        renamed = [f"ECG{i + 1}" for i in range(len(leads))]
    before = [name or "(blank)" for name, bad in zip(leads, clash) if bad]
    after = [new for new, bad in zip(renamed, clash) if bad]
    note = (f"lead names {', '.join(before)} do not say which lead each column is: renamed {', '.join(after)} "
            "(pass --leads to name them)")
    return tuple(renamed), note


def _validate_fs(fs: Any) -> float:
    try:
        value = float(fs)
    except (TypeError, ValueError):
        raise InvalidECGError(f"sampling rate must be a number in Hz, got {fs!r}") from None
    if not math.isfinite(value) or not (MIN_FS_HZ <= value <= MAX_FS_HZ):
        raise InvalidECGError(
            f"sampling rate {fs!r} Hz is not plausible for an ECG (expected {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz)"
        )
    return value


def _normalise_sex(sex: Any) -> str | None:
    if sex is None:
        return None
    key = str(sex).strip().lower()
    if key in {"m", "male", "0"}:
        return "M"
    if key in {"f", "female", "1"}:
        return "F"
    return None
