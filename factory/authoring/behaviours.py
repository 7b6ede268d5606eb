"""Tool-calling behaviours beyond "one request, one call" -- what the Berkeley Function Calling
Leaderboard calls irrelevance, missing functions and missing parameters, and what agent traces need:

- :func:`plain_answer` -- tools are offered, but the question needs none: a plain, correct answer;
- :func:`not_offered` -- the request needs a tool the record does not offer: say so, name what is
  there, no invented call, and what the user can do instead;
- :func:`missing_argument` -- a required argument is missing: ask for it by name, the user answers,
  then the call;
- :func:`grounded_answer` -- call, real result from the fixture repository, an answer built from it;
- :func:`follow_up` -- the same, then a second user turn that builds on the first answer.

Each is a builder ``(rng, dialog, names)`` over a :class:`~factory.authoring.dialog.Dialog`; ``names``
are the tool set's tool names (Continue's or the Claude-Code-like set). Builders set the tools the
record offers with :meth:`Dialog.offer`.
"""

from __future__ import annotations

import random
from pathlib import Path

from factory.authoring.dialog import Dialog, Ungrounded
from factory.authoring.observe import describe, named, source_files, symbols_in
from factory.authoring.phrasing import pick, say
from factory.authoring.plain_answers import ANSWER_LEADS, PLAIN_KINDS
from factory.authoring.text import one

# Tool schemas of several kilobytes (Continue's editing tools): offered only when a record needs them,
# so a record with its tools stays inside the 2,048-token window.
BIG_TOOLS = frozenset({"multi_edit", "edit_existing_file", "create_rule_block", "single_find_and_replace",
                       "run_terminal_command"})


def _compact(name: str) -> bool:
    """A tool whose schema is short (the generator's COMPACT_TOOL_CHARS), where its size is known."""
    import orjson

    from factory.authoring.continue_calls import COMPACT_TOOL_CHARS
    from factory.authoring.generator import shipped_toolset

    for set_name in ("continue", "claude_code"):
        tool = shipped_toolset(set_name).by_name().get(name)
        if tool is not None:
            return len(orjson.dumps(tool)) <= COMPACT_TOOL_CHARS
    return name not in BIG_TOOLS


def _some(rng: random.Random, names: list[str], lo: int, hi: int, avoid: set[str] = frozenset()) -> list[str]:
    """``lo``-``hi`` distractor tools, compact ones, in the tool set's order."""
    pool = [n for n in names if _compact(n) and n not in avoid] or [n for n in names if n not in avoid]
    return sorted(rng.sample(pool, min(len(pool), rng.randint(lo, hi))), key=names.index)


def _ask(rng: random.Random, text: str, ent: str | None = None) -> str:
    """The request put as people put it: an opener and, mostly, the situation they are in."""
    from factory.authoring import vocab
    from factory.authoring.continue_calls import compose_request

    return compose_request(rng, text, ent or vocab.entity_name(rng))


def plain_answer(rng: random.Random, d: Dialog, names: list[str]) -> None:
    make = rng.choices([k for k, _ in PLAIN_KINDS], weights=[w for _, w in PLAIN_KINDS])[0]
    question, answer = make(rng)
    lead = one(rng, ["", "", "", "Unrelated, but ", "Not about the code, but ", "Off topic, but "])
    lower = lead.endswith("but ") and question[:2] not in ("I ", "I'")
    d.user(_ask(rng, lead + (question[0].lower() + question[1:] if lower else question)))
    d.say(one(rng, ANSWER_LEADS) + answer)
    d.offer(_some(rng, names, 2, 5))


# -- the tool that would be needed is not offered ---------------------------------------------------
# capability -> (requests, tools that would serve it in either tool set, how to say it, what to do instead)
CAPABILITIES = {
    "run": (("Run the test suite and tell me what fails.", "{Does the build still pass|Is the build still green}? "
             "Run it for me.", "Run the linter over the repo before I {commit|push}.",
             "{Can|Could} you run the tests for the {e} module?", "Execute the migrations and show me the output.",
             "{Please run|Kick off} {the tests|the test suite|the build} and {paste|show me} the {output|results}.",
             "{Start|Run} the app {locally |}and {check|tell me} {whether|if} the {e} page {loads|works}."),
            {"run_terminal_command", "bash"}, "run commands",
            ("Run `{cmd}` in your terminal and paste the output here; I'll go through the failures with you.",
             "If you run `{cmd}` yourself and paste what it prints, I'll read it and tell you what to fix.")),
    "web": (("Search the web for the latest release notes of the {lib} library.",
             "Look up online whether {lib} has a known issue with {timeouts|memory leaks|retries}.",
             "Find the current documentation page for {lib}'s configuration options online.",
             "Check on the internet what changed in the newest {lib} release.",
             "{Look up online|Search the web to find out} {whether|if} {lib} {supports|still supports} "
             "{Python 3.13|HTTP/2|async usage}{ yet|}.",
             "What's the {newest|latest} version of {lib}? {Check online|Look it up on the web}."),
            {"search_web", "fetch_url_content"}, "browse the web",
            ("Paste the release notes or the page text here and I'll pull out what matters for this project.",
             "If you paste the relevant part of their docs or changelog, I'll check it against our code.")),
    "edit": (("Rename `{old}` to `{new}` in `{path}`.", "In `{path}`, rename `{old}` to `{new}` everywhere.",
              "Fix the name in `{path}`: `{old}` should be `{new}`.", "Please change `{old}` to `{new}` across `{path}`.",
              "{Go ahead and|Please} {rename `{old}` to|replace `{old}` with} `{new}` in `{path}`{ for me|}.",
              "`{old}` is a {bad|confusing|misleading} name; {make it|call it} `{new}` in `{path}`."),
             {"edit_existing_file", "single_find_and_replace", "multi_edit", "create_new_file", "edit", "write"},
             "change files",
             ("I can make the change once an editing tool is enabled, or you can apply it yourself: {change}.",
              "Here is the exact change to make by hand: {change}.")),
    "diff": (("What have I changed since my last commit?", "Show me my uncommitted changes.",
              "Review my working diff before I {push|open the PR}.",
              "{Look at|Check} {my diff|my working changes} and {tell me|flag} {if|whether} "
              "{I left debug prints in|anything looks off}.",
              "{Did I touch|Have I touched} anything {outside|besides} the {e} code{ since the last commit|}?"),
             {"view_diff", "run_terminal_command", "bash"}, "see your working changes",
             ("Run `git diff` (and `git status` for new files) and paste the output; I'll review it.",
              "Paste the output of `git diff` here and I'll go through it with you.")),
}
LIBRARIES = ("httpx", "pydantic", "sqlalchemy", "fastapi", "react-query", "axios", "zod", "gorilla/mux", "tokio", "serde")
# The fixture repository's own commands (a Python service, a TypeScript client, a Go worker, a Rust module).
COMMANDS = ("python -m pytest -q", "ruff check .", "cd web && npm test", "cd worker && go test ./...",
            "cd native && cargo test")


ABILITY = {
    "read_file": "read a file", "read_file_range": "read lines of a file", "ls": "list a folder",
    "file_glob_search": "find files by name", "grep_search": "search file contents", "codebase": "search the code by meaning",
    "view_subdirectory": "show a folder's tree", "view_repo_map": "map the repository", "read_currently_open_file": "read your open file",
    "create_rule_block": "save a project rule", "request_rule": "load a project rule", "read_skill": "read a skill",
    "search_web": "search the web", "fetch_url_content": "read a web page", "view_diff": "show your diff",
    "run_terminal_command": "run a command", "create_new_file": "create a file", "edit_existing_file": "edit a file",
    "single_find_and_replace": "replace text in a file", "multi_edit": "make several edits",
    "read": "read a file", "glob": "find files by name", "grep": "search file contents", "bash": "run a command",
    "edit": "edit a file", "write": "write a file",
}
MEANWHILE = ("Meanwhile I can {a} if that helps.", "What I can do from here: {a}.", "I can still {a} in the meantime.", "")


def not_offered(rng: random.Random, d: Dialog, names: list[str]) -> None:
    kinds = [k for k, (_, tools, _, _) in CAPABILITIES.items() if len(set(names) - tools) >= 2]
    kind = one(rng, kinds)
    asks, tools, can_not, instead = CAPABILITIES[kind]
    offered = _some(rng, names, 2, 4, avoid=set(tools))
    e = one(rng, ("invoice", "order", "cart", "payment", "report", "session"))
    if d.stack is not None:
        from factory.authoring import vocab

        path = vocab.path_for(d.stack, e, rng)
        cmd = one(rng, (d.stack.test_cmd, d.stack.build_cmd, d.stack.lint_cmd))
    else:
        path = one(rng, ("src/shoplite/cart.py", "src/shoplite/pricing.py", "web/src/client.ts", "worker/main.go"))
        cmd = one(rng, COMMANDS)
    old, new = one(rng, (("calc_total", "cart_total"), ("get_usr", "get_user"), ("proc", "process_order")))
    d.user(_ask(rng, say(rng, one(rng, asks), e=e, lib=one(rng, LIBRARIES), path=path, old=old, new=new), e))
    change = (f"in `{path}`, replace `{old}` with `{new}` everywhere it is used" if kind == "edit" else "")
    lead = one(rng, [
        f"I can't {can_not} in this session: the tools I have are {named(offered, len(offered))}, and none of them can.",
        f"None of my tools here can {can_not} -- I only have {named(offered, len(offered))}.",
        f"That needs a tool I don't have: I can't {can_not} with {named(offered, len(offered))}.",
    ])
    helpful = [ABILITY[n] for n in offered if n in ABILITY]
    meanwhile = one(rng, MEANWHILE).format(a=" or ".join(rng.sample(helpful, min(2, len(helpful))))) if helpful else ""
    d.say(" ".join(p for p in (lead, one(rng, instead).format(cmd=cmd, change=change), meanwhile) if p))
    d.offer(offered)


# -- a required argument is missing: ask for it, then call ----------------------------------------
def _rule_names() -> list[str]:
    from factory.authoring.continue_calls import RULES

    return [r[0] for r in RULES]


BRANCH_ASKS = ("{Create|Make|Cut} a {new |fresh |}branch for {the {e} work|this change|the {e} fix}"
               "{ before we begin| first|}.",
               "{I want|Let's have} a {separate|dedicated} branch for the {e} {work|fix|change}.",
               "{Before we start|First}, {set up|create} a branch{ for the {e} work|}.")
BRANCH_NAMED = ("{b}", "Call it {b}.", "`{b}`", "{Name it|Let's go with|Use} {b}{ please|}.", "{b}, please.")
PAGE_ASKS = ("{Read|Open|Go through} the {docs page|page|link} {they sent|the vendor sent|someone shared} and tell "
             "me {what}.", "{Check|Look at} {that|the} page for {what}{ please|}.",
             "{There's|I have} a {docs page|reference page} {about this|we should follow}; {summarise|tell me} {what}.")
URL_GIVEN = ("{url}", "Here: {url}", "It's {url}", "{url} -- {thanks|that's the one}.")
ERROR_ASKS = ("{Look that error up|Search for that error} online{ for me|}.",
              "Search the web for a fix to the error I'm {getting|seeing}.",
              "{Can|Could} you find {a fix|a workaround|what causes it} online for the error I'm {getting|seeing}?")
LINES_ASKS = ("{Show me|Read|Print} lines {a} to {b}{ please|}.", "{I need|Give me} lines {a}-{b}.",
              "What's on lines {a} through {b}?")
RULE_ASKS = ("Apply our team rule before you write this.", "Use the project rule for this one.",
             "{Follow|Load} {our|the} {team|house|project} rule {first|before you start}{ please|}.")


def missing_argument(rng: random.Random, d: Dialog, names: list[str]) -> None:
    """Asks for the one required value the request leaves out, by name; the user gives it; the call."""
    e = one(rng, ("invoice", "order", "cart", "payment", "refund", "coupon", "shipment"))
    cases = []
    run = "run_terminal_command" if "run_terminal_command" in names else "bash" if "bash" in names else None
    if run:
        branch = f"{one(rng, ('fix', 'feat', 'chore'))}/{e}-{one(rng, ('rounding', 'export', 'retries', 'validation'))}"
        cases.append((run, say(rng, one(rng, BRANCH_ASKS), e=e),
                      one(rng, ["What should the branch be called? I'll create it with `git checkout -b` once I have the name.",
                                "Which branch name do you want? Give me the name and I'll create it."]),
                      say(rng, one(rng, BRANCH_NAMED), b=branch), {"command": f"git checkout -b {branch}"}))
    if "fetch_url_content" in names:
        url, what = one(rng, (("https://docs.stripe.com/rate-limits", "the rate limits"),
                              ("https://docs.github.com/en/rest/rate-limit", "the rate limits"),
                              ("https://docs.python.org/3/library/sqlite3.html", "how connections should be closed"),
                              ("https://go.dev/doc/effective_go", "what it says about errors"),
                              ("https://www.rfc-editor.org/rfc/rfc9110", "the rules for 304 responses")))
        cases.append(("fetch_url_content", say(rng, one(rng, PAGE_ASKS), what=what),
                      one(rng, ["Which URL is the page at? I need the address to fetch it.",
                                "Can you give me the page's URL? Then I'll read it."]),
                      say(rng, one(rng, URL_GIVEN), url=url), {"url": url}))
    if "search_web" in names:
        err = one(rng, ("TypeError: Cannot read properties of undefined (reading 'map')",
                        "sqlite3.OperationalError: database is locked", "panic: assignment to entry in nil map",
                        "error[E0502]: cannot borrow `items` as mutable because it is also borrowed as immutable"))
        cases.append(("search_web", pick(rng, ERROR_ASKS),
                      one(rng, ["Which error exactly? Paste the message and I'll search for it.",
                                "What's the exact error message? I'll use it as the search query."]),
                      err, {"query": err}))
    if "read_file_range" in names:
        path = one(rng, [f for f in source_files(d.ws) if len(d.ws.text(f).splitlines()) >= 22])
        a = rng.randint(1, len(d.ws.text(path).splitlines()) - 10)
        cases.append(("read_file_range", say(rng, one(rng, LINES_ASKS), a=a, b=a + 10),
                      one(rng, [f"Lines {a}-{a + 10} of which file? Give me its path.",
                                "Which file do you mean? I need the file path for those lines."]),
                      one(rng, [path, f"`{path}`", f"In {path}.", f"It's `{path}`.", f"From {path}, please."]),
                      {"filepath": path, "startLine": a, "endLine": a + 10}))
    if "request_rule" in names:
        rules = rng.sample(_rule_names(), 3)
        want = rules[0]
        listed = ", ".join(f"'{r}'" for r in sorted(rules))
        cases.append(("request_rule", pick(rng, RULE_ASKS),
                      f"Which rule? The rules available here are {listed}.", one(rng, [want, f"The {want} one."]),
                      {"name": want}))
        d.rules = sorted(rules)
    if not cases:
        raise Ungrounded("no tool with a required argument the user must supply")
    tool, ask, question, answer, args = one(rng, cases)
    if tool == "read_file_range":
        d.set_system(REPO_SYSTEM)
    d.user(_ask(rng, ask, e))
    d.say(question)
    d.user(answer)
    thanks = one(rng, [None, "Thanks.", "Got it."])
    if tool == "read_file_range":  # executed against the repository
        out = d.call(tool, args, content=thanks)
        d.say(describe(rng, d.ws, tool, args, out))
    elif tool in ("fetch_url_content", "search_web"):  # ends on the call: its result is the web's, not ours
        d.calls([(tool, args, "")], content=thanks)
        d.messages.pop()  # no invented result: the record ends on the call
    else:
        d.calls([(tool, args, _canned(tool, args))], content=thanks)
        d.say(_after(tool, args))
    d.offer(sorted({tool, *_some(rng, names, 1, 3, avoid={tool})}, key=names.index))


def _canned(tool: str, args: dict) -> str:
    """The result of a call the sandbox cannot execute (a shell, the web), stated plainly."""
    if tool in ("run_terminal_command", "bash"):
        return f"Switched to a new branch '{args['command'].rsplit(' ', 1)[1]}'"
    if tool == "request_rule":
        from factory.authoring.continue_calls import RULES

        return next(r[1] for r in RULES if r[0] == args["name"])
    return ""


def _after(tool: str, args: dict) -> str:
    if tool in ("run_terminal_command", "bash"):
        return f"Done: you're on the new branch `{args['command'].rsplit(' ', 1)[1]}`."
    if tool == "request_rule":
        return f"Rule loaded: {_canned(tool, args)} I'll follow it in what I write next."
    return "Done."


# -- grounded: call, real result, an answer built from the result -----------------------------------
REPO_SYSTEM = ("You are a coding assistant in the user's IDE. The workspace is shoplite: a Python shop service "
               "(src/shoplite) with a TypeScript web client (web/), a Go worker (worker/) and a Rust module "
               "(native/). Use the tools to look things up and answer from what they return.")


def _lookup(rng: random.Random, d: Dialog, names: list[str]) -> tuple[str, str, dict]:
    ws = d.ws
    files = source_files(ws)
    options = []
    if "read_file" in names:
        f = one(rng, [x for x in files if symbols_in(ws, x)])
        options.append((one(rng, [f"What does `{f}` define?", f"Give me a quick overview of {f}.",
                                  f"What's in {f}?"]), "read_file", {"filepath": f}))
    if "grep_search" in names:
        sym = one(rng, [s for s in ws.symbols if s.kind in ("function", "class") and not s.name.startswith("test")])
        options.append((one(rng, [f"Where is `{sym.name}` used?", f"Find the places that mention {sym.name}.",
                                  f"Which files reference `{sym.name}`?"]), "grep_search", {"query": rf"\b{sym.name}\b"}))
    if "file_glob_search" in names:
        pat = one(rng, ("tests/*.py", "src/**/*.py", "web/**/*.ts", "**/*.md", "**/*.go", "native/**/*.rs"))
        options.append((one(rng, [f"Which files match `{pat}`?", f"List the files matching {pat}."]),
                        "file_glob_search", {"pattern": pat}))
    if "ls" in names:
        dd = one(rng, [x for x in ws.dirs if "/" not in x or x.count("/") == 1])
        options.append((one(rng, [f"What's in `{dd}`?", f"List the contents of {dd}."]), "ls", {"dirPath": dd}))
    if "read_file_range" in names:
        f = one(rng, files)
        n = len(ws.text(f).splitlines())
        a = rng.randint(1, max(1, n - 5))
        b = min(n, a + rng.randint(4, 9))
        options.append((f"Show me lines {a}-{b} of `{f}`.", "read_file_range", {"filepath": f, "startLine": a, "endLine": b}))
    if not options:
        raise Ungrounded("no read-only Continue tool to ground an answer")
    return one(rng, options)


def grounded_answer(rng: random.Random, d: Dialog, names: list[str]) -> None:
    d.set_system(REPO_SYSTEM)
    ask, tool, args = _lookup(rng, d, names)
    d.user(_ask(rng, ask))
    out = d.call(tool, args, content=one(rng, [None, "Let me check.", "Looking it up."]))
    d.say(describe(rng, d.ws, tool, args, out) + one(rng, ["", " Want me to open any of them?",
                                                           " Anything specific you want to know about it?"]))
    d.offer(sorted({tool, *_some(rng, names, 2, 2)}, key=names.index))


FOLLOW_OPENERS = ("", "", "Quick one: ", "Hey, ", "I'm new to this repo. ", "Before I change anything: ")
FOLLOW_UPS = ("Open `{t}`.", "OK, show me {t}.", "What does `{n}` define?", "Read {t} for me.",
              "And what's in `{t}`?", "Great -- now open {t}.", "Let's look at `{n}` then.", "Show me the first one, {t}.")


def follow_up(rng: random.Random, d: Dialog, names: list[str]) -> None:
    """A lookup and its answer, then a follow-up that reads one of the files the first result named."""
    d.set_system(REPO_SYSTEM)
    if "read_file" not in names and "read_file_range" not in names:
        raise Ungrounded("follow-ups read a file")
    first = [n for n in ("grep_search", "file_glob_search", "ls") if n in names]
    if not first:
        raise Ungrounded("no search tool")
    tool = one(rng, first)
    ws = d.ws
    opener = one(rng, FOLLOW_OPENERS)
    if tool == "grep_search":
        sym = one(rng, [s for s in ws.symbols if s.kind in ("function", "class", "method") and not s.name.startswith("test")])
        args = {"query": rf"\b{sym.name}\b"}
        d.user(_ask(rng, opener + one(rng, [f"Where is `{sym.name}` used?", f"Find the mentions of {sym.name}.",
                                            f"Which files use `{sym.name}`?", f"Search for {sym.name}."])))
    elif tool == "file_glob_search":
        args = {"pattern": one(rng, ("tests/*.py", "src/**/*.py", "web/**/*.ts", "**/*.go", "**/*.md", "native/**/*.rs",
                                     "src/shoplite/*.py", "**/*.toml"))}
        d.user(_ask(rng, opener + one(rng, [f"Which files match `{args['pattern']}`?",
                                            f"List the files matching {args['pattern']}.",
                                            f"Find the {args['pattern']} files."])))
    else:
        where = one(rng, [x for x in ws.dirs if any(f.startswith(x + "/") and "/" not in f[len(x) + 1:] for f in ws.files)])
        args = {"dirPath": where}
        d.user(_ask(rng, opener + one(rng, [f"What's in `{where}`?", f"List {where}.", f"Show me the files in {where}."])))
    out = d.call(tool, args)
    d.say(describe(rng, ws, tool, args, out))
    if tool == "ls":
        hits = [f"{args['dirPath']}/{ln}" for ln in out.splitlines() if ln and not ln.endswith("/")]
    else:
        hits = sorted({ln.split(":", 1)[0] for ln in out.splitlines() if ln and not ln.startswith(("No ", "..."))})
    hits = [h for h in hits if h in ws.files]
    if not hits:
        raise Ungrounded("the first lookup found nothing to follow up on")
    target = one(rng, hits)
    d.user(one(rng, FOLLOW_UPS).format(t=target, n=Path(target).name))
    lines = ws.text(target).splitlines()
    hit_lines = [int(ln.split(":")[1]) for ln in out.splitlines()
                 if ln.startswith(target + ":") and ln.split(":")[1].isdigit()]
    if len(lines) > 12 and "read_file_range" in names:
        # A window around the hit (or a part of the file), as an agent reads a long file: the record
        # shows the lines that matter, not the whole file again.
        at = one(rng, hit_lines) if hit_lines else rng.randint(1, len(lines))
        start = max(1, at - rng.randint(1, 4))
        end = min(len(lines), start + rng.randint(6, 12))
        args2 = {"filepath": target, "startLine": start, "endLine": end}
        out2 = d.call("read_file_range", args2)
        d.say(describe(rng, ws, "read_file_range", args2, out2))
        extra = {"read_file_range"}
    else:
        out2 = d.call("read_file", {"filepath": target})
        d.say(describe(rng, ws, "read_file", {"filepath": target}, out2))
        extra = {"read_file"}
    d.offer(sorted({tool, *extra, *_some(rng, names, 1, 1)}, key=names.index))


BEHAVIOURS = {"plain_answer": plain_answer, "tool_not_offered": not_offered, "missing_argument": missing_argument,
              "grounded_answer": grounded_answer, "follow_up": follow_up}
