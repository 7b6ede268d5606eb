"""The ``tool_use`` category: orchestrating the Continue extension's tools --
parallel calls in one turn, single calls, multi-turn follow-ups, recovery after a failed call, and
the optional parameters. Every read-only result is executed against the grounding workspace."""

from __future__ import annotations

from pathlib import Path

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.behaviours import BEHAVIOURS
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator, shipped_toolset
from factory.authoring.observe import describe, more_matches, source_files, symbols_in
from factory.authoring.text import bullets, one, some
from factory.registry import Category

SYSTEM = [
    ("You are a coding assistant inside the Continue extension. Use the tools to inspect the workspace "
    "before answering; call independent tools in parallel."),
    ("You are an IDE agent with file and search tools. Gather facts with tools, batch independent calls "
    "in one turn, and answer from what the tools returned."),
    ("You help developers with their repository. Read before you claim; when several lookups do not "
    "depend on each other, issue them together."),
]

OPENERS = ["", "Quick one: ", "Hey, ", "When you get a chance: ", "Before I start on this, ",
           "I'm new to this repo. ", "Context: I'm reviewing a PR. ", "Need a hand: "]
CLOSERS = ["", " Keep it short.", " Bullet points are fine.", " Thanks!", " I only need the facts.",
           " Don't change anything yet."]
PARALLEL_INTROS = [
    "These lookups are independent, so I'll run them together.",
    "I'll fetch all of these in one go.",
    "Running the reads in parallel:",
    "None of these depend on each other; issuing them at once.",
    "Let me gather everything in a single batch.",
]
WRAPS = [
    "Want me to go deeper into any of these?",
    "Next I'd open the one you care about most and trace the call path.",
    "That's everything the tools show; nothing here needs changing yet.",
    "If you tell me which part matters, I'll read it line by line.",
    "From here the natural next step is to run the tests around these files.",
    "Say the word and I'll draft the change.",
]

PAIR_ASKS = [
    "Compare {a} and {b} for me: what does each one define?",
    "Open {a} and {b} side by side and tell me how they relate.",
    "What lives in {a} and in {b}?",
    "Give me a summary of both {a} and {b}.",
    "I need to understand {a} together with {b}. What's in them?",
]
SEARCH_ASKS = [
    "Where is `{sym}` used, and which {ext} files exist in the project?",
    "Find every mention of `{sym}` and list the {ext} files too.",
    "Show me the usages of `{sym}` and give me the list of {ext} sources.",
]
LAYOUT_ASKS = [
    "What's in `{d1}` and `{d2}`, and how many {ext} files are there?",
    "Walk me through the layout of `{d1}` and `{d2}`; also count the {ext} files.",
    "List `{d1}` and `{d2}` for me, plus every {ext} file.",
]
EXTS = {"Python": "**/*.py", "TypeScript": "**/*.ts", "Rust": "**/*.rs", "Go": "**/*.go", "Markdown": "**/*.md",
        "TOML": "**/*.toml"}


def _finish(rng, d: Dialog, calls: list, results: list[str]) -> None:
    facts = [describe(rng, d.ws, n, a, r) for (n, a), r in zip(calls, results)]
    head = one(rng, ["Here's what I found:", "Summary:", "What the tools show:", "Findings:", ""])
    d.say("\n".join(p for p in (head, bullets(facts), "", one(rng, WRAPS)) if p is not None).strip())


def parallel_execution(rng, d: Dialog) -> None:
    ws = d.ws
    kind = rng.randrange(4)
    srcs = source_files(ws)
    syms = [s for s in ws.symbols if s.kind != "method"]
    if kind == 0:
        a, b = rng.sample(srcs, 2)
        extra = some(rng, [f for f in ws.files if f not in (a, b)], 0, 2)
        ask = one(rng, PAIR_ASKS).format(a=f"`{a}`", b=f"`{b}`")
        if extra:
            ask += " Also peek at " + " and ".join(f"`{e}`" for e in extra) + "."
        calls = [("read_file", {"filepath": f}) for f in [a, b, *extra]]
    elif kind == 1:
        sym = one(rng, syms).name
        lang = one(rng, list(EXTS))
        ask = one(rng, SEARCH_ASKS).format(sym=sym, ext=lang)
        calls = [("grep_search", {"query": rf"\b{sym}\b"}), ("file_glob_search", {"pattern": EXTS[lang]})]
        if rng.random() < 0.5:
            target = one(rng, [s for s in ws.symbols if s.name == sym]).file
            calls.append(("read_file", {"filepath": target}))
            ask += " And open the file that defines it."
    elif kind == 2:
        d1, d2 = rng.sample(ws.dirs, 2)
        lang = one(rng, list(EXTS))
        ask = one(rng, LAYOUT_ASKS).format(d1=d1, d2=d2, ext=lang)
        calls = [("ls", {"dirPath": d1}), ("ls", {"dirPath": d2}), ("file_glob_search", {"pattern": EXTS[lang]})]
    else:
        src = one(rng, [f for f in srcs if not Path(f).name.startswith("test_")])
        tests = [f for f in ws.files if "test" in f]
        words = one(rng, [["raise", "Error"], ["raise ValueError"], ["sqlite3"], ["TODO", "FIXME"], ["async", "await"],
                          ["def test_"], ["Exception"], ["fetch"], ["SELECT", "UPDATE"]])
        query = "|".join(words)
        ask = one(rng, [
            "Read `{src}` and the test files, and search for `{q}` while you're at it.",
            "I want `{src}`, every test module, and all lines matching `{q}`.",
            "Pull up `{src}` plus the tests, and grep for `{q}`.",
        ]).format(src=src, q=query)
        calls = [("read_file", {"filepath": src}), *[("read_file", {"filepath": t}) for t in tests],
                 ("grep_search", {"query": query})]
    d.user(one(rng, OPENERS) + ask + one(rng, CLOSERS))
    results = d.calls(calls, content=one(rng, PARALLEL_INTROS) if rng.random() < 0.7 else None)
    _finish(rng, d, calls, results)


SINGLE = [
    ("read_file", lambda rng, ws: {"filepath": one(rng, ws.files)},
     ["Show me `{filepath}`.", "What's inside `{filepath}`?", "Can you open `{filepath}`?"]),
    ("ls", lambda rng, ws: {"dirPath": one(rng, ws.dirs)},
     ["What's in the `{dirPath}` folder?", "List `{dirPath}`.", "What files are under `{dirPath}`?"]),
    ("file_glob_search", lambda rng, ws: {"pattern": one(rng, list(EXTS.values()))},
     ["Find all files matching `{pattern}`.", "Which files match `{pattern}`?"]),
    ("grep_search", lambda rng, ws: {"query": one(rng, [s.name for s in ws.symbols])},
     ["Search the code for `{query}`.", "Where does `{query}` show up?", "grep for `{query}` please"]),
]


def single_tools(rng, d: Dialog) -> None:
    name, make, asks = one(rng, SINGLE)
    args = make(rng, d.ws)
    d.user(one(rng, OPENERS) + one(rng, asks).format(**args) + one(rng, CLOSERS))
    out = d.call(name, args)
    d.say(describe(rng, d.ws, name, args, out) + " " + one(rng, WRAPS))


def multi_turn(rng, d: Dialog) -> None:
    ws = d.ws
    src = one(rng, source_files(ws))
    syms = symbols_in(ws, src) or ws.symbols
    d.user(one(rng, OPENERS) + one(rng, ["What does `{f}` contain?", "Open `{f}` for me.",
                                         "Summarise `{f}`."]).format(f=src))
    out = d.call("read_file", {"filepath": src})
    d.say(describe(rng, ws, "read_file", {"filepath": src}, out) + " " +
          one(rng, ["Anything specific you want traced?", "Which part should I look at next?",
                    "Shall I follow one of these?"]))
    sym = one(rng, syms).name
    d.user(one(rng, ["Where else is `{s}` used?", "Who calls `{s}`?", "Does anything outside this file use `{s}`?",
                     "Find the other references to `{s}`."]).format(s=sym))
    args = {"query": rf"\b{sym}\b"}
    out = d.call("grep_search", args, content=one(rng, [None, f"Searching the workspace for `{sym}`."]))
    rows = [ln for ln in out.splitlines() if ":" in ln]
    others = sorted({r.split(":", 1)[0] for r in rows} - {src})
    if more_matches(out):
        tail = "The list is capped, so I'd narrow the search before concluding anything is unused."
    elif others:
        tail = f"Outside `{src}` it is referenced from " + ", ".join(f"`{o}`" for o in others) + "."
    else:
        tail = f"Nothing outside `{src}` refers to it, so changing it is local to that file."
    d.say(describe(rng, ws, "grep_search", args, out) + " " + tail)


WRONG_GUESSES = ["src/{stem}.py", "lib/{stem}.py", "{stem}.py", "app/{stem}.ts", "src/{stem}.rs", "pkg/{stem}.go"]


def error_recovery(rng, d: Dialog) -> None:
    ws = d.ws
    src = one(rng, source_files(ws))
    stem = Path(src).stem
    guess = one(rng, WRONG_GUESSES).format(stem=stem)
    if guess == src or (ws.root / guess).exists():
        guess = "old/" + guess
    d.user(one(rng, OPENERS) + one(rng, ["Open the {s} module.", "Show me {s}, I think it's at `{g}`.",
                                         "Read the {s} file please.", "I need to see the {s} code."])
           .format(s=stem, g=guess) + one(rng, CLOSERS))
    d.call("read_file", {"filepath": guess}, expect_failure=True)
    pattern = f"**/{Path(src).name}"
    out = d.call("file_glob_search", {"pattern": pattern},
                 content=one(rng, [f"`{guess}` doesn't exist. Let me search for the file instead.",
                                   "That path was wrong; finding the real location.",
                                   f"No file at `{guess}`. Searching by name."]))
    real = out.splitlines()[0]
    body = d.call("read_file", {"filepath": real}, content=f"Found it at `{real}`.")
    d.say(describe(rng, ws, "read_file", {"filepath": real}, body) +
          one(rng, [" (The first path was a guess; the module lives elsewhere.)",
                    f" Note the location: `{real}`, not `{guess}`.", ""]))


def parameters(rng, d: Dialog) -> None:
    ws = d.ws
    kind = rng.randrange(3)
    if kind == 0:
        src = one(rng, source_files(ws))
        total = len(ws.text(src).splitlines())
        start = rng.randint(1, max(1, total - 8))
        end = min(total, start + rng.randint(4, 12))
        d.user(one(rng, ["Show me lines {a} to {b} of `{f}`.", "Only lines {a}-{b} of `{f}`, please.",
                         "What's on lines {a} through {b} in `{f}`?"]).format(a=start, b=end, f=src))
        args = {"filepath": src, "startLine": start, "endLine": end}
        out = d.call("read_file_range", args)
        d.say(describe(rng, ws, "read_file_range", args, out) + " I read only that range, not the whole file.")
    elif kind == 1:
        dir_ = one(rng, ws.dirs)
        d.user(one(rng, ["List everything under `{d}`, recursively.", "Give me the full tree below `{d}`.",
                         "Recursive listing of `{d}` please."]).format(d=dir_))
        args = {"dirPath": dir_, "recursive": True}
        out = d.call("ls", args)
        d.say(describe(rng, ws, "ls", args, out) + " (`recursive: true` because you asked for the full tree.)")
    else:
        target = one(rng, ["pytest -q", "npm run build", "cargo test", "go vet ./...", "python -m http.server 8000"])
        background = target.startswith("python -m http.server")
        d.user(one(rng, ["Run `{c}` for me.", "Kick off `{c}`.", "Please start `{c}`."]).format(c=target))
        args = {"command": target, "waitForCompletion": not background}
        out = ("Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ..." if background else
               f"$ {target}\nexit status 0")
        d.calls([("run_terminal_command", args, out)])
        d.say("The server runs in the background (`waitForCompletion: false`); stop it with `kill $(lsof -t -i :8000)`"
               " when you're done." if background else
               f"`{target}` finished with exit status 0 (I waited for it to complete).")


def _behaviour(name: str):
    """A behaviour of the kit (plain answer, missing tool, missing argument) over the Continue tools."""
    build = BEHAVIOURS[name]

    def builder(rng, d: Dialog) -> None:
        build(rng, d, shipped_toolset("continue").names)

    return builder


GENERATOR = SubcategoryGenerator(
    {"parallel_execution": parallel_execution, "single_tools": single_tools, "multi_turn": multi_turn,
     "error_recovery": error_recovery, "parameters": parameters,
     **{name: _behaviour(name) for name in ("plain_answer", "tool_not_offered", "missing_argument")}},
    system=lambda rng: one(rng, SYSTEM),
    distractors=2,
    fresh_calls=True,
)


@hookimpl
def register_categories(register):
    register(Category(name="tool_use", spec_path=spec_path("tool_use"),
                      generator=GENERATOR, description="Continue tools: parallel, multi-turn, recovery"))

