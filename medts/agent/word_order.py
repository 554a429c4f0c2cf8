"""Questions asked in inverted word order, put back in the usual order: the predicate fronted before its subject and
the verb last ("Prolonged, the QT is?" is "Is the QT prolonged?"; "A bundle branch block, left or right, this tracing
has?" is "Does this tracing have a bundle branch block, left or right?").

heldout53's first run (issue #14): 28 questions in this order; the router read "Prolonged, the QT is?" as a question
for the QT interval and "Normal, this ECG is?" as one for the whole interpretation. Only a sentence that ends with its
verb and a question mark, whose subject opens with a determiner, is turned round: "Slow, but is it sinus?" and "QT
prolonged, is it?" are not in this order and stay as typed.

Example
-------
>>> undo_inversion("Prolonged, the QT is? Yes or no.")
'Is the QT prolonged? Yes or no.'
>>> undo_inversion("An infarct, anywhere, old or new, this ECG shows?")
'Does this ECG show an infarct, anywhere, old or new?'
"""

from __future__ import annotations

import re

_DETERMINER = r"(?:the|this|that|these|those|every|each|its|his|her|their|my|our|your)"
# a choice fronted ("Wide or narrow, the QRS is?") asks which, and is left as typed
_LINKING = re.compile(rf"(?P<lead>^|(?<=[?.!:])\s+)(?P<predicate>(?:(?!\bor\b)[^?.!:])+?),\s+(?P<subject>{_DETERMINER}\s+[^,?.!:]+?)\s+"
                      r"(?P<verb>is|are|was|were)\s*\?", re.IGNORECASE)
_TRANSITIVE = re.compile(rf"(?P<lead>^|(?<=[?.!:])\s+)(?P<object>[^?.!:]+?),\s+(?P<subject>{_DETERMINER}\s+[^,?.!:]+?)\s+"
                         r"(?P<verb>has|have|shows?|demonstrates?|displays?)\s*\?", re.IGNORECASE)
_BASE_FORM = {"has": "have", "have": "have", "show": "show", "shows": "show", "demonstrate": "demonstrate",
              "demonstrates": "demonstrate", "display": "display", "displays": "display"}


def _first_lower(text: str) -> str:
    """``text`` with its first letter in lower case, unless the first word is an abbreviation ("QT", "ECG")."""
    first = text.split(" ", 1)[0]
    abbreviation = len(first) > 1 and first.isupper() or any(c.isdigit() for c in first)
    return text if abbreviation else text[:1].lower() + text[1:]


def _linking(match: re.Match) -> str:
    verb = match.group("verb")
    return f"{match.group('lead')}{verb[0].upper()}{verb[1:].lower()} {match.group('subject')} " \
           f"{_first_lower(match.group('predicate').strip())}?"


def _transitive(match: re.Match) -> str:
    base = _BASE_FORM[match.group("verb").lower()]
    auxiliary = "Do" if match.group("subject").lower().split()[0] in ("these", "those", "their", "our", "my", "your") \
        and base == "have" else "Does"
    return f"{match.group('lead')}{auxiliary} {match.group('subject')} {base} {_first_lower(match.group('object').strip())}?"


def undo_inversion(text: str) -> str:
    """``text`` with each sentence asked in inverted order (predicate or object first, verb last) put in the usual
    order (see the module docstring); every other sentence unchanged."""
    if "?" not in text or "," not in text:
        return text
    return _TRANSITIVE.sub(_transitive, _LINKING.sub(_linking, text))
