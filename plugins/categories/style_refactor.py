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
from factory.authoring.phrasing import pick
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

# Phrase grammars (factory.authoring.phrasing) for the training pool. ASKS and CONTEXT say nothing about
# behaviour; SAME_ASKS and SAME_CONTEXT ask for it to be kept, so only a behaviour-preserving pattern uses them.
ASKS = (
    "{Refactor|Clean up|Tidy up|Rework} this{ function| code| snippet|}{, please|}.",
    "{Can you|Could you|Would you} {clean this up|refactor this|tidy this up}{ for me|}?",
    "This works{,|} but it's {ugly|hard to read|a mess|clunky}{ -- can you refactor it?|. Refactor it, please.|. "
    "How would you clean it up?}",
    "Make this {idiomatic|more idiomatic|read more naturally}{, please|}.",
    "{Review|Look over} this function and refactor it{ where it needs it|}.",
    "How would you improve this{ code| function|}?",
    "{Please refactor|Refactor} this to match our style.",
    "Can you refactor this to match our style?",
    "What would you change here{ before it gets merged| to make it cleaner|}?",
    "{I'd like|I want} a {cleaner|tidier|more readable} version of this{ function|}.",
    "{This|The function below|This code} is {harder to read than it should be|more complicated than it needs to be}"
    "{; can you refactor it?|. How would you restructure it?|. Please refactor it.}",
    "{Show me|Give me} {a refactored|an improved} version of this{ function|, with reasons|}.",
    "{I'm not happy with|I don't like} how this reads{. What would you do?|; refactor it the way you'd write it.}",
)
SAME_ASKS = (
    "Tidy this up without changing {behaviour|what it does|its behaviour}.",
    "{Refactor|Restructure} this{,|} but keep the behaviour {the same|exactly as it is|identical}.",
    "{Clean this up|Refactor this} without {changing|touching} {its behaviour|the results it gives}"
    "{; callers depend on it|}.",
    "{Can you|Could you} make this {cleaner|easier to read} while keeping {the same behaviour|every result the same}?",
)
CONTEXT = (
    "{It's|This is} from the {e} {module|service|package}.",
    "{We|The team} {touch|edit|change} this {code|function} {a lot|all the time|every sprint}.",
    "{I found|I ran into|I spotted} it while {fixing|chasing|debugging} {a_e} bug.",
    "{A|The} reviewer flagged it{ in the last PR| yesterday|}.",
    "{It's|This is} in the hot path for {pl}.",
    "{It|This} was written {in a hurry|years ago|under deadline pressure}{ and it shows|}.",
    "{Nobody|No one} {wants to|likes to} touch it{ anymore|}.",
    "{It|This function} {shows up|comes up} in {almost every|every other} {e} code review.",
    "{I'm|We're} about to add {a feature|a new case|another field} {here|to it}{, so I want it clean first|}.",
    "{It|This} {was copied|got copied} into {two|three|several} other places{ already|}.",
)
SAME_CONTEXT = (
    "Keep the behaviour the same.",
    "{Callers|Other modules|The {e} handlers} rely on {its exact output|what it returns}{, so be careful|}.",
)
INTROS = ("{Here is|Here's} the refactored version:", "Refactored:", "{Cleaner|A cleaner} version:",
          "{Here's|This is} how I'd write it:", "Same behaviour, {easier to read|less code|clearer structure}:",
          "Here's the {e} code tidied up:", "This version keeps the behaviour{ and drops the noise|}:",
          "Refactored {e} code below.", "Here you go -- behaviour unchanged:", "Suggested rewrite:",
          "{Sure|Okay} -- {same behaviour, new shape|identical results, cleaner code}:",
          "I'd {restructure|refactor} it like this; {behaviour is|the results are} unchanged:",
          "{The|A} behaviour-preserving {refactor|version}{ of the {e} code|}:")
# Headings of the list of changes and how an answer may end (the eval pool has its own heading).
CHANGED = ("What changed:", "{Changes|What I changed|The main changes}{ made| in detail|}:",
           "{Why|Why it's better|Why this way}:", "{Notes|Points worth knowing} on the {change|rewrite}:")
CLOSERS = ("", "", "", "{Your|The} existing tests should {pass unchanged|still pass as they are}.",
           "{Happy|Glad} to {walk through|explain} any of {it|these changes}{ in more detail|}.",
           "{I'd|You could} land this as {its own|a separate} commit{ so it's easy to review|}.",
           "{Want|Should} I apply the same {treatment|refactor} to {the rest of the file|similar code nearby}?")
CHANGE_CLOSERS = ("", "", "{Check|Update|Review} the callers{ before merging| in the same PR|}.",
                  "{Mention|Call out} the {change|new behaviour} in the {PR description|changelog}.",
                  "{A|One} {test|regression test} for the new behaviour {would be worth adding|is a good idea}.")
# For a pattern that changes behaviour: no "behaviour unchanged", and the change said first.
CHANGE_INTROS = ("Here's the improved version. Note that {change}.", "Suggested rewrite. Heads-up: {change}.",
                 "Cleaner, but not a pure refactor: {change}.", "Here's how I'd write it; {change}.",
                 "One thing first: {change}.", "This is more than a refactor -- {change}.")
SAME_BEHAVIOUR = ("without changing behaviour", "behaviour unchanged", "keeps the behaviour", "Same behaviour",
                  "Keep the behaviour the same")
# The eval pool's own requests and context lines (held out by construction).
EVAL_ASKS = ("{Simplify|Tidy up|Clean up|Streamline} this{ function| helper| code|} {but keep|with} the same behaviour"
             "{, please| throughout|}.",
             "{Rewrite|Redo|Restructure} this {more cleanly|more readably|more simply|in a cleaner way}"
             "{ if you can|, please| for me|}.",
             "{Could|Can|Would} this {read better|be easier to follow|be written more clearly}"
             "{ -- rewrite it| if you rewrote it| in your hands|}?",
             "{Modernise|Update|Refresh} this {code|snippet|function|helper}{ for current Python| to today's idioms|"
             " with newer idioms|}{, please|}.",
             "Give this {function|snippet|helper|code} a {cleanup|tidying|readability|clarity} pass"
             "{ before the review| before we build on it|}.",
             "{How would you|Would you} {restructure|straighten out|untangle|reshape} this{ helper| code| function|}?")
EVAL_INTROS = ("Rewritten, with the same behaviour:", "A cleaner take:", "Here it is after the cleanup:",
               "The {e} code, simplified:")
EVAL_CONTEXT = ("", "It sits in the {e} {service|module|worker|package}{ we inherited| nobody owns|}.",
                "New joiners keep tripping over it{ in code review| when they read it| every quarter|}.",
                "{It's|This is} part of the {e} {cleanup|tidy-up|consolidation}{ we planned| for the quarter|}.",
                "{Nobody|No one on the team} {likes|wants} to touch it{ any more| as it is| in this state|}.",
                "We're {about to extend|going to change|planning to build on} it{ next week| soon|} and "
                "want it {readable|clear} first.",
                "{The|Our} {linter|reviewer|lead} {complained about|flagged|frowned at} it{ last week| twice|}.")


def _promises_same(text: str) -> bool:
    """The wording promises unchanged behaviour (never used for a pattern that changes it)."""
    return any(w.lower() in text.lower() for w in SAME_BEHAVIOUR)


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
            noun = ent.replace("_", " ")
            slots = {"e": noun, "a_e": code.a_or_an(ent), "pl": T.plural(ent).replace("_", " ")}
            if held:
                contexts = [c for c in EVAL_CONTEXT if not change or not _promises_same(c)]
                asks = [a for a in EVAL_ASKS if not change or not _promises_same(a)]
                context = pick(rng, contexts).format(**slots)
                ask = pick(rng, asks)
                ask = f"{context} {ask}" if context and rng.random() < 0.5 else f"{ask} {context}".strip()
            else:
                ask = pick(rng, ASKS if change else ASKS + SAME_ASKS)
                if rng.random() < 0.6:
                    ask += " " + pick(rng, CONTEXT if change else CONTEXT + SAME_CONTEXT).format(**slots)
            ask = compose_request(rng, ask, ent, self.pool)
            user = f"{ask}\n\n{fence(lang, before)}"
            rng.shuffle(notes)
            if change:
                intro = one(rng, CHANGE_INTROS).format(change=change)
            elif held:
                intro = one(rng, EVAL_INTROS).format(e=noun)
            else:
                intro = pick(rng, INTROS).format(e=noun)
            changed = "The changes:" if held else pick(rng, CHANGED)
            closer = "" if held else pick(rng, CHANGE_CLOSERS if change else CLOSERS)
            answer = (f"{intro}\n\n"
                      f"{fence(lang, after)}\n\n{changed}\n" + "\n".join(f"- {n}" for n in notes)
                      + (f"\n\n{closer}" if closer else ""))
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
