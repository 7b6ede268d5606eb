"""style_core: code written in the house style.

The house style is stated in agents/style_core.md. Each record asks for a piece of code by domain
entity and fields; the answer is the code in the house style plus the conventions it applies.
"""

from __future__ import annotations

from collections.abc import Iterator

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import code
from factory.authoring import vocab as T
from factory.authoring.text import fence, one
from factory.quality.codecheck import extract_blocks
from factory.quality.conventions import holds
from factory.registry import Category

SYSTEM = (
    "You are the team's coding assistant. Follow the house style: typed, small, documented units; "
    "names that say what things are; no magic numbers; errors that carry context.",
    "You write production code in this team's conventions. Python: dataclasses, type hints, module "
    "loggers, pathlib. TypeScript: named exports, explicit prop interfaces, async/await. Go: wrapped "
    "errors, small interfaces. Rust: Result over panics.",
    "You are a senior engineer who writes code exactly in the project's house style and briefly "
    "explains which conventions the code follows.",
)

CONVENTIONS = {
    "python_model": ("frozen, slotted dataclass", "every field typed", "defaults (lists) via field(default_factory=...)",
                     "module and class docstrings", "`from __future__ import annotations`"),
    "python_service": ("a module-level `logger` instead of print", "a named constant instead of a magic number",
                       "a domain-specific exception deriving from LookupError", "`raise ... from None` to hide the KeyError noise",
                       "typed parameters and return values"),
    "python_tests": ("tests named after the behaviour they check", "plain asserts, no test classes",
                     "a pure function that is trivial to test", "the threshold as a keyword argument with a default"),
    "typescript_component": ("a named export, no default export", "props declared as an exported interface",
                             "an explicit `JSX.Element` return type", "optional callbacks called with `?.`"),
    "typescript_client": ("async/await instead of promise chains", "a timeout through AbortController",
                          "errors that name the resource and the HTTP status", "the timeout as a named constant"),
    "go_struct": ("exported type with a doc comment", "JSON tags in snake_case", "a Validate method returning error",
                  "sentinel errors declared once"),
    "rust_struct": ("`///` doc comments", "derived Debug, Clone and PartialEq", "a predicate method instead of a panic",
                    "public fields with owned types"),
}

ASKS = {
    "python_model": ("Write the {E} model for our Python service with fields {f}.",
                     "We need a {e} dataclass: {f}. Follow our conventions.",
                     "Add a Python model for {e} records ({f}).",
                     "Model a {e} in Python, house style, with {f}."),
    "python_service": ("Write the service functions for {pl}: a lookup by id and a filter for active ones.",
                       "Give me a Python module to find a {e} by id and list the active {pl}.",
                       "Implement {e} lookup and active-{e} filtering in our Python style.",
                       "Python service for {pl}, please -- find one by id, list active ones, cap the batch."),
    "python_tests": ("Write a small summary module for {pl} amounts and pytest tests for it.",
                     "I need helpers that total {e} amounts and pick the large ones, with tests.",
                     "Add pure functions for {e} totals plus their pytest tests."),
    "typescript_component": ("Write a React card component for a {e} showing {f}.",
                             "Create the {E}Card component ({f}) in our TSX style.",
                             "I need a {e} card in React with {f}; clicking it selects the {e}."),
    "typescript_client": ("Write a TypeScript client function that fetches a {e} by id with a timeout.",
                          "Add fetch{E} to our API client, house style.",
                          "TypeScript: load a {e} from the API and filter the active {pl}."),
    "go_struct": ("Define the Go struct for a {e} with {f}, plus validation.",
                  "Write the {E} type in Go ({f}) with a Validate method.",
                  "Go model for {e}: {f}. Follow our conventions."),
    "rust_struct": ("Write the Rust struct for a {e} with {f} and a validity check.",
                    "Define {E} in Rust ({f}); no panics.",
                    "Rust model for {pl} with {f}, house style."),
}

# The eval pool's own requests (held out by construction).
EVAL_ASKS = {
    "python_model": ("Create a {e} data class with {f}, team conventions.", "I need {E} as a typed Python model: {f}."),
    "python_service": ("Python helpers for {pl}: fetch one by id and keep only the active ones.",
                       "Give me {e} lookup-by-id plus an active filter, in our Python style."),
    "python_tests": ("Pure helpers that sum {e} amounts and select big ones, plus pytest tests.",),
    "typescript_component": ("Build a {E} card in TSX that displays {f}.",),
    "typescript_client": ("Write fetch{E} for our TypeScript client, with a timeout and our error style.",),
    "go_struct": ("Give me a Go {E} struct ({f}) that can validate itself.",),
    "rust_struct": ("A Rust {E} struct with {f} and an is-valid check, please.",),
}
EVAL_INTROS = ("Written to the house style:", "The {what}, following our conventions:", "In the team's style:",
               "This is how we'd write it here:")
INTROS = ("Here's the {what} in our house style:", "This follows the team conventions:",
          "Here is a version that fits the codebase:", "Done -- house style applied:", "Here you go:")


def build_code(sub: str, ent: str, fields: list[str], rng) -> tuple[str, str]:
    if sub == "python_model":
        return code.py_model_file(ent, fields), "python"
    if sub == "python_service":
        return code.py_service_file(ent, rng), "python"
    if sub == "python_tests":
        module, test = code.py_function_file(ent, rng)
        return (f"{fence('python', module)}\n\nAnd the tests, `tests/test_{ent}_summary.py`:\n\n"
                f"{fence('python', test)}"), ""
    if sub == "typescript_component":
        return code.ts_component_file(ent, fields), "tsx"
    if sub == "typescript_client":
        return code.ts_service_file(ent, rng), "ts"
    if sub == "go_struct":
        return code.go_model_file(ent, fields), "go"
    return code.rust_struct_file(ent, fields), "rust"


class StyleCoreGenerator:
    pool = "train"

    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        rng = ctx.rng(subcategory, self.pool)
        while True:
            ent = T.entity_name(rng, self.pool)
            fields = T.fields_for(rng, rng.randint(3, 6))
            shown = ", ".join(fields)
            ask = one(rng, (EVAL_ASKS if self.pool == "eval" else ASKS)[subcategory]).format(
                E=T.pascal(ent), e=ent.replace("_", " "), pl=T.plural(ent).replace("_", " "), f=shown)
            if rng.random() < 0.4 and self.pool != "eval":
                ask += " " + one(rng, ("Keep it small.", "It goes in the shared module.",
                                       f"This is for ticket {rng.randint(100, 9999)}.", "We'll extend it later.",
                                       "Match the rest of the codebase.", "Needs to pass review today."))
            source, lang = build_code(subcategory, ent, fields, rng)
            conventions = list(CONVENTIONS[subcategory])
            rng.shuffle(conventions)
            # Only what the code really does (the quality stage rejects a listed convention it breaks).
            code_only = source if lang else "\n".join(b.code for b in extract_blocks(source))
            conventions = [c for c in conventions if holds(c, code_only) is not False]
            notes = "\n".join(f"- {c}" for c in conventions[: rng.randint(min(2, len(conventions)), len(conventions))])
            intro = one(rng, EVAL_INTROS if self.pool == "eval" else INTROS).format(what=subcategory.split("_", 1)[1])
            block = fence(lang, source) if lang else source
            heading = "Conventions:" if self.pool == "eval" else "Conventions applied:"
            answer = f"{intro}\n\n{block}\n\n{heading}\n{notes}"
            yield ctx.example(subcategory, [
                {"role": "system", "content": one(rng, SYSTEM)},
                {"role": "user", "content": ask},
                {"role": "assistant", "content": answer},
            ])


@hookimpl
def register_categories(register):
    register(Category(name="style_core", spec_path=spec_path("style_core"), generator=StyleCoreGenerator()))
