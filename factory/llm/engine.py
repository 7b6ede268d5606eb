"""The Engine: runs many :class:`~factory.llm.LLMRequest` through one provider.

Per request: the ledger's cache first (a hit costs nothing and sends nothing); then the cost budget;
then, inside a tenacity retry loop, the AIMD gate and the rate limiter around one provider call.
Overload (529/503) halves the concurrency and sustained 429s lower it in proportion (see
:class:`~factory.llm.limits.AIMDGate`); every answer the server gives grows it back. A refused
request waits out its backoff without holding a place: the others keep flowing and new ones start in
its stead. Sustained throttling opens the circuit breaker; 401/403 and 404 (a wrong key, base URL or
model) stop the run at once, and so do connection failures before the endpoint has answered once
(refused, unknown host, TLS); after that, a connection lost mid-request is retried without spending
one of the request's attempts. Whatever stops a run, every finished request is already committed to
the ledger and has been handed to ``on_result``, so a rerun resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from factory.config import EngineConfig
from factory.errors import FactoryError
from factory.llm.ledger import Ledger
from factory.llm.limits import AIMDGate, CircuitBreaker, CircuitOpen, RateLimiter
from factory.llm.prices import PriceTable
from factory.llm.provider import FatalProviderError, LLMRequest, Provider, RejectedRequest, RetryableError


class BudgetExhausted(FactoryError):
    """The next request could exceed ``--max-cost``: stop before it, keep everything done."""


@dataclass
class Result:
    request: LLMRequest
    key: str
    status: str  # ok | rejected | failed (retries exhausted; not cached, a rerun tries again)
    output: BaseModel | None = None
    reason: str = ""
    raw: str = ""
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


@dataclass
class RunStats:
    total: int | None = None
    done: int = 0
    sent: int = 0  # HTTP calls, retries and re-asks included
    cached: int = 0
    ok: int = 0
    rejected: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    errors: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    workers: int = 1  # processes that made the calls (factory.llm.workers)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "cached": self.cached, "ok": self.ok, "rejected": self.rejected,
                "failed": self.failed, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost": round(self.cost, 6), "errors": dict(self.errors)}

    @property
    def rate(self) -> float:
        return self.done / max(1e-9, time.monotonic() - self.started)


def cached_result(ledger: Ledger, req: LLMRequest, key: str) -> Result | None:
    """The ledger's answer to ``req`` (validated again by its response model), or None: send it."""
    hit = ledger.get(key)
    if hit is None:
        return None
    output = None
    if hit.status == "ok":
        try:
            output = req.response_model.model_validate(hit.output, context=req.context)
        except ValidationError:
            return None  # the response model changed its mind: ask again
    return Result(req, key, hit.status, output, hit.reason, hit.raw, True, hit.input_tokens, hit.output_tokens, 0.0)


UNREACHABLE_STOP = 3  # connection failures before the first answer that end a run
WAITING_PER_PLACE = 3  # requests waiting out a backoff, per place in flight, before new ones wait too
OVERLOAD_KINDS = ("overloaded", "http_503")


class Engine:
    def __init__(self, provider: Provider, ledger: Ledger, settings: EngineConfig | None = None,
                 prices: PriceTable | None = None, job: str = "", max_cost: float | None = None,
                 on_progress: Callable[[RunStats], None] | None = None, rate_window: float = 60.0) -> None:
        self.provider, self.ledger = provider, ledger
        self.settings = settings or EngineConfig()
        self.prices = prices or PriceTable.with_overrides()
        self.job, self.max_cost, self.on_progress = job, max_cost, on_progress
        if max_cost is not None:
            self.prices.require(provider.model)
        s = self.settings
        self.gate = AIMDGate(s.max_concurrency)
        self.limiter = RateLimiter(s.requests_per_minute, s.tokens_per_minute, window=rate_window)
        self.breaker = CircuitBreaker(s.breaker_threshold)
        provider.on_headers = self.limiter.observe_headers
        self.stats = RunStats()
        self._stop: FactoryError | None = None
        # Until the endpoint has answered once, connection failures mean a wrong URL or a server that
        # is down (refused, unknown host, TLS): a few of them stop the run instead of backing off.
        self._answered = False
        self._unreachable = 0  # connection failures before the first answer, a stall counting as a stop
        self._unreachable_attempts = 0
        self._reserved = 0.0
        self.run_id = 0
        # Inside run(): the places of requests that are active (not waiting out a backoff).
        self._places: asyncio.Semaphore | None = None
        # Inside drive_sync(): the thread that makes the ledger's calls (see ledger_call).
        self._ledger_thread: ThreadPoolExecutor | None = None

    # -- public ----------------------------------------------------------------------------------
    def run_sync(self, requests: Iterable[LLMRequest], on_result: Callable[[Result], None],
                 total: int | None = None) -> RunStats:
        """One run in a fresh event loop; closes the provider (its HTTP client is bound to the loop)."""

        async def main() -> RunStats:
            try:
                return await self.run(requests, on_result, total)
            finally:
                await self.provider.aclose()

        return asyncio.run(main())

    async def run(self, requests: Iterable[LLMRequest], on_result: Callable[[Result], None],
                  total: int | None = None) -> RunStats:
        """Run every request; ``on_result`` gets each one as it finishes (cache hits first-come).
        Raises :class:`BudgetExhausted`, :class:`CircuitOpen` or :class:`FatalProviderError` after the
        in-flight requests finish, when one of them stopped the run."""
        self.stats = RunStats(total=total, workers=len(getattr(self.provider, "workers", ())) or 1)
        self._stop = None
        self.run_id = self.ledger.start_run(self.job, self.provider.name, self.provider.model)
        source = iter(requests)
        width = self.settings.max_concurrency
        # ``places``: requests active at once (at the gate, in flight, being stored); one that waits
        # out a backoff gives its place up. ``room``: every request started and not finished, so a
        # storm of refusals cannot start the whole input at once.
        places = self._places = asyncio.Semaphore(width)
        room = asyncio.Semaphore(width * (1 + WAITING_PER_PLACE))
        tasks: set[asyncio.Task] = set()
        crashed: list[BaseException] = []

        async def one(req: LLMRequest) -> None:
            try:
                await self._one(req, on_result)
            finally:
                places.release()
                room.release()

        def finished(task: asyncio.Task) -> None:
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                crashed.append(task.exception())

        status = "interrupted"
        try:
            while self._stop is None and not crashed:
                await room.acquire()
                await places.acquire()
                try:
                    req = next(source) if self._stop is None and not crashed else None
                except StopIteration:
                    req = None
                if req is None:
                    places.release()
                    room.release()
                    break
                task = asyncio.create_task(one(req))
                tasks.add(task)
                task.add_done_callback(finished)
            while tasks:
                await asyncio.gather(*list(tasks), return_exceptions=True)
            if crashed:
                raise crashed[0]
            status = "stopped" if self._stop else "finished"
        finally:
            for task in list(tasks):
                task.cancel()
            self._places = None
            self.ledger.finish_run(self.run_id, status, self.stats.as_dict(), str(self._stop or ""))
        if self._stop is not None:
            raise self._stop
        return self.stats

    def drive_sync(self, main: Callable[[Engine], Any]) -> Any:
        """Run ``await main(self)`` as one ledger run in a fresh event loop: for callers whose next
        request depends on the last answer (a rollout's turns), asking with :meth:`ask`."""

        async def outer() -> Any:
            self.stats = RunStats(workers=len(getattr(self.provider, "workers", ())) or 1)
            self._stop = None
            self.run_id = self.ledger.start_run(self.job, self.provider.name, self.provider.model)
            self._ledger_thread = ThreadPoolExecutor(1, thread_name_prefix="ledger")
            status = "interrupted"
            try:
                value = await main(self)
                status = "stopped" if self._stop else "finished"
            finally:
                self._end_ledger_thread()
                self.ledger.finish_run(self.run_id, status, self.stats.as_dict(), str(self._stop or ""))
                await self.provider.aclose()
            if self._stop is not None:
                raise self._stop
            return value

        return asyncio.run(outer())

    async def ask(self, req: LLMRequest) -> Result | None:
        """One request inside :meth:`drive_sync`: its result (from the cache when it has one), or None
        once the run is stopping (budget, throttling, a refused key)."""
        if self._stop is not None:
            return None
        got: list[Result] = []
        await self._one(req, got.append)
        return got[0] if got else None

    @property
    def stopping(self) -> FactoryError | None:
        return self._stop

    async def ledger_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` -- a call of the ledger's. Inside :meth:`drive_sync` it runs on a thread of its
        own, awaited: there the event loop shares the interpreter with the rollouts' tool threads, and
        SQLite's commit took a millisecond on average (a WAL checkpoint, tens; another process's
        write lock, up to the busy timeout), holding every other rollout's turn (bench/bench_rollout.py,
        with the line-by-line grep of the time: 2.9 s of a run of 1,600 turns). In
        :meth:`run` nothing else competes for the loop, and the thread hop cost more than the commit
        it moved (bench/bench_engine.py: +0.1 ms of client CPU per request): here and now."""
        pool = self._ledger_thread
        if pool is None:
            return fn(*args)
        # Shielded: a cancelled turn (Ctrl-C) must not take its answer's store with it -- the answer
        # is paid for. The call stays queued and _end_ledger_thread waits for it.
        return await asyncio.shield(asyncio.wrap_future(pool.submit(fn, *args)))

    def _end_ledger_thread(self) -> None:
        """After a run: the calls still queued (a cancelled request's store) finish first."""
        pool, self._ledger_thread = self._ledger_thread, None
        if pool is not None:
            pool.shutdown(wait=True)

    # -- one request -----------------------------------------------------------------------------
    def _emit(self, result: Result, on_result: Callable[[Result], None]) -> None:
        st = self.stats
        st.done += 1
        if result.status == "ok":
            st.ok += 1
        elif result.status == "rejected":
            st.rejected += 1
        else:
            st.failed += 1
        on_result(result)
        if self.on_progress is not None:
            self.on_progress(st)

    def _from_cache(self, req: LLMRequest, key: str) -> Result | None:
        return cached_result(self.ledger, req, key)

    def _estimate(self, req: LLMRequest) -> float:
        st = self.stats
        if st.ok + st.rejected > 0 and st.cost > 0:
            return 1.5 * st.cost / (st.ok + st.rejected)
        return self.prices.cost(self.provider.model, req.estimated_input_tokens(), min(req.max_tokens, 1024))

    async def _one(self, req: LLMRequest, on_result: Callable[[Result], None]) -> None:
        key = req.cache_key(self.provider.name, self.provider.model)
        cached = await self.ledger_call(self._from_cache, req, key)
        if cached is not None:
            self.stats.cached += 1
            self._emit(cached, on_result)
            return
        estimate = 0.0
        if self.max_cost is not None:
            estimate = self._estimate(req)
            if self.stats.cost + self._reserved + estimate > self.max_cost:
                self._stop = self._stop or BudgetExhausted(
                    f"stopped before exceeding --max-cost ${self.max_cost:.2f}: spent ${self.stats.cost:.4f} on "
                    f"{self.stats.ok + self.stats.rejected} requests this run (all kept in the ledger); rerun "
                    "with a higher --max-cost to finish -- nothing done is requested again")
                return
            self._reserved += estimate
        try:
            result = await self._call(req, key)
        except FactoryError as exc:  # refused key, open circuit, or another worker's stop seen mid-retry
            self._stop = self._stop or exc
            return
        finally:
            self._reserved -= estimate
        self._emit(result, on_result)

    async def _call(self, req: LLMRequest, key: str) -> Result:
        s, st = self.settings, self.stats
        backoff = wait_exponential_jitter(multiplier=s.backoff_initial, max=s.backoff_max)

        def wait(state: Any) -> float:
            exc = state.outcome.exception()
            if isinstance(exc, RetryableError) and exc.retry_after is not None:
                return min(exc.retry_after, s.backoff_max)
            if isinstance(exc, RetryableError) and exc.kind == "rate_limited" and \
                    self.gate.refused_share <= self.gate.tolerance:
                # An isolated 429 while the server answers most calls: the refusal says nothing about
                # this request, so it waits about one backoff_initial, not longer with each refusal.
                # (Growing waits left a long tail: at the end of a run the few requests still going
                # are the ones a periodic refusal keeps hitting.)
                return s.backoff_initial * random.uniform(0.5, 1.0)
            return backoff(state)

        # A connection lost mid-request, once the endpoint has answered, does not spend one of the
        # request's attempts (at most max_attempts such retries): the server is there, the path to it
        # was busy.
        spent, free = [0], [s.max_attempts]

        def stop(state: Any) -> bool:
            exc = state.outcome.exception()
            if isinstance(exc, RetryableError) and exc.kind == "connection" and self._answered and free[0] > 0:
                free[0] -= 1
                return False
            spent[0] += 1
            return spent[0] >= s.max_attempts

        retrying = AsyncRetrying(stop=stop, wait=wait, reraise=True, sleep=self._pause,
                                 retry=retry_if_exception_type(RetryableError))
        try:
            async for attempt in retrying:
                with attempt:
                    if self._stop is not None:
                        raise self._stop
                    tokens = req.estimated_input_tokens() + req.max_tokens // 4
                    await self.gate.acquire(req.priority)
                    try:
                        await self.limiter.acquire(tokens)
                        try:
                            completion = await self.provider.complete(req, s.max_reasks)
                        except RetryableError as exc:
                            self._on_retryable(exc, key)
                            raise
                        except RejectedRequest as exc:
                            st.sent += exc.calls
                            self._answered = True
                            self.gate.on_success()  # the server answered; the content was wrong
                            self.breaker.on_success()
                            raise
                        finally:
                            self.limiter.release(tokens)
                    finally:
                        self.gate.release()
                    self._answered = True
                    self.gate.on_success()
                    self.breaker.on_success()
        except RejectedRequest as exc:
            return await self._store(req, key, "rejected", None, exc.raw, exc.reason, exc.input_tokens,
                               exc.output_tokens, exc.calls)
        except RetryableError as exc:
            st.errors["gave up"] += 1
            return Result(req, key, "failed", reason=f"gave up after {s.max_attempts} attempts: {exc}")
        st.sent += completion.calls
        if completion.calls > 1:
            st.errors["re-asked"] += completion.calls - 1
        return await self._store(req, key, "ok", completion.output, completion.raw, "", completion.input_tokens,
                           completion.output_tokens, completion.calls)

    async def _pause(self, seconds: float) -> None:
        """Wait out a backoff without holding a place in :meth:`run`: the others go on meanwhile."""
        places = self._places
        if places is None:
            await asyncio.sleep(seconds)
            return
        places.release()
        try:
            await asyncio.sleep(seconds)
        finally:
            await places.acquire()

    def _on_retryable(self, exc: RetryableError, key: str) -> None:
        self.stats.sent += 1
        self.stats.errors[exc.kind] += 1
        if self._ledger_thread is None:
            self.ledger.record_usage(self.run_id, key, f"retry: {exc.kind}")
        else:  # not waited for (nothing depends on it), and not behind a commit on the event loop
            self._ledger_thread.submit(self.ledger.record_usage, self.run_id, key, f"retry: {exc.kind}")
        if exc.kind == "connection" and not self._answered:
            # A connection that stalled for the whole connect limit (the ramp races a dropped SYN
            # after 100 ms) is one the endpoint will not complete: that alone stops the run.
            self._unreachable += UNREACHABLE_STOP if exc.stalled else 1
            self._unreachable_attempts += 1
            if self._unreachable >= UNREACHABLE_STOP:
                tries = self._unreachable_attempts
                raise FatalProviderError(
                    f"{exc}; the endpoint has not answered once ({tries} attempt{'s' if tries > 1 else ''}), so the run "
                    "stops here: check --base-url and that the server is running") from exc
        if exc.kind == "rate_limited" or exc.kind in OVERLOAD_KINDS:
            if exc.kind == "rate_limited":
                self.gate.on_rate_limited()
            else:
                self.gate.on_throttle()
            self.breaker.on_throttle()
            if self.breaker.open:
                raise CircuitOpen(
                    f"{self.provider.name} answered {self.breaker.consecutive} throttles (429/503/529) in a row; "
                    f"stopped with {self.stats.ok + self.stats.rejected} requests done and kept. Wait, lower "
                    "[engine] max_concurrency / requests_per_minute, and rerun to resume") from exc

    async def _store(self, req: LLMRequest, key: str, status: str, output: BaseModel | None, raw: str,
                     reason: str, tin: int, tout: int, calls: int) -> Result:
        cost = self.prices.cost(self.provider.model, tin, tout)
        dumped = output.model_dump(mode="json") if output is not None else None
        await self.ledger_call(self.ledger.put, key, self.provider.name, self.provider.model, status, dumped, raw,
                               reason, tin, tout, calls, cost, self.run_id)
        st = self.stats
        st.input_tokens += tin
        st.output_tokens += tout
        st.cost += cost
        if status == "rejected":
            st.errors["rejected"] += 1
        return Result(req, key, status, output, reason, raw, False, tin, tout, cost)
