"""Tidying what an LLM generated: plain sentences, an unfinished last sentence dropped.

Shared by the report-text writers (:mod:`medts.agent.report_text`) and the tuned text head
(:mod:`medts.agent.text_head`), so neither imports the other for it.
"""

from __future__ import annotations

import re
from typing import Any

_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022])\s+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def tidy_generated(text: str, *, truncated: bool) -> str:
    r"""An LLM output as plain sentences: list markers (``1.``, ``-``) removed, one sentence per line
    item, and, when generation stopped at the token cap (``truncated``), the unfinished last
    sentence dropped (a cut-off clause is no claim the grounding check can judge).

    >>> tidy_generated("Findings:\n1. Heart rate 46 bpm\n2. Sinus bradycardia\n3. QRS", truncated=True)
    'Findings: Heart rate 46 bpm. Sinus bradycardia.'
    """
    lines = [_LIST_MARKER.sub("", line).strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line]
    if truncated and lines and not lines[-1].endswith((".", "!", "?")):
        ends = [m.end() for m in _SENTENCE_END.finditer(lines[-1])]
        if ends:
            lines[-1] = lines[-1][:ends[-1]].strip()
        elif len(lines) > 1:
            lines.pop()
    return " ".join(line if line.endswith((".", "!", "?", ":")) else line + "." for line in lines)


def decode_new_tokens(tok: Any, new: Any, max_new_tokens: int) -> list[str]:
    """Greedy continuations ``new`` [batch, new tokens] as tidy texts (:func:`tidy_generated`); a
    row without EOS that filled ``max_new_tokens`` counts as truncated."""
    eos = tok.eos_token_id
    texts = tok.batch_decode(new, skip_special_tokens=True)
    done = (new == eos).any(dim=1).tolist() if eos is not None else [True] * len(texts)
    cut = [not d and new.shape[1] >= max_new_tokens for d in done]
    return [tidy_generated(t, truncated=c) for t, c in zip(texts, cut)]
