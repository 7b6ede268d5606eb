"""Property-based tests (Hypothesis) for the readers (validate, score, factory.toml, the Claude Code
log, Claude.ai export and git history ingests, merge inputs): arbitrary bytes, JSON and TOML give a record or
a clear rejection -- never a traceback, never a hang -- and the counts reconcile."""

from __future__ import annotations

import os
import string
import subprocess
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from factory.config import load_config
from factory.errors import FactoryError, InputError
from factory.export.llamafactory import parse_function_call
from factory.ingest.claude_ai import ingest_claude_ai
from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs
from factory.ingest.git_history import GitHistoryOptions, ingest_git_history
from factory.ingest.sink import IngestReport, RecordSink
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.quality.validate import RecordValidator, validate_file
from factory.score.scoring import read_records, view_record

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
roles = st.sampled_from(["system", "user", "assistant", "tool", "developer", "bot", ""])
messages = st.lists(st.fixed_dictionaries({"role": roles}, optional={
    "content": scalars, "tool_calls": json_values, "tool_call_id": scalars}), max_size=5)
# Record-shaped objects: the keys the readers look for, with values of any type
records = st.fixed_dictionaries({}, optional={
    "category": scalars, "messages": messages | json_values, "tools": json_values, "label": scalars,
    "conversations": st.lists(st.fixed_dictionaries({"from": st.sampled_from(
        ["human", "gpt", "function_call", "observation", "system", "x"]), "value": scalars}), max_size=4),
    "instruction": scalars, "output": scalars, "input": scalars, "meta": json_values})
objects = records | json_values
lines = st.lists(st.binary(max_size=60) | objects.map(orjson.dumps), max_size=8)


def _file(directory: str, content: list[bytes]) -> Path:
    path = Path(directory) / "in.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in content) + b"\n")
    return path


@SETTINGS
@given(lines)
def test_validate_reads_any_bytes_and_every_line_is_valid_or_has_a_reason(content):
    with tempfile.TemporaryDirectory() as d:
        report = validate_file(_file(d, content))
    bad_lines = {line for line, _ in report.errors if line}
    assert report.read == report.valid + len(bad_lines)
    assert all(isinstance(reason, str) and reason for _, reason in report.errors)


@SETTINGS
@given(objects)
def test_the_record_validator_answers_any_json_with_reasons(obj):
    errors = RecordValidator().check(obj)
    assert isinstance(errors, list) and all(isinstance(e, str) and e for e in errors)


@SETTINGS
@given(objects)
@example({"conversations": [], "tools": "00"})  # tools as a string that is not JSON (found by this test)
@example({"conversations": [], "tools": "5"})  # ... or JSON that is not a list
def test_the_score_readers_view_any_json_or_say_why_not(obj):
    try:
        view = view_record(obj, "in.jsonl", 1)
    except InputError as exc:
        assert exc.path == "in.jsonl" and exc.line == 1 and str(exc)
    else:
        assert view.fmt in ("factory", "openai", "sharegpt", "alpaca") and isinstance(view.messages, list)


@SETTINGS
@given(lines)
def test_score_reads_any_file_line_by_line(content):
    with tempfile.TemporaryDirectory() as d:
        seen = list(read_records(_file(d, content)))
    assert len(seen) == sum(1 for line in content if line.replace(b"\n", b" ").strip())


@SETTINGS
@given(st.text(max_size=200) | st.builds(lambda k, v: f"[engine]\n{k} = {v}\n", st.sampled_from(
    ["timeout", "max_concurrency", "workers", "ledger", "nope"]), st.sampled_from(["1", "-1", "'x'", "[1]", "1.5"])))
def test_factory_toml_of_any_text_loads_or_names_the_problem(text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "factory.toml"
        path.write_text(text)
        try:
            load_config(path)
        except FactoryError as exc:
            assert str(exc).startswith(str(path))


@SETTINGS
@given(st.text(alphabet=string.printable, max_size=80) | json_values.map(lambda v: orjson.dumps(v).decode()))
def test_a_function_call_value_parses_or_says_why(value):
    parsed = parse_function_call(value)
    assert isinstance(parsed, str) or all("name" in c and "arguments" in c for c in parsed[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_claude_log_ingest_of_any_bytes_rejects_with_reasons_and_reconciles(content):
    with tempfile.TemporaryDirectory() as d:
        session = Path(d) / "project" / "session.jsonl"
        session.parent.mkdir()
        session.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in content) + b"\n")
        with RecordSink(Path(d) / "out.jsonl", IngestReport("claude-logs")) as sink:
            report = sink.feed(ingest_claude_logs([session.parent], sink.report, ClaudeLogOptions()))
        assert report.reconciles


conversation_blocks = st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "tool_use", "tool_result",
                                                                               "thinking", "x"])}, optional={
    "text": scalars, "name": scalars, "id": scalars, "input": json_values, "tool_use_id": scalars,
    "content": json_values}) | json_values, max_size=4)
conversations = st.fixed_dictionaries({}, optional={
    "uuid": scalars, "name": scalars,
    "chat_messages": st.lists(st.fixed_dictionaries({"sender": st.sampled_from(["human", "assistant", "x"])}, optional={
        "text": scalars, "content": conversation_blocks, "attachments": json_values}) | json_values, max_size=5)
    | json_values})
exports = (st.lists(conversations | json_values, max_size=4).map(orjson.dumps)
           | st.binary(max_size=200) | json_values.map(orjson.dumps))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports)
def test_claude_ai_ingest_of_any_export_gives_records_or_a_clear_rejection(content):
    with tempfile.TemporaryDirectory() as d:
        export = Path(d) / "conversations.json"
        export.write_bytes(content)
        out = Path(d) / "out.jsonl"
        try:
            with RecordSink(out, IngestReport("claude-ai")) as sink:
                report = sink.feed(ingest_claude_ai([export], sink.report, ClaudeLogOptions()))
        except FactoryError as exc:  # the whole file refused (not an array, not UTF-8) or nothing in it
            assert str(exc) and not out.exists()
        else:
            assert report.reconciles and report.written == sum(1 for _ in out.open())


commit_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
commits = st.lists(st.tuples(st.sampled_from(["a.py", "src/b.go", "doc/read me.md", "ünï.txt", "bin.dat"]),
                             st.binary(max_size=300) | commit_text.map(str.encode), commit_text), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commits)
def test_git_history_ingest_of_any_commits_gives_records_or_a_clear_rejection(history):
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_COMMITTER_NAME": "A",
           "GIT_COMMITTER_EMAIL": "a@example.com"}
    with tempfile.TemporaryDirectory() as d:
        repo = Path(d) / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
        (repo / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person\n")
        for name, body, message in history:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_bytes(body)
            subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
            subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "--allow-empty-message",
                            "-m", message], check=True, env=env)
        out = Path(d) / "out.jsonl"
        try:
            with RecordSink(out, IngestReport("git-history")) as sink:
                report = sink.feed(ingest_git_history(str(repo), sink.report, GitHistoryOptions(min_changed_lines=1)))
        except FactoryError as exc:  # every commit skipped: nothing written, and the message says so
            assert str(exc) and not out.exists()
        else:
            assert report.reconciles and report.written == sum(1 for _ in out.open())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, lines, lines)
def test_merge_of_any_inputs_reconciles_or_says_there_is_nothing_to_merge(category, enhanced, base):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for name, content in (("cat.jsonl", category), ("enh.jsonl", enhanced), ("base.jsonl", base)):
            path = Path(d) / name
            path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in content) + b"\n")
            paths.append(path)
        out = Path(d) / "merged"
        try:
            result = merge(inputs_from([paths[0]], [paths[1]], [paths[2]]), out,
                           MergeOptions(exclude_categories=()))
        except FactoryError as exc:
            assert "nothing to merge" in str(exc) and not (out / "train.jsonl").exists()
        else:
            report = result.report
            assert report["reconciles"] and report["read"] == report["kept"] + sum(report["dropped"].values())
            assert report["kept"] == report["train"]["count"] + report["eval"]["count"]
