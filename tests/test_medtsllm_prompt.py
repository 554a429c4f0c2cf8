"""Prompt assembly from the YAML templates; every part can be switched off."""

import numpy as np
import pytest

from medts.medtsllm.config import PromptConfig
from medts.medtsllm.prompt import (
    build_prompt,
    load_template,
    top_autocorrelation_lags,
    window_statistics,
)


def _sine(period_s=0.8, fs=100.0, seconds=4.0):
    t = np.arange(int(seconds * fs)) / fs
    return np.sin(2 * np.pi * t / period_s), fs


def test_autocorrelation_lags_find_the_period():
    x, fs = _sine(0.8)
    lags = top_autocorrelation_lags(x, fs, 2)
    assert lags[0] == 800 and 1600 in lags


def test_statistics_values_and_trend():
    x, fs = _sine()
    s = window_statistics(x + np.linspace(0, 5, len(x)), fs, 3)
    assert s.trend == "upward" and s.max_mV > 5 and s.min_mV < 0
    s2 = window_statistics(-np.linspace(0, 5, len(x)), fs, 3)
    assert s2.trend == "downward" and s2.median_mV == pytest.approx(-2.5, abs=0.02)


@pytest.mark.parametrize("template", ["ecg", "ecg_short"])
def test_all_parts_present(template):
    x, fs = _sine()
    p = build_prompt(PromptConfig(template=template), task="segmentation", dataset="ludb", fs=fs,
                     window=x, age=63, sex="M", lead="V2")
    assert "LUDB" in p and "63" in p and "V2" in p and "800" in p and p.endswith("ECG:")
    tpl = load_template(template)
    assert set(tpl) >= {"dataset", "task", "covariates", "statistics"}


@pytest.mark.parametrize("part,marker", [("dataset", "LUDB"), ("covariates", "V2"), ("statistics", "800"), ("task", "Task:")])
def test_each_part_switches_off(part, marker):
    x, fs = _sine()
    on = build_prompt(PromptConfig(), task="segmentation", dataset="ludb", fs=fs, window=x, age=63, sex="M", lead="V2")
    off = build_prompt(PromptConfig(**{part: False}), task="segmentation", dataset="ludb", fs=fs, window=x,
                       age=63, sex="M", lead="V2")
    assert marker in on and marker not in off and len(off) < len(on)


def test_unknown_covariates_and_dataset_fall_back():
    x, fs = _sine()
    p = build_prompt(PromptConfig(), task="anomaly", dataset="nowhere", fs=fs, window=np.stack([x, x], 1))
    assert "age unknown" in p and "sex unknown" in p and "reconstruct" in p and "sampled at 100 Hz" in p
