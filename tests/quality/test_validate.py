"""`factory validate`: every kind of bad line is reported as file:line: reason, and exits 1."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from factory.errors import SpecError
from factory.generate.specs import load_spec
from factory.quality.validate import RecordValidator
from tests.helpers.cli import factory_cli

READ_FILE = {"type": "function", "function": {"name": "read_file", "description": "Read a file.",
             "parameters": {"type": "object", "required": ["filepath"],
                            "properties": {"filepath": {"type": "string"}}}}}
RANGE = {"type": "function", "function": {"name": "read_file_range", "description": "Read lines.",
         "parameters": {"type": "object", "required": ["filepath", "startLine", "endLine"],
                        "properties": {"filepath": {"type": "string"}, "startLine": {"type": "number"},
                                       "endLine": {"type": "number"}}}}}


def call(name: str, args: dict, cid: str = "call_1") -> dict:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}


def record(assistant: dict, **extra) -> dict:
    rec = {"category": "t", "subcategory": "s", "tools": [READ_FILE, RANGE],
           "messages": [{"role": "user", "content": "Read src/app.py"}, assistant]}
    rec.update(extra)
    return rec


GOOD = record({"role": "assistant", "tool_calls": [call("read_file", {"filepath": "src/app.py"})]})


def test_a_valid_record_has_no_errors() -> None:
    assert RecordValidator().check(GOOD) == []


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(name="open_file"), "invented_tool"),
        (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(arguments={}), "missing_required"),
        (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(arguments={"filepath": 3}), "wrong_type"),
        (lambda r: r["messages"].reverse(), "must start with a user turn"),
        (lambda r: r["messages"].insert(1, {"role": "system", "content": "late"}), "system message may only come first"),
        (lambda r: r["messages"].append({"role": "tool", "tool_call_id": "nope", "content": "x"}), "no pending call"),
        (lambda r: r.pop("messages"), "schema: messages"),
        (lambda r: r["messages"][1].update(tool_calls=None, content='{"name": "read_file", "arguments": {'),
         "malformed_json"),
    ],
)
def test_each_kind_of_defect_is_reported(mutate, reason: str) -> None:
    rec = copy.deepcopy(GOOD)
    mutate(rec)
    errors = RecordValidator().check(rec)
    assert any(reason in e for e in errors), errors


def _neg(kind: str, assistant: dict, correct: list | None = None) -> dict:
    correct = correct or [call("read_file", {"filepath": "src/app.py"}, "call_9")]
    return record(assistant, label=False, meta={"defect": {"kind": kind, "correct": correct}})


def test_a_declared_defect_is_expected_but_must_be_present_alone_and_its_correction_valid() -> None:
    v = RecordValidator()
    missing = {"role": "assistant", "tool_calls": [call("read_file", {})]}
    assert v.check(_neg("missing_required", missing)) == []
    # Declared wrong_type, but the record shows missing_required: both problems reported.
    errors = v.check(_neg("wrong_type", missing))
    assert any("declared defect wrong_type is absent" in e for e in errors)
    assert any("undeclared defect missing_required" in e for e in errors)
    # The correction itself must be valid.
    bad_fix = [call("read_file", {"filepath": 1}, "call_9")]
    assert any("meta.defect.correct[0] is not valid" in e for e in v.check(_neg("missing_required", missing, bad_fix)))
    prose = {"role": "assistant", "content": "Open src/app.py in your editor."}
    assert v.check(_neg("prose_instead_of_call", prose)) == []
    wrong = {"role": "assistant", "tool_calls": [call("read_file_range", {"filepath": "a", "startLine": 1, "endLine": 2})]}
    assert v.check(_neg("wrong_tool", wrong)) == []
    assert any("wrong_tool is absent" in e for e in v.check(_neg("wrong_tool", GOOD["messages"][1])))


def test_validate_cli_lists_file_line_reason_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    bad_type = copy.deepcopy(GOOD)
    bad_type["messages"][1]["tool_calls"][0]["function"]["arguments"] = {"filepath": ["a"]}
    lines = [json.dumps(GOOD).encode(), b"{not json", json.dumps(bad_type).encode(), b"\xff\xfe bad bytes",
             json.dumps({"category": "x"}).encode(), json.dumps(GOOD).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    proc = factory_cli("validate", path)
    assert proc.returncode == 1
    assert f"{path}: 6 read, 2 valid, 4 invalid" in proc.stdout
    err = proc.stderr
    assert f"{path}:2: not valid JSON" in err
    assert f"{path}:3: messages[1]: wrong_type" in err
    assert f"{path}:4: not UTF-8" in err
    assert f"{path}:5: schema: messages" in err
    assert f"{path}:1:" not in err and f"{path}:6:" not in err


def test_validate_cli_passes_a_clean_file_and_reports_counts(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    proc = factory_cli("validate", path)
    assert proc.returncode == 0 and f"{path}: 2 read, 2 valid, 0 invalid" in proc.stdout


@pytest.mark.parametrize("content", [b"", b"\n\n   \n"])
def test_an_empty_or_blank_file_is_reported_not_passed(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    proc = factory_cli("validate", path)
    assert proc.returncode == 1 and f"{path}:0: no records: the file is empty or holds only blank lines" in proc.stderr


def test_a_message_longer_than_max_chars_is_an_error(tmp_path: Path) -> None:
    huge = copy.deepcopy(GOOD)
    huge["messages"][0]["content"] = "x" * 3_000_000  # a 3 MB user message
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(huge) + "\n")
    proc = factory_cli("validate", path)
    assert proc.returncode == 1 and f"{path}: 2 read, 1 valid, 1 invalid" in proc.stdout
    assert f"{path}:2: message 0 (user) is 3,000,000 characters, over --max-chars 32,768" in proc.stderr
    assert factory_cli("validate", path, "--max-chars", "4000000").returncode == 0


def test_spec_errors_name_the_file_and_the_line_of_the_key(tmp_path: Path) -> None:
    spec = tmp_path / "cat.md"
    spec.write_text("---\nname: cat\ndescription: d\ntargets:\n  a: -3\n---\nbody\n")
    with pytest.raises(SpecError, match=r"cat\.md:4: targets: Value error, subcategory counts must be non-negative"):
        load_spec(spec)
    spec.write_text("no front matter\n")
    with pytest.raises(SpecError, match=r"cat\.md:1: expected YAML front matter"):
        load_spec(spec)
    spec.write_text("---\nname: cat\ndescription: d\ntargets: {a: 1}\n---\n\n")
    with pytest.raises(SpecError, match=r"body .* is empty"):
        load_spec(spec)


def test_a_toml_config_with_an_unknown_key_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "factory.toml").write_text("outt = 'x'\n")
    proc = factory_cli("status", cwd=tmp_path)
    assert proc.returncode == 2 and "factory.toml: outt: Extra inputs are not permitted" in proc.stderr


def test_a_spec_can_name_a_user_json_file_of_function_schemas(tmp_path: Path) -> None:
    from factory.errors import InputError
    from factory.generate.tools import resolve_toolset
    from factory.host import PluginHost

    registry = PluginHost().load().registry
    tools = tmp_path / "my_tools.json"
    tools.write_text(json.dumps({"tools": [
        {"name": "deploy", "description": "Deploy a service.",
         "parameters": {"type": "object", "required": ["service"], "properties": {"service": {"type": "string"}}}},
        READ_FILE,
    ]}))
    ts = resolve_toolset("my_tools.json", registry, tmp_path)
    assert ts.names == ["deploy", "read_file"]
    assert ts.tools[0] == {"type": "function", "function": {
        "name": "deploy", "description": "Deploy a service.",
        "parameters": {"type": "object", "required": ["service"], "properties": {"service": {"type": "string"}}}}}
    assert resolve_toolset("continue", registry).names[0] == "read_file"

    tools.write_text('[{"description": "no name"}]')
    with pytest.raises(InputError, match=r"my_tools\.json: tools\[0\]: expected an OpenAI function schema"):
        resolve_toolset("my_tools.json", registry, tmp_path)
    tools.write_text("[1, 2")
    with pytest.raises(InputError, match=r"my_tools\.json: tool set is not valid JSON"):
        resolve_toolset("my_tools.json", registry, tmp_path)


def test_json_looking_text_is_only_a_botched_call_when_tools_are_offered() -> None:
    code = '{"name": "demo", "version": "1.0.0"}'
    plain = {"category": "repo_fim", "messages": [{"role": "user", "content": "Fill the hole."},
                                                  {"role": "assistant", "content": code}]}
    assert RecordValidator().check(plain) == []
    offered = {**plain, "tools": [READ_FILE]}
    assert any("call_as_text" in e for e in RecordValidator().check(offered))
