"""The ``powertools`` category: semantic code navigation -- index,
goto_definition, find_references, functions, classes, stats -- preferred over grep, with the
definition then read by line range. All results are executed against the grounding workspace."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator, toolset_tools
from factory.authoring.observe import describe, source_files, symbols_in
from factory.authoring.phrasing import expand, pick, say
from factory.authoring.text import one
from factory.registry import Category

SYSTEM = [
    ("You are a coding agent with semantic navigation tools (powertools). Prefer goto_definition, "
    "find_references, functions and classes over text search when you know what you are looking for."),
    ("You navigate code by meaning, not by string matching: use the powertools index, then definitions and "
    "references; read only the lines you need."),
]
OPENERS = ["", "", "Quick question: ", "While I'm refactoring: ", "For a code review: ", "Onboarding question: ",
           "Before I touch anything: ", "Curious: "]
# Why the user asks and how they want the answer: phrase grammars, one sentence each, before or after the ask.
CONTEXT = (
    "{I'm|We're} {refactoring|cleaning up|reviewing|splitting up} {this area|that module|this part of the code}"
    "{ this week| today|}.",
    "{I'm debugging something and need to find my way around|Something is misbehaving in this part of the code|"
    "I'm chasing a bug and need my bearings}.",
    "{Help me|I want to} {orient myself|get my bearings} {in this repo|in the code}{ first| before I change anything|}.",
    "{I'm new to this repo|This is my first week on this code}{, so spell it out| and I don't know the layout yet|}.",
    "{A reviewer|My lead|The ticket} {asked|wants to know} {about this|how far a change would reach}.",
    "{I'm planning|We're planning} {a rename|a refactor|an API change} {and want to size it|and need the facts first}.",
)
CLOSERS = (
    "{Be precise|Please be precise}{ about files and lines| about where things are|}.",
    "{Include line numbers|Give me line numbers}{, please| if you can|}.",
    "{No need to|There's no need to|Please don't} read whole files{, just the relevant lines| for this|}.",
    "{Use|Prefer} the {index|semantic tools} {rather than|over} text search{, please| if you can|}.",
    "{A short answer is fine|Keep it short}{, I just need the facts|}.",
)
WHY_SEMANTIC = [
    "goto_definition finds the declaration itself rather than every line that mentions the name.",
    "A text search would also hit comments and call sites; the index knows which line is the definition.",
    "Using the semantic index instead of grep, so string matches in comments don't get in the way.",
    "",
]


def request(rng, asks: tuple[str, ...], **slots: str) -> str:
    """An ask in one of its phrasings, with a sentence of context and a closer now and then."""
    said = [say(rng, one(rng, asks), **slots)]
    if rng.random() < 0.6:
        said.insert(0 if rng.random() < 0.4 else 1, pick(rng, CONTEXT))
    if rng.random() < 0.4:
        said.append(pick(rng, CLOSERS))
    return one(rng, OPENERS) + " ".join(said)


GOTO_ASKS = (
    "Where is `{s}` defined{ in this repo| in the code base|}?",
    "{Take me to|Jump to|Show me} the definition of `{s}`{, please|}.",
    "{Which file|What file} {declares|defines} `{s}`{?| -- and on which line?}",
    "{Jump to|Open} `{s}` and show me its {signature|declaration|first lines}.",
    "I keep seeing `{s}`{ everywhere| in the code|}; where does it come from?",
    "{Find|Locate} {the declaration|the definition} of `{s}` {for me|in the project}.",
    "{Can|Could} you {find|locate|look up} where `{s}` is {defined|declared}?",
)
REFERENCE_ASKS = (
    "Who {uses|calls} `{s}`{ today| at the moment|}?",
    "Find all references to `{s}` before I {rename|remove|move} it.",
    "If I change the signature of `{s}`, what breaks?",
    "List the call sites of `{s}`{, please| with their files|}.",
    "How widely is `{s}` used{ across the project| in the code|}?",
    "{Is `{s}` still used anywhere|Does anything still use `{s}`}{, or can it go|}?",
    "{I want to|I'm about to} {rename|delete|change} `{s}`; {what depends on it|who would notice}?",
)


def _read_around(rng, d: Dialog, file: str, line: int) -> str:
    total = len(d.ws.text(file).splitlines())
    end = min(total, line + rng.randint(5, 14))
    args = {"filepath": file, "startLine": line, "endLine": end}
    d.call("read_file_range", args, content=one(rng, ["Reading the definition:", "Let me look at the body.", None]))
    return f"Lines {line}-{end} of `{file}` hold the body."


def goto_definition(rng, d: Dialog) -> None:
    sym = one(rng, d.ws.symbols)
    d.user(request(rng, GOTO_ASKS, s=sym.name))
    args = {"symbol": sym.name}
    out = d.call("goto_definition", args, content=one(rng, WHY_SEMANTIC) or None)
    lines = [ln for ln in out.splitlines() if ln]
    text = describe(rng, d.ws, "goto_definition", args, out)
    if len(lines) > 1:
        text += f" There are {len(lines)} definitions with that name: " + "; ".join(f"`{ln.split(': ')[0]}`" for ln in lines) + "."
    if rng.random() < 0.6:
        text += " " + _read_around(rng, d, sym.file, sym.line)
    d.say(text)


def find_references(rng, d: Dialog) -> None:
    sym = one(rng, [s for s in d.ws.symbols if not s.name.startswith("test")])
    d.user(request(rng, REFERENCE_ASKS, s=sym.name))
    args = {"symbol": sym.name}
    out = d.call("find_references", args, content=one(rng, [
        "find_references resolves the symbol itself, so unrelated strings with the same letters don't count.",
        "Checking references through the index rather than a text search.", ""]) or None)
    rows = [ln for ln in out.splitlines()[1:] if ln]
    files = sorted({r.split(":", 1)[0] for r in rows})
    outside = [f for f in files if f != sym.file]
    verdict = (f"Only `{sym.file}` touches it, so a change stays local." if not outside else
               f"A change reaches {len(outside)} other file{'s' * (len(outside) != 1)}: "
               + ", ".join(f"`{f}`" for f in outside) + "; update those call sites together.")
    d.say(describe(rng, d.ws, "find_references", args, out) + " " + verdict)


def _file_listing(rng, d: Dialog, tool: str, kinds: set[str], asks: tuple[str, ...]) -> None:
    files = [f for f in source_files(d.ws) if symbols_in(d.ws, f, kinds)]
    file = one(rng, files)
    d.user(request(rng, asks, f=file))
    args = {"file": file}
    out = d.call(tool, args)
    text = describe(rng, d.ws, tool, args, out)
    syms = symbols_in(d.ws, file, kinds)
    if rng.random() < 0.5:
        pick = one(rng, syms)
        text += " " + _read_around(rng, d, file, pick.line).replace("hold the body", f"hold `{pick.name}`")
    d.say(text + " " + one(rng, ["Want the details of one of them?", "Which one should we look at?",
                                 "That's the outline without reading the whole file.",
                                 "The line numbers let me jump straight to any of them.", ""]).rstrip())


def functions(rng, d: Dialog) -> None:
    _file_listing(rng, d, "functions", {"function", "method"}, (
        "What functions are in `{f}`{, roughly| right now|}?", "List the functions and methods of `{f}`{, please|}.",
        "Give me an outline of `{f}`{: just the functions| -- functions only|, function by function}.",
        "What can I call in `{f}`{ from outside| as a caller|}?",
        "{Which|What} functions does `{f}` {define|contain}{, with line numbers|}?",
        "{Summarise|Outline} `{f}` {by function|function by function} {without reading all of it|for me}."))


def classes(rng, d: Dialog) -> None:
    _file_listing(rng, d, "classes", {"class", "struct", "interface", "type", "enum", "trait"}, (
        "Which types does `{f}` declare{, and where|}?", "List the classes in `{f}`{, please| with their lines|}.",
        "What data structures are defined in `{f}`{ at the top level|}?",
        "Show me the type declarations of `{f}`{ without the bodies|, nothing else|}.",
        "{Does `{f}` declare|Do we know if `{f}` declares} any {classes|types} at all{, and which|}?",
        "{I need|Give me} the {types|classes} {in|declared by} `{f}` {before I read it|to get my bearings}."))


def _stats_rows(out: str) -> dict[str, tuple[int, int]]:
    rows = {}
    for line in out.splitlines()[:-1]:
        lang, rest = line.split(": ", 1)
        files, lines = rest.split(", ")
        rows[lang] = (int(files.split()[0]), int(lines.split()[0]))
    return rows


STATS_CONTEXT = (
    "{I'm estimating|We're planning|I have to budget} a {migration|rewrite|port}{ next quarter| this year|}.",
    "{Numbers|Rough numbers|Exact counts} {please|are what I need}{, not impressions|}.",
    "{Just|Only} the overview{, please| is enough|}.",
    "{It's|This is} for {a slide|the onboarding doc|a hiring plan}{ I'm writing| about the team|}.",
)


def stats(rng, d: Dialog) -> None:
    out_cache = d.ws.execute("stats", {}).output
    rows = _stats_rows(out_cache)
    langs = sorted(rows, key=lambda k: -rows[k][1])
    a, b = rng.sample(langs, 2) if len(langs) > 1 else (langs[0], langs[0])
    kinds = out_cache.splitlines()[-1].removeprefix("symbols: ")
    asks = [
        ("{How big|How large} is this {project|repo|code base}{, roughly| in lines of code|}?", lambda: f"{sum(v[1] for v in rows.values())} lines of code in "
         f"{sum(v[0] for v in rows.values())} source files; the symbol index counts {kinds}."),
        (f"{{Is this|Is the repo}} mostly {a.title()} or {b.title()}{{ by lines|, by size|}}?", lambda: (
            f"{a.title()} has {rows[a][1]} lines in {rows[a][0]} files against {rows[b][1]} lines in {rows[b][0]} files "
            f"for {b.title()}, so it is mostly {(a if rows[a][1] >= rows[b][1] else b).title()}.")),
        ("{Which|What} languages does this {repo|project} use{, and how much of each|}?", lambda: "Languages by size: " + ", ".join(
            f"{lang} ({rows[lang][1]} lines)" for lang in langs) + "."),
        ("{Roughly|Approximately} how many functions and classes {are there|does the index know about}?", lambda: f"The index counts {kinds}."),
        ("{What's the smallest part of the {codebase|repo}|Which language has the least code}{, by lines|}?", lambda: (
            f"{langs[-1].title()}: {rows[langs[-1]][0]} file(s), {rows[langs[-1]][1]} lines.")),
        ("{Where is|In which language is} most of the code{ written|}?", lambda: (
            f"{langs[0].title()}, with {rows[langs[0]][1]} of {sum(v[1] for v in rows.values())} lines.")),
        ("How many {files|source files} would a {full rewrite|complete port} touch{, roughly|}?", lambda: (
            f"{sum(v[0] for v in rows.values())} source files: " + ", ".join(f"{rows[x][0]} {x}" for x in langs) + ".")),
    ]
    if a == b:
        del asks[1]  # "mostly A or B?" needs two languages
    question, answer = one(rng, asks)
    d.user(one(rng, OPENERS) + " ".join([expand(rng, question), *([pick(rng, STATS_CONTEXT)] if rng.random() < 0.7 else [])]))
    d.call("stats", {}, content=one(rng, [None, "The stats tool counts this directly.", "Asking the index."]))
    d.say(answer() + " " + one(rng, ["(Counts come from the index, not a guess.)", "Tests are included in these numbers.",
                                     "Config and docs files are not counted.", ""]).rstrip())


def index(rng, d: Dialog) -> None:
    path = one(rng, [".", *[x for x in d.ws.dirs if "/" not in x]])
    d.user(request(rng, (
        "I just cloned this; index {p} so we can navigate it.", "{Build|Create} the code index for {p}{, please|}.",
        "Refresh the symbol index of {p}, then tell me how many symbols there are.",
        "Index {p} before we start{ on the refactor| reading|}.", "Can you set up {navigation|symbol search} for {p}?",
        "{Please|} {scan|index} {p} so {goto|jump-to-definition} {and references |}{work|works}."),
        p="the project" if path == "." else f"`{path}`"))
    args = {} if path == "." else {"path": path}
    out = d.call("index", args)
    d.say(out + " " + one(rng, ["goto_definition and find_references are ready now.",
                                "Navigation is ready; ask for any symbol.",
                                "From here I can jump to definitions and references."]))


GENERATOR = SubcategoryGenerator(
    {"goto_definition": goto_definition, "find_references": find_references, "functions": functions,
     "classes": classes, "stats": stats, "index": index},
    tools=toolset_tools(("continue", "read_file_range"), ("continue", "grep_search")),
    system=lambda rng: one(rng, SYSTEM),
)


@hookimpl
def register_categories(register):
    register(Category(name="powertools", spec_path=spec_path("powertools"), generator=GENERATOR,
                      description="Semantic navigation with the powertools"))
