"""The ``collaboration`` category: working with a person -- asking the clarifying
questions that change the answer, reporting progress during multi-step work, laying out technical
decisions with trade-offs, being honest about uncertainty, and suggesting improvements unasked."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.text import framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import TASKS

VAGUE = [
    ("Make the {plural} page faster.", ["Which interaction feels slow: first load, search, or saving?",
                                        "Roughly how many {plural} does a slow account have?",
                                        "Is there a target (e.g. under 1 s at p95), or is 'noticeably faster' enough?",
                                        "Can I change the API response, or only the frontend?"]),
    ("Add validation to the {snake} form.", ["Which fields are required, and which are optional?",
                                             "Should validation happen in the browser, the API, or both?",
                                             "How should errors be shown: per field, or a summary at the top?",
                                             "Are there existing rules in the backend I should mirror?"]),
    ("Clean up the {plural} module.", ["Is the goal readability, performance, or preparing for a feature?",
                                       "Are public function names allowed to change, or do other teams import them?",
                                       "How much test coverage does it have today?",
                                       "One big PR or a series of small ones?"]),
    ("Support multiple currencies for {plural}.", ["Which currencies, and who sets the exchange rate?",
                                                   "Are amounts converted at display time or stored per currency?",
                                                   "What happens to historical {plural}?",
                                                   "How should rounding work for currencies without cents?"]),
    ("Let users export their {plural}.", ["Which format: CSV, JSON, or both?",
                                          "All fields, or a fixed subset?", "How large can one export get?",
                                          "Synchronous download, or an emailed link when ready?"]),
    ("Fix the {snake} sync.", ["What goes wrong exactly -- missing records, duplicates, or errors?",
                               "Since when? Did something deploy around then?",
                               "Is it every account or some?", "Do you have a log line or an id I can start from?"]),
    ("Add caching for {plural}.", ["Which reads are hot, and how stale may they be?",
                                   "Per process, or shared (Redis) across instances?",
                                   "What must invalidate the cache?", "Is memory on the servers a constraint?"]),
]


def clarifying_questions(rng, d: Dialog) -> None:
    e = entity(rng)
    ask, qs = one(rng, VAGUE)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " ")}
    d.user(framed(rng, one(rng, ["", "Hey, ", "Small one: ", f"For the {e.domain} app: "]) + ask.format(**fmt)))
    chosen = [q.format(**fmt) for q in some(rng, qs, 2, 4)]
    d.say(one(rng, ["Happy to. A few questions first, because the answers change what I'd build:",
                    "Before I start -- this could mean several things:",
                    "I can take this on. To avoid building the wrong thing:"]) + "\n\n" + numbered(chosen) + "\n\n"
          + one(rng, ["If you don't know yet, I'll start with the most common case and keep it easy to change.",
                      "Answer whichever you can; I'll assume sensible defaults for the rest and say so.",
                      "Even one-word answers help."]))


def progress_updates(rng, d: Dialog) -> None:
    flows.tdd(rng, d, one(rng, TASKS), voice="progress")


DECISIONS = [
    ("SQLite or PostgreSQL for the {plural} service?", [
        ("SQLite", "zero operations, one file, fast for a single writer", "one writer at a time; no network access"),
        ("PostgreSQL", "concurrent writers, rich types, replicas", "a server to run, back up and upgrade")],
     "how many processes write at once"),
    ("REST or GraphQL for the {plural} API?", [
        ("REST", "simple caching, every tool understands it", "clients over- or under-fetch"),
        ("GraphQL", "clients ask for exactly what they need", "caching and rate limiting get harder")],
     "how many different clients there are"),
    ("Should {snake} events go through a queue or direct HTTP calls?", [
        ("a queue", "retries and back-pressure for free", "another system to operate and monitor"),
        ("direct HTTP", "simple, easy to trace", "the caller waits and must retry itself")],
     "whether the receiver can be down for minutes"),
    ("Monorepo or separate repos for the {plural} frontend and backend?", [
        ("a monorepo", "atomic changes across both sides", "CI must be smart about what to build"),
        ("separate repos", "independent release cycles", "cross-cutting changes need coordinated PRs")],
     "how often a change touches both sides"),
    ("ORM or hand-written SQL for {plural}?", [
        ("an ORM", "less boilerplate, migrations included", "hidden N+1 queries"),
        ("hand-written SQL", "every query visible and tunable", "more code to write and review")],
     "how complex the queries get"),
]


def technical_decisions(rng, d: Dialog) -> None:
    e = entity(rng)
    q, options, hinge = one(rng, DECISIONS)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " ")}
    d.user(q.format(**fmt) + one(rng, ["", " We're a team of three.", f" It's for the {e.domain} product.",
                                       " Need to decide this week."]))
    options = rng.sample(list(options), len(options))
    pick = one(rng, options)
    if rng.random() < 0.5:
        compared = "| option | for | against |\n|---|---|---|\n" + "\n".join(f"| {n} | {p} | {c} |" for n, p, c in options)
    else:
        compared = "\n".join(f"- **{n}** -- {one(rng, ['for', 'pro', 'good'])}: {p}; {one(rng, ['against', 'con', 'cost'])}: {c}."
                             for n, p, c in options)
    d.say(one(rng, ["Trade-offs side by side:", "Here's how I'd compare them:", "Both are reasonable; the difference:",
                    "Neither is wrong. What each buys you:", "Comparing them on what matters here:"])
          + "\n\n" + compared + "\n\n"
          + f"The deciding question is {hinge}. " + one(rng, [
              f"Without more information I'd pick {pick[0]}: {pick[1]}.",
              f"If that's low today, choose {pick[0]} and revisit when it grows.",
              f"I lean towards {pick[0]}, and I'd write the decision down (an ADR) with this table."]))


UNCERTAIN = [
    ("Will `{lib}` work with Python 3.13?", "I don't know for certain: compatibility depends on the release you pin.",
     ["Check the package's classifiers and changelog on PyPI.", "Run the test suite under 3.13 in CI.",
      "Look for open issues mentioning 3.13."]),
    ("Is `{lib}` faster than what we have?", "I can't say without measuring on your data.",
     ["Write a small benchmark with realistic inputs.", "Compare p50 and p99, not just the mean.",
      "Check memory as well as time."]),
    ("Why did the {snake} job fail last night?", "I can't see your logs, so anything I say now is a guess.",
     ["Find the first error line, not the last.", "Check what deployed or changed yesterday.",
      "Re-run the job with the same input in staging."]),
    ("Is this query using the index on {plural}?", "Probably, but the planner decides at run time.",
     ["Run `EXPLAIN` (or `EXPLAIN ANALYZE`) on production-like data.", "Check the statistics are up to date.",
      "Compare with the index dropped in a scratch database."]),
]


def uncertainty(rng, d: Dialog) -> None:
    e = entity(rng)
    q, admit, steps = one(rng, UNCERTAIN)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " "),
           "lib": one(rng, ["orjson", "polars", "httpx", "pydantic", "uvloop", "msgspec"])}
    d.user(framed(rng, q.format(**fmt)))
    d.say(admit + " " + one(rng, ["Here's how to find out quickly:", "How I'd verify it:", "What would settle it:"])
          + "\n" + numbered(some(rng, steps, 2, 3)) + "\n\n"
          + one(rng, ["Share the result and I'll interpret it.", "If you paste the output, I can tell you more.",
                      "I'd rather say 'not sure' than guess wrong here."]))


def suggestions(rng, d: Dialog) -> None:
    task = one(rng, TASKS)
    flows.tdd(rng, d, task)
    last = d.messages[-1]
    extra = some(rng, ["add the new test to CI's required checks", "log a metric when this path is hit",
                       f"review the other functions in `{task.file}` for the same pattern",
                       "document the behaviour in docs/ARCHITECTURE.md", "add a type checker to CI"], 1, 2)
    last["content"] += "\n\n" + one(rng, ["Suggestion (not done, your call): ", "While I was there I noticed we could ",
                                          "Optional follow-up: "]) + "; ".join(extra) + "."


GENERATOR = SubcategoryGenerator({
    "clarifying_questions": clarifying_questions, "progress_updates": progress_updates,
    "technical_decisions": technical_decisions, "uncertainty": uncertainty, "suggestions": suggestions,
})


@hookimpl
def register_categories(register):
    register(Category(name="collaboration", spec_path=spec_path("collaboration"), generator=GENERATOR,
                      description="Clarifying questions, progress, decisions, uncertainty, suggestions"))

