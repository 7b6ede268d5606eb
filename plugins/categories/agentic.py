"""The ``agentic`` category: multi-step agent work with the Claude-Code-like
tools on the fixture repository -- test-first changes, systematic debugging, planning, code review and
exploration. Reads, searches and edits are executed against the workspace."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.text import one
from factory.registry import Category
from factory.sandbox.tasks import TASKS

SYSTEM = [
    ("You are an autonomous coding agent working in the user's repository with read, write, edit, bash, glob "
    "and grep tools. Explore before editing, write a failing test before a fix, and verify with the tests."),
    ("You are a careful software engineer with shell and file tools. Work in small verified steps and report "
    "what you changed and why."),
]

GENERATOR = SubcategoryGenerator(
    {
        "tdd": lambda rng, d: flows.tdd(rng, d, one(rng, TASKS)),
        "systematic_debugging": lambda rng, d: flows.debug(rng, d),
        "planning": lambda rng, d: flows.plan(rng, d),
        "code_review": flows.review,
        "exploration": flows.exploration,
    },
    system=lambda rng: one(rng, SYSTEM),
)


@hookimpl
def register_categories(register):
    register(Category(name="agentic", spec_path=spec_path("agentic"), generator=GENERATOR,
                      description="TDD, systematic debugging, planning, review, exploration with tools"))
