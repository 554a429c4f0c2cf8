"""What the question asks, two ways: the rule router and a learned classifier on SmolLM2.

- :func:`router_intent`: the rule router (:func:`medts.agent.verdict.route`) mapped to the
  coarse intents of ``prompts/agent/intents.yaml`` (heart rate, PR, ..., MI, bundle-branch
  block, overview, glossary, compare).
- :class:`IntentClassifier`: SmolLM2-135M with LoRA adapters (q/v projections) and a linear head
  on the mean of its last hidden states, trained on the paraphrases of
  ``prompts/agent/intents.yaml`` (:func:`train_intent_classifier`, CPU, one thread).

``medts bench intent`` scores both on the held-out paraphrases of ``eval/intents_heldout.yaml``;
the chat keeps the rule router unless the classifier beats it there.

Example
-------
>>> router_intent("Is there a left bundle branch block?"), router_intent("What's the QTc?")
('bbb', 'qtc')
"""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from medts.config import PROJECT_ROOT
from medts.labels import STATEMENTS

TRAIN_PATH = PROJECT_ROOT / "prompts" / "agent" / "intents.yaml"
HELDOUT_PATH = PROJECT_ROOT / "eval" / "intents_heldout.yaml"

_NUMBER_INTENTS = {"hr_bpm": "hr", "pr_ms": "pr", "qrs_ms": "qrs", "qtc_bazett_ms": "qtc", "qtc_fridericia_ms": "qtc", "qt_ms": "qtc"}
_FLAG_INTENTS = {"qtc_bazett_ms": "long_qt", "pr_ms": "first_avb", "qrs_ms": "qrs", "hr_bpm": "hr",
                 "qrs_axis_deg": "axis", "sokolow_lyon_mv": "hyp", "cornell_mv": "hyp"}
_CODE_INTENTS = {"AFIB": "afib", "LNGQT": "long_qt", "1AVB": "first_avb", "NORM": "normal", "BBB": "bbb",
                 "CLBBB": "bbb", "CRBBB": "bbb", "ILBBB": "bbb", "IRBBB": "bbb", "HYP": "hyp", "LVH": "hyp",
                 "RVH": "hyp", "VCLVH": "hyp", "SEHYP": "hyp", "MI": "mi", "SR": "rhythm", "RREG": "rhythm",
                 "IRREG": "rhythm", "TACHY": "hr", "BRADY": "hr"}


def load_intents(path: Path) -> dict[str, list[str]]:
    import yaml

    return {k: list(v) for k, v in yaml.safe_load(path.read_text())["intents"].items()}


def router_intent(question: str) -> str:
    """The rule router's reading of ``question`` as a coarse intent ("unknown" when none fits)."""
    from medts.agent.verdict import route

    t = route(question)
    if t.kind in ("overview", "glossary", "compare"):
        return t.kind
    if t.kind == "number":
        return _NUMBER_INTENTS.get(t.name, "unknown")
    if t.kind == "category":
        return t.name if t.name in ("axis", "rhythm", "quality") else "unknown"
    if t.kind == "flag":
        return _FLAG_INTENTS.get(t.name, "unknown")
    if t.kind in ("statement", "explain", "glossary") and t.codes:
        code = t.codes[0]
        if code.startswith("AXIS_"):
            return "axis"
        st = STATEMENTS.get(code)
        if code in _CODE_INTENTS:
            return _CODE_INTENTS[code]
        if st is not None and st.diagnostic_class == "MI":
            return "mi"
        if st is not None and st.diagnostic_class == "HYP":
            return "hyp"
    return "unknown"


@dataclass
class IntentConfig:
    lora_r: int = 8  # 0: the backbone stays frozen and only the head is trained (on cached features)
    lora_alpha: int = 16
    epochs: int = 8
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0
    max_seconds: float = 1200.0  # training stops here whatever the epoch (CPU budget)


class IntentClassifier:
    """SmolLM2 + LoRA + a linear head over the mean of the last hidden states."""

    def __init__(self, labels: list[str], config: IntentConfig):
        import copy

        import torch
        from peft import LoraConfig, get_peft_model

        from medts.agent.backends import load_local

        torch.manual_seed(config.seed)
        base, self.tok = load_local("smollm2", "float32")
        if config.lora_r:
            # a copy: the chat's cached model must not carry the intent LoRA; peft's call of a
            # deprecated transformers method is not ours to report
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
                self.model = get_peft_model(copy.deepcopy(base), LoraConfig(
                    r=config.lora_r, lora_alpha=config.lora_alpha, target_modules=["q_proj", "v_proj"],
                    lora_dropout=0.0))
        else:
            self.model = base
        hidden = int(base.config.hidden_size)
        self.head = torch.nn.Linear(hidden, len(labels))
        self.labels = labels
        self.config = config

    def features(self, questions: list[str]) -> Any:
        """Mean of the last hidden states over each question's tokens [n, hidden] (shared code:
        :func:`medts.agent.question_embed.mean_last_hidden`)."""
        from medts.agent.question_embed import mean_last_hidden

        return mean_last_hidden(self.model, self.tok, questions)

    def _logits(self, questions: list[str]) -> Any:
        return self.head(self.features(questions))

    def predict(self, questions: list[str]) -> list[str]:
        import torch

        self.model.eval()
        with torch.inference_mode():
            idx = self._logits(questions).argmax(-1).tolist()
        return [self.labels[i] for i in idx]


def train_intent_classifier(examples: dict[str, list[str]], config: IntentConfig | None = None,
                            log=print) -> tuple[IntentClassifier, dict[str, Any]]:
    """Train on ``{intent: [questions]}``; returns the classifier and its training record."""
    import torch

    config = config or IntentConfig()
    torch.set_flush_denormal(True)
    labels = sorted(examples)
    clf = IntentClassifier(labels, config)
    if clf.tok.pad_token is None:
        clf.tok.pad_token = clf.tok.eos_token
    data = [(q, labels.index(k)) for k, qs in examples.items() for q in qs]
    frozen = not config.lora_r
    if frozen:  # the backbone never changes: its features are computed once
        for p in clf.model.parameters():
            p.requires_grad_(False)
        with torch.inference_mode():
            cached = {q: f for q, f in zip([q for q, _ in data], clf.features([q for q, _ in data]).clone())}
    params = [p for p in clf.model.parameters() if p.requires_grad] + list(clf.head.parameters())
    opt = torch.optim.AdamW(params, lr=config.lr)
    rng = random.Random(config.seed)
    t0, steps, losses, epoch = time.perf_counter(), 0, [], 0
    for epoch in range(1, config.epochs + 1):
        rng.shuffle(data)
        clf.model.train(not frozen)
        for i in range(0, len(data), config.batch_size):
            batch = data[i:i + config.batch_size]
            questions = [q for q, _ in batch]
            logits = clf.head(torch.stack([cached[q] for q in questions])) if frozen else clf._logits(questions)
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor([y for _, y in batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            losses.append(loss.item())
            if time.perf_counter() - t0 > config.max_seconds:
                break
        if epoch % max(1, config.epochs // 10) == 0 or epoch == config.epochs:
            log(f"intent classifier: epoch {epoch}/{config.epochs}, loss {sum(losses[-5:]) / len(losses[-5:]):.3f}, "
                f"{time.perf_counter() - t0:.0f} s")
        if time.perf_counter() - t0 > config.max_seconds:
            break
    record = {"examples": len(data), "labels": labels, "epochs_run": epoch, "steps": steps, "frozen_backbone": frozen,
              "final_loss": round(sum(losses[-5:]) / len(losses[-5:]), 4), "train_s": round(time.perf_counter() - t0, 1),
              "trainable_parameters": sum(p.numel() for p in params), "torch_threads": torch.get_num_threads(),
              "config": config.__dict__}
    return clf, record


@cache
def heldout() -> dict[str, list[str]]:
    return load_intents(HELDOUT_PATH)
