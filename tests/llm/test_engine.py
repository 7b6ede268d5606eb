"""The engine against a loopback provider speaking the real OpenAI / Anthropic wire protocols,
driven through the real SDKs and instructor: cache, retries, faults, limits, breaker, budget."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time

import pytest

from factory.llm import FatalProviderError
from factory.llm.engine import BudgetExhausted
from factory.llm.ledger import MIGRATIONS, Ledger
from factory.llm.limits import AIMDGate, CircuitOpen, RateLimiter, parse_reset
from tests.helpers.llm import requests, run

# Test keys in the environment for every test here (they never reach a file: see the ledger tests).
pytestmark = pytest.mark.usefixtures("keys")

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_rerun_of_a_finished_job_sends_zero_requests(server, tmp_path, kind):
    _, first = run(server, tmp_path, requests(20), kind)
    assert len(server.requests) == 20
    assert sorted(r.output.answer for r in first) == sorted(f"echo q {i}" for i in range(20))
    engine, again = run(server, tmp_path, requests(20), kind)
    assert len(server.requests) == 20  # nothing new reached the provider
    assert engine.stats.sent == 0 and engine.stats.cached == 20
    assert {r.request.tag: r.output.answer for r in again} == {r.request.tag: r.output.answer for r in first}


def test_429_is_retried_after_retry_after_and_a_lone_one_keeps_the_concurrency(server, tmp_path):
    server.inject({"status": 429, "retry_after": 1})
    engine, results = run(server, tmp_path, requests(1), max_concurrency=8)
    log = server.requests
    assert [r.status for r in log] == [429, 200]
    assert log[1].time - log[0].time >= 0.95  # waited for Retry-After, not the 10 ms backoff
    assert results[0].status == "ok"
    # One refusal is not a sustained rate limit: the gate stays open (see test_flow_control).
    assert engine.gate.decreases == 0 and engine.gate.limit == 8 and engine.stats.errors["rate_limited"] == 1
    assert engine.stats.sent == 2


@pytest.mark.parametrize("kind,status", [("openai", 500), ("openai", 502), ("openai", 503), ("anthropic", 529)])
def test_server_errors_and_overload_are_retried_until_success(server, tmp_path, kind, status):
    server.inject({"status": status}, {"status": status})
    engine, results = run(server, tmp_path, requests(1), kind)
    assert [r.status for r in server.requests] == [status, status, 200]
    assert results[0].status == "ok" and engine.stats.sent == 3


def test_slow_response_past_the_timeout_is_retried(server, tmp_path):
    server.inject({"delay": 3})
    t0 = time.monotonic()
    _, results = run(server, tmp_path, requests(1), timeout=0.5)
    assert results[0].status == "ok"
    assert len(server.requests) == 2 and time.monotonic() - t0 < 2.5


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_401_stops_the_run_with_one_clear_message_and_no_retry(server, tmp_path, kind):
    server.inject({"status": 401})
    with pytest.raises(FatalProviderError, match=r"HTTP 401.*not retried"):
        run(server, tmp_path, requests(1), kind)
    assert len(server.requests) == 1


def test_400_is_not_retried_and_is_kept_as_a_rejection(server, tmp_path):
    server.inject({"status": 400, "message": "context too long"})
    _, results = run(server, tmp_path, requests(1))
    assert len(server.requests) == 1
    assert results[0].status == "rejected" and "context too long" in results[0].reason


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_schema_invalid_output_is_reasked_then_rejected_with_raw_output(server, tmp_path, kind):
    bad = {"payload": {"answer": "   "}}
    server.inject(bad, bad, bad)
    engine, results = run(server, tmp_path, requests(1), kind, max_reasks=2)
    assert len(server.requests) == 3  # 1 + 2 re-asks, each sending the validation error back
    reask_messages = server.requests[1].body["messages"]
    assert "answer must not be empty" in str(reask_messages)
    (r,) = results
    assert r.status == "rejected" and "answer must not be empty" in r.reason and '"   "' in r.raw
    assert engine.stats.sent == 3
    # The rejection is cached too: a rerun pays for nothing.
    run(server, tmp_path, requests(1), kind)
    assert len(server.requests) == 3


def test_truncated_json_is_reasked_and_recovers(server, tmp_path):
    server.inject({"truncated": True})
    engine, results = run(server, tmp_path, requests(1))
    assert results[0].status == "ok" and results[0].output.answer == "echo q 0"
    assert len(server.requests) == 2 and engine.stats.errors["re-asked"] == 1


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_output_cut_at_max_tokens_is_rejected_with_the_reason(server, tmp_path, kind):
    server.inject({"finish_reason": "length"})
    _, results = run(server, tmp_path, requests(1), kind)
    assert results[0].status == "rejected" and "max_tokens" in results[0].reason


def test_sustained_429s_open_the_circuit_and_keep_finished_work(server, tmp_path):
    run(server, tmp_path, requests(5))
    server.inject(*[{"status": 429, "retry_after": 0}] * 200)
    with pytest.raises(CircuitOpen, match=r"throttles .* in a row.*rerun to resume"):
        run(server, tmp_path, requests(10), breaker_threshold=6, max_attempts=50, max_concurrency=2)
    led = Ledger(tmp_path / "ledger.sqlite")
    assert led.runs()[-1]["status"] == "stopped"
    assert len(led.completed_keys()) == 5  # the first five are still there
    server.state.faults.clear()
    engine, _ = run(server, tmp_path, requests(10))
    assert engine.stats.cached == 5 and engine.stats.sent == 5


def test_max_cost_stops_before_the_budget_and_a_rerun_resumes(server, tmp_path):
    # gpt-4o at $2.50/$10 per 1M tokens: each loopback answer costs about $0.0001.
    with pytest.raises(BudgetExhausted, match="--max-cost"):
        run(server, tmp_path, requests(40), model="gpt-4o", max_cost=0.002, max_concurrency=1)
    led = Ledger(tmp_path / "ledger.sqlite")
    spent = led.totals()["cost"]
    done = len(led.completed_keys())
    assert 0 < spent <= 0.002 and 0 < done < 40
    sent_before = len(server.requests)
    engine, results = run(server, tmp_path, requests(40), model="gpt-4o", max_cost=1.0)
    assert engine.stats.cached == done and len(server.requests) - sent_before == 40 - done
    assert len(results) == 40


def test_max_cost_without_a_known_price_asks_for_one(server, tmp_path):
    with pytest.raises(Exception, match=r'\[prices\."my-local-model"\]'):
        run(server, tmp_path, requests(1), model="my-local-model", max_cost=1.0)


def test_requests_per_window_are_never_exceeded_at_the_server(server, tmp_path):
    # The 60 s logic with a 1 s window: 10 per second, 35 requests, 20 in flight allowed.
    run(server, tmp_path, requests(35), requests_per_minute=10, rate_window=1.0, max_concurrency=20)
    times = sorted(r.time for r in server.requests)
    worst = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    assert worst <= 10
    assert times[-1] - times[0] >= 3.0  # 35 requests at 10/s cannot finish sooner


def test_rate_limit_headers_with_nothing_remaining_block_until_reset(server, tmp_path):
    server.state.headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}
    run(server, tmp_path, requests(2), max_concurrency=1)
    t = [r.time for r in server.requests]
    assert t[1] - t[0] >= 0.95


def test_reset_values_in_both_providers_formats_parse():
    assert parse_reset("6m0s") == 360 and parse_reset("120ms") == pytest.approx(0.12)
    assert parse_reset("1.5s") == 1.5
    assert parse_reset("2030-01-01T00:00:10Z", now=1893456000.0) == pytest.approx(10.0)


def test_aimd_gate_halves_on_throttle_and_grows_back_on_success():
    clock = [0.0]
    gate = AIMDGate(16, cooldown=1.0, clock=lambda: clock[0])
    gate.on_throttle()
    gate.on_throttle()  # same burst: counted once
    assert int(gate.limit) == 8
    clock[0] = 2.0
    gate.on_throttle()
    assert int(gate.limit) == 4
    for _ in range(200):
        gate.on_success()
    assert gate.limit == 16


def test_gate_never_lets_more_than_the_limit_in_flight():
    async def main():
        gate = AIMDGate(3)
        peak = 0

        async def one():
            nonlocal peak
            async with gate:
                peak = max(peak, gate.active)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one() for _ in range(20)))
        return peak

    assert asyncio.run(main()) == 3


def test_freed_places_go_to_the_lowest_priority_first_and_never_to_a_later_arrival():
    async def main():
        gate = AIMDGate(1)
        order: list[str] = []

        async def one(name: str, priority: tuple[int, ...]) -> None:
            await gate.acquire(priority)
            order.append(name)
            await asyncio.sleep(0.01)
            gate.release()

        await gate.acquire()  # the one place is taken: everyone below waits
        waiting = [asyncio.create_task(one(n, p)) for n, p in (("c", (3,)), ("a", (1,)), ("b", (2,)), ("a2", (1,)))]
        await asyncio.sleep(0.01)
        gate.release()  # handed to "a" directly: a newcomer arriving now waits behind the others
        late = asyncio.create_task(one("late", (0,)))
        await asyncio.gather(*waiting, late)
        return order, gate.active

    order, active = asyncio.run(main())
    # "late" has the lowest priority but arrived after the place was handed on: it comes next
    assert order == ["a", "late", "a2", "b", "c"] and active == 0


def test_a_cancelled_waiter_neither_keeps_nor_loses_a_place():
    async def main():
        gate = AIMDGate(1)
        await gate.acquire()
        gone = asyncio.create_task(gate.acquire((0,)))
        handed = asyncio.create_task(gate.acquire((1,)))
        await asyncio.sleep(0)
        gone.cancel()  # cancelled while waiting: skipped
        await asyncio.sleep(0)
        gate.release()  # the place goes to the next live waiter
        await handed
        assert gate.active == 1
        # handed a place and cancelled before it ran: the place is given on, not lost
        after = asyncio.create_task(gate.acquire((0,)))
        await asyncio.sleep(0)
        gate.release()
        after.cancel()
        with pytest.raises(asyncio.CancelledError):
            await after
        assert gate.active == 0
        async with gate:  # free at once
            assert gate.active == 1

    asyncio.run(main())


def test_the_ledgers_commits_never_hold_the_event_loop(server, tmp_path):
    """Another process holds the ledger's write lock for a while: the request waiting to be stored
    waits on the ledger's thread, and the event loop keeps serving."""
    from factory.config import EngineConfig
    from factory.llm import create_provider
    from factory.llm.engine import Engine
    from tests.helpers.llm import FAST

    provider = create_provider("openai", "gpt-4o-mini", server.openai_url, timeout=30)
    engine = Engine(provider, Ledger(tmp_path / "ledger.sqlite"), EngineConfig(**FAST), job="test")
    other = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)

    async def main(engine):
        other.execute("BEGIN IMMEDIATE")  # the write lock, as another process's long write would hold it
        asked = asyncio.ensure_future(engine.ask(requests(1)[0]))
        lags, start = [], time.monotonic()
        while time.monotonic() - start < 0.6:
            t = time.monotonic()
            await asyncio.sleep(0.005)
            lags.append(time.monotonic() - t)
        assert not asked.done()  # still waiting for the lock, in the ledger's thread
        other.execute("COMMIT")
        return await asked, max(lags)

    try:
        result, lag = engine.drive_sync(main)
    finally:
        engine.ledger.close()
    assert result.status == "ok" and lag < 0.2
    assert Ledger(tmp_path / "ledger.sqlite").get(result.key) is not None  # stored once the lock was free


def test_answers_paid_for_are_stored_even_when_their_turns_are_cancelled(server, tmp_path):
    """Three answers wait for the ledger (another process holds its write lock) when the run is
    cancelled (Ctrl-C): the answers were paid for, so all three are stored once the lock is free."""
    from factory.config import EngineConfig
    from factory.llm import create_provider
    from factory.llm.engine import Engine
    from tests.helpers.llm import FAST

    provider = create_provider("openai", "gpt-4o-mini", server.openai_url, timeout=30)
    engine = Engine(provider, Ledger(tmp_path / "ledger.sqlite"), EngineConfig(**FAST), job="test")
    other = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    reqs = requests(3)

    async def main(engine):
        other.execute("BEGIN IMMEDIATE")
        asked = [asyncio.ensure_future(engine.ask(r)) for r in reqs]
        while len(server.requests) < 3:  # all three answered by the server
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        for task in asked:
            task.cancel()
        await asyncio.gather(*asked, return_exceptions=True)
        other.execute("COMMIT")

    try:
        engine.drive_sync(main)  # returns once the stores still queued are done
    finally:
        engine.ledger.close()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    assert all(ledger.get(r.cache_key(provider.name, provider.model)) is not None for r in reqs)


def test_rate_limiter_token_budget_delays_a_large_request():
    now = [0.0]
    slept = []

    async def sleep(d):
        slept.append(d)
        now[0] += d

    async def main():
        lim = RateLimiter(tpm=1000, window=60.0, clock=lambda: now[0], sleep=sleep)
        await lim.acquire(800)
        lim.release(800)
        await lim.acquire(300)  # must wait for the first to leave the window

    asyncio.run(main())
    assert slept and now[0] >= 60.0


def test_ledger_migrations_run_once_and_are_recorded(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    assert led.migrate() == []  # already applied
    rows = sqlite3.connect(tmp_path / "l.sqlite").execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
    mode = sqlite3.connect(tmp_path / "l.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_keys_never_reach_the_ledger(server, tmp_path):
    server.inject({"status": 429, "retry_after": 0}, {"payload": {"answer": ""}})
    run(server, tmp_path, requests(5))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"SECRET" not in data, path
