"""Shared machinery of the seed-004 category plugins: a conversation builder whose read-only tool
calls are executed against the grounding workspace, a generator that drops records whose calls fail
(and counts why), and small helpers for combinatorial variety.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from factory.sandbox.workspace import DRY_RUN_TOOLS, READ_ONLY_TOOLS, Workspace, default_workspace_root


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


@lru_cache(maxsize=4)
def _workspace(root: str) -> Workspace:
    return Workspace(root)


def workspace() -> Workspace:
    return _workspace(str(default_workspace_root()))


def spec_path(name: str) -> Path:
    """The shipped agent spec ``agents/NAME.md`` (package data of ``factory.agents``)."""
    from importlib.resources import files

    return Path(str(files("factory.agents") / f"{name}.md"))


def one(rng: random.Random, options: Sequence[Any]) -> Any:
    return options[rng.randrange(len(options))]


def some(rng: random.Random, options: Sequence[Any], lo: int, hi: int) -> list[Any]:
    """``lo..hi`` distinct options in random order: the main source of variety in prose."""
    return rng.sample(list(options), min(len(options), rng.randint(lo, hi)))


USER_OPENERS = ["", "", "Hi! ", "Quick one: ", "Question: ", "When you have a minute: ", "Hey -- ", "Morning! ",
                "Context: small team, tight deadline. ", "Follow-up from standup: ", "For the retro: ", "Honest opinion: "]
USER_CLOSERS = ["", "", " Thanks!", " Keep it brief.", " Details welcome.", " No rush.", " Be concrete.",
                " Bullet points are fine.", " Assume I know the basics.", " I'll share this with the team."]


def framed(rng: random.Random, text: str) -> str:
    """A user request with a varied opener and closer: more distinct prompts, same task."""
    return one(rng, USER_OPENERS) + text + one(rng, USER_CLOSERS)


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def fence(lang: str, code: str) -> str:
    return f"```{lang}\n{code.rstrip()}\n```"


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
        if system:
            self.messages.append({"role": "system", "content": system})

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

    def call(self, name: str, args: dict[str, Any], content: str | None = None,
             expect_failure: bool = False) -> str:
        return self.calls([(name, args)], content, expect_failure)[0]


Builder = Callable[[random.Random, Dialog], None]


class Seed004Generator:
    """Runs one builder per subcategory until the host has enough; a builder raising
    :class:`Ungrounded` loses its record (counted in :data:`GROUNDING_STATS`)."""

    def __init__(self, builders: dict[str, Builder], tools: Callable[[Any], list[dict[str, Any]]] | None = None,
                 system: Callable[[random.Random], str] | None = None, distractors: int | None = None,
                 fresh_calls: bool = False) -> None:
        self.builders = builders
        self.tools = tools
        self.system = system
        # None: every record offers the whole tool list. N: only the tools its calls use plus N compact
        # unused ones -- what an agent harness exposes for one task, and what keeps a record with a
        # 20-tool set inside the 2,048-token training window.
        self.distractors = distractors
        # True: a record whose tool calls (names and arguments) repeat an earlier record's is redrawn --
        # where the tool results are most of the text, such records are near duplicates the merge drops.
        self.fresh_calls = fresh_calls

    def generate(self, ctx: Any, subcategory: str, count: int) -> Any:
        builder = self.builders.get(subcategory)
        if builder is None:
            raise KeyError(f"{ctx.category}: no template for subcategory '{subcategory}' "
                           f"(templates: {', '.join(self.builders)})")
        rng = ctx.rng(subcategory)
        ws = workspace()
        stats = GROUNDING_STATS.setdefault(ctx.category, GroundingStats())
        offered = self.tools(ctx) if self.tools else (ctx.toolset.tools if ctx.toolset else [])
        seen_calls: set[bytes] = set()
        redraws = 0
        while True:
            dialog = Dialog(ws, stats, self.system(rng) if self.system else None)
            try:
                builder(rng, dialog)
            except Ungrounded:
                continue
            uses_tools = any(m.get("tool_calls") for m in dialog.messages)
            if self.fresh_calls and uses_tools:
                key = orjson.dumps([[c["function"] for c in m.get("tool_calls") or []] for m in dialog.messages],
                                   option=orjson.OPT_SORT_KEYS)
                # Bounded: once the combinations run out (counts far above the defaults), repeats are kept.
                if key in seen_calls and redraws < 50:
                    redraws += 1
                    ctx.reject("repeats an earlier record's tool calls")
                    continue
                seen_calls.add(key)
                redraws = 0
            tools = offered
            if uses_tools and self.distractors is not None:
                tools = offered_for(rng, offered, set(dialog.calls_made), self.distractors)
            yield ctx.example(subcategory, dialog.messages, tools=tools if uses_tools else [],
                              grounding={"workspace": ws.root.name, "tool_calls": len(dialog.calls_made)}
                              if uses_tools else None)


# A distractor's JSON schema at most this long (characters): short tools like ``ls`` or ``search_web``,
# not the 2-3k-character editing schemas, which would crowd the conversation out of the window.
COMPACT_TOOL_CHARS = 600


def offered_for(rng: random.Random, tools: Sequence[dict[str, Any]], used: set[str], distractors: int) -> list[dict[str, Any]]:
    """The tools one record offers: those its calls use and ``distractors`` compact unused ones, in the
    tool set's own order (so the model still has to choose, but among a plausible handful)."""
    pool = [t for t in tools if t["function"]["name"] not in used
            and len(orjson.dumps(t)) <= COMPACT_TOOL_CHARS]
    extra = {t["function"]["name"] for t in rng.sample(pool, min(distractors, len(pool)))}
    return [t for t in tools if t["function"]["name"] in used or t["function"]["name"] in extra]


def toolset_tools(*extra: tuple[str, str]) -> Callable[[Any], list[dict[str, Any]]]:
    """Tools offered by records: the spec's toolset plus ``(toolset file, tool)`` pairs from the
    shipped tool-set files (e.g. powertools records also offer Continue's ``read_file_range``)."""

    def pick(ctx: Any) -> list[dict[str, Any]]:
        tools = list(ctx.toolset.tools) if ctx.toolset else []
        for set_name, tool in extra:
            tools.append(_shipped_toolset(set_name).by_name()[tool])
        return tools

    return pick


@lru_cache(maxsize=8)
def _shipped_toolset(name: str) -> Any:
    from importlib.resources import files

    from factory.generate.tools import load_toolset_file

    return load_toolset_file(files("factory.schemas") / "toolsets" / f"{name}.json", name=name)
