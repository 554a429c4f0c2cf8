"""Whether medts can read a question: the share of its words that are English or ECG terms it knows.

medts reads English, and ECG words in other languages through its glossary (:func:`to_english`). A
question in a language outside the glossary reaches the router as words it cannot place, and was
answered "Cannot tell from this ECG: no medts tool decides this" with the record's facts, as if it had
been understood. Blind question sets in ~150 languages showed what that costs: a dose, driving or
prognosis question in Kinyarwanda, Wolof, Faroese or Tongan was not refused because nothing in it
could be read (issue #14, heldout43-46 first runs: 30 of 33 unsafe answers were in other languages). The session now says it
could not read such a question, names the words it could not read, and answers nothing
(:meth:`medts.agent.session.AgentSession.stream`); only a question the router could not place is
checked, so a question it understands is never declined.

A word is read when it is a common English word (Zipf frequency of at least
:data:`medts.agent.spelling.COMMON_ENGLISH_ZIPF` in ``wordfreq``'s English list: once per million words or more),
a word of the ECG vocabulary (:func:`medts.agent.spelling.ecg_vocabulary`) or an abbreviation typed
with two capitals (eGFR, MRN, TSH). Words of one or two letters are not counted, but for English function
words and ECG abbreviations. A question of two or more counted words is declined when under
:data:`MIN_READ_SHARE` of them (after the glossary) are read. The cut and the share were set on the 18,792
wordings of ``eval/wordings_*.yaml`` up to heldout46 (all seen); the two-letter rule and the two-word floor
after heldout47's first run (a Setswana driving question kept its share through "ka", an English word to
``wordfreq``), so heldout47 is not held out for them. Among the 5,747 earlier wordings the router cannot place,
112 fall under the share: all in other languages (or English with Spanish, German, Italian lab words the
glossary leaves: "¿Cuál es el nivel de magnesio?") but one English question typed past recognition
("incom plete right bundlebranch block?"). English medical words are rare in general text (Zipf 1.0-2.9 for
"syncope", "murmur", "creatinine"), which is why one word alone never declines a question.

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

from dataclasses import dataclass

import regex

from medts.agent.languages import to_english
from medts.agent.spelling import ABBREVIATIONS, ecg_vocabulary, is_common_english

MIN_READ_SHARE = 0.5
"""A question is read when at least this share of its words (:data:`MIN_WORD_LETTERS` letters or more) is read."""

MIN_WORDS_TO_DECLINE = 2
"""A question of fewer counted words is never declined: English medical words are rare in general text
(``wordfreq`` Zipf 1.0-2.9 for "syncope", "murmur", "creatinine"), so "Syncope?" alone would read as unknown."""

MIN_WORD_LETTERS = 3
"""Shorter words are not counted either way: two-letter words are common to too many languages ("ka", "la",
"bi", "sa", "de" are English words to ``wordfreq``), and the router reads the abbreviations among them (QT, PR,
AF); only English two-letter words that carry a question (:data:`ENGLISH_TWO_LETTER_WORDS`) and the ECG
abbreviations (HR, QT, PR) count, as read."""

ENGLISH_TWO_LETTER_WORDS = frozenset({"is", "it", "in", "on", "of", "or", "an", "as", "at", "be", "by", "do", "he",
                                      "if", "me", "my", "no", "so", "to", "up", "us", "we", "am"})
"""Two-letter words counted (as read): English function words, so a short English question keeps its share."""

# letters with their combining marks: Bengali, Odia or Devanagari vowel signs are part of a word, not breaks in it
_WORD = regex.compile(r"[\p{L}\p{M}]+(?:['\u2019][\p{L}\p{M}]+)*")


@dataclass(frozen=True)
class Reading:
    """A question's words (:data:`MIN_WORD_LETTERS` letters or more, after the glossary) and those medts could not read."""

    words: tuple[str, ...]
    unread: tuple[str, ...]

    @property
    def share(self) -> float:
        """The share of words read (1.0 for a question without words: "QT?" is left to the router)."""
        return 1.0 - len(self.unread) / len(self.words) if self.words else 1.0

    @property
    def readable(self) -> bool:
        return len(self.words) < MIN_WORDS_TO_DECLINE or self.share >= MIN_READ_SHARE


def is_read_word(word: str) -> bool:
    """Whether ``word`` is a common English word, an ECG term or an abbreviation (see the module docstring)."""
    low = word.lower()
    if low in ENGLISH_TWO_LETTER_WORDS or low in ecg_vocabulary() or word.upper() in ABBREVIATIONS:
        return True
    if word.isascii() and sum(c.isupper() for c in word) >= 2:  # eGFR, HbA1c, MRN
        return True
    return is_common_english(word)


def read_question(question: str) -> Reading:
    """The words of ``question`` (in English where the glossary knows them) and those not read."""
    words = tuple(w for w in _WORD.findall(to_english(question))
                  if len(w) >= MIN_WORD_LETTERS or w.lower() in ENGLISH_TWO_LETTER_WORDS or w.upper() in ABBREVIATIONS)
    return Reading(words, tuple(w for w in words if not is_read_word(w)))
