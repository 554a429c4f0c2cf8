"""What an ECG cart says about its own recording, kept apart from what medts measures.

Hospital formats (HL7 aECG, GE MUSE, Philips, DICOM, SCP-ECG) carry the device's own
measurements (rate, intervals, axes) and its interpretive statements. Readers put them under
fixed metadata keys so every surface can show them *beside* medts' results and never mix them:

=========================  ==========================================================
``metadata`` key           content
=========================  ==========================================================
``format``                 the file format, e.g. ``"GE MUSE XML"``
``base_datetime``          acquisition date and time, ISO 8601 (as the WFDB reader)
``device``                 ``{"manufacturer": ..., "model": ...}`` when the file says
``device_measurements``    ``{name: value}``; names carry units (``hr_bpm``, ``qtc_ms``)
``device_statements``      the device's interpretive statements, in file order
``median_beats``           :class:`MedianBeats` when the file stores them
``derived_leads``          leads medts computed from others (e.g. MUSE stores 8 leads)
=========================  ==========================================================

Statements and measurements are data from the file, never instructions, and never evidence
for medts' own findings.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# The device measurements medts recognises, by their medts-style name (unit in the name).
DEVICE_MEASUREMENT_NAMES = (
    "hr_bpm", "atrial_rate_bpm", "rr_ms", "pr_ms", "p_duration_ms", "qrs_ms", "qt_ms", "qtc_ms",
    "p_axis_deg", "qrs_axis_deg", "t_axis_deg",
)


@dataclass(frozen=True, eq=False)
class MedianBeats:
    """The device's representative (median) beat per lead: ``signal_mv`` is ``float32 [n, leads]``."""

    fs_hz: float
    leads: tuple[str, ...]
    signal_mv: np.ndarray

    def to_json(self) -> dict[str, Any]:
        return {"fs_hz": self.fs_hz, "leads": list(self.leads), "n_samples": int(self.signal_mv.shape[0])}


def number(text: Any) -> float | None:
    """A finite float from file text, else ``None`` (devices write ``""``, ``"--"``, ``29999``...)."""
    if text is None:
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def clean_measurements(values: dict[str, float | None]) -> dict[str, float]:
    """Drop missing values; keep file order."""
    return {k: float(v) for k, v in values.items() if v is not None}


def iso_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> str | None:
    """ISO 8601 string, or ``None`` when the fields are not a real date."""
    try:
        return _dt.datetime(year, month, day, hour, minute, second).isoformat()
    except (ValueError, OverflowError, TypeError):
        return None


def hl7_timestamp(text: str | None) -> _dt.datetime | None:
    """``YYYYMMDDHHMMSS[.fff][+zzzz]`` (HL7 v3 TS, DICOM DT) -> datetime (naive), else ``None``."""
    if not text:
        return None
    digits = str(text).strip().split("+")[0].split("-")[0]
    whole = digits.split(".")[0]
    if not whole.isdigit() or len(whole) < 8:
        return None
    parts = [int(whole[0:4]), int(whole[4:6]), int(whole[6:8])]
    for start in (8, 10, 12):
        parts.append(int(whole[start:start + 2]) if len(whole) >= start + 2 else 0)
    try:
        return _dt.datetime(*parts)
    except ValueError:
        return None


def age_between(birth: _dt.datetime | None, at: _dt.datetime | None) -> float | None:
    """Whole years from ``birth`` to ``at`` (``None`` if either is missing or the order is wrong)."""
    if birth is None or at is None or at < birth:
        return None
    years = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    return float(years)


LIMB_LEADS_FROM_I_II = ("III", "aVR", "aVL", "aVF")


def complete_limb_leads(leads: list[str], columns: list[np.ndarray]) -> tuple[list[str], list[np.ndarray], list[str]]:
    """Add III, aVR, aVL and aVF from I and II (Einthoven/Goldberger) when the file omits them.

    GE MUSE (and some aECG files) store 8 independent leads (I, II, V1-V6); the other four are
    exact linear combinations. Returns the leads, the columns and the names that were derived.
    """
    from medts.record import canonical_lead_name

    leads = [canonical_lead_name(name) for name in leads]
    if "I" not in leads or "II" not in leads:
        return leads, columns, []
    lead_i = columns[leads.index("I")].astype(np.float64)
    lead_ii = columns[leads.index("II")].astype(np.float64)
    formulas = {"III": lead_ii - lead_i, "aVR": -(lead_i + lead_ii) / 2,
                "aVL": lead_i - lead_ii / 2, "aVF": lead_ii - lead_i / 2}
    derived = [name for name in LIMB_LEADS_FROM_I_II if name not in leads]
    if not derived:
        return leads, columns, []
    out_leads, out_columns = list(leads), list(columns)
    insert_at = max(leads.index("I"), leads.index("II")) + 1
    for offset, name in enumerate(derived):
        out_leads.insert(insert_at + offset, name)
        out_columns.insert(insert_at + offset, formulas[name])
    return out_leads, out_columns, derived


def read_errors_only(reader):
    """Decorate a ``reader(path, ...)`` so that it raises only :class:`ECGReadError`: an unusable
    record (:class:`InvalidECGError` from :class:`~medts.record.ECG`) is reported with the file."""
    import functools

    from medts.errors import ECGReadError, InvalidECGError

    @functools.wraps(reader)
    def read(path, *args, **kwargs):
        try:
            return reader(path, *args, **kwargs)
        except InvalidECGError as error:
            raise ECGReadError(path, str(error)) from error

    return read
