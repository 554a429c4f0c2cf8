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
