"""The typed results of a long-recording analysis (pydantic models only).

Kept apart from :mod:`medts.longterm.analyze` so that a report schema or a reader of saved results
can hold a :class:`LongTermResult` without importing the analysis (NeuroKit2, the beat models).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from medts.longterm.rhythm import Episode, Pause, SignalGap, WindowRhythm

SCHEMA_VERSION = "1.0"


class EctopyRun(BaseModel):
    """Consecutive ectopic beats of one class: onset and offset in seconds from the start."""

    kind: str
    beats: int
    onset_s: float
    offset_s: float
    rate_bpm: float | None


class EctopySummary(BaseModel):
    """Counts per class (Q: unclassifiable), isolated beats, couplets and runs, and burden (% of all beats)."""

    n_beats: int
    counts: dict[str, int]
    burden_percent: dict[str, float]
    isolated: dict[str, int]
    couplets: dict[str, int]
    runs: list[EctopyRun]
    bigeminy_beats: int
    """Ventricular beats in bigeminy (V N V N V: every other beat, at least 3 V)."""


class RateSummary(BaseModel):
    mean_bpm: float | None
    min_bpm: float | None
    min_at_s: float | None
    max_bpm: float | None
    max_at_s: float | None
    minutes_below_range: float
    minutes_above_range: float
    range_bpm: tuple[float | None, float | None]


class BeatTable(BaseModel):
    """Every beat (only with ``with_beats``): sample index, AAMI class, V and S scores."""

    samples: list[int]
    classes: list[str]
    v_score: list[float]
    s_score: list[float]


class LongTermResult(BaseModel):
    """The long-recording analysis; a draft for clinician review."""

    schema_version: str = SCHEMA_VERSION
    record: str
    fs: float
    duration_s: float
    lead: str
    window_s: float
    rate: RateSummary
    af_burden_percent: float
    episodes: list[Episode]
    ectopy: EctopySummary
    pauses: list[Pause]
    signal_gaps: list[SignalGap] = Field(default_factory=list)
    """Stretches with no signal on the beat lead (``rules.SIGNAL_GAP_S``); no pause is called across them."""
    windows: list[WindowRhythm]
    poor_quality_windows: int
    p_wave_windows: int
    notes: list[str] = Field(default_factory=list)
    beats: BeatTable | None = None
    draft: str = "Draft for clinician review: automated Holter-style analysis, not a diagnosis."
