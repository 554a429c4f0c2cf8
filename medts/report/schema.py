"""The versioned JSON schema of a medts draft report (pydantic models).

A :class:`Report` is what ``medts report --json`` prints and what ``<out>/<record>/report.json``
holds. Every section carries a :class:`SectionStatus`: when the tool behind it is not installed
or failed on this record, the section says ``available: false`` and why, and stays empty; a
report never invents what a tool did not produce. The schema is versioned with
:data:`SCHEMA_VERSION` (major bumps break readers; minor ones only add optional fields).

Example
-------
>>> from medts.report.schema import Report, json_schema
>>> json_schema()["properties"]["schema_version"]["enum"]
['1.0', '1.1', '1.2', '1.3', '1.4', '1.5']
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medts.interpret import Findings
from medts.longterm.result import LongTermResult

SCHEMA_VERSION = "1.5"
"""Report schema version: ``major.minor``. 1.1 added ``interpretation.writer``; 1.2 added ``verdict``,
``findings`` (the :mod:`medts.interpret` result), ``statements.withheld`` and a ``reason``/``origin``
per statement; 1.3 added ``long_recording`` (the whole-record windowed analysis of a long record);
1.4 added the measurement flag ``not_judged`` (a child's age-dependent values, :data:`medts.interpret.ranges.AGE_DEPENDENT`)
and ``findings.age_years``; 1.5 added ``findings.ectopy`` (the premature beats read from the beat sequence, which
decide PAC and PVC present or absent); 1.0-1.4 documents still validate."""

SAFETY_NOTICE = (
    "DRAFT for clinician review — not a diagnosis. Generated automatically by medts from "
    "software measurements and statistical classifiers; every finding must be confirmed by a "
    "qualified clinician before any clinical use."
)
"""The notice every output format shows first and prominently."""

Flag = Literal["normal", "low", "high", "unmeasured", "not_judged"]


class _Model(BaseModel):
    # extra="forbid": a report with unknown keys fails validation, so typos and schema drift show.
    model_config = ConfigDict(extra="forbid")


class SectionStatus(_Model):
    """Whether a section's tool ran on this record, which tool, and why not when it did not."""

    available: bool
    tool: str | None = None
    reason: str | None = None


class RecordInfo(_Model):
    """Record metadata. With de-identification, ``source``, ``age_years`` (banded) and dates are removed."""

    record_id: str
    source: str | None = None
    dataset: str | None = None
    fs_hz: float
    n_samples: int
    duration_s: float
    leads: list[str]
    missing_standard_leads: list[str] = Field(default_factory=list)
    age_years: float | None = None
    age_band: str | None = None
    sex: Literal["M", "F"] | None = None
    recorded_at: str | None = None
    deidentified: bool = False


class LeadQuality(_Model):
    lead: str
    usable: bool
    problems: list[str] = Field(default_factory=list)
    score: float | None = None


class Quality(_Model):
    """Signal quality: overall grade, per-lead usability and the problems found."""

    status: SectionStatus
    overall: Literal["good", "acceptable", "poor", "unknown"] = "unknown"
    leads: list[LeadQuality] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


class Measurement(_Model):
    """One measured value with its unit, adult normal range and flag."""

    name: str
    label: str
    value: float | None
    unit: str
    normal_low: float | None = None
    normal_high: float | None = None
    flag: Flag = "unmeasured"
    quality: str | None = None
    reason: str | None = None


class Measurements(_Model):
    status: SectionStatus
    items: list[Measurement] = Field(default_factory=list)

    def get(self, name: str) -> Measurement | None:
        return next((m for m in self.items if m.name == name), None)


class RhythmAxis(_Model):
    status: SectionStatus
    rhythm: str | None = None
    rhythm_reason: str | None = None
    regular: bool | None = None
    axis_deg: float | None = None
    axis_category: str | None = None


class StatementFinding(_Model):
    """One SCP-ECG statement the report asserts (probability at or above the model's threshold)."""

    code: str
    description: str
    probability: float | None = None
    threshold: float | None = None
    source: str
    level: str | None = None
    evidence_leads: list[str] = Field(default_factory=list)
    evidence: str | None = None
    origin: str | None = None
    reason: str | None = None


class Statements(_Model):
    status: SectionStatus
    asserted: list[StatementFinding] = Field(default_factory=list)
    withheld: list[StatementFinding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def codes(self) -> list[str]:
        return [s.code for s in self.asserted]


class Anomaly(_Model):
    start_s: float
    end_s: float
    score: float
    lead: str | None = None
    kind: str = "reconstruction"


class Anomalies(_Model):
    status: SectionStatus
    threshold: float | None = None
    items: list[Anomaly] = Field(default_factory=list)


class WaveMark(_Model):
    """One delineated wave (for overlays): kind and onset/offset in seconds from record start."""

    kind: Literal["P", "QRS", "T"]
    onset_s: float
    offset_s: float


class Waves(_Model):
    status: SectionStatus
    lead: str | None = None
    items: list[WaveMark] = Field(default_factory=list)


class Interpretation(_Model):
    """Free text. ``generator`` is ``template`` (deterministic, from the sections) or ``llm``.

    ``writer`` names exactly what wrote the text (schema 1.1), so a reader can tell LLM text from
    template text: ``template`` (``--no-llm``), ``template (LLM unavailable)`` (LLM text was asked
    for but the agent was missing), ``llm`` (the untuned chat LLM phrasing the report's facts) or
    ``tuned`` (the LoRA text head conditioned on the ECG); ``model`` names the weights.
    """

    generator: Literal["template", "llm"]
    writer: str | None = None
    model: str | None = None
    text: str
    grounding: list[str] = Field(default_factory=list)


class Report(_Model):
    """A draft ECG report for one record."""

    schema_version: Literal["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"] = SCHEMA_VERSION
    notice: str = SAFETY_NOTICE
    verdict: str | None = None
    medts_version: str
    generated_at: str
    record: RecordInfo
    quality: Quality
    measurements: Measurements
    rhythm_axis: RhythmAxis
    statements: Statements
    anomalies: Anomalies
    waves: Waves
    interpretation: Interpretation
    findings: Findings | None = None
    long_recording: LongTermResult | None = None
    """The whole record analysed window by window (``medts.longterm``), on records of at least
    ``medts.interpret.longterm.REPORT_WHOLE_RECORD_MIN_S``; the other sections read the resting excerpt."""
    tools: dict[str, str] = Field(default_factory=dict)


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of :class:`Report`, for downstream tools."""
    return Report.model_json_schema()
