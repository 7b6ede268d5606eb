"""Native tool calling: the model gets the tool set as the API's own ``tools`` and answers with text
and tool calls, which the caller executes (a rollout), instead of one structured object.

A conversation is kept in OpenAI's chat form -- ``assistant`` messages with ``tool_calls`` whose
``arguments`` are the JSON text the model sent, ``tool`` messages answering them -- and translated
for Anthropic's Messages API (``tool_use`` / ``tool_result`` blocks, the system prompt apart). The
answer is an :class:`AssistantTurn`, so the engine caches, prices and validates it like any output.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field


class NativeCall(BaseModel):
    id: str
    name: str
    arguments: str = "{}"  # the JSON text as the model sent it (may be malformed: the caller judges)


class AssistantTurn(BaseModel):
    """One assistant message: text, tool calls, or both."""

    content: str = ""
    calls: list[NativeCall] = Field(default_factory=list)
    finish: str = ""  # the provider's stop reason

    def message(self) -> dict[str, Any]:
        """The turn as an OpenAI chat message (what goes back into the conversation)."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.calls:
            msg["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                                 for c in self.calls]
        return msg


def function_specs(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI ``{"type": "function", "function": {...}}`` schemas -> bare ``{name, description, parameters}``."""
    out = []
    for t in tools:
        fn = t.get("function", t)
        out.append({"name": fn["name"], "description": fn.get("description", ""),
                    "parameters": fn.get("parameters") or {"type": "object", "properties": {}}})
    return out


def openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": t} for t in tools]


def anthropic_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": t["name"], "description": t.get("description", ""), "input_schema": t["parameters"]}
            for t in tools]


def _input(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def anthropic_messages(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(system, messages) for the Messages API: tool calls as ``tool_use`` blocks, consecutive tool
    results as one user message of ``tool_result`` blocks, turns of one role joined."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system" and m.get("content"))
    out: list[dict[str, Any]] = []

    def push(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for m in messages:
        role = m["role"]
        if role == "system":
            continue
        if role == "tool":
            block = {"type": "tool_result", "tool_use_id": m["tool_call_id"], "content": m.get("content") or ""}
            if m.get("is_error"):
                block["is_error"] = True
            push("user", [block])
        elif role == "assistant":
            blocks: list[dict[str, Any]] = []
            if m.get("content"):
                blocks.append({"type": "text", "text": m["content"]})
            for c in m.get("tool_calls") or []:
                fn = c["function"]
                blocks.append({"type": "tool_use", "id": c["id"], "name": fn["name"], "input": _input(fn["arguments"])})
            push("assistant", blocks)
        else:
            push("user", [{"type": "text", "text": m.get("content") or ""}])
    return system, out


def openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as chat completions take it (our extra keys dropped). An assistant turn that only
    calls tools carries ``content: ""``, not null: both are valid for OpenAI, and strict servers
    (llama-cpp-python's, among others) refuse the null."""
    out = []
    for m in messages:
        msg = {k: v for k, v in m.items() if k in {"role", "content", "tool_calls", "tool_call_id", "name"}}
        if msg.get("role") == "assistant" and msg.get("content") is None:
            msg["content"] = ""
        out.append(msg)
    return out


def turn_from_openai(completion: Any) -> AssistantTurn:
    choice = completion.choices[0]
    msg = choice.message
    calls = [NativeCall(id=c.id or f"call_{i}", name=c.function.name, arguments=c.function.arguments or "{}")
             for i, c in enumerate(msg.tool_calls or [])]
    return AssistantTurn(content=msg.content or "", calls=calls, finish=choice.finish_reason or "")


def turn_from_anthropic(message: Any) -> AssistantTurn:
    text, calls = [], []
    for block in message.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            text.append(block.text)
        elif kind == "tool_use":
            calls.append(NativeCall(id=block.id, name=block.name, arguments=json.dumps(block.input)))
    return AssistantTurn(content="\n".join(text), calls=calls, finish=message.stop_reason or "")
