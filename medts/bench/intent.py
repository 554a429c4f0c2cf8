"""``medts bench intent``: the rule router against a LoRA intent classifier on SmolLM2.

Both read free-form questions into the coarse intents of ``prompts/agent/intents.yaml``. The
classifier is trained on those paraphrases only (CPU, one thread, a time cap); both are scored
on the held-out paraphrases of ``eval/intents_heldout.yaml`` (other wording, never used for
training or for writing the router's rules), and, for reference, on the training paraphrases.
Writes ``eval/results/intent.json`` and ``.md``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from medts.agent.intent import (
    HELDOUT_PATH,
    TRAIN_PATH,
    IntentConfig,
    load_intents,
    router_intent,
    train_intent_classifier,
)


def _score(predict, examples: dict[str, list[str]]) -> dict[str, Any]:
    questions = [(q, k) for k, qs in examples.items() for q in qs]
    t = time.perf_counter()
    predicted = predict([q for q, _ in questions])
    seconds = time.perf_counter() - t
    right = [p == k for p, (_, k) in zip(predicted, questions)]
    per_intent = {k: round(sum(r for r, (_, kk) in zip(right, questions) if kk == k) / len(qs), 3)
                  for k, qs in examples.items()}
    misses = [{"question": q, "expected": k, "predicted": p} for p, (q, k) in zip(predicted, questions) if p != k]
    return {"n": len(questions), "accuracy": round(sum(right) / len(right), 4), "per_intent": per_intent,
            "ms_per_question": round(1000 * seconds / len(questions), 2), "misses": misses}


def variants(config: IntentConfig) -> dict[str, IntentConfig]:
    """The frozen-backbone head always (cheap: one forward pass per question); the LoRA
    classifier when ``config.lora_r`` > 0."""
    import dataclasses

    frozen = dataclasses.replace(config, lora_r=0, epochs=max(config.epochs, 200), lr=max(config.lr, 1e-2))
    out = {"SmolLM2 frozen + linear head": frozen}
    if config.lora_r:
        out[f"SmolLM2 + LoRA r={config.lora_r} + linear head"] = config
    return out


def run_intent_bench(*, config: IntentConfig | None = None, command: str | None = None):
    import torch

    from medts.bench.results import markdown_table, write_results

    torch.set_num_threads(1)
    train, held = load_intents(TRAIN_PATH), load_intents(HELDOUT_PATH)

    def rules(questions: list[str]) -> list[str]:
        return [router_intent(q) for q in questions]

    results = {"rule router": {"heldout": _score(rules, held), "train": _score(rules, train)}}
    records = {}
    for name, cfg in variants(config or IntentConfig()).items():
        clf, records[name] = train_intent_classifier(train, cfg, log=lambda s: print(s, file=sys.stderr))
        results[name] = {"heldout": _score(clf.predict, held), "train": _score(clf.predict, train)}
        if records[name]["frozen_backbone"]:
            def fallback(questions: list[str], clf=clf) -> list[str]:
                ruled = rules(questions)
                unsure = [q for q, r in zip(questions, ruled) if r == "unknown"]
                learned = iter(clf.predict(unsure) if unsure else [])
                return [next(learned) if r == "unknown" else r for r in ruled]

            results[f"rule router, else {name}"] = {"heldout": _score(fallback, held), "train": _score(fallback, train)}
    rows = [[name, r["heldout"]["accuracy"], r["train"]["accuracy"], r["heldout"]["ms_per_question"]]
            for name, r in results.items()]
    winner = max(results, key=lambda n: results[n]["heldout"]["accuracy"])
    intents = sorted(held)
    notes = [
        f"Held-out: {sum(map(len, held.values()))} paraphrases in {len(held)} intents (eval/intents_heldout.yaml), "
        f"written apart from the {sum(map(len, train.values()))} training paraphrases (prompts/agent/intents.yaml) and "
        "from the router's rules; neither the rules nor the classifier were changed after seeing held-out results.",
        "The rule router was written before this benchmark against the wording of eval/questions.yaml, which overlaps "
        "the training paraphrases: its training-set figure is optimistic, the held-out figure is the comparison.",
        *[f"{name}: SmolLM2-135M" + (f" with LoRA r={r['config']['lora_r']} on q/v projections" if not r["frozen_backbone"]
                                     else " frozen") + f" + a linear head on the mean last hidden state; "
          f"{r['trainable_parameters']} trainable parameters, {r['epochs_run']} epochs ({r['steps']} steps), "
          f"{r['train_s']} s on {r['torch_threads']} CPU thread (shared 2-core machine, nice 19)."
          for name, r in records.items()],
        f"Best on held-out: {winner}." + (" The chat keeps the rule router." if winner == "rule router" else
                                          " Not wired into the chat: see the next note."),
        "The router answers 'unknown' when no rule fits (the chat then says it cannot tell); a classifier always "
        "picks an intent, and its misses are confident wrong intents ('MI?' read as axis, 'normal ecg?' as QTc), "
        "which would give a confident answer to another question. 'rule router, else ...' asks the classifier only "
        "when the router says 'unknown'. That combination was thought of after the first run of this benchmark "
        "(same held-out set), so its figure is optimistic until it is confirmed on new paraphrases; the chat keeps "
        "the rule router alone for now (86 held-out questions: one question is 1.2 points).",
    ]
    return write_results(
        "intent", command=command,
        data={"train": str(TRAIN_PATH.relative_to(TRAIN_PATH.parents[2])), "heldout": "eval/intents_heldout.yaml"},
        metrics={"results": results, "training": records},
        notes=notes,
        markdown_tables=[
            markdown_table(["intent reader", "held-out accuracy", "training-paraphrase accuracy", "ms per question"], rows),
            markdown_table(["intent (held-out)", *results], [[k, *[r["heldout"]["per_intent"][k] for r in results.values()]]
                                                              for k in intents]),
        ],
    )
