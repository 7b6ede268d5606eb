"""Before/after code pairs for craftsmanship (DRY, SOLID, clean code, refactoring), filled with
entities so their shape varies. Same contract as :mod:`factory.authoring.idioms`: ``before`` parses,
``after`` parses and lints."""

from __future__ import annotations

import random
from collections.abc import Callable

from factory.authoring.entities import entity, fields, py_dataclass, ts_interface
from factory.authoring.idioms import IdiomPair as Pair

VERBS = ["create", "update", "import", "restore", "approve", "merge", "clone", "archive"]


# -- DRY -------------------------------------------------------------------------------------------
def dry_validation(rng: random.Random) -> Pair:
    e = entity(rng)
    s = rng.choice(e.of("str"))
    verbs = rng.sample(VERBS, rng.randint(2, 4))
    limit = rng.choice([40, 80, 120, 255])
    rule = (f"    if not data.get('{s.name}') or len(data['{s.name}']) > {limit}:\n"
            f"        raise ValueError('{s.name} must be 1-{limit} characters')\n")
    before = "".join(f"def {v}_{e.snake}(data):\n{rule}    return {{'action': '{v}', **data}}\n\n\n" for v in verbs)
    helper = (f"def _checked_{s.name}(data: dict) -> str:\n    value = data.get(\"{s.name}\") or \"\"\n"
              f"    if not 1 <= len(value) <= {limit}:\n"
              f"        raise ValueError(\"{s.name} must be 1-{limit} characters\")\n    return value\n")
    after = helper + "".join(f"\n\ndef {v}_{e.snake}(data: dict) -> dict:\n    _checked_{s.name}(data)\n"
                             f"    return {{\"action\": \"{v}\", **data}}\n" for v in verbs)
    return Pair("python", "one validation helper instead of copies", before.rstrip() + "\n", after, (
        f"The `{s.name}` rule existed {len(verbs)} times; a change to the limit had to be made {len(verbs)} times.",
        "The helper has one name that says what it checks, and one place to test it.",
        "Every entry point now rejects bad input with the same message.",
        f"If a fifth action appears it gets the check by calling `_checked_{s.name}`, not by copy-paste.",
    ))


def dry_money(rng: random.Random) -> Pair:
    e = entity(rng)
    cur = rng.choice([("EUR", "€"), ("USD", "$"), ("GBP", "£")])
    places = rng.sample(["receipt", "email", "invoice_pdf", "dashboard", "export_row"], rng.randint(2, 4))
    body = "".join(f"def {p}_line(name, cents):\n    return name + ': {cur[1]}' + str(cents // 100) + '.' + "
                   f"str(cents % 100).zfill(2)\n\n\n" for p in places)
    after = (f"def format_{cur[0].lower()}(cents: int) -> str:\n"
             f"    return f\"{cur[1]}{{cents // 100}}.{{cents % 100:02d}}\"\n"
             + "".join(f"\n\ndef {p}_line(name: str, cents: int) -> str:\n    return f\"{{name}}: {{format_{cur[0].lower()}(cents)}}\"\n"
                       for p in places))
    return Pair("python", "one money formatter", body.rstrip() + "\n", after, (
        f"The cents-to-{cur[0]} conversion was repeated in {len(places)} functions.",
        "`:02d` replaces `zfill(2)` and keeps the formatting in the f-string.",
        "Negative amounts or a currency change now need one fix, not several.",
        f"The {e.domain} screens can't drift apart in how they print prices.",
    ))


def dry_ts_fetch(rng: random.Random) -> Pair:
    e = entity(rng)
    ops = rng.sample(["list", "get", "search", "count"], rng.randint(2, 3))
    paths = {"list": f"/{e.plural}", "get": f"/{e.plural}/1", "search": f"/{e.plural}?q=x", "count": f"/{e.plural}/count"}
    before = "".join(
        f"async function {op}{e.cls}(): Promise<unknown> {{\n  const res = await fetch(\"{paths[op]}\");\n"
        f"  if (!res.ok) {{\n    throw new Error(\"request failed: \" + res.status);\n  }}\n  return res.json();\n}}\n\n"
        for op in ops)
    after = ("async function getJson<T>(path: string): Promise<T> {\n  const res = await fetch(path);\n"
             "  if (!res.ok) {\n    throw new Error(`GET ${path} failed: ${res.status}`);\n  }\n"
             "  return (await res.json()) as T;\n}\n\n"
             + "".join(f"const {op}{e.cls} = () => getJson<unknown>(\"{paths[op]}\");\n" for op in ops))
    return Pair("typescript", "a generic request helper", before.rstrip() + "\n", after, (
        f"{len(ops)} functions repeated the fetch / status check / parse sequence.",
        "The helper's error message now names the path, which the copies did not.",
        "The type parameter lets each caller say what shape it expects.",
        "Retries or auth headers can be added in one place later.",
    ))


def dry_retries(rng: random.Random) -> Pair:
    e = entity(rng)
    attempts = rng.choice([2, 3, 5])
    pause = rng.choice(["0.2", "0.5", "1.0"])
    ends = rng.sample([("list", ""), ("count", "/count"), ("latest", "/latest"), ("summary", "/summary")],
                      rng.randint(2, 3))
    before = "import time\n\n\n" + "".join(
        f"def fetch_{e.plural}_{name}(client):\n    for attempt in range({attempts}):\n        try:\n"
        f"            return client.get('/{e.plural}{suffix}')\n        except ConnectionError:\n"
        f"            time.sleep({pause})\n    raise ConnectionError('gave up on /{e.plural}{suffix}')\n\n\n"
        for name, suffix in ends)
    after = ("import time\nfrom collections.abc import Callable\nfrom typing import Protocol, TypeVar\n\n"
             "T = TypeVar(\"T\")\n\n" f"ATTEMPTS = {attempts}\nPAUSE_SECONDS = {pause}\n\n\n"
             "class Client(Protocol):\n    def get(self, path: str) -> object: ...\n\n\n"
             "def with_retries(call: Callable[[], T], what: str) -> T:\n    for _ in range(ATTEMPTS):\n        try:\n"
             "            return call()\n        except ConnectionError:\n            time.sleep(PAUSE_SECONDS)\n"
             "    raise ConnectionError(f\"gave up on {what}\")\n"
             + "".join(f"\n\ndef fetch_{e.plural}_{name}(client: Client) -> object:\n"
                       f"    path = \"/{e.plural}{suffix}\"\n    return with_retries(lambda: client.get(path), path)\n"
                       for name, suffix in ends))
    return Pair("python", "one retry helper instead of a retry loop per call", before.rstrip() + "\n", after, (
        f"The same try/sleep/give-up loop was written {len(ends)} times; a change to the policy meant "
        f"{len(ends)} edits.",
        f"`ATTEMPTS` and `PAUSE_SECONDS` name the {attempts} tries and the {pause}s pause once.",
        "Each fetch function now says only what it fetches; `with_retries` says how failures are handled.",
        "The helper can be tested once with a fake call that fails a given number of times.",
    ))


# -- SOLID -----------------------------------------------------------------------------------------
def solid_srp(rng: random.Random) -> Pair:
    e = entity(rng)
    fs = fields(rng, e, 2, 3)
    cols = ", ".join(f.name for f in fs)
    before = (f"import sqlite3\n\n\nclass {e.cls}Report:\n    def __init__(self, path):\n        self.path = path\n\n"
              f"    def run(self):\n        conn = sqlite3.connect(self.path)\n"
              f"        rows = conn.execute('SELECT {cols} FROM {e.plural}').fetchall()\n        conn.close()\n"
              f"        lines = [' | '.join(str(v) for v in row) for row in rows]\n"
              f"        with open('report.txt', 'w') as fh:\n            fh.write('\\n'.join(lines))\n")
    after = ("import sqlite3\nfrom collections.abc import Iterable\nfrom contextlib import closing\nfrom pathlib import Path\n\n\n"
             f"def fetch_{e.plural}(db_path: str) -> list[tuple]:\n    with closing(sqlite3.connect(db_path)) as conn:\n"
             f"        return conn.execute(\"SELECT {cols} FROM {e.plural}\").fetchall()\n\n\n"
             "def render_rows(rows: Iterable[tuple]) -> str:\n"
             "    return \"\\n\".join(\" | \".join(str(v) for v in row) for row in rows)\n\n\n"
             "def write_report(text: str, out: Path) -> None:\n    out.write_text(text, encoding=\"utf-8\")\n")
    return Pair("python", "single responsibility: query, render and write apart", before, after, (
        "The class mixed three reasons to change: the query, the layout and the destination.",
        "`render_rows` is now a pure function you can test without a database or a file.",
        "The output path is a parameter instead of a hard-coded `report.txt`.",
        "`closing(...)` closes the connection even when the query fails.",
    ))


def solid_ocp(rng: random.Random) -> Pair:
    e = entity(rng)
    kinds = rng.sample(["csv", "json", "xml", "yaml", "tsv"], rng.randint(3, 4))
    chain = "".join(f"    {'if' if i == 0 else 'elif'} kind == '{k}':\n        return export_{k}(rows)\n" for i, k in enumerate(kinds))
    stubs = "".join(f"def export_{k}(rows):\n    return '{k}:' + str(len(rows))\n\n\n" for k in kinds)
    before = stubs + f"def export_{e.plural}(kind, rows):\n{chain}    raise ValueError(kind)\n"
    stubs2 = "".join(f"def export_{k}(rows: list) -> str:\n    return f\"{k}:{{len(rows)}}\"\n\n\n" for k in kinds)
    table = "".join(f"    \"{k}\": export_{k},\n" for k in kinds)
    after = ("from collections.abc import Callable\n\n\n" + stubs2 +
             f"EXPORTERS: dict[str, Callable[[list], str]] = {{\n{table}}}\n\n\n"
             f"def export_{e.plural}(kind: str, rows: list) -> str:\n    try:\n        exporter = EXPORTERS[kind]\n"
             "    except KeyError:\n        raise ValueError(f\"unknown export format {kind!r}\") from None\n"
             "    return exporter(rows)\n")
    return Pair("python", "open/closed: a registry instead of an if/elif chain", before, after, (
        "Adding a format now means adding an entry, not editing the dispatch function.",
        f"The {len(kinds)} formats are listed in one table that tests can iterate over.",
        "The error names the unknown format instead of raising a bare `ValueError(kind)`.",
        "Plugins could register formats without touching this module.",
    ))


def solid_isp(rng: random.Random) -> Pair:
    e = entity(rng)
    before = (f"interface {e.cls}Store {{\n  load(id: string): Promise<unknown>;\n  save(item: unknown): Promise<void>;\n"
              "  delete(id: string): Promise<void>;\n  exportAll(): Promise<string>;\n  migrate(): Promise<void>;\n}\n\n"
              f"async function show{e.cls}(store: {e.cls}Store, id: string): Promise<string> {{\n"
              "  return JSON.stringify(await store.load(id));\n}\n")
    after = (f"interface {e.cls}Reader {{\n  load(id: string): Promise<unknown>;\n}}\n\n"
             f"interface {e.cls}Writer {{\n  save(item: unknown): Promise<void>;\n  delete(id: string): Promise<void>;\n}}\n\n"
             f"async function show{e.cls}(store: {e.cls}Reader, id: string): Promise<string> {{\n"
             "  return JSON.stringify(await store.load(id));\n}\n")
    return Pair("typescript", "interface segregation: depend on what you use", before, after, (
        "The function only reads, so it should only require `load`.",
        "Test doubles shrink from five methods to one.",
        "Admin operations (`exportAll`, `migrate`) can live behind their own interface.",
    ))


def solid_dip(rng: random.Random) -> Pair:
    e = entity(rng)
    before = (f"import smtplib\n\n\ndef notify_{e.snake}_owner(owner_email, {e.snake}_id):\n"
              "    server = smtplib.SMTP('mail.internal', 25)\n"
              f"    server.sendmail('noreply@example.com', owner_email, 'Update on ' + str({e.snake}_id))\n"
              "    server.quit()\n")
    after = ("from typing import Protocol\n\n\nclass Notifier(Protocol):\n"
             "    def send(self, to: str, message: str) -> None: ...\n\n\n"
             f"def notify_{e.snake}_owner(notifier: Notifier, owner_email: str, {e.snake}_id: int) -> None:\n"
             f"    notifier.send(owner_email, f\"Update on {e.snake} {{{e.snake}_id}}\")\n")
    return Pair("python", "dependency inversion: inject the notifier", before, after, (
        "The business rule no longer knows about SMTP hosts and ports.",
        "Tests pass a fake `Notifier` and assert on what was sent, with no mail server.",
        "Swapping email for chat or SMS is a new class, not an edit here.",
    ))


def solid_srp_ts(rng: random.Random) -> Pair:
    e = entity(rng)
    f = rng.choice(e.of("str"))
    before = (f"class {e.cls}Page {{\n  async render(id: string): Promise<string> {{\n"
              f"    const res = await fetch(\"/api/{e.plural}/\" + id);\n    const data = await res.json();\n"
              f"    const heading = String(data.{f.camel}).trim();\n    return \"<h1>\" + heading + \"</h1>\";\n"
              "  }\n}\n")
    after = (f"interface {e.cls}Summary {{\n  {f.camel}: unknown;\n}}\n\n"
             f"async function load{e.cls}(id: string): Promise<{e.cls}Summary> {{\n"
             f"  const res = await fetch(\"/api/{e.plural}/\" + id);\n  return (await res.json()) as {e.cls}Summary;\n}}\n\n"
             f"function render{e.cls}Heading(item: {e.cls}Summary): string {{\n"
             f"  return `<h1>${{String(item.{f.camel}).trim()}}</h1>`;\n}}\n\n"
             f"class {e.cls}Page {{\n  async render(id: string): Promise<string> {{\n"
             f"    return render{e.cls}Heading(await load{e.cls}(id));\n  }}\n}}\n")
    return Pair("typescript", "single responsibility: loading apart from rendering", before, after, (
        "Fetching and rendering change for different reasons (API versus markup); now they live apart.",
        f"`render{e.cls}Heading` is a pure function: test it with an object literal, no network mocking.",
        f"`{e.cls}Summary` documents which field of the response the page actually reads.",
        f"`{e.cls}Page.render` keeps its signature and output, so callers are untouched.",
    ))


# -- clean code ------------------------------------------------------------------------------------
def clean_magic_numbers(rng: random.Random) -> Pair:
    e = entity(rng)
    n = rng.choice(e.of("int") or e.fields[:1])
    lim, grace = rng.choice([(30, 7), (90, 14), (14, 3), (60, 10)])
    before = (f"def is_overdue(days):\n    return days > {lim} + {grace}\n\n\n"
              f"def reminder_due(days):\n    return {lim} - 5 < days <= {lim} + {grace}\n")
    after = (f"PAYMENT_TERM_DAYS = {lim}\nGRACE_PERIOD_DAYS = {grace}\nREMINDER_LEAD_DAYS = 5\n\n\n"
             "def is_overdue(days: int) -> bool:\n    return days > PAYMENT_TERM_DAYS + GRACE_PERIOD_DAYS\n\n\n"
             "def reminder_due(days: int) -> bool:\n"
             "    return PAYMENT_TERM_DAYS - REMINDER_LEAD_DAYS < days <= PAYMENT_TERM_DAYS + GRACE_PERIOD_DAYS\n")
    return Pair("python", "named constants instead of magic numbers", before, after, (
        f"`{lim}` and `{grace}` appeared twice each with no hint of what they mean.",
        "Changing the payment term is now one edit that cannot miss a copy.",
        f"The names carry the {e.domain} vocabulary into the code.",
        f"(The `{n.name}` logic elsewhere can reuse the same constants.)",
    ))


def clean_guard_clauses(rng: random.Random) -> Pair:
    e = entity(rng)
    b = rng.choice(e.of("bool") or e.fields[:1])
    s = rng.choice(e.of("str"))
    before = (f"def process(item):\n    if item is not None:\n        if not item.{b.name}:\n"
              f"            if item.{s.name}:\n                return 'processed ' + item.{s.name}\n"
              f"            else:\n                return 'missing {s.name}'\n        else:\n"
              f"            return 'skipped'\n    else:\n        return 'no item'\n")
    after = (f"def process(item: object | None) -> str:\n    if item is None:\n        return \"no item\"\n"
             f"    if item.{b.name}:\n        return \"skipped\"\n    if not item.{s.name}:\n"
             f"        return \"missing {s.name}\"\n    return f\"processed {{item.{s.name}}}\"\n")
    return Pair("python", "guard clauses instead of nested ifs", before, after, (
        "Each special case returns early, so the main path reads top to bottom.",
        "Three levels of nesting become one.",
        "Each `else` branch sat far from its `if`; now every condition is next to its outcome.",
    ))


def clean_flag_argument(rng: random.Random) -> Pair:
    e = entity(rng)
    before = (f"def load_{e.plural}(path, archived):\n    rows = [line.split(',') for line in path.read_text().splitlines()]\n"
              "    if archived:\n        return [r for r in rows if r[-1] == 'archived']\n"
              "    return [r for r in rows if r[-1] != 'archived']\n")
    after = ("from pathlib import Path\n\n\n"
             "def _rows(path: Path) -> list[list[str]]:\n"
             "    return [line.split(\",\") for line in path.read_text(encoding=\"utf-8\").splitlines()]\n\n\n"
             f"def load_active_{e.plural}(path: Path) -> list[list[str]]:\n"
             "    return [r for r in _rows(path) if r[-1] != \"archived\"]\n\n\n"
             f"def load_archived_{e.plural}(path: Path) -> list[list[str]]:\n"
             "    return [r for r in _rows(path) if r[-1] == \"archived\"]\n")
    return Pair("python", "two named functions instead of a boolean flag", before, after, (
        f"A call like `load_{e.plural}(p, True)` doesn't say what `True` means; the new names do.",
        "Each function does one thing; the shared parsing moved to `_rows`.",
        "Callers that only need active records can't pass the wrong flag anymore.",
    ))


def clean_parameter_object(rng: random.Random) -> Pair:
    e = entity(rng)
    fs = fields(rng, e, 3, 5)
    args = ", ".join(f.name for f in fs)
    before = (f"def summarize_{e.snake}({args}):\n    parts = []\n"
              + "".join(f"    parts.append('{f.name}=' + str({f.name}))\n" for f in fs)
              + "    return ', '.join(parts)\n")
    after = ("from dataclasses import asdict, dataclass\n\n\n" + py_dataclass(e, fs) + "\n\n"
             f"def summarize_{e.snake}({e.snake}: {e.cls}) -> str:\n"
             f"    return \", \".join(f\"{{key}}={{value}}\" for key, value in asdict({e.snake}).items())\n")
    return Pair("python", "a parameter object instead of a long argument list", before, after, (
        f"{len(fs)} positional arguments of similar types are easy to pass in the wrong order.",
        "The dataclass names and types every field once.",
        "Adding a field no longer changes every call site's argument list.",
    ))


def clean_explaining_variables(rng: random.Random) -> Pair:
    e = entity(rng)
    b = rng.choice(e.of("bool") or e.fields[:1])
    n = rng.choice(e.of("int") or e.fields[:1])
    urgent, daytime = rng.choice([(5, 2), (10, 3), (100, 20), (3, 1)])
    opening, closing = rng.choice([(9, 18), (8, 17), (7, 19)])
    before = (f"def should_notify(item, now_hour):\n"
              f"    if (item['{b.name}'] is False and item['{n.name}'] >= {urgent}) or "
              f"(now_hour >= {opening} and now_hour < {closing} and item['{n.name}'] >= {daytime}):\n"
              "        return True\n    return False\n")
    up = n.name.upper()
    after = (f"URGENT_{up} = {urgent}\nDAYTIME_{up} = {daytime}\nOPENING_HOUR = {opening}\n"
             f"CLOSING_HOUR = {closing}\n\n\n"
             "def should_notify(item: dict, now_hour: int) -> bool:\n"
             f"    urgent = item[\"{b.name}\"] is False and item[\"{n.name}\"] >= URGENT_{up}\n"
             "    working_hours = OPENING_HOUR <= now_hour < CLOSING_HOUR\n"
             f"    worth_a_daytime_ping = working_hours and item[\"{n.name}\"] >= DAYTIME_{up}\n"
             "    return urgent or worth_a_daytime_ping\n")
    return Pair("python", "explaining variables for a compound condition", before, after, (
        "Each half of the condition gets a name, so the rule reads as 'urgent, or worth a ping during the day'.",
        "`if cond: return True / return False` collapses to returning the condition itself.",
        f"The thresholds {urgent} and {daytime} and the {opening}-{closing} window are named constants.",
        "A chained comparison replaces the two-sided hour check.",
    ))


# -- refactoring -----------------------------------------------------------------------------------
def refactor_extract_function(rng: random.Random) -> Pair:
    e = entity(rng)
    n = rng.choice(e.of("int") or e.fields[:1])
    pct = rng.choice([5, 10, 15, 20])
    before = (f"def checkout(items, member):\n    total = 0\n    for item in items:\n"
              f"        total += item['{n.name}'] * item['qty']\n    if member:\n"
              f"        total = total - total * {pct} // 100\n    if total < 0:\n        total = 0\n"
              "    return {'total': total, 'member': member}\n")
    after = (f"MEMBER_DISCOUNT_PERCENT = {pct}\n\n\ndef subtotal(items: list[dict]) -> int:\n"
             f"    return sum(item[\"{n.name}\"] * item[\"qty\"] for item in items)\n\n\n"
             "def member_price(amount: int) -> int:\n"
             "    return max(0, amount - amount * MEMBER_DISCOUNT_PERCENT // 100)\n\n\n"
             "def checkout(items: list[dict], member: bool) -> dict:\n    total = subtotal(items)\n"
             "    return {\"total\": member_price(total) if member else max(0, total), \"member\": member}\n")
    return Pair("python", "extract function", before, after, (
        "`subtotal` and `member_price` each have one job and a name that says it.",
        "Both can be unit-tested on their own.",
        "`checkout` now reads as the business rule it implements.",
        "Behaviour is unchanged: same inputs, same dictionary out.",
    ))


def refactor_polymorphism(rng: random.Random) -> Pair:
    entity(rng)
    shapes = rng.sample([("standard", 0), ("express", 500), ("overnight", 1500), ("pickup", -200)], 3)
    chain = "".join(f"    {'if' if i == 0 else 'elif'} method == '{m}':\n        return base + {c}\n"
                    for i, (m, c) in enumerate(shapes))
    before = f"def shipping_cost(method, base):\n{chain}    raise ValueError(method)\n"
    classes = "".join(f"\n\nclass {m.title()}:\n    surcharge = {c}\n" for m, c in shapes)
    after = ("from typing import Protocol\n\n\nclass Method(Protocol):\n    surcharge: int\n" + classes +
             "\n\nMETHODS: dict[str, Method] = {" + ", ".join(f"\"{m}\": {m.title()}()" for m, _ in shapes) + "}\n\n\n"
             "def shipping_cost(method: str, base: int) -> int:\n    return base + METHODS[method].surcharge\n")
    return Pair("python", "replace conditional with polymorphism", before, after, (
        "Each shipping method carries its own data, so the function has no branches.",
        "A new method is a new class plus one registry entry.",
        f"The {len(shapes)} surcharges are visible side by side.",
    ))


def refactor_rename(rng: random.Random) -> Pair:
    e = entity(rng)
    fs = fields(rng, e, 2, 3)
    f0 = fs[0]
    before = (f"def proc(l, f):\n    r = []\n    for x in l:\n        if f(x):\n            r.append(x['{f0.name}'])\n"
              "    return r\n")
    after = ("from collections.abc import Callable\n\n\n"
             f"def {f0.name}s_where({e.plural}: list[dict], keep: Callable[[dict], bool]) -> list:\n"
             f"    return [{e.snake}[\"{f0.name}\"] for {e.snake} in {e.plural} if keep({e.snake})]\n")
    return Pair("python", "rename for intent", before, after, (
        "`proc`, `l`, `f`, `r`, `x` said nothing; the new names say what flows through.",
        "`l` is also easily misread as `1` (ruff's E741).",
        "The type hints record that `keep` is a predicate.",
    ))


def refactor_lookup_table(rng: random.Random) -> Pair:
    e = entity(rng)
    who = rng.choice(["owner", "author", "assignee", "manager"])
    before = (f"def attach_{who}s({e.plural}, {who}s):\n    result = []\n    for row in {e.plural}:\n"
              f"        for {who} in {who}s:\n            if {who}['id'] == row['{who}_id']:\n"
              f"                result.append({{**row, '{who}': {who}['name']}})\n                break\n"
              f"        else:\n            result.append({{**row, '{who}': None}})\n    return result\n")
    after = (f"def attach_{who}s({e.plural}: list[dict], {who}s: list[dict]) -> list[dict]:\n"
             "    names: dict[object, str] = {}\n"
             f"    for {who} in {who}s:\n        names.setdefault({who}[\"id\"], {who}[\"name\"])\n"
             f"    return [{{**row, \"{who}\": names.get(row[\"{who}_id\"])}} for row in {e.plural}]\n")
    return Pair("python", "replace a nested search with a lookup table", before, after, (
        f"The inner loop scanned every {who} for every row; the dict is built once and each lookup is constant time.",
        f"`setdefault` keeps the first {who} with a given id, exactly as the `break` did.",
        "The `for ... else` that supplied `None` becomes the default of `dict.get`.",
        "For the usual hashable ids (numbers, strings) the output is the same, rows in the same order.",
    ))


DESIGNS: dict[str, list[Callable[[random.Random], Pair]]] = {
    "dry": [dry_validation, dry_money, dry_ts_fetch, dry_retries],
    "solid": [solid_srp, solid_ocp, solid_isp, solid_dip, solid_srp_ts],
    "clean_code": [clean_magic_numbers, clean_guard_clauses, clean_flag_argument, clean_parameter_object,
                   clean_explaining_variables],
    "refactoring": [refactor_extract_function, refactor_polymorphism, refactor_rename, refactor_lookup_table],
}

__all__ = ["DESIGNS", "Pair", "ts_interface"]
