"""The providers' wire formats as the loopback server answers them: an OpenAI chat completion and an
Anthropic message built from a payload, and the log entry of a request."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class LoggedRequest:
    time: float
    kind: str  # openai | anthropic
    body: dict
    status: int = 200


def _tokens(obj: Any) -> int:
    return max(1, len(json.dumps(obj)) // 4)


def scripted_turn(content: str = "", calls: list[tuple[str, Any]] | None = None) -> dict:
    """A payload that answers as a model using native tools: ``content`` and ``calls`` as
    ``(name, arguments)`` with arguments a dict (sent as JSON) or a string (sent as it is, so a test
    can send malformed JSON)."""
    return {"__turn__": {"content": content, "calls": [[name, args] for name, args in calls or ()]}}


def _openai_turn(n: int, body: dict, turn: dict) -> dict:
    calls = [{"id": f"call_{n}_{i}", "type": "function",
              "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
             for i, (name, args) in enumerate(turn["calls"])]
    message: dict[str, Any] = {"role": "assistant", "content": turn["content"] or None}
    if calls:
        message["tool_calls"] = calls
    prompt, completion = _tokens(body.get("messages", [])), _tokens(turn)
    return {
        "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "loopback"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop",
                     "logprobs": None}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def _anthropic_turn(n: int, body: dict, turn: dict) -> dict:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": turn["content"]}] if turn["content"] else []
    for i, (name, args) in enumerate(turn["calls"]):
        blocks.append({"type": "tool_use", "id": f"toolu_{n}_{i}", "name": name,
                       "input": json.loads(args) if isinstance(args, str) else args})
    prompt = _tokens([body.get("system", ""), body.get("messages", [])])
    return {
        "id": f"msg_{n}", "type": "message", "role": "assistant", "model": body.get("model", "loopback"),
        "content": blocks, "stop_reason": "tool_use" if turn["calls"] else "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": _tokens(turn)},
    }


def openai_answer(n: int, body: dict, payload: Any, fault: dict) -> dict:
    if isinstance(payload, dict) and "__turn__" in payload:
        return _openai_turn(n, body, payload["__turn__"])
    text = json.dumps(payload)
    if fault.get("truncated"):
        text = text[: len(text) // 2]
    tools = body.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if tools:
        name = tools[0]["function"]["name"]
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name", name)
        message["tool_calls"] = [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": text}}
        ]
        finish = "tool_calls"
    else:
        message["content"] = text
        finish = "stop"
    finish = fault.get("finish_reason", finish)
    prompt, completion = _tokens(body.get("messages", [])), _tokens(text)
    return {
        "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "loopback"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def anthropic_answer(n: int, body: dict, payload: Any, fault: dict) -> dict:
    if isinstance(payload, dict) and "__turn__" in payload:
        return _anthropic_turn(n, body, payload["__turn__"])
    tools = body.get("tools") or []
    if tools:
        block: dict[str, Any] = {"type": "tool_use", "id": f"toolu_{n}", "name": tools[0]["name"], "input": payload}
        stop = "tool_use"
    else:
        text = json.dumps(payload)
        block = {"type": "text", "text": text[: len(text) // 2] if fault.get("truncated") else text}
        stop = "end_turn"
    if fault.get("finish_reason") == "length":
        stop = "max_tokens"
    prompt = _tokens([body.get("system", ""), body.get("messages", [])])
    return {
        "id": f"msg_{n}", "type": "message", "role": "assistant", "model": body.get("model", "loopback"),
        "content": [block], "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": _tokens(payload)},
    }


