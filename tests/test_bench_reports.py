"""``medts bench reports``: F1 arithmetic, and the throughput / per-step CPU figures on real report runs."""

from __future__ import annotations

import numpy as np
import pytest

from medts.bench.reports import f1_scores, level_sets, stage_cpu, throughput
from report_helpers import write_good_records


def test_f1_scores_by_hand():
    truth = np.array([[1, 0], [1, 1], [0, 0]], bool)
    pred = np.array([[1, 1], [0, 1], [0, 0]], bool)
    macro, micro = f1_scores(truth, pred)
    # class 0: tp 1, fn 1 -> 2/3; class 1: tp 1, fp 1 -> 2/3; micro: tp 2, fp 1, fn 1 -> 4/6
    assert macro == pytest.approx(2 / 3) and micro == pytest.approx(2 / 3)
    assert level_sets(["NORM", "SR"], "superdiagnostic") == {"NORM"}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speed")
    write_good_records(folder, 3, fs=100.0)
    return [str(folder)]


def test_throughput_run_reports_every_record_with_cpu_memory_and_load(records):
    run = throughput(records, workers=1, formats=("json", "md", "html"), limit=None, evidence="occlusion")
    assert (run["records"], run["failed"], run["workers_used"]) == (3, 0, 1)
    assert run["text_writers"] == ["template"] and run["chunk_size"] == 3
    assert 0 < run["cpu_s_per_record"] < run["wall_s_incl_startup"]
    assert run["est_records_per_s_2_idle_cores"] == pytest.approx(1 / run["cpu_s_per_record"], rel=0.01)
    assert run["peak_rss_mb_per_worker"] > 50  # torch and the classifiers are loaded
    assert run["load_average_1min_before"] >= 0 and run["load_average_1min_at_end"] >= 0


def test_stage_cpu_times_every_step_of_a_report(records):
    stages = stage_cpu(records, folds=None, limit=2)
    steps = {k: v for k, v in stages.items() if k not in ("records", "total")}
    assert stages["records"] == 2
    assert {"read record", "measurements (medts.signal.measure_ecg)", "classifiers (all members)",
            "evidence leads (lead occlusion)", "HTML with the SVG tracing"} <= set(steps)
    assert all(v >= 0 for v in steps.values()) and stages["total"] == pytest.approx(sum(steps.values()), abs=0.2)
    assert steps["measurements (medts.signal.measure_ecg)"] > 0
