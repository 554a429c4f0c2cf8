"""Chat about a long recording as a whole: AF/flutter episodes and burden, ectopic beats, runs,
pauses and the rate range over every window (the ``whole_recording`` tool, :mod:`medts.longterm`).

A record of at least ``medts.interpret.longterm.REPORT_WHOLE_RECORD_MIN_S`` is read for chat on its
first minutes (the resting tools); a question about the recording as a whole (:func:`asks_whole_recording`)
is answered from the windowed analysis of the whole file instead, with a direct verdict
(:func:`whole_recording_verdict`) built only from the tool's fields, so the grounding check can cite
each number.

Example
-------
>>> asks_whole_recording("What is the AF burden?"), asks_whole_recording("What is the QT interval?")
(True, False)
"""

from __future__ import annotations

import re
from typing import Any

from medts.agent.languages import to_english
from medts.agent.verdict import Topic, Verdict, asks_yes_no

_AF = r"fibrillat\w*|flutter|\bA-?fib\b|\bAF\b|\bAFL\b|\bAFIB\b|burden"
_VENTRICULAR = r"\bPVCs?\b|\bVPBs?\b|\bVEBs?\b|ventricular (?:ectop\w*|premature|extra)|\bV-?tach\w*|\bNSVT\b|\bVT\b|bigemin\w*|trigemin\w*"
_SUPRAVENTRICULAR = r"\bPACs?\b|\bAPBs?\b|\bSVEBs?\b|supraventricular|atrial (?:ectop\w*|premature|extra)|\bSVT\b"
_ECTOPY = r"ectop\w*|premature|extra ?systol\w*|extra beats?|skipped beats?|couplets?|\bruns?\b"
_RUNS = r"\bruns?\b|tachycardia|\bV-?tach\w*|\bN?SVT\b|\bVT\b|salvos?"
_PAUSE = r"\bpauses?\b|asystol\w*|sinus arrest|dropped beats?|\bgaps? between beats\b"
_RATE_RANGE = (r"slowest|fastest|lowest (?:heart )?rate|highest (?:heart )?rate|(?:min|max)(?:imum)? (?:heart )?rate|"
               r"rate (?:trend|range)|heart rate over|average (?:heart )?rate")
_WHOLE = (r"whole (?:recording|record|tracing|holter)|entire|all night|overnight|during the (?:night|day|recording)|"
          r"\bholter\b|\b(?:24|48)[- ]?h(?:ours?|r)?\b|over the (?:recording|day|night)|in total|total (?:number|count)|"
          r"how many|episodes?|paroxysm\w*|\bbouts?\b")
_ASKS = re.compile("|".join(f"(?:{p})" for p in (_AF, _VENTRICULAR, _SUPRAVENTRICULAR, _ECTOPY, _PAUSE, _RATE_RANGE, _WHOLE)),
                   re.IGNORECASE)

TOPIC = Topic("whole_recording", "recording")


def asks_whole_recording(question: str) -> bool:
    """Whether ``question`` asks about what happens over a long recording (AF/flutter, ectopy, pauses,
    the rate range, or the recording as a whole) rather than about a wave or an interval."""
    return bool(_ASKS.search(to_english(question)))


def whole_recording_verdict(question: str, r: dict[str, Any]) -> Verdict:
    """The direct answer from the ``whole_recording`` tool result ``r``: one sentence per thing asked
    (AF/flutter, ventricular or supraventricular ectopy, pauses, rate range), or the whole summary."""
    if not r.get("available", True):
        return Verdict(TOPIC, "cannot tell", f"Cannot tell over the whole recording: {r.get('reason', 'not analysed')}.")
    q = to_english(question)
    span = f"over the whole {r['duration_minutes']:g} min recording"
    asked = {name: bool(re.search(p, q, re.IGNORECASE)) for name, p in (
        ("af", _AF), ("v", _VENTRICULAR), ("s", _SUPRAVENTRICULAR), ("ectopy", _ECTOPY), ("pause", _PAUSE),
        ("rate", _RATE_RANGE), ("runs", _RUNS))}
    if asked["ectopy"] and not (asked["v"] or asked["s"]):
        asked["v"] = asked["s"] = True
    # "were there any PVCs?" gets a yes or no first; "how many PVCs?" the count
    yes_no = asks_yes_no(q) and not re.search(r"\bhow (?:many|much|often|long)\b|\bnumber\b|\bcount\b|burden|"
                                              r"percent|\bwhat\b", q, re.IGNORECASE)
    sentences, answers = [], []
    if asked["af"]:
        if r["af_episodes"]:
            longest = max(e["duration_s"] for e in r["episodes"])
            sentences.append(f"Yes: AF/flutter in {r['af_episodes']} episode(s) {span}, burden {r['af_burden_pct']:g}% "
                             f"(the first from {r['episodes'][0]['onset_s']:g} s, the longest {longest:g} s).")
            answers.append("yes")
        else:
            sentences.append(f"No AF/flutter episode {span} ({r['n_windows']} windows of {r['window_s']:g} s).")
            answers.append("no")
    for kind, name in (("v", "ventricular"), ("s", "supraventricular")):
        if not asked[kind]:
            continue
        ectopy = r[name]
        if not ectopy["n_beats"]:
            sentences.append(f"No {name} ectopic beat {span}.")
            answers.append("no")
            continue
        runs = [x for x in r["runs"] if x["kind"] == kind.upper()]
        if asked["runs"]:  # "any runs of VT?": the runs decide the yes or no
            head = (f"Yes: {len(runs)} run(s) of {r['run_min_beats']} or more {name} beats {span}; " if runs else
                    f"No run of {r['run_min_beats']} or more {name} beats {span}; ")
            answers.append("yes" if runs else "no")
        elif yes_no:
            head = "Yes: "
            answers.append("yes")
        else:
            head = ""
            answers.append(str(ectopy["n_beats"]))
        detail = [f"{ectopy['couplets']} couplet(s)"] if ectopy["couplets"] else []
        if runs:
            top = max(runs, key=lambda x: x["n_beats"])
            detail.append(f"{len(runs)} run(s) of {r['run_min_beats']} or more, the longest {top['n_beats']} beats "
                          f"at {top['onset_s']:g} s")
        if kind == "v" and ectopy.get("n_bigeminy_beats"):
            detail.append(f"{ectopy['n_bigeminy_beats']} beats in bigeminy")
        sentences.append(head + f"{ectopy['n_beats']} {name} ectopic beats {span} ({ectopy['burden_pct']:g}% of "
                         f"{r['n_beats']} beats" + "".join(f"; {d}" for d in detail) + ").")
    if asked["pause"]:
        if r["n_pauses"]:
            sentences.append(f"{r['n_pauses']} pause(s) of {r['pause_min_s']:g} s or more {span} (the longest "
                             f"{r['longest_pause_s']:g} s at {r['longest_pause_onset_s']:g} s).")
            answers.append(str(r["n_pauses"]))
        else:
            sentences.append(f"No pause of {r['pause_min_s']:g} s or more {span}.")
            answers.append("no")
    if asked["rate"]:
        rate = r["rate"]
        if rate["mean_hr_bpm"] is None:
            sentences.append(f"Cannot tell the rate range {span}: no window had enough beats for a rate.")
            answers.append("cannot tell")
        else:
            sentences.append(f"{span[0].upper()}{span[1:]}, the heart rate was {rate['mean_hr_bpm']:g} bpm on average; slowest window "
                             f"{rate['slowest_window_hr_bpm']:g} bpm at {rate['slowest_window_at_s']:g} s, fastest "
                             f"{rate['fastest_window_hr_bpm']:g} bpm at {rate['fastest_window_at_s']:g} s.")
            answers.append(f"{rate['mean_hr_bpm']:g} bpm")
    if not sentences:
        return Verdict(TOPIC, "summary", r["summary"])
    return Verdict(TOPIC, answers[0] if len(answers) == 1 else "; ".join(answers), " ".join(sentences))
