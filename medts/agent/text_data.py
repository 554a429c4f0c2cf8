"""Training and evaluation data for the report-text head: targets, labels and cached tool facts.

Targets (what the text head learns to write), per record:

- **structured** (PTB-XL): sentences made from the record's SCP statements (``scp_codes``) plus
  the heart rate copied from the measurements tool, e.g. ``"Sinus rhythm. Left ventricular hypertrophy. Heart rate 74 bpm."``;
- **ptbxl report**: PTB-XL's free-text ``report``. About 64 % are German, 3 % Swedish and
  32 % English (marker words over all 21,837 rows). Decision: English reports are used as they
  are; German ones are translated with a small phrase glossary (:data:`GERMAN_GLOSSARY`, the most
  frequent phrases) and kept only when every word of the
  translation is in the vocabulary of the English reports (otherwise dropped: the structured
  target of the same record still covers it); Swedish reports are dropped;
- **ludb**: LUDB's cardiologist diagnoses as sentences (records 1-130 only; 131-160 are held out).

Tool facts (``record_summary``, ``measurements``, ``classify``) are computed once per record and
cached as JSON lines under ``runs/text_head/facts-<dataset>.jsonl``; training and ``medts bench
report-text`` both read that cache.

Example
-------
>>> translate_german("sinusrhythmus lagetyp normal normales ekg")
'sinus rhythm. normal axis. normal ecg.'
>>> structured_target(["SR", "LVH"], {"hr_bpm": {"value": 74.2}})
'Sinus rhythm. Left ventricular hypertrophy. Heart rate 74 bpm.'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from medts.agent.tools import ToolBox, Workspace
from medts.config import PROJECT_ROOT
from medts.errors import MedtsError
from medts.record import ECG

CACHE = PROJECT_ROOT / "runs" / "text_head"
LUDB_TRAIN = range(1, 131)
LUDB_EVAL = range(131, 161)

# Frequent German report phrases (PTB-XL, Schiller machine wording) -> English. Longest first.
GERMAN_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("unbestätigter bericht", ""), ("sinusrhythmus", "sinus rhythm."), ("sinusarrhythmie", "sinus arrhythmia."),
    ("sinus arrhythmie", "sinus arrhythmia."), ("sinustachykardie", "sinus tachycardia."),
    ("sinusbradykardie", "sinus bradycardia."), ("vorhofflimmern", "atrial fibrillation."),
    ("vorhofflattern", "atrial flutter."), ("schrittmacher ekg", "pacemaker ecg."),
    ("lagetyp normal", "normal axis."), ("überdrehter linkstyp", "left axis deviation."),
    ("ueberdrehter linkstyp", "left axis deviation."), ("überdrehter rechtstyp", "right axis deviation."),
    ("linkstyp", "left axis."), ("rechtstyp", "right axis."), ("steiltyp", "vertical axis."),
    ("sonst normales ekg", "otherwise normal ecg."), ("normales ekg", "normal ecg."),
    ("wahrscheinlich normales ekg", "probably normal ecg."), ("grenzwertiges ekg", "borderline ecg."),
    ("unspezifisches abnormes t", "non-specific t wave abnormality."),
    ("unspezifisches abnormales t", "non-specific t wave abnormality."),
    ("st & t abnorm", "st-t abnormality."), ("t abnorm", "t wave abnormality."),
    ("qrs(t) abnorm", "abnormal qrs(t)."), ("qt-verlängerung", "prolonged qt."),
    ("av block i", "first degree av block."), ("av-block i", "first degree av block."),
    ("linksanteriorer hemiblock", "left anterior fascicular block."),
    ("unvollständiger rechtsschenkelblock", "incomplete right bundle branch block."),
    ("kompletter rechtsschenkelblock", "complete right bundle branch block."),
    ("rechtsschenkelblock", "right bundle branch block."), ("linksschenkelblock", "left bundle branch block."),
    ("linksventrikuläre hypertrophie", "left ventricular hypertrophy."),
    ("ventrikuläre extrasystole(n)", "premature ventricular contraction(s)."),
    ("supraventrikuläre extrasystole(n)", "premature atrial contraction(s)."),
    ("periphere niedervoltage", "low limb lead voltage."), ("p-verbreiterung", "broad p wave."),
    ("inferiorer infarkt", "inferior infarction."), ("anteroseptaler infarkt", "anteroseptal infarction."),
    ("alter unbest.", "age undetermined."), ("alter unbest", "age undetermined."),
    ("wahrscheinlich alt", "probably old."),
    ("wahrscheinlich", "probably"), ("ischämie oder linksbelastung", "ischaemia or left ventricular strain."),
    ("anterolaterale", "anterolateral"), ("inferolaterale", "inferolateral"), ("hochlaterale", "high lateral"),
)
_SWEDISH = re.compile(r"sinusrytm|förlopp|vänster|höger|normalt ekg|kammar|el-axel", re.IGNORECASE)


def _clean(report: str) -> str:
    text = str(report).lower().replace("ä", "ä").replace("ö", "ö").replace("ü", "ü")
    text = re.sub(r"\b\d+\s+unbestätigter bericht", " ", text)
    text = re.sub(r"\bedit:.*$|\(norm \d+\)|\b\d+\s*$", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def translate_german(report: str) -> str:
    """Phrase-glossary translation of a German PTB-XL report (words not in the glossary stay)."""
    text = _clean(report)
    for de, en in GERMAN_GLOSSARY:
        text = text.replace(de, f" {en} " if en else " ")
    text = re.sub(r"\s+([.,])", r"\1", re.sub(r"\s+", " ", text)).strip()
    return re.sub(r"\.(\s*\.)+", ".", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-zà-ÿ]+", text.lower())


@cache
def english_vocabulary(reports: tuple[str, ...]) -> frozenset[str]:
    """Words of the reports that are already English (they say "sinus rhythm." or "normal ecg.")."""
    vocab: set[str] = set()
    for r in reports:
        low = str(r).lower()
        if re.search(r"sinus rhythm\.|normal ecg\.|atrial fibrillation\.", low):
            vocab.update(_words(low))
    return frozenset(vocab)


def english_report(report: str, vocabulary: frozenset[str]) -> str | None:
    """The report in English (as is, or glossary-translated), or None when it cannot be used."""
    text = _clean(report)
    if not text or _SWEDISH.search(text):
        return None
    if not all(w in vocabulary for w in _words(text)):
        text = translate_german(text)
    words = _words(text)
    if len(words) < 2 or not all(w in vocabulary for w in words):
        return None
    text = re.sub(r"\s+", " ", text).strip(" ,")
    text = re.sub(r"\becg\b", "ECG", text if text.endswith(".") else text + ".")
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def statement_sentence(code: str) -> str:
    """A sentence for an SCP code that the grounding lexicon reads back as that code ("" if none)."""
    from medts.agent.grounding import find_statements
    from medts.labels import STATEMENTS

    d = STATEMENTS[code].description.split(" (")[0]  # "(sinus rhythm slower than 60 bpm)": no numbers
    s = d[:1].upper() + d[1:]
    for sentence in (s + ".", f"{code} ({d})."):
        if code in [c for _, c, neg in find_statements(sentence) if not neg]:
            return sentence
    return ""  # the grounding lexicon cannot read this code back (NT_): left out of targets


def structured_target(codes: Iterable[str], measurements: dict[str, Any] | None) -> str:
    """Sentences for ``codes`` (known SCP codes only) plus heart rate from the measurements."""
    from medts.labels import STATEMENTS

    parts = [s for s in (statement_sentence(c) for c in codes if c in STATEMENTS) if s]
    hr = (measurements or {}).get("hr_bpm")
    hr = hr.get("value") if isinstance(hr, dict) else hr
    if isinstance(hr, (int, float)):
        parts.append(f"Heart rate {hr:.0f} bpm.")
    return " ".join(parts)


def ludb_sentences(diagnoses: dict[str, list[str]]) -> str:
    """LUDB diagnoses (ludb.csv columns -> lines) as sentences."""
    lines = [line.strip().rstrip(".") for col in diagnoses.values() for line in col if line.strip()]
    return " ".join(line[:1].upper() + line[1:] + "." for line in lines)


def ludb_codes(diagnoses: dict[str, list[str]]) -> list[str]:
    """SCP codes of the LUDB diagnoses (:func:`medts.labels.ludb_text_to_scp`), de-duplicated in order."""
    from medts.labels import ludb_text_to_scp

    out: list[str] = []
    for col in diagnoses.values():
        for line in col:
            out += [c for c in ludb_text_to_scp(line) if c not in out]
    return out


# ---------------------------------------------------------------------------------------------
# Cached tool facts
# ---------------------------------------------------------------------------------------------
def facts_path(dataset: str) -> Path:
    return CACHE / f"facts-{dataset}.jsonl"


def load_facts(dataset: str) -> dict[str, dict[str, Any]]:
    """``record id -> {"facts": ..., "labels": [...], "target"...}`` from the cache (empty if none)."""
    path = facts_path(dataset)
    out: dict[str, dict[str, Any]] = {}
    if path.is_file():
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                if i == len(lines) - 1:  # a row still being appended by another process: read it next time
                    break
                raise MedtsError(f"{path}: line {i + 1} is not JSON (delete the file to recompute the facts)") from None
            out[str(row["record_id"])] = row
    return out


def cache_facts(dataset: str, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows (each with ``record_id``) to the dataset's facts cache."""
    path = facts_path(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
            f.flush()


def prepare_facts(dataset: str, record_ids: Iterable[int], *, root: str | Path | None = None) -> int:
    """Compute and cache tool facts, labels and targets for ``dataset`` ("ptbxl" or "ludb")
    records not cached yet; returns how many were added. One failure never stops the loop."""
    import sys

    from medts.config import dataset_dir

    root = Path(root) if root else dataset_dir(dataset)
    done = load_facts(dataset)
    box = ToolBox(Workspace())
    n = 0
    if dataset == "ptbxl":
        from medts.io.ptbxl import PtbxlIndex

        index = PtbxlIndex.open(root, sampling_rate=100)
        vocab = english_vocabulary(tuple(index.table["report"].astype(str)))
    for rid in record_ids:
        if str(rid) in done:
            continue
        try:
            if dataset == "ptbxl":
                row_meta = index.table.loc[rid]
                ecg = index.read(rid)
                codes = list(row_meta["scp_codes"])
                extra = {"fold": int(row_meta["strat_fold"]), "report": str(row_meta["report"]),
                         "report_en": english_report(str(row_meta["report"]), vocab)}
            else:
                from medts.io.ludb import read_ludb

                rec = read_ludb(root, int(rid))
                ecg, codes = rec.ecg, ludb_codes(rec.diagnoses)
                extra = {"ludb_text": ludb_sentences(rec.diagnoses)}
            box.workspace.records.clear()
            box._cache.clear()
            facts = tool_facts(ecg, toolbox=box)
            row = {"record_id": str(rid), "labels": codes, "facts": facts,
                   "target_structured": structured_target(codes, facts.get("measurements")), **extra}
        except Exception as error:  # noqa: BLE001 - logged, the loop goes on
            print(f"{dataset} {rid}: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        cache_facts(dataset, [row])
        n += 1
    return n


REPORT_TOOLS = ("record_summary", "measurements", "classify")
"""The tools a report text is written from."""


def tool_facts(ecg: ECG, *, toolbox: ToolBox | None = None, classify: bool = True) -> dict[str, Any]:
    """The tool JSON a report text is written from (``record_summary``, ``measurements``,
    ``classify`` as the agent's :class:`ToolBox` returns them)."""
    box = toolbox or ToolBox(Workspace())
    box.workspace.records["current"] = ecg
    names = REPORT_TOOLS if classify else REPORT_TOOLS[:2]
    return {name: box.run(name, {"record": "current"}) for name in names}
