"""``medts info`` on long records: the summary computed window by window equals the whole-record one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from medts.cli import app
from medts.io import read_record
from medts.io.samples import ishne_holter
from medts.io.wfdb_io import read_wfdb_samples, write_wfdb
from medts.record import ECG
from medts.summary_stream import (
    WINDOW_SAMPLES,
    StreamedRecord,
    _from_key,
    _keys,
    iter_windows,
    read_for_summary,
    summarise_windows,
)


def _odd_record(n: int, seed: int) -> ECG:
    """Leads that exercise every rule of the summary: normal, flat, saturated, implausible, signed zeros."""
    rng = np.random.default_rng(seed)
    normal = rng.normal(0, 0.4, n)
    flat = rng.normal(0, 1e-4, n)
    saturated = np.clip(rng.normal(0, 1, n), -1.2, 1.2)  # ~23% of samples at the limits
    loud = rng.normal(30.0, 12.0, n)  # median near 30 mV, some samples over 25 mV from it
    zeros = np.where(rng.random(n) < 0.5, -0.0, 0.0) + np.where(rng.random(n) < 0.1, 0.3, 0.0)
    return ECG(np.stack([normal, flat, saturated, loud, zeros], 1), fs=250, leads=("I", "II", "V1", "V2", "V3"),
               record_id="odd")


@pytest.mark.parametrize("n, window", [(5001, 777), (5000, 1000), (6000, 5999), (4999, 1 << 18)])
def test_windowed_summary_equals_the_whole_record_summary(n, window):
    ecg = _odd_record(n, seed=n)
    summary, notes = summarise_windows(ecg, n, iter_windows(lambda a, b: ecg.signal[a:b], n, window))
    assert summary == ecg.summary()
    assert notes == ecg.input_notes()
    assert any("implausible" in p for p in summary.problems)  # the rules fired, so equality means something
    assert any("saturated" in p for p in summary.problems) and any("flat" in p for p in summary.problems)


def test_the_exact_median_is_numpy_s():
    """The implausible-amplitude check measures from the median: the two-pass histogram median must be
    np.median's to the bit (ties, negative values, even and odd counts)."""
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 10, 1001):
        x = rng.choice(np.float32([-3.5, -0.0, 0.0, 1e-7, 2.25, 40.0]), size=(n, 1)).astype(np.float32)
        x[: n // 3] += rng.normal(0, 1, (n // 3, 1)).astype(np.float32)
        keys = _keys(x[:, 0])
        assert np.array_equal(np.array([_from_key(k) for k in keys], np.float32).view(np.uint32),
                              x[:, 0].view(np.uint32))
        assert np.array_equal(np.sort(x[:, 0]), x[np.argsort(keys, kind="stable"), 0])  # the keys sort as the values
        loud = ECG(np.repeat(x + np.float32(100.0), 500, axis=0), fs=250, leads=("I",))  # > 25 mV: the note shows
        signal = loud.signal
        summary, _ = summarise_windows(loud, loud.n_samples, iter_windows(lambda a, b, s=signal: s[a:b], len(signal), 333))
        assert summary == loud.summary()


def _long_wfdb(tmp_path, n: int) -> tuple:
    t = np.arange(n) / 500.0
    signal = np.stack([np.sin(2 * np.pi * 1.1 * t), 0.2 * np.cos(2 * np.pi * 0.3 * t)], 1)
    signal[n - 10, 1] = 40.0  # an implausible spike in the last window only
    ecg = ECG(signal, fs=500, leads=("II", "V1"), record_id="long", age=70, sex="F")
    return write_wfdb(ecg, tmp_path / "long"), ecg


def test_info_on_a_long_wfdb_record_streams_and_says_the_same(tmp_path, monkeypatch):
    n = WINDOW_SAMPLES + 12345
    hea, _ = _long_wfdb(tmp_path, n)
    whole = read_record(hea).summary()
    calls = []
    from medts.io import wfdb_io

    original = wfdb_io.read_wfdb_samples

    def spy(path, start, stop, **options):
        calls.append(stop - start)
        return original(path, start, stop, **options)

    monkeypatch.setattr(wfdb_io, "read_wfdb_samples", spy)
    result = CliRunner().invoke(app, ["info", str(hea), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert calls and max(calls) <= WINDOW_SAMPLES  # read window by window, never whole
    assert {k: v for k, v in row.items() if k != "input_notes"} == whole.model_dump(mode="json")
    assert any("lead V1 has an implausible amplitude" in p for p in row["problems"])  # seen in the last window
    assert row["input_notes"] == [p for p in whole.problems if "implausible" in p]


def test_short_records_are_read_whole_as_before(tmp_path):
    hea, _ = _long_wfdb(tmp_path, 5000)
    got = read_for_summary(hea)
    assert not isinstance(got, StreamedRecord) and got.summary() == read_record(hea).summary()


def test_wfdb_sample_ranges_are_the_reader_s_values(tmp_path):
    hea, _ = _long_wfdb(tmp_path, 9000)
    whole = read_record(hea).signal
    assert np.array_equal(read_wfdb_samples(hea, 1234, 5678), whole[1234:5678])


def test_ishne_holter_is_read_by_sample_range_with_ecgdatakit_s_values(tmp_path):
    """medts reads the ISHNE data block itself (ecgdatakit reads whole files): values must be ecgdatakit's."""
    import warnings

    from ecgdatakit.parsing.parser import FileParser

    from medts.io.ishne import ishne_length, ishne_reader, read_ishne
    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(duration_s=30.0, fs=250.0, hr_bpm=70.0, seed=3, age=60, sex="M").select_leads(["I", "II", "V5"])
    path = tmp_path / "h.ecg"
    path.write_bytes(ishne_holter(ecg, resolution_nv=2500))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = FileParser.parse(path, auto_scale=True, units="mV")
    expected = np.stack([np.asarray(lead.samples, np.float64) for lead in theirs.leads], 1).astype(np.float32)
    whole = read_ishne(path)
    assert np.array_equal(whole.signal, expected) and ishne_length(path) == ecg.n_samples
    head = read_record(path, max_samples=1000)
    assert head.n_samples == 1000 and np.array_equal(head.signal, expected[:1000])
    assert np.array_equal(ishne_reader(path)(3000, 4500), expected[3000:4500])
    streamed = read_for_summary(path, window_samples=2000)
    assert isinstance(streamed, StreamedRecord) and streamed.summary() == whole.summary()
    cut = tmp_path / "cut.ecg"
    cut.write_bytes(path.read_bytes()[: -6 * 100 - 3])  # 100 frames and a half short
    short = read_for_summary(cut, window_samples=2000)
    notes = [n for n in short.input_notes() if "announces 7500 samples per lead but the file holds 7399" in n]
    assert notes and short.summary().n_samples == 7399
    assert short.summary() == read_record(cut).summary()


def test_rhythm_streams_an_ishne_holter_file_by_sample_range(tmp_path, monkeypatch):
    """``open_long_record`` on ISHNE reads windows from the data block, the values of the whole read."""
    from medts.io import ishne
    from medts.longterm.stream import iter_chunks, open_long_record
    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(duration_s=40.0, fs=250.0, hr_bpm=70.0, seed=5).select_leads(["II", "V1"])
    path = tmp_path / "h.ecg"
    path.write_bytes(ishne_holter(ecg)[:-4 * 50])  # 50 frames short of what the header announces
    whole = read_record(path)
    sizes = []
    real = ishne._frames
    monkeypatch.setattr(ishne, "_frames", lambda *a: sizes.append(a[-1] - a[-2]) or real(*a))
    src = open_long_record(path)  # reads its first part (up to 2^16 frames) for the header's metadata
    sizes.clear()
    got = np.concatenate([c.signal[c.start - c.read_start:c.stop - c.read_start]
                          for c in iter_chunks(src, window_s=10.0, margin_s=1.0)])
    assert src.n_samples == whole.n_samples == ecg.n_samples - 50 and np.array_equal(got, whole.signal)
    assert max(sizes) <= 12 * 250  # a window and its margins, never the whole file
    assert "read as far as it goes" in (src.note or "")


def test_anomalies_scores_the_first_hour_of_a_day_long_record():
    """A 24-hour record is scored on its first hour (read by sample range), no longer refused."""
    from medts.commands.anomalies import ANOMALY_LIMITS

    fs, n = 500.0, 24 * 3600 * 500
    keep = ANOMALY_LIMITS.excerpt_samples(n, fs, 12)
    assert keep == 3600 * 500
    ANOMALY_LIMITS.check("day.hea", keep, 12, fs)  # the excerpt is within the limits: no refusal


@pytest.mark.parametrize("damage", ["truncated", "missing_dat", "empty_header"])
def test_rhythm_refuses_a_broken_wfdb_record_in_one_line(tmp_path, capsys, damage):
    """``medts rhythm`` reads through medts' reader first: exit 2 and one line naming the file, not a
    wfdb traceback reported as an internal error (exit 1), as before."""
    from medts.cli import main

    hea, _ = _long_wfdb(tmp_path, 5000)
    if damage == "truncated":
        hea.with_suffix(".dat").write_bytes(hea.with_suffix(".dat").read_bytes()[:500])
    elif damage == "missing_dat":
        hea.with_suffix(".dat").unlink()
    else:
        hea.write_text("")
    assert main(["rhythm", str(hea), "--json"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("error:", "internal error:"))]
    assert len(errors) == 1 and errors[0].startswith("error:") and "long.hea" in errors[0]


def test_a_long_ishne_file_is_cut_to_its_excerpt_by_sample_range(tmp_path, monkeypatch):
    """measure/classify/report read only the excerpt of an ISHNE Holter file (24 h of 12 leads took
    12 GB in measure when the file was read whole and cut)."""
    from medts.cli_inputs import InputLimits, read_checked
    from medts.io import ishne
    from medts.simulate import simulate_12lead

    ecg = simulate_12lead(duration_s=30.0, fs=250.0, hr_bpm=70.0, seed=3).select_leads(["I", "II", "V5"])
    path = tmp_path / "h.ecg"
    path.write_bytes(ishne_holter(ecg))
    sizes = []
    real = ishne._frames
    monkeypatch.setattr(ishne, "_frames", lambda *a: sizes.append(a[-1] - a[-2]) or real(*a))
    got = read_checked(path, limits=InputLimits(excerpt_s=10.0, what="medts measure"))
    assert got.n_samples == 2500 and max(sizes) == 2500  # never the 7500 samples of the file
    assert np.array_equal(got.signal, read_record(path).signal[:2500])
    assert any("medts measure analysed its first 10 s of 30 s" in n for n in got.input_notes())
