"""The agent question suites' question files (``eval/questions*.yaml``): references from the datasets,
:func:`build_questions` (a suite's wordings, :mod:`medts.bench.agent_suites`, asked about its records),
:func:`write_questions` and :func:`load_questions`. Asking and scoring them: :mod:`medts.bench.agent`.

Each question names the facts a correct answer must contain, taken from the datasets' own references,
never from medts's tools:

- LUDB (records with cardiologist annotations): heart rate from the annotated QRS peaks of lead II
  (median RR), QRS duration (median over leads and beats of the annotated QRS), PR (lead II),
  QTc Bazett from the annotated QT (lead II), rhythm and electrical axis from ``ludb.csv``;
- PTB-XL: SCP statements of the record (``scp_codes``);
- statement definitions (the glossary must state them).

Regenerate every suite's file: ``medts bench agent --write-questions``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from medts.bench.agent_suites import PTBXL_EXTRA, SUITES
from medts.config import PROJECT_ROOT


# ---------------------------------------------------------------------------------------------
# References from the datasets
# ---------------------------------------------------------------------------------------------
def ludb_reference(rec: Any) -> dict[str, Any]:
    """Heart rate, QRS, PR, QT, QTc (Bazett) from the cardiologists' annotations of one record."""
    lead2 = rec.waves.get("II", [])
    qrs2 = [w for w in lead2 if w.kind == "QRS" and w.peak is not None]
    rr = np.diff([w.peak for w in qrs2]) / rec.ecg.fs * 1000.0
    med_rr = float(np.median(rr)) if len(rr) else None
    durations = []
    for waves in rec.waves.values():
        d = [(w.offset - w.onset) for w in waves if w.kind == "QRS" and w.onset is not None and w.offset is not None]
        if d:
            durations.append(float(np.median(d)) / rec.ecg.fs * 1000.0)
    pr, qt = [], []
    for i, w in enumerate(lead2):
        if w.kind != "QRS" or w.onset is None:
            continue
        prev = [p for p in lead2[:i] if p.kind == "P" and p.onset is not None and 0 < w.onset - p.onset < 0.4 * rec.ecg.fs]
        if prev:
            pr.append((w.onset - prev[-1].onset) / rec.ecg.fs * 1000.0)
        nxt = [t for t in lead2[i + 1:i + 3] if t.kind == "T" and t.offset is not None]
        if nxt:
            qt.append((nxt[0].offset - w.onset) / rec.ecg.fs * 1000.0)
    out: dict[str, Any] = {
        "hr_bpm": None if med_rr is None else round(60000.0 / med_rr, 1),
        "qrs_ms": round(float(np.median(durations)), 1) if durations else None,
        "pr_ms": round(float(np.median(pr)), 1) if len(pr) >= 2 else None,
        "qt_ms": round(float(np.median(qt)), 1) if len(qt) >= 2 else None,
    }
    out["qtc_bazett_ms"] = (None if out["qt_ms"] is None or med_rr is None
                            else round(out["qt_ms"] / math.sqrt(med_rr / 1000.0), 1))
    out["qrs_axis_deg"] = annotated_axis_deg(rec)
    return out


def annotated_axis_deg(rec: Any) -> float | None:
    """QRS axis (degrees) from the net QRS deflection in leads I and aVF, each beat's deflection
    measured between the cardiologists' QRS onset and offset (relative to the onset sample).

    Why not ludb.csv's "Electric axis of the heart": its "left axis deviation" is not the AHA
    one (axis below -30 deg) that PTB-XL and medts use: 61 of 200 records carry it, next to a
    separate "horizontal" class, and this annotation-based axis is above -30 deg in 46 of those 61
    (median -11 deg), so the label answers another question than "is there left axis deviation"."""
    nets = []
    for lead in ("I", "aVF"):
        if lead not in rec.ecg.leads:
            return None
        x = rec.ecg.signal[:, rec.ecg.leads.index(lead)]
        beats = [x[w.onset:w.offset + 1] - x[w.onset] for w in rec.waves.get(lead, [])
                 if w.kind == "QRS" and w.onset is not None and w.offset is not None and w.offset > w.onset]
        if len(beats) < 2:
            return None
        nets.append(float(np.median([b.max() + b.min() for b in beats])))
    return round(math.degrees(math.atan2(nets[1], nets[0])), 1)


AXIS_MARGIN_DEG = 10.0
"""An annotated axis this close to a category limit (-90, -30, +90, 180 deg) is asked as a
number (tolerance 20 deg), not as a category: the net-deflection axis is a few degrees from
the area-based one."""


def axis_expectation(axis_deg: float) -> list[dict[str, Any]]:
    """What an axis question on a record with this annotated axis must say: the engine's
    category (:func:`medts.interpret.axis.axis_category`), or the number near a category limit."""
    from medts.interpret.axis import axis_category

    a = (axis_deg + 180.0) % 360.0 - 180.0
    if any(abs(a - lim) < AXIS_MARGIN_DEG for lim in (-90.0, -30.0, 90.0)) or abs(abs(a) - 180.0) < AXIS_MARGIN_DEG:
        return [{"number": "qrs_axis_deg", "value": axis_deg, "unit": "deg", "tol": 20.0}]
    return [{"statement": _AXIS[axis_category(a)], "present": True}]


_AXIS = {"left axis deviation": "AXIS_LEFT", "right axis deviation": "AXIS_RIGHT", "normal axis": "AXIS_NORMAL",
         "extreme axis deviation": "AXIS_EXTREME"}


def _pick(kind: str, k: int, wording: dict[str, tuple[str, ...]]) -> str:
    options = wording[kind]
    return options[k % len(options)]


def hypertrophy_family(question: str) -> str:
    """The statement a hypertrophy question asks: LVH when it names the left ventricle, else the
    family HYP ("Does the ECG show hypertrophy?" is answered by any ventricular hypertrophy)."""
    return "LVH" if re.search(r"\bleft\b|\bLVH\b", question, re.IGNORECASE) else "HYP"


def build_questions(ludb_root: Path, ptbxl_root: Path | None = None, *, suite: str = "main") -> list[dict[str, Any]]:
    """The questions of ``suite`` (:data:`medts.bench.agent_suites.SUITES`): its wordings asked about
    its records: LUDB records (cardiologist references), PTB-XL fold 9 statement questions, glossary,
    comparisons, questions no tool can decide, and adversarial questions (dosing, prognosis,
    identity, instructions in the question or in the record's header).

    Each question has ``answer``: the form a direct answer takes (``yes/no``, ``number``,
    ``category``, ``text``, ``refusal``, ``cannot tell``)."""
    from medts.interpret import reference_range
    from medts.interpret.ranges import BRADY_BPM, TACHY_BPM
    from medts.io.ludb import ludb_diagnoses, read_ludb

    questions: list[dict[str, Any]] = []
    words = SUITES[suite].load_wordings()
    wording = words.paraphrases
    records = SUITES[suite].records

    def pick(kind: str, k: int) -> str:  # this suite's wording
        return _pick(kind, k, wording)

    def add(record: dict[str, Any], question: str, answer: str, expect: list[dict[str, Any]] | None = None,
            **extra: Any) -> None:
        q = {"id": f"q{len(questions) + 1:03d}", "record": record, "question": question, "answer": answer,
             "expect": expect or [], **extra}
        questions.append(q)

    diagnoses = ludb_diagnoses(ludb_root)
    af_ids = [rid for rid, dx in sorted(diagnoses.items())
              if "atrial fibrillation" in " ".join(dx.get("Rhythms", [])).lower()]
    refs = {}
    for k, rid in enumerate(list(records.ludb) + af_ids[records.af[0]:records.af[1]]):
        rec = read_ludb(ludb_root, rid)
        ref = ludb_reference(rec)
        refs[rid] = ref
        record = {"dataset": "ludb", "id": rid}
        dx = rec.diagnoses
        rhythm = " ".join(dx.get("Rhythms", [])).lower()
        if ref["hr_bpm"]:
            add(record, pick("hr", k), "number",
                [{"number": "hr_bpm", "value": ref["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * ref["hr_bpm"])}])
        if "flutter" not in rhythm:
            add(record, pick("AFIB", k), "yes/no", [{"statement": "AFIB", "present": "atrial fibrillation" in rhythm}])
        if rid not in records.ludb:
            continue
        if "sinus" in rhythm and "wandering" not in rhythm and k % 2 == 0:
            add(record, pick("rhythm", k // 2), "category" if not pick("rhythm", k // 2).startswith("Is") else "yes/no",
                [{"statement": "SR", "present": True}])
        if ref["qrs_ms"]:
            add(record, pick("qrs", k), "number", [{"number": "qrs_ms", "value": ref["qrs_ms"], "unit": "ms", "tol": 20.0}])
        if ref["qrs_axis_deg"] is not None:  # see annotated_axis_deg: not ludb.csv's axis class
            expect = axis_expectation(ref["qrs_axis_deg"])
            add(record, pick("axis", k), "category", expect)
            add(record, pick("AXIS_LEFT", k), "yes/no",
                [dict(expect[0])] if "number" in expect[0] else [{"statement": "AXIS_LEFT", "present": expect[0]["statement"] == "AXIS_LEFT"}])
        if ref["pr_ms"]:
            add(record, pick("pr", k), "number", [{"number": "pr_ms", "value": ref["pr_ms"], "unit": "ms", "tol": 25.0}])
        conduction = " ".join(dx.get("Conduction abnormalities", [])).lower()
        add(record, pick("1AVB", k), "yes/no", [{"statement": "1AVB", "present": "i degree av block" in conduction}])
        add(record, pick("BBB", k), "yes/no", [{"statement": "BBB", "present": "bundle branch block" in conduction}])
        hyp = " ".join(dx.get("Hypertrophies", [])).lower()
        question = pick("LVH", k)
        fam = hypertrophy_family(question)
        ventricular = "left ventricular hypertrophy" in hyp or (fam == "HYP" and "right ventricular hypertrophy" in hyp)
        add(record, question, "yes/no", [{"statement": fam, "present": ventricular}])
        if ref["qtc_bazett_ms"]:
            add(record, pick("qtc", k), "number",
                [{"number": "qtc_bazett_ms", "value": ref["qtc_bazett_ms"], "unit": "ms", "tol": 30.0}])
            limit = reference_range("qtc_bazett_ms", rec.ecg.sex)[1]  # the engine's limit (450 ms men / 460 ms women)
            add(record, pick("LNGQT", k), "yes/no", [{"statement": "LNGQT", "present": ref["qtc_bazett_ms"] > limit}])
        if "bradycardia" in rhythm or (k % 3 == 0 and "sinus rhythm" in rhythm):
            question = pick("SBRAD", k)  # "too slow" asks about the rate (bradycardia), not the sinus node
            # the engine's definition (sinus rate < BRADY_BPM, 2018 ACC/AHA/HRS) on the cardiologists'
            # annotated rate, as LNGQT uses the engine's QTc limit: ludb.csv's "sinus bradycardia" follows
            # another convention (below about 55 bpm: LUDB 133 at 50.6 bpm and 134 at 50.0 bpm carry it)
            slow = "bradycardia" in rhythm and ref["hr_bpm"] is not None and ref["hr_bpm"] < BRADY_BPM
            add(record, question, "yes/no", [{"statement": "BRADY" if "slow" in question else "SBRAD",
                                              "present": slow}])
        lines = {x.strip().lower() for x in dx.get("Rhythms", []) + dx.get("Conduction abnormalities", [])}
        for j, (code, line) in enumerate(records.ludb_extra):
            present = any(x.startswith(line) for x in lines)  # "atrial flutter, typical"
            if code == "STACH":  # the engine's definition on the annotated rate, as bradycardia
                present = present and ref["hr_bpm"] is not None and ref["hr_bpm"] > TACHY_BPM
            if present or (k + j) % 4 == 0:  # every positive, and a negative on every 4th record
                add(record, pick(code, k), "yes/no", [{"statement": code, "present": present}])
    first_af = af_ids[records.af[0]] if len(af_ids) > records.af[0] else None
    pairs = [(before, first_af if after is None else after) for before, after in records.pairs]
    for before, after in pairs:
        if before in refs and after in refs and refs[before]["hr_bpm"] and refs[after]["hr_bpm"]:
            add({"dataset": "ludb", "id": after}, "Compare with the previous ECG: what changed?", "text",
                [{"number": "hr_bpm", "value": refs[before]["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * refs[before]["hr_bpm"])},
                 {"number": "hr_bpm", "value": refs[after]["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * refs[after]["hr_bpm"])}],
                previous={"dataset": "ludb", "id": before})
    for question, phrase in words.glossary:
        add({"dataset": "ludb", "id": records.ludb[0]}, question, "text", [{"text": phrase}])
    for k, question in enumerate(words.cannot_tell):
        add({"dataset": "ludb", "id": records.cannot_tell_first + k}, question, "cannot tell",
            [{"text": "Cannot tell from this ECG"}])
    for k, (question, categories) in enumerate(words.refusals):
        add({"dataset": "ludb", "id": records.refusal_first + k % 10}, question, "refusal", refuse=list(categories))
    for k, comment in enumerate(words.header_injections):
        rid = records.injection_first + k
        # the reference of a record asked only under injection (these questions were once silently
        # left out: the reference was looked up among the detail records only)
        ref = refs.get(rid) or ludb_reference(read_ludb(ludb_root, rid))
        if ref.get("hr_bpm"):
            add({"dataset": "ludb", "id": rid}, pick("hr", k + 1), "number",
                [{"number": "hr_bpm", "value": ref["hr_bpm"], "unit": "bpm", "tol": max(5.0, 0.05 * ref["hr_bpm"])}],
                header_injection=comment, forbid=list(words.injection_forbidden))
    if ptbxl_root is not None:
        questions += _ptbxl_questions(ptbxl_root, start=len(questions), wording=wording, skip=records.ptbxl_skip,
                                      extra=records.ptbxl_extra, extra_skip=dict(records.ptbxl_extra_skip))
    return questions


REPORT_WORDS = {"MI": r"infar[kc]", "IMI": r"infar[kc]", "BBB": r"sch?enkelblock|sk.nkelblock|bundle.branch",
                "CLBBB": r"sch?enkelblock|sk.nkelblock|bundle.branch", "AFIB": r"flimmer|fibrillation",
                "LVH": r"hypertro", "1AVB": r"a-?v.block|first.degree|1st.degree",
                "AFLT": r"flattern|flutter|fladder", "STACH": r"tachy|takyk", "SBRAD": r"brady",
                "CRBBB": r"sch?enkelblock|sk.nkelblock|bundle.branch|RBBB",
                "LAFB": r"hemiblock|fascic|faszik|fasc|\bLAH|LAFB", "LMI": r"infar[kc]"}
"""Words by which a PTB-XL report (German, Swedish or English) names a statement family; a record
whose report names it is not taken as a negative for that family."""


def _ptbxl_questions(root: Path, start: int, wording: dict[str, tuple[str, ...]],
                     skip: int = 0, extra: tuple[str, ...] = (),
                     extra_skip: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Yes/no questions about statement families on PTB-XL fold-9 records with raw signals: the
    record's ``scp_codes`` (likelihood >= 50, or 0 for rhythm/form codes, which PTB-XL gives no
    likelihood) and ``heart_axis`` are the reference, asked in ``wording`` (a suite's paraphrases);
    codes with likelihood 15-35 are skipped, and a negative's report must not name the family
    (:data:`REPORT_WORDS`). ``skip``: records per family
    asked by an earlier suite (positives 4 each, negatives 3, axis 4); ``extra``: families of
    :data:`PTBXL_EXTRA` no earlier suite asks, taken from the first record on (``extra_skip``: records
    per extra family skipped, as ``skip``, for those an earlier suite asks)."""
    from medts.io.ptbxl import PtbxlIndex
    from medts.labels import STATEMENTS

    index = PtbxlIndex.open(root, sampling_rate=100)
    ids = index.ecg_ids(folds=[9])
    family = {"MI": {c for c, s in STATEMENTS.items() if s.diagnostic_class == "MI"},
              "BBB": {"CLBBB", "CRBBB", "ILBBB", "IRBBB"}, "LVH": {"LVH"}, "AFIB": {"AFIB"}, "NORM": {"NORM"},
              "IMI": {"IMI", "ILMI", "IPLMI", "IPMI"}, "CLBBB": {"CLBBB"}, "1AVB": {"1AVB"},
              "STTC": {c for c, s in STATEMENTS.items() if s.diagnostic_class == "STTC"}}

    def named_in_report(ecg_id: int, fam: str) -> bool:
        """Whether the record's free-text report names the family (German, Swedish or English)."""
        words = REPORT_WORDS.get(fam)
        return bool(words and re.search(words, str(index.table.loc[ecg_id, "report"]), re.IGNORECASE))

    def codes(ecg_id: int) -> tuple[set[str], set[str]]:
        scp = index.table.loc[ecg_id, "scp_codes"]
        scp = scp if isinstance(scp, dict) else __import__("ast").literal_eval(scp)
        sure = {c for c, v in scp.items() if v >= 50 or v == 0}
        return sure, set(scp) - sure

    out: list[dict[str, Any]] = []
    families = [(fam, members, skip) for fam, members in family.items()]
    families += [(f"{fam}_extra", PTBXL_EXTRA[fam], (extra_skip or {}).get(fam, 0)) for fam in extra]
    for key, members, fam_skip in families:
        fam = key.removesuffix("_extra")
        pos = [i for i in ids if codes(i)[0] & members][4 * fam_skip:4 * fam_skip + 4]
        # a negative has no code of the family (sure or not) and a report that does not name it: ecg_id 17
        # ("inferiorer infarkt alter unbest.", no MI code) is no reference for "no infarction"
        neg = [i for i in ids if not (codes(i)[0] | codes(i)[1]) & members
               and not named_in_report(i, fam)][3 * fam_skip:3 * fam_skip + 3]
        for k, ecg_id in enumerate(pos + neg):
            # an extra family already asked of LUDB records starts further on in its wordings
            question, code, present = _pick(fam, k + (5 if key != fam else 0), wording), fam, ecg_id in pos
            if fam == "LVH" and hypertrophy_family(question) == "HYP":  # asks the family: any ventricular hypertrophy
                code, present = "HYP", bool(codes(ecg_id)[0] & {"LVH", "RVH", "SEHYP"})
            if fam == "SBRAD" and "slow" in question:  # "too slow" asks about the rate (bradycardia)
                code = "BRADY"
            out.append({"id": f"q{start + len(out) + 1:03d}", "record": {"dataset": "ptbxl", "id": int(ecg_id)},
                        "question": question, "answer": "yes/no", "expect": [{"statement": code, "present": present}]})
    axis = {"ALAD": "AXIS_LEFT", "MID": "AXIS_NORMAL", "RAD": "AXIS_RIGHT"}
    table = index.table
    for name, code in axis.items():
        chosen = [i for i in ids if str(table.loc[i, "heart_axis"]) == name][4 * skip:4 * skip + 4]
        for k, ecg_id in enumerate(chosen):
            out.append({"id": f"q{start + len(out) + 1:03d}", "record": {"dataset": "ptbxl", "id": int(ecg_id)},
                        "question": _pick("axis", k + 1, wording), "answer": "category",
                        "expect": [{"statement": code, "present": True}]})
    return out


def write_questions(path: Path | None = None, *, ludb_root: Path, ptbxl_root: Path | None,
                    suite: str = "main") -> Path:
    """Write a suite's question file (by default ``SUITES[suite].questions_path``); a held-out one keeps
    only the questions whose text the main suite does not ask, renumbered with its id prefix
    (``h001``...; :attr:`Suite.size` of them spread evenly where set)."""
    spec = SUITES[suite]
    path = path or spec.questions_path
    questions = build_questions(ludb_root, ptbxl_root, suite=suite)
    header = ("# Agent question suite (medts bench agent). Generated by\n"
              "#   medts bench agent --write-questions\n"
              "# Expected facts come from the datasets' references (LUDB cardiologist annotations and\n"
              "# ludb.csv, PTB-XL scp_codes, the statement glossary), never from medts's tools.\n")
    if suite != "main":
        asked = {q["question"] for q in build_questions(ludb_root, ptbxl_root)}
        new = [q for q in questions if q["question"] not in asked]
        if spec.size is not None:
            new = spread(new, spec.size)
        questions = [{**q, "id": f"{spec.id_prefix}{i + 1:03d}"} for i, q in enumerate(new)]
        header += (f"# Held-out wordings ({spec.wordings_path.relative_to(PROJECT_ROOT)}), written after the router was last\n"
                   "# changed and not used to change it before their first run.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump({"version": 1, "questions": questions}, sort_keys=False))
    return path


def load_questions(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())["questions"]


def spread(items: list[Any], n: int) -> list[Any]:
    """``n`` items spread evenly over ``items`` (all of them when ``n >= len(items)``).

    >>> spread(list(range(10)), 4)
    [0, 2, 5, 7]
    """
    if n >= len(items):
        return list(items)
    return [items[int(k * len(items) / n)] for k in range(n)]
