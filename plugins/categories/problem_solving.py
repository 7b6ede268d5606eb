"""The ``problem_solving`` category: getting unstuck, edge cases and scale,
root-cause analysis, verifying one's own work, inversion (how would this fail?) and recognising a
known pattern behind a new problem."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.observe import describe
from factory.authoring.phrasing import expand, say
from factory.authoring.text import bullets, fence, framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import BUGS, TASKS

from .skills import STUCK, TRIED, stuck_follow_up

# A problem someone is stuck on, how they say so, and what they already tried (phrase grammars).
STUCK_PROBLEMS = ["the {p} report totals are off by a few cents", "the {s} import hangs on some files",
                  "a flaky test in the {p} suite fails one run in ten", "the {s} page renders blank in Safari only",
                  "memory grows until the {s} worker is killed", "the {s} export times out for the largest accounts",
                  "a {s} webhook is sometimes processed twice", "the {p} search returns stale results after an edit",
                  "the nightly {s} job finishes but some rows are missing", "the {s} API is slow only on Mondays"]
STUCK_ASKS = (
    "{I've been stuck on this for {hours|days|a while} now|I have tried everything I can think of}: {x}.",
    "{I'm going around in circles|I'm completely stuck|I'm out of ideas} {on this one|with this bug|on this problem}: {x}.",
    "{No idea|I have no idea} what else to try {here|at this point}: {x}.",
    "{Can you help me|Help me} {get unstuck|think straight|find a way in} on this {one|problem}: {x}.",
    "{I can't figure out|I don't understand|Nobody here understands} why {x}{ despite hours of looking| after days on it|}.",
    "{This is driving me mad|I'm losing my mind over it|This one has beaten me}{ this week|}: {x}.",
)

def when_stuck(rng, d: Dialog) -> None:
    e = entity(rng)
    problem = one(rng, STUCK_PROBLEMS).format(p=e.plural.replace("_", " "), s=e.snake.replace("_", " "))
    said = [say(rng, one(rng, STUCK_ASKS), x=problem), *[expand(rng, t) for t in rng.sample(TRIED, one(rng, [1, 2, 2]))]]
    d.user(framed(rng, " ".join(said)))
    steps = some(rng, STUCK, 3, 5)
    d.say(one(rng, ["Let's change strategy rather than try another fix.", "When guesses stop working, switch to method:",
                    "Stepping back:"]) + "\n" + numbered(steps) + "\n\n"
          + one(rng, ["Which of these have you done already? We'll skip those.",
                      "Start with the cheapest step; it often settles it.",
                      f"For '{problem}', the reduction step usually pays off first."]))
    stuck_follow_up(rng, d, steps[0])


EDGE_FUNCS = ["average", "paginate", "parse"]
EDGE_ASKS = (
    "{What|Which} edge cases {should|must|ought to} `{f}` handle{ that it doesn't today| before we ship it| in production|}?",
    "{Play devil's advocate with|Poke holes in|Try to break} `{f}` {and tell me how it fails|and show me where it falls over|"
    "for me}.",
    "{Write|Add|Give me} {edge-case|boundary} tests for `{f}`{, please| before I merge it| so we stop guessing|}.",
    "Is `{f}` {robust|solid|safe} {enough |}{for real data|at scale|against bad input}{, do you think|}?",
    "{Can you|Could you|Would you} {stress|attack|probe} `{f}` with {nasty|unusual|hostile|boundary} inputs"
    "{ and pin down what breaks|}?",
    "{Which|What} inputs {would trip up|could break|would surprise} `{f}`{, and how do we pin them down| in production|}?",
    "{I'm not sure|I doubt|I'm not convinced} `{f}` {handles|copes with} the {odd|weird|boundary} cases"
    "{; can you check| -- please check|}.",
    "{Before|Ahead of} {the release|the merge|code review}, {find|list} the {edge cases|inputs} that {break|could break} `{f}`.",
)
EDGE_CONTEXT = (
    "{It|This} {is called|gets called|runs} {from the API with user input|on every request|in a nightly batch}.",
    "{The inputs|Its arguments} come from {a CSV upload|a public form|another team's service}{, so anything goes|}.",
    "{I|We} only tested the happy path{ so far| before|}.",
    "{Traffic|The data} {might|could} grow {ten times|a hundredfold} {next year|after the launch}.",
    "{It|This function} {broke|misbehaved} {once|before} {in production|on a customer's data} and nobody knows why.",
    "{Parametrised pytest cases|A parametrised test} would be {ideal|best|great}{ so the cases read like a table|}.",
    "{The function|It} {was written|got added} {in a hurry|for a demo|years ago} and {never reviewed|has no tests|"
    "nobody owns it}.",
    "{A customer|QA|Our fuzzer} {already|} found {one|a} {crash|wrong result} {in it|there}{ last week| this sprint|}.",
)


def scale_edge_cases(rng, d: Dialog) -> None:
    e = entity(rng)
    kind = one(rng, EDGE_FUNCS)
    module = e.plural
    if kind == "average":
        n = one(rng, e.of("int") or e.of("float") or e.fields[:1])
        func = f"average_{n.name}"
        code = (f"def {func}(values: list[int]) -> float:\n    if not values:\n"
                f"        raise ValueError(\"{func} needs at least one value\")\n    return sum(values) / len(values)\n")
        cases = [("[7]", "7.0", "a single value"), ("[1, 2]", "1.5", "a non-integer mean"),
                 ("[-4, 4]", "0.0", "negative values"), ("[10**18, 10**18]", "1e18", "huge values (Python ints don't overflow)")]
        extra = f"\n\ndef test_empty_input_raises():\n    with pytest.raises(ValueError):\n        {func}([])\n"
        risks = ["Empty input divides by zero unless it is handled explicitly.",
                 "At 1000x the sum is still exact in Python; in other languages it would overflow.",
                 "Floating-point means are not exact; compare with `pytest.approx` when values are floats."]
    elif kind == "paginate":
        func = f"page_of_{e.plural}"
        code = (f"def {func}(items: list, page: int, size: int) -> list:\n    if page < 1 or size < 1:\n"
                "        raise ValueError(\"page and size start at 1\")\n    start = (page - 1) * size\n"
                "    return items[start : start + size]\n")
        cases = [("list(range(10)), 1, 3", "[0, 1, 2]", "the first page"), ("list(range(10)), 4, 3", "[9]", "a partial last page"),
                 ("list(range(10)), 5, 3", "[]", "past the end"), ("list(range(9)), 3, 3", "[6, 7, 8]", "an exact multiple")]
        extra = f"\n\ndef test_page_zero_is_rejected():\n    with pytest.raises(ValueError):\n        {func}([1], 0, 10)\n"
        risks = ["Off-by-one at the last page is the classic bug.", "Page 0 or size 0 must be rejected, not return everything.",
                 "At 100x the list no longer fits in memory: paginate in the database instead of slicing."]
    else:
        s = one(rng, e.of("str"))
        func = f"parse_{s.name}"
        code = (f"def {func}(text: str) -> str:\n    value = text.strip()\n    if not value:\n"
                f"        raise ValueError(\"{s.name} is empty\")\n    if len(value) > 200:\n"
                f"        raise ValueError(\"{s.name} is longer than 200 characters\")\n    return value\n")
        cases = [("'  abc  '", "'abc'", "surrounding whitespace"), ("'Zoë'", "'Zoë'", "non-ASCII text"),
                 ("'x' * 200", "'x' * 200", "exactly the limit"), ("'0042'", "'0042'", "leading zeros kept as text")]
        extra = (f"\n\n@pytest.mark.parametrize(\"bad\", [\"\", \"   \", \"x\" * 201])\n"
                 f"def test_rejects_bad_input(bad):\n    with pytest.raises(ValueError):\n        {func}(bad)\n")
        risks = ["Whitespace-only input must count as empty.", "Length limits apply to characters, not bytes.",
                 "Non-ASCII input must survive unchanged."]
    chosen = some(rng, cases, 3, 4)
    arity = "args" if kind == "paginate" else "value"
    call = f"{func}(*args)" if kind == "paginate" else f"{func}(value)"
    inputs = ",\n".join(f"        (({i}), {o})" if kind == "paginate" else f"        ({i}, {o})" for i, o, _ in chosen)
    test = (f"import pytest\nfrom {module} import {func}\n\n\n@pytest.mark.parametrize(\n    (\"{arity}\", \"expected\"),\n"
            f"    [\n{inputs},\n    ],\n)\ndef test_{func}_edge_cases({arity}, expected):\n    assert {call} == expected\n{extra}")
    said = [say(rng, one(rng, EDGE_ASKS), f=func)]
    for template in rng.sample(EDGE_CONTEXT, one(rng, [1, 2, 2])):
        said.append(expand(rng, template))
    d.user(framed(rng, " ".join(said)) + "\n\n" + fence("python", code))
    d.say(one(rng, ["Edge cases worth pinning down:", "Where this can go wrong:", "The interesting inputs:"]) + "\n"
          + bullets([f"{why}: `{i}` -> `{o}`" for i, o, why in chosen]) + "\n\n"
          + bullets(some(rng, risks, 2, 3)) + "\n\n" + one(rng, ["Tests:", "As parametrised tests:", "Pinned down:"]) + "\n\n"
          + fence("python", test))


ROOT_ASKS = (
    "{We patched|We have patched|Someone patched} {this|it} {twice|three times|more than once} and it keeps coming back"
    "{, so what is the real cause| -- find the real cause this time|}: {s}.",
    "{Do|Run|Can you do} a {root-cause analysis|proper root-cause analysis|five-whys analysis} {of|on} {this|the following}"
    "{ for me|}: {s}.",
    "Why does this keep happening{ to us| again and again|}: {s}?",
    "{Time for a postmortem|We owe a postmortem} {on|for} this one, where {s}{; find the underlying cause|}.",
    "{Support|The customer|Our account manager} escalated this again{ today| this morning|}, {and|so} "
    "{I want you to dig deeper than last time|we need more than a patch}: {s}.",
    "{I want|I need} {the root cause|the underlying cause|the real reason}, not another patch{ for this|}: {s}.",
    "{Before anyone|Before we} {patch|touch} {it|this} again, {find out|figure out|explain} why {s}.",
    "{What|Which part of the code} is really behind this{ bug| report|}: {s}?",
)
ROOT_EXTRA = (
    "{It|This} {happened|came up|bit us} {k} times {this week|this month|since the release}.",
    "{No quick patches|No band-aids|No downstream workarounds} this time{, please|}.",
    "{Include|Explain|Tell me} why {our tests|CI|code review} {missed|didn't catch} it{ too| as well|}.",
    "{I|We} {have to|need to} {write it up|present it|explain it} {for the incident review|to the customer|at the retro}.",
    "{Don't|Please don't} {fix|change} anything yet{; I want the analysis first| -- analysis only|}.",
)


def root_cause(rng, d: Dialog) -> None:
    task = one(rng, BUGS)
    flows.use(d, task)
    said = [say(rng, one(rng, ROOT_ASKS), s=task.symptom)]
    for template in rng.sample([*ROOT_EXTRA, *flows.BUG_CONTEXT[:4]], one(rng, [1, 2, 2])):
        said.append(say(rng, template, k=rng.randint(2, 9)))
    d.user(flows.opener(rng, task) + " ".join(said))
    # Locate the code by a search, a read of the window around it, or both: the evidence the whys rest on.
    calls = one(rng, [[("grep", {"pattern": task.grep, "output_mode": "content"})],
                      [("read", flows.read_args(d, task, rng))],
                      [("grep", {"pattern": task.grep, "output_mode": "files_with_matches"}),
                       ("read", flows.read_args(d, task, rng))]])
    outs = d.calls(calls, content=one(rng, ["Finding the code path first.", "Locating the code involved.",
                                            "Evidence before theories:", None]))
    facts = [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]
    whys = [f"Why does the user see it? Because {task.symptom}.", f"Why does that happen? Because {task.cause}.",
            one(rng, ["Why wasn't it caught? No test covers this case.",
                      "Why did review miss it? The diff looked right; the missing case isn't visible in it.",
                      "Why didn't monitoring flag it? Nothing fails loudly, so there is nothing to alert on."]),
            one(rng, ["Why is there no test? The edge case was never written down as a requirement.",
                      "Why was the case missing? The happy path was specified, the boundaries weren't.",
                      "Why did the patches not hold? They handled the symptom downstream of the cause."])]
    d.say(bullets(facts) + "\n\n" + one(rng, ["Five whys, as far as the evidence goes:", "Walking back from the symptom:",
                                                "The causal chain:"])
          + "\n" + numbered(whys[: rng.randint(3, 4)]) + "\n\n"
          + one(rng, [f"Fix the cause in `{task.file}`, not the symptom, and add `{task.test_name}` so it can't return.",
                      f"The root cause is in `{task.file}`; the earlier patches treated symptoms.",
                      f"Action items: fix `{task.file}`, add a regression test, and check similar code for the same gap.",
                      f"Next: a failing test for this case, then the fix in `{task.file}`. Want me to do both?"]))


def self_verification(rng, d: Dialog) -> None:
    flows.tdd(rng, d, one(rng, TASKS), voice="verify")


INVERSIONS = [
    ("make the {p} migration safe", ["run it during peak traffic", "skip the backup", "lock the whole table",
                                     "deploy code that needs the new column before the column exists"],
     ["migrate in off-peak windows", "take and test a backup first", "migrate in batches",
      "make code work with both schemas (expand, then contract)"]),
    ("keep the {s} API reliable", ["have no timeouts on upstream calls", "retry instantly and forever",
                                   "share one database connection", "deploy without health checks"],
     ["set timeouts everywhere", "retry with exponential backoff and a cap", "use a connection pool",
      "gate deploys on health checks"]),
    ("make onboarding to the {p} codebase easy", ["keep setup steps in people's heads", "let tests need production data",
                                                  "name things inconsistently"],
     ["script the setup", "ship fixtures for tests", "agree and document naming conventions"]),
]


INVERSION_ASKS = (
    "How do we {g}{ this time|}?",
    "What's the best way to {g}{, in your experience|}?",
    "Help me think {about|through} how to {g}.",
    "{We have to|I need to|The team wants to} {g}{ this quarter| before the launch|}; {where do we start|any advice}?",
    "{What would it take|What does it take} to {g}{ properly| for real|}?",
)
INVERSION_CONTEXT = (
    "{Last time|The last attempt} {went badly|was a mess|caused an outage}{ and nobody wants a repeat|}.",
    "{We're|The team is} {small|stretched thin|new to this}{, so the plan has to be simple|}.",
    "{Management|The customer} {is watching|wants a written plan|asked for a risk list} {this time|before we start}.",
    "{Everything|All of it} {touches|involves} the {p}{, which customers rely on daily|}.",
)


def inversion(rng, d: Dialog) -> None:
    e = entity(rng)
    goal, fail, fix = one(rng, INVERSIONS)
    fmt = {"p": e.plural.replace("_", " "), "s": e.snake.replace("_", " ")}
    idx = sorted(rng.sample(range(len(fail)), min(len(fail), rng.randint(2, 4))))
    said = [say(rng, one(rng, INVERSION_ASKS), g=goal.format(**fmt))]
    said.append(say(rng, one(rng, INVERSION_CONTEXT), p=fmt["p"]))
    d.user(framed(rng, " ".join(said)))
    d.say(one(rng, ["Let's invert it: how would we guarantee failure?", "Inversion first -- what would make this go wrong?"])
          + "\n" + bullets([fail[i] for i in idx]) + "\n\n" + one(rng, ["Now flip each one:", "So, the plan:"])
          + "\n" + bullets([fix[i] for i in idx]))


PATTERNS = [
    (("Two services update the same {s} and sometimes overwrite each other.",
      "{Edits|Updates} to a {s} {get lost|vanish} when two {services|workers} {save|write} {at once|at the same time}."),
     "a lost-update problem", "optimistic concurrency: a version column, and `UPDATE ... WHERE version = ?`"),
    (("Our webhook handler sometimes processes the same {s} event twice.",
      "{Some|A few} {s} events {get handled|are processed} twice{ and customers notice|}."),
     "at-least-once delivery", "idempotency keys: store processed event ids and skip repeats"),
    (("Every page load makes one query per {s} in the list.",
      "The {p} page {fires|runs} {a query|one query} for every {s} it shows{, hundreds per load|}."),
     "the N+1 query pattern", "batch loading: one query with `WHERE id IN (...)`, or a join"),
    (("When the {s} provider is down, our whole app slows to a crawl.",
      "{One slow|A flaky} {s} {provider|dependency} {drags|takes} {everything|the whole site} down with it."),
     "a cascading failure", "a circuit breaker with timeouts, so failures fail fast"),
    (("We poll the {p} table every second to see if anything changed.",
      "{A loop|A worker} {checks|queries} the {p} table {constantly|every second} {for changes|for new rows}."),
     "change notification", "an outbox table or database notifications (LISTEN/NOTIFY) instead of polling"),
    (("{Saving|Creating} a {s} and {sending|publishing} its event {sometimes|occasionally} {only does one|half happens}.",
      "{Sometimes|Now and then} a {s} is saved but its event never {goes out|reaches the queue}."),
     "the dual-write problem", "a transactional outbox: write the event in the same transaction, publish it afterwards"),
    (("{Every|Each} {s} request {recomputes|rebuilds} the same {expensive|slow} summary{ from scratch|}.",
      "The {s} summary is {computed|calculated} {again|from scratch} on every {request|page view}."),
     "repeated work with the same inputs", "memoisation or a cache keyed by the inputs, invalidated when they change"),
    (("{Bursts|Spikes} of {p} {overwhelm|swamp} the worker and {requests|jobs} {time out|pile up}.",
      "{When|Whenever} a big batch of {p} arrives, the {s} worker {falls behind|chokes}."),
     "a load-levelling problem", "a queue between producer and worker, with back-pressure and a bounded concurrency"),
]
PATTERN_TAILS = (
    "{Any ideas|Thoughts}?",
    "How do people usually solve this{ kind of thing|}?",
    "{Is there|Do you know} a {standard|well-known} {fix|pattern} for this?",
    "{We|I} {keep|have been} {patching|special-casing} it {by hand|case by case}{, which doesn't scale|}.",
    "{It|This} {started|got worse} {after we scaled out|when traffic grew|last quarter}.",
)


def patterns(rng, d: Dialog) -> None:
    e = entity(rng)
    probs, name, sol = one(rng, PATTERNS)
    fmt = {"p": e.plural.replace("_", " "), "s": e.snake.replace("_", " ")}
    said = [say(rng, one(rng, probs), **fmt), *[expand(rng, t) for t in rng.sample(PATTERN_TAILS, rng.randint(1, 2))]]
    d.user(framed(rng, " ".join(said)))
    d.say(one(rng, [f"This is {name}.", f"You're looking at {name}, a well-known pattern.",
                    f"Recognisable: {name}."]) + f" The standard answer is {sol}. "
          + one(rng, ["Recognising it means we can reuse a proven fix instead of inventing one.",
                      "Libraries exist for this in most stacks; check before writing your own.",
                      "I can sketch it for your code if you show me the handler."]))


GENERATOR = SubcategoryGenerator({
    "when_stuck": when_stuck, "scale_edge_cases": scale_edge_cases, "root_cause": root_cause,
    "self_verification": self_verification, "inversion": inversion, "patterns": patterns,
})


@hookimpl
def register_categories(register):
    register(Category(name="problem_solving", spec_path=spec_path("problem_solving"), generator=GENERATOR,
                      description="Stuck, edge cases and scale, root cause, self-verification, inversion, patterns"))
