"""HTTP/2 where the server offers it: a real HTTP/2 server (hypercorn, TLS with ALPN, a certificate
from a test authority) answers OpenAI chat completions, and every call of the engine rides one
connection as its own stream; a server that offers only HTTP/1.1 gets HTTP/1.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest

from factory.testing.wire import openai_answer
from tests.helpers.llm import echo, requests, run
from tests.helpers.serving import free_port

pytestmark = pytest.mark.usefixtures("keys")
trustme = pytest.importorskip("trustme")
pytest.importorskip("hypercorn")


class ChatServer:
    """OpenAI chat completions over TLS, answered after ``latency`` seconds; logs each request's HTTP
    version and the client's port (one port per connection)."""

    def __init__(self, tmp_path, alpn: list[str], latency: float = 0.05) -> None:
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1")
        self.certfile, self.keyfile = tmp_path / "server.pem", tmp_path / "server.key"
        cert.private_key_and_cert_chain_pem.write_to_path(str(self.certfile))
        cert.private_key_pem.write_to_path(str(self.keyfile))
        self.cafile = tmp_path / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.cafile))
        self.alpn, self.latency, self.port = alpn, latency, free_port()
        self.seen: list[tuple[str, int]] = []
        self._n = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)

    @property
    def openai_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1"

    async def app(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        self.seen.append((scope["http_version"], scope["client"][1]))
        await asyncio.sleep(self.latency)
        request = json.loads(body)
        answer = json.dumps(openai_answer(next(self._n), request, echo("openai", request), {})).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    async def _serve(self) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.certfile, config.keyfile = str(self.certfile), str(self.keyfile)
        config.alpn_protocols = self.alpn
        config.accesslog = config.errorlog = None
        self._stop = asyncio.Event()
        self.ready.set()
        await serve(self.app, config, shutdown_trigger=self._stop.wait)

    def __enter__(self) -> ChatServer:
        self.ready = threading.Event()
        self._thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def _answers(srv: ChatServer, tmp_path, monkeypatch, n: int, concurrency: int):
    monkeypatch.setenv("SSL_CERT_FILE", str(srv.cafile))  # the client trusts the test authority, as a user's CA
    for _ in range(100):  # hypercorn binds after its start-up
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    engine, results = run(SimpleNamespace(openai_url=srv.openai_url), tmp_path, requests(n), max_concurrency=concurrency,
                          workers=1)
    assert sorted(r.output.answer for r in results) == sorted(f"echo q {i}" for i in range(n))
    assert engine.stats.sent == n and not engine.stats.errors
    return srv.seen


def test_calls_share_one_http2_connection_where_the_server_offers_it(tmp_path, monkeypatch):
    with ChatServer(tmp_path, ["h2", "http/1.1"]) as srv:
        seen = _answers(srv, tmp_path, monkeypatch, 60, 20)
    assert {version for version, _ in seen} == {"2"}
    assert len({port for _, port in seen}) == 1  # 60 calls, 20 at once: one connection, one handshake


def test_a_server_that_offers_only_http1_gets_http1(tmp_path, monkeypatch):
    with ChatServer(tmp_path, ["http/1.1"]) as srv:
        seen = _answers(srv, tmp_path, monkeypatch, 40, 10)
    assert {version for version, _ in seen} == {"1.1"}
    assert 1 < len({port for _, port in seen}) <= 10  # kept alive and reused, one per call in flight
