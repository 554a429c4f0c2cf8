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

_AF = (r"fibril+a\w*|fl[uú]t+er\w*|\bA-?fib\b|\bAF\b|\bAFL\b|\bAFIB\b|\bPAF\b|burden|out of rhythm|"
       r"time (?:spent )?in (?:AF|a-?fib|atrial)|\brhythms?\b|irregular\w*|arrhythmi\w*")
"""AF/flutter words; on a long record "what is the rhythm?" is answered by the AF/flutter episodes (and the
windows with P waves), not by the first minutes alone."""
_VENTRICULAR = (r"\bPVCs?\b|\bVPBs?\b|\bVEBs?\b|\bVEs?\b|\bventri[ck]ul\w*(?! (?:rate|response))|\bV-?tach\w*|\bNSVT\b|\bVT\b|"
                r"bigemin\w*|trigemin\w*|(?:bottom|lower) (?:of (?:the|my|his|her) heart|chambers?)")
_SUPRAVENTRICULAR = (r"\bPACs?\b|\bAPBs?\b|\bAPCs?\b|\bSVEB?s?\b|\bSVPBs?\b|supraventri[ck]ul\w*|premature atrial|"
                     r"\batrial (?:ectop\w*|premature|extra\w*|tachy\w*|runs?)|upper chambers?|\bSVT\b")
_ECTOPY = r"ectop\w*|premature|extra ?systol\w*|extra beats?|skipped beats?|couplets?|\bruns?\b|salvos?"
_RUNS = (r"\bruns?\b|tachycardi\w*|\btachy\b|\bV-?tach\w*|\bN?SVT\b|\bVT\b|salvos?|bursts?|consecutive|in a row|"
         r"three or more|\b3\s*\+|non-?sustained|fast rhythm")
_PAUSE = (r"\bpaus\w*|asystol\w*|sinus arrest|dropped beats?|gaps? between beats|heart (?:stop\w*|skip\w* a beat)|"
          r"stop(?:ped|s)? beating|RR (?:intervals? )?(?:over|above|longer|of more|>)")
_RATE_RANGE = (r"slowest|fastest|lowest|highest|(?:min|max)(?:imum)?\b|\baverage\b|\bmean\b|heart ?rates?|\bHR\b|"
               r"\bpulse\b|how (?:slow|fast)|rate (?:trend|range)")
_SUMMARY = (r"summar\w*|overall|\bmonitor\b|\btapes?\b|ambulatory|\bholter\b|whole (?:recording|record|tracing)|"
            r"entire|all night|overnight|(?:during|in|over) the (?:night|day|recording)|\b(?:24|48)[- ]?h(?:ours?|r)?\b|"
            r"twenty-four hours|in total|total (?:number|count|time)|how many|episodes?|paroxysm\w*|\bbouts?\b|"
            r"(?:write|give me|draft) (?:a |the |an )?(?:\w+ )?report")
_ASKS = re.compile("|".join(f"(?:{p})" for p in (_AF, _VENTRICULAR, _SUPRAVENTRICULAR, _ECTOPY, _PAUSE, _SUMMARY)),
                   re.IGNORECASE)
_RESTING = re.compile(r"\bQRS\b|\bPR\b|\bQTc?\b|\baxis\b|\bST\b|\bT[- ]waves?\b|\bP[- ]waves?\b|(?<!RR )(?<!R-R )\bintervals?\b|"
                      r"\b(?:QRS|P|PR|QT|T)[- ]?(?:wave )?(?:duration|width)|\bduration of (?:the )?(?:QRS|P|PR|QT|T)\b|voltage|hypertroph\w*|\bLVH\b|bundle|\bblock\b|infarct\w*|\bMI\b|"
                      r"isch(?:a)?emi\w*|\blead\b|morpholog\w*|\bdelta\b|\bWPW\b", re.IGNORECASE)
_RATE = re.compile(_RATE_RANGE + r"|brady\w*|tachy\w*", re.IGNORECASE)
"""Rate words that route a question to the whole recording; bradycardia and tachycardia too ("any brady
overnight?"), which the verdict answers with the rate range unless runs are asked ("runs of V tach")."""

TOPIC = Topic("whole_recording", "recording")


def asks_whole_recording(question: str) -> bool:
    """Whether ``question``, asked of a long recording, is about the recording as a whole (AF/flutter,
    ectopy, runs, pauses, the rate and its range, a summary) rather than about a wave, an interval, the
    axis or a morphology, which the resting tools answer from the first minutes."""
    english = to_english(question)
    if _RESTING.search(english):
        # "QRS width?" stays resting; "how many PVCs, and what's the QRS?" too (the resting tools answer
        # the morphology, the PVCs are in their anomalies)
        return False
    return bool(_ASKS.search(english) or _RATE.search(english))


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
    if asked["runs"] and not (asked["v"] or asked["s"] or asked["ectopy"]):  # "any tachycardia runs?": both classes
        asked["v"] = asked["s"] = True
    if not any(asked.values()) and _RATE.search(q):  # "any brady overnight?": the rate range answers
        asked["rate"] = True
    if (asked["v"] or asked["s"]) and all(m.lower() == "burden" for m in re.findall(_AF, q, re.IGNORECASE)):
        asked["af"] = False  # "the PVC burden" is no AF burden
    if asked["ectopy"] and not (asked["v"] or asked["s"]):
        asked["v"] = asked["s"] = True
    # "were there any PVCs?" gets a yes or no first; "how many PVCs?" the count
    # "... a few VPBs scattered through, yes?" / "no pauses, correct?" (holter-chat heldout2) confirm a guess
    confirm = re.search(r"[,;:—–-]\s*(?:yes|right|correct|true|no)\s*\?*\s*$", q, re.IGNORECASE)
    yes_no = (asks_yes_no(q) or confirm is not None) and not re.search(r"\bhow (?:many|much|often|long)\b|\bnumber\b|\bcount\b|burden|"
                                              r"percent|\bwhat\b", q, re.IGNORECASE)
    sentences, answers = [], []
    if asked["af"]:
        if r["af_episodes"]:
            longest = max(e["duration_s"] for e in r["episodes"])
            sentences.append(f"{'Yes: ' if yes_no else ''}AF/flutter in {r['af_episodes']} episode(s) {span}, burden {r['af_burden_pct']:g}% "
                             f"(the first from {r['episodes'][0]['onset_s']:g} s, the longest {longest:g} s).")
            answers.append("yes" if yes_no else "AF/flutter")
        else:
            sentences.append(f"No AF/flutter episode {span} ({r['n_windows']} windows of {r['window_s']:g} s; P waves "
                             f"in {r['n_p_wave_windows']} of them).")
            answers.append("no" if yes_no else "no AF/flutter")
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
