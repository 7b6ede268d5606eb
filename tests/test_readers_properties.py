"""Property-based tests (Hypothesis) for the readers: arbitrary bytes, JSON and TOML give a record or
a clear rejection -- never a traceback, never a hang -- and the counts reconcile."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory.config import load_config
from factory.errors import FactoryError, InputError
from factory.export.llamafactory import parse_function_call
from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs
from factory.ingest.sink import IngestReport, RecordSink
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
