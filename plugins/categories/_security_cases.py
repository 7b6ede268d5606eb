"""The ``security`` category's code cases: for each subcategory, snippets of vulnerable code and their
fixes across Python, TypeScript and Go (a different weakness, language or API each), and the
dependency-upgrade cases. The category's requests, reviews and audits are in ``security``."""

from __future__ import annotations

import random
from dataclasses import dataclass

from factory.authoring.entities import entity
from factory.authoring.text import one


@dataclass(frozen=True)
class Case:
    """One snippet under review: the vulnerable and the fixed version, why the fix matters (``points``),
    why the fixed version is fine when it is the one shown (``safe``), and what the code does, as the
    user would say it (``about``, a phrase grammar, true of both versions)."""

    lang: str
    title: str
    before: str
    after: str
    points: tuple[str, ...]
    safe: tuple[str, ...]
    about: str = ""


def _noun(e) -> str:
    return e.snake.replace("_", " ")


def _a(e) -> str:
    """The entity with its indefinite article: "an invoice", "a ticket"."""
    return ("an " if e.snake[0] in "aeiou" else "a ") + _noun(e)


# -- input validation -------------------------------------------------------------------------------
def input_validation(rng: random.Random) -> Case:
    e = entity(rng)
    hi = rng.choice([100, 500, 1000, 10_000])
    kind = rng.randrange(6)
    if kind == 0:
        before = (f"def page_of_{e.plural}(params):\n    size = int(params['page_size'])\n"
                  f"    offset = int(params.get('offset', 0))\n    return size, offset\n")
        after = (f"MAX_PAGE_SIZE = {hi}\n\n\ndef page_of_{e.plural}(params: dict[str, str]) -> tuple[int, int]:\n"
                 "    try:\n        size = int(params.get(\"page_size\", \"50\"))\n"
                 "        offset = int(params.get(\"offset\", \"0\"))\n    except ValueError:\n"
                 "        raise ValueError(\"page_size and offset must be integers\") from None\n"
                 "    if not 1 <= size <= MAX_PAGE_SIZE or offset < 0:\n"
                 "        raise ValueError(f\"page_size must be 1-{MAX_PAGE_SIZE} and offset >= 0\")\n"
                 "    return size, offset\n")
        return Case("python", "bounded, typed input", before, after, (
            f"`page_size=10000000` would make the service load the whole `{e.plural}` table: a cheap DoS.",
            "A negative offset or a non-number crashed with a 500 instead of a clear 400.",
            "Validate at the boundary, then the rest of the code can trust the values.",
            "Reject rather than silently clamp, so clients learn the limits.",
        ), ("The values are parsed and bounds-checked at the boundary, before anything uses them.",
            "A bad value raises a clear error instead of reaching the database.",
            "The limit is a named constant, so it is easy to review and change."),
            "{It|This function} {reads|takes|parses} the page size and offset {from|out of} the query string"
            "{ for the {e} list| before we query the {e} table|}.".replace("{e}", e.plural.replace("_", " ")))
    if kind == 1:
        n = rng.choice(e.of("int") or e.fields[:1])
        before = (f"function set{n.pascal}(body: any): number {{\n  return body.{n.camel};\n}}\n")
        after = (f"function set{n.pascal}(body: unknown): number {{\n"
                 f"  const value = (body as {{ {n.camel}?: unknown }})?.{n.camel};\n"
                 f"  if (typeof value !== \"number\" || !Number.isInteger(value) || value < 0 || value > {hi}) {{\n"
                 f"    throw new RangeError(\"{n.camel} must be an integer between 0 and {hi}\");\n  }}\n"
                 "  return value;\n}\n")
        return Case("typescript", "a check of untrusted JSON at the boundary", before, after, (
            "`any` lets a string, an object or `NaN` flow into arithmetic and storage.",
            "`unknown` forces the check before use.",
            f"The bounds 0-{hi} come from the domain, not from what the client happens to send.",
        ), ("The body is typed `unknown`, so nothing uses it before the check.",
            "The value must be an integer inside the allowed range, or it is rejected."),
            "{It|This handler code} {pulls|takes|reads} {one number|a single numeric field} {out of|from} the "
            "JSON {body|payload} {the client sends|of the request|that the browser posts}.")
    if kind == 2:
        before = ("import os\n\nEXPORT_DIR = '/srv/exports'\n\n\n"
                  f"def read_{e.snake}_export(name):\n    with open(os.path.join(EXPORT_DIR, name), 'rb') as fh:\n"
                  "        return fh.read()\n")
        after = ("from pathlib import Path\n\nEXPORT_DIR = Path(\"/srv/exports\").resolve()\n\n\n"
                 f"def read_{e.snake}_export(name: str) -> bytes:\n    path = (EXPORT_DIR / name).resolve()\n"
                 "    if not path.is_relative_to(EXPORT_DIR):\n"
                 "        raise PermissionError(f\"{name!r} is outside the export directory\")\n"
                 "    return path.read_bytes()\n")
        return Case("python", "a path confined to its directory", before, after, (
            "A name like `../../etc/passwd` walks out of the export directory: path traversal.",
            "`os.path.join` also discards the directory entirely when `name` is an absolute path.",
            "Resolving the path and checking `is_relative_to` catches `..`, absolute paths and symlinks.",
            "Better still, look exports up by an id and never take a file name from the client.",
        ), ("The requested path is resolved first, so `..` segments and symlinks are followed before the check.",
            "Anything that resolves outside the export directory is refused.",
            "An absolute name cannot escape either: it resolves outside the directory and is refused."),
            "{It|This helper} {serves|returns} {an export file|a downloaded file|the {e} export} {by|given} the "
            "{file name|name} {in the URL|the user asked for|from the download link}.".replace(
                "{e}", e.snake.replace("_", " ")))
    if kind == 3:
        before = ("def redirect_target(params):\n    return params.get('next', '/')\n")
        after = ("from urllib.parse import urlsplit\n\n\n"
                 "def redirect_target(params: dict[str, str]) -> str:\n    target = params.get(\"next\", \"/\")\n"
                 "    parts = urlsplit(target)\n"
                 "    if parts.scheme or parts.netloc or not target.startswith(\"/\") or target.startswith(\"//\"):\n"
                 "        return \"/\"\n    return target\n")
        return Case("python", "a same-site redirect target", before, after, (
            "`?next=https://evil.example` sends users from your login page to a phishing site: an open redirect.",
            "`//evil.example` is a protocol-relative URL, so a plain `startswith('/')` check is not enough.",
            "Only local paths are accepted; anything else falls back to `/`.",
        ), ("Only paths on this site are accepted: no scheme, no host, no `//` prefix.",
            "Anything else falls back to the home page instead of failing.",
            "A protocol-relative `//host` URL is caught explicitly."),
            "{After login|Once the user signs in|After sign-in}, we {redirect|send} {them|the user} to "
            "{the `next` parameter|whatever `next` says|the page in `next`}.")
    if kind == 4:
        before = ("package api\n\nimport (\n    \"net/http\"\n    \"strconv\"\n)\n\n"
                  "func quantity(r *http.Request) int {\n    n, _ := strconv.Atoi(r.URL.Query().Get(\"qty\"))\n"
                  "    return n\n}\n")
        after = (f"package api\n\nimport (\n    \"fmt\"\n    \"net/http\"\n    \"strconv\"\n)\n\nconst maxQuantity = {hi}\n\n"
                 "func quantity(r *http.Request) (int, error) {\n"
                 "    n, err := strconv.Atoi(r.URL.Query().Get(\"qty\"))\n    if err != nil {\n"
                 "        return 0, fmt.Errorf(\"qty must be a whole number: %w\", err)\n    }\n"
                 "    if n < 1 || n > maxQuantity {\n"
                 "        return 0, fmt.Errorf(\"qty must be between 1 and %d\", maxQuantity)\n    }\n"
                 "    return n, nil\n}\n")
        return Case("go", "a checked, bounded quantity", before, after, (
            "The ignored error turns `qty=abc` into 0, which later code treats as a real quantity.",
            "A negative quantity can turn a charge into a refund further down the line.",
            f"The upper bound ({hi}) stops one request from reserving the whole stock.",
            "Returning the error lets the handler answer 400 with a clear message.",
        ), ("The parse error is returned, not ignored, so `qty=abc` never becomes 0.",
            "Quantities outside 1 to the named maximum are refused.",
            "The caller gets an error it can turn into a 400."),
            "{It|This function} {reads|parses} the {quantity|`qty` parameter} {from|out of} the query string"
            "{ when someone orders {an}| for the {e} order form|}.".replace("{an}", _a(e)).replace("{e}", _noun(e)))
    limit = rng.choice([1, 5, 10, 25])
    before = (f"def save_{e.snake}_attachment(upload, dest):\n    data = upload.read()\n"
              "    with open(dest, 'wb') as fh:\n        fh.write(data)\n")
    after = (f"MAX_UPLOAD_BYTES = {limit} * 1024 * 1024\n\n\ndef save_{e.snake}_attachment(upload, dest: str) -> int:\n"
             "    data = upload.read(MAX_UPLOAD_BYTES + 1)\n    if len(data) > MAX_UPLOAD_BYTES:\n"
             f"        raise ValueError(\"attachments are limited to {limit} MiB\")\n"
             "    with open(dest, \"wb\") as fh:\n        fh.write(data)\n    return len(data)\n")
    return Case("python", "a size limit on uploads", before, after, (
        "`upload.read()` with no limit reads whatever the client sends into memory: a few large uploads "
        "exhaust the worker.",
        "Reading one byte past the limit is enough to tell an oversized file from one that fits.",
        f"{limit} MiB is a product decision: make it a named constant so it is easy to change.",
        "Set the same limit in the reverse proxy so oversized bodies never reach the app.",
    ), ("At most one byte past the limit is read, so an oversized upload never fills memory.",
        "An oversized file is refused with a clear error.",
        "The limit is a named constant."),
        "{It|This code} {stores|saves} {a file|an attachment} {that users upload|uploaded by customers|from the "
        "upload form} {next to|for} {the|each} {e}.".replace("{e}", e.snake.replace("_", " ")))


# -- SQL injection ------------------------------------------------------------------------------------
def sql_injection(rng: random.Random) -> Case:
    e = entity(rng)
    s = rng.choice(e.of("str"))
    kind = rng.choice(["python", "python", "go", "typescript", "order_by", "like", "go_update"])
    safe = ("The value is bound as a query parameter, so it can never become SQL.",
            "The table and column names are fixed in the code, not taken from input.")
    about = ("{It|This function} {looks up|finds|fetches} {e} rows by {f}{ for the search page| for the API|}."
             .replace("{e}", _noun(e)).replace("{f}", s.name.replace("_", " ")))
    points = (
        f"Input like `' OR '1'='1` turns the filter on `{s.name}` into one that returns every row.",
        "With a placeholder the driver sends the value separately; it can never become SQL.",
        "Escaping by hand is not a fix: encodings and quote styles differ between databases.",
        "The same rule applies to ORDER BY and LIMIT values: allowlist identifiers, bind values.",
    )
    if kind == "python":
        before = (f"def find_{e.plural}(conn, {s.name}):\n"
                  f"    return conn.execute(f\"SELECT * FROM {e.plural} WHERE {s.name} = '{{{s.name}}}'\").fetchall()\n")
        after = (f"import sqlite3\n\n\ndef find_{e.plural}(conn: sqlite3.Connection, {s.name}: str) -> list[tuple]:\n"
                 f"    return conn.execute(\"SELECT * FROM {e.plural} WHERE {s.name} = ?\", ({s.name},)).fetchall()\n")
        return Case("python", "a parameterised query", before, after, points, safe, about)
    if kind == "go":
        before = (f"package store\n\nimport (\n\t\"database/sql\"\n\t\"fmt\"\n)\n\nfunc Find{e.cls}(db *sql.DB, v string) "
                  f"(*sql.Rows, error) {{\n\treturn db.Query(fmt.Sprintf(\"SELECT * FROM {e.plural} WHERE {s.name} = '%s'\", v))\n}}\n")
        after = (f"package store\n\nimport \"database/sql\"\n\nfunc Find{e.cls}(db *sql.DB, v string) (*sql.Rows, error) {{\n"
                 f"\treturn db.Query(\"SELECT * FROM {e.plural} WHERE {s.name} = ?\", v)\n}}\n")
        return Case("go", "a parameterised query", before, after, points, safe, about)
    if kind == "typescript":
        before = (f"async function find{e.cls}(client: {{ query: (sql: string) => Promise<unknown> }}, v: string) {{\n"
                  f"  return client.query(`SELECT * FROM {e.plural} WHERE {s.name} = '${{v}}'`);\n}}\n")
        after = (f"interface Db {{\n  query(sql: string, params: unknown[]): Promise<unknown>;\n}}\n\n"
                 f"async function find{e.cls}(client: Db, v: string): Promise<unknown> {{\n"
                 f"  return client.query(\"SELECT * FROM {e.plural} WHERE {s.name} = $1\", [v]);\n}}\n")
        return Case("typescript", "a parameterised query", before, after, points, safe, about)
    if kind == "order_by":
        cols = [f.name for f in e.fields[:3]]
        allowed = ", ".join(f'"{c}"' for c in cols)
        before = (f"def list_{e.plural}(conn, sort, limit):\n"
                  f"    sql = f\"SELECT * FROM {e.plural} ORDER BY {{sort}} LIMIT {{limit}}\"\n"
                  "    return conn.execute(sql).fetchall()\n")
        after = (f"import sqlite3\n\nSORTABLE = frozenset({{{allowed}}})\n\n\n"
                 f"def list_{e.plural}(conn: sqlite3.Connection, sort: str, limit: int) -> list[tuple]:\n"
                 "    if sort not in SORTABLE:\n        raise ValueError(f\"cannot sort by {sort!r}\")\n"
                 f"    sql = f\"SELECT * FROM {e.plural} ORDER BY {{sort}} LIMIT ?\"  # sort is allowlisted above\n"
                 "    return conn.execute(sql, (int(limit),)).fetchall()\n")
        return Case("python", "an allowlisted sort column", before, after, (
            "`sort` and `limit` go into the SQL text, so `sort=(SELECT ...)` runs the attacker's subquery.",
            "Column names cannot be bound as parameters, so they have to come from an allowlist.",
            "`LIMIT` is a value, so it is bound with a placeholder.",
            "A rejected sort column should answer 400, not fall back silently.",
        ), ("The sort column must be one of a fixed set, so nothing from the request reaches the SQL text "
            "unchecked.", "`LIMIT` is bound as a parameter.",
            "An unknown column is refused with a clear error."),
            "{It|This function} {lists|returns} {e} {sorted by|ordered by} a column the client {picks|chooses}"
            "{ in the table view| from a dropdown|}.".replace("{e}", e.plural.replace("_", " ")))
    if kind == "like":
        before = (f"def search_{e.plural}(conn, term):\n"
                  f"    sql = \"SELECT * FROM {e.plural} WHERE {s.name} LIKE '%\" + term + \"%'\"\n"
                  "    return conn.execute(sql).fetchall()\n")
        after = (f"import sqlite3\n\n\ndef search_{e.plural}(conn: sqlite3.Connection, term: str) -> list[tuple]:\n"
                 "    escaped = term.replace(\"\\\\\", \"\\\\\\\\\").replace(\"%\", \"\\\\%\").replace(\"_\", \"\\\\_\")\n"
                 f"    sql = \"SELECT * FROM {e.plural} WHERE {s.name} LIKE ? ESCAPE '\\\\'\"\n"
                 "    return conn.execute(sql, (f\"%{escaped}%\",)).fetchall()\n")
        return Case("python", "a bound LIKE pattern", before, after, (
            "Concatenating `term` into the SQL lets `' OR 1=1 --` rewrite the query.",
            "The pattern, wildcards included, is bound as one parameter.",
            "Escaping `%` and `_` in the term keeps a search for `50%` from matching everything.",
        ), ("The search term is bound as a parameter; it never becomes part of the SQL text.",
            "`%` and `_` in the term are escaped, so they match literally."),
            "{It|This function} {backs|powers} the {free-text|partial-match} search {box |}{over|for} {e}."
            .replace("{e}", e.plural.replace("_", " ")))
    before = (f"package store\n\nimport (\n\t\"database/sql\"\n\t\"fmt\"\n)\n\n"
              f"func Rename{e.cls}(db *sql.DB, id int64, v string) error {{\n"
              f"\t_, err := db.Exec(fmt.Sprintf(\"UPDATE {e.plural} SET {s.name} = '%s' WHERE id = %d\", v, id))\n"
              "\treturn err\n}\n")
    after = (f"package store\n\nimport \"database/sql\"\n\nfunc Rename{e.cls}(db *sql.DB, id int64, v string) error {{\n"
             f"\t_, err := db.Exec(\"UPDATE {e.plural} SET {s.name} = ? WHERE id = ?\", v, id)\n\treturn err\n}}\n")
    return Case("go", "placeholders in an UPDATE", before, after, (
        f"A value like `x', {s.name} = (SELECT ...) --` rewrites the UPDATE: it can change other columns or rows.",
        "`db.Exec` with `?` placeholders sends the values separately from the statement.",
        "The id is bound too, even though it is an integer: one rule for every value.",
    ), ("Both values are passed as placeholders to `db.Exec`, never formatted into the statement.",
        "The statement text is a constant."),
        "{It|This function} {updates|renames|changes} {the {f} of|one field on} {an} row{ from the edit form|}."
        .replace("{f}", s.name.replace("_", " ")).replace("{an}", _a(e)))


# -- XSS ------------------------------------------------------------------------------------------------
def xss(rng: random.Random) -> Case:
    e = entity(rng)
    s = rng.choice(e.of("str"))
    noun = e.snake.replace("_", " ")
    kind = rng.randrange(4)
    if kind == 0:
        before = (f"function render{e.cls}(el: HTMLElement, {s.camel}: string): void {{\n"
                  f"  el.innerHTML = \"<h2>\" + {s.camel} + \"</h2>\";\n}}\n")
        after = (f"function render{e.cls}(el: HTMLElement, {s.camel}: string): void {{\n"
                 "  const heading = document.createElement(\"h2\");\n"
                 f"  heading.textContent = {s.camel};\n  el.replaceChildren(heading);\n}}\n")
        return Case("typescript", "textContent instead of innerHTML", before, after, (
            f"A `{s.camel}` of `<img src=x onerror=alert(1)>` runs script in every viewer's browser.",
            "`textContent` treats the value as text, never as markup.",
            "Add a Content-Security-Policy as a second layer, not as the fix.",
        ), ("The value goes in through `textContent`, so it is text, never markup.",
            "Nothing is concatenated into HTML."),
            f"{{It|This function}} {{shows|renders|displays}} the {s.name.replace('_', ' ')} of {{a|the}} {noun} "
            "{as a heading|in the page header|at the top of the detail view}.")
    if kind == 1:
        before = (f"def {e.snake}_card({s.name}):\n    return '<div class=\"card\">' + {s.name} + '</div>'\n")
        after = (f"from html import escape\n\n\ndef {e.snake}_card({s.name}: str) -> str:\n"
                 f"    return f'<div class=\"card\">{{escape({s.name})}}</div>'\n")
        return Case("python", "escaping on output", before, after, (
            "String-built HTML puts user input straight into markup.",
            "`html.escape` turns `<`, `>`, `&` and quotes into entities.",
            "Better still: a template engine with autoescaping on (Jinja2's `autoescape=True`).",
        ), ("`html.escape` runs on the value before it is put into the markup.",
            "Quotes are escaped too, so the value cannot break out of an attribute."),
            f"{{It|This function}} {{builds|renders}} the HTML card {{for|of}} {{each|every}} {noun}"
            "{ on the dashboard| in the list view|}.")
    if kind == 2:
        before = (f"function link{e.cls}(a: HTMLAnchorElement, url: string): void {{\n  a.href = url;\n}}\n")
        after = (f"function link{e.cls}(a: HTMLAnchorElement, url: string): void {{\n"
                 "  const parsed = new URL(url, window.location.origin);\n"
                 "  if (parsed.protocol !== \"https:\" && parsed.protocol !== \"http:\") {\n"
                 "    throw new Error(\"only http(s) links are allowed\");\n  }\n  a.href = parsed.href;\n}\n")
        return Case("typescript", "a checked link scheme", before, after, (
            "A URL of `javascript:alert(document.cookie)` runs script when someone clicks the link.",
            "Parsing with `new URL` and allowing only `http:` and `https:` shuts that out.",
            "Relative links still work: they resolve against the page's origin.",
        ), ("The URL is parsed, and only `http:` and `https:` links are accepted.",
            "`javascript:` and `data:` URLs are refused before they reach `href`."),
            f"{{It|This function}} {{turns|makes}} the {{website|homepage|profile}} URL {{a user entered|from the "
            f"profile form|users give us}} into a link on the {noun} page.")
    before = ("package web\n\nimport (\n\t\"io\"\n\t\"text/template\"\n)\n\n"
              "var page = template.Must(template.New(\"page\").Parse(\"<h1>Hello, {{.Name}}</h1>\"))\n\n"
              "func Render(w io.Writer, name string) error {\n\treturn page.Execute(w, struct{ Name string }{name})\n}\n")
    after = before.replace("\t\"io\"\n\t\"text/template\"", "\t\"html/template\"\n\t\"io\"")  # gofmt's import order
    return Case("go", "html/template's contextual escaping", before, after, (
        "`text/template` writes values out verbatim, so a name like `<script>...</script>` becomes live markup.",
        "`html/template` has the same API and escapes each value for where it lands: text, attribute, URL or script.",
        "The fix is the import line; nothing else has to change.",
    ), ("The page is rendered with `html/template`, which escapes every value for its context.",
        "No value is marked as trusted HTML."),
        "{It|This code} {renders|writes} the {greeting|welcome} page with the {user's|customer's} {name|display "
        "name}{ in it|}.")


# -- authentication and authorisation ---------------------------------------------------------------
def auth(rng: random.Random) -> Case:
    e = entity(rng)
    noun = e.snake.replace("_", " ")
    kind = rng.randrange(5)
    if kind == 0:
        before = (f"def get_{e.snake}(db, current_user, {e.snake}_id):\n    return db.get_{e.snake}({e.snake}_id)\n")
        after = (f"class NotFound(Exception):\n    pass\n\n\ndef get_{e.snake}(db, current_user, {e.snake}_id: int):\n"
                 f"    {e.snake} = db.get_{e.snake}({e.snake}_id)\n"
                 f"    if {e.snake} is None or {e.snake}.owner_id != current_user.id:\n"
                 f"        raise NotFound(f\"{e.snake} {{{e.snake}_id}}\")\n    return {e.snake}\n")
        return Case("python", "an ownership check (IDOR)", before, after, (
            f"Any logged-in user could read any {noun} by changing the id in the URL.",
            "Authentication says who you are; this check is the authorisation.",
            "Answer 404 rather than 403, so ids of other users' records are not confirmed.",
        ), ("The record is checked against the current user before it is returned.",
            "A record that belongs to someone else gets the same answer as one that does not exist."),
            f"{{It|This function}} {{loads|returns|fetches}} one {noun} by id{{ for the detail page| for "
            "the API|}.")
    if kind == 1:
        before = ("def check_api_key(presented, expected):\n    return presented == expected\n")
        after = ("import hmac\n\n\ndef check_api_key(presented: str, expected: str) -> bool:\n"
                 "    return hmac.compare_digest(presented.encode(), expected.encode())\n")
        return Case("python", "constant-time comparison", before, after, (
            "`==` stops at the first differing byte; timing reveals how much of a guess was right.",
            "`hmac.compare_digest` takes the same time regardless of where the inputs differ.",
            "Store a hash of the key, not the key, so a database leak does not leak credentials.",
        ), ("`hmac.compare_digest` takes the same time wherever the inputs differ.",
            "Both sides are compared as bytes."),
            "{It|This function} {checks|validates} the API key {a client sends|partners send|in the request "
            "header}.")
    if kind == 2:
        before = (f"def delete_{e.snake}(db, current_user, {e.snake}_id):\n    db.delete_{e.snake}({e.snake}_id)\n")
        after = (f"class Forbidden(Exception):\n    pass\n\n\ndef delete_{e.snake}(db, current_user, {e.snake}_id: int) -> None:\n"
                 "    if \"admin\" not in current_user.roles:\n"
                 f"        raise Forbidden(\"only admins can delete {e.plural.replace('_', ' ')}\")\n"
                 f"    db.delete_{e.snake}({e.snake}_id)\n")
        return Case("python", "a role check on a destructive action", before, after, (
            f"Every logged-in user can delete any {noun}: the endpoint checks who you are, not what you may do.",
            "Hiding the button in the UI is not access control; the API is callable directly.",
            "The check sits in the function itself, so every route that calls it is covered.",
            "Log denied attempts: they are often the first sign of someone probing.",
        ), ("Only users with the admin role get past the check.",
            "The check is inside the function, so no route can skip it."),
            f"{{It|This function}} {{deletes|removes}} {{a|one}} {noun}{{ from the admin screen| when someone "
            "clicks delete|}.")
    if kind == 3:
        before = ("def session_cookie(token):\n    return f'session={token}; Path=/'\n")
        after = ("def session_cookie(token: str, max_age: int = 3600) -> str:\n"
                 "    return f\"session={token}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax\"\n")
        return Case("python", "hardened cookie attributes", before, after, (
            "Without `HttpOnly`, any XSS on the site can read the session token from `document.cookie`.",
            "Without `Secure`, the cookie is also sent over plain HTTP, where anyone on the network can read it.",
            "`SameSite=Lax` keeps the cookie off most cross-site requests, a layer against CSRF.",
            "`Max-Age` stops a stolen cookie from working forever.",
        ), ("`HttpOnly` keeps scripts from reading the token.",
            "`Secure` keeps the cookie off plain HTTP.",
            "`SameSite=Lax` and a `Max-Age` limit where and how long the cookie works."),
            "{It|This function} {builds|writes} the `Set-Cookie` value {for the session|after login|we send "
            "when a user signs in}.")
    before = ("function userIdFrom(token: string): string {\n"
              "  const payload = JSON.parse(atob(token.split(\".\")[1]));\n  return payload.sub;\n}\n")
    after = ("import { jwtVerify } from \"jose\";\n\n"
             "async function userIdFrom(token: string, key: Uint8Array): Promise<string> {\n"
             "  const { payload } = await jwtVerify(token, key, { algorithms: [\"HS256\"] });\n"
             "  if (typeof payload.sub !== \"string\") {\n    throw new Error(\"token has no subject\");\n  }\n"
             "  return payload.sub;\n}\n")
    return Case("typescript", "a verified token signature", before, after, (
        "Decoding is not verifying: anyone can write a token whose payload says `\"sub\": \"admin\"`.",
        "`jwtVerify` checks the signature and, when the token has them, its `exp` and `nbf` claims.",
        "Pinning `algorithms` stops a token from choosing a weaker algorithm than the one you issue.",
    ), ("`jwtVerify` checks the signature before the payload is trusted.",
        "The accepted algorithm is pinned, and a token without a subject is refused."),
        "{It|This function} {gets|extracts|works out} the user id from the {JWT|bearer token|token} "
        "{on each request|in the `Authorization` header|the browser sends}.")


# -- secrets and what leaks -------------------------------------------------------------------------------
def secrets_(rng: random.Random) -> Case:
    e = entity(rng)
    kind = rng.randrange(4)
    if kind == 0:
        service = rng.choice(["STRIPE", "SENDGRID", "MAPBOX", "TWILIO", "OPENWEATHER"])
        before = (f"import requests\n\nAPI_KEY = 'sk_live_do_not_commit_0000'\n\n\ndef sync_{e.plural}():\n"
                  f"    return requests.get('https://api.example.com/{e.plural}', headers={{'Authorization': API_KEY}})\n")
        after = ("import os\n\nimport requests\n\n\n"
                 f"def sync_{e.plural}() -> requests.Response:\n    api_key = os.environ[\"{service}_API_KEY\"]\n"
                 f"    return requests.get(\n        \"https://api.example.com/{e.plural}\",\n"
                 "        headers={\"Authorization\": f\"Bearer {api_key}\"},\n        timeout=10,\n    )\n")
        return Case("python", "secrets from the environment", before, after, (
            "A key committed once stays in git history: rotate it now, then remove it from the code.",
            f"`os.environ[\"{service}_API_KEY\"]` fails loudly at start-up when the key is missing.",
            "Add a secret scanner (gitleaks, detect-secrets) as a pre-commit hook.",
            "`timeout=10` stops one slow upstream from hanging the worker.",
        ), ("The key comes from the environment, not from the source code.",
            "A missing key fails loudly at start-up.", "The request has a timeout."),
            f"{{It|This job}} {{syncs|pulls}} {e.plural.replace('_', ' ')} from {{a third-party API|our "
            "provider's API|an external service}{ every night| on a schedule|}.")
    if kind == 1:
        before = ("import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
                  "def on_login(user_email, token):\n    log.info('login ok: %s token=%s', user_email, token)\n")
        after = ("import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
                 "def on_login(user_email: str, token: str) -> None:\n"
                 "    log.info(\"login ok: %s (token ending %s)\", user_email, token[-4:])\n")
        return Case("python", "redacted tokens in log lines", before, after, (
            "Everyone who can read the logs (and every log pipeline they pass through) can now sign in as that user.",
            "The last four characters are enough to match a token to a log line, not to use it.",
            "Tokens already logged are exposed: expire the sessions and purge the old log files.",
            "A logging filter that masks anything shaped like a token is a good second line.",
        ), ("Only the last four characters of the token are logged: enough to correlate, not to reuse.",
            "The log line still says who logged in."),
            "{It|This hook} {runs|is called} {after every successful login|when a user signs in}{ and writes an "
            "audit line|}.")
    if kind == 2:
        before = ("package store\n\nimport \"database/sql\"\n\n"
                  f"const dsn = \"postgres://app:hunter2@db.internal/{e.plural}\"\n\n"
                  "func Open() (*sql.DB, error) {\n\treturn sql.Open(\"postgres\", dsn)\n}\n")
        after = ("package store\n\nimport (\n\t\"database/sql\"\n\t\"errors\"\n\t\"os\"\n)\n\n"
                 "func Open() (*sql.DB, error) {\n\tdsn := os.Getenv(\"DATABASE_URL\")\n\tif dsn == \"\" {\n"
                 "\t\treturn nil, errors.New(\"DATABASE_URL is not set\")\n\t}\n\treturn sql.Open(\"postgres\", dsn)\n}\n")
        return Case("go", "a connection string from the environment", before, after, (
            "The database password is in the source, in every clone and in git history: change it now.",
            "`DATABASE_URL` comes from the deployment's secret store, different per environment.",
            "A missing variable is an error at start-up, not a connection to the wrong database.",
        ), ("The connection string comes from the environment, not from the code.",
            "A missing `DATABASE_URL` is reported as an error at start-up."),
            "{It|This function} {opens|sets up} the {database connection|Postgres connection} {for|used by} "
            "the {e} {service|store}.".replace("{e}", e.snake.replace("_", " ")))
    before = ("import traceback\n\n\ndef error_response(exc):\n"
              "    return {'error': str(exc), 'trace': traceback.format_exc()}, 500\n")
    after = ("import logging\nimport uuid\n\nlog = logging.getLogger(__name__)\n\n\n"
             "def error_response(exc: Exception) -> tuple[dict[str, str], int]:\n    ref = uuid.uuid4().hex[:12]\n"
             "    log.error(\"unhandled error %s\", ref, exc_info=exc)\n"
             "    return {\"error\": \"internal error\", \"reference\": ref}, 500\n")
    return Case("python", "generic error responses, with details only in the log", before, after, (
        "The stack trace tells an attacker file paths, library versions and sometimes SQL or secrets in "
        "exception messages.",
        "The client gets a reference it can quote to support; the details go to the log with the same reference.",
        "`exc_info=exc` keeps the full traceback in the log, where it belongs.",
    ), ("The client only sees a generic message and a reference id.",
        "The traceback goes to the log under the same reference."),
        "{It|This handler} {turns|converts} {unhandled exceptions|any error we don't catch} into the JSON "
        "{response|body} {the API returns|clients get}.")


# -- CORS ----------------------------------------------------------------------------------------------------
def cors(rng: random.Random) -> Case:
    origins = rng.sample(["https://app.example.com", "https://admin.example.com", "https://shop.example.org"], 2)
    kind = rng.randrange(3)
    if kind == 0:
        before = ("def cors_headers(request_origin):\n    return {\n        'Access-Control-Allow-Origin': '*',\n"
                  "        'Access-Control-Allow-Credentials': 'true',\n    }\n")
        allowed = ", ".join(f'"{o}"' for o in origins)
        after = (f"ALLOWED_ORIGINS = frozenset({{{allowed}}})\n\n\n"
                 "def cors_headers(request_origin: str | None) -> dict[str, str]:\n"
                 "    if request_origin not in ALLOWED_ORIGINS:\n        return {}\n    return {\n"
                 "        \"Access-Control-Allow-Origin\": request_origin,\n"
                 "        \"Access-Control-Allow-Credentials\": \"true\",\n        \"Vary\": \"Origin\",\n    }\n")
        return Case("python", "an origin allowlist", before, after, (
            "`*` with credentials is rejected by browsers, and teams then 'fix' it by echoing any origin.",
            "Echo the origin only if it is on the allowlist.",
            "`Vary: Origin` stops caches from serving one origin's response to another.",
        ), ("Only allowlisted origins are echoed back; any other origin gets no CORS headers.",
            "`Vary: Origin` keeps caches from mixing responses between origins."),
            "{It|This function} {builds|sets} the CORS headers for {our API|every API response|the "
            "cookie-authenticated endpoints}.")
    if kind == 1:
        allowed = ", ".join(f'"{o}"' for o in origins)
        before = ("function corsHeaders(origin: string | undefined): Record<string, string> {\n"
                  "  return {\n    \"Access-Control-Allow-Origin\": origin ?? \"*\",\n"
                  "    \"Access-Control-Allow-Credentials\": \"true\",\n  };\n}\n")
        after = (f"const ALLOWED_ORIGINS = new Set([{allowed}]);\n\n"
                 "function corsHeaders(origin: string | undefined): Record<string, string> {\n"
                 "  if (origin === undefined || !ALLOWED_ORIGINS.has(origin)) {\n    return {};\n  }\n"
                 "  return {\n    \"Access-Control-Allow-Origin\": origin,\n"
                 "    \"Access-Control-Allow-Credentials\": \"true\",\n    Vary: \"Origin\",\n  };\n}\n")
        return Case("typescript", "an origin allowlist", before, after, (
            "Echoing whatever `Origin` arrives, with credentials, lets any site read your users' data with "
            "their cookies.",
            "Only origins on the allowlist get the headers; the browser blocks the rest.",
            "`Vary: Origin` stops a shared cache from serving one origin's headers to another.",
        ), ("Only origins in the allowlist are echoed; any other origin gets no CORS headers.",
            "`Vary: Origin` keeps caches from mixing responses between origins."),
            "{It|This middleware} {adds|sets} the CORS headers {in our Node API|on every response|for the "
            "browser app}.")
    hosts = ", ".join(f'"{o.removeprefix("https://")}"' for o in origins)
    before = ("def allowed_origin(origin):\n    return origin.endswith('example.com')\n")
    after = ("from urllib.parse import urlsplit\n\n"
             f"ALLOWED_HOSTS = frozenset({{{hosts}}})\n\n\n"
             "def allowed_origin(origin: str) -> bool:\n    parts = urlsplit(origin)\n"
             "    return parts.scheme == \"https\" and parts.hostname in ALLOWED_HOSTS and parts.port is None\n")
    return Case("python", "an exact origin match", before, after, (
        "`https://evilexample.com` ends with `example.com` too, and anyone can register that domain.",
        "Suffix and substring checks on origins fail in ways that are easy to miss; compare exact hosts.",
        "Checking the scheme keeps plain-HTTP pages, which anyone on the network can alter, out.",
    ), ("The origin is parsed, and its host must be one of a fixed set: no suffix or substring matching.",
        "Only `https` origins on the default port are accepted."),
        "{It|This check} {decides|says} which origins {may call|can talk to} our API with cookies.")


# -- randomness and hashing ---------------------------------------------------------------------------------
def crypto(rng: random.Random) -> Case:
    kind = rng.randrange(4)
    if kind == 0:
        algo = rng.choice(["md5", "sha1", "sha256"])
        before = ("import hashlib\n\n\ndef hash_password(password):\n"
                  f"    return hashlib.{algo}(password.encode()).hexdigest()\n")
        n = rng.choice([2**14, 2**15])
        after = ("import hashlib\nimport hmac\nimport os\n\n\n"
                 "def hash_password(password: str) -> str:\n    salt = os.urandom(16)\n"
                 f"    digest = hashlib.scrypt(password.encode(), salt=salt, n={n}, r=8, p=1)\n"
                 "    return salt.hex() + \":\" + digest.hex()\n\n\n"
                 "def verify_password(password: str, stored: str) -> bool:\n    salt_hex, digest_hex = stored.split(\":\")\n"
                 f"    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n={n}, r=8, p=1)\n"
                 "    return hmac.compare_digest(digest.hex(), digest_hex)\n")
        return Case("python", "a slow, salted password hash", before, after, (
            f"{algo.upper()} is fast: a GPU tries billions of guesses per second against leaked hashes.",
            "Without a salt, equal passwords get equal hashes, and precomputed tables apply.",
            "scrypt is deliberately slow and memory-hard; the per-user salt defeats rainbow tables.",
            "Verification uses a constant-time comparison.",
        ), ("scrypt is slow and memory-hard, and every password gets its own random salt.",
            "Verification uses a constant-time comparison."),
            "{It's|This is} how we {store|hash} {user passwords|passwords at sign-up|account passwords}.")
    if kind == 1:
        before = ("import random\nimport string\n\n\ndef reset_token():\n"
                  "    return ''.join(random.choice(string.ascii_letters) for _ in range(20))\n")
        after = ("import secrets\n\n\ndef reset_token() -> str:\n    return secrets.token_urlsafe(32)\n")
        return Case("python", "the secrets module for tokens", before, after, (
            "`random` is a Mersenne Twister: its output can be predicted from earlier outputs.",
            "`secrets.token_urlsafe(32)` draws 256 bits from the OS CSPRNG.",
            "Give reset tokens a short expiry and make them single-use.",
        ), ("`secrets.token_urlsafe` draws from the operating system's secure random source.",
            "32 bytes of randomness is far beyond guessing."),
            "{It|This function} {makes|generates} the token {in|for} {password reset|reset-password} "
            "{links|emails}.")
    if kind == 2:
        before = ("package auth\n\nimport (\n\t\"fmt\"\n\t\"math/rand\"\n)\n\n"
                  "func InviteCode() string {\n\treturn fmt.Sprintf(\"%x\", rand.Int63())\n}\n")
        after = ("package auth\n\nimport (\n\t\"crypto/rand\"\n\t\"encoding/hex\"\n)\n\n"
                 "func InviteCode() (string, error) {\n\tb := make([]byte, 32)\n"
                 "\tif _, err := rand.Read(b); err != nil {\n\t\treturn \"\", err\n\t}\n"
                 "\treturn hex.EncodeToString(b), nil\n}\n")
        return Case("go", "crypto/rand for secrets", before, after, (
            "`math/rand` is not a cryptographic generator: its output can be predicted, and 63 bits is little.",
            "`crypto/rand` reads from the operating system's secure source.",
            "32 random bytes, hex-encoded, cannot be guessed.",
            "Return the error: a failing random source must never produce a weak code silently.",
        ), ("The code comes from `crypto/rand`, the operating system's secure random source.",
            "32 bytes is far beyond guessing, and a failure is returned, not ignored."),
            "{It|This function} {generates|makes} the {invite codes|invitation codes} {we email to|we send} "
            "new {team members|users}.")
    before = ("function sessionId(): string {\n  return Math.random().toString(36).slice(2);\n}\n")
    after = ("function sessionId(): string {\n  const bytes = new Uint8Array(32);\n  crypto.getRandomValues(bytes);\n"
             "  return Array.from(bytes, (b) => b.toString(16).padStart(2, \"0\")).join(\"\");\n}\n")
    return Case("typescript", "a cryptographic random source", before, after, (
        "`Math.random` is not cryptographically secure; its output can be predicted.",
        "`crypto.getRandomValues` fills the buffer from a secure source, in browsers and in Node.",
        "32 bytes gives 256 bits: far beyond guessing.",
    ), ("The id comes from `crypto.getRandomValues`, a secure random source.",
        "32 random bytes is far beyond guessing."),
        "{It|This function} {creates|generates} the session id {for|of} {each visitor|a new login|a new "
        "session}.")


def dependencies(rng: random.Random) -> tuple[str, str, str, str]:
    """(language, manifest, audit command, upgrade command) of one ecosystem."""
    return one(rng, [
        ("python", "requirements.txt", "pip-audit -r requirements.txt", "pip install --upgrade"),
        ("typescript", "package.json", "npm audit --omit=dev", "npm update"),
        ("rust", "Cargo.toml", "cargo audit", "cargo update -p"),
        ("go", "go.mod", "govulncheck ./...", "go get -u"),
    ])


# -- requests -------------------------------------------------------------------------------------------------
# Where the code lives and why it is being looked at ({domain}: the team's domain, a noun).
