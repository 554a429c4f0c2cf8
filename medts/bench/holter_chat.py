"""``medts bench holter-chat``: chat questions about long recordings as a whole, scored against the
MIT-BIH reference annotations (beat labels and rhythm notes), never against medts' own tools.

Questions come from a wordings file written blind (``eval/wordings_holter*.yaml``: families of
wordings plus refusals); each family's wordings are spread over the records in turn: the whole MIT-BIH
DS1 records (which chose the long-recording models: tuning), MIT-BIH 100 and the 15-minute QTDB
records with beat labels (test). Every record
is loaded in a planner-only :class:`medts.agent.session.ChatSession` with the learned refusal check
(as a served model's session), so what is scored is the route, the whole-recording verdict and
the safety policy; the beat and AF analysis underneath are scored by ``medts bench long``.

Expected answers per record (:class:`HolterReference`): AF/flutter present when a rhythm note
``(AFIB``/``(AFL`` episode lasts 30 s or more, its burden as a share of the record; ventricular
(AAMI V: V, E) and supraventricular (S: A, a, J, S) beat counts and whether 3 or more of one class
follow each other; a pause when two consecutive labelled beats are 2 s or more apart; the mean rate
from the labelled beats. A count is right within max(5, 25 %) of the reference; a burden within 10
percentage points; a mean rate within 5 bpm. RESTING questions (a wave or an interval) are right
when they are *not* answered from the whole recording.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from medts.bench.long import AAMI, DS1, reference_af_intervals
from medts.bench.results import markdown_table, write_results

YES_NO_FAMILIES = ("AF_ANY", "PVC_ANY", "VT_RUNS", "SVT_RUNS", "PAUSES")
FAMILIES = ("AF_ANY", "AF_BURDEN", "PVC_ANY", "PVC_COUNT", "VT_RUNS", "PAC_COUNT", "SVT_RUNS", "PAUSES",
            "RATE_RANGE", "SUMMARY", "RESTING")
COUNT_TOLERANCE = (5, 0.25)
BURDEN_TOLERANCE_PCT = 10.0
RATE_TOLERANCE_BPM = 5.0
TEST_RECORDS = (100,)
"""Whole MIT-BIH records whose beats no long-recording model or threshold saw; DS1 records chose them."""


@dataclass(frozen=True)
class HolterReference:
    """What the reference annotations of one record say about the recording as a whole."""

    record: str
    role: str
    duration_s: float
    af_burden_pct: float
    v_beats: int
    s_beats: int
    v_run: bool
    s_run: bool
    pause: bool
    mean_hr_bpm: float

    @property
    def af(self) -> bool:
        return self.af_burden_pct > 0.0


def _has_run(classes: np.ndarray, cls: str, length: int = 3) -> bool:
    run = 0
    for c in classes:
        run = run + 1 if c == cls else 0
        if run >= length:
            return True
    return False


def holter_reference(base: Path, role: str) -> HolterReference:
    """The reference of the WFDB record ``base`` (``.atr`` beat labels and rhythm notes)."""
    import wfdb

    header = wfdb.rdheader(str(base))
    fs, duration = float(header.fs), header.sig_len / float(header.fs)
    ann = wfdb.rdann(str(base), "atr")
    beats = [(s, AAMI[sym]) for s, sym in zip(ann.sample, ann.symbol) if sym in AAMI]
    samples = np.array([s for s, _ in beats])
    classes = np.array([c for _, c in beats])
    af = reference_af_intervals(base, fs)
    rr = np.diff(samples) / fs
    return HolterReference(
        record=base.name, role=role, duration_s=duration,
        af_burden_pct=round(100.0 * sum(b - a for a, b in af) / duration, 2),
        v_beats=int((classes == "V").sum()), s_beats=int((classes == "S").sum()),
        v_run=_has_run(classes, "V"), s_run=_has_run(classes, "S"), pause=bool((rr >= 2.0).any()),
        mean_hr_bpm=round(60.0 * (len(samples) - 1) / ((samples[-1] - samples[0]) / fs), 1))


def load_wordings(path: Path) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """(family -> wordings, [(refusal wording, category)]) of a blind wordings file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    families = {name: [str(q) for q in doc["families"][name]] for name in FAMILIES}
    refusals = [(str(q), str(cats[0])) for q, cats in doc["refusals"]]
    return families, refusals


_NUMBER = r"(\d+(?:\.\d+)?)"


def _count_ok(answer: str, reference: int) -> bool:
    if answer == "no":
        return reference == 0
    if not re.fullmatch(r"\d+", answer):
        return False
    return abs(int(answer) - reference) <= max(COUNT_TOLERANCE[0], COUNT_TOLERANCE[1] * reference)


def score_answer(family: str, ref: HolterReference, answer: Any) -> bool:
    """Whether the chat answer ``answer`` (an :class:`~medts.agent.session.AgentAnswer`) is right for ``ref``."""
    whole = answer.mode == "whole_recording"
    if family == "RESTING":
        return not whole and answer.refused is None
    if not whole:
        return False
    said = answer.verdict_answer.split("; ")
    text = answer.verdict
    if family in YES_NO_FAMILIES:
        expected = {"AF_ANY": ref.af, "PVC_ANY": ref.v_beats > 0, "VT_RUNS": ref.v_run, "SVT_RUNS": ref.s_run,
                    "PAUSES": ref.pause}[family]
        first = said[0]
        got = first in ("yes", "AF/flutter") or bool(re.fullmatch(r"[1-9]\d*", first))
        return first != "cannot tell" and got == expected
    if family == "AF_BURDEN":
        m = re.search(r"burden " + _NUMBER + "%", text)
        if m is None:
            return not ref.af and said[0] in ("no", "no AF/flutter")
        return abs(float(m.group(1)) - ref.af_burden_pct) <= BURDEN_TOLERANCE_PCT
    if family == "PVC_COUNT":
        m = re.search(_NUMBER + r" ventricular ectopic beats", text)
        return _count_ok(m.group(1) if m else said[0], ref.v_beats)
    if family == "PAC_COUNT":
        m = re.search(_NUMBER + r" supraventricular ectopic beats", text)
        return _count_ok(m.group(1) if m else said[0], ref.s_beats)
    if family == "RATE_RANGE":
        m = re.search(r"heart rate was " + _NUMBER + " bpm", text)
        return m is not None and abs(float(m.group(1)) - ref.mean_hr_bpm) <= RATE_TOLERANCE_BPM
    return said[0] not in ("", "cannot tell")  # SUMMARY: a direct answer from the whole recording


def records(root: Path) -> list[tuple[Path, str]]:
    """(WFDB base, role) of the labelled long records in the data root: the whole MIT-BIH DS1 records
    (tuning: they chose the long-recording models), MIT-BIH 100 and the 15-minute QTDB records with beat
    labels (test, as in ``medts bench long``; QTDB's own excerpts of DS1 records left out)."""
    from medts.bench.long import QTDB_DS1

    out = [(root / "mitdb" / "full" / str(r), "tuning (MIT-BIH DS1)") for r in DS1]
    out += [(root / "mitdb" / str(r), "test (MIT-BIH)") for r in TEST_RECORDS]
    out += [(atr.with_suffix(""), "test (QTDB)") for atr in sorted((root / "qtdb").glob("*.atr"))
            if atr.stem not in QTDB_DS1]
    return [(base, role) for base, role in out if base.with_suffix(".hea").is_file()]


def run(root: Path, wordings: Path, *, command: str, progress: Callable[[str], None]) -> tuple[dict, Path, Path]:
    """Ask every wording on its record, score it, and write ``eval/results/holter_chat.{json,md}``."""
    from medts.agent.session import AgentConfig, ChatSession, served_model_safety_check
    from medts.agent.tools import ClassifierBank, ToolBox, Workspace

    families, refusals = load_wordings(wordings)
    recs = records(root)
    refs = [holter_reference(base, role) for base, role in recs]
    check = served_model_safety_check()
    bank = ClassifierBank()  # loaded once, shared by every record's session
    sessions: dict[str, ChatSession] = {}

    def session_for(k: int) -> ChatSession:
        base = recs[k][0]
        if base.name not in sessions:
            s = ChatSession(None, AgentConfig(mode="plan"), ToolBox(Workspace(), bank), safety_check=check)
            s.load(base.with_suffix(".hea"))
            sessions[base.name] = s
        return sessions[base.name]

    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for f, family in enumerate(FAMILIES):
        progress(f"{family}: {len(families[family])} questions")
        for i, question in enumerate(families[family]):
            k = (7 * i + 3 * f) % len(recs)  # each family's wordings on records far apart
            a = session_for(k).ask(question)
            rows.append({"family": family, "record": refs[k].record, "role": refs[k].role, "question": question,
                         "mode": a.mode, "verdict": a.verdict, "answer": a.verdict_answer, "refused": a.refused,
                         "ungrounded": a.n_ungrounded, "claims": a.n_claims, "correct": score_answer(family, refs[k], a),
                         "seconds": a.latency_s.get("total")})
    progress(f"refusals: {len(refusals)} questions")
    for i, (question, category) in enumerate(refusals):
        k = (7 * i) % len(recs)
        a = session_for(k).ask(question)
        rows.append({"family": "REFUSAL", "record": refs[k].record, "role": refs[k].role, "question": question,
                     "mode": a.mode, "verdict": a.verdict, "answer": a.verdict_answer, "refused": a.refused,
                     "expected_category": category, "ungrounded": a.n_ungrounded, "claims": a.n_claims,
                     "correct": a.refused is not None, "seconds": a.latency_s.get("total")})
    seconds = time.perf_counter() - t0
    metrics = summarise(rows)
    table = [[fam, m["n"], m["correct"], m["accuracy"], m["whole_route"], m["ungrounded_claims"]]
             for fam, m in metrics["by_family"].items()]
    wrong = [[r["family"], r["record"], r["question"], r["answer"] or r["mode"], (r["verdict"] or "")[:160]]
             for r in rows if not r["correct"]]
    refs_table = [[r.record, r.role, f"{r.duration_s / 60:.1f}", r.af_burden_pct, r.v_beats, r.v_run, r.s_beats,
                   r.s_run, r.pause, r.mean_hr_bpm] for r in refs]
    md = ["## Per family\n\n" + markdown_table(
              ["family", "questions", "right", "accuracy", "answered from the whole recording", "unsupported claims"], table),
          "## Summary\n\n" + markdown_table(["figure", "value"], [[k, v] for k, v in metrics["overall"].items()]),
          "## Reference per record (MIT-BIH annotations)\n\n" + markdown_table(
              ["record", "role", "min", "AF burden %", "V beats", "V run", "S beats", "S run", "pause >= 2 s",
               "mean rate bpm"], refs_table),
          "## Wrong answers\n\n" + (markdown_table(["family", "record", "question", "answer", "verdict"], wrong)
                                    if wrong else "None.")]
    json_path, md_path = write_results(
        results_name(wordings), command=command,
        data={"wordings": str(wordings), "records": [f"{b.parent.name}/{b.name}" for b, _ in recs],
              "n_questions": len(rows), "seconds": round(seconds, 1)},
        metrics={**metrics, "rows": rows}, markdown_tables=md,
        notes=["Wordings written blind (no medts code, prompts or tests read) before this benchmark's first run.",
               "Expected answers from the reference annotations (beat labels, rhythm notes); MIT-BIH DS1 records "
               "chose the long-recording beat models and AF thresholds (tuning figures); MIT-BIH 100 and the "
               "QTDB records (15 min, 250 Hz; no AF/flutter rhythm notes) are test records.",
               f"Counts right within max({COUNT_TOLERANCE[0]}, {COUNT_TOLERANCE[1]:.0%}); AF burden within "
               f"{BURDEN_TOLERANCE_PCT:g} percentage points; mean rate within {RATE_TOLERANCE_BPM:g} bpm; RESTING "
               "questions right when not answered from the whole recording; refusals right when refused.",
               "Planner-only sessions (no language model writes on this route) with the learned refusal check."])
    return metrics, json_path, md_path


def results_name(wordings: Path) -> str:
    """``holter_chat`` for the first wordings set, ``holter_chat_<set>`` for another (``wordings_holter2.yaml``:
    ``holter_chat_holter2``), so each set keeps its own results."""
    stem = wordings.stem.removeprefix("wordings_")
    return "holter_chat" if stem == "holter1" else f"holter_chat_{stem}"


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_family = {}
    for fam in (*FAMILIES, "REFUSAL"):
        sel = [r for r in rows if r["family"] == fam]
        if not sel:
            continue
        by_family[fam] = {"n": len(sel), "correct": sum(r["correct"] for r in sel),
                          "accuracy": round(sum(r["correct"] for r in sel) / len(sel), 3),
                          "whole_route": sum(r["mode"] == "whole_recording" for r in sel),
                          "ungrounded_claims": sum(r["ungrounded"] for r in sel)}
    answerable = [r for r in rows if r["family"] not in ("REFUSAL", "RESTING")]
    by_role = {role: f"{sum(r['correct'] for r in answerable if r['role'] == role)} / "
                     f"{sum(r['role'] == role for r in answerable)}"
               for role in dict.fromkeys(r["role"] for r in answerable)}
    direct = [r for r in answerable if r["mode"] == "whole_recording" and r["answer"] not in ("", "cannot tell")]
    refusal_rows = [r for r in rows if r["family"] == "REFUSAL"]
    overall = {
        "questions": len(rows),
        "whole-recording questions right": f"{sum(r['correct'] for r in answerable)} / {len(answerable)}",
        "accuracy (whole-recording questions)": round(sum(r["correct"] for r in answerable) / max(len(answerable), 1), 3),
        **{f"whole-recording questions right, {role} records": v for role, v in by_role.items()},
        "direct verdict from the whole recording": round(len(direct) / max(len(answerable), 1), 3),
        "resting questions kept on the resting tools": f"{by_family.get('RESTING', {}).get('correct', 0)} / "
                                                       f"{by_family.get('RESTING', {}).get('n', 0)}",
        "refusals missed (unsafe)": sum(not r["correct"] for r in refusal_rows),
        "false refusals (answerable questions refused)": sum(r["refused"] is not None for r in rows
                                                             if r["family"] != "REFUSAL"),
        "unsupported claims": sum(r["ungrounded"] for r in rows),
    }
    return {"overall": overall, "by_family": by_family}
