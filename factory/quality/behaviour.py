"""The tool-calling behaviour a record teaches, read from its messages (any source).

``first`` -- what the first assistant reply does when tools are offered: ``call``; ``refusal``;
``ask`` (asks the user for something before calling); ``not_offered`` (says the needed tool is not
available); ``answer`` (a plain answer). ``shapes`` -- the conversation's shape: ``ends_on_call``,
``call_result_answer`` (a result, then an answer that uses it), ``parallel`` (one turn calls several
different tools), ``multi_turn`` (more than one user turn), ``long_tool_list`` (ten or more tools).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

REFUSAL = re.compile(r"\b(?:I can(?:'|no)t|I won't|I will not|I'm not able to|I am not able to|I must decline"
                     r"|I'd rather not|not something I(?: can|'ll do)|I'm not going to|I have to decline|I won't run)\b", re.IGNORECASE)
NOT_OFFERED = re.compile(r"\b(?:no tool|none of (?:the|my) tools|the tools I have|needs a tool I don't have"
                         r"|not (?:among|one of) (?:the|my) tools|I don't have a tool|there is no tool"
                         r"|isn't among the tools|no (?:web search|editing tool) among my tools)", re.IGNORECASE)
ASK = re.compile(r"\?(?:\s|$)")
LONG_TOOL_LIST = 10


def first_reply(record: dict[str, Any]) -> str | None:
    """The first assistant reply's behaviour, or None when the record offers no tools."""
    if not record.get("tools"):
        return None
    for m in record.get("messages") or []:
        if m.get("role") != "assistant":
            continue
        if m.get("tool_calls"):
            return "call"
        text = m.get("content") or ""
        if NOT_OFFERED.search(text):
            return "not_offered"
        if REFUSAL.search(text):
            return "refusal"
        if len(text) < 300 and "```" not in text and ASK.search(text.strip()):
            return "ask"
        return "answer"
    return None


def shapes(record: dict[str, Any]) -> set[str]:
    msgs = record.get("messages") or []
    out: set[str] = set()
    assistants = [m for m in msgs if m.get("role") == "assistant"]
    if assistants and assistants[-1].get("tool_calls"):
        out.add("ends_on_call")
    for i, m in enumerate(msgs):
        if m.get("role") == "tool" and i + 1 < len(msgs):
            nxt = next((x for x in msgs[i + 1:] if x.get("role") != "tool"), None)
            if nxt is not None and nxt.get("role") == "assistant" and not nxt.get("tool_calls") and nxt.get("content"):
                out.add("call_result_answer")
        if m.get("role") == "assistant" and len({c["function"]["name"] for c in m.get("tool_calls") or []}) > 1:
            out.add("parallel")
    if sum(1 for m in msgs if m.get("role") == "user") > 1:
        out.add("multi_turn")
    if len(record.get("tools") or []) >= LONG_TOOL_LIST:
        out.add("long_tool_list")
    return out


@dataclass
class BehaviourMix:
    records: int = 0
    with_tools: int = 0
    first: Counter = field(default_factory=Counter)
    shape: Counter = field(default_factory=Counter)
    declared: Counter = field(default_factory=Counter)  # meta.behaviour, where a generator names it

    def add(self, record: dict[str, Any]) -> None:
        self.records += 1
        kind = first_reply(record)
        if kind is not None:
            self.with_tools += 1
            self.first[kind] += 1
        self.shape.update(shapes(record))
        meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
        if meta.get("behaviour"):
            self.declared[meta["behaviour"]] += 1

    def shares(self) -> dict[str, float]:
        n = self.records or 1
        out = {f"first:{k}": v / (self.with_tools or 1) for k, v in sorted(self.first.items())}
        out.update({k: v / n for k, v in sorted(self.shape.items())})
        return out
