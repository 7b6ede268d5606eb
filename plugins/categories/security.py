"""The ``security`` category: vulnerable code and its fix across Python,
TypeScript and Go -- input validation, SQL injection, XSS, auth, secrets, CORS, crypto, dependencies.
Some records audit the grounding workspace with real reads instead of pasted code.

Each subcategory has several distinct snippets (a different weakness, language or API each), and a
share of the reviews shows the already-safe version, so a model learns to tell safe code from
vulnerable code, not to flag everything. Requests are phrase grammars
(:mod:`factory.authoring.phrasing`): where the code runs, what it does, and the ask, put many ways."""

from __future__ import annotations

import random

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.dialog import Dialog
from factory.authoring.generator import SubcategoryGenerator, toolset_tools
from factory.authoring.observe import describe
from factory.authoring.phrasing import expand, pick
from factory.authoring.text import bullets, fence, one, some
from factory.plugins.categories._security_cases import (
    Case,
    auth,
    cors,
    crypto,
    dependencies,
    input_validation,
    secrets_,
    sql_injection,
    xss,
)
from factory.registry import Category

CONTEXT = (
    "{This is|This comes|It's} from our {domain} {API|service|backend|app}.",
    "{It's|This sits behind} {a public|an internal|a customer-facing|a partner-facing} endpoint"
    "{ in the {domain} service| of our {domain} API|}.",
    "{It's only used in|This lives in} an internal {domain} admin tool, but {I'd still like it checked|we still "
    "care about security|I don't want surprises}.",
    "{We're about to|We plan to} {expose|open} this {to the internet|to partners|to mobile clients}"
    "{ next sprint| next week|}.",
    "{Our|The} {domain} team {wrote this {last sprint|in a hurry|years ago}|inherited this {last year|from "
    "another team}}.",
    "{It|This code} {handles|processes} {user input|requests from the browser|data that customers send us}"
    "{ in the {domain} app|}.",
    "{We're preparing for|We have} {a SOC 2 audit|a pentest|an external security review|a compliance review} "
    "{next month|soon|in two weeks}.",
    "{I'm|We're} {hardening|cleaning up|reviewing} the {domain} {service|codebase|backend} {before launch|this "
    "sprint|ahead of an audit}.",
    "{This|The snippet below} {came up in|showed up in|was flagged in} {code review|a PR review|our bug bounty "
    "triage}.",
    "{Nobody|No one} on the team has {looked at|reviewed} this {for security|with security in mind} "
    "{yet|since it was written}.",
)
ASKS = (
    "Is {this code|this snippet|this function|the code below} {secure|safe}"
    "{ enough to ship| enough to merge| as written|}?",
    "{Can you|Could you} {do|give this} a {quick |careful |}security review{ before I merge| before it ships|}?",
    "{Please |}{review|check} {this|the code below} for security {problems|issues|holes}{ before I merge|}.",
    "What's wrong with this from a security {standpoint|point of view|perspective}{, if anything|}?",
    "Could {this|this code} be exploited? {Fix it if so.|If so, show me the fix.|If yes, patch it.}",
    "{Our pentest|A pentester|The security scanner|Our SAST tool} flagged {this|this function|this code}"
    "{ last week| in the last scan|}. {Explain it and fix it.|Is it a real problem, and how do I fix it?|"
    "Real issue or false positive?}",
    "{Before we ship|Before this goes out|Before I merge this}, {are there|do you see} any vulnerabilities"
    "{ here| in it|}?",
    "{I'm not sure|I can't tell} {whether|if} this is {safe|exploitable}; {can you check|could you take a "
    "look|what do you think}?",
    "{Would|Will} this {pass|survive} a security {audit|review}{ as written|}?{ If not, fix it.| If not, what "
    "needs to change?|}",
    "{Review|Audit|Check} {this|the snippet below|this function} for {vulnerabilities|security bugs|anything an "
    "attacker could abuse}{ and fix what you find| and suggest a fix|}.",
    "{Is there|Do you see} {a security hole|a vulnerability|any vulnerability|anything exploitable} in "
    "{this|the code below|this function}?",
    "{A teammate|A new hire|A contractor|An intern} wrote this{ for the {domain} service|}; {is it safe|is it "
    "secure|does it hold up security-wise}?",
    "{How would an attacker|Could an attacker} {abuse|exploit|misuse} this{, and how do I stop it|}?",
)
DOMAINS = ("payments", "booking", "HR", "logistics", "healthcare", "retail", "billing", "shipping", "support",
           "inventory")
# How a request ends (the shared closers of text.py read oddly in places, so the reviews have their own).
CLOSERS = ("", "", "", "Thanks!", "{Keep it|Please keep it} {brief|short}.", "{More detail|Depth} is welcome.",
           "No rush{, really| at all|}.", "{Please be|Be} {concrete|specific}.",
           "{Bullet points are|A short list is} {fine|enough}.", "{Assume|You can assume} I know the basics.",
           "{I'll share this with|I'll forward your answer to} the {team|reviewers}{ afterwards|}.",
           "{I'd like|I want} {the reasoning|your reasoning} {too|as well}.",
           "{I have to|I'll need to} {explain|justify} {it|the answer} to {my lead|the team|our CTO}{ afterwards|}.")
SEVERITY = ("{Severity|Risk}: {high|critical}.", "{Severity|Risk}: medium, but cheap to fix.",
            "This is exploitable as written.", "{Worth fixing|Fix this} before {release|the next deploy|it ships}.",
            "{An attacker needs nothing but|All it takes is} a crafted request.", "", "")
FIX_LEADS = ("", "", "Fixed version:", "Here's the fix:", "The safe version:", "Rewritten:")
WHY_LEADS = ("", "", "Why:", "What changed and why:", "Notes:")
SAFE_SHARE = 0.3
# The verdict comes first and never as a bare "yes" or "no": the asks are questions of either polarity
# ("Is this safe?", "Is there a hole?") and commands ("Review this"), and a yes or no would answer some wrongly.
VULN_OPENERS = ("This needs {t}.", "{This code|This function|It} {needs|is missing} {t}.",
                "There's a real problem here: it needs {t}.", "{This is|It's} vulnerable: it needs {t}.",
                "{Not safe as written|Not as written}: it needs {t}.")
SAFE_OPENERS = ("This is fine as written: it already uses {t}.", "This one is safe: it uses {t}.",
                "I don't see a vulnerability here. It uses {t}.", "Looks secure to me: the code already has {t}.",
                "Nothing to fix: the code already relies on {t}.",
                "{It's|This is} {safe|fine} as it stands: the risk is {covered|handled} by {t}.")
SAFE_KEEP = ("Keep it that way with a regression test.", "Nothing to change.", "I'd leave it as is.",
             "If you change it later, keep this safeguard in place.",
             "{A test that pins this behaviour|A regression test} would keep it from slipping later.", "")


def _request(rng: random.Random, case: Case, code: str) -> str:
    """The review request: where the code runs, what it does and the ask -- in varying order, each
    a phrase grammar -- with the code before or after the words."""
    domain = one(rng, DOMAINS)
    ask = pick(rng, ASKS).replace("{domain}", domain)
    words = [ask]
    if case.about and rng.random() < 0.5:
        words.insert(0 if rng.random() < 0.7 else 1, expand(rng, case.about))
    if rng.random() < 0.6:
        words.insert(0 if rng.random() < 0.75 else len(words), pick(rng, CONTEXT).replace("{domain}", domain))
    closer = pick(rng, CLOSERS)
    if closer:
        words.append(closer)
    text = " ".join(words)
    if rng.random() < 0.2:  # the code pasted first, the question under it
        return fence(case.lang, code) + "\n\n" + text
    return text + "\n\n" + fence(case.lang, code)


def _review(rng: random.Random, d: Dialog, case: Case) -> None:
    if rng.random() < SAFE_SHARE:  # the code shown is the safe version: say so, change nothing
        d.user(_request(rng, case, case.after))
        notes = some(rng, case.safe, 1, len(case.safe))
        d.say(pick(rng, SAFE_OPENERS).format(t=case.title) + "\n\n" + bullets(notes) + "\n\n" + pick(rng, SAFE_KEEP))
        return
    d.user(_request(rng, case, case.before))
    pts = some(rng, case.points, 2, len(case.points))
    head = pick(rng, VULN_OPENERS).format(t=case.title) + " " + pick(rng, SEVERITY)
    fix = "\n\n".join(p for p in (pick(rng, FIX_LEADS), fence(case.lang, case.after)) if p)
    why = "\n\n".join(p for p in (pick(rng, WHY_LEADS), bullets(pts)) if p)
    body = [fix, why] if rng.random() < 0.7 else [why, fix]
    d.say("\n\n".join([head.strip(), *body]))


# -- audits of the workspace ---------------------------------------------------------------------------------
AUDIT_TARGETS = (("src/shoplite/storage.py", "SQL injection", r"execute\(", "parameter"),
                 ("src/shoplite/auth.py", "timing attacks on token checks", "compare_digest", "constant-time"),
                 ("src/shoplite/api.py", "missing input validation", "parse_quantity", "bounds"),
                 ("worker/main.go", "SQL injection", "Query|Exec", "placeholder"),
                 ("src/shoplite/auth.py", "weak token hashing", "pbkdf2_hmac", "key derivation"),
                 ("web/src/client.ts", "XSS through innerHTML", "innerHTML|outerHTML", "DOM sink"),
                 ("src/shoplite/config.py", "an over-broad CORS allow-list", "ALLOWED_ORIGINS", "origin"))
AUDIT_ASKS = (
    "{Can you|Could you|Please} check {p} for {r}{ before the release| before I sign off|}{?|.}",
    "{Audit|Review} {p}: {is there|do you see} any {r} risk{ in there| left|}?",
    "Is {p} {safe against|protected from|hardened against} {r}{ as it stands| today|}?",
    "{Do a|Run a} {quick |}security pass on {p}, looking for {r}{ in particular|}.",
    "{I need to know|Tell me} whether {p} is open to {r}.",
    "{The auditors|Our security team|Compliance} {asked|would like to know} {whether|if} {p} {has|could have} "
    "{r} {issues|problems}. {Can you check|Could you look}?",
    "{Go through|Read through|Look over} {p} and {tell me|let me know} if {r} {is a concern|is possible there}.",
    "{We had|There was} {a bug|an incident} involving {r} {in another service|elsewhere} last {month|quarter}; {is|could} "
    "{p} {be affected|have the same problem}?",
)


def _audit(rng, d: Dialog) -> None:
    path, risk, pattern, _ = one(rng, AUDIT_TARGETS)
    d.user(pick(rng, AUDIT_ASKS).replace("{p}", f"`{path}`").replace("{r}", risk))
    # Half the audits search first and read only the hits' file when the search alone can't settle it.
    calls = [("read_file", {"filepath": path}), ("grep_search", {"query": pattern})]
    if rng.random() < 0.4 and path != "web/src/client.ts":  # no hits there: the read is the evidence
        calls = calls[1:] + (calls[:1] if rng.random() < 0.5 else [])
    outs = d.calls(calls, content=one(rng, ["Reading the file and searching for the relevant calls together.",
                                            f"Searching for `{pattern}` and the code around it.", None,
                                            "Looking at the code before judging it."]))
    facts = [describe(rng, d.ws, n, a, o) for (n, a), o in zip(calls, outs)]
    d.say(bullets(facts) + "\n\n" + one(rng, [
        f"Every matching call in `{path}` uses the safe form, so I see no {risk} here.",
        f"I found no {risk} in `{path}`: the relevant calls are the safe variants.",
        f"Verdict for `{path}`: no {risk} found.",
        f"Nothing exploitable for {risk} in `{path}` as it stands.",
    ]) + " " + one(rng, ["Keep it that way with a test or a lint rule.", "Worth re-checking when new queries are added.",
                         "The remaining risk is in callers, not this file.", "An automated check in CI would keep it so.",
                         ""]))


CODE_BUILDERS = {"input_validation": input_validation, "sql_injection": sql_injection, "xss": xss, "auth": auth,
                 "secrets": secrets_, "cors": cors, "crypto": crypto}


def _code_builder(kind: str):
    def build(rng, d: Dialog) -> None:
        if kind in ("sql_injection", "auth", "input_validation") and rng.random() < 0.15:
            _audit(rng, d)
            return
        _review(rng, d, CODE_BUILDERS[kind](rng))

    return build


DEPENDENCY_ASKS = (
    "How do {I|we} {know|find out} if {our|the} {m} pulls in {vulnerable packages|anything with a known CVE}?",
    "We depend on {p}. How do we check it (and everything else in {m}) for known {CVEs|vulnerabilities}?",
    "{Set up|Help me set up|What's the simplest way to set up} dependency scanning for {m}{?|.}",
    "{Is there a way to|How can we} {catch|find out about} {known vulnerabilities|security advisories} in "
    "{m} {automatically|before they reach production}?",
    "{Our|The} {m} {has grown to|lists} {dozens of|a lot of} packages{ over the years|}; how do we {keep "
    "them patched|stay on top of CVEs in them}?",
    "{What's|What is} a {sane|sensible|low-effort} process for {auditing|checking} {m} for {known CVEs|"
    "vulnerable versions}?",
    "{Someone asked|Our CTO asked|A customer asked} whether {p} in {m} has known vulnerabilities. How do we "
    "{check that|answer that}{ properly| with confidence|}?",
)
DEPENDENCY_WHY = ("", "", "We deploy weekly.", "Open source project, no budget.", "Compliance asks for it.",
                  "We got burned by a CVE last month.", "{We ship|We deploy} {every day|several times a week}.",
                  "{Nobody|No one} owns {dependency updates|upgrades} {right now|on the team}.",
                  "{A customer's|Our biggest client's} security questionnaire asks about it.")


def dependencies_builder(rng, d: Dialog) -> None:
    lang, manifest, audit, upgrade = dependencies(rng)
    pkg = rng.choice(["an old YAML parser", "a logging library", "an HTTP client", "a JWT library", "a zip extractor"])
    ask = pick(rng, DEPENDENCY_ASKS)
    ask = ask.replace("{m}", manifest).replace("{p}", pkg)
    d.user(" ".join(p for p in (ask, pick(rng, DEPENDENCY_WHY)) if p))
    steps = [f"Run `{audit}` locally and in CI; fail the build on known vulnerabilities.",
             "Pin versions with a lock file so builds are reproducible and audits mean something.",
             f"Upgrade flagged packages (`{upgrade} ...`), then run the test suite.",
             "Enable Dependabot or Renovate so fixes arrive as small pull requests.",
             "Remove dependencies you no longer use: less code, fewer advisories.",
             "Check licences at the same time if you ship binaries."]
    d.say(one(rng, [f"For a {lang} project:", "Here's a setup that catches known vulnerabilities:",
                    "Three layers: audit, pin, update."]) + "\n\n" + "\n".join(
        f"{i}. {s}" for i, s in enumerate(some(rng, steps, 3, 5), 1)) + "\n\n" + fence("bash", audit))


GENERATOR = SubcategoryGenerator({**{k: _code_builder(k) for k in CODE_BUILDERS}, "dependencies": dependencies_builder},
                             tools=toolset_tools(("continue", "read_file"), ("continue", "grep_search")))


@hookimpl
def register_categories(register):
    register(Category(name="security", spec_path=spec_path("security"), generator=GENERATOR,
                      description="Vulnerabilities and their fixes"))
