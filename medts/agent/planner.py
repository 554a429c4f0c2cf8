"""Plan, then compose: for models that cannot call tools (SmolLM2-135M).

1. :func:`intents` reads the question with rules (regular expressions) and :func:`plan` turns
   the intents into tool calls (``record_summary`` always first, for the quality check).
2. The tools run (:class:`medts.agent.tools.ToolBox`).
3. :func:`fact_lines` writes short fact sentences from the tool JSON, only those relevant to the
   question, each number copied from a tool field (rounded within the grounding tolerance).
4. The LLM phrases the answer from the fact lines (:func:`compose_messages`, template in
   ``prompts/agent/compose.yaml``); the grounding check then removes anything it invented.

Example
-------
>>> intents("What is the heart rate?")
['rate']
>>> [c.name for c in plan("Is there atrial fibrillation?")]
['record_summary', 'measurements', 'classify', 'interpretation']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from medts.agent.grounding import WALLS
from medts.agent.message_parts import reported_term
from medts.agent.verdict import p_wave_phrase, rr_regularity
from medts.interpret.statements import reads_cnn
from medts.config import PROJECT_ROOT

PROMPT_DIR = PROJECT_ROOT / "prompts" / "agent"

LEAD_EVIDENCE = " evidence is strongest in leads "
"""What the fact line of an attribution (the ``explain`` tool) says (:func:`explain_lines`)."""

INTENT_RULES: tuple[tuple[str, str], ...] = (
    ("compare", r"compar|changed|change since|differen|\bvs\.?\s|versus|since the (?:previous|last|prior)"),
    ("glossary", r"\bmean(?:s|ing)?\b|\bdefin|criteria|stand for|what (?:is|are) (?:an? )(?!heart)"),
    ("quality", r"quality|nois|artifact|artefact|electrode|interpretab|reversed|lead.*(?:off|missing|flat)"),
    ("rate", r"heart ?rate|\brate\b|\bbpm\b|pulse|tachy|brady|how fast|too (?:fast|slow)"),
    ("intervals", r"\bPR\b|\bQRSs?\b|\bQTc?\b|interval|duration|wide|narrow|AV block|first[- ]degree"),
    ("axis", r"\baxis\b|deviation"),
    ("hrv", r"\bHRV\b|variability|SDNN|RMSSD"),
    ("st", r"\bST\b|isch[a]?emi|injur|elevation|depression|T[- ]waves?\b|infarct|\bMI\b"),
    ("voltage", r"voltage|\bLVH\b|\bRVH\b|hypertroph|Sokolow|Cornell"),
    ("rhythm", r"rhythm|fibrillation|flutter|a-?fib|\bAF\b|sinus|irregular|arrhythm|regular"),
    ("diagnosis", r"diagnos|normal|abnormal|finding|statement|interpret|summar|what do you see|report|"
                  r"conclusion|bundle|block|\bLVH\b|\bRVH\b|infarct|\bMI\b|hypertroph|ischa?emi|\bWPW\b|"
                  r"BBB|what.*wrong|anything"),
    ("explain", r"\bwhy\b|evidence|explain|which leads?|what makes|based on|how do you know"),
    ("anomaly", r"anomal|unusual|\bodd\b|ectopic|premature|\bPVCs?\b|\bPACs?\b|extra ?systol|outlier|strange"),
    ("waves", r"(?<!delta )(?<!delta-)\bwaves?\b|delineat|segment|onset|offset|fiducial|P[- ]waves?"),
)
_MEASURE_INTENTS = {"rate", "intervals", "axis", "hrv", "st", "voltage", "rhythm", "diagnosis", "explain"}
_CLASSIFY_INTENTS = {"rhythm", "diagnosis", "explain", "st", "voltage"}
_PREVIOUS = re.compile(r"\b(previous|prior|earlier|older|first|other|last) (ecg|one|record|tracing|recording)\b", re.I)


def intents(question: str) -> list[str]:
    """The question's intents in rule order (``[]`` when no rule matches)."""
    return [name for name, pattern in INTENT_RULES if re.search(pattern, question, re.IGNORECASE)]


@dataclass(frozen=True)
class PlannedCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


def statement_codes(question: str) -> list[str]:
    """SCP codes (and pseudo-codes) the question mentions, in order."""
    from medts.agent.grounding import find_statements

    return [code for _, code, _ in find_statements(question)]


def plan(question: str, *, has_previous: bool = False, found: list[str] | None = None,
         record: str = "current") -> list[PlannedCall]:
    """Tool calls for ``question`` (``found``: intents to use instead of reading the question)."""
    from medts.labels import STATEMENTS

    kinds = found if found is not None else intents(question)
    if "compare" in kinds and not has_previous:
        kinds = [k for k in kinds if k != "compare"]
    if not kinds:
        kinds = ["rate", "rhythm", "diagnosis"]  # "interpret this ECG"
    rec = {"record": record}
    calls = [PlannedCall("record_summary", rec)]
    if "compare" in kinds:
        return calls + [PlannedCall("record_summary", {"record": "previous"}), PlannedCall("compare", {})]
    codes = [c for c in statement_codes(question) if c in STATEMENTS]
    if "glossary" in kinds:
        term = codes[0] if codes else _glossary_term(question)
        glossary_only = not (set(kinds) & (_MEASURE_INTENTS - {"diagnosis"}))
        if glossary_only:
            return [PlannedCall("glossary", {"term": term})]
        calls.append(PlannedCall("glossary", {"term": term}))
    if set(kinds) & _MEASURE_INTENTS:
        calls.append(PlannedCall("measurements", rec))
    if set(kinds) & _CLASSIFY_INTENTS:
        calls.append(PlannedCall("classify", {**rec, "level": "all"}))
        calls.append(PlannedCall("interpretation", rec))
    if "explain" in kinds:
        calls.append(PlannedCall("explain", {**rec, "code": codes[0] if codes else "?"}))
    if "anomaly" in kinds:
        calls.append(PlannedCall("anomalies", rec))
    if "waves" in kinds:
        calls.append(PlannedCall("delineation", rec))
    return calls


def _glossary_term(question: str) -> str:
    m = re.search(r"(?:what (?:is|are|does)|define|criteria (?:for|of)|meaning of)\s+(?:an?\s+|the\s+)?(.+?)"
                  r"(?:\s+mean|\s+stand for)?\s*\??$", question.strip(), re.IGNORECASE)
    term = (m.group(1) if m else question).strip(" ?.")
    named = reported_term(question)
    if named and re.match(r"(?:that|this|it|they)\b", term, re.IGNORECASE):
        # heldout84: "My report says PR interval 180, what does that mean and is that normal?" looked up "that ..."
        return named
    return term


# ---------------------------------------------------------------------------------------------
# Fact lines
# ---------------------------------------------------------------------------------------------
def _v(d: Any, *keys: str) -> float | None:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    if isinstance(d, dict):
        d = d.get("value")
    return float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else None


def _note(d: Any) -> str:
    """`` (uncertain: reason)`` for a Value whose quality is not good."""
    if isinstance(d, dict) and d.get("quality") == "uncertain":
        return f" (uncertain: {d.get('reason') or 'see quality'})"
    return ""


def _missing(name: str, d: Any) -> str:
    reason = d.get("reason") if isinstance(d, dict) else None
    return f"{name}: not measurable ({reason or 'not available'})"


def _interval_line(m: dict[str, Any], key: str, name: str) -> str:
    v = _v(m, key)
    if v is None:
        return _missing(name, m.get(key))
    lim = (m.get("reference_limits") or {}).get(key) or {}
    flag = (m.get("flags") or {}).get(key)
    text = f"{name}: {v:.0f} ms{_note(m.get(key))}"
    if flag and (lim.get("low") is not None or lim.get("high") is not None):
        rng = " to ".join(f"{x:.0f} ms" for x in (lim.get("low"), lim.get("high")) if x is not None)
        word = {"normal": "within", "high": "above", "low": "below"}[flag]
        bound = "the limit of" if (lim.get("low") is None or lim.get("high") is None) else "the range"
        text += f", {word} {bound} {rng}"
    return text


# Which measurements bear on a statement the question names (the compose prompt carries only
# those: prefill time grows with every fact line).
_INTERVAL_WORDS = (("pr_ms", r"\bP-?R\b|\bPQ\b|AV block|first[- ]degree"), ("qrs_ms", r"\bQRS\b|\bwide\b|\bnarrow\b"),
                   ("qt_ms", r"\bQT\b"), ("qtc_bazett_ms", r"\bQTc?\b|corrected"))
_CODE_INTERVALS = {"1AVB": "pr_ms", "2AVB": "pr_ms", "3AVB": "pr_ms", "WPW": "pr_ms", "LNGQT": "qtc_bazett_ms"}


def code_kinds(code: str) -> set[str]:
    """Measurement intents that bear on statement ``code`` (e.g. LVH -> voltage)."""
    from medts.labels import STATEMENTS

    st = STATEMENTS.get(code)
    if code == "NORM":
        return {"rate", "rhythm", "intervals", "axis"}
    if code in ("LAFB", "LPFB"):
        return {"axis", "intervals"}
    if st is None:
        return set()
    if st.rhythm:
        return {"rhythm"}
    cls = st.diagnostic_class
    return {"CD": {"intervals"}, "HYP": {"voltage"}, "MI": {"st"}, "STTC": {"st"}}.get(cls or "", set())


def focus(question: str, kinds: set[str], codes: list[str]) -> tuple[set[str], set[str] | None]:
    """(measurement intents, interval keys) the fact lines should cover. A question naming a
    statement ("Is there LVH?") gets that statement's measurements instead of all of them;
    interval keys are those the question or its statements name (None: every interval)."""
    kinds = set(kinds)
    if codes and "diagnosis" in kinds and "NORM" not in codes:
        kinds = (kinds - {"diagnosis"}) | set().union(*(code_kinds(c) for c in codes))
    keys = {key for key, pattern in _INTERVAL_WORDS if re.search(pattern, question, re.IGNORECASE)}
    if "NORM" in codes:  # normal means every interval normal
        return kinds, None
    keys |= {_CODE_INTERVALS.get(c, "qrs_ms") for c in codes if "intervals" in code_kinds(c)}
    return kinds, (keys or None)


def measurement_lines(m: dict[str, Any], kinds: set[str], intervals: set[str] | None = None) -> list[str]:
    """Fact lines from the measurements tool for the question's intents ``kinds``; ``intervals``
    limits the interval lines to those keys (None: all)."""
    lines: list[str] = []
    if kinds & {"rate", "rhythm", "diagnosis"}:
        hr = _v(m, "hr_bpm")
        lines.append(f"heart rate: {hr:.0f} bpm{_note(m.get('hr_bpm'))}" if hr is not None else _missing("heart rate", m.get("hr_bpm")))
        flag = (m.get("flags") or {}).get("hr_bpm")
        lim = (m.get("reference_limits") or {}).get("hr_bpm") or {}
        if flag == "high" and lim.get("high") is not None:
            lines.append(f"the heart rate is above the limit of {lim['high']:.0f} bpm (tachycardia)")
        elif flag == "low" and lim.get("low") is not None:
            lines.append(f"the heart rate is below the limit of {lim['low']:.0f} bpm (bradycardia)")
    if kinds & {"rhythm", "diagnosis", "anomaly"}:
        p_waves = p_wave_phrase(m)
        if m.get("rhythm_label"):
            lines.append(f"rhythm: {m['rhythm_label']}")
        regularity = rr_regularity(m)
        if regularity:
            lines.append(regularity)
        if p_waves is not None:
            lines.append(p_waves)
        if m.get("af_like_irregular_without_p_waves") is True:
            lines.append("irregular rhythm without consistent P waves, as in atrial fibrillation")
        elif (m.get("measured_statements") or {}).get("AFIB", {}).get("present") is False:
            lines.append("no sign of atrial fibrillation in the rhythm features (consistent P waves)")
    if kinds & {"intervals", "diagnosis"}:
        shown = intervals if intervals is not None else {"pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms"}
        for key, name in (("pr_ms", "PR interval"), ("qrs_ms", "QRS duration"), ("qt_ms", "QT interval"),
                          ("qtc_bazett_ms", "QTc (Bazett)")):
            if key in shown:
                lines.append(_interval_line(m, key, name))
        if "qtc_bazett_ms" in shown and m.get("qtc_prolonged") is not None:
            lines.append("the QTc is prolonged" if m["qtc_prolonged"] else "the QTc is not prolonged")
    if kinds & {"axis", "diagnosis"}:
        ax = _v(m, "qrs_axis_deg")
        lines.append(f"QRS axis: {ax:.0f} degrees ({m.get('qrs_axis_category')})" if ax is not None
                     else _missing("QRS axis", m.get("qrs_axis_deg")))
    if "hrv" in kinds:
        hrv = m.get("hrv") or {}
        for key, name in (("sdnn_ms", "SDNN"), ("rmssd_ms", "RMSSD")):
            v = _v(hrv, key)
            lines.append(f"{name}: {v:.0f} ms{_note(hrv.get(key))}" if v is not None else _missing(name, hrv.get(key)))
    if "st" in kinds:
        st = {lead: _v(val) for lead, val in (m.get("st_j60_mv") or {}).items() if _v(val) is not None}
        if st:
            hi = max(st, key=lambda k: st[k])
            lo = min(st, key=lambda k: st[k])
            lines.append(f"highest ST level at J+60 ms: {st[hi]:.2f} mV in lead {hi}")
            lines.append(f"lowest ST level at J+60 ms: {st[lo]:.2f} mV in lead {lo}")
    if "voltage" in kinds:
        for key, name in (("sokolow_lyon_mv", "Sokolow-Lyon voltage"), ("cornell_mv", "Cornell voltage")):
            v = _v(m, key)
            if v is None:
                lines.append(_missing(name, m.get(key)))
                continue
            lim = ((m.get("reference_limits") or {}).get(key) or {}).get("high")
            word = "above" if lim is not None and v > lim else "within"
            lines.append(f"{name}: {v:.2f} mV, {word} the limit of {lim:.1f} mV" if lim else f"{name}: {v:.2f} mV")
    return lines


def _percent(p: Any) -> str | None:
    """``0.734`` -> ``"73%"``; None for a missing probability (JSON null: NaN from the model)."""
    return f"{100 * p:.0f}%" if isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) else None


def classifier_lines(c: dict[str, Any], codes: list[str], asserted: frozenset[str] = frozenset()) -> list[str]:
    """Fact lines for the classify result: present statements, then the asked-about ``codes``
    that are absent. A probability the tool could not give (None) is left out, not invented. ``asserted``: the codes
    the engine asserts (from its measurements where the classifier stays below its threshold)."""
    if not c.get("available", True):
        return [f"PTB-XL statement classifier: not available ({c.get('reason', '')[:80]})",
                "no diagnostic statement can be made without the classifier"]
    by_code = {s["code"]: s for s in c.get("statements") or []}
    lines = []
    # a question naming statements gets those (an infarct wall: the infarcts spanning it too); otherwise every present
    # statement (5 at most)
    spans = {code: [k for k in WALLS.get(code, ()) if by_code.get(k, {}).get("present")] for code in codes}
    present = [k for k in c.get("present") or []
               if k in by_code and (not codes or k in codes or any(k in found for found in spans.values()))]
    for s in sorted((by_code[k] for k in present), key=lambda s: -(s.get("probability") or 0.0))[:5]:
        # code first: descriptions may contain "without", which must not read as a negation
        p, cnn = _percent(s.get("probability")), _percent(s.get("cnn_probability"))
        if p and cnn and cnn != p and reads_cnn(c.get("model"), s["code"]):
            # the engine (and so the verdict) reads the CNN's own probability here: give that one first, or the
            # fused one read as a contradiction of the verdict's ("classifier probability 58%" beside "90%")
            lines.append(f"classifier finds {s['code']} ({s['description']}), probability {cnn} (the CNN's own, "
                         f"which medts's rules read; {p} with the measurements fused)")
            continue
        lines.append(f"classifier finds {s['code']} ({s['description']})" + (f", probability {p}" if p else ""))
    if not c.get("present") and not codes:
        lines.append("classifier: no statement reached its threshold")
    for code in codes:
        if code in by_code and not by_code[code]["present"]:
            s = by_code[code]
            engine_t = s.get("engine_threshold")  # the engine's own threshold for this model, if it has one
            p, t = _percent(s.get("probability")), _percent(engine_t if engine_t is not None else s.get("threshold"))
            if engine_t is not None and p and s["probability"] >= engine_t:
                # the engine reads this model at its own threshold: say so, or "below its threshold"
                # would sit beside the engine's "medts asserts ..."
                lines.append(f"classifier gives {code} ({s['description']}) probability {p}, at or above medts's "
                             f"threshold of {t} for it (the model's own: {_percent(s.get('threshold'))})")
                continue
            if code in asserted and p and t:
                # heldout84's first run: "Yes: medts finds long QT" beside "classifier does not find LNGQT" read as a
                # contradiction: the engine's measurement rule decides, the classifier's number stays visible
                lines.append(f"classifier alone gives {code} ({s['description']}) probability {p}, below the threshold "
                             f"of {t}; medts's measurement rule decides it")
                continue
            if spans[code] and p and t:
                # heldout73's first run: "Yes: medts asserts ASMI" beside "classifier does not find AMI" read as a
                # contradiction: the wall has an infarct, the statement of the wall alone is below its threshold
                lines.append(f"classifier gives {code} ({s['description']}) alone probability {p}, below the threshold "
                             f"of {t}; {', '.join(spans[code])} covers the same wall")
                continue
            lines.append(f"classifier does not find {code} ({s['description']})"
                         + (f": probability {p}" if p else ": below its threshold")
                         + (f", below the threshold of {t}" if p and t else ""))
        elif code not in by_code and code in (c.get("evaluated_codes") or []):
            lines.append(f"classifier does not find {code} (below its threshold)")
    return lines


def fact_lines(question: str, results: list[dict[str, Any]], kinds: list[str] | None = None) -> list[str]:
    """Short fact sentences for the question from the tool results (numbers copied from them)."""
    from medts.labels import STATEMENTS

    kinds_set = set(kinds if kinds is not None else intents(question)) or {"rate", "rhythm", "diagnosis"}
    codes = [c for c in statement_codes(question) if c in STATEMENTS]
    measure_kinds, interval_keys = focus(question, kinds_set, codes)
    lines: list[str] = []
    for r in results:
        tool = r.get("tool")
        if tool == "record_summary":
            q = r.get("quality") or {}
            if "quality" in kinds_set or q.get("overall") != "good":
                lines.append(f"signal quality: {q.get('overall')} ({q.get('n_usable_leads')} of {q.get('n_leads')} leads usable)")
                for lead, flags in list((q.get("lead_flags") or {}).items())[:4]:
                    lines.append(f"lead {lead}: {', '.join(flags)}")
                if q.get("limb_lead_reversal"):
                    lines.append(f"possible limb-lead reversal: {q['limb_lead_reversal']}")
        elif not r.get("available", True) and tool != "classify":
            lines.append(f"{tool}: not available ({str(r.get('reason', ''))[:80]})")
        elif tool == "measurements":
            lines += lead_lines(question, r) if "st" in kinds_set else []
            lines += measurement_lines(r, measure_kinds, interval_keys)
        elif tool == "classify":
            asserted = frozenset(s["code"] for i in results if i.get("tool") == "interpretation"
                                 for s in i.get("asserted") or [])
            lines += classifier_lines(r, codes, asserted)
        elif tool == "interpretation":
            lines += interpretation_lines(r, codes)
        elif tool == "explain":
            # first: the answer to "why?" / "which leads?", not a fact cut after the first few shown
            lines[:0] = explain_lines(r)
        elif tool == "anomalies":
            n, total = r.get("n_anomalous_beats"), r.get("n_beats")
            if n is None:
                lines.append(f"anomaly check: not possible ({r.get('reason')})")
            else:
                lines.append(f"unusual beats: {n} of {total} beats ({r.get('method')})")
                for item in (r.get("anomalous_beats") or [])[:3]:
                    lines.append(f"beat at {item['time_s']:.2f} s: {'; '.join(item['why'])}")
        elif tool == "delineation":
            for kind, w in (r.get("waves") or {}).items():
                if isinstance(w, dict):
                    dur = w.get("median_duration_ms")
                    lines.append(f"{kind} waves found: {w.get('n_waves')}" + (f", median duration {dur:.0f} ms" if dur else ""))
            lines.append(f"delineation method: {r.get('method')}")
        elif tool == "glossary":
            for e in r.get("entries") or []:
                lines.append(f"{e['code']} means {e['description']}; typical criteria: {e['typical_criteria']}")
        elif tool == "compare":
            for key, ch in (r.get("measurements") or {}).items():
                unit = key.rsplit("_", 1)[-1]
                unit_word = {"deg": "degrees"}.get(unit, unit)
                if ch.get("before") is not None and ch.get("after") is not None:
                    lines.append(f"{key.rsplit('_', 1)[0].replace('_', ' ')}: {ch['before']:.0f} {unit_word} before, "
                                 f"{ch['after']:.0f} {unit_word} now")
            st = r.get("statements") or {}
            if st.get("available", True) and "new" in st:
                lines.append("new statements: " + (", ".join(st["new"]) or "none"))
                lines.append("resolved statements: " + (", ".join(st["resolved"]) or "none"))
            else:
                lines.append("statement comparison: not available (no classifier)")
    return lines


_NAMED_LEAD = re.compile(r"\b(?:leads? )?(I{1,3}|aVR|aVL|aVF|V[1-6])\b(?:\s*(?:-|to)\s*(V[1-6]))?")


def lead_lines(question: str, m: dict[str, Any]) -> list[str]:
    """The ST level and T amplitude of each lead the question names ("Is the T wave inverted in lead III?",
    "ST elevation in V2-V4?"), before the record-wide lines: the classifier's statement answers the question, the
    named leads' values are what a reader checks it against."""
    leads: list[str] = []
    for a, b in _NAMED_LEAD.findall(question):
        if b and a.startswith("V"):
            leads += [f"V{i}" for i in range(int(a[1]), int(b[1]) + 1)]
        else:
            leads.append(a)
    lines = []
    for lead in dict.fromkeys(leads):
        st, t = _v(m.get("st_j60_mv") or {}, lead), _v(m.get("t_amplitude_mv") or {}, lead)
        # the lead in the number's own clause, so the grounding cites that lead's field
        if st is not None:
            lines.append(f"ST level at J+60 ms in lead {lead} is {st:.2f} mV")
        if t is not None:
            lines.append(f"T wave amplitude in lead {lead} is {t:.2f} mV")
    return lines[:6]


def interpretation_lines(r: dict[str, Any], codes: list[str]) -> list[str]:
    """The engine's verdict first, then the asked-about statements it withheld (code only: the
    reasons hold numbers that the measurements tool states)."""
    lines = [f"verdict: {r['verdict']}"]
    for s in r.get("withheld") or []:
        if not codes or s["code"] in codes:
            lines.append(f"{s['code']} is not asserted: the measurement check withheld the classifier's call")
    return lines


def explain_lines(r: dict[str, Any]) -> list[str]:
    if not r.get("available", True):
        return [f"explanation for {r.get('code')}: not available ({str(r.get('reason', ''))[:100]})"]
    if "top_leads" in r:
        # no probability here: the attributed model's own (classifier-all's CNN at 90 %) read as a contradiction
        # beside the engine's (the fused probability, 58 %) in the verdict of the same answer
        return [f"the {r['code']}{LEAD_EVIDENCE}{', '.join(r['top_leads'])} ({r['method']})"]
    return [f"explanation for {r.get('code')} from {r.get('method')}"]


# ---------------------------------------------------------------------------------------------
# Prompts
# ---------------------------------------------------------------------------------------------
@cache
def load_prompt(name: str) -> dict[str, Any]:
    """``prompts/agent/<name>.yaml`` as a dict (keys: name, version, text/system/user...)."""
    path = PROMPT_DIR / f"{name}.yaml"
    return yaml.safe_load(path.read_text())


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


def render(template: str, **values: Any) -> str:
    return _ENV.from_string(template).render(**values)


def compose_messages(question: str, facts: list[str]) -> list[BaseMessage]:
    """System + user messages asking the LLM to phrase the answer from ``facts``."""
    p = load_prompt("compose")
    messages: list[BaseMessage] = [SystemMessage(p["system"].strip())]
    for shot in p.get("examples") or []:  # one worked example: small models copy its form
        messages.append(HumanMessage(render(p["user"], facts=shot["facts"], question=shot["question"]).strip()))
        messages.append(AIMessage(shot["answer"].strip()))
    messages.append(HumanMessage(render(p["user"], facts=facts, question=question).strip()))
    return messages
