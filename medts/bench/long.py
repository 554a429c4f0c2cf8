"""``medts bench long``: long recordings, whole records, split by record.

What set each threshold (see ``medts.interpret.longterm``): the beat models (V and S scores and
their thresholds), the T-wave guard and the AF window rule were all set on MIT-BIH DS1
(``mitdb/full``: 21 records). Nothing below scores a DS1 record as a test: DS1 rows are labelled
"tuning".

Parts
-----
- ``beats``: per record and pooled, V sensitivity / PPV / F1 and S sensitivity / PPV on every
  detected beat (matched to the reference within 150 ms), fusion (F) beats reported apart (how
  many were called V). Test records: QTDB records with ``.atr`` beat labels (15 min, 250 Hz;
  MIT-BIH DS1 excerpts sel116, sel223, sel230 left out), ``mitdb/100`` (30 min) and the DS2
  records of ``mitdb/mlii_npz`` (V labels only). Baseline rows: the template + RR score
  (``medts.medtsllm.anomaly.baseline_scores``) with its threshold set on DS1, and NeuroKit2's R
  peaks (beat detection only; NeuroKit2 has no beat classifier).
- ``af``: AF/flutter episodes. Tuning: DS1 201 and 203 (reference rhythm annotations) and the 19
  other DS1 records, with 10-s lead-II strips of PTB-XL folds 1-8 (one strip = one window:
  ``strip_window``). Test: leave-one-record-out over the 21 DS1 records (each scored with the AF
  window thresholds chosen on the other 20 and the strips: ``leave_one_record_out_af``), the AF
  window rule on strips of PTB-XL fold 9 and LUDB 1-160 (``score_strips``), every QTDB record with
  ``.atr`` labels (none has AF: a record called AF is a false alarm), and assembled records: 5 min
  of a QTDB normal-sinus record, then 80 s made of 8 consecutive PTB-XL 10-s records labelled AFIB
  (lead II, 100 Hz, resampled to 250 Hz), then 5 min more sinus (the same record's next 5 minutes).
- ``qtdb``: P-onset sensitivity and QT error against the cardiologists' ``.q1c`` marks (medts and
  NeuroKit2 ``prominence``), with ``medts.bench.delineation``'s QTDB protocol.
- ``speed``: CPU seconds and peak resident memory per hour of 2-lead 360 Hz ECG (``medts rhythm``
  analysis on a DS1 record, read from disk).
"""

from __future__ import annotations

import ast
import resource
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from medts.bench.results import markdown_table, write_results

DS1 = (101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205, 207, 209, 215, 220, 223, 230)
DS2_NPZ = (100, 105, 121, 123, 200)
QTDB_DS1 = ("sel116", "sel223", "sel230", "sel114")
AAMI = {**{c: "N" for c in "NLRej"}, **{c: "S" for c in "AaJS"}, **{c: "V" for c in "VE"}, "F": "F",
        **{c: "Q" for c in "/fQ"}}
MATCH_S = 0.15


def match(detected: np.ndarray, reference: np.ndarray, tol: int) -> np.ndarray:
    """Index of the nearest reference beat within ``tol`` samples for each detected beat (-1: none)."""
    if len(reference) == 0 or len(detected) == 0:
        return np.full(len(detected), -1)
    pos = np.searchsorted(reference, detected)
    cand = np.stack([np.clip(pos - 1, 0, len(reference) - 1), np.clip(pos, 0, len(reference) - 1)])
    nearest = cand[np.argmin(np.abs(reference[cand] - detected[None, :]), axis=0), np.arange(len(detected))]
    return np.where(np.abs(reference[nearest] - detected) <= tol, nearest, -1)


NOT_FALSE_POSITIVE = {"V": ("F", "Q"), "S": ("Q",)}
"""Reference classes whose beats called ``cls`` are neither true nor false positives: the ANSI/AAMI
EC57 beat-by-beat rule as WFDB ``bxb`` implements it (VEB false positives = Nv + Sv + Ov + Xv; SVEB
false positives = Ns + Vs + Fs + Os + Xs). A fusion beat is part ventricular, so calling it V is not
counted against V PPV; the bench reports fusion beats called V apart."""


def class_counts(pred: np.ndarray, truth: np.ndarray, cls: str) -> dict[str, int]:
    """tp / fp / fn of one class over matched beats (truth "X": no reference beat, a false positive
    when called ``cls``; truth in ``NOT_FALSE_POSITIVE[cls]``: not counted); reference beats of the
    class that were never detected are added by the caller."""
    called = pred == cls
    return {"tp": int((called & (truth == cls)).sum()),
            "fp": int((called & (truth != cls) & ~np.isin(truth, NOT_FALSE_POSITIVE[cls])).sum()),
            "fn": int((~called & (truth == cls)).sum())}


def rates(c: dict[str, int]) -> dict[str, float | None]:
    se = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
    ppv = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
    f1 = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"]) if c["tp"] + c["fp"] + c["fn"] else None
    return {"se": se, "ppv": ppv, "f1": f1, **c}


# ---- records ---------------------------------------------------------------------------------------
def labelled(path_base: Path) -> tuple[np.ndarray, np.ndarray]:
    import wfdb

    ann = wfdb.rdann(str(path_base), "atr")
    keep = [i for i, s in enumerate(ann.symbol) if s in AAMI]
    return np.asarray(ann.sample)[keep], np.array([AAMI[ann.symbol[i]] for i in keep])


def test_records(root: Path) -> list[tuple[str, Any, np.ndarray, np.ndarray, bool]]:
    """(name, source, reference samples, reference AAMI classes, has S labels) of every test record."""
    from medts.longterm.stream import open_long_record, source_from_array

    out = []
    q = root / "qtdb"
    for atr in sorted(q.glob("*.atr")):
        name = atr.stem
        if name in QTDB_DS1:
            continue
        ref, lab = labelled(q / name)
        out.append((f"qtdb/{name}", open_long_record(q / name), ref, lab, True))
    if (root / "mitdb" / "100.hea").is_file():
        ref, lab = labelled(root / "mitdb" / "100")
        out.append(("mitdb/100", open_long_record(root / "mitdb" / "100"), ref, lab, True))
    for rid in DS2_NPZ:
        p = root / "mitdb" / "mlii_npz" / f"{rid}.npz"
        if not p.is_file() or rid == 100:  # 100 is scored whole from mitdb/100 above
            continue
        with np.load(p) as z:
            sig, fs = np.asarray(z["ecg_mlii_mV"], np.float32), float(z["fs"])
            r, v = np.asarray(z["r_peaks"]), np.asarray(z["pvc_peaks"])
        lab = np.where(np.isin(r, v), "V", "N")
        out.append((f"mlii_npz/{rid}", source_from_array(sig, fs, ("MLII",), name=str(rid)), r, lab, False))
    return out


def baseline_template_rr(src, samples: np.ndarray, lead: int) -> np.ndarray:
    """The template + RR score of ``medts.medtsllm.anomaly`` on the same detected beats (whole lead)."""
    import neurokit2 as nk

    from medts.medtsllm.anomaly import baseline_scores

    x = src.read(0, src.n_samples)[:, lead].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = nk.ecg_clean(x, sampling_rate=round(src.fs))
    return baseline_scores(clean, samples, src.fs)["template+rr"]


def nk_rpeaks(src, lead: int) -> np.ndarray:
    import neurokit2 as nk

    x = src.read(0, src.n_samples)[:, lead].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=round(src.fs)), sampling_rate=round(src.fs))
    return np.asarray(info["ECG_R_Peaks"])


DETECT_CLASSES = ("N", "S", "V", "F")
"""Reference classes whose detection sensitivity (found within MATCH_S, whatever class called) is reported."""


def score_record(name: str, src, ref: np.ndarray, lab: np.ndarray, has_s: bool, *,
                 baseline_threshold: float | None) -> dict[str, Any]:
    from medts.longterm.analyze import analyze_recording, beat_lead

    res = analyze_recording(src, with_beats=True)
    det = np.asarray(res.beats.samples)
    pred = np.asarray(res.beats.classes)
    tol = round(MATCH_S * src.fs)
    m = match(det, ref, tol)
    truth = np.where(m >= 0, lab[np.clip(m, 0, None)], "X")
    found = np.zeros(len(ref), bool)
    found[m[m >= 0]] = True
    row: dict[str, Any] = {"record": name, "minutes": round(src.duration_s / 60, 1), "beats_ref": len(ref),
                           "beat_se": float(found.mean()) if len(ref) else None,
                           "beat_ppv": float((m >= 0).mean()) if len(det) else None,
                           "detected": {c: [int(found[lab == c].sum()), int((lab == c).sum())] for c in DETECT_CLASSES}}
    for cls in ("V", "S") if has_s else ("V",):
        c = class_counts(pred, truth, cls)
        c["fn"] += int(((lab == cls) & ~found).sum())
        row[cls] = rates(c)
    f = truth == "F"
    row["F"] = {"n": int(f.sum()), "called_V": int((pred[f] == "V").sum()), "called_S": int((pred[f] == "S").sum())}
    if baseline_threshold is not None:
        b = baseline_template_rr(src, det, beat_lead(src.leads))
        c = class_counts(np.where(b >= baseline_threshold, "V", "N"), truth, "V")
        c["fn"] += int(((lab == "V") & ~found).sum())
        row["baseline_template_rr_V"] = rates(c)
    nk = nk_rpeaks(src, beat_lead(src.leads))
    mk = match(nk, ref, tol)
    row["nk_beat_se"] = float(len(np.unique(mk[mk >= 0])) / len(ref)) if len(ref) else None
    row["nk_beat_ppv"] = float((mk >= 0).mean()) if len(nk) else None
    row["af_called"] = bool(res.episodes)
    return row


def ds1_baseline_threshold(root: Path, progress: Callable[[str], None]) -> tuple[float, dict[str, Any]]:
    """Best pooled-F1 threshold of the template + RR baseline on DS1 (so it is not tuned on the test)."""
    from medts.longterm.analyze import analyze_recording, beat_lead
    from medts.longterm.stream import open_long_record

    scores, truths, rows = [], [], {}
    for rid in DS1:
        base = root / "mitdb" / "full" / str(rid)
        src = open_long_record(base)
        res = analyze_recording(src, with_beats=True)
        det = np.asarray(res.beats.samples)
        ref, lab = labelled(base)
        m = match(det, ref, round(MATCH_S * src.fs))
        truth = np.where(m >= 0, lab[np.clip(m, 0, None)], "X")
        scores.append(baseline_template_rr(src, det, beat_lead(src.leads)))
        truths.append(truth)
        pred = np.asarray(res.beats.classes)
        rows[str(rid)] = {"V": rates(class_counts(pred, truth, "V")), "S": rates(class_counts(pred, truth, "S")),
                          "episodes": [e.model_dump() for e in res.episodes]}
        progress(f"DS1 {rid}: {len(det)} beats")
    s, t = np.concatenate(scores), np.concatenate(truths)
    grid = np.quantile(s, np.linspace(0.5, 0.999, 300))
    f1 = [rates(class_counts(np.where(s >= g, "V", "N"), t, "V"))["f1"] or 0.0 for g in grid]
    return float(grid[int(np.argmax(f1))]), rows


# ---- AF -------------------------------------------------------------------------------------------------
def reference_af_intervals(base: Path, fs: float, min_s: float = 30.0) -> list[tuple[float, float]]:
    import wfdb

    ann = wfdb.rdann(str(base), "atr")
    hdr = wfdb.rdheader(str(base))
    out, start = [], None
    for s, sym, aux in zip(ann.sample, ann.symbol, ann.aux_note):
        if sym != "+":
            continue
        rhythm = aux.strip("\x00")
        if rhythm in ("(AFIB", "(AFL") and start is None:
            start = s / fs
        elif rhythm not in ("(AFIB", "(AFL") and start is not None:
            out.append((start, s / fs))
            start = None
    if start is not None:
        out.append((start, hdr.sig_len / fs))
    return [iv for iv in out if iv[1] - iv[0] >= min_s]


def episode_scores(ref: list[tuple[float, float]], found: list[tuple[float, float]]) -> dict[str, int]:
    """A reference episode is detected when a found one overlaps it; a found one is true when it
    overlaps a reference one."""
    hit = sum(any(a < d and c < b for c, d in found) for a, b in ref)
    true = sum(any(a < d and c < b for a, b in ref) for c, d in found)
    return {"ref": len(ref), "detected": hit, "found": len(found), "found_true": true}


def assembled_af_records(root: Path, n_records: int) -> list[tuple[str, Any, list[tuple[float, float]]]]:
    """Sinus (QTDB NSR record, 5 min) + AF (8 PTB-XL AFIB 10-s records, lead II, 80 s) + sinus (5 min)."""
    import pandas as pd
    import wfdb
    from scipy.signal import resample_poly

    from medts.longterm.stream import source_from_array

    db = pd.read_csv(root / "ptbxl" / "ptbxl_database.csv")
    af = [r for r, codes in zip(db["filename_lr"], db["scp_codes"]) if "AFIB" in ast.literal_eval(codes)
          and (root / "ptbxl" / f"{r}.hea").is_file()]
    nsr = ["sel16265", "sel16272", "sel16420", "sel16483", "sel16539", "sel16773", "sel16795", "sel17453"]
    out = []
    per = 8  # 8 x 10 s = 80 s of AF per assembled record (43 AFIB records in the shared partial PTB-XL)
    for k in range(min(n_records, len(af) // per, len(nsr))):
        pieces = []
        for rel in af[k * per:(k + 1) * per]:
            rec = wfdb.rdrecord(str(root / "ptbxl" / rel))
            lead = rec.sig_name.index("II") if "II" in rec.sig_name else 1
            pieces.append(resample_poly(np.nan_to_num(rec.p_signal[:, lead]), 5, 2))
        af_sig = np.concatenate(pieces)
        s = wfdb.rdrecord(str(root / "qtdb" / nsr[k]), sampto=250 * 600).p_signal[:, 0]
        sig = np.concatenate([s[:250 * 300], af_sig, s[250 * 300:]]).astype(np.float32)
        onset, offset = 300.0, 300.0 + len(af_sig) / 250.0
        out.append((f"{nsr[k]}+ptbxl_af{k}", source_from_array(sig, 250.0, ("II",), name=f"assembled{k}"),
                    [(onset, offset)]))
    return out


AF_GRID = {"min_irregularity": tuple(round(0.04 + 0.01 * k, 2) for k in range(17)),
           "min_fraction_changing": tuple(round(0.5 + 0.05 * k, 2) for k in range(9))}
"""Thresholds of the AF window rule tried by the leave-one-record-out test (0.04-0.20, 0.50-0.90)."""


def window_af_reference(windows: list, intervals: list[tuple[float, float]]) -> np.ndarray:
    """Per window: True when at least half of it lies in a reference AF/flutter interval (any length)."""
    out = []
    for w in windows:
        inside = sum(max(0.0, min(w.end_s, b) - max(w.start_s, a)) for a, b in intervals)
        out.append(inside >= 0.5 * (w.end_s - w.start_s))
    return np.array(out, bool)


def af_grid_scores(windows: list, ref: list[tuple[float, float]], ref_windows: np.ndarray) -> dict[tuple, dict]:
    """Episode scores and window agreement of one record for every threshold pair of ``AF_GRID``."""
    from medts.longterm.rhythm import af_episodes, relabel_windows

    out = {}
    for irr in AF_GRID["min_irregularity"]:
        for chg in AF_GRID["min_fraction_changing"]:
            ws = relabel_windows(windows, min_irregularity=irr, min_fraction_changing=chg)
            found = [(e.onset_s, e.offset_s) for e in af_episodes(ws)]
            called = np.array([w.rhythm == "AF/flutter" for w in ws], bool)
            out[(irr, chg)] = {**episode_scores(ref, found), "episodes": found,
                               "windows_agree": int((called == ref_windows).sum())}
    return out


def pooled_episode_scores(rows: list[dict]) -> dict[str, Any]:
    """Episode sensitivity and PPV, and non-AF records called AF, over records' ``episode_scores``."""
    ref = sum(r["ref"] for r in rows)
    found = sum(r["found"] for r in rows)
    no_af = [r for r in rows if r["ref"] == 0]
    return {"episodes_ref": ref, "sensitivity": sum(r["detected"] for r in rows) / ref if ref else None,
            "ppv": sum(r["found_true"] for r in rows) / found if found else None,
            "non_af_records": len(no_af), "non_af_records_called_af": sum(r["found"] > 0 for r in no_af)}


def choose_af_thresholds(grids: dict[str, dict[tuple, dict]], records: list[str],
                         strip_scores: dict[tuple, dict] | None = None) -> tuple[float, float]:
    """The threshold pair that maximises episode sensitivity + PPV - the fraction of non-AF records
    called AF over ``records``. Ties: with ``strip_scores`` (pair -> ``score_strips`` of the tuning
    strips), the fewest strips not AF called AF (specificity first: a day's recording has 1,440
    windows), then the most AF strips called; then more windows agreeing with the reference; then the
    higher thresholds (where the data cannot tell two pairs apart, the one that calls AF less often)."""
    def objective(pair: tuple) -> tuple:
        p = pooled_episode_scores([grids[r][pair] for r in records])
        value = (p["sensitivity"] or 0.0) + (p["ppv"] if p["ppv"] is not None else 1.0) \
            - p["non_af_records_called_af"] / max(1, p["non_af_records"])
        st = strip_scores[pair] if strip_scores else None
        on_strips = (-st["non_af"]["called_af"], st["af"]["called_af"]) if st else (0, 0)
        return value, *on_strips, sum(grids[r][pair]["windows_agree"] for r in records), pair

    pairs = list(next(iter(grids.values())))
    return max(pairs, key=objective)


def strip_grid_scores(rows: list[dict[str, Any]]) -> dict[tuple, dict]:
    """``score_strips`` of ``rows`` for every threshold pair of ``AF_GRID``."""
    return {(irr, chg): score_strips(rows, min_irregularity=irr, min_fraction_changing=chg)
            for irr in AF_GRID["min_irregularity"] for chg in AF_GRID["min_fraction_changing"]}


def leave_one_record_out_af(results: dict[str, tuple[list, list, np.ndarray]],
                            tuning_strips: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """AF episode test on whole records: each record is scored with the AF window thresholds chosen
    (``choose_af_thresholds``) on all the other records (and ``tuning_strips``, ``strip_rows``, when
    given: the shipped thresholds were chosen on DS1 with PTB-XL folds 1-8). ``results``: name ->
    (windows, reference episodes >= 30 s, per-window reference)."""
    grids = {name: af_grid_scores(*v) for name, v in results.items()}
    on_strips = strip_grid_scores(tuning_strips) if tuning_strips else None
    rows = {}
    for name in results:
        pair = choose_af_thresholds(grids, [r for r in results if r != name], on_strips)
        rows[name] = {**grids[name][pair], "thresholds": {"min_irregularity": pair[0], "min_fraction_changing": pair[1]}}
    all_pair = choose_af_thresholds(grids, list(results), on_strips)
    return {"pooled": pooled_episode_scores(list(rows.values())), "records": rows,
            "chosen_on_all": {"min_irregularity": all_pair[0], "min_fraction_changing": all_pair[1]}}


def run_af(root: Path, progress: Callable[[str], None],
           tuning_strips: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from medts.longterm.analyze import analyze_recording
    from medts.longterm.stream import open_long_record

    tuning, loro_input = {}, {}
    for rid in DS1:
        base = root / "mitdb" / "full" / str(rid)
        res = analyze_recording(open_long_record(base))
        ref = reference_af_intervals(base, res.fs)
        found = [(e.onset_s, e.offset_s) for e in res.episodes]
        tuning[str(rid)] = {**episode_scores(ref, found), "episodes": found}
        loro_input[str(rid)] = (res.windows, ref,
                                window_af_reference(res.windows, reference_af_intervals(base, res.fs, min_s=0.0)))
    loro = leave_one_record_out_af(loro_input, tuning_strips)
    progress(f"AF leave-one-record-out on DS1: {loro['pooled']}")
    test = {}
    for name, src, ref in assembled_af_records(root, 8):
        res = analyze_recording(src)
        found = [(e.onset_s, e.offset_s) for e in res.episodes]
        test[name] = {**episode_scores(ref, found), "episodes": found, "reference": ref}
        progress(f"assembled {name}: {found}")

    return {"tuning_ds1": {"pooled": pooled_episode_scores(list(tuning.values())), "records": tuning},
            "test_ds1_leave_one_record_out": loro,
            "test_assembled": {"pooled": pooled_episode_scores(list(test.values())), "records": test}}


# ---- the AF window rule on 10-s strips of many patients ---------------------------------------------
STRIP_FS = 250.0
"""Strips recorded at a lower rate are resampled to this before analysis (as the assembled records:
PTB-XL's 100 Hz quantises RR to 10 ms and is far below the 360 Hz the beat models saw)."""
PTBXL_AF, PTBXL_FLUTTER = ("AFIB",), ("AFLT",)
PTBXL_HARD = ("SARRH", "SVARR", "PAC", "PVC", "BIGU", "TRIGU")
"""PTB-XL rhythm / ectopy statements of the hard negatives: irregular, but not AF."""
# A PTB-XL record with no rhythm statement at all (scp_statements.csv rhythm == 1: 49 of the 859 present,
# many "trace only requested") is "unlabelled", neither AF nor not AF: 517's report reads "förmaksflimmer"
# (AF) with no AFIB code, and 766 (no statement but NST_) is called AF by the rule.
LUDB_HARD_RHYTHMS = ("Sinus arrhythmia", "Irregular sinus rhythm", "Wandering atrial pacemaker")


def strip_window(lead: np.ndarray, fs: float, name: str):
    """One strip of one lead analysed as ONE window of the long-term pipeline
    (``medts.longterm.analyze.analyze_recording`` with the window as long as the strip: gqrs beats,
    V scores, P waves from the averaged beats or a PR measured on the strip, ``window_rhythm``).
    Returns the :class:`medts.longterm.rhythm.WindowRhythm`."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    from medts.longterm.analyze import analyze_recording
    from medts.longterm.stream import source_from_array

    x = np.nan_to_num(np.asarray(lead, float))
    if fs < STRIP_FS:
        r = Fraction(STRIP_FS / fs).limit_denominator(100)
        x, fs = resample_poly(x, r.numerator, r.denominator), fs * r.numerator / r.denominator
    res = analyze_recording(source_from_array(x.astype(np.float32), fs, ("II",), name=name), window_s=len(x) / fs)
    return res.windows[0]


def ptbxl_strips(root: Path, folds: tuple[int, ...]) -> list[tuple[str, Any, float, str, bool]]:
    """(name, lead II, fs, label "AF" / "flutter" / "other" / "unlabelled" (no rhythm statement), hard
    negative) of every PTB-XL record of ``folds`` whose 100 Hz signal is present."""
    import pandas as pd

    from medts.io.ptbxl import PtbxlIndex

    ix = PtbxlIndex.open(root / "ptbxl")
    statements = pd.read_csv(root / "ptbxl" / "scp_statements.csv", index_col=0)
    rhythm = set(statements.index[statements["rhythm"] == 1])
    out = []
    for i in ix.ecg_ids(folds):
        codes = ix._row(i)["scp_codes"]
        label = "AF" if any(c in codes for c in PTBXL_AF) else "flutter" if any(c in codes for c in PTBXL_FLUTTER) \
            else "other" if rhythm & set(codes) else "unlabelled"
        ecg = ix.read(i)
        out.append((f"ptbxl/{i}", ecg.signal[:, ecg.leads.index("II")], ecg.fs, label,
                    label == "other" and any(c in codes for c in PTBXL_HARD)))
    return out


def ludb_strips(root: Path) -> list[tuple[str, Any, float, str, bool]]:
    """The same for LUDB records 1-160 (rhythm and extrasystoles from ``ludb.csv``)."""
    from medts.io.ludb import ludb_record_ids, read_ludb

    out = []
    for i in ludb_record_ids(root / "ludb"):
        rec = read_ludb(root / "ludb", i)
        d = rec.diagnoses
        rhythms = " ".join(d.get("Rhythms", []))
        label = "AF" if "fibrillation" in rhythms else "flutter" if "flutter" in rhythms else "other"
        hard = label == "other" and (any(h in rhythms for h in LUDB_HARD_RHYTHMS) or bool(d.get("Extrasystolies")))
        out.append((f"ludb/{i}", rec.ecg.signal[:, [n.lower() for n in rec.ecg.leads].index("ii")], rec.ecg.fs,
                    label, hard))
    return out


def strip_rows(strips: list[tuple[str, Any, float, str, bool]]) -> list[dict[str, Any]]:
    """Per strip: name, label, hard negative, and its window (``strip_window``) as a dict, the cache
    from which other AF thresholds replay (``score_strips``)."""
    return [{"name": name, "label": label, "hard": hard, "window": strip_window(sig, fs, name).model_dump()}
            for name, sig, fs, label, hard in strips]


def score_strips(rows: list[dict[str, Any]], **thresholds: float) -> dict[str, Any]:
    """AF sensitivity and specificity of the per-window AF rule over strips (``thresholds``: see
    ``rules.is_af_window``; none: the shipped ones). A strip whose beats (V beats' RR left out) are
    fewer than ``AF_MIN_BEATS`` (``min_beats``) cannot be called AF: "too few beats", counted apart;
    sensitivity and specificity are over the other strips (sensitivity over all AF strips given too)."""
    from medts.interpret.longterm import AF_MIN_BEATS
    from medts.longterm.rhythm import WindowRhythm, rhythm_label

    def called(r: dict) -> bool:
        w = WindowRhythm(**r["window"])
        if w.irregularity is None or w.fraction_changing is None:
            return False
        return rhythm_label(w.n_beats, w.irregularity, w.fraction_changing, w.p_wave, w.n_rr_used,
                            **thresholds) == "AF/flutter"

    def few(r: dict) -> bool:
        least = thresholds.get("min_beats", AF_MIN_BEATS)
        return r["window"]["n_beats"] < least or r["window"]["n_rr_used"] < least

    out: dict[str, Any] = {"strips": len(rows), "unlabelled": sum(r["label"] == "unlabelled" for r in rows)}
    for key, sel in (("af", lambda r: r["label"] == "AF"), ("flutter", lambda r: r["label"] == "flutter"),
                     ("non_af", lambda r: r["label"] == "other"), ("hard", lambda r: r["label"] == "other" and r["hard"])):
        group = [r for r in rows if sel(r)]
        readable = [r for r in group if not few(r)]
        n_called = sum(called(r) for r in readable)
        out[key] = {"n": len(group), "too_few_beats": len(group) - len(readable), "readable": len(readable),
                    "called_af": n_called}
    for key in ("af", "flutter"):
        g = out[key]
        g["sensitivity"] = g["called_af"] / g["readable"] if g["readable"] else None
        g["sensitivity_all_strips"] = g["called_af"] / g["n"] if g["n"] else None
    for key in ("non_af", "hard"):
        g = out[key]
        g["specificity"] = 1 - g["called_af"] / g["readable"] if g["readable"] else None
    out["missed_af"] = [r["name"] for r in rows if r["label"] == "AF" and not few(r) and not called(r)]
    out["false_af"] = [r["name"] for r in rows if r["label"] == "other" and not few(r) and called(r)]
    return out


STRIP_SHOWN_MIN_BEATS = 8
"""A 10-s strip below 78 bpm has fewer RR intervals than a window's ``AF_MIN_BEATS``; the table also
shows the rule with this many enough (not the shipped rule: more strips, the same RR thresholds)."""
STRIP_SETS = (("PTB-XL folds 1-8", "tuning"), ("PTB-XL fold 9", "held out"), ("LUDB 1-160", "held out"))


def af_strip_sets(root: Path, progress: Callable[[str], None]) -> dict[str, list[dict[str, Any]]]:
    """``strip_rows`` of every set of ``STRIP_SETS`` (10-s strips, lead II)."""
    sources = {"PTB-XL folds 1-8": lambda: ptbxl_strips(root, tuple(range(1, 9))),
               "PTB-XL fold 9": lambda: ptbxl_strips(root, (9,)), "LUDB 1-160": lambda: ludb_strips(root)}
    out = {}
    for name, _ in STRIP_SETS:
        out[name] = strip_rows(sources[name]())
        progress(f"AF rule on strips, {name}: {len(out[name])} strips analysed")
    return out

def run_speed(root: Path) -> dict[str, Any]:
    from medts.longterm.analyze import analyze_recording

    base = root / "mitdb" / "full" / "203"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.process_time()
    res = analyze_recording(base)
    cpu = time.process_time() - t
    hours = res.duration_s / 3600
    return {"record": "mitdb/full/203 (2 leads, 360 Hz, read from disk; beat analysis on MLII)",
            "cpu_s": round(cpu, 2), "cpu_s_per_hour": round(cpu / hours, 2),
            "peak_rss_mb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_mb_before": round(before, 1)}


def run(data_root: Path, *, parts: tuple[str, ...], command: str,
        progress: Callable[[str], None]) -> tuple[dict[str, Any], Path, Path]:
    metrics: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    tables: list[str] = []
    if "speed" in parts:
        metrics["speed"] = run_speed(data_root)
        s = metrics["speed"]
        tables.append("## Speed\n\n" + markdown_table(["record", "CPU s / hour", "peak RSS MB (whole process)"],
                                                      [[s["record"], s["cpu_s_per_hour"], s["peak_rss_mb_process"]]]))
    if "beats" in parts:
        thr, ds1_rows = ds1_baseline_threshold(data_root, progress)
        rows = []
        for name, src, ref, lab, has_s in test_records(data_root):
            rows.append(score_record(name, src, ref, lab, has_s, baseline_threshold=thr))
            progress(f"{name}: V {rows[-1]['V']['f1']}")
        pooled: dict[str, Any] = {}
        for cls in ("V", "S"):
            c = {k: sum(r[cls][k] for r in rows if cls in r) for k in ("tp", "fp", "fn")}
            pooled[cls] = rates(c)
        cb = {k: sum(r["baseline_template_rr_V"][k] for r in rows) for k in ("tp", "fp", "fn")}
        detected = {c: [sum(r["detected"][c][i] for r in rows) for i in (0, 1)] for c in DETECT_CLASSES}
        with_v = [r for r in rows if r["V"]["tp"] + r["V"]["fn"] >= 10]
        metrics["beats"] = {
            "pooled": pooled, "records": rows,
            "v_f1_min_records_with_10_v": min((r["V"]["f1"] for r in with_v), default=None),
            "v_f1_ge_095_records": sum((r["V"]["f1"] or 0) >= 0.95 for r in with_v), "records_with_10_v": len(with_v),
            "fusion": {"n": sum(r["F"]["n"] for r in rows), "called_V": sum(r["F"]["called_V"] for r in rows)},
            "detection_se": {c: {"found": f, "n": n, "se": f / n if n else None} for c, (f, n) in detected.items()},
            "tuning_ds1_apparent": ds1_rows}
        baselines["template_rr_V"] = {"threshold_from": "MIT-BIH DS1 pooled best F1", "threshold": thr,
                                      "pooled": rates(cb)}
        baselines["neurokit2_rpeaks"] = {r["record"]: {"se": r["nk_beat_se"], "ppv": r["nk_beat_ppv"]} for r in rows}
        tab = [[r["record"], r["minutes"], r["beats_ref"], r["beat_se"], r["nk_beat_se"],
                r["V"]["tp"] + r["V"]["fn"], r["V"]["se"], r["V"]["ppv"], r["V"]["f1"],
                r["baseline_template_rr_V"]["f1"],
                (r["S"]["tp"] + r["S"]["fn"]) if "S" in r else None, r["S"]["se"] if "S" in r else None,
                r["S"]["ppv"] if "S" in r else None, f"{r['F']['called_V']}/{r['F']['n']}", r["af_called"]] for r in rows]
        tab.append(["pooled", None, None, None, None, pooled["V"]["tp"] + pooled["V"]["fn"], pooled["V"]["se"],
                    pooled["V"]["ppv"], pooled["V"]["f1"], rates(cb)["f1"], pooled["S"]["tp"] + pooled["S"]["fn"],
                    pooled["S"]["se"], pooled["S"]["ppv"],
                    f"{metrics['beats']['fusion']['called_V']}/{metrics['beats']['fusion']['n']}", None])
        tables.append("## Beats (test records; thresholds from MIT-BIH DS1)\n\n" + markdown_table(
            ["record", "min", "ref beats", "beat Se", "NK2 beat Se", "V n", "V Se", "V PPV", "V F1",
             "template+RR V F1", "S n", "S Se", "S PPV", "F called V", "AF called"], tab))
        tables.append("## Beat detection per reference class (test records, 150 ms)\n\n" + markdown_table(
            ["class", "reference beats", "detected", "detection Se"],
            [[c, n, f, f / n if n else None] for c, (f, n) in detected.items()]))
    if "af" in parts:
        strip_sets = af_strip_sets(data_root, progress)
        metrics["af"] = run_af(data_root, progress, strip_sets["PTB-XL folds 1-8"])
        metrics["af_strips"] = {name: {"role": role, **score_strips(strip_sets[name]),
                                       "min_beats_8": score_strips(strip_sets[name], min_beats=STRIP_SHOWN_MIN_BEATS)}
                                for name, role in STRIP_SETS}
        a = metrics["af"]
        tables.append("## AF/flutter episodes\n\n" + markdown_table(
            ["set", "episodes", "sensitivity", "PPV", "non-AF records", "non-AF records called AF"],
            [[k, v["pooled"]["episodes_ref"], v["pooled"]["sensitivity"], v["pooled"]["ppv"],
              v["pooled"]["non_af_records"], v["pooled"]["non_af_records_called_af"]] for k, v in a.items()]))
        if "beats" in metrics:
            recs = metrics["beats"]["records"]
            tables[-1] += (f"\n\nQTDB/MIT-BIH test records without AF called AF: "
                           f"{sum(r['af_called'] for r in recs)} of {len(recs)}.")
        tables.append("## AF window rule on 10-s strips of many patients (lead II, one strip = one window)\n\n"
                      + markdown_table(
            ["set", "role", "strips", "no rhythm label", "AF strips (too few beats)", "AF Se (readable)",
             "AF Se (all AF strips)", "flutter called / readable", "non-AF readable", "specificity",
             "hard negatives readable", "hard-negative specificity", "non-AF too few beats"],
            [[name + suffix, s["role"], v["strips"], v["unlabelled"], f"{v['af']['n']} ({v['af']['too_few_beats']})",
              v["af"]["sensitivity"], v["af"]["sensitivity_all_strips"],
              f"{v['flutter']['called_af']}/{v['flutter']['readable']}", v["non_af"]["readable"],
              v["non_af"]["specificity"], v["hard"]["readable"], v["hard"]["specificity"],
              v["non_af"]["too_few_beats"]]
             for suffix, key in (("", None), (f", {STRIP_SHOWN_MIN_BEATS} RR enough (not the rule)", "min_beats_8"))
             for name, s in metrics["af_strips"].items() for v in [s[key] if key else s]]))
    if "qtdb" in parts:
        from medts.bench.delineation import bench_qtdb

        names = [line.strip() for line in (data_root / "qtdb" / "RECORDS").read_text().split() if line.strip()]
        q = bench_qtdb(data_root / "qtdb", names, ("medts", "nk_prominence"), progress=progress)
        metrics["qtdb"] = {"records": q["records"], "window_s": q["window_s"],
                           "p_onset": {m: q["fiducials"][m]["P_on"] for m in q["fiducials"]},
                           "t_offset": {m: q["fiducials"][m]["T_off"] for m in q["fiducials"]},
                           "qt_vs_q1c": q["qt_vs_q1c"], "qt_vs_q1c_by_subset": q["qt_vs_q1c_by_subset"],
                           "t_end_tuning_records": q["tuning_records"]}
        held = {m: q["qt_vs_q1c_by_subset"][m]["held_out"] for m in q["qt_vs_q1c_by_subset"]}
        rows = [[m, metrics["qtdb"]["p_onset"][m]["sensitivity"], metrics["qtdb"]["p_onset"][m]["mae_ms"],
                 metrics["qtdb"]["qt_vs_q1c"][m]["mae_ms"], metrics["qtdb"]["qt_vs_q1c"][m]["mean_error_ms"],
                 metrics["qtdb"]["qt_vs_q1c"][m]["n_records_compared"], held[m]["mae_ms"], held[m]["mean_error_ms"],
                 held[m]["n_records_compared"]] for m in ("medts", "nk_prominence")]
        tables.append(f"## QTDB vs q1c ({len(q['records'])} records, {q['window_s']:g} s around the marks)\n\n"
                      + markdown_table(["method", "P-onset Se", "P-onset MAE ms", "QT MAE ms", "QT mean error ms",
                                        "records", "held-out QT MAE ms", "held-out QT mean error ms",
                                        "held-out records"], rows))
    notes = [
        ("Split by record. Every threshold (V/S beat models, T-wave guard, AF window rule, template+RR baseline "
         "threshold) was set on MIT-BIH DS1 (mitdb/full, 21 records); DS1 rows are tuning figures, not tests. "
         "The V and S models (adapters/beats-longterm: two small MLPs over features relative to the record's own "
         "beats and RR spread, with a feature for likeness to its own confident V beats), fitted on the beats the "
         "pipeline detects (gqrs), and their thresholds were chosen by leave-one-record-out on DS1 "
         "(python -m medts.longterm.train). On a record with two or more leads the V score is the mean of the V "
         "model's logits on the beat lead and the first other lead at the same beats (its threshold "
         "V_TWO_LEAD_THRESHOLD from the same DS1 LORO; mlii_npz records have MLII only). That choice looked at both "
         "leads' scores of QTDB sel891, sel15814, sel821 and sel853 before it was made: their rows are not clean "
         "tests of it. "
         "The beat detector (wfdb gqrs, medts.longterm.beats.detect_rpeaks) was chosen on DS1 detection "
         "sensitivity per class; the NK2 column is NeuroKit2's default detector on the whole lead."),
        ("Test beats: QTDB records with .atr labels (15 min excerpts, 250 Hz; DS1 excerpts sel116/sel223/sel230 "
         "excluded), mitdb/100 whole, mlii_npz DS2 records 105, 121, 123, 200 whole (V labels only). Detected beats "
         "are matched to reference beats within 150 ms; reference beats never detected count as misses."),
        ("Fusion (F) beats are not a predicted class: the table gives how many were called V. V and S PPV follow "
         "ANSI/AAMI EC57 as WFDB bxb counts it: a fusion or unclassifiable (Q) reference beat called V is neither a "
         "true nor a false V (a Q beat called S likewise); the figures before 2026-12-05 counted fusion beats called "
         "V as false V (QTDB sel213: V PPV 0.55, F1 0.71 that way)."),
        ("AF test test_ds1_leave_one_record_out: the 21 whole MIT-BIH DS1 records (30 min, 360 Hz, MLII; AF/flutter "
         "episodes of at least 30 s from the .atr rhythm notes '(AFIB' and '(AFL': 19 episodes in 201 and 203; 19 "
         "records without AF). Each record is scored with the two AF window thresholds (irregularity 0.04-0.20, "
         "fraction of RR changing 0.50-0.90) chosen on the other 20 records, with the PTB-XL folds 1-8 strips, by "
         "episode sensitivity + PPV - fraction of non-AF records called AF (ties: fewest non-AF strips called AF, most "
         "AF strips called, DS1 windows agreeing with the reference, the higher pair); the P-wave condition and the "
         "episode rule are unchanged. An episode counts as found when a found episode overlaps it, so one long found "
         "episode can cover several reference episodes (203). The shipped thresholds (0.07 / 0.55; 0.10 / 0.8 before, "
         "set on DS1 alone) were chosen the same way on all 21 with the strips: tuning_ds1."),
        ("AF window rule on 10-s strips of many patients: each strip's lead II (PTB-XL 100 Hz resampled to 250 Hz; "
         "LUDB 500 Hz) is analysed as one window of the long-term pipeline (analyze_recording: gqrs beats, V beats' RR "
         "left out, P waves from the averaged beats or a PR measured on the strip, window_rhythm). AF = PTB-XL AFIB / "
         "LUDB 'Atrial fibrillation'; flutter (AFLT / 'Atrial flutter') shown apart and not among the negatives; "
         "PTB-XL records without any rhythm statement are left out ('no rhythm label'). Hard negatives: PTB-XL SARRH, "
         "SVARR, PAC, PVC, BIGU, TRIGU; LUDB sinus arrhythmia, irregular sinus rhythm, wandering pacemaker or any "
         "extrasystole. Sensitivity and specificity are over the strips with the 12 RR intervals a window needs "
         "(AF_MIN_BEATS: a 10-s strip below about 78 bpm has fewer, and gqrs finds no beat in a strip's first "
         "second or two); the rows with 8 RR enough are not the rule, only more strips under the same thresholds. "
         "PTB-XL folds 1-8 (with DS1) chose the thresholds; PTB-XL fold 9 and LUDB 1-160 were scored once, after "
         "the choice. Few strips: read the counts."),
        ("Assembled AF records: 5 min of a QTDB NSRDB record, 80 s of 8 consecutive PTB-XL AFIB records (each used "
         "once; lead II, 100 Hz resampled to 250 Hz), then the next 5 min of the same NSR record. A weak test: the "
         "joins are discontinuities, the QRS shape changes every 10 s (8 patients), so many AF beats are called V "
         "and left out of the RR measures, and 100 Hz quantises RR to 10 ms."),
        ("QTDB: medts bench delineation's QTDB protocol (60 s from 5 s before the first q1c mark, +-150 ms matching; "
         "P waves decided per 10-s window); QT = median (T offset - QRS onset) over the window's beats vs the same "
         "from the q1c marks. Delineation constants were tuned on LUDB 1-80 only, except the T-end constants "
         "(medts.signal.tend), chosen on LUDB 1-80 with QTDB RECORDS[0::2]: the held-out columns are QTDB "
         "RECORDS[1::2] (P-onset figures: all records, nothing of the P wave was tuned on QTDB)."),
    ]
    data = {"tuning": "MIT-BIH DS1 mitdb/full " + ",".join(map(str, DS1)),
            "test": "QTDB .atr records (not DS1), mitdb/100, mlii_npz " + ",".join(map(str, DS2_NPZ[1:])),
            "af_test": "MIT-BIH DS1 leave-one-record-out; assembled QTDB NSR + PTB-XL AFIB",
            "af_strips": "tuning PTB-XL strat_fold 1-8 (records100 present); held out PTB-XL strat_fold 9, LUDB 1-160",
            "root": str(data_root)}
    json_path, md_path = write_results("long", command=command, data=data, metrics=metrics, baselines=baselines,
                                       notes=notes, markdown_tables=tables)
    return metrics, json_path, md_path
