"""Questions in inverted word order (medts.agent.word_order) are put in the usual order, and only those."""

from __future__ import annotations

import pytest

from medts.agent.verdict import route
from medts.agent.word_order import undo_inversion


@pytest.mark.parametrize(("typed", "ordered", "label"), [
    ("Prolonged, the QT is? Yes or no.", "Is the QT prolonged? Yes or no.", "yes/no:LNGQT"),
    ("Normal, this ECG is?", "Is this ECG normal?", "yes/no:NORM"),
    ("Partial, the right bundle block is?", "Is the right bundle block partial?", "yes/no:IRBBB"),
    ("Slow, and sinus, this rhythm is?", "Is this rhythm slow, and sinus?", "yes/no:SBRAD"),
    ("Fibrillating, the atria are?", "Are the atria fibrillating?", "yes/no:AFIB"),
    ("A bundle branch block, left or right, this tracing has?",
     "Does this tracing have a bundle branch block, left or right?", "yes/no:BBB"),
    ("Night shift. LVH, this ECG shows?", "Night shift. Does this ECG show LVH?", "yes/no:LVH"),
])
def test_an_inverted_question_is_put_in_order(typed, ordered, label):
    assert undo_inversion(typed) == ordered
    assert route(typed).label == label  # to_english puts it in order before the router reads it


@pytest.mark.parametrize("typed", [
    "Wide or narrow, the QRS is? Its duration in milliseconds, tell me.",  # a choice fronted asks which
    "Slow, but is it sinus?", "QT prolonged, is it?", "In leads II, III and aVF, is there ST elevation?",
    "Sinus rhythm, the rate is 72. Is that right?",
])
def test_questions_in_the_usual_order_are_left_as_typed(typed):
    assert undo_inversion(typed) == typed
