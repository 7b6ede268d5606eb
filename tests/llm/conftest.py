"""Fixtures of the LLM engine tests: a loopback server answering like the providers, and test keys."""

from __future__ import annotations

import pytest

from factory.testing.loopback import LoopbackServer
from tests.helpers.llm import echo


@pytest.fixture
def server():
    with LoopbackServer(echo) as srv:
        yield srv


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-SECRET")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-SECRET")
