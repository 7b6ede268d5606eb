"""Endpoints fail fast and say why: a server that is not there, a wrong base URL, and --timeout,
driven through the command line as a user would."""

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
