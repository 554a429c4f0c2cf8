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
