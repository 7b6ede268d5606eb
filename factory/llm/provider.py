"""The provider interface, the request/completion records the engine passes around, and the three
outcomes a call can have besides success: retry it, reject it (keep raw output + reason), or stop.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import orjson
from pydantic import BaseModel

from factory.errors import FactoryError

# Environment variable holding each provider's key. openai-compatible servers (vLLM, Ollama,
# llama.cpp) usually need none; OPENAI_API_KEY is sent when set.
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "openai-compatible": "OPENAI_API_KEY"}
BUILTIN_PROVIDERS = tuple(KEY_ENV)  # the LLM providers create_provider builds; plugins register more
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}


@lru_cache(maxsize=256)
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


@dataclass
class LLMRequest:
    """One logical call: messages in, one validated ``response_model`` object out."""

    messages: list[dict[str, str]]  # system first, then user / assistant turns
    response_model: type[BaseModel]
    max_tokens: int = 4096
    temperature: float = 0.0
    # Passed to the response model's validators (semantic checks, e.g. the offered tool names).
    context: dict[str, Any] = field(default_factory=dict)
    # Distinguishes otherwise identical requests (e.g. the n-th call for a subcategory).
    salt: str = ""
    # Caller's handle for the result (a record id, a call index); not part of the cache key.
    tag: Any = None
    # Native tool calling (factory.llm.native): the tools as bare {name, description, parameters}; the
    # answer is an AssistantTurn (text and calls) instead of one structured object.
    tools: list[dict[str, Any]] | None = None
    # Which waiting request gets the next free place first: the lowest, then the first to arrive (a
    # rollout's turns carry the order their rollout started in). Not part of the cache key.
    priority: tuple[int, ...] = ()

    def cache_key(self, provider: str, model: str) -> str:
        """Content address: provider, model, rendered messages, response schema, parameters."""
        parts = [provider, model, self.messages, _schema(self.response_model), self.max_tokens,
                 self.temperature, self.context, self.salt]
        if self.tools is not None:  # only then: the keys of structured requests stay what they were
            parts.append(self.tools)
        blob = orjson.dumps(
            parts,
            option=orjson.OPT_SORT_KEYS,
            default=str,
        )
        return hashlib.sha256(blob).hexdigest()

    def estimated_input_tokens(self) -> int:
        chars = sum(len(m.get("content") or "") for m in self.messages)
        if self.tools is not None:
            chars += len(orjson.dumps(self.tools)) + sum(
                len(c["function"]["arguments"]) for m in self.messages for c in m.get("tool_calls") or ())
        return chars // 4 + 50


@dataclass
class Completion:
    output: BaseModel
    input_tokens: int = 0
    output_tokens: int = 0
    # HTTP calls this logical call took inside the provider (1 + instructor re-asks).
    calls: int = 1
    raw: str = ""


class RetryableError(Exception):
    """429, 500, 502, 503, 529, connection errors and timeouts: back off and try again."""

    def __init__(self, kind: str, message: str, status: int | None = None, retry_after: float | None = None,
                 stalled: bool = False):
        super().__init__(message)
        self.kind, self.status, self.retry_after = kind, status, retry_after
        self.stalled = stalled  # a connection that was accepted and never completed (TLS handshake, ...)


class RejectedRequest(Exception):
    """The call finished but produced nothing usable (validation failed after re-asks, output cut at
    max_tokens, a 400): keep the raw output and the reason, go on with the others."""

    def __init__(self, reason: str, raw: str = "", input_tokens: int = 0, output_tokens: int = 0, calls: int = 1):
        super().__init__(reason)
        self.reason, self.raw = reason, raw
        self.input_tokens, self.output_tokens, self.calls = input_tokens, output_tokens, calls


class FatalProviderError(FactoryError):
    """401/403 and the like: no retry, one clear message, the run stops with what it has."""


class Provider(Protocol):
    name: str
    model: str
    # Called with each HTTP response's headers, so the engine can follow rate-limit headers.
    on_headers: Callable[[Any], None] | None

    async def complete(self, request: LLMRequest, max_reasks: int) -> Completion: ...

    async def aclose(self) -> None: ...


def parse_provider_ref(ref: str) -> tuple[str, str | None]:
    """``openai:gpt-4o-mini`` -> ("openai", "gpt-4o-mini"); ``anthropic`` -> ("anthropic", None)."""
    name, _, model = ref.partition(":")
    return name, model or None


def api_key_for(provider: str, env: dict[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    var = KEY_ENV.get(provider)
    key = env.get(var) if var else None
    if not key and provider in ("openai", "anthropic"):
        raise FatalProviderError(
            f"--provider {provider} needs an API key: set {var} in the environment "
            "(or use --provider openai-compatible --base-url URL for a local server)"
        )
    return key
