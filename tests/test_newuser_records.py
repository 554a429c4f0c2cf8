"""Records of the kinds a new user brings (short records at a slow rate, clipped leads, reduced
leads): what each command says about them, checked on seeded simulations."""

from __future__ import annotations

from medts.commands.rhythm import text_report
from medts.longterm.analyze import analyze_recording
from medts.longterm.report import markdown_section
from medts.longterm.stream import source_from_array
from medts.simulate import simulate_12lead


def test_rhythm_on_a_short_slow_record_says_why_there_is_no_rate_summary():
    # 10 s at 48 bpm: 8 beats, fewer than a rhythm call needs, so no window is rated; the text used
    # to print "rate: mean None bpm, slowest None bpm at None s".
    ecg = simulate_12lead(10.0, 250.0, 48.0, seed=3)
    ii = ecg.signal[:, [ecg.leads.index("II")]]
    res = analyze_recording(source_from_array(ii, 250.0, ("II",), name="short"))
    assert res.rate.mean_bpm is None and res.windows and res.windows[0].hr_bpm is not None
    text, md = text_report(res, "short"), markdown_section(res)
    assert "None" not in text and "None" not in md.split("### AF/flutter")[0]
    assert "not summarised: no window had the 12 beats a rhythm call needs" in text


def test_info_and_measure_agree_on_a_lead_clipped_at_its_r_peaks():
    # Lead II amplified 8x and cut at +5 mV (an ADC rail): its R peaks, 2 % of its samples, sit on the rail.
    # measure flagged it saturated, while info said "problems: none found" (its rule wanted 5 %).
    import numpy as np

    from medts.signal.measure import measure_ecg

    ecg = simulate_12lead(10.0, 500.0, 60.0, seed=4)
    sig = ecg.signal.copy()
    j = ecg.leads.index("II")
    sig[:, j] = np.clip(sig[:, j] * 8, -5, 5)
    clipped = type(ecg)(sig, fs=ecg.fs, leads=ecg.leads, record_id="clipped")
    assert [p for p in clipped.problems() if "saturated" in p] == [p for p in clipped.problems() if p.startswith("lead II ")]
    assert any("lead II looks saturated" in p for p in clipped.problems())
    flagged = {q.lead for q in measure_ecg(clipped).lead_quality if "saturated" in q.flags}
    assert flagged == {"II"}
    assert not any("saturated" in p for p in ecg.problems())


def test_a_value_held_at_the_record_edge_is_not_clipping_and_the_streamed_summary_agrees():
    # PTB-XL pads some records' last samples with a held value (00883 lead II: its last 8 samples
    # at the lead's minimum); measure called such a lead saturated, so unusable.
    import numpy as np

    from medts.signal.measure import measure_ecg
    from medts.summary_stream import iter_windows, summarise_windows

    ecg = simulate_12lead(10.0, 100.0, 60.0, seed=5)
    sig = ecg.signal.copy()
    j = ecg.leads.index("II")
    sig[-8:, j] = sig[:, j].min() - 0.05
    padded = type(ecg)(sig, fs=ecg.fs, leads=ecg.leads, record_id="padded")
    assert not any("saturated" in p for p in padded.problems())
    assert not any("saturated" in q.flags for q in measure_ecg(padded).lead_quality)
    # a clipped lead, summarised in windows that cut its edge runs and clipped runs, as info does on long records
    sig = ecg.signal.copy()
    sig[:, j] = np.clip(ecg.signal[:, j] * 8, -5, 5)
    sig[:3, j], sig[-5:, j] = 5.0, 5.0
    clipped = type(ecg)(sig, fs=ecg.fs, leads=ecg.leads, record_id="clipped")
    n = clipped.n_samples
    for window in (1, 2, 7, 333, n):
        summary, _ = summarise_windows(clipped, n, iter_windows(lambda a, b: clipped.signal[a:b], n, window))
        assert summary == clipped.summary()
    assert any("lead II looks saturated" in p for p in clipped.summary().problems)


def test_rhythm_reads_a_challenge_mat_named_by_its_mat_file(tmp_path):
    # `medts rhythm A0001.mat` looked for "A0001.mat.hea" (exit 2, "WFDB header file not found")
    # while every other command read the same file.
    import numpy as np
    import scipy.io

    from medts.longterm.stream import open_long_record

    ecg = simulate_12lead(10.0, 500.0, 75.0, seed=6)
    val = np.round(ecg.signal.T * 1000).astype(np.int16)
    scipy.io.savemat(tmp_path / "A0001.mat", {"val": val})
    lines = [f"A0001 12 500 {val.shape[1]}"] + [f"A0001.mat 16+24 1000/mV 16 0 {row[0]} 0 0 {lead}"
                                               for lead, row in zip(ecg.leads, val)]
    (tmp_path / "A0001.hea").write_text("\n".join(lines) + "\n")
    for path in (tmp_path / "A0001.mat", tmp_path / "A0001.hea"):
        src = open_long_record(path)
        assert (src.name, src.fs, src.n_samples, src.leads) == ("A0001", 500.0, val.shape[1], tuple(ecg.leads))
        np.testing.assert_allclose(src.read(0, 100), val.T[:100] / 1000.0, atol=1e-6)


def test_a_signal_gap_is_no_pause_and_a_gap_early_in_the_record_is_read_like_a_late_one(tmp_path):
    # A Holter's invalid samples (NaN in WFDB) read as 0 mV; 6 s of them were reported as a 6.8 s
    # pause, and a gap in the first 65536 samples refused the record (exit 2) while a later one was read.
    import numpy as np
    import wfdb

    from medts.longterm.stream import open_long_record

    fs = 250.0
    ecg = simulate_12lead(150.0, fs, 70.0, seed=7)
    x = ecg.signal[:, [ecg.leads.index("II")]].astype(float)
    x[int(20 * fs):int(26 * fs)] = np.nan
    wfdb.wrsamp("gap", fs=fs, units=["mV"], sig_name=["II"], p_signal=x, fmt=["16"], write_dir=str(tmp_path))
    src = open_long_record(tmp_path / "gap.hea")
    assert src.n_samples == len(x) and not np.isnan(src.read(0, src.n_samples)).any()
    res = analyze_recording(src)
    assert res.pauses == []
    assert [(g.onset_s, g.duration_s) for g in res.signal_gaps] == [(20.0, 6.0)]
    assert any("no pause is called across them" in n for n in res.notes)
    # the same record with a true pause (a flat-free 3 s without beats: baseline noise) keeps it
    y = ecg.signal[:, [ecg.leads.index("II")]].astype(float)
    quiet = slice(int(40 * fs), int(43 * fs))
    y[quiet] = np.random.default_rng(0).normal(0, 0.01, (quiet.stop - quiet.start, 1))
    res = analyze_recording(source_from_array(y, fs, ("II",), name="pause"))
    assert res.signal_gaps == [] and len(res.pauses) == 1 and res.pauses[0].duration_s >= 3.0


def test_the_verdict_says_a_suspected_arm_electrode_reversal():
    # Arm electrodes swapped (PTB-XL 00001 and 00256 with I inverted, II<->III, aVR<->aVL): measure
    # suspected it, but the verdict asserted the right or extreme axis deviation the swap makes (and MI)
    # without a word about it. Here the swap's signature: lead I inverted, aVR upright.
    from medts.interpret import interpret_ecg

    ecg = simulate_12lead(10.0, 500.0, 70.0, seed=8)
    sig = ecg.signal.copy()
    for lead in ("I", "aVR"):
        sig[:, ecg.leads.index(lead)] *= -1
    swapped = type(ecg)(sig, fs=ecg.fs, leads=ecg.leads, record_id="swapped")
    f = interpret_ecg(swapped)
    assert f.quality.limb_lead_reversal
    assert "electrode reversal" in f.verdict and "check the electrodes" in f.verdict
    assert "reversal" not in interpret_ecg(ecg).verdict


def test_an_8_lead_record_gets_its_derived_limb_leads_with_a_note(tmp_path):
    # Carts store I, II, V1-V6 and derive the other four; a WFDB/EDF/CSV export of those 8 leads had
    # III, aVR, aVL, aVF "missing": PTB-XL 00041 (LAFB) cut to 8 leads lost its LAFB statement.
    import numpy as np
    import wfdb

    from medts.cli_inputs import read_checked, resting_limits

    ecg = simulate_12lead(10.0, 500.0, 70.0, seed=9)
    eight = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]
    cols = [ecg.leads.index(n) for n in eight]
    wfdb.wrsamp("eight", fs=500, units=["mV"] * 8, sig_name=eight, p_signal=ecg.signal[:, cols].astype(float),
                fmt=["16"] * 8, write_dir=str(tmp_path))
    got = read_checked(tmp_path / "eight.hea", limits=resting_limits("test"))
    assert got.leads == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    lead = {n: got.signal[:, k] for k, n in enumerate(got.leads)}
    np.testing.assert_allclose(lead["aVL"], lead["I"] - lead["II"] / 2, atol=1e-6)
    np.testing.assert_allclose(lead["III"], lead["II"] - lead["I"], atol=1e-6)
    assert any("III, aVR, aVL, aVF derived from I and II" in n for n in got.input_notes())
    # a flat lead I: nothing is derived (III would be a copy of II)
    flat = ecg.signal[:, cols].astype(float)
    flat[:, 0] = 0.0
    wfdb.wrsamp("flat", fs=500, units=["mV"] * 8, sig_name=eight, p_signal=flat, fmt=["16"] * 8, write_dir=str(tmp_path))
    assert read_checked(tmp_path / "flat.hea", limits=resting_limits("test")).leads == tuple(eight)


def test_lead_labels_of_other_exports_are_recognised_and_minus_avr_is_not_avr():
    # WFDB/CSV exports named "ECG I", "EKG V1", "Lead aVR" or "MDC_ECG_LEAD_II" read as 12 unknown leads
    # (classify refused the record; "Lead I" mapped but "Lead aVR" did not), and "-aVR" (inverted aVR,
    # Cabrera display) was read as aVR without its sign.
    from medts.record import STANDARD_LEADS, canonical_lead_name

    for prefix in ("ECG ", "EKG-", "Lead ", "MDC_ECG_LEAD_"):
        assert [canonical_lead_name(prefix + lead.upper()) for lead in STANDARD_LEADS] == list(STANDARD_LEADS)
    assert canonical_lead_name("-aVR") == "-aVR"
    assert [canonical_lead_name(x) for x in ("ECG1", "ECG", "lead1", "Lead III", "MLII")] == ["ECG1", "ECG", "I", "III", "II"]


def test_classify_on_an_all_zero_record_names_no_lead_as_present(tmp_path):
    # The routing note ended "on the lead(s) present: " with nothing after it.
    import json

    import numpy as np
    import wfdb
    from typer.testing import CliRunner

    from medts.cli import app
    from medts.record import STANDARD_LEADS

    wfdb.wrsamp("zeros", fs=500, units=["mV"] * 12, sig_name=list(STANDARD_LEADS), p_signal=np.zeros((5000, 12)),
                fmt=["16"] * 12, write_dir=str(tmp_path))
    result = CliRunner().invoke(app, ["classify", "--json", str(tmp_path / "zeros.hea")])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["verdict"].startswith("Cannot interpret")
    assert doc["notes"][0].endswith("on the lead(s) present: none (every lead missing or flat)")


def test_one_inverted_limb_lead_is_the_one_flagged_and_the_verdict_says_so():
    # PTB-XL 00001 with lead II's sign flipped: quality flagged aVF (II's recipe from aVF was wrong and
    # aVF's only recipe used II) and the verdict read "normal ECG" with no word on it.
    from medts.interpret import interpret_ecg
    from medts.signal.measure import measure_ecg

    ecg = simulate_12lead(10.0, 500.0, 70.0, seed=8)
    assert not any(q.flags for q in measure_ecg(ecg).lead_quality)
    for lead in ("I", "II", "III", "aVR", "aVL", "aVF"):
        sig = ecg.signal.copy()
        sig[:, ecg.leads.index(lead)] *= -1
        flipped = type(ecg)(sig, fs=ecg.fs, leads=ecg.leads, record_id="flipped")
        assert {q.lead for q in measure_ecg(flipped).lead_quality if "possibly_inverted" in q.flags} == {lead}
    f = interpret_ecg(flipped)  # aVF flipped
    assert "lead(s) aVF possibly inverted" in f.verdict


def test_flat_stretches_at_a_shallow_trough_are_not_clipping_and_every_surface_agrees():
    # LUDB stores some leads piecewise flat: LUDB 120 lead I sits for 38 ms at a time on its -0.13 mV
    # minimum (R waves 0.85 mV). info, measure and the streamed summary all called it saturated, and a
    # one-lead record of such a lead was refused. Here: four 40-ms flat runs at the trough after the T wave.
    import numpy as np

    from medts.signal.measure import measure_ecg
    from medts.summary_stream import iter_windows, summarise_windows

    ecg = simulate_12lead(10.0, 500.0, 60.0, seed=6)
    ii = ecg.signal[:, [ecg.leads.index("II")]].astype(float)
    trough = float(ii.min()) - 0.02
    for start in (1700, 2700, 3700, 4700):
        ii[start:start + 20, 0] = trough
    lead = type(ecg)(ii, fs=ecg.fs, leads=["II"], record_id="flat-troughs")
    assert (np.abs(ii[:, 0] - trough) < 1e-9).sum() > 0.005 * len(ii)  # the old rule's share
    assert not any("saturated" in p for p in lead.problems())
    quality = measure_ecg(lead).lead_quality[0]
    assert quality.usable and "saturated" not in quality.flags
    summary, _ = summarise_windows(lead, lead.n_samples, iter_windows(lambda a, b: lead.signal[a:b], lead.n_samples, 1000))
    assert summary == lead.summary()
