"""The ``craftsmanship`` category: DRY, SOLID, clean code and refactoring --
the user's code, the smell named, the improved code and why. The user's code parses; the answer's
code parses and (Python) passes ruff."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.designs import DESIGNS
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.phrasing import pick
from factory.authoring.text import bullets, fence, one, some
from factory.registry import Category

# Phrase grammars (factory.authoring.phrasing): per kind, the ways people ask for it.
ASKS = {
    "dry": (
        "I keep copy-pasting this. How do I stop repeating myself?",
        "{Review|Check} this for duplication{, please|}.",
        "This feels repetitive. {Can you DRY it up?|How would you DRY it up?}",
        "Every time the rule changes I {edit|have to touch} {several|three|multiple} places. {Fix?|How do I fix that?|"
        "What's the better structure?}",
        "The same logic {shows up|appears|is copied} in {several|a few|multiple} {places|functions} here; "
        "{how would you|can you} {consolidate|deduplicate} it?",
        "{Where|What} is the duplication in this code, and how would you remove it?",
        "{We|I} {changed|fixed} one copy {last week|recently} and forgot the others{; help me make that impossible.|. "
        "How do we avoid that?}",
        "{Can you|Could you} pull the repeated {parts|logic} {out|into one place}{ without over-engineering it|}?",
        "{How do I|What's the cleanest way to} {share|reuse} this logic instead of {copying|duplicating} it?",
    ),
    "solid": (
        "Does this follow SOLID? What would you change?",
        "This {class|code} is hard to test. Why, and what's better?",
        "How would you restructure this so it's easier to extend?",
        "Apply SOLID principles to this code{, where they actually help|}.",
        "{Which|What} SOLID principle does this {break|violate}{, if any|}, and {how would you fix it|what's the fix}?",
        "Every new {feature|case|variant} {means editing|forces me to edit} this {function|class}{ again|}. "
        "{Is there a better design?|How do I stop that?}",
        "{Can you|Could you} {decouple|untangle} this so {each part can change|the pieces can be tested} on "
        "{its|their} own?",
        "{Our tech lead|The reviewer|My lead} {says|thinks} this {has too many responsibilities|is too tightly coupled}. "
        "{Do you agree, and how would you fix it?|Is that fair? Show me the fix.}",
        "I {want|need} to {fake|mock} {the dependencies|the outside world} here in tests{, but I can't|}. "
        "{What would you change?|How should this be structured?}",
    ),
    "clean_code": (
        "Make this cleaner and easier to read.",
        "{A reviewer|My lead|A colleague} said this is hard to follow. {Improve it?|Can you improve it?|"
        "How would you clean it up?}",
        "Clean code pass on this, please.",
        "How would you tidy this up before merging?",
        "What makes this hard to read{, and how would you fix it|}?",
        "{I|We} {have to|need to} hand this over {next quarter|to another team|soon}; {make it|help me make it} "
        "{readable|easier to follow}.",
        "{Can you|Could you} {rename|restructure|rework} whatever needs it so this reads {well|top to bottom}?",
        "{Is this|Would you call this} clean code? {If not, what would you change?|What would you improve?}",
        "{It took me|I needed} {ten minutes|a while|way too long} to understand this{ function| code|}. "
        "{Make it clearer|Clarify it}{, please|}.",
    ),
    "refactoring": (
        "Refactor this without changing behaviour.",
        "Which refactoring fits here? Show me.",
        "Help me refactor this step by step.",
        "What refactoring would you apply to this?",
        "Which named refactoring fits here? {Apply it, please.|Show it applied.}",
        "{I|We} {need|want} to {change|extend} this soon, so {refactor|restructure} it first{ to make the change easy|}.",
        "{How would you|Can you} {restructure|refactor} this {in small, safe steps|without breaking callers}?",
        "Before {adding|changing} anything here, {what|which} refactoring {would you do|makes sense} first?",
        "{Show me|Walk me through} a {behaviour-preserving|safe} refactoring of this{ code|}.",
    ),
}
# Where the code comes from (optional; before or after the ask).
CONTEXT = (
    "{We're preparing|We're close to} a release.",
    "{Small|It's a small} PR for review.",
    "{This|The code} grew over {a few|several} sprints.",
    "{I'm a junior dev|I'm fairly new to the team|I joined the team recently}.",
    "{It's|This is} from our {domain} code.",
    "{It's|This is} on our tech-debt {list|board}{ for this sprint|}.",
    "{There are tests for it|It's covered by tests}{, so we can refactor safely|}.",
    "{It|This} was {written|thrown together} for a demo and never {cleaned up|revisited}.",
    "{Two|Three} {people|teams} {change|edit} this file {every week|regularly}.",
)
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
        ask = pick(rng, ASKS[kind])
        if rng.random() < 0.6:
            context = pick(rng, CONTEXT).format(domain=domain)
            ask = f"{context} {ask}" if rng.random() < 0.6 else f"{ask} {context}"
        d.user(ask + "\n\n" + fence(pair.lang, pair.before))
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
