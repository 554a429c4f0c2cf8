"""`medts report` on a long record: the whole recording analysed window by window beside the resting
excerpt, in the JSON, the verdict, Markdown, HTML and summary.csv, with no contradiction."""

from __future__ import annotations

import csv
import json

import pytest
from long_synth import write_long_record

from medts.interpret.contradictions import report_contradictions
from medts.interpret.verdict import whole_record_sentence
from medts.longterm.analyze import analyze_recording
from medts.report.consistency import check_text
from medts.report.schema import Report


@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    """The report folder of the 9-minute simulated Holter record (`medts report --no-llm`)."""
    from medts.cli import main

    folder = tmp_path_factory.mktemp("holter")
    base, _, _ = write_long_record(folder)
    out = folder / "reports"
    assert main(["report", f"{base}.hea", "--out", str(out), "--no-llm"]) == 0
    return out, base


def _report(out) -> Report:
    return Report.model_validate_json((out / "records" / "holter" / "report.json").read_text())


def test_a_long_record_gets_the_whole_recording_beside_its_excerpt(long_report):
    out, base = long_report
    report = _report(out)
    whole = report.long_recording
    assert report.schema_version == "1.5" and whole is not None
    assert report.record.duration_s == pytest.approx(300.0)  # the resting sections read the first 5 min
    assert whole.duration_s == pytest.approx(540.0, abs=1.0)  # the windowed analysis reads all 9
    assert len(whole.episodes) == 1 and 120.0 <= whole.episodes[0].onset_s <= 240.0
    assert whole.ectopy.counts["V"] >= 10  # one early wide beat in 7 in the first 3 minutes
    assert "Whole recording (9.0 min, 60-s windows on lead II" in report.verdict
    assert "AF/flutter in 1 episode from" in report.verdict
    assert report.interpretation.text.startswith(report.verdict)
    assert report_contradictions(report) == []


def test_the_whole_recording_is_rendered_with_its_trend_and_strips(long_report):
    out, _ = long_report
    folder = out / "records" / "holter"
    md = (folder / "report.md").read_text()
    assert "## Whole recording: AF/flutter episodes" in md and "## Whole recording: ectopy" in md
    assert "![heart-rate trend](hr-trend.svg)" in md
    assert (folder / "hr-trend.svg").read_text().startswith("<svg") and (folder / "event1.svg").is_file()
    html = (folder / "report.html").read_text()
    assert "Whole recording: AF/flutter episodes" in html and html.count("data:image/svg+xml") >= 3
    row = next(csv.DictReader((out / "summary.csv").open()))
    assert row["whole_record_af_episodes"] == "1" and int(row["whole_record_v_beats"]) >= 10


def test_a_de_identified_long_report_never_names_the_file(tmp_path):
    from medts.cli import main

    base, _, _ = write_long_record(tmp_path, name="smith_john")
    out = tmp_path / "reports"
    assert main(["report", f"{base}.hea", "--out", str(out), "--no-llm", "--deidentify"]) == 0
    files = [p for p in out.rglob("*") if p.is_file() and p.name != "errors.jsonl"]
    assert any(p.name == "event1.svg" for p in files)
    assert not [p for p in files if "smith" in p.read_text(errors="replace").lower()]
    report = Report.model_validate_json(next(out.rglob("report.json")).read_text())
    assert report.long_recording.record == report.record.record_id


def test_a_short_record_gets_no_whole_recording_section(tmp_path):
    from medts.cli import main
    from medts.examples import example_path

    out = tmp_path / "reports"
    assert main(["report", str(example_path("sinus")), "--out", str(out), "--no-llm", "--json"]) == 0
    report = Report.model_validate_json(next(out.rglob("report.json")).read_text())
    assert report.long_recording is None and "Whole recording" not in report.verdict
    assert "Whole recording" not in next(out.rglob("report.md")).read_text()


def test_the_sentence_says_cannot_tell_where_the_two_analyses_disagree_on_af(long_report):
    _, base = long_report
    whole = analyze_recording(base)
    # AF windows lie in 180-360 s: over the first 120 s only the windowed analysis sees sinus rhythm.
    said = whole_record_sentence(whole, {"AFIB"}, 120.0)
    assert "atrial fibrillation or flutter in the first 120 s: cannot tell (the resting analysis reads it" in said
    assert "no AF/flutter episode" not in said
    agreed = whole_record_sentence(whole, {"SR"}, 120.0)
    assert "cannot tell" not in agreed and "AF/flutter in 1 episode" in agreed


def test_the_sentence_never_denies_an_ectopic_beat_the_resting_analysis_asserts(long_report):
    _, base = long_report
    whole = analyze_recording(base)
    no_s = whole.model_copy(update={"ectopy": whole.ectopy.model_copy(update={"counts": {**whole.ectopy.counts, "S": 0}})})
    assert "no supraventricular ectopic beat" in whole_record_sentence(no_s, {"SR"}, 300.0)
    said = whole_record_sentence(no_s, {"SR", "PAC"}, 300.0)
    assert "no supraventricular" not in said and "supraventricular ectopic beats: none called by the windowed" in said


def test_the_text_check_accepts_what_the_whole_recording_found_and_nothing_else(long_report):
    out, _ = long_report
    report = _report(out)
    # as if the excerpt read no AF (paroxysmal AF later in the recording)
    resting = report.statements.model_copy(update={"asserted": [s for s in report.statements.asserted
                                                                if s.code not in ("AFIB", "AFLT")]})
    report = report.model_copy(update={"statements": resting})
    text = "Paroxysmal atrial fibrillation on the whole recording."
    assert check_text(report, text).disagreements == []
    without = report.model_copy(update={"long_recording": None})
    assert check_text(without, text).disagreements == ["text asserts ['AFIB'], JSON does not"]


def test_mitdb_records_with_af_episodes_report_without_contradiction(mitdb_dir, tmp_path, capsys):
    from medts.cli import main

    records = [mitdb_dir / "full" / f"{r}.hea" for r in ("201", "203")]
    if not all(p.is_file() for p in records):
        pytest.skip("mitdb/full (DS1) not present")
    out = tmp_path / "reports"
    assert main(["report", *map(str, records), "--out", str(out), "--no-llm", "--formats", "json"]) == 0
    err = capsys.readouterr().err
    # 30 minutes each: the whole-recording analysis moves its own bar under the batch's
    assert "201 (whole recording)" in err and "203 (whole recording)" in err and "Traceback" not in err
    for name in ("201", "203"):
        report = Report.model_validate_json((out / "records" / name / "report.json").read_text())
        assert report.long_recording.episodes and report_contradictions(report) == []
    listing = json.loads((out / "records" / "201" / "report.json").read_text())
    assert listing["long_recording"]["af_burden_percent"] > 20.0


def test_a_de_identified_report_of_a_long_record_names_it_nowhere_on_the_terminal(mitdb_dir, tmp_path, capsys):
    from medts.cli import main

    out = tmp_path / "deid"
    assert main(["report", str(mitdb_dir / "100.hea"), "--out", str(out), "--no-llm", "--deidentify",
                 "--formats", "json"]) == 0
    captured = capsys.readouterr()
    # 30 minutes: the whole-recording bar is shown, under a neutral name
    assert "record (whole recording)" in captured.err
    assert "100 (whole recording)" not in captured.err and "mitdb" not in captured.err + captured.out
