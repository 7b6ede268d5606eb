"""The ``context_memory`` category: multi-turn conversations where the answer
depends on what came earlier -- a decision made before, the project's written conventions (read from
the workspace), the user's stated preferences, work already done, and names kept consistent."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity, fields, py_dataclass
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.phrasing import pick, say
from factory.authoring.text import bullets, fence, framed, one
from factory.registry import Category
from factory.sandbox.tasks import TASKS

# A design question (its phrasings), the answer, how the answer is recalled later, and the field it adds.
DECISIONS = [
    (("{How should we|What's the right way to|How do we} store money amounts{ in the models| in the database|}?",
      "{Floats, decimals or integers|What type} for {prices|money|amounts}{? What do we standardise on?|?}",
      "{We need a rule|Let's agree on a rule} for {money amounts|prices and totals} {before anyone writes a model|now}."),
     "Store money as integer cents (`int`), never floats: floats can't represent 0.10 exactly.",
     "money as integer cents", "total_cents: int"),
    (("What should {public|external|customer-facing} ids look like?",
      "{Can we|Should we} expose our {database ids|integer primary keys} in {URLs|the API}{, or not|}?",
      "{How do we|How should we} {identify|refer to} records {publicly|in the public API|in links we send out}?"),
     "Expose UUIDs publicly and keep integer keys internal, so ids can't be enumerated.",
     "UUIDs for public ids", "public_id: UUID"),
    (("How do we store timestamps{ in the models|}?",
      "{Local time or UTC|Naive or timezone-aware datetimes} {for|in} the {models|database}{?| -- which one?}",
      "{We need a rule|Let's settle the rule} for {dates and times|timestamps} {before the first model|now}."),
     "Timestamps are timezone-aware UTC `datetime`s; convert to local time only for display.",
     "UTC, timezone-aware timestamps", "created_at: datetime"),
    (("Hard delete or soft delete{ for our records|}?",
      "{When a user deletes something|When records get deleted}, do we {really remove the row|keep it around}?",
      "{Should|Do} deletes {remove rows|actually drop data} or just mark them{ as deleted|}?"),
     "Soft delete: a nullable `deleted_at` column, and every query filters on it.",
     "soft delete via `deleted_at`", "deleted_at: datetime | None = None"),
    (("Do we need optimistic locking{ on our models|}?",
      "{How do we stop|What prevents} two {editors|users|clients} from overwriting each other's changes?",
      "{Lost updates|Concurrent edits} {bit us|were a problem} {before|on the last project}; {how do we prevent them|what's the rule} here?"),
     ("Optimistic locking: every row carries a `version` integer, bumped on each update, and updates check it."),
     "a `version` column for optimistic locking", "version: int = 0"),
    (("Should models know who last changed them?",
      "{Do we track|Should we record} {who|which user} {last edited|last changed} each record?",
      "{Auditors keep asking|Support keeps asking|Support always asks} who changed a record{ last|}; {do we store that|should models carry that}?"),
     ("Record `updated_by` (the user id) on every write; it is cheap and saves a lot of guessing later."),
     "an `updated_by` audit field", "updated_by: str = \"\""),
]
# Why the question comes up now: a sentence beside it.
DECISION_WHY = (
    "{We keep|The team keeps} {going back and forth|arguing} on {this|it}{ in reviews| every sprint|}.",
    "{I want to|Let's} {settle it|write it down|decide} {once|before the first model|now}{ so reviews stop revisiting it|}.",
    "{The old system|Our last project} {got this wrong|did it inconsistently}{ and it hurt|, and we paid for it|}.",
    "{We're|I'm} about to write {the first models|a dozen models|the data layer} {for {service}|this week}.",
    "{Whatever we decide|The answer} {goes into|will go into} {the style guide|our conventions doc|the README}.",
)
RATIONALE = ["", " Otherwise we'd revisit it in every review.", " It's much harder to retrofit later.",
             " The team agreed on this in the last design review.", " It matches what the reporting side expects."]
IMPORTS = {"public_id: UUID": "from uuid import UUID\n", "created_at: datetime": "from datetime import datetime\n",
           "deleted_at: datetime | None = None": "from datetime import datetime\n", "total_cents: int": "",
           "version: int = 0": "", "updated_by: str = \"\"": ""}
# An aside between the decision and the request that depends on it: the question's phrasings and the answer.
ASIDES = [
    (("{Unrelated|Different topic}: what's a good name for {a|the} module that holds our models?",
      "{Side question|Quick aside} -- where should the models live{, file-wise|}?",
      "{Before I forget|By the way}, {what do we call|how should we name} the module {for|with} our models?"),
     "`models.py` while it's small; split by aggregate when it grows."),
    (("{Side question|Unrelated} -- dataclasses or pydantic for plain records?",
      "{Should|Do} plain records {use|become} dataclasses or pydantic models{, in your view|}?",
      "{Would you|Do you} {reach for|prefer} pydantic or {dataclasses|plain dataclasses} for records {like these|inside the app}?"),
     "Dataclasses for internal records, pydantic at the boundaries where input is untrusted."),
    (("{Also|One more thing}, should tests live next to the code or in tests/?",
      "{Where do|Where should} the tests {go|live}{: next to the code or in a separate folder|}?",
      "{Do we|Should we} keep tests {beside the modules|in the package} or {in a separate folder|at the top level}?"),
     "A top-level `tests/` directory mirroring the package keeps imports honest."),
    (("{Unrelated|Side question}: {do we need|should we add} `__slots__` on these records?",
      "{Any reason|Is there a reason} to {freeze|make} the dataclasses {frozen|immutable}{ by default|}?",
      "{Should|Would you} {default to|use} `frozen=True` {on|for} {our records|these dataclasses}?"),
     "Not by default: add `frozen=True` where a record is shared and must not change, and skip `__slots__` "
     "until memory shows up in a profile."),
    (("{Unrelated|Also}: {should|do} model names {be singular or plural|use singular nouns}?",
      "{Quick aside|Side question} -- singular or plural class names for models?",
      "{Do we|Should we} name {the classes|model classes} in the singular or the plural{, by the way|}?"),
     "Singular for the class (one record), plural for collections and tables."),
    (("{Unrelated|Side question}: {one file per model|one module per model} or {everything together|one models module}?",
      "{Should|Do} {we|I} split models into {separate files|one file each} {right away|from the start}?"),
     "Keep them together until a file passes a few hundred lines, then split by aggregate, not by class."),
]
REQUESTS = (
    "{Now|Next} {write|add|give me} the `{c}` model{, please| for {service}| when you're ready|}.",
    "{Add|Write|Create} a dataclass for {p} {next|now|as the next step}{, please|}.",
    "{The next thing we need|Next on the list|What I need now} is the `{c}` {type|model|record}{, please|}.",
    "We need {a} `{c}` record with {f} {next|now|for {service}}.",
    "{Model|Define|Write up} `{c}` for me ({f}){, please| as a dataclass|}.",
    "{Can|Could|Would} you {write|define|sketch} the `{c}` {dataclass|model|record}{ with {f}| for {service}|}?",
    "{Let's do|Time for|Moving on to} the `{c}` model {now|next}{, with {f}|}.",
    "{I'd like|I want} {a} `{c}` {dataclass|model} {with|that holds|carrying} {f}{ next| now|}.",
)
REQUEST_CONTEXT = (
    "{It|This one} {goes into|lives in|belongs in} `models.py` {with the others|next to the rest|for now}.",
    "{We'll|I'll} {wire it|hook it} {into the API|into the service layer|up to storage} {later|next|afterwards}.",
    "{It's|This is} the {core|main|first} record of {service}{ code|}{, so get it right|}.",
    "{It will be|Rows of it get|It gets} {persisted|stored} in {the main database|the shared database|our SQLite file}"
    "{ eventually| from day one|}.",
    "{Other teams|The reporting side|The mobile app} will {read|consume|depend on} it{, so it has to be solid| soon|}.",
    "{The|Those} field names come {straight|directly} from {the product spec|the old schema|the API contract}.",
)


def _a(word: str) -> str:
    """The indefinite article before ``word``."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _model(ent, fs, extra_field: str) -> str:
    imp = IMPORTS[extra_field]
    head = "from dataclasses import dataclass\n" + imp
    head = "".join(sorted(head.splitlines(keepends=True), key=lambda ln: ln.split()[1]))
    body = py_dataclass(ent, fs).rstrip("\n") + f"\n    {extra_field}\n"
    return head + "\n\n" + body


def _said(rng, first: str, bank: tuple[str, ...], chance: float, **slots: str) -> str:
    """``first`` and, with probability ``chance``, a sentence of ``bank`` before or (more often) after it."""
    if rng.random() >= chance:
        return first
    extra = say(rng, one(rng, bank), **slots)
    return f"{extra} {first}" if rng.random() < 0.3 else f"{first} {extra}"


def previous_decisions(rng, d: Dialog) -> None:
    asks, answer, short, extra = one(rng, DECISIONS)
    e = entity(rng)
    service = f"the {flows.bare(e.domain)} service"
    d.user(one(rng, ["", f"Design question for {service}: ", "Before we write models: ",
                     f"Settle this for the {flows.bare(e.domain)} codebase: "])
           + _said(rng, say(rng, one(rng, asks)), DECISION_WHY, 0.85, service=service))
    d.say(answer + one(rng, RATIONALE) + one(rng, [" I'll apply this to every model from now on.",
                                                   " Let's treat that as settled.", ""]))
    fs = fields(rng, e, 2, 4)
    if rng.random() < 0.6:
        questions, reply = one(rng, ASIDES)
        d.user(say(rng, one(rng, questions)))
        d.say(reply)
    fmt = {"c": e.cls, "a": _a(e.cls), "p": e.plural.replace("_", " "), "f": ", ".join(x.name for x in fs),
           "service": service}
    d.user(_said(rng, say(rng, one(rng, REQUESTS), **fmt), REQUEST_CONTEXT, 0.8, **fmt))
    d.say(one(rng, [f"Following what we decided earlier ({short}):", f"As agreed above -- {short}:",
                    f"Applying our earlier decision ({short}):"]) + "\n\n" + fence("python", _model(e, fs, extra)))


CONVENTIONS = [
    ("Money is stored as integer cents", "integer cents", [
        "def {s}_total_cents(price_cents: int, quantity: int) -> int:\n    return price_cents * quantity\n",
        "def {s}_refund_cents(paid_cents: int, percent: int) -> int:\n    return paid_cents * percent // 100\n"]),
    ("every query uses parameters", "parameterised queries", [
        ("import sqlite3\n\n\ndef find_{p}(conn: sqlite3.Connection, key: str) -> list[tuple]:\n"
        "    return conn.execute(\"SELECT * FROM {p} WHERE key = ?\", (key,)).fetchall()\n"),
        ("import sqlite3\n\n\ndef delete_{s}(conn: sqlite3.Connection, row_id: int) -> None:\n    with conn:\n"
        "        conn.execute(\"DELETE FROM {p} WHERE id = ?\", (row_id,))\n")]),
    ("constant-time comparison", "a constant-time comparison", [
        ("import hmac\n\n\ndef {s}_token_ok(presented: str, expected: str) -> bool:\n"
        "    return hmac.compare_digest(presented.encode(), expected.encode())\n")]),
    ("case-insensitive", "case-insensitive codes", [
        "def normalise_{s}_code(code: str) -> str:\n    return code.strip().upper()\n",
        "def same_{s}_code(a: str, b: str) -> bool:\n    return a.strip().casefold() == b.strip().casefold()\n"]),
    ("never floats", "integers instead of floats for money", [
        ("def {s}_split_cents(total_cents: int, parts: int) -> list[int]:\n    base, extra = divmod(total_cents, parts)\n"
        "    return [base + (1 if i < extra else 0) for i in range(parts)]\n")]),
]


CONVENTION_ASKS = (
    "{Add|Write} a {small|} helper for {p} {to this project|in this repo|here}{, please|}.",
    "I need a {small|little|simple} function for {p} in shoplite{ today| for the next release|}.",
    "{Can|Could} you add {p} support {in the style of this codebase|the way this repo does things|to shoplite}?",
    "{Implement|Write} a {p} utility that {fits|follows|respects} our conventions.",
    "{We're missing|There's no|Shoplite has no} helper for {p} yet{; can you add one|, please add one}.",
    "{Please|} {put together|add} {a function|a helper} {that handles|for} {p}{ in shoplite|}.",
)
CONVENTION_CONTEXT = (
    "{It|The helper} {will be|is going to be} called from {the API|a nightly job|the admin pages|the reports}.",
    "{Follow|Stick to|Respect} {the house rules|our conventions|whatever the docs say}{, please|}.",
    "{One|A single} {plain|small} function is {enough|plenty}{; nothing fancy|, no framework needed|}.",
    "{It's|This is} for {the {dom} integration|one of our {dom} customers|the {dom} side of the product}.",
    "{A reviewer|The team} {will|is going to} check it against the {docs|written conventions} {before merging|in review}.",
    "{I'm|We're} {new to this repo|not sure of the house style yet} {so|and would like you to} check the docs first.",
)


def project_conventions(rng, d: Dialog) -> None:
    needle, short, codes = one(rng, CONVENTIONS)
    e = entity(rng)
    said = [say(rng, one(rng, CONVENTION_ASKS), p=e.plural.replace("_", " "))]
    for template in rng.sample(CONVENTION_CONTEXT, one(rng, [1, 2, 2])):
        said.insert(rng.randrange(len(said) + 1) if rng.random() < 0.3 else len(said),
                    say(rng, template, dom=flows.bare(e.domain)))
    d.user(framed(rng, " ".join(said)))
    out = d.call("grep", {"pattern": needle, "path": "docs", "output_mode": "content"},
                 content=one(rng, ["First, checking the project's written conventions.",
                                   "Let me check docs/ for house rules before writing anything.", None]))
    line = out.splitlines()[0].split(":", 2)[-1].strip()
    code = one(rng, codes).format(s=e.snake, p=e.plural)
    d.say(one(rng, [f"The architecture notes say: \"{line}\" So the helper uses {short}:",
                    f"`docs/ARCHITECTURE.md` is explicit (\"{line}\"), hence {short}:",
                    f"Following the documented rule -- {short}:"]) + "\n\n" + fence("python", code)
          + "\n\n" + one(rng, ["That keeps it consistent with the rest of `src/shoplite`.",
                               "Same convention as the existing modules.", "Tests can follow once you confirm the name.",
                               "If the convention should change, update the doc first.", ""]))


# A stated preference (its phrasings), how the answer honours it, and the code written under it.
PREFS = [
    (("I {prefer|like} plain functions {over|to} classes{ in general| in this codebase|}.", "{Please|} {no classes|avoid classes} unless {they're really needed|there's state to hold}.",
      "{Functions|Plain functions}, not classes{, please|}: {that's|it's} {how I like it|easier for me to read}."),
     "plain functions, no classes",
     "def {f}(items: list[dict]) -> list[dict]:\n    return [item for item in items if item.get(\"{k}\")]\n"),
    (("{Always|Please always} use type hints{, please| in what you write|}.", "{Every|Each} function {gets|needs} type hints{, please| from now on|}.",
      "{I want|We want} {full type hints|type annotations} on {everything|every signature} you write."),
     "type hints on everything",
     ("def {f}(items: list[dict[str, object]]) -> list[dict[str, object]]:\n"
      "    return [item for item in items if item.get(\"{k}\")]\n")),
    (("{Keep answers short|Keep your answers brief}: code only, no explanations{ from now on|}.", "{Just|Only} {the code|code}{, please|}: {no prose|skip the explanations}.",
      "{I|We} {don't need|can do without} explanations{ from now on| for the rest of this session|}; {code only|just code}{, please|}."),
     "code only", None),
    (("Use pathlib, not os.path{, in everything you write| from now on|}.", "{Please|} {stick to|use} `pathlib` for {file paths|anything with paths}{, never `os.path`|}.",
      "{We've|I've} {banned|dropped} `os.path` {in this codebase|here}{; pathlib only|, pathlib everywhere}."),
     "pathlib",
     "from pathlib import Path\n\n\ndef {f}(folder: Path) -> list[Path]:\n    return sorted(folder.glob(\"*{k}*.json\"))\n"),
]
REMEMBER = (
    "{Remember|Keep} that for {this session|the rest of the session|everything today}.",
    "{It's|That's} how {our team|the team|everyone here} writes code{ now|}.",
    "{Please|} {apply it to everything|use it in all the code|use it for every snippet} {you write|from here on}.",
    "{Our reviewers|The linter|Code review} {will|would} {flag|reject} anything else{ anyway|}.",
)
PREF_ASKS = (
    "{Write|Now write|Next, write} `{f}`{,| --} {keeping|which keeps} the {p} that have `{k}` set.",
    "I need `{f}` for the {p}, {filtering|which filters} on `{k}`{ being set|}.",
    "{Can|Could} you write `{f}`{ for me|}? It {keeps|returns} only the {p} {with|that have} `{k}` set.",
    "{Next up is|Now I need} `{f}`, which {filters|narrows} the {p} {down |}to those with `{k}`.",
    "{I need|Give me} a {function|helper} `{f}` that {drops|skips} the {p} without `{k}`.",
)
PREF_CONTEXT = (
    "{It's|This is} for the {dom} {export|report|admin page}.",
    "The input is a list of dicts{ from the API| straight from JSON| loaded from a file|}.",
    "{Missing|Empty} `{k}` {values|entries} should count as not set.",
)


def user_preferences(rng, d: Dialog) -> None:
    statements, short, code = one(rng, PREFS)
    e = entity(rng)
    k = one(rng, e.fields).name
    d.user(_said(rng, say(rng, one(rng, statements)), REMEMBER, 0.85))
    d.say(one(rng, ["Noted.", "Got it -- I'll stick to that.", "Understood."]))
    f = f"select_{e.plural}"
    d.user(_said(rng, say(rng, one(rng, PREF_ASKS), f=f, p=e.plural.replace("_", " "), k=k), PREF_CONTEXT, 0.8,
                 dom=flows.bare(e.domain), k=k))
    body = (code or PREFS[1][2]).format(f=f, k=k)
    if code is None:
        d.say(fence("python", body))
    else:
        d.say(one(rng, [f"Written with {short}, as you asked:", f"Per your preference ({short}):"]) + "\n\n"
              + fence("python", body))


RECAPS = (
    "{Great|Nice|Good}. Now write the PR description for what we {just did|did here|changed}.",
    "{Summarise|Recap|Sum up} what we changed {so far|in this session|today}{, please|}.",
    "{Can|Could} you recap this session's change for the changelog?",
    "{Write|Draft} {a short|a} {summary|changelog entry|commit message body} {of|for} {this work|what we did}"
    "{ for the reviewers| for the release notes|}.",
    "{What did we|So what did we} {change|touch} {in the end|overall}{, file by file|}?",
    "{I need to|I have to} {tell the team|update the ticket|report at standup}; {what's|give me} the {short version|summary}"
    "{ of what we did|}?",
)


RECAP_CONTEXT = (
    "{The reviewer|My lead|Our PM} {wasn't|was not} {here|around} for {any of it|this session}.",
    "{Keep it to a few lines|Keep it short enough for a ticket comment|Make it readable for people outside the team}.",
    "{It|The summary} {goes|will go} {into the PR|on the ticket|into the release notes}.",
)


def prior_work(rng, d: Dialog) -> None:
    task = one(rng, TASKS)
    flows.tdd(rng, d, task, look_first=0.0, extras=1)  # the recall turns below need the room
    d.user(_said(rng, pick(rng, RECAPS), RECAP_CONTEXT, 0.4 if flows.heavy(task) else 0.8))
    d.say(one(rng, ["Based on the work above:", "Recap of this session:", "What we did:"]) + "\n" + bullets([
        f"Added `{task.test_name}` in `{task.test_file}`; it failed first, then passed.",
        f"Changed `{task.file}`" + (f": {task.cause} -- now fixed." if task.cause else "."),
        "No other files were touched.",
    ]))


DEFINES = (
    "{Define|Write|Create|Sketch} {a} `{c}` {dataclass|record type|model} {with|holding|that has} {f}"
    "{ for now| to start with| as a first step|}.",
    "{Let's start|We'll start|Start} with {a} `{c}` {model|dataclass|record} {that carries|with|holding} {f}.",
    "{Can|Could|Would} you {define|write|set up} {a} `{c}` {dataclass|record} {holding|with|that stores} {f}{ for me|}?",
    "{We need|I need|The code needs} {a} `{c}` type {first|before anything else|as the base}{, with|, holding} {f}.",
    "{The first step is|Step one is|First up is} {a} `{c}` dataclass {with|holding} {f}{, nothing more|}.",
)
LOOKUPS = (
    "{Now|Next} {a function|a helper} that indexes a list of them by {k}{, please|}.",
    "{Add|Write} a lookup by {k}{ on top of that| next|, please|}.",
    "{Next|Now} {index|key} a list of {them|those} by `{k}` {in a dict|with a helper|for fast lookups}.",
    "{I need|Give me} {a way|a function} to find one by `{k}` {quickly|without scanning the list|in constant time}.",
    "{Can|Could} you {build|add} a {dict|mapping} from `{k}` to the {record|object}{ next|}?",
    "{Then|After that} I {need|want} {them|the records} {grouped|indexed} by `{k}`{ in a dict|}.",
)
LOOKUP_CONTEXT = (
    "{Assume|You can assume} the `{k}` values are unique{ for now| in practice|}.",
    "{It|The lookup} {runs|gets called} {on every request|in a hot loop|once per import}{, so no linear scans|}.",
    "{Call it|Name it} {whatever fits|as you like|in the same style}{, just keep it consistent|}.",
)
TESTS = (
    "{And|Now} a test for that{, please|}.",
    "{Test|Cover} it{, please| too| as well}.",
    "{Now|Finally} {a|one} {pytest|unit} test for the {lookup|index function}{, please|}.",
    "{Can|Could} you {add|write} a test {for it|that covers it|for the lookup}?",
    "{Cover|Pin} {it|the lookup} with a {quick|small} test{ too|}.",
    "{Let's|We should} {have|add} a test {that proves|showing} the lookup {works|finds every item}.",
)
TEST_CONTEXT = (
    "{Plain pytest|A plain assert} {is fine|will do}{, no fixtures|}.",
    "{It should|The test should} {check|show} that {every item|each item} {ends up|is} in the index.",
    "{We|I} {run|will run} it {in CI|with the rest of the suite|before merging}.",
)
STEP_CONTEXT = (
    "{It's|This is} for the {dom} code{, to start with|}.",
    "{Plain|Standard} dataclasses {are fine|will do|are enough} {here|for this}{; no pydantic|, without pydantic|}.",
    "{We'll|I'll} {build on it|add more to it|extend it} {step by step|in the next few messages}.",
    "{Keep|Please keep} the names {consistent|stable} across {the steps|what we write|the files}.",
    "{The|These} fields {come from|match} {the old schema|the API contract|the product spec}.",
)


def coherence(rng, d: Dialog) -> None:
    e = entity(rng)
    fs = fields(rng, e, 2, 4)
    d.user(_said(rng, say(rng, one(rng, DEFINES), c=e.cls, a=_a(e.cls), f=", ".join(f"`{f.name}`" for f in fs)), STEP_CONTEXT, 0.8,
                 dom=flows.bare(e.domain)))
    model = "from dataclasses import dataclass\n\n\n" + py_dataclass(e, fs)
    d.say(fence("python", model))
    key = fs[0]
    d.user(_said(rng, say(rng, one(rng, LOOKUPS), k=key.name), LOOKUP_CONTEXT, 0.7, k=key.name))
    func = (f"def {e.plural}_by_{key.name}({e.plural}: list[{e.cls}]) -> dict[{key.py()}, {e.cls}]:\n"
            f"    return {{{e.snake}.{key.name}: {e.snake} for {e.snake} in {e.plural}}}\n")
    d.say(one(rng, [f"Using the `{e.cls}` from before:", f"Building on `{e.cls}`:"]) + "\n\n"
          + fence("python", model + "\n\n" + func))
    d.user(_said(rng, pick(rng, TESTS), TEST_CONTEXT, 0.7))
    args = ", ".join({"str": "\"a\"", "int": "1", "bool": "True", "float": "1.5"}[f.kind] for f in fs)
    test = (f"from models import {e.cls}, {e.plural}_by_{key.name}\n\n\n"
            f"def test_{e.plural}_by_{key.name}_indexes_every_item():\n    item = {e.cls}({args})\n"
            f"    assert {e.plural}_by_{key.name}([item]) == {{item.{key.name}: item}}\n")
    d.say(one(rng, ["Same names as above, so it imports cleanly:", (f"The test uses `{e.cls}` and "
                    f"`{e.plural}_by_{key.name}` exactly as defined:")]) + "\n\n" + fence("python", test))


GENERATOR = SubcategoryGenerator({
    "previous_decisions": previous_decisions, "project_conventions": project_conventions,
    "user_preferences": user_preferences, "prior_work": prior_work, "coherence": coherence,
})


@hookimpl
def register_categories(register):
    register(Category(name="context_memory", spec_path=spec_path("context_memory"), generator=GENERATOR,
                      description="Earlier decisions, conventions, preferences, prior work, coherence"))
