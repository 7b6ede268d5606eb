"""The ``skills`` category: named working skills the assistant
announces and follows -- brainstorming before building, systematic debugging, TDD, the scale game
(what breaks at 10x, 100x, 1000x) and what to do when stuck."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.observe import describe
from factory.authoring.text import bullets, framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import BUGS, TASKS

FEATURES = [
    "an export of all {plural} to CSV", "search over {plural}", "soft delete for {plural}", "an audit log of changes to {plural}",
    "bulk import of {plural}", "notifications when a {snake} changes", "a public API for {plural}", "caching of {snake} lookups",
    "per-customer quotas on {plural}", "archiving old {plural}", "a dashboard of {snake} metrics", "undo for {snake} edits",
]
QUESTIONS = [
    "Who uses it first, and what decision will they make with it?",
    "How many {plural} are we talking about today, and in a year?",
    "Does it need to be real-time, or is a nightly job good enough?",
    "What should happen to existing {plural} -- migrate, or only new ones?",
    "Are there permissions involved: who may see or change this?",
    "What's the simplest version that would still be useful?",
    "Is there a deadline or an event driving this?",
    "How will we know it works -- what would we measure?",
    "Does anything downstream (reports, integrations) depend on the current behaviour?",
]
APPROACHES = [
    ("Start with a synchronous endpoint", "simplest to build and test", "slow for large {plural}"),
    ("Run it as a background job", "no request timeouts, retries are easy", "needs a queue and status reporting"),
    ("Precompute on write", "reads are instant", "every write gets slower and the logic spreads"),
    ("Use an off-the-shelf service", "fast to ship", "cost and a new dependency"),
    ("Add it behind a feature flag", "safe rollout to a few users", "two code paths for a while"),
    ("Store it in a separate table", "no risk to existing queries", "joins and consistency to manage"),
]


def brainstorming(rng, d: Dialog) -> None:
    e = entity(rng)
    feature = one(rng, FEATURES).format(plural=e.plural, snake=e.snake.replace("_", " "))
    d.user(one(rng, ["We need {f} in our {dom} app. Can you just build it?", "Thinking about adding {f}. Thoughts?",
                     "My manager wants {f} by next sprint. Where do we start?", "Let's do {f} for the {dom} product."])
           .format(f=feature, dom=e.domain))
    qs = [q.format(plural=e.plural.replace("_", " ")) for q in some(rng, QUESTIONS, 3, 4)]
    opts = some(rng, APPROACHES, 2, 3)
    table = "\n".join(f"- **{name}**: {pro}; but {con.format(plural=e.plural.replace('_', ' '))}." for name, pro, con in opts)
    d.say(one(rng, ["I'm using the brainstorming skill: before writing code, let's refine the idea.",
                    "Brainstorming first -- a few questions and options before any code.",
                    "Let me use the brainstorming skill so we build the right thing."]) + "\n\n"
          + one(rng, ["Questions that change the design:", "What I need to know:", "Open questions:"]) + "\n"
          + numbered(qs) + "\n\n" + one(rng, ["Options as I see them:", "Possible approaches:", "Shapes this could take:"])
          + "\n" + table + "\n\n" + one(rng, [
              f"My default would be **{opts[0][0].lower()}**, revisited once we know the volumes.",
              "Answer the questions and I'll turn one option into a step-by-step plan.",
              f"If the answers are 'small and soon', **{opts[0][0].lower()}** wins."]))


SCALES = [
    ("src/shoplite/cart.py", "add_item", "`add_item` calls `item_count()`, which sums every line: adding n items costs O(n^2).",
     "Keep a running count updated on add and remove."),
    ("src/shoplite/storage.py", "find_by_status", "`find_by_status` fetches every matching row into memory with `fetchall()`.",
     "Paginate with `LIMIT`/`OFFSET` or keyset pagination, and index `status`."),
    ("worker/main.go", "paidOrders", "`paidOrders` loads all paid orders each tick and ships them one by one.",
     "Batch the updates and claim orders with `UPDATE ... WHERE status = 'paid' LIMIT n`."),
    ("src/shoplite/orders.py", "place_order", "`place_order` reserves items one call at a time, with no transaction.",
     "Reserve in one transaction so concurrent checkouts can't oversell."),
    ("src/shoplite/inventory.py", "reserve", "`Inventory` keeps stock in process memory: two workers see different stock.",
     "Move stock to the database and reserve with a conditional update."),
    ("src/shoplite/auth.py", "hash_token", "`token_matches` runs 200,000 PBKDF2 rounds on every request: CPU becomes the limit.",
     "API tokens are random, so a single keyed hash (HMAC) is enough; or cache verified tokens briefly."),
    ("src/shoplite/storage.py", "insert_order", "Every `insert_order` commits on one shared SQLite connection: writers queue on the database lock.",
     "Enable WAL mode and batch writes, or move to a server database once several processes write."),
    ("src/shoplite/pricing.py", "DISCOUNT_CODES", "`DISCOUNT_CODES` lives in code: lookups are cheap, but each campaign needs a deploy.",
     "Keep codes in a table indexed by code and cache it in memory with a short expiry."),
]
LOW_LOADS = ["fine; nothing here is near a limit.", "no change needed; the costs are still tiny.",
             "comfortable: one process copes.", "nothing to do yet."]


def scale_game(rng, d: Dialog) -> None:
    file, sym, issue, fix = one(rng, SCALES)
    factor = one(rng, ["10x", "100x", "1000x"])
    d.user(framed(rng, one(rng, ["Will `{s}` hold up if traffic grows {x}?", "Play the scale game with `{s}` in `{f}`.",
                                 "What breaks first in `{f}` at {x} load?", "Stress-test `{s}` in your head for me."])
                  .format(s=sym, f=file, x=factor)))
    text = d.ws.text(file)
    read: dict = {"file_path": file}
    if len(text.splitlines()) > 16 and rng.random() < 0.6:  # a window around the symbol, not the whole file
        at = next(i for i, ln in enumerate(text.splitlines(), 1) if sym in ln)
        read = {"file_path": file, "offset": max(1, at - rng.randint(1, 4)), "limit": rng.randint(8, 14)}
    calls = [("read", read), *([("grep", {"pattern": sym, "output_mode": one(rng, ["content", "files_with_matches"])})]
                               if rng.random() < 0.7 else [])]
    outs = d.calls(calls, content=one(rng, ["I'm using the scale-game skill. Reading the code first.",
                                            "Scale game: first the code as it is.", None,
                                            f"Scale game on `{sym}`: the code, then each order of magnitude."]))
    facts = [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]
    levels = [("10x", one(rng, LOW_LOADS)), ("100x", issue), ("1000x", one(rng, ["this becomes the outage: ",
                                                                                "it breaks; the fix: ",
                                                                                "redesign needed: "]) + fix)]
    if rng.random() < 0.5:
        table = "\n".join(f"- **{lvl}**: {txt}" for lvl, txt in levels)
    else:
        table = "| load | what happens |\n|---|---|\n" + "\n".join(f"| {lvl} | {txt} |" for lvl, txt in levels)
    d.say(bullets(facts) + "\n\n" + table + "\n\n"
          + one(rng, [f"Fix now only if {factor} is on the roadmap; measure first.",
                      "I'd add a benchmark before changing anything.", "The first fix is cheap; the others can wait.",
                      f"At today's load `{sym}` is fine; put the {factor} case in the capacity plan.",
                      "Measure where the time goes at 10x before believing any of this."]))


STUCK = [
    "Restate the problem in one sentence, without the solution I tried.",
    "Shrink the input until the failure disappears; the last change is the clue.",
    "Check the assumption I'm most sure about -- it's usually that one.",
    "Solve a simpler version first (one item, no concurrency).",
    "Read the error message again, literally, word by word.",
    "Explain it to someone (or write it down); gaps show up.",
    "Look at what changed since it last worked (`git log -p`, dependency bumps).",
    "Take the opposite approach: instead of finding the bug, prove the code correct step by step.",
]


def when_stuck(rng, d: Dialog) -> None:
    task = one(rng, BUGS)
    tries = rng.randint(2, 5)
    d.user(one(rng, ["I've spent {n} hours on this and I'm going in circles: {s}.",
                     "Stuck. {s}. Tried {n} things already.", "Nothing I try works: {s}. Help me get unstuck."])
           .format(n=tries, s=task.symptom) + one(rng, ["", " Any ideas?", " Please help.", " I'm out of ideas."]))
    d.say(one(rng, ["I'm using the when-stuck skill: stop trying fixes and change the approach.",
                    f"Time to step back instead of trying fix number {tries + 1}.",
                    "When stuck, change the method, not the guess."]) + "\n\n" + numbered(some(rng, STUCK, 3, 4))
          + "\n\n" + one(rng, [(f"For this symptom I'd start with a failing test around `{task.file}`; it turns the "
                               "hunt into a yes/no question."),
                               "Tell me the result of the first step and we'll take it from there.",
                               f"My bet is the code in `{task.file}`; the reproduction will confirm or kill that."]))


GENERATOR = SubcategoryGenerator({
    "brainstorming": brainstorming,
    "debugging": lambda rng, d: flows.debug(rng, d, voice="skill"),
    "tdd": lambda rng, d: flows.tdd(rng, d, one(rng, TASKS), voice="skill"),
    "scale_game": scale_game,
    "when_stuck": when_stuck,
})


@hookimpl
def register_categories(register):
    register(Category(name="skills", spec_path=spec_path("skills"), generator=GENERATOR,
                      description="Announced working skills: brainstorming, debugging, TDD, scale game, when stuck"))
