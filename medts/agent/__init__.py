"""Grounded ECG agent: LangChain tools over medts, LLM backends, planner, grounding check, chat.

Every answer is composed from tool results (JSON) and checked against them: each number with a
unit and each diagnostic statement must match a tool field, else it is removed or flagged.
Answers are drafts for clinician review.

Batch reports get their interpretation text from :mod:`medts.agent.report_text`
(``write_report_texts``: template, untuned LLM or the LoRA text head of
:mod:`medts.agent.text_head`, every text grounded the same way).

Example
-------
>>> from medts.agent.session import ChatSession              # doctest: +SKIP
>>> s = ChatSession.with_local_model()                       # doctest: +SKIP
>>> s.load("record.hea"); print(s.ask("What is the heart rate?").text)   # doctest: +SKIP
"""

from medts.config import keep_torch_caches_out_of_tmp

keep_torch_caches_out_of_tmp()  # before text_head imports peft (which creates $TMPDIR/torchinductor_*)

DRAFT_NOTICE = "Draft for clinician review - not a diagnosis."
