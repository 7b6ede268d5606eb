"""`--batch`: the OpenAI Batch API and Anthropic Message Batches, driven through the real SDKs against
the loopback server's batch endpoints -- submit, status, collect (failed and expired requests
resubmitted alone), the command finished by the collection, half price, nothing re-sent afterwards."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from _llm_fixtures import KEY, Scripted, good_record, poor_record
from test_providers_generate import Generating

from factory.engine.prices import PriceTable
from factory.testing.loopback import LoopbackServer


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "factory.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def job_ids(stdout: str) -> list[str]:
    return [line.split()[-1] for line in stdout.splitlines() if line.startswith("batch job ")]


def ledger_rows(cwd: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(cwd / ".factory" / "ledger.sqlite")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True)


def assert_no_key_written(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("kind,model", [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5")])
def test_score_batch_submits_then_collect_resubmits_failures_alone_and_finishes_the_file(tmp_path, kind, model):
    src = write_rows(tmp_path / "in.jsonl", [good_record(1), poor_record(2), good_record(3), poor_record(4)])
    out = tmp_path / "in.scored.jsonl"
    with LoopbackServer(Scripted()) as srv:
        url = srv.openai_url if kind == "openai" else srv.anthropic_url
        score = ["score", str(src), "--judge", f"{kind}:{model}", "--base-url", url, "--batch"]
        proc = cli(*score, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        (first,) = job_ids(proc.stdout)
        assert "4 request(s)" in proc.stdout and not out.exists()
        assert not [r for r in srv.requests if r.kind in ("openai", "anthropic")]  # nothing went online

        proc = cli("batches", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        line = next(x for x in proc.stdout.splitlines() if first in x)
        assert "in_progress" in line and ("total=4" in line or "processing=4" in line)

        srv.script_batch("error", "expired")  # the first two requests of the job fail
        assert srv.end_batches() == 1
        proc = cli("batches", "--collect", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert f"collected {first}" in proc.stdout and "resubmitted alone" in proc.stdout
        assert not out.exists()  # a resubmitted job is still open: the command is not rerun yet
        (second,) = [b for b in srv.state.batches if b != first]
        resent = {cid for cid, _ in srv.state.batches[second]["lines"]}
        original = [cid for cid, _ in srv.state.batches[first]["lines"]]
        assert resent == set(original[:2])  # only the failed and the expired one

        srv.end_batches()
        proc = cli("batches", "--collect", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "rerunning: factory score" in proc.stdout
        scored = rows(out)
        assert [r["label"] for r in scored] == [True, False, True, False]
        assert all(set(r["scores"]) == {"sessionMemory_quality", "toolContext_quality", "goal_coherence",
                                        "prompt_naturalness", "response_realism"} for r in scored)
        assert ledger_rows(tmp_path, "SELECT COUNT(*) FROM requests WHERE status='ok'") == [(4,)]

        # half price: every batch answer billed at the batch discount of the list price
        prices = PriceTable.with_overrides()
        usage = ledger_rows(tmp_path, "SELECT input_tokens, output_tokens, cost FROM usage WHERE kind='batch: ok'")
        assert len(usage) == 4
        for tin, tout, cost in usage:
            assert tin > 0 and cost == pytest.approx(prices.cost(model, tin, tout) / 2)

        http_calls, before = len(srv.requests), out.read_bytes()
        proc = cli(*score, cwd=tmp_path)  # a rerun after collection: nothing sent, same bytes
        assert proc.returncode == 0, proc.stderr
        assert "requests sent 0" in proc.stdout and len(srv.requests) == http_calls
        assert out.read_bytes() == before
        proc = cli("batches", cwd=tmp_path)
        assert proc.stdout.count("collected") >= 2
    assert_no_key_written(tmp_path)


def test_generate_batch_renders_as_online_and_shares_the_cache_with_it(tmp_path):
    online, batched = tmp_path / "online", tmp_path / "batched"
    online.mkdir()
    batched.mkdir()
    gen = ["generate", "tool_core", "--count", "6", "--provider", "openai", "--model", "gpt-4o-mini"]
    with LoopbackServer(Generating()) as srv:
        proc = cli(*gen, "--base-url", srv.openai_url, "--out", "data", cwd=online)
        assert proc.returncode == 0, proc.stderr
        online_bodies = [r.body for r in srv.requests if r.kind == "openai"]

        srv.batch_auto_end = True
        proc = cli(*gen, "--base-url", srv.openai_url, "--out", "data", "--batch", "--wait", cwd=batched)
        assert proc.returncode == 0, proc.stderr
        assert len(rows(batched / "data" / "tool_core.jsonl")) == 6
        batch_bodies = [body for _, body in srv.state.batch_lines]
        # the very requests the online path sends (online they finish in any order)
        assert sorted(map(canonical, batch_bodies)) == sorted(map(canonical, online_bodies))

        # the same ledger answers the online path: no request leaves, the same file comes out
        chat_calls = len([r for r in srv.requests if r.kind == "openai"])
        before = (batched / "data" / "tool_core.jsonl").read_bytes()
        proc = cli(*gen, "--base-url", srv.openai_url, "--out", "data", cwd=batched)
        assert proc.returncode == 0 and "requests sent 0" in proc.stdout
        assert len([r for r in srv.requests if r.kind == "openai"]) == chat_calls
        assert (batched / "data" / "tool_core.jsonl").read_bytes() == before
    assert_no_key_written(tmp_path)


def test_enhance_batch_rejects_invalid_answers_without_reask_and_collect_writes_the_rounds(tmp_path):
    src = write_rows(tmp_path / "scored.jsonl", [{**poor_record(n), "scores": {"sessionMemory_quality": 1}, "label": False}
                                                 for n in (1, 2, 3)] + [{**good_record(4), "label": True,
                                                                         "scores": {"goal_coherence": 5}}])
    responder = Scripted(invent_first={2})
    with LoopbackServer(responder) as srv:
        enhance = ["enhance", str(src), "--provider", "anthropic", "--model", "claude-haiku-4-5", "--base-url",
                   srv.anthropic_url, "--out", "enh", "--batch-size", "2", "--batch"]
        proc = cli(*enhance, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(job_ids(proc.stdout)) == 1 and "3 request(s)" in proc.stdout
        srv.end_batches()
        proc = cli("batches", "--collect", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "rerunning: factory enhance" in proc.stdout
        assert responder.asked == {1: 1, 2: 1, 3: 1}  # one answer each: no re-ask inside a batch
        (reject,) = rows(tmp_path / "enh" / "rejects.jsonl")
        assert "no re-ask inside a batch" in reject["reason"] and "vault_deleteEverything" in reject["raw"]
        merged = rows(tmp_path / "enh" / "merged.jsonl")
        assert len(merged) == 3  # the good one + two accepted rewrites
        pairs = rows(tmp_path / "enh" / "pairs.jsonl")
        assert len(pairs) == 2 and {p["enhanced"]["id"] for p in pairs} == {
            r["id"] for r in merged if r["meta"].get("parent_id")}
        assert (tmp_path / "enh" / "enhanced_batch_001.jsonl").exists()
        files = {p.name: p.read_bytes() for p in (tmp_path / "enh").glob("*.jsonl")}
        http_calls = len(srv.requests)
        proc = cli(*enhance, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.requests) == http_calls  # the rejected rewrite is cached too: nothing re-sent
        assert {p.name: p.read_bytes() for p in (tmp_path / "enh").glob("*.jsonl")} == files
    assert_no_key_written(tmp_path)
