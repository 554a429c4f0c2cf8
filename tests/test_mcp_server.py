"""``medts mcp`` through the official MCP client over stdio: tools, schemas, and the same numbers
as ``medts measure --json``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters, stdio_client

from medts.agent.tools import TOOL_SPECS
from medts.examples import example_path, simulate_example
from medts.io.samples import muse_xml
from medts.mcp_server import LoadArgs

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


async def _session(calls, errlog):
    params = StdioServerParameters(command=sys.executable, args=["-m", "medts", "mcp"], env=ENV)
    async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        results = [await session.call_tool(name, args) for name, args in calls]
    return tools, results


def test_mcp_server_over_stdio_matches_the_cli(tmp_path):
    muse = tmp_path / "muse.xml"
    muse.write_text(muse_xml(simulate_example("afib")), encoding="latin-1")
    sinus = str(example_path("sinus"))
    calls = [
        ("measurements", {}),  # nothing loaded yet: a reason, not a crash
        ("load_ecg", {"path": sinus}),
        ("measurements", {}),
        ("glossary", {"term": "LVH"}),
        ("load_ecg", {"path": str(muse), "name": "previous"}),
        ("load_ecg", {"path": str(tmp_path / "missing.hea")}),
        ("no_such_tool", {}),
    ]
    with open(tmp_path / "server.err", "w") as errlog:
        tools, results = asyncio.run(_session(calls, errlog))
    listed = {t.name: t for t in tools.tools}
    assert list(listed) == ["load_ecg", *TOOL_SPECS]
    for name, (model, description) in TOOL_SPECS.items():
        assert listed[name].input_schema == model.model_json_schema() and listed[name].description == description
    assert listed["load_ecg"].input_schema == LoadArgs.model_json_schema()

    unloaded, loaded, measured, glossary, muse_loaded, missing, unknown = results
    assert unloaded.structured_content["available"] is False and "no ECG named 'current'" in unloaded.structured_content["reason"]
    assert loaded.structured_content["record_id"] == "sinus" and not loaded.is_error
    cli = subprocess.run([sys.executable, "-m", "medts", "measure", "--json", sinus], capture_output=True, text=True,
                         env=ENV, check=True)
    expected = json.loads(cli.stdout)[0]
    got = measured.structured_content
    assert json.loads(measured.content[0].text) == got
    for key in ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_bazett_ms", "qrs_axis_deg"):
        assert got[key]["value"] == expected[key]["value"], key
    assert glossary.structured_content["entries"][0]["code"] == "LVH"
    device = muse_loaded.structured_content["untrusted_device_report"]
    assert device["measurements"]["qtc_ms"] == 408.0 and device["statements"] == ["Normal sinus rhythm", "Normal ECG"]
    assert muse_loaded.structured_content["file_format"] == "GE MUSE XML"
    assert missing.is_error and "missing.hea" in missing.structured_content["reason"]
    assert unknown.is_error and "unknown tool 'no_such_tool'" in unknown.content[0].text
    assert "Traceback" not in (tmp_path / "server.err").read_text()


def test_list_tools_prints_the_schemas():
    out = subprocess.run([sys.executable, "-m", "medts", "mcp", "--list-tools"], capture_output=True, text=True,
                         env=ENV, check=True)
    listed = json.loads(out.stdout)
    assert [t["name"] for t in listed] == ["load_ecg", *TOOL_SPECS]
    assert listed[0]["input_schema"]["required"] == ["path"]


def test_bad_preload_is_one_line_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "medts", "mcp", str(tmp_path / "nope.xml")], capture_output=True,
                         text=True, env=ENV, stdin=subprocess.DEVNULL, check=False)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "nope.xml" in out.stderr


def test_every_tool_schema_is_valid_json_schema_and_accepts_its_defaults():
    from jsonschema import Draft202012Validator

    from medts.mcp_server import MedtsTools

    for name, schema in MedtsTools().input_schemas().items():
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object", name
        if not schema.get("required"):
            assert not list(Draft202012Validator(schema).iter_errors({})), name
    validator = Draft202012Validator(MedtsTools().input_schemas()["load_ecg"])
    assert list(validator.iter_errors({"name": "current"}))  # path is required
