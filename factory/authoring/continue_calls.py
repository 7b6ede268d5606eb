"""Requests and the calls that answer them, for the Continue extension's tools.

One builder per tool (:data:`BUILDERS`, name -> ``builder(rng, stack, entity, pool) -> (request, calls)``)
turns a project, an entity and a random stream into a natural request and its call; ``b_parallel``
issues two independent read-only calls at once. ``compose_request`` varies how a request is put,
``offered_tools`` picks the tools a record offers (its calls' tools plus distractors within a size
budget), ``make_calls`` numbers the calls. Categories that teach tool calls, refusals around tools and
held-out evaluation prompts all draw from here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import orjson

from factory.authoring import code
from factory.authoring import vocab as T
from factory.authoring.continue_phrases import (  # noqa: F401 - names other modules read from here
    EVAL_OPENERS,
    EVAL_PREFACES,
    EVAL_SITUATIONS,
    HELD_OUT,
    OPENERS,
    PREFACES,
    SITUATIONS,
    SYSTEM_PROMPTS,
)
from factory.authoring.phrasing import pick
from factory.authoring.text import one
from factory.quality.preconditions import TEST_PATH

_DOUBLED = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)


def compose_request(rng: random.Random, ask: str, ent: str, pool: str = "train") -> str:
    """Opener + the tool-specific ask + a situation naming the domain in prose (the eval pool has
    openers and situations of its own)."""
    e = ent.replace("_", " ")
    opener = one(rng, EVAL_OPENERS if pool == "eval" else OPENERS)
    if ask[-1:].isalnum():  # a request that ends on its argument ("Search the web: go fmt") ends here
        ask += "."
    if rng.random() < (0.9 if pool == "eval" else 0.75):  # an eval request nearly always says where it stands
        for _ in range(4):  # "the release release notes": a noun that is also the template's word
            situation = pick(rng, EVAL_SITUATIONS if pool == "eval" else SITUATIONS).format(e=e)
            if not _DOUBLED.search(situation):
                break
        ask = f"{situation} {ask}" if rng.random() < 0.4 else f"{ask} {situation}"
    keep = re.match(r"I\b|[A-Z]{2,}|[A-Z]\d", ask)  # "I", an acronym or a name like "S3" keeps its capital
    return opener + (ask[0].lower() + ask[1:] if opener and not keep else ask)  # the opener always comes first

Call = tuple[str, dict[str, Any]]
# (request, calls) -- or (request, calls, context): calls made first, each with its result (an edit's
# read of the file), so the request's calls meet their tools' preconditions.
Built = tuple[str, list[Call]] | tuple[str, list[Call], list[tuple[str, dict[str, Any], str]]]


def implementation_path(stack: T.Stack, ent: str, rng: random.Random) -> str:
    """A path for the entity's code that is not a test file."""
    for _ in range(20):
        path = T.path_for(stack, ent, rng)
        if not TEST_PATH.search(path):
            return path
    return path


def _p(rng: random.Random, pool: str, *options: str) -> str:
    """One of ``options``, expanded as a phrase grammar (:mod:`factory.authoring.phrasing`) with its
    slots left for the caller -- or, for the eval pool, one of the held-out phrasings of the same choice."""
    if pool == "eval" and options[0] in HELD_OUT:
        options = HELD_OUT[options[0]]
    return pick(rng, options, capitalize=False)

# -- held-out wording ---------------------------------------------------------------------------------
def b_read_file(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    ask = _p(rng, pool,
             "Open {path} and tell me what it does.",
             "{Can you|Could you|Would you} {read|open|pull up} {path}? I {think|suspect|bet} the {bug|problem|issue} "
             "{is in there|starts there|lives in that file}.",
             "What's {in|inside} {path}{ right now| at the moment|}?",
             "{Show me|Print|Give me} the {contents|source|full text} of {path} {before we change anything|"
             "before I edit it|so we're on the same page|first}.",
             "I need to {understand|make sense of|get my head around} {path} -- {read it for me|open it|"
             "can you read it}{ first|}.",
             "{Pull up|Open|Bring up} {path}, {please|thanks|if you would}.",
             "{Take a look at|Have a look at|Check} {path}; something about the {e} {handling|parsing|"
             "validation|mapping} looks {off|wrong|fishy}.",
             "{Before refactoring|Before we touch anything|First}, read {path} so you know how {e} "
             "{records are built|objects get created|data flows through it}.",
             "{I'd like to see|Let me see|I want to read} {path} {before the review|before we decide|"
             "to check the {e} logic}.")
    return ask.format(path=path, e=ent.replace("_", " ")), [("read_file", {"filepath": path})]


def b_create_new_file(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    if TEST_PATH.search(path):
        ask = _p(rng, pool, "Create {path} with a first test for the {e} code.",
                 "We have {no tests|zero coverage|nothing under test} for {e} yet. {Add|Create|Write} {path} "
                 "with {one|a first test|a single test} to start.",
                 "{Scaffold|Set up|Start} {path}: {one test|a first test|a single test} that {pins|locks in|checks} "
                 "the basic {e} behaviour.",
                 "{Please add|Add|Create} {path} with a {smoke test|basic test|sanity test} for {e}{ so CI has something| to begin with|}.",
                 "{Let's|Time to} get {e} under test: {create|add|write} {path} with {a first case|one simple test}.")
        return ask.format(path=path, e=ent.replace("_", " ")), [
            ("create_new_file", {"filepath": path, "contents": code.test_file_for(stack, ent, rng, path)})]
    source = code.code_for(stack, ent, rng, path)
    ask = _p(rng, pool,
             "Create {path} with a first version of the {e} code.",
             "We don't have {path} yet. {Add|Create|Write} it with a {minimal|bare-bones|simple|first} {e} implementation.",
             "{Scaffold|Create|Start} a new file {path} for the {e} {feature|module|work}{, nothing fancy|}.",
             "{Please add|Add|Create} {path}; start with the {basic|core|essential} {e} {types|model|functions}.",
             "{Set up|Create|Stub out} {path} so the {e} module exists{,|;} we'll {flesh it out|fill in the rest|"
             "extend it} later.",
             "{I need|We need|Let's have} a {new|fresh} {path} {holding|with} {the {e} basics|a first cut of the {e} code}.")
    return ask.format(path=path, e=ent.replace("_", " ")), [
        ("create_new_file", {"filepath": path, "contents": source})]


def b_run_terminal_command(rng, stack, ent, pool) -> Built:
    kind = rng.randrange(6)
    e = ent.replace("_", " ")
    if kind == 0:
        cmd = stack.test_cmd
        ask = _p(rng, pool, "Run the test suite.",
                 "Run the {tests|test suite|whole suite} and {tell me|let me know|report} what {fails|breaks|goes red}.",
                 "{Can you|Could you|Would you} run the tests? I {changed|touched|rewrote part of} the {e} code.",
                 "{Kick off|Start|Fire off} the tests {for me|please|now}.",
                 "{Are the tests still green|Do the tests still pass|Is the suite still passing}{ after my change| now|}?")
    elif kind == 1:
        cmd = stack.build_cmd
        ask = _p(rng, pool, "Build the project.",
                 "Does it still {build|compile}? Run the build{ to be sure|}.",
                 "{Run|Start|Do} a build to {check|confirm|make sure} the {e} changes {compile|still build}.",
                 "{Make sure|Check that|Verify} the project {builds|compiles} {before I push|before the release|cleanly}.")
    elif kind == 2:
        cmd = stack.lint_cmd
        ask = _p(rng, pool, "Run the linter.",
                 "Lint the {codebase|project|code} {before I commit|before I push|before the review}.",
                 "{Check|Look} for {lint errors|lint warnings|style problems}{ in the project| please|}.",
                 "{Is the linter happy|Any lint complaints|Does the lint pass} {after the {e} edits|now|with my changes}?")
    elif kind == 3:
        n = rng.choice((5, 10, 15, 20))
        cmd = f"git log --oneline -n {n}"
        ask = _p(rng, pool, "Show me the last {n} commits.",
                 "What {were|are} the {last|latest|most recent} {n} commits{ on this branch|}?",
                 "{List|Show|Print} the {n} most recent commits{ in one line each|, one per line|, short form}.",
                 "{I want|I need} to see {what changed lately|the recent history}: {the last|the latest} {n} commits.").replace("{n}", str(n))
    elif kind == 4:
        branch = f"{rng.choice(('fix', 'feat', 'chore'))}/{T.kebab(ent)}-{rng.choice(('cleanup', 'validation', 'timeouts', 'pagination'))}"
        cmd = f"git checkout -b {branch}"
        ask = _p(rng, pool, "Create a branch called {b}.",
                 "{Start|Open|Cut} a new branch {b} for {this work|the {e} change|these edits}.",
                 "{Make|Create} me a {b} branch{ off the current one|}.",
                 "{Before we start|First}, {switch to|check out} a new branch {named|called} {b}.").replace("{b}", branch)
    else:
        path = T.path_for(stack, ent, rng)
        cmd = f"git log -p -n 3 -- {path}"
        ask = pick(rng, ("{Who|Which commits} changed {p} recently? {Show me|I want} the last three patches.",
                         "{Show me|Give me} the {history|last three patches} of {p}{ with the diffs|}.",
                         "{How did {p} change|What changed in {p}} {lately|in the last few commits}? "
                         "The three latest patches{ please|} .")).replace("{p}", path)
    args: dict[str, Any] = {"command": cmd}
    if rng.random() < 0.2:
        args["waitForCompletion"] = True
    return ask.format(e=e), [("run_terminal_command", args)]


def b_file_glob_search(rng, stack, ent, pool) -> Built:
    pattern = one(rng, stack.glob_patterns)
    if rng.random() < 0.5:
        pattern = pattern.replace("*", f"*{T.kebab(ent) if stack.language == 'typescript' else ent}*", 1) \
            if "**/" not in pattern else pattern.replace("**/*", f"**/*{ent}*", 1)
    ask = _p(rng, pool, "Find all files matching {g}.",
             "Which files {match|fit} {g}{ in this repo| here|}?",
             "{List|Show me|Give me} every file that matches the {pattern|glob} {g}.",
             "{Search|Scan} the {project|repo|workspace} for {g} files.",
             "Where are the files that match {g}? I need the {paths|full paths|file names}.",
             "{How many|Which} files {does the glob {g} pick up|fall under {g}}?")
    return ask.format(g=pattern), [("file_glob_search", {"pattern": pattern})]


def b_view_diff(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "What have I changed so far?",
             "{Show me|List|Give me} my {uncommitted|unstaged|pending|working} changes.",
             "{Review|Go over|Check} my working changes to the {e} code before I {commit|push|open the PR}.",
             "{Can you|Could you} look at the current diff and check I didn't leave {debug code|print statements|"
             "commented-out code|a stray TODO} in?",
             "What does my diff look like {right now|at this point|so far}?",
             "{Summarize|Sum up|Recap} the changes I haven't committed{ yet|}.",
             "{Did I touch|Did I change|Did I break|Have I touched|Have I changed|Have I broken} anything "
             "{outside the {e} code|I shouldn't have}? Check the diff.")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("view_diff", {})]


def b_read_currently_open_file(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "What does this file do?",
             "{Explain|Walk me through|Describe} the file {I have open|I'm looking at|I have in the editor}.",
             "Is there anything {wrong|off|suspicious} {with|in} the code in my editor?",
             "{Can you|Could you} add {docstrings|comments|type hints} to what I'm looking at? Read it first.",
             "Look at the open file -- why would the {e} {lookup|query|filter} {return nothing|come back empty|miss rows}?",
             "{Review|Critique|Check} the file I'm {currently editing|working in|on}.",
             "{Read|Open} my current file and {tell me|point out} {what could break|what you'd change|the riskiest part}.")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("read_currently_open_file", {})]


def b_ls(rng, stack, ent, pool) -> Built:
    d = one(rng, stack.dirs)
    args: dict[str, Any] = {"dirPath": d}
    if rng.random() < 0.35:
        args["recursive"] = True
        ask = _p(rng, pool, "List everything under {d}, recursively.",
                 "{Show me|Print|Give me} the {full|whole|complete} tree of {d}.",
                 "What's inside {d}, {including|with all} {subfolders|nested folders}?",
                 "{Walk|List} {d} {all the way down|recursively} so I {see every file|know what's there}.")
    else:
        ask = _p(rng, pool, "What's in {d}?", "{List|Show} the files in {d}{ please|}.",
                 "{Show me|Open} the {d} {directory|folder}.",
                 "ls {d} for me.", "Which files {live|sit|are} in {d}{ at the moment|}?",
                 "{I want|I need} to {see|know} what {d} {holds|contains} {before we add anything|first}.")
    return ask.format(d=d) + _suffix(rng, stack, ent, pool), [("ls", args)]


RULES = (
    ("Type Hints", "Add type hints to every public Python function.", "**/*.py"),
    ("Named Exports", "Use named exports instead of default exports.", "**/*.{ts,tsx}"),
    ("Error Wrapping", "Wrap returned errors with fmt.Errorf and %w.", "**/*.go"),
    ("No Unwrap", "Avoid unwrap() outside tests; propagate errors with ?.", "src/**/*.rs"),
    ("Logging", "Use the module logger instead of print for diagnostics.", "app/**/*.py"),
    ("Test Naming", "Name tests after the behaviour they check.", "tests/**/*.py"),
    ("Props Interfaces", "Declare React props as an exported interface.", "src/components/**/*.tsx"),
    ("Async Await", "Prefer async/await over promise chains.", "src/**/*.ts"),
    ("Constants", "Name magic numbers as module-level constants.", "**/*.py"),
    ("Context Timeouts", "Pass a context with a timeout to every outbound call.", "internal/**/*.go"),
)


def b_create_rule_block(rng, stack, ent, pool) -> Built:
    name, rule, globs = one(rng, RULES)
    args: dict[str, Any] = {"name": name, "rule": rule}
    if rng.random() < 0.6:
        args["globs"] = globs
    if rng.random() < 0.3:
        args["alwaysApply"] = rng.random() < 0.5
    if rng.random() < 0.3:
        args["description"] = f"Apply when writing or reviewing {stack.language} code."
    ask = _p(rng, pool, "From now on: {r} Make that a rule.",
             "{Remember|Record|Keep} this convention for the {project|repo|codebase}: {r}",
             "{Create|Add|Write} a rule so you {always|consistently} do this: {r}",
             "{Can you|Could you|Please} save a {coding|project|house} rule? {r}",
             "Add a project rule named '{n}': {r}",
             "{We keep|The team keeps|I keep} {forgetting|repeating} this, so {make it a rule|store it as a rule}: {r}")
    return ask.format(r=rule, n=name) + _suffix(rng, stack, ent, pool), [("create_rule_block", args)]


def b_fetch_url_content(rng, stack, ent, pool) -> Built:
    url = T.doc_url(rng)
    ask = _p(rng, pool, "Read {u} and summarize what matters for us.",
             "What does {u} {say|cover|recommend}?",
             "{Check|Read|Go through} the docs at {u} before we {use|adopt|rely on} this API.",
             "{Fetch|Grab|Download} {u} for me.",
             "{Can you|Could you} pull the page {u}? I want the {key parameters|main caveats|defaults it documents}.",
             "{Skim|Read} {u} and tell me {whether it applies to us|what we'd need to change|the gist}.")
    return ask.format(u=url) + _suffix(rng, stack, ent, pool), [("fetch_url_content", {"url": url})]


def b_request_rule(rng, stack, ent, pool) -> Built:
    name = one(rng, RULES)[0]
    ask = _p(rng, pool, "Apply our '{n}' rule here.",
             "{Load|Fetch|Pull in} the {n} rule before you {write|change|touch} the code.",
             "What does our {n} rule say? {Use|Follow|Apply} it for the {e} {module|changes|code}.",
             "{Check|Look up} the {n} rule {first|before the {e} edit}{ so we stay consistent|}.")
    return ask.format(n=name, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("request_rule", {"name": name})]


SKILLS = ("test-driven-development", "systematic-debugging", "brainstorming", "code-review",
          "writing-plans", "verification-before-completion", "root-cause-tracing", "refactoring")


def b_read_skill(rng, stack, ent, pool) -> Built:
    skill = one(rng, SKILLS)
    ask = _p(rng, pool, "Use the {s} skill for this {e} bug.",
             "{Follow|Use|Apply} your {s} skill {here|for this|on this one}.",
             "{Read|Load|Open} the {s} skill first, then we {start on|tackle|get to} the {e} work.",
             "{Before we start|Before anything else}, {read|load} the {s} skill{ and follow it|}.")
    return ask.format(s=skill, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("read_skill", {"skillName": skill})]


def b_search_web(rng, stack, ent, pool) -> Built:
    topic = one(rng, T.DOC_TOPICS)
    lang = stack.language
    q = _p(rng, pool, "{l} {t} breaking changes latest release", "{l} {t} recommended pattern 2024",
           "{l} {t} known issue workaround", "best practice {t} in {l} production")
    q = q.format(l=lang, t=topic)
    ask = _p(rng, pool, "Search the web: {q}", "{Look up|Search} online: {q}",
             "{Can you|Could you} find out on the web: {q}?",
             "{Do a web search for|Google|Search the internet for} {q}{ please|}.")
    return ask.format(q=q) + _suffix(rng, stack, ent, pool), [("search_web", {"query": q})]


def b_view_repo_map(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "Give me an overview of how this repo is organized.",
             "{Show me|Give me|Pull up} the {repo map|repository map}.",
             "I'm new here -- what's the {structure|layout|shape} of this {codebase|repo|project}?",
             "{Map out|Sketch|Outline} the repository before we {plan|design|estimate} the {e} feature.",
             "{How is|How's} this {project|repo} {laid out|structured|organized}{ at a high level|}?")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("view_repo_map", {})]


def b_view_subdirectory(rng, stack, ent, pool) -> Built:
    d = one(rng, stack.dirs)
    ask = _p(rng, pool, "Show me what's in the {d} subdirectory.",
             "{Walk me through|Give me a tour of|Explain} {d}.",
             "{View|Open|Look at} the {d} folder so we can {find|locate|spot} the {e} code.",
             "What {lives|is} {in|under} the {d} {subdirectory|subfolder}{ and what does it do|}?")
    return ask.format(d=d, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [
        ("view_subdirectory", {"directory_path": d})]


def b_codebase(rng, stack, ent, pool) -> Built:
    e = ent.replace("_", " ")
    q = _p(rng, pool, "where {e} records are validated", "{e} persistence and database access",
           "authentication checks around {e} endpoints", "error handling for {e} requests",
           "how {e} totals are calculated", "retry logic used when saving {e} records",
           "{caching|pagination|rate limiting|serialization} of {e} {responses|queries|results}",
           "{where|how} {e} events are {published|emitted|consumed}")
    q = q.format(e=e)
    ask = _p(rng, pool, "Find the code for {q}.", "Where in the {codebase|project|repo} is {q}?",
             "Search the codebase: {q}.",
             "{I'm looking for|Point me to|Help me find} {the code behind|whatever implements} {q}.")
    return ask.format(q=q) + _suffix(rng, stack, None, pool), [("codebase", {"query": q})]


def b_read_file_range(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    start = rng.randint(1, 400)
    end = start + rng.choice((10, 20, 30, 40, 60))
    ask = _p(rng, pool, "Show me lines {a}-{b} of {p}.",
             "{Read|Print|Open} {p} from line {a} to {b}.",
             "The {stack trace|error|traceback|log} points at {p} around line {m}; {read|show} lines {a} to {b}.",
             "{Only|Just} lines {a} to {b} of {p}, {please|no need for the rest}.")
    return ask.format(a=start, b=end, p=path, m=(start + end) // 2), [
        ("read_file_range", {"filepath": path, "startLine": start, "endLine": end})]


RENAMES = (("get_data", "load_{s}"), ("tmp", "{s}_draft"), ("process", "apply_{s}_rules"),
           ("handle", "handle_{s}_event"), ("calc", "calculate_{s}_total"), ("doStuff", "sync{P}"),
           ("val", "{s}_value"), ("res", "{s}_response"), ("item", "{s}"), ("data", "{s}_payload"))


def rename_file(stack: T.Stack, ent: str, names: list[str]) -> str:
    """A small file of ``stack`` that uses each of ``names`` as a whole identifier: a function for
    call-like names, a local variable for the others."""
    lang = stack.language
    parts = []
    for i, name in enumerate(names):
        fn = name in CALL_NAMES
        total = f"{ent}_total_{i}" if lang in ("python", "rust") else f"{T.camel(ent)}Total{i}"
        if lang == "python":
            parts.append(f"def {name}(rows: list[dict]) -> int:\n    return sum(row[\"amount_cents\"] for row in rows)\n"
                         if fn else f"def {total}(rows: list[dict]) -> int:\n    {name} = 0\n    for row in rows:\n"
                         f"        {name} += row[\"amount_cents\"]\n    return {name}\n")
        elif lang == "typescript":
            parts.append(f"export function {name}(rows: Row[]): number {{\n  return rows.reduce((sum, row) => sum + row.amountCents, 0);\n}}\n"
                         if fn else f"export function {total}(rows: Row[]): number {{\n  let {name} = 0;\n  for (const row of rows) {{\n"
                         f"    {name} += row.amountCents;\n  }}\n  return {name};\n}}\n")
        elif lang == "go":
            parts.append(f"func {name}(rows []Row) int {{\n\tsum := 0\n\tfor _, row := range rows {{\n\t\tsum += row.AmountCents\n\t}}\n\treturn sum\n}}\n"
                         if fn else f"func {total}(rows []Row) int {{\n\t{name} := 0\n\tfor _, row := range rows {{\n"
                         f"\t\t{name} += row.AmountCents\n\t}}\n\treturn {name}\n}}\n")
        else:
            parts.append(f"pub fn {name}(rows: &[Row]) -> i64 {{\n    rows.iter().map(|row| row.amount_cents).sum()\n}}\n"
                         if fn else f"pub fn {total}(rows: &[Row]) -> i64 {{\n    let mut {name} = 0;\n    for row in rows {{\n"
                         f"        {name} += row.amount_cents;\n    }}\n    {name}\n}}\n")
    head = {"python": f'"""Totals over {T.plural(ent)}."""\n\n\n',
            "typescript": "export interface Row {\n  amountCents: number;\n}\n\n",
            "go": "package " + ent.replace("_", "") + "\n\n// Row is one stored amount.\ntype Row struct {\n\tAmountCents int\n}\n\n",
            "rust": "/// One stored amount.\npub struct Row {\n    pub amount_cents: i64,\n}\n\n"}[lang]
    sep = "\n\n" if lang == "python" else "\n"
    return head + sep.join(parts)


CALL_NAMES = {"get_data", "process", "handle", "calc", "doStuff"}


def _first_line_with(text: str, name: str) -> str:
    import re as _re

    return next(ln for ln in text.splitlines() if _re.search(rf"\b{_re.escape(name)}\b", ln))


def _replace_word(line: str, old: str, new: str, every: bool = False) -> str:
    import re as _re

    return _re.sub(rf"\b{_re.escape(old)}\b", lambda _m: new, line, count=0 if every else 1)


def _renames(rng: random.Random, ent: str, n: int) -> list[tuple[str, str]]:
    """``n`` renames whose old names do not occur inside the entity's own names (so a replace_all
    changes exactly the name asked for)."""
    words = set(ent.split("_")) | {T.camel(ent), T.pascal(ent), ent}
    pool = [(o, nw.format(s=ent, P=T.pascal(ent))) for o, nw in RENAMES
            if not any(o in w for w in words) and not any(o in w for w in ("rows", "row", "amount_cents", "amountCents", "sum"))]
    while True:
        picked = rng.sample(pool, n)
        olds = [o for o, _ in picked]
        # No old name inside another, or inside a new name an earlier edit brings in.
        if not any(a != b and (a in b or a in nb) for a in olds for b, nb in picked):
            return picked


def read_then(path: str, text: str) -> Call:
    """The read_file call (with its result) that an edit of ``path`` needs first."""
    return ("read_file", {"filepath": path}, text)


def b_single_find_and_replace(rng, stack, ent, pool) -> Built:
    path = implementation_path(stack, ent, rng)
    (old, new), = _renames(rng, ent, 1)
    text = rename_file(stack, ent, [old])
    if rng.random() < 0.5:
        args: dict[str, Any] = {"filepath": path, "old_string": old, "new_string": new, "replace_all": True}
        ask = _p(rng, pool, "Rename every {o} to {n} in {p}.",
                 "In {p}, {replace|change} all occurrences of {o} {with|to} {n}.",
                 "{The name {o} is unhelpful|The name {o} says nothing}: {rename|change} it to {n} {throughout|everywhere in} {p}.")
    else:
        line = _first_line_with(text, old)
        args = {"filepath": path, "old_string": line, "new_string": _replace_word(line, old, new)}
        ask = _p(rng, pool, "In {p}, change the first {o} to {n}.",
                 "{Replace|Swap} the first {o} in {p} {with|for} {n}{ and leave the rest|}.",
                 "{Rename|Change} {just|only} the {first|very first} {o} in {p} to {n}{; leave the others alone|, not the rest}.")
    return ask.format(o=old, n=new, p=path), [("single_find_and_replace", args)], [read_then(path, text)]


def b_multi_edit(rng, stack, ent, pool) -> Built:
    path = implementation_path(stack, ent, rng)
    (o1, n1), (o2, n2) = _renames(rng, ent, 2)
    text = rename_file(stack, ent, [o1, o2])
    line = _first_line_with(text, o2)
    edits = [{"old_string": o1, "new_string": n1, "replace_all": True},
             {"old_string": line, "new_string": _replace_word(line, o2, n2)}]
    ask = _p(rng, pool, "In {p}: rename {a} to {b} everywhere, and change the first {c} to {d}.",
             "Two edits in {p}, please -- all {a} become {b}, and the first {c} becomes {d}.",
             "{Clean up the names in|Tidy} {p}: {every|each} {a} {becomes|turns into} {b}{;|, and} {only|just} the first {c} {becomes|turns into} {d}.")
    return ask.format(p=path, a=o1, b=n1, c=o2, d=n2), [("multi_edit", {"filepath": path, "edits": edits})], [
        read_then(path, text)]


def b_edit_existing_file(rng, stack, ent, pool) -> Built:
    stack_py = stack.language == "python"
    path = implementation_path(stack, ent, rng)
    limit = rng.choice((3, 5, 10))
    if stack_py:
        changes = (f"# ... existing code ...\nMAX_RETRIES = {limit}\n\n\ndef should_retry(attempt: int) -> bool:\n"
                   f"    return attempt < MAX_RETRIES\n# ... existing code ...")
    elif stack.language == "typescript":
        changes = (f"// ... existing code ...\nexport const MAX_RETRIES = {limit};\n\nexport function shouldRetry"
                   f"(attempt: number): boolean {{\n  return attempt < MAX_RETRIES;\n}}\n// ... existing code ...")
    elif stack.language == "go":
        changes = (f"// ... existing code ...\nconst maxRetries = {limit}\n\nfunc shouldRetry(attempt int) bool {{\n"
                   f"\treturn attempt < maxRetries\n}}\n// ... existing code ...")
    else:
        changes = (f"// ... existing code ...\nconst MAX_RETRIES: u32 = {limit};\n\nfn should_retry(attempt: u32)"
                   f" -> bool {{\n    attempt < MAX_RETRIES\n}}\n// ... existing code ...")
    ask = _p(rng, pool, "Add a retry limit of {n} to {p}.",
             "In {p}, {give up|stop} after {n} attempts instead of retrying {forever|endlessly}.",
             "{Edit|Change|Update} {p}: the {e} {sync|upload|call} should retry at most {n} times.",
             "{The retries in {p} never stop; {cap them at|limit them to} {n}|{p} retries forever; "
             "{cap it at|limit it to} {n} attempts}.")
    return ask.format(n=limit, p=path, e=ent.replace("_", " ")), [
        ("edit_existing_file", {"filepath": path, "changes": changes})], [
        read_then(path, code.code_for(stack, ent, rng, path))]


def b_grep_search(rng, stack, ent, pool) -> Built:
    c, s = T.camel(ent), ent
    q = _p(rng, pool, "TODO|FIXME", f"{s}_id", f"{c}Id|{s}_id", f"def {s}_", f"class {T.pascal(ent)}",
           f"function {c}", f"import .*{s}", "console\\.log", "print\\(", f"{T.pascal(ent)}NotFound")
    ask = _p(rng, pool, "Search the code for {q}.", "Grep {for|the repo for} {q}.",
             "Where do we {use|have|reference} {q}{ in the project|}?",
             "{Find|List} every match of the {regex|pattern} {q} in the {repo|codebase}.",
             "{Is there|Do we have} anything matching {q}{ left| still| anywhere}?")
    return ask.format(q=q) + _suffix(rng, stack, ent, pool), [("grep_search", {"query": q})]


BUILDERS: dict[str, Callable[..., Built]] = {
    name[2:]: fn for name, fn in list(globals().items()) if name.startswith("b_") and callable(fn)
}
READ_ONLY = ("read_file", "file_glob_search", "ls", "grep_search", "read_file_range", "view_subdirectory",
             "codebase", "fetch_url_content")


def b_parallel(rng, stack, ent, pool) -> Built:
    first, second = rng.sample(READ_ONLY, 2)
    u1, c1 = BUILDERS[first](rng, stack, ent, pool)
    u2, c2 = BUILDERS[second](rng, stack, ent, pool)
    joiner = _p(rng, pool, "{a} Also, {b}", "Two things: {a} And {b}", "{a} While you're at it, {b}",
                "{a} {And|Plus}{ in parallel|,} {b}", "{a} {Separately|In the same go}, {b}")
    lower = u2[0].lower() + u2[1:]
    return joiner.format(a=u1, b=lower), c1 + c2


def _suffix(rng: random.Random, stack: T.Stack, ent: str | None = None, pool: str = "train") -> str:
    """Context clauses that make otherwise-similar requests distinct and realistic."""
    if rng.random() < 0.45:
        return ""
    e = (ent or T.entity_name(rng, pool)).replace("_", " ")
    if pool == "eval":
        return " " + pick(rng, ("{The project is a {s}|This repo is a {s}|We're working in a {s}}.",
                                "It's part of the {e} {changes|overhaul|tidy-up|consolidation}{ we scoped|}.",
                                f"(issue {rng.randint(100, 9999)})",
                                "{When you have a minute|Whenever you get to it|Once you're free}{, thanks|}.",
                                "{Report|Summarise} {back|what you find} {in a few lines|briefly|in bullet form}.",
                                "{Ping|Tell|Message} me {if anything looks odd|when it's done|once you have it}"
                                "{ please|}.",
                                "{The|Our} {release|audit|handover} {depends on|waits for} {this|the answer}.",
                                "{I'm|We're} {blocked|stuck|waiting} {until|till} {this is clear|we know}.")
                           ).format(s=stack.name, e=e)
    return " " + pick(rng, (
        "We're in the {s}.", "This is for the {e} {work|ticket|change}.", f"(ticket {rng.randint(100, 9999)})",
        "I'm {chasing|hunting|debugging} {the|this} {e} {bug|regression}.", "Quick one.",
        "It's blocking the {e} {release|rollout|deploy}.", "Thanks!",
        "Context: the {e} {endpoint|job|page} started {failing|timing out|erroring} {this morning|after lunch|today}.",
        "No rush.", "{I'll|We'll} {look at|go over} {it|the result} {afterwards|later today}.",
    )).format(s=stack.name, e=e)


# Offered tool schemas beyond the called ones stay under this many characters of JSON, so a record
# with its tools renders well within 2,048 tokens (Continue's multi_edit alone is 3.2 kB).
DISTRACTOR_BUDGET_CHARS = 3_000


# A tool schema at most this long (characters) is compact: short tools like ``ls`` or ``search_web``,
# not the 2-3k-character editing schemas; distractors and long tool lists are drawn from these.
COMPACT_TOOL_CHARS = 600


def offered_tools(rng: random.Random, toolset: Any, called: list[str], extra: tuple[int, int] = (2, 5),
                  budget: int = DISTRACTOR_BUDGET_CHARS) -> list[dict]:
    """The called tools plus a few distractors within a size budget, in the tool set's own order."""
    names = toolset.names
    by_name = toolset.by_name()
    others = [n for n in names if n not in called]
    rng.shuffle(others)
    wanted = rng.randint(*extra)
    if wanted > 6:  # a long list: the compact schemas, so that many fit the budget
        others.sort(key=lambda n: len(orjson.dumps(by_name[n])) > COMPACT_TOOL_CHARS)
    chosen, used = set(called), 0
    for name in others:
        if len(chosen) - len(set(called)) >= wanted:
            break
        size = len(orjson.dumps(by_name[name]))
        if used + size <= budget:
            chosen.add(name)
            used += size
    return [by_name[n] for n in names if n in chosen]


RULES_HEAD = ("Use this tool to retrieve additional 'rules' that contain more context/instructions based on their "
              "descriptions. Available rules:\n")
SKILLS_HEAD = ("\nUse this tool to read the content of a skill by its name. Skills contain detailed instructions for "
               "specific tasks. The skill name should match one of the available skills listed below: \n")
SKILL_TEXT = {
    "test-driven-development": "Write the failing test first, then the smallest change that passes it.",
    "systematic-debugging": "Reproduce, form hypotheses, test them one at a time, then fix the root cause.",
    "brainstorming": "Explore several designs and their trade-offs before choosing one.",
    "code-review": "Review a change for correctness, tests, naming and risk, most serious first.",
    "writing-plans": "Turn a request into small, verifiable steps before writing code.",
    "verification-before-completion": "Run the checks and show their output before saying a task is done.",
    "root-cause-tracing": "Follow a wrong value back through its callers to where it first goes wrong.",
    "refactoring": "Change structure in small behaviour-preserving steps, with the tests green after each.",
}


def fill_descriptions(rng: random.Random, tools: list[dict], calls: list[Call],
                      rules: list[str] | None = None) -> list[dict]:
    """Continue builds the descriptions of ``request_rule`` and ``read_skill`` from the project's rules
    and skills: list the ones a call names (and a few others); an uncalled one may list none.
    ``rules``: exactly the rules to list (what the conversation already told the user)."""
    wanted_rules = {a["name"] for n, a, *_ in calls if n == "request_rule"}
    wanted_skills = {a["skillName"] for n, a, *_ in calls if n == "read_skill"}
    out = []
    for tool in tools:
        name = tool["function"]["name"]
        if name == "request_rule" and (rules or wanted_rules or rng.random() < 0.5):
            picked = sorted(rules) if rules else sorted(wanted_rules | {r[0] for r in rng.sample(RULES, rng.randint(1, 3))})
            text = {r[0]: r[1] for r in RULES}
            desc = RULES_HEAD + "\n".join(f"Name: {n}\nDescription: {text[n]}" for n in picked)
            tool = {**tool, "function": {**tool["function"], "description": desc}}
        elif name == "read_skill" and (wanted_skills or rng.random() < 0.5):
            picked = sorted(wanted_skills | set(rng.sample(SKILLS, rng.randint(1, 3))))
            desc = SKILLS_HEAD + "".join(f"\nname: {n}\ndescription: {SKILL_TEXT[n]}\n" for n in picked)
            tool = {**tool, "function": {**tool["function"], "description": desc}}
        out.append(tool)
    return out


def make_calls(rng: random.Random, calls: list[Call]) -> list[dict]:
    return [{"id": f"call_{rng.getrandbits(48):012x}", "type": "function",
             "function": {"name": name, "arguments": args}} for name, args in calls]
