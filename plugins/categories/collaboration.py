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
from factory.authoring.phrasing import expand, pick, say
from factory.authoring.text import framed, numbered, one, some
from factory.registry import Category
from factory.sandbox.tasks import TASKS

# A vague request: what is wanted ({x}, a phrase grammar of its own), said in one of the frames, and the
# questions whose answers change what gets built.
VAGUE_FRAMES = (
    "{Please|} {x}.",
    "{Can|Could} you {x}{ for me|}?",
    "I {need|want|would like} you to {x}{ this sprint| soon| this week|}.",
    "{The next job|Your next ticket|The ask from product|Today's job} is to {x}.",
    "{We should|Let's|I think we should} {x}.",
    "{Someone needs to|It's time to|We really need to} {x}.",
    "{Any chance you could|Would you be able to} {x}?",
)
# Each: what is wanted; the questions whose answers change what gets built, each with how a user answers
# it (a phrase grammar); and where the work starts once some answers are in.
VAGUE = [
    ("{make the {plural} page faster|speed up the {plural} page|make the {plural} page {snappier|less sluggish}|"
     "do something about how slow the {plural} page is}",
     [("Which interaction feels slow: first load, search, or saving?",
       "{Mostly|Definitely} the first load{; search and saving are fine|, the rest is OK|}."),
      ("Roughly how many {plural} does a slow account have?",
       "{A few thousand|Around ten thousand|Tens of thousands} {plural} on the {big|slow} accounts."),
      ("Is there a target (e.g. under 1 s at p95), or is 'noticeably faster' enough?",
       "{Noticeably faster is enough|No formal target}{ for now|, honestly|}."),
      ("Can I change the API response, or only the frontend?",
       "{You can change the API too|The API is ours, so change it if needed|Frontend only, the API is shared}.")],
     "measuring where the time goes on the slowest account"),
    ("{add validation to the {snake} form|validate the {snake} form properly|make the {snake} form reject bad input|"
     "tighten up the {snake} form}",
     [("Which fields are required, and which are optional?",
       "{Everything except the notes field is required|Only the name and the email are required}{, I think|}."),
      ("Should validation happen in the browser, the API, or both?",
       "{Both, but the API is what matters|The API for sure; the browser is a nice extra}."),
      ("How should errors be shown: per field, or a summary at the top?",
       "{Per field|Next to each field}{, like the signup form does|, please|}."),
      ("Are there existing rules in the backend I should mirror?",
       "{There are a few checks in the model|Not really, the backend accepts almost anything}{ today|}.")],
     "writing down the rules as API tests"),
    ("{clean up the {plural} module|tidy the {plural} code|sort out the mess in the {plural} module|"
     "make the {plural} module less of a mess}",
     [("Is the goal readability, performance, or preparing for a feature?",
       "{Readability, mostly|We want to add a feature there next quarter}{, performance is fine|}."),
      ("Are public function names allowed to change, or do other teams import them?",
       "{Another team imports two of them|Nobody outside our team imports it}{, as far as I know|}."),
      ("How much test coverage does it have today?", "{Very little|Almost none|Some, but the tests are flaky}."),
      ("One big PR or a series of small ones?", "{Small PRs, please|A series of small ones; reviews are easier}.")],
     "adding tests around the current behaviour before moving anything"),
    ("{support multiple currencies for {plural}|make {plural} work in more than one currency|"
     "add currency support to {plural}}",
     [("Which currencies, and who sets the exchange rate?",
       "{Euros and dollars|Euros, dollars and pounds} {for now|to start}; finance {sets|publishes} the rates {daily|weekly}."),
      ("Are amounts converted at display time or stored per currency?",
       "{Stored per currency|Each amount keeps its own currency}{, I think|}."),
      ("What happens to historical {plural}?", "{Old {plural} stay in euros|History stays as it is}."),
      ("How should rounding work for currencies without cents?",
       "{We don't have any yet|None of ours lack cents}{, so skip that for now|}.")],
     "adding a currency next to every stored amount"),
    ("{let users export their {plural}|add an export for {plural}|give users a way to download their {plural}}",
     [("Which format: CSV, JSON, or both?", "{CSV is enough|CSV; nobody has asked for JSON}{ for now|}."),
      ("All fields, or a fixed subset?", "{A fixed subset|The fields shown in the list view}{ is fine|}."),
      ("How large can one export get?", "{A few thousand rows|Up to maybe a hundred thousand rows} for the biggest accounts."),
      ("Synchronous download, or an emailed link when ready?",
       "{A direct download would be nicer|An emailed link is fine}{ if it's big|}.")],
     "a CSV export of the list view's fields for one account"),
    ("{fix the {snake} sync|sort out the broken {snake} sync|make the {snake} sync reliable again}",
     [("What goes wrong exactly -- missing records, duplicates, or errors?",
       "{Duplicates, mostly|Some records go missing}{, no visible errors|}."),
      ("Since when? Did something deploy around then?",
       "{Since last week|Since the last release}{; we did upgrade the client library|, nothing obvious deployed}."),
      ("Is it every account or some?", "{Only some accounts|A handful of the large accounts}{, as far as we can tell|}."),
      ("Do you have a log line or an id I can start from?",
       "{I can find an account id|Support has a ticket with an example id}{ for you|}.")],
     "reproducing it on one affected account"),
    ("{add caching for {plural}|cache the {plural}|put a cache in front of the {plural} lookups}",
     [("Which reads are hot, and how stale may they be?",
       "{The list view|The detail page} is hot; a minute of staleness is {fine|acceptable}."),
      ("Per process, or shared (Redis) across instances?", "{We already run Redis|We have no Redis today}{, if that helps|}."),
      ("What must invalidate the cache?", "{Any edit to a record|Edits and deletes}{, obviously|}."),
      ("Is memory on the servers a constraint?", "{Not really|Memory is tight on the small instances}.")],
     "measuring the hottest read before choosing the cache"),
    ("{improve search over {plural}|make {plural} search better|fix {plural} search so people find things}",
     [("What do people search by: names, ids, free text?", "{Mostly names|Names and ids}{, rarely free text|}."),
      ("Is the problem missing results, wrong ranking, or speed?", "{Missing results|Wrong ranking}{, mainly|}."),
      ("How many {plural} must the search cover?", "{A few hundred thousand|Under a million} {plural}."),
      ("Do you need typo tolerance, or are exact and prefix matches enough?",
       "{Prefix matches would already help|Typo tolerance would be great, but prefix is fine first}.")],
     "collecting a few searches that fail today as test cases"),
    ("{make the {snake} emails look better|redo the {snake} notification emails|improve the emails we send about {plural}}",
     [("Is it the layout, the wording, or both?", "{Mostly the layout|Both, honestly}."),
      ("Do we have brand guidelines, or a designer to sign off?",
       "{There are brand guidelines|A designer can review it}{ on the wiki| next week|}."),
      ("Which email clients matter most (Outlook is the hard one)?", "{Gmail and Outlook|Mostly Outlook, sadly}."),
      ("Should the plain-text version change too?", "{Yes, keep them in sync|Leave the plain-text version alone}.")],
     "one template that renders well in Gmail and Outlook"),
    ("{add permissions to {plural}|lock down who can edit {plural}|add roles for {plural}}",
     [("Which roles exist today, and who assigns them?",
       "{Admins and members|Just admins and everyone else}; {account owners|admins} assign them."),
      ("Is access decided per {snake} or per workspace?", "{Per workspace is enough|Per workspace for now}."),
      ("What should a user without access see: an error, or nothing at all?",
       "{Nothing at all|A clear error}{, I think|}."),
      ("Do existing {plural} need an owner assigned during the migration?",
       "{The creator can be the owner|Give them to the account admin}.")],
     "the role check in one place, tested, before any UI"),
    ("{add monitoring for the {snake} pipeline|make {snake} failures visible|set up alerts for {plural}}",
     [("Who should be alerted, and how: page, chat, or email?", "{A chat channel|Email to the team} is enough."),
      ("Which failures matter: errors, slowness, or missing data?", "{Missing data is the scary one|Errors and missing data}."),
      ("Do you already have a metrics stack (Prometheus, Datadog...)?",
       "{We have Prometheus|Nothing yet}{, barely used|}."),
      ("What alert volume per week is acceptable?", "{A couple a week at most|Almost none, or people will ignore them}.")],
     "one alert for missing data, routed to chat"),
    ("{make the {plural} page work on mobile|fix the {plural} page on phones|make the {plural} screens responsive}",
     [("Which devices or screen sizes matter most?", "{Phones, mostly|Small phones, really}{ in portrait|}."),
      ("Is it layout only, or touch interactions too?", "{Layout first|Mostly layout; the buttons are too small too}."),
      ("Can we hide less important columns on small screens?", "{Yes, hide whatever you need to|Yes, within reason}."),
      ("Is there a native app, or is the web view it?", "{No native app|The web view is all we have}.")],
     "the list layout at phone width, hiding the secondary columns"),
    ("{let users import {plural} from a spreadsheet|add a bulk import for {plural}|support uploading {plural} in bulk}",
     [("Which file formats: CSV, Excel, or both?", "{CSV is fine|Excel, because that is what customers have}."),
      ("What happens to rows that fail validation: skip them, or reject the file?",
       "{Skip them and report which|Reject the whole file}{, I'd say|}."),
      ("How big can a file be?", "{A few thousand rows|Rarely more than a thousand rows}."),
      ("Should an import update existing {plural} or only add new ones?", "{Only add new ones|Add only, for the first version}.")],
     "validating a sample file and reporting the rows that fail"),
]
VAGUE_ACKS = (
    "{Thanks|Clear, thanks|That helps}. I'll start with {start}{, and ask again before anything user-visible changes|}.",
    "{Got it|Good, that narrows it down}. First step: {start}; {I'll assume sensible defaults for the rest|"
    "the other questions can wait}.",
    "{Perfect|OK}, then {start} comes first, and I'll {report back|share what I find} before going further.",
)
# What a vague request says around the ask: why it matters now, never the answers to the questions.
VAGUE_CONTEXT = (
    "{Users|Customers|Our biggest client|The sales people} {keep complaining|have been complaining|complained again} "
    "about it{ for weeks| in the last survey| on a call yesterday|}.",
    "{It came up|This came up} in {the retro|planning|a customer call|the roadmap meeting}{ last week| yesterday| again|}.",
    "{My manager|The PM|Our lead|The CTO} {wants|asked for} it {soon|this sprint|before the next launch|"
    "by the end of the month}.",
    "I {haven't got|do not have} {more details|a spec|a proper ticket|any numbers} {yet|for it|right now}{, sorry|}.",
    "{It shouldn't be|Hopefully it isn't|I hope it isn't} {a big job|too much work|a huge change}.",
    "{Use your judgement|Do what you think is best|I trust your call} on the details{, mostly|}.",
    "{Just me and one other developer|Only two of us|A couple of people} {work|are working} on it{, so keep it simple|}.",
    "{Nobody|No one} has written anything down about it {yet|so far}{; it lives in people's heads|}.",
    "{I'd like|We'd like|I want} to {start|get going|make progress} on it {today|this week|before the sprint ends}.",
    "{It's|This is} {for|about} {product}{, which most of our customers use|, the part customers see most|}.",
    "{That code|That part of the app} {is old|has grown over the years|was written by someone who left}"
    "{ and has few tests|}.",
)


def clarifying_questions(rng, d: Dialog) -> None:
    e = entity(rng)
    want, qs, start = one(rng, VAGUE)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " ")}
    asked = expand(rng, one(rng, VAGUE_FRAMES)).replace("{x}", expand(rng, want, capitalize=False))
    said = [cap(asked.format(**fmt)), *[expand(rng, t) for t in rng.sample(VAGUE_CONTEXT, one(rng, [0, 1, 1, 2, 2]))]]
    if len(said) > 1 and rng.random() < 0.3:
        said[:2] = said[1::-1]
    d.user(framed(rng, " ".join(said).replace("{product}", flows.product(e.domain))))
    chosen = some(rng, qs, 2, 4)
    d.say(one(rng, ["Happy to. A few questions first, because the answers change what I'd build:",
                    "Before I start -- this could mean several things:",
                    "I can take this on. To avoid building the wrong thing:"]) + "\n\n"
          + numbered([q.format(**fmt) for q, _ in chosen]) + "\n\n"
          + one(rng, ["If you don't know yet, I'll start with the most common case and keep it easy to change.",
                      "Answer whichever you can; I'll assume sensible defaults for the rest and say so.",
                      "Even one-word answers help."]))
    if rng.random() < 0.6:  # the user answers some of them, in the order asked
        answered = sorted(rng.sample(range(len(chosen)), rng.randint(1, min(2, len(chosen)))))
        d.user(" ".join(f"{i + 1}) " + say(rng, chosen[i][1], **fmt) for i in answered))
        d.say(say(rng, one(rng, VAGUE_ACKS), start=start))


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def progress_updates(rng, d: Dialog) -> None:
    flows.tdd(rng, d, one(rng, TASKS), voice="progress")


# A decision between two options ({a}, {b}) about a topic ({t}), asked in one of DECISION_ASKS; each option
# with what it buys and what it costs, and the question the choice hinges on.
DECISION_ASKS = (
    "{Should we use|Should we go with|Do we pick} {a} or {b} for {t}?",
    "{a} or {b} for {t}{?| -- what do you think?| -- which would you pick?}",
    "{I'm torn|We're torn|The team is split} between {a} and {b} for {t}{; which would you pick?| -- help me choose.|.}",
    "{Which would you recommend|What's your call|What would you choose} for {t}: {a} or {b}?",
    "{Help me decide|I need to decide|We have to decide} between {a} and {b} for {t}{ this week| before we start|}.",
    "Would {a} be {a better fit|a better idea|the safer bet} than {b} for {t}?",
    "Is {a} {a better fit|a better idea|the safer bet} than {b} for {t}{ in your view|}?",
    "{For|When it comes to} {t}, {do we go with|are we better off with|should I push for} {a} or {b}?",
)
DECISIONS = [
    (("SQLite", "PostgreSQL", "the {plural} service"), [
        ("SQLite", "zero operations, one file, fast for a single writer", "one writer at a time; no network access"),
        ("PostgreSQL", "concurrent writers, rich types, replicas", "a server to run, back up and upgrade")],
     "how many processes write at once"),
    (("REST", "GraphQL", "the {plural} API"), [
        ("REST", "simple caching, every tool understands it", "clients over- or under-fetch"),
        ("GraphQL", "clients ask for exactly what they need", "caching and rate limiting get harder")],
     "how many different clients there are"),
    (("a queue", "direct HTTP calls", "{snake} events"), [
        ("a queue", "retries and back-pressure for free", "another system to operate and monitor"),
        ("direct HTTP", "simple, easy to trace", "the caller waits and must retry itself")],
     "whether the receiver can be down for minutes"),
    (("a monorepo", "separate repos", "the {plural} frontend and backend"), [
        ("a monorepo", "atomic changes across both sides", "CI must be smart about what to build"),
        ("separate repos", "independent release cycles", "cross-cutting changes need coordinated PRs")],
     "how often a change touches both sides"),
    (("an ORM", "hand-written SQL", "the {plural} queries"), [
        ("an ORM", "less boilerplate, migrations included", "hidden N+1 queries"),
        ("hand-written SQL", "every query visible and tunable", "more code to write and review")],
     "how complex the queries get"),
    (("server-side rendering", "a single-page app", "the {plural} dashboard"), [
        ("server-side rendering", "fast first paint, simple SEO, less JavaScript", "rich interactions take more work"),
        ("a single-page app", "rich interactions and an app-like feel", "a slower first load; routing and SEO to handle")],
     "how interactive the dashboard really has to be"),
    (("cron jobs", "a task queue", "the nightly {snake} processing"), [
        ("cron jobs", "nothing new to run, easy to reason about", "no retries; runs overlap when one is slow"),
        ("a task queue", "retries, visibility and concurrency limits", "a broker and workers to operate")],
     "whether a failed run must be retried automatically"),
    (("UUIDs", "auto-increment integers", "the {snake} ids"), [
        ("UUIDs", "generated anywhere, safe to expose", "bigger indexes and random insert order"),
        ("auto-increment integers", "small, ordered, fast to index", "guessable when exposed; only the database can make them")],
     "whether the ids appear in URLs or must be generated offline"),
    (("feature flags", "a long-lived branch", "the {plural} redesign"), [
        ("feature flags", "merge continuously and turn it on gradually", "flag debt to clean up afterwards"),
        ("a long-lived branch", "no half-finished code on main", "painful merges and late integration")],
     "how long the redesign will take"),
]
# What a decision request says around the question: the team and the pressure, never the hinge itself.
DECISION_CONTEXT = (
    "We're {a team of three|a team of five|two developers|a small team}{ with no dedicated ops person| and nobody on call|}.",
    "{It's|This is} for {product}{, which is still early| and it's growing fast| that we launched last year|}.",
    "{We need to|I have to|We want to} decide {this week|by Friday|before the kickoff|before we write any code}.",
    "{None of us|Nobody here} has {used|run} either {in production|at scale|before}{, so factor that in|}.",
    "{Whatever we pick|The choice} {has to|needs to} {last|hold up} {a couple of years|until the next rewrite|"
    "through the next growth phase}.",
    "{I'm|We're} {leaning towards|tempted by} {one of them|the simpler option} but {want|would like} a second opinion.",
    "{Budget|Time|Headcount} is {tight|limited|the main constraint} {this quarter|right now|for us}.",
    "{I'll|I have to} {write it up|present it|defend it} {for the architecture review|to the team|in an ADR} {afterwards|next week}.",
)


def technical_decisions(rng, d: Dialog) -> None:
    e = entity(rng)
    (a, b, topic), options, hinge = one(rng, DECISIONS)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " ")}
    if rng.random() < 0.5:
        a, b = b, a
    said = [cap(say(rng, one(rng, DECISION_ASKS), a=a, b=b, t=topic.format(**fmt)))]
    for template in rng.sample(DECISION_CONTEXT, one(rng, [1, 1, 2, 2])):
        said.append(say(rng, template, product=flows.product(e.domain)))
    if len(said) > 1 and rng.random() < 0.3:
        said[:2] = said[1::-1]
    d.user(" ".join(said))
    options = rng.sample(list(options), len(options))
    chosen = one(rng, options)
    if rng.random() < 0.5:
        compared = "| option | for | against |\n|---|---|---|\n" + "\n".join(f"| {n} | {p} | {c} |" for n, p, c in options)
    else:
        compared = "\n".join(f"- **{n}** -- {one(rng, ['for', 'pro', 'good'])}: {p}; {one(rng, ['against', 'con', 'cost'])}: {c}."
                             for n, p, c in options)
    d.say(one(rng, ["Trade-offs side by side:", "Here's how I'd compare them:", "Both are reasonable; the difference:",
                    "Neither is wrong. What each buys you:", "Comparing them on what matters here:"])
          + "\n\n" + compared + "\n\n"
          + f"The deciding question is {hinge}. " + one(rng, [
              f"Without more information I'd pick {chosen[0]}: {chosen[1]}.",
              f"If that's low today, choose {chosen[0]} and revisit when it grows.",
              f"I lean towards {chosen[0]}, and I'd write the decision down (an ADR) with this table."]))


# A question nobody can answer from here: its phrasings, the honest admission, and how to find out.
UNCERTAIN = [
    (("Is `{lib}` {compatible with|ready for|safe to use on} Python 3.13{ yet|}?",
      "{We want to|We're about to|I'd like to} {upgrade|move} to Python 3.13{; will| -- will} `{lib}` {still work|keep working}?",
      "{Does|Will} `{lib}` {work|run} {on|under|with} Python 3.13{ already| today|}?"),
     "I don't know for certain: compatibility depends on the release you pin.",
     ["Check the package's classifiers and changelog on PyPI.", "Run the test suite under 3.13 in CI.",
      "Look for open issues mentioning 3.13."]),
    (("{Is `{lib}` faster|Would `{lib}` be faster|Would switching to `{lib}` speed things up} "
      "{than what we have|compared to our current setup|for us}{ today|}?",
      "{Should we|Is it worth it to} {switch to|adopt|move to} `{lib}` {for speed|to make things faster}?"),
     "I can't say without measuring on your data.",
     ["Write a small benchmark with realistic inputs.", "Compare p50 and p99, not just the mean.",
      "Check memory as well as time."]),
    (("{Why did|What made} the {snake} job {fail|crash|fall over} {last night|overnight|in the nightly run}?",
      "{The|Our} {snake} job {failed|crashed|died} {last night|overnight|in the nightly run}{ -- any idea why?|; why?}"),
     "I can't see your logs, so anything I say now is a guess.",
     ["Find the first error line, not the last.", "Check what deployed or changed yesterday.",
      "Re-run the job with the same input in staging."]),
    (("Is this query using the index on {plural}{ or not|}?",
      "{Will|Does} {Postgres|the database|the planner} {pick|use} the {plural} index for this query?"),
     "Probably, but the planner decides at run time.",
     ["Run `EXPLAIN` (or `EXPLAIN ANALYZE`) on production-like data.", "Check the statistics are up to date.",
      "Compare with the index dropped in a scratch database."]),
    (("Is our {snake} endpoint {safe against|protected from} {race conditions|concurrent updates}?",
      "{Can|Could} two {simultaneous|concurrent|parallel} updates to a {snake} {clobber|overwrite} each other{ in our code|}?"),
     "I can't tell from here: it depends on code and an isolation level I haven't seen.",
     ["Look for read-modify-write sequences without a lock or a version check.",
      "Write a test that fires two concurrent updates.", "Check the transaction isolation level the database runs with."]),
    (("How much will {plural} storage cost us {next year|in a year|by next summer}?",
      "{Roughly|Approximately} how {big|large} will the {plural} table {get|grow} {next year|in a year|by next summer}?"),
     "I can't give a number without your growth data; any figure now would be invented.",
     ["Measure the average row and index size today.", "Take the growth rate from the last few months.",
      "Multiply out, then add a margin for indexes and backups."]),
    (("Will upgrading `{lib}` {break anything|cause problems|bite us}{ for us|}?",
      "{Is it safe to|Can we just} {upgrade|bump} `{lib}` to the latest {major version|release}?"),
     "I don't know without seeing how you use it; major versions often change defaults.",
     ["Read the changelog between your version and the target.", "Run the test suite against the new version in a branch.",
      "Search the code for the APIs the changelog lists as changed."]),
]
UNSURE_CONTEXT = (
    "{I need|We need} {an answer|to know} {before the planning meeting|by tomorrow|before we commit to it}.",
    "{A blog post|A colleague|Someone on a forum} {said|claimed} {it's fine|it works|it's much better}{, but I'm not convinced|}.",
    "{We|I} couldn't find {anything|a clear answer} {in the docs|online|in the changelog}.",
    "{It|The answer} {decides|changes} {whether we go ahead|our plan|the estimate} for {this quarter|the next sprint}.",
    "{A yes or no|A short answer|A rough answer} would {help|be enough} {for now|to start with}.",
)


def uncertainty(rng, d: Dialog) -> None:
    e = entity(rng)
    asks, admit, steps = one(rng, UNCERTAIN)
    fmt = {"plural": e.plural.replace("_", " "), "snake": e.snake.replace("_", " "),
           "lib": one(rng, ["orjson", "polars", "httpx", "pydantic", "uvloop", "msgspec"])}
    said = [say(rng, one(rng, asks), **fmt), *[pick(rng, UNSURE_CONTEXT) for _ in range(one(rng, [0, 1, 1]))]]
    if len(said) > 1 and rng.random() < 0.3:
        said.reverse()
    d.user(framed(rng, " ".join(said)))
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

