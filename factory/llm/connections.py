"""New connections opened gradually, and a dropped connection attempt not waited out.

A server's accept queue holds the connections its kernel has completed and the server has not yet
accepted. A small server -- a listen backlog of 5 (Python's socketserver default), a single llama.cpp
or vLLM, a company gateway -- overflows it when fifty connections arrive at once: the kernel drops the
extra SYNs and the client's kernel sends them again only after its initial retransmission timeout,
one second. A server that closes every connection after one answer sees such a burst every time a
wave of answers comes back. Measured in bench/bench_engine.py (``--small-servers``): 2,000 calls at
200 ms against a loopback server with a queue of 5 and no keep-alive took 1.74x the ideal at
concurrency 50, with 107 connection attempts dropped, and 5.95x at concurrency 200 with 1,012.

:class:`ConnectionRamp` sits under httpx (an httpcore network backend) and does three things, per
process, for every new connection (reused keep-alive connections never reach it):

- **Slow start.** Connection starts are spaced ``spacing`` seconds apart. It begins at 2 ms and
  shrinks by 5% with each connection that opens quickly, so a server that keeps up is soon met with
  no spacing at all, and a burst of new connections reaches a small server spread over a few
  milliseconds instead of in one.
- **No one-second stall.** A connection attempt that has not completed after ``hedge_after`` (four
  times the usual connect time here, at least 100 ms) is raced by a second attempt; the first to open
  wins and the other is closed. A dropped SYN then costs 100 ms, not 1 s. Each race doubles the
  spacing, up to 2 ms (500 new connections a second per process, more than a server that closes every
  connection after one answer is asked for by 50 calls of 100 ms): the server has shown how fast it
  can accept. A larger cap would cap throughput itself: at 7 ms, concurrency 200 took 41 s instead of 5.6 s.
- **Refusals lower the ramp, not the request budget.** Once this process has reached the server, a
  refused or reset connection attempt widens the spacing and is tried again here (up to
  ``attempts`` times), so the request never sees it and spends none of its retries. Before the
  server has answered once, a refusal is passed on at once: the engine stops a run whose endpoint
  is wrong or down.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from collections.abc import Callable, Iterable
from typing import Any

START_SPACING = 0.002
MAX_SPACING = 0.002
MIN_HEDGE = 0.1


class ConnectionRamp:
    """The pacing state one process shares across its connections (see the module docstring)."""

    def __init__(self, start_spacing: float = START_SPACING, attempts: int = 4,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.spacing = start_spacing
        self.attempts = attempts
        self._clock = clock
        self._next = 0.0
        self.connect_time: float | None = None  # a moving average of how long a connect takes here
        self.reached = False  # a connection to the server has opened at least once
        self.opened = 0
        self.raced = 0  # attempts raced by a second one because the first was slow
        self.refused = 0  # refused / reset attempts tried again

    @property
    def hedge_after(self) -> float:
        return max(MIN_HEDGE, 4 * (self.connect_time or 0.0))

    async def wait_turn(self) -> None:
        now = self._clock()
        start = max(now, self._next)
        self._next = start + self.spacing
        if start > now:
            await asyncio.sleep(start - now)

    def on_open(self, seconds: float, raced: bool) -> None:
        self.opened += 1
        self.reached = True
        if raced:
            self.raced += 1
            self.spacing = min(MAX_SPACING, max(2 * self.spacing, 0.001))
            return
        self.connect_time = seconds if self.connect_time is None else 0.9 * self.connect_time + 0.1 * seconds
        self.spacing *= 0.95
        if self.spacing < 1e-5:
            self.spacing = 0.0

    def on_refused(self) -> None:
        self.refused += 1
        self.spacing = min(MAX_SPACING, max(2 * self.spacing, 0.001))


REFUSALS = (errno.ECONNREFUSED, errno.ECONNRESET)


def _is_refusal(exc: BaseException) -> bool:
    """A connection attempt the server's host turned away (refused, reset), not a slow or unknown host:
    the OS error's errno anywhere in the chain httpcore wraps it in, else the error's own words (a
    backend that reports no errno)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen.errno in REFUSALS
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    return "refused" in text or "reset" in text


class RampedBackend:
    """An httpcore network backend: ``inner``'s connections, opened through a :class:`ConnectionRamp`."""

    def __init__(self, inner: Any, ramp: ConnectionRamp) -> None:
        self._inner, self.ramp = inner, ramp

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Iterable[Any] | None = None) -> Any:
        ramp = self.ramp
        for attempt in range(ramp.attempts):
            await ramp.wait_turn()
            try:
                return await self._race(host, port, timeout, local_address, socket_options)
            except Exception as exc:  # passed on unless it is a refusal during the ramp
                if not (ramp.reached and _is_refusal(exc)) or attempt == ramp.attempts - 1:
                    raise
                ramp.on_refused()
                await asyncio.sleep(min(1.0, 0.05 * 2 ** attempt))
        raise AssertionError("unreachable")

    async def _race(self, host: str, port: int, timeout: float | None, local_address: str | None,
                    socket_options: Iterable[Any] | None) -> Any:
        options = list(socket_options) if socket_options is not None else None

        def attempt() -> asyncio.Task:
            return asyncio.ensure_future(self._inner.connect_tcp(
                host, port, timeout=timeout, local_address=local_address, socket_options=options))

        t0 = self._clock()
        first = attempt()
        try:
            done, _ = await asyncio.wait({first}, timeout=self.ramp.hedge_after)
        except asyncio.CancelledError:  # the request was given up: so is its attempt, and a late open is closed
            first.cancel()
            first.add_done_callback(_close_stream)
            raise
        if done:
            stream = first.result()  # raises the attempt's error
            self.ramp.on_open(self._clock() - t0, raced=False)
            return stream
        second = attempt()
        pending = {first, second}
        winner: asyncio.Task | None = None
        error: BaseException | None = None
        try:
            while pending and winner is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is not None:
                        error = error or task.exception()
                    elif winner is None:
                        winner = task
                    else:
                        _close_stream(task)  # both opened at once: keep one
        finally:
            for task in pending:
                task.cancel()
                task.add_done_callback(_close_stream)
        if winner is None:
            assert error is not None
            raise error
        self.ramp.on_open(self._clock() - t0, raced=True)
        return winner.result()

    def _clock(self) -> float:
        return self.ramp._clock()

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> Any:
        return await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_CLOSING: set[asyncio.Task] = set()


def _close_stream(task: asyncio.Task) -> None:
    """The losing attempt of a race, if it opened after all: close it."""
    if task.cancelled() or task.exception() is not None:
        return
    with contextlib.suppress(Exception):
        closing = asyncio.ensure_future(task.result().aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)


def ramped_transport(max_connections: int, ramp: ConnectionRamp | None = None) -> Any:
    """An httpx transport whose pool opens its connections through a :class:`ConnectionRamp`.

    HTTP/2 where the server offers it (TLS with ALPN ``h2``: the hosted APIs, most gateways): every call
    of this process then shares one connection as a stream of its own, so neither the connection
    burst nor a handshake per call happens at all. A server that offers only HTTP/1.1, and every
    ``http://`` endpoint, gets HTTP/1.1 as before."""
    import importlib.util

    import httpcore2
    import httpx2 as httpx

    transport = httpx.AsyncHTTPTransport(
        http2=importlib.util.find_spec("h2") is not None,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore2.AsyncConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = RampedBackend(pool._network_backend, ramp or ConnectionRamp())
    return transport
