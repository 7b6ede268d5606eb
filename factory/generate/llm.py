"""The generic LLM generator: any category, any provider. The category's agent spec body is the system
prompt; each call asks for several examples (``provider.examples_per_call`` in the spec) as a pydantic
response model through instructor; semantic checks -- every tool call names an offered tool, with
arguments valid against its JSON schema; user first, assistant last -- run inside the model's
validation, so a failure is re-asked with the exact error, and after the re-ask limit the raw output
and the reason go to the rejects file.

Also owns the conversation turn models the enhancer reuses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field, ValidationInfo, model_validator

from factory.llm import LLMRequest
from factory.schemas import Example
from factory.store.jsonl import JsonlWriter

# Waves of calls a subcategory may take before the generator gives up (the host then reports it).
MAX_WAVES = 4
# Ask for this much more than needed: duplicates and invalid records are dropped by the host.
OVERSHOOT = 1.25


class TurnCall(BaseModel):
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class ConversationTurn(BaseModel):
    role: Literal["user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[TurnCall] = Field(default_factory=list)


def check_turns(turns: list[ConversationTurn], ctx: dict[str, Any]) -> None:
    """Semantic checks shared by generation and enhancement; raises ValueError with a precise reason."""
    if turns[0].role != "user":
        raise ValueError("the first turn must be the user's")
    if turns[-1].role != "assistant":
        raise ValueError("the last turn must be the assistant's")
    offered = ctx.get("tool_names")
    schemas = ctx.get("tool_schemas") or {}
    validator = None
    if schemas:
        from factory.quality.validate import RecordValidator

        validator = RecordValidator()
    for i, turn in enumerate(turns):
        if turn.role == "assistant" and not turn.tool_calls and not (turn.content or "").strip():
            raise ValueError(f"messages[{i}]: an assistant turn needs content or tool_calls")
        if turn.role != "assistant" and turn.tool_calls:
            raise ValueError(f"messages[{i}]: only assistant turns call tools")
        for call in turn.tool_calls:
            if offered is not None and call.name not in offered:
                raise ValueError(f"messages[{i}] calls '{call.name}', which the record does not offer; "
                                 f"offered tools: {', '.join(sorted(offered)) or 'none'}")
            if validator is not None and call.name in schemas:
                issues = validator.call_issues(call.name, call.arguments, {call.name: schemas[call.name]})
                if issues:
                    raise ValueError(f"messages[{i}]: {issues[0].kind}: {issues[0].detail}")


def turns_to_messages(turns: list[ConversationTurn], system: str | None) -> list[dict[str, Any]]:
    """Factory messages: tool-call ids assigned in order, tool results answering the pending calls."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    pending: list[tuple[str, str]] = []
    n = 0
    for turn in turns:
        if turn.role == "tool":
            cid, name = pending.pop(0) if pending else (f"call_{n}", "")
            out.append({"role": "tool", "content": turn.content or "", "tool_call_id": cid,
                        **({"name": name} if name else {})})
            continue
        msg: dict[str, Any] = {"role": turn.role, "content": turn.content}
        if turn.tool_calls:
            calls = []
            for c in turn.tool_calls:
                n += 1
                calls.append({"id": f"call_{n}", "type": "function",
                              "function": {"name": c.name, "arguments": c.arguments}})
                pending.append((f"call_{n}", c.name))
            msg["tool_calls"] = calls
        if msg["content"] is None and turn.role != "assistant":
            msg["content"] = ""
        out.append({k: v for k, v in msg.items() if v is not None})
    return out


class GeneratedConversation(BaseModel):
    messages: list[ConversationTurn] = Field(min_length=2)


class GeneratedBatch(BaseModel):
    """Several distinct training conversations."""

    examples: list[GeneratedConversation] = Field(min_length=1)

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> GeneratedBatch:
        ctx = info.context or {}
        for j, ex in enumerate(self.examples):
            try:
                check_turns(ex.messages, ctx)
            except ValueError as exc:
                raise ValueError(f"examples[{j}]: {exc}") from None
        return self


GENERATE_PROMPT = """Write {k} distinct training conversations for the subcategory "{sub}" of the
category "{category}" ({description}). Vary the requests, names, files and details; never repeat a
user request. Each conversation: the user's turn, then the assistant's answer or tool calls (with the
tool results as "tool" turns and the assistant's follow-up, when the task needs them), ending on the
assistant. Call only the offered tools, by exact name, with arguments valid against their schemas.
This is request {call} of a series: make these different from what an earlier request would produce.

Offered tools:
{tools}"""


class LLMGenerator:
    """A :class:`factory.registry.Generator` that asks an LLM through an
    :class:`~factory.llm.session.EngineSession`. Rejected calls are kept for :meth:`write_rejects`."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.rejects: list[dict[str, Any]] = []

    def _request(self, ctx: Any, sub: str, k: int, call: int) -> LLMRequest:
        tools = ctx.toolset.tools if ctx.toolset else []
        listing = [{"name": t["function"]["name"], "description": t["function"].get("description", "")[:300],
                    "parameters": t["function"].get("parameters", {})} for t in tools]
        prompt = GENERATE_PROMPT.format(k=k, sub=sub, category=ctx.category, description=ctx.spec.description,
                                        call=call + 1, tools=orjson.dumps(listing).decode() if listing else "none")
        context = {"tool_names": sorted(t["function"]["name"] for t in tools) if tools else [],
                   "tool_schemas": {t["function"]["name"]: t for t in tools}}
        hints = ctx.spec.provider
        return LLMRequest([{"role": "system", "content": ctx.spec.body}, {"role": "user", "content": prompt}],
                          GeneratedBatch, max_tokens=hints.max_tokens, temperature=hints.temperature,
                          context=context, salt=f"{ctx.category}:{sub}:{ctx.seed}:{call}", tag=call)

    def generate(self, ctx: Any, subcategory: str, count: int) -> Iterator[Example]:
        k = ctx.spec.provider.examples_per_call
        tools = ctx.toolset.tools if ctx.toolset else []
        next_call, produced = 0, 0
        for _wave in range(MAX_WAVES):
            calls = max(1, math.ceil((count - produced) * OVERSHOOT / k))
            reqs = [self._request(ctx, subcategory, k, c) for c in range(next_call, next_call + calls)]
            next_call += calls
            answers: dict[int, Any] = {}
            self.session.run(reqs, lambda r: answers.__setitem__(r.request.tag, r), total=len(reqs))  # noqa: B023 - runs now
            for call in sorted(answers):  # call order, not completion order: same answers, same file
                res = answers[call]
                if res.status != "ok":
                    self.rejects.append({"category": ctx.category, "subcategory": subcategory, "call": call,
                                         "reason": res.reason, "raw": res.raw})
                    continue
                for conv in res.output.examples:
                    produced += 1
                    yield ctx.example(subcategory, turns_to_messages(conv.messages, None), tools=tools,
                                      call=call)
            if produced >= count * OVERSHOOT:
                return

    def write_rejects(self, path: str | Path) -> int:
        """Write the rejected calls to ``path``; with none, no file (and an older one is removed, so what
        is there always belongs to this run)."""
        if not self.rejects:
            Path(path).unlink(missing_ok=True)
            return 0
        with JsonlWriter(path) as w:
            w.write_many(self.rejects)
        return len(self.rejects)
