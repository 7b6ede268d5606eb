"""tool_core: correct calls of the Continue extension's tools.

Each subcategory is one tool of the set (or ``parallel``: two independent read-only calls at once);
the requests and calls come from :mod:`factory.authoring.continue_calls`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import vocab as T
from factory.authoring.behaviours import BEHAVIOURS
from factory.authoring.continue_calls import (
    BUILDERS,
    EVAL_PREFACES,
    PREFACES,
    SYSTEM_PROMPTS,
    b_parallel,
    compose_request,
    fill_descriptions,
    make_calls,
    offered_tools,
)
from factory.authoring.dialog import GROUNDING_STATS, Dialog, GroundingStats, Ungrounded, workspace
from factory.authoring.text import one
from factory.registry import Category
from factory.sandbox.workspace import READ_ONLY_TOOLS

# Calls made among a long list of tools: the quick ones whose records stay short.
LONG_LIST_TOOLS = ("read_file", "grep_search", "file_glob_search", "ls", "run_terminal_command", "view_diff",
                   "search_web", "codebase", "read_file_range", "fetch_url_content")
EVAL_AFTER_READ = ("", "", "Editing it now.", "Here's the change.", "Changing it.")
AFTER_READ = ("", "", "Now the edit.", "Making the change.", "That's the spot.", "Applying it.",
              "Found it; editing.", "The file matches what you described.")


# A long tool list: most of the set offered (the big editing schemas only when called), within the
# 2,048-token window with the conversation.
LONG_LIST = (9, 13)
LONG_LIST_BUDGET_CHARS = 6_000


class ToolCoreGenerator:
    """Each subcategory is a tool of the set (or ``parallel``, two independent calls), a behaviour of
    :mod:`factory.authoring.behaviours` (plain answers, missing tools and arguments, grounded answers,
    follow-ups), or ``long_tool_list`` (one call among many offered tools)."""

    pool = "train"

    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        if subcategory in BEHAVIOURS:
            yield from self._behaviour(ctx, subcategory)
            return
        rng = ctx.rng(subcategory, self.pool)
        long_list = subcategory == "long_tool_list"
        if subcategory == "parallel":
            builder = b_parallel
        elif long_list:
            builder = None
        else:
            builder = BUILDERS[subcategory]
        while True:
            if long_list:
                builder = BUILDERS[one(rng, LONG_LIST_TOOLS)]
            stack = one(rng, T.STACK_POOLS[self.pool])
            ent = T.entity_name(rng, self.pool)
            user, calls, *context = builder(rng, stack, ent, self.pool)
            context = context[0] if context else []
            user = compose_request(rng, user, ent, self.pool)
            preface = one(rng, EVAL_PREFACES if self.pool == "eval" else PREFACES).format(e=ent.replace("_", " "))
            system = one(rng, SYSTEM_PROMPTS).format(stack=stack.name)
            names = [c[0] for c in context + calls]
            messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            if context:  # the calls a precondition needs first (an edit's read), with their results
                first = make_calls(rng, [(n, a) for n, a, _ in context])
                messages.append({"role": "assistant", "tool_calls": first, **({"content": preface} if preface else {})})
                messages += [{"role": "tool", "tool_call_id": c["id"], "name": n, "content": out}
                             for c, (n, _, out) in zip(first, context)]
                preface = one(rng, EVAL_AFTER_READ if self.pool == "eval" else AFTER_READ)
            assistant: dict[str, Any] = {"role": "assistant", "tool_calls": make_calls(rng, calls)}
            if preface:
                assistant["content"] = preface
            offered = (offered_tools(rng, ctx.toolset, names, extra=LONG_LIST, budget=LONG_LIST_BUDGET_CHARS)
                       if long_list else offered_tools(rng, ctx.toolset, names))
            yield ctx.example(subcategory, [*messages, assistant],
                              tools=fill_descriptions(rng, offered, context + calls))

    def _behaviour(self, ctx, subcategory: str) -> Iterator:
        rng = ctx.rng(subcategory, self.pool)
        ws = workspace()
        stats = GROUNDING_STATS.setdefault(ctx.category, GroundingStats())
        names, by_name = ctx.toolset.names, ctx.toolset.by_name()
        build = BEHAVIOURS[subcategory]
        while True:
            stack = one(rng, T.STACK_POOLS[self.pool])
            d = Dialog(ws, stats, one(rng, SYSTEM_PROMPTS).format(stack=stack.name))
            d.stack = stack
            try:
                build(rng, d, names)
            except Ungrounded:
                continue
            offered = set(d.offered or ()) | set(d.calls_made)
            calls = [(c["function"]["name"], c["function"]["arguments"]) for m in d.messages
                     for c in m.get("tool_calls") or []]
            tools = fill_descriptions(rng, [by_name[n] for n in names if n in offered], calls, rules=d.rules)
            executed = sum(1 for n in d.calls_made if n in READ_ONLY_TOOLS)
            yield ctx.example(subcategory, d.messages, tools=tools, behaviour=subcategory,
                              grounding={"workspace": ws.root.name, "tool_calls": executed} if executed else None)


@hookimpl
def register_categories(register):
    register(Category(name="tool_core", spec_path=spec_path("tool_core"), generator=ToolCoreGenerator()))
