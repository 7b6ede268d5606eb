"""Shared data for the score / enhance tests: records (a content tool whose calls carry
a context object) in good and poor versions, and a loopback responder that judges and rewrites them."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import orjson
from pydantic import BaseModel, field_validator

from factory.config import EngineConfig
from factory.llm import LLMRequest, create_provider
from factory.llm.engine import Engine
from factory.llm.ledger import Ledger

TOOL = {"type": "function", "function": {
    "name": "contentManager_createContent",
    "description": "Create a note in the vault.",
    "parameters": {"type": "object", "required": ["filePath", "content", "context"], "properties": {
        "filePath": {"type": "string"}, "content": {"type": "string"},
        "context": {"type": "object", "properties": {
            "sessionMemory": {"type": "string"}, "toolContext": {"type": ["string", "object"]},
            "primaryGoal": {"type": "string"}, "subgoal": {"type": "string"}}}}}}}
OTHER_TOOL = {"type": "function", "function": {"name": "vaultManager_listFolder", "parameters": {
    "type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}}}
KEY = "sk-test-DO-NOT-LEAK-4242"


def rich_context(n: int) -> dict:
    return {"sessionMemory": f"Earlier today we reviewed sprint {n}: 3 blockers in api/auth.py, the flaky "
                             f"test_login_{n} and a pending migration 00{n}_users; the user asked for notes.",
            "toolContext": f"Creating the note now keeps the {n} decisions from the standup in the vault where "
                           "the team looks for them, before the details are forgotten.",
            "primaryGoal": f"Keep a written record of sprint {n}",
            "subgoal": f"Write the standup summary for day {n}"}


def good_record(n: int) -> dict:
    return {"category": "notes", "subcategory": "create",
            "messages": [{"role": "user", "content": f"Can you write up today's standup #{n} as a note? We "
                                                     "covered the auth blockers and the flaky login test."},
                         {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                             "name": "contentManager_createContent",
                             "arguments": {"filePath": f"notes/standup-{n}.md", "content": f"# Standup {n}\n- auth",
                                           "context": rich_context(n)}}}]}],
            "tools": [TOOL, OTHER_TOOL]}


def poor_record(n: int) -> dict:
    return {"category": "notes", "subcategory": "create",
            "messages": [{"role": "user", "content": f"Result: {{\"ok\": true, \"id\": {n}}}"},
                         {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                             "name": "contentManager_createContent",
                             "arguments": {"filePath": f"n{n}.md", "content": "x",
                                           "context": {"sessionMemory": "", "toolContext": {"tool": "create"}}}}}]}],
            "tools": [TOOL, OTHER_TOOL]}


def _record_number(text: str) -> int:
    m = re.search(r"\"id\\\\?\": (\d+)|#(\d+)|n(\d+)\.md|sprint (\d+)", text)
    assert m, text[:400]
    return int(next(g for g in m.groups() if g))


class Scripted:
    """Judges (scores from what the record shows) and rewrites (a rich version of the record).
    ``poor_first`` record numbers get a poor rewrite the first time they are asked."""

    def __init__(self, poor_first: set[int] = frozenset(), invent_first: set[int] = frozenset()) -> None:
        self.asked: dict[int, int] = {}
        self.poor_first, self.invent_first = set(poor_first), set(invent_first)

    def __call__(self, kind: str, body: dict) -> dict:
        tools = body.get("tools") or []
        name = tools[0]["function"]["name"] if kind == "openai" else tools[0]["name"]
        text = json.dumps(body.get("messages"))
        if name == "RubricScores":
            rich = "Earlier today" in text and "Result:" not in text
            value = 5 if rich else 2
            dims = ["session_memory_quality", "tool_context_quality", "goal_coherence", "prompt_naturalness",
                    "response_realism"]
            return {**{d: value for d in dims}, "rationale": "rich" if rich else "thin context"}
        assert name == "RewrittenRecord", name
        n = _record_number(text)
        self.asked[n] = self.asked.get(n, 0) + 1
        first = self.asked[n] == 1
        ctx = rich_context(n)
        tool = "contentManager_createContent"
        if n in self.invent_first and first:
            tool = "vault_deleteEverything"
        if n in self.poor_first and first:
            ctx = {"sessionMemory": "", "toolContext": "create"}
        return {"messages": [
            {"role": "user", "content": f"Please turn standup #{n} into a note: auth blockers, flaky login test."},
            {"role": "assistant", "tool_calls": [{"name": tool, "arguments": {
                "filePath": f"notes/standup-{n}.md", "content": f"# Standup {n}", "context": ctx}}]}],
            "changes": "natural prompt, specific session memory and why"}


# -- the engine against the loopback server
FAST = dict(backoff_initial=0.01, backoff_max=2.0)


class Answer(BaseModel):
    answer: str

    @field_validator("answer")
    @classmethod
    def _not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("answer must not be empty")
        return v


def echo(kind: str, body: dict) -> dict:
    msgs = body.get("messages", [])
    user = next(m for m in msgs if m["role"] == "user")
    text = user["content"] if isinstance(user["content"], str) else user["content"][0]["text"]
    return {"answer": f"echo {text}"}


def requests(n: int, prefix: str = "q") -> list[LLMRequest]:
    return [LLMRequest([{"role": "system", "content": "be brief"}, {"role": "user", "content": f"{prefix} {i}"}],
                       Answer, max_tokens=64, tag=i) for i in range(n)]


def run(srv, tmp_path, reqs, kind="openai", model="gpt-4o-mini", timeout=30.0, provider=None, **settings):
    if provider is None:
        url = srv.openai_url if kind == "openai" else srv.anthropic_url
        provider = create_provider(kind, model, url, timeout=timeout)
    max_cost = settings.pop("max_cost", None)
    window = settings.pop("rate_window", 60.0)
    engine = Engine(provider, Ledger(tmp_path / "ledger.sqlite"), EngineConfig(**{**FAST, **settings}),
                    max_cost=max_cost, rate_window=window, job="test")
    results = []
    try:
        engine.run_sync(reqs, results.append)
    finally:
        engine.ledger.close()
    return engine, results


# -- LLM generation answers
class Generating:
    """Answers a GeneratedBatch request with k conversations calling ``read_file`` with valid args."""

    def __init__(self) -> None:
        self.n = itertools.count(1)

    def __call__(self, kind: str, body: dict) -> dict:
        prompt = json.dumps(body["messages"])
        k = int(prompt.split("Write ", 1)[1].split(" ", 1)[0])
        examples = []
        for _ in range(k):
            i = next(self.n)
            examples.append({"messages": [
                {"role": "user", "content": f"Open src/module_{i}.py so I can see how the retry loop works"},
                {"role": "assistant", "tool_calls": [{"name": "read_file", "arguments": {"filepath": f"src/module_{i}.py"}}]}]})
        return {"examples": examples}


def by_request(kind: str, body: dict) -> dict:
    """Like :class:`Generating`, but each answer depends only on the request: order-independent."""
    import hashlib

    prompt = json.dumps(body["messages"])
    k = int(prompt.split("Write ", 1)[1].split(" ", 1)[0])
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    return {"examples": [{"messages": [
        {"role": "user", "content": f"Open src/{tag}_{j}.py so I can see how the retry loop works"},
        {"role": "assistant", "tool_calls": [{"name": "read_file", "arguments": {"filepath": f"src/{tag}_{j}.py"}}]}]}
        for j in range(k)]}


def write_lines(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows))
    return path
