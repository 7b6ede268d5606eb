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
from collections.abc import Callable
from typing import Any

import orjson

from factory.authoring import code
from factory.authoring import vocab as T
from factory.authoring.text import one
from factory.quality.preconditions import TEST_PATH

SYSTEM_PROMPTS = (
    "You are a coding agent working inside the user's IDE through the Continue extension. Use the "
    "provided tools to inspect and change the workspace; call a tool whenever the answer depends on "
    "the project's files or on running something.",
    "You are an expert software engineer assisting in a {stack} project. You can read, search and edit "
    "files and run terminal commands with the tools provided. Prefer a precise tool call over guessing.",
    "You are Continue, an AI pair programmer. The workspace is a {stack}. When you need information "
    "from the codebase or need to make a change, call the appropriate tool with exact arguments.",
    "Act as a careful senior developer embedded in the editor. This repository is a {stack}. Gather "
    "context with tools before answering and keep edits minimal.",
)

PREFACES = (
    "", "", "", "", "Let me check that.", "On it.", "Sure, starting with the code.", "Let me take a look.",
    "Good idea -- first I need the facts.", "I'll start there.", "Let me gather some context on the {e} side.",
    "Checking the {e} code now.", "First step: look before changing anything.", "Sure.",
    "Let's see what we're dealing with.", "I'll handle that.", "Starting with the {e} piece.",
)

OPENERS = ("", "", "", "", "Hey, ", "Quick one: ", "Okay, ", "Alright, ", "Next up: ", "Hmm, ", "Right, ",
           "Small task: ", "One more thing: ", "Before I forget: ", "Follow-up: ", "New request: ")

SITUATIONS = (
    "I'm working on the {e} export.", "We're halfway through the {e} migration.",
    "The {e} tests went red after my last change.", "QA says the {e} page is slow.",
    "This is part of the {e} cleanup.", "The {e} feature ships on Friday.",
    "I'm pairing with a new hire on the {e} code.", "We're reviewing the {e} pull request.",
    "Support escalated a {e} bug this morning.", "I want to understand the {e} flow before the refactor.",
    "The {e} service threw errors overnight.", "Product asked for a tweak to {e} handling.",
    "We're preparing the {e} demo.", "I'm writing the design doc for {e} sync.",
    "CI flagged something in the {e} area.", "The {e} code predates everyone on the team.",
    "I'm onboarding onto the {e} module.", "We're splitting the {e} logic into its own package.",
    "A customer reported wrong {e} totals.", "The {e} endpoint times out under load.",
    "I'm trying to reproduce a {e} crash.", "We're adding metrics around {e} processing.",
    "The {e} schema changed last sprint.", "Security review is looking at {e} permissions.",
)


def compose_request(rng: random.Random, ask: str, ent: str, pool: str = "train") -> str:
    """Opener + the tool-specific ask + a situation naming the domain in prose (the eval pool has
    openers and situations of its own)."""
    e = ent.replace("_", " ")
    opener = one(rng, EVAL_OPENERS if pool == "eval" else OPENERS)
    text = opener + (ask[0].lower() + ask[1:] if opener and not ask[:2].isupper() else ask)
    if rng.random() < 0.75:
        situation = one(rng, EVAL_SITUATIONS if pool == "eval" else SITUATIONS).format(e=e)
        text = f"{situation} {text}" if rng.random() < 0.4 else f"{text} {situation}"
    return text

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
    """One of ``options`` -- or, for the eval pool, one of the held-out phrasings of the same choice."""
    if pool == "eval" and options[0] in HELD_OUT:
        options = HELD_OUT[options[0]]
    return one(rng, options)

# -- held-out wording ---------------------------------------------------------------------------------
# The eval pool's own phrasings, by the first training phrasing of the same choice: an eval prompt is
# never made only of sentences training has (tests/authoring measures it), so the eval measures the
# skill, not recall of the training sentences.
HELD_OUT: dict[str, tuple[str, ...]] = {
    "Open {path} and tell me what it does.": (
        "I'd like a walkthrough of {path}; open it up.", "Mind reading {path} and summarising its job?",
        "Could you load {path}? I suspect the {e} problem starts there.", "Give {path} a read and report back."),
    "Create {path} with a first version of the {e} code.": (
        "Start {path} off with a basic version of the {e} code.", "{path} doesn't exist yet; write an initial {e} version of it.",
        "Bootstrap {path} with the first cut of the {e} logic."),
    "Create {path} with a first test for the {e} code.": (
        "Start {path} with an initial test covering {e}.", "Write {path}: a single test to get {e} under test.",
        "{path} should exist with one basic {e} test in it."),
    "Run the test suite.": ("Execute the tests, please.", "Give the tests a run and report failures.",
                            "I touched the {e} code; rerun the tests."),
    "Build the project.": ("Compile everything and tell me if it breaks.", "Kick off a build after the {e} edits."),
    "Run the linter.": ("Give the code a lint pass.", "Any lint warnings? Run the checker."),
    "Show me the last {n} commits.": ("Print the {n} latest commits, one line each.", "I want to see the {n} newest commits."),
    "Create a branch called {b}.": ("Branch off as {b}.", "Open a fresh branch named {b}."),
    "Find all files matching {g}.": ("Locate the files that fit {g}.", "Give me the paths of everything matching {g}.",
                                     "Which paths fit the glob {g}?"),
    "What have I changed so far?": ("Which edits haven't been committed yet?", "Show me what's different from the last commit.",
                                    "Before I commit the {e} work, what does my diff contain?"),
    "What does this file do?": ("Walk me through the file in my editor.", "Anything off in the file I'm viewing?",
                                "Why might the {e} query in my open file come back empty?"),
    "List everything under {d}, recursively.": ("Give me the whole tree below {d}.", "Recursively list {d}."),
    "What's in {d}?": ("Show the contents of {d}.", "What does the {d} folder hold?", "Enumerate {d} for me."),
    "From now on: {r} Make that a rule.": ("Going forward, {r} Please store that as a rule.",
                                           "Record this project convention as a rule: {r}"),
    "Read {u} and summarize what matters for us.": ("Pull {u} and tell me what's relevant to us.",
                                                    "Skim {u} and list the important parameters."),
    "Apply our '{n}' rule here.": ("Pull in the '{n}' rule for this change.", "Follow the project's {n} rule for the {e} code."),
    "Use the {s} skill for this {e} bug.": ("Load the {s} skill before tackling the {e} issue.",
                                            "Let's go through the {s} skill first."),
    "{l} {t} breaking changes latest release": ("{l} {t} migration guide newest version", "{l} {t} deprecation notice"),
    "Search the web: {q}": ("Web search, please: {q}", "Check online: {q}"),
    "Give me an overview of how this repo is organized.": ("How is this codebase laid out?",
                                                            "Sketch the repository's structure before the {e} work."),
    "Show me what's in the {d} subdirectory.": ("Display the {d} subfolder.", "Open up the {d} folder so I can spot the {e} code."),
    "where {e} records are validated": ("the validation of incoming {e} data", "code that stores {e} rows",
                                        "permission checks on {e} routes"),
    "Find the code for {q}.": ("Locate {q}.", "Which code handles {q}?"),
    "Show me lines {a}-{b} of {p}.": ("Print {p}, lines {a} through {b}.", "I need lines {a} to {b} of {p}.",
                                      "The error mentions {p} near line {m}; show lines {a}-{b}."),
    "Rename every {o} to {n} in {p}.": ("Swap each {o} for {n} throughout {p}.",),
    "In {p}, change the first {o} to {n}.": ("Only the first {o} in {p} should become {n}.",),
    "In {p}: rename {a} to {b} everywhere, and change the first {c} to {d}.": (
        "Inside {p}, make every {a} a {b}, and turn only the first {c} into {d}.",),
    "Add a retry limit of {n} to {p}.": ("Cap the retries in {p} at {n}.", "{p} should stop retrying after {n} tries."),
    "Search the code for {q}.": ("Look through the repo for {q}.", "Which lines match {q}?"),
    "{a} Also, {b}": ("{a} On top of that, {b}", "{a} And separately, {b}"),
    "Quick one.": ("Small favour.", "Appreciate it."),
}
EVAL_OPENERS = ("", "", "", "So, ", "Next: ", "One request: ", "Hey there, ", "If you can: ", "Another thing: ")
EVAL_SITUATIONS = (
    "The {e} integration is due next week.", "I'm debugging the {e} flow with support on the line.",
    "Our {e} numbers look wrong in the dashboard.", "The {e} service is getting a rewrite.",
    "Ops paged us about the {e} workers.", "I'm documenting the {e} module for the new team.",
    "The {e} job failed in staging last night.", "We're auditing the {e} code before the launch.",
)
EVAL_PREFACES = ("", "", "", "Checking.", "Let me do that.", "One moment.", "Looking into the {e} part.")



def b_read_file(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    ask = _p(rng, pool,
             "Open {path} and tell me what it does.", "Can you read {path}? I think the bug is in there.",
             "What's in {path}?", "Show me the contents of {path} before we change anything.",
             "I need to understand {path} -- read it for me.", "Pull up {path}, please.",
             "Take a look at {path}; something about the {e} handling looks off.",
             "Before refactoring, read {path} so you know how {e} records are built.")
    return ask.format(path=path, e=ent.replace("_", " ")), [("read_file", {"filepath": path})]


def b_create_new_file(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    if TEST_PATH.search(path):
        ask = _p(rng, pool, "Create {path} with a first test for the {e} code.",
                 "We have no tests for {e} yet. Add {path} with one to start.",
                 "Scaffold {path}: one test that pins the basic {e} behaviour.",
                 "Please add {path} with a smoke test for {e}.")
        return ask.format(path=path, e=ent.replace("_", " ")), [
            ("create_new_file", {"filepath": path, "contents": code.test_file_for(stack, ent, rng, path)})]
    source = code.code_for(stack, ent, rng, path)
    ask = _p(rng, pool,
             "Create {path} with a first version of the {e} code.",
             "We don't have {path} yet. Add it with a minimal {e} implementation.",
             "Scaffold a new file {path} for the {e} feature.",
             "Please add {path}; start with the basic {e} types.",
             "Set up {path} so the {e} module exists, we'll flesh it out later.")
    return ask.format(path=path, e=ent.replace("_", " ")), [
        ("create_new_file", {"filepath": path, "contents": source})]


def b_run_terminal_command(rng, stack, ent, pool) -> Built:
    kind = rng.randrange(6)
    e = ent.replace("_", " ")
    if kind == 0:
        cmd = stack.test_cmd
        ask = _p(rng, pool, "Run the test suite.", "Run the tests and tell me what fails.",
                 "Can you run the tests? I changed the {e} code.", "Kick off the tests for me.")
    elif kind == 1:
        cmd = stack.build_cmd
        ask = _p(rng, pool, "Build the project.", "Does it still build? Run the build.",
                 "Run a build to check the {e} changes compile.")
    elif kind == 2:
        cmd = stack.lint_cmd
        ask = _p(rng, pool, "Run the linter.", "Lint the codebase before I commit.", "Check for lint errors.")
    elif kind == 3:
        n = rng.choice((5, 10, 15, 20))
        cmd = f"git log --oneline -n {n}"
        ask = _p(rng, pool, "Show me the last {n} commits.", "What were the last {n} commits?",
                 "List the {n} most recent commits in one line each.").replace("{n}", str(n))
    elif kind == 4:
        branch = f"{rng.choice(('fix', 'feat', 'chore'))}/{T.kebab(ent)}-{rng.choice(('cleanup', 'validation', 'timeouts', 'pagination'))}"
        cmd = f"git checkout -b {branch}"
        ask = _p(rng, pool, "Create a branch called {b}.", "Start a new branch {b} for this work.",
                 "Make me a {b} branch.").replace("{b}", branch)
    else:
        path = T.path_for(stack, ent, rng)
        cmd = f"git log -p -n 3 -- {path}"
        ask = f"Who changed {path} recently? Show me the last three patches."
    args: dict[str, Any] = {"command": cmd}
    if rng.random() < 0.2:
        args["waitForCompletion"] = True
    return ask.format(e=e), [("run_terminal_command", args)]


def b_file_glob_search(rng, stack, ent, pool) -> Built:
    pattern = one(rng, stack.glob_patterns)
    if rng.random() < 0.5:
        pattern = pattern.replace("*", f"*{T.kebab(ent) if stack.language == 'typescript' else ent}*", 1) \
            if "**/" not in pattern else pattern.replace("**/*", f"**/*{ent}*", 1)
    ask = _p(rng, pool, "Find all files matching {g}.", "Which files match {g}?",
             "List every file that matches the pattern {g}.", "Search the project for {g} files.",
             "Where are the files that match {g}? I need the paths.")
    return ask.format(g=pattern), [("file_glob_search", {"pattern": pattern})]


def b_view_diff(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "What have I changed so far?", "Show me my uncommitted changes.",
             "Review my working changes to the {e} code before I commit.",
             "Can you look at the current diff and check I didn't leave debug code in?",
             "What does my diff look like right now?", "Summarize the changes I haven't committed.")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("view_diff", {})]


def b_read_currently_open_file(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "What does this file do?", "Explain the file I have open.",
             "Is there anything wrong with the code in my editor?",
             "Can you add docstrings to what I'm looking at? Read it first.",
             "Look at the open file -- why would the {e} lookup return nothing?",
             "Review the file I'm currently editing.")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("read_currently_open_file", {})]


def b_ls(rng, stack, ent, pool) -> Built:
    d = one(rng, stack.dirs)
    args: dict[str, Any] = {"dirPath": d}
    if rng.random() < 0.35:
        args["recursive"] = True
        ask = _p(rng, pool, "List everything under {d}, recursively.", "Show me the full tree of {d}.",
                 "What's inside {d}, including subfolders?")
    else:
        ask = _p(rng, pool, "What's in {d}?", "List the files in {d}.", "Show me the {d} directory.",
                 "ls {d} for me.", "Which files live in {d}?")
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
    ask = _p(rng, pool, "From now on: {r} Make that a rule.", "Remember this convention for the project: {r}",
             "Create a rule so you always do this: {r}", "Can you save a coding rule? {r}",
             "Add a project rule named '{n}': {r}")
    return ask.format(r=rule, n=name) + _suffix(rng, stack, ent, pool), [("create_rule_block", args)]


def b_fetch_url_content(rng, stack, ent, pool) -> Built:
    url = T.doc_url(rng)
    ask = _p(rng, pool, "Read {u} and summarize what matters for us.", "What does {u} say?",
             "Check the docs at {u} before we use this API.", "Fetch {u} for me.",
             "Can you pull the page {u}? I want the key parameters.")
    return ask.format(u=url) + _suffix(rng, stack, ent, pool), [("fetch_url_content", {"url": url})]


def b_request_rule(rng, stack, ent, pool) -> Built:
    name = one(rng, RULES)[0]
    ask = _p(rng, pool, "Apply our '{n}' rule here.", "Load the {n} rule before you write the code.",
             "What does our {n} rule say? Use it for the {e} module.")
    return ask.format(n=name, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("request_rule", {"name": name})]


SKILLS = ("test-driven-development", "systematic-debugging", "brainstorming", "code-review",
          "writing-plans", "verification-before-completion", "root-cause-tracing", "refactoring")


def b_read_skill(rng, stack, ent, pool) -> Built:
    skill = one(rng, SKILLS)
    ask = _p(rng, pool, "Use the {s} skill for this {e} bug.", "Follow your {s} skill here.",
             "Read the {s} skill first, then we start on the {e} work.")
    return ask.format(s=skill, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("read_skill", {"skillName": skill})]


def b_search_web(rng, stack, ent, pool) -> Built:
    topic = one(rng, T.DOC_TOPICS)
    lang = stack.language
    q = _p(rng, pool, "{l} {t} breaking changes latest release", "{l} {t} recommended pattern 2024",
           "{l} {t} known issue workaround", "best practice {t} in {l} production")
    q = q.format(l=lang, t=topic)
    ask = _p(rng, pool, "Search the web: {q}", "Look up online: {q}", "Can you find out on the web: {q}?")
    return ask.format(q=q) + _suffix(rng, stack, ent, pool), [("search_web", {"query": q})]


def b_view_repo_map(rng, stack, ent, pool) -> Built:
    ask = _p(rng, pool, "Give me an overview of how this repo is organized.", "Show me the repo map.",
             "I'm new here -- what's the structure of this codebase?",
             "Map out the repository before we plan the {e} feature.")
    return ask.format(e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [("view_repo_map", {})]


def b_view_subdirectory(rng, stack, ent, pool) -> Built:
    d = one(rng, stack.dirs)
    ask = _p(rng, pool, "Show me what's in the {d} subdirectory.", "Walk me through {d}.",
             "View the {d} folder so we can find the {e} code.")
    return ask.format(d=d, e=ent.replace("_", " ")) + _suffix(rng, stack, None, pool), [
        ("view_subdirectory", {"directory_path": d})]


def b_codebase(rng, stack, ent, pool) -> Built:
    e = ent.replace("_", " ")
    q = _p(rng, pool, "where {e} records are validated", "{e} persistence and database access",
           "authentication checks around {e} endpoints", "error handling for {e} requests",
           "how {e} totals are calculated", "retry logic used when saving a {e}")
    q = q.format(e=e)
    ask = _p(rng, pool, "Find the code for {q}.", "Where in the codebase is {q}?", "Search the codebase: {q}.")
    return ask.format(q=q) + _suffix(rng, stack, None, pool), [("codebase", {"query": q})]


def b_read_file_range(rng, stack, ent, pool) -> Built:
    path = T.path_for(stack, ent, rng)
    start = rng.randint(1, 400)
    end = start + rng.choice((10, 20, 30, 40, 60))
    ask = _p(rng, pool, "Show me lines {a}-{b} of {p}.", "Read {p} from line {a} to {b}.",
             "The stack trace points at {p} around line {m}; read lines {a} to {b}.")
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
        ask = _p(rng, pool, "Rename every {o} to {n} in {p}.", "In {p}, replace all occurrences of {o} with {n}.")
    else:
        line = _first_line_with(text, old)
        args = {"filepath": path, "old_string": line, "new_string": _replace_word(line, old, new)}
        ask = _p(rng, pool, "In {p}, change the first {o} to {n}.", "Replace the first {o} in {p} with {n}.")
    return ask.format(o=old, n=new, p=path), [("single_find_and_replace", args)], [read_then(path, text)]


def b_multi_edit(rng, stack, ent, pool) -> Built:
    path = implementation_path(stack, ent, rng)
    (o1, n1), (o2, n2) = _renames(rng, ent, 2)
    text = rename_file(stack, ent, [o1, o2])
    line = _first_line_with(text, o2)
    edits = [{"old_string": o1, "new_string": n1, "replace_all": True},
             {"old_string": line, "new_string": _replace_word(line, o2, n2)}]
    ask = _p(rng, pool, "In {p}: rename {a} to {b} everywhere, and change the first {c} to {d}.",
             "Two edits in {p}, please -- all {a} become {b}, and the first {c} becomes {d}.")
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
    ask = _p(rng, pool, "Add a retry limit of {n} to {p}.", "In {p}, give up after {n} attempts instead of retrying forever.",
             "Edit {p}: the {e} sync should retry at most {n} times.")
    return ask.format(n=limit, p=path, e=ent.replace("_", " ")), [
        ("edit_existing_file", {"filepath": path, "changes": changes})], [
        read_then(path, code.code_for(stack, ent, rng, path))]


def b_grep_search(rng, stack, ent, pool) -> Built:
    c, s = T.camel(ent), ent
    q = _p(rng, pool, "TODO|FIXME", f"{s}_id", f"{c}Id|{s}_id", f"def {s}_", f"class {T.pascal(ent)}",
           f"function {c}", f"import .*{s}", "console\\.log", "print\\(", f"{T.pascal(ent)}NotFound")
    ask = _p(rng, pool, "Search the code for {q}.", "Grep for {q}.", "Where do we use {q}?",
             "Find every match of the regex {q} in the repo.")
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
    joiner = _p(rng, pool, "{a} Also, {b}", "Two things: {a} And {b}", "{a} While you're at it, {b}")
    lower = u2[0].lower() + u2[1:]
    return joiner.format(a=u1, b=lower), c1 + c2


def _suffix(rng: random.Random, stack: T.Stack, ent: str | None = None, pool: str = "train") -> str:
    """Context clauses that make otherwise-similar requests distinct and realistic."""
    if rng.random() < 0.45:
        return ""
    e = (ent or T.entity_name(rng, pool)).replace("_", " ")
    if pool == "eval":
        return " " + one(rng, (f"The project is a {stack.name}.", f"It's part of the {e} changes.",
                               f"(issue {rng.randint(100, 9999)})", "When you have a minute.", "Cheers."))
    return " " + _p(
        rng, f"We're in the {stack.name}.", f"This is for the {e} work.", f"(ticket {rng.randint(100, 9999)})",
        f"I'm chasing a {e} bug.", "Quick one.", f"It's blocking the {e} release.", "Thanks!",
        f"Context: the {e} endpoint started failing this morning.", "No rush.",
    )


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
