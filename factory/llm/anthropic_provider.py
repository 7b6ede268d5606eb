"""Anthropic Messages through instructor in TOOLS mode (the response model is a tool the
model must use). The system prompt travels in ``system``, as the Messages API wants it. The 2.x SDK's
``messages.create`` takes no ``temperature`` (newer models fix it), so none is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from factory.llm.native import anthropic_messages, anthropic_tools, turn_from_anthropic
from factory.llm.provider import Completion, LLMRequest, RejectedRequest
from factory.llm.sdk import (
    CALLS,
    http_client,
    prepared_model,
    remember_async_validator_check,
    request_timeout,
    translate,
    verbatim,
)


def _raw(message: Any) -> str:
    parts = []
    for block in getattr(message, "content", None) or []:
        if getattr(block, "type", "") == "tool_use":
            parts.append(json.dumps(block.input))
        elif getattr(block, "type", "") == "text":
            parts.append(block.text)
    return "\n".join(parts)


def _usage(message: Any) -> tuple[int, int]:
    usage = getattr(message, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.input_tokens or 0), int(usage.output_tokens or 0)


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float,
                 max_connections: int = 100) -> None:
        import instructor
        from anthropic import AsyncAnthropic

        self.model = model
        self.on_headers: Callable[[Any], None] | None = None
        self._http = http_client(lambda: self.on_headers, timeout, max_connections)
        self._sdk = AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=request_timeout(timeout),
                                   http_client=self._http)
        # The SDK's own create here: unlike the openai SDK's, it does not transform the body again.
        self._client = instructor.from_anthropic(self._sdk, mode=instructor.Mode.TOOLS)
        remember_async_validator_check()

    async def complete(self, request: LLMRequest, max_reasks: int) -> Completion:
        CALLS.set([])
        if request.tools is not None:
            return await self._native(request)
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        messages = verbatim([m for m in request.messages if m["role"] != "system"], request.context)
        kwargs: dict[str, Any] = {"system": system} if system else {}
        try:
            output, message = await self._client.messages.create_with_completion(
                model=self.model, messages=messages, response_model=prepared_model(request.response_model),
                max_retries=max_reasks, context=request.context, max_tokens=request.max_tokens, **kwargs,
            )
        except Exception as exc:
            raise translate(exc, self.name, _raw, _usage) from exc
        tin, tout = _usage(message)
        return Completion(output, tin, tout, len(CALLS.get() or []) or 1, _raw(message))

    async def _native(self, request: LLMRequest) -> Completion:
        """One turn with the tools as the Messages API's ``tools`` (``tool_use`` / ``tool_result`` blocks)."""
        system, messages = anthropic_messages(request.messages)
        kwargs: dict[str, Any] = {"system": system} if system else {}
        if request.tools:
            kwargs["tools"] = anthropic_tools(request.tools)
        try:
            message = await self._sdk.messages.create(model=self.model, messages=messages,
                                                      max_tokens=request.max_tokens, **kwargs)
        except Exception as exc:
            raise translate(exc, self.name, _raw, _usage) from exc
        tin, tout = _usage(message)
        turn = turn_from_anthropic(message)
        raw = turn.model_dump_json()
        if turn.finish == "max_tokens":
            raise RejectedRequest("output cut at max_tokens (stop_reason max_tokens)", raw, tin, tout)
        return Completion(turn, tin, tout, len(CALLS.get() or []) or 1, raw)

    async def aclose(self) -> None:
        await self._sdk.close()
