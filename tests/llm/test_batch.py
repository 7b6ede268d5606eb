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
from pydantic import BaseModel

from factory.llm import LLMRequest
from factory.llm.batch import BatchClient, BatchPending, BatchRunner, collect
from factory.llm.engine import BudgetExhausted
from factory.llm.ledger import Ledger
from factory.llm.prices import PriceTable
from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import KEY, Generating, Scripted, good_record, poor_record


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


# Anthropic goes through the same CLI cycle in the enhance test, and through failures in the in-process ones.
@pytest.mark.parametrize("kind,model", [("openai", "gpt-4o-mini")])
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
        assert all(set(r["scores"]) == {"session_memory_quality", "tool_context_quality", "goal_coherence",
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
    src = write_rows(tmp_path / "scored.jsonl", [{**poor_record(n), "scores": {"session_memory_quality": 1}, "label": False}
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


class Answer(BaseModel):
    answer: str


def answer_requests(n: int) -> list[LLMRequest]:
    return [LLMRequest([{"role": "user", "content": f"question {i}"}], Answer, max_tokens=64, tag=i) for i in range(n)]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_wait_resubmits_failures_alone_rejects_refusals_and_gives_up_after_three_jobs(tmp_path, monkeypatch, kind):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with LoopbackServer() as srv:
        srv.batch_auto_end = True
        # job 1: q0 refused (400), q1 error, q2 expired, q3 ok; job 2: q1 error, q2 ok; job 3: q1 error
        srv.script_batch("refused", "error", "expired", "success", "error", "success", "error")
        url = srv.openai_url if kind == "openai" else srv.anthropic_url
        ledger = Ledger(tmp_path / "ledger.sqlite")
        runner = BatchRunner(kind, "m-test", url, ledger, PriceTable.with_overrides(), "job", wait=True, poll_max=0.02)
        results = {}
        stats = runner.run(answer_requests(4), lambda r: results.__setitem__(r.request.tag, r), 4)
        ledger.close()
    assert [len(job["lines"]) for job in srv.state.batches.values()] == [4, 2, 1]
    assert {i: r.status for i, r in results.items()} == {0: "rejected", 1: "rejected", 2: "ok", 3: "ok"}
    assert "refused" in results[0].reason and "failed in 3 jobs" in results[1].reason
    assert results[2].output.answer == "ok" and (stats.ok, stats.rejected, stats.sent) == (2, 2, 7)


def test_max_cost_submits_only_what_the_budget_covers_at_batch_price(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    reqs = answer_requests(4)
    prices = PriceTable.with_overrides()
    each = prices.cost("gpt-4o-mini", reqs[0].estimated_input_tokens(), 64, batch=True)
    with LoopbackServer() as srv:
        ledger = Ledger(tmp_path / "ledger.sqlite")
        runner = BatchRunner("openai", "gpt-4o-mini", srv.openai_url, ledger, prices, "job", max_cost=each * 0.5)
        with pytest.raises(BudgetExhausted, match="4 request"):  # not even one fits: nothing is submitted
            runner.run(reqs, lambda r: None, 4)
        assert not srv.state.batches
        runner = BatchRunner("openai", "gpt-4o-mini", srv.openai_url, ledger, prices, "job", max_cost=each * 2.5)
        with pytest.raises(BatchPending) as info:
            runner.run(reqs, lambda r: None, 4)
        assert info.value.pending == 2
        (job,) = srv.state.batches.values()
        assert len(job["lines"]) == 2
        srv.end_batches()
        collect(ledger, ledger.batches()[0], BatchClient("openai", "gpt-4o-mini", srv.openai_url))
        with pytest.raises(BatchPending):  # resumable: the answered two cost less than estimated, room for the rest
            runner.run(reqs, lambda r: None, 4)
        assert runner.stats.ok == 2 and runner.stats.cost <= each * 2.5
        first, second = ({cid for cid, _ in job["lines"]} for job in srv.state.batches.values())
        assert len(second) == 2 and not first & second  # nothing answered is submitted again
        ledger.close()


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_template_syntax_in_records_reaches_the_provider_verbatim_online_and_in_batches(tmp_path, monkeypatch, kind):
    """instructor renders contents as Jinja when given a validation context; a record's own Jinja /
    Vue / Actions syntax must reach the model untouched, online and in a batch alike."""
    import asyncio

    from factory.llm import create_provider
    from factory.llm.batch import render

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    text = ("Fix the template:\n<p>{{ user.name }}</p>\n{% if items %}{% for i in items %}{{ i }}{% endfor %}"
            "{% endif %}\nrun: ${{ secrets.TOKEN }} and a literal {% endraw %} too\n")
    req = LLMRequest([{"role": "system", "content": "sys"}, {"role": "user", "content": text}], Answer,
                     max_tokens=64, context={"tool_names": ["read_file"]})
    with LoopbackServer() as srv:
        provider = create_provider(kind, "m-test", srv.openai_url if kind == "openai" else srv.anthropic_url)

        async def call() -> None:
            try:
                await provider.complete(req, 0)
            finally:
                await provider.aclose()

        asyncio.run(call())
        (sent,) = [r.body for r in srv.requests]
    assert sent["messages"][-1]["content"] == text
    assert canonical(render(kind, "m-test", req)) == canonical(sent)
