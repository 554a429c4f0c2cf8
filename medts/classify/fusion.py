"""Late fusion of a shipped CNN classifier with a small model on the engine's measurements (issue #15).

A fusion head is an adapter folder ``adapters/classifier-<level>-hybrid/`` with ``manifest.json``,
``fusion.safetensors`` and ``MODEL_CARD.md``. It holds one boosted-tree model per class on the features of
:data:`medts.bench.hybrid.ALL_FEATURE_NAMES` (intervals, rate, HRV, rhythm features, axes, voltages, ST
and T levels per lead in mV, and ST/T levels per lead on the standardised model input) and one weight
``w``: the fused score of class ``c`` is ::

    sigmoid(logit(p_cnn[c]) + w * tree_logit[c])

the "hybrid, late fusion" row of ``medts bench ptbxl --nested --hybrid``
(:mod:`medts.bench.hybrid`, whose :func:`~medts.bench.hybrid.fit_models` fits the trees here). The shipped
heads fit the trees on PTB-XL folds 1-8 and choose ``w`` and the per-statement thresholds of the fused
scores on fold 9, as the shipped CNNs chose their epochs, members and thresholds.

Storage: the trees are arrays (no pickled objects), every node of every tree in one table: ``feature``
(column of :data:`FEATURE_NAMES`), ``threshold`` (go left when ``x <= threshold``), ``missing_left`` (where
a missing value goes), ``left``/``right`` (global node indices), ``is_leaf``, ``value`` (leaf logit
contribution); ``roots`` the first node of each tree and ``tree_class`` its class; ``baseline`` per class;
``has_model`` per class (0: too few training positives, the tree logit is 0 and the CNN alone scores it).
:meth:`FusionHead.tree_logits` walks all trees of all records at once and reproduces scikit-learn's
``decision_function`` (checked in the tests).

Inference on a record (:meth:`FusionHead.record_features`): two :func:`~medts.signal.measure.measure_ecg`
calls at 100 Hz, as in training: one on the record in mV resampled to 100 Hz (PTB-XL ``records100``),
one on the model input (band-passed, z-scored per lead). Only records with all 12 standard leads are fused
(:func:`medts.classify.predict.load_classifier` attaches a head; reduced-lead records keep the CNN path).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medts.errors import MedtsError

FUSION_FILE = "fusion.safetensors"
FORMAT = "medts-fusion-trees-v1"
MAX_DEPTH = 64
"""Tree walks stop after this many steps (the shipped trees have at most 8 leaves: depth <= 7)."""

_NODE_ARRAYS = {"feature": np.int32, "threshold": np.float64, "missing_left": np.uint8, "left": np.int32,
                "right": np.int32, "is_leaf": np.uint8, "value": np.float64}
_TREE_ARRAYS = {"roots": np.int32, "tree_class": np.int32}
_CLASS_ARRAYS = {"baseline": np.float64, "has_model": np.uint8}


def feature_names() -> tuple[str, ...]:
    """The feature columns a head reads, in order (:data:`medts.classify.features.ALL_FEATURE_NAMES`)."""
    from medts.classify.features import ALL_FEATURE_NAMES

    return ALL_FEATURE_NAMES


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to [1e-6, 1 - 1e-6] (as the nested bench's late fusion)."""
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def trees_from_models(models: list[Any], seen: np.ndarray) -> dict[str, np.ndarray]:
    """The node/tree/class arrays of :mod:`this module <medts.classify.fusion>` from fitted scikit-learn
    ``HistGradientBoostingClassifier`` s (binary; None for a class without a model), fit on the columns
    ``seen`` of the full feature table."""
    columns = np.flatnonzero(seen)  # model column j is feature column columns[j]
    nodes: dict[str, list[np.ndarray]] = {k: [] for k in _NODE_ARRAYS}
    roots, tree_class, baseline, has_model = [], [], [], []
    offset = 0
    for c, model in enumerate(models):
        has_model.append(model is not None)
        baseline.append(0.0 if model is None else float(np.ravel(model._baseline_prediction)[0]))
        for predictors in ([] if model is None else model._predictors):
            (tree,) = predictors  # binary: one tree per iteration
            t = tree.nodes
            if t["is_categorical"].any():
                raise ValueError("categorical splits are not supported by the fusion head")
            nodes["feature"].append(columns[t["feature_idx"]])
            nodes["threshold"].append(t["num_threshold"])
            nodes["missing_left"].append(t["missing_go_to_left"])
            nodes["left"].append(t["left"].astype(np.int64) + offset)
            nodes["right"].append(t["right"].astype(np.int64) + offset)
            nodes["is_leaf"].append(t["is_leaf"])
            nodes["value"].append(t["value"])
            roots.append(offset)
            tree_class.append(c)
            offset += len(t)
    out = {k: np.concatenate(v).astype(_NODE_ARRAYS[k]) if v else np.zeros(0, _NODE_ARRAYS[k])
           for k, v in nodes.items()}
    out.update(roots=np.asarray(roots, np.int32), tree_class=np.asarray(tree_class, np.int32),
               baseline=np.asarray(baseline, np.float64), has_model=np.asarray(has_model, np.uint8))
    return out


@dataclass
class FusionHead:
    """Measurement trees + late-fusion weight for one classifier (see the module docstring).

    Attributes
    ----------
    arrays : dict of str to ndarray
        The tree tables (:func:`trees_from_models`).
    weight : float
        ``w`` of the fused logit ``logit(p_cnn) + w * tree_logit``.
    classes : list of str
        Class order (the classifier's).
    thresholds : dict of str to Threshold
        Per-statement thresholds of the fused probabilities (chosen like the classifier's own).
    manifest : dict
        Everything else (what trained it, what chose ``w`` and the thresholds).
    """

    arrays: dict[str, np.ndarray]
    weight: float
    classes: list[str]
    thresholds: dict[str, Any]
    manifest: dict[str, Any]

    name_prefix = "CNN + measurements (late fusion)"

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", "fusion"))

    # -- scoring ------------------------------------------------------------------------------
    def tree_logits(self, features: np.ndarray) -> np.ndarray:
        """Measurement-model logits ``float64 [n, n_classes]`` for ``features [n, len(FEATURE_NAMES)]`` (NaN: unmeasured)."""
        x = np.asarray(features, np.float64)
        a = self.arrays
        node = np.broadcast_to(a["roots"], (len(x), len(a["roots"]))).copy()  # [n, n_trees]
        rows = np.arange(len(x))[:, None]
        for _ in range(MAX_DEPTH):
            leaf = a["is_leaf"][node].astype(bool)
            if leaf.all():
                break
            v = x[rows, np.where(leaf, 0, a["feature"][node])]  # a leaf's feature is unused (and unchecked)
            go_left = np.where(np.isnan(v), a["missing_left"][node].astype(bool), v <= a["threshold"][node])
            node = np.where(leaf, node, np.where(go_left, a["left"][node], a["right"][node]))
        else:
            raise MedtsError(f"{self.name}: a tree is deeper than {MAX_DEPTH} levels (corrupt fusion file)")
        per_class = np.zeros((len(a["roots"]), len(a["baseline"])))  # [n_trees, n_classes]: which class a tree adds to
        per_class[np.arange(len(a["roots"])), a["tree_class"]] = 1.0
        out = a["baseline"] + a["value"][node] @ per_class
        out[:, a["has_model"] == 0] = 0.0
        return out

    def fuse(self, cnn_probs: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Fused probabilities ``float32 [n, n_classes]`` from the CNN's ``cnn_probs`` and the records' ``features``."""
        z = logit(cnn_probs) + self.weight * self.tree_logits(features)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    @staticmethod
    def record_features(ecg: Any, model_signal: np.ndarray, model_fs_hz: float) -> np.ndarray:
        """``float64 [len(FEATURE_NAMES)]`` for one 12-lead record, measured as in training (module docstring).

        ``model_signal [n_samples, 12]`` is the classifier's input (band-passed, z-scored, ``model_fs_hz``).
        """
        from medts.classify.features import features_from_measurements, shape_values
        from medts.record import ECG, STANDARD_LEADS
        from medts.signal.measure import measure_ecg

        standard, _ = ecg.with_standard_leads()
        if standard.fs != model_fs_hz:
            standard = standard.resample(model_fs_hz)
        shape_ecg = ECG(np.asarray(model_signal, np.float64), fs=model_fs_hz, leads=list(STANDARD_LEADS),
                        record_id=ecg.record_id)
        with warnings.catch_warnings():  # neurokit2 warns on short or odd records; NaN features say it
            warnings.simplefilter("ignore")
            mv = features_from_measurements(measure_ecg(standard))
            shape = shape_values(measure_ecg(shape_ecg))
        return np.concatenate([mv, shape])

    # -- persistence --------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write ``fusion.safetensors`` and ``manifest.json`` to ``folder``."""
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: np.ascontiguousarray(v) for k, v in self.arrays.items()}, str(folder / FUSION_FILE),
                  metadata={"format": FORMAT})
        manifest = {**self.manifest, "format": FORMAT, "files": [FUSION_FILE], "classes": self.classes,
                    "feature_names": list(feature_names()), "fusion_weight": self.weight,
                    "thresholds": {c: t.to_dict() for c, t in self.thresholds.items()}}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> FusionHead:
        """Read a head strictly: every array present with its dtype and consistent shapes, indices in range.

        Raises
        ------
        MedtsError
            One line naming the file, for anything missing, unreadable or inconsistent.
        """
        from medts.adapters import load_manifest

        folder = Path(folder)
        manifest = load_manifest(folder)
        path = folder / FUSION_FILE
        missing = [k for k in ("classes", "feature_names", "fusion_weight", "thresholds", "format") if k not in manifest]
        if missing:
            raise MedtsError(f"{folder / 'manifest.json'}: not a fusion manifest (no {', '.join(missing)})")
        if manifest["format"] != FORMAT or list(manifest["feature_names"]) != list(feature_names()):
            raise MedtsError(f"{folder / 'manifest.json'}: fusion format or feature list differs from this medts "
                             f"({FORMAT}, {len(feature_names())} features)")
        arrays = _read_arrays(path)
        classes = list(manifest["classes"])
        _check_arrays(path, arrays, n_classes=len(classes), n_features=len(feature_names()))
        from medts.classify.calibrate import Threshold

        weight, thresholds = manifest["fusion_weight"], manifest["thresholds"]
        try:
            if not np.isfinite(float(weight)) or sorted(thresholds) != sorted(classes):
                raise ValueError("weight not finite or thresholds not one per class")
            parsed = {c: Threshold(**thresholds[c]) for c in classes}
        except (TypeError, ValueError) as error:
            raise MedtsError(f"{folder / 'manifest.json'}: fusion weight or thresholds invalid ({error})") from None
        return cls(arrays, float(weight), classes, parsed, manifest)


FEATURE_CACHE_SIZE = 256
"""Records whose features :func:`cached_record_features` keeps (a report scores each record with two classifiers)."""
_feature_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def _feature_key(ecg: Any, model_signal: np.ndarray, model_fs_hz: float) -> str:
    """Cache key of a record's features: a hash of its samples, rate, leads and model input."""
    digest = hashlib.sha1()
    for part in (np.ascontiguousarray(ecg.signal), np.ascontiguousarray(model_signal)):
        digest.update(part.tobytes())
    digest.update(repr((float(ecg.fs), list(ecg.leads), float(model_fs_hz), ecg.signal.shape)).encode())
    return digest.hexdigest()


def remember_record_features(ecg: Any, model_signal: np.ndarray, model_fs_hz: float, features: np.ndarray) -> None:
    """Keep ``features`` (measured elsewhere, e.g. by ``medts classify``'s parent process, which has NeuroKit2
    loaded) as this record's :func:`cached_record_features`, so this process need not measure it."""
    _feature_cache[_feature_key(ecg, model_signal, model_fs_hz)] = np.asarray(features, np.float64)
    while len(_feature_cache) > FEATURE_CACHE_SIZE:
        _feature_cache.popitem(last=False)


def cached_record_features(ecg: Any, model_signal: np.ndarray, model_fs_hz: float) -> np.ndarray:
    """:meth:`FusionHead.record_features`, kept for the last :data:`FEATURE_CACHE_SIZE` records by a hash of the
    record's samples, rate, leads and model input: the all-statement and superdiagnostic heads read the same
    features, so a record is measured once for both."""
    key = _feature_key(ecg, model_signal, model_fs_hz)
    if key in _feature_cache:
        _feature_cache.move_to_end(key)
        return _feature_cache[key]
    remember_record_features(ecg, model_signal, model_fs_hz, FusionHead.record_features(ecg, model_signal, model_fs_hz))
    return _feature_cache[key]


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not path.is_file():
        raise MedtsError(f"{path}: fusion weights not found")
    try:
        arrays = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise MedtsError(f"{path}: not a readable safetensors file ({error})") from None
    return arrays


def _check_arrays(path: Path, a: dict[str, np.ndarray], *, n_classes: int, n_features: int) -> None:
    """Raise :class:`MedtsError` (one line) unless ``a`` is a consistent tree table."""
    expected = {**_NODE_ARRAYS, **_TREE_ARRAYS, **_CLASS_ARRAYS}
    problems = [f"{k} missing" for k in expected if k not in a]
    problems += [f"unexpected {k}" for k in a if k not in expected]
    problems += [f"{k} is {a[k].dtype}, not {np.dtype(t)}" for k, t in expected.items()
                 if k in a and (a[k].dtype != np.dtype(t) or a[k].ndim != 1)]
    if not problems:
        n_nodes, n_trees = len(a["feature"]), len(a["roots"])
        problems += [f"{k} has {len(a[k])} entries, not {n}" for group, n in
                     ((_NODE_ARRAYS, n_nodes), (_TREE_ARRAYS, n_trees), (_CLASS_ARRAYS, n_classes)) for k in group
                     if len(a[k]) != n]
        if not problems:
            inner = a["is_leaf"] == 0
            if ((a["feature"][inner] < 0) | (a["feature"][inner] >= n_features)).any():
                problems.append("feature index out of range")
            for k in ("left", "right"):
                if ((a[k][inner] < 0) | (a[k][inner] >= n_nodes)).any():
                    problems.append(f"{k} child index out of range")
            if ((a["roots"] < 0) | (a["roots"] >= n_nodes)).any() or ((a["tree_class"] < 0) | (a["tree_class"] >= n_classes)).any():
                problems.append("tree root or class out of range")
            if not (np.isfinite(a["value"]).all() and np.isfinite(a["baseline"]).all()):
                problems.append("non-finite leaf values")
    if problems:
        raise MedtsError(f"{path}: corrupt fusion file ({'; '.join(problems[:3])})")
