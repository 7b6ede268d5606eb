"""A generator that maps each subcategory to a builder ``(rng, dialog) -> None`` and offers the
record the tools its calls use (plus a few distractors, when asked)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import orjson

from factory.authoring.continue_calls import COMPACT_TOOL_CHARS, fill_descriptions
from factory.authoring.dialog import GROUNDING_STATS, Builder, Dialog, GroundingStats, Ungrounded, workspace


class SubcategoryGenerator:
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
            if dialog.offered is not None:  # the builder chose what the record offers (and maybe calls none)
                chosen = set(dialog.offered) | set(dialog.calls_made)
                tools = [t for t in offered if t["function"]["name"] in chosen]
                if dialog.rules:
                    tools = [fill_descriptions(rng, [t], [], rules=dialog.rules)[0]
                             if t["function"]["name"] == "request_rule" else t for t in tools]
            elif uses_tools and self.distractors is not None:
                tools = offered_for(rng, offered, set(dialog.calls_made), self.distractors)
            elif not uses_tools:
                tools = []
            extra = {"behaviour": subcategory} if dialog.offered is not None else {}
            yield ctx.example(subcategory, dialog.messages, tools=tools,
                              grounding={"workspace": dialog.ws.root.name, "tool_calls": len(dialog.calls_made)}
                              if uses_tools else None, **extra)


# A distractor is a compact tool (COMPACT_TOOL_CHARS): the 2-3k-character editing schemas would crowd
# the conversation out of the window.


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
            tools.append(shipped_toolset(set_name).by_name()[tool])
        return tools

    return pick


@lru_cache(maxsize=8)
def shipped_toolset(name: str) -> Any:
    from importlib.resources import files

    from factory.generate.tools import load_toolset_file

    return load_toolset_file(files("factory.schemas") / "toolsets" / f"{name}.json", name=name)
