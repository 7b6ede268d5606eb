"""style_refactor: before/after refactorings.

Every "before" parses (it may be unidiomatic); every "after" parses and, for Python, passes ruff.
Each pattern is parameterised by domain names and numbers, so requests are distinct. The Python idiom
refactors are the authoring kit's idiom pairs (:mod:`factory.authoring.idioms`), which the
``language_idioms`` category teaches too; the structural ones and the TypeScript, Go and Rust
refactors are this module's patterns.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import code, idioms
from factory.authoring import vocab as T
from factory.authoring.continue_calls import compose_request
from factory.authoring.text import fence, one
from factory.registry import Category

Pattern = Callable[[random.Random, str], tuple[str, str, str, list[str]]]  # before, after, fence, notes

# Patterns that change behaviour or the interface on purpose (a bug fix, a new return type), with two
# ways to say so. Everything else is behaviour-preserving: same signature and, for Python, the same
# results on the probe inputs below (tests/plugins/test_refactors.py runs them).
CHANGES: dict[str, tuple[str, str]] = {
    "p_bare_except": ("it changes behaviour on purpose -- only `ValueError` means a bad id now, and it is logged",
                      "errors other than `ValueError` now propagate, and bad ids are logged"),
    "p_mutable_default": ("it changes behaviour on purpose -- calls no longer share one list (that was the bug)",
                          "each call gets a fresh list, which fixes the shared-default bug"),
    "p_ts_async": ("it changes the interface -- callers `await` a promise instead of passing a callback",
                   "the callback parameter is gone; the function returns a promise"),
    "p_go_errors": ("it changes the signature -- callers now get an `error` to handle",
                    "the function now returns `([]byte, error)`, so every caller must handle the error"),
    "p_rust_unwrap": ("it changes the signature -- callers now get a `Result` instead of a panic",
                      "bad input is now an `Err` for the caller rather than a panic"),
}


def change_wordings(name: str) -> tuple[str, ...]:
    """The ways a record may say what the pattern (or kit idiom) ``name`` changes; () when nothing."""
    return CHANGES.get(name) or idioms.CHANGES.get(name) or ()


def probes(name: str, ent: str) -> list[tuple[str, tuple]]:
    """(function, arguments) calls whose results the before and after code must share."""
    s = ent
    if name == "p_guard_clauses":
        who = s if s != "user" else "profile"
        users = [None, {"id": 1, "active": False}, {"id": 1, "active": True}, {"id": 2, "active": True, "is_admin": True}]
        items = [{"owner_id": 1, "edits": 0}, {"owner_id": 1, "edits": 99}, {"owner_id": 3}]
        return [(f"can_update_{who}", (u, i)) for u in users for i in items]
    if name == "p_extract_function":
        lines = [{"quantity": q, "unit_cents": c} for q, c in ((0, 0), (1, 999), (3, 1250), (7, 1))]
        return [(f, (line,)) for f in ("invoice_line", "refund_line") for line in lines]
    return []


def p_guard_clauses(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    s = ent if ent != "user" else "profile"  # the function already takes a `user`
    limit = rng.choice((3, 5, 10, 20))
    before = f"""def can_update_{s}(user, {s}):
    if user is not None:
        if user.get("active"):
            if {s}["owner_id"] == user["id"] or user.get("is_admin"):
                if {s}.get("edits", 0) < {limit}:
                    return True
    return False
"""
    after = f"""MAX_EDITS = {limit}


def can_update_{s}(user: dict | None, {s}: dict) -> bool:
    if user is None or not user.get("active"):
        return False
    if {s}["owner_id"] != user["id"] and not user.get("is_admin"):
        return False
    return {s}.get("edits", 0) < MAX_EDITS
"""
    return before, after, "python", ["guard clauses instead of four nested ifs",
                                      f"the limit {limit} named `MAX_EDITS`", "type hints on the signature"]


def p_bare_except(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    s = ent
    before = f"""def parse_{s}_id(raw):
    try:
        return int(raw)
    except:
        return None
"""
    after = f"""import logging

logger = logging.getLogger(__name__)


def parse_{s}_id(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        logger.warning("invalid {s.replace("_", " ")} id: %r", raw)
        return None
"""
    return before, after, "python", ["catch only `ValueError`; a bare `except` also swallows KeyboardInterrupt",
                                      "log the bad input instead of hiding it", "type hints"]


def p_mutable_default(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    s, pl = ent, T.plural(ent)
    before = f"""def add_{s}({s}, {pl}=[]):
    {pl}.append({s})
    return {pl}
"""
    after = f"""def add_{s}({s}: dict, {pl}: list[dict] | None = None) -> list[dict]:
    {pl} = [] if {pl} is None else {pl}
    {pl}.append({s})
    return {pl}
"""
    return before, after, "python", ["no mutable default: the old list was shared between calls",
                                      "`None` as the sentinel", "type hints"]


def p_extract_function(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    s = ent
    rate = rng.choice((19, 20, 21, 7))
    before = f"""def invoice_line({s}):
    net = {s}["quantity"] * {s}["unit_cents"]
    return net + net * {rate} // 100


def refund_line({s}):
    net = {s}["quantity"] * {s}["unit_cents"]
    return -(net + net * {rate} // 100)
"""
    after = f"""VAT_PERCENT = {rate}


def gross_cents({s}: dict[str, int]) -> int:
    net = {s}["quantity"] * {s}["unit_cents"]
    return net + net * VAT_PERCENT // 100


def invoice_line({s}: dict[str, int]) -> int:
    return gross_cents({s})


def refund_line({s}: dict[str, int]) -> int:
    return -gross_cents({s})
"""
    return before, after, "python", ["the duplicated gross calculation extracted into `gross_cents`",
                                      f"the VAT rate {rate}% named once", "type hints"]


def p_ts_async(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    E, c = T.pascal(ent), T.camel(ent)
    path = T.kebab(T.plural(ent))
    before = f"""function load{E}(id, callback) {{
  fetch("/api/{path}/" + id)
    .then(function (res) {{
      return res.json();
    }})
    .then(function (data) {{
      callback(null, data);
    }})
    .catch(function (err) {{
      callback(err);
    }});
}}
"""
    after = f"""export interface {E} {{
  id: number;
  status: string;
}}

export async function load{E}(id: number): Promise<{E}> {{
  const response = await fetch(`/api/{path}/${{id}}`);
  if (!response.ok) {{
    throw new Error(`{c} ${{id}}: HTTP ${{response.status}}`);
  }}
  return (await response.json()) as {E};
}}
"""
    return before, after, "ts", ["async/await instead of a callback wrapped around a promise chain",
                                 "HTTP errors are no longer silently parsed as data",
                                 f"a typed `{E}` result instead of `any`", "a template literal for the URL"]


def p_ts_any(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    E, c = T.pascal(ent), T.camel(ent)
    fields = T.fields_for(rng, rng.randint(3, 5))
    before = f"""export function describe{E}({c}: any): any {{
  var label = {c}.id + " (" + {c}.status + ")";
  return label;
}}
"""
    iface = code.ts_interface_file(ent, [*fields, "status"] if "status" not in fields else fields)
    after = f"""{iface}
export function describe{E}({c}: {E}): string {{
  return `${{{c}.id}} (${{{c}.status}})`;
}}
"""
    return before, after, "ts", [f"an explicit `{E}` interface instead of `any`", "no `var`: the expression is returned directly",
                                 "a template literal", "a `string` return type"]


def p_go_errors(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    E, s = T.pascal(ent), ent.replace("_", "")
    before = f"""package {s}

import "os"

func Load{E}(path string) []byte {{
    data, _ := os.ReadFile(path)
    return data
}}
"""
    after = f"""package {s}

import (
    "fmt"
    "os"
)

// Load{E} reads the {ent.replace("_", " ")} file at path.
func Load{E}(path string) ([]byte, error) {{
    data, err := os.ReadFile(path)
    if err != nil {{
        return nil, fmt.Errorf("load {ent.replace("_", " ")} %s: %w", path, err)
    }}
    return data, nil
}}
"""
    return before, after, "go", ["the error is returned, not discarded with `_`",
                                 "wrapped with `%w` so callers can use errors.Is", "a doc comment"]


def p_rust_unwrap(rng: random.Random, ent: str) -> tuple[str, str, str, list[str]]:
    s = ent
    before = f"""fn parse_{s}_count(raw: &str) -> u32 {{
    raw.trim().parse::<u32>().unwrap()
}}
"""
    after = f"""use std::num::ParseIntError;

/// Parses the {s.replace("_", " ")} count, reporting malformed input to the caller.
fn parse_{s}_count(raw: &str) -> Result<u32, ParseIntError> {{
    raw.trim().parse::<u32>()
}}
"""
    return before, after, "rust", ["returns `Result` instead of panicking on bad input with `unwrap()`",
                                   "a doc comment that says what errors mean"]


# A kit idiom builder takes (rng, pool) and picks its own typed entity; a pattern takes (rng, noun).
KIT_IDIOMS = tuple(idioms.IDIOMS["python"])
PATTERNS: dict[str, list[Pattern | idioms.Builder]] = {
    "python_idioms": list(KIT_IDIOMS),
    "python_structure": [p_guard_clauses, p_extract_function, p_mutable_default, p_bare_except],
    "typescript": [p_ts_async, p_ts_any],
    "go": [p_go_errors],
    "rust": [p_rust_unwrap],
}

ASKS = ("Refactor this:", "Can you clean this up?", "This works but it's ugly. Refactor it:",
        "Make this idiomatic:", "Review and refactor this function:", "How would you improve this?",
        "Please refactor this to match our style:", "Tidy this up without changing behaviour:")
INTROS = ("Here is the refactored version:", "Refactored:", "Cleaner version:", "Here's how I'd write it:",
          "Same behaviour, easier to read:", "Here's the {e} code tidied up:", "This version keeps the behaviour:",
          "Refactored {e} code below.", "Here you go -- behaviour unchanged:", "Suggested rewrite:")
# For a pattern that changes behaviour: no "behaviour unchanged", and the change said first.
CHANGE_INTROS = ("Here's the improved version. Note that {change}.", "Suggested rewrite. Heads-up: {change}.",
                 "Cleaner, but not a pure refactor: {change}.", "Here's how I'd write it; {change}.",
                 "One thing first: {change}.", "This is more than a refactor -- {change}.")
SAME_BEHAVIOUR = ("without changing behaviour", "behaviour unchanged", "keeps the behaviour", "Same behaviour",
                  "Keep the behaviour the same")
# The eval pool's own requests and context lines (held out by construction).
EVAL_ASKS = ("Simplify this, same behaviour:", "Rewrite this more cleanly:", "Could this read better? Rewrite it:",
             "Modernise this code, please:", "Give this function a cleanup pass:")
EVAL_INTROS = ("Rewritten, with the same behaviour:", "A cleaner take:", "Here it is after the cleanup:",
               "The {e} code, simplified:")
EVAL_CONTEXT = ("", "", "It sits in the {e} service.", "New joiners keep tripping over it.", "Part of the {e} cleanup.")
CONTEXT = ("", "", "It's from the {e} module.", "We touch this code a lot.", "Found it while fixing a {e} bug.",
           "Reviewer flagged it.", "Keep the behaviour the same.", "It's in the hot path for {pl}.")


class StyleRefactorGenerator:
    pool = "train"

    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        rng = ctx.rng(subcategory, self.pool)
        patterns = PATTERNS[subcategory]
        while True:
            ent = T.entity_name(rng, self.pool)
            pattern = one(rng, patterns)
            if pattern in KIT_IDIOMS:
                pair = pattern(rng, self.pool)
                before, after, lang, notes, ent = pair.before, pair.after, pair.lang, list(pair.points), pair.noun
            else:
                before, after, lang, notes = pattern(rng, ent)
            wordings = change_wordings(pattern.__name__)
            change = wordings[0] if wordings else None
            if change and rng.random() < 0.5:
                change = wordings[1]
            held = self.pool == "eval"
            contexts = [c for c in (EVAL_CONTEXT if held else CONTEXT) if not change or not any(w in c for w in SAME_BEHAVIOUR)]
            asks = [a for a in (EVAL_ASKS if held else ASKS) if not change or not any(w in a for w in SAME_BEHAVIOUR)]
            ctx_line = one(rng, contexts).format(e=ent.replace("_", " "), pl=T.plural(ent).replace("_", " "))
            ask = compose_request(rng, f"{one(rng, asks)} {ctx_line}".strip(), ent, self.pool)
            user = f"{ask}\n\n{fence(lang, before)}"
            rng.shuffle(notes)
            if change:
                intro = one(rng, CHANGE_INTROS).format(change=change)
            else:
                intro = one(rng, EVAL_INTROS if held else INTROS).format(e=ent.replace("_", " "))
            changed = "The changes:" if held else "What changed:"
            answer = (f"{intro}\n\n"
                      f"{fence(lang, after)}\n\n{changed}\n" + "\n".join(f"- {n}" for n in notes))
            system = ("You are a senior engineer who improves code for clarity and correctness, and says plainly "
                      "when a change alters behaviour or an interface." if change else
                      "You are a senior engineer who refactors code for clarity without changing its behaviour, "
                      "and explains each change.")
            yield ctx.example(subcategory, [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ], refactor="behaviour change" if change else "behaviour-preserving", pattern=pattern.__name__)


@hookimpl
def register_categories(register):
    register(Category(name="style_refactor", spec_path=spec_path("style_refactor"),
                      generator=StyleRefactorGenerator()))
