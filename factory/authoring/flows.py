"""Agent workflows on the fixture tasks, shared by agentic, skills, collaboration and problem-solving:
explore, test-first, systematic debugging, planning, review. A task belongs to one of the fixture
repositories (Python, Go, JavaScript); reads and edits are executed against that repository (edits as
a dry run), and test runs use its runner (pytest, ``go test``, ``node --test``) and show what it prints.
``voice`` adds a category's habit: an announced skill, progress updates, or an explicit self-check."""

from __future__ import annotations

import random
import re
from pathlib import Path

from factory.authoring.dialog import Dialog, Ungrounded
from factory.authoring.observe import describe
from factory.authoring.phrasing import expand, pick, say
from factory.authoring.text import bullets, framed, numbered, one, some
from factory.sandbox.tasks import BUGS, TASKS, Task
from factory.sandbox.workspace import glob_regex, open_workspace

OPENERS = ["", "Hi! ", "Quick task: ", "Ticket {t}-{n}: ", "From the bug tracker: ", "Customer report: ",
           "Next item on the board: ", "Urgent-ish: "]
EXPLORE_INTROS = ["Let me look at the relevant code first.", "Searching for the code involved and the existing tests.",
                  "I'll find where this lives before changing anything.", "First, orientation:"]

# -- how users ask ----------------------------------------------------------------------------------------
# Phrase grammars (factory.authoring.phrasing) around a task's own words: its symptom ``{s}`` (a clause:
# "the subtotal jumps when ..."), the change it needs ``{p}`` (an imperative: "round the discount half
# up"), its cause ``{c}`` and its file. Each bank has hundreds of variants, so two records on the same
# task rarely ask the same way.
SYMPTOM_ASKS = (
    "{Can|Could|Would} you {fix|track down|look into|sort out|chase down|dig into|get to the bottom of} "
    "{the bug where|the issue where|the problem where|why} {s}?",
    "{Please|} {fix|track down and fix|find and fix|sort out} {the bug where|the case where|the issue where} {s}"
    "{ for me| when you get a chance|}.",
    "{I noticed|QA noticed|A customer noticed|Support tells me|We just found out|Someone on the team spotted} that {s}"
    "{ {in production|on staging|since the last release|after yesterday's deploy}|}.",
    "{Any idea|Do you know|Can you figure out|Can you work out} why {s}{ {in production|on staging|now}|}?",
    "{We have|There's|We've got} {a bug|a problem|a regression|a nasty bug|an annoying bug} "
    "{in production|on main|in the current release|that users hit} where {s}.",
    "{Right now|Currently|At the moment|As of today} {s}{, which is wrong|, and it shouldn't|, and that's a bug}.",
    "{It looks like|It seems|Apparently|It turns out} {s}{; please fix it|; I need it fixed|, which needs fixing}.",
    "{I need|We need} {a fix|a proper fix|a real fix} for {this|a bug} {in `{file}`|in the repo|we just found}: {s}.",
    "{Here's|This is} what {keeps happening|users keep hitting|the bug report says|QA keeps seeing}: {s}.",
)
FIX_ASKS = (
    "{Can|Could|Would} you {p}{ in `{file}`|}?",
    "{I think|My guess is that|I suspect|I'm fairly sure} the {fix|change} is to {p}{ and nothing more|}.",
    "{I think|My guess is that|I suspect} the {fix|change} is to {p} -- {can you do that|could you confirm and do it|"
    "can you check and apply it}?",
    "{Please|} {p}{ in `{file}`|}{, with a test| and add a test for it| and prove it with a test|}.",
    "What I {want|need|have in mind}{ here|} is to {p}{, nothing more| and keep everything else as it is|}.",
    "The {change|fix|ticket} {asks us|says we need|is} to {p}{; please take it| -- please do it test-first|}.",
    "{I'd like you to|I need you to|Your task is to} {p}{ in `{file}`|}.",
)
CAUSE_HINTS = (
    "{I think|My guess is that|I suspect|From a quick look,|Reading the code, it seems} {c}.",
    "{I haven't dug in, but|Without having checked properly,|I'm not sure, but} {it looks like|I think} {c}.",
    "{A teammate|Someone on the team|The reviewer} {thinks|suspected|pointed out} that {c}.",
)
# What a request says around the ask: where a bug came from, what was tried, what the change must respect.
BUG_CONTEXT = (
    "{A customer|Support|QA|The on-call engineer|One of our biggest clients|The mobile team} "
    "{reported|flagged|escalated|ran into} {this|it} {this morning|yesterday|last night|an hour ago|"
    "after the last release|twice this week}.",
    "I {already|} {tried|looked at|checked} {the logs|the recent commits|the obvious suspects|a quick patch} "
    "{but|and} {it didn't help|nothing stood out|it still happens|I ran out of time}.",
    "{It only shows up|We only see it|It mostly happens} {in production|under load|for the big accounts|"
    "intermittently|on CI}{, never locally|, not in our tests|}.",
    "{There's|We have} no test for {this|this case|that path} {yet|today|at all}"
    "{, as far as I know|, which is probably how it slipped through|}.",
    "{Tell me|Let me know|Report back} {what the cause was|why it happened|what you find} {when you're done|"
    "before you commit|in a short summary}.",
    "{This|It} has been {around|broken|like this} {for a while|since the last refactor|for a few releases|"
    "longer than anyone noticed}{, I think|}.",
    "{We|I} {patched|worked around} {it|this} {once|before} {in the caller|with a hack|downstream} "
    "{and it came back|but that never fixed the real problem|and it broke again}.",
)
FEATURE_CONTEXT = (
    "{Product|A customer|Sales|Our PM|The support team} {asked for|has been asking for|requested} {this|it} "
    "{for a while|last sprint|in the planning meeting|again this week}.",
    "{It's|This is} {needed|wanted|the last piece missing} {for|by} {the next release|the mobile app|"
    "our biggest client|the public API}.",
    "{Nothing|No code} {uses|depends on} {it|this} yet{, so the design is open| -- it's a new capability|}.",
    "{Follow|Stick to|Match} the {existing|current} {style|conventions|patterns} {in that file|of the module|"
    "of the repo}{, please|}.",
)
SHARED_CONTEXT = (
    "{It|This} {has to|needs to|should} {ship|go out|land|be done} {before the freeze|by Friday|this sprint|"
    "with the next release|today|before the demo}.",
    "{Please|} {don't|do not} {touch|change|refactor|reformat} {unrelated code|the public API|other modules|"
    "anything outside this change}{ in the same change| while you're at it|}.",
    "{Write|Add} a {failing|regression|small} test {first|before the code change}"
    "{ so we know it really works| -- that's how we work here|, please|}.",
    "{Start with|Begin with|Lead with} a {failing|regression} test{ so we know it really works|, please|}.",
    "{I'll|We'll|The team will} {review|look over|merge} the {diff|change|PR} {afterwards|this afternoon|"
    "before standup|once CI is green}.",
    "{It's|This is} {blocking|holding up|delaying} {the release|a customer rollout|my other work|"
    "our sprint}{ right now| at the moment|}.",
    "{Keep|Please keep} the {change|diff|edit} {small|minimal|focused|easy to review}"
    "{; it's going into a patch release|; we'll backport it| if you can|}.",
    "{I'm|We're} {new to|still learning|not familiar with} {this repo|this code base|the code here}"
    "{, so explain what you change| so walk me through it|}.",
    "{Run|Use} the {existing|repo's|normal} test runner{, nothing fancy| to check it|}{, please|}.",
    "{Nobody|No one} {on the team has {touched|looked at|changed} {this code|this module|that part of the repo} "
    "{since the rewrite|in months|in a long time}|{owns|really knows} {this code|this module|that part of the repo} "
    "{any more|these days}}.",
)


def use(d: Dialog, task: Task) -> None:
    """Work in the task's repository: its tools' calls execute there from now on."""
    root = task.fixture.root.resolve()
    if d.ws.root != root:
        if d.calls_made:
            raise Ungrounded(f"{task.key} is in {task.repo}, but the conversation already works in {d.ws.root.name}")
        d.ws = open_workspace(str(root))


def bare(domain: str) -> str:
    """An entity's domain without its article: "a CMS" -> "CMS", "billing" -> "billing"."""
    for article in ("a ", "an "):
        if domain.startswith(article):
            return domain[len(article):]
    return domain


def product(domain: str) -> str:
    """An entity's domain as a product: "the billing product", "the CMS"."""
    return f"the {bare(domain)}" if domain != bare(domain) else f"the {domain} product"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def _lower(text: str) -> str:
    """An imperative step ("Round the discount half up") as it reads inside a sentence."""
    return text[:1].lower() + text[1:] if text[:2].isalpha() and not text[:2].isupper() else text


def opener(rng: random.Random, task: Task) -> str:
    """How the user starts a request about ``task`` (a ticket number names the task's tracker)."""
    return one(rng, OPENERS).format(n=rng.randint(100, 999), t=task.fixture.ticket)


def request(rng: random.Random, task: Task, shapes: tuple[str, ...] = ("own", "fix", "fix", "symptom", "symptom",
                                                                        "symptom")) -> str:
    """The ask itself: the task's own words (``task.asks``), its symptom in a user's phrasing, or the change
    it needs (a feature has no symptom: its own words instead)."""
    shape = one(rng, shapes)
    if shape == "symptom" and task.symptom:
        return _cap(say(rng, one(rng, SYMPTOM_ASKS), s=task.symptom, file=task.file))
    if shape == "fix":
        return _cap(say(rng, one(rng, FIX_ASKS), p=_lower(task.plan[1]), file=task.file))
    return one(rng, task.asks)


def contexts(rng: random.Random, task: Task, n: int, hint: bool = False) -> list[str]:
    """``n`` different sentences of context for a request about ``task`` (with ``hint``, the first may be
    a guess at a bug's cause)."""
    bank = [*(BUG_CONTEXT if task.kind == "bug" else FEATURE_CONTEXT), *SHARED_CONTEXT]
    out = [expand(rng, t) for t in rng.sample(bank, n)]
    if hint and out and task.cause and rng.random() < 0.3:
        out[0] = _cap(say(rng, one(rng, CAUSE_HINTS), c=task.cause))
    return out


def ask(rng: random.Random, task: Task, extras: int = 2, hint: bool = True,
        shapes: tuple[str, ...] | None = None) -> str:
    """A request about ``task``: an opener, the ask and up to ``extras`` sentences of context, which
    sometimes come first."""
    said = request(rng, task, shapes) if shapes else request(rng, task)
    more = contexts(rng, task, max(0, extras - (rng.random() < 0.3)), hint and not heavy(task))
    if more and rng.random() < 0.25:
        return opener(rng, task) + " ".join([more[0], said, *more[1:]])
    return opener(rng, task) + " ".join([said, *more])


# Files longer than this are read as a window around the code the task changes, as agents do with
# ``offset``/``limit``: the whole file would not leave the conversation room in the training window.
WHOLE_READ_LINES = 16
READ_WINDOW = (3, 8)  # lines shown before the change, lines in all (more when the change is longer)


def read_args(d: Dialog, task: Task, rng: random.Random | None = None, tight: bool = False) -> dict:
    """The ``read`` call for the task's file: whole when short, else a window that holds ``task.old``
    (with ``rng``, the window's margins vary a little, as an agent's would; ``tight``: one line of
    margin, for a read just before the edit in a conversation that is already long)."""
    text = d.ws.text(task.file)
    lines = text.splitlines()
    if len(lines) <= WHOLE_READ_LINES and not tight:
        return {"file_path": task.file}
    at = text[: text.index(task.old)].count("\n") + 1
    before, least = (rng.randint(2, 4), rng.randint(7, 9)) if rng else READ_WINDOW
    if tight:
        before, least = 1, 0
    limit = max(least, before + len(task.old.rstrip("\n").splitlines()) + 1)
    offset = max(1, min(at - before, len(lines) - limit + 1))
    return {"file_path": task.file, "offset": offset, "limit": limit}


def heavy(task: Task) -> bool:
    """A task whose test, edit and failure output are long: its records skip the optional extra lookup
    and whole-suite run, so they stay inside the 2,048-token window with their tools."""
    return len(task.test_code) + len(task.old) + len(task.new) + 2 * len(task.failure) > 800


def explore(rng: random.Random, d: Dialog, task: Task) -> list[str]:
    """1-2 grounded lookups in one turn: one that finds the code (a search or a read of it -- not
    both, the read already shows the line a search would) and sometimes one for the surrounding
    files. Returns one grounded sentence per lookup."""
    repo = task.fixture
    locate = [("grep", {"pattern": task.grep, "output_mode": "content"}),
              ("grep", {"pattern": task.grep, "path": repo.source_dir})]
    first_read = read_args(d, task, rng)
    if set(first_read) == {"file_path"}:  # a whole short file; a window of a long one needs a search first
        locate.append(("read", first_read))
    around = [("glob", {"pattern": repo.test_glob}),
              ("glob", {"pattern": repo.source_glob(Path(task.file).name)})]
    calls = [one(rng, locate)]
    if rng.random() < 0.5 and not heavy(task):
        calls.insert(rng.randrange(2), one(rng, around))
    outs = d.calls(calls, content=one(rng, EXPLORE_INTROS))
    return [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]


def write_test(rng: random.Random, d: Dialog, task: Task, lead: str) -> None:
    d.calls([("write", {"file_path": task.test_file, "content": task.test_code})], content=lead)


def run_tests(rng: random.Random, d: Dialog, task: Task, passing: bool, lead: str | None = None) -> str:
    cmd = one(rng, task.fixture.test_commands(task.test_file, task.test_name))
    out = task.pass_output if passing else task.fail_output
    d.calls([("bash", {"command": cmd}, out)], content=lead)
    return cmd


def edit(rng: random.Random, d: Dialog, task: Task, lead: str) -> None:
    """The task's edit -- after a read of the lines it changes when the conversation has not shown
    them yet (the edit tool's rule: read the file first)."""
    content: str | None = lead
    if not d.has_read(task.file):
        args = read_args(d, task, rng, tight=True)
        out = d.call("read", args, content=lead)
        content = describe(rng, d.ws, "read", args, out) + " " + one(rng, ["Editing:", "The change:", "Fixing it:", ""])
    d.calls([("edit", {"file_path": task.file, "old_string": task.old, "new_string": task.new})], content=content)


SKILL_LINES = {
    "tdd": ["I'm using the test-driven-development skill: RED, then GREEN, then REFACTOR.",
            "Applying the TDD skill -- failing test first, minimal fix, then clean up."],
    "debugging": ["I'm using the systematic-debugging skill: reproduce, hypothesise, test the hypothesis, fix.",
                  "Using the debugging skill (RED-YELLOW-GREEN): reproduce, isolate, then fix."],
}


def tdd(rng: random.Random, d: Dialog, task: Task, voice: str = "", look_first: float = 0.8,
        extras: int | None = None) -> None:
    """Test-first change; ``look_first`` is the share of records that explore before writing the test
    and ``extras`` the most sentences of context the request has beside its ask (both lower where later
    turns of the same record need the room)."""
    use(d, task)
    d.user("")  # the request: written last, when it is known how much room the record leaves it
    request_at = len(d.messages) - 1
    facts = explore(rng, d, task) if rng.random() < look_first else []
    pre = one(rng, SKILL_LINES["tdd"]) + " " if voice == "skill" else ""
    progress = voice == "progress"
    lead = (pre + (bullets(facts) + "\n\n" if facts else "")
            + one(rng, ["RED: a test that pins the behaviour.", "Writing the failing test first.",
                        f"First, a test named `{task.test_name}`.", "Test first:",
                        f"The behaviour goes into `{task.test_file}` before any code changes.",
                        "A test that states what we want, before the code does it:"]))
    write_test(rng, d, task, lead)
    run_tests(rng, d, task, False, one(rng, ["Running it to see it fail for the right reason.",
                                              "It should fail now:", None]))
    reason = task.failure.splitlines()[0].removeprefix("E").strip()
    step = "Progress: test written and failing (1/3). " if progress else ""
    edit(rng, d, task, step + one(rng, [f"It fails as expected (`{reason}`). GREEN: the smallest change in `{task.file}`.",
                                        f"Failure confirmed: `{reason}`. Now the fix in `{task.file}`.",
                                        f"Good, the test fails with `{reason}`. Implementing."]))
    step = "Progress: fix applied (2/3). " if progress else ""
    run_tests(rng, d, task, True, step + one(rng, ["Re-running the test:", "Checking it passes now.", "",
                                                   "GREEN?", "Same test, after the change:"]))
    # the suite run replaces a second lookup
    suite = look_first > 0 and len(facts) <= 1 and rng.random() < 0.4 and not heavy(task)
    if suite:
        run_suite(rng, d, task, one(rng, ["Now the whole suite:", "And everything else still passes?", None]))
    summary = [one(rng, [f"`{task.test_name}` in `{task.test_file}` failed before the change and passes after it.",
                         f"Red then green: {task.test_ref}.",
                         f"The new test `{task.test_name}` went from failing to passing."]),
               one(rng, [f"The change is confined to `{task.file}`.", f"Only `{task.file}` changed.",
                         f"Production code touched: `{task.file}`, nothing else."])]
    if task.kind == "bug":
        summary.append(f"Cause: {task.cause}.")
    if suite:
        summary.append("The rest of the suite still passes.")
    rng.shuffle(summary)
    tail = one(rng, ["REFACTOR: nothing to clean up; the change is small." if suite else
                     "Next I'd run the whole suite before committing.",
                     "REFACTOR: nothing to clean up; the change is small.",
                     "Follow-ups: " + "; ".join(task.plan[2:]) + "." if len(task.plan) > 2 else "Ready for review.",
                     "Want a commit message for this?", f"Ready to commit with `{task.test_file}` alongside."])
    if progress:
        tail = "Progress: done (3/3). " + tail
    if voice == "verify":
        tail = ("Self-check: the test failed first (so it tests something), passes now, and the edit touched "
                "only the lines it had to. " + tail)
    d.say(bullets(summary) + "\n\n" + tail)
    room = ((1 if heavy(task) else 2) if extras is None else extras) - suite  # a suite run takes ~100 tokens
    d.messages[request_at]["content"] = ask(rng, task, extras=max(0, room))


HYPOTHESES = ["the code in `{file}` mishandles this case", "the caller passes unexpected input",
              "the test itself is wrong", "configuration differs between environments",
              "a recent change to `{file}` introduced it", "the input is valid but an edge case nobody tested",
              "state left over from an earlier call", "a missing check rather than a wrong one"]
DEBUG_SHAPES = ("own", "symptom", "symptom", "symptom", "fix")
# The user's answer to a list of hypotheses.
GO_AHEAD = (
    "{Go ahead|Sounds good|Yes please|OK, go|Go for it}.",
    "{Sure|OK|Fine by me|Sounds right}, {check|test|go through} them {in that order|one by one|starting with the first}"
    "{ and stop at the first that holds| and tell me which one it was|}.",
    "{Start with|Check} {the first one|the most likely one|whichever is cheapest to check}"
    "{ and {pin it with a test|show me the evidence|tell me what you find}|}.",
    "{That list|The ranking|Your order} {looks right|makes sense|seems reasonable} to me{, go ahead|, carry on|}.",
    "{My money's on|I'd bet on|I lean towards} the first one{ too|}{, but check it properly|, go confirm it|}.",
    "{Go ahead|OK}, but {don't|please don't} {change any code|touch the code} until {you've reproduced it|"
    "a test fails for the right reason|you know which one it is}.",
)
REPRO_LEADS = ["Step 1, reproduce it with a test.", "Reproducing first, as a test:", "Before guessing, a reproduction:",
               "No fix without a reproduction; writing the smallest test that shows it.",
               "I'll turn the report into a failing test so we know when it's fixed.",
               "First a test that fails for exactly this reason."]
CAUSE_LINES = ["Root cause: {cause}.", "Found it: {cause}.", "That's the bug -- {cause}.",
               "The culprit: {cause}.", "Here it is: {cause}.", "Diagnosis: {cause}."]


def debug(rng: random.Random, d: Dialog, task: Task | None = None, voice: str = "") -> None:
    """Systematic debugging in one of three shapes -- reproduce then locate, locate then reproduce,
    or hypotheses first -- with an optional whole-suite run and one of several write-ups, so records
    on the same bug differ in what the assistant says and does, not only in the user's wording."""
    task = task or one(rng, BUGS)
    use(d, task)
    d.user(ask(rng, task, extras=1 if heavy(task) else 2, hint=False, shapes=DEBUG_SHAPES))
    pre = one(rng, SKILL_LINES["debugging"]) + " " if voice == "skill" else ""
    hyps = [h.format(file=task.file) for h in some(rng, HYPOTHESES, 2, 4)]
    cause = one(rng, CAUSE_LINES).format(cause=task.cause)
    shape = rng.randrange(3)
    # A search, the whole-suite run and the hypotheses turn each cost ~100 tokens: a record takes at
    # most two of them, and none on a task whose test, edit and failure are long, so it stays inside
    # the 2,048-token window with its tools.
    long = heavy(task)
    grep = not long and rng.random() < (0.3 if shape == 2 else 0.5)
    if shape == 0:  # reproduce, then locate
        write_test(rng, d, task, pre + one(rng, REPRO_LEADS))
        run_tests(rng, d, task, False)
        facts = explore_named(rng, d, task, one(rng, [
            "Reproduced. Hypotheses, most likely first:\n" + numbered(hyps), "It reproduces. Narrowing down where:",
            "Confirmed locally. Checking the code path:", f"Fails as reported. Looking at `{task.file}`."]), grep=grep)
        # The grep located the code; the window read is what the diagnosis rests on, so only it is summarised.
        edit(rng, d, task, facts[-1] + "\n\n" + cause)
    elif shape == 1:  # locate, then reproduce
        facts = explore_named(rng, d, task, pre + one(rng, [
            "Reading the code involved before writing anything.", "Let me find the code path first.",
            f"Starting where the symptom points: `{task.file}`."]), grep=grep)
        write_test(rng, d, task, facts[-1] + " " + one(rng, [
            "My suspicion: " + task.cause + ". A test to confirm:", "Suspect found; confirming it with a test before touching it.",
            "That looks like the spot. Proving it with a failing test:"]))
        run_tests(rng, d, task, False, one(rng, ["Does it fail?", "Running the new test.", None]))
        edit(rng, d, task, one(rng, ["Confirmed by the failure. ", "The test fails as predicted. ", ""]) + cause)
    else:  # hypotheses first, each checked against the code
        d.say(pre + one(rng, ["Before touching code, candidate explanations:", "What could cause this:",
                              "Possible causes, ranked:"]) + "\n" + numbered(hyps) + "\n\n"
              + one(rng, ["I'll check the first against the code and pin it with a test.",
                          "Checking them in order, cheapest first."]))
        d.user(pick(rng, GO_AHEAD))
        facts = explore_named(rng, d, task, one(rng, ["Checking hypothesis 1.", "Looking at the code.", None]),
                              grep=grep)
        write_test(rng, d, task, facts[-1] + "\n\n" + cause + " " + one(rng, ["Pinning it with a test:",
                                                                                   "Reproduction:"]))
        run_tests(rng, d, task, False)
        edit(rng, d, task, one(rng, ["Red, as expected. Fixing:", "It fails for the predicted reason. The fix:",
                                     "Reproduced. Now the edit:"]))
    run_tests(rng, d, task, True, one(rng, ["Verifying:", "Re-running the reproduction:", None, "Green?"]))
    if not grep and not long and rng.random() < 0.5:
        run_suite(rng, d, task, one(rng, ["And the whole suite, to be sure nothing else broke:", "Full suite:",
                                          "Checking nothing else regressed."]))
    d.say(debug_summary(rng, task))


def debug_summary(rng: random.Random, task: Task) -> str:
    cause = task.cause[0].upper() + task.cause[1:]
    follow = task.plan[2:] or task.plan[-1:]
    shape = rng.randrange(4)
    if shape == 0:
        return (one(rng, ["Fixed.", "Resolved.", "Done."]) + f" {cause}; the edit in `{task.file}` addresses it and "
                f"`{task.test_name}` guards against a regression. "
                + one(rng, ["The other hypotheses were ruled out by the reproduction.", "No other callers needed changes.",
                            "I'd add a changelog line since users saw this."]))
    if shape == 1:
        return (f"**Symptom**: {task.symptom}.\n**Cause**: {task.cause}.\n**Fix**: a small edit in `{task.file}`.\n"
                f"**Guard**: {task.test_ref}, red before and green after.")
    if shape == 2:
        return (one(rng, ["Summary:", "Wrap-up:", "What happened:"]) + "\n"
                + bullets([f"Why: {task.cause}.", f"Changed: `{task.file}` only.",
                           f"Proof: `{task.test_name}` failed before the change and passes now."])
                + "\n\n" + one(rng, ["Follow-up worth doing: ", "Still open: ", "Next, if you want: "])
                + "; ".join(s[0].lower() + s[1:] for s in follow) + ".")
    return (one(rng, ["The bug is gone", "That was it", "Fixed at the source"]) + f": {task.cause}. "
            + one(rng, [f"Why it slipped through: no test covered this case before `{task.test_name}`.",
                        "The new test is the regression guard.",
                        f"I kept the change inside `{task.file}` so callers don't need to change."])
            + " " + one(rng, ["Want me to commit it?", "Shall I open a PR?", "Anything else on this one?", ""]))


def run_suite(rng: random.Random, d: Dialog, task: Task, lead: str | None = None) -> None:
    """The whole suite of the task's repository after the fix: its existing tests plus the task's, all
    passing (counted from the workspace's test files, so it is what the runner would print)."""
    cmd = one(rng, task.fixture.suite_commands())
    d.calls([("bash", {"command": cmd}, suite_output(rng, d, task))], content=lead)


def suite_output(rng: random.Random, d: Dialog, task: Task) -> str:
    repo = task.fixture
    tests = [f for f in d.ws.files if glob_regex(repo.test_glob).match(f) and f != task.test_file]
    if repo.runner == "go":
        packages = sorted({str(Path(f).parent) for f in d.ws.files if f.endswith(".go")})
        tested = {str(Path(f).parent) for f in [*tests, task.test_file]}
        return "\n".join(f"ok  \t{repo.module}/{p}\t0.00{rng.randint(3, 9)}s" if p in tested else
                         f"?   \t{repo.module}/{p}\t[no test files]" for p in packages)
    if repo.runner == "node":  # the dot reporter: one dot per passing test
        n = sum(len(re.findall(r"^test\(", d.ws.text(f), re.MULTILINE)) for f in tests)
        return "." * (n + len(re.findall(r"^test\(", task.test_code, re.MULTILINE)))
    n = sum(d.ws.text(f).count("\ndef test_") for f in tests) + task.test_code.count("\ndef test_")
    return f"{'.' * n}\n{n} passed in 0.{rng.randint(5, 9)}s"


def explore_named(rng: random.Random, d: Dialog, task: Task, lead: str | None, grep: bool = True) -> list[str]:
    calls = [("grep", {"pattern": task.grep, "output_mode": "content"})] if grep else []
    calls.append(("read", read_args(d, task, rng)))
    outs = d.calls(calls, content=lead)
    return [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]


PLAN_ASKS = (
    "{Before you write any code|Before touching the code|Before anything changes}, {plan|outline|sketch|map out} "
    "{this|the work|how you'd do it}{ for me|}.",
    "{Give me|Write up|Sketch|Draft} {a plan|a step-by-step plan|an approach|the steps} for {this|the ticket|the work}"
    "{ before any code| first|}.",
    "{How would you|How do you want to|What's the best way to} {approach|tackle|break down|sequence} "
    "{this|the work|this ticket}{?| without breaking anything?| in small steps?}",
    "{I want|I'd like|Let's have} a plan {first|before code|up front}{, code later| -- no edits yet|}.",
    "{Break this down into|Break the work into|Split the work into|Split this into} {steps|small commits|reviewable steps}"
    "{ before starting| for me|}.",
    "{What's|What would be} your plan {for this|here|for the ticket}{, step by step| before you change anything|}?",
)


def plan(rng: random.Random, d: Dialog, task: Task | None = None) -> None:
    """A plan before code: 2-3 context lookups drawn from docs, searches, the code and the tests, then
    the task's steps in one of several layouts (numbered, phased, with risks or with a question)."""
    task = task or one(rng, TASKS)
    use(d, task)
    repo = task.fixture
    asked = [pick(rng, PLAN_ASKS), request(rng, task), *contexts(rng, task, rng.randint(0, 1))]
    if rng.random() < 0.4:
        asked[:2] = asked[1::-1]
    d.user(framed(rng, " ".join(asked)))
    pool = [("read", {"file_path": "docs/ARCHITECTURE.md"}), ("read", {"file_path": "README.md"}),
            ("grep", {"pattern": task.grep, "output_mode": "content"}),
            ("grep", {"pattern": task.grep, "output_mode": "files_with_matches"}),
            ("read", read_args(d, task, rng)), ("glob", {"pattern": repo.test_glob}),
            ("glob", {"pattern": repo.source_glob(Path(task.file).name)})]
    calls = some(rng, pool, 2, 3)
    outs = d.calls(calls, content=one(rng, ["Reading the architecture notes and locating the code.",
                                            "Some context first.", None, "Gathering context in parallel.",
                                            "Looking around before planning."]))
    facts = [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]
    steps = [*task.plan, "Run the full test suite", "Write the commit message and open a PR"]
    steps = steps[: rng.randint(3, len(steps))]
    layout = rng.randrange(3)
    if layout == 0:
        body = one(rng, ["Plan:", "Proposed steps:", "Here's the order I'd work in:"]) + "\n" + numbered(steps)
    elif layout == 1:
        half = (len(steps) + 1) // 2
        body = ("**Phase 1 -- make it correct**\n" + numbered(steps[:half]) + "\n\n**Phase 2 -- land it safely**\n"
                + numbered(steps[half:]))
    else:
        body = ("Steps, each one commit:\n" + bullets(f"[ ] {st}" for st in steps) + "\n\n"
                + f"Done when `{task.test_name}` passes with the rest of the suite.")
    d.say(one(rng, ["What I learned:", "Context:", "Findings:", "What the code says:"]) + "\n" + bullets(facts) + "\n\n"
          + body + "\n\n"
          + one(rng, ["Shall I start with step 1?", "Each step is a small commit.", "Risks: low; the change is local.",
                      f"Main risk: other code relying on the current behaviour of `{task.file}`.",
                      f"Scope: `{task.file}` and one new test file, `{task.test_file}`.",
                      "Anything you'd reorder before I begin?"]))


REVIEW_NOTES = {
    "src/shoplite/inventory.py": ["`release` clamps with `max(0, ...)`, hiding double releases.",
                                  "`OutOfStock` keeps `sku`, `wanted` and `available`: good for API errors."],
    "src/shoplite/auth.py": ["`hmac.compare_digest` is the right constant-time comparison.",
                             "`bearer_token` compares the scheme case-sensitively; RFC 6750 says it is case-insensitive."],
    "src/shoplite/cart.py": ["Re-adding a SKU at another price silently reprices the earlier units.",
                             "`item_count` is recomputed on every `add_item`: fine for 50 items, quadratic in general."],
    "src/shoplite/orders.py": ["`place_order` does not release earlier reservations when a later one fails.",
                               "The transition table makes the lifecycle explicit and easy to test."],
    "src/shoplite/api.py": ["A missing field produces the error text `'email'` (the KeyError's repr).",
                            "Input is validated before reaching the service layer: good."],
    "src/shoplite/storage.py": ["Every query is parameterised.", "The connection is never closed; add a `close()`."],
    "src/shoplite/config.py": ["A non-numeric env var fails with a message that doesn't name the variable."],
    "src/shoplite/pricing.py": ["Pure functions on integer cents: easy to test.",
                                "Discount codes are hard-coded; expiry dates in code need a deploy to change."],
}


REVIEW_ASKS = (
    "{Can|Could|Would} you {review|look over|give a critical read to|do a code review of} `{f}`"
    "{ for me| before I merge| before the release|}?",
    "{Please|} {review|read through|critique|go over} `{f}` {for|looking for} {bugs|risky code|"
    "anything that would block a merge|correctness problems|things a reviewer would flag}.",
    "{What's|Is there anything} {wrong|risky|worth fixing|questionable} {in|with} `{f}`"
    "{?| as it stands?| in your opinion?}",
    "{I'd like|I want} {a second opinion|an honest review|a critical read|fresh eyes} on `{f}`"
    "{ before {it grows|we build on it|the release}|}.",
    "{Give|Do} `{f}` a {critical|careful|thorough|quick} {read|review|pass}{ and tell me what you'd change|, please|}.",
)
REVIEW_CONTEXT = (
    "{It's|This file is} {about to get|going to get|getting} {a lot of|more|new} {changes|traffic|callers} "
    "{next sprint|soon|this quarter}.",
    "{Nobody|No one} has {reviewed|looked at|touched} it {in months|since it was written|since the rewrite}.",
    "{I wrote it|A contractor wrote it|It was written} {in a hurry|under deadline pressure|a while ago}"
    "{ and I'm not proud of it|, so be honest|}.",
    "{Focus on|Look mostly at|Prioritise} {correctness|error handling|security|anything that could lose data}"
    "{, not style| over naming|}.",
    "{We're|I'm} {onboarding a new hire|planning a refactor|adding a feature} {there|in that module|on top of it}"
    "{ next week| soon|}.",
)


def review(rng: random.Random, d: Dialog) -> None:
    file = one(rng, list(REVIEW_NOTES))
    asked = [say(rng, one(rng, REVIEW_ASKS), f=file)]
    if rng.random() < 0.7:
        asked.insert(rng.randrange(2) if rng.random() < 0.3 else 1, pick(rng, REVIEW_CONTEXT))
    d.user(framed(rng, " ".join(asked)))
    calls = [("read", {"file_path": file})]
    if rng.random() < 0.6:
        calls.append(("grep", {"pattern": Path(file).stem, "output_mode": "files_with_matches"}))
    outs = d.calls(calls, content=one(rng, [None, "Reading the file and checking who imports it."]))
    facts = [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]
    d.say(bullets(facts) + "\n\n" + one(rng, ["Review notes:", "Comments:", "What I'd raise:"]) + "\n"
          + bullets(some(rng, REVIEW_NOTES[file], 1, 2)) + "\n\n"
          + one(rng, ["None of these block merging except correctness issues.", "I can open fixes for any of these.",
                      "Severity in order of the list."]))


EXPLORATION_ASKS = (
    "How does {t} work {in this repo|here|in this code base|end to end}?",
    "{Walk me through|Explain|Map out|Trace} the {t} {code path|flow|logic} {for me|end to end|from the entry point}"
    "{, please|}.",
    "{Where|In which files} does {t} {happen|live|get handled}{, end to end| from start to finish|}?",
    "{I need to|I have to|I'm about to} {change|extend|fix something in} the {t} {flow|code|logic} "
    "{tomorrow|this week|soon} and {want to|need to} {understand|see} how it works first.",
    "{Give me|Can I get} {a map|an overview|a tour} of {how|where} {t} {is handled|happens} {in this repo|in the code}"
    "{?|.}",
    "{Which|What} {functions|files|modules} {take part in|are involved in|handle} {t}{, and in what order|}?",
)
EXPLORATION_CONTEXT = (
    "{High level is fine|A high-level answer is fine|No need for every detail}{, just the main files|}.",
    "{I'm new to the team|I joined last week|This is my first week}{ and want to find my way around|, so assume nothing|}.",
    "{I have to|I need to|I'm supposed to} {change|extend|touch} it {tomorrow|this week|next sprint}.",
    "{The docs|The README|The wiki} {are|is} {out of date|thin|silent} on {this|that part}{, so I'd rather see the code|}.",
    "{Don't|Please don't} change anything{ yet|}{, I just want to understand it| -- reading only|}.",
)


def exploration(rng: random.Random, d: Dialog) -> None:
    topic = one(rng, [("checkout", ["handle_checkout", "place_order"]), ("pricing", ["cart_total_cents", "discount_percent"]),
                      ("shipping", ["paidOrders", "markShipped"]), ("authentication", ["bearer_token", "token_matches"]),
                      ("stock", ["reserve", "release"])])
    name, syms = topic
    asked = [say(rng, one(rng, EXPLORATION_ASKS), t=name)]
    if rng.random() < 0.7:
        asked.insert(rng.randrange(2), pick(rng, EXPLORATION_CONTEXT))
    d.user(framed(rng, " ".join(asked)))
    outs = d.calls([("glob", {"pattern": "**/*.md"}), *[("grep", {"pattern": rf"\b{s}\b", "output_mode": "content"})
                                                         for s in syms]],
                   content=one(rng, ["Exploring in parallel: docs and the key functions.", None]))
    facts = [describe(rng, d.ws, "glob", {"pattern": "**/*.md"}, outs[0])]
    facts += [describe(rng, d.ws, "grep", {"pattern": rf"\b{s}\b", "output_mode": "content"}, o)
              for s, o in zip(syms, outs[1:])]
    d.say(one(rng, ["Here's the map:", "What I found:", "The path, from the outside in:"]) + "\n" + bullets(facts)
          + "\n\n" + one(rng, ["Start reading at the first definition and follow the calls.",
                               "docs/ARCHITECTURE.md describes the same flow in prose.",
                               "I can open any of these files next."]))
