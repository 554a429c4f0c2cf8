"""Text-head targets: German glossary translation, statement sentences, LUDB diagnoses."""

from __future__ import annotations

import pytest

from medts.agent.grounding import find_statements
from medts.agent.text_data import (
    english_report, ludb_codes, ludb_sentences, statement_sentence, structured_target, translate_german,
)
from medts.labels import STATEMENTS

VOCAB = frozenset("sinus rhythm normal ecg left axis otherwise atrial fibrillation deviation".split())


def test_german_reports_are_translated_or_dropped():
    assert translate_german("sinusrhythmus lagetyp normal normales ekg 4") == "sinus rhythm. normal axis. normal ecg."
    assert english_report("sinusrhythmus linkstyp sonst normales ekg", VOCAB) == "Sinus rhythm. Left axis. Otherwise normal ECG."
    assert english_report("sinus rhythm. normal ecg.", VOCAB) == "Sinus rhythm. Normal ECG."
    # words the glossary does not know: dropped rather than half-translated
    assert english_report("sinusrhythmus periphere niederspannung", VOCAB) is None
    assert english_report("sinusrytm normalt ekg", VOCAB) is None  # Swedish


def test_every_statement_sentence_reads_back_as_its_code():
    unreadable = []
    for code in STATEMENTS:
        sentence = statement_sentence(code)
        if not sentence:
            unreadable.append(code)
            continue
        found = [c for _, c, negated in find_statements(sentence) if not negated]
        assert code in found, (code, sentence)
        assert not any(ch.isdigit() for ch in sentence.replace(code, ""))  # no numbers to ground
    assert unreadable == ["NT_"]  # two-letter code with a "without" description: left out of targets


def test_structured_target_copies_the_measured_rate():
    assert structured_target(["SR", "XYZ"], {"hr_bpm": {"value": 58.6}}) == "Sinus rhythm. Heart rate 59 bpm."
    assert structured_target(["AFIB"], None) == "Atrial fibrillation."


@pytest.mark.realdata
def test_ludb_diagnoses_become_sentences_and_codes(ludb_dir):
    from medts.io.ludb import read_ludb

    rec = read_ludb(ludb_dir, 1)
    text = ludb_sentences(rec.diagnoses)
    lines = [line for col in rec.diagnoses.values() for line in col]
    assert text.count(".") >= len(lines) and lines[0].split(":")[0] in text
    assert rec.diagnoses["Rhythms"] == ["Sinus bradycardia"] and ludb_codes(rec.diagnoses)[0] == "SBRAD"
