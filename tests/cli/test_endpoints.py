"""Endpoints fail fast and say why: a server that is not there, a wrong base URL, TLS failures (https
to a plain HTTP port, a certificate nobody trusts, a handshake that never comes), a refused key, and
--timeout, driven through the command line as a user would."""

from __future__ import annotations

import socket
import time

import pytest

from factory.testing.loopback import LoopbackServer
from tests.helpers.cli import factory_cli
from tests.helpers.llm import echo, requests, run

LLM_COMMANDS = [("generate", "tool_core"), ("score",), ("enhance",), ("rollout",)]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _generate(tmp_path, base_url: str):
    return factory_cli("generate", "tool_core", "--count", "1", "--provider", "openai-compatible", "--model", "m",
                       "--base-url", base_url, "--out", tmp_path / "data", cwd=tmp_path,
                       env={"OPENAI_API_KEY": "sk-test"}, timeout=120)


def test_a_server_that_is_not_there_stops_the_run_within_seconds_naming_the_url(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.monotonic()
    proc = _generate(tmp_path, url)
    assert time.monotonic() - started < 20  # the process start included; it used to retry for 138 s
    assert proc.returncode == 1, proc.stderr
    assert f"cannot connect to {url}/chat/completions" in proc.stderr
    assert "check --base-url and that the server is running" in proc.stderr and "Traceback" not in proc.stderr


def test_a_wrong_model_or_base_url_stops_at_the_first_404(tmp_path):
    with LoopbackServer(echo) as server:
        server.inject({"status": 404, "message": "The model `m` does not exist."})  # as vLLM answers
        proc = _generate(tmp_path, server.openai_url)
        assert proc.returncode == 1, proc.stderr
        assert "HTTP 404" in proc.stderr and "the base URL or the model name is wrong" in proc.stderr
        assert len(server.requests) == 1  # not retried, not repeated for every record


@pytest.mark.parametrize("command", LLM_COMMANDS)
def test_every_llm_command_takes_timeout(command, tmp_path):
    proc = factory_cli(*command, "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "--timeout SECONDS" in proc.stdout, proc.stdout
    bad = factory_cli(*command, "--timeout", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "--timeout" in bad.stderr


def test_a_request_over_the_timeout_is_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with LoopbackServer(echo) as server:
        server.inject({"delay": 3})
        engine, results = run(server, tmp_path, requests(1), timeout=1)
        assert [r.status for r in results] == ["ok"] and engine.stats.errors["timeout"] == 1


def test_https_to_a_plain_http_server_stops_at_once_naming_the_tls_error(tmp_path):
    with LoopbackServer(echo) as server:
        url = server.openai_url.replace("http://", "https://")
        started = time.monotonic()
        proc = _generate(tmp_path, url)
    assert time.monotonic() - started < 20, proc.stderr
    assert proc.returncode == 1 and f"cannot connect to {url}/chat/completions" in proc.stderr
    assert "WRONG_VERSION_NUMBER" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture()
def self_signed_server(tmp_path):
    """A TLS server on 127.0.0.1 whose certificate no trust store knows."""
    import shutil
    import ssl
    import subprocess
    import threading

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    context.wrap_socket(conn, server_side=True).close()
                except (ssl.SSLError, OSError):
                    pass  # the client refuses the certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    listener.close()


def test_a_certificate_nobody_trusts_stops_the_run_naming_the_tls_error(tmp_path, self_signed_server):
    started = time.monotonic()
    proc = _generate(tmp_path, self_signed_server)
    assert time.monotonic() - started < 20, proc.stderr
    assert proc.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in proc.stderr and "Traceback" not in proc.stderr


def test_a_server_that_accepts_and_never_answers_the_handshake_stops_the_run(tmp_path):
    """Connecting (TCP and TLS) has its own limit, the smaller of 8 s and --timeout: a stalled
    handshake is an unreachable endpoint, not a slow answer to retry for minutes."""
    with socket.create_server(("127.0.0.1", 0)) as mute:  # the kernel completes TCP; nobody speaks TLS
        url = f"https://127.0.0.1:{mute.getsockname()[1]}/v1"
        started = time.monotonic()
        proc = factory_cli("generate", "tool_core", "--count", "1", "--provider", "openai-compatible", "--model", "m",
                           "--base-url", url, "--data", tmp_path / "data", cwd=tmp_path,
                           env={"OPENAI_API_KEY": "sk-test"}, timeout=120)
    assert time.monotonic() - started < 12, proc.stderr  # one stall of 8 s, the process start included
    assert proc.returncode == 1 and "no connection (TCP or TLS handshake) within" in proc.stderr, proc.stderr


@pytest.mark.parametrize("status, words", [(401, "the API key was refused"),
                                           (403, "the API key may not use this model/endpoint")])
def test_a_refused_key_stops_at_the_first_answer(tmp_path, status, words):
    with LoopbackServer(echo) as server:
        server.inject({"status": status, "message": "nope"})
        proc = _generate(tmp_path, server.openai_url)
        assert proc.returncode == 1 and f"HTTP {status}" in proc.stderr and words in proc.stderr, proc.stderr
        assert len(server.requests) == 1


def test_a_host_that_does_not_resolve_stops_the_run_naming_it(tmp_path):
    url = "http://no-such-host.invalid/v1"  # .invalid never resolves (RFC 6761)
    started = time.monotonic()
    proc = _generate(tmp_path, url)
    assert time.monotonic() - started < 30, proc.stderr
    assert proc.returncode == 1 and f"cannot connect to {url}/chat/completions" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
