"""The interpretation benchmark's label conventions: LUDB axis families and rate-limit differences."""

from __future__ import annotations

from medts.bench.interpretation import (
    LUDB_AXIS,
    LUDB_AXIS_FAMILY,
    Item,
    ludb_convention,
    rate_convention_only,
)


def test_ludb_left_settles_no_aha_category():
    # Russian convention: 'left' is below 0 deg, which spans AHA normal (-30..0) and AHA LAD (< -30)
    assert "left axis deviation" not in LUDB_AXIS
    assert LUDB_AXIS["horizontal"] == LUDB_AXIS["vertical"] == "normal axis"
    assert ludb_convention(-10.0) == ludb_convention(-60.0) == LUDB_AXIS_FAMILY["left axis deviation"]
    assert ludb_convention(10.0) == ludb_convention(85.0) == LUDB_AXIS_FAMILY["normal"]
    assert ludb_convention(120.0) == LUDB_AXIS_FAMILY["right axis deviation"]
    assert ludb_convention(-150.0) is None and ludb_convention(None) is None


def _item(truth: str, engine: str, hr: float | None) -> Item:
    return Item(set_name="t", record_id="r", truth=set(), labelled=(), engine=set(), classifier=set(),
                rhythm_truth=truth, rhythm_engine=engine, hr_bpm=hr)


def test_rate_convention_only_at_the_disputed_rates():
    assert rate_convention_only(_item("SBRAD", "SR", 55.0))
    assert rate_convention_only(_item("STACH", "SR", 92.0))
    assert not rate_convention_only(_item("SBRAD", "SR", 70.0))  # a real disagreement
    assert not rate_convention_only(_item("SR", "SR", 55.0))  # agreement, not a difference
    assert not rate_convention_only(_item("AFIB", "SR", 55.0))  # not a rate question
    assert not rate_convention_only(_item("SBRAD", "cannot tell", 55.0))


def test_af_on_labelled_sinus_and_af_errors_are_counted_per_record():
    from medts.bench.interpretation import PTBXL_SETS, set_summary

    items = [
        Item(set_name="t", record_id="a", truth={"SR"}, labelled=("AFIB",), engine={"AFIB"}, classifier=set(),
             rhythm_truth="SR", engine_afib_on_labelled_sinus=True),
        Item(set_name="t", record_id="b", truth={"AFIB"}, labelled=("AFIB",), engine=set(), classifier={"AFIB"},
             rhythm_truth="AFIB"),
        Item(set_name="t", record_id="c", truth={"AFIB"}, labelled=("AFIB",), engine={"AFIB"}, classifier=set(),
             rhythm_truth="AFIB"),
    ]
    s = set_summary(items)
    assert s["engine_afib_on_labelled_sinus"] == 1
    assert s["afib_errors"] == {"missed": ["b"], "false": ["a"]}
    assert s["engine"]["AFIB"]["sensitivity"] == 0.5
    assert PTBXL_SETS[10] == "PTB-XL fold 10 (official test fold)"  # scored apart, never with folds 1-8


def test_sinus_calls_rescored_under_other_rate_conventions():
    from medts.bench.interpretation import (
        SINUS_RATE_CONVENTIONS,
        rhythm_under_convention,
        set_summary,
    )

    def item(truth, engine, hr, codes, paced=False):
        return Item(set_name="t", record_id=f"{truth}{engine}{hr}", truth=set(), labelled=(), engine=set(),
                    classifier=set(), rhythm_truth=truth, rhythm_engine=engine, hr_bpm=hr, rhythm_codes=codes, paced=paced)

    brady = item("SBRAD", "SR", 55.0, ["SR"])
    assert rhythm_under_convention(brady, 50.0, 100.0) == "SR" and rhythm_under_convention(brady, 60.0, 100.0) == "SBRAD"
    assert rhythm_under_convention(item("SBRAD", "SARRH", 55.0, ["SARRH"]), 60.0, 100.0) == "SBRAD"
    assert rhythm_under_convention(item("STACH", "SR", 95.0, ["SR"]), 50.0, 90.0) == "STACH"
    assert rhythm_under_convention(item("SR", "SR", 55.0, ["SR", "PACE"], paced=True), 60.0, 100.0) == "SR"
    assert rhythm_under_convention(item("SR", "AFIB", 55.0, ["AFIB"]), 60.0, 100.0) == "AFIB"
    s = set_summary([brady, item("SR", "SR", 70.0, ["SR"])])["rhythm_label"]
    by = s["agreement_by_sinus_rate_convention"]
    engine, aha = list(SINUS_RATE_CONVENTIONS)[:2]
    assert by[engine]["all"] == 0.5 and by[aha]["all"] == 1.0
    assert s["disagreements"] == ["SBRADSR55.0: SBRAD -> SR at 55 bpm (rate convention)"]


def test_a_prolonged_pr_under_either_ptbxl_label_is_scored_beside_1avb():
    # PTB-XL labels a PR above 200 ms as 1AVB or as LPR (prolonged PR interval); the engine's 1AVB is that measurement
    from medts.bench.interpretation import PROLONGED_PR, prolonged_pr_codes, statement_metrics

    assert prolonged_pr_codes({"LPR", "SR"}) == {"LPR", "SR", PROLONGED_PR}
    assert prolonged_pr_codes({"1AVB"}) == {"1AVB", PROLONGED_PR}
    assert prolonged_pr_codes({"SR"}) == {"SR"}
    labelled = ("1AVB", PROLONGED_PR)
    items = [Item(set_name="t", record_id=r, truth=prolonged_pr_codes(t), labelled=labelled,
                  engine=prolonged_pr_codes(e), classifier=set())
             for r, t, e in (("a", {"LPR"}, {"1AVB"}), ("b", {"1AVB"}, {"1AVB"}), ("c", set(), set()))]
    rows = statement_metrics(items, "engine")
    assert rows["1AVB"]["ppv"] == 0.5 and rows[PROLONGED_PR]["ppv"] == 1.0
