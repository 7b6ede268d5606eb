"""`factory enhance`: batch rounds against a loopback provider through the real SDKs -- batch files,
reports, parent links, semantic re-asks, budget stops, and resuming after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson

from factory.quality.validate import RecordValidator
from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import KEY, Scripted, good_record, poor_record


def write_lines(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    full = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY, **(env or {})}
    return subprocess.run([sys.executable, "-m", "factory.cli.main", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


def rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def dataset(tmp_path: Path, good: int, poor: int) -> Path:
    return write_lines(tmp_path / "in.jsonl", [good_record(i) for i in range(good)]
                       + [poor_record(i) for i in range(100, 100 + poor)])


def test_rounds_write_batches_reports_and_linked_pairs_and_rerun_pays_nothing(tmp_path):
    script = Scripted(poor_first={101, 105})
    src = dataset(tmp_path, good=3, poor=7)
    with LoopbackServer(script) as srv:
        args = ["enhance", str(src), "--provider", "openai", "--base-url", srv.openai_url, "--batch-size", "3",
                "--rounds", "2", "--out", str(tmp_path / "out")]
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        out = tmp_path / "out"
        # Round 1: 7 low scorers in batches of 3 -> 001..003; round 2: the 2 still failing -> 004.
        assert sorted(p.name for p in out.glob("enhanced_batch_*.jsonl")) == [
            f"enhanced_batch_{n:03d}.jsonl" for n in range(1, 5)]
        r1 = json.loads((out / "round_1.report.json").read_text())
        r2 = json.loads((out / "round_2.report.json").read_text())
        assert (r1["records_in"], r1["records_out"], r1["passed"]) == (7, 7, 5)
        assert (r2["records_in"], r2["passed"]) == (2, 2) and r2["batches"] == ["enhanced_batch_004.jsonl"]
        for dim in ("session_memory_quality", "prompt_naturalness"):
            assert r1["after"][dim] > r1["before"][dim]
        assert r1["requests_sent"] == 7 and r1["input_tokens"] > 0 and r1["cost"] > 0
        assert "| session_memory_quality |" in (out / "enhance_report.md").read_text()
        # merged = the 3 good ones + 7 accepted rewrites, no duplicates, all valid.
        merged = rows(out / "merged.jsonl")
        assert len(merged) == 10 and len({r["id"] for r in merged}) == 10
        validator = RecordValidator()
        assert all(validator.check(r) == [] for r in merged)
        pairs = rows(out / "pairs.jsonl")
        assert len(pairs) == 7
        for pair in pairs:
            assert pair["enhanced"]["meta"]["parent_id"] == pair["original"]["id"] == pair["parent_id"]
            assert pair["original"]["messages"][0]["content"].startswith("Result:")
            assert pair["enhanced"]["label"] is True
        late = rows(out / "enhanced_batch_004.jsonl")
        assert {r["meta"]["round"] for r in late} == {2}
        sent = len(srv.requests)
        assert sent == 9  # 7 + the 2 retried in round 2
        before = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.requests) == sent and "requests sent 0" in proc.stdout
        after = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
        assert after == before  # same data, byte for byte; the reports say this run sent nothing
        assert json.loads((out / "round_1.report.json").read_text())["cached"] == 7


def test_a_call_to_a_tool_the_record_does_not_offer_is_reasked(tmp_path):
    script = Scripted(invent_first={100})
    src = dataset(tmp_path, good=0, poor=1)
    with LoopbackServer(script) as srv:
        proc = cli("enhance", str(src), "--provider", "anthropic", "--base-url", srv.anthropic_url,
                   "--out", str(tmp_path / "out"), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.requests) == 2
        reask = json.dumps(srv.requests[1].body["messages"])
        assert "vault_deleteEverything" in reask and "does not offer" in reask
    (rec,) = rows(tmp_path / "out" / "enhanced_batch_001.jsonl")
    assert rec["messages"][1]["tool_calls"][0]["function"]["name"] == "contentManager_createContent"


def test_rewrites_that_stay_invalid_go_to_rejects_with_raw_output(tmp_path):
    src = dataset(tmp_path, good=1, poor=2)
    (tmp_path / "factory.toml").write_text("[engine]\nmax_concurrency = 1\n")  # faults hit one record
    with LoopbackServer(Scripted()) as srv:
        bad = {"payload": {"messages": [{"role": "assistant", "content": "hi"}]}}
        srv.inject(bad, bad, bad)  # the first record: 1 + 2 re-asks, all invalid
        proc = cli("enhance", str(src), "--provider", "openai", "--base-url", srv.openai_url,
                   "--out", str(tmp_path / "out"), "--rounds", "1", env={}, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    (rej,) = rows(tmp_path / "out" / "rejects.jsonl")
    assert "failed validation" in rej["reason"] and '"content": "hi"' in rej["raw"].replace('":"', '": "')
    report = json.loads((tmp_path / "out" / "round_1.report.json").read_text())
    assert report["records_in"] == 2 and report["records_out"] == 1 and sum(report["rejected"].values()) == 1


def test_budget_stop_is_clean_and_a_rerun_finishes_without_paying_twice(tmp_path):
    src = dataset(tmp_path, good=0, poor=12)
    (tmp_path / "factory.toml").write_text("[engine]\nmax_concurrency = 1\n")
    with LoopbackServer(Scripted()) as srv:
        base = ["enhance", str(src), "--provider", "openai", "--model", "gpt-4o", "--base-url", srv.openai_url,
                "--batch-size", "4", "--out", str(tmp_path / "out")]
        proc = cli(*base, "--max-cost", "0.02", cwd=tmp_path)
        assert proc.returncode == 1 and "--max-cost" in proc.stderr and "Traceback" not in proc.stderr
        first = len(srv.requests)
        assert 0 < first < 12
        report = json.loads((tmp_path / "out" / "round_1.report.json").read_text())
        assert report["stopped"] and report["cost"] <= 0.02
        proc = cli(*base, "--max-cost", "5", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.requests) == 12  # nothing answered before was requested again
    assert len(rows(tmp_path / "out" / "merged.jsonl")) == 12


def test_kill_9_mid_run_then_rerun_resends_no_completed_request_and_writes_no_duplicates(tmp_path):
    src = dataset(tmp_path, good=2, poor=16)
    (tmp_path / "factory.toml").write_text("[engine]\nmax_concurrency = 2\n")
    with LoopbackServer(Scripted(), latency=0.25) as srv:
        args = ["enhance", str(src), "--provider", "openai", "--base-url", srv.openai_url, "--batch-size", "5",
                "--out", str(tmp_path / "out")]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": KEY}
        proc = subprocess.Popen([sys.executable, "-m", "factory.cli.main", *args], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(srv.requests) < 7 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        db = sqlite3.connect(tmp_path / ".factory" / "ledger.sqlite")
        completed = db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
        db.close()
        sent_before = len(srv.requests)
        assert 0 < completed < 16
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        resent = len(srv.requests) - sent_before
        assert resent == 16 - completed  # completed requests never reach the provider again
        prompts = srv.prompts()
        assert len(prompts) == len(set(prompts)) + (sent_before - completed)  # only in-flight ones repeat
    merged = rows(tmp_path / "out" / "merged.jsonl")
    assert len(merged) == 18 and len({r["id"] for r in merged}) == 18


def test_no_file_written_contains_the_api_key(tmp_path):
    src = dataset(tmp_path, good=1, poor=3)
    with LoopbackServer(Scripted()) as srv:
        srv.inject({"status": 429, "retry_after": 0}, {"status": 500})
        assert cli("score", str(src), "--judge", "openai:gpt-4o-mini", "--base-url", srv.openai_url,
                   "--out", str(tmp_path / "scored.jsonl"), cwd=tmp_path).returncode == 0
        proc = cli("enhance", str(tmp_path / "scored.jsonl"), "--provider", "openai", "--base-url", srv.openai_url,
                   "--judge", "openai:gpt-4o-mini", "--out", str(tmp_path / "out"), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert cli("batches", cwd=tmp_path).returncode == 0
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "ledger.sqlite" for p in files) and any(p.name.startswith("enhanced_batch") for p in files)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
        assert b"DO-NOT-LEAK" not in path.read_bytes(), path


def test_each_record_is_rewritten_for_and_rescored_on_its_categorys_rubric(tmp_path, monkeypatch):
    from factory.agents import spec_path
    from factory.config import EngineConfig
    from factory.generate.specs import load_spec
    from factory.llm.session import EngineSession
    from factory.schemas.spec import DEFAULT_RUBRIC, Rubric
    from factory.score.enhance import Enhancer

    notes = Rubric(dimensions={"session_memory_quality": "carries the session's facts",
                               "note_clarity": "the note reads well on its own"}, threshold=3.0)
    other = [{**poor_record(200), "category": "other"}]
    src = write_lines(tmp_path / "in.jsonl", [poor_record(i) for i in range(100, 103)] + other)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with LoopbackServer(Scripted()) as srv:
        session = EngineSession("openai", "gpt-4o-mini", srv.openai_url,
                                EngineConfig(ledger=tmp_path / "ledger.sqlite", backoff_initial=0.01))
        spec = load_spec(spec_path("enhance"))
        result = Enhancer(session, spec, DEFAULT_RUBRIC, rubrics={"notes": notes}).run(src, tmp_path / "out")
        session.close()
        prompts = {json.dumps(r.body["messages"]) for r in srv.requests}
    assert result.accepted == 4
    assert sum("note_clarity" in p for p in prompts) == 3  # the notes records were rewritten for their rubric
    merged = rows(tmp_path / "out" / "merged.jsonl")
    by_category = {r["category"]: set(r["scores"]) for r in merged}
    assert by_category == {"notes": set(notes.dimensions), "other": set(DEFAULT_RUBRIC.dimensions)}
