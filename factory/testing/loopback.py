"""A loopback LLM provider on 127.0.0.1 speaking the real wire protocols, for tests and benchmarks.

It answers OpenAI chat completions (``POST /v1/chat/completions``) and Anthropic messages
(``POST /v1/messages``) as the real services do -- tool calls / ``tool_use`` blocks, usage, error
bodies, rate-limit headers -- so the real ``openai`` / ``anthropic`` SDKs and instructor can be driven
through ``base_url``. What it answers is scripted by a ``responder(kind, body) -> dict`` (the structured
object the "model" returns); faults queued with :meth:`LoopbackServer.inject` replace the next answers:

- ``{"status": 429, "retry_after": 1}`` / ``{"status": 500}`` / ``{"status": 529}`` / ``{"status": 401}``
- ``{"delay": 5}``: answer only after 5 s (past a client timeout)
- ``{"truncated": True}``: the JSON of the tool arguments is cut in half
- ``{"payload": {...}}``: answer this object instead (e.g. one that fails the response schema)
- ``{"finish_reason": "length"}``: the output stops at max_tokens

Small self-hosted servers (a llama.cpp server, one vLLM, a company gateway) behave differently from
the big APIs, and the client must be fast against them too; three options imitate them:
``backlog=5`` (a shallow accept queue: a burst of new connections overflows it and the kernel drops
the extra SYNs, which the client's kernel retries a second later), ``keep_alive=False`` (one answer per
connection, ``connection: close``) and ``throttle_every=7`` (every 7th chat request is refused with 429,
``throttle_retry_after`` seconds in its Retry-After header when set).

Batch APIs (see :mod:`factory.testing.loopback_batches`): OpenAI ``/v1/files`` (upload, content) and
``/v1/batches`` (create, retrieve), Anthropic ``/v1/messages/batches`` (create, retrieve, results). A
batch stays ``in_progress`` until :meth:`LoopbackServer.end_batches` (or at once with
``batch_auto_end``); each of its requests then takes the next scripted outcome queued with
:meth:`LoopbackServer.script_batch` (``"success"``, ``"error"``, ``"refused"``, ``"expired"`` or ``{"payload": ...}``),
success when none is queued, answered by the same responder as the online path.

Every request is logged (time, kind, body) so a test can count what really reached the "provider".
Run it standalone for benchmarks: ``python -m factory.testing.loopback --port 0 --latency 0.2``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from factory.testing.loopback_batches import batch_route, end_batches
from factory.testing.wire import LoggedRequest, anthropic_answer, openai_answer

Responder = Callable[[str, dict], Any]


def default_responder(kind: str, body: dict) -> Any:
    """Answers ``{"answer": "ok"}``: enough for a response model with one string field."""
    return {"answer": "ok"}


def _last_user_text(body: dict) -> str:
    for msg in reversed(body.get("messages", [])):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


@dataclass
class LoopbackState:
    responder: Responder = default_responder
    latency: float = 0.0
    # Headers added to every successful answer (e.g. rate-limit headers).
    headers: dict[str, str] = field(default_factory=dict)
    faults: deque = field(default_factory=deque)
    log: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Any = field(default_factory=lambda: itertools.count(1))
    # Batch APIs: uploaded files, batch jobs, queued per-request outcomes, the request lines processed.
    files: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)
    batch_outcomes: deque = field(default_factory=deque)
    batch_lines: list = field(default_factory=list)
    batch_auto_end: bool = False
    keep_alive: bool = True
    throttle_every: int = 0
    throttle_retry_after: float | None = None
    connections: int = 0  # accepted so far


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 529: "Overloaded"}


def _answer(state: LoopbackState, path: str, body: dict) -> tuple[int, dict, Any, float]:
    """(status, headers, JSON body, delay) for one request; every request is logged first."""
    path = path.split("?")[0].rstrip("/")
    if path.endswith("/chat/completions"):
        kind = "openai"
    elif path.endswith("/messages"):
        kind = "anthropic"
    else:
        return 404, {}, {"error": {"message": f"no route {path}", "type": "not_found"}}, 0.0
    with state.lock:
        fault = state.faults.popleft() if state.faults else {}
        entry = LoggedRequest(time.time(), kind, body)
        state.log.append(entry)
        n = next(state.ids)
    if not fault and state.throttle_every and n % state.throttle_every == 0:
        fault = {"status": 429, "message": "loopback: rate limit (every request that is a multiple of "
                                           f"{state.throttle_every})"}
        if state.throttle_retry_after is not None:
            fault["retry_after"] = state.throttle_retry_after
    delay = state.latency + fault.get("delay", 0.0)
    status = fault.get("status", 200)
    entry.status = status
    if status != 200:
        headers = {"retry-after": str(fault["retry_after"])} if "retry_after" in fault else {}
        etype = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        message = fault.get("message", f"loopback fault {status}")
        if kind == "openai":
            return status, headers, {"error": {"message": message, "type": etype, "code": None}}, delay
        return status, headers, {"type": "error", "error": {"type": etype, "message": message}}, delay
    payload = fault["payload"] if "payload" in fault else state.responder(kind, body)
    if kind == "openai":
        return 200, dict(state.headers), openai_answer(n, body, payload, fault), delay
    return 200, dict(state.headers), anthropic_answer(n, body, payload, fault), delay


async def _serve_connection(state: LoopbackState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 with keep-alive, as the SDKs' connection pools expect (or one answer per connection)."""
    closing = [] if state.keep_alive else ["connection: close"]
    try:
        first = await reader.readexactly(1)
        if first == b"\x16":  # a TLS ClientHello on a plain HTTP port: answer as HTTP servers do, and close
            writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
            return
        while True:
            head = first + await reader.readuntil(b"\r\n\r\n")
            first = b""
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length") or 0)
            raw = await reader.readexactly(length) if length else b""
            routed = batch_route(state, method, path, headers, raw)
            if routed is not None:
                status, ctype, data = routed
                out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", f"content-type: {ctype}",
                       f"content-length: {len(data)}", *closing]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
                await writer.drain()
                if closing:
                    break
                continue
            body = json.loads(raw or b"{}") if method == "POST" else {}
            status, extra, obj, delay = _answer(state, path, body)
            if delay:
                await asyncio.sleep(delay)
            data = json.dumps(obj).encode()
            out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "content-type: application/json",
                   f"content-length: {len(data)}", *(f"{k}: {v}" for k, v in extra.items()), *closing]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + data)
            await writer.drain()
            if closing:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
        pass  # the client closed the connection (or gave up waiting: a timeout test), or we stop
    finally:
        writer.close()


class LoopbackServer:
    """``with LoopbackServer(responder) as srv:`` -- ``srv.openai_url`` / ``srv.anthropic_url``.

    An asyncio server on its own thread: cheap enough per request that a benchmark measures the
    client, not the server."""

    def __init__(self, responder: Responder = default_responder, latency: float = 0.0, port: int = 0,
                 backlog: int = 512, keep_alive: bool = True, throttle_every: int = 0,
                 throttle_retry_after: float | None = None) -> None:
        self.state = LoopbackState(responder=responder, latency=latency, keep_alive=keep_alive,
                                   throttle_every=throttle_every, throttle_retry_after=throttle_retry_after)
        self._port = port
        self._backlog = backlog
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, *faults: dict) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    @property
    def requests(self) -> list[LoggedRequest]:
        with self.state.lock:
            return list(self.state.log)

    def script_batch(self, *outcomes: Any) -> None:
        """Outcomes for the next batch requests processed: "success", "error", "expired", {"payload": ...}."""
        with self.state.lock:
            self.state.batch_outcomes.extend(outcomes)

    def end_batches(self) -> int:
        """Process every in-progress batch job now (in_progress -> ended); returns how many ended."""
        return end_batches(self.state)

    @property
    def batch_auto_end(self) -> bool:
        return self.state.batch_auto_end

    @batch_auto_end.setter
    def batch_auto_end(self, value: bool) -> None:
        self.state.batch_auto_end = value

    def prompts(self, status: int | None = 200) -> list[str]:
        """The last user message of each logged request (only those answered ``status``)."""
        return [_last_user_text(r.body) for r in self.requests if status is None or r.status == status]

    def start(self) -> LoopbackServer:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            self._tasks.add(task)
            self.state.connections += 1
            try:
                await _serve_connection(self.state, reader, writer)
            finally:
                self._tasks.discard(task)

        async def serve() -> asyncio.AbstractServer:
            return await asyncio.start_server(connection, "127.0.0.1", self._port, backlog=self._backlog)

        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result()
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--payload", default='{"answer": "ok"}', help="JSON object every request is answered with")
    ap.add_argument("--backlog", type=int, default=512, help="the listening socket's accept queue (5 = a small server)")
    ap.add_argument("--no-keep-alive", action="store_true", help="one answer per connection (connection: close)")
    ap.add_argument("--throttle-every", type=int, default=0, metavar="N", help="answer every Nth request with 429")
    ap.add_argument("--throttle-retry-after", type=float, default=None, metavar="S",
                    help="the Retry-After those 429s carry (none by default)")
    args = ap.parse_args()
    payload = json.loads(args.payload)
    srv = LoopbackServer(lambda kind, body: payload, latency=args.latency, port=args.port, backlog=args.backlog,
                         keep_alive=not args.no_keep_alive, throttle_every=args.throttle_every,
                         throttle_retry_after=args.throttle_retry_after).start()
    print(srv.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
