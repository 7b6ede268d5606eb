"""The OpenAI provider's structured calls post instructor's request body as it is (no SDK transform):
the server receives the same JSON as through the SDK's own ``create``; and instructor's refusal of
async validators still holds once its check is remembered."""

from __future__ import annotations

import asyncio

import instructor
import pytest
from pydantic import BaseModel

from factory.llm import LLMRequest, create_provider
from factory.llm.sdk import prepared_model, remember_async_validator_check
from tests.helpers.llm import Answer

pytestmark = pytest.mark.usefixtures("keys")

# Values that the SDK's transform would rename or convert if the body were not plain JSON already.
MESSAGES = [{"role": "system", "content": "be brief"},
            {"role": "user", "content": "q {{ not a template }} \u00e9\u00e8 \u2603 \"quoted\"\n  spaced  "}]


def _send(provider, messages, model=Answer) -> None:
    async def go() -> None:
        try:
            await provider.complete(LLMRequest(messages, model, max_tokens=64, temperature=0.3), 1)
        finally:
            await provider.aclose()

    asyncio.run(go())


def _send_model(provider, model) -> None:
    _send(provider, MESSAGES, model)


def test_structured_calls_send_the_body_the_sdks_create_sends(server):
    _send(create_provider("openai", "m-1", server.openai_url), MESSAGES)
    stock = create_provider("openai", "m-1", server.openai_url)
    stock._client = instructor.from_openai(stock._sdk, mode=instructor.Mode.TOOLS)  # over the SDK's create
    _send(stock, MESSAGES)
    ours, theirs = server.requests
    assert ours.kind == theirs.kind == "openai"
    assert ours.body == theirs.body
    assert ours.body["messages"][-1]["content"] == MESSAGES[-1]["content"]
    assert ours.body["tools"] and ours.body["max_tokens"] == 64 and ours.body["temperature"] == 0.3


def test_a_model_with_an_async_validator_is_still_refused_every_time():
    from instructor.v2.validation import async_validators

    remember_async_validator_check()

    class Strict(BaseModel):
        answer: str

        @async_validators.async_field_validator("answer")
        async def check(cls, v):
            return v

    class Plain(BaseModel):
        answer: str

    from instructor.v2.core import patch as patch_module

    for check in (async_validators.reject_async_validators, patch_module.reject_async_validators) * 2:
        assert check.remembers  # the remembered one, where instructor's wrapper and client look it up
        with pytest.raises(ValueError, match="async validators are not supported"):
            check(prepared_model(Strict))
        check(prepared_model(Plain))


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_call_with_an_async_validator_model_is_refused_before_anything_is_sent(server, kind):
    from instructor.v2.validation import async_validators

    class Strict(BaseModel):
        answer: str

        @async_validators.async_field_validator("answer")
        async def check(cls, v):
            return v

    url = server.openai_url if kind == "openai" else server.anthropic_url
    for _ in range(2):
        with pytest.raises(ValueError, match="async validators are not supported"):
            _send_model(create_provider(kind, "m-1", url), Strict)
    assert not server.requests
