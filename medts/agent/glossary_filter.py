"""A fast test that a glossary pattern cannot match a question, so :func:`medts.agent.languages.to_english`
runs only the few of its ~16,000 patterns that might.

Each pattern gets a *requirement* (:func:`pattern_requirement`): a set of literal strings of which any
match must contain at least one, read from the pattern's parse tree (``re._parser``, the standard
library's own parser, ``sre_parse`` on Python 3.10). "tropon[yi]n" requires ``{"tropon"}``; "(?:detak|denyut) jantung" requires
``{" jantung"}``; a pattern made only of classes and repeats requires nothing and always runs.
Case is folded on both sides by :func:`fold`, one character at a time, so the test never rejects a
match ``re.IGNORECASE`` would make: the folded literal is a substring of the folded question
whenever the pattern matches it (checked over every Basic Multilingual Plane character in
``tests/test_agent_glossary_filter.py``). Skipping a pattern that cannot match changes nothing:
``re.sub`` would have returned the question unchanged.

Example
-------
>>> import re
>>> sorted(pattern_requirement(r"\\b(?:left|LEFT)\\s+axis\\b", re.IGNORECASE))
['axis']
>>> index = RequirementIndex([frozenset({"axis"}), frozenset({"fibrillation"}), None])
>>> index.candidates(fold("Left AXIS deviation?"))
[0, 2]
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

if sys.version_info >= (3, 11):
    import re._parser as sre_parse  # the standard library's regular-expression parser (no public name)
else:  # Python 3.10 names the same parser sre_parse
    import sre_parse

_REPEATS = tuple(getattr(sre_parse, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(sre_parse, name))  # possessive repeats are new in Python 3.11

_MAX_CLASS_CHARS = 8
"""A character class of at most this many plain characters ("[yi]") is a requirement of single characters."""


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    # NFKC then casefold puts together the characters re.IGNORECASE treats as one (the Kelvin sign and
    # "k", "ſ" and "s", final and medial sigma, Greek symbol variants); the dotted capital I folds to
    # "i" + U+0307 and the dotless i stays apart, but re.IGNORECASE matches both with "i".
    folded = unicodedata.normalize("NFKC", char).casefold().replace("\u0307", "")
    return "i" if folded == "\u0131" else folded


def fold(text: str) -> str:
    """``text`` with every character case-folded as :func:`pattern_requirement`'s literals are."""
    return "".join(_fold_char(c) for c in text)


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective requirement: the longest shortest literal, then the fewest alternatives."""
    usable = [c for c in candidates if c and all(c)]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(s) for s in c), -len(c)))


def _class_chars(items: list) -> frozenset[str] | None:
    """The plain characters of a character class, or ``None`` for ranges, categories or negation."""
    chars = []
    for op, value in items:
        if op is not sre_parse.LITERAL:
            return None
        chars.append(chr(value))
    return frozenset(chars) if len(chars) <= _MAX_CLASS_CHARS else None


def _requirement(items) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run = ""
    for op, value in items:
        if op is sre_parse.LITERAL:
            run += chr(value)
            continue
        if op is sre_parse.SUBPATTERN and all(o is sre_parse.LITERAL for o, _ in value[-1]):
            run += "".join(chr(v) for _, v in value[-1])  # a group of plain characters continues the run
            continue
        candidates.append(frozenset({run}) if run else frozenset())
        run = ""
        if op is sre_parse.SUBPATTERN:
            candidates.append(_requirement(value[-1]) or frozenset())
        elif op is sre_parse.BRANCH:
            alternatives = [_requirement(branch) for branch in value[1]]
            if all(alternatives):
                candidates.append(frozenset().union(*alternatives))
        elif op in _REPEATS and value[0] >= 1:
            candidates.append(_requirement(value[2]) or frozenset())
        elif op is sre_parse.IN:
            candidates.append(_class_chars(value) or frozenset())
    candidates.append(frozenset({run}) if run else frozenset())
    return _best(candidates)


def pattern_requirement(source: str, flags: int) -> frozenset[str] | None:
    """Folded literals of which every match of the pattern ``source`` (compiled with ``flags``)
    contains one, or ``None`` when the pattern names no literal it always needs (it must then always
    be tried)."""
    found = _requirement(sre_parse.parse(source, flags))
    return None if found is None else frozenset(fold(s) for s in found)


def cached_requirements(sources: Sequence[str], flags: int) -> list[frozenset[str] | None]:
    """:func:`pattern_requirement` of each source, read from a JSON file under
    :func:`medts.config.cache_dir` when one was written for the same sources, flags and version of
    this module (its name holds their SHA-256), else computed and written there.

    Parsing the glossary's ~16,000 patterns takes about 6 CPU-s, which a chat's first question would
    otherwise wait for; reading the file takes a few milliseconds. A cache folder that cannot be
    written only costs the parse again next time."""
    from medts.config import cache_dir

    digest = hashlib.sha256()
    for part in (Path(__file__).read_bytes(), str(flags).encode(), "\x00".join(sources).encode()):
        digest.update(part)
        digest.update(b"\x01")
    path = cache_dir() / f"glossary-requirements-{digest.hexdigest()[:32]}.json"
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return [None if literals is None else frozenset(literals) for literals in stored]
    found = [pattern_requirement(source, flags) for source in sources]
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(json.dumps([None if r is None else sorted(r) for r in found], ensure_ascii=False),
                           encoding="utf-8")
        partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
    except OSError:  # a read-only cache folder: the requirements are right, only not kept
        partial.unlink(missing_ok=True)
    return found


_KEY_CHARS = 3
"""Literals are indexed by their first (up to) this many folded characters."""


class RequirementIndex:
    """The patterns of a list that might match a text, found from the text's short substrings instead
    of testing every pattern: each requirement literal is filed under its first :data:`_KEY_CHARS`
    characters, and a text's candidates are the patterns filed under one of its substrings of 1 to
    :data:`_KEY_CHARS` characters whose literal the text then contains, plus the patterns with no
    requirement."""

    def __init__(self, requirements: list[frozenset[str] | None]) -> None:
        self._requirements = requirements
        self._always = [i for i, r in enumerate(requirements) if r is None]
        self._by_key: dict[str, list[int]] = {}
        for i, requirement in enumerate(requirements):
            for literal in requirement or ():
                self._by_key.setdefault(literal[:_KEY_CHARS], []).append(i)

    def candidates(self, folded_text: str, after: int = -1) -> list[int]:
        """Indices above ``after``, ascending, of the patterns that might match the text whose
        :func:`fold` is ``folded_text``."""
        keys = {folded_text[i:i + n] for n in range(1, _KEY_CHARS + 1) for i in range(len(folded_text) - n + 1)}
        found = set(self._always)
        for key in keys & self._by_key.keys():
            found.update(i for i in self._by_key[key]
                         if any(literal in folded_text for literal in self._requirements[i]))
        return sorted(i for i in found if i > after)
