"""``medts bench robustness``: the catalogue is made by code, runs are judged, results are written."""

from __future__ import annotations

import json

from medts.bench.robustness import Case, make_catalogue, run_case, totals, write_robustness_results


def test_catalogue_runs_are_judged_and_written(tmp_path, monkeypatch):
    cases = {c.name: c for c in make_catalogue(tmp_path / "inputs", long_minutes=0)}
    assert {"fs_minus5", "fs_missing", "two_leads_named_ECG", "amplitude_1e6_mV", "missing_file"} <= set(cases)
    runs = [run_case("info", cases[name], tmp_path / name, timeout_s=120)
            for name in ("fs_minus5", "missing_file", "two_leads_named_ECG")]
    by_case = {r.case: r for r in runs}
    assert by_case["fs_minus5"].exit_code == 2 and by_case["fs_minus5"].passed
    assert len(by_case["fs_minus5"].error_lines) == 1 and "fs_minus5.hea" in by_case["fs_minus5"].error_lines[0]
    assert by_case["two_leads_named_ECG"].exit_code == 0 and by_case["two_leads_named_ECG"].passed
    assert all(r.peak_rss_mb and r.peak_rss_mb > 20 and not r.left_behind for r in runs)

    # A success that does not say what is odd is a silent wrong result.
    good = tmp_path / "inputs" / "good.hea"
    unsaid = Case("claims_nothing", "odd", (str(good),), "a note the command never prints", note_words=("zzz",))
    silent = run_case("info", unsaid, tmp_path / "silent", timeout_s=120)
    assert silent.exit_code == 0 and silent.silent_wrong and not silent.passed
    # A readable record passed off as bad input is caught too.
    wrong = run_case("info", Case("readable", "bad", (str(good),), "not bad at all"), tmp_path / "wrong", timeout_s=120)
    assert wrong.silent_wrong and "exit 0, not 2" in wrong.why

    t = totals([*runs, silent])
    assert t["bad_input_runs"] == 2 and t["bad_input_exit_2_one_line"] == 2 and t["silent_wrong_results"] == 1
    monkeypatch.setenv("MEDTS_RESULTS", str(tmp_path / "results"))
    from dataclasses import asdict

    json_path, md_path = write_robustness_results(
        {"cases": [asdict(c) for c in cases.values()], "runs": [asdict(r) for r in [*runs, silent]], "totals": t})
    doc = json.loads(json_path.read_text())
    assert doc["benchmark"] == "robustness" and doc["metrics"]["silent_wrong_results"] == 1
    assert "silent wrong results (goal 0) | 1" in md_path.read_text()


def test_the_day_long_record_is_written_by_tiling_and_reads_as_whole(tmp_path):
    """The 24-hour case never exists in memory: the minute's frames are appended and the header's
    checksums scaled, so medts' reader (which verifies them) reads the minute repeated."""
    import numpy as np

    from medts.bench.robustness import write_tiled_wfdb
    from medts.io import read_record
    from medts.simulate import simulate_12lead

    minute = simulate_12lead(duration_s=60.0, fs=500.0, hr_bpm=70.0, seed=5)
    hea = write_tiled_wfdb(tmp_path, "tiled3", minute, 3)
    back = read_record(hea)  # checksums verified: a wrong one raises
    assert back.n_samples == 3 * minute.n_samples and back.leads == minute.leads
    one = back.signal[: minute.n_samples]
    assert np.array_equal(back.signal, np.tile(one, (3, 1)))
    assert float(np.abs(one - minute.signal).max()) < 1e-3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiled3.dat", "tiled3.hea"]
    cases = make_catalogue(tmp_path / "inputs", long_minutes=0, long_hours=3 / 60)
    day = next(c for c in cases if c.kind == "long")
    assert day.name == "long_0.05h_12lead" and day.timeout_s and read_record(day.paths[0]).n_samples == 90000


def test_missing_samples_are_judged_as_the_gap_policy_says(tmp_path):
    """A short NaN gap is bridged and said (odd: exit 0 naming it, or an open refusal); a long one that leaves
    under 8 s is refused with one line (medts.interpret.gaps)."""
    cases = {c.name: c for c in make_catalogue(tmp_path / "inputs", long_minutes=0)}
    assert cases["nan_samples"].kind == "odd" and cases["nan_gap_2s"].kind == "bad"
    short = run_case("measure", cases["nan_samples"], tmp_path / "short", timeout_s=120)
    assert short.exit_code == 0 and short.passed, short.why
    long = run_case("measure", cases["nan_gap_2s"], tmp_path / "long", timeout_s=120)
    assert long.exit_code == 2 and long.passed and "nan_gap.npz" in long.error_lines[0], long.why
