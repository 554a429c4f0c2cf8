"""``medts convert``: any readable ECG to DICOM, HL7 aECG or WFDB, with the CLI's exit-code contract."""

from __future__ import annotations

import json

import numpy as np

from medts.cli import main
from medts.examples import EXAMPLE_DIR, load_example
from medts.io import read_record


def test_convert_chain_keeps_the_signal(tmp_path, capsys):
    assert main(["convert", str(EXAMPLE_DIR), "--to", "dicom", "--out", str(tmp_path / "dcm")]) == 0
    assert main(["convert", str(tmp_path / "dcm"), "--to", "aecg", "--out", str(tmp_path / "xml"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["record_id"] for r in rows] == ["afib", "sinus"] and all(r["to"] == "aecg" for r in rows)
    assert main(["convert", str(tmp_path / "xml" / "sinus.xml"), "--to", "wfdb", "--out", str(tmp_path / "wfdb")]) == 0
    original = load_example("sinus")
    for path in (tmp_path / "dcm" / "sinus.dcm", tmp_path / "xml" / "sinus.xml"):
        back = read_record(path)
        assert back.leads == original.leads and float(np.abs(back.signal - original.signal).max()) <= 1e-3
    wfdb = read_record(tmp_path / "wfdb" / "sinus.hea")
    assert wfdb.sex == "F" and float(np.abs(wfdb.signal - original.signal).max()) <= 2e-3


def test_convert_refuses_to_overwrite_and_unknown_targets(tmp_path, capsys):
    args = ["convert", str(EXAMPLE_DIR / "sinus.hea"), "--out", str(tmp_path)]
    assert main([*args, "--to", "aecg"]) == 0
    assert main([*args, "--to", "aecg"]) == 2
    assert "sinus.xml exists; pass --overwrite" in capsys.readouterr().err
    assert main([*args, "--to", "aecg", "--overwrite"]) == 0
    assert main([*args, "--to", "png"]) == 2
    assert "--to must be one of dicom, aecg, wfdb" in capsys.readouterr().err


def test_convert_refuses_a_record_too_long_to_hold_from_its_header(tmp_path, capsys):
    """12 leads x 61 min: refused in one line from the header alone (no signal file is even needed),
    before the reader and writers would hold it (24 hours took 8.7 GB)."""
    n = 61 * 60 * 500
    lines = [f"long 12 500 {n}"] + [f"long.dat 16 200/mV 16 0 0 0 0 {lead}" for lead in
                                     ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")]
    (tmp_path / "long.hea").write_text("\n".join(lines) + "\n")
    assert main(["convert", str(tmp_path / "long.hea"), "--to", "wfdb", "--out", str(tmp_path / "out")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "12 leads x 61.0 min is too long for medts convert" in err[0]
    assert not (tmp_path / "out").exists()
