"""Per-class AUC, sensitivity and PPV (at each adapter's thresholds) per lead set on PTB-XL folds 8 and 9.

For adapters/classifier-superdiagnostic-reduced (lead dropout; epoch and thresholds chosen on fold 8) and, for
comparison, adapters/classifier-superdiagnostic zero-filled (fold 9 chose it: its fold-9 rows are optimistic).
Fold 8 chose the engine's lead rule for the reduced-lead model (medts.interpret.statements.REDUCED_LEAD_MODEL_LEADS:
AUC >= 0.85 and PPV >= 0.5 on a lead set); fold 9 is held out for that model. Writes
eval/results/reduced_lead_rule.json. Run: nice -n 10 .venv/bin/python eval/reduced_lead_rule_probe.py (~3 min, 1 core).
"""
import json
from pathlib import Path

import numpy as np

from medts.classify.data import REDUCED_LEAD_SETS, keep_leads_mask, load_ptbxl_cache
from medts.classify.metrics import auc_per_class, macro_auc
from medts.classify.predict import Classifier
from medts.classify.train import LevelData
from medts.config import dataset_dir
from medts.record import STANDARD_LEADS

cache = load_ptbxl_cache(dataset_dir("ptbxl"))
out = {}
for name in ("classifier-superdiagnostic-reduced", "classifier-superdiagnostic"):
    clf = Classifier.load(f"adapters/{name}")
    thr = np.array([clf.thresholds[c].threshold for c in clf.classes])
    out[name] = {}
    for fold, train in ((8, (1, 2, 3, 4, 5, 6, 7)), (9, (1, 2, 3, 4, 5, 6, 7))):  # train folds only shape LevelData
        data = LevelData.build(cache, "superdiagnostic", train, fold)
        res = {}
        for leads in (tuple(STANDARD_LEADS), *REDUCED_LEAD_SETS):
            x = np.array(data.val_signals, np.float32, copy=True)
            x[:, :, ~keep_leads_mask(leads)] = 0.0
            p = clf.predict_proba(x)
            y = data.y_val
            pred = p >= thr
            tp = (pred & (y == 1)).sum(0)
            fp = (pred & (y == 0)).sum(0)
            pos = (y == 1).sum(0)
            res[",".join(leads) if len(leads) < 12 else "12"] = {
                "macro_auc": round(macro_auc(y, p), 4),
                "auc": dict(zip(clf.classes, np.round(auc_per_class(y, p), 3).tolist())),
                "sens": dict(zip(clf.classes, np.round(tp / np.maximum(pos, 1), 3).tolist())),
                "ppv": dict(zip(clf.classes, [round(float(a / (a + b)), 3) if a + b else None for a, b in zip(tp, fp)])),
                "n_asserted": dict(zip(clf.classes, (tp + fp).tolist())), "n_pos": dict(zip(clf.classes, pos.tolist())),
                "n": len(y)}
        out[name][fold] = res
        print(name, fold, {k: v["macro_auc"] for k, v in res.items()}, flush=True)
Path("eval/results/reduced_lead_rule.json").write_text(json.dumps(out, indent=1))
