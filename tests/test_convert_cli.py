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
