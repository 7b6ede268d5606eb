"""eval: held-out evaluation prompts with reference answers.

It runs the tool, guardrail and style categories' own generators (found in the registry) on the
held-out pool -- held-out entities and the generators' held-out wording banks -- and keeps only prompts
that mention a held-out entity, so no eval prompt is made of training sentences. A quarter of the
tool-call records move onto the canary tool set (:mod:`factory.authoring.canary`): schemas no
training record uses.

``agent_step`` items are set in a repository no training record works in (``tracklist``,
:mod:`factory.sandbox.held_out`): an agent conversation on one of its real tasks -- searches, reads, a
failing test run, all executed there -- cut after a tool result, so the reference is the agent's next
call (read the file the search found, run the test just written, make the fix).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import vocab as T
from factory.authoring.canary import to_canary
from factory.authoring.continue_calls import BUILDERS
from factory.authoring.phrasing import expand, pick
from factory.authoring.text import one
from factory.errors import FactoryError
from factory.generate.specs import load_spec
from factory.registry import Category

# eval subcategory -> (category whose generator writes it, that category's subcategories drawn from);
# None: every subcategory of the category's spec except benign_lookalike.
SOURCES: dict[str, tuple[str, list[str] | None]] = {
    "tool_call": ("tool_core", [*BUILDERS, "parallel"]),
    "refusal": ("guardrail", None),
    "benign": ("guardrail", ["benign_lookalike"]),
    "python_style": ("style_core", ["python_model", "python_service", "python_tests"]),
    "refactor": ("style_refactor", ["python_idioms", "python_structure"]),
}

_EVAL_WORDS = {form for e in T.ENTITY_POOLS["eval"]
               for form in (e, T.camel(e), T.pascal(e), T.kebab(e), e.replace("_", " "), T.plural(e))}
_WORD = re.compile(r"[A-Za-z_][A-Za-z_\-]*")


def mentions_held_out(text: str) -> bool:
    """True when the text names a held-out entity as a whole word (in any naming style)."""
    lowered = text.replace("_", " ")
    if any(f" {w} " in f" {lowered} " for w in _EVAL_WORDS if " " in w):
        return True
    return any(tok in _EVAL_WORDS or tok.rstrip("s") in _EVAL_WORDS for tok in _WORD.findall(text))


def held_out_source(ctx: Any, subcategory: str) -> tuple[Any, list[str]]:
    """The registered generator behind ``subcategory``, switched to the held-out pool, and the
    subcategories it is asked for."""
    name, subs = SOURCES[subcategory]
    if ctx.registry is None or name not in ctx.registry.categories:
        raise FactoryError(f"eval/{subcategory} draws on the '{name}' category, which is not registered")
    category = ctx.registry.categories[name]
    generator = copy.copy(category.generator)
    generator.pool = "eval"
    if subs is None:
        subs = [s for s in load_spec(category.spec_path).targets if s != "benign_lookalike"]
    return generator, subs


# The share of tool-call eval records rewritten onto the canary tool set (names never trained on).
CANARY_SHARE = 0.25


# How the user hands an agent a task in the held-out repository: wording of the eval's own.
AGENT_ASKS = (
    "{Over in|In} the tracklist {library|repo|package}: {ask}",
    "{ask} {This is|It's} in tracklist{, our playlist library|, the playlist code|}.",
    "{New ticket|A report came in|A bug report landed} for tracklist{ -- please take it|, can you handle it|}: {ask}",
    "{ask} {Please fix it with a test|Fix it test first, please|Take care of it and prove it with a test}.",
    "{Our|The} {playlist|tracklist} {library|code} {has a bug|misbehaves|needs a fix}: {ask}",
    "{ask} {Can you|Could you|Would you} {fix|look into} it{ in tracklist|}?",
)
# Said after the ask (so "it" has something to point to); worded unlike the training flows' context.
AGENT_CONTEXT = (
    "{The player app|Our music app|The podcast app} {ships|goes out|is released} {on Friday|next week|after the "
    "holidays}{ and this is on the list|, so this matters|}.",
    "{Two|Several|A few} {listeners|users|testers} {reported|noticed|complained about} it{ this week| after the "
    "update| in the beta|}.",
    "{I|We} {inherited|took over|picked up} tracklist {recently|last month|from another team}{ and don't know it "
    "well| without a handover|}.",
    "{A narrow fix is best|Nothing sweeping, please|A surgical fix is all we want}{; the release is close| -- it's "
    "a patch release|}.",
    "{The|Our} {CI|nightly build|test job} {is green|passes} {otherwise|apart from this|for everything else}.",
    "{Leave|Don't alter} {the public functions' signatures|the other modules} {as they are|alone}{ for now|}.",
    "{The help desk|Our community manager|A moderator} {forwarded|escalated|passed along} {it|the report}"
    "{ with screenshots| from the forum| this weekend|}.",
)
AGENT_SYSTEM = (
    "You are a coding agent with read, write, edit, bash, glob and grep tools, working in the user's "
    "repository. Look before you change anything, pin a bug with a failing test, and verify the fix.",
    "You are an engineer with file and shell tools in a repository you have not seen before. Find the code "
    "involved, reproduce the problem with a test, fix it, and run the tests.",
)


NEXT_CALLS = ("bash", "read", "grep", "glob")


class HeldOutAgentSteps:
    """``agent_step``: the next call of an agent working on a task of the held-out repository."""

    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        from factory.authoring import flows
        from factory.authoring.dialog import GROUNDING_STATS, Dialog, GroundingStats, Ungrounded
        from factory.authoring.generator import offered_for, shipped_toolset
        from factory.sandbox.held_out import HELD_OUT_TASKS
        from factory.sandbox.workspace import open_workspace

        rng = ctx.rng(subcategory)
        tools = shipped_toolset("claude_code").tools
        stats = GROUNDING_STATS.setdefault(ctx.category, GroundingStats())
        ws = open_workspace(str(HELD_OUT_TASKS[0].fixture.root))
        while True:
            task = one(rng, HELD_OUT_TASKS)
            d = Dialog(ws, stats, one(rng, AGENT_SYSTEM))
            try:
                (flows.tdd if rng.random() < 0.5 else flows.debug)(rng, d, task)
            except Ungrounded:
                continue
            first = next(i for i, m in enumerate(d.messages) if m["role"] == "user")
            ask = expand(rng, one(rng, task.asks))
            text = pick(rng, AGENT_ASKS).format(ask=ask)
            if rng.random() < 0.8:
                text = f"{text} {pick(rng, AGENT_CONTEXT)}"
            d.messages[first]["content"] = text
            # cut before the user speaks again: a later user turn is worded as in training
            later = [i for i, m in enumerate(d.messages) if m["role"] == "user" and i > first]
            end = later[0] if later else len(d.messages)
            # a step whose next call the conversation so far determines: one call (a sibling's arguments may
            # depend on a result not shown yet) that runs, reads or searches (a write's or an edit's text is
            # the model's own to choose, so an exact reference would measure recall)
            steps = [i for i, m in enumerate(d.messages[:end]) if m["role"] == "assistant"
                     and len(m.get("tool_calls") or []) == 1 and m["tool_calls"][0]["function"]["name"] in NEXT_CALLS]
            first_step = next(i for i, m in enumerate(d.messages) if m["role"] == "assistant")
            steps = [i for i in steps if i > first_step]  # after at least one real result
            if not steps:
                continue
            cut = one(rng, steps)
            messages = d.messages[:cut]
            # the reference is the call alone: the text before it is worded as in training
            messages.append({k: v for k, v in d.messages[cut].items() if k != "content"})
            called = {c["function"]["name"] for m in messages for c in m.get("tool_calls") or []}
            executed = sum(len(m.get("tool_calls") or []) for m in messages[:cut])
            accepted = accepted_arguments(task, messages[cut]["tool_calls"])
            yield ctx.example(subcategory, messages, tools=offered_for(rng, tools, called, 2),
                              grounding={"workspace": ws.root.name, "tool_calls": executed},
                              **({"accepted_arguments": accepted} if accepted else {}))


def accepted_arguments(task: Any, calls: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Other values the evaluator accepts for the reference call's arguments, beside the reference's own:
    every command that runs the same tests, and a whole-file read for a read of a window ("" is the
    leaderboard's mark for an argument that may be left out)."""
    if len(calls) != 1:
        return {}
    fn = calls[0]["function"]
    args = fn["arguments"]
    repo = task.fixture
    if fn["name"] == "bash":
        runs = [*repo.test_commands(task.test_file, task.test_name), *repo.suite_commands()]
        if args.get("command") in runs:  # the task's test or the whole suite: either shows what is needed
            return {"command": runs}
    if fn["name"] == "read":
        return {k: [""] for k in ("offset", "limit") if k in args}
    return {}


AGENT_STEPS = HeldOutAgentSteps()


class EvalGenerator:
    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        if subcategory == "agent_step":
            yield from AGENT_STEPS.generate(ctx, subcategory, count)
            return
        generator, subs = held_out_source(ctx, subcategory)
        rng = ctx.rng(subcategory)
        streams = {s: iter(generator.generate(ctx, s, count)) for s in subs}
        while True:
            source = one(rng, subs)
            ex = next(streams[source])
            if not mentions_held_out(ex.first_user_text()):
                continue
            canary = subcategory == "tool_call" and rng.random() < CANARY_SHARE
            if canary:
                moved = to_canary(ex.to_dict())
                if moved is None:
                    continue
                ex = type(ex).model_validate(moved)
            ex.meta = ex.meta.model_copy(update={"source_subcategory": source, **({"canary": True} if canary else {})})
            ex.subcategory = subcategory
            ex.id = ex.compute_id()
            yield ex


@hookimpl
def register_categories(register):
    register(Category(name="eval", spec_path=spec_path("eval"), generator=EvalGenerator()))
