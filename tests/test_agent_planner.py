"""Rule planner: intents, tool plans, fact lines copied from tool results, compose prompt."""

from __future__ import annotations

from medts.agent.planner import compose_messages, fact_lines, intents, load_prompt, plan
from medts.agent.tools import ToolBox, Workspace
from medts.examples import simulate_example


def names(question: str, **kw) -> list[str]:
    return [c.name for c in plan(question, **kw)]


def test_intents_and_plans():
    assert intents("What is the heart rate?") == ["rate"]
    assert names("What is the heart rate?") == ["record_summary", "measurements"]
    assert names("Is there atrial fibrillation?") == ["record_summary", "measurements", "classify", "interpretation"]
    assert names("Why do you think there is LVH?")[-1] == "explain"
    assert plan("Why do you think there is LVH?")[-1].args["code"] == "LVH"
    assert names("What does IRBBB mean?") == ["glossary"]
    assert plan("What does IRBBB mean?")[0].args == {"term": "IRBBB"}
    assert names("Compare with the previous ECG", has_previous=True)[-1] == "compare"
    assert "compare" not in names("Compare with the previous ECG", has_previous=False)
    assert names("Are there any premature beats?")[-1] == "anomalies"
    assert names("Show me the P waves")[-1] == "delineation"
    assert names("Please interpret this ECG") == ["record_summary", "measurements", "classify", "interpretation"]
    assert plan("What is the heart rate?", record="previous")[1].args == {"record": "previous"}


def test_fact_lines_copy_tool_numbers():
    box = ToolBox(Workspace({"current": simulate_example("sinus")}))
    m = box.run("measurements", {})
    lines = fact_lines("Is the QTc prolonged?", [m])
    qtc = m["qtc_bazett_ms"]["value"]
    assert any(line.startswith(f"QTc (Bazett): {qtc:.0f} ms") for line in lines)
    assert ("the QTc is prolonged" in lines) is m["qtc_prolonged"]
    hr_lines = fact_lines("What is the heart rate?", [m])
    assert hr_lines[0] == f"heart rate: {m['hr_bpm']['value']:.0f} bpm"
    assert not any("QTc" in line for line in hr_lines)  # only what the question needs
    unavailable = fact_lines("Is this normal?", [{"tool": "classify", "available": False, "reason": "no adapter"}])
    assert unavailable[-1] == "no diagnostic statement can be made without the classifier"


def test_compose_prompt_is_versioned_yaml_with_one_example():
    p = load_prompt("compose")
    assert p["version"] >= 1 and load_prompt("system")["version"] >= 1
    msgs = compose_messages("What is the heart rate?", ["heart rate: 70 bpm"])
    assert [m.type for m in msgs] == ["system", "human", "ai", "human"]
    assert "- heart rate: 70 bpm" in msgs[-1].content
    assert msgs[-1].content.endswith("Question: What is the heart rate?")


def test_classifier_lines_without_a_probability():
    """A statement whose probability is JSON null (NaN from the model) is reported without one."""
    from medts.agent.planner import classifier_lines

    c = {"tool": "classify", "present": ["AFIB"], "evaluated_codes": ["AFIB", "LVH"], "statements": [
        {"code": "AFIB", "description": "atrial fibrillation", "probability": None, "threshold": 0.3, "present": True},
        {"code": "LVH", "description": "left ventricular hypertrophy", "probability": None, "threshold": None, "present": False}]}
    assert classifier_lines(c, []) == ["classifier finds AFIB (atrial fibrillation)"]
    assert classifier_lines(c, ["LVH"]) == ["classifier does not find LVH (left ventricular hypertrophy): below its threshold"]
    c["statements"][0]["probability"] = 0.81
    assert classifier_lines(c, [])[0].endswith("probability 81%")


def test_a_statement_the_engine_asserts_from_measurements_is_not_denied_by_the_classifier_line():
    # heldout84's first run: "Yes: medts finds long QT" beside "classifier does not find LNGQT"
    from medts.agent.planner import classifier_lines

    c = {"tool": "classify", "present": [], "evaluated_codes": ["LNGQT"], "statements": [
        {"code": "LNGQT", "description": "long QT interval", "probability": 0.004, "threshold": 0.25, "present": False}]}
    assert classifier_lines(c, ["LNGQT"])[0].startswith("classifier does not find LNGQT")
    line = classifier_lines(c, ["LNGQT"], frozenset({"LNGQT"}))[0]
    assert line == ("classifier alone gives LNGQT (long QT interval) probability 0%, below the threshold of 25%; "
                    "medts's measurement rule decides it")
