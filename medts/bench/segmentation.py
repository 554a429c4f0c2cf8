"""Segmentation benchmark: MedTsLLM checkpoints against NeuroKit2 and medts's fused delineation.

In one run, on the same LUDB validation records (default 131-160, every lead):

1. **Models.** Each checkpoint (the LLM model, the no-LLM baseline, both lead modes) slides its
   window over every lead without overlap (``medtsllm.infer.segment_logits``, each lead's prompt
   run once); the class probabilities are decoded at 500 Hz by ``infer.decode_masks`` (leads
   blended with their mean, linear interpolation, argmax, runs too short to be waves dropped), the decoder ``medts segment`` uses. Inside each lead's annotated span we count per-sample IoU and F1 for P, QRS
   and T, decode the mask into waves (onset, chord-deviation peak, offset:
   ``infer.waves_from_mask``) and match them to the cardiologists' at ±150 ms.
2. **Baselines.** NeuroKit2 ``dwt`` and ``prominence`` per lead and medts's fused delineation,
   scored by ``medts.bench.delineation.ludb_record_result`` (the delineation benchmark's own
   code, matcher and span rule), so every row is measured the same way.
3. **QTDB ``.q1c`` cross-dataset check.** Leads-independent checkpoints and the same baselines
   on the window ``medts.bench.delineation.qtdb_record_result`` scores (sensitivity and
   errors only: the cardiologist marked selected beats).
4. **Cost.** Trainable parameters, training seconds per step and per epoch (from each manifest),
   inference CPU and wall seconds per 10 s 12-lead record (float32, no overlap; for the first
   LLM checkpoint also half-overlapping windows, no prompt cache and bf16 autocast), the load
   average next to them, peak resident memory. ``run_timing_only`` re-runs just the timings.

Example
-------
>>> run_segmentation_bench(["runs/seg-llm", "runs/seg-nollm"], ludb_root)   # doctest: +SKIP
"""

from __future__ import annotations

import copy
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medts.bench.delineation import (
    QTDB_WINDOW_S,
    ludb_record_result,
    qtdb_record_result,
    waves_to_fiducials,
)
from medts.bench.metrics import FiducialScore, interval_95, match_fiducials, record_resamples
from medts.bench.results import markdown_table, write_results
from medts.errors import MedtsError
from medts.io.ludb import read_ludb
from medts.medtsllm.checkpoint import load_checkpoint, read_manifest
from medts.medtsllm.infer import decode_masks, segment_logits, waves_from_mask
from medts.medtsllm.train import confusion, iou_f1
from medts.signal.delineate import FIDUCIALS

TOLERANCE_MS = 150.0
BASELINES = ("nk_dwt", "nk_prominence", "medts")
"""``ludb_record_result`` method names: NeuroKit2 per lead, and medts's fused delineation."""


def model_masks(model, signal: np.ndarray, leads: list[str], fs_in: float, *, age=None, sex=None,
                dataset: str = "ludb", hop_s: float | None = None, cache_prompts: bool = True) -> np.ndarray:
    """Decoded labels int8 [n_in, n_leads] at ``fs_in`` for ``signal`` [n_in, n_leads] (mV)."""
    from medts.record import ECG

    fs = model.config.data.fs
    x = ECG(signal, fs=fs_in, leads=leads)
    sig = x.resample(fs).signal if fs != fs_in else signal
    probs = segment_logits(model, sig, leads, age=age, sex=sex, dataset=dataset,
                           hop_s=hop_s or model.config.data.window_s, cache_prompts=cache_prompts)  # [n_model, L, 4]
    return decode_masks(probs, fs, fs_in, len(signal))  # [n_in, L]


def mask_fiducials(mask: np.ndarray, lead_signal: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """``{fiducial: samples}`` (``medts.signal.delineate.FIDUCIALS`` names) of one decoded lead."""
    return waves_to_fiducials(waves_from_mask(mask, lead_signal, fs))


BOOT_KEYS = ("iou_P", "iou_QRS", "iou_T", "mean_iou")


def bootstrap_iou(per_record: dict[str, np.ndarray], *, n_boot: int = 1000, seed: int = 0,
                  pairs: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """95 % percentile intervals over records resampled with replacement (the same resamples for
    every model, so differences are paired): per model, IoU P/QRS/T and mean IoU; per ``pairs``
    entry ``(llm, twin)``, the difference ``llm - twin`` of each, its interval, and whether the
    LLM row is ahead by more than the interval (lower bound > 0).

    ``per_record``: ``{model: int [n_records, 4, 4]}`` confusions, records in the same order.

    >>> c = np.zeros((3, 4, 4), int); c[:, 0, 0] = c[:, 1, 1] = c[:, 2, 2] = c[:, 3, 3] = 10
    >>> bootstrap_iou({"m": c}, n_boot=20)["models"]["m"]["mean_iou"]
    [1.0, 1.0]
    """
    names = list(per_record)
    draws = {m: {k: [] for k in BOOT_KEYS} for m in names}
    for idx in record_resamples(len(per_record[names[0]]), n_boot, seed):
        for m in names:
            scores = iou_f1(per_record[m][idx].sum(axis=0))
            for k in BOOT_KEYS:
                draws[m][k].append(scores[k])
    out: dict[str, Any] = {"n_boot": n_boot, "seed": seed, "unit": "record",
                           "models": {m: {k: interval_95(draws[m][k]) for k in BOOT_KEYS} for m in names}, "pairs": []}
    for llm, twin in pairs or []:
        point = {k: iou_f1(per_record[llm].sum(axis=0))[k] - iou_f1(per_record[twin].sum(axis=0))[k] for k in BOOT_KEYS}
        deltas = {k: interval_95(np.subtract(draws[llm][k], draws[twin][k])) for k in BOOT_KEYS}
        out["pairs"].append({"llm": llm, "twin": twin, "delta": point, "interval": deltas,
                             "llm_ahead_beyond_interval": deltas["mean_iou"][0] > 0})
    return out


def evaluate_checkpoint(model, root: Path, record_ids: list[int], log: Callable[[str], None]) -> dict[str, Any]:
    """Per-sample IoU/F1, fiducial scores and inference time of one model over ``record_ids``."""
    per_record: list[np.ndarray] = []  # [4, 4] confusion of each record: the unit of the bootstrap
    scores = {f: FiducialScore() for f in FIDUCIALS}
    seconds: list[float] = []
    cpu: list[float] = []
    for rid in record_ids:
        rec = read_ludb(root, rid)
        ecg = rec.ecg.select_leads(list(model.config.data.leads))
        t0, c0 = time.perf_counter(), time.process_time()
        pred = model_masks(model, ecg.signal, list(ecg.leads), ecg.fs, age=ecg.age, sex=ecg.sex)  # [n, L]
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        tol = int(round(TOLERANCE_MS * ecg.fs / 1000.0))
        conf = np.zeros((4, 4), np.int64)
        for li, lead in enumerate(ecg.leads):
            a, b = rec.annotated_span(lead)
            if b <= a:
                continue
            ref = rec.mask(lead)  # [n] at 500 Hz
            conf += confusion(pred[a:b, li].astype(np.int64), ref[a:b].astype(np.int64))
            det = mask_fiducials(pred[:, li], ecg.signal[:, li], ecg.fs)
            ann = waves_to_fiducials(rec.waves[lead])
            for fid in FIDUCIALS:
                scores[fid].add(match_fiducials(det[fid], ann[fid], tolerance=tol, span=(a, b)), ecg.fs)
        per_record.append(conf)
        log(f"record {rid}: {seconds[-1]:.2f} s")
    return {"per_sample": iou_f1(np.sum(per_record, axis=0)), "confusion_per_record": np.stack(per_record).tolist(),
            "fiducials": {f: s.summary() for f, s in scores.items()},
            "inference_s_per_record": {"mean": float(np.mean(seconds)), "median": float(np.median(seconds)),
                                       "cpu_median": float(np.median(cpu)), "records": len(seconds)}}


def evaluate_baselines(root: Path, record_ids: list[int], log: Callable[[str], None]) -> dict[str, Any]:
    """Fiducial scores of NeuroKit2 dwt/prominence and the fused delineation (delineation bench code)."""
    scores = {m: {f: FiducialScore() for f in FIDUCIALS} for m in BASELINES}
    for rid in record_ids:
        res = ludb_record_result(root, rid, BASELINES)
        for method in BASELINES:
            for kind, match in res["matches"][method]:
                scores[method][kind].add(match, res["fs"])
        log(f"baselines record {rid}")
    return {m: {"fiducials": {f: s.summary() for f, s in scores[m].items()}} for m in BASELINES}


def evaluate_openecg(root: Path, record_ids: list[int], log: Callable[[str], None]) -> dict[str, Any]:
    """openecg's per-sample IoU/F1 on the ``record_ids`` outside its LUDB training split (its val records).

    Labels: openecg's frame channel per lead (``medts.signal.openecg_baseline``; paced QRS counted as QRS),
    scored like the models inside each lead's annotated span, one [4, 4] confusion per record.
    """
    from medts.signal.openecg_baseline import OPENECG_LUDB_VAL, WAVE_CLASSES, openecg_frame_labels

    ids = [rid for rid in record_ids if rid in OPENECG_LUDB_VAL]
    per_record: list[np.ndarray] = []
    for rid in ids:
        rec = read_ludb(root, rid)
        conf = np.zeros((4, 4), np.int64)
        for li, lead in enumerate(rec.ecg.leads):
            a, b = rec.annotated_span(lead)
            if b <= a:
                continue
            labels = openecg_frame_labels(rec.ecg.signal[:, li], rec.ecg.fs).astype(np.int64)
            labels[np.isin(labels, WAVE_CLASSES["QRS"])] = 2
            conf += confusion(labels[a:b], rec.mask(lead)[a:b].astype(np.int64))
        per_record.append(conf)
        log(f"openecg record {rid}")
    return {"records": ids, "per_sample": iou_f1(np.sum(per_record, axis=0)) if ids else None,
            "confusion_per_record": [c.tolist() for c in per_record]}


def evaluate_qtdb(models: dict[str, Any], root: Path, names: list[str], log: Callable[[str], None], *,
                  baselines: bool = True) -> dict[str, Any]:
    """Sensitivity and errors against QTDB ``.q1c`` marks for ``models`` (leads independent) and
    (``baselines``) NeuroKit2 and the fused delineation, each lead scored separately and pooled
    (as NeuroKit2 in the delineation bench)."""
    from medts.io.qtdb import read_qtdb

    methods = list(models) + (list(BASELINES) if baselines else [])
    scores = {m: {f: FiducialScore() for f in FIDUCIALS} for m in methods}
    used = []
    for name in names:
        rec = read_qtdb(root, name)
        if not rec.q1c:
            continue
        used.append(name)
        if baselines:
            base = qtdb_record_result(root, name, BASELINES)
            for method in BASELINES:
                for kind, match in base["matches"][method]:
                    scores[method][kind].add(match, base["fs"])
        fs = rec.ecg.fs
        ann = waves_to_fiducials(rec.q1c)
        # the window qtdb_record_result scores: from 5 s before the first mark, QTDB_WINDOW_S long
        points = np.concatenate([v for v in ann.values() if len(v)])
        start = max(0, int(points.min() - 5 * fs))
        stop = min(rec.ecg.n_samples, start + int(QTDB_WINDOW_S * fs))
        ann = {k: v[(v >= start + fs) & (v < stop - fs)] - start for k, v in ann.items()}
        sig = rec.ecg.signal[start:stop]
        tol = round(TOLERANCE_MS * fs / 1000)
        for label, model in models.items():
            masks = model_masks(model, sig, list(rec.ecg.leads), fs, dataset="ludb")
            for j in range(sig.shape[1]):
                det = mask_fiducials(masks[:, j], sig[:, j], fs)
                for kind in FIDUCIALS:
                    if len(ann[kind]):
                        m = match_fiducials(det[kind], ann[kind], tolerance=tol)
                        m.fp = 0  # unannotated beats: unmatched detections cannot be judged
                        scores[label][kind].add(m, fs)
        log(f"QTDB {name}")
    keep = ("tp", "fn", "sensitivity", "mean_error_ms", "sd_error_ms", "mae_ms")
    return {"records": used, "window_s": QTDB_WINDOW_S,
            "fiducials": {m: {f: {k: s.summary()[k] for k in keep} for f, s in scores[m].items()} for m in methods}}


def time_inference(model, root: Path, record_ids: list[int], *, variants: bool = True) -> dict[str, Any]:
    """Seconds per 10 s 12-lead record (median over ``record_ids``, 1 thread, float32, windows
    without overlap, each lead's prompt run once): wall and CPU (``time.process_time``) seconds,
    the load average next to them (the machine is shared), peak resident memory so far.

    ``variants`` (LLM models) adds, for comparison: half-overlapping windows, every prompt run
    with its own window (no key/value cache, as in training), and bf16 autocast (the LLM's
    weights cast to bf16; first record only, no warm-up)."""
    import os

    ecgs = [read_ludb(root, rid).ecg.select_leads(list(model.config.data.leads)) for rid in record_ids]

    def run(m, hop_s: float, cache_prompts: bool = True, n_records: int | None = None) -> dict[str, float]:
        wall, cpu = [], []
        for ecg in ecgs[:n_records]:
            t0, c0 = time.perf_counter(), time.process_time()
            model_masks(m, ecg.signal, list(ecg.leads), ecg.fs, age=ecg.age, sex=ecg.sex, hop_s=hop_s,
                        cache_prompts=cache_prompts)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        return {"wall_s": float(np.median(wall)), "cpu_s": float(np.median(cpu))}

    w = model.config.data.window_s
    out: dict[str, Any] = {"records": record_ids, "threads": torch.get_num_threads(), "llm_dtype": str(model.llm_dtype),
                           "load_average_before": list(os.getloadavg())}
    run(model, w)  # warm-up
    out["no_overlap"] = run(model, w)
    if variants and model.llm is not None:
        out["half_overlap"] = run(model, w / 2)
        out["no_prompt_cache"] = run(model, w, cache_prompts=False)
        if model.llm_dtype == torch.float32:
            bf16 = copy.deepcopy(model)  # a copy: casting back to float32 would not restore the weights
            bf16.llm.to(torch.bfloat16)
            bf16.llm_dtype = torch.bfloat16  # the forward pass then runs under bf16 autocast
            out["bf16_no_overlap"] = run(bf16, w, n_records=1)  # first record only: bf16 is slow here
            del bf16
    out["load_average_after"] = list(os.getloadavg())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def run_timing_only(checkpoints: list[str | Path], root: str | Path, *, record_ids: list[int], command: str | None = None,
                    name: str = "segmentation_timing", log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Only the inference timings (``time_inference``) of ``checkpoints`` on ``record_ids``, written
    to ``eval/results/<name>.*``: the quick re-run on a quiet machine (a few minutes)."""
    torch.set_num_threads(1)
    timing = {}
    for i, ck in enumerate(checkpoints):
        log(f"timing {Path(ck).name}")
        timing[Path(ck).name] = time_inference(load_checkpoint(ck), Path(root), record_ids, variants=(i == 0))
    rows = _timing_rows(timing)
    notes = ["Seconds per 10 s 12-lead 500 Hz LUDB record, median over the records; wall and CPU "
             "(time.process_time) seconds, 1 thread; load average of the machine before/after in the JSON."]
    return write_results(name, command=command, data={"dataset": "ludb", "root": str(root), "records": record_ids},
                         metrics={"timing": timing}, notes=notes,
                         markdown_tables=["## Inference time per 10 s 12-lead record (s, median)", rows])


def _timing_rows(timing: dict[str, Any]) -> str:
    def cell(t: dict[str, Any], key: str) -> str:
        v = t.get(key)
        return f"{v['cpu_s']:.2f} ({v['wall_s']:.2f})" if v else ""

    rows = [[label, t["llm_dtype"], t["threads"], cell(t, "no_overlap"), cell(t, "half_overlap"),
             cell(t, "no_prompt_cache"), cell(t, "bf16_no_overlap"),
             " / ".join(f"{x:.1f}" for x in t["load_average_before"][:1] + t["load_average_after"][:1]),
             f"{t['peak_rss_mb']:.0f}", _records_text(t["records"])] for label, t in timing.items()]
    return markdown_table(["model", "dtype (auto)", "threads", "CPU s (wall s), no overlap", "half overlap",
                           "no prompt cache", "bf16", "load avg before / after", "peak RSS MB so far", "records"], rows)


def _records_text(ids: list[int]) -> str:
    return f"{ids[0]}-{ids[-1]}" if ids == list(range(ids[0], ids[-1] + 1)) else ",".join(map(str, ids))


def _log_stderr(msg: str) -> None:
    import sys

    print(msg, file=sys.stderr, flush=True)


def _task(kind: str, target: str | None, root: str, items: list) -> tuple[str, str | None, dict[str, Any]]:
    """One independent part of the benchmark (run in a worker process when ``workers`` > 1)."""
    torch.set_num_threads(1)
    if kind == "ludb_model":
        model = load_checkpoint(target)
        _log_stderr(f"evaluating {Path(target).name} on LUDB")
        return kind, target, evaluate_checkpoint(model, Path(root), items, _log_stderr)
    if kind == "ludb_baselines":
        return kind, None, evaluate_baselines(Path(root), items, _log_stderr)
    if kind == "ludb_openecg":
        return kind, None, evaluate_openecg(Path(root), items, _log_stderr)
    if kind == "qtdb_model":
        models = {Path(target).name: load_checkpoint(target)}
        return kind, target, evaluate_qtdb(models, Path(root), items, _log_stderr, baselines=False)
    return kind, None, evaluate_qtdb({}, Path(root), items, _log_stderr, baselines=True)


def run_segmentation_bench(
    checkpoints: list[str | Path],
    root: str | Path,
    *,
    record_ids: list[int] | None = None,
    qtdb_root: str | Path | None = None,
    qtdb_names: list[str] | None = None,
    timing_records: int = 3,
    workers: int = 1,
    pairs: list[tuple[str, str]] | None = None,
    n_boot: int = 1000,
    command: str | None = None,
    name: str = "segmentation",
    log: Callable[[str], None] = print,
) -> tuple[Path, Path]:
    """Evaluate every checkpoint and the baselines on the same records; write ``eval/results/<name>.*``.

    ``pairs``: ``(llm, twin)`` checkpoint folder names whose mean-IoU difference gets a paired
    bootstrap interval over records (``bootstrap_iou``); every model gets its own interval.

    ``workers`` > 1 runs the parts (each checkpoint on LUDB, the LUDB baselines, each
    leads-independent checkpoint on QTDB, the QTDB baselines) in that many processes; the
    figures are the same, only the per-record inference times then include the contention.
    Timings (``time_inference``, first leads-independent LLM checkpoint) always run alone at the end.
    """
    root = Path(root)
    record_ids = record_ids or list(range(131, 161))
    labels = [Path(ck).name for ck in checkpoints]
    if len(set(labels)) != len(labels):
        raise MedtsError("checkpoint folder names must differ (they label the rows)")
    for llm, twin in pairs or []:
        if llm not in labels or twin not in labels:
            raise MedtsError(f"pair {llm}={twin}: both must be checkpoint folder names among {labels}")
    manifests = {str(ck): read_manifest(ck) for ck in checkpoints}
    tasks: list[tuple[str, str | None, str, list]] = [("ludb_model", str(ck), str(root), record_ids) for ck in checkpoints]
    tasks.append(("ludb_baselines", None, str(root), record_ids))
    tasks.append(("ludb_openecg", None, str(root), record_ids))
    if qtdb_root is not None:
        from medts.io.qtdb import qtdb_record_names

        names = qtdb_names or qtdb_record_names(qtdb_root)
        indep = [ck for ck, m in manifests.items() if m["config"]["data"]["lead_mode"] == "independent"]
        tasks += [("qtdb_model", ck, str(qtdb_root), names) for ck in indep]
        tasks.append(("qtdb_baselines", None, str(qtdb_root), names))
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_task, *zip(*tasks)))
    else:
        done = [_task(*t) for t in tasks]
    results: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    openecg: dict[str, Any] = {}
    qtdb: dict[str, Any] | None = None
    for kind, target, res in done:
        if kind == "ludb_model":
            manifest = manifests[target]
            res["parameter_counts"] = manifest.get("parameter_counts")
            metrics_m = manifest.get("metrics") or {}
            res["train"] = {k: metrics_m.get(k) for k in ("train_seconds", "steps", "seconds_per_step", "windows_seen")}
            # one epoch = every training window once (batch_size windows per step)
            n_train = (manifest.get("data") or {}).get("train_windows")
            bs = manifest["config"]["train"]["batch_size"] * manifest["config"]["train"]["grad_accum"]
            sps = metrics_m.get("seconds_per_step")
            res["train"]["train_windows"] = n_train
            res["train"]["seconds_per_epoch"] = sps * n_train / bs if sps and n_train else None
            res["config"] = manifest["config"]
            res["checkpoint"] = target
            results[Path(target).name] = res
        elif kind == "ludb_baselines":
            baselines = res
        elif kind == "ludb_openecg":
            openecg = res
        else:
            if qtdb is None:
                qtdb = {"records": res["records"], "window_s": res["window_s"], "fiducials": {}}
            qtdb["fiducials"].update(res["fiducials"])
    boot = bootstrap_iou({m: np.asarray(r["confusion_per_record"]) for m, r in results.items()}, n_boot=n_boot,
                         pairs=pairs)
    for m, r in results.items():
        r["per_sample_ci95"] = boot["models"][m]
    if qtdb is not None:  # models first, then the baselines, as in the LUDB tables
        order = [Path(ck).name for ck in checkpoints] + list(BASELINES)
        qtdb["fiducials"] = {m: qtdb["fiducials"][m] for m in order if m in qtdb["fiducials"]}
    timing = {}
    # every checkpoint, alone after the accuracy parts; the first LLM one also with the variants
    timed = sorted(manifests, key=lambda ck: not manifests[ck]["config"]["backbone"]["use_llm"])
    if timing_records:
        torch.set_num_threads(1)
        first_llm = next((ck for ck in timed if manifests[ck]["config"]["backbone"]["use_llm"]), None)
        for ck in timed:
            log(f"timing {Path(ck).name}")
            timing[Path(ck).name] = time_inference(load_checkpoint(ck), root, record_ids[:timing_records],
                                                   variants=ck == first_llm)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    tables = _tables(results, baselines, qtdb, timing, boot["pairs"])
    tables[2:2] = _openecg_tables(openecg, results, record_ids)
    data = {"dataset": "ludb", "root": str(root), "records": record_ids,
            "leads": "all 12, each lead scored on its annotated span", "tolerance_ms": TOLERANCE_MS}
    if qtdb is not None:
        data["qtdb"] = {"root": str(qtdb_root), "records": qtdb["records"], "annotations": "q1c", "window_s": QTDB_WINDOW_S}
    notes = [
        ("Per-sample IoU/F1 are pooled over all validation leads inside each lead's annotated span, at 500 Hz "
         "(model probabilities are decoded at 500 Hz, see the next note)."),
        ("Model masks: each lead's class probabilities are blended half-and-half with the mean over the record's "
         "leads (medts.medtsllm.infer.blend_leads; weight chosen on LUDB training records 1-130), interpolated "
         "linearly to 500 Hz, argmax per sample, then P/QRS runs < 30 ms and T runs < 50 ms are relabelled as "
         "their neighbour "
         "(medts.medtsllm.infer.decode_masks, also used by medts segment); the same decoding feeds IoU and "
         "fiducials. The interpolation was chosen without looking at validation scores (it replaces "
         "nearest-sample mapping, which snaps boundaries to the model's 10 ms grid)."),
        ("Fiducials match detections to the cardiologists' marks within ±150 ms, one to one, closest first "
         "(medts.bench.metrics.match_fiducials); NeuroKit2 and fused-delineation rows come from "
         "medts.bench.delineation.ludb_record_result on the same records in this run."),
        "Model peaks: the sample of largest deviation from the chord between the wave's onset and offset values.",
        ("QTDB q1c: the cardiologist marked selected beats, so only sensitivity and errors are reported; models "
         "and NeuroKit2 are run on each of the 2 leads and pooled; the fused delineation gives one fiducial per "
         "beat. Leads-concatenated checkpoints need 12 leads and are not run on QTDB."),
        ("Inference time: CPU seconds (time.process_time) per 10 s 12-lead record (resampling, prompts, all "
         "windows x leads in one batch with each distinct prompt run once, decoding; 1 thread), on a 2-core CPU "
         "shared with other jobs, so wall times are inflated (load averages in the timing table); the "
         "per-model column comes from the evaluation pass"
         + (f" ({workers} parts in parallel processes)" if workers > 1 else "")
         + "; the timing table was measured alone at the end of the run."),
        ("openecg (PyPI openecg==0.11.0, bundled codec_v6, per lead at 500 Hz): trained on LUDB except its 41 "
         "validation records (github.com/vitaldb/openecg data/splits/ludb_v1.json), so it is scored only on the "
         f"records here outside that training split ({', '.join(map(str, openecg.get('records', []))) or 'none'}), "
         "per sample like the models, its paced-QRS class counted as QRS; the models' rows in that table are "
         "recomputed from their per-record confusions on the same records. Not in the fiducial tables."),
        (f"Peak resident memory: {peak_mb:.0f} MB for the main process"
         + (f", {peak_child_mb:.0f} MB for the largest worker process." if workers > 1 else ".")),
    ]
    metrics = {"models": results, "baselines": baselines, "openecg": openecg, "qtdb": qtdb, "timing": timing,
               "bootstrap": {k: v for k, v in boot.items() if k != "models"}, "peak_rss_mb": peak_mb,
               "peak_rss_worker_mb": peak_child_mb if workers > 1 else None}
    return write_results(name, command=command, data=data, metrics=metrics, notes=notes, markdown_tables=tables,
                         baselines={m: baselines[m] for m in BASELINES})


def _openecg_tables(openecg: dict[str, Any], results: dict[str, Any], record_ids: list[int]) -> list[str]:
    """openecg's per-sample IoU beside every model's on the same records (its LUDB val records only)."""
    ids = openecg.get("records") or []
    if not ids:
        return []
    keep = [record_ids.index(rid) for rid in ids]
    rows = [["openecg", *(openecg["per_sample"][k] for k in BOOT_KEYS)]]
    for label, r in results.items():
        conf = np.asarray(r["confusion_per_record"])[keep].sum(axis=0)
        rows.append([label, *(iou_f1(conf)[k] for k in BOOT_KEYS)])
    return [f"## openecg per-sample segmentation, records outside its LUDB training split ({', '.join(map(str, ids))})",
            markdown_table(["method", "IoU P", "IoU QRS", "IoU T", "mean IoU"], rows)]


def _tables(results: dict[str, Any], baselines: dict[str, Any], qtdb: dict[str, Any] | None,
            timing: dict[str, Any], pairs: list[dict[str, Any]]) -> list[str]:
    rows = []
    for label, r in results.items():
        ps, cfg = r["per_sample"], r["config"]
        llm = cfg["backbone"]["use_llm"]
        lo, hi = r["per_sample_ci95"]["mean_iou"]
        rows.append([label, cfg["backbone"]["n_layers"] if llm else "none", cfg["lora"]["r"] if llm else "",
                     cfg["data"]["lead_mode"], r["train"].get("steps"),
                     ps["iou_P"], ps["iou_QRS"], ps["iou_T"], ps["mean_iou"], f"{lo:.3f}-{hi:.3f}", ps["mean_f1"],
                     (r["parameter_counts"] or {}).get("trainable_total"), r["train"].get("seconds_per_step"),
                     r["train"].get("seconds_per_epoch"), r["inference_s_per_record"].get("cpu_median")])
    t1 = markdown_table(["model", "LLM layers", "LoRA r", "leads", "steps", "IoU P", "IoU QRS", "IoU T", "mean IoU",
                         "mean IoU 95 % CI", "mean F1 (sample)", "trainable params", "train s / step", "train s / epoch",
                         "inference CPU s / 10 s 12-lead record"], rows)
    methods = list(results) + list(BASELINES)

    def fid(m: str) -> dict[str, Any]:
        return results[m]["fiducials"] if m in results else baselines[m]["fiducials"]

    f1_rows = [[k] + [fid(m)[k]["f1"] for m in methods]
               + [max(fid(m)[k]["f1"] or 0 for m in ("nk_dwt", "nk_prominence"))] for k in FIDUCIALS]
    t2 = markdown_table(["fiducial"] + methods + ["best NeuroKit2"], f1_rows)
    err_rows = [[k] + [_mean_sd(fid(m)[k]) for m in methods] for k in FIDUCIALS]
    t3 = markdown_table(["fiducial"] + methods, err_rows)
    tables = ["## LUDB per-sample segmentation", t1]
    if pairs:
        def delta(p: dict[str, Any], k: str) -> str:
            lo, hi = p["interval"][k]
            return f"{p['delta'][k]:+.3f} ({lo:+.3f} to {hi:+.3f})"

        tables += ["## LLM row minus its no-LLM twin (paired bootstrap over records, 95 % interval)",
                   markdown_table(["LLM row", "no-LLM twin", "Δ IoU P", "Δ IoU QRS", "Δ IoU T", "Δ mean IoU",
                                   "ahead beyond the interval"],
                                  [[p["llm"], p["twin"]] + [delta(p, k) for k in BOOT_KEYS]
                                   + ["yes" if p["llm_ahead_beyond_interval"] else "no"] for p in pairs])]
    tables += ["## LUDB fiducial F1 (±150 ms)", t2,
              "## LUDB fiducial error, mean ± SD (ms)", t3]
    if qtdb is not None:
        qm = list(qtdb["fiducials"])
        rows = [[k] + [_se_err(qtdb["fiducials"][m][k]) for m in qm] for k in FIDUCIALS]
        tables += [f"## QTDB q1c ({len(qtdb['records'])} records): sensitivity, mean ± SD error (ms)",
                   markdown_table(["fiducial"] + qm, rows)]
    if timing:
        tables += ["## Inference time per 10 s 12-lead record: CPU s (wall s), median", _timing_rows(timing)]
    return tables


def _mean_sd(s: dict[str, Any]) -> str:
    if s.get("mean_error_ms") is None:
        return ""
    return f"{s['mean_error_ms']:.1f} ± {s['sd_error_ms'] or 0:.1f}"


def _se_err(s: dict[str, Any]) -> str:
    if s.get("sensitivity") is None:
        return ""
    return f"{s['sensitivity']:.3f} ({_mean_sd(s)})"


