"""Batched report texts: template / LLM writers, grounding of every text, draft notice, abstention."""

from __future__ import annotations

import numpy as np
import pytest

from medts.agent import DRAFT_NOTICE
from medts.agent.grounding import ground_answer
from medts.agent.report_text import (
    NO_TEXT,
    ReportTextInput,
    compact_fact_lines,
    facts_from_report,
    ground_texts,
    trace_of,
    write_report_texts,
    write_report_texts_detailed,
)
from medts.agent.text_data import tool_facts
from medts.errors import MedtsError
from medts.examples import simulate_example
from medts.record import ECG


@pytest.fixture(scope="module")
def sinus_item():
    ecg = simulate_example("sinus")
    return ReportTextInput(ecg=ecg, facts=tool_facts(ecg, classify=False))


def test_template_text_copies_the_tool_numbers_and_ends_with_the_notice(sinus_item):
    hr = sinus_item.facts["measurements"]["hr_bpm"]["value"]
    [text] = write_report_texts([sinus_item], writer="template")
    assert text.startswith(f"Heart rate: {hr:.0f} bpm [measurements.hr_bpm].")
    assert text.endswith(DRAFT_NOTICE)
    # nothing in the final text is left ungrounded
    body = text.replace(DRAFT_NOTICE, "")
    assert ground_answer(body, trace_of(sinus_item.facts)).n_ungrounded == 0


def test_planted_wrong_numbers_and_statements_are_removed(sinus_item):
    m = sinus_item.facts["measurements"]
    hr, qrs = m["hr_bpm"]["value"], m["qrs_ms"]["value"]
    raw = (f"Heart rate {hr:.0f} bpm. The QRS duration is {qrs + 50:.0f} ms. "
           "There is left bundle branch block. The QTc is 460 ms.")
    [r] = ground_texts([sinus_item], [raw])
    assert f"{hr:.0f} bpm [measurements.hr_bpm]" in r.text
    assert f"{qrs + 50:.0f}" not in r.text and "bundle branch" not in r.text
    # 460 ms is only the QTc reference limit here, never a measured QTc
    assert abs(m["qtc_bazett_ms"]["value"] - 460) > 3 and "460" not in r.text
    assert r.n_ungrounded == 3 and len(r.removed) == 3
    [flagged] = ground_texts([sinus_item], [raw], grounding="flag")
    assert flagged.text.count("[UNVERIFIED]") == 3


def test_text_with_nothing_grounded_says_so(sinus_item):
    [r] = ground_texts([sinus_item], ["The patient has had a heart attack 3 weeks ago."])
    assert r.text == f"{NO_TEXT}\n\n{DRAFT_NOTICE}"


def test_poor_quality_record_abstains():
    rng = np.random.default_rng(0)
    noise = ECG(rng.normal(0, 1.0, (5000, 2)).astype(np.float32), fs=500.0, leads=["I", "II"], record_id="noise")
    item = ReportTextInput(ecg=noise, facts=tool_facts(noise, classify=False))
    assert item.facts["record_summary"]["quality"]["overall"] == "poor"
    [r] = write_report_texts_detailed([item], writer="template")
    assert r.abstained and "too poor" in r.text and r.text.endswith(DRAFT_NOTICE)


def test_compact_facts_and_unknown_writer(sinus_item):
    lines = compact_fact_lines(sinus_item.facts)
    hr = sinus_item.facts["measurements"]["hr_bpm"]["value"]
    assert lines[0] == f"heart rate {hr:.0f} bpm"
    assert not any("classifier" in line for line in lines)  # no classify result in these facts
    with pytest.raises(MedtsError, match="unknown report-text writer"):
        write_report_texts([sinus_item], writer="poetry")


def test_facts_from_a_report_object_ground_its_own_numbers(sinus_item):
    from medts.report.build import ReportBuilder

    report = ReportBuilder(text="template", evidence="none").build(sinus_item.ecg)
    facts = facts_from_report(report)
    hr = report.measurements.get("hr_bpm").value
    [r] = ground_texts([ReportTextInput(None, facts)], [f"The heart rate is {hr:.0f} bpm. The PR is 999 ms."])
    assert "[measurements.hr_bpm]" in r.text and "999" not in r.text


def test_llm_writer_batches_with_left_padding(sinus_item, tokenizer, tmp_path):
    """A tiny random model in a local folder: every output is grounded and ends with the notice,
    and batching gives the same texts as one-by-one generation (left padding is right)."""
    from medts.medtsllm.backbone import tiny_llama

    folder = tmp_path / "tiny"
    tiny_llama(len(tokenizer), seed=3).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    other = ReportTextInput(ecg=None, facts={**sinus_item.facts, "measurements": {
        **sinus_item.facts["measurements"], "hr_bpm": {"value": 101.0, "unit": "bpm"}}})
    items = [sinus_item, other, sinus_item]
    opts = {"writer": "llm", "source": str(folder), "dtype": "float32", "max_new_tokens": 12}
    batched = write_report_texts_detailed(items, batch_size=3, **opts)
    single = [write_report_texts_detailed([it], batch_size=1, **opts)[0] for it in items]
    assert [b.raw for b in batched] == [s.raw for s in single]
    for r, it in zip(batched, items):
        assert r.text.endswith(DRAFT_NOTICE)
        assert ground_answer(r.text.replace(DRAFT_NOTICE, ""), trace_of(it.facts)).n_ungrounded == 0


def test_plain_language_findings_are_statements_the_grounding_check_reads(sinus_item):
    from medts.agent.grounding import find_statements

    facts = {**sinus_item.facts, "classify": {"tool": "classify", "available": True, "present": ["SR", "CLBBB"],
                                             "statements": [{"code": "SR", "probability": 0.97},
                                                            {"code": "CLBBB", "probability": 0.61}]}}
    coded = compact_fact_lines(facts)
    named = compact_fact_lines(facts, describe=True)
    assert coded[-1] == "classifier: SR (0.97), CLBBB (0.61)"  # the tuned head's trained format
    assert named[-1].startswith("findings: ") and not any(ch.isdigit() for ch in named[-1])
    found = [code for _, code, negated in find_statements(named[-1]) if not negated]
    assert "SR" in found and "CLBBB" in found
    # a sentence copying a finding is kept by the grounding check (the classifier reported it)
    [r] = ground_texts([ReportTextInput(None, facts)], [named[-1].split(": ")[1].split(", ")[1] + "."])
    assert r.n_ungrounded == 0 and "bundle branch" in r.text.lower()


def test_auto_writer_follows_the_constant_and_falls_back_to_the_untuned_llm(tmp_path, sinus_item, monkeypatch):
    from medts.agent import report_text
    from medts.agent.report_text import default_writer

    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "manifest.json").write_text("{}")
    assert default_writer(tmp_path / "head") == report_text.AUTO_WRITER == "tuned"  # LLM text by default
    assert default_writer(tmp_path / "none") == "llm"  # no adapter: never a missing head
    monkeypatch.setattr(report_text, "AUTO_WRITER", "template")
    assert default_writer(tmp_path / "head") == "template"
    [auto] = write_report_texts_detailed([sinus_item], writer="auto", adapter=tmp_path / "head")
    [template] = write_report_texts_detailed([sinus_item], writer="template")
    assert auto.writer == "template" and auto.text == template.text


def test_chat_model_is_loaded_once_per_process(tokenizer, tmp_path):
    from medts.agent.report_text import chat_model
    from medts.medtsllm.backbone import tiny_llama

    folder = tmp_path / "tiny"
    tiny_llama(len(tokenizer), seed=3).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model, tok = chat_model(str(folder), "float32")
    assert chat_model(str(folder), "float32")[0] is model and tok.pad_token is not None


def test_generated_lists_become_sentences_and_a_cut_off_sentence_is_dropped(tokenizer):
    import torch

    from medts.agent.generated_text import decode_new_tokens, tidy_generated

    ids = tokenizer("1. Heart rate 46 bpm\n2. Sinus", add_special_tokens=False)["input_ids"]
    cut = torch.tensor([ids])  # filled the token cap without EOS: the last item is unfinished
    assert decode_new_tokens(tokenizer, cut, max_new_tokens=len(ids)) == ["Heart rate 46 bpm."]
    ended = torch.tensor([ids + [tokenizer.eos_token_id]])
    assert decode_new_tokens(tokenizer, ended, max_new_tokens=len(ids) + 1) == ["Heart rate 46 bpm. Sinus."]
    assert tidy_generated("Sinus rhythm. Normal ECG. Heart", truncated=True) == "Sinus rhythm. Normal ECG."
    assert tidy_generated("- QRS axis 25 degrees (normal axis)", truncated=False) == "QRS axis 25 degrees (normal axis)."
