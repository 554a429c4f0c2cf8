"""One vector per question from a causal LM: the mean of its last hidden states over the
question's tokens. Shared by the intent classifier (:mod:`medts.agent.intent`) and the learned
refusal check (:mod:`medts.agent.safety_model`), so both read questions the same way.

Example
-------
>>> from medts.agent.backends import load_local          # doctest: +SKIP
>>> model, tok = load_local("smollm2", "auto")             # doctest: +SKIP
>>> mean_last_hidden(model, tok, ["What is the QTc?"]).shape   # doctest: +SKIP
torch.Size([1, 576])
"""

from __future__ import annotations

from typing import Any


def mean_last_hidden(model: Any, tok: Any, questions: list[str], *, batch_size: int = 0) -> Any:
    """Mean of the last hidden states over each question's tokens, float32 [n, hidden].

    Runs in the model's own dtype (bf16 where the chat loads it so) and with its gradients as set
    by the caller (the intent LoRA trains through this). ``batch_size`` > 0 splits ``questions``
    into batches (padding to the longest question of a batch, not of all of them); 0: one batch.
    A tokenizer without a pad token pads with its end-of-sequence token (masked out of the mean).
    """
    import torch

    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    step = batch_size if batch_size > 0 else max(1, len(questions))
    parts = []
    for i in range(0, len(questions), step):
        enc = tok(questions[i:i + step], return_tensors="pt", padding=True)
        out = model(**enc, output_hidden_states=True)
        h = out.hidden_states[-1]
        mask = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        parts.append(((h * mask).sum(1) / mask.sum(1)).float())
    return torch.cat(parts) if parts else torch.zeros(0, int(model.config.hidden_size))
