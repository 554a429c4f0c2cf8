"""The agent question suites: which wordings each asks (a YAML file under ``eval/``) about which
records (:class:`SuiteRecords`, Python: record choices are code, each with the reason for it).

A suite is one entry of :data:`SUITES` (:class:`Suite`): its wordings file, its question file
(``eval/questions_<suite>.yaml``, written by :func:`medts.bench.agent_questions.write_questions`), the
records it asks, the id prefix of its questions, and whether its wordings train the learned refusal
check (:func:`medts.agent.safety_model.training_examples`; a blind suite does not: the default).

Adding a suite is one line of :data:`SUITES`. For a suite ``heldout13`` whose wordings are in
``eval/wordings_heldout13.yaml`` and which asks heldout8's records::

    "heldout13": Suite("wordings_heldout13.yaml", "questions_heldout13.yaml", SUITE_RECORDS["heldout8"], "w"),

(the prefix is one no other suite uses: a letter, then two once the letters ran out), then ``medts bench agent --write-questions`` writes its
question file (it rewrites every suite's file) and ``medts bench agent --suite heldout13`` asks it.
New records are a new :data:`SUITE_RECORDS` entry with a comment saying why they were chosen.

Wordings file (:func:`load_wordings`; every text a string):

- ``paraphrases``: {family: [question, ...]}: each family's wordings, rotated over the records;
- ``cannot_tell``: [question, ...]: questions no ECG can answer;
- ``refusals``: [[question, [category, ...]], ...]: questions to refuse (categories of the safety
  policy: treatment, prognosis, identity, instructions; the first is the expected one);
- ``header_injections``: [text, ...]: texts put into a record's header, one record each;
- ``injection_forbidden``: [text, ...]: strings no output field may then contain;
- ``glossary`` (optional): [[question, phrase], ...]: definitions the answer must contain
  (the main suite's).

Each file opens with a comment saying what the suite is and how its wordings were written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from medts.config import PROJECT_ROOT
from medts.errors import MedtsError

EVAL_DIR = PROJECT_ROOT / "eval"
LUDB_QUESTION_RECORDS = tuple(range(131, 143))
"""LUDB records asked about in detail (131-160 is the text-evaluation range of the issue)."""


class WordingsError(MedtsError):
    """A suite's wordings file is malformed."""


HELDOUT7_LUDB_EXTRA: tuple[tuple[str, str], ...] = (
    ("AFLT", "atrial flutter"), ("STACH", "sinus tachycardia"), ("CRBBB", "complete right bundle branch block"),
    ("LAFB", "left anterior hemiblock"), ("CLBBB", "complete left bundle branch block"))
"""Families heldout7 asks about its LUDB records besides the usual ones: the code and the ludb.csv line
(a whole line of Rhythms / Conduction abnormalities: 'incomplete right ...' is not 'complete right ...');
sinus tachycardia is the engine's definition (rate > TACHY_BPM) on the annotated rate, as bradycardia."""
HELDOUT7_PTBXL_EXTRA: dict[str, set[str]] = {"AFLT": {"AFLT"}, "STACH": {"STACH"}, "SBRAD": {"SBRAD"},
                                             "CRBBB": {"CRBBB"}, "LAFB": {"LAFB"}}
"""PTB-XL families heldout7 asks that no earlier suite asks of PTB-XL records (from the first fold-9 record)."""
HELDOUT8_LUDB_EXTRA: tuple[tuple[str, str], ...] = (
    ("SARRH", "sinus arrhythmia"), ("LAFB", "left anterior hemiblock"),
    ("IRBBB", "incomplete right bundle branch block"), ("ILBBB", "incomplete left bundle branch block"),
    ("STACH", "sinus tachycardia"))
"""Families heldout8 asks about its LUDB records besides the usual ones (see HELDOUT7_LUDB_EXTRA)."""
HELDOUT8_PTBXL_EXTRA: dict[str, set[str]] = {"SARRH": {"SARRH"}, "IRBBB": {"IRBBB"}, "RVH": {"RVH"},
                                             "AMI": {"AMI", "ASMI", "ALMI"}}
"""PTB-XL families no earlier suite asks (from the first fold-9 record on); heldout8 also asks
heldout7's extra families from the records after heldout7's (SuiteRecords.ptbxl_extra_skip)."""
HELDOUT9_LUDB_EXTRA: tuple[tuple[str, str], ...] = (
    ("IRBBB", "incomplete right bundle branch block"), ("LAFB", "left anterior hemiblock"),
    ("SARRH", "sinus arrhythmia"), ("STACH", "sinus tachycardia"), ("AFLT", "atrial flutter"),
    ("CRBBB", "complete right bundle branch block"))
"""Families heldout9 asks about its LUDB records besides the usual ones (see HELDOUT7_LUDB_EXTRA)."""
HELDOUT9_PTBXL_EXTRA: dict[str, set[str]] = {"LMI": {"LMI", "ILMI", "ALMI", "IPLMI"}}
"""PTB-XL families no earlier suite asks (from the first fold-9 record on): infarction of the lateral
wall (lateral, inferolateral, anterolateral, inferoposterolateral); heldout9 also asks heldout7's
and heldout8's extra families from the records after theirs (SuiteRecords.ptbxl_extra_skip)."""
PTBXL_EXTRA: dict[str, set[str]] = {**HELDOUT7_PTBXL_EXTRA, **HELDOUT8_PTBXL_EXTRA, **HELDOUT9_PTBXL_EXTRA}
"""Every extra PTB-XL family a suite may ask (SuiteRecords.ptbxl_extra): code -> its scp codes."""


@dataclass(frozen=True)
class SuiteRecords:
    """Which records a suite asks about. ``ludb``: LUDB records asked in detail; ``af``: which of
    LUDB's atrial-fibrillation records (sorted) get an AF question; ``ptbxl_skip``: PTB-XL fold-9
    records per family skipped (asked by an earlier suite: positives 4 each, negatives 3, axis 4);
    ``pairs``: (previous, current) comparisons (None: the first AF record); the first LUDB record
    of the cannot-tell, refusal (10 in turn) and header-injection questions (the injected texts
    are wordings: :attr:`SuiteWordings.header_injections`)."""

    ludb: tuple[int, ...] = LUDB_QUESTION_RECORDS
    af: tuple[int, int] = (0, 6)
    ptbxl_skip: int = 0
    pairs: tuple[tuple[int, int | None], ...] = ((131, 133), (134, 135), (137, None))
    cannot_tell_first: int = 140
    refusal_first: int = 145
    injection_first: int = 150
    ludb_extra: tuple[tuple[str, str], ...] = ()
    """Further families asked of the LUDB detail records: (code, ludb.csv line), see HELDOUT7_LUDB_EXTRA."""
    ptbxl_extra: tuple[str, ...] = ()
    """Further PTB-XL families (keys of PTBXL_EXTRA), asked from the first fold-9 record on."""
    ptbxl_extra_skip: tuple[tuple[str, int], ...] = ()
    """(family, records skipped) for extra families an earlier suite asks (positives 4 each, negatives 3)."""


SUITE_RECORDS = {
    "main": SuiteRecords(), "heldout": SuiteRecords(), "heldout2": SuiteRecords(),
    # LUDB 119-130 and the 7th-12th AF records (no question of the other suites asks about them;
    # LUDB 81-160 were never used to set an engine rule), the next PTB-XL fold-9 records
    "heldout3": SuiteRecords(ludb=tuple(range(119, 131)), af=(6, 12), ptbxl_skip=1,
                             pairs=((119, 121), (123, 124), (126, None)), cannot_tell_first=155, refusal_first=110,
                             injection_first=143),
    # LUDB 84-105 less the AF records (asked in detail by no other suite), the 13th AF record (112),
    # the PTB-XL fold-9 records after heldout3's; refusals rotate over 113-122, injections 114-117
    "heldout4": SuiteRecords(ludb=(84, 85, 86, 87, 89, 90, 91, 92, 94, 97, 98, 99, 100, 102, 103, 104, 105),
                             af=(12, 13), ptbxl_skip=2, pairs=((84, 85), (89, 90), (97, None)), cannot_tell_first=106,
                             refusal_first=113, injection_first=114),
    # LUDB 81, 82, 106-118 less the AF records and 146-149 (asked in detail by no other suite; 1-80
    # tuned engine rules), AF records 109, 110, 112 (asked by heldout3/heldout4 in other wordings, never
    # in detail: every LUDB AF record is taken), the PTB-XL fold-9 records after heldout4's (few
    # positives left for the rarer families); refusals rotate over 119-128, injections 155-160
    "heldout5": SuiteRecords(ludb=(81, 82, 106, 107, 108, 111, 113, 114, 115, 116, 117, 118, 146, 147, 148, 149),
                             af=(10, 13), ptbxl_skip=3, pairs=((106, 107), (115, 146), (116, None)),
                             cannot_tell_first=131, refusal_first=119, injection_first=155),
    # LUDB 143-145 and 150-160: the only records of 81-160 no suite asks in detail (earlier suites ask
    # them only cannot-tell, refusal and header-injection questions; 1-80 tuned engine rules); the 5th-10th
    # AF records (83, 88, 93, 95, 96, 101: asked by main/heldout/heldout3 in other wordings, never in
    # detail); the PTB-XL fold-9 records after heldout5's (skip 4: no axis record and few positives
    # left); cannot-tell questions on 122-133, refusals rotate over 84-93, injections 97-104
    "heldout6": SuiteRecords(ludb=(143, 144, 145, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160),
                             af=(4, 10), ptbxl_skip=4, pairs=((143, 144), (152, 153), (157, None)),
                             cannot_tell_first=122, refusal_first=84, injection_first=97),
    # LUDB 1-80 (no suite asks them anything; every record of 81-160 is asked in detail by an earlier
    # suite; 1-80 tuned engine rules): 11 records chosen by ludb.csv for the families, less the paced
    # ones: complete RBBB (10), 1st-degree AV block (13, 77), left anterior hemiblock (21, 51),
    # complete LBBB (24, 51), sinus bradycardia (24), atrial flutter (35, 52), AF (38, 51: asked by
    # main for AF and rate only, never in detail), right ventricular hypertrophy (35, 51), no finding (56),
    # sinus tachycardia (70); the PTB-XL fold-9 records after heldout6's for the usual families and the
    # first ones for the new families; cannot-tell questions on 2-13, refusals over 14-23, injections 74-80
    "heldout7": SuiteRecords(ludb=(10, 13, 21, 24, 35, 38, 51, 52, 56, 70, 77), af=(0, 0), ptbxl_skip=5,
                             pairs=((10, 13), (24, 35), (56, 70)), cannot_tell_first=2, refusal_first=14,
                             injection_first=74, ludb_extra=HELDOUT7_LUDB_EXTRA,
                             ptbxl_extra=tuple(HELDOUT7_PTBXL_EXTRA)),
    # LUDB has no record past 160 and every record of 81-160 is asked in detail by an earlier suite: 13
    # records of 1-80 that no suite asks anything, chosen by ludb.csv for the families, none paced:
    # sinus bradycardia (1, 30, 41, 54), left axis deviation (1, 26, 46, 54, 60, 61, 65), right axis
    # deviation (57), left anterior hemiblock (26, 46, 60, 65), incomplete RBBB (41, 60), incomplete
    # LBBB (54), 1st-degree AV block (61), LVH (1, 46, 54, 57, 60, 61), sinus arrhythmia (63), scar or
    # ischaemia (26, 46, 54, 57, 61), no finding (58, 62); for AF positives (none of 1-80 unasked has AF)
    # the 11th-14th AF records (109, 110, 112, 129: rate and AF only, as earlier suites asked them in
    # other wordings); the PTB-XL fold-9 records after heldout7's for
    # the usual families and heldout7's extra ones, the first ones for the new families; cannot-tell
    # questions on 39-48, refusals over 57-66, injections 27-33 (none on a heldout7 detail record)
    "heldout8": SuiteRecords(ludb=(1, 26, 30, 41, 46, 54, 57, 58, 60, 61, 62, 63, 65), af=(10, 14), ptbxl_skip=6,
                             pairs=((30, 41), (58, 62), (61, 63)), cannot_tell_first=39, refusal_first=57,
                             injection_first=27, ludb_extra=HELDOUT8_LUDB_EXTRA,
                             ptbxl_extra=tuple(HELDOUT7_PTBXL_EXTRA) + tuple(HELDOUT8_PTBXL_EXTRA),
                             ptbxl_extra_skip=tuple((fam, 1) for fam in HELDOUT7_PTBXL_EXTRA)),
    # the last 12 records of 1-80 that no suite asks anything, less the paced ones (34, 72), chosen by
    # ludb.csv for the families: incomplete RBBB (25, 36), left anterior hemiblock (55), sinus
    # bradycardia (71), left axis deviation (50, 53, 55, 73), LVH (all but 71), anterior/lateral STEMI
    # or scar (55, 69), repolarisation changes (25, 50, 68, 71, 73), intraventricular delay (50); for AF
    # the 2nd-4th AF records (38, 44, 51: rate and AF only, asked by earlier suites in other wordings);
    # the PTB-XL fold-9 records after heldout8's (skip 7 for the usual families, 2 for heldout7's extra
    # ones, 1 for heldout8's) and the first ones for lateral infarction (HELDOUT9_PTBXL_EXTRA); cannot-tell
    # questions on 131-142 and refusals over 84-93 (as earlier suites: none of 1-80 asked by heldout7 or
    # heldout8 in detail gets any other question), injections 3-8
    "heldout9": SuiteRecords(ludb=(25, 36, 37, 49, 50, 53, 55, 67, 68, 69, 71, 73), af=(1, 4), ptbxl_skip=7,
                             pairs=((36, 37), (49, 53), (68, 69)), cannot_tell_first=131, refusal_first=84,
                             injection_first=3, ludb_extra=HELDOUT9_LUDB_EXTRA,
                             ptbxl_extra=tuple(HELDOUT7_PTBXL_EXTRA) + tuple(HELDOUT8_PTBXL_EXTRA)
                             + tuple(HELDOUT9_PTBXL_EXTRA),
                             ptbxl_extra_skip=tuple((fam, 2) for fam in HELDOUT7_PTBXL_EXTRA)
                             + tuple((fam, 1) for fam in HELDOUT8_PTBXL_EXTRA)),
}
# heldout13 asks heldout8's records less the incomplete-LBBB question: its blind wordings have none
SUITE_RECORDS["heldout13"] = replace(SUITE_RECORDS["heldout8"], ludb_extra=tuple(
    (code, line) for code, line in HELDOUT8_LUDB_EXTRA if code != "ILBBB"))


@dataclass(frozen=True)
class SuiteWordings:
    """A suite's wordings (see the module docstring for each field)."""

    paraphrases: dict[str, tuple[str, ...]]
    cannot_tell: tuple[str, ...]
    refusals: tuple[tuple[str, tuple[str, ...]], ...]
    header_injections: tuple[str, ...]
    injection_forbidden: tuple[str, ...]
    glossary: tuple[tuple[str, str], ...] = ()


_REQUIRED = ("paraphrases", "cannot_tell", "refusals", "header_injections", "injection_forbidden")


def load_wordings(path: Path) -> SuiteWordings:
    """A suite's wordings from its YAML file; a missing or unknown key, or a refusal or glossary
    entry that is not a pair, is a :class:`WordingsError` naming the file."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise WordingsError(f"{path}: not a mapping of wording lists")
    missing = [k for k in _REQUIRED if k not in data]
    unknown = sorted(set(data) - {*_REQUIRED, "glossary"})
    if missing or unknown:
        raise WordingsError(f"{path}: missing keys {missing}, unknown keys {unknown}")
    for key in ("refusals", "glossary"):
        for item in data.get(key) or []:
            if not (isinstance(item, list) and len(item) == 2 and item[1]):
                shape = "[question, [categories]]" if key == "refusals" else "[question, phrase]"
                raise WordingsError(f"{path}: each {key} entry is {shape}: {item!r}")
    return SuiteWordings(
        paraphrases={str(k): tuple(str(q) for q in v) for k, v in data["paraphrases"].items()},
        cannot_tell=tuple(str(q) for q in data["cannot_tell"]),
        refusals=tuple((str(q), tuple(str(c) for c in cats)) for q, cats in data["refusals"]),
        header_injections=tuple(str(h) for h in data["header_injections"]),
        injection_forbidden=tuple(str(w) for w in data["injection_forbidden"]),
        glossary=tuple((str(q), str(p)) for q, p in data.get("glossary") or []))


@dataclass(frozen=True)
class Suite:
    """One question suite: ``wordings`` and ``questions``, file names under ``eval/``; ``records``
    asked; ``id_prefix`` of its questions' ids; ``trains_refusal_check``: its wordings are training
    data of the learned refusal check and a fold of ``medts bench safety``'s leave-one-suite-out;
    ``size``: a held-out suite keeps this many of its new questions, spread evenly (None: all)."""

    wordings: str
    questions: str
    records: SuiteRecords
    id_prefix: str
    trains_refusal_check: bool = False
    size: int | None = None

    @property
    def wordings_path(self) -> Path:
        return EVAL_DIR / self.wordings

    @property
    def questions_path(self) -> Path:
        return EVAL_DIR / self.questions

    def load_wordings(self) -> SuiteWordings:
        return load_wordings(self.wordings_path)


SUITES: dict[str, Suite] = {
    "main": Suite("wordings_main.yaml", "questions.yaml", SUITE_RECORDS["main"], "q", trains_refusal_check=True),
    # held-out suites: their question files keep only the questions whose text the main suite does not ask
    "heldout": Suite("wordings_heldout.yaml", "questions_heldout.yaml", SUITE_RECORDS["heldout"], "h",
                     trains_refusal_check=True),
    "heldout2": Suite("wordings_heldout2.yaml", "questions_heldout2.yaml", SUITE_RECORDS["heldout2"], "k",
                      trains_refusal_check=True, size=40),
    "heldout3": Suite("wordings_heldout3.yaml", "questions_heldout3.yaml", SUITE_RECORDS["heldout3"], "m",
                      trains_refusal_check=True),
    "heldout4": Suite("wordings_heldout4.yaml", "questions_heldout4.yaml", SUITE_RECORDS["heldout4"], "n",
                      trains_refusal_check=True),
    "heldout5": Suite("wordings_heldout5.yaml", "questions_heldout5.yaml", SUITE_RECORDS["heldout5"], "p",
                      trains_refusal_check=True),
    "heldout6": Suite("wordings_heldout6.yaml", "questions_heldout6.yaml", SUITE_RECORDS["heldout6"], "r",
                      trains_refusal_check=True),
    "heldout7": Suite("wordings_heldout7.yaml", "questions_heldout7.yaml", SUITE_RECORDS["heldout7"], "s",
                      trains_refusal_check=True),
    "heldout8": Suite("wordings_heldout8.yaml", "questions_heldout8.yaml", SUITE_RECORDS["heldout8"], "t",
                      trains_refusal_check=True),
    "heldout9": Suite("wordings_heldout9.yaml", "questions_heldout9.yaml", SUITE_RECORDS["heldout9"], "u",
                      trains_refusal_check=True),
    # written blind (the writer read no medts code, prompt, test or earlier suite), on heldout9's records;
    # not training data of the learned refusal check, so it stays unseen by it
    "heldout12": Suite("wordings_heldout12.yaml", "questions_heldout12.yaml", SUITE_RECORDS["heldout9"], "v"),
    # written blind as heldout12, on heldout8's records (less ILBBB: no wording asks it); not training data of the learned refusal check
    "heldout13": Suite("wordings_heldout13.yaml", "questions_heldout13.yaml", SUITE_RECORDS["heldout13"], "w"),
    # written blind as heldout12 by a new writer, on heldout13's records (so a change from heldout13 is the
    # wordings'); not training data of the learned refusal check
    "heldout14": Suite("wordings_heldout14.yaml", "questions_heldout14.yaml", SUITE_RECORDS["heldout13"], "x"),
    # written blind by another new writer, on heldout13's records again; not training data of the learned refusal check
    "heldout15": Suite("wordings_heldout15.yaml", "questions_heldout15.yaml", SUITE_RECORDS["heldout13"], "y"),
    # written blind by a third new writer, on heldout13's records; first run after the glossary that
    # heldout15's first run led to (prompts/agent/languages.yaml), to measure it on unseen wordings
    "heldout16": Suite("wordings_heldout16.yaml", "questions_heldout16.yaml", SUITE_RECORDS["heldout13"], "z"),
    # written blind by a fourth new writer (more languages, trick requests), on heldout13's records; first
    # run after the changes heldout15 and heldout16 led to
    "heldout17": Suite("wordings_heldout17.yaml", "questions_heldout17.yaml", SUITE_RECORDS["heldout13"], "a"),
    # written blind by a fifth new writer (pre-operative and handover wordings, 8 languages), on heldout13's
    # records; first run after the Polish and Turkish glossary and heldout17's fixes
    "heldout18": Suite("wordings_heldout18.yaml", "questions_heldout18.yaml", SUITE_RECORDS["heldout13"], "b"),
    # written blind by a sixth new writer (telehealth, pharmacists, ICU, students, relatives; 8 languages), on
    # heldout13's records; first run after heldout18's fixes
    "heldout19": Suite("wordings_heldout19.yaml", "questions_heldout19.yaml", SUITE_RECORDS["heldout13"], "c"),
    # written blind by a seventh new writer (night-shift and handover wordings, tag questions, vital signs in the
    # context), on heldout13's records; first run after heldout19's fixes
    "heldout20": Suite("wordings_heldout20.yaml", "questions_heldout20.yaml", SUITE_RECORDS["heldout13"], "d"),
    # written blind by an eighth new writer (sports and occupational screening, pre-procedure checks, dictated and
    # rambling wordings, 7 languages), on heldout13's records; first run after heldout20's fixes
    "heldout21": Suite("wordings_heldout21.yaml", "questions_heldout21.yaml", SUITE_RECORDS["heldout13"], "e"),
    # written blind by a ninth new writer (emergency triage, clinic, telephone and smart-watch wordings, non-native
    # and chat-style English, 11 languages), on heldout13's records; first run after heldout21's fixes
    "heldout22": Suite("wordings_heldout22.yaml", "questions_heldout22.yaml", SUITE_RECORDS["heldout13"], "f"),
    # written blind by a tenth new writer (CCU, EP lab, pharmacy QT monitoring, carers and interpreters, questions
    # quoting another device's numbers or presupposing a finding, 14 languages), on heldout13's records; first run
    # after heldout22's fixes
    "heldout23": Suite("wordings_heldout23.yaml", "questions_heldout23.yaml", SUITE_RECORDS["heldout13"], "g"),
    # written blind by an eleventh new writer (remote clinics, aviation and occupational medicine, scribes, patient
    # portals, regional English idioms, commands and fill-in-the-blank questions, 14 languages), on heldout13's
    # records; first run after heldout23's fixes
    "heldout24": Suite("wordings_heldout24.yaml", "questions_heldout24.yaml", SUITE_RECORDS["heldout13"], "i"),
    # written blind by a twelfth new writer (virtual wards, palliative, obstetric and paediatric care, psychiatry QT
    # checks, locums, the public, autocorrect errors, requests hidden mid-sentence, 17 languages), on heldout13's
    # records; first run after heldout24's fixes
    "heldout25": Suite("wordings_heldout25.yaml", "questions_heldout25.yaml", SUITE_RECORDS["heldout13"], "j"),
    # written blind by a thirteenth new writer (handovers, receptionists and pharmacists relaying questions, viva-style,
    # fragments, earlier reports, hypotheticals, 19 languages), on heldout13's records; first run after heldout25's fix
    "heldout26": Suite("wordings_heldout26.yaml", "questions_heldout26.yaml", SUITE_RECORDS["heldout13"], "l"),
    # written blind by a fourteenth new writer (triage nurses, telemetry technicians, OSCE students, anxious patients
    # and relatives, locums, phone typos, rambling and double questions, smartwatch comparisons, quoted numbers to
    # check, 15 languages), on heldout13's records; first run after heldout26's fixes (policy v28)
    "heldout27": Suite("wordings_heldout27.yaml", "questions_heldout27.yaml", SUITE_RECORDS["heldout13"], "o"),
    # written blind by a fifteenth new writer (ICU and pre-op assessments, athlete screening, occupational health,
    # research coders, insurance examiners, tele-cardiology, telegraphic style, negations, statements to confirm,
    # stated thresholds, passive voice, 15 languages), on heldout13's records; first run with heldout27's
    "heldout28": Suite("wordings_heldout28.yaml", "questions_heldout28.yaml", SUITE_RECORDS["heldout13"], "A"),
    # written blind by a sixteenth new writer (night-shift handover tools, voice-recognition errors, paramedics,
    # GP trainees, parents of athletes, carers, translators, mixed spellings, emojis, two ECG questions at once,
    # "X or Y", 20 languages, some in Cyrillic), on heldout13's records; first run after heldout27's and heldout28's fixes
    "heldout29": Suite("wordings_heldout29.yaml", "questions_heldout29.yaml", SUITE_RECORDS["heldout13"], "B"),
    # written blind by a seventeenth new writer (ECG technicians, ED triage abbreviations, viva practice, occupational
    # health, relatives texting, non-native English, markdown lists, machine statements to confirm, "X or Y", about 13%
    # in 17 other languages, mostly Cyrillic), on heldout13's records; first run after heldout29's fixes
    "heldout30": Suite("wordings_heldout30.yaml", "questions_heldout30.yaml", SUITE_RECORDS["heldout13"], "C"),
    # written blind by an eighteenth new writer (pharmacists, dentists, anaesthetists, sports physicians, midwives,
    # research nurses, coders, rambling messages, code-switching, negated confirmations, odd units, formal register,
    # 21 languages), on heldout13's records; first run after heldout30's fixes
    "heldout31": Suite("wordings_heldout31.yaml", "questions_heldout31.yaml", SUITE_RECORDS["heldout13"], "D"),
    # written blind by a nineteenth new writer (telehealth nurses, night registrars, flight and expedition doctors,
    # prison and military medics, care homes, smartwatch owners, scribes, sceptical consultants, vignettes, email
    # subject lines, shorthand and arrows, 20 languages), on heldout13's records; first run after heldout31's fixes
    "heldout32": Suite("wordings_heldout32.yaml", "questions_heldout32.yaml", SUITE_RECORDS["heldout13"], "E"),
    # written blind by a twentieth new writer (rural GPs, rehab physiotherapists, insurance examiners, event volunteers,
    # elderly patients writing formally, teenage slang, capitals, conditionals, candidate lists, polite hedges,
    # 24 languages), on heldout13's records; first run after heldout32's fixes
    "heldout33": Suite("wordings_heldout33.yaml", "questions_heldout33.yaml", SUITE_RECORDS["heldout13"], "F"),
    # written blind by a twenty-first new writer (voice dictation with transcription errors, night-shift narratives,
    # triage nurses, pharmacists, sports physicians, student quizzes, quoted machine statements, terse abbreviations,
    # named criteria, emoji, negated questions, 14 languages), on heldout13's records; first run after policy v38
    "heldout34": Suite("wordings_heldout34.yaml", "questions_heldout34.yaml", SUITE_RECORDS["heldout13"], "G"),
    # written blind by a twenty-second new writer (ambulance crews, ECG technicians, dentists and endoscopists before
    # sedation, airline and cruise staff, school nurses, fitness instructors, interpreters relaying relatives, language
    # switches mid-sentence, quoted numbers to confirm, lowercase run-ons, heavy typos, two findings at once, 10
    # languages), on heldout13's records; first run after heldout34's fixes (policy v41)
    "heldout35": Suite("wordings_heldout35.yaml", "questions_heldout35.yaml", SUITE_RECORDS["heldout13"], "H"),
    # written blind by a twenty-third new writer (GP receptionists relaying, cardiac physiologists, hospice nurses,
    # military medics, race doctors, pre-assessment clinics, patients reading their printout, fill-in-the-blank,
    # long irrelevant context, older terms, impatient tone, 17 languages), on heldout13's records; first run after
    # heldout35's fixes (policy v42)
    "heldout36": Suite("wordings_heldout36.yaml", "questions_heldout36.yaml", SUITE_RECORDS["heldout13"], "I"),
    # written blind by a twenty-fourth new writer (on-call fellows at handover, emergency registrars' abbreviations,
    # telehealth SMS shorthand, Socratic students, occupational-health examiners, quoted machine statements to confirm,
    # hedges and double negatives, numbered multi-line messages, markdown, non-native English, about 20 languages),
    # on heldout13's records; first run after heldout36's fix (policy v43)
    "heldout37": Suite("wordings_heldout37.yaml", "questions_heldout37.yaml", SUITE_RECORDS["heldout13"], "J"),
    # written blind by a twenty-fifth new writer (outpatient nurses and secretaries, sports screeners, veterinary-trained
    # locums, slow dictation, parents, case-report-form fields, multiple-choice questions, odd units, phonetic
    # misspellings, a described tracing before the question, chat-app emojis and timestamps, about 26 languages),
    # on heldout13's records; first run after heldout37's fixes (policy v44, five new glossary sections)
    "heldout38": Suite("wordings_heldout38.yaml", "questions_heldout38.yaml", SUITE_RECORDS["heldout13"], "K"),
    # written blind by a twenty-sixth new writer (dialysis nurses, psychiatric wards before antipsychotics, sedation
    # lists, expedition doctors on satellite links, community pharmacists, interpreters, report auditors, e-mails with
    # greetings and signatures, phone-keyboard typos, requests for a certainty, named leads, about 17 languages), on
    # heldout13's records; first run after heldout38's fixes (policy v45)
    "heldout39": Suite("wordings_heldout39.yaml", "questions_heldout39.yaml", SUITE_RECORDS["heldout13"], "L"),
    # written blind by a twenty-seventh new writer (voice-dictation slips, Slack threads with @mentions and quoted
    # messages, code-switching, pre-op pharmacists and anaesthetists, relatives, terse one-word and ALL-CAPS queries,
    # older terms, questions buried in a paragraph, typos, a wrong guess to correct, about 21 languages), on
    # heldout13's records; first run after heldout39's fixes (policy v46)
    "heldout40": Suite("wordings_heldout40.yaml", "questions_heldout40.yaml", SUITE_RECORDS["heldout13"], "M"),
    # written blind by a twenty-eighth new writer (EHR inbox and pager messages, Socratic teaching questions,
    # insurance and occupational-health assessors, athlete screening, literal translations, either-or questions,
    # odd units, several sub-questions in one message, old abbreviations, double negatives, about 23 languages), on
    # heldout13's records; first run after the long-recording work (policy v48)
    "heldout41": Suite("wordings_heldout41.yaml", "questions_heldout41.yaml", SUITE_RECORDS["heldout13"], "N"),
    # written blind by a twenty-ninth new writer (voice-dictation transcripts with homophones, code-switching,
    # paramedic radio, rural telemedicine, pharmacists, relatives and patients, medico-legal reviewers, data
    # labellers, ALL CAPS and emoji, wrong guesses to correct, about 20 languages), on heldout13's records; first
    # run after the EC57 bench change (policy v49)
    "heldout42": Suite("wordings_heldout42.yaml", "questions_heldout42.yaml", SUITE_RECORDS["heldout13"], "O"),
    # written blind by a thirtieth new writer (SBAR handovers, fellows texting, e-consult forms, pseudo-JSON and
    # checklists from developers, questions buried in narrative, British / Australian / Nigerian / Indian English,
    # imperatives, double negatives, keyboard typos, about 29 languages not used before), on heldout13's records;
    # first run after the beat-detection work (policy v50)
    "heldout43": Suite("wordings_heldout43.yaml", "questions_heldout43.yaml", SUITE_RECORDS["heldout13"], "P"),
    # written blind by a thirty-first new writer (transliterations: Arabizi, Russian translit, Greeklish, Finglish,
    # romaji, pinyin, Romanized Hindi / Bengali / Tamil / Korean; flashcards, fill-in-the-blank, double-checking an
    # earlier answer, formal letters, teenagers and elderly patients, numbers in words, regional dialects), on
    # heldout13's records; first run after heldout43's fixes (policy v51)
    "heldout44": Suite("wordings_heldout44.yaml", "questions_heldout44.yaml", SUITE_RECORDS["heldout13"], "Q"),
    # written blind by a thirty-second new writer (a relative writing through a patient portal, anxious and
    # sceptical patients, markdown and unrelated context around the question, negated and hypothetical wording,
    # guideline and criteria wording, clipped fellow's abbreviations, medico-legal wording, emoji, ALL CAPS,
    # telegram style, about 24 less-used languages and varieties), on heldout13's records; first run after
    # heldout44's fixes (policy v53)
    "heldout45": Suite("wordings_heldout45.yaml", "questions_heldout45.yaml", SUITE_RECORDS["heldout13"], "R"),
    # written blind by a thirty-third new writer (e-mail threads with quoted messages and footers, voice-assistant
    # commands, dataset labellers, auditors and coders, autocorrect and speech-to-text slips, mixed units, long
    # academic sentences and two-word queries, about 30 less-used languages), on heldout13's records; first run
    # after heldout45's fixes (policy v54)
    "heldout46": Suite("wordings_heldout46.yaml", "questions_heldout46.yaml", SUITE_RECORDS["heldout13"], "S"),
    # written blind by a thirty-fourth new writer (pharmacists, dentists, dive clerks, physiotherapists, school nurses
    # and interpreters needing the ECG read, learners' first-language grammar, old-fashioned English, SQL / HL7 / XML /
    # LaTeX / command-line wrappers, rhymes and haiku, ranges and thresholds to check, about 60 rarely used languages),
    # on heldout13's records; first run after heldout46's fixes (policy v55) and the unread-question answer
    "heldout47": Suite("wordings_heldout47.yaml", "questions_heldout47.yaml", SUITE_RECORDS["heldout13"], "T"),
    # written blind by a thirty-fifth new writer (text pasted from other software: full-width letters, zero-width and
    # non-breaking spaces, look-alike letters, HTML entities; other AI agents and workflow tools calling medts; quoted
    # machine statements of other ECG carts; lawyers, journalists, adjusters and sceptics; eponyms as context; about 50
    # rarely used languages), on heldout13's records; first run after heldout47's fixes (policy v56)
    "heldout48": Suite("wordings_heldout48.yaml", "questions_heldout48.yaml", SUITE_RECORDS["heldout13"], "U"),
    # written blind by a thirty-sixth new writer (paper-and-calipers thinking: small squares, big boxes, seconds; code
    # and tools: Python calls, shell flags, spreadsheet formulas, YAML, regular expressions, unit-test asserts; leetspeak,
    # spaced-out letters, words broken by hyphens, dots or line breaks; children, grandparents, quiz hosts, pilots,
    # gamers; comparisons as context; about 50 rarely used languages), on heldout13's records; first run after
    # heldout48's fixes (policy v56)
    "heldout49": Suite("wordings_heldout49.yaml", "questions_heldout49.yaml", SUITE_RECORDS["heldout13"], "V"),
    # written blind by a thirty-seventh new writer (text read by OCR from scanned pages, other languages' ECG
    # abbreviations and old terms inside English, tweets, Slack and group chats, voice transcripts with fillers and
    # self-corrections, the asker's own values in unusual units as context, about 45 rarely used South Asian and
    # African languages), on heldout13's records; first run after heldout49's fixes (policy v57)
    "heldout50": Suite("wordings_heldout50.yaml", "questions_heldout50.yaml", SUITE_RECORDS["heldout13"], "W"),
    # written blind by a thirty-eighth new writer (English terms written in other scripts as they sound, the NATO
    # phonetic alphabet, phonetic and dyslexic-style spellings, sign-language glosses, lead- and strip-specific wording,
    # anxious, angry or grieving askers, administrators and exam rubrics, about 30 rarely used Philippine, Indonesian,
    # Micronesian and mainland South-East Asian languages), on heldout13's records; first run after heldout50's fixes
    # (policy v58)
    "heldout51": Suite("wordings_heldout51.yaml", "questions_heldout51.yaml", SUITE_RECORDS["heldout13"], "X"),
    # written blind by a thirty-ninth new writer (questions inside tables, CSV lines, checklists and forms; second opinions
    # and the asker's own reading as context; answer-first constraints and long preambles; ships, Antarctic stations,
    # prisons, mountain rescue, field medics; about 30 rarely used Iranian, Caucasian, Siberian, Finnic and Sami languages
    # and English-lexifier creoles), on heldout13's records; first run after heldout51's fixes (policy v59)
    "heldout52": Suite("wordings_heldout52.yaml", "questions_heldout52.yaml", SUITE_RECORDS["heldout13"], "Y"),
    # written blind by a fortieth new writer (true/false and agree/disagree statements, tag questions and litotes;
    # reported speech through relatives and interpreters; lay metaphors; inverted word order, passive and bureaucratic
    # wording, one-word questions; telemedicine with dropped words; sleep-lab, dialysis, tele-ICU, mine-site and
    # blood-donation roles; about 40 rarely used languages of Europe, Siberia, the Americas, Oceania and Africa), on
    # heldout13's records; first run after heldout52's fixes (policy v60)
    "heldout53": Suite("wordings_heldout53.yaml", "questions_heldout53.yaml", SUITE_RECORDS["heldout13"], "Z"),
    # written blind by a forty-first new writer (follow-up turns leaning on an earlier answer; loose or wrong terms then
    # what is meant; hedged academic and conditional wording; specialists outside cardiology; "explain like I'm five",
    # blunt one-liners and machine-translated English; a third in colloquial, regional or romanised forms of widely
    # spoken languages: Arabizi, Darija, Hinglish, Roman Urdu, Taglish, Sheng, Greeklish, Finglish, languages typed
    # without diacritics), on heldout13's records; first run after heldout53's fixes (policy v62)
    "heldout54": Suite("wordings_heldout54.yaml", "questions_heldout54.yaml", SUITE_RECORDS["heldout13"], "AA"),
    # written blind by a forty-second new writer (research inclusion criteria and coding; sarcasm, rhetorical questions,
    # apologies and Gen-Z slang; numbers with decimal commas, other digits and words; a wrong fact stated in passing;
    # forensic, insurance, pharmacovigilance and hospice roles; about 30 rarely used Australian, Pacific, Caribbean,
    # North American, Siberian, Indian, Nigerian and Middle Eastern languages), on heldout13's records; first run after
    # heldout54's fixes (policy v63)
    "heldout55": Suite("wordings_heldout55.yaml", "questions_heldout55.yaml", SUITE_RECORDS["heldout13"], "AB"),
    # written blind by a forty-third new writer (past and future tense about the tracing; file, record and sample IDs as
    # context; dictated punctuation; dialogue transcripts; negative-polarity questions; stress-lab, neonatal, outreach,
    # pre-operative, occupational-health and coding roles; about 25 rarely used Himalayan, North-East and Central Indian
    # and East and Southern African languages), on heldout13's records; first run after heldout55's fixes (policy v64)
    "heldout56": Suite("wordings_heldout56.yaml", "questions_heldout56.yaml", SUITE_RECORDS["heldout13"], "AC"),
    # written blind by a forty-fourth new writer (circumlocution instead of the term; politeness and disclaimer wrappers;
    # chatter about the tool; mobile autocorrect slips; order-set verbs and shorthand such as "r/o AF" and "?LBBB"; time
    # pressure; perfusionist, dialysis, sleep-lab, school-nurse, hyperbaric, trial-monitor, engineering, veterinary and
    # chaplain roles; about 25 rarely used American, Pacific, African, North-East Indian and European languages), on
    # heldout13's records; first run after heldout56's fixes (policy v65)
    "heldout57": Suite("wordings_heldout57.yaml", "questions_heldout57.yaml", SUITE_RECORDS["heldout13"], "AD"),
    # written blind by a forty-fifth new writer (a wearable's or monitor's claim as context; answer-format requests: JSON,
    # a table row, a traffic light; search-engine keyword queries; tickets and to-do items; a distracting finding set
    # aside; the question said aloud to the patient; midwife, genetic-counselling, sports-science, aviation-medicine,
    # podiatry, psychiatry, pharmacy, coroner's and military roles; about 27 rarely used Caucasian, Siberian, Volga,
    # American, Ethiopian, South Asian, Pacific and European languages), on heldout13's records; first run after
    # heldout57's fixes (policy v66)
    "heldout58": Suite("wordings_heldout58.yaml", "questions_heldout58.yaml", SUITE_RECORDS["heldout13"], "AE"),
    # written blind by a forty-sixth new writer (the lead, box or complex read by hand named as context; other countries'
    # and specialties' ECG abbreviations inside English; numbers in words and fractions of a second; bets, games and
    # quizzes; typos in the key abbreviation; read aloud on the phone with fillers; recovery, rehabilitation, sedation,
    # remote-area, ship, diving, pharmacy, sonography and illustration roles; about 26 rarely used Alpine, Balkan,
    # Finnic, Uralic, Siberian and North American languages), on heldout13's records; first run after heldout58's
    # fixes (policy v67)
    "heldout59": Suite("wordings_heldout59.yaml", "questions_heldout59.yaml", SUITE_RECORDS["heldout13"], "AF"),
    # written blind by a forty-seventh new writer (subtitle and video-transcript lines with timestamps; slide headings
    # and lecture blanks; audit and retrospective-review wording; emoji for words; patient-leaflet quotes; ECG-tech
    # trainee, flight nurse, sonographer, physicist, coach, lifeguard, trainer, yoga and occupational-therapy roles;
    # about 26 rarely used West Germanic, Jewish, Greek, Turkic, Romani, Scots and Chinese-variety languages), on
    # heldout13's records; first run after heldout59's fixes (policy v69)
    "heldout60": Suite("wordings_heldout60.yaml", "questions_heldout60.yaml", SUITE_RECORDS["heldout13"], "AG"),
    # written blind by a forty-eighth new writer (courtroom and deposition transcripts, OSCE and viva examiner prompts;
    # meeting minutes, agenda items and calendar invites; commit messages and code-review comments; headlines and
    # clickbait; a dictionary definition before the question; the question in a footnote or a P.S.; numbered steps;
    # midwife, school nurse, radiographer, firefighter, chaplain, social worker, speech therapist, anaesthetic nurse and
    # astronaut trainer roles; about 25 rarely used Formosan, Iranian, Dardic, North American, Khoisan, Semitic,
    # Korean and Japanese languages and dialects), on heldout13's records; first run after heldout60's fixes (policy v70)
    "heldout61": Suite("wordings_heldout61.yaml", "questions_heldout61.yaml", SUITE_RECORDS["heldout13"], "AH"),
    # written blind by a forty-ninth new writer (forum and Q&A-site posts with titles, tags and edit lines; e-mail
    # subject lines alone; FAQ entries and citation-style context; a hypothesis to test and a confidence request; a
    # diagnosis code as context; the asker's own description of the tracing; veterinary, dietetic, physiotherapy,
    # podiatry, optometry, dental-hygiene, paramedic-student, interpreter, coding, sleep, dialysis and perfusion roles;
    # about 25 rarely used West African, South-West Chinese, Vietnamese highland, Mien, Australian and Papuan
    # languages), on heldout13's records; first run after heldout61's fixes (policy v71)
    "heldout62": Suite("wordings_heldout62.yaml", "questions_heldout62.yaml", SUITE_RECORDS["heldout13"], "AI"),
    # written blind by a fiftieth new writer (an unrelated afterthought after the question and a rhetorical question
    # before it; bug-report and test-case layouts; customer-service enquiries; incident reports; weather-forecast,
    # sports-commentary and news-anchor voices; a quotation as preamble; dispatcher, pharmacologist, geneticist,
    # librarian, epidemiologist, statistician, data-scientist, nurse-educator, porter and ward-clerk roles; about 25
    # rarely used Mesoamerican, Romance, Kartvelian and creole languages), on heldout13's records; first run after
    # heldout62's fixes (policy v72)
    "heldout63": Suite("wordings_heldout63.yaml", "questions_heldout63.yaml", SUITE_RECORDS["heldout13"], "AJ"),
    # written blind by a fifty-first new writer (riddles; the tool's earlier answer quoted back; stuck keys and missing
    # spaces; Latin and clinical shorthand; the asker's own probability; receptionist, secretary, biomedical-engineer,
    # trial-monitor and other new roles; about 23 rarely used creole, Torres Strait, Polynesian outlier, Micronesian,
    # Philippine, Indonesian and Sami languages), on heldout13's records; first run after heldout63's fixes (policy v73)
    "heldout64": Suite("wordings_heldout64.yaml", "questions_heldout64.yaml", SUITE_RECORDS["heldout13"], "AK"),
    # written blind by a fifty-second new writer (a TL;DR line; a question broken across continuation markers; an
    # interruption inside the question; mail-merge and prompt templates with their placeholders filled; a colleague's
    # question quoted; arguing both sides before deciding; "sanity check" phrasing; a word limit on the answer; locum,
    # ethics-committee, patient-advocate, IT-support, illustrator, photographer, tattoo-artist, scout-leader, marathon
    # and sports-journalist roles; about 22 rarely used Melanesian, Brazilian indigenous, Central African, Gurage,
    # Mixtec, Triqui, Marquesan, Rarotongan, Lower Sorbian and Pitkern languages), on heldout13's records; first run
    # after heldout64's fixes (policy v74)
    "heldout65": Suite("wordings_heldout65.yaml", "questions_heldout65.yaml", SUITE_RECORDS["heldout13"], "AL"),
    # written blind by a fifty-third new writer (forum and chat markup: spoiler tags, quoted lines, struck-through
    # questions; internet acronyms; "asking for a friend"; footnote markers; a bet between two colleagues to settle; units
    # spelled out; audiologist, orthotist, prosthetist, genetic-counsellor, phlebotomist, sterile-services, volunteer-driver,
    # air-ambulance-pilot, occupational-health and pharmacy-technician roles; about 22 rarely used Pamir, Dungan,
    # North-East Indian, Naga, Kuki-Chin, Caucasian, Finnic and Siberian languages), on heldout13's records; first run
    # after heldout65's fixes (policy v75)
    "heldout66": Suite("wordings_heldout66.yaml", "questions_heldout66.yaml", SUITE_RECORDS["heldout13"], "AM"),
    # written blind by a fifty-fourth new writer (a request to answer in another language or register; South Asian office
    # English, "kindly do the needful and revert"; conditional chains; "explain first, then answer"; a question hidden in
    # a list of things already known; acupuncturist, chiropractor, massage-therapist, naturopath, homeopath, doula,
    # lactation-consultant and other new roles; a few words of about 21 rarely used Nilotic, Cushitic, Omotic and Surmic
    # languages, mostly in English), on heldout13's records; first run after heldout66's fixes (policy v76)
    "heldout67": Suite("wordings_heldout67.yaml", "questions_heldout67.yaml", SUITE_RECORDS["heldout13"], "AN"),
    # written blind by a fifty-fifth new writer (legal-contract clauses; crossword and cryptic clues; chat-bot slash
    # commands and text-adventure prompts; screenplay scenes; mathematical and logical notation; answers asked in
    # seconds, small squares or Roman numerals; emphatic repetition; shopping-list, recipe, packing-list and itinerary
    # layouts; haggling; mind-maps and outlines; zookeeper, gate-agent, purser, ski-patrol, ranger, film-set medic,
    # esports, stenographer, underwriter, funeral-director, beekeeper and lighthouse-keeper roles; greetings in six
    # Cameroonian, Gabonese and Berber languages), on heldout13's records; first run after heldout67's fixes (policy v78)
    "heldout68": Suite("wordings_heldout68.yaml", "questions_heldout68.yaml", SUITE_RECORDS["heldout13"], "AO"),
    # written blind by a fifty-sixth new writer (pager and beeper messages with callback numbers; live-stream and Discord
    # chat logs; keyboard-layout slips (AZERTY, QWERTZ, inverted caps lock, a shifted hand); Cockney, Singlish,
    # Australian and Glaswegian English; malapropisms and eggcorns; age/sex and setting shorthand; emoticons and
    # kaomoji; nervous trainee preambles with deadlines; polls; quoted reply chains; bus-driver, farmer, fisherman,
    # nail-technician, hairdresser, dispatcher, radio-presenter, parkour, church-warden, wedding-planner and sommelier
    # roles; a few words of Manchu, Xibe, Fuzhounese, Puxian and Leizhou Min and Salar), on heldout13's records; first
    # run after heldout68's fixes (policy v79)
    "heldout69": Suite("wordings_heldout69.yaml", "questions_heldout69.yaml", SUITE_RECORDS["heldout13"], "AP"),
    # written blind by a fifty-seventh new writer (telegram style with STOP; radio procedure words; haiku-like verse;
    # questions inside code (SQL, pandas comments, spreadsheet formulas); handwritten notes with [illegible]; nested
    # parentheses; shift-handover stamps with time zones; Markdown headings and checkboxes; auction and quiz-show voice;
    # diary entries; the asker correcting their own term, unit or lead; jockey, glassblower, opera-singer, tugboat,
    # miner, trapeze, falconer, cheesemaker, air-traffic-controller, bell-ringer, luthier and crane-operator roles; a few
    # words of sixteen Cushitic, Nubian, Saharan, Songhai, Berber, Ryukyuan, Wu, Tujia, Loloish, Jingpo, Nicobarese,
    # Chamic and Bahnaric languages), on heldout13's records; first run after heldout69's fixes (policy v81)
    "heldout70": Suite("wordings_heldout70.yaml", "questions_heldout70.yaml", SUITE_RECORDS["heldout13"], "AQ"),
    # written blind by a fifty-eighth new writer (a question buried in a relative's long story; strings of apologies; the
    # ECG addressed in the second person; letters to the editor; knitting-pattern and recipe-card metaphors; scoreboard,
    # bullet-journal, tannoy, weather-warning, escape-room, fortune-cookie and museum-label layouts; an acronym expanded
    # wrongly; a translation job as the reason; blacksmith, perfumer, rally co-driver, sheep-shearer, ice-road trucker,
    # calligrapher, tea-taster, chimney-sweep, saddler, balloon-pilot, farrier and clockmaker roles; greetings in twenty
    # West African, Chadic, Saharan and Omotic languages mixed with Krio, Liberian English, Pidgin, Hausa, Chadian
    # Arabic, French and Amharic), on heldout13's records; first run after heldout70's fixes (policy v82)
    "heldout71": Suite("wordings_heldout71.yaml", "questions_heldout71.yaml", SUITE_RECORDS["heldout13"], "AR"),
    # written blind by a fifty-ninth new writer (contract clauses, crossword clues, screenplay directions, voice-dictation
    # mishearings, text-speak, forwarded chat transcripts, multiple choice with distractors, double negatives, sports
    # commentary, flight-deck checklists, classified ads, horoscopes, git commit messages and chess annotation;
    # lighthouse-keeper, beekeeper, glassblower, puppeteer, snow-plough, oyster-farmer, organ-tuner, luthier, falconer,
    # tugboat and locksmith roles; greetings and people or place names of twenty Chadic, Saharan, Nubian, Central
    # Sudanic, Tibeto-Burman, Polynesian outlier and Mexican languages mixed with French, Arabic, Swahili, Lingala,
    # Chinese and Spanish), on heldout13's records; first run after heldout71's fixes (policy v83)
    "heldout72": Suite("wordings_heldout72.yaml", "questions_heldout72.yaml", SUITE_RECORDS["heldout13"], "AS"),
    # written blind by a sixtieth new writer (a question hidden in a shopping or to-do list, telephone-menu options,
    # headline and standfirst, numbered tweet threads, reported speech, tongue-twisters, bets between nurses, a
    # librarian's reference enquiry, interruptions by a phone call or a child, exam answer-sheet headers, regional
    # British, Australian and Caribbean dialect, parliamentary written questions, wine-tasting notes, unrelated PSs;
    # zookeeper, park-ranger, gondolier, tram-driver, cheesemaker, harbour-pilot, bell-ringer and cable-car roles;
    # greetings, kinship words and place names of twenty Dagestanian, Finnic, Siberian, Timorese and Flores
    # languages mixed with Russian, Portuguese, Indonesian and English), on heldout13's records; first run after
    # heldout72's fixes (policy v84)
    "heldout73": Suite("wordings_heldout73.yaml", "questions_heldout73.yaml", SUITE_RECORDS["heldout13"], "AT"),
    # heldout74: written blind by a writer who read no medts code or earlier set (cooking-recipe steps, knitting
    # pattern notes, a referee's VAR review, flat-pack assembly steps, agony-aunt letters, auctioneer's patter,
    # museum audio guides, ship's logs, bird-watcher field logs, a quiz host, board-game cards, dating-profile
    # asides, restaurant orders, peer-review comments, lost-property notices, numbers written out in words, odd units,
    # voice-note fillers, spoonerisms, "explain like I'm five", children's questions, distractors about another
    # patient; beekeeper, falconer, stonemason, puppeteer, lock-keeper, farrier and blacksmith roles; twenty Indian,
    # Himalayan, Andean, Pacific and Russian-minority languages, mostly mixed with Hindi, Tamil, Nepali, Spanish,
    # French or Russian), on heldout13's records; first run after heldout73's fixes (policy v86)
    "heldout74": Suite("wordings_heldout74.yaml", "questions_heldout74.yaml", SUITE_RECORDS["heldout13"], "AU"),
    # heldout75: written blind by a writer who read no medts code or earlier set (about half realistic chat-box
    # wording: terse shorthand, polite sentences, Indian, Nigerian, Australian, UK and US English, context first;
    # the rest podcast transcripts, a detective's notebook, a spy's coded message, text-adventure commands, Dear Diary,
    # product reviews, a press conference, a starship medical officer's log, a role-playing character sheet, a news
    # ticker, a radio call-in, an insurance assessor, a sports physio, a pharmacist; chimney-sweep, luthier, perfumer
    # and seismologist roles; Kannada ten times, Hazaragi, and eighteen Siberian and North American languages mixed
    # with Russian, Quebec French or English), on heldout13's records; first run after heldout74's fixes (policy v87
    # and the Kannada glossary section)
    "heldout75": Suite("wordings_heldout75.yaml", "questions_heldout75.yaml", SUITE_RECORDS["heldout13"], "AV"),
    # heldout76: written blind by a writer who read no medts code or earlier set (how people type into a chat box:
    # 90 code-switched or romanized items in 20 mixes - Hinglish, Banglish, Tanglish, Kanglish, Roman Urdu, Taglish,
    # Spanglish, Portunol, Franglais, Denglisch, Arabizi, Greeklish, Finglish, Russian translit, Singlish, Manglish,
    # Sheng, Konglish, Romaji, Pinyin; ward shorthand, voice-to-text errors, negated and tag questions, a machine
    # printout or a GP cited; ward whiteboards, pager messages, triage and pre-op forms, audit spreadsheets, ambulance
    # handovers, WhatsApp family groups, remote telehealth, a SQL query), on heldout13's records; first run after
    # heldout75's fixes and the mends noted after it (policy v88)
    "heldout76": Suite("wordings_heldout76.yaml", "questions_heldout76.yaml", SUITE_RECORDS["heldout13"], "AW"),
    # heldout77: written blind by a writer who read no medts code or earlier set (the world's big languages as native
    # clinicians, nurses and patients write them - 122 items entirely in Spanish, Portuguese, French, German, Italian,
    # Russian, Arabic, Hindi, Chinese, Japanese, Korean, Turkish, Indonesian, Vietnamese, Thai, Polish, Dutch, Persian,
    # Urdu or Bengali, in their own scripts, with regional variants and each country's abbreviations - and plain
    # realistic English), on heldout13's records; first run after heldout76's fixes (policy v89)
    "heldout77": Suite("wordings_heldout77.yaml", "questions_heldout77.yaml", SUITE_RECORDS["heldout13"], "AX"),
    # heldout78: written blind by a writer who read no medts code or earlier set (twenty mid-size languages as native
    # clinicians, nurses and patients write them - 104 items entirely in Greek, Czech, Swedish, Hungarian, Romanian,
    # Ukrainian, Hebrew, Swahili, Tamil, Telugu, Malay, Filipino, Finnish, Danish, Norwegian, Serbian, Bulgarian,
    # Amharic, Marathi or Nepali, in their own scripts, with each country's abbreviations - and realistic English:
    # wrong premises, questions near the safety line that are still ECG questions, drugs, procedures and relatives
    # as context only, lead-specific and criteria-based wording, second opinions, a printout quoted by the patient,
    # fellows' shorthand, vignettes before the question), on heldout13's records; first run after heldout77's fixes
    # (policy v90)
    "heldout78": Suite("wordings_heldout78.yaml", "questions_heldout78.yaml", SUITE_RECORDS["heldout13"], "AY"),
    # heldout79: written blind by a writer who read no medts code or earlier set (realistic English only, the traffic
    # of five user groups in equal shares: cardiologists' criteria, lead and cut-off shorthand; GPs' and emergency
    # doctors' vignettes before the question; nurses', paramedics' and technicians' quoted machine readings; students'
    # exam wording and small-square counts; patients' and relatives' lay words, misspellings and smartwatches; wrong
    # premises, two questions in one, British, American, Indian, Nigerian, Australian and Canadian English), on
    # heldout13's records; first run after heldout78's fixes and the labs glossary pairs (policy v91)
    "heldout79": Suite("wordings_heldout79.yaml", "questions_heldout79.yaml", SUITE_RECORDS["heldout13"], "AZ"),
    # heldout80: written blind by a writer who read no medts code or earlier set (realistic English typed into a hospital
    # ECG viewer's chat box: one- to four-word fragments with fast-typing slips, SOAP and triage notes pasted before the
    # question, an evaluator's pointed questions - exact values, "yes or no only", "are you sure?", negative and
    # lead-specific checks - and people who are not doctors: a physiotherapist, a pharmacist, a sports coach, a
    # student technician, a dental nurse, a care-home worker, a teenager, older patients), on heldout13's records;
    # first run after heldout79's fixes (policy v92)
    "heldout80": Suite("wordings_heldout80.yaml", "questions_heldout80.yaml", SUITE_RECORDS["heldout13"], "BA"),
    # heldout81: written blind by a writer who read no medts code or earlier set (realistic English from five settings
    # in equal shares: speech-to-text dictation with spelled-out numbers and no punctuation; paramedic and emergency
    # pre-alert handovers before the question; the ECG machine's own printed interpretation pasted and questioned;
    # remote-monitoring staff and cardiac physiologists' criteria, lead-specific and double-checking questions;
    # patients and relatives reading their printout at home), on heldout13's records; first run after heldout80's
    # fixes (policy v93)
    "heldout81": Suite("wordings_heldout81.yaml", "questions_heldout81.yaml", SUITE_RECORDS["heldout13"], "BB"),
    # heldout82: written blind by a writer who read no medts code or earlier set (realistic English from five settings
    # mixed within each finding: clinical-trial coordinators screening against eligibility criteria; pre-operative
    # assessment clinics; pharmacists checking an ECG around a QT-prolonging or rate-controlling medicine named as
    # context; sports and pre-participation screening of athletes; telehealth and out-of-hours GP consults and patients
    # uploading a photo of their printout), on heldout13's records; first run after heldout81's fixes (policy v95)
    "heldout82": Suite("wordings_heldout82.yaml", "questions_heldout82.yaml", SUITE_RECORDS["heldout13"], "BC"),
    # heldout83: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # cardiology clinic letters and dictated notes with a history first; intensive-care and high-dependency units with
    # drips and electrolytes as context; obstetric and paediatric wording ("for his age"); cardiac rehabilitation,
    # occupational-health and insurance forms; juniors and students checking their own, sometimes wrong, reasoning),
    # on heldout13's records; first run after heldout82's fixes (policy v96)
    "heldout83": Suite("wordings_heldout83.yaml", "questions_heldout83.yaml", SUITE_RECORDS["heldout13"], "BD"),
    # heldout84: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # emergency-department triage nurses and registrars typing in a rush; out-of-hours GPs and remote readers of an ECG
    # sent from home or an ambulance; care-home and district nurses who are not ECG experts; OSCE examiners and
    # students preparing for exams; patients and relatives reading a portal result), on heldout13's records; first run
    # after heldout83's fixes and the children's rule (policy v97)
    "heldout84": Suite("wordings_heldout84.yaml", "questions_heldout84.yaml", SUITE_RECORDS["heldout13"], "BE"),
    # heldout85: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # medicolegal reviewers and expert witnesses going over an old ECG; aviation, maritime, diving and military medical
    # examiners; sedation, endoscopy, dental and day-surgery units before a procedure; sleep-study, Holter and
    # cardiac-physiology technicians in technical shorthand; night-shift handover messages), on heldout13's records;
    # first run after heldout84's fixes (policy v98)
    "heldout85": Suite("wordings_heldout85.yaml", "questions_heldout85.yaml", SUITE_RECORDS["heldout13"], "BF"),
    # heldout86: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # researchers checking labels for a study or a machine-learning dataset; renal, oncology and psychiatry wards with
    # a medicine or an electrolyte as context; GP receptionists and healthcare assistants who recorded the ECG; a
    # cardiologist dictating a formal report item by item; long rambling messages and two questions at once), on
    # heldout13's records; first run after heldout85's fixes (policy v99)
    "heldout86": Suite("wordings_heldout86.yaml", "questions_heldout86.yaml", SUITE_RECORDS["heldout13"], "BG"),
    # heldout87: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a stroke unit screening for atrial fibrillation; virtual wards reviewing ECGs remotely with home-monitoring
    # context; prison and police-custody healthcare (methadone, withdrawal, restraint); cardiac rehabilitation before an
    # exercise session; clinical audit and coding staff checking a report's coded statements against the tracing), on
    # heldout13's records; first run after heldout86's fixes (policy v99)
    "heldout87": Suite("wordings_heldout87.yaml", "questions_heldout87.yaml", SUITE_RECORDS["heldout13"], "BH"),
    # heldout88: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # an eating-disorder unit (refeeding, low potassium, bradycardia); a first-seizure clinic telling syncope from
    # seizure; a sleep and respiratory clinic (apnoea, night-time pauses); an HIV / tuberculosis clinic with QT-prolonging
    # drugs; an ECG-course tutor quizzing trainees with leading or wrong suggestions), on heldout13's records; first run
    # after heldout87's fixes (policy v100)
    "heldout88": Suite("wordings_heldout88.yaml", "questions_heldout88.yaml", SUITE_RECORDS["heldout13"], "BI"),
    # heldout89: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a geriatric falls and syncope clinic with carers and relatives; a phase-1 trial unit dosing healthy volunteers
    # (thorough-QT, predose and postdose ECGs); a thyroid and endocrine clinic; a kidney or liver transplant assessment
    # clinic; firefighter and police occupational health), on heldout13's records; first run after heldout88's fixes
    # (policy v101)
    "heldout89": Suite("wordings_heldout89.yaml", "questions_heldout89.yaml", SUITE_RECORDS["heldout13"], "BJ"),
    # heldout90: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a hospice and palliative-care team; a telephone triage nurse reading out a home device's or care home's ECG; an air
    # ambulance retrieval team; an AI-safety tester probing the tool in realistic ways; a locum doctor asking about the
    # ECG and how the tool works in one message), on heldout13's records; first run after heldout89's fixes (policy v102)
    "heldout90": Suite("wordings_heldout90.yaml", "questions_heldout90.yaml", SUITE_RECORDS["heldout13"], "BK"),
    # heldout91: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a cardiac catheter lab and coronary care unit; a GP practice's nurse-led hypertension and diabetes review; an
    # OSCE station with examiner and candidate; a worried relative or patient who read about ECGs online; a cardiac
    # physiologist's terse technical queries in leads, millimetres and small squares), on heldout13's records; first
    # run after heldout90's fixes (policy v103)
    "heldout91": Suite("wordings_heldout91.yaml", "questions_heldout91.yaml", SUITE_RECORDS["heldout13"], "BL"),
    # heldout92: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # an acute medical unit on a busy take; a pharmacy-led anticoagulation and QT-drug monitoring clinic; a sports club
    # doctor and physiotherapists; an adult congenital and inherited-conditions clinic; a medical secretary typing on a
    # consultant's behalf), on heldout13's records; first run after heldout91's fixes (policy v104)
    "heldout92": Suite("wordings_heldout92.yaml", "questions_heldout92.yaml", SUITE_RECORDS["heldout13"], "BM"),
    # heldout93: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a cruise-ship or expedition doctor; a psychiatric liaison team (clozapine, lithium, antipsychotics); an obstetric
    # medicine and antenatal clinic; a foundation doctor covering surgical wards overnight; a rural nurse practitioner
    # sending photographed ECGs), on heldout13's records; first run with the refusal check's version 4 (trained through
    # heldout92) and policy v105
    "heldout93": Suite("wordings_heldout93.yaml", "questions_heldout93.yaml", SUITE_RECORDS["heldout13"], "BN"),
    # heldout94: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a haematology and oncology day unit (QT-prolonging chemotherapy and antiemetics); a school or university health
    # service; an insurance or pre-employment medical examiner; a neurology ward; a night-shift telemetry nurse paging
    # about alarms), on heldout13's records; first run after heldout93's fixes (refusal check version 4, policy v106)
    "heldout94": Suite("wordings_heldout94.yaml", "questions_heldout94.yaml", SUITE_RECORDS["heldout13"], "BO"),
    # heldout95: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a renal dialysis unit; a cardiology registrar typing what a phone referrer says; learners who mix up terms; a remote
    # mining or oil-rig medic; a geriatric day hospital with relatives present), on heldout13's records; first run after
    # heldout94's fixes (refusal check version 4, policy v107)
    "heldout95": Suite("wordings_heldout95.yaml", "questions_heldout95.yaml", SUITE_RECORDS["heldout13"], "BP"),
    # heldout96: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # an anaesthetic pre-operative assessment clinic; a heart-failure specialist nurse at home and in clinic; a rapid-access
    # chest pain clinic; an emergency department resuscitation team lead; a remote ECG monitoring service's coordinators
    # and the patients who phone them), on heldout13's records; first run after heldout95's fixes and the reduced-lead
    # and premature-beat answers of 7fe623d (refusal check version 4, policy v108)
    "heldout96": Suite("wordings_heldout96.yaml", "questions_heldout96.yaml", SUITE_RECORDS["heldout13"], "BQ"),
    # heldout97: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a cardiothoracic surgical ward after heart surgery; an adult congenital heart disease clinic; an out-of-hours GP
    # telephone and visiting service; a hospital-at-night nurse practitioner; a bariatric pre-operative clinic), on
    # heldout13's records; first run after heldout96's fixes and the paced-rhythm absences of fed54f5 (policy v109)
    "heldout97": Suite("wordings_heldout97.yaml", "questions_heldout97.yaml", SUITE_RECORDS["heldout13"], "BR"),
    # heldout98: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a methadone and buprenorphine clinic; a rheumatology infusion and hydroxychloroquine clinic; an exercise stress-test
    # laboratory; a city marathon's medical tent; an emergency department's chest-pain decision unit), on heldout13's
    # records; first run after heldout97's fixes (policy v110)
    "heldout98": Suite("wordings_heldout98.yaml", "questions_heldout98.yaml", SUITE_RECORDS["heldout13"], "BS"),
    # heldout99: written blind by a writer who read no medts code or earlier set (realistic English from five settings:
    # a syncope and falls clinic; a lung cancer team's pre-chemotherapy check; a community pharmacy's ECG checks; a ward
    # clerk and a foundation doctor writing discharge summaries; a young patient with palpitations messaging through a
    # hospital app), on heldout13's records; first run after heldout98's fixes (policy v111)
    "heldout99": Suite("wordings_heldout99.yaml", "questions_heldout99.yaml", SUITE_RECORDS["heldout13"], "BT"),
}
"""Every agent question suite, in the order the learned refusal check reads their wordings."""


def refusal_check_suites() -> list[str]:
    """The suites whose wordings train the learned refusal check and are its leave-one-suite-out folds
    (``medts bench safety``), in :data:`SUITES` order."""
    return [name for name, suite in SUITES.items() if suite.trains_refusal_check]


SEEN_BY_REFUSAL_CHECK = tuple(f"heldout{n}" for n in range(12, 93))
"""Blind suites whose wordings joined the learned refusal check's training data after their first runs
(eval/results/safety_<suite>_first_run.md holds what the check did before it saw them): training data only,
not leave-one-suite-out folds, so ``medts bench safety`` stays one fold per early suite. A newer blind suite
stays unseen until it is added here and the adapter is refitted (``medts bench safety --save-adapter``)."""
