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
from factory.authoring.phrasing import expand, pick, say
from factory.authoring.text import bullets, framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import BUGS, TASKS

FEATURES = [
    "an export of all {plural} to CSV", "search over {plural}", "soft delete for {plural}", "an audit log of changes to {plural}",
    "bulk import of {plural}", "notifications when a {snake} changes", "a public API for {plural}", "caching of {snake} lookups",
    "per-customer quotas on {plural}", "archiving old {plural}", "a dashboard of {snake} metrics", "undo for {snake} edits",
]
# A question that changes the design, and how a user answers it (a phrase grammar).
QUESTIONS = [
    ("Who uses it first, and what decision will they make with it?",
     "{The support team|Finance|Account managers} {will use it first|are the first users}"
     "{, to {answer customer questions|check numbers at month end|spot problems early}|}."),
    ("How many {plural} are we talking about today, and in a year?",
     "{A few thousand|Tens of thousands of|A couple of hundred} {plural} today{, maybe {ten times|double} that in a year|}."),
    ("Does it need to be real-time, or is a nightly job good enough?",
     "{Nightly is fine|A nightly job is good enough|Real-time would be nice, but hourly is fine|Once a day is plenty}"
     "{ for now| to start with| for the first version|}."),
    ("What should happen to existing {plural} -- migrate, or only new ones?",
     "{Only new ones|New {plural} only|Existing ones too, but they can wait} {for the first version|at first|for now}."),
    ("Are there permissions involved: who may see or change this?",
     "{Only admins|Admins and account owners|Everyone in the account} {should see it|may use it}{ for now| at first|}."),
    ("What's the simplest version that would still be useful?",
     "{A plain list|A single button|A file once a day|A read-only page} would {already help|be useful|do|be a win} "
     "{for a start|at first|for the first users}."),
    ("Is there a deadline or an event driving this?",
     "{The deadline is|We promised it for} {the end of the quarter|a customer demo next month|the spring release}."),
    ("How will we know it works -- what would we measure?",
     "{Fewer support tickets|Less manual work for ops|Usage by the big accounts} would {tell us|show that it works}."),
    ("Does anything downstream (reports, integrations) depend on the current behaviour?",
     "{Nothing downstream|Only the monthly report|One partner integration|Just the finance export} "
     "{depends on|reads|uses} {it|the current behaviour|this data}{, as far as I know|, I believe|}."),
]
# An approach: its name, what it buys, what it costs, and its first steps once chosen.
APPROACHES = [
    ("Start with a synchronous endpoint", "simplest to build and test", "slow for large {plural}",
     ["Write the endpoint with a test on a small account", "Measure it on the largest account we have",
      "Move to a background job only if it gets slow"]),
    ("Run it as a background job", "no request timeouts, retries are easy", "needs a queue and status reporting",
     ["Add a job table with status and timestamps", "Write the worker with retries, and a test for it",
      "Show progress to the user and notify when it is done"]),
    ("Precompute on write", "reads are instant", "every write gets slower and the logic spreads",
     ["Add the precomputed column or table", "Update it in the same transaction as each write",
      "Backfill existing rows, then switch the reads over"]),
    ("Use an off-the-shelf service", "fast to ship", "cost and a new dependency",
     ["Compare two providers on price and limits", "Build a thin adapter so we can switch later",
      "Try it with one account before rolling out"]),
    ("Add it behind a feature flag", "safe rollout to a few users", "two code paths for a while",
     ["Add the flag, off by default", "Build the feature behind it, with tests",
      "Turn it on for a few accounts and watch the metrics"]),
    ("Store it in a separate table", "no risk to existing queries", "joins and consistency to manage",
     ["Create the table and its migration", "Write to it alongside the existing flow",
      "Read from it once the data looks right"]),
]
CHOICES = (
    "{Let's go with|I like|We'll take|I'd pick} the {first|second} option{; what are the first steps?| -- plan it out.|.}",
    "The {first|second} option {sounds right|fits best|is what I had in mind}{, so go ahead and plan it|}.",
    "{Go with|Let's do|I'd start with} the {first|second} one{ and give me the first steps| and sketch the steps|"
    ", then tell me where to begin|}.",
)
BRAIN_ASKS = (
    "We need {f} in {prod}{; can you just build it?| -- can you build it today?|, and I'd like you to just build it.}",
    "{Thinking about|We're thinking about|I'm considering} adding {f}{ to {prod}|}{; thoughts?| -- what do you think?|.}",
    "My {manager|lead|PM} wants {f} by {next sprint|the end of the month|the next release}"
    "{; where do we start?|, so where do we start?|.}",
    "Let's {do|build|add} {f} for {prod}{ this sprint| next|}.",
    "{Can|Could} you {build|implement|add} {f}{ for {prod}|}{ quickly| this week|}?",
    "{I want|We want|Customers want} {f}{ in {prod}|}{ as soon as possible| soon|}; {how would you go about it|what's the plan}?",
    "{The roadmap says|Product says|The board decided} we {need|are building} {f} {next|this quarter}"
    "{; help me figure out how|, and I'm not sure how|}.",
)
BRAIN_CONTEXT = (
    "{We're|It's} {a team of three|a small team|just two developers}{ with a lot on our plate| and one of us is on holiday|}.",
    "{Customers|Our biggest client|Sales} {keep asking|asked again} for it{ this month| in every call|}.",
    "{We|I} {tried|started} something similar {last year|once before} and {abandoned it|it never shipped|it got messy}.",
    "{The data|All our data|Everything we store} {lives|sits} in {Postgres|SQLite|one Postgres instance|a managed MySQL}"
    "{, in case that matters|, for what it's worth|}.",
    "{Support|The ops team|Our account managers} {would|will} {use it the most|be the first to notice problems}"
    "{, so it has to be dependable| and they are not technical|}.",
    "{There's|We have} {no budget|little budget|no appetite|no time} for {new infrastructure|another service|new tools}"
    "{ this quarter| right now| this year|}.",
    "{I'd|We'd} {rather|like to} ship something small {first|early} and {iterate|improve it later}.",
    "{Nobody|No one} has {asked|checked|measured} what {users|customers} {actually|really} need{ yet| so far|}.",
    "{It|This} {came up|was promised|got mentioned} in {a sales call|the last demo|the quarterly review|a board meeting}"
    "{ last week| a month ago|}.",
    "{I|We} {have {a rough|a vague}|have no real|only have a rough} idea of the {volumes|numbers|usage} {so far|at this point}.",
)


def brainstorming(rng, d: Dialog) -> None:
    e = entity(rng)
    feature = one(rng, FEATURES).format(plural=e.plural, snake=e.snake.replace("_", " "))
    said = [say(rng, one(rng, BRAIN_ASKS), f=feature, prod=flows.product(e.domain)),
            *[expand(rng, t) for t in rng.sample(BRAIN_CONTEXT, one(rng, [1, 2, 2, 2]))]]
    if rng.random() < 0.25:
        said[:2] = said[1::-1]
    d.user(" ".join(said))
    plural = e.plural.replace("_", " ")
    asked = some(rng, QUESTIONS, 3, 4)
    opts = some(rng, APPROACHES, 2, 3)
    table = "\n".join(f"- **{name}**: {pro}; but {con.format(plural=plural)}." for name, pro, con, _ in opts)
    d.say(one(rng, ["I'm using the brainstorming skill: before writing code, let's refine the idea.",
                    "Brainstorming first -- a few questions and options before any code.",
                    "Let me use the brainstorming skill so we build the right thing."]) + "\n\n"
          + one(rng, ["Questions that change the design:", "What I need to know:", "Open questions:"]) + "\n"
          + numbered([q.format(plural=plural) for q, _ in asked]) + "\n\n"
          + one(rng, ["Options as I see them:", "Possible approaches:", "Shapes this could take:"])
          + "\n" + table + "\n\n" + one(rng, [
              f"My default would be **{opts[0][0].lower()}**, revisited once we know the volumes.",
              "Answer the questions and I'll turn one option into a step-by-step plan.",
              f"If the answers are 'small and soon', **{opts[0][0].lower()}** wins."]))
    if rng.random() < 0.6:  # the user answers some questions and picks an option: the plan follows
        answers = [say(rng, answer, plural=plural) for _, answer in some(rng, asked, 1, 2)]
        choice = expand(rng, one(rng, CHOICES))
        chosen = opts[1] if "second" in choice else opts[0]
        d.user(" ".join([*answers, choice]))
        d.say(one(rng, [f"Then **{chosen[0].lower()}** fits: {chosen[1]}.", f"Good, **{chosen[0].lower()}** it is.",
                        f"With those answers, **{chosen[0].lower()}** is a sensible start: {chosen[1]}."]) + "\n\n"
              + one(rng, ["First steps:", "The plan:", "Steps, each a small PR:"]) + "\n" + numbered(chosen[3]) + "\n\n"
              + one(rng, [f"The cost to watch: {chosen[2].format(plural=plural)}.", "Shall I start on step 1?",
                          "I'll revisit the choice if the numbers change."]))


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


SCALE_ASKS = (
    "Will `{s}` hold up if {traffic|the load|usage} grows {x}{ next year| after the launch|}?",
    "{Play|Run} the scale game {with|on} `{s}` in `{f}`{ for me|, please|}.",
    "What breaks first in `{f}` at {x} {load|traffic|the data}?",
    "{Stress-test|Sanity-check|Think through} `{s}` {in your head|on paper|without running anything} for me"
    "{: what happens at {x}?|.}",
    "How does `{s}` {cope|behave} at {x} {today's load|the current traffic}?",
    "What happens to `{s}` {when|if} {the data|traffic|usage} grows {x}{, roughly|}?",
    "{We expect|Marketing expects|The forecast says} {x} {more traffic|the users} {next year|after the launch}"
    "{; is `{s}` ready for that|; will `{s}` survive it|; where does `{s}` break first}?",
    "{Where|At what point} does `{f}` {fall over|stop coping|become the bottleneck} {as|if} we grow {x}?",
)
SCALE_CONTEXT = (
    "{Right now|Today} {we handle|the shop handles} {a few hundred|a few thousand} orders a day.",
    "{The launch|The campaign|Black Friday} is {in a month|next quarter|coming up}.",
    "{We|I} {don't|do not} {want|plan} to rewrite anything {before|unless} {it is needed|the numbers say so}.",
    "{Only|Just} {one|a single} {process|server} {runs|serves} {it|the shop} {today|right now}.",
    "{I|We} need {numbers|an answer} for {the capacity plan|the budget meeting|the architecture review}.",
)


def scale_game(rng, d: Dialog) -> None:
    file, sym, issue, fix = one(rng, SCALES)
    factor = one(rng, ["10x", "100x", "1000x"])
    said = [say(rng, one(rng, SCALE_ASKS), s=sym, f=file, x=factor)]
    for template in rng.sample(SCALE_CONTEXT, one(rng, [1, 1, 2])):
        said.insert(len(said) if rng.random() < 0.7 else 0, expand(rng, template))
    d.user(framed(rng, " ".join(said)))
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
# What someone reports after trying a step of STUCK (a phrase grammar), and what to do next.
STUCK_RESULTS = {
    STUCK[0]: "{Written down|Said in one sentence}, it is {simpler|narrower} than I thought: it {only|} fails "
              "{for one kind of input|after a retry|on the second run}.",
    STUCK[1]: "{Shrinking|Cutting down} the input {worked|helped}: it {only fails|fails only} {with|for} "
              "{large files|one specific record|non-ASCII names|an empty list}.",
    STUCK[2]: "{The assumption|What I was sure about} was wrong{ after all|}: {the config|the cache|the timezone} "
              "{is not|was not} what I thought.",
    STUCK[3]: "{With one item|Without concurrency|With a single worker} it works {every time|reliably}, so it {must be|is} "
              "{the concurrency|the batching|the interaction between items}.",
    STUCK[4]: "{Rereading|Reading} the error {slowly|word by word} {helped|was worth it}: it names {a different file|"
              "another worker|the retry path} than the one I was staring at.",
    STUCK[5]: "{Explaining it|Writing it down} {made me notice|showed me} {that I never checked a return value|"
              "a step I had skipped|that two functions share a global}.",
    STUCK[6]: "{The history|The log} shows {a dependency bump|a config change|a refactor of the parser} "
              "{the day it started|right before it started}.",
    STUCK[7]: "{Going step by step|Proving each step} {I got stuck|I could not justify one step} {at|in} "
              "{the rounding|the retry loop|the cache lookup}.",
}
STUCK_NEXT = (
    "{That's the clue|Now we have something solid|Good, that is real progress}: {write|turn it into} a failing test "
    "for exactly that case, then fix the narrowest thing that makes it pass.",
    "{That narrows it down|Now it's a small problem}. {Pin|Capture} that case in a test first, so the fix can be "
    "proven and it can't come back.",
    "{Great|Good}: a concrete lead beats another guess. {Reproduce|Capture} it in a test, then read only the code "
    "on that path.",
)
# What someone stuck says they already tried (phrase grammars).
TRIED = (
    "I {already|} tried {restarting it|clearing the cache|reverting the last commit|adding more logging|"
    "bumping the dependency}{ and {nothing changed|it made no difference|it still happens}|}.",
    "I {already|} {checked|went through} {the config|the recent commits|the dependency versions}"
    "{ and nothing stood out| without finding anything|}.",
    "{I've|We've} {spent|burned|lost} {a day|two days|the whole afternoon|most of the week} on {this|it}{ already|}.",
    "{Every|Each} {fix|patch|theory} I {try|come up with} {makes it worse|just moves the problem|works once and then fails again}.",
    "{The logs|Our metrics|The stack traces} {show nothing useful|don't point anywhere|look normal}{ either|}.",
    "{It|This} {worked|was fine} {last month|before the upgrade|until recently|in the old version}{, as far as I know|}.",
    "{A colleague|My lead|Someone on the team} {looked at it too|had a go} and {got nowhere|is stuck too|gave up}.",
    "{Nobody can|I can't} reproduce it {locally|in staging|on a laptop}{; it only happens in production|}.",
)
STUCK_ASKS = (
    "I've spent {n} hours on this and I'm going in circles{ now|}: {s}.",
    "{I'm stuck on this one|This one has me stuck}: {s}; {I have tried|I've tried} {n} things already.",
    "Nothing I try {works|helps|changes anything}{ here|}: {s}{; help me get unstuck.|. Help me get unstuck.|.}",
    "{After|It's been} {n} hours{ on it|} and {I still don't know|I can't see} why {s}.",
    "{I need|Help me find} a {new|different|fresh} angle on this{ bug|}: {s}.",
)


def stuck_follow_up(rng, d: Dialog, step: str) -> None:
    """Sometimes the user comes back with what the first step showed, and gets the next move."""
    if rng.random() < 0.6:
        d.user(one(rng, ["", "", "Update: ", "First step done: ", "Tried it: "]) + say(rng, STUCK_RESULTS[step]))
        d.say(pick(rng, STUCK_NEXT))


def when_stuck(rng, d: Dialog) -> None:
    task = one(rng, BUGS)
    tries = rng.randint(2, 5)
    said = [say(rng, one(rng, STUCK_ASKS), n=tries, s=task.symptom),
            *[expand(rng, t) for t in rng.sample(TRIED, one(rng, [1, 1, 2]))]]
    d.user(" ".join(said))
    steps = some(rng, STUCK, 3, 4)
    first = steps[0]
    d.say(one(rng, ["I'm using the when-stuck skill: stop trying fixes and change the approach.",
                    f"Time to step back instead of trying fix number {tries + 1}.",
                    "When stuck, change the method, not the guess."]) + "\n\n" + numbered(steps)
          + "\n\n" + one(rng, [(f"For this symptom I'd start with a failing test around `{task.file}`; it turns the "
                               "hunt into a yes/no question."),
                               "Tell me the result of the first step and we'll take it from there.",
                               f"My bet is the code in `{task.file}`; the reproduction will confirm or kill that."]))
    stuck_follow_up(rng, d, first)


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
