"""What a classifier returns for one record, as JSON-ready models, and plain-language statement
names. Kept apart from :mod:`medts.classify.predict` (which needs torch) so that surfaces that only
read or describe predictions (``medts classify``'s own process, the interpretation engine) never
import torch.
"""

from __future__ import annotations

from pydantic import BaseModel

SCHEMA_VERSION = 1


class StatementPrediction(BaseModel):
    """One statement's score for one record.

    ``present`` is the classifier's raw decision (probability >= threshold). ``withheld`` says why
    a statement above its threshold is still not asserted: it needs leads the record lacks
    (``leads_needed``, from :func:`medts.interpret.statements.required_leads`; empty means any one lead).
    """

    code: str
    description: str | None
    probability: float
    threshold: float
    present: bool
    leads_needed: list[str] = []
    withheld: str | None = None
    cnn_probability: float | None = None
    """The CNN's own probability when the record was scored by CNN + measurements (``probability`` is then the
    fused one); None when the CNN alone scored it."""
    cnn_threshold: float | None = None
    """The CNN's own threshold for ``cnn_probability`` (None when the CNN alone scored the record)."""


class ClassifierPrediction(BaseModel):
    """JSON-ready classifier output for one record (``medts classify --json``)."""

    schema_version: int = SCHEMA_VERSION
    record_id: str
    source: str | None
    model: str
    level: str
    fs_hz_input: float
    fs_hz_model: float
    resampled: bool
    missing_leads: list[str]
    notes: list[str]
    present: list[str]
    """Statements above threshold whose leads the record has (most probable first)."""
    withheld: list[str] = []
    """Statements above threshold but withheld: they need leads the record lacks."""
    absent_leads: list[str] = []
    """Leads missing from the record or flat in it (the classifier saw them as zeros)."""
    leads_present: list[str] = []
    """Standard leads the record has and that are not flat: the leads the classifier used."""
    reduced_lead_model: bool = False
    """Scored by the lead-dropout classifier for records lacking a lead (its statements' ``leads_needed`` are
    :data:`medts.interpret.statements.REDUCED_LEAD_MODEL_LEADS`)."""
    statements: list[StatementPrediction]
    scored_by: str = "CNN"
    """Which path scored the record: ``CNN`` or ``CNN + measurements (late fusion)`` (12-lead records with a fusion head,
    :mod:`medts.classify.fusion`; the CNN's own scores stay in each statement's ``cnn_probability``)."""
    decision_rule: str | None = None
    """How the thresholds were chosen (``manifest['decision_rule']['name']``; None for adapters that predate it)."""
    disclaimer: str = "Draft for clinician review; not a diagnosis."


_SUPERCLASS_TEXT = {
    "NORM": "normal ECG",
    "MI": "myocardial infarction (any site or age)",
    "STTC": "ST/T change (ischaemic or non-specific)",
    "CD": "conduction disturbance (bundle branch or fascicular block, AV block, WPW, ...)",
    "HYP": "hypertrophy or atrial enlargement",
}


def describe_label(code: str) -> str | None:
    """Plain-language meaning of a statement, diagnostic subclass or superclass code."""
    from medts.labels import STATEMENTS

    if code in STATEMENTS:
        return STATEMENTS[code].description
    if code in _SUPERCLASS_TEXT:
        return _SUPERCLASS_TEXT[code]
    members = sorted(s.code for s in STATEMENTS.values() if s.diagnostic and s.diagnostic_subclass == code)
    return f"diagnostic subclass grouping {', '.join(members)}" if members else None
