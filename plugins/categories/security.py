"""The ``security`` category: vulnerable code and its fix across Python,
TypeScript and Go -- input validation, SQL injection, XSS, auth, secrets, CORS, crypto, dependencies.
Some records audit the grounding workspace with real reads instead of pasted code."""

from __future__ import annotations

import random

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity
from factory.authoring.generator import SubcategoryGenerator, toolset_tools
from factory.authoring.idioms import IdiomPair as Pair
from factory.authoring.observe import describe
from factory.authoring.text import bullets, fence, framed, one, some
from factory.registry import Category


def input_validation(rng: random.Random) -> Pair:
    e = entity(rng)
    n = rng.choice(e.of("int") or e.fields[:1])
    hi = rng.choice([100, 500, 1000, 10_000])
    if rng.random() < 0.5:
        before = (f"def page_of_{e.plural}(params):\n    size = int(params['page_size'])\n"
                  f"    offset = int(params.get('offset', 0))\n    return size, offset\n")
        after = (f"MAX_PAGE_SIZE = {hi}\n\n\ndef page_of_{e.plural}(params: dict[str, str]) -> tuple[int, int]:\n"
                 "    try:\n        size = int(params.get(\"page_size\", \"50\"))\n"
                 "        offset = int(params.get(\"offset\", \"0\"))\n    except ValueError:\n"
                 "        raise ValueError(\"page_size and offset must be integers\") from None\n"
                 "    if not 1 <= size <= MAX_PAGE_SIZE or offset < 0:\n"
                 "        raise ValueError(f\"page_size must be 1-{MAX_PAGE_SIZE} and offset >= 0\")\n"
                 "    return size, offset\n")
        return Pair("python", "bounded, typed input", before, after, (
            f"`page_size=10000000` would make the service load the whole `{e.plural}` table: a cheap DoS.",
            "A negative offset or a non-number crashed with a 500 instead of a clear 400.",
            "Validate at the boundary, then the rest of the code can trust the values.",
            "Reject rather than silently clamp, so clients learn the limits.",
        ))
    before = (f"function set{n.pascal}(body: any): number {{\n  return body.{n.camel};\n}}\n")
    after = (f"function set{n.pascal}(body: unknown): number {{\n"
             f"  const value = (body as {{ {n.camel}?: unknown }})?.{n.camel};\n"
             f"  if (typeof value !== \"number\" || !Number.isInteger(value) || value < 0 || value > {hi}) {{\n"
             f"    throw new RangeError(\"{n.camel} must be an integer between 0 and {hi}\");\n  }}\n  return value;\n}}\n")
    return Pair("typescript", "a check of untrusted JSON at the boundary", before, after, (
        "`any` lets a string, an object or `NaN` flow into arithmetic and storage.",
        "`unknown` forces the check before use.",
        f"The bounds 0-{hi} come from the domain, not from what the client happens to send.",
    ))


def sql_injection(rng: random.Random) -> Pair:
    e = entity(rng)
    s = rng.choice(e.of("str"))
    lang = rng.choice(["python", "python", "go", "typescript"])
    if lang == "python":
        before = (f"def find_{e.plural}(conn, {s.name}):\n"
                  f"    return conn.execute(f\"SELECT * FROM {e.plural} WHERE {s.name} = '{{{s.name}}}'\").fetchall()\n")
        after = (f"import sqlite3\n\n\ndef find_{e.plural}(conn: sqlite3.Connection, {s.name}: str) -> list[tuple]:\n"
                 f"    return conn.execute(\"SELECT * FROM {e.plural} WHERE {s.name} = ?\", ({s.name},)).fetchall()\n")
    elif lang == "go":
        before = (f"package store\n\nimport (\n\t\"database/sql\"\n\t\"fmt\"\n)\n\nfunc Find{e.cls}(db *sql.DB, v string) (*sql.Rows, error) {{\n"
                  f"\treturn db.Query(fmt.Sprintf(\"SELECT * FROM {e.plural} WHERE {s.name} = '%s'\", v))\n}}\n")
        after = (f"package store\n\nimport \"database/sql\"\n\nfunc Find{e.cls}(db *sql.DB, v string) (*sql.Rows, error) {{\n"
                 f"\treturn db.Query(\"SELECT * FROM {e.plural} WHERE {s.name} = ?\", v)\n}}\n")
    else:
        before = (f"async function find{e.cls}(client: {{ query: (sql: string) => Promise<unknown> }}, v: string) {{\n"
                  f"  return client.query(`SELECT * FROM {e.plural} WHERE {s.name} = '${{v}}'`);\n}}\n")
        after = (f"interface Db {{\n  query(sql: string, params: unknown[]): Promise<unknown>;\n}}\n\n"
                 f"async function find{e.cls}(client: Db, v: string): Promise<unknown> {{\n"
                 f"  return client.query(\"SELECT * FROM {e.plural} WHERE {s.name} = $1\", [v]);\n}}\n")
    return Pair(lang, "a parameterised query", before, after, (
        f"Input like `' OR '1'='1` turns the filter on `{s.name}` into one that returns every row.",
        "With a placeholder the driver sends the value separately; it can never become SQL.",
        "Escaping by hand is not a fix: encodings and quote styles differ between databases.",
        "The same rule applies to ORDER BY and LIMIT values: allowlist identifiers, bind values.",
    ))


def xss(rng: random.Random) -> Pair:
    e = entity(rng)
    s = rng.choice(e.of("str"))
    if rng.random() < 0.5:
        before = (f"function render{e.cls}(el: HTMLElement, {s.camel}: string): void {{\n"
                  f"  el.innerHTML = \"<h2>\" + {s.camel} + \"</h2>\";\n}}\n")
        after = (f"function render{e.cls}(el: HTMLElement, {s.camel}: string): void {{\n"
                 "  const heading = document.createElement(\"h2\");\n"
                 f"  heading.textContent = {s.camel};\n  el.replaceChildren(heading);\n}}\n")
        return Pair("typescript", "textContent instead of innerHTML", before, after, (
            f"A `{s.camel}` of `<img src=x onerror=alert(1)>` runs script in every viewer's browser.",
            "`textContent` treats the value as text, never as markup.",
            "Add a Content-Security-Policy as a second layer, not as the fix.",
        ))
    before = (f"def {e.snake}_card({s.name}):\n    return '<div class=\"card\">' + {s.name} + '</div>'\n")
    after = (f"from html import escape\n\n\ndef {e.snake}_card({s.name}: str) -> str:\n"
             f"    return f'<div class=\"card\">{{escape({s.name})}}</div>'\n")
    return Pair("python", "escaping on output", before, after, (
        "String-built HTML puts user input straight into markup.",
        "`html.escape` turns `<`, `>`, `&` and quotes into entities.",
        "Better still: a template engine with autoescaping on (Jinja2's `autoescape=True`).",
    ))


def auth(rng: random.Random) -> Pair:
    e = entity(rng)
    if rng.random() < 0.5:
        before = (f"def get_{e.snake}(db, current_user, {e.snake}_id):\n    return db.get_{e.snake}({e.snake}_id)\n")
        after = (f"class NotFound(Exception):\n    pass\n\n\ndef get_{e.snake}(db, current_user, {e.snake}_id: int):\n"
                 f"    {e.snake} = db.get_{e.snake}({e.snake}_id)\n"
                 f"    if {e.snake} is None or {e.snake}.owner_id != current_user.id:\n"
                 f"        raise NotFound(f\"{e.snake} {{{e.snake}_id}}\")\n    return {e.snake}\n")
        return Pair("python", "an ownership check (IDOR)", before, after, (
            f"Any logged-in user could read any {e.snake} by changing the id in the URL.",
            "Authentication says who you are; this check is the authorisation.",
            "Answer 404 rather than 403, so ids of other users' records are not confirmed.",
        ))
    before = ("def check_api_key(presented, expected):\n    return presented == expected\n")
    after = ("import hmac\n\n\ndef check_api_key(presented: str, expected: str) -> bool:\n"
             "    return hmac.compare_digest(presented.encode(), expected.encode())\n")
    return Pair("python", "constant-time comparison", before, after, (
        "`==` stops at the first differing byte; timing reveals how much of a guess was right.",
        "`hmac.compare_digest` takes the same time regardless of where the inputs differ.",
        "Store a hash of the key, not the key, so a database leak does not leak credentials.",
    ))


def secrets_(rng: random.Random) -> Pair:
    e = entity(rng)
    service = rng.choice(["STRIPE", "SENDGRID", "MAPBOX", "TWILIO", "OPENWEATHER"])
    before = (f"import requests\n\nAPI_KEY = 'sk_live_do_not_commit_0000'\n\n\ndef sync_{e.plural}():\n"
              f"    return requests.get('https://api.example.com/{e.plural}', headers={{'Authorization': API_KEY}})\n")
    after = ("import os\n\nimport requests\n\n\n"
             f"def sync_{e.plural}() -> requests.Response:\n    api_key = os.environ[\"{service}_API_KEY\"]\n"
             f"    return requests.get(\n        \"https://api.example.com/{e.plural}\",\n"
             "        headers={\"Authorization\": f\"Bearer {api_key}\"},\n        timeout=10,\n    )\n")
    return Pair("python", "secrets from the environment", before, after, (
        "A key committed once stays in git history: rotate it now, then remove it from the code.",
        f"`os.environ[\"{service}_API_KEY\"]` fails loudly at start-up when the key is missing.",
        "Add a secret scanner (gitleaks, detect-secrets) as a pre-commit hook.",
        "`timeout=10` stops one slow upstream from hanging the worker.",
    ))


def cors(rng: random.Random) -> Pair:
    origins = rng.sample(["https://app.example.com", "https://admin.example.com", "https://shop.example.org"], 2)
    before = ("def cors_headers(request_origin):\n    return {\n        'Access-Control-Allow-Origin': '*',\n"
              "        'Access-Control-Allow-Credentials': 'true',\n    }\n")
    allowed = ", ".join(f'"{o}"' for o in origins)
    after = (f"ALLOWED_ORIGINS = frozenset({{{allowed}}})\n\n\n"
             "def cors_headers(request_origin: str | None) -> dict[str, str]:\n"
             "    if request_origin not in ALLOWED_ORIGINS:\n        return {}\n    return {\n"
             "        \"Access-Control-Allow-Origin\": request_origin,\n"
             "        \"Access-Control-Allow-Credentials\": \"true\",\n        \"Vary\": \"Origin\",\n    }\n")
    return Pair("python", "an origin allowlist", before, after, (
        "`*` with credentials is rejected by browsers, and teams then 'fix' it by echoing any origin.",
        "Echo the origin only if it is on the allowlist.",
        "`Vary: Origin` stops caches from serving one origin's response to another.",
    ))


def crypto(rng: random.Random) -> Pair:
    if rng.random() < 0.5:
        before = ("import hashlib\n\n\ndef hash_password(password):\n    return hashlib.md5(password.encode()).hexdigest()\n")
        n = rng.choice([2**14, 2**15])
        after = ("import hashlib\nimport hmac\nimport os\n\n\n"
                 "def hash_password(password: str) -> str:\n    salt = os.urandom(16)\n"
                 f"    digest = hashlib.scrypt(password.encode(), salt=salt, n={n}, r=8, p=1)\n"
                 "    return salt.hex() + \":\" + digest.hex()\n\n\n"
                 "def verify_password(password: str, stored: str) -> bool:\n    salt_hex, digest_hex = stored.split(\":\")\n"
                 f"    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n={n}, r=8, p=1)\n"
                 "    return hmac.compare_digest(digest.hex(), digest_hex)\n")
        return Pair("python", "a slow, salted password hash", before, after, (
            "MD5 is fast: a GPU tries billions of guesses per second against leaked hashes.",
            "scrypt is deliberately slow and memory-hard; the per-user salt defeats rainbow tables.",
            "Verification uses a constant-time comparison.",
        ))
    before = ("import random\nimport string\n\n\ndef reset_token():\n"
              "    return ''.join(random.choice(string.ascii_letters) for _ in range(20))\n")
    after = ("import secrets\n\n\ndef reset_token() -> str:\n    return secrets.token_urlsafe(32)\n")
    return Pair("python", "the secrets module for tokens", before, after, (
        "`random` is a Mersenne Twister: its output can be predicted from earlier outputs.",
        "`secrets.token_urlsafe(32)` draws 256 bits from the OS CSPRNG.",
        "Give reset tokens a short expiry and make them single-use.",
    ))


def dependencies(rng: random.Random) -> Pair:
    eco = rng.choice([
        ("python", "requirements.txt", "pip-audit -r requirements.txt", "pip install --upgrade"),
        ("typescript", "package.json", "npm audit --omit=dev", "npm update"),
        ("rust", "Cargo.toml", "cargo audit", "cargo update -p"),
        ("go", "go.mod", "govulncheck ./...", "go get -u"),
    ])
    return Pair("text", eco[1], eco[2], eco[3], (eco[0],))


def _audit(rng, d: Dialog) -> None:
    target = one(rng, [("src/shoplite/storage.py", "SQL injection", r"execute\(", "parameter"),
                       ("src/shoplite/auth.py", "timing attacks on token checks", "compare_digest", "constant-time"),
                       ("src/shoplite/api.py", "missing input validation", "parse_quantity", "bounds"),
                       ("worker/main.go", "SQL injection", "Query|Exec", "placeholder"),
                       ("src/shoplite/auth.py", "weak token hashing", "pbkdf2_hmac", "key derivation"),
                       ("web/src/client.ts", "XSS through innerHTML", "innerHTML|outerHTML", "DOM sink"),
                       ("src/shoplite/config.py", "an over-broad CORS allow-list", "ALLOWED_ORIGINS", "origin")])
    path, risk, pattern, _ = target
    d.user(one(rng, ["Can you check `{p}` for {r}?", "Audit `{p}`: any {r} risk?", "Is `{p}` safe against {r}?",
                     "Security pass on `{p}`, looking for {r}.", "Quick audit: {r} in `{p}`?"])
           .format(p=path, r=risk))
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
ASKS = ["Is this code secure?", "Security review, please.", "What's wrong with this from a security standpoint?",
        "Could this be exploited? Fix it if so.", "Pentest flagged this. Explain and fix.",
        "Before we ship: any vulnerabilities here?"]
CONTEXT = ["", "This is in our {domain} API. ", "Public endpoint. ", "Internal admin tool, but still: ",
           "From a {domain} service. "]
SEVERITY = ["Severity: high.", "Severity: medium, but cheap to fix.", "This is exploitable as written.",
            "Worth fixing before release.", ""]
# Why code that already does the right thing is fine, by the safeguard it uses. A share of the records
# shows the safe version, so a model learns to tell safe code from vulnerable code, not to flag everything.
SAFE_NOTES = {
    "bounded, typed input": ("The values are parsed and bounds-checked at the boundary, before anything uses them.",
                             "A bad value raises a clear error instead of reaching the database.",
                             "The limit is a named constant, so it is easy to review and change."),
    "a check of untrusted JSON at the boundary": ("The body is typed `unknown`, so nothing uses it before the check.",
                                                "The value must be an integer inside the allowed range, or it is rejected."),
    "a parameterised query": ("The value is bound as a query parameter, so it can never become SQL.",
                              "The table and column names are fixed in the code, not taken from input."),
    "textContent instead of innerHTML": ("The value goes in through `textContent`, so it is text, never markup.",
                                         "Nothing is concatenated into HTML."),
    "escaping on output": ("`html.escape` runs on the value before it is put into the markup.",
                           "Quotes are escaped too, so the value cannot break out of an attribute."),
    "an ownership check (IDOR)": ("The record is checked against the current user before it is returned.",
                                  "A record that belongs to someone else gets the same answer as one that does not exist."),
    "constant-time comparison": ("`hmac.compare_digest` takes the same time wherever the inputs differ.",
                                 "Both sides are compared as bytes."),
    "secrets from the environment": ("The key comes from the environment, not from the source code.",
                                     "A missing key fails loudly at start-up.", "The request has a timeout."),
    "an origin allowlist": ("Only allowlisted origins are echoed back; any other origin gets no CORS headers.",
                            "`Vary: Origin` keeps caches from mixing responses between origins."),
    "a slow, salted password hash": ("scrypt is slow and memory-hard, and every password gets its own random salt.",
                                     "Verification uses a constant-time comparison."),
    "the secrets module for tokens": ("`secrets.token_urlsafe` draws from the operating system's secure random source.",
                                      "32 bytes of randomness is far beyond guessing."),
}
SAFE_SHARE = 0.3
SAFE_OPENERS = ("No -- this is fine as written: it already uses {t}.", "This one is safe: it uses {t}.",
                "I don't see a vulnerability here. It uses {t}.", "Looks secure to me: {t} is already in place.")
SAFE_KEEP = ("Keep it that way with a regression test.", "Nothing to change.", "I'd leave it as is.",
             "If you change it later, keep this safeguard in place.", "")


def _code_builder(kind: str):
    def build(rng, d: Dialog) -> None:
        if kind in ("sql_injection", "auth", "input_validation") and rng.random() < 0.15:
            _audit(rng, d)
            return
        pair = CODE_BUILDERS[kind](rng)
        domain = rng.choice(["payments", "booking", "HR", "logistics", "healthcare", "retail"])
        if rng.random() < SAFE_SHARE:  # the code shown is the safe version: say so, change nothing
            d.user(framed(rng, one(rng, CONTEXT).format(domain=domain) + one(rng, ASKS)) + "\n\n"
                   + fence(pair.lang, pair.after))
            notes = some(rng, SAFE_NOTES[pair.title], 1, len(SAFE_NOTES[pair.title]))
            d.say(one(rng, SAFE_OPENERS).format(t=pair.title) + "\n\n" + bullets(notes) + "\n\n"
                  + one(rng, SAFE_KEEP))
            return
        d.user(framed(rng, one(rng, CONTEXT).format(domain=domain) + one(rng, ASKS)) + "\n\n"
               + fence(pair.lang, pair.before))
        pts = some(rng, pair.points, 2, len(pair.points))
        d.say("\n\n".join(p for p in [f"Yes -- this needs {pair.title}. " + one(rng, SEVERITY),
                                      fence(pair.lang, pair.after), bullets(pts)] if p.strip()))

    return build


def dependencies_builder(rng, d: Dialog) -> None:
    pair = dependencies(rng)
    lang = pair.points[0]
    pkg = rng.choice(["an old YAML parser", "a logging library", "an HTTP client", "a JWT library", "a zip extractor"])
    d.user(one(rng, ["How do I know if our {m} pulls in vulnerable packages?",
                     "We depend on {p}. How do we check it (and everything else in {m}) for known CVEs?",
                     "Set up dependency scanning for {m}."]).format(m=pair.title, p=pkg) + one(rng, [
                         "", " We deploy weekly.", " Open source project, no budget.", " Compliance asks for it.",
                         " We got burned by a CVE last month."]))
    steps = [f"Run `{pair.before}` locally and in CI; fail the build on known vulnerabilities.",
             "Pin versions with a lock file so builds are reproducible and audits mean something.",
             f"Upgrade flagged packages (`{pair.after} ...`), then run the test suite.",
             "Enable Dependabot or Renovate so fixes arrive as small pull requests.",
             "Remove dependencies you no longer use: less code, fewer advisories.",
             "Check licences at the same time if you ship binaries."]
    d.say(one(rng, [f"For a {lang} project:", "Here's a setup that catches known vulnerabilities:",
                    "Three layers: audit, pin, update."]) + "\n\n" + "\n".join(
        f"{i}. {s}" for i, s in enumerate(some(rng, steps, 3, 5), 1)) + "\n\n" + fence("bash", pair.before))


GENERATOR = SubcategoryGenerator({**{k: _code_builder(k) for k in CODE_BUILDERS}, "dependencies": dependencies_builder},
                             tools=toolset_tools(("continue", "read_file"), ("continue", "grep_search")))


@hookimpl
def register_categories(register):
    register(Category(name="security", spec_path=spec_path("security"), generator=GENERATOR,
                      description="Vulnerabilities and their fixes"))
