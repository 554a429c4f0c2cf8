"""``medts bench reduced-leads``: macro-AUC per lead set, with and without lead-dropout training.

Two networks of the same recipe are trained on PTB-XL folds 1-7, one plainly and one with lead
dropout (:attr:`medts.classify.train.TrainConfig.lead_dropout`); each picks its epoch and its
thresholds on fold 8, and both are scored on fold 9 with all 12 leads and with each reduced set of
:data:`medts.classify.data.REDUCED_LEAD_SETS` (the other leads zero, as inference feeds a lead the
record lacks). Fold 9 chose nothing for these two, so their figures are held out; the shipped
adapter is scored beside them, flagged: fold 9 chose its epochs and members.

PTB-XL's ``strat_fold`` keeps every patient's records in one fold, so the split is by patient.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from medts.classify.data import REDUCED_LEAD_SETS, keep_leads_mask

TRAIN_FOLDS = (1, 2, 3, 4, 5, 6, 7)
SELECT_FOLD = 8
TEST_FOLD = 9


def lead_set_name(leads: tuple[str, ...]) -> str:
    if len(leads) == 12:
        return "12 leads"
    return f"{len(leads)} lead{'s' if len(leads) > 1 else ''} ({', '.join(leads)})"


def score_lead_sets(classifier: Any, signals: np.ndarray, y: np.ndarray, *, n_boot: int = 200,
                    lead_sets: tuple[tuple[str, ...], ...] = REDUCED_LEAD_SETS) -> dict[str, dict[str, Any]]:
    """Macro-AUC (95 % bootstrap CI) of ``classifier`` on preprocessed ``signals [n, T, 12]`` per lead set."""
    from medts.classify.metrics import bootstrap_ci, macro_auc
    from medts.record import STANDARD_LEADS

    out = {}
    for leads in (tuple(STANDARD_LEADS), *lead_sets):
        x = np.array(signals, np.float32, copy=True)
        x[:, :, ~keep_leads_mask(leads)] = 0.0
        probs = classifier.predict_proba(x)
        out[lead_set_name(leads)] = {"leads": list(leads), "macro_auc": macro_auc(y, probs),
                                     "macro_auc_ci95": list(bootstrap_ci(y, probs, macro_auc, n_boot=n_boot))}
    return out


def run(root: str | Path, *, level: str = "superdiagnostic", model: str = "xresnet1d-small", epochs: int = 12,
        batch_size: int = 64, lead_dropout: float = 0.5, seed: int = 0, shipped: Path | None = None, save: Path | None = None,
        n_boot: int = 200, name: str = "reduced_leads", command: str | None = None) -> tuple[Path, Path]:
    """Train both networks, score every lead set on fold 9, write ``eval/results/<name>.{json,md}``."""
    from medts.bench.results import markdown_table, write_results
    from medts.classify.data import load_ptbxl_cache
    from medts.classify.predict import Classifier
    from medts.classify.train import LevelData, TrainConfig, train_ensemble

    cache = load_ptbxl_cache(root)
    test = LevelData.build(cache, level, TRAIN_FOLDS, TEST_FOLD)
    rows, metrics, training = [], {}, {}
    for label, p in (("plain", 0.0), (f"lead dropout {lead_dropout:g}", lead_dropout)):
        cfg = TrainConfig(level=level, model=model, epochs=epochs, batch_size=batch_size, seed=seed, lead_dropout=p,
                          train_folds=TRAIN_FOLDS, val_fold=SELECT_FOLD, num_threads=1)
        start = time.perf_counter()
        clf, _ = train_ensemble(cache, cfg, command=command)
        training[label] = {"seconds": round(time.perf_counter() - start, 1), "recipe": clf.manifest["training"][0]["recipe"],
                           "best_epoch_on_fold_8": clf.manifest["training"][0]["best_epoch"]}
        if save is not None and p > 0:
            clf.save(save)
        metrics[label] = score_lead_sets(clf, test.val_signals, test.y_val, n_boot=n_boot)
    if shipped is not None:
        metrics["shipped adapter (fold 9 chose it: optimistic)"] = score_lead_sets(
            Classifier.load(shipped), test.val_signals, test.y_val, n_boot=n_boot)
    sets = list(next(iter(metrics.values())))
    for label, per_set in metrics.items():
        rows.append([label, *[f"{per_set[s]['macro_auc']:.3f} ({per_set[s]['macro_auc_ci95'][0]:.3f}-"
                              f"{per_set[s]['macro_auc_ci95'][1]:.3f})" for s in sets]])
    table = markdown_table(["model", *sets], rows)
    notes = [
        (f"Trained on PTB-XL folds {TRAIN_FOLDS[0]}-{TRAIN_FOLDS[-1]}, epoch and thresholds chosen on fold {SELECT_FOLD}, "
        f"scored on fold {TEST_FOLD} ({len(test.val_rows)} records with a {level} label): fold {TEST_FOLD} chose "
        "nothing for the two trained rows. PTB-XL's strat_fold is patient-disjoint."),
        ("A reduced lead set is fed as the other leads set to zero after standardisation, exactly as medts "
        "classify feeds a lead the record lacks."),
        (f"Recipe: {model}, {epochs} epochs, one-cycle, seed {seed}, 1 CPU thread; small and short for the shared "
        "2-core machine, not the shipped recipe."),
    ]
    if shipped is not None:
        notes.append(f"The shipped adapter ({shipped}) trained on folds 1-8 and fold 9 chose its epochs and members: "
                     "its row is optimistic and not comparable with the trained rows.")
    return write_results(
        name, command=command, data={"dataset": "PTB-XL (shared)", "level": level, "train_folds": list(TRAIN_FOLDS),
                                     "select_fold": SELECT_FOLD, "test_fold": TEST_FOLD,
                                     "n_test_records": len(test.val_rows), "lead_sets": [list(s) for s in REDUCED_LEAD_SETS]},
        metrics={"per_model": metrics, "training": training},
        baselines={"plain training (no lead dropout)": metrics["plain"]}, notes=notes,
        markdown_tables=[f"## Macro-AUC on fold {TEST_FOLD} per lead set (95% CI)\n\n" + table])
