"""The ``craftsmanship`` category: DRY, SOLID, clean code and refactoring --
the user's code, the smell named, the improved code and why. The user's code parses; the answer's
code parses and (Python) passes ruff."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.designs import DESIGNS
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.text import bullets, fence, one, some
from factory.registry import Category

ASKS = {
    "dry": ["I keep copy-pasting this. How do I stop repeating myself?", "Review this for duplication.",
            "This feels repetitive. Can you DRY it up?", "Every time the rule changes I edit several places. Fix?"],
    "solid": ["Does this follow SOLID? What would you change?", "This class is hard to test. Why, and what's better?",
              "How would you restructure this so it's easier to extend?", "Apply SOLID principles to this code."],
    "clean_code": ["Make this cleaner and easier to read.", "A reviewer said this is hard to follow. Improve it?",
                   "Clean code pass on this, please.", "How would you tidy this up before merging?"],
    "refactoring": ["Refactor this without changing behaviour.", "Which refactoring fits here? Show me.",
                    "Help me refactor this step by step.", "What refactoring would you apply to this?"],
}
CONTEXT = ["", "We're preparing a release. ", "Small PR for review. ", "This grew over a few sprints. ",
           "Junior dev here. ", "From our {domain} code. ", "Tech-debt ticket: "]
SMELLS = {
    "dry": ["The same knowledge lives in several places.", "Duplication: the copies will drift apart.",
            "This is copy-paste; one rule, many copies."],
    "solid": ["The design couples things that change for different reasons.",
              "The code depends on details it shouldn't know about.", "Extending this requires editing it."],
    "clean_code": ["The code works, but the reader has to decode it.", "The intent is hidden behind mechanics.",
                   "Readability is the problem here, not correctness."],
    "refactoring": ["A small, behaviour-preserving change makes this much clearer.",
                    "This is a textbook case for a named refactoring.", "Let's restructure without changing behaviour."],
}
VERIFY = ["Run the existing tests before and after: they should pass unchanged.",
          "I'd land this as its own commit so the behaviour-preserving change is easy to review.",
          "Add one test for the extracted piece; it's now easy to test in isolation.",
          "No public behaviour changes, so callers need no edits.", ""]


def _builder(kind: str):
    def build(rng, d: Dialog) -> None:
        pair = one(rng, DESIGNS[kind])(rng)
        domain = rng.choice(["billing", "shipping", "reporting", "scheduling", "catalog", "accounts"])
        d.user(one(rng, CONTEXT).format(domain=domain) + one(rng, ASKS[kind]) + "\n\n" + fence(pair.lang, pair.before))
        title = pair.title[0].upper() + pair.title[1:]
        parts = [one(rng, SMELLS[kind]) + " " + one(rng, [f"The fix: {pair.title}.", f"I'd apply {pair.title}.",
                                                           f"{title} solves it."]),
                 fence(pair.lang, pair.after),
                 bullets(some(rng, pair.points, 2, len(pair.points))),
                 one(rng, VERIFY)]
        d.say("\n\n".join(p for p in parts if p))

    return build


GENERATOR = SubcategoryGenerator({k: _builder(k) for k in DESIGNS})


@hookimpl
def register_categories(register):
    register(Category(name="craftsmanship", spec_path=spec_path("craftsmanship"), generator=GENERATOR,
                      description="DRY, SOLID, clean code, refactoring"))
