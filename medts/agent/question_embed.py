"""One vector per question from a causal LM: the mean of its hidden states over the
question's tokens. Shared by the intent classifier (:mod:`medts.agent.intent`, the last layer) and
the learned refusal check (:mod:`medts.agent.safety_model`, after block 10: leave-one-suite-out
missed fewer refusals with it), so both read questions the same way.

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
    """Mean of the last hidden states over each question's tokens, float32 [n, hidden]
    (:func:`mean_hidden` at ``layer=-1``)."""
    return mean_hidden(model, tok, questions, layer=-1, batch_size=batch_size)


def mean_hidden(model: Any, tok: Any, questions: list[str], *, layer: int = -1, batch_size: int = 0) -> Any:
    """Mean of the hidden states after ``layer`` over each question's tokens, float32 [n, hidden].

    ``layer`` indexes the model's ``hidden_states`` (0: the token embeddings, k: after block k,
    -1: the last, after the final norm). Runs in the model's own dtype (bf16 where the chat loads
    it so) and with its gradients as set by the caller (the intent LoRA trains through this).
    ``batch_size`` > 0 splits ``questions`` into batches (padding to the longest question of a
    batch, not of all of them); 0: one batch. A tokenizer without a pad token pads with its
    end-of-sequence token (masked out of the mean).
    """
    import torch

    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    step = batch_size if batch_size > 0 else max(1, len(questions))
    parts = []
    for i in range(0, len(questions), step):
        enc = tok(questions[i:i + step], return_tensors="pt", padding=True)
        out = model(**enc, output_hidden_states=True)
        h = out.hidden_states[layer]
        mask = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        parts.append(((h * mask).sum(1) / mask.sum(1)).float())
    return torch.cat(parts) if parts else torch.zeros(0, int(model.config.hidden_size))
