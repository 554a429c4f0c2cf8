"""The signal-quality grade of a record, and whether medts abstains from interpreting it.

``good``: every present lead usable, at least 2 beats, no limb-lead reversal suspected;
``acceptable``: at least half the present leads usable (or a suspected reversal);
``poor``: fewer than half usable, or fewer than 2 beats: medts abstains (no statements, no
verdict beyond "cannot interpret"). Lead usability itself (flat, disconnected, saturated, noisy)
is measured by :mod:`medts.signal.quality`; this module only grades it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Grade = Literal["good", "acceptable", "poor", "unknown"]

ABSTAIN_USABLE_FRACTION = 0.5
"""Below this fraction of usable leads (or with fewer than 2 beats) medts abstains."""

MISSING_FLAGS = ("disconnected", "flat")
"""Lead flags that mean the lead carries no ECG at all (counted as missing for lead-dependent statements)."""


class QualityGrade(BaseModel):
    overall: Grade
    usable_leads: list[str]
    unusable_leads: list[str]
    missing_leads: list[str]
    lead_flags: dict[str, list[str]]
    n_beats: int
    limb_lead_reversal: str | None = None
    problems: list[str]
    abstain: bool
    reason: str
    rule: str = (f"good: all present leads usable and >= 2 beats; acceptable: >= {ABSTAIN_USABLE_FRACTION:.0%} usable "
                 f"or limb-lead reversal suspected; poor (abstain): fewer usable leads or < 2 beats")

    @property
    def absent_leads(self) -> list[str]:
        """Missing leads plus leads that carry no signal (disconnected or flat)."""
        dead = [lead for lead, flags in self.lead_flags.items() if any(f in MISSING_FLAGS for f in flags)]
        return list(dict.fromkeys(self.missing_leads + dead))


def grade_counts(n_usable: int, n_leads: int, n_beats: int | None, *, reversal: bool = False) -> Grade:
    """The grade from counts (``n_beats`` None: beats not counted, e.g. when measurement failed)."""
    if n_leads == 0:
        return "unknown"
    if n_usable / n_leads < ABSTAIN_USABLE_FRACTION or (n_beats is not None and n_beats < 2):
        return "poor"
    return "acceptable" if n_usable < n_leads or reversal else "good"


def grade_quality(m) -> QualityGrade:
    """Grade a ``medts.signal.Measurements``."""
    leads = list(m.lead_quality)
    usable = [q.lead for q in leads if q.usable]
    unusable = [q.lead for q in leads if not q.usable]
    flags = {q.lead: list(q.flags) for q in leads if q.flags}
    problems = list(m.warnings) + [f"lead {lead}: {', '.join(f)}" for lead, f in flags.items()]
    if m.limb_lead_reversal and m.limb_lead_reversal not in problems:
        problems.append(m.limb_lead_reversal)
    overall = grade_counts(len(usable), len(leads), m.n_beats, reversal=bool(m.limb_lead_reversal))
    if overall == "unknown":
        reason = "no lead assessed"
    elif overall == "poor":
        reason = (f"{len(usable)} of {len(leads)} leads usable" if len(usable) / len(leads) < ABSTAIN_USABLE_FRACTION
                  else f"only {m.n_beats} beat(s) detected")
    elif overall == "acceptable":
        reason = "; ".join(filter(None, [f"unusable lead(s) {', '.join(unusable)}" if unusable else "",
                                         m.limb_lead_reversal or ""]))
    else:
        reason = f"all {len(leads)} leads usable, {m.n_beats} beats"
    return QualityGrade(overall=overall, usable_leads=usable, unusable_leads=unusable,
                        missing_leads=list(m.missing_leads), lead_flags=flags, n_beats=int(m.n_beats),
                        limb_lead_reversal=m.limb_lead_reversal, problems=problems,
                        abstain=overall in ("poor", "unknown"), reason=reason)
