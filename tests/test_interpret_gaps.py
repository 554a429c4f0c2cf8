"""medts.interpret.gaps: missing samples (NaN) in a resting ECG, bridged, cut or refused; fixtures
made here (neurokit2 simulation, seed 1) and written with wfdb.wrsamp / as CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from medts.errors import ECGReadError, InvalidECGError
from medts.interpret.gaps import MIN_GAP_FREE_S, mend_gaps, missing_runs
from medts.interpret.longterm import SIGNAL_GAP_S
from medts.io import read_record

FS = 500


@pytest.fixture(scope="module")
def ecg3():
    """12 s of leads I, II, V1 (mV) at 500 Hz."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=12, sampling_rate=FS, heart_rate=70, random_state=1)
    return np.column_stack([0.6 * x, x, -0.4 * x])


def _with_nan(signal, *spans, lead=None):
    out = signal.copy()
    for a, b in spans:
        out[int(a * FS):int(b * FS), slice(None) if lead is None else lead] = np.nan
    return out


def _wrsamp(directory, name, signal):
    import wfdb

    wfdb.wrsamp(name, fs=FS, units=["mV"] * 3, sig_name=["I", "II", "V1"], p_signal=signal, fmt=["16"] * 3,
                adc_gain=[1000.0] * 3, baseline=[0] * 3, write_dir=str(directory))
    return directory / f"{name}.hea"


def test_short_inner_gap_is_bridged_and_named(ecg3):
    out = mend_gaps(_with_nan(ecg3, (4.0, 4.3)), FS, ("I", "II", "V1"))
    assert out.start == 0 and out.signal.shape == ecg3.shape and np.isfinite(out.signal).all()
    np.testing.assert_array_equal(out.signal[:1999], ecg3[:1999])
    assert out.gaps == ((4.0, 0.3, "bridged"),)
    assert "4.00-4.30 s (0.30 s)" in out.notes[0] and "I, II, V1" in out.notes[0]


def test_gap_in_one_lead_names_that_lead(ecg3):
    out = mend_gaps(_with_nan(ecg3, (8.0, 8.04), lead=1), FS, ("I", "II", "V1"))
    assert "in lead(s) II:" in out.notes[0]
    np.testing.assert_array_equal(out.signal[:, 0], ecg3[:, 0])


def test_long_gap_keeps_the_longest_part_when_it_lasts_8_s(ecg3):
    out = mend_gaps(_with_nan(ecg3, (2.0, 3.2), (5.0, 5.1)), FS, ("I", "II", "V1"))
    assert out.start == int(3.2 * FS) and out.signal.shape[0] == int(8.8 * FS)
    assert {g[2] for g in out.gaps} == {"cut", "bridged"}
    assert out.notes[0].startswith("analysed 3.20-12.00 s of the record (8.8 s of 12.0 s), the longest part")


@pytest.mark.parametrize("span", [(6.0, 7.2), (6.0 - SIGNAL_GAP_S, 6.0)])
def test_gap_leaving_under_8_s_is_refused_with_the_gap_named(ecg3, span):
    with pytest.raises(InvalidECGError, match=rf"at {span[0]:.2f}-{span[1]:.2f} s .* at least {MIN_GAP_FREE_S:g} s"):
        mend_gaps(_with_nan(ecg3, span), FS, ("I", "II", "V1"))


def test_edge_gaps_are_cut_not_invented_and_empty_lead_is_refused(ecg3):
    out = mend_gaps(_with_nan(ecg3, (0.0, 0.06), (11.9, 12.0)), FS, ("I", "II", "V1"))
    assert out.start == 30 and out.signal.shape[0] == 6000 - 30 - 50
    assert "without the missing samples at its edge" in out.notes[0] and len(out.notes) == 1
    x = ecg3.copy()
    x[:, 2] = np.nan
    with pytest.raises(InvalidECGError, match="lead.s. V1 hold no samples"):
        mend_gaps(x, FS, ("I", "II", "V1"))
    assert missing_runs(ecg3) == []


def test_wfdb_reader_mends_only_when_asked(tmp_path, ecg3):
    header = _wrsamp(tmp_path, "gap", _with_nan(ecg3, (2.0, 3.2)))
    with pytest.raises(ECGReadError, match="NaN samples"):
        read_record(header)
    ecg = read_record(header, mend_gaps=True)
    assert ecg.duration_s == pytest.approx(8.8) and ecg.metadata["gap_start_s"] == 3.2
    assert any("2.00-3.20 s" in note for note in ecg.input_notes())


def test_csv_empty_cells_are_missing_samples(tmp_path, ecg3):
    rows = [",".join(f"{v:.4f}" for v in row) for row in ecg3]
    rows[2500:2600] = [",,"] * 100
    path = tmp_path / "gap.csv"
    path.write_text("I,II,V1\n" + "\n".join(rows) + "\n")
    with pytest.raises(ECGReadError, match="300 NaN or infinite samples"):
        read_record(path, fs=FS)
    ecg = read_record(path, fs=FS, mend_gaps=True)
    assert ecg.n_samples == 6000 and "5.00-5.20 s" in ecg.input_notes()[0]


def test_measure_cli_measures_a_gapped_record_and_refuses_an_unusable_one(tmp_path, ecg3):
    from medts.cli import app

    short = _wrsamp(tmp_path, "short", _with_nan(ecg3, (4.0, 4.3)))
    middle = _wrsamp(tmp_path, "middle", _with_nan(ecg3, (6.0, 7.2)))
    result = CliRunner().invoke(app, ["measure", str(short), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert any("4.00-4.30 s" in note for note in row["input_notes"])
    assert 65 <= row["hr_bpm"]["value"] <= 75  # simulated at 70 bpm
    result = CliRunner().invoke(app, ["measure", str(middle)])
    assert result.exit_code == 2
    assert "middle.hea: signal gap(s)" in result.output and "6.00-7.20 s" in result.output


@pytest.mark.parametrize("command", ["segment", "anomalies"])
def test_model_commands_read_a_gapped_record_and_name_the_gaps(tmp_path, ecg3, command):
    """segment and anomalies follow the same gap rule as measure (they refused any missing sample before)."""
    from medts.cli import app

    header = _wrsamp(tmp_path, "gapped", _with_nan(ecg3, (4.0, 4.3)))
    result = CliRunner().invoke(app, [command, str(header)])
    assert result.exit_code == 0, result.output
    assert "4.00-4.30 s" in result.output and "bridged" in result.output
    middle = _wrsamp(tmp_path, "middle", _with_nan(ecg3, (6.0, 7.2)))
    result = CliRunner().invoke(app, [command, str(middle)])
    assert result.exit_code == 2
    assert "middle.hea: signal gap(s)" in result.output
