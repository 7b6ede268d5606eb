"""Built-in LLM providers, registered like any plugin's: ``anthropic``, ``openai``,
``openai-compatible`` (vLLM, Ollama, llama.cpp server, OpenRouter via ``--base-url``) and ``template``
(offline: each category's own generator, the default)."""

from __future__ import annotations

from typing import Any

from factory import hookimpl
from factory.registry import ProviderFactory

PROVIDERS = {
    "anthropic": "Anthropic Messages API (ANTHROPIC_API_KEY), through instructor",
    "openai": "OpenAI Chat Completions (OPENAI_API_KEY), through instructor",
    "openai-compatible": "any OpenAI-compatible server at --base-url (vLLM, Ollama, llama.cpp, OpenRouter)",
}


def create_anthropic(**options: Any) -> Any:
    from factory.llm.builtin import create_provider

    return create_provider("anthropic", **options)


def create_openai(**options: Any) -> Any:
    from factory.llm.builtin import create_provider

    return create_provider("openai", **options)


def create_openai_compatible(**options: Any) -> Any:
    from factory.llm.builtin import create_provider

    return create_provider("openai-compatible", **options)


def create_template(**options: Any) -> None:
    """The offline provider: no client; each category's own generator writes the records."""
    return None


CREATE = {"anthropic": create_anthropic, "openai": create_openai, "openai-compatible": create_openai_compatible}


@hookimpl
def register_providers(register):
    for name, description in PROVIDERS.items():
        register(ProviderFactory(name, CREATE[name], description))
    register(ProviderFactory("template", create_template, "offline: each category's own template generator"))
