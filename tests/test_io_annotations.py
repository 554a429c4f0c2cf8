"""medts.io.annotations: waves, masks and the WFDB delineation convention."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from medts.io.annotations import (
    QTDB_NUM_KIND,
    WAVE_CLASSES,
    Beat,
    Wave,
    beats_from_annotation,
    beats_to_annotation,
    mask_to_waves,
    waves_from_annotation,
    waves_to_annotation,
    waves_to_mask,
)
from medts.io.wfdb_io import WfdbAnnotation, read_wfdb_annotation, write_wfdb_annotation


def _ann(marks: list[tuple[int, str, int]]) -> WfdbAnnotation:
    n = len(marks)
    return WfdbAnnotation(
        sample=np.array([m[0] for m in marks], np.int64), symbol=[m[1] for m in marks],
        subtype=np.zeros(n, np.int64), chan=np.zeros(n, np.int64),
        num=np.array([m[2] for m in marks], np.int64), aux_note=[""] * n,
    )


def test_wave_classes_order():
    assert WAVE_CLASSES == ("none", "P", "QRS", "T")


def test_waves_to_mask_fills_onset_to_offset_inclusive_and_skips_open_waves():
    waves = [Wave("P", 1, 2, 3), Wave("QRS", 5, 6, 7), Wave("T", None, 9, 11), Wave("T", 12, 13, 20)]
    mask = waves_to_mask(waves, 15)
    assert mask.dtype == np.int8
    assert mask.tolist() == [0, 1, 1, 1, 0, 2, 2, 2, 0, 0, 0, 0, 3, 3, 3]  # T clipped at the end


def test_mask_to_waves_runs():
    mask = np.array([0, 1, 1, 0, 2, 2, 2, 3, 3, 0, 0, 1], np.int8)
    assert mask_to_waves(mask) == [
        Wave("P", 1, None, 2), Wave("QRS", 4, None, 6), Wave("T", 7, None, 8), Wave("P", 11, None, 11)
    ]
    assert mask_to_waves(np.zeros(0, np.int8)) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=200))
def test_mask_round_trip_property(labels):
    mask = np.array(labels, np.int8)
    assert np.array_equal(waves_to_mask(mask_to_waves(mask), len(mask)), mask)


def test_parse_ludb_style_marks():
    # "(" onset, peak, ")" offset with num = 0 everywhere (as in LUDB); includes a QRS without
    # onset, an unpeaked bracket pair (dropped) and a trailing unclosed wave.
    ann = _ann([(10, "(", 0), (15, "p", 0), (20, ")", 0), (30, "N", 0), (35, ")", 0),
                (50, "(", 0), (60, ")", 0), (70, "(", 0), (80, "t", 0)])
    assert waves_from_annotation(ann) == [
        Wave("P", 10, 15, 20), Wave("QRS", None, 30, 35), Wave("T", 70, 80, None)
    ]


def test_parse_qtdb_style_marks_with_num_kinds():
    # q1c: T wave with only peak and offset; pu0: biphasic T with two peaks (first kept),
    # unpeaked "(" ")" pair typed by num, U wave dropped, beat symbols other than N are QRS.
    ann = _ann([(0, "(", 0), (5, "p", 0), (9, ")", 0), (12, "(", 1), (15, "V", 1), (18, ")", 1),
                (30, "t", 0), (40, ")", 2), (50, "(", 2), (55, "t", 4), (60, "t", 4), (65, ")", 2),
                (70, "(", 3), (72, "u", 0), (75, ")", 3), (80, "(", 1), (85, ")", 1)])
    waves = waves_from_annotation(ann, num_kinds=QTDB_NUM_KIND)
    assert waves == [
        Wave("P", 0, 5, 9), Wave("QRS", 12, 15, 18), Wave("T", None, 30, 40), Wave("T", 50, 55, 65),
        Wave("QRS", 80, None, 85),
    ]
    # Without num_kinds the unpeaked pair is dropped.
    assert Wave("QRS", 80, None, 85) not in waves_from_annotation(ann)


def test_waves_annotation_file_round_trip(tmp_path):
    waves = [Wave("P", 100, 110, 120), Wave("QRS", 130, 140, 150), Wave("T", 200, 230, 260),
             Wave("T", None, 400, 420)]
    write_wfdb_annotation(tmp_path / "r", "q1c", waves_to_annotation(waves, fs=250))
    ann = read_wfdb_annotation(tmp_path / "r", "q1c")
    assert ann.symbol == ["(", "p", ")", "(", "N", ")", "(", "t", ")", "t", ")"]
    assert waves_from_annotation(ann) == waves
    assert waves_from_annotation(ann, num_kinds=QTDB_NUM_KIND) == waves


def test_beats_drop_non_beat_marks_and_round_trip(tmp_path):
    ann = _ann([(5, "+", 0), (10, "N", 0), (300, "V", 0), (301, "~", 0), (600, "A", 0), (900, "|", 0)])
    beats = beats_from_annotation(ann)
    assert beats == [Beat(10, "N"), Beat(300, "V"), Beat(600, "A")]
    write_wfdb_annotation(tmp_path / "b", "atr", beats_to_annotation(reversed(beats), fs=360))
    assert beats_from_annotation(read_wfdb_annotation(tmp_path / "b", "atr")) == beats
