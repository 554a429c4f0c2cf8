"""Load a shipped classifier and predict PTB-XL statements for any ECG.

An adapter folder (``adapters/classifier-<level>/``) holds ``model.safetensors`` (one or more
member networks, prefixed ``members.<i>.``), ``manifest.json`` (member configs, labels,
thresholds, preprocessing, data, metrics, the training command and reference probabilities
for a few validation records) and ``MODEL_CARD.md``. :meth:`Classifier.load` rebuilds the
networks from the manifest and loads the weights strictly.

Inference: the record is put in canonical 12-lead order (missing leads **zeroed and listed in
the output**), resampled to the model rate, band-passed and z-scored per lead, cut into 2.5 s
windows (stride from the manifest); window probabilities are averaged per record and over ensemble
members. Inference runs on copies of the members with batch norm folded into the convolutions
(about 10% faster on CPU), run as channels-last 2-D convolutions (:func:`to_channels_last_2d`:
1.2x faster for xresnet1d, 1.4x for inception1d on the development CPU), in chunks of 256 windows
(smaller chunks stay in cache: faster than 1024 on the development CPU). Every output is a draft
for clinician review.

Reduced-lead records: :func:`load_classifier` is the one loader every classifying surface uses
(``medts classify``, reports, the agent's tools and through them the app and the MCP server). For a
level with a registered reduced-lead adapter (:data:`medts.adapters.REDUCED_LEAD_CLASSIFIERS`) it
attaches that adapter, and :meth:`Classifier.predict_many` scores each record that lacks a standard
lead (missing or flat) with it instead of zero-filling the record into the 12-lead model; the
prediction names the model (``model``) and the leads it used (``leads_present``) and says so in
``notes``. Records with all 12 leads are scored exactly as before.

Example
-------
>>> from medts.classify.predict import Classifier, default_adapter_dir
>>> clf = Classifier.load(default_adapter_dir("superdiagnostic"))   # doctest: +SKIP
>>> clf.predict(ecg).present                                        # doctest: +SKIP
['NORM']
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from medts.classify.calibrate import Threshold
from medts.classify.data import sliding_windows, window_starts
from medts.classify.fusion import FusionHead, cached_record_features
from medts.classify.models import (
    ECGClassifierNet,
    ModelConfig,
    build_model,
    fold_batchnorm,
    to_channels_last_2d,
)
from medts.classify.outputs import ClassifierPrediction, StatementPrediction, describe_label
from medts.errors import MedtsError
from medts.record import ECG
from medts.serialization import json_default

AGGREGATES = ("mean", "max")
FUSED_PATH = "CNN + measurements (late fusion)"
"""``scored_by`` of a record scored by a fusion head (:mod:`medts.classify.fusion`); otherwise ``CNN``."""


def default_adapter_dir(level: str) -> Path:
    """``adapters/classifier-<level>`` in the checkout (see :mod:`medts.adapters`)."""
    from medts.adapters import classifier_dir

    return classifier_dir(level)


def load_classifier(folder: str | Path) -> Classifier:
    """The classifier in ``folder`` as every classifying surface uses it (strict weight loading).

    When ``folder`` is the shipped adapter of a level that has a reduced-lead adapter
    (:func:`medts.adapters.reduced_lead_dir`), that adapter is attached as :attr:`Classifier.reduced`
    (its weights load on the first record that needs them: 12-lead use pays nothing): records lacking a
    standard lead are scored by it (see :meth:`Classifier.predict_many`). Any other folder (``--adapter``,
    a trained copy) is loaded as it is.

    Raises
    ------
    MedtsError
        When an adapter is missing or broken, or the reduced-lead adapter does not score the same
        classes on the same preprocessing.
    """
    from medts.adapters import classifier_dir, load_manifest, reduced_lead_dir

    clf = Classifier.load(folder)
    if Path(folder).resolve() != classifier_dir(clf.level).resolve():
        return clf
    attach_fusion(clf)
    reduced = reduced_lead_dir(clf.level)
    if reduced is None:
        return clf
    companion = load_manifest(reduced)
    if companion.get("classes") != clf.classes or companion.get("preprocessing") != clf.manifest.get("preprocessing"):
        raise MedtsError(f"{reduced}: reduced-lead adapter does not score {clf.name}'s classes on its preprocessing")
    clf.reduced_dir = reduced
    return clf


def attach_fusion(clf: Classifier) -> Classifier:
    """Attach the shipped late-fusion head of ``clf``'s level (:func:`medts.adapters.hybrid_head_dir`) as
    :attr:`Classifier.fusion`, loaded strictly (a corrupt head raises :class:`MedtsError`, one line); none shipped:
    ``clf`` unchanged."""
    from medts.adapters import hybrid_head_dir

    folder = hybrid_head_dir(clf.level)
    if folder is None:
        return clf
    head = FusionHead.load(folder)
    if head.classes != clf.classes or head.manifest.get("fuses") != clf.name:
        raise MedtsError(f"{folder}: fusion head does not fuse {clf.name}'s classes")
    clf.fusion = head
    return clf


def classifier_for_level(level: str) -> Classifier:
    """The shipped classifier for a PTB-XL label level, or the all-statement one restricted to the level.

    Raises
    ------
    MedtsError
        When no shipped adapter serves ``level`` (the message lists the levels that have one).
    """
    from medts.adapters import classifier_dir, is_classifier
    from medts.labels import LEVELS, level_classes

    if level not in LEVELS:
        raise MedtsError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    if is_classifier(classifier_dir(level)):
        return load_classifier(classifier_dir(level))
    from medts.adapters import level_availability

    available = level_availability()
    if level not in available:
        raise MedtsError(f"no classifier for level {level!r} is shipped and it cannot be derived from another; "
                         f"levels available: {', '.join(available) or 'none'}")
    return load_classifier(classifier_dir("all")).restricted(level, level_classes(level))


SMALL_INPUT_WINDOWS = 64
"""Inputs with fewer windows than this run on one torch thread: several threads cannot speed up such
small convolutions, and on a shared CPU their synchronisation made single-record calls 10-40x slower
(measured: 0.4 vs 10-16 records/s with 2 vs 1 threads on the 2-core development machine under load)."""


@contextlib.contextmanager
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@torch.inference_mode()
def predict_signals(
    members: list[ECGClassifierNet],
    signals: np.ndarray,
    *,
    window: int,
    stride: int,
    aggregate: str = "mean",
    batch_size: int = 256,
) -> np.ndarray:
    """Probabilities ``float32 [n_records, n_classes]`` for preprocessed ``signals [n, n_samples, 12]``.

    Each record is cut into windows; window probabilities are aggregated (``mean`` or ``max``)
    per record, then averaged over ensemble ``members``.
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {AGGREGATES}, got {aggregate!r}")
    n_classes = members[0].config.n_classes
    if len(signals) == 0:
        return np.zeros((0, n_classes), np.float32)
    n_windows = len(window_starts(max(signals.shape[1], window), window, stride))
    if len(signals) * n_windows < SMALL_INPUT_WINDOWS and torch.get_num_threads() > 1:
        with _one_thread():
            return predict_signals(members, signals, window=window, stride=stride, aggregate=aggregate,
                                   batch_size=batch_size)
    per_chunk = max(1, batch_size // n_windows)
    blocks = []
    for start in range(0, len(signals), per_chunk):
        chunk = signals[start : start + per_chunk]
        x = torch.from_numpy(sliding_windows(chunk, window, stride))  # [records * windows, leads, window]
        member_probs = []
        for net in members:
            device = next(net.parameters()).device
            probs = torch.sigmoid(net.eval()(x.to(device)).float()).cpu().numpy()
            probs = probs.reshape(len(chunk), n_windows, n_classes)
            member_probs.append(probs.mean(axis=1) if aggregate == "mean" else probs.max(axis=1))
        blocks.append(np.mean(member_probs, axis=0).astype(np.float32))
    return np.concatenate(blocks)


class Classifier:
    """One or more networks (an ensemble averages probabilities) with labels and thresholds.

    Parameters
    ----------
    members : list of ECGClassifierNet
    classes : list of str
        Output order (``medts.labels.level_classes(level)``).
    thresholds : dict of str to Threshold
        Present when ``probability >= threshold`` (chosen by ``manifest['decision_rule']``, see
        :mod:`medts.classify.calibrate`).
    manifest : dict
        Everything else recorded with the weights (level, window, stride, aggregate, data, metrics).
    """

    def __init__(self, members: list[ECGClassifierNet], classes: list[str],
                 thresholds: dict[str, Threshold], manifest: dict[str, Any]):
        if not members:
            raise ValueError("a classifier needs at least one member network")
        self.members = [m.eval() for m in members]
        # inference runs on copies with batch norm folded into the convolutions, run as channels-last
        # 2-D convolutions (faster oneDNN kernels); the saved weights are unchanged
        self.inference_members = [to_channels_last_2d(fold_batchnorm(m)) for m in self.members]
        self.classes = list(classes)
        self.thresholds = thresholds
        self.manifest = manifest
        cfg = members[0].config
        self.fs_hz = cfg.fs_hz
        self.window = int(manifest.get("window_samples", cfg.window_samples))
        self.stride = int(manifest.get("stride_samples", self.window // 2))
        self.aggregate = str(manifest.get("aggregate", "mean"))
        self.level = str(manifest.get("level", "?"))
        self.name = str(manifest.get("name", f"classifier-{self.level}"))
        rule = manifest.get("decision_rule")
        self.decision_rule = str(rule["name"]) if isinstance(rule, dict) and "name" in rule else None
        self.reported = list(self.classes)
        """The classes a prediction lists (a subset when the classifier serves a narrower level)."""
        self.reduced_dir: Path | None = None
        """Adapter that scores the records lacking a standard lead (set by :func:`load_classifier`); see :attr:`reduced`."""
        self._reduced: Classifier | None = None
        recipe = manifest.get("train_config")
        self.lead_dropout = float(recipe.get("lead_dropout") or 0.0) if isinstance(recipe, dict) else 0.0
        """Probability a lead was zeroed per training window (0: trained on 12 leads only)."""
        self.fusion: FusionHead | None = None
        """Late-fusion head (CNN + measurements) for 12-lead records, set by :func:`load_classifier` for the shipped
        adapters (:mod:`medts.classify.fusion`); :meth:`predict_proba` (batch, preprocessed signals) never uses it."""
        self.reduced_lead_model = isinstance(manifest.get("reduced_leads"), dict)
        """The adapter was validated per lead set (manifest ``reduced_leads``): the engine's lead rule for
        lead-dropout scores (:data:`medts.interpret.statements.REDUCED_LEAD_MODEL_LEADS`) applies to it."""

    def restricted(self, level: str, classes: list[str]) -> Classifier:
        """This classifier reporting only ``classes`` (its own probabilities and thresholds) as ``level``."""
        unknown = [c for c in classes if c not in self.classes]
        if unknown:
            raise MedtsError(f"{self.name} does not score {', '.join(unknown)}")
        view = copy.copy(self)
        view.reported = list(classes)
        view.name = f"{self.name} ({level} statements)"
        view.level = level
        return view

    @property
    def reduced(self) -> Classifier | None:
        """The reduced-lead classifier of :attr:`reduced_dir` (loaded on first use), or None."""
        if self._reduced is None and self.reduced_dir is not None:
            self._reduced = Classifier.load(self.reduced_dir)
        return self._reduced

    # -- persistence -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write ``model.safetensors`` and ``manifest.json`` to ``folder``."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        half = self.manifest.get("weights_dtype") == "float16"
        tensors = {f"members.{i}.{k}": _stored(v, half)
                   for i, m in enumerate(self.members) for k, v in m.state_dict().items()}
        save_file(tensors, folder / "model.safetensors", metadata={"format": "pt", "medts": "classifier"})
        manifest = {
            **self.manifest,
            "members": [m.config.to_dict() for m in self.members],
            "classes": self.classes,
            "thresholds": {c: t.to_dict() for c, t in self.thresholds.items()},
            "fs_hz": self.fs_hz,
            "window_samples": self.window,
            "stride_samples": self.stride,
            "aggregate": self.aggregate,
            "level": self.level,
            "name": self.name,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=json_default) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Classifier:
        """Rebuild a classifier from an adapter folder (strict weight loading).

        Raises
        ------
        MedtsError
            When the folder, manifest or weights are missing or do not match.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        folder = Path(folder)
        manifest_path, weights_path = folder / "manifest.json", folder / "model.safetensors"
        if not manifest_path.is_file() or not weights_path.is_file():
            raise MedtsError(f"{folder}: not a classifier adapter (needs manifest.json and model.safetensors)")
        try:
            manifest = json.loads(manifest_path.read_text())
        except json.JSONDecodeError as error:
            raise MedtsError(f"{manifest_path}: not valid JSON ({error})") from None
        missing = [key for key in ("members", "classes", "thresholds") if key not in manifest]
        if missing:
            raise MedtsError(f"{manifest_path}: not a classifier manifest (no {', '.join(missing)})")
        try:
            tensors = load_file(weights_path)
        except SafetensorError as error:
            raise MedtsError(f"{weights_path}: not a readable safetensors file ({error})") from None
        members = []
        for i, cfg_dict in enumerate(manifest["members"]):
            net = build_model(ModelConfig.from_dict(cfg_dict))
            prefix = f"members.{i}."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            try:
                net.load_state_dict(state, strict=True)
            except RuntimeError as error:
                raise MedtsError(f"{weights_path}: weights do not match manifest member {i}: {error}") from None
            members.append(net.eval())
        thresholds = {c: Threshold(**t) for c, t in manifest["thresholds"].items()}
        return cls(members, manifest["classes"], thresholds, manifest)

    # -- inference ---------------------------------------------------------------------------
    def predict_proba(self, signals: np.ndarray) -> np.ndarray:
        """Probabilities for preprocessed ``signals float32 [n, n_samples, 12]`` at the model rate."""
        return predict_signals(self.inference_members, signals, window=self.window, stride=self.stride,
                               aggregate=self.aggregate)

    def predict(self, ecg: ECG) -> ClassifierPrediction:
        """Statements for one record (see :meth:`predict_many`)."""
        return self.predict_many([ecg])[0]

    def scorer(self, signal: np.ndarray) -> Classifier:
        """The classifier that scores the model input ``signal [n_samples, 12]``: :attr:`reduced` when
        it is set and a lead is all zero (missing or flat), else this one."""
        if self.reduced_dir is None or signal.any(axis=0).all():
            return self
        return self.reduced  # type: ignore[return-value]

    def predict_many(self, ecgs: list[ECG],
                     inputs: list[tuple[np.ndarray, list[str]]] | None = None) -> list[ClassifierPrediction]:
        """Statements with probabilities, thresholds and present/absent for each record.

        Records of equal length are scored in one batch. Missing leads are zeroed and named in
        ``missing_leads`` and ``notes``; a statement above threshold that needs a missing or flat
        lead is ``withheld`` with the reason; other sampling rates are resampled to the model rate.
        With :attr:`reduced` set, records lacking a lead are scored by it (:meth:`scorer`) and the
        notes say which model scored them instead of this one.

        ``inputs`` are the records' :func:`~medts.classify.preprocess.model_input` at :attr:`fs_hz` (signal,
        missing leads) when the caller made them already (``medts classify``'s worker gets them from the
        command's process, so it never imports scipy.signal for the band-pass).
        """
        if inputs is None:
            inputs = [_model_input(ecg, self.fs_hz) for ecg in ecgs]
        routed = [i for i, (x, _) in enumerate(inputs) if self.scorer(x) is not self]
        reduced = self.reduced if routed else None
        if reduced is None:
            return self._predict_inputs(ecgs, inputs)
        kept = [i for i in range(len(ecgs)) if i not in set(routed)]
        out: list[ClassifierPrediction | None] = [None] * len(ecgs)
        for clf, idx in ((self, kept), (reduced, routed)):
            sub = [inputs[i] if clf.fs_hz == self.fs_hz else _model_input(ecgs[i], clf.fs_hz) for i in idx]
            for i, pred in zip(idx, clf._predict_inputs([ecgs[i] for i in idx], sub) if idx else []):
                out[i] = pred
        for i in routed:
            pred = out[i]
            pred.notes.insert(0, f"scored by {reduced.name} (trained with lead dropout {reduced.lead_dropout:g} "
                                 f"for records without all 12 leads) instead of the 12-lead {self.name}, on the "
                                 f"lead(s) present: {', '.join(pred.leads_present) or 'none (every lead missing or flat)'}")
        return out  # type: ignore[return-value]

    def _predict_inputs(self, ecgs: list[ECG], inputs: list[tuple[np.ndarray, list[str]]]) -> list[ClassifierPrediction]:
        """:meth:`predict_many` with the model inputs (:func:`_model_input` at this model's rate) given."""
        from medts.interpret.statements import required_leads
        from medts.record import STANDARD_LEADS

        probs: list[np.ndarray | None] = [None] * len(ecgs)
        by_length: dict[int, list[int]] = {}
        for i, (x, _) in enumerate(inputs):
            by_length.setdefault(x.shape[0], []).append(i)
        for idx in by_length.values():
            batch = self.predict_proba(np.stack([inputs[i][0] for i in idx]))
            for row, i in enumerate(idx):
                probs[i] = batch[row]
        results = []
        reported = set(self.reported)
        for ecg, (x, missing), p in zip(ecgs, inputs, probs):
            flat = {lead for lead, zero in zip(STANDARD_LEADS, ~x.any(axis=0)) if zero}
            absent = [lead for lead in STANDARD_LEADS if lead in flat or lead in missing]
            fused = self._fused(ecg, x, p) if self.fusion is not None and not absent else None
            statements = []
            for j, (code, prob) in enumerate(zip(self.classes, p)):
                if code not in reported:
                    continue
                threshold = self.thresholds[code].threshold
                needed = list(required_leads(code, reduced_lead_model=self.reduced_lead_model))
                lacking = [lead for lead in needed if lead in absent]
                cnn = {}
                if fused is not None:  # the fused score decides; the CNN's own stays beside it
                    cnn = {"cnn_probability": round(float(prob), 6), "cnn_threshold": round(threshold, 6)}
                    prob, threshold = fused[j], self.fusion.thresholds[code].threshold
                present = bool(prob >= threshold)
                statements.append(StatementPrediction(
                    code=code, description=describe_label(code),
                    probability=round(float(prob), 6), threshold=round(threshold, 6), present=present,
                    leads_needed=needed,
                    withheld=(f"needs lead(s) {', '.join(lacking)}, which the record lacks (missing or flat)"
                              if present and lacking else None), **cnn,
                ))
            notes = []
            if fused is not None:
                notes.append(f"scored by: {FUSED_PATH} ({self.fusion.name}: w={self.fusion.weight:g}, trees fit on PTB-XL "
                             "folds 1-8, w and thresholds chosen on fold 9); the CNN's own probabilities are in cnn_probability")
            if missing and self.lead_dropout > 0:
                notes.append(f"lead(s) {', '.join(missing)} missing: zero inputs, as in this model's lead-dropout "
                             "training; statements that need those leads are withheld")
            elif missing:
                notes.append(
                    f"lead(s) {', '.join(missing)} missing: zeroed before classification; the model was "
                    "trained on 12 leads, so these outputs are less reliable, and statements that need "
                    "those leads are withheld"
                )
            if ecg.fs != self.fs_hz:
                notes.append(f"resampled from {ecg.fs:g} Hz to {self.fs_hz:g} Hz")
            results.append(ClassifierPrediction(
                record_id=ecg.record_id, source=ecg.source, model=self.name, level=self.level,
                fs_hz_input=ecg.fs, fs_hz_model=self.fs_hz, resampled=ecg.fs != self.fs_hz,
                missing_leads=missing, notes=notes, absent_leads=absent,
                leads_present=[lead for lead in STANDARD_LEADS if lead not in absent],
                reduced_lead_model=self.reduced_lead_model,
                present=[s.code for s in sorted(statements, key=lambda s: -s.probability) if s.present and not s.withheld],
                withheld=[s.code for s in sorted(statements, key=lambda s: -s.probability) if s.withheld],
                statements=statements, decision_rule=self.decision_rule,
                scored_by=FUSED_PATH if fused is not None else "CNN",
            ))
        return results

    def _fused(self, ecg: ECG, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Fused probabilities ``[n_classes]`` of one 12-lead record (CNN probabilities ``p``, model input ``x``)."""
        features = cached_record_features(ecg, x, self.fs_hz)
        return self.fusion.fuse(p[None, :], features[None, :])[0]


def _model_input(ecg: ECG, fs_hz: float) -> tuple[np.ndarray, list[str]]:
    """:func:`medts.classify.preprocess.model_input`, imported on first use: its band-pass loads scipy.signal
    (about 0.6 CPU-s), which ``medts classify``'s worker never needs (it is handed the model input)."""
    from medts.classify.preprocess import model_input

    return model_input(ecg, fs_hz=fs_hz)


def round_weights_to_float16(net: ECGClassifierNet) -> ECGClassifierNet:
    """Round ``net``'s floating-point parameters and buffers to float16 values, in place (kept float32).

    An adapter saved with ``weights_dtype: float16`` stores exactly these values, so the
    network scored before saving is bit-for-bit the one that reloads (half the file size).
    """
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
    return net


def _stored(tensor: torch.Tensor, half: bool) -> torch.Tensor:
    tensor = tensor.detach().cpu().contiguous()
    return tensor.half() if half and tensor.is_floating_point() else tensor


