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
from factory.authoring.continue_calls import (
    BUILDERS,
    PREFACES,
    SYSTEM_PROMPTS,
    b_parallel,
    compose_request,
    fill_descriptions,
    make_calls,
    offered_tools,
)
from factory.authoring.text import one
from factory.registry import Category

AFTER_READ = ("", "", "Now the edit.", "Making the change.", "That's the spot.", "Applying it.",
              "Found it; editing.", "The file matches what you described.")


class ToolCoreGenerator:
    """Each subcategory is a tool of the set (or ``parallel``); yields endless varied requests."""

    pool = "train"

    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        rng = ctx.rng(subcategory, self.pool)
        builder = b_parallel if subcategory == "parallel" else BUILDERS[subcategory]
        while True:
            stack = one(rng, T.STACKS)
            ent = T.entity_name(rng, self.pool)
            user, calls, *context = builder(rng, stack, ent, self.pool)
            context = context[0] if context else []
            user = compose_request(rng, user, ent)
            preface = one(rng, PREFACES).format(e=ent.replace("_", " "))
            system = one(rng, SYSTEM_PROMPTS).format(stack=stack.name)
            names = [c[0] for c in context + calls]
            messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            if context:  # the calls a precondition needs first (an edit's read), with their results
                first = make_calls(rng, [(n, a) for n, a, _ in context])
                messages.append({"role": "assistant", "tool_calls": first, **({"content": preface} if preface else {})})
                messages += [{"role": "tool", "tool_call_id": c["id"], "name": n, "content": out}
                             for c, (n, _, out) in zip(first, context)]
                preface = one(rng, AFTER_READ)
            assistant: dict[str, Any] = {"role": "assistant", "tool_calls": make_calls(rng, calls)}
            if preface:
                assistant["content"] = preface
            yield ctx.example(
                subcategory, [*messages, assistant],
                tools=fill_descriptions(rng, offered_tools(rng, ctx.toolset, names), context + calls),
            )


@hookimpl
def register_categories(register):
    register(Category(name="tool_core", spec_path=spec_path("tool_core"), generator=ToolCoreGenerator()))
