"""The Claude.ai conversations.json export -> records. The export is built here to the published
schema (tests/fixtures/claude_ai_export/claude-json-schema.json) and checked against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from factory.errors import InputError
from factory.ingest.claude_ai import ingest_claude_ai, iter_json_array
from factory.ingest.claude_logs import ClaudeLogOptions
from factory.ingest.sink import IngestReport, RecordSink
from factory.quality.validate import validate_file
from factory.store.jsonl import read_jsonl
from tests.helpers.cli import FIXTURES

SCHEMA = FIXTURES / "claude_ai_export" / "claude-json-schema.json"


def _msg(sender: str, text: str, content: list | None = None, attachments: list | None = None) -> dict:
    return {"uuid": f"00000000-0000-4000-8000-{abs(hash(text)) % 10**12:012d}", "text": text, "sender": sender,
            "content": content if content is not None else [{"type": "text", "text": text}],
            "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z",
            "attachments": attachments or [], "files": []}


def export() -> list[dict]:
    traceback = 'Traceback (most recent call last):\n  File "app.py", line 3\nKeyError: \'user_id\''
    return [
        {"uuid": "11111111-1111-4111-8111-111111111111", "name": "KeyError in Flask view",
         "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:05:00Z",
         "account": {"uuid": "22222222-2222-4222-8222-222222222222"},
         "chat_messages": [
             _msg("human", "Why do I get this error? Contact me at dev.person@acme-corp.com",
                  attachments=[{"file_name": "log.txt", "file_size": 80, "file_type": "text/plain",
                                "extracted_content": traceback}]),
             _msg("assistant", "", content=[
                 {"type": "text", "text": "The session has no 'user_id' key. Here is a safe accessor:"},
                 {"type": "tool_use", "name": "artifacts", "input": {
                     "id": "safe-get", "type": "application/vnd.ant.code", "title": "safe_get.py",
                     "command": "create", "language": "python",
                     "content": "def user_id(session):\n    return session.get('user_id')\n"}},
                 {"type": "tool_result", "name": "artifacts", "content": [{"type": "text", "text": "OK"}],
                  "is_error": False},
                 {"type": "text", "text": "Use `session.get` so a missing key returns None."}]),
             _msg("human", "Thanks! And how does session.get differ from session['x']?"),
             _msg("assistant", "`get` returns a default instead of raising KeyError."),
         ]},
        {"uuid": "33333333-3333-4333-8333-333333333333", "name": "Sum a column",
         "created_at": "2025-03-02T10:00:00Z", "updated_at": "2025-03-02T10:00:00Z",
         "account": {"uuid": "22222222-2222-4222-8222-222222222222"},
         "chat_messages": [
             _msg("human", "Add up 3, 4 and 5 with the analysis tool"),
             _msg("assistant", "", content=[
                 {"type": "tool_use", "name": "repl", "input": {"code": "console.log(3 + 4 + 5)"}},
                 {"type": "tool_result", "name": "repl", "content": [{"type": "text", "text": "12"}]},
                 {"type": "text", "text": "The sum is 12."}]),
         ]},
        {"uuid": "44444444-4444-4444-8444-444444444444", "name": "Empty", "chat_messages": [_msg("human", "hi")]},
    ]


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    data = export()
    Draft202012Validator(json.loads(SCHEMA.read_text())).validate(data)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _ingest(path: Path, out: Path, **opts) -> tuple[IngestReport, list[dict]]:
    with RecordSink(out, IngestReport("claude-ai")) as sink:
        sink.feed(ingest_claude_ai([path], sink.report, ClaudeLogOptions(**{"keep": frozenset({"all"}), **opts})))
    return sink.report, [o for _, o in read_jsonl(out)]


def test_export_conversations_become_valid_records_with_tool_calls(export_file, tmp_path):
    report, records = _ingest(export_file, tmp_path / "out.jsonl")
    assert validate_file(tmp_path / "out.jsonl").errors == []
    assert report.units_read == 3 and report.units_skipped["no assistant turn"] == 1 and report.written == 2
    flask = next(r for r in records if r["meta"]["title"] == "KeyError in Flask view")
    roles = [m["role"] for m in flask["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "user", "assistant"]
    call = flask["messages"][1]["tool_calls"][0]["function"]
    assert call["name"] == "artifacts" and call["arguments"]["command"] == "create"
    assert "[attachment: log.txt]" in flask["messages"][0]["content"]
    assert "<EMAIL_1>" in flask["messages"][0]["content"] and "acme-corp" not in json.dumps(flask)
    assert flask["subcategory"] == "error_resolution"
    repl = next(r for r in records if r["meta"]["title"] == "Sum a column")
    assert repl["messages"][2] == {"role": "tool", "tool_call_id": "call_1_1", "name": "repl", "content": "12"}


def test_export_is_read_one_conversation_at_a_time(export_file):
    items = list(iter_json_array(export_file, chunk_size=64))
    assert [i for i, _ in items] == [0, 1, 2] and items[1][1]["name"] == "Sum a column"


def test_a_cut_short_export_names_the_file_and_item(tmp_path, export_file):
    cut = tmp_path / "cut.json"
    cut.write_text(export_file.read_text()[:-200])
    with pytest.raises(InputError, match=r"cut\.json: item 2: not valid JSON"):
        list(iter_json_array(cut, chunk_size=128))
    not_array = tmp_path / "obj.json"
    not_array.write_text("{}")
    with pytest.raises(InputError, match="expected a JSON array"):
        list(iter_json_array(not_array))


def test_cli_ingests_the_export(export_file, tmp_path):
    out = tmp_path / "cli.jsonl"
    proc = subprocess.run([sys.executable, "-m", "factory.cli.main", "ingest", "claude-ai", str(export_file),
                           "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    kept = [o for _, o in read_jsonl(out)]
    assert [r["meta"]["title"] for r in kept] == ["KeyError in Flask view"]  # default keep-filter
    assert "filtered out" in proc.stdout
