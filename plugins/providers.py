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


def _create(name: str) -> Any:
    def create(**options: Any) -> Any:
        from factory.llm import create_provider

        return create_provider(name, **options)

    return create


@hookimpl
def register_providers(register):
    for name, description in PROVIDERS.items():
        register(ProviderFactory(name, _create(name), description))
    register(ProviderFactory("template", lambda **_: None, "offline: each category's own template generator"))
