"""Rollout tasks from a YAML file: what loads, and bad files named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from factory.errors import InputError
from factory.rollout.blueprints import yaml_blueprints
from tests.helpers.cli import factory_cli

GOOD = """tasks:
  - key: rounding
    repo: repo
    prompt: Discounts should round half-up.
    setup:
      tests/test_rounding.py: "def test_it():\\n    assert True\\n"
    verify: python -m pytest -q
    hidden:
      - when: [rule, rounding]
        answer: Half-up, like the invoices.
  - repo: repo
    prompt: Where is the cart total computed?
    expect: ['cart\\.py']
"""


def _repo(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "cart.py").write_text("def total():\n    return 0\n")


def test_a_tasks_file_loads_with_its_hidden_facts_and_kinds(tmp_path: Path) -> None:
    _repo(tmp_path)
    path = tmp_path / "tasks.yaml"
    path.write_text(GOOD)
    fix, question = yaml_blueprints(path)
    assert fix.key == "rounding" and fix.kind == "fix" and fix.repo == (tmp_path / "repo").resolve()
    assert fix.hidden[0].matches("Which rounding rule do you want?")
    assert not fix.hidden[0].matches("Shall I go on?")
    assert question.kind == "explore" and question.key == "tasks-2" and question.expect == [r"cart\.py"]


@pytest.mark.parametrize(("text", "line", "words"), [
    (GOOD.replace("    verify: python", "    verfiy: python"), 2, "unknown key(s) verfiy"),
    (GOOD.replace("    prompt: Where is the cart total computed?\n", ""), 11, "'prompt' is required"),
    (GOOD.replace("repo: repo\n    prompt: Where", "repo: nowhere\n    prompt: Where"), 11, "is not a directory"),
    (GOOD.replace("['cart\\.py']", "['cart(']"), 11, "is not a regular expression"),
    (GOOD.replace("    expect: ['cart\\.py']\n", ""), 11, "give 'verify'"),
    (GOOD.replace("tests/test_rounding.py", "../outside.py"), 2, "must be a path inside the repository"),
    ("tasks: [\n", 2, "invalid YAML"),
])
def test_a_bad_tasks_file_names_file_line_and_what_is_wrong(tmp_path: Path, text: str, line: int, words: str) -> None:
    _repo(tmp_path)
    path = tmp_path / "tasks.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        yaml_blueprints(path)
    assert f"{path}:{line}:" in str(err.value) and words in str(err.value), str(err.value)


def test_the_command_reports_a_bad_tasks_file_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text("tasks:\n  - prompt: hi\n    repo: nowhere\n    verify: pytest\n")
    proc = factory_cli("rollout", "--tasks", path, "--provider", "openai-compatible", "--base-url",
                       "http://127.0.0.1:9/v1", "--model", "m", "--out", tmp_path / "out.jsonl", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"{path}:2:" in proc.stderr + proc.stdout and "not a directory" in proc.stderr + proc.stdout
    assert not (tmp_path / "out.jsonl").exists()


def test_a_tool_set_named_by_the_tasks_is_the_one_offered_or_the_run_stops_saying_so(tmp_path: Path) -> None:
    from factory.cli.rollout_command import _run_toolset

    _repo(tmp_path)
    path = tmp_path / "tasks.yaml"
    path.write_text(GOOD.replace("    verify: python", "    toolset: continue\n    verify: python"))
    tasks = yaml_blueprints(path)
    assert _run_toolset(tasks, None) == "continue"  # used, not ignored
    assert _run_toolset(tasks, "continue") == "continue"
    with pytest.raises(Exception, match="rounding: continue") as err:
        _run_toolset(tasks, "claude_code")
    assert "a run offers one" in str(err.value)
    both = GOOD.replace("    verify: python", "    toolset: continue\n    verify: python").replace(
        "    expect: ['cart", "    toolset: claude_code\n    expect: ['cart")
    path.write_text(both)
    with pytest.raises(Exception, match="different tool sets"):
        _run_toolset(yaml_blueprints(path), None)
    proc = factory_cli("rollout", "--tasks", path, "--provider", "openai-compatible", "--base-url",
                       "http://127.0.0.1:9/v1", "--model", "m", "--out", tmp_path / "r.jsonl", cwd=tmp_path)
    assert proc.returncode == 1 and "different tool sets" in proc.stderr and "Traceback" not in proc.stderr
