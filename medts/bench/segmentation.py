"""Segmentation benchmark for MedTsLLM checkpoints on LUDB validation records (131-160).

For every record and lead, the model slides its window over the cardiologists' annotated span
(``medtsllm.infer.segment_logits``); inside that span we count per-sample IoU and F1 for P, QRS
and T, decode the mask into waves (``mask_to_waves``) and match onsets and offsets to the
reference at ±150 ms (``bench.metrics.match_fiducials``), the same matcher the delineation
benchmark uses. Several checkpoints (the LLM model, the no-LLM baseline, both lead modes) run
in the same call so their figures sit side by side. Inference time per 10 s 12-lead record and
peak memory (ru_maxrss) are recorded too.

Example
-------
>>> run_segmentation_bench(["runs/seg-llm", "runs/seg-nollm"], ludb_root)   # doctest: +SKIP
"""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from medts.bench.metrics import FiducialScore, match_fiducials
from medts.bench.results import markdown_table, write_results
from medts.io.annotations import mask_to_waves
from medts.io.ludb import read_ludb
from medts.medtsllm.checkpoint import load_checkpoint, read_manifest
from medts.medtsllm.data import resample_mask
from medts.medtsllm.infer import segment_logits
from medts.medtsllm.train import confusion, iou_f1

TOLERANCE_MS = 150.0
FIDUCIALS = ("P_onset", "P_offset", "QRS_onset", "QRS_offset", "T_onset", "T_offset")


def wave_fiducials(waves, kind: str, which: str) -> np.ndarray:
    """Sample indices of ``which`` (onset/offset) of waves of ``kind``."""
    return np.array([getattr(w, which) for w in waves if w.kind == kind and getattr(w, which) is not None], dtype=np.int64)


def evaluate_checkpoint(model, root: Path, record_ids: list[int], log: Callable[[str], None]) -> dict[str, Any]:
    """Per-sample IoU/F1 and fiducial scores of one loaded model over ``record_ids``."""
    fs = model.config.data.fs
    conf = np.zeros((4, 4), np.int64)
    scores = {f: FiducialScore() for f in FIDUCIALS}
    seconds: list[float] = []
    for rid in record_ids:
        rec = read_ludb(root, rid)
        ecg = rec.ecg.select_leads(list(model.config.data.leads))
        fs_in = ecg.fs
        sig = ecg.resample(fs).signal if fs != fs_in else ecg.signal
        t0 = time.perf_counter()
        probs = segment_logits(model, sig, list(ecg.leads), age=rec.ecg.age, sex=rec.ecg.sex, dataset="ludb",
                               hop_s=model.config.data.window_s)  # tiled, no overlap: CPU time
        seconds.append(time.perf_counter() - t0)
        pred = probs.argmax(-1).astype(np.int8)  # [n, L] at model rate
        for li, lead in enumerate(ecg.leads):
            a, b = rec.annotated_span(lead)
            if b <= a:
                continue
            ref = rec.mask(lead)  # [n_in] at 500 Hz
            # Compare at the reference rate: upsample the prediction by nearest sample.
            pred_in = resample_mask(pred[:, li], fs, fs_in, len(ref))
            conf += confusion(pred_in[a:b].astype(np.int64), ref[a:b].astype(np.int64))
            waves_pred = mask_to_waves(pred_in)
            waves_ref = rec.waves[lead]
            tol = int(round(TOLERANCE_MS * fs_in / 1000.0))
            for fid in FIDUCIALS:
                kind, which = fid.split("_")
                m = match_fiducials(wave_fiducials(waves_pred, kind, which), wave_fiducials(waves_ref, kind, which),
                                    tolerance=tol, span=(a, b - 1))
                scores[fid].add(m, fs_in)
        log(f"record {rid}: {seconds[-1]:.2f} s")
    out = {"per_sample": iou_f1(conf), "fiducials": {f: s.summary() for f, s in scores.items()},
           "inference_s_per_record": {"mean": float(np.mean(seconds)), "median": float(np.median(seconds))}}
    return out


def run_segmentation_bench(
    checkpoints: list[str | Path],
    root: str | Path,
    *,
    record_ids: list[int] | None = None,
    command: str | None = None,
    name: str = "segmentation",
    log: Callable[[str], None] = print,
) -> tuple[Path, Path]:
    """Evaluate every checkpoint on the same records and write ``eval/results/<name>.*``."""
    root = Path(root)
    record_ids = record_ids or list(range(131, 161))
    results: dict[str, Any] = {}
    for ck in checkpoints:
        manifest = read_manifest(ck)
        model = load_checkpoint(ck)
        label = Path(ck).name
        log(f"evaluating {label}")
        res = evaluate_checkpoint(model, root, record_ids, log)
        res["parameter_counts"] = manifest.get("parameter_counts")
        res["train"] = {k: manifest.get("metrics", {}).get(k) for k in ("train_seconds", "steps", "seconds_per_step", "windows_seen")}
        res["config"] = manifest["config"]
        results[label] = res
    res_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    rows = []
    for label, r in results.items():
        ps = r["per_sample"]
        rows.append([label, r["config"]["backbone"]["use_llm"], r["config"]["data"]["lead_mode"],
                     ps["iou_P"], ps["iou_QRS"], ps["iou_T"], ps["mean_iou"], ps["mean_f1"],
                     r["parameter_counts"].get("trainable_total"), r["inference_s_per_record"]["mean"]])
    t1 = markdown_table(["model", "LLM", "leads", "IoU P", "IoU QRS", "IoU T", "mean IoU", "mean F1 (sample)",
                         "trainable params", "inference s / 10 s 12-lead record"], rows)
    frows = []
    for label, r in results.items():
        for fid, s in r["fiducials"].items():
            frows.append([label, fid, s["f1"], s["sensitivity"], s["ppv"], s["mean_error_ms"], s["sd_error_ms"]])
    t2 = markdown_table(["model", "fiducial", "F1", "Se", "PPV", "mean error ms", "SD ms"], frows)
    data = {"dataset": "ludb", "root": str(root), "records": record_ids, "leads": "all 12, each lead scored on its annotated span",
            "tolerance_ms": TOLERANCE_MS}
    notes = [
        "Per-sample IoU/F1 are pooled over all validation leads inside each lead's annotated span, at 500 Hz "
        "(predictions made at the model rate are mapped to the nearest sample).",
        "Fiducial F1 matches predicted onsets/offsets to the cardiologists' within ±150 ms (medts.bench.metrics).",
        f"Peak resident memory of the benchmark process: {res_peak_mb:.0f} MB.",
        "NeuroKit2 dwt/prominence and the fused delineation are scored by `medts bench delineation` on the same "
        "records and matcher (eval/results/delineation.json); they were not re-run inside this benchmark.",
    ]
    return write_results(name, command=command, data=data, metrics={"models": results, "peak_rss_mb": res_peak_mb},
                         notes=notes, markdown_tables=["## Per-sample segmentation", t1, "## Fiducials (±150 ms)", t2])
