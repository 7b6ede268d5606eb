"""Tool preconditions as data: the rules the tool sets' descriptions state, checked on each call
against the state the conversation has reached (reads seen, edits applied, the workspace)."""

from __future__ import annotations

import json

import pytest

from factory.errors import InputError
from factory.generate.tools import load_toolset_file
from factory.host import PluginHost
from factory.quality.preconditions import precondition_errors, rules_by_tool
from factory.sandbox.workspace import FIXTURE_REPO, Workspace

REGISTRY = PluginHost().load().registry
RULES = rules_by_tool(REGISTRY.toolsets.values())
CONTINUE = REGISTRY.toolsets["continue"].by_name()
WS = Workspace(FIXTURE_REPO)
SOURCE = "def handle(rows):\n    return handler(rows)\n\n\ndef total(rows):\n    return sum(rows)\n"


def turns(*steps: tuple, tools: list[str] | None = None) -> dict:
    """Each step is [(name, args), ...] for one assistant turn, results given as a third item."""
    messages: list[dict] = [{"role": "user", "content": "Please change it."}]
    n = 0
    for step in steps:
        calls = []
        for name, args, *out in step:
            n += 1
            calls.append(({"id": f"c{n}", "type": "function", "function": {"name": name, "arguments": args}},
                          out[0] if out else "ok"))
        messages.append({"role": "assistant", "tool_calls": [c for c, _ in calls]})
        messages += [{"role": "tool", "tool_call_id": c["id"], "content": o} for c, o in calls]
    messages.append({"role": "assistant", "content": "Done."})
    names = tools or sorted({name for step in steps for name, *_ in step})
    return {"messages": messages, "tools": [CONTINUE[t] for t in names if t in CONTINUE]}


READ = ("read_file", {"filepath": "src/app.py"}, SOURCE)


def test_the_built_in_tool_sets_carry_their_rules() -> None:
    assert {r["rule"] for r in RULES["single_find_and_replace"]} == {"read_first", "unique_match", "whole_name", "alone"}
    assert {r["rule"] for r in RULES["edit"]} == {"read_first", "unique_match", "whole_name"}
    assert RULES["request_rule"] == [{"rule": "listed", "argument": "name", "says": "Available rules: ..."}]


def test_an_edit_needs_a_read_of_the_file_first() -> None:
    edit = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "sum(rows)", "new_string": "sum(rows, 0)"})
    assert precondition_errors(turns([edit]), RULES) == [
        "messages[1]: precondition read_first: edits src/app.py without reading it first in this conversation"]
    assert precondition_errors(turns([READ], [edit]), RULES) == []


def test_old_string_must_be_unique_and_a_rename_must_not_touch_longer_names() -> None:
    twice = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "(rows)", "new_string": "(items)"})
    assert "occurs 4 times in src/app.py" in precondition_errors(turns([READ], [twice]), RULES)[0]
    rename = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "handle",
                                         "new_string": "on_event", "replace_all": True})
    assert "would also change 'handler'" in precondition_errors(turns([READ], [rename]), RULES)[0]
    missing = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "nope", "new_string": "x"})
    assert "does not occur" in precondition_errors(turns([READ], [missing]), RULES)[0]
    # multi_edit applies its edits in order: the second sees the first's result.
    multi = ("multi_edit", {"filepath": "src/app.py", "edits": [
        {"old_string": "def total(", "new_string": "def grand_total("},
        {"old_string": "def total(", "new_string": "def sum_total("}]})
    assert "does not occur" in precondition_errors(turns([READ], [multi]), RULES)[0]


def test_state_carries_across_turns() -> None:
    first = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "def total(", "new_string": "def grand_total("})
    again = ("single_find_and_replace", {"filepath": "src/app.py", "old_string": "def total(", "new_string": "def t("})
    assert precondition_errors(turns([READ], [first]), RULES) == []
    assert "does not occur in src/app.py as it stands" in precondition_errors(turns([READ], [first], [again]), RULES)[0]


def test_grounded_records_are_judged_against_the_workspace() -> None:
    create = ("create_new_file", {"filepath": "src/shoplite/cart.py", "contents": "x = 1\n"})
    assert precondition_errors(turns([create]), RULES, WS) == [
        "messages[1]: precondition new_file: creates src/shoplite/cart.py, which already exists"]
    fresh = ("create_new_file", {"filepath": "src/shoplite/refunds.py", "contents": "x = 1\n"})
    assert precondition_errors(turns([fresh]), RULES, WS) == []
    write = ("write", {"file_path": "src/shoplite/cart.py", "content": "x = 1\n"})
    assert "overwrites src/shoplite/cart.py without reading it first" in precondition_errors(turns([write]), RULES, WS)[0]


def test_requested_rules_and_skills_must_be_listed_in_the_description() -> None:
    rec = turns([("request_rule", {"name": "Type Hints"})])
    assert "which its description does not list" in precondition_errors(rec, RULES)[0]  # "No rules available."
    listed = json.loads(json.dumps(CONTINUE["request_rule"]))
    listed["function"]["description"] += "\nName: Type Hints\nDescription: Add type hints."
    rec["tools"] = [listed]
    assert precondition_errors(rec, RULES) == []


def test_files_at_test_paths_hold_tests_only() -> None:
    impl = ("create_new_file", {"filepath": "tests/test_orders.py", "contents": "def total(rows):\n    return 1\n"})
    assert "writes the test file tests/test_orders.py with no test in it" in precondition_errors(turns([impl]), RULES)[0]
    mixed = ("create_new_file", {"filepath": "tests/test_orders.py",
                                 "contents": "def total(rows):\n    return 1\n\n\ndef test_total():\n    assert total([]) == 1\n"})
    assert "implementation code (total)" in precondition_errors(turns([mixed]), RULES)[0]
    good = ("create_new_file", {"filepath": "tests/test_orders.py",
                                "contents": "from app import total\n\n\ndef test_total():\n    assert total([]) == 0\n"})
    assert precondition_errors(turns([good]), RULES) == []


def test_an_exclusive_tool_is_alone_in_its_turn() -> None:
    both = [READ, ("edit_existing_file", {"filepath": "src/app.py", "changes": "x"})]
    errors = precondition_errors(turns(both), RULES)
    assert any("cannot be called in parallel" in e for e in errors)


def test_a_rules_file_for_tools_the_set_does_not_have_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "mine.json").write_text(json.dumps([CONTINUE["read_file"]]))
    (tmp_path / "mine.rules.json").write_text(json.dumps({"edit": [{"rule": "read_first"}]}))
    with pytest.raises(InputError, match="rules for tools the set does not have: edit"):
        load_toolset_file(tmp_path / "mine.json")
    (tmp_path / "mine.rules.json").write_text(json.dumps({"read_file": [{"rule": "read_first"}]}))
    assert load_toolset_file(tmp_path / "mine.json").rules == {"read_file": [{"rule": "read_first"}]}
