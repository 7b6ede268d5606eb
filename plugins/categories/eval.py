"""eval: held-out evaluation prompts with reference answers.

It runs the tool, guardrail and style categories' own generators (found in the registry) on the
held-out pool -- held-out entities and the generators' held-out wording banks -- and keeps only prompts
that mention a held-out entity, so no eval prompt is made of training sentences. A quarter of the
tool-call records move onto the canary tool set (:mod:`factory.authoring.canary`): schemas no
training record uses.
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


class EvalGenerator:
    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
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
