"""`factory score`: the heuristic scorer over four formats, and an LLM judge on a loopback provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory.schemas.spec import DEFAULT_RUBRIC
from factory.score.scoring import HeuristicScorer, score_file, view_record
from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import KEY, Scripted, good_record, poor_record, write_lines

DIMS = list(DEFAULT_RUBRIC.dimensions)


def factory_cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    full = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "factory.cli.main", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


SHAREGPT = {"conversations": [
    {"from": "system", "value": "You are a vault assistant."},
    {"from": "human", "value": "Make a note about sprint 9 with the two open bugs in billing/api.py please"},
    {"from": "gpt", "value": 'tool_call: contentManager_createContent\narguments: {"filePath": "s9.md", '
                             '"content": "bugs", "context": {"sessionMemory": "Sprint 9 review found 2 bugs in '
                             'billing/api.py (refund rounding, retry storm); we fixed one already.", '
                             '"toolContext": "A note keeps both bugs visible for the team until the fix ships next week."}}'}],
    "label": None}
OPENAI = {"messages": [{"role": "user", "content": "list the notes folder"},
                       {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                           "name": "vaultManager_listFolder", "arguments": "{\"path\": \"notes\"}"}}]}],
          "tools": [good_record(0)["tools"][1]]}
ALPACA = {"task_type": "coding", "instruction": "Write a Python function that reverses a string.",
          "input": "", "output": "def reverse(s: str) -> str:\n    return s[::-1]"}


def test_heuristic_scores_four_formats_and_keeps_each_format(tmp_path):
    src = write_lines(tmp_path / "mixed.jsonl", [good_record(1), SHAREGPT, OPENAI, ALPACA, b"{not json",
                                                 {"text": "unknown format"}])
    report = score_file(src, tmp_path / "scored.jsonl")
    assert report.read == 6 and report.written == 4 and len(report.rejected) == 2
    assert report.read == report.written + len(report.rejected)
    assert [n for n, _ in report.rejected] == [5, 6]
    assert "not valid JSON" in report.rejected[0][1] and "unknown record format" in report.rejected[1][1]
    out = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]
    assert "category" in out[0] and "conversations" in out[1] and "messages" in out[2] and "instruction" in out[3]
    for rec in out:
        assert list(rec["scores"]) == DIMS and all(1 <= v <= 5 for v in rec["scores"].values())
        assert isinstance(rec["label"], bool)
    # The ShareGPT tool call written as text was understood: its rich context scores high.
    assert out[1]["scores"]["session_memory_quality"] >= 4 and out[1]["label"] is True
    saved = json.loads((tmp_path / "scored.report.json").read_text())
    assert saved["read"] == 6 and saved["rejected"] == 2 and saved["rejections"][0]["line"] == 5


def test_heuristic_separates_rich_records_from_thin_ones():
    scorer = HeuristicScorer()
    good = scorer.score(view_record(good_record(3)))
    poor = scorer.score(view_record(poor_record(3)))
    for dim in ("session_memory_quality", "tool_context_quality", "prompt_naturalness"):
        assert good[dim] > poor[dim], dim
    from factory.score.scoring import label_for

    assert label_for(good, DEFAULT_RUBRIC) is True and label_for(poor, DEFAULT_RUBRIC) is False


@pytest.fixture
def judge_server():
    with LoopbackServer(Scripted()) as srv:
        yield srv


def test_llm_judge_scores_through_the_real_sdk_and_a_rerun_sends_nothing(tmp_path, judge_server):
    src = write_lines(tmp_path / "in.jsonl", [good_record(i) for i in range(4)] + [poor_record(i) for i in range(4, 8)])
    env = {"OPENAI_API_KEY": KEY}
    args = ["score", str(src), "--judge", "openai:gpt-4o-mini", "--base-url", judge_server.openai_url,
            "--out", str(tmp_path / "scored.jsonl")]
    proc = factory_cli(*args, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "8 scored" in proc.stdout and "labels {'true': 4, 'false': 4}" in proc.stdout
    assert len(judge_server.requests) == 8
    first = (tmp_path / "scored.jsonl").read_bytes()
    proc = factory_cli(*args, cwd=tmp_path, env=env)
    assert proc.returncode == 0 and "requests sent 0 (cached 8)" in proc.stdout
    assert len(judge_server.requests) == 8 and (tmp_path / "scored.jsonl").read_bytes() == first
    rows = [json.loads(x) for x in first.splitlines()]
    assert [r["label"] for r in rows] == [True] * 4 + [False] * 4
    assert (tmp_path / ".factory" / "ledger.sqlite").exists()


def test_judge_in_worker_processes_writes_the_same_file_as_one_process(tmp_path, judge_server):
    src = write_lines(tmp_path / "in.jsonl", [good_record(i) for i in range(6)] + [poor_record(i) for i in range(6, 12)])
    env = {"OPENAI_API_KEY": KEY}
    base = ["score", str(src), "--judge", "openai:gpt-4o-mini", "--base-url", judge_server.openai_url]
    proc = factory_cli(*base, "--out", str(tmp_path / "pooled.jsonl"), "--workers", "3", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "requests sent 12 (cached 0) by 3 worker processes" in proc.stdout and len(judge_server.requests) == 12
    # A second ledger, one process: the same answers give the same bytes.
    one = tmp_path / "one"
    one.mkdir()
    proc = factory_cli(*base, "--out", str(tmp_path / "one.jsonl"), cwd=one, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pooled.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    # The pooled run's ledger answers a one-process rerun: nothing is sent.
    proc = factory_cli(*base, "--out", str(tmp_path / "again.jsonl"), cwd=tmp_path, env=env)
    assert "requests sent 0 (cached 12)" in proc.stdout and len(judge_server.requests) == 24


def test_judge_score_out_of_range_is_reasked_with_the_error(tmp_path, judge_server):
    bad = {d: 9 for d in DIMS}
    judge_server.inject({"payload": bad})
    src = write_lines(tmp_path / "in.jsonl", [good_record(1)])
    proc = factory_cli("score", str(src), "--judge", "anthropic:claude-haiku-4-5", "--base-url",
                       judge_server.anthropic_url, cwd=tmp_path, env={"ANTHROPIC_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    assert len(judge_server.requests) == 2
    assert "less than or equal to 5" in json.dumps(judge_server.requests[1].body["messages"])
    assert json.loads((tmp_path / "in.scored.jsonl").read_text())["label"] is True


def test_missing_api_key_is_one_clear_error(tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [good_record(1)])
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run([sys.executable, "-m", "factory.cli.main", "score", str(src), "--judge", "openai:gpt-4o"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "OPENAI_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_providers_and_the_heuristic_scorer_are_registered_through_the_plugin_hooks(monkeypatch):
    from factory.host import PluginHost
    from factory.score.scoring import view_record

    host = PluginHost(builtins=("factory.plugins.providers", "factory.plugins.scorers"), entry_points=False).load()
    assert host.registry.failures == []
    assert set(host.registry.providers) == {"anthropic", "openai", "openai-compatible", "template"}
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    provider = host.registry.providers["openai-compatible"].create(model="local", base_url="http://127.0.0.1:9/v1")
    assert (provider.name, provider.model) == ("openai-compatible", "local")
    scores = host.registry.scorers["heuristic"].score(view_record(good_record(1)), DEFAULT_RUBRIC)
    assert list(scores) == DIMS and all(v >= 4 for v in scores.values())
