"""The ``language_idioms`` category: non-idiomatic code in Rust, TypeScript,
Python and Go rewritten idiomatically, with the reasons. The user's code parses; the answer's code
parses and (Python) passes ruff."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.idioms import CHANGES, IDIOMS
from factory.authoring.text import bullets, fence, one, some
from factory.registry import Category

LABEL = {"python": "Python", "typescript": "TypeScript", "rust": "Rust", "go": "Go"}
ASKS = [
    "Can you make this more idiomatic {L}?",
    "This works but feels clunky. How would an experienced {L} developer write it?",
    "Code review nit from a colleague: 'not idiomatic {L}'. What did they mean?",
    "I'm coming from Java. Rewrite this the {L} way, please.",
    "Clean this up using standard {L} idioms.",
    "Is there a more natural way to write this in {L}?",
    "Please modernise this {L} snippet.",
    "Our linter is unhappy with this {L}. What's the idiomatic version?",
]
CONTEXT = ["", "It's from our {domain} service. ", "This is in the {domain} codebase. ",
           "Part of a {domain} prototype. ", "Legacy code from the {domain} team. "]
LEADS = [
    "Here's the idiomatic version ({title}):",
    "The main change is {title}:",
    "Rewritten with {title}:",
    "{Title} is the idiom you want here:",
    "I'd write it like this, using {title}:",
]
GENERAL = {
    "python": ["Behaviour is unchanged; only the shape of the code moved toward the standard library.",
               "Type hints make the contract visible without reading the body.",
               "This is the form `ruff` and reviewers expect in modern Python."],
    "typescript": ["Behaviour is unchanged for valid inputs; the compiler now checks more of it.",
                   "This style is what `@typescript-eslint` recommends.",
                   "No `any` leaks into callers."],
    "rust": ["`cargo clippy` would suggest most of these changes on the original.",
             "Ownership is clearer: the function borrows what it reads.",
             "The compiled code is at least as fast; iterator chains optimise to the same loops."],
    "go": ["`go vet` and `staticcheck` are happy with this version.",
           "It follows Effective Go: short, explicit, errors handled where they occur.",
           "Behaviour is identical for callers."],
}
# What a pair that changes behaviour (the kit's CHANGES) must not say.
SAME_BEHAVIOUR = ("unchanged", "identical", "same output", "byte-for-byte")
CLOSERS = ["", "Want me to apply the same pattern elsewhere in the file?",
           "If you have tests for this function they should pass unchanged.",
           "Happy to explain any line in more detail.", "One idiom at a time is the easiest way to review this."]


def _builder(lang: str):
    def build(rng, d: Dialog) -> None:
        builder = one(rng, IDIOMS[lang])
        pair = builder(rng)
        change = CHANGES.get(builder.__name__)
        domain = rng.choice(["billing", "logistics", "analytics", "booking", "inventory", "payments", "HR"])
        d.user(one(rng, CONTEXT).format(domain=domain) + one(rng, ASKS).format(L=LABEL[lang]) + "\n\n"
               + fence(lang, pair.before))
        lead = one(rng, LEADS).format(title=pair.title, Title=pair.title[0].upper() + pair.title[1:])
        general, closers = GENERAL[lang], CLOSERS
        if change:
            general = [g for g in general if not any(w in g.lower() for w in SAME_BEHAVIOUR)]
            closers = [c for c in closers if not any(w in c.lower() for w in SAME_BEHAVIOUR)]
        points = [p for p in pair.points if not change or not any(w in p.lower() for w in SAME_BEHAVIOUR)]
        why = some(rng, points, 2, len(points)) + some(rng, general, 0, 1)
        note = f"Note that {one(rng, change)}." if change else ""
        parts = [lead, note, fence(lang, pair.after), one(rng, ["Why:", "What changed:", "Reasons:", ""]), bullets(why),
                 one(rng, closers)]
        d.say("\n\n".join(p for p in parts if p))

    return build


GENERATOR = SubcategoryGenerator({lang: _builder(lang) for lang in ("rust", "typescript", "python", "go")})


@hookimpl
def register_categories(register):
    register(Category(name="language_idioms", spec_path=spec_path("language_idioms"), generator=GENERATOR,
                      description="Non-idiomatic -> idiomatic Rust, TypeScript, Python, Go"))
