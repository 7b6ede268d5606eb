"""The built-in providers by name -- OpenAI, OpenAI-compatible servers and Anthropic -- and the one way
every provider is built (``build_provider``: a registered ``create``, else a built-in by name).

The interface (:mod:`factory.llm.provider`) knows none of its implementations; this module knows them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from factory.errors import FactoryError
from factory.llm.anthropic_provider import AnthropicProvider
from factory.llm.openai_provider import OpenAIProvider
from factory.llm.provider import DEFAULT_MODELS, Provider, api_key_for


def create_provider(
    name: str, model: str | None = None, base_url: str | None = None, timeout: float = 120.0,
    max_connections: int = 100,
) -> Provider:
    """Build a provider by name (built-ins only; plugins register more through ``register_providers``)."""
    if name in ("openai", "openai-compatible"):
        if name == "openai-compatible" and not base_url:
            raise FactoryError("--provider openai-compatible needs --base-url (e.g. http://localhost:8000/v1)")
        if not (model or DEFAULT_MODELS.get(name)):
            raise FactoryError(f"--provider {name} needs --model (the served model's name)")
        return OpenAIProvider(name, model or DEFAULT_MODELS[name], api_key_for(name), base_url, timeout,
                              max_connections)
    if name == "anthropic":
        return AnthropicProvider(model or DEFAULT_MODELS[name], api_key_for(name), base_url, timeout,
                                 max_connections)
    raise FactoryError(f"unknown provider '{name}' (known: anthropic, openai, openai-compatible, template)")


def build_provider(create: Callable[..., Any] | None, name: str, model: str | None = None,
                   base_url: str | None = None, timeout: float = 120.0, max_connections: int = 100) -> Provider:
    """A plugin's provider through its ``create`` (``register_providers``), else a built-in by name."""
    if create is not None:
        try:
            return create(model=model, base_url=base_url, timeout=timeout, max_connections=max_connections)
        except FactoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's create failing: one clear error, no traceback
            where = getattr(create, "__module__", "?")
            raise FactoryError(f"provider '{name}' ({where}) could not be created: {type(exc).__name__}: {exc}") from None
    return create_provider(name, model, base_url, timeout=timeout, max_connections=max_connections)
