"""A conversation builder whose tool calls are grounded: read-only and editing calls are executed
against the sandbox workspace (editing as a dry run) and their real results recorded; a call that
fails raises :class:`Ungrounded` and the record is dropped, counted in :data:`GROUNDING_STATS`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from factory.sandbox.workspace import (
    DRY_RUN_TOOLS,
    READ_ONLY_TOOLS,
    Workspace,
    default_workspace_root,
    open_workspace,
)


class Ungrounded(Exception):
    """A proposed tool call did not execute; the record is dropped with this reason."""


@dataclass
class GroundingStats:
    proposed: int = 0
    executed: int = 0
    failed: Counter = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return self.executed / self.proposed if self.proposed else 1.0


# category -> stats for this process; the bench and `factory coverage --regenerate` report them.
GROUNDING_STATS: dict[str, GroundingStats] = {}


def workspace() -> Workspace:
    return open_workspace(str(default_workspace_root()))


class Dialog:
    """One conversation under construction. ``call`` executes read-only and editing tools against
    the workspace (editing as a dry run) and records the real result; other tools (bash, terminal)
    take the result the template gives."""

    def __init__(self, ws: Workspace, stats: GroundingStats, system: str | None = None) -> None:
        self.ws = ws
        self.stats = stats
        self.messages: list[dict[str, Any]] = []
        self.calls_made: list[str] = []
        self._next_id = 0
        # Set by a builder: the tools the record offers beyond those it calls (None: the generator
        # decides), the rules a request_rule description must list, the project the user works in.
        self.offered: list[str] | None = None
        self.rules: list[str] | None = None
        self.stack: Any = None
        if system:
            self.messages.append({"role": "system", "content": system})

    def offer(self, names: Sequence[str]) -> Dialog:
        self.offered = list(names)
        return self

    def set_system(self, text: str) -> Dialog:
        if self.messages and self.messages[0]["role"] == "system":
            self.messages[0]["content"] = text
        else:
            self.messages.insert(0, {"role": "system", "content": text})
        return self

    def user(self, text: str) -> Dialog:
        self.messages.append({"role": "user", "content": text.strip()})
        return self

    def say(self, text: str) -> Dialog:
        self.messages.append({"role": "assistant", "content": text.strip()})
        return self

    def calls(self, calls: Sequence[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]],
              content: str | None = None, expect_failure: bool = False) -> list[str]:
        """One assistant turn with several calls (parallel when more than one), then their results.

        A call given as ``(name, args, result)`` is not executed (a shell command); the others must
        execute, unless ``expect_failure`` (error-recovery records show the real error)."""
        tool_calls, results = [], []
        for spec in calls:
            name, args = spec[0], spec[1]
            self._next_id += 1
            cid = f"call_{self._next_id}"
            tool_calls.append({"id": cid, "type": "function", "function": {"name": name, "arguments": args}})
            if len(spec) == 3:
                output = spec[2]
            elif name in READ_ONLY_TOOLS or name in DRY_RUN_TOOLS:
                self.stats.proposed += 1
                outcome = self.ws.execute(name, args)
                if outcome.ok:
                    self.stats.executed += 1
                    output = outcome.output
                elif expect_failure:
                    output = f"error: {outcome.output}"
                else:
                    self.stats.failed[f"{name}: {outcome.output}"] += 1
                    raise Ungrounded(f"{name}: {outcome.output}")
            else:
                raise Ungrounded(f"{name}: no result given and the tool cannot be executed read-only")
            results.append({"role": "tool", "tool_call_id": cid, "name": name, "content": output})
            self.calls_made.append(name)
        msg: dict[str, Any] = {"role": "assistant", "tool_calls": tool_calls}
        if content and content.strip():
            msg["content"] = content.strip()
        self.messages.append(msg)
        self.messages.extend(results)
        return [r["content"] for r in results]

    def has_read(self, path: str, reads: tuple[str, ...] = ("read", "read_file")) -> bool:
        """Whether a read of ``path`` came back without an error earlier in this conversation."""
        ok = {m.get("tool_call_id") for m in self.messages
              if m.get("role") == "tool" and not str(m.get("content", "")).startswith("error:")}
        for m in self.messages:
            for c in m.get("tool_calls") or []:
                fn = c["function"]
                if fn["name"] in reads and c["id"] in ok and path in (
                        fn["arguments"].get("file_path"), fn["arguments"].get("filepath")):
                    return True
        return False

    def call(self, name: str, args: dict[str, Any], content: str | None = None,
             expect_failure: bool = False) -> str:
        return self.calls([(name, args)], content, expect_failure)[0]


Builder = Callable[[random.Random, Dialog], None]
