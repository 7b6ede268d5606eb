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
from factory.authoring.text import bullets, fence, framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import BUGS, TASKS

from .skills import STUCK


def when_stuck(rng, d: Dialog) -> None:
    e = entity(rng)
    problem = one(rng, ["the {p} report totals are off by a few cents", "the {s} import hangs on some files",
                        "a flaky test in the {p} suite fails one run in ten", "the {s} page renders blank in Safari only",
                        "memory grows until the {s} worker is killed"]).format(p=e.plural.replace("_", " "),
                                                                                s=e.snake.replace("_", " "))
    d.user(framed(rng, one(rng, ["I'm stuck: {x}. I've tried everything I can think of.", "Going around in circles: {x}.",
                     "No idea what else to try: {x}."]).format(x=problem)))
    d.say(one(rng, ["Let's change strategy rather than try another fix.", "When guesses stop working, switch to method:",
                    "Stepping back:"]) + "\n" + numbered(some(rng, STUCK, 3, 5)) + "\n\n"
          + one(rng, ["Which of these have you done already? We'll skip those.",
                      "Start with the cheapest step; it often settles it.",
                      f"For '{problem}', the reduction step usually pays off first."]))


EDGE_FUNCS = ["average", "paginate", "parse"]


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
    d.user(framed(rng, "") + one(rng, ["What edge cases should `{f}` handle?", "Play devil's advocate with `{f}`: how does it break?",
                     "Write edge-case tests for `{f}`.", "Is `{f}` robust? Think about scale too."]).format(f=func)
           + "\n\n" + fence("python", code))
    d.say(one(rng, ["Edge cases worth pinning down:", "Where this can go wrong:", "The interesting inputs:"]) + "\n"
          + bullets([f"{why}: `{i}` -> `{o}`" for i, o, why in chosen]) + "\n\n"
          + bullets(some(rng, risks, 2, 3)) + "\n\n" + one(rng, ["Tests:", "As parametrised tests:", "Pinned down:"]) + "\n\n"
          + fence("python", test))


def root_cause(rng, d: Dialog) -> None:
    task = one(rng, BUGS)
    flows.use(d, task)
    d.user(flows.opener(rng, task)
           + one(rng, ["We patched '{s}' twice and it keeps coming back. What's the real cause?",
                       "Do a root-cause analysis: {s}.", "Why does this keep happening: {s}?",
                       "Postmortem time. Symptom: {s}. Find the underlying cause.",
                       "Support escalated this again: {s}. Dig deeper than last time."]).format(s=task.symptom)
           + one(rng, ["", " It happened {k} times this week.", " No quick patches this time.",
                       " Include why our tests missed it."]).format(k=rng.randint(2, 9)))
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


def inversion(rng, d: Dialog) -> None:
    e = entity(rng)
    goal, fail, fix = one(rng, INVERSIONS)
    fmt = {"p": e.plural.replace("_", " "), "s": e.snake.replace("_", " ")}
    idx = sorted(rng.sample(range(len(fail)), min(len(fail), rng.randint(2, 4))))
    d.user(framed(rng, one(rng, ["How do we {g}?", "What's the best way to {g}?", "Help me think about how to {g}."])
                  .format(g=goal.format(**fmt))))
    d.say(one(rng, ["Let's invert it: how would we guarantee failure?", "Inversion first -- what would make this go wrong?"])
          + "\n" + bullets([fail[i] for i in idx]) + "\n\n" + one(rng, ["Now flip each one:", "So, the plan:"])
          + "\n" + bullets([fix[i] for i in idx]))


PATTERNS = [
    ("Two services update the same {s} and sometimes overwrite each other.", "a lost-update problem",
     "optimistic concurrency: a version column, and `UPDATE ... WHERE version = ?`"),
    ("Our webhook handler sometimes processes the same {s} event twice.", "at-least-once delivery",
     "idempotency keys: store processed event ids and skip repeats"),
    ("Every page load makes one query per {s} in the list.", "the N+1 query pattern",
     "batch loading: one query with `WHERE id IN (...)`, or a join"),
    ("When the {s} provider is down, our whole app slows to a crawl.", "a cascading failure",
     "a circuit breaker with timeouts, so failures fail fast"),
    ("We poll the {p} table every second to see if anything changed.", "change notification",
     "an outbox table or database notifications (LISTEN/NOTIFY) instead of polling"),
]


def patterns(rng, d: Dialog) -> None:
    e = entity(rng)
    prob, name, sol = one(rng, PATTERNS)
    fmt = {"p": e.plural.replace("_", " "), "s": e.snake.replace("_", " ")}
    d.user(framed(rng, prob.format(**fmt) + one(rng, [" Any ideas?", " How do people usually solve this?", ""])))
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
