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
from factory.authoring.phrasing import pick
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

# Phrase grammars (factory.authoring.phrasing): the same request put the ways different people put it.
# Slots: {E} PascalCase entity, {e} entity in words, {a_e} the same with its article, {pl} plural, {f} fields.
ASKS = {
    "python_model": (
        "{Write|Create|Add|Define} the {E} model for our Python {service|backend|app} with {the |}fields {f}.",
        "{We need|I need|We're missing} {a_e} dataclass{ in Python|}: {f}. {Follow|Stick to|Use} our conventions"
        "{, please|}.",
        "{Can you|Could you|Would you} {add|write|sketch} a Python model for {e} records ({f})?",
        "Model {a_e} in Python{, house style,| following the house style| the way we usually do} with {f}.",
        "{How would you|How should we} {model|represent} {a_e} in our Python code? {It has|It carries|Its fields are} "
        "{f}.",
        "I'm {adding|introducing|starting} {a_e} {entity|type|record} {in|to} the Python {service|codebase}"
        "{ and want it done right|}; it {needs|has} {f}.",
        "Give me {a frozen|an immutable|a read-only} Python {class|type} for {a_e} with {f}"
        "{ in our usual style|, following our conventions|}.",
        "What would the {E} {model|class} look like {in our Python style|written our way}? {Fields|Its fields}: {f}.",
        "{Please turn|Turn} these {e} fields into a proper Python model: {f}.",
        "Our {e} data {is passed around|travels through the code} as {plain|raw} dicts{ today|}; {write|give me} "
        "a {proper |}model with {f} {instead|to replace them}.",
    ),
    "python_service": (
        "Write the service functions for {pl}: a lookup by id and a filter for active ones.",
        "{Give me|I need|Write} a Python module {to|that can} find {a_e} by id and list the active {pl}.",
        "Implement {e} lookup and active-{e} filtering {in our Python style|the way our Python code does it}.",
        "Python service for {pl}, please -- find one by id, list {the |}active ones, cap the batch.",
        "{Can you|Could you} {add|write} {the|a new} {e} service layer{ in Python|}? {It needs|We need} "
        "{lookup by id|a by-id lookup} and {a way to list|listing of} the active {pl}.",
        "{We keep|Everyone keeps} {writing|re-implementing} the same {e} lookups {by hand|inline|in every handler}; "
        "{put|move} them {in|into} one {module|service module} with a proper not-found error.",
        "{I want|I'd like} a {small|compact} Python service {for|around} {pl}: {fetching|getting} one by id"
        "{ (with a clear error when it's missing)|} and {selecting|keeping} the active ones{ in batches|, capped|}.",
        "How would you write the {e} lookup {functions|code} in our house style{, with logging and a batch cap|}?",
        "{Add|Write} a by-id lookup for {pl} that raises a {domain|specific|proper} error instead of a bare KeyError"
        "{, plus an active filter|, and a function that keeps the active ones|}.",
        "{Where|When} {a_e} id {is unknown|doesn't exist}, {callers|handlers} {get|see} a raw KeyError{ today|}; "
        "{write|give me} {the|a new} {e} service {that fixes that|that raises something meaningful}{ and lists active {pl}|}.",
    ),
    "python_tests": (
        "Write a small summary module for {pl} amounts and pytest tests for it.",
        "I need helpers that total {e} amounts and pick the large ones, with tests.",
        "Add pure functions for {e} totals plus their pytest tests.",
        "{Can you|Could you} {write|add} {two|a couple of} {helpers|functions} {for|over} {pl} -- {one to sum|summing} "
        "the amounts, {one to find|finding} the {large|big-ticket} ones -- {with|and} pytest {tests|coverage}?",
        "{We|I} {want|need} {e} totals {computed|calculated} in {one|a single} {tested|well-tested} place"
        "{ instead of inline in the views|}. {Include|Add|Write} the pytest tests{ too| as well|}.",
        "How would you {structure|write} {a_e} amount summary so {that |}it's {easy|trivial} to test"
        "{, tests included|, with the tests|}?",
        "Show me how you'd {structure|write} the {e} amount summary so it's {easy|trivial} to test{, with the tests|}.",
        "Give me a {tiny|small} module {that|which} {sums|totals} {e} amounts in cents and {filters|picks out} "
        "{rows|records} above a threshold, {and|plus} {the tests for it|its pytest file}.",
        "{Our|The} {e} {report|dashboard} {needs|wants} a total and a list of large {pl}; {write|implement} "
        "{both|the two} as pure functions with {tests|pytest tests}.",
        "{What's|What is} {a clean|the cleanest|a testable} way to {total|add up} {e} amounts and flag the large ones? "
        "{I'd like|Please include|Show} the tests{ too|}.",
    ),
    "typescript_component": (
        "Write a React card component for {a_e} showing {f}.",
        "Create the {E}Card component ({f}) in our TSX style.",
        "I need {a_e} card in React with {f}; clicking it selects the {e}.",
        "{Can you|Could you} {build|write} a {small|simple} {card|tile} for {pl} in React{ and TypeScript|}? "
        "It should {show|display|render} {f}.",
        "{Our|The} {e} {list|page|dashboard} needs a card {per|for each} {e}: {show|display} {f} and {call|fire} the "
        "select {callback|handler} {on click|when it's clicked}.",
        "{Add|Write} a {typed |}TSX component that {renders|displays} {a_e} ({f}){, house style|, following our "
        "conventions|}.",
        "How would you {write|build} {a_e} summary card in our React {codebase|style}? {Fields|It shows}: {f}.",
        "{Please turn|Turn} the {e} {details|fields} ({f}) into a {clickable|selectable} React card"
        "{ with typed props|}.",
        "Could you turn the {e} fields ({f}) into a {clickable|selectable} React card{ with typed props|}?",
        "{We're|I'm} {redoing|rebuilding|cleaning up} the {e} {screen|page} and {need|want} a card that "
        "{shows|lists} {f}{; the parent handles selection|}.",
    ),
    "typescript_client": (
        "Write a TypeScript client function that fetches {a_e} by id with a timeout.",
        "Add fetch{E} to our API client, house style.",
        "{Load|Fetch} {a_e} from the API{ in TypeScript|} and filter the active {pl}.",
        "{Can you|Could you} {write|add} the {e} {fetch|loading} code for our {TypeScript|TS} client? "
        "{It should|It has to} {time out|give up} {after a while|instead of hanging|if the API is slow}.",
        "{Our|The} {front end|web app|dashboard} {hangs|spins forever} when the {e} API is slow; {write|give me} a "
        "fetch with a {proper |}timeout and {clear|useful|readable} errors.",
        "{I need|We need} {an async|a typed} {function|helper} {to|that can} {load|get|fetch} {a_e} by id"
        "{ and one to keep the active {pl}|}.",
        "How {should|would} we {fetch|load} {pl} in TypeScript so {that |}{errors|failures} {say which resource "
        "failed|name the resource and the status}?",
        "{Please replace|Replace} our {promise-chain|then-chain|callback-based} {e} fetch with "
        "{async/await|an async/await version} and a timeout.",
        "Can you replace our {then-chain|callback-based} {e} fetch with {async/await|an async/await version}"
        "{ and a timeout|}?",
        "{Write|Add} the {e} API call{ for the front end|}: one {request|call} by id that {can't hang|is cancelled "
        "after a timeout}{, plus a filter for active {pl}|}.",
    ),
    "go_struct": (
        "Define the Go struct for {a_e} with {f}, plus validation.",
        "Write the {E} type in Go ({f}) with a Validate method.",
        "Go model for {e}: {f}. {Follow|Stick to} our conventions.",
        "{Can you|Could you} {add|write} {a_e} struct to our Go {service|code} with {f}{ and JSON tags|}? "
        "It {should|needs to} {validate itself|check its own fields}.",
        "{We're|I'm} {adding|porting} {pl} to the Go {service|worker|backend}{ this sprint|}; {write|give me} the "
        "struct ({f}) {and|plus} {a Validate method|validation}.",
        "How would you {model|write} {a_e} in Go, {house style|our style|following our conventions}? "
        "{It has|Its fields are} {f}.",
        "{I need|We need} a Go {type|struct} for {pl} {that|which} {marshals|serialises} to JSON "
        "{with snake_case keys|in snake_case} and {rejects|refuses} {invalid|bad} {values|data}. Fields: {f}.",
        "{Please turn|Turn} the {e} field list into a Go struct{ with validation|}: {f}.",
    ),
    "rust_struct": (
        "Write the Rust struct for {a_e} with {f} and a validity check.",
        "Define {E} in Rust ({f}); no panics.",
        "Rust model for {pl} with {f}, house style.",
        "{Can you|Could you} {write|add} {a_e} struct in Rust {with|holding} {f}{ and derive the usual traits|}? "
        "{It|The type} {should|needs to} {report whether it's valid|have a validity check} {without panicking|"
        "rather than panic}.",
        "{We're|I'm} {moving|porting} {e} {handling|parsing} to Rust; {start with|begin with|I need} the struct: {f}.",
        "How would you {model|define} {a_e} in Rust{ the way we write things here|, following our conventions|}? "
        "{Fields|It holds}: {f}.",
        "{I need|We need} a Rust {type|struct} for {pl}{ with doc comments| that derives Debug and Clone|} and "
        "a validity {check|method}{ instead of panics|}. {Fields|Include}: {f}.",
        "{Please turn|Turn} the {e} fields ({f}) into a Rust struct {that can tell|that says} "
        "{if|whether} it's valid.",
        "Could you turn the {e} fields ({f}) into a Rust struct that {can tell|says} whether it's valid?",
    ),
}
# What a user may add: where the code goes, who reads it, what matters (one sentence, before or after).
ASIDES = (
    "{It|This} {goes|will live} in the {shared|core|common} {module|package}{ next to similar code|}.",
    "{We'll|I'll} {extend|build on} it {later|in a follow-up|next sprint}{, so keep it easy to grow|}.",
    "{It|The code} {needs to|has to|should} pass review {today|before lunch|this afternoon|by end of day}.",
    "Match the rest of the codebase{, please|, nothing clever|}.",
    "Keep it {small|short|minimal|lean}{ -- we can add more later|; no extras|}.",
    "{A new hire|An intern|A teammate} {will|is going to} {read|copy|build on} this{, so make it a good example|"
    " as a reference|}.",
    "{The reviewer|Our lead|Our tech lead} {is strict|is picky|cares a lot} about {conventions|the house style|"
    "naming and typing}.",
    "{It|This} replaces {an older|a legacy|a hand-rolled} version {that|which} {nobody wanted to touch|had no types|"
    "grew messy}.",
    "{Please list|List|Mention} {which|the} conventions you {applied|followed}{ at the end|}.",
    "{Skip|No need for} {a long explanation|the commentary|a lecture}{, just the code and the conventions|}.",
    "{I'm|We're} {new to|still learning} {the|our} house style, so {point out|name} what you {apply|follow}.",
    "{Last time it|The last version} {failed review|got sent back} for {style|naming|missing types}{, so be careful|}.",
    "{This is|It's} {for|part of} the {e} {rewrite|cleanup|migration}{ we started this sprint|}.",
)
# The eval pool's own requests (held out by construction: wording training never uses -- "data class",
# "team conventions", "lookup-by-id", "big ones").
EVAL_ASKS = {
    "python_model": (
        "{Create|Set up|Produce} {a_e} data class with {f}{, team conventions|, per team conventions|}.",
        "I need {E} as a typed Python {model|data class|record type}: {f}{, nothing else| to start with| for now|}.",
        "{Sketch|Draft|Lay out} a typed data class for {pl}{ with| holding| carrying} {f}, the way the team "
        "{writes|shapes|types} them.",
        "{What would|How would} {a_e} data class with {f} look {per|under|following} team conventions"
        "{ in Python| these days|}?",
        "{Our|The} {e} records need a {typed data class|data class with types|typed record class}: {f}"
        "{; team conventions apply| -- team conventions|, the usual conventions|}."),
    "python_service": (
        "Python helpers for {pl}: {fetch|load|pull} one by id and keep only the {active|live|enabled} ones.",
        "Give me {e} lookup-by-id plus an {active|active-only} filter{, in our Python style| the team's way|"
        ", Python, team conventions}.",
        "{Put together|Draft|Assemble} Python helpers {around|for} {pl}: lookup-by-id {that raises a named error|"
        "with a named not-found error|failing with a named error} and an active filter.",
        "{How would|What would} the {e} lookup-by-id and {active|active-only} filter look{ in Python| as Python "
        "helpers|}{, following team conventions| under our conventions|}?",
        "{I'm after|We want|We're missing} {two|a pair of} Python helpers for {pl}{:|,} lookup-by-id and "
        "{an active-only filter|a filter for the active ones|a way to keep just the active ones}."),
    "python_tests": (
        "Pure helpers that {sum|add up} {e} amounts and {select|keep} {big|large} ones, plus {pytest tests|"
        "tests in pytest}{, please| for them|}.",
        "{Draft|Sketch|Prepare} pure helpers {over|for} {pl} {that|which} {sum|add up} amounts and select the "
        "{big|large|sizeable} ones{, tests included|, with pytest tests|, pytest included}.",
        "{Sum|Total} {e} amounts and {select|keep} the big ones with pure helpers; {team conventions, tests included|"
        "tests too, team conventions|with tests, per team conventions}.",
        "{I'd like|We need|Could we get} side-effect-free helpers {that total|to total} {e} amounts and "
        "{pick out|select|filter} the big ones{, pytest tests alongside|, tested with pytest| with a test module}."),
    "typescript_component": ("Build a {E} card in TSX that displays {f}.",),
    "typescript_client": ("Write fetch{E} for our TypeScript client, with a timeout and our error style.",),
    "go_struct": ("Give me a Go {E} struct ({f}) that can validate itself.",),
    "rust_struct": ("A Rust {E} struct with {f} and an is-valid check, please.",),
}
# The eval pool's own second sentences (training's are ASIDES).
EVAL_ASIDES = (
    "{It goes into|This goes into|It belongs in} the {e} {package|area|subpackage} {the platform team owns|"
    "we're consolidating|that ships next}.",
    "{A reviewer|Our lead|The maintainer} {will|is going to} {compare|check|hold} it against {the style guide|"
    "team conventions|the conventions doc}{ line by line|}.",
    "We'll {hand it over|pass it on|give it} to {another squad|the maintainers|the data team} "
    "{afterwards|next month|once it's merged}.",
    "{Typing matters|Types matter|Annotations matter} {here|for this one|a lot here}: {the checker|our type checker|"
    "mypy} runs in CI{ on every push|}.",
    "{There's|We have} {no|hardly any} {e} code yet{, so this sets the pattern|; this is the first of it|"
    " and others will copy it| that anyone would copy from|}.",
    "{The|Our} {e} {records|data} {currently live|are kept} in {loose dicts|a spreadsheet export|raw JSON}"
    "{ and it shows| and that hurts| with no types at all|}.",
)
EVAL_INTROS = ("Written to the house style:", "The {what}, following our conventions:", "In the team's style:",
               "This is how we'd write it here:")
INTROS = ("{Here's|Here is} the {what} in our house style:", "This follows the team conventions{ throughout|}:",
          "{Here is|Here's} a version that fits the {codebase|rest of the code}:", "Done -- house style applied:",
          "Here you go{, house style|}:", "{Sure|Of course} -- {here's|this is} the {what}, {written|laid out} "
          "{our way|the house way}:", "The {what}{, as we'd write it in this codebase|, in our conventions}:")


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
            slots = {"E": T.pascal(ent), "e": ent.replace("_", " "), "a_e": code.a_or_an(ent),
                     "pl": T.plural(ent).replace("_", " "), "f": shown}
            if self.pool == "eval":
                ask = pick(rng, EVAL_ASKS[subcategory]).format(**slots)
                if rng.random() < 0.85:
                    aside = pick(rng, EVAL_ASIDES).format(**slots)
                    ask = f"{aside} {ask}" if rng.random() < 0.3 else f"{ask} {aside}"
            else:
                ask = pick(rng, ASKS[subcategory]).format(**slots)
                if rng.random() < 0.55:
                    aside = pick(rng, ASIDES).format(**slots)
                    ask = f"{aside} {ask}" if rng.random() < 0.3 else f"{ask} {aside}"
            source, lang = build_code(subcategory, ent, fields, rng)
            conventions = list(CONVENTIONS[subcategory])
            rng.shuffle(conventions)
            # Only what the code really does (the quality stage rejects a listed convention it breaks).
            code_only = source if lang else "\n".join(b.code for b in extract_blocks(source))
            conventions = [c for c in conventions if holds(c, code_only) is not False]
            notes = "\n".join(f"- {c}" for c in conventions[: rng.randint(min(2, len(conventions)), len(conventions))])
            what = subcategory.split("_", 1)[1]
            intro = (one(rng, EVAL_INTROS) if self.pool == "eval" else pick(rng, INTROS)).format(what=what)
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
