"""``medts train segmentation|anomaly --data ROOT --config cfg.yaml --out DIR``: MedTsLLM training."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from medts.commands.train import train_app
from medts.errors import MedtsError


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _run(task: str, data: Optional[Path], config: Optional[Path], out: Path, steps: Optional[int],
         assignments: list[str], as_json: bool) -> None:
    from medts.config import dataset_dir
    from medts.medtsllm.checkpoint import save_checkpoint
    from medts.medtsllm.config import load_config, with_overrides
    from medts.medtsllm.train import train_model

    cfg = with_overrides(load_config(config, task=task), assignments)  # type: ignore[arg-type]
    if steps is not None:
        cfg = cfg.replace(train={"steps": steps})
    if task == "segmentation":
        from medts.medtsllm.data import LudbWindows

        root = data or dataset_dir("ludb")
        if root is None or not Path(root).is_dir():
            raise MedtsError(f"{root}: LUDB folder not found (pass --data)")
        a, b = cfg.data.train_records
        c, d = cfg.data.val_records
        with_prompts = cfg.backbone.use_llm
        _log(f"reading LUDB records {a}-{b} (train) and {c}-{d} (validation) from {root}")
        train_set = LudbWindows(root, range(a, b + 1), cfg, with_prompts=with_prompts)
        val_set = LudbWindows(root, range(c, d + 1), cfg, with_prompts=with_prompts)
        data_info = {"dataset": "ludb", "root": str(root), "train_records": [a, b], "val_records": [c, d],
                     "train_windows": len(train_set), "val_windows": len(val_set)}
        if cfg.data.qtdb_train != "none":
            train_set, data_info["qtdb"] = _with_qtdb(train_set, cfg, with_prompts)
    else:
        train_set, val_set, data_info, calib = _anomaly_data(cfg, data)
    _log(f"{len(train_set)} training windows, {len(val_set)} validation windows")
    command = "medts " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    def save_partial(partial) -> None:  # train.save_every: the latest weights survive a stopped run
        save_checkpoint(partial.model, out, data=data_info, metrics={**_metrics(partial), "partial": True},
                        command=command, extra={"train_losses": partial.train_losses})
        _log(f"saved step {partial.steps} to {out}")

    model = _initial_model(cfg)
    result = train_model(cfg, train_set, val_set, log=_log, on_save=save_partial, model=model)
    metrics = _metrics(result)
    extra: dict = {"train_losses": result.train_losses}
    if task == "anomaly":
        from medts.medtsllm.anomaly import calibrate_threshold

        _log(f"calibrating the beat threshold on {len(calib)} training-record segments")
        extra["threshold"] = calibrate_threshold(result.model, calib)
        _log(f"threshold {extra['threshold']['value']:.4f} (F1 {extra['threshold']['f1_on_calibration']})")
    manifest = save_checkpoint(result.model, out, data=data_info, metrics=metrics, command=command, extra=extra)
    summary = {"checkpoint": str(out), "manifest": str(manifest), **metrics}
    if as_json:
        print(json.dumps(summary, default=str))
    else:
        _log(f"saved {out}")


def _with_qtdb(ludb_set, cfg, with_prompts: bool):
    """LUDB training windows plus QTDB's marked beats (``data.qtdb_train``), and what was read."""
    from torch.utils.data import ConcatDataset

    from medts.config import dataset_dir
    from medts.medtsllm.qtdb_data import QtdbWindows, qtdb_training_names

    root = dataset_dir("qtdb")
    if root is None or not Path(root).is_dir():
        raise MedtsError("data.qtdb_train needs the QTDB folder (shared data or $MEDTS_DATA/qtdb): not found")
    try:
        names = qtdb_training_names(root, cfg.data.qtdb_train)
        qtdb_set = QtdbWindows(root, names, cfg, with_prompts=with_prompts)
    except ValueError as err:
        raise MedtsError(str(err)) from err
    _log(f"QTDB: {len(qtdb_set)} training windows from {len(names)} records ({cfg.data.qtdb_train} half)")
    return ConcatDataset([ludb_set, qtdb_set]), {"root": str(root), "half": cfg.data.qtdb_train,
                                                 "records": names, "train_windows": len(qtdb_set)}


ARCHITECTURE_SECTIONS = ("task", "backbone", "lora", "encoder", "head")


def _initial_model(cfg):
    """``None`` (a fresh model) or, with ``train.init_from``, that checkpoint's model carrying
    ``cfg`` (prompt, data and training may differ; the architecture may not)."""
    if not cfg.train.init_from:
        return None
    from medts.medtsllm.checkpoint import load_checkpoint, read_manifest
    from medts.medtsllm.config import MedTsLLMConfig

    start = MedTsLLMConfig.from_dict(read_manifest(cfg.train.init_from)["config"]).to_dict()  # JSON lists -> tuples
    now = cfg.to_dict()
    differ = [k for k in ARCHITECTURE_SECTIONS if start.get(k) != now.get(k)]
    if differ or start["data"]["lead_mode"] != now["data"]["lead_mode"]:
        raise MedtsError(f"{cfg.train.init_from}: checkpoint architecture differs from the config in "
                         f"{', '.join(differ) or 'data.lead_mode'}")
    model = load_checkpoint(cfg.train.init_from)
    model.config = cfg
    _log(f"starting from {cfg.train.init_from}")
    return model


def _metrics(result) -> dict:
    """Manifest metrics of a (possibly partial) ``TrainResult``."""
    return {
        "final_val": result.val_history[-1] if result.val_history else None,
        "val_history": result.val_history,
        "train_loss_first": result.train_losses[0] if result.train_losses else None,
        "train_loss_last10_mean": float(sum(result.train_losses[-10:]) / max(1, len(result.train_losses[-10:]))),
        "train_seconds": result.seconds,
        "steps": result.steps,
        "windows_seen": result.windows_seen,
        "seconds_per_step": result.seconds / max(1, result.steps),
    }


def _anomaly_data(cfg, data: Optional[Path]):
    """Training windows (PVC-free, first 90 % of each training record), validation windows (the
    last 10 %, all windows) and threshold-calibration segments (first ``CALIB_MINUTES`` minutes
    of each training record) from MIT-BIH ``mlii_npz`` records; held-out records are not read."""
    from medts.config import dataset_dir
    from medts.medtsllm.anomaly import AnomalyWindows, mitdb_npz_path, read_beat_record, split_record

    root = data or dataset_dir("mitdb")
    if root is None or not Path(root).is_dir():
        raise MedtsError(f"{root}: MIT-BIH folder not found (pass --data .../mitdb/mlii_npz)")
    ids = list(cfg.data.anomaly_train_records)
    overlap = set(ids) & set(cfg.data.anomaly_test_records)
    if overlap:
        raise MedtsError(f"anomaly_train_records and anomaly_test_records share records {sorted(overlap)}")
    _log(f"reading MIT-BIH records {ids} from {root}")
    recs = [read_beat_record(mitdb_npz_path(root, r), cfg.data.fs) for r in ids]
    parts = [split_record(r, 0.9) for r in recs]
    with_prompts = cfg.backbone.use_llm
    train_set = AnomalyWindows([a for a, _ in parts], cfg, normal_only=cfg.data.normal_only, with_prompts=with_prompts)
    val_set = AnomalyWindows([b for _, b in parts], cfg, normal_only=False, with_prompts=with_prompts)
    calib = [split_record(r, CALIB_MINUTES * 60 * r.fs / len(r.signal))[0] for r in recs]
    info = {"dataset": "mitdb/mlii_npz", "root": str(root), "lead": "MLII", "train_records": ids,
            "held_out_test_records": list(cfg.data.anomaly_test_records),
            "train_part": "first 90 % of each training record, windows without a ventricular beat" if cfg.data.normal_only
            else "first 90 % of each training record, all windows",
            "val_part": "last 10 % of each training record, all windows",
            "threshold_calibration": f"first {CALIB_MINUTES} min of each training record, detected beats",
            "train_windows": len(train_set), "val_windows": len(val_set)}
    return train_set, val_set, info, calib


CALIB_MINUTES = 5.0


def register(app: typer.Typer) -> None:  # the commands hang on train_app, registered by train.py
    del app


@train_app.command("segmentation")
def train_segmentation(
    data: Optional[Path] = typer.Option(None, help="LUDB root (default: the shared data folder)"),
    config: Optional[Path] = typer.Option(None, help="YAML MedTsLLM config (default: built-in defaults)"),
    out: Path = typer.Option(Path("runs/medtsllm-segmentation"), help="checkpoint folder to write"),
    steps: Optional[int] = typer.Option(None, help="override train.steps"),
    assignments: Optional[list[str]] = typer.Option(None, "--set", help="override one config field, SECTION.FIELD=VALUE "
                                                    "(YAML value; repeatable), e.g. --set backbone.n_layers=6"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary on stdout"),
) -> None:
    """Train the MedTsLLM segmentation head (P/QRS/T/none per sample) on LUDB."""
    _run("segmentation", data, config, out, steps, assignments or [], as_json)


@train_app.command("anomaly")
def train_anomaly(
    data: Optional[Path] = typer.Option(None, help="MIT-BIH folder (mitdb or mitdb/mlii_npz; default: shared data)"),
    config: Optional[Path] = typer.Option(None, help="YAML MedTsLLM config"),
    out: Path = typer.Option(Path("runs/medtsllm-anomaly"), help="checkpoint folder to write"),
    steps: Optional[int] = typer.Option(None, help="override train.steps"),
    assignments: Optional[list[str]] = typer.Option(None, "--set", help="override one config field, SECTION.FIELD=VALUE "
                                                    "(YAML value; repeatable), e.g. --set backbone.n_layers=6"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary on stdout"),
) -> None:
    """Train the MedTsLLM anomaly (reconstruction) head on normal-rhythm windows."""
    _run("anomaly", data, config, out, steps, assignments or [], as_json)
