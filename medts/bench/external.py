"""``medts bench external DIR``: the shipped classifiers on a PhysioNet/CinC Challenge-format folder.

A Challenge folder holds records as ``NAME.mat`` (variable ``val``, digital units) beside
``NAME.hea`` (WFDB header with ``#Dx:`` SNOMED CT codes), as in the PhysioNet/CinC Challenge
2020-2021 training sets (CPSC, Georgia, Chapman-Shaoxing, Ningbo, ...). Every record is read
with :func:`medts.io.cinc.read_cinc` and classified by the all-statement and the superdiagnostic
adapters; with ``reconcile`` (the default of ``medts bench external``) the engine
(:func:`medts.interpret.interpret_ecg`) also decides the statements from those scores and the
measurements, and its axis category counts as LAD/RAD. Each output ("classifiers alone",
"reconciled") is scored four ways:

- **per SCP statement**: the truth is the record's SNOMED codes mapped to SCP statements
  (:func:`medts.labels.snomed_to_scp`); sensitivity and PPV for every statement the folder's
  truth contains, plus the false-positive count of every statement the classifier asserts;
- **superclass agreement** (MI, STTC, CD, HYP): truth from :func:`medts.labels.snomed_superclasses`,
  prediction from the superdiagnostic adapter; NORM is not scored because the Challenge has no
  "normal ECG" code (its sinus-rhythm code is a rhythm);
- **MI false positives**: records where the classifier asserts MI and the truth has no MI code;
- **the Challenge 2021 score** (:mod:`medts.bench.challenge`): the asserted statements written as
  SNOMED codes (:func:`medts.labels.scp_to_snomed`) against the record's codes, with a bootstrap
  95 % CI; the diagnoses medts cannot output (axis deviations, generic bradycardia and bundle branch
  block, poor R-wave progression) are listed, since they cap the score.

Labels a source did not assess look absent, so a false positive here can be a finding the source
never labelled: the per-statement table shows the counts, not only the ratios.

:func:`convert_ludb` and :func:`convert_ptbxl` write shared records in this format (with the SNOMED
codes of their own labels) and a ``SOURCE.json`` saying so; the benchmark copies it into the
results, so converted shared records are never reported as external data.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

from medts.bench.challenge import SCORED_CLASSES, challenge_score, scored_class
from medts.errors import MedtsError
from medts.labels import (
    CINC2021_SCORED,
    STATEMENTS,
    ludb_text_to_scp,
    scp_to_snomed,
    snomed_superclasses,
    snomed_to_scp,
)
from medts.record import ECG

SOURCE_FILE = "SOURCE.json"
"""Written by the converters: what the folder's records really are."""

SCORED_SUPERCLASSES = ("MI", "STTC", "CD", "HYP")
GENERIC_MI = "164865005"
"""SNOMED "myocardial infarction": written for an SCP infarction statement without a SNOMED code of its own."""
_LUDB_AXIS = {"left axis deviation": "39732003", "right axis deviation": "47665007"}


# -- writing Challenge-format records -------------------------------------------------------------
def write_cinc_record(ecg: ECG, folder: Path, name: str, snomed_codes: list[str], *, gain: float = 1000.0) -> Path:
    """Write ``ecg`` as ``folder/name.mat`` + ``.hea`` (Challenge layout, ``gain`` units per mV). Returns the .hea path."""
    digital = np.round(np.asarray(ecg.signal, np.float64).T * gain)
    if np.abs(digital).max(initial=0) > 32767:
        raise MedtsError(f"{ecg.record_id}: amplitude beyond the 16-bit range at gain {gain:g}/mV")
    val = digital.astype(np.int16)  # [n_leads, n_samples], as the Challenge stores it
    scipy.io.savemat(folder / f"{name}.mat", {"val": val}, do_compression=False)
    lines = [f"{name} {len(ecg.leads)} {ecg.fs:g} {val.shape[1]}"]
    for lead, row in zip(ecg.leads, val):
        checksum = int((row.astype(np.int64).sum() + 32768) % 65536 - 32768)
        lines.append(f"{name}.mat 16+24 {gain:g}/mV 16 0 {int(row[0])} {checksum} 0 {lead}")
    lines += [f"#Age: {ecg.age if ecg.age is not None else 'NaN'}", f"#Sex: {ecg.sex or 'Unknown'}",
              f"#Dx: {','.join(snomed_codes)}", "#Rx: Unknown", "#Hx: Unknown", "#Sx: Unknown"]
    header = folder / f"{name}.hea"
    header.write_text("\n".join(lines) + "\n")
    return header


def scp_codes_to_snomed(scp_codes: list[str]) -> list[str]:
    """SNOMED codes stating SCP statements (infarctions without a code of their own become generic MI)."""
    out: list[str] = []
    for code in scp_codes:
        snomed = scp_to_snomed(code)
        statement = STATEMENTS.get(code)
        if snomed is None and statement is not None and statement.diagnostic_class == "MI":
            snomed = GENERIC_MI
        if snomed is not None and snomed not in out:
            out.append(snomed)
    return out


def _start_folder(out: Path, source: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("*.hea")):
        raise MedtsError(f"{out}: already holds .hea records; convert into an empty folder")
    (out / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")


def convert_ludb(root: str | Path, out: str | Path, *, record_ids: list[int] | None = None) -> list[Path]:
    """Write LUDB records as Challenge records whose ``#Dx`` are the SNOMED codes of their ``ludb.csv`` labels.

    Diagnoses go LUDB text -> SCP (:func:`medts.labels.ludb_text_to_scp`) -> SNOMED; the axis lines
    give left/right axis deviation directly. LUDB lines with no SNOMED equivalent are dropped.
    """
    from medts.io.ludb import ludb_diagnoses, ludb_record_ids, ludb_record_path
    from medts.io.wfdb_io import read_wfdb

    root, out = Path(root), Path(out)
    ids = record_ids or ludb_record_ids(root)
    _start_folder(out, {"converted_from": "LUDB 1.0.1 (shared data)", "root": str(root), "records": ids,
                        "labels": "ludb.csv text -> SCP (medts.labels.ludb_text_to_scp) -> SNOMED (medts.labels.scp_to_snomed); "
                                  "axis lines -> LAD 39732003 / RAD 47665007",
                        "external": False,
                        "caveat": "the classifiers never saw LUDB (trained and tuned on PTB-XL folds 1-9); LUDB labels "
                                  "are not exhaustive (e.g. no T-wave or ST statements), so some false positives are "
                                  "unlabelled findings"})
    diagnoses = ludb_diagnoses(root)
    written, unmapped = [], set()
    for record_id in ids:
        ecg = read_wfdb(ludb_record_path(root, record_id))
        lines = [line for column in diagnoses.get(record_id, {}).values() for line in column]
        codes = scp_codes_to_snomed(ludb_text_to_scp("\n".join(lines)))
        for line in lines:
            axis = [snomed for text, snomed in _LUDB_AXIS.items() if line.lower().endswith(text)]
            codes += [snomed for snomed in axis if snomed not in codes]
            if not axis and not ludb_text_to_scp(line):
                unmapped.add(line)
        written.append(write_cinc_record(ecg, out, f"L{record_id:04d}", codes))
    source = json.loads((out / SOURCE_FILE).read_text())
    source["ludb_lines_without_snomed"] = sorted(unmapped)
    (out / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")
    return written


def convert_ptbxl(root: str | Path, out: str | Path, *, folds: tuple[int, ...] = (9,)) -> list[Path]:
    """Write PTB-XL records (raw 100 Hz) of ``folds`` as Challenge records with SNOMED codes of their statements."""
    from medts.io.ptbxl import PtbxlIndex

    root, out = Path(root), Path(out)
    index = PtbxlIndex.open(root, sampling_rate=100)
    ids = index.ecg_ids(folds=folds)
    if not ids:
        raise MedtsError(f"{root}: no PTB-XL signals in fold(s) {', '.join(map(str, folds))}")
    _start_folder(out, {"converted_from": "PTB-XL (shared data, raw 100 Hz)", "root": str(root), "folds": list(folds),
                        "records": ids, "labels": "scp_codes -> SNOMED (medts.labels.scp_to_snomed); heart_axis LAD/ALAD, RAD/ARAD -> "
                                  "39732003 / 47665007", "external": False,
                        "caveat": "fold 9 chose the shipped classifiers' members, epochs and thresholds and folds 1-8 "
                                  "trained them: these figures test the harness and the maps, not generalisation"})
    written = []
    for ecg_id in ids:
        ecg = index.read(ecg_id)
        codes = scp_codes_to_snomed(list(ecg.metadata.get("scp_codes", {})))
        axis = _PTBXL_AXIS.get(str(ecg.metadata.get("heart_axis") or ""))
        written.append(write_cinc_record(ecg, out, f"P{ecg_id:05d}", codes + ([axis] if axis else [])))
    return written


_PTBXL_AXIS = {"LAD": "39732003", "ALAD": "39732003", "RAD": "47665007", "ARAD": "47665007"}
"""PTB-XL ``heart_axis`` values (left/right, and their "abnormal" grades) as the Challenge's axis codes."""


# -- scoring ----------------------------------------------------------------------------------------
@dataclass
class ExternalRecord:
    """One scored record: its truth (SNOMED) and what the classifiers asserted."""

    name: str
    truth_snomed: list[str]
    truth_scp: list[str]
    truth_superclasses: list[str]
    predicted_scp: list[str]
    predicted_superclasses: list[str]
    leads: list[str]
    predicted_snomed_extra: list[str] = field(default_factory=list)
    """SNOMED codes asserted outside the SCP vocabulary (the engine's axis deviation)."""


@dataclass
class ExternalRun:
    """The classifiers' outputs per record, and the engine's reconciled ones when it was run."""

    records: list[ExternalRecord] = field(default_factory=list)
    reconciled: list[ExternalRecord] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    reconcile_seconds: float = 0.0


AXIS_SNOMED = {"left axis deviation": "39732003", "right axis deviation": "47665007"}
"""The engine's axis categories the Challenge scores (SNOMED codes of dx_mapping_scored.csv)."""


def find_challenge_records(folder: Path) -> list[Path]:
    """``.hea`` files with a ``.mat`` beside them, anywhere under ``folder``, sorted."""
    return sorted(h for h in folder.rglob("*.hea") if h.with_suffix(".mat").is_file())


def classify_folder(folder: str | Path, *, statements_adapter: Path, superclass_adapter: Path,
                    reconcile: bool = False, chunk: int = 64) -> ExternalRun:
    """Read and classify every Challenge record under ``folder``; unreadable records are skipped with the reason.

    ``reconcile``: also run the engine (:func:`medts.interpret.interpret_ecg`: measurements, the
    classifiers' scores reconciled with them, the axis category) and keep what it asserts.
    """
    from medts.classify.predict import Classifier
    from medts.io.cinc import read_cinc

    folder = Path(folder)
    headers = find_challenge_records(folder)
    if not headers:
        raise MedtsError(f"{folder}: no Challenge records (.hea with a .mat beside it)")
    statements, superclasses = Classifier.load(statements_adapter), Classifier.load(superclass_adapter)
    run = ExternalRun()
    start = time.perf_counter()
    for first in range(0, len(headers), chunk):
        ecgs = []
        for header in headers[first : first + chunk]:
            try:
                ecgs.append(read_cinc(header))
            except MedtsError as error:
                run.skipped.append({"record": str(header.relative_to(folder)), "reason": str(error)})
        ecgs, predicted = _predict_chunk(ecgs, statements, superclasses, run.skipped)
        for ecg, (s, c) in zip(ecgs, predicted):
            truth = [str(code) for code in ecg.metadata.get("snomed_codes", [])]
            record = ExternalRecord(
                name=ecg.record_id, truth_snomed=truth,
                truth_scp=sorted({scp for code in truth for scp in snomed_to_scp(code)}),
                truth_superclasses=snomed_superclasses(truth),
                predicted_scp=sorted(s.present), predicted_superclasses=sorted(c.present), leads=list(ecg.leads),
            )
            run.records.append(record)
            if reconcile:
                t0 = time.perf_counter()
                run.reconciled.append(_reconciled(record, ecg, [s, c]))
                run.reconcile_seconds += time.perf_counter() - t0
    run.seconds = time.perf_counter() - start - run.reconcile_seconds
    return run


def _predict_chunk(ecgs: list[ECG], statements: Any, superclasses: Any,
                   skipped: list[dict[str, str]]) -> tuple[list[ECG], list[tuple[Any, Any]]]:
    """Both classifiers' predictions for a chunk in one batch; when a record is refused (e.g. none of
    the 12 standard leads), record by record, the refused ones skipped with the reason."""
    try:
        return ecgs, list(zip(statements.predict_many(ecgs), superclasses.predict_many(ecgs)))
    except MedtsError:
        kept, out = [], []
        for ecg in ecgs:
            try:
                out.append((statements.predict(ecg), superclasses.predict(ecg)))
                kept.append(ecg)
            except MedtsError as error:
                skipped.append({"record": ecg.source or ecg.record_id, "reason": str(error)})
        return kept, out


def _reconciled(record: ExternalRecord, ecg: ECG, predictions: list[Any]) -> ExternalRecord:
    """``record`` with the engine's asserted statements, superclasses and axis deviation as its predictions."""
    from dataclasses import replace

    from medts.interpret import interpret_ecg
    from medts.labels import SUPERCLASSES

    findings = interpret_ecg(ecg, predictions=predictions)
    asserted = set(findings.codes())
    axis = AXIS_SNOMED.get(findings.axis.category or "")
    return replace(record, predicted_scp=sorted(asserted & set(STATEMENTS)),
                   predicted_superclasses=sorted(asserted & set(SUPERCLASSES)),
                   predicted_snomed_extra=[axis] if axis else [])


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def statement_table(records: list[ExternalRecord]) -> list[dict[str, Any]]:
    """Counts, sensitivity and PPV per SCP statement that is in the truth or asserted at least once."""
    codes = sorted({c for r in records for c in r.truth_scp} | {c for r in records for c in r.predicted_scp})
    rows = []
    for code in codes:
        tp = sum(code in r.truth_scp and code in r.predicted_scp for r in records)
        fn = sum(code in r.truth_scp and code not in r.predicted_scp for r in records)
        fp = sum(code not in r.truth_scp and code in r.predicted_scp for r in records)
        rows.append({"code": code, "n_true": tp + fn, "n_asserted": tp + fp, "tp": tp, "fn": fn, "fp": fp,
                     "sensitivity": _ratio(tp, tp + fn), "ppv": _ratio(tp, tp + fp),
                     "in_truth_vocabulary": scp_to_snomed(code) is not None})
    return rows


def superclass_table(records: list[ExternalRecord]) -> dict[str, Any]:
    """Per-superclass sensitivity, specificity, PPV and agreement; exact agreement over the four classes."""
    per_class = {}
    for cls in SCORED_SUPERCLASSES:
        truth = np.array([cls in r.truth_superclasses for r in records])
        pred = np.array([cls in r.predicted_superclasses for r in records])
        tp, fp = int((truth & pred).sum()), int((~truth & pred).sum())
        fn, tn = int((truth & ~pred).sum()), int((~truth & ~pred).sum())
        per_class[cls] = {"n_true": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                          "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
                          "ppv": _ratio(tp, tp + fp), "agreement": _ratio(tp + tn, len(records))}
    exact = sum(set(r.truth_superclasses) == set(r.predicted_superclasses) & set(SCORED_SUPERCLASSES) for r in records)
    return {"per_class": per_class, "exact_agreement": _ratio(exact, len(records))}


def mi_false_positives(records: list[ExternalRecord]) -> dict[str, Any]:
    """Records where a classifier asserts MI (superclass, or any MI statement) and the truth has none."""
    def asserts_mi(r: ExternalRecord) -> bool:
        return "MI" in r.predicted_superclasses or any(STATEMENTS[c].diagnostic_class == "MI"
                                                       for c in r.predicted_scp if c in STATEMENTS)
    false = [r.name for r in records if asserts_mi(r) and "MI" not in r.truth_superclasses]
    return {"n_records": len(records), "n_false_positive": len(false), "records": false}


def challenge_summary(records: list[ExternalRecord], *, n_boot: int, seed: int = 0) -> dict[str, Any]:
    """Challenge 2021 score of the asserted statements, a bootstrap CI, and what medts cannot output."""
    truth = [set(r.truth_snomed) for r in records]
    predicted = [{s for s in (scp_to_snomed(c) for c in r.predicted_scp) if s is not None} | set(r.predicted_snomed_extra)
                 for r in records]
    score = challenge_score(truth, predicted)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(records), len(records))
        value = challenge_score([truth[i] for i in idx], [predicted[i] for i in idx]).normalized
        if np.isfinite(value):
            values.append(value)
    ci = [float(v) for v in np.quantile(values, [0.025, 0.975])] if values else [None, None]
    producible = {scored_class(s) for s in (scp_to_snomed(c) for c in STATEMENTS) if s is not None} - {None}
    producible |= {scored_class(s) for r in records for s in r.predicted_snomed_extra}
    cannot = [abbr for i, (_, abbr) in enumerate(CINC2021_SCORED) if i not in producible]
    truth_counts = {abbr: sum(scored_class(c) == i for t in truth for c in t) for i, (_, abbr) in enumerate(CINC2021_SCORED)}
    return {"normalized": score.normalized, "ci95": ci, "observed": score.observed, "correct": score.correct,
            "inactive": score.inactive, "n_scored_classes": len(SCORED_CLASSES),
            "classes_medts_cannot_output": cannot,
            "records_with_a_class_medts_cannot_output": sum(
                any(abbr in cannot for abbr, n in _record_classes(t)) for t in truth),
            "truth_counts": {k: v for k, v in truth_counts.items() if v}}


def _record_classes(codes: set[str]) -> list[tuple[str, int]]:
    out = []
    for code in codes:
        index = scored_class(code)
        if index is not None:
            out.append((CINC2021_SCORED[index][1], index))
    return out


def evaluate(run: ExternalRun, *, n_boot: int) -> dict[str, dict[str, Any]]:
    """All figures per output: ``classifier`` (the classifiers alone) and, when run, ``reconciled`` (the engine)."""
    out = {"classifier": _evaluate(run.records, run, n_boot=n_boot, seconds=run.seconds)}
    if run.reconciled:
        out["reconciled"] = _evaluate(run.reconciled, run, n_boot=n_boot, seconds=run.seconds + run.reconcile_seconds)
    return out


def _evaluate(records: list[ExternalRecord], run: ExternalRun, *, n_boot: int, seconds: float) -> dict[str, Any]:
    statements = statement_table(records)
    pac = next((row for row in statements if row["code"] == "PAC"), None)
    return {
        "n_records": len(records), "n_skipped": len(run.skipped),
        "records_per_second": len(records) / seconds if seconds else None,
        "records_with_mapped_truth": sum(bool(r.truth_scp) for r in records),
        "challenge": challenge_summary(records, n_boot=n_boot),
        "superclasses": superclass_table(records),
        "mi_false_positives": mi_false_positives(records),
        "pac_sensitivity": pac["sensitivity"] if pac else None,
        "statements": statements,
        "lead_sets": _lead_sets(records),
    }


def _lead_sets(records: list[ExternalRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        key = ",".join(r.leads)
        counts[key] = counts.get(key, 0) + 1
    return counts


VARIANT_TEXT = {"classifier": "classifiers alone", "reconciled": "reconciled by medts.interpret (+ axis)"}


def markdown(variants: dict[str, dict[str, Any]], source: dict[str, Any] | None) -> list[str]:
    from medts.bench.results import markdown_table

    what = (f"converted shared records ({source['converted_from']}), NOT external data" if source
            else "records of the given folder")
    rows = []
    for variant, metrics in variants.items():
        ch = metrics["challenge"]
        rows.append([VARIANT_TEXT[variant], metrics["n_records"], metrics["n_skipped"],
                     f"{ch['normalized']:.3f} ({ch['ci95'][0]:.3f}-{ch['ci95'][1]:.3f})" if ch["ci95"][0] is not None
                     else ch["normalized"],
                     f"{metrics['mi_false_positives']['n_false_positive']} of {metrics['n_records']}",
                     metrics["pac_sensitivity"], metrics["records_per_second"]])
    head = markdown_table(["output", "records", "skipped", "Challenge 2021 score (95% CI)", "MI false positives",
                           "PAC sensitivity", "records/s"], rows)
    out = [f"## Summary: {what}\n\n" + head]
    for variant, metrics in variants.items():
        out += _variant_tables(metrics, VARIANT_TEXT[variant])
    return out


def _variant_tables(metrics: dict[str, Any], title: str) -> list[str]:
    from medts.bench.results import markdown_table

    sup = markdown_table(
        ["superclass", "n true", "sensitivity", "specificity", "PPV", "agreement"],
        [[c, v["n_true"], v["sensitivity"], v["specificity"], v["ppv"], v["agreement"]]
         for c, v in metrics["superclasses"]["per_class"].items()])
    stm = markdown_table(
        ["SCP", "truth can state it", "n true", "asserted", "TP", "FN", "FP", "sensitivity", "PPV"],
        [[r["code"], "yes" if r["in_truth_vocabulary"] else "no", r["n_true"], r["n_asserted"], r["tp"], r["fn"], r["fp"],
          r["sensitivity"], r["ppv"]]
         for r in metrics["statements"] if r["n_true"] or r["fp"]])
    return [f"## {title}: superclass agreement (exact over MI/STTC/CD/HYP: "
            f"{metrics['superclasses']['exact_agreement']:.3f})\n\n" + sup,
            f"## {title}: per SCP statement (truth: SNOMED #Dx mapped to SCP)\n\n" + stm]


def run(folder: str | Path, *, statements_adapter: Path, superclass_adapter: Path, reconcile: bool = True,
        n_boot: int = 1000, name: str = "external", command: str | None = None) -> tuple[Path, Path]:
    """Classify (and reconcile) ``folder``; write ``eval/results/<name>.json`` and ``.md``."""
    from medts.bench.results import write_results

    folder = Path(folder)
    source_path = folder / SOURCE_FILE
    source = json.loads(source_path.read_text()) if source_path.is_file() else None
    result = classify_folder(folder, statements_adapter=statements_adapter, superclass_adapter=superclass_adapter,
                             reconcile=reconcile)
    if not result.records:
        raise MedtsError(f"{folder}: no record could be read ({len(result.skipped)} skipped)")
    metrics = evaluate(result, n_boot=n_boot)
    notes = [
        ("Truth: each record's #Dx SNOMED CT codes. Per-statement truth maps them to SCP statements "
         "(medts.labels.snomed_to_scp, sources in medts/labels.py); a statement the source never labels looks "
         "absent, so its false positives may be unlabelled findings."),
        ("Superclasses from SNOMED codes (medts.labels.snomed_superclasses); NORM is not scored (the Challenge's "
         "sinus rhythm code is a rhythm, not a normal ECG)."),
        ("Challenge 2021 score: asserted statements written as SNOMED codes, scored with the 26-class weights "
         "(medts.bench.challenge); 0 = always 'sinus rhythm', 1 = the truth. The classifiers alone cannot output "
         + ", ".join(metrics["classifier"]["challenge"]["classes_medts_cannot_output"]) + ", which caps their score."),
        (f"Outputs: 'classifiers alone' = {statements_adapter} (statements, their own thresholds) and "
         f"{superclass_adapter} (superclasses); 'reconciled' = what medts.interpret asserts from the same scores and "
         "the measurements (what reports and chat say), plus its axis category as LAD/RAD. This benchmark tunes "
         "nothing: no threshold, rule or mapping is chosen on the folder."),
        "Drafts for clinician review.",
    ]
    if source:
        notes.insert(0, f"These are CONVERTED SHARED RECORDS ({source['converted_from']}), not external data: "
                        "written in the Challenge format by medts' own converter to test the harness. "
                        + source.get("caveat", ""))
    data = {"folder": str(folder), "source": source or "as given (no SOURCE.json)",
            "skipped": result.skipped, "adapters": {"statements": str(statements_adapter),
                                                    "superclasses": str(superclass_adapter)}}
    return write_results(name, command=command, data=data, metrics=metrics,
                         baselines={"always_sinus_rhythm_challenge_score": 0.0}, notes=notes,
                         markdown_tables=markdown(metrics, source))
