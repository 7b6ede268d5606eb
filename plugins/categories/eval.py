"""eval: held-out evaluation prompts with reference answers (seed 000's Eval bucket).

It reuses the tool, guardrail and style generators on the held-out vocabulary pool, and keeps only
prompts that mention a held-out entity, so no eval prompt can repeat a training prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import vocab as T
from factory.plugins.categories.guardrail import UNSAFE, GuardrailGenerator
from factory.plugins.categories.style_core import StyleCoreGenerator
from factory.plugins.categories.style_refactor import StyleRefactorGenerator
from factory.plugins.categories.tool_core import BUILDERS, ToolCoreGenerator
from factory.registry import Category


def _held_out(cls):
    return type(f"HeldOut{cls.__name__}", (cls,), {"pool": "eval"})()


SOURCES = {
    "tool_call": (_held_out(ToolCoreGenerator), [*BUILDERS, "parallel"]),
    "refusal": (_held_out(GuardrailGenerator), list(UNSAFE)),
    "benign": (_held_out(GuardrailGenerator), ["benign_lookalike"]),
    "python_style": (_held_out(StyleCoreGenerator), ["python_model", "python_service", "python_tests"]),
    "refactor": (_held_out(StyleRefactorGenerator), ["python_idioms", "python_structure"]),
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


class EvalGenerator:
    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        generator, subs = SOURCES[subcategory]
        rng = ctx.rng(subcategory)
        streams = {s: iter(generator.generate(ctx, s, count)) for s in subs}
        while True:
            source = T.pick(rng, subs)
            ex = next(streams[source])
            if not mentions_held_out(ex.first_user_text()):
                continue
            ex.meta = ex.meta.model_copy(update={"source_subcategory": source})
            ex.subcategory = subcategory
            ex.id = ex.compute_id()
            yield ex


@hookimpl
def register_categories(register):
    register(Category(name="eval", spec_path=spec_path("eval"), generator=EvalGenerator()))
