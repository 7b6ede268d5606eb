"""The phrase banks of :mod:`factory.authoring.continue_calls`: system prompts, openers, situations
and prefaces for the training pool, and the eval pool's own phrasings (held out from training)."""

from __future__ import annotations

SYSTEM_PROMPTS = (
    "You are a coding agent working inside the user's IDE through the Continue extension. Use the "
    "provided tools to inspect and change the workspace; call a tool whenever the answer depends on "
    "the project's files or on running something.",
    "You are an expert software engineer assisting in a {stack} project. You can read, search and edit "
    "files and run terminal commands with the tools provided. Prefer a precise tool call over guessing.",
    "You are Continue, an AI pair programmer. The workspace is a {stack}. When you need information "
    "from the codebase or need to make a change, call the appropriate tool with exact arguments.",
    "Act as a careful senior developer embedded in the editor. This repository is a {stack}. Gather "
    "context with tools before answering and keep edits minimal.",
)

PREFACES = (
    "", "", "", "", "Let me check that.", "On it.", "Sure, starting with the code.", "Let me take a look.",
    "Good idea -- first I need the facts.", "I'll start there.", "Let me gather some context on the {e} side.",
    "Checking the {e} code now.", "First step: look before changing anything.", "Sure.",
    "Let's see what we're dealing with.", "I'll handle that.", "Starting with the {e} piece.",
)

OPENERS = ("", "", "", "", "Hey, ", "Quick one: ", "Okay, ", "Alright, ", "Next up: ", "Hmm, ", "Right, ",
           "Small task: ", "One more thing: ", "Before I forget: ", "Follow-up: ", "New request: ")

# Where the user is in their work: phrase grammars (factory.authoring.phrasing), a few hundred
# sentences each, so a context sentence is rarely the same twice.
SITUATIONS = (
    "{I'm|We're} {working on|in the middle of|about to ship|finishing up|still stuck on|picking up} the {e} "
    "{export|migration|import|sync job|rewrite|cleanup|integration|backfill}{ this week| for the release| today|}.",
    "The {e} {tests|checks|integration tests|unit tests} {went red|started failing|turned flaky|broke} "
    "{after my last change|on main|after the merge|overnight|on CI only}.",
    "{QA|A customer|Support|Someone on the ops team|Our biggest client} {says|reports|noticed} "
    "{the {e} page is slow|{e} totals look wrong|the {e} list shows duplicates|{e} updates get lost|"
    "the {e} export is missing rows}{ since the last deploy| on mobile| in production| again|}.",
    "{This is|It's} part of {the {e} cleanup|the {e} refactor|paying down {e} tech debt|"
    "the {e} hardening work|the quarterly {e} audit}{ we planned| I promised the team|}.",
    "The {e} {feature|change|fix|work} {ships|goes out|has to be merged|is due} "
    "{on Friday|tomorrow|before the freeze|next sprint|by end of day|this week}.",
    "{I'm pairing with|I'm helping|I'm reviewing code from} {a new hire|a teammate|an intern|a contractor} "
    "{on|in} the {e} code.",
    "{We're|I'm} {reviewing|about to merge|splitting up|rebasing} the {e} {pull request|branch|change set}"
    "{ before lunch| today| with the team|}.",
    "{Support|The on-call engineer|Our account manager} {escalated|flagged|forwarded} {the|this|another} {e} "
    "{bug|regression|complaint|ticket} {this morning|an hour ago|last night|yesterday}.",
    "I want to {understand|map out|get a feel for|untangle} the {e} {flow|code path|logic|data model} "
    "{before the refactor|before I touch it|before the design review|first}.",
    "The {e} {service|worker|cron job|endpoint|queue consumer} {threw errors|crashed|timed out|"
    "logged warnings|ran out of memory} {overnight|twice today|under load|during the last deploy}.",
    "{Product|Design|The customer team|Our PM} {asked for|wants|requested} {a tweak to|a change in|"
    "a small fix to|a new option for} {e} handling{ before the demo| by Thursday|}.",
    "{We're preparing|I'm putting together|We owe the client} the {e} {demo|walkthrough|status update|"
    "release notes}{ for Monday| for the stakeholders|}.",
    "{I'm writing|We're drafting|I owe the team} {the design doc|an RFC|a short proposal|a migration plan} "
    "for {e} {sync|storage|caching|permissions|retries}.",
    "{CI|The linter|A nightly job|Dependabot|The security scanner} {flagged|complained about|found} "
    "something in the {e} {area|module|package|code}.",
    "The {e} code {predates everyone on the team|has no owner|was written in a hurry|"
    "grew over a few sprints|has barely any tests}.",
    "{I'm|We're} {onboarding onto|taking over|inheriting|new to} the {e} {module|service|codebase|package}.",
    "{We're|I'm} {splitting|moving|pulling} the {e} logic {into its own package|out of the monolith|"
    "into a separate service|behind an interface}.",
    "The {e} {endpoint|query|report|search} {times out|gets slow|returns 500s|falls over} "
    "{under load|with large accounts|at the end of the month|when the cache is cold}.",
    "{I'm trying to|I can't} {reproduce|pin down|explain} {the|this} {e} {crash|bug|race|timeout}"
    "{ from the logs| that only happens in staging| a user hit|}.",
    "{We're adding|I want|The team needs} {metrics|logging|tracing|alerts} around {e} "
    "{processing|writes|retries|imports}.",
    "The {e} {schema|API|config format|table layout} {changed|was reworked|got a new field} "
    "{last sprint|in the last release|yesterday|without notice}.",
    "{Security review is|The auditors are|Our pentester is|The compliance team is} {looking at|asking about|"
    "worried about} {e} {permissions|access checks|input validation|secrets}.",
)


# The eval pool's own phrasings, by the first training phrasing of the same choice: an eval prompt is
# never made only of sentences training has (tests/authoring measures it), so the eval measures the
# skill, not recall of the training sentences.
HELD_OUT: dict[str, tuple[str, ...]] = {
    "Open {path} and tell me what it does.": (
        "I'd like a walkthrough of {path}; {open it up|load it|bring it up}{ first| before anything else|}.",
        "Mind {reading|loading|going through} {path} and {summarising|describing|outlining} its "
        "{job|purpose|responsibilities}?",
        "{Could|Can} you load {path}? I {suspect|have a hunch|am fairly sure} the {e} {problem|fault|glitch} "
        "{starts|originates|begins} there.",
        "Give {path} a {read|once-over|careful read} and {report back|fill me in|brief me}{ on what it contains|}."),
    "Create {path} with a first version of the {e} code.": (
        "Start {path} off with a {basic|plain|modest|deliberately small} version of the {e} code.",
        "{path} doesn't exist yet; {write|produce|draft} an {initial|opening|early} {e} version of it{ for review|}.",
        "Bootstrap {path} with the first cut of the {e} {logic|handling|routines}{ so others can build on it|}."),
    "Create {path} with a first test for the {e} code.": (
        "Start {path} with an initial test {covering|exercising|probing} {e}{ behaviour|}.",
        "Write {path}: a single test to get {e} under {test|coverage}{ at last| before we refactor|}.",
        "{path} should exist with one {basic|elementary|minimal} {e} test in it."),
    "Run the test suite.": (
        "Execute the tests, {please|if you would|when you can}.",
        "Give the tests a run and {report|list|note} {failures|what breaks|anything red}.",
        "I touched the {e} code; {rerun|re-execute} the tests{ and summarise| and report back|}."),
    "Build the project.": (
        "Compile everything and tell me if it {breaks|errors|complains}.",
        "Kick off a {build|compilation} after the {e} edits{ to confirm nothing broke| as a sanity check|}."),
    "Run the linter.": ("Give the code a lint pass{ before the merge| after my edits|}.",
                        "Any lint {warnings|findings}? Run the {checker|lint tool|static checks}."),
    "Show me the last {n} commits.": (
        "Print the {n} latest commits, one {line|row} each.",
        "I want to {see|review|skim} the {n} newest commits{ on this branch| before the standup|}."),
    "Create a branch called {b}.": ("Branch off as {b}{ before touching anything|}.",
                                    "Open a fresh branch named {b}{ for the work| for these changes|}."),
    "Find all files matching {g}.": (
        "{Locate|Find} the files that {fit|answer to} {g}{ in the tree| here|}.",
        "{Give me|I want} the paths of everything matching {g}{ in the tree| in this checkout|}.",
        "Which paths {fit|satisfy} the glob {g}{ at the moment| today|}?"),
    "What have I changed so far?": (
        "Which {edits|changes} haven't been committed {yet|so far}{ on this branch|}?",
        "{Show|Tell} me what's different from the last {commit|checkpoint}{ in my tree| locally|}.",
        "Before I {commit|push|ship} the {e} work, what does my {diff|changeset|working tree} {contain|hold|show}?"),
    "What does this file do?": (
        "Walk me through the file {in my editor|I have up}{ line by line| at a high level|}.",
        "Anything {off|amiss|questionable} in the file I'm {viewing|looking at}?",
        "Why might the {e} query in my open file come back {empty|blank|with nothing}?"),
    "List everything under {d}, recursively.": ("Give me the whole tree below {d}{ with every file|}.",
                                                "Recursively list {d}{ for me| down to the last file|}."),
    "What's in {d}?": ("Show the contents of {d}{ for me|}.", "What does the {d} folder {hold|carry|keep}?",
                       "Enumerate {d}{ for me| so I know what's there|}."),
    "From now on: {r} Make that a rule.": (
        "Going forward: {r} Please {store|keep|file} that as a {rule|standing instruction}{ for the repo|}.",
        "Record this project convention as a {rule|standing rule|permanent rule}: {r}"),
    "Read {u} and summarize what matters for us.": (
        "{Pull|Load} {u} and {tell me|note} what's {relevant|applicable|useful} to us.",
        "{Skim|Scan} {u} and list the {important|notable|essential} parameters{ for our case|}."),
    "Apply our '{n}' rule here.": ("{Pull in|Bring in|Consult} the '{n}' rule for this {change|edit|patch}.",
                                   "Follow the project's {n} rule for the {e} {code|changes}."),
    "Use the {s} skill for this {e} bug.": (
        "Load the {s} skill before tackling the {e} {issue|defect|fault}.",
        "Let's go through the {s} skill first{, then the fix|, then the code|}."),
    "{l} {t} breaking changes latest release": ("{l} {t} migration guide newest version", "{l} {t} deprecation notice"),
    "Search the web: {q}": ("Web search, please: {q}", "Check online: {q}",
                            "{Look around|Dig around} online for {q}{ and report|}."),
    "Give me an overview of how this repo is organized.": (
        "How is this {codebase|repository} {laid out|arranged}{ in broad strokes| overall|}?",
        "{Sketch|Summarise|Describe} the repository's structure before the {e} {work|changes|project}."),
    "Show me what's in the {d} subdirectory.": (
        "{Display|Print} the {d} subfolder{ and its files| with its contents|}.",
        "Open up the {d} folder so I can {spot|pinpoint|find} the {e} {code|logic|module}{ quickly|}.",
        "{List|Show} what sits in {the {d} subfolder|{d}}{, one entry per line|}."),
    "where {e} records are validated": ("the validation of incoming {e} data", "code that stores {e} rows",
                                        "permission checks on {e} routes"),
    "Find the code for {q}.": ("Locate {q}{ for me| in the repo|}.", "Which code handles {q}{ today| at the moment|}?",
                               "{Track down|Hunt down} {q}{; I need the file|}."),
    "Show me lines {a}-{b} of {p}.": (
        "{Print|Dump} {p}, lines {a} through {b}{, nothing more|}.", "I need lines {a} to {b} of {p}{ only|}.",
        "The {error|exception} mentions {p} near line {m}; show lines {a}-{b}."),
    "Rename every {o} to {n} in {p}.": ("Swap each {o} for {n} throughout {p}{ in one go|}.",
                                        "{Every|Each} {o} in {p} {should be called|needs to become} {n}."),
    "In {p}, change the first {o} to {n}.": ("Only the first {o} in {p} should become {n}{; keep the rest|}.",),
    "In {p}: rename {a} to {b} everywhere, and change the first {c} to {d}.": (
        "Inside {p}, rename every {a} to {b}, and turn only the first {c} into {d}.",),
    "Add a retry limit of {n} to {p}.": ("{Cap|Bound} the retries in {p} at {n}{ attempts|}{ and no more|}.",
                                         "{p} should {stop|give up} retrying after {n} {tries|failures}{, not loop forever|}."),
    "Search the code for {q}.": ("{Look through|Comb} the repo for {q}{ and list the hits| and report|}.",
                                 "Which lines match {q}{ right now| across the tree|}?"),
    "{a} Also, {b}": ("{a} On top of that, {b}", "{a} And separately, {b}"),
    "Quick one.": ("Small favour.", "Appreciate it."),
}
EVAL_OPENERS = ("", "", "", "So, ", "Next: ", "One request: ", "Hey there, ", "If you can: ", "Another thing: ")
EVAL_SITUATIONS = (
    "The {e} integration is due {next week|on the 14th|before the quarter closes|in two weeks|by the board meeting}"
    "{ and we're behind| and nothing is tested yet| and the vendor keeps changing things| and I'm the only one on it|}.",
    "{I'm|We're} debugging the {e} {flow|pipeline|handshake|sync} {with support on the line|while a customer waits|"
    "live with the vendor|on a call with ops|during a release freeze}{ right now| as we speak|}.",
    "Our {e} {numbers|counts|figures|graphs|percentages} look {wrong|off|inflated|stale|suspiciously round} "
    "{in the dashboard|in the weekly report|on the admin screen|in Grafana|in the investor deck}.",
    "The {e} {service|backend|subsystem} is getting a {rewrite|second version|new owner|storage overhaul|new API}"
    "{ next quarter| soon| after the launch| once the hiring is done|}.",
    "Ops {paged us|woke me up|opened an incident|filed a sev-2} about the {e} {workers|consumers|nodes|batch runs}"
    "{ twice| again| at 3am| over the weekend|}.",
    "I'm documenting the {e} {module|component|subsystem} for {the handover|the wiki|the auditors|"
    "the people joining in March|a partner team}{ this week|}.",
    "The {e} {job|batch|import|nightly run|backfill} {failed|stalled|died halfway} in {staging|the preview environment|"
    "the canary} {last night|this afternoon|after the upgrade|on its first run}.",
    "We're {auditing|reviewing|going over} the {e} {code|handlers|storage layer} before {the launch|the certification|"
    "the customer pilot|go-live|the SOC 2 visit}.",
    "{Finance|Billing|Our partner|The regional office} {flagged|disputes|questioned} the {e} "
    "{totals|exports|invoices|reconciliation} from {March|last quarter|the pilot|the migration weekend}.",
    "{ {Half|Much|A lot} of the {e} code {came from an acquisition|was generated years ago}|"
    "{Half|Many|A lot} of the {e} {handlers came from an acquisition|scripts are ones nobody dares to touch|"
    "tests were switched off at some point}}.",
    "{My lead|The architect|Someone from platform} {wants|expects|asked for} {a written summary|numbers|a recommendation} "
    "on the {e} {design|setup|situation} {by tomorrow|after lunch|before the steering call}.",
    "We {inherited|took over|adopted} the {e} {repository|component|tooling} from {another squad|a vendor|"
    "a departed colleague}{ with no notes| and its docs are outdated|}.",
)
EVAL_PREFACES = ("", "", "", "Checking.", "Let me do that.", "One moment.", "Looking into the {e} part.")
