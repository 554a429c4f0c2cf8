"""Text-vs-JSON consistency: the reader of report texts, and zero disagreements over many varied records."""

from __future__ import annotations

import pytest

from medts.record import ECG
from medts.report.build import ReportBuilder
from medts.report.consistency import check_text, code_mentions, codes_in_text, negated_codes_in_text, number_claims
from medts.simulate import simulate_12lead


# -- the reader ---------------------------------------------------------------------------------
def test_codes_inside_a_codes_own_description_and_in_citations_are_not_assertions():
    text = ("Statements suggested: CD (conduction disturbance (bundle branch or fascicular block, AV block, WPW, ...), "
            "p=0.97); SR (sinus rhythm, p=0.92) [classify.present (INJAL)]. LAFB seen.")
    assert codes_in_text(text) == ["CD", "SR", "LAFB"]
    assert [m.code for m in code_mentions(text)] == ["CD", "SR", "LAFB"]


def test_negated_codes_and_statements_in_words_are_read():
    assert negated_codes_in_text("No AFIB; without CLBBB. SR present.") == ["AFIB", "CLBBB"]
    assert codes_in_text("No AFIB. SR present.") == ["SR"]
    words = codes_in_text("Atrial fibrillation with left bundle branch block.", plain_language=True)
    assert "AFIB" in words


def test_numbers_bind_to_the_nearest_measurement_name_and_limits_are_not_claims():
    claims = number_claims("Heart rate: 143 bpm [measurements.hr_bpm]. The heart rate is above 100 bpm. "
                           "PR interval: 134 ms, within the range 120 ms to 200 ms. QTc (Bazett) 352 ms; "
                           "QRS axis -48 degrees; Cornell voltage 2.89 mV.")
    got = [(c.names[0], c.written, c.unit) for c in claims]
    assert got == [("hr_bpm", "143", "bpm"), ("pr_ms", "134", "ms"), ("qtc_bazett_ms", "352", "ms"),
                   ("qrs_axis_deg", "-48", "deg"), ("cornell_mv", "2.89", "mV")]


# -- reports ------------------------------------------------------------------------------------
def _varied_records() -> list[ECG]:
    """Simulated records that exercise different report paths: rates, AF, sampling rates, noise,
    missing leads, a short record and a flat lead."""
    out = []
    specs = [(45.0, 100.0, False), (62.0, 250.0, False), (88.0, 500.0, False), (125.0, 500.0, False),
             (105.0, 100.0, True), (72.0, 360.0, True), (150.0, 250.0, False)]
    for i, (hr, fs, af) in enumerate(specs):
        out.append(simulate_12lead(duration_s=10.0, fs=fs, hr_bpm=hr, seed=40 + i, atrial_fibrillation=af,
                                   record_id=f"sim{i}", age=30 + 7 * i, sex="MF"[i % 2]))
    noisy = simulate_12lead(duration_s=10.0, fs=250.0, hr_bpm=70.0, seed=60, noise_mv=0.15, record_id="noisy")
    out.append(noisy)
    limb = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=80.0, seed=61, record_id="limb")
    out.append(limb.select_leads(["I", "II", "III"]))
    out.append(simulate_12lead(duration_s=4.0, fs=500.0, hr_bpm=90.0, seed=62, record_id="short"))
    flat = simulate_12lead(duration_s=10.0, fs=500.0, hr_bpm=66.0, seed=63, record_id="flatV3")
    signal = flat.signal.copy()
    signal[:, flat.leads.index("V3")] = 0.0
    out.append(ECG(signal, fs=flat.fs, leads=flat.leads, record_id="flatV3"))
    return out


@pytest.fixture(scope="module")
def template_reports():
    builder = ReportBuilder(text="template", evidence="none")
    return builder.build_many(_varied_records())


def test_template_texts_of_varied_records_have_zero_disagreements_and_omit_nothing(template_reports):
    assert len(template_reports) == 11
    n_claims = 0
    for report in template_reports:
        result = check_text(report)
        assert result.disagreements == [], (report.record.record_id, result.disagreements, report.interpretation.text)
        assert result.omissions == [], (report.record.record_id, result.omissions)
        n_claims += result.n_number_claims
    # The check really read the texts: every measured interval, rate and voltage (the template writes all
    # but the P and T axes) and every QRS axis is a claim it compared.
    measured = sum(1 for r in template_reports for m in r.measurements.items
                   if m.value is not None and not m.name.endswith("_deg"))
    measured += sum(r.rhythm_axis.axis_deg is not None for r in template_reports)
    assert n_claims >= measured


def test_the_counter_catches_a_changed_number_an_extra_code_and_a_wrong_probability(template_reports):
    report = next(r for r in template_reports if r.measurements.get("qrs_ms") and r.measurements.get("qrs_ms").value
                  and r.statements.asserted)
    text = report.interpretation.text
    qrs = report.measurements.get("qrs_ms")
    written = f"QRS duration {qrs.value:.0f} ms"
    assert written in text
    wrong = text.replace(written, f"QRS duration {qrs.value + 40:.0f} ms")
    assert any("qrs_ms" in d for d in check_text(report, wrong).disagreements)
    extra_code = next(c for c in ("WPW", "CLBBB", "AMI") if c not in report.statements.codes())
    assert check_text(report, text + f" {extra_code} suspected.").disagreements
    first = report.statements.asserted[0]
    if first.probability is not None:
        bad_p = text.replace(f"p={first.probability:.2f}", f"p={(first.probability + 0.3) % 1:.2f}", 1)
        assert any(first.code in d for d in check_text(report, bad_p).disagreements)


@pytest.mark.realdata
def test_real_ptbxl_and_ludb_template_reports_have_zero_disagreements(ptbxl_dir, ludb_dir):
    from medts.io.ludb import read_ludb
    from medts.io.ptbxl import PtbxlIndex

    index = PtbxlIndex.open(ptbxl_dir, sampling_rate=100)
    ecgs = [index.read(i) for i in index.ecg_ids([9])[:10]]
    ecgs += [read_ludb(ludb_dir, i).ecg for i in (1, 2, 3)]
    reports = ReportBuilder(text="template", evidence="none").build_many(ecgs)
    asserted = 0
    for report in reports:
        result = check_text(report)
        assert result.disagreements == [] and result.omissions == [], (report.record.record_id, result)
        asserted += len(report.statements.asserted)
    assert asserted > len(reports)  # the classifiers did assert statements for the check to read
