"""Servers the tests start as a user would: a free port on 127.0.0.1, and `factory serve` on a GGUF."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def factory_serve(gguf: Path, ctx: int) -> Iterator[str]:
    """`factory serve GGUF` on a free port; yields its OpenAI base URL once /models answers."""
    import httpx2 as httpx

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "factory", "serve", str(gguf), "--port", str(port),
                               "--ctx", str(ctx)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"factory serve did not come up: {server.stderr.read1(2000)!r}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
