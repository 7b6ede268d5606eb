"""Provider calls in worker processes: ``[engine] workers = N`` or ``--workers N``.

One event loop spends about 4.5 ms of CPU per call inside the SDK, instructor and httpx (measured in
bench/bench_engine.py; the engine's own share is ~0.3 ms). So one process tops out near 220 calls/s,
and at high concurrency it becomes the bottleneck: 2,000 calls at 200 ms and concurrency 50 should
take 8 s but take ~11-12 s on one core. :class:`PooledProvider` keeps in the parent everything that
must be global -- the cache, the budget, the rate limiter, the AIMD gate, the circuit breaker, the
ledger, retries -- and runs each call's SDK work in one of N worker processes.

What crosses the pipe (a socketpair, length-prefixed pickle frames): the messages, the response model
(a class, by reference; see :func:`rebuildable` for classes built at run time), the parameters and the
validation context; back come the validated output as JSON data, usage, the raw text, the outcome
(ok / retry / reject / fatal) and the rate-limit headers. The API key never does: each worker reads the
provider's usual environment variable itself. The parent validates each output again with the response
model, exactly as it does a cache hit.

A worker that dies fails its calls in flight as retryable (the engine retries them on the others); a
parent that dies (even ``kill -9``) closes the sockets and the workers exit at once. A response model
that cannot be sent (a class defined inside a function) is called in the parent, as with one process.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import io
import itertools
import logging
import math
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from factory.llm.builtin import build_provider
from factory.llm.provider import (
    Completion,
    FatalProviderError,
    LLMRequest,
    RejectedRequest,
    RetryableError,
)
from factory.llm.sdk import warm_up

log = logging.getLogger(__name__)

_LEN = struct.Struct("!I")
_RATE_HEADER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-", "retry-after")

# Classes built at run time, sent as "call this module-level function with these arguments".
_REBUILD: dict[type, tuple[Callable[..., type], tuple[Any, ...]]] = {}


def rebuildable(cls: type, factory: Callable[..., type], *args: Any) -> type:
    """Mark ``cls`` (built at run time, e.g. by ``pydantic.create_model``) as sendable to workers:
    a worker gets it by calling ``factory(*args)``, which must be a module-level function that
    returns an equivalent class (cache it, so each worker builds it once)."""
    _REBUILD[cls] = (factory, args)
    return cls


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type):
            rebuild = _REBUILD.get(obj)
            if rebuild is not None:
                return rebuild
        return NotImplemented


def _payload(obj: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def _dumps(obj: Any) -> bytes:
    payload = _payload(obj)
    return _LEN.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    (size,) = _LEN.unpack(await reader.readexactly(_LEN.size))
    return pickle.loads(await reader.readexactly(size))


def _rate_headers(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith(_RATE_HEADER_PREFIXES)}


# -- the worker process ----------------------------------------------------------------------------
_HEADERS: contextvars.ContextVar[list[dict[str, str]] | None] = contextvars.ContextVar("factory_worker_headers",
                                                                                       default=None)


def _worker_main(sock: socket.socket, provider_args: tuple[Any, ...], inherited: list[socket.socket]) -> None:
    for other in inherited:  # the parent's ends of every socketpair: EOF must reach us when the parent dies
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it closes our socket
    # Fresh stdio objects: a thread of the parent (a progress bar) may have held their locks at fork.
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    try:  # forked from inside a running loop (Python < 3.12 keeps it marked as running in the child)
        asyncio.events._set_running_loop(None)
    except AttributeError:
        pass
    asyncio.run(_serve(sock, provider_args))


async def _serve(sock: socket.socket, provider_args: tuple[Any, ...]) -> None:
    provider = build_provider(*provider_args)

    def on_headers(headers: Any) -> None:
        seen = _HEADERS.get()
        if seen is not None:
            picked = _rate_headers(headers)
            if picked:
                seen.append(picked)

    provider.on_headers = on_headers
    gc.freeze()  # what the worker set up lives as long as it does: keep it out of every collection
    reader, writer = await asyncio.open_connection(sock=sock)
    tasks: set[asyncio.Task] = set()

    async def handle(call_id: int, payload: bytes) -> None:
        headers: list[dict[str, str]] = []
        _HEADERS.set(headers)
        reply: tuple[Any, ...]
        try:
            response_model, messages, max_tokens, temperature, context, max_reasks, tools = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - e.g. a class in __main__ a spawned worker cannot import
            writer.write(_dumps((call_id, ("unsendable", f"{type(exc).__name__}: {exc}"), headers)))
            return
        request = LLMRequest(messages, response_model, max_tokens, temperature, context, tools=tools)
        try:
            c = await provider.complete(request, max_reasks)
            reply = ("ok", c.output.model_dump(mode="json"), c.input_tokens, c.output_tokens, c.calls, c.raw)
        except RetryableError as exc:
            reply = ("retry", exc.kind, str(exc), exc.status, exc.retry_after)
        except RejectedRequest as exc:
            reply = ("reject", exc.reason, exc.raw, exc.input_tokens, exc.output_tokens, exc.calls)
        except FatalProviderError as exc:
            reply = ("fatal", str(exc))
        except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it there
            reply = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        writer.write(_dumps((call_id, reply, headers)))

    try:
        while True:
            try:
                call_id, payload = await _read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the parent closed the pipe (done, or gone)
            task = asyncio.create_task(handle(call_id, payload))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await provider.aclose()
        writer.close()


# -- the parent side -------------------------------------------------------------------------------
@dataclass
class _Worker:
    process: Any
    sock: socket.socket
    writer: asyncio.StreamWriter | None = None
    reader_task: asyncio.Task | None = None
    pending: dict[int, asyncio.Future] = field(default_factory=dict)
    alive: bool = True
    calls: int = 0


class WorkerError(Exception):
    """An exception raised inside a worker, re-raised in the parent with the worker's traceback."""


def _start_method() -> str:
    # fork: a worker starts in milliseconds with the SDKs already imported; spawn elsewhere.
    return "fork" if sys.platform.startswith("linux") else "spawn"


class PooledProvider:
    """A provider whose calls run in ``workers`` processes; same interface as the one it wraps."""

    def __init__(self, name: str, model: str | None, base_url: str | None, timeout: float, max_connections: int,
                 workers: int, start_method: str | None = None, create: Callable[..., Any] | None = None) -> None:
        # Built here too: the same early errors as one process (no key, no --base-url), the SDKs
        # imported before the fork, and the fallback for response models that cannot be sent.
        self._local = build_provider(create, name, model, base_url, timeout, max_connections)
        self.name, self.model = self._local.name, self._local.model
        self.on_headers: Callable[[Any], None] | None = None
        self._local.on_headers = self._forward_headers
        self._args = (create, name, self.model, base_url, timeout, max_connections)
        self._ids = itertools.count()
        self._connected: asyncio.Future | None = None
        self.local_calls = 0
        self._warned: set[str] = set()
        self._local_only: set[type] = set()
        self.workers: list[_Worker] = []
        warm_up()
        method = start_method or _start_method()
        if method != "fork" and create is not None and not _picklable(create):
            log.warning("provider '%s' is created by a function a %s worker cannot import; its calls run in this "
                        "process (define the function at module level to run them in workers)", name, method)
            workers = 0
        ctx = multiprocessing.get_context(method)
        sys.stdout.flush()
        sys.stderr.flush()
        if method == "fork":
            # Move what the parent holds out of the collector's reach, for the children: a full
            # collection in a worker would otherwise walk (and copy-on-write) the parent's whole heap.
            gc.freeze()
        for i in range(workers):
            ours, theirs = socket.socketpair()
            # fork copies the parent's ends into the child, which closes them (spawn passes none)
            inherited = [w.sock for w in self.workers] + [ours] if method == "fork" else []
            proc = ctx.Process(target=_worker_main, args=(theirs, self._args, inherited), daemon=True,
                               name=f"factory-worker-{i}")
            proc.start()
            theirs.close()
            self.workers.append(_Worker(proc, ours))
        if method == "fork":
            gc.unfreeze()

    def _forward_headers(self, headers: Any) -> None:
        if self.on_headers is not None:
            self.on_headers(headers)

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers]

    async def _connect(self) -> None:
        if self._connected is None:  # the first call connects; the others wait for it
            self._connected = asyncio.get_running_loop().create_future()
            for w in self.workers:
                reader, w.writer = await asyncio.open_connection(sock=w.sock)
                w.reader_task = asyncio.create_task(self._read_replies(w, reader))
            self._connected.set_result(None)
        await self._connected

    async def _read_replies(self, w: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                call_id, reply, headers = await _read_frame(reader)
                fut = w.pending.pop(call_id, None)
                if fut is not None and not fut.done():
                    fut.set_result((reply, headers))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except Exception as exc:  # noqa: BLE001 - a reply that cannot be read: treat the worker as gone
            log.warning("worker process %s sent an unreadable reply (%s); its calls are retried", w.process.pid, exc)
        finally:
            w.alive = False
            lost = RetryableError("worker_died", f"{self.name}: worker process {w.process.pid} ended with the call "
                                                 "in flight; retried")
            for fut in w.pending.values():
                if not fut.done():
                    fut.set_exception(lost)
            w.pending.clear()

    async def complete(self, request: LLMRequest, max_reasks: int) -> Completion:
        await self._connect()
        live = [w for w in self.workers if w.alive]
        call_id = next(self._ids)
        frame = None
        if live and request.response_model not in self._local_only:
            msg = (request.response_model, request.messages, request.max_tokens, request.temperature,
                   request.context, max_reasks, request.tools)
            try:
                frame = _dumps((call_id, _payload(msg)))
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                name = request.response_model.__qualname__
                self._warn_once(name, f"a request for response model {name} cannot be sent to worker processes "
                                      f"({exc}); such calls run in this process. Define the model at module level "
                                      "(or mark it with factory.llm.workers.rebuildable()) and keep the "
                                      "validation context plain data")
        elif self.workers:
            self._warn_once("", "every worker process has ended; the remaining calls run in this process")
        if frame is None:
            self.local_calls += 1
            return await self._local.complete(request, max_reasks)
        w = min(live, key=lambda x: len(x.pending))
        fut = asyncio.get_running_loop().create_future()
        w.pending[call_id] = fut
        w.calls += 1
        assert w.writer is not None
        w.writer.write(frame)
        try:
            reply, headers = await fut
        finally:
            w.pending.pop(call_id, None)
        for h in headers:
            self._forward_headers(h)
        if reply[0] == "unsendable":  # the worker could not rebuild the request: call it here, from now on
            name = request.response_model.__qualname__
            self._local_only.add(request.response_model)
            self._warn_once(name, f"worker processes cannot load response model {name} ({reply[1]}); such calls "
                                  "run in this process. Define it in an importable module, not in __main__")
            self.local_calls += 1
            return await self._local.complete(request, max_reasks)
        return self._decode(request, reply)

    def _decode(self, request: LLMRequest, reply: tuple[Any, ...]) -> Completion:
        kind = reply[0]
        if kind == "ok":
            _, data, tin, tout, calls, raw = reply
            try:
                output = request.response_model.model_validate(data, context=request.context)
            except Exception as exc:  # noqa: BLE001 - a worker-valid output that is invalid here
                raise RejectedRequest(f"response failed validation in the parent: {exc}", raw, tin, tout,
                                      calls) from None
            return Completion(output, tin, tout, calls, raw)
        if kind == "retry":
            _, rkind, message, status, retry_after = reply
            raise RetryableError(rkind, message, status, retry_after)
        if kind == "reject":
            _, reason, raw, tin, tout, calls = reply
            raise RejectedRequest(reason, raw, tin, tout, calls)
        if kind == "fatal":
            raise FatalProviderError(reply[1])
        raise WorkerError(f"{reply[1]}\n--- in the worker process:\n{reply[2]}")

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

    async def aclose(self) -> None:
        for w in self.workers:
            if w.writer is not None:
                w.writer.close()
            else:
                w.sock.close()
        for w in self.workers:
            if w.reader_task is not None:
                w.reader_task.cancel()
        await asyncio.gather(*(w.reader_task for w in self.workers if w.reader_task), return_exceptions=True)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, _reap, w.process) for w in self.workers))
        self._connected = None
        await self._local.aclose()


def _picklable(obj: Any) -> bool:
    try:
        pickle.dumps(obj)
        return True
    except Exception:  # noqa: BLE001 - any reason it cannot travel
        return False


def _reap(proc: Any, grace: float = 5.0) -> None:
    proc.join(grace)
    if proc.is_alive():
        proc.terminate()
        proc.join(2.0)
    if proc.is_alive():
        proc.kill()
        proc.join()


def worker_count(setting: int, max_concurrency: int) -> int:
    """``workers = 0`` (auto): one process per 20 calls in flight, at most one more than the cores
    (a worker's loop adds queueing delay long before its core is full; measured in bench/)."""
    if setting > 0:
        return setting
    return max(1, min(_cores() + 1, math.ceil(max_concurrency / 20)))


def _cores() -> int:
    """The cores this process may run on (its affinity mask, not the host's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1
