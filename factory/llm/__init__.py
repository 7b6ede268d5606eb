"""LLM providers: one interface ("give me a validated pydantic object for these messages") for the
offline template provider and the instructor-backed Anthropic / OpenAI / OpenAI-compatible clients.

Concurrency, rate limits, retries, caching and cost live once around a provider, in
:mod:`factory.llm`; a provider makes exactly one logical call (with instructor's re-asks) and
translates the SDK's errors into :mod:`factory.llm.provider`'s.
"""

from factory.llm.builtin import create_provider
from factory.llm.provider import (
    Completion,
    FatalProviderError,
    LLMRequest,
    Provider,
    RejectedRequest,
    RetryableError,
    parse_provider_ref,
)

__all__ = [
    "Completion", "FatalProviderError", "LLMRequest", "Provider", "RejectedRequest", "RetryableError",
    "create_provider", "parse_provider_ref",
]
