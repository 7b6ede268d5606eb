"""Claude Code session logs -> records, on four real sessions (Claude Code 1.0.51 to 2.1.114)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs
from factory.ingest.sink import IngestReport, RecordSink
from factory.quality.validate import validate_file
from factory.store.jsonl import read_jsonl
from tests.helpers.cli import FIXTURES

FIXTURES = FIXTURES / "claude_logs"
REWOUND = FIXTURES / "03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl"


def _ingest(paths, out: Path, **opts) -> tuple[IngestReport, list[dict]]:
    options = ClaudeLogOptions(**{"keep": frozenset({"all"}), **opts})
    with RecordSink(out, IngestReport("claude-logs")) as sink:
        sink.feed(ingest_claude_logs(paths, sink.report, options))
    return sink.report, [obj for _, obj in read_jsonl(out)]


def _assert_calls_paired(record: dict) -> None:
    msgs = record["messages"]
    for i, m in enumerate(msgs):
        for call in m.get("tool_calls") or []:
            follow = [x.get("tool_call_id") for x in msgs[i + 1:i + 1 + len(m["tool_calls"])]]
            assert call["id"] in follow, f"call {call['id']} is not followed by its result"


def test_real_sessions_of_every_version_become_valid_records(tmp_path):
    report, records = _ingest([FIXTURES], tmp_path / "out.jsonl")
    checked = validate_file(tmp_path / "out.jsonl")
    assert checked.errors == [] and checked.valid == len(records) == report.written > 0
    versions = {r["meta"]["claude_code_version"] for r in records}
    assert {"1.0.51", "1.0.56", "2.1.42", "2.1.114"} <= versions
    assert report.reconciles and report.sources == 4
    for kind in ("summary", "progress", "file-history-snapshot", "attachment", "permission-mode", "system"):
        assert report.units_skipped[f"entry type {kind}"] > 0, kind
    saved = json.loads((tmp_path / "out.jsonl.report.json").read_text())
    assert saved["written"] == report.written and saved["scrubbed"]["home_user"] > 0


def test_tool_calls_use_offered_claude_code_schemas_and_are_followed_by_results(tmp_path):
    _, records = _ingest([FIXTURES], tmp_path / "out.jsonl")
    seen = set()
    for record in records:
        offered = {t["function"]["name"]: t for t in record["tools"]}
        for m in record["messages"]:
            for call in m.get("tool_calls") or []:
                assert call["function"]["name"] in offered
                assert isinstance(call["function"]["arguments"], dict)
                seen.add(call["function"]["name"])
        _assert_calls_paired(record)
    assert {"Read", "Bash", "Edit", "MultiEdit", "TodoWrite", "Grep", "Agent", "TaskUpdate"} <= seen
    bash = next(t for r in records for t in r["tools"] if t["function"]["name"] == "Bash")
    assert bash["function"]["parameters"]["required"] == ["command"]


def test_small_windows_never_separate_a_call_from_its_result(tmp_path):
    report, records = _ingest([FIXTURES], tmp_path / "out.jsonl", max_chars=3_000)
    _, chat_small = _ingest([REWOUND], tmp_path / "chat_small.jsonl", max_chars=3_000)
    _, chat_whole = _ingest([REWOUND], tmp_path / "chat_whole.jsonl")
    assert len(chat_small) > len(chat_whole)
    assert validate_file(tmp_path / "out.jsonl").errors == []
    assert any(reason.startswith("window too long") for reason in report.rejected)
    for record in records:
        _assert_calls_paired(record)
        size = sum(len(json.dumps(m)) for m in record["messages"])
        if sum(m["role"] == "user" for m in record["messages"]) > 1:
            assert size < 3_000 * 2, "a window of several turns must respect --max-chars"
        assert record["messages"][0]["role"] == "user" and record["messages"][-1]["role"] == "assistant"
    windows = [r["meta"]["window"] for r in records if r["meta"]["window"]["count"] > 1]
    assert windows, "a long session should have been split"


def test_an_edited_prompt_becomes_its_own_branch(tmp_path):
    _, records = _ingest([REWOUND], tmp_path / "out.jsonl")
    texts = ["\n".join(m.get("content") or "" for m in r["messages"] if m["role"] == "user") for r in records]
    liked = [t for t in texts if "I very much like this idea" in t]
    disliked = [t for t in texts if "I actually don't like much this idea" in t]
    assert len(liked) == 1 and len(disliked) == 1
    assert "I actually don't like" not in liked[0] and "I very much like" not in disliked[0]
    assert sorted(r["meta"]["branch"] for r in records) == [0, 1]


def test_slash_commands_caveats_and_meta_entries_are_dropped_but_shell_context_kept(tmp_path):
    report, records = _ingest([FIXTURES], tmp_path / "out.jsonl")
    # Only user turns: the sessions read claude-code-log's own source, which mentions these tags.
    text = json.dumps([m["content"] for r in records for m in r["messages"] if m["role"] == "user"])
    for noise in ("<command-name>", "<local-command-stdout>", "Caveat: The messages below", "<system-reminder>"):
        assert noise not in text
    assert report.units_skipped["slash command or local output"] > 0 and report.units_skipped["meta"] > 0
    first_user = [r["messages"][0]["content"] for r in records]
    assert any(u.startswith("```\n$ uv run ty check") and "please fix these" in u for u in first_user)


def test_thinking_blocks_become_reasoning_unless_disabled(tmp_path):
    _, records = _ingest([REWOUND], tmp_path / "a.jsonl")
    assert any(m.get("reasoning") for r in records for m in r["messages"])
    _, plain = _ingest([REWOUND], tmp_path / "b.jsonl", include_thinking=False)
    assert not any(m.get("reasoning") for r in plain for m in r["messages"])


def test_default_keep_filter_keeps_debugging_errors_and_explanations_only(tmp_path):
    options = ClaudeLogOptions()
    with RecordSink(tmp_path / "out.jsonl", IngestReport("claude-logs")) as sink:
        sink.feed(ingest_claude_logs([FIXTURES], sink.report, options))
    records = [o for _, o in read_jsonl(tmp_path / "out.jsonl")]
    assert records and all(r["subcategory"] in options.keep for r in records)
    filtered = sum(n for reason, n in sink.report.rejected.items() if reason.startswith("filtered out"))
    assert filtered > 0 and sink.report.reconciles
    errors = [r for r in records if r["subcategory"] == "error_resolution"]
    assert any("ty check" in r["messages"][0]["content"] for r in errors)


def test_sidechain_entries_form_their_own_conversation(tmp_path):
    lines = (FIXTURES / "326189cf-5676-4237-8cde-1ce80aae4a9f.jsonl").read_text().splitlines()
    side = []
    for line in lines:
        entry = json.loads(line)
        if entry.get("type") in ("user", "assistant"):
            entry["isSidechain"] = True
            entry["uuid"] = "side-" + entry["uuid"]
            entry["parentUuid"] = entry["parentUuid"] and "side-" + entry["parentUuid"]
            if isinstance(entry["message"]["content"], str):  # else it would dedupe with the main one
                entry["message"]["content"] = "As a sub-agent: " + entry["message"]["content"]
            side.append(json.dumps(entry))
    session = tmp_path / "session.jsonl"
    session.write_text("\n".join(lines + side) + "\n")
    _, records = _ingest([session], tmp_path / "out.jsonl")
    kinds = sorted(r["meta"]["sidechain"] for r in records)
    assert kinds == [False, True]
    _, main_only = _ingest([session], tmp_path / "main.jsonl", include_sidechains=False)
    assert [r["meta"]["sidechain"] for r in main_only] == [False]


def test_unreadable_lines_are_counted_not_fatal(tmp_path):
    session = tmp_path / "s.jsonl"
    text = (FIXTURES / "326189cf-5676-4237-8cde-1ce80aae4a9f.jsonl").read_text()
    session.write_text("{not json\n" + text)
    report, records = _ingest([session], tmp_path / "out.jsonl")
    assert report.units_skipped["unreadable line"] == 1 and records


def test_cli_writes_records_and_prints_the_report(tmp_path):
    out = tmp_path / "cl.jsonl"
    proc = subprocess.run([sys.executable, "-m", "factory.cli.main", "ingest", "claude-logs", str(FIXTURES),
                           "--out", str(out), "--keep", "all", "--max-chars", "8000"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "written" in proc.stdout and "home_user" in proc.stdout
    assert "/Users/dain" not in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "factory.cli.main", "ingest", "claude-logs", str(FIXTURES),
                          "--out", str(out), "--keep", "chitchat"], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode != 0 and "chitchat" in bad.stderr


@pytest.mark.parametrize("max_chars", [1_000, 50_000])
def test_every_window_reconciles_with_the_report(tmp_path, max_chars):
    report, records = _ingest([FIXTURES], tmp_path / "out.jsonl", max_chars=max_chars)
    assert report.candidates == report.written + sum(report.rejected.values())
    assert len(records) == report.written


def test_a_long_turn_is_cut_only_after_an_assistant_message_with_no_open_call():
    from factory.ingest.claude_logs import split_windows

    def call(i: int) -> list[dict]:
        return [{"role": "assistant", "content": None, "tool_calls": [
                    {"id": f"c{i}", "type": "function", "function": {"name": "Read", "arguments": {"file_path": "x"}}}]},
                {"role": "tool", "tool_call_id": f"c{i}", "name": "Read", "content": "y" * 400}]

    turn = [{"role": "user", "content": "Fix the failing test"}]
    for i in range(6):
        turn += call(i) + [{"role": "assistant", "content": f"Step {i} done."}]
    windows = list(split_windows(turn, max_chars=900))
    assert len(windows) > 1
    for w in windows:
        assert w[0] == turn[0] and w[-1]["role"] == "assistant" and not w[-1].get("tool_calls")
        _assert_calls_paired({"messages": w})
    assert [m for w in windows for m in w[1:]] == turn[1:]  # nothing lost, nothing repeated
