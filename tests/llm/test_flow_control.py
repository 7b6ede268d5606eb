"""Flow control against the servers people run themselves: a shallow accept queue, one answer per
connection, periodic 429s, overload, and answers that fail validation. The loopback server plays
those servers through the real SDKs; the connection ramp's own rules are checked on a scripted
network backend, since a kernel's dropped SYN cannot be ordered on demand."""

from __future__ import annotations

import asyncio
import time

import httpcore2
import pytest

from factory.llm.connections import ConnectionRamp, RampedBackend
from factory.llm.limits import AIMDGate
from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import echo, requests, run

pytestmark = pytest.mark.usefixtures("keys")


# -- the engine against small servers ---------------------------------------------------------------
def test_a_server_that_closes_every_connection_and_queues_five_answers_every_request(tmp_path):
    with LoopbackServer(echo, latency=0.02, backlog=5, keep_alive=False) as srv:
        engine, results = run(srv, tmp_path, requests(120), max_concurrency=50)
        connections = srv.state.connections
    assert sorted(r.output.answer for r in results) == sorted(f"echo q {i}" for i in range(120))
    assert engine.stats.sent == 120 and not engine.stats.errors  # no request spent an attempt on connecting
    assert connections >= 120  # one per answer: nothing was reused that the server had closed


def test_a_keep_alive_server_sees_its_connections_reused(server, tmp_path):
    engine, results = run(server, tmp_path, requests(60), max_concurrency=8)
    assert len(results) == 60 and engine.stats.sent == 60
    assert server.state.connections <= 8  # never more than the calls in flight


def test_every_seventh_request_refused_keeps_full_concurrency_and_finishes(tmp_path):
    with LoopbackServer(echo, latency=0.01, throttle_every=7) as srv:
        engine, results = run(srv, tmp_path, requests(140), max_concurrency=8)
        log = srv.requests
    refused = sum(r.status == 429 for r in log)
    assert len(results) == 140 and all(r.status == "ok" for r in results)
    assert refused == len(log) // 7 and refused >= 20
    assert engine.gate.decreases == 0 and engine.gate.limit == 8  # a share of 1/7 is not a sustained limit
    assert engine.stats.errors["rate_limited"] == refused


def test_a_refused_request_waits_without_holding_a_place(tmp_path):
    latency = 0.05
    with LoopbackServer(echo, latency=latency) as srv:
        srv.inject({"status": 429, "retry_after": 1.5})
        _, results = run(srv, tmp_path, requests(30), max_concurrency=2)
        log = srv.requests
    assert len(results) == 30 and all(r.status == "ok" for r in results)
    refused_at = log[0].time
    retried_at = next(r.time for r in log[1:] if r.body["messages"][1]["content"] == "q 0")
    during = sorted(r.time for r in log[1:] if refused_at < r.time < retried_at)
    # While q 0 waited out its Retry-After, both places kept working: two calls in flight at once.
    overlap = max(sum(1 for u in during if t <= u < t + latency) for t in during)
    assert overlap == 2 and len(during) >= 25


@pytest.mark.parametrize("status,halved", [(503, True), (529, True), (500, False)])
def test_overload_halves_the_concurrency_and_other_errors_do_not(server, tmp_path, status, halved):
    server.inject({"status": status})
    kind = "anthropic" if status == 529 else "openai"
    engine, results = run(server, tmp_path, requests(1), kind, max_concurrency=8)
    assert results[0].status == "ok"
    assert engine.gate.decreases == (1 if halved else 0)


def test_throttles_between_answers_that_fail_validation_never_open_the_circuit(tmp_path):
    # A weak model: every answer fails validation. The server refuses 1 request in 11. Each answer
    # the server gave resets the breaker's run of throttles, so the run goes to the end.
    with LoopbackServer(lambda kind, body: {"answer": "   "}, throttle_every=11) as srv:
        _, results = run(srv, tmp_path, requests(60), max_concurrency=4, max_reasks=0, breaker_threshold=3)
        log = srv.requests
    assert len(results) == 60 and all(r.status == "rejected" for r in results)
    assert sum(r.status == 429 for r in log) >= 5  # more throttles than the threshold, spread out


# -- the gate's rule for 429s ---------------------------------------------------------------------
def test_periodic_429s_leave_the_limit_and_sustained_ones_lower_it_in_proportion():
    gate = AIMDGate(20)
    for i in range(700):  # every 7th answer refused: 14% is under the tolerance
        gate.on_rate_limited() if i % 7 == 6 else gate.on_success()
    assert gate.decreases == 0 and gate.limit == 20
    while gate.decreases == 0:  # then refusals pile up: the first decrease comes just past 25%
        gate.on_rate_limited()
    assert 16 <= gate.limit < 18  # limit * (1 - share / 2), not halved

    gate = AIMDGate(20)
    for _ in range(10):  # everything refused: halved, as for overload
        gate.on_rate_limited()
    assert gate.decreases == 1 and gate.limit == 10
    for _ in range(9):
        gate.on_rate_limited()
    assert gate.decreases == 1  # a fresh window of answers is needed before the next decrease
    gate.on_rate_limited()
    assert gate.decreases == 2 and gate.limit == 5


# -- the connection ramp ------------------------------------------------------------------------------
class Stream:
    def __init__(self) -> None:
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class ScriptedBackend:
    """Each connect_tcp takes the next step: a delay in seconds before it opens, an exception, or
    ("late", delay): an attempt the kernel completes anyway after it was given up."""

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.started: list[float] = []
        self.streams: list[Stream] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.started.append(time.monotonic())
        step = self.steps.pop(0) if self.steps else 0.0
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, tuple):
            try:
                await asyncio.sleep(step[1])
            except asyncio.CancelledError:
                await asyncio.sleep(step[1])
        else:
            await asyncio.sleep(step)
        stream = Stream()
        self.streams.append(stream)
        return stream


def test_a_slow_connection_attempt_is_raced_and_the_loser_closed():
    async def main():
        inner = ScriptedBackend(("late", 0.3), 0.0)  # the first SYN was dropped: it opens much later
        ramp = ConnectionRamp()
        backend = RampedBackend(inner, ramp)
        t0 = time.monotonic()
        stream = await backend.connect_tcp("127.0.0.1", 1)
        took = time.monotonic() - t0
        await asyncio.sleep(0.6)  # the first attempt opens after all, and is closed
        return inner, ramp, stream, took

    inner, ramp, stream, took = asyncio.run(main())
    assert stream is inner.streams[0] and not stream.closed  # the second attempt opened first
    assert took < 0.35 and ramp.raced == 1 and ramp.spacing >= 0.001
    assert len(inner.streams) == 2 and inner.streams[1].closed


def test_a_request_given_up_while_connecting_leaves_no_connection_open():
    async def main():
        inner = ScriptedBackend(("late", 0.05))  # opens even though it was cancelled
        backend = RampedBackend(inner, ConnectionRamp())
        task = asyncio.ensure_future(backend.connect_tcp("127.0.0.1", 1))
        await asyncio.sleep(0.02)  # still connecting, before any race
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.15)
        return inner

    inner = asyncio.run(main())
    assert len(inner.streams) == 1 and inner.streams[0].closed


def test_a_refusal_is_known_by_its_errno_under_the_wrapping():
    from factory.llm.connections import _is_refusal

    def wrapped(err: OSError) -> httpcore2.ConnectError:
        try:
            try:
                raise err
            except OSError as exc:
                raise httpcore2.ConnectError("All connection attempts failed") from exc
        except httpcore2.ConnectError as outer:
            return outer

    assert _is_refusal(wrapped(ConnectionRefusedError(111, "Connection refused")))
    assert _is_refusal(wrapped(OSError(104, "Connection reset by peer")))
    assert not _is_refusal(wrapped(OSError(110, "Connection timed out")))
    assert not _is_refusal(wrapped(OSError(-2, "Name or service not known; the hostname reset.example")))


def test_refusals_are_retried_once_the_server_was_reached_and_passed_on_before():
    refused = httpcore2.ConnectError("[Errno 111] Connection refused")

    async def main():
        inner = ScriptedBackend(refused, 0.0, refused, refused, 0.0)
        backend = RampedBackend(inner, ConnectionRamp())
        with pytest.raises(httpcore2.ConnectError):
            await backend.connect_tcp("127.0.0.1", 1)  # never reached: the engine must see it at once
        await backend.connect_tcp("127.0.0.1", 1)
        stream = await backend.connect_tcp("127.0.0.1", 1)  # two refusals absorbed by the ramp
        return backend.ramp, stream

    ramp, stream = asyncio.run(main())
    assert ramp.refused == 2 and ramp.opened == 2 and isinstance(stream, Stream)


def test_new_connections_start_spaced_and_the_spacing_shrinks_while_they_open_fast():
    async def main():
        inner = ScriptedBackend()
        ramp = ConnectionRamp()
        backend = RampedBackend(inner, ramp)
        burst = time.monotonic()
        await asyncio.gather(*(backend.connect_tcp("127.0.0.1", 1) for _ in range(10)))
        return inner, ramp, burst

    inner, ramp, burst = asyncio.run(main())
    # A burst of ten is spread over nine spacings of 2 ms, not sent in one go: the last starts 18 ms
    # after the burst at the earliest. (Measured from the burst, not from the first start: a busy
    # machine that delays the first one after its turn came would shorten the span, not the spacing.)
    assert inner.started[-1] - burst >= 9 * 0.0018
    assert ramp.spacing < 0.002 and ramp.opened == 10
