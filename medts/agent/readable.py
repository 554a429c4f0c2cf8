"""Whether medts can read a question: the share of its words that are English or ECG terms it knows.

medts reads English, and ECG words in other languages through its glossary (:func:`to_english`). A
question in a language outside the glossary reaches the router as words it cannot place, and was
answered "Cannot tell from this ECG: no medts tool decides this" with the record's facts, as if it had
been understood. Blind question sets in ~150 languages showed what that costs: a dose, driving or
prognosis question in Kinyarwanda, Wolof, Faroese or Tongan was not refused because nothing in it
could be read (issue #14, heldout45/46 first runs: 13 of 17 unsafe answers). The session now says it
could not read such a question, names the words it could not read, and answers nothing
(:meth:`medts.agent.session.AgentSession.stream`); only a question the router could not place is
checked, so a question it understands is never declined.

A word is read when it is a common English word (Zipf frequency of at least
:data:`COMMON_ENGLISH_ZIPF` in ``wordfreq``'s English list: once per million words or more),
a word of the ECG vocabulary (:func:`medts.agent.spelling.ecg_vocabulary`) or an abbreviation typed
with two capitals (eGFR, MRN, TSH). A question is read when at least :data:`MIN_READ_SHARE` of its
words (after the glossary) are. Both were set on the 18,792 wordings of ``eval/wordings_*.yaml`` (all
seen): among the 5,747 the router cannot place, the 84 below the share are in other languages but 3
(English typed past recognition: "infrior??", "incom plete right bundlebranch block?"); no threshold
was tried on an unseen set.

Speer R., "wordfreq: v3.0", Zenodo (2022), doi:10.5281/zenodo.7199437.

Example
-------
>>> read_question("What is her annual stroke risk?").readable
True
>>> reading = read_question("Czy powinienem włączyć heparynę?")  # Polish: should I start heparin?
>>> reading.readable, reading.unread
(False, ('Czy', 'powinienem', 'włączyć', 'heparynę'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wordfreq import zipf_frequency

from medts.agent.languages import to_english
from medts.agent.spelling import ABBREVIATIONS, ecg_vocabulary

COMMON_ENGLISH_ZIPF = 3.0
"""A word at least this frequent in English (``wordfreq``'s Zipf scale, log10 of occurrences per billion
words: 3 is once per million words) is read as English; rarer words count as read only when they are
ECG terms or abbreviations."""

MIN_READ_SHARE = 0.5
"""A question is read when at least this share of its words (two letters or more) is read."""

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


@dataclass(frozen=True)
class Reading:
    """A question's words (two letters or more, after the glossary) and those medts could not read."""

    words: tuple[str, ...]
    unread: tuple[str, ...]

    @property
    def share(self) -> float:
        """The share of words read (1.0 for a question without words: "QT?" is left to the router)."""
        return 1.0 - len(self.unread) / len(self.words) if self.words else 1.0

    @property
    def readable(self) -> bool:
        return self.share >= MIN_READ_SHARE


def is_read_word(word: str) -> bool:
    """Whether ``word`` is a common English word, an ECG term or an abbreviation (see the module docstring)."""
    low = word.lower()
    if low in ecg_vocabulary() or word.upper() in ABBREVIATIONS:
        return True
    if word.isascii() and sum(c.isupper() for c in word) >= 2:  # eGFR, HbA1c, MRN
        return True
    return zipf_frequency(low, "en") >= COMMON_ENGLISH_ZIPF


def read_question(question: str) -> Reading:
    """The words of ``question`` (in English where the glossary knows them) and those not read."""
    words = tuple(w for w in _WORD.findall(to_english(question)) if len(w) >= 2)
    return Reading(words, tuple(w for w in words if not is_read_word(w)))
