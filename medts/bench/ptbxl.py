"""``medts bench ptbxl``: PTB-XL statement classification scored as in Strodthoff et al. (2021).

Three separate steps, each writing to ``<work>/`` (default ``cache_dir()/bench/<name>``, outside the
repository, since it holds dataset-derived label lists) so any can be rerun alone:

1. :func:`prepare` picks the test fold (10 when the root has fold-10 signals, otherwise the
   fold given, e.g. 9 on the partial shared copy), lists its records and their labels at every
   level, and the training-fold label prevalence (for the naive-prior baseline)
   -> ``prepared.json``.
2. :func:`predict` runs each classifier adapter on those records -> ``predictions/<name>.npz``
   (ecg_ids, classes, probabilities) and times batch and single-record inference.
3. :func:`evaluate` scores every level: macro-AUC and Fmax with bootstrap 95% CIs, a per-statement
   AUC table, and a naive-prior baseline (training prevalence as the score for every record).

Levels without their own adapter are scored from the all-statements model: ``diagnostic``,
``form`` and ``rhythm`` are column subsets of it; ``subdiagnostic``/``superdiagnostic`` take the
maximum over their member statements. The source of each level's scores is recorded.

Example
-------
>>> from medts.bench.ptbxl import run_benchmark                      # doctest: +SKIP
>>> run_benchmark("/data/ptbxl", fold=10)                            # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from medts.classify.data import TEST_FOLD, TRAIN_FOLDS, VAL_FOLD, load_ptbxl_cache
from medts.classify.metrics import auc_per_class, bootstrap_ci, fmax, macro_auc
from medts.errors import MedtsError
from medts.labels import LEVELS, STATEMENTS, level_classes

LEVEL_COUNTS = {"all": 71, "diagnostic": 44, "subdiagnostic": 23, "superdiagnostic": 5, "form": 19, "rhythm": 12}
"""Label counts of the PTB-XL benchmark per level (checked in :func:`prepare`)."""


def prepare(root: str | Path, work: Path, *, fold: int = VAL_FOLD, levels: tuple[str, ...] = LEVELS) -> dict:
    """Choose the test fold and write ``work/prepared.json`` (records, labels, training prevalence)."""
    cache = load_ptbxl_cache(root)
    for level in levels:
        if len(level_classes(level)) != LEVEL_COUNTS[level]:
            raise MedtsError(f"label level {level} has {len(level_classes(level))} classes, expected {LEVEL_COUNTS[level]}")
    test_fold = TEST_FOLD if (cache.folds == TEST_FOLD).any() else fold
    rows = cache.rows([test_fold])
    if len(rows) == 0:
        raise MedtsError(f"{root}: no records with signals in fold {test_fold}")
    train_rows = cache.rows(TRAIN_FOLDS)
    labels, prevalence = {}, {}
    for level in levels:
        y, classes = cache.label_matrix(level)
        labels[level] = {"classes": classes, "y": y[rows].astype(np.int8).tolist()}
        y_train = y[train_rows][y[train_rows].sum(axis=1) > 0]
        prevalence[level] = y_train.mean(axis=0).tolist() if len(y_train) else [0.0] * len(classes)
    prepared = {
        "root": str(cache.root),
        "test_fold": test_fold,
        "fold_10_present": bool((cache.folds == TEST_FOLD).any()),
        "ecg_ids": cache.ecg_ids[rows].tolist(),
        "sources": [cache.sources[r] for r in rows],
        "records_per_fold_and_source": cache.record_counts(),
        "n_rows_without_signal": cache.n_missing,
        "levels": list(levels),
        "labels": labels,
        "train_prevalence": prevalence,
    }
    work.mkdir(parents=True, exist_ok=True)
    (work / "prepared.json").write_text(json.dumps(prepared))
    return prepared


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cpu_seconds(fn) -> float:
    """CPU time of this process while ``fn`` runs (with one torch thread: what a quiet core would take)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def predict(work: Path, adapters: list[Path], *, timing_records: int = 32, repeats: int = 3) -> dict[str, dict]:
    """Run each adapter on the prepared records; write ``work/predictions/<name>.npz``.

    Returns per-adapter throughput: records/s for one batch call over all test records and for
    single-record calls (``timing_records`` records, preprocessing included).
    """
    import torch

    from medts.classify.data import window_starts
    from medts.classify.predict import Classifier
    from medts.classify.train import reference_ecg

    prepared = json.loads((work / "prepared.json").read_text())
    cache = load_ptbxl_cache(prepared["root"])
    row_of = {int(i): r for r, i in enumerate(cache.ecg_ids.tolist())}
    rows = np.array([row_of[i] for i in prepared["ecg_ids"]])
    signals = np.asarray(cache.signals[rows], np.float32)
    out_dir = work / "predictions"
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    for adapter in adapters:
        clf = Classifier.load(adapter)
        probs = clf.predict_proba(signals)
        # best of several passes: the machine may be shared, the best pass is the least disturbed one
        batch_s = min(_seconds(lambda c=clf: c.predict_proba(signals)) for _ in range(repeats))
        # on a shared CPU, torch's default (one thread per core) can lose 2-4x to a single thread
        # waiting on busy cores, so one thread is timed too
        default_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            batch_1t_s = min(_seconds(lambda c=clf: c.predict_proba(signals)) for _ in range(repeats))
            # wall time on a CPU shared with training jobs mostly measures the others' load; the
            # process's own CPU time with one thread is what a dedicated core would need
            batch_1t_cpu_s = min(_cpu_seconds(lambda c=clf: c.predict_proba(signals)) for _ in range(repeats))
        finally:
            torch.set_num_threads(default_threads)
        ecgs = [reference_ecg(cache, int(r)) for r in rows[:timing_records]]
        single_s = min(_seconds(lambda c=clf, e=ecgs: [c.predict(x) for x in e]) for _ in range(repeats))
        single_cpu_s = min(_cpu_seconds(lambda c=clf, e=ecgs: [c.predict(x) for x in e]) for _ in range(repeats))
        np.savez(out_dir / f"{clf.name}.npz", ecg_ids=np.asarray(prepared["ecg_ids"]), probs=probs,
                 classes=np.asarray(clf.classes))
        timings[clf.name] = {
            "adapter": str(adapter), "level": clf.level, "n_members": len(clf.members),
            "batch_records_per_s": len(rows) / batch_s, "batch_records": len(rows),
            "batch_records_per_s_1_thread": len(rows) / batch_1t_s,
            "batch_records_per_cpu_s_1_thread": len(rows) / batch_1t_cpu_s,
            "single_records_per_s": len(ecgs) / single_s, "single_records": len(ecgs),
            "single_records_per_cpu_s": len(ecgs) / single_cpu_s,
            "windows_per_record": len(window_starts(signals.shape[1], clf.window, clf.stride)),
            "window_seconds": clf.window / clf.fs_hz, "stride_seconds": clf.stride / clf.fs_hz,
            "timing": f"best of {repeats} passes; torch threads {torch.get_num_threads()}; "
                      f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            "manifest_val_metrics": clf.manifest.get("val_metrics"),
            "training": [{k: v for k, v in m.items() if k != "history"} for m in clf.manifest.get("training", [])],
        }
    hybrid = hybrid_predictions(work, adapters, cache, rows, prepared, timing_records=timing_records, repeats=repeats)
    if hybrid:
        timings["hybrid"] = hybrid
    (work / "timings.json").write_text(json.dumps(timings, indent=2))
    return timings


def hybrid_predictions(work: Path, adapters: list[Path], cache: Any, rows: np.ndarray, prepared: dict, *,
                       timing_records: int, repeats: int) -> dict[str, dict]:
    """For each shipped adapter with a late-fusion head (:func:`medts.adapters.hybrid_head_dir`): the fused
    probabilities of the prepared records -> ``work/predictions/<head name>.npz``, and the cost of the fused
    single-record path (CNN + two measure_ecg + trees, what ``medts classify`` runs on a 12-lead record).

    The bench scores the fusion from the cached features the head was trained with
    (:func:`medts.bench.hybrid.measurement_features`, :func:`~medts.bench.hybrid.shape_features`: raw 100 Hz
    records in mV, band-passed z-scored arrays with timing features only). On the timing records read raw, the
    fused probabilities from features measured live (the path of ``medts classify``) are compared with them.
    """
    from medts.adapters import classifier_dir
    from medts.bench.hybrid import measurement_features, shape_features
    from medts.classify import fusion
    from medts.classify.predict import load_classifier
    from medts.classify.train import reference_ecg

    features = np.hstack([measurement_features(cache, log=lambda _m: None),
                          shape_features(cache, log=lambda _m: None)])[rows]
    out = {}
    for adapter in adapters:
        clf = load_classifier(adapter)  # attaches the head only to the shipped adapter of its level
        if clf.fusion is None or Path(adapter).resolve() != classifier_dir(clf.level).resolve():
            continue
        head = clf.fusion
        with np.load(work / "predictions" / f"{clf.name}.npz") as npz:
            cnn = npz["probs"]
        fused = head.fuse(cnn, features)
        np.savez(work / "predictions" / f"{head.name}.npz", ecg_ids=np.asarray(prepared["ecg_ids"]), probs=fused,
                 classes=np.asarray(head.classes))
        timed = [int(r) for r in rows[:timing_records]]
        ecgs = [reference_ecg(cache, r) for r in timed]

        def single(c=clf, e=ecgs) -> list:
            fusion._feature_cache.clear()  # time the measurements too, as for a new record
            return [c.predict(x) for x in e]

        preds = single()
        single_s = min(_seconds(single) for _ in range(repeats))
        single_cpu_s = min(_cpu_seconds(single) for _ in range(repeats))
        trees_s = min(_seconds(lambda h=head: h.tree_logits(features)) for _ in range(repeats))
        raw = [i for i, r in enumerate(timed) if cache.sources[r] == "records100"]
        diff = [float(np.max(np.abs(np.array([s.probability for s in preds[i].statements]) - fused[i]))) for i in raw]
        out[head.name] = {
            "adapter": str(head.name), "level": clf.level, "fuses": clf.name, "fusion_weight": head.weight,
            "single_records_per_s": len(ecgs) / single_s, "single_records_per_cpu_s": len(ecgs) / single_cpu_s,
            "single_records": len(ecgs), "scored_by": sorted({p.scored_by for p in preds}),
            "trees_ms_per_record": 1000 * trees_s / len(features),
            "live_vs_cached_features": {"records": len(raw), "max_abs_probability_difference": max(diff) if diff else None,
                                        "median_of_record_max": float(np.median(diff)) if diff else None},
            "chosen_on_fold_9": head.manifest.get("chosen_on_fold_9"),
        }
    return out


def level_scores(level: str, predictions: dict[str, dict]) -> tuple[np.ndarray, list[str], str] | None:
    """Scores for ``level``: its own adapter's, else derived from the all-statements adapter."""
    own = f"classifier-{level}"
    if own in predictions:
        p = predictions[own]
        return p["probs"], list(p["classes"]), own
    if "classifier-all" not in predictions:
        return None
    p = predictions["classifier-all"]
    col = {c: j for j, c in enumerate(p["classes"])}
    classes = level_classes(level)
    if level in ("diagnostic", "form", "rhythm"):
        return p["probs"][:, [col[c] for c in classes]], classes, "classifier-all (column subset)"
    attr = "diagnostic_subclass" if level == "subdiagnostic" else "diagnostic_class"
    scores = np.zeros((len(p["probs"]), len(classes)), np.float32)
    for j, label in enumerate(classes):
        members = [col[s.code] for s in STATEMENTS.values() if s.diagnostic and getattr(s, attr) == label]
        scores[:, j] = p["probs"][:, members].max(axis=1)
    return scores, classes, "classifier-all (max over member statements)"


def evaluate(work: Path, *, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Score the saved predictions at every prepared level (records with no label at a level are left out)."""
    prepared = json.loads((work / "prepared.json").read_text())
    predictions = {}
    for path in sorted((work / "predictions").glob("*.npz")):
        with np.load(path) as npz:
            predictions[path.stem] = {"probs": npz["probs"], "classes": npz["classes"].tolist()}
    metrics: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    for level in prepared["levels"]:
        scored = level_scores(level, predictions)
        if scored is None:
            continue
        probs, classes, source = scored
        y = np.asarray(prepared["labels"][level]["y"], np.float32)
        if classes != prepared["labels"][level]["classes"]:
            raise MedtsError(f"class order of {source} does not match level {level}")
        keep = y.sum(axis=1) > 0
        y, probs = y[keep], probs[keep]
        prior = np.tile(np.asarray(prepared["train_prevalence"][level], np.float32), (len(y), 1))
        aucs = auc_per_class(y, probs)
        metrics[level] = {
            "scores_from": source,
            "n_records": int(keep.sum()),
            "n_classes": len(classes),
            "n_classes_with_auc": int(np.isfinite(aucs).sum()),
            "macro_auc": macro_auc(y, probs),
            "macro_auc_ci95": bootstrap_ci(y, probs, macro_auc, n_boot=n_boot, seed=seed),
            "fmax": fmax(y, probs),
            "fmax_ci95": bootstrap_ci(y, probs, fmax, n_boot=min(n_boot, 200), seed=seed),
            "per_statement": [
                {"code": c, "n_positive": int(y[:, j].sum()), "auc": None if not np.isfinite(aucs[j]) else float(aucs[j])}
                for j, c in enumerate(classes)
            ],
        }
        baselines.setdefault("naive_prior", {})[level] = {
            "macro_auc": macro_auc(y, prior),
            "fmax": fmax(y, prior),
            "fmax_ci95": bootstrap_ci(y, prior, fmax, n_boot=min(n_boot, 200), seed=seed),
        }
    hybrid = hybrid_metrics(prepared, predictions, n_boot=n_boot, seed=seed)
    if hybrid:
        metrics["hybrid"] = hybrid
    return {"metrics": metrics, "baselines": baselines}


def hybrid_metrics(prepared: dict, predictions: dict[str, dict], *, n_boot: int, seed: int) -> dict[str, Any]:
    """Per fusion head's level: macro-AUC and Fmax of the fused scores beside the CNN's own, with the paired
    bootstrap difference (:func:`medts.bench.hybrid.paired_delta`, same resampled records)."""
    from medts.adapters import HYBRID_HEADS
    from medts.bench.hybrid import paired_delta

    out = {}
    for level, name in HYBRID_HEADS.items():
        cnn_name = f"classifier-{level}"
        if name not in predictions or cnn_name not in predictions or level not in prepared["labels"]:
            continue
        y = np.asarray(prepared["labels"][level]["y"], np.float32)
        keep = y.sum(axis=1) > 0
        y, fused, cnn = y[keep], predictions[name]["probs"][keep], predictions[cnn_name]["probs"][keep]
        out[level] = {
            "head": name, "cnn": cnn_name, "n_records": int(keep.sum()),
            "cnn_macro_auc": macro_auc(y, cnn), "hybrid_macro_auc": macro_auc(y, fused),
            "hybrid_macro_auc_ci95": bootstrap_ci(y, fused, macro_auc, n_boot=n_boot, seed=seed),
            "cnn_fmax": fmax(y, cnn), "hybrid_fmax": fmax(y, fused),
            "delta_vs_cnn": paired_delta([y], [fused], [cnn], n_boot),
        }
    return out


def markdown_tables(result: dict[str, Any], timings: dict[str, Any], test_fold: int) -> list[str]:
    """The summary, throughput and per-statement tables of the ``.md`` file."""
    from medts.bench.results import markdown_table
    from medts.classify.outputs import describe_label
    from medts.classify.train import member_label, recipe_text

    def ci(pair):
        return f"{pair[0]:.3f}-{pair[1]:.3f}"

    rows = []
    for level, m in result["metrics"].items():
        if level == "hybrid":
            continue
        b = result["baselines"]["naive_prior"][level]
        rows.append([level, m["scores_from"], m["n_records"], f"{m['n_classes_with_auc']}/{m['n_classes']}",
                     round(m["macro_auc"], 4), ci(m["macro_auc_ci95"]), round(m["fmax"], 4), ci(m["fmax_ci95"]),
                     round(b["macro_auc"], 4), round(b["fmax"], 4)])
    tables = [f"## Fold {test_fold} results\n\n" + markdown_table(
        ["level", "scores from", "records", "classes with AUC", "macro-AUC", "95% CI", "Fmax", "Fmax 95% CI",
         "naive prior AUC", "naive prior Fmax"], rows)]
    hybrid, costs = result["metrics"].get("hybrid", {}), timings.get("hybrid", {})
    if hybrid:
        cnn_rate = {t["level"]: t for n, t in timings.items() if n != "hybrid"}
        tables.append(f"## Hybrid (CNN + measurements, late fusion) beside the shipped CNN, fold {test_fold}\n\n" + markdown_table(
            ["level", "scored by", "records", "macro-AUC", "95% CI", "Δ vs CNN (paired 95% CI)", "Fmax",
             "single records/s (measurements included)", "single records per CPU-second", "batch records/s (1 thread)"],
            [row for level, h in hybrid.items() for row in (
                [level, h["cnn"] + " (CNN only)", h["n_records"], round(h["cnn_macro_auc"], 4), "-", "-",
                 round(h["cnn_fmax"], 4), round(cnn_rate[level]["single_records_per_s"], 1),
                 round(cnn_rate[level]["single_records_per_cpu_s"], 1),
                 round(cnn_rate[level]["batch_records_per_s_1_thread"], 1)],
                [level, f"{h['cnn']} + {h['head']} (w={costs[h['head']]['fusion_weight']:g})", h["n_records"],
                 round(h["hybrid_macro_auc"], 4), ci(h["hybrid_macro_auc_ci95"]),
                 f"{h['delta_vs_cnn']['delta']:+.4f} ({h['delta_vs_cnn']['ci95'][0]:+.4f} to {h['delta_vs_cnn']['ci95'][1]:+.4f})",
                 round(h["hybrid_fmax"], 4), round(costs[h["head"]]["single_records_per_s"], 1),
                 round(costs[h["head"]]["single_records_per_cpu_s"], 1), "- (CNN only in batch)"])])
            + f"\n\nFold {test_fold} chose the fusion weight w and the fused thresholds (as it chose the CNNs' epochs, "
              "members and thresholds), so both rows are optimistic; the nested figures without that bias are in "
              "ptbxl_16ep_nested_hybrid.md. The measurement trees were fit on folds 1-8. Batch inference "
              "(predict_proba on preprocessed signals) is CNN only.")
    trows = []
    for name, t in timings.items():
        if name == "hybrid":
            continue
        for member in t["training"]:
            trows.append([name, member_label(member), recipe_text(member), member["n_parameters"], member["best_epoch"],
                          round(member["best_val_macro_auc"], 4),
                          round(next(v for k, v in member.items() if k.startswith("mean_last")), 4),
                          round(member["seconds_per_epoch"], 1), member["device"]])
    tables.append("## Shipped members (training on folds 1-8, selection on fold 9)\n\n" + markdown_table(
        ["adapter", "member", "recipe", "parameters", "best epoch", "fold-9 AUC best epoch", "mean last epochs",
         "s/epoch", "device"], trows))
    tables.append("## Inference throughput (CPU, 10 s 100 Hz records, preprocessing included for single calls)\n\n"
                  + markdown_table(["adapter", "members", "windows/record", "batch records/s (torch default threads)",
                                    "batch records/s (1 thread)", "batch records per CPU-second (1 thread)",
                                    "single records/s", "single records per CPU-second"],
                                   [[n, t["n_members"], t.get("windows_per_record"), round(t["batch_records_per_s"], 1),
                                     round(t.get("batch_records_per_s_1_thread", float("nan")), 1),
                                     round(t.get("batch_records_per_cpu_s_1_thread", float("nan")), 1),
                                     round(t["single_records_per_s"], 1),
                                     round(t.get("single_records_per_cpu_s", float("nan")), 1)] for n, t in timings.items()
                                    if n != "hybrid"])
                  + "\n\nWall-clock rates are the best of several passes on a machine shared with other jobs (load average "
                    "in `timing` of the JSON); records per CPU-second count only this process's CPU time with one torch "
                    "thread, i.e. the rate of one dedicated core.")
    for level, m in result["metrics"].items():
        if level == "hybrid":
            continue
        rows = [[s["code"], describe_label(s["code"]) or "", s["n_positive"],
                 None if s["auc"] is None else round(s["auc"], 4)] for s in m["per_statement"]]
        tables.append(f"## Per-statement AUC, level {level}\n\n" + markdown_table(
            ["statement", "meaning", "positives", "AUC"], rows))
    return tables


def run_benchmark(
    root: str | Path, *, fold: int = VAL_FOLD, levels: tuple[str, ...] = LEVELS,
    adapters: list[Path] | None = None, work: Path | None = None, n_boot: int = 1000,
    name: str = "ptbxl", command: str | None = None,
) -> tuple[Path, Path]:
    """prepare -> predict -> evaluate, then write ``eval/results/<name>.json`` and ``.md``."""
    from medts.adapters import classifier_dir, classifier_levels, load_manifest
    from medts.bench.results import write_results
    from medts.config import cache_dir

    # predictions and label lists derived from the dataset stay outside the repository
    work = work or cache_dir() / "bench" / name
    prepared = prepare(root, work, fold=fold, levels=levels)
    if adapters is None:
        adapters = [classifier_dir(level) for level in classifier_levels()]
    if not adapters:
        raise MedtsError("no classifier adapters found (adapters/classifier-*/); train one with `medts train classifier`")
    timings = predict(work, adapters)
    result = evaluate(work, n_boot=n_boot)
    notes = [
        f"Test fold {prepared['test_fold']}" + ("" if prepared["fold_10_present"] else
            " (fold 10 is absent from this root; fold 9 is also the model-selection and threshold fold, "
            "so these figures are optimistic)"),
        ("Protocol of Strodthoff et al. 2021: folds 1-8 train, 9 validation, 10 test; records without a label "
        "at a level are left out; macro-AUC over statements with positives and negatives in the test set."),
        "95% CIs: percentile bootstrap over records (1000 resamples for AUC, 200 for Fmax).",
        "Naive prior: each statement scored with its training-fold prevalence (AUC 0.5 by construction).",
        ("Training time: the s/epoch column is the mean wall time of an epoch's training steps (no validation) "
         "on this machine, 1 torch thread, while it was shared with other training jobs (load average up to 17 on "
         "2 cores), so it mostly measures the load; one epoch is 33 steps of 64 2.5 s crops, 0.14 s (xresnet1d-small) "
         "and 0.17 s (inception1d-fast) per step measured in isolation, i.e. about 5 s per epoch on a free core. "
         "GPU: none available to this run; the same command runs on a GPU under accelerate."),
    ]
    for adapter in adapters:
        selection = load_manifest(adapter).get("selection")
        if selection:
            notes.append(f"{Path(adapter).name}: {selection}")
    data = {k: prepared[k] for k in ("root", "test_fold", "fold_10_present", "records_per_fold_and_source",
                                     "n_rows_without_signal", "ecg_ids", "sources")}
    return write_results(name, command=command, data=data, metrics={**result["metrics"], "throughput": timings},
                         baselines=result["baselines"], notes=notes,
                         markdown_tables=markdown_tables(result, timings, prepared["test_fold"]))


def ensemble_report(adapters: list[Path], *, name: str = "ptbxl_ensembles", notes: list[str] | None = None,
                    command: str | None = None) -> tuple[Path, Path]:
    """Write single-member vs ensemble figures recorded by :func:`medts.classify.card.finalise_adapter`."""
    from medts.adapters import load_manifest
    from medts.bench.results import markdown_table, write_results
    from medts.classify.train import member_label, recipe_text

    metrics: dict[str, Any] = {}
    rows, trows = [], []
    for adapter in adapters:
        manifest = load_manifest(adapter)
        comparison = manifest.get("ensemble_comparison")
        if not comparison:
            raise MedtsError(f"{adapter}: run `python -m medts.classify.card {adapter}` first")
        members = manifest["training"]
        last_key = next(k for k in members[0] if k.startswith("mean_last"))
        label = Path(adapter).name
        metrics[label] = {"level": manifest["level"], "comparison": comparison,
                                     "members": [{k: v for k, v in t.items() if k != "history"} for t in members],
                                     "val_metrics": manifest["val_metrics"], "selection": manifest.get("selection")}
        for r in comparison:
            members_text = " + ".join(member_label(members[i]) for i in r["members"])
            rows.append([label, members_text, round(r["macro_auc"], 4), round(r["batch_records_per_s"], 1),
                         round(r.get("batch_records_per_cpu_s_1_thread", float("nan")), 1)])
        for t in members:
            trows.append([label, member_label(t), recipe_text(t), t["n_parameters"], t["best_epoch"],
                          round(t["best_val_macro_auc"], 4), round(t[last_key], 4), round(t["seconds_per_epoch"], 1),
                          t["device"]])
    tables = [
        "## Single models vs ensembles (fold-9 macro-AUC; batch records/s on this CPU)\n\n"
        + markdown_table(["adapter", "members", "fold-9 macro-AUC", "batch records/s (wall, shared machine)",
                          "batch records per CPU-second (1 thread)"], rows),
        "## Training (per member; best epoch and mean over the last epochs; s/epoch on this CPU)\n\n"
        + markdown_table(["adapter", "member", "recipe", "parameters", "best epoch", "AUC best epoch",
                          "AUC mean last 5 epochs", "s/epoch", "device"], trows),
    ]
    auto = []
    for label, m in metrics.items():
        members = m["members"]
        last_key = next(k for k in members[0] if k.startswith("mean_last"))
        auto.append(f"{label}: {len(members)} member(s); fold-9 macro-AUC {m['val_metrics']['macro_auc']:.4f} "
                    f"(95% CI {m['val_metrics']['macro_auc_ci95'][0]:.4f}-{m['val_metrics']['macro_auc_ci95'][1]:.4f}); "
                    f"members' mean over their last epochs {np.mean([t[last_key] for t in members]):.4f} vs "
                    f"{np.mean([t['best_val_macro_auc'] for t in members]):.4f} at their best epochs"
                    + (f". Selection: {m['selection']}" if m.get("selection") else ""))
    return write_results(name, command=command, data={"adapters": [str(a) for a in adapters], "fold": 9},
                         metrics=metrics, notes=auto + list(notes or []), markdown_tables=tables)
