"""Finish a trained adapter: validation metrics with CIs, single-vs-ensemble comparison, model card.

``python -m medts.classify.card adapters/classifier-superdiagnostic [--data ROOT]`` re-scores the
saved networks on the validation fold through the same code path as training (so the recorded
macro-AUC is checked to reproduce exactly), adds bootstrap 95% CIs, compares each single member
with the ensembles of its first k members, and writes ``MODEL_CARD.md``.

``python -m medts.classify.card --rethreshold ADAPTER... [--data ROOT]`` only re-chooses the
per-statement thresholds with :data:`medts.classify.calibrate.DEFAULT_RULE` on the validation fold
(``thresholds`` and ``decision_rule`` in the manifest; weights and every other field unchanged)
and rewrites ``MODEL_CARD.md``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from medts.classify.calibrate import (
    DEFAULT_RULE,
    LEGACY_RULE,
    DecisionRule,
    choose_thresholds,
    rule_manifest,
)
from medts.classify.data import load_ptbxl_cache
from medts.classify.metrics import macro_auc
from medts.classify.predict import Classifier, predict_signals
from medts.classify.train import LevelData, member_label, recipe_text, validation_metrics
from medts.errors import MedtsError


def ensemble_comparison(clf: Classifier, data: LevelData) -> list[dict[str, Any]]:
    """Fold-9 macro-AUC and batch throughput of each member alone and of the first-k ensembles.

    Throughput per member: wall-clock with torch's default threads, and records per CPU-second
    with one thread (this process's CPU time: a dedicated core's rate, less disturbed by other
    jobs on a shared machine). An ensemble's cost is the sum of its members'.
    """
    import torch

    rows = []
    per_member = []
    cpu_seconds = []
    for i, net in enumerate(clf.inference_members):
        start = time.perf_counter()
        probs = predict_signals([net], data.val_signals, window=clf.window, stride=clf.stride, aggregate=clf.aggregate)
        seconds = time.perf_counter() - start
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            cpu_start = time.process_time()
            predict_signals([net], data.val_signals, window=clf.window, stride=clf.stride, aggregate=clf.aggregate)
            cpu_seconds.append(time.process_time() - cpu_start)
        finally:
            torch.set_num_threads(previous)
        per_member.append(probs)
        rows.append({"members": [i], "macro_auc": macro_auc(data.y_val, probs),
                     "batch_records_per_s": len(probs) / seconds,
                     "batch_records_per_cpu_s_1_thread": len(probs) / cpu_seconds[-1]})
    for k in range(2, len(clf.members) + 1):
        probs = np.mean(per_member[:k], axis=0)
        total_s = sum(len(probs) / r["batch_records_per_s"] for r in rows[:k])
        rows.append({"members": list(range(k)), "macro_auc": macro_auc(data.y_val, probs),
                     "batch_records_per_s": len(probs) / total_s,
                     "batch_records_per_cpu_s_1_thread": len(probs) / sum(cpu_seconds[:k])})
    return rows


def finalise_adapter(folder: str | Path, root: str | Path) -> dict[str, Any]:
    """Add checked validation metrics and the ensemble comparison to the manifest; write the model card."""
    folder = Path(folder)
    clf = Classifier.load(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    cache = load_ptbxl_cache(root, use_processed=manifest["train_config"].get("use_processed", True))
    data = LevelData.build(cache, clf.level, manifest["data"]["train_folds"], manifest["data"]["val_fold"])
    probs = clf.predict_proba(data.val_signals)
    metrics = validation_metrics(data.y_val, probs)
    recorded = manifest["val_metrics"]["macro_auc"]
    if metrics["macro_auc"] != recorded:
        raise MedtsError(f"{folder}: fold-9 macro-AUC {metrics['macro_auc']!r} does not reproduce the recorded {recorded!r}")
    manifest["val_metrics"] = {**manifest["val_metrics"], **metrics, "reproduced_on_reload": True}
    manifest["ensemble_comparison"] = ensemble_comparison(clf, data)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (folder / "MODEL_CARD.md").write_text(model_card(manifest))
    return manifest


def rethreshold_adapter(folder: str | Path, root: str | Path, rule: DecisionRule = DEFAULT_RULE) -> dict[str, Any]:
    """Re-choose an adapter's thresholds on its validation fold with ``rule``; rewrite manifest and card.

    Only ``thresholds`` and ``decision_rule`` change; the fold's macro-AUC must reproduce the
    recorded one (same networks, same records), else nothing is written.

    Raises
    ------
    MedtsError
        When the recorded validation macro-AUC does not reproduce.
    """
    folder = Path(folder)
    clf = Classifier.load(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    cache = load_ptbxl_cache(root, use_processed=manifest["train_config"].get("use_processed", True))
    d = manifest["data"]
    data = LevelData.build(cache, clf.level, d["train_folds"], d["val_fold"])
    probs = clf.predict_proba(data.val_signals)
    auc, recorded = macro_auc(data.y_val, probs), manifest["val_metrics"]["macro_auc"]
    if auc != recorded:
        raise MedtsError(f"{folder}: fold-{d['val_fold']} macro-AUC {auc!r} does not reproduce the recorded {recorded!r}")
    thresholds = choose_thresholds(data.y_val, probs, data.classes, rule)
    # the first rethreshold keeps the thresholds it replaces, for comparison (tests, benchmarks)
    previous = (manifest.get("decision_rule") or {}).get("previous") or {
        "name": f"{LEGACY_RULE.name} (first version)",
        "thresholds": {c: t["threshold"] for c, t in manifest["thresholds"].items()}}
    manifest["thresholds"] = {c: t.to_dict() for c, t in thresholds.items()}
    manifest["decision_rule"] = {**rule_manifest(rule, fold=d["val_fold"], n_records=len(data.y_val), level=clf.level),
                                 "previous": previous,
                                 "command": f"python -m medts.classify.card --rethreshold {folder} --data {root}"}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (folder / "MODEL_CARD.md").write_text(model_card(manifest))
    return manifest


def decision_rule_text(m: dict[str, Any]) -> str:
    """The model card's section on when a statement is asserted (from ``manifest['decision_rule']``)."""
    rule = m.get("decision_rule")
    if not rule:
        return ("## When a statement is asserted\n\nProbability at or above its threshold: the F1 optimum on fold 9 "
                "(0.5 for statements without a positive fold-9 record).\n\n")
    sources: dict[str, int] = {}
    for t in m["thresholds"].values():
        sources[t["source"]] = sources.get(t["source"], 0) + 1
    counts = "; ".join(f"{n} x {source}" for source, n in sorted(sources.items(), key=lambda kv: -kv[1]))
    previous = rule.get("previous")
    before = (f" The thresholds it replaced ({previous['name']}) went down to {min(previous['thresholds'].values()):.3g}."
              if previous else "")
    return f"""## When a statement is asserted

Present when its probability is at or above its threshold (`thresholds` in `manifest.json`), chosen on
{rule['chosen_on']} by the rule *{rule['name']}*: a statement with at least {rule['min_support']}
positive fold-9 records gets its F1-optimal threshold, raised to at least {rule['floor']:g}; one with fewer gets
{rule['default']:g}. The fold-9 probabilities are close to calibrated, so an assertion at threshold `t` is true
about `t` of the time or more; the floor stops assertions that are rarely true, the support rule stops
thresholds fitted to one or two records.{before} Thresholds here: {counts}.
Measured (chosen on one patient half of fold 9, scored on the other): `{rule['evaluated_in']}`
(`medts bench thresholds`). AUCs do not depend on thresholds. Set by
`{rule.get('command', 'python -m medts.classify.card --rethreshold ADAPTER')}`.

"""


def selection_text(m: dict[str, Any]) -> str:
    """The model card's paragraph on how the members were chosen (from ``manifest['selection']``)."""
    sel = m.get("selection")
    if not sel:
        return ""
    return (f"**How the members were chosen.** {sel}\n\n")


def missing_leads_text(level: str) -> str:
    """How a record that lacks a standard lead is scored at ``level`` (the same routing as :func:`load_classifier`)."""
    from medts.adapters import reduced_lead_dir

    reduced = reduced_lead_dir(level)
    withheld = ("The engine withholds every statement that needs a lead the record lacks "
                "(`medts.interpret.statements.REQUIRED_LEADS`), and the output names the leads each statement needed.")
    if reduced is not None:
        return (f"A record that lacks a standard lead (missing or flat) is not scored by this model: medts routes it to the "
                f"lead-dropout adapter `{reduced.name}` (see its model card). {withheld}")
    return (f"A record that lacks a standard lead is scored with that lead zeroed (less reliable: the model was trained "
            f"on 12 leads) and the missing leads are named in the output. {withheld}")


def model_card(m: dict[str, Any]) -> str:
    """The ``MODEL_CARD.md`` text of an adapter manifest."""
    v = m["val_metrics"]
    members = m["training"]
    n_params = sum(t["n_parameters"] for t in members)
    last_key = next(k for k in members[0] if k.startswith("mean_last"))
    member_lines = "\n".join(
        f"| {i} | {member_label(t)} | {recipe_text(t)} | {t['n_parameters']:,} | {t['best_epoch']} | "
        f"{t['best_val_macro_auc']:.4f} | {t[last_key]:.4f} | {t['seconds_per_epoch']:.1f} |" for i, t in enumerate(members))
    comparison = "\n".join(
        f"| {', '.join(str(i) for i in r['members'])} | {r['macro_auc']:.4f} | {r['batch_records_per_s']:.0f} | "
        f"{r.get('batch_records_per_cpu_s_1_thread', float('nan')):.0f} |"
        for r in m.get("ensemble_comparison", []))
    d = m["data"]
    return f"""# {m['name']}: PTB-XL {m['level']} statements (draft-quality screening aid)

**What it does.** Scores the {len(m['classes'])} PTB-XL `{m['level']}` labels ({', '.join(m['classes'][:12])}{' ...' if len(m['classes']) > 12 else ''})
from a 12-lead ECG. Output: a probability per label, a per-label threshold chosen on fold 9 (see "When a
statement is asserted") and present/absent. Every output is a draft for clinician review, never a diagnosis.

**Model.** Ensemble of {len(members)} 1-D CNN(s) ({', '.join(sorted({t['model'] for t in members}))}), {n_params:,} parameters in all,
weights in `model.safetensors` ({m.get('weights_dtype', 'float32')}; scored on fold 9 exactly as stored; at inference
each convolution's batch norm is folded into it). Input: 100 Hz, leads {', '.join(m['leads'])}, band-passed
{m['preprocessing']['bandpass_hz'][0]}-{m['preprocessing']['bandpass_hz'][1]} Hz and z-scored per lead; {m['window_samples'] / m['fs_hz']:g} s windows with
stride {m['stride_samples'] / m['fs_hz']:g} s, window probabilities averaged, then averaged over members (training
selected epochs with stride {m['train_config']['stride_samples'] / m['fs_hz']:g} s windows). Other sampling rates are resampled;
NaN samples are refused. {missing_leads_text(m['level'])}

**How much data it saw: little.** {d['n_train_records']} records of PTB-XL folds 1-8 (the partial copy in
`../shared/data/ptbxl`: raw `records100` records plus `processed100_zscore` arrays), selected and thresholded
on {d['n_val_records']} fold-9 records. The full PTB-XL training set has about 17,400 records (8x more).
Fold 10 (the official test fold) was not available, so **the fold-9 figures below are from the selection
fold and optimistic**; they are not comparable with the fold-10 leaderboard (0.93 superdiagnostic,
0.925 all statements).

## Fold-9 results (selection fold)

| metric | value | 95% CI (bootstrap) |
|---|---|---|
| macro-AUC ({v['n_records']} records) | {v['macro_auc']:.4f} | {v['macro_auc_ci95'][0]:.4f}-{v['macro_auc_ci95'][1]:.4f} |
| Fmax | {v['fmax']:.4f} | {v['fmax_ci95'][0]:.4f}-{v['fmax_ci95'][1]:.4f} |

Members (CPU, 1 thread, shared machine):

| # | member | recipe | parameters | best epoch | fold-9 AUC at best epoch | mean AUC last epochs | s/epoch |
|---|---|---|---|---|---|---|---|
{member_lines}

{selection_text(m)}Single members vs ensembles (fold-9 macro-AUC, batch inference records/s on this CPU):

| members (#) | macro-AUC | records/s (wall, shared machine) | records per CPU-second (1 thread) |
|---|---|---|---|
{comparison}

{decision_rule_text(m)}## Reproduce / retrain on full PTB-XL

This adapter was made by:

    {m['command']}

On a full PTB-XL root (`ptbxl_database.csv`, `scp_statements.csv`, `records100/`) the same command with
`--data /path/to/ptb-xl` trains on folds 1-8, selects on fold 9, and `medts bench ptbxl --data /path/to/ptb-xl`
then reports fold-10 macro-AUC with CIs. For GPUs: `accelerate launch -m medts.cli train classifier ...`.
Reloading reproduces the recorded fold-9 probabilities to their stored 6 decimals (see `reference_predictions` in
`manifest.json`; checked by `tests/test_classify_predict.py`).

Data: PTB-XL (Wagner et al., Scientific Data 7:154, 2020; PhysioNet; CC-BY 4.0).
Method: Strodthoff et al., "Deep learning for ECG analysis: benchmarks and insights from PTB-XL", IEEE JBHI 2021.
"""


if __name__ == "__main__":
    from medts.config import dataset_dir

    args = sys.argv[1:]
    root = dataset_dir("ptbxl")
    if "--data" in args:
        i = args.index("--data")
        root = Path(args[i + 1])
        del args[i : i + 2]
    if "--rethreshold" in args:
        args.remove("--rethreshold")
        for adapter in args:
            out = rethreshold_adapter(adapter, root)
            print(adapter, json.dumps(out["decision_rule"]))
        sys.exit(0)
    for adapter in args:
        out = finalise_adapter(adapter, root)
        print(adapter, json.dumps({k: out["val_metrics"][k] for k in ("macro_auc", "macro_auc_ci95", "fmax")}))
