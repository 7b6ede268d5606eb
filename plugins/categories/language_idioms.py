"""The ``language_idioms`` category: non-idiomatic code in Rust, TypeScript,
Python and Go rewritten idiomatically, with the reasons. The user's code parses; the answer's code
parses and (Python) passes ruff."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.idioms import CHANGES, IDIOMS
from factory.authoring.phrasing import pick
from factory.authoring.text import bullets, fence, one, some
from factory.registry import Category

LABEL = {"python": "Python", "typescript": "TypeScript", "rust": "Rust", "go": "Go"}
# Phrase grammars (factory.authoring.phrasing): {L} is the language, {X} another one the user knows.
ASKS = (
    "{Can you|Could you|Would you} make this {more idiomatic|idiomatic} {L}?",
    "This works but {feels|looks|reads} {clunky|awkward|clumsy}. How would {an experienced|a seasoned|a senior} "
    "{L} developer write it?",
    "{Code review nit|A review comment|Feedback} from a colleague: 'not idiomatic {L}'. What did they mean?",
    "I'm coming from {X}{ and it probably shows|}. {Rewrite|Write} this the {L} way, please.",
    "Clean this up using {standard|the usual|common} {L} idioms.",
    "Is there a more natural way to write this in {L}?",
    "{Please modernise this {L} {snippet|code}.|Can you modernise this {L} {snippet|code}?}",
    "Our linter is unhappy with this {L}. What's the idiomatic version?",
    "{What|Which} {idiom|language feature} am I missing {here|in this {L} code}?",
    "I {wrote|ported} this {from {X}|in a hurry|while learning {L}}; {how should it look|what would idiomatic {L} "
    "look like}?",
    "{Show me|Give me} the idiomatic {version|form} of this{, with reasons|, and explain the changes|}.",
    "Would this pass {a|your} {L} code review{ as it is|}? If not, {fix it.|how would you change it?}",
    "{How|In what ways} {could|would} this {be more idiomatic|read more like idiomatic} {L}{ without getting clever|}?",
    "{I'd like to|I want to} {learn|get better at} idiomatic {L}: how {should|would} {this|this snippet} be written?",
    "{Everything|It} {compiles|runs} and the tests pass, but {it doesn't look like|it's not what I see in} "
    "{other|good|real-world} {L} code. {What's different?|What would you change?}",
)
# Where the code comes from: optional, before or after the ask.
CONTEXT = (
    "{It's|This is} from {our|the} {domain} {service|codebase|backend}.",
    "{It's part of|This belongs to} our {domain} prototype{ we're about to productionise|}.",
    "Legacy code from the {domain} team{, still in use|}.",
    "{I'm|We're} {learning|still new to} {L}{ after years of {X}|}.",
    "{A junior|An intern|A new colleague} {wrote|submitted} this{ for the {domain} project|}.",
    "{It|This} {runs|sits} in {a hot loop|the request path|a nightly job} of the {domain} {service|system}.",
    "{It|This} got through review{ last year|} but {nobody likes it|it bugs me}.",
    "{We're|I'm} {cleaning up|tidying} the {domain} {module|code} before {a release|the audit|handing it over}.",
)
OTHERS = ("Java", "C#", "PHP", "C++", "JavaScript", "Python", "Go", "Ruby")
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
        slots = {"L": LABEL[lang], "X": one(rng, [o for o in OTHERS if o != LABEL[lang]]), "domain": domain}
        ask = pick(rng, ASKS).format(**slots)
        if rng.random() < 0.6:
            context = pick(rng, CONTEXT).format(**slots)
            ask = f"{context} {ask}" if rng.random() < 0.6 else f"{ask} {context}"
        d.user(ask + "\n\n" + fence(lang, pair.before))
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
