"""``medts bench beats``: beat detection on 12-lead, reduced-lead and one-lead input, beside NeuroKit2.

What every 10-s command starts from is :func:`medts.signal.measure.find_beats` (cleaning, lead quality,
consensus R peaks of the usable leads). A lead called unusable is not read, so a record or window whose
every lead was refused has all its beats missed; the tables count those apart as "refused".

Sets (truth, scored inside the span the truth covers, ±75 ms, one detection per beat):

- **LUDB 1-160**, 500 Hz: all 12 leads, leads I + II, and each lead alone (the 12 one-lead sets pooled,
  and per lead). Truth: the QRS peaks of the cardiologists' lead-II annotation, inside its annotated span.
- **MIT-BIH** (the DS1 whole records in ``mitdb/full``, 360 Hz) and **QTDB** (records with beat
  annotations, ``.atr``, 250 Hz): the first ``minutes`` of each in consecutive 10-s windows (a resting
  ECG's length), both leads and the first lead alone. Truth: every annotated beat (AAMI N, S, V, F, Q);
  a window's first and last 200 ms are not scored.
- **CPSC2019** (one lead, 10 s, 500 Hz, the challenge's R-peak reference).

Baseline: NeuroKit2 (``nk.ecg_clean`` + ``nk.ecg_peaks``, method "neurokit") on one lead, the same lead
for the one-lead sets and lead II (LUDB) or the first lead (MIT-BIH, QTDB) for the multi-lead sets: it has
no multi-lead detector. Run in the same process on the same windows; F1 ratios medts / NeuroKit2.

Example
-------
>>> from medts.bench.beats import run   # doctest: +SKIP
>>> json_path, md_path = run(Path("../shared/data"), minutes=5.0, command="medts bench beats")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medts.bench.delineation import load_cpsc2019, nk_rpeaks
from medts.bench.long import rates
from medts.bench.metrics import match_fiducials
from medts.bench.results import markdown_table, write_results

TOLERANCE_S = 0.075
WINDOW_S = 10.0
WINDOW_EDGE_S = 0.2
BEAT_SYMBOLS = frozenset("NLRejAaJSVEF/fQ")
"""MIT-BIH / QTDB annotation symbols that mark a beat (AAMI N, S, V, F and Q classes)."""

TUNING = (
    "Rules of medts.signal.peaks and the lead-quality flags were set on: LUDB 1, 24 (flat false beats, a negative "
    "lead alone), 34 (no inversion with several leads), 109 (small detections with no pause after them, AF), 133 "
    "(a step at the record's end), LUDB 1-160 and PTB-XL 00001-00999 (the ADC-rail distance), MIT-BIH MLII "
    "10-s windows of 13 records (flat-beat rule and the negative-QRS ratio, first 10 min), CPSC2019 01714, 01389 "
    "and 01651 (the 25-Hz second pass, beat likeness by the second most similar beat). No set here is wholly "
    "held out; QTDB was not used to set any beat rule."
)


@dataclass
class Tally:
    """Beats found (tp), false detections (fp) and missed beats (fn), and how many inputs were refused."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    inputs: int = 0
    refused: int = 0
    refused_beats: int = 0

    def add(self, detected: np.ndarray, truth: np.ndarray, span: tuple[int, int], tolerance: int) -> None:
        m = match_fiducials(detected, truth, tolerance=tolerance, span=span)
        self.tp, self.fp, self.fn = self.tp + m.tp, self.fp + m.fp, self.fn + m.fn
        self.inputs += 1

    def as_row(self) -> dict[str, Any]:
        return {**rates({"tp": self.tp, "fp": self.fp, "fn": self.fn}),
                "inputs": self.inputs, "refused": self.refused, "refused_beats": self.refused_beats}


@dataclass
class SetResult:
    """One input set: medts and the NeuroKit2 baseline on the same inputs."""

    medts: Tally = field(default_factory=Tally)
    neurokit2: Tally = field(default_factory=Tally)


def medts_beats(signal: np.ndarray, fs: float, leads: list[str]) -> tuple[np.ndarray, bool]:
    """(R peaks, refused) of :func:`medts.signal.measure.find_beats` on ``signal`` [n_samples, n_leads] mV."""
    from medts.signal.measure import find_beats

    found = find_beats(signal, fs, leads)
    return found.rpeaks, not found.usable


def score_input(result: SetResult, signal: np.ndarray, fs: float, leads: list[str], baseline_lead: int,
                truth: np.ndarray, span: tuple[int, int]) -> None:
    """Score medts on ``signal`` and NeuroKit2 on its column ``baseline_lead`` against ``truth`` in ``span``."""
    tolerance = round(TOLERANCE_S * fs)
    beats, refused = medts_beats(signal, fs, leads)
    result.medts.add(beats, truth, span, tolerance)
    if refused:
        result.medts.refused += 1
        result.medts.refused_beats += int(((truth >= span[0]) & (truth < span[1])).sum())
    result.neurokit2.add(nk_rpeaks(signal[:, baseline_lead].astype(float), fs), truth, span, tolerance)


def ludb_inputs(root: Path) -> Iterator[tuple[str, np.ndarray, float, list[str], np.ndarray, tuple[int, int]]]:
    """(record, signal [n, 12] mV, fs, lead names, lead-II QRS peaks, annotated span) of every LUDB record."""
    from medts.io.ludb import ludb_record_ids, read_ludb

    for rid in ludb_record_ids(root):
        rec = read_ludb(root, rid)
        peaks = np.array([w.peak for w in rec.waves["II"] if w.kind == "QRS" and w.peak is not None], np.int64)
        yield str(rid), rec.ecg.signal, float(rec.ecg.fs), list(rec.ecg.leads), peaks, rec.annotated_span("II")


def bench_ludb(root: Path, progress: Callable[[], None]) -> dict[str, SetResult]:
    sets: dict[str, SetResult] = {}
    for _rid, signal, fs, leads, peaks, span in ludb_inputs(root):
        ii = leads.index("II")
        score_input(sets.setdefault("12 leads", SetResult()), signal, fs, leads, ii, peaks, span)
        pair = [leads.index("I"), ii]
        score_input(sets.setdefault("I + II", SetResult()), signal[:, pair], fs, ["I", "II"], 1, peaks, span)
        for j, name in enumerate(leads):
            one = signal[:, [j]]
            score_input(sets.setdefault(f"{name} alone", SetResult()), one, fs, [name], 0, peaks, span)
        progress()
    pooled = SetResult()
    for name in leads:
        for part in ("medts", "neurokit2"):
            total, one = getattr(pooled, part), getattr(sets[f"{name} alone"], part)
            for key in ("tp", "fp", "fn", "inputs", "refused", "refused_beats"):
                setattr(total, key, getattr(total, key) + getattr(one, key))
    sets["each lead alone (pooled)"] = pooled
    return sets


def holter_inputs(paths: list[Path], minutes: float) -> Iterator[tuple[str, np.ndarray, float, np.ndarray]]:
    """(record, 10-s window [n, 2] mV, fs, beats in the window) over the first ``minutes`` of each record."""
    import wfdb

    for base in paths:
        header = wfdb.rdheader(str(base))
        fs = float(header.fs)
        n = min(int(header.sig_len), int(minutes * 60 * fs))
        rec = wfdb.rdrecord(str(base), sampto=n)
        ann = wfdb.rdann(str(base), "atr", sampto=n)
        beats = np.array([s for s, y in zip(ann.sample, ann.symbol) if y in BEAT_SYMBOLS], np.int64)
        w = int(WINDOW_S * fs)
        for start in range(0, n - w + 1, w):
            window = rec.p_signal[start:start + w, :2]
            if not np.isfinite(window).all():
                continue
            yield base.name, window, fs, beats[(beats >= start) & (beats < start + w)] - start


def bench_holter(paths: list[Path], minutes: float, progress: Callable[[], None]) -> dict[str, SetResult]:
    sets = {"2 leads": SetResult(), "first lead alone": SetResult()}
    for _name, window, fs, truth in holter_inputs(paths, minutes):
        span = (round(WINDOW_EDGE_S * fs), len(window) - round(WINDOW_EDGE_S * fs))
        score_input(sets["2 leads"], window, fs, ["ECG1", "ECG2"], 0, truth, span)
        score_input(sets["first lead alone"], window[:, :1], fs, ["ECG1"], 0, truth, span)
        progress()
    return sets


def bench_cpsc2019(root: Path, progress: Callable[[], None]) -> dict[str, SetResult]:
    result = SetResult()
    for _ident, x, fs, ref in load_cpsc2019(root):
        score_input(result, x[:, None], fs, ["ECG1"], 0, ref, (0, len(x)))
        progress()
    return {"one lead": result}


def annotated_records(folder: Path) -> list[Path]:
    """Record paths (no extension) in ``folder`` that have a header and beat annotations."""
    return sorted(p.with_suffix("") for p in folder.glob("*.atr") if p.with_suffix(".hea").is_file())


def run(data_root: Path, *, minutes: float, command: str) -> tuple[Path, Path]:
    """Score every set the shared data holds; write ``eval/results/beats.{json,md}``."""
    from tqdm.auto import tqdm

    root = data_root
    t0, c0 = time.perf_counter(), time.process_time()
    groups: dict[str, dict[str, SetResult]] = {}
    mit = annotated_records(root / "mitdb" / "full") if (root / "mitdb" / "full").is_dir() else []
    qt = annotated_records(root / "qtdb") if (root / "qtdb").is_dir() else []
    with tqdm(desc="beats", unit="input", leave=False) as bar:
        def step() -> None:
            bar.update(1)

        if (root / "ludb").is_dir():
            groups["LUDB 1-160 (500 Hz, 10 s)"] = bench_ludb(root / "ludb", step)
        if mit:
            groups[f"MIT-BIH DS1 ({len(mit)} records, first {minutes:g} min, 10-s windows)"] = bench_holter(mit, minutes, step)
        if qt:
            groups[f"QTDB ({len(qt)} records, first {minutes:g} min, 10-s windows)"] = bench_holter(qt, minutes, step)
        if (root / "cpsc2019").is_dir():
            groups["CPSC2019 (50 records, 10 s)"] = bench_cpsc2019(root / "cpsc2019", step)
    metrics = {g: {s: r.medts.as_row() for s, r in sets.items()} for g, sets in groups.items()}
    baselines = {g: {s: r.neurokit2.as_row() for s, r in sets.items()} for g, sets in groups.items()}
    tables = [beats_table(g, metrics[g], baselines[g]) for g in groups]
    notes = [
        ("medts = medts.signal.measure.find_beats (clean, lead quality, consensus R peaks of the usable leads): "
         "what measure, report, chat and classify read. Refused = every lead called unusable (flat, saturated, "
         "noisy): its beats count as missed."),
        ("NeuroKit2 = nk.ecg_clean + nk.ecg_peaks on one lead (the lead alone, or lead II / the first lead of a "
         "multi-lead input); it never refuses."),
        f"Match: ±{TOLERANCE_S * 1000:g} ms, one detection per beat, inside the span the truth covers.",
        TUNING,
        f"Run: wall {time.perf_counter() - t0:.0f} s, CPU {time.process_time() - c0:.0f} s.",
    ]
    data = {"root": str(root), "minutes": minutes, "mitdb_records": [p.name for p in mit],
            "qtdb_records": [p.name for p in qt]}
    return write_results("beats", command=command, data=data, metrics=metrics, baselines=baselines,
                         notes=notes, markdown_tables=tables)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


def beats_table(group: str, medts: dict[str, dict[str, Any]], nk: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, m in medts.items():
        b = nk[name]
        ratio = m["f1"] / b["f1"] if m["f1"] is not None and b["f1"] else None
        rows.append([name, m["inputs"], _fmt(m["se"]), _fmt(m["ppv"]), _fmt(m["f1"]), m["fp"], m["fn"],
                     f"{m['refused']} ({m['refused_beats']} beats)", _fmt(b["se"]), _fmt(b["ppv"]), _fmt(b["f1"]),
                     _fmt(ratio)])
    header = ["input", "records / windows", "medts Se", "medts PPV", "medts F1", "medts false", "medts missed",
              "medts refused", "NeuroKit2 Se", "NeuroKit2 PPV", "NeuroKit2 F1", "F1 ratio"]
    return f"## {group}\n\n" + markdown_table(header, rows)
