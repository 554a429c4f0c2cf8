"""Batched, grounded interpretation text for batch reports: template, untuned LLM, or tuned text head.

:func:`write_report_texts` takes one :class:`ReportTextInput` per record (the ECG and the tool
JSON) and returns one text per record, in order. Three writers:

=========  =====================================================================================
template   (a) deterministic sentences made from the fact lines (numbers copied from the tools)
llm        (b) the untuned chat LLM (SmolLM2-135M-Instruct by default) phrases the fact lines;
           prompts are batched (left padding, greedy decoding)
tuned      (c) the LoRA text head (``adapters/text-smollm2``): SmolLM2 + LoRA, prefixed with the
           MedTsLLM patch embeddings of the ECG, prompted with the fact lines
=========  =====================================================================================

Every text then goes through the grounding check (:mod:`medts.agent.grounding`) against the
same tool JSON: sentences with a number or statement no tool supports are removed (``remove``)
or marked ``[UNVERIFIED]`` (``flag``), and every text ends with :data:`medts.agent.DRAFT_NOTICE`.
Records whose signal quality is ``poor`` get an abstention instead of an interpretation.

``facts`` is a dict of tool results keyed by tool name, exactly as :class:`medts.agent.tools.ToolBox`
returns them: ``record_summary`` (quality), ``measurements`` (intervals, axis, rhythm features,
flags, reference limits) and ``classify`` (statements with probabilities and thresholds). Build it
with :func:`tool_facts` from an ECG, or with :func:`facts_from_report` from a
:class:`medts.report.schema.Report`.

Example
-------
>>> from medts.examples import simulate_example
>>> ecg = simulate_example("sinus")
>>> item = ReportTextInput(ecg=ecg, facts=tool_facts(ecg, classify=False))
>>> text = write_report_texts([item], writer="template")[0]
>>> text.startswith("Heart rate:"), text.endswith("not a diagnosis.")
(True, True)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from medts.agent import DRAFT_NOTICE
from medts.agent.generated_text import decode_new_tokens
from medts.agent.grounding import ground_answer
from medts.agent.planner import fact_lines, load_prompt, render
from medts.agent.text_data import REPORT_TOOLS, statement_sentence
from medts.agent.tools import ToolCall
from medts.agent.verdict import p_wave_phrase
from medts.errors import MedtsError
from medts.record import ECG

Writer = Literal["template", "llm", "tuned", "auto"]
WRITERS: tuple[str, ...] = ("template", "llm", "tuned")
AUTO_WRITER = "tuned"
"""What ``writer="auto"`` (the batch reports' default: "local LLM text by default") resolves to; see
:func:`default_writer` for the measured trade-off."""
FACT_KINDS = ["diagnosis"]  # planner intents for a whole-record interpretation (rate, rhythm, intervals, axis, statements)
NO_TEXT = "No interpretation sentence passed the grounding check; see the measurements and statements sections."


@dataclass
class ReportTextInput:
    """One record to write about: the ECG (needed by the tuned head only) and its tool JSON."""

    ecg: ECG | None
    facts: dict[str, Any]
    record_id: str | None = None


@dataclass
class ReportText:
    """A written text with its grounding summary (``text`` is what a report shows)."""

    text: str
    raw: str
    writer: str
    n_claims: int = 0
    n_ungrounded: int = 0
    removed: list[str] = field(default_factory=list)
    abstained: bool = False
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# Facts
# ---------------------------------------------------------------------------------------------
def facts_from_report(report: Any) -> dict[str, Any]:
    """Tool-shaped facts from a :class:`medts.report.schema.Report` (its sections, no recomputation)."""
    r = report.model_dump(mode="json") if hasattr(report, "model_dump") else dict(report)
    q = r.get("quality") or {}
    leads = q.get("leads") or []
    summary = {"tool": "record_summary", "available": True, "quality": {
        "overall": q.get("overall"), "n_usable_leads": sum(bool(x.get("usable")) for x in leads),
        "n_leads": len(leads), "abstain": q.get("overall") == "poor"}}
    ms = r.get("measurements") or {}
    m: dict[str, Any] = {"tool": "measurements", "available": bool((ms.get("status") or {}).get("available"))}
    flags, limits = {}, {}
    for item in ms.get("items") or []:
        m[item["name"]] = {"value": item.get("value"), "unit": item.get("unit"), "quality": item.get("quality"),
                           "reason": item.get("reason")}
        if item.get("flag") in ("normal", "low", "high"):
            flags[item["name"]] = item["flag"]
        limits[item["name"]] = {"low": item.get("normal_low"), "high": item.get("normal_high")}
    m["flags"], m["reference_limits"] = flags, limits
    if any(item.get("flag") == "not_judged" for item in ms.get("items") or []):  # a child's report: as the tool says
        from medts.interpret.ranges import PAEDIATRIC_REASON

        m["not_judged_for_age"] = PAEDIATRIC_REASON
    if "qtc_bazett_ms" in flags:
        m["qtc_prolonged"] = flags["qtc_bazett_ms"] == "high"
    ra = r.get("rhythm_axis") or {}
    if ra.get("axis_deg") is not None:
        m["qrs_axis_deg"] = {"value": ra["axis_deg"], "unit": "deg"}
        m["qrs_axis_category"] = ra.get("axis_category")
    if ra.get("regular") is not None:
        m["rr_irregular"] = not ra["regular"]
    st = r.get("statements") or {}
    if (st.get("status") or {}).get("available"):
        asserted = st.get("asserted") or []
        c = {"tool": "classify", "available": True, "present": [s["code"] for s in asserted],
             "statements": [{"code": s["code"], "description": s["description"], "probability": s.get("probability"),
                             "threshold": s.get("threshold"), "present": True} for s in asserted],
             "evaluated_codes": [s["code"] for s in asserted]}
    else:
        c = {"tool": "classify", "available": False, "reason": (st.get("status") or {}).get("reason") or "no classifier"}
    return {"record_summary": summary, "measurements": m, "classify": c}


def trace_of(facts: dict[str, Any]) -> list[ToolCall]:
    """The facts as a tool trace (what the grounding check reads)."""
    return [ToolCall(name, {}, {"tool": name, **result}, 0.0) for name, result in facts.items() if isinstance(result, dict)]


def report_fact_lines(facts: dict[str, Any]) -> list[str]:
    """Fact sentences for a whole-record interpretation (numbers copied from the tool JSON)."""
    results = [{"tool": name, **facts[name]} for name in REPORT_TOOLS if isinstance(facts.get(name), dict)]
    return fact_lines("", results, FACT_KINDS)


def compact_fact_lines(facts: dict[str, Any], *, describe: bool = False) -> list[str]:
    """Short fact lines (rate, rhythm, intervals, axis, classifier statements) for the LLM writers:
    prompt length is what limits batched CPU throughput. Numbers copied from the tool JSON.

    ``describe=False`` (the tuned head's prompt, fixed by its training): statements as SCP codes
    with probabilities, ``classifier: NORM (0.91), SR (0.97)``. ``describe=True`` (the untuned LLM):
    plain-language names without probabilities, ``findings: normal ECG, sinus rhythm`` (a 135M model
    copies names it can read and turns bare probabilities into invented percentages)."""
    from medts.agent.planner import _v

    m = facts.get("measurements") or {}
    lines: list[str] = []
    q = (facts.get("record_summary") or {}).get("quality") or {}
    if q.get("overall") not in (None, "good"):
        lines.append(f"signal quality {q.get('overall')}")
    if m.get("available", True):
        hr = _v(m, "hr_bpm")
        if hr is not None:
            lines.append(f"heart rate {hr:.0f} bpm")
        p_waves = p_wave_phrase(m)
        if m.get("af_like_irregular_without_p_waves") is True:
            lines.append("irregular rhythm without P waves")
        elif m.get("rr_irregular") is not None:
            lines.append(("irregular" if m["rr_irregular"] else "regular") + " rhythm"
                         + (f", {p_waves}" if p_waves is not None else ""))
        parts = [f"{name} {_v(m, key):.0f} ms" for key, name in (("pr_ms", "PR"), ("qrs_ms", "QRS"),
                                                                  ("qtc_bazett_ms", "QTc"))
                 if _v(m, key) is not None]
        if parts:
            lines.append(", ".join(parts))
        if m.get("qtc_prolonged") is True:
            lines.append("the QTc is prolonged")
        ax = _v(m, "qrs_axis_deg")
        if ax is not None:
            lines.append(f"QRS axis {ax:.0f} degrees ({m.get('qrs_axis_category')})")
    c = facts.get("classify") or {}
    if c.get("available", True) and c:
        if describe:
            names = [statement_name(code) for code in c.get("present") or []]
            lines.append("findings: " + (", ".join(names) if names else "no classifier statement"))
            return lines
        probs = {s["code"]: s.get("probability") for s in c.get("statements") or []}
        found = [f"{code} ({probs[code]:.2f})" if probs.get(code) is not None else code for code in c.get("present") or []]
        lines.append("classifier: " + (", ".join(found) if found else "no statement above threshold"))
    return lines


def statement_name(code: str) -> str:
    """The plain-language name of an SCP code that the grounding check reads back as that code
    (:func:`medts.agent.text_data.statement_sentence` without its full stop); the code itself otherwise."""

    sentence = statement_sentence(code) if code in _statement_codes() else ""
    return sentence.rstrip(".") if sentence else code


@lru_cache(maxsize=1)
def _statement_codes() -> frozenset[str]:
    from medts.labels import STATEMENTS

    return frozenset(STATEMENTS)


def _poor_quality(facts: dict[str, Any]) -> str | None:
    q = (facts.get("record_summary") or {}).get("quality") or {}
    if q.get("overall") == "poor" or q.get("abstain"):
        return f"{q.get('n_usable_leads')} of {q.get('n_leads')} leads usable"
    return None


# ---------------------------------------------------------------------------------------------
# Writers: list of fact-line lists -> list of raw texts
# ---------------------------------------------------------------------------------------------
def template_texts(lines_per_record: Sequence[list[str]]) -> list[str]:
    """(a) Each fact line as a sentence (capitalised, full stop)."""
    return [" ".join(_sentence(line) for line in lines) for lines in lines_per_record]


def _sentence(line: str) -> str:
    line = line.strip()
    return (line[:1].upper() + line[1:]).rstrip(".") + "."


@lru_cache(maxsize=1)
def report_prompt() -> dict[str, Any]:
    """``prompts/agent/report.yaml``, read once per process."""
    return load_prompt("report")


def report_messages(lines: list[str]) -> list[dict[str, str]]:
    """Chat messages for the untuned LLM writer (``prompts/agent/report.yaml``)."""
    p = report_prompt()
    return [{"role": "system", "content": p["system"].strip()},
            {"role": "user", "content": render(p["user"], facts=lines).strip()}]


def tuned_prompt(lines: list[str], style: str = "structured") -> str:
    """The text head's prompt (after the ECG prefix); must match what it was trained with."""
    return render(report_prompt()["tuned"], facts=lines, style=style).strip()


@lru_cache(maxsize=2)
def chat_model(source: str, dtype: str) -> tuple[Any, Any]:
    """(model, tokenizer) for the untuned writer, loaded once per process and kept (a batch report
    calls :func:`write_report_texts` once per chunk of records; reloading cost seconds each time).
    ``dtype="auto"``: bf16 only where the CPU runs it natively, else float32
    (:func:`medts.medtsllm.backbone.resolve_dtype`; bf16 emulated on AVX2 was 4-8x slower)."""
    from medts.agent.backends import load_local

    model, tok = load_local(source, dtype)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


def llm_texts(lines_per_record: Sequence[list[str]], *, source: str = "smollm2", dtype: str = "auto",
              batch_size: int = 16, max_new_tokens: int = 48, progress: bool = False) -> list[str]:
    """(b) Batched greedy generation with the untuned chat model (left padding)."""
    import torch

    model, tok = chat_model(source, dtype)
    prompts = [tok.apply_chat_template(report_messages(lines), add_generation_prompt=True, tokenize=False)
               for lines in lines_per_record]
    out: list[str] = []
    for batch in _batches(prompts, batch_size, progress, "llm text"):
        enc = tok(batch, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False)
        with torch.inference_mode():
            gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=1.1,
                                 pad_token_id=tok.pad_token_id)
        new = gen[:, enc["input_ids"].shape[1]:]  # [batch, new tokens]: left padding aligns prompt ends
        out += decode_new_tokens(tok, new, max_new_tokens)
    return out


def tuned_texts(lines_per_record: Sequence[list[str]], ecgs: Sequence[ECG | None], *, adapter: str | Path | None,
                batch_size: int = 16, max_new_tokens: int = 48, progress: bool = False) -> list[str]:
    """(c) The LoRA text head, prefixed with the ECG's patch embeddings."""
    from medts.agent.text_head import load_text_head

    head = load_text_head(adapter)
    prompts = [tuned_prompt(lines) for lines in lines_per_record]
    out: list[str] = []
    pairs = list(zip(prompts, ecgs))
    for batch in _batches(pairs, batch_size, progress, "tuned text"):
        out += head.generate([p for p, _ in batch], [e for _, e in batch], max_new_tokens=max_new_tokens)
    return out


def _batches(items: list, size: int, progress: bool, desc: str) -> Iterable[list]:
    chunks = [items[i:i + size] for i in range(0, len(items), max(size, 1))]
    if progress:
        from tqdm import tqdm

        return tqdm(chunks, desc=desc, unit="batch")
    return chunks


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------
def default_writer(adapter: str | Path | None = None) -> str:
    """The writer ``"auto"`` means: :data:`AUTO_WRITER` (the LoRA text head), or the untuned ``"llm"``
    when the tuned head's adapter (``adapter``, default ``adapters/text-smollm2``) is missing.

    The measured trade-off (``medts bench report-text``, eval/results/report_text.md, 2026-11-26; LUDB
    131-160 and the first 32 PTB-XL fold-9 records): the tuned head (65 training steps) reaches the
    template's all-statement micro F1 (PTB-XL 0.55 vs 0.46, LUDB 0.38 vs 0.39; CIs overlap) but not
    its macro or superdiagnostic F1 (all-statement macro 0.11 vs 0.25 and 0.07 vs 0.27): it writes
    short "Sinus rhythm. Heart rate N bpm." texts and leaves out rarer statements, which the report's
    statements section still lists. The untuned SmolLM2 keeps its grounded sentences but names no
    statement (F1 0). The template (``writer="template"``, ``medts report --no-llm``) is ~100x cheaper.

    >>> default_writer("/nonexistent")
    'llm'
    """
    from medts.agent.text_head import DEFAULT_ADAPTER

    if AUTO_WRITER != "tuned":
        return AUTO_WRITER
    folder = Path(adapter) if adapter else DEFAULT_ADAPTER
    return "tuned" if (folder / "manifest.json").is_file() else "llm"


def write_report_texts_detailed(items: Sequence[ReportTextInput], *, writer: Writer = "llm",
                                adapter: str | Path | None = None, batch_size: int = 16, progress: bool = False,
                                source: str = "smollm2", dtype: str = "auto", max_new_tokens: int = 48,
                                grounding: Literal["remove", "flag"] = "remove") -> list[ReportText]:
    """Like :func:`write_report_texts`, with each text's raw LLM output and grounding summary."""
    if writer == "auto":
        writer = default_writer(adapter)  # type: ignore[assignment]
    if writer not in WRITERS:
        raise MedtsError(f"unknown report-text writer {writer!r} (choose from {', '.join(WRITERS)} or auto)")
    items = list(items)
    t0 = time.perf_counter()
    abstain = [_poor_quality(it.facts) for it in items]
    todo = [i for i, why in enumerate(abstain) if why is None]
    if writer == "template":
        raw = template_texts([report_fact_lines(items[i].facts) for i in todo])
    elif writer == "llm":
        lines = [compact_fact_lines(items[i].facts, describe=True) for i in todo]
        raw = llm_texts(lines, source=source, dtype=dtype, batch_size=batch_size, max_new_tokens=max_new_tokens,
                        progress=progress)
    else:
        lines = [compact_fact_lines(items[i].facts) for i in todo]
        raw = tuned_texts(lines, [items[i].ecg for i in todo], adapter=adapter, batch_size=batch_size,
                          max_new_tokens=max_new_tokens, progress=progress)
    per_item = (time.perf_counter() - t0) / max(len(items), 1)
    raw_by_index = dict(zip(todo, raw))
    return ground_texts(items, [raw_by_index.get(i) for i in range(len(items))], writer=writer,
                        grounding=grounding, seconds=per_item)


def ground_texts(items: Sequence[ReportTextInput], raws: Sequence[str | None], *, writer: str = "llm",
                 grounding: Literal["remove", "flag"] = "remove", seconds: float = 0.0) -> list[ReportText]:
    """Check each raw text against its item's facts (``None``: the record abstains for poor
    quality) and append the draft notice."""
    abstain_text = load_prompt("compose")["abstain"]
    out: list[ReportText] = []
    for item, raw in zip(items, raws):
        why = _poor_quality(item.facts)
        if raw is None or why is not None:
            text = render(abstain_text, reason=why or "not interpreted").strip()
            out.append(ReportText(f"{text}\n\n{DRAFT_NOTICE}", text, writer, abstained=True, seconds=seconds))
            continue
        g = ground_answer(raw, trace_of(item.facts), mode=grounding)
        body = g.text.strip() or NO_TEXT
        out.append(ReportText(f"{body}\n\n{DRAFT_NOTICE}", raw, writer, g.n_claims, g.n_ungrounded,
                              list(g.removed), seconds=seconds))
    return out


def write_report_texts(items: list[ReportTextInput], *, writer: Writer = "llm", adapter: str | Path | None = None,
                       batch_size: int = 16, progress: bool = False, **options: Any) -> list[str]:
    """One grounded interpretation text per item, in order.

    Parameters
    ----------
    items : one :class:`ReportTextInput` per record (``facts``: tool JSON, see the module docstring).
    writer : ``"template"`` (a), ``"llm"`` (b, untuned SmolLM2), ``"tuned"`` (c, LoRA text head), or
        ``"auto"`` (:func:`default_writer`: the choice the benchmark supports).
    adapter : the text-head folder for ``"tuned"`` (default ``adapters/text-smollm2``).
    batch_size : records per generation batch (LLM writers; 16 reached >= 1 record/s on 2 CPU cores).
    progress : a tqdm bar on stderr.
    options : ``source`` (LLM folder, default ``"smollm2"``), ``dtype`` (``"auto"``: bf16 only where
        native, else float32), ``max_new_tokens`` (default 48), ``grounding`` (``"remove"`` or ``"flag"``).

    Returns
    -------
    list[str] : texts whose every number and statement matched the tool JSON (unmatched sentences
    removed or flagged), each ending with :data:`medts.agent.DRAFT_NOTICE`.
    """
    return [r.text for r in write_report_texts_detailed(items, writer=writer, adapter=adapter, batch_size=batch_size,
                                                        progress=progress, **options)]


def texts_for_reports(reports: Sequence[Any], *, writer: Writer = "llm", **options: Any) -> list[str]:
    """Texts for :class:`medts.report.schema.Report` objects (facts from their sections; the
    ``tuned`` writer needs the ECG and therefore :func:`write_report_texts`)."""
    items = [ReportTextInput(ecg=None, facts=facts_from_report(r), record_id=r.record.record_id) for r in reports]
    return write_report_texts(items, writer=writer, **options)
