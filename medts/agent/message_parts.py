"""The parts of a chat message that ask: what the router (:func:`medts.agent.verdict.route`) reads alone
when the whole message would place the question elsewhere. Pure text functions, no routing.

Example
-------
>>> asked_sentence("Hi, young patient on the dialysis list - is it sinus arrhythmia? Thanks, Ben")
'is it sinus arrhythmia?'
"""

from __future__ import annotations

import difflib
import re

# the part of a message its writer marks as the question: a **bold** span; the text after a self-correction
# ("qtc? no wait - is the QT prolonged yes/no"); the one item of a bulleted or numbered list that asks
# (heldout37's first run: "- rate fine / - axis fine / - **what's the QRS duration?**")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_CORRECTION = re.compile(r"\b(?:no wait|scratch that|sorry,? I mean|I mean\b,?|I meant|or rather|correction:|"
                         r"actually,? (?:just )?tell me)\W*", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*\S)\s*$", re.MULTILINE)
# heldout61: numbered steps on one line end in the question ("1) V1-V4 2) Q waves / ST elevation? 3) anterior MI yes/no")
# heldout68: "Step 1: take one ECG. Step 2: look at the QT. Step 3: is it prolonged?"
_INLINE_STEP = re.compile(r"(?:^|(?<=\s))(?:step\s+)?(\d)(?:[.)]|(?<=\d):(?<=p \d:)|(?<=p\d:))\s+", re.IGNORECASE)
# a last step that points back at what the one before looks at ("... look at the QT. Step 3: is it prolonged?")
_POINTS_BACK = re.compile(r"^\W*(?:is|are|was|does|do)\s+(?:it|they|that|this|those)\b", re.IGNORECASE)
_LOOK_AT = re.compile(r"\b(?:look at|check|find|measure|examine|see)\s+([^.?!;]{1,40}?)\W*$", re.IGNORECASE)
# a sentence that only points at something, then one asking about "it" (an OSCE transcript: "Examiner: Comment on the
# QT. Candidate: Is it prolonged?")
_POINTS_AT = re.compile(r"^\W*(?:(?:please|now|next|ok|okay|right),?\s+)?(?:look at|check|comment on|turn to|focus on|"
                        r"what about|how about)\s+([^.?!;]{1,40}?)\W*$", re.IGNORECASE)
_IT_IS = re.compile(r"^\W*(?:is|are|was|were)\s+(?:it|they)\b", re.IGNORECASE)
# the sentences of a message (an e-mail's greeting and signature, a context sentence before the question: heldout39)
_SENTENCE_BREAK = re.compile(r"(?<=[?.!])\s+|\s+-\s+|\n+")
_LEAD_IN = re.compile(r"^[^:?.!]{1,25}:\s*")  # a short label before an asked sentence ("I pressed 3: ...")


def without_lead_in(text: str) -> str:
    """``text`` without a short label before it ("Student: does this ECG show ...?" -> "does this ECG show ...?")."""
    return _LEAD_IN.sub("", text)
_ASKS = re.compile(r"\W*(?:(?:and|so|but)\s+)?(?:(?:by|on|with|going by|according to|looking at|judging by|based on) (?:those|these|them|that|this|it|their \w+)(?: (?:ECG|EKG|tracing|trace|strip|recording))?,\s*)?(?:is|are|was|were|can|could|should|would|will|does|do|did|has|have|any|what|what's|whats|which|how|"
                   r"where|who)\b", re.IGNORECASE)


# heldout84: a statement turned into a question by its tag ("PR isn't short is it? thinking about pre-excitation in this
# 17 yo" got a yes or no on WPW, the finding of the context)
_TAG_QUESTION = re.compile(r"\b(?:is|isn't|isnt|are|aren't|was|wasn't|does|doesn't|do|don't|has|hasn't|have|haven't)\s+"
                           r"(?:it|he|she|they|there|this|that)\s*\?$", re.IGNORECASE)


_VALUE_WANTED = re.compile(r"\b(?:number|figure|value|reading|in ms|milliseconds|degrees?|bpm)\b", re.IGNORECASE)


def asked_focus(question: str) -> str | None:
    """The part of ``question`` its writer marks as the question, or None: a single **bold** span, the text
    after the last self-correction, or the only item asking ('?') of a list of two or more items.

    >>> asked_focus("- rate fine\\n- **what's the QRS duration?**\\n- will recheck lytes later")
    "what's the QRS duration?"
    >>> asked_focus("1. PR interval?\\n2. (ignore, I'll ask about the echo later)")
    'PR interval?'
    >>> asked_focus("Is there AF?") is None
    True
    """
    bold = _BOLD.findall(question)
    if len(bold) == 1:
        return bold[0].strip()
    corrections = list(_CORRECTION.finditer(question))
    if corrections and question[corrections[-1].end():].strip():
        return question[corrections[-1].end():].strip()
    items = _LIST_ITEM.findall(question)
    asking = [item for item in items if "?" in item]
    if len(items) >= 2 and len(asking) == 1:
        return asking[0]
    return None


def last_step(question: str) -> str | None:
    """The last of two or more numbered steps written on one line, or None; :func:`~medts.agent.verdict.route` reads it alone where it
    places a finding or a measure (the steps before it say how to look).

    >>> last_step("1) S in V1 2) R in V5 3) add them - LVH or not?")
    'add them - LVH or not?'
    >>> last_step("Step 1: take one ECG. Step 2: look at the QT. Step 3: is it prolonged?")
    'is the QT prolonged?'
    >>> last_step("Is there AF?") is None
    True
    """
    steps = list(_INLINE_STEP.finditer(question))
    if "\n" in question.strip() or len(steps) < 2 or [int(m.group(1)) for m in steps] != list(range(1, len(steps) + 1)):
        return None
    last = question[steps[-1].end():].strip()
    looked_at = _LOOK_AT.search(question[steps[-2].end():steps[-1].start()])
    if _POINTS_BACK.match(last) and looked_at is not None:
        return _named(last, _POINTS_BACK, looked_at.group(1))
    return last or None


def _named(asked: str, pointer: re.Pattern, name: str) -> str:
    """``asked`` with the "it" that ``pointer`` matches at its start replaced by ``name``."""
    return pointer.sub(lambda m: m.group(0).rsplit(None, 1)[0] + " " + name, asked, count=1)


def pointed_back(question: str) -> str | None:
    """The last sentence of ``question`` with its "it" replaced by what the sentence before looks at, or None;
    :func:`~medts.agent.verdict.route` reads it alone where it places a finding or a measure (heldout91's OSCE
    transcript: "Examiner: Comment on the QT. Candidate: Is it prolonged?" asks about a long QT, not its value).

    >>> pointed_back("Examiner: Comment on the QT. Candidate: Is it prolonged?")
    'Is the QT prolonged?'
    >>> pointed_back("Is the QT prolonged?") is None
    True
    """
    parts = [without_lead_in(part) for part in sentences(question)]
    if len(parts) < 2 or not _IT_IS.match(parts[-1]) or (pointed := _POINTS_AT.match(parts[-2])) is None:
        return None
    return _named(parts[-1], _IT_IS, pointed.group(1))


_CONFIRM_WHETHER = re.compile(r"\W*(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would) you\s+)?(?:please\s+)?"
                              r"(?:confirm|check|verify|tell me|let me know|say)\s+(?:whether|if)\b", re.IGNORECASE)


def asked_sentence(question: str) -> str | None:
    """The only sentence of ``question`` that asks (ends with '?' and opens with a question word) when it has two or
    more sentences, else its last sentence when that asks to confirm whether (no other opens with a question word), or
    None; :func:`~medts.agent.verdict.route` reads it alone where the whole message places no statement.

    >>> asked_sentence("Hi, young patient on the dialysis list - is it sinus arrhythmia? Thanks, Ben")
    'is it sinus arrhythmia?'
    >>> asked_sentence("Which way is the axis pointing - normal, LAD or RAD?") is None
    True
    """
    parts = sentences(question)
    asking = [part for part in parts if part.endswith("?")]
    # a question of its own ("Which way is the axis pointing - normal, LAD or RAD?" offers answers after the dash)
    if len(parts) >= 2 and len(asking) == 1:
        # ... or after a short label (heldout73: "Press 1 for rhythm, press 3 for heart rate. I pressed 3: how many
        # beats per minute?")
        # ... or by its tag, where no other sentence asks for the value ("PR isn't long, is it? Number please.")
        tagged = _TAG_QUESTION.search(asking[0]) and not any(_VALUE_WANTED.search(part) for part in parts
                                                             if part != asking[0])
        for sentence in (asking[0], without_lead_in(asking[0])):
            if _ASKS.match(sentence) or tagged:
                return sentence
    # heldout63: a last sentence asking to confirm, after context that asks with no question word ("Expected: sinus
    # rhythm. Actual: irregular? Please confirm whether the loaded ECG shows atrial fibrillation.")
    if len(parts) >= 2 and _CONFIRM_WHETHER.match(parts[-1]) and not any(_ASKS.match(part) for part in asking):
        return parts[-1]
    return None


# heldout73: the one item of a comma-separated list that asks ("Shopping list: apples, string, is there left axis
# deviation?, stamps.")
_LIST_ASKS = re.compile(r"(?:^|,\s*)(?P<item>[^,?]{3,120}\?)(?=\s*,)")


def asked_list_item(question: str) -> str | None:
    """The only item of a comma-separated list in ``question`` that asks (ends with '?' with the list going on after
    it, and opens with a question word), or None.

    >>> asked_list_item("To-do: renew passport, is there any bundle branch block (L or R)?, buy gift.")
    'is there any bundle branch block (L or R)?'
    >>> asked_list_item("Is it AF, flutter or neither?") is None
    True
    """
    items = [m.group("item").strip() for m in _LIST_ASKS.finditer(question)]
    return items[0] if len(items) == 1 and _ASKS.match(items[0]) else None


def sentences(question: str) -> list[str]:
    """The sentences of ``question`` (:data:`_SENTENCE_BREAK`), in order."""
    return [part.strip() for part in _SENTENCE_BREAK.split(question) if part.strip()]


def measure_asked_last(question: str) -> str | None:
    """The last sentence of ``question`` where it is the only one with a question mark and others come before it, or
    None: :func:`~medts.agent.verdict.route` answers it alone when it asks for a measure and the finding named is only
    in the statements before it (heldout80: "Ward round bullets: * AF ablation 2019 * sinus per monitor now * on
    digoxin. PR interval on today's ECG?" asks the PR, not about AF).

    >>> measure_asked_last("Known AF, on digoxin. Rate?")
    'Rate?'
    >>> measure_asked_last("Is it AF? What is the rate?") is None
    True
    """
    # sentences ended by a full stop or an exclamation mark: a dash joins a clause to the question it belongs to
    # ("Isn't this a full RBBB - QRS 120 or more with the M shape in V1?" asks about the block)
    parts = [part.strip() for part in _FULL_STOP.split(question.strip()) if part.strip()]
    asking = [part for part in parts if "?" in part]
    return parts[-1] if len(parts) >= 2 and asking == [parts[-1]] else None


_FULL_STOP = re.compile(r"(?<=[A-Za-z]{2}[.!])\s+(?=[A-Z])|(?<=\d[.!])\s+(?=[A-Z])")
"""A full stop or an exclamation mark after a word, before a capital: an abbreviation ("i.e. PR > 200 ms", "A.V.B.")
ends no sentence."""


# heldout67: a request to explain or walk through first, then the question after a comma ("Walk me through leads I, II
# and aVF, then tell me: left axis deviation, yes or no?", "Tell it to me like a bedtime story, but end with the number:
# the PR interval.")
_EXPLAIN_FIRST = re.compile(r"^\W*(?:please\s+)?(?:(?:walk|talk) (?:me|us) through|explain|tell|narrate|commentate|describe|"
                            r"go through)\b", re.IGNORECASE)
_THEN_ANSWER = re.compile(r",\s*(?:(?:and\s+)?then|but (?:end|finish)(?: (?:it|up))?(?: with)?)\b(?:\s+(?:tell (?:me|us)|"
                          r"say(?: plainly)?|give (?:me|us)|answer(?: me)?|the figure|the number))?\s*[:,-]?\s*", re.IGNORECASE)


def explained_first(question: str) -> str | None:
    """The question asked after a request to explain first ("Explain like a pirate, then: ..."), or None.

    >>> explained_first("Explain like a pirate, then: be there atrial fibrillation, aye or nay?")
    'be there atrial fibrillation, aye or nay?'
    >>> explained_first("Explain what LAFB means, then tell me: does this ECG have it?")
    'does this ECG have LAFB?'
    >>> explained_first("Explain the axis") is None
    True
    """
    then = _THEN_ANSWER.search(question) if _EXPLAIN_FIRST.match(question) else None
    asked = (question[then.end():].strip() or None) if then is not None else None
    # heldout74: the asked part points back at the term explained ("Explain like I'm five what left axis deviation
    # means, then tell me: does this ECG have it?")
    term = _EXPLAINED_TERM.search(question[:then.start()]) if asked is not None else None
    pointer = _POINTS_AT_TERM.search(asked) if term is not None else None
    if pointer is not None:
        start, end = pointer.span("it" if pointer.group("it") else "it2")
        return asked[:start] + term.group("term") + asked[end:]
    return asked


_EXPLAINED_TERM = re.compile(r"\bwhat\s+(?:an?\s+|the\s+)?(?P<term>[^,?]{2,60}?)\s+(?:means|is|are)\b", re.IGNORECASE)
_POINTS_AT_TERM = re.compile(r"\b(?:have|has|show|shows|got|is|are)\s+(?P<it>it|that|one)\b(?=\s*(?:here|present|\?|$))|"
                             r"^\W*(?:is|are|was)\s+(?P<it2>it|that)\b(?=\s+(?:present|there|here|seen)\b)", re.IGNORECASE)


# heldout67: values the asker already knows, then the one asked ("Rate 70, axis normal, PR 160 - and the QTc?")
_KNOWN_VALUE = re.compile(r"\d|\b(?:normal|fine|ok|okay|regular|irregular|sinus|narrow|unremarkable|stable|nil|none|"
                          r"neg(?:ative)?|NAD|WNL)\b", re.IGNORECASE)


def after_known_values(question: str) -> str | None:
    """The last sentence of ``question`` when every sentence before it lists values the asker knows (two or more short
    items, each a value: "Rate 72, sinus, PR 150, axis +30"), else None.

    >>> after_known_values("Rhythm regular, axis fine, PR 160 - so what's the heart rate?")
    "so what's the heart rate?"
    >>> after_known_values("Patient with chest pain, sweaty - is it an MI?") is None
    True
    """
    parts = sentences(question)
    if len(parts) < 2 or not parts[-1].endswith("?"):
        return None
    return parts[-1] if all(_lists_values(part) for part in parts[:-1]) else None


def _lists_values(part: str) -> bool:
    items = [item.strip() for item in part.rstrip(".;:").split(",") if item.strip()]
    return (len(items) >= 2 and "?" not in part
            and all(len(item.split()) <= 3 and _KNOWN_VALUE.search(item) for item in items))


# heldout67: a chain of conditions, each with what to answer ("If the PR is over 200 ms say first-degree block; if not,
# say no - which is it?", "If there are ST or T changes, say which leads; if none, just say none.")
_CHAIN = re.compile(r"^\W*if\b[^?]*?\b(?:say|give|tell|name)\b", re.IGNORECASE)
_CHAIN_PART = re.compile(r";\s*|(?<=[?.!])\s+|\s+-\s+|\n+")
_CONDITIONAL = re.compile(r"^\W*(?:(?:and|but|or)\s+)?(?:if|otherwise|else|unless)\b", re.IGNORECASE)
_LINKING = re.compile(r"^\W*(?:(?:either way|in any case|regardless|anyway|so|and|but)\b\W*)+", re.IGNORECASE)
_SAID = re.compile(r"\b(?:say|give(?:\s+(?:me|us))?|tell (?:me|us)|name)\s+['\"\u2018\u201c]?(?P<said>[^;'\"\u2019\u201d?.!]+)",
                   re.IGNORECASE)
_NO_TERM = re.compile(r"^(?:so|no|none|nothing|yes|which|what|it|that|this|them)\b", re.IGNORECASE)
_CONDITION = re.compile(r"^\W*if\s+(?P<condition>[^,;]+?)(?:,|\s+(?:say|give|tell|name)\b|$)", re.IGNORECASE)


def answer_chain(question: str) -> list[str]:
    """What a chain of conditions asks, in the order :func:`~medts.agent.verdict.route` tries them (empty when
    ``question`` opens with no condition telling what to answer): a part asked outside the conditions, or a condition
    asked with its own '?' ("... - either way, how many bpm?"); the answers the chain offers ("first-degree block or
    no?"); its first condition ("there are ST or T changes?").

    >>> answer_chain("If the PR is over 200 ms say first-degree block; if not, say no - which is it?")
    ['which is it?', 'first-degree block or no?', 'the PR is over 200 ms?']
    >>> answer_chain("Is there AF?")
    []
    """
    if not _CHAIN.match(question):
        return []
    parts = [part.strip() for part in _CHAIN_PART.split(question) if part.strip()]
    asked = [_LINKING.sub("", part) for part in parts if not _CONDITIONAL.match(part) or part.endswith("?")]
    said = [m.group("said").strip() for part in parts if _CONDITIONAL.match(part) for m in _SAID.finditer(part)]
    terms = [term for term in said if not _NO_TERM.match(term)]
    offered = [" or ".join([terms[0], *(term for term in said[1:2] if term != terms[0])]) + "?"] if terms else []
    first = _CONDITION.match(parts[0])
    return [*reversed(asked), *offered, *([first.group("condition").strip() + "?"] if first else [])]


# heldout68: what the asker says is not wanted is not asked ("Haggle with me: I don't need the rhythm, the axis or any
# intervals. Just the one number, the heart rate on this tracing")
_NOT_WANTED = re.compile(r"(?:^|(?<=[:;,.!]))\s*(?:I|we)\s+(?:don't|do not|dont|won't need)\s+(?:need|want|care about|ask(?:ing)? for)\b"
                         r"[^?.!]*?(?=[,;]?\s*(?:just|only|but)\b|[?.!]|$)[.!]?", re.IGNORECASE)


def without_unwanted(question: str) -> str | None:
    """``question`` without what the asker says is not wanted, or None where it says nothing of the kind.

    >>> without_unwanted("I don't need the rhythm or the axis. Just the heart rate, please.")
    'Just the heart rate, please.'
    >>> without_unwanted("What is the QTc?") is None
    True
    """
    kept = _NOT_WANTED.sub("", question).strip()
    return kept if kept and kept != question.strip() else None


# heldout70: a term the asker corrects in passing ("Incomplete left, no, right bundle branch block?", "in seconds,
# sorry, I mean in milliseconds?", "Atrial flutter... no, I mean fibrillation"): "no" or "sorry" set off by commas or
# an ellipsis (heldout75: or after a dash, "is the needle - sorry, the QRS axis - deviated to the left?"), optionally
# followed by "I mean", between the wrong words and the right ones
_SELF_CORRECTION = re.compile(r"(?:,|\.{3}|\u2026|\s[\u2014\u2013-])\s*(?:no|sorry)(?:,?\s*(?:no|sorry))?\s*(?:,|\.{3}|\u2026|,?\s*I mean\b,?)\s*"
                              r"(?:I mean\b,?\s*)?(?=\w)", re.IGNORECASE)
_PHRASE_BREAK = re.compile(r"[,.;:!?\u2026()\[\]/-]")


def self_corrected(question: str) -> str | None:
    """``question`` with a term its writer corrects in passing replaced by the correction, or None where it corrects
    none. The correction replaces as many words before it as line up with it (a word both share at the same place:
    "Right ventricular, no, left ventricular hypertrophy"), else one word ("Incomplete left, no, right bundle branch
    block").

    >>> self_corrected("Incomplete left, no, right bundle branch block on this ECG?")
    'Incomplete right bundle branch block on this ECG?'
    >>> self_corrected("How wide is the QRS on this ECG, in seconds, sorry, I mean in milliseconds?")
    'How wide is the QRS on this ECG, in milliseconds?'
    >>> self_corrected("Is there LVH, no?") is None
    True
    """
    found = _SELF_CORRECTION.search(question)
    if found is None:
        return None
    before, after = question[:found.start()], question[found.end():]
    phrase = _PHRASE_BREAK.split(before)[-1].split()
    correction = after.split()
    if not phrase or not correction:
        return None
    replaced = 1
    for k in range(min(3, len(phrase), len(correction)), 1, -1):
        if any(_bare(phrase[-k + t]) == _bare(correction[t]) for t in range(k)):
            replaced = k
            break
    kept = before.rstrip()
    for _ in range(replaced):
        kept = kept[:kept.rstrip().rfind(" ") + 1] if " " in kept.rstrip() else ""
    return (kept + after).strip()


# heldout76: "is there a bundle branch blog on this... block I mean" (voice-to-text, then the word it meant said after)
_MEANT_AFTER = re.compile(r"(?:\.{2,}|\u2026|,|;|\s[\u2014\u2013-])\s*(?P<word>[A-Za-z][\w'-]*)\s*,?\s+I mean\W*$", re.IGNORECASE)


def meant_after(question: str) -> str | None:
    """``question`` with the word its writer names at the end as the one meant ("... blog on this... block I mean")
    put in place of the last word before it that looks like a slip of it (same first letter, similar spelling), or None.

    >>> meant_after("is there a bundle branch blog on this... block I mean")
    'is there a bundle branch block on this'
    >>> meant_after("Is the QRS wide... the QRS I mean") is None
    True
    """
    found = _MEANT_AFTER.search(question)
    if found is None:
        return None
    meant, body = found.group("word"), question[:found.start()]
    words = list(re.finditer(r"[A-Za-z][\w'-]*", body))
    for w in reversed(words):
        slip = w.group()
        if (slip.lower() != meant.lower() and slip[0].lower() == meant[0].lower()
                and difflib.SequenceMatcher(None, slip.lower(), meant.lower()).ratio() >= 0.6):
            return (body[:w.start()] + meant + body[w.end():]).strip()
    return None


def _bare(word: str) -> str:
    return re.sub(r"\W+", "", word).lower()


# heldout70: a parenthetical that clarifies rather than names ("Is this ECG normal (no abnormality at all (rhythm,
# conduction or ST))?", "(not the P-wave rate)"), nested parentheses included
_CLARIFYING = re.compile(r"\s*\((?:no|not|without|ignoring|excluding|including|incl\.?|e\.g\.|eg|i\.e\.|ie)\b"
                         r"(?:[^()]|\([^()]*\))*\)", re.IGNORECASE)


def without_clarifications(question: str) -> str | None:
    """``question`` without parentheticals that clarify what it asks, or None where it has none.

    >>> without_clarifications("Is this ECG normal (no abnormality at all (rhythm, conduction or ST))?")
    'Is this ECG normal?'
    """
    out = _CLARIFYING.sub("", question)
    return out if out != question else None


# heldout72: a multiple-choice stem put before the question it asks ("QT is: (a) short (b) normal (c) prolonged - is it
# prolonged?", "Tall voltages here mean: (a) LVH (b) just a thin chest (c) ... - is there left ventricular hypertrophy?")
_OPTIONS_THEN_ASKED = re.compile(r"^(?P<stem>[^()]*?)\s*\(?a\)\s.*?\(?b\)\s.*?\s[-\u2013\u2014]\s+"
                                 r"(?P<asked>[^-\u2013\u2014]+\?)\s*$", re.IGNORECASE | re.DOTALL)
_STEM_VERB = re.compile(r"\s+(?:is|are|was|were|here|means?)\b.*$|[\s:]+$", re.IGNORECASE | re.DOTALL)
_PRONOUN = re.compile(r"\b(?:it|that|this)\b(?!\s+(?:ECG|EKG|tracing|trace|strip|recording)\b)", re.IGNORECASE)


def after_options(question: str) -> str | None:
    """The question asked after a list of lettered options, with a pronoun in it standing for the stem's subject, or
    None where the message has no such list or its question asks which option holds.

    >>> after_options("QT is: (a) short (b) normal (c) prolonged - is it prolonged?")
    'is the QT prolonged?'
    >>> after_options("Her HbA1c is: (a) under 6% (b) 6-8% (c) over 8% - which one?") is None
    True
    """
    found = _OPTIONS_THEN_ASKED.match(question)
    if found is None:
        return None
    asked = found.group("asked").strip()
    if re.match(r"\W*which\b", asked, re.IGNORECASE):
        return None
    subject = _STEM_VERB.sub("", found.group("stem")).strip()
    return _PRONOUN.sub(f"the {subject}", asked, count=1) if subject else asked


# heldout73: a postscript after the question ("Does she have a fever today? PS the tram timetable changed again.")
_POSTSCRIPT = re.compile(r"(?<=[?.!])\s+P\.?\s?P?\.?\s?S\.?[:,]?\s+(?P<ps>[^?]+)$")


def postscript(question: str) -> tuple[str, str] | None:
    """``question`` split into what comes before a postscript that asks nothing (no '?') and the postscript, or None.

    >>> postscript("Is this AF? PS the tram timetable changed again.")
    ('Is this AF?', 'the tram timetable changed again.')
    >>> postscript("Thanks. P.S. what's the QTc?") is None
    True
    """
    found = _POSTSCRIPT.search(question)
    return None if found is None else (question[:found.start()].rstrip(), found.group("ps").strip())


# heldout74: what the asker sets aside before the question ("Last Tuesday's ECG was full of artefact, never mind that
# one: what's the corrected QT on this one?")
_NEVER_MIND = re.compile(r"\bnever ?mind (?:that|this|it|those|them|all that)(?: one| bit| part| ECG| EKG| tracing)?"
                         r"\s*[:;,.!-]+\s*", re.IGNORECASE)


def after_never_mind(question: str) -> str | None:
    """What ``question`` asks after the asker sets something aside ("..., never mind that one: ..."), or None.

    >>> after_never_mind("The last ECG was noisy, never mind that one: what's the QTc on this one?")
    "what's the QTc on this one?"
    >>> after_never_mind("Never mind. Is there AF?") is None
    True
    """
    found = list(_NEVER_MIND.finditer(question))
    return (question[found[-1].end():].strip() or None) if found else None


# heldout74: the answer's form named in the last of two asking sentences marks it as the one asked ("Tall voltages,
# who'll give me Sokolow-Lyon? Is there left ventricular hypertrophy on this one, yes or no?")
_ANSWER_FORM = re.compile(r"\b(?:yes or no|yes/no|y/n|yes-or-no|aye or nay)\b", re.IGNORECASE)


def yes_no_asked_last(question: str) -> str | None:
    """The last sentence of ``question`` when it asks for a yes or a no after another sentence that asks, or None.

    >>> yes_no_asked_last("Who'll give me Sokolow-Lyon? Is there LVH on this one, yes or no?")
    'Is there LVH on this one, yes or no?'
    >>> yes_no_asked_last("Is there LVH, yes or no?") is None
    True
    """
    asking = [part for part in sentences(question) if part.endswith("?")]
    return asking[-1] if len(asking) >= 2 and _ANSWER_FORM.search(asking[-1]) else None


_THAT_IS = re.compile(r"^\W*(?:i\.?\s?e\.?|that is(?: to say)?|in other words|namely|put simply|simply put)\W+", re.IGNORECASE)


def restated_ask(question: str) -> tuple[str, str, bool] | None:
    """The last two comma-separated clauses of ``question``'s last sentence when both ask (open with a question
    word), and whether the second restates the first ("i.e.", "in other words"), or None:
    :func:`~medts.agent.verdict.route` reads the second alone where it restates the first or where the first names
    nothing it answers (heldout74: "Is that where it is on this ECG, is there left axis deviation?", "Does the rhythm
    speed up and slow down, i.e. is there sinus arrhythmia?").

    >>> restated_ask("LOST: one axis. Is that where it is on this ECG, is there left axis deviation?")
    ('Is that where it is on this ECG', 'is there left axis deviation?', False)
    >>> restated_ask("Does it speed up and slow down, i.e. is there sinus arrhythmia?")
    ('Does it speed up and slow down', 'is there sinus arrhythmia?', True)
    >>> restated_ask("Is it AF, flutter or neither?") is None
    True
    """
    parts = sentences(re.sub(r"\b(i)\.\s?(e)\.", r"\1\2", question, flags=re.IGNORECASE))  # "i.e." ends no sentence
    clauses = [c.strip() for c in re.split(r",\s*(?![^(]*\))", parts[-1])] if parts and parts[-1].endswith("?") else []
    if len(clauses) < 2:
        return None
    restating = _THAT_IS.match(clauses[-1])
    last = clauses[-1][restating.end():] if restating else clauses[-1]
    if _ASKS.match(clauses[-2]) and _ASKS.match(last):
        return clauses[-2], last, restating is not None
    return None


# heldout86: two questions joined by "and" in one sentence ("What is the heart rate, and is the rhythm regular?")
_AND_ASKS = re.compile(r",?\s+and\s+(?=(?:is|are|was|does|do|has|have|any|what|what's|whats|which|how)\b)", re.IGNORECASE)


def two_asks(question: str) -> tuple[str, str] | None:
    """The two questions of ``question``'s last sentence when it joins exactly two with "and" before a question word,
    in the order asked, or None (:func:`~medts.agent.verdict.asked_topics` answers both where each places a topic).

    >>> two_asks("What is the heart rate, and is the rhythm regular?")
    ('What is the heart rate', 'is the rhythm regular?')
    >>> two_asks("Is the rhythm regular?") is None
    True
    """
    parts = sentences(question)
    if not parts or not parts[-1].endswith("?"):
        return None
    bits = _AND_ASKS.split(parts[-1])
    return (bits[0].strip(), bits[1].strip()) if len(bits) == 2 and bits[0].strip() else None


# heldout84: a finding the patient's report or printout names, then what it means ("My report says possible LVH, what
# does that mean?", "My teenager's ECG report says sinus arrhythmia, what is that and is it dangerous?"): whether this
# ECG shows it is asked as well (it got the definition alone); the definition stays among the facts
_REPORTED = re.compile(r"\b(?:report|printout|print-?out|letter|results?|summary|interpretation|app|machine|doctor|GP|"
                       r"nurse|cardiologist|it)\b[^?.!]{0,25}\b(?:says?|said|mentions?|mentioned|reads?|states?|stated|"
                       r"lists?|listed|wrote|written|called it)\s+['\"\u2018\u201c]?(?P<term>[^,;?'\"\u2019\u201d]{2,60})",
                       re.IGNORECASE)
_MEANING_ASKED = re.compile(r"[,;:-]?\s*\b(?:and\s+)?(?:what (?:does|do) (?:that|this|it|they) (?:mean|stand for)|"
                            r"what(?:'s| is) (?:that|this|it))\b\s*(?:,|and\b|\?)?\s*", re.IGNORECASE)


def reported_term(question: str) -> str | None:
    """What a report, printout or person named in ``question`` says, or None.

    >>> reported_term("My report says PR interval 180, what does that mean?")
    'PR interval 180'
    """
    named = _REPORTED.search(question)
    return named.group("term").strip() if named else None


def report_finding_asked(question: str) -> str | None:
    """``question`` without its "what does that mean" where a report named the finding first (:func:`reported_term`);
    None when it asks no meaning of a reported finding."""
    named = _REPORTED.search(question)
    meaning = _MEANING_ASKED.search(question)
    if named is None or meaning is None or meaning.start() < named.start("term"):
        return None
    return _MEANING_ASKED.sub(" ", question).strip()
