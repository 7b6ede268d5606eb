"""The eval set is held out by construction: its prompts have wording of their own (none is made only of
sentences training has), its nouns never occur in training, and a quarter of its tool calls use canary
schemas that no training record offers."""

from __future__ import annotations

import random
import re
from pathlib import Path

import orjson
import pytest

from factory.authoring import entities
from factory.authoring import vocab as T
from factory.authoring.canary import CANARY, to_canary
from factory.host import PluginHost
from factory.quality.check import check_files
from factory.quality.validate import RecordValidator

HOST = PluginHost(entry_points=False).load()
SOURCES = ("tool_core", "guardrail", "style_core", "style_refactor")


@pytest.fixture(scope="module")
def files(main_job_dir: Path) -> dict[str, Path]:
    """The main job's eval set and the training categories its generators are shared with."""
    return {name: main_job_dir / f"{name}.jsonl" for name in (*SOURCES, "eval")}


def test_no_eval_prompt_is_made_only_of_training_sentences(files) -> None:
    report = check_files(list(files.values()), build=False, held_out=["eval"])
    overlap = report.held_out["eval"]
    assert overlap.records == 1000
    assert overlap.only_training == 0, overlap.examples  # 668 of 1000 before the eval had its own wording
    assert overlap.shared_answers / overlap.answers < 0.05  # 91% before


def test_held_out_nouns_never_occur_in_training(files) -> None:
    nouns = [e.replace("_", " ") for e in T.ENTITY_POOLS["eval"]]
    for name in SOURCES:
        text = files[name].read_text().lower().replace("_", " ")
        found = [n for n in nouns if re.search(rf"\b{re.escape(n)}\b", text)]
        assert found == [], (name, found)


def test_a_quarter_of_the_tool_calls_use_canary_schemas(files) -> None:
    rows = [orjson.loads(line) for line in files["eval"].read_bytes().splitlines()]
    calls = [r for r in rows if r["subcategory"] == "tool_call"]
    canary = [r for r in calls if r["meta"].get("canary")]
    assert 0.18 <= len(canary) / len(calls) <= 0.32
    canary_names = {c[0] for c in CANARY.values()}
    training_names = {t["function"]["name"] for name in SOURCES
                      for line in files[name].read_bytes().splitlines() for t in orjson.loads(line)["tools"]}
    assert not canary_names & training_names
    validator = RecordValidator(semantic=False)
    for r in canary:
        assert {t["function"]["name"] for t in r["tools"]} <= canary_names
        assert validator.check(r) == []


def test_to_canary_keeps_a_record_valid_and_renames_nested_arguments() -> None:
    continue_tools = HOST.registry.toolsets["continue"].by_name()
    record = {"category": "eval", "subcategory": "tool_call", "tools": [continue_tools["multi_edit"]],
              "messages": [{"role": "user", "content": "Rename a to b in x.py."},
                           {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                               "name": "multi_edit", "arguments": {"filepath": "x.py", "edits": [
                                   {"old_string": "a", "new_string": "b", "replace_all": True}]}}}]}]}
    moved = to_canary(record)
    fn = moved["messages"][1]["tool_calls"][0]["function"]
    assert fn == {"name": "batch_replace", "arguments": {"path": "x.py", "replacements": [
        {"find": "a", "replace": "b", "every": True}]}}
    assert RecordValidator(semantic=False).check(moved) == []
    broken = dict(record, tools=[{"type": "function", "function": {"name": "not_in_continue"}}])
    assert to_canary(broken) is None


def test_the_kit_s_typed_entities_keep_the_same_split() -> None:
    # typed entities (idiom pairs, designs) draw held-out records from vocab's held-out nouns only
    assert {e.snake for e in entities.HELD_OUT} <= set(T.ENTITY_POOLS["eval"])
    nouns = {n.replace("_", " ") for n in T.ENTITY_POOLS["eval"]}
    for e in entities.ENTITIES:
        words = " ".join([e.snake, e.plural, e.domain, *(f.name for f in e.fields)]).replace("_", " ")
        assert not [n for n in nouns if re.search(rf"\b{re.escape(n)}s?\b", words)], e.snake
    rng = random.Random(0)
    assert {entities.entity(rng, "eval").snake for _ in range(200)} == {e.snake for e in entities.HELD_OUT}


def test_eval_projects_are_kinds_training_never_names(files) -> None:
    # the eval's requests are set in held-out project layouts: stack names, test commands and paths
    held = {s.name for s in T.HELD_OUT_STACKS}
    trained = {s.name for s in T.STACKS}
    held_paths = {p.split("{")[0] for s in T.HELD_OUT_STACKS for p in s.file_patterns}
    named = in_projects = 0
    for line in files["eval"].read_bytes().splitlines():
        record = orjson.loads(line)
        text = orjson.dumps(record["messages"]).decode()
        assert not [n for n in trained if re.search(rf"\b{n}\b", text)], text[:300]
        if record["subcategory"] in ("tool_call", "refusal", "benign"):  # the requests set in a project
            in_projects += 1
            named += any(re.search(rf"\b{n}\b", text) for n in held)
    assert named > 0.6 * in_projects
    for name in SOURCES:
        text = files[name].read_text()
        assert not [n for n in held if re.search(rf"\b{n}\b", text)], name
        assert not [p for p in held_paths if p in text], name


def test_the_eval_works_in_a_repository_training_never_sees(files, main_job_dir: Path) -> None:
    from factory.schemas import Example
    from factory.training.evaluate import item_from_example

    rows = [orjson.loads(line) for line in files["eval"].read_bytes().splitlines()]
    steps = [r for r in rows if r["subcategory"] == "agent_step"]
    assert len(steps) == 100
    assert {r["meta"]["grounding"]["workspace"] for r in steps} == {"tracklist"}
    assert all(r["messages"][-1].get("tool_calls") for r in steps)  # the reference is the next call
    # no training record reads, searches or edits it, or names its code
    for path in main_job_dir.glob("*.jsonl"):
        if path.stem in ("eval", "manifest"):
            continue
        text = path.read_text()
        assert "tracklist" not in text, path.name
    # every step re-executes against the repository (factory check's execution stage) and the
    # evaluator accepts each command that runs the same test
    report = check_files([files["eval"]], build=False, held_out=[])
    assert report.categories["eval"].stages["execution"].failed == 0
    assert report.categories["eval"].stages["execution"].checked >= 100
    runs = [r for r in steps if r["meta"].get("accepted_arguments", {}).get("command")]
    assert runs
    item = item_from_example(Example.model_validate(runs[0]))
    assert len(item.answers[0]["bash"]["command"]) >= 2
