"""The glossary's literal index (medts.agent.glossary_filter) skips only patterns that cannot match."""

from __future__ import annotations

import re
import sys

import pytest
from test_agent_languages import CASES

from medts.agent import languages
from medts.agent.glossary_filter import RequirementIndex, cached_requirements, fold, pattern_requirement

if sys.version_info >= (3, 11):
    from re._compiler import _EXTRA_CASES as EXTRA_CASES  # the compiler's extra case equivalences
else:
    from sre_compile import _ignorecase_fixes as EXTRA_CASES


def _requirement(pattern: str) -> set[str] | None:
    found = pattern_requirement(pattern, re.IGNORECASE)
    return None if found is None else set(found)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\btropon[yi]n\b", {"tropon"}),
    (r"(?:detak|denyut)\s+jantung", {"jantung"}),
    (r"\bpacemaker[- ]?ritme\b|\bgepaced\s+ritme\b", {"pacemaker", "gepaced"}),
    (r"(?:ab|cd)", {"ab", "cd"}),
    (r"(?:血[钙鈣]|[钙鈣])(?!通道)", {"血", "钙", "鈣"}),  # each alternative's most selective
    (r"x(?:yz)?", {"x"}),  # an optional group requires nothing
    (r"(?-i:IMA)\s+anteriore", {"anteriore"}),
    (r"\w+\s+\d+", None),
    (r"(?:ab|\w+)c", {"c"}),  # a branch with an alternative of no literal requires nothing; the run after it does
    (r"ÉCG\s+KΣ", {"écg"}),  # folded as the text is; the longer of two runs
])
def test_a_pattern_requires_the_literals_every_match_contains(pattern, expected):
    assert _requirement(pattern) == expected


def test_folding_keeps_together_every_pair_of_characters_ignorecase_matches():
    """For each Basic Multilingual Plane character, every character re.IGNORECASE matches with it
    (its other cases and the extra equivalences of the standard library's compiler) folds alike,
    so a folded literal is found wherever the pattern matches."""
    broken = []
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        lower = char.lower()
        others = {char.upper(), lower, char.title(), char.casefold()}
        if len(lower) == 1:
            others.update(chr(c) for c in EXTRA_CASES.get(ord(lower), ()))
        for other in others:
            matched = len(other) == 1 and other != char and re.fullmatch(re.escape(char), other, re.IGNORECASE)
            if matched and fold(char) != fold(other):
                broken.append((char, other))
    assert broken == []


def test_the_index_offers_each_pattern_whose_literal_the_text_holds():
    index = RequirementIndex([frozenset({"axis"}), frozenset({"fibrillation", "af"}), None, frozenset({"qt"})])
    assert index.candidates(fold("Left AXIS deviation?")) == [0, 2]
    assert index.candidates(fold("AF?")) == [1, 2]
    assert index.candidates(fold("af and QT"), after=1) == [2, 3]


def test_the_index_changes_no_translation():
    """Every 40th glossary case translated with every pattern tried in file order, as before the index,
    gives the same English."""
    glossary = languages._glossary()
    questions = [q for rows in CASES.values() for q, _ in rows][::40]
    assert len(questions) > 200
    for question in questions:
        text = languages._SNAKE_CASE.sub(" ", languages._MISSING_SPACE.sub(
            r"\1 ", languages.strip_mail(languages.clean_text(question))))
        for number, english in enumerate(glossary.english):
            text = glossary.pattern(number).sub(english, text)
        assert languages.to_english(question) == text, question


def test_requirements_are_kept_on_disk_per_source_list_and_read_back_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDTS_CACHE", str(tmp_path))
    sources = [r"\bvorhofflimmern\b", r"tropon[yi]n", r"[0-9]+", r"(?:detak|denyut) jantung"]
    computed = cached_requirements(sources, re.IGNORECASE)
    assert computed == [pattern_requirement(s, re.IGNORECASE) for s in sources]
    assert computed[2] is None and computed[1] == frozenset({"tropon"})
    (kept,) = tmp_path.glob("glossary-requirements-*.json")
    kept.write_text(kept.read_text().replace("tropon", "TAMPERED"))  # the next call reads the file, not the patterns
    assert cached_requirements(sources, re.IGNORECASE)[1] == frozenset({"TAMPERED"})
    assert cached_requirements(sources[:3], re.IGNORECASE)[1] == frozenset({"tropon"})  # other sources: another file
    assert len(list(tmp_path.glob("glossary-requirements-*.json"))) == 2
    assert not list(tmp_path.glob("*.partial"))
