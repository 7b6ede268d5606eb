"""Flow control around provider calls: the AIMD concurrency gate, the sliding-window rate limiter
(requests/min and tokens/min, tightened by the provider's rate-limit headers) and the circuit breaker.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import re
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from factory.errors import FactoryError


class AIMDGate:
    """At most ``limit`` calls in flight; each answer the server gives adds ``1/limit`` back (TCP's
    additive increase, about one per round of answers) up to the configured maximum.

    Two kinds of refusal, two reactions:

    - **Overload** (529, 503): the server is short of capacity, so fewer calls help it. The limit
      halves, at most once per ``cooldown`` seconds, so one burst counts once (:meth:`on_throttle`).
    - **Rate limit** (429): the server refuses some calls and answers the rest at full speed, and a
      refused call is retried on its own. Halving on every 429 held a server that refuses every 7th
      request to about 30 calls a second for a whole run. So a 429 lowers the limit only when refusals
      are sustained: more than ``tolerance`` of the last answers (a window of at least ten, about one
      round), and then in proportion, ``limit * (1 - share / 2)`` (all refused: halved). The window
      starts again after each decrease, so the next one needs fresh evidence (:meth:`on_rate_limited`).
      The provider's own rate-limit headers are followed by the :class:`RateLimiter`.
    """

    def __init__(self, limit: int, floor: int = 1, cooldown: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 tolerance: float = 0.25):
        self.max_limit = max(1, limit)
        self.limit = float(self.max_limit)
        self.floor = floor
        self.cooldown = cooldown
        self.tolerance = tolerance
        self.active = 0
        self.peak = 0
        self.decreases = 0
        self._clock = clock
        self._last_decrease = -1e9
        self._waiters: list[tuple[tuple[int, ...], int, asyncio.Future]] = []  # a heap: (priority, arrival, future)
        self._arrivals = itertools.count()
        self._recent: deque[bool] = deque(maxlen=max(10, self.max_limit))  # True: refused with 429

    async def acquire(self, priority: tuple[int, ...] = ()) -> None:
        """Take a place, waiting while ``limit`` calls are in flight. Waiting calls get places freed
        lowest ``priority`` first, then in arrival order; a place freed is handed to the next waiting
        call directly, so a call arriving later never takes it first."""
        if self.active < int(self.limit) and not self._waiters:
            self.active += 1
            self.peak = max(self.peak, self.active)
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), fut))
        self._wake()  # a place may be free behind waiters that were cancelled
        try:
            await fut  # :meth:`_wake` counted this call in ``active`` when it handed the place over
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # handed a place, then cancelled: give it on
                self.release()
            raise  # a cancelled future still in the heap is skipped by _wake
        self.peak = max(self.peak, self.active)

    def release(self) -> None:
        self.active -= 1
        self._wake()

    async def __aenter__(self) -> AIMDGate:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def _wake(self) -> None:
        while self.active < int(self.limit) and self._waiters:
            fut = heapq.heappop(self._waiters)[2]
            if not fut.done():
                self.active += 1
                fut.set_result(None)

    def on_success(self) -> None:
        """The server answered (valid or not: it did the work)."""
        self._recent.append(False)
        if self.limit < self.max_limit:
            self.limit = min(self.max_limit, self.limit + 1.0 / self.limit)
            self._wake()

    def on_throttle(self) -> None:
        """Overload (529/503): halve, once per cooldown."""
        now = self._clock()
        if now - self._last_decrease >= self.cooldown:
            self._last_decrease = now
            self.limit = max(float(self.floor), self.limit / 2)
            self.decreases += 1

    def on_rate_limited(self) -> None:
        """A 429: lower the limit only when the recent share of refusals is above the tolerance."""
        recent = self._recent
        recent.append(True)
        if len(recent) < recent.maxlen // 2:
            return
        share = sum(recent) / len(recent)
        if share > self.tolerance:
            self.limit = max(float(self.floor), self.limit * (1 - share / 2))
            self.decreases += 1
            self._last_decrease = self._clock()
            recent.clear()

    @property
    def refused_share(self) -> float:
        return sum(self._recent) / len(self._recent) if self._recent else 0.0


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_reset(value: str | None, now: float | None = None) -> float | None:
    """Seconds until a limit resets: OpenAI's ``6m0s`` / ``120ms`` or Anthropic's RFC 3339 time."""
    if not value:
        return None
    value = value.strip()
    parts = _DURATION.findall(value)
    if parts and "".join(n + u for n, u in parts) == value:
        scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
        return sum(float(n) * scale[u] for n, u in parts)
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RateLimiter:
    """A sliding-window log: no ``window`` seconds ever hold more than ``rpm`` requests or ``tpm``
    estimated tokens (both optional). ``window`` is 60 s; tests shrink it to check the logic fast.

    A request occupies the window from :meth:`acquire` until ``window`` seconds after :meth:`release`
    (when its answer came back): the provider saw it somewhere in between, so counting it this way
    can never let the provider's own window overflow, whatever the network delay.

    The provider's headers tighten it: a ``*-limit-requests`` lower than configured becomes the limit,
    and ``remaining == 0`` blocks every call until the advertised reset."""

    POLL = 0.02  # how often a call blocked only by in-flight requests looks again

    def __init__(self, rpm: int | None = None, tpm: int | None = None, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Any] = asyncio.sleep):
        self.rpm, self.tpm, self.window = rpm, tpm, window
        self._clock, self._sleep = clock, sleep
        self._log: deque[tuple[float, int]] = deque()  # (release time, tokens), in release order
        self._tokens = 0
        self._inflight = 0
        self._inflight_tokens = 0
        self.blocked_until = 0.0
        self.waited = 0.0

    def _purge(self, now: float) -> None:
        while self._log and self._log[0][0] <= now - self.window:
            _, n = self._log.popleft()
            self._tokens -= n

    def _wait_for(self, now: float, tokens: int) -> float:
        wait = self.blocked_until - now
        if self.rpm is not None and len(self._log) + self._inflight >= self.rpm:
            wait = max(wait, self._log[0][0] + self.window - now if self._log else self.POLL)
        if self.tpm is not None and (self._log or self._inflight) and \
                self._tokens + self._inflight_tokens + tokens > self.tpm:
            need, freed, when = self._tokens + self._inflight_tokens + tokens - self.tpm, 0, None
            for t, n in self._log:  # oldest leave first
                freed += n
                if freed >= need:
                    when = t + self.window - now
                    break
            wait = max(wait, when if when is not None else self.POLL)
        return wait

    async def acquire(self, tokens: int = 0) -> None:
        if self.rpm is None and self.tpm is None and self.blocked_until == 0.0:
            self._inflight += 1
            return
        while True:
            now = self._clock()
            self._purge(now)
            wait = self._wait_for(now, tokens)
            if wait <= 0:
                self._inflight += 1
                self._inflight_tokens += tokens
                return
            self.waited += wait
            await self._sleep(wait + 1e-3)

    def release(self, tokens: int = 0) -> None:
        """The call came back (answer or error): it now ages out of the window from this moment."""
        self._inflight -= 1
        self._inflight_tokens -= tokens
        if self.rpm is not None or self.tpm is not None:
            self._log.append((self._clock(), tokens))
            self._tokens += tokens

    def observe_headers(self, headers: Any) -> None:
        get = headers.get
        for prefix in ("x-ratelimit-", "anthropic-ratelimit-"):
            limit = get(f"{prefix}limit-requests") or get(f"{prefix}requests-limit")
            remaining = get(f"{prefix}remaining-requests") or get(f"{prefix}requests-remaining")
            reset = get(f"{prefix}reset-requests") or get(f"{prefix}requests-reset")
            if limit and limit.isdigit() and self.window >= 60 and (self.rpm is None or int(limit) < self.rpm):
                self.rpm = int(limit)
            if remaining is not None and remaining.strip() == "0":
                secs = parse_reset(reset)
                if secs:
                    self.blocked_until = max(self.blocked_until, self._clock() + secs)
            tok_remaining = get(f"{prefix}remaining-tokens") or get(f"{prefix}tokens-remaining")
            if tok_remaining is not None and tok_remaining.strip() == "0":
                secs = parse_reset(get(f"{prefix}reset-tokens") or get(f"{prefix}tokens-reset"))
                if secs:
                    self.blocked_until = max(self.blocked_until, self._clock() + secs)


class CircuitOpen(FactoryError):
    """Sustained throttling: stop cleanly, keep everything done, say how to resume."""


class CircuitBreaker:
    """Opens after ``threshold`` throttled answers (429/503/529) in a row with no answer between them.
    Every answer the server gives resets the run -- a valid one, one re-asked, one rejected for its
    content: the server is up and serving, whatever the model wrote."""

    def __init__(self, threshold: int = 20) -> None:
        self.threshold = threshold
        self.consecutive = 0
        self.open = False

    def on_success(self) -> None:
        self.consecutive = 0

    def on_throttle(self) -> None:
        self.consecutive += 1
        if self.consecutive >= self.threshold:
            self.open = True
