"""The providers' structured calls post instructor's request body as it is (no SDK transform): the
server receives the same JSON as through the SDK's own ``create``, and instructor's refusal of
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


def _send(provider, messages) -> None:
    async def go() -> None:
        try:
            await provider.complete(LLMRequest(messages, Answer, max_tokens=64, temperature=0.3), 1)
        finally:
            await provider.aclose()

    asyncio.run(go())


def _through_sdk_create(provider, kind: str) -> None:
    """The same provider, its instructor client built the stock way (over the SDK's ``create``)."""
    if kind == "openai":
        provider._client = instructor.from_openai(provider._sdk, mode=instructor.Mode.TOOLS)
    else:
        provider._client = instructor.from_anthropic(provider._sdk, mode=instructor.Mode.TOOLS)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_structured_calls_send_the_body_the_sdks_create_sends(server, kind):
    url = server.openai_url if kind == "openai" else server.anthropic_url
    _send(create_provider(kind, "m-1", url), MESSAGES)
    stock = create_provider(kind, "m-1", url)
    _through_sdk_create(stock, kind)
    _send(stock, MESSAGES)
    ours, theirs = server.requests
    assert ours.kind == theirs.kind == kind
    assert ours.body == theirs.body
    assert ours.body["messages"][-1]["content"] == MESSAGES[-1]["content"]
    assert ours.body["tools"] and ours.body["max_tokens"] == 64


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

    for _ in range(2):
        with pytest.raises(ValueError, match="async validators are not supported"):
            async_validators.reject_async_validators(prepared_model(Strict))
        async_validators.reject_async_validators(prepared_model(Plain))
    assert async_validators.reject_async_validators.remembers
