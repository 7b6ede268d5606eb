"""OpenAI and OpenAI-compatible servers (vLLM, Ollama, llama.cpp server, OpenRouter) through
instructor in TOOLS mode: the response model becomes a function the model must call."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from factory.llm.native import openai_messages, openai_tools, turn_from_openai
from factory.llm.provider import Completion, LLMRequest, RejectedRequest
from factory.llm.sdk import (
    CALLS,
    http_client,
    prepared_model,
    request_timeout,
    structured_client,
    translate,
    verbatim,
)


def _raw(completion: Any) -> str:
    try:
        msg = completion.choices[0].message
        if msg.tool_calls:
            return msg.tool_calls[0].function.arguments or ""
        return msg.content or ""
    except (AttributeError, IndexError):
        return ""


def _usage(completion: Any) -> tuple[int, int]:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


class OpenAIProvider:
    def __init__(self, name: str, model: str, api_key: str | None, base_url: str | None, timeout: float,
                 max_connections: int = 100) -> None:
        from openai import AsyncOpenAI

        self.name, self.model = name, model
        self.on_headers: Callable[[Any], None] | None = None
        self._http = http_client(lambda: self.on_headers, timeout, max_connections)
        # The engine owns retries: the SDK's own must be off or every failure is retried twice over.
        self._sdk = AsyncOpenAI(api_key=api_key or "none", base_url=base_url, max_retries=0, timeout=request_timeout(timeout),
                                http_client=self._http)
        self._client = structured_client(self._sdk)

    async def complete(self, request: LLMRequest, max_reasks: int) -> Completion:
        CALLS.set([])
        if request.tools is not None:
            return await self._native(request)
        try:
            output, completion = await self._client.chat.completions.create_with_completion(
                model=self.model, messages=verbatim(request.messages, request.context),
                response_model=prepared_model(request.response_model),
                max_retries=max_reasks, context=request.context, max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        except Exception as exc:
            raise translate(exc, self.name, _raw, _usage) from exc
        tin, tout = _usage(completion)
        return Completion(output, tin, tout, len(CALLS.get() or []) or 1, _raw(completion))

    async def _native(self, request: LLMRequest) -> Completion:
        """One turn with the tools as the API's own ``tools``: text and calls come back as they are."""
        from openai.types.chat import ChatCompletion

        body: dict[str, Any] = {"model": self.model, "messages": openai_messages(request.messages),
                                "max_tokens": request.max_tokens, "temperature": request.temperature}
        if request.tools:
            body["tools"] = openai_tools(request.tools)
        try:
            # The SDK's own post: its HTTP client, error types and response parsing, without
            # ``create``'s recursive TypedDict transform of the messages (~15 ms of CPU for a
            # conversation of twenty turns; the body is plain JSON already).
            completion = await self._sdk.post("/chat/completions", body=body, cast_to=ChatCompletion)
        except Exception as exc:
            raise translate(exc, self.name, _raw, _usage) from exc
        tin, tout = _usage(completion)
        try:
            turn = turn_from_openai(completion)
        except (AttributeError, IndexError, TypeError) as exc:
            raise RejectedRequest(f"the answer is not a chat completion: {exc}", "", tin, tout) from None
        raw = turn.model_dump_json()
        if turn.finish == "length":
            raise RejectedRequest("output cut at max_tokens (finish_reason length)", raw, tin, tout)
        return Completion(turn, tin, tout, len(CALLS.get() or []) or 1, raw)

    async def aclose(self) -> None:
        await self._sdk.close()


def raw_json(completion: Any) -> Any:
    text = _raw(completion)
    try:
        return json.loads(text)
    except ValueError:
        return text
