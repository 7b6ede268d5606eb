"""The ``tool_use`` category: orchestrating the Continue extension's tools --
parallel calls in one turn, single calls, multi-turn follow-ups, recovery after a failed call, and
the optional parameters. Every read-only result is executed against the grounding workspace.

Requests are phrase grammars (:mod:`factory.authoring.phrasing`): the same lookup asked the ways
developers ask it, often with the situation they are in, so a model learns the task, not a sentence."""

from __future__ import annotations

import random
from pathlib import Path

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.behaviours import BEHAVIOURS
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator, shipped_toolset
from factory.authoring.observe import describe, more_matches, source_files, symbols_in
from factory.authoring.phrasing import pick
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

OPENERS = ["", "", "", "", "Quick one: ", "Hey, ", "When you get a chance: ", "Need a hand: ", "Okay, "]
# Where the developer is in their work (said before or after the ask); none of it presumes what the tools find.
CONTEXTS = (
    "I'm new to this {repo|codebase|project}{ and trying to find my way around| and want the lay of the land|}.",
    "{I'm|We're} reviewing a {PR|pull request|change} that touches {these files|this part of the code|this area}.",
    "{I'm about to|I need to|I'm going to} {change|refactor|extend} {this area|this code|something here}"
    "{ and want the facts first| but want to look first|}.",
    "{I'm|We're} {writing up|drafting} {a design doc|notes for the team|an onboarding guide} about "
    "{this repo|the codebase|how the shop service is put together}.",
    "{A test|CI|The nightly build} {failed|went red} {somewhere around here|in this part of the code}"
    "{ this morning| overnight|}, and I'm {narrowing it down|looking for a lead}.",
    "{A teammate|My lead|Someone on the team} asked me {how this part fits together|where things live in this "
    "repo|what this code does}{, and I don't know yet| and I want a real answer|}.",
    "{I'm|We're} planning {a cleanup|a refactor|some dead-code removal} {and need a map first|in this area}.",
    "{I'm|We're} pairing {on this|with a new hire} and {want|need} {a quick tour|an overview} of the "
    "{code|files} involved.",
    "I'm {debugging|chasing} {a checkout bug|a pricing issue|a failing order flow|an inventory mismatch} and "
    "{want|need} to see the code {first|before guessing}.",
    "{I'm|We're} {estimating|scoping} {a ticket|a change|some work} {in this area|that lands here} and "
    "{need|want} to know {what is there|what the code looks like}.",
    "{The|Our} {docs|README|architecture notes} {may be|are probably|could be} out of date, so I'd rather "
    "{see the code|look at the files} {myself|directly}.",
    "{I'm|We're} {preparing|putting together} {a demo of|a walkthrough of|a talk about} the shop service "
    "{for the team|for new joiners|next week}.",
    "{I'm|We're} {hunting for|looking for} {dead code|duplicated logic|leftover debugging code} {before the "
    "release|in this repo|as part of a cleanup}.",
)
# Why the developer asks, said inside the ask (when no situation sentence is given).
PURPOSES = (
    "so I {know|can see} {where to start|what I'm dealing with|what a change would touch}",
    "before I {change|touch|refactor} anything", "for {the review|my notes|the design doc|the onboarding guide}",
    "{since|because} I'm {new here|reviewing this area|about to change this code}",
    "{so I can|to} {plan|scope} {the change|the refactor|my next step}",
)
CLOSERS = (
    "{Keep it|Please keep it} {short|brief}{ and factual|}.", "{Bullet points are|A short list is} {fine|enough}.",
    "{Thanks|Thank you}{ in advance|}!",
    "{I only need|Just give me} the facts{, no opinions|}.", "{Don't|Please don't} change anything yet.",
    "{No edits|Don't edit anything} for now{, just look|}.", "{I'll decide|I'll work out} what to do {next|after that}.",
    "{Names and counts|File names and counts} are {enough|all I need}{ for now|}.",
    "{I'll read the code myself|I'll open the files myself} {afterwards|once I know where to look}.",
)
PARALLEL_INTROS = [
    "These lookups are independent, so I'll run them together.",
    "I'll fetch all of these in one go.",
    "Running the lookups in parallel:",
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


def _request(rng: random.Random, ask: str, context: float = 0.55, closer: float = 0.35) -> str:
    """An ask (already expanded and filled) with, often, the situation it comes from and a closing word."""
    opener = one(rng, OPENERS)
    keep = ask[:2] in ("I ", "I'")  # "I" stays a capital after an opener
    text = opener + (ask[0].lower() + ask[1:] if opener and not keep else ask[0].upper() + ask[1:])
    if rng.random() < context:
        situation = pick(rng, CONTEXTS)
        text = f"{situation} {text}" if rng.random() < 0.6 and not opener else f"{text} {situation}"
    elif rng.random() < 0.5 and text[-1] in ".?" and text.count(". ") + text.count("? ") == 0:
        text = f"{text[:-1]}, {pick(rng, PURPOSES, capitalize=False)}{text[-1]}"  # one sentence: the reason in it
    if rng.random() < closer * 0.8:
        text += " " + pick(rng, CLOSERS)
    return text


def _tick(path: str) -> str:
    return f"`{path}`"


PAIR_ASKS = (
    "{Compare|Contrast} {a} and {b} for me: what does each one define?",
    "Open {a} and {b} side by side and tell me how they relate.",
    "What {lives|is defined} in {a} and in {b}?",
    "{Give me|I'd like|Write me} a {summary|quick summary|short overview} of both {a} and {b}.",
    "{I need|I want} to understand {a} together with {b}: what's in {each|each of them|them}?",
    "{Read|Open|Load} {a} and {b} {at the same time|together|in one go} and {tell me what each one does|"
    "summarise what they define|list what each one defines}.",
    "{Show me|Walk me through} {a} and {b}{ side by side| one after the other|}.",
    "How do {a} and {b} {fit together|relate to each other}?",
    "What's the {difference|split} between {a} and {b}{ in terms of what they define|}?",
)
EXTRA_READS = ("{Also|And} {peek at|glance at|open|throw in} {x}{ while you're at it| too| as well|}.",
               "{While you're there|On the way}, {also |}{read|open} {x}.")
SEARCH_ASKS = (
    "Where is `{sym}` {used|referenced|called}, and which {ext} files {exist|are there} in the {project|repo}?",
    "Find every {mention|use|reference} of `{sym}` and list the {ext} files too.",
    "Show me the {usages|call sites|references} of `{sym}` and give me the list of {ext} {sources|files}.",
    "{I need|Give me} two things: {every|each} place `{sym}` {appears|is mentioned}, and {all|every one of} the "
    "{ext} files.",
    "Which {ext} files {are there|does the repo have}, and where does `{sym}` {show up|come up}?",
    "{Search for|Grep for|Look up} `{sym}` and, {at the same time|in the same go}, {list|find} {all|the} {ext} files.",
)
DEFINER = ("{And|Also} {open|read|pull up} the file {that defines it|where it's defined}{ too| while you're at it|}.",
           "{I'd also like to see|Please also open} the file {that defines `{sym}`|where `{sym}` is defined}.")
LAYOUT_ASKS = (
    "What's in `{d1}` and `{d2}`, and how many {ext} files are there{ in total| overall|}?",
    "Walk me through the layout of `{d1}` and `{d2}`{; also| and} {count|list} the {ext} files.",
    "List `{d1}` and `{d2}` for me, plus every {ext} file.",
    "{Show me|I'd like to see} what {sits|lives} under `{d1}` and `{d2}`, and {find|list} the {ext} files"
    "{ across the repo|}.",
    "How are `{d1}` and `{d2}` {laid out|organised}? {Also|And}, which {ext} files does the project have?",
    "{I need|Give me} the contents of `{d1}` and `{d2}`{,| --} and {every|all the} {ext} files{ in the repo|}.",
)
TEST_ASKS = (
    "Read `{src}` and the test files, and search for `{q}` while you're at it.",
    "I want `{src}`, every test module, and all lines matching `{q}`.",
    "Pull up `{src}` plus the tests, and grep for `{q}`.",
    "{Open|Load} `{src}` {and|together with} {every test file|all the tests}, and also {search|grep} the "
    "{repo|code} for `{q}`.",
    "{Before I touch|Before I edit} `{src}`, {show me|read} it{ and the tests| alongside the tests}, and {find|list} "
    "{the lines|everything} matching `{q}`.",
    "Which lines match `{q}`? {Also|And} {read|open} `{src}` and the test {files|modules}{ so I have the context|}.",
)
TWO_SYMBOL_ASKS = (
    "Where are `{s1}` and `{s2}` {used|referenced}?",
    "{Find|Search for|Look up} {every mention|the usages} of `{s1}` and of `{s2}`{ across the repo|}.",
    "{I want to know|Tell me} {where|which files} `{s1}` and `{s2}` {show up|appear}{ -- both at once|}.",
    "Which files {mention|reference} `{s1}`, and which {mention|reference} `{s2}`?",
    "{Grep|Search} the {code|workspace} for `{s1}` and `{s2}`{ in one go| in parallel|}.",
)
DIR_FILE_ASKS = (
    "What's in `{d}`, and what does `{f}` {define|contain}?",
    "List `{d}` and {open|read} `{f}` {while you're at it|too|as well}.",
    "{Show me|Give me} the contents of `{d}`{,| --} and {summarise|walk me through} `{f}`.",
    "{I want|I'd like} {a listing|the file list} of `{d}` {and|plus} a {look at|summary of} `{f}`.",
    "What else {sits|lives} in `{d}` next to `{f}`, and what does `{f}` {hold|define}?",
)
ALSO_USED = ("{And|Also}, where else is `{s}` used?", "{Also|And} search for the uses of `{s}`{ across the repo|}.",
             "{I'd also like to know|Tell me too} {who uses|which files use} `{s}`.")
TWO_GLOB_ASKS = (
    "{How many|Which} {kinds} files {are there|does the repo have}?",
    "{List|Find} {all the|the} {kinds} files{ in the repo|}.",
    "{Give me|I need} {the|a} {list|count} of {kinds} files{ in this repo| in the project|}, {grouped|split} by "
    "language.",
    "{I want to see|Show me} {every|each} {kinds} file in the {repo|project|workspace}.",
    "{Which|What} {kinds} files {exist|are there} {here|in this project}{, per language|}?",
    "{Count|List} the {kinds} files{ separately| one language at a time|}.",
)
EXTS = {"Python": "**/*.py", "TypeScript": "**/*.ts", "Rust": "**/*.rs", "Go": "**/*.go", "Markdown": "**/*.md",
        "TOML": "**/*.toml"}


def _finish(rng, d: Dialog, calls: list, results: list[str]) -> None:
    facts = [describe(rng, d.ws, n, a, r) for (n, a), r in zip(calls, results)]
    head = one(rng, ["Here's what I found:", "Summary:", "What the tools show:", "Findings:", ""])
    d.say("\n".join(p for p in (head, bullets(facts), "", one(rng, WRAPS)) if p is not None).strip())


def parallel_execution(rng, d: Dialog) -> None:
    ws = d.ws
    kind = rng.randrange(7)
    srcs = source_files(ws)
    syms = [s for s in ws.symbols if s.kind != "method"]
    if kind == 0:
        a, b = rng.sample(srcs, 2)
        extra = some(rng, [f for f in ws.files if f not in (a, b)], 0, 2)
        ask = pick(rng, PAIR_ASKS).format(a=_tick(a), b=_tick(b))
        if extra:
            ask += " " + pick(rng, EXTRA_READS).format(x=" and ".join(map(_tick, extra)))
        calls = [("read_file", {"filepath": f}) for f in [a, b, *extra]]
    elif kind == 1:
        sym = one(rng, syms).name
        lang = one(rng, list(EXTS))
        ask = pick(rng, SEARCH_ASKS).format(sym=sym, ext=lang)
        calls = [("grep_search", {"query": rf"\b{sym}\b"}), ("file_glob_search", {"pattern": EXTS[lang]})]
        if rng.random() < 0.5:
            target = one(rng, [s for s in ws.symbols if s.name == sym]).file
            calls.append(("read_file", {"filepath": target}))
            ask += " " + pick(rng, DEFINER).replace("{sym}", sym)
    elif kind == 2:
        d1, d2 = rng.sample(ws.dirs, 2)
        lang = one(rng, list(EXTS))
        ask = pick(rng, LAYOUT_ASKS).format(d1=d1, d2=d2, ext=lang)
        calls = [("ls", {"dirPath": d1}), ("ls", {"dirPath": d2}), ("file_glob_search", {"pattern": EXTS[lang]})]
    elif kind == 3:
        src = one(rng, [f for f in srcs if not Path(f).name.startswith("test_")])
        tests = [f for f in ws.files if "test" in f]
        words = one(rng, [["raise", "Error"], ["raise ValueError"], ["sqlite3"], ["TODO", "FIXME"], ["async", "await"],
                          ["def test_"], ["Exception"], ["fetch"], ["SELECT", "UPDATE"]])
        query = "|".join(words)
        ask = pick(rng, TEST_ASKS).format(src=src, q=query)
        calls = [("read_file", {"filepath": src}), *[("read_file", {"filepath": t}) for t in tests],
                 ("grep_search", {"query": query})]
    elif kind == 4:  # two searches at once
        s1, s2 = rng.sample(sorted({s.name for s in syms if not s.name.startswith("test")}), 2)
        ask = pick(rng, TWO_SYMBOL_ASKS).format(s1=s1, s2=s2)
        calls = [("grep_search", {"query": rf"\b{s1}\b"}), ("grep_search", {"query": rf"\b{s2}\b"})]
    elif kind == 5:  # a folder and one file in it
        f = one(rng, [x for x in srcs if "/" in x])
        dir_ = str(Path(f).parent)
        ask = pick(rng, DIR_FILE_ASKS).format(d=dir_, f=f)
        calls = [("ls", {"dirPath": dir_}), ("read_file", {"filepath": f})]
        defined = [s.name for s in symbols_in(ws, f) if s.kind != "method" and not s.name.startswith("test")]
        if defined and rng.random() < 0.5:
            sym = one(rng, defined)
            ask += " " + pick(rng, ALSO_USED).format(s=sym)
            calls.append(("grep_search", {"query": rf"\b{sym}\b"}))
    else:  # two or three kinds of files
        kinds = rng.sample(list(EXTS), rng.choice((2, 2, 3)))
        ask = pick(rng, TWO_GLOB_ASKS).format(kinds=", ".join(kinds[:-1]) + " and " + kinds[-1])
        calls = [("file_glob_search", {"pattern": EXTS[k]}) for k in kinds]
    d.user(_request(rng, ask))
    results = d.calls(calls, content=one(rng, PARALLEL_INTROS) if rng.random() < 0.7 else None)
    _finish(rng, d, calls, results)


SINGLE = [
    ("read_file", lambda rng, ws: {"filepath": one(rng, ws.files)},
     ("{Show me|Open|Pull up} `{filepath}`{ for me| please|}.", "What's {inside|in} `{filepath}`?",
      "What does `{filepath}` {contain|hold}?", "{Can|Could} you {open|read} `{filepath}`{ for me|}?",
      "I'd like to {see|read} `{filepath}`{ before I change it| before the review|}.")),
    ("ls", lambda rng, ws: {"dirPath": one(rng, ws.dirs)},
     ("What's in the `{dirPath}` {folder|directory}?", "{List|Show me} {the contents of |}`{dirPath}`.",
      "What files are {under|in} `{dirPath}`?", "{Can|Could} you list `{dirPath}`{ for me|}?",
      "{I need|Give me} a listing of `{dirPath}`{, nothing recursive| one level deep|}.")),
    ("file_glob_search", lambda rng, ws: {"pattern": one(rng, list(EXTS.values()))},
     ("{Find|List} {all the files matching|every file that matches} `{pattern}`.",
      "Which files match `{pattern}`{ in this repo| here|}?",
      "{How many|Which} files does `{pattern}` {pick up|match}?",
      "{I need|Give me} the paths that `{pattern}` {matches|finds}{ in the workspace|}.")),
    ("grep_search", lambda rng, ws: {"query": one(rng, [s.name for s in ws.symbols])},
     ("Search the {code|repo|workspace} for `{query}`.", "Where does `{query}` {show up|appear|come up}?",
      "Grep for `{query}`{ please|}.", "{Which files mention|What mentions|What references} `{query}`?",
      "{Find|Track down} {every|each} {line|place} that {mentions|uses} `{query}`.")),
]


def single_tools(rng, d: Dialog) -> None:
    name, make, asks = one(rng, SINGLE)
    args = make(rng, d.ws)
    d.user(_request(rng, pick(rng, asks, capitalize=False).format(**args), context=0.4))
    out = d.call(name, args)
    d.say(describe(rng, d.ws, name, args, out) + " " + one(rng, WRAPS))


FIRST_LOOKS = ("What does `{f}` {contain|define}?", "{Open|Read} `{f}` for me.", "{Summarise|Sum up} `{f}`.",
               "{Give me|I'd like} {an overview|a quick tour} of `{f}`.",
               "{What's|Tell me what's} in `{f}`{, roughly| at a high level|}?")
FOLLOW_REFS = ("Where else is `{s}` {used|referenced}?", "Who calls `{s}`?",
               "Does anything outside this file {use|touch} `{s}`?", "Find the other references to `{s}`.",
               "{Is|Can I tell if} `{s}` {used|referenced} anywhere else{ in the repo|}?",
               "{If I rename|If I change} `{s}`, {what else breaks|which other files are affected}?",
               "{And|OK, and} {where|which files} {else |}{use|reference} `{s}`?")


def multi_turn(rng, d: Dialog) -> None:
    ws = d.ws
    src = one(rng, source_files(ws))
    syms = symbols_in(ws, src) or ws.symbols
    d.user(_request(rng, pick(rng, FIRST_LOOKS, capitalize=False).format(f=src), context=0.5, closer=0.2))
    out = d.call("read_file", {"filepath": src})
    d.say(describe(rng, ws, "read_file", {"filepath": src}, out) + " " +
          one(rng, ["Anything specific you want traced?", "Which part should I look at next?",
                    "Shall I follow one of these?"]))
    sym = one(rng, syms).name
    d.user(pick(rng, FOLLOW_REFS).format(s=sym))
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
MODULE_ASKS = ("{Open|Show me} the {s} module.", "Show me {s}; I think it's at `{g}`.",
               "{Read|Open} the {s} file{ please|}.", "I need to see the {s} code.",
               "{Can|Could} you {open|pull up} `{g}`? {That's|It should be} the {s} module.",
               "Where's the {s} code? {Try|I'd guess} `{g}`.",
               "{I remember|I think} {s} {lives|is} {at|in} `{g}`{; open it.| -- read it for me.|; can you open it?}")


def error_recovery(rng, d: Dialog) -> None:
    ws = d.ws
    src = one(rng, source_files(ws))
    stem = Path(src).stem
    guess = one(rng, WRONG_GUESSES).format(stem=stem)
    if guess == src or (ws.root / guess).exists():
        guess = "old/" + guess
    d.user(_request(rng, pick(rng, MODULE_ASKS, capitalize=False).format(s=stem, g=guess), context=0.45))
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


RANGE_ASKS = ("Show me lines {a} to {b} of `{f}`.", "Only lines {a}-{b} of `{f}`{, please|}.",
              "What's on lines {a} through {b} {in|of} `{f}`?",
              "{I just need|Give me} lines {a}-{b} {from|of} `{f}`{, not the whole file|}.",
              "{Read|Print} `{f}` from line {a} to line {b}.")
TREE_ASKS = ("List everything under `{d}`, recursively.", "Give me the {full|whole} tree below `{d}`.",
             "Recursive listing of `{d}`{ please|}.", "{Show me|I want} every file and folder {under|inside} `{d}`, "
             "{all the way down|nested ones included}.")
RUN_ASKS = ("Run `{c}` for me.", "Kick off `{c}`{ please|}.", "{Please start|Start} `{c}`.",
            "{Can|Could} you run `{c}`{ in the terminal|}?", "{Go ahead and|Please} run `{c}`{ now|}.")


def parameters(rng, d: Dialog) -> None:
    ws = d.ws
    kind = rng.randrange(3)
    if kind == 0:
        src = one(rng, source_files(ws))
        total = len(ws.text(src).splitlines())
        start = rng.randint(1, max(1, total - 8))
        end = min(total, start + rng.randint(4, 12))
        d.user(_request(rng, pick(rng, RANGE_ASKS, capitalize=False).format(a=start, b=end, f=src), context=0.4,
                        closer=0))
        args = {"filepath": src, "startLine": start, "endLine": end}
        out = d.call("read_file_range", args)
        d.say(describe(rng, ws, "read_file_range", args, out) + " I read only that range, not the whole file.")
    elif kind == 1:
        dir_ = one(rng, ws.dirs)
        d.user(_request(rng, pick(rng, TREE_ASKS, capitalize=False).format(d=dir_), context=0.4, closer=0))
        args = {"dirPath": dir_, "recursive": True}
        out = d.call("ls", args)
        d.say(describe(rng, ws, "ls", args, out) + " (`recursive: true` because you asked for the full tree.)")
    else:
        target = one(rng, ["pytest -q", "npm run build", "cargo test", "go vet ./...", "python -m http.server 8000"])
        background = target.startswith("python -m http.server")
        d.user(_request(rng, pick(rng, RUN_ASKS, capitalize=False).format(c=target), context=0, closer=0))
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
