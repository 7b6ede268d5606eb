"""Shared vocabulary for the seed-000 template generators: projects, realistic paths, names and code.

Everything here is data plus small builders. Code builders return source that parses, and Python
that passes ``ruff check`` with default rules. Vocabulary is split into a training pool and a held-out
pool (``pool="eval"``) so the eval bucket never repeats a training prompt.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Domain nouns, snake_case. The last fifth is held out for the eval bucket.
_ENTITIES = ["invoice", "user", "order", "payment", "session", "cart", "product", "subscription", "report", "notification", "webhook", "tenant", "audit_log", "shipment", "coupon", "customer", "account", "address", "refund", "ticket", "comment", "article", "category", "tag", "upload", "attachment", "workspace", "project", "task", "milestone", "team", "member", "role", "permission", "api_key", "quota", "billing_plan", "price", "discount", "warehouse", "inventory", "supplier", "purchase_order", "receipt", "ledger_entry", "transaction", "wallet", "device", "sensor", "reading", "alert", "incident", "deployment", "release", "build", "pipeline", "artifact", "job", "schedule", "reminder", "calendar_event", "booking", "room", "guest", "review", "rating", "survey", "answer", "question", "lesson", "course", "enrollment", "grade_report", "certificate", "playlist", "music_track", "album", "artist", "podcast_episode", "news_feed", "blog_post", "reaction", "follower", "chat_message", "forum_thread", "chat_channel", "email_template", "code_snippet"]
_SPLIT = int(len(_ENTITIES) * 0.8)
ENTITY_POOLS = {"train": _ENTITIES[:_SPLIT], "eval": _ENTITIES[_SPLIT:]}

# Field name -> (python type, typescript type, go type, rust type, sample value expression in Python)
FIELDS = {
    "id": ("int", "number", "int64", "u64", "1"),
    "name": ("str", "string", "string", "String", '"example"'),
    "email": ("str", "string", "string", "String", '"dev@example.com"'),
    "created_at": ("datetime", "Date", "time.Time", "u64", "datetime(2024, 1, 1)"),
    "updated_at": ("datetime", "Date", "time.Time", "u64", "datetime(2024, 1, 2)"),
    "amount_cents": ("int", "number", "int64", "i64", "1250"),
    "currency": ("str", "string", "string", "String", '"EUR"'),
    "status": ("str", "string", "string", "String", '"active"'),
    "is_active": ("bool", "boolean", "bool", "bool", "True"),
    "owner_id": ("int", "number", "int64", "u64", "7"),
    "title": ("str", "string", "string", "String", '"Quarterly numbers"'),
    "description": ("str", "string", "string", "String", '"Details"'),
    "quantity": ("int", "number", "int", "u32", "3"),
    "priority": ("int", "number", "int", "u8", "2"),
    "tags": ("list[str]", "string[]", "[]string", "Vec<String>", '["a", "b"]'),
    "score": ("float", "number", "float64", "f64", "0.75"),
    "expires_at": ("datetime", "Date", "time.Time", "u64", "datetime(2025, 6, 30)"),
    "slug": ("str", "string", "string", "String", '"my-slug"'),
    "retry_count": ("int", "number", "int", "u32", "0"),
    "url": ("str", "string", "string", "String", '"https://example.com/hook"'),
}
FIELD_NAMES = list(FIELDS)


def snake(name: str) -> str:
    return name


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def pascal(name: str) -> str:
    return "".join(p.title() for p in name.split("_"))


def kebab(name: str) -> str:
    return name.replace("_", "-")


def plural(name: str) -> str:
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy")):
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"


@dataclass(frozen=True)
class Stack:
    """A kind of project: its language, where code lives, and how it is tested and built."""

    name: str
    language: str  # python | typescript | go | rust
    fence: str
    test_cmd: str
    build_cmd: str
    lint_cmd: str
    dirs: tuple[str, ...]
    file_patterns: tuple[str, ...]  # formatted with s=snake, c=camel, p=pascal, k=kebab, pl=plural
    glob_patterns: tuple[str, ...]


STACKS: tuple[Stack, ...] = (
    Stack("fastapi service", "python", "python", "pytest -q", "python -m build", "ruff check .",
          ("app/api", "app/services", "app/models", "app/core", "tests"),
          ("app/services/{s}_service.py", "app/models/{s}.py", "app/api/routes/{pl}.py",
           "tests/test_{s}_service.py", "app/repositories/{s}_repository.py"),
          ("**/*.py", "tests/**/test_*.py", "app/**/*_service.py", "app/api/routes/*.py")),
    Stack("django app", "python", "python", "python manage.py test", "python manage.py check",
          "ruff check .", ("shop", "shop/views", "shop/templates", "accounts", "config"),
          ("shop/models/{s}.py", "shop/views/{s}_views.py", "shop/serializers/{s}.py",
           "shop/tests/test_{s}.py", "accounts/{s}_forms.py"),
          ("**/models/*.py", "**/migrations/*.py", "shop/**/*.html", "**/tests/test_*.py")),
    Stack("react app", "typescript", "tsx", "npm test", "npm run build", "npm run lint",
          ("src/components", "src/hooks", "src/pages", "src/lib", "src/api"),
          ("src/components/{p}Card.tsx", "src/hooks/use{p}.ts", "src/api/{c}Client.ts",
           "src/pages/{p}Page.tsx", "src/components/{p}List.test.tsx"),
          ("src/**/*.tsx", "**/*.test.ts", "src/hooks/use*.ts", "src/**/*.module.css")),
    Stack("node api", "typescript", "ts", "npm test", "npm run build", "npx eslint .",
          ("src/routes", "src/services", "src/db", "src/middleware", "test"),
          ("src/services/{c}Service.ts", "src/routes/{k}.routes.ts", "src/db/{c}Repository.ts",
           "test/{c}Service.spec.ts", "src/middleware/{c}Guard.ts"),
          ("src/**/*.ts", "test/**/*.spec.ts", "src/routes/*.routes.ts", "**/*.d.ts")),
    Stack("go service", "go", "go", "go test ./...", "go build ./...", "go vet ./...",
          ("cmd/server", "internal/store", "internal/http", "internal/auth", "pkg/config"),
          ("internal/{s}/{s}.go", "internal/{s}/{s}_test.go", "internal/http/{s}_handler.go",
           "internal/store/{s}_store.go", "pkg/{s}/client.go"),
          ("**/*.go", "**/*_test.go", "internal/**/handler*.go", "cmd/*/main.go")),
    Stack("rust crate", "rust", "rust", "cargo test", "cargo build --release", "cargo clippy",
          ("src", "src/bin", "tests", "benches", "crates/core/src"),
          ("src/{s}.rs", "crates/core/src/{s}.rs", "src/{s}/mod.rs", "tests/{s}_tests.rs",
           "src/bin/{s}_cli.rs"),
          ("**/*.rs", "tests/*.rs", "crates/*/Cargo.toml", "src/**/mod.rs")),
)

DOC_URLS = (
    "https://docs.python.org/3/library/{topic}.html", "https://developer.mozilla.org/en-US/docs/Web/API/{T}",
    "https://pkg.go.dev/{topic}", "https://doc.rust-lang.org/std/{topic}/index.html",
    "https://react.dev/reference/react/{T}", "https://fastapi.tiangolo.com/tutorial/{topic}/",
    "https://docs.djangoproject.com/en/5.0/topics/{topic}/", "https://nodejs.org/api/{topic}.html",
)
DOC_TOPICS = ("pathlib", "asyncio", "logging", "datetime", "json", "sqlite3", "http", "context", "sync",
              "collections", "fs", "stream", "crypto", "dataclasses", "typing", "itertools", "functools",
              "subprocess", "unittest", "re", "fmt", "time", "io", "net", "security", "testing",
              "middleware", "dependencies", "caching", "signals", "forms", "migrations")
DOC_TITLES = ("useEffect", "useMemo", "useState", "Fetch_API", "AbortController", "Suspense",
              "URLSearchParams", "Headers", "WebSocket", "IntersectionObserver", "useCallback",
              "Response", "FormData", "useReducer", "useContext", "ReadableStream")


def pick(rng: random.Random, seq: tuple | list):
    return seq[rng.randrange(len(seq))]


def entity(rng: random.Random, pool: str = "train") -> str:
    return pick(rng, ENTITY_POOLS[pool])


def fields_for(rng: random.Random, k: int) -> list[str]:
    names = ["id", *rng.sample(FIELD_NAMES[1:], k - 1)]
    return names


def path_for(stack: Stack, ent: str, rng: random.Random) -> str:
    pattern = pick(rng, stack.file_patterns)
    return pattern.format(s=ent, c=camel(ent), p=pascal(ent), k=kebab(ent), pl=plural(ent))


def doc_url(rng: random.Random) -> str:
    return pick(rng, DOC_URLS).format(topic=pick(rng, DOC_TOPICS), T=pick(rng, DOC_TITLES))


# -- code builders ---------------------------------------------------------------------------------

def py_dataclass(ent: str, fields: list[str]) -> str:
    plain = [f for f in fields if not FIELDS[f][0].startswith("list")]
    listy = [f for f in fields if FIELDS[f][0].startswith("list")]
    lines = [f'"""Domain model for {ent.replace("_", " ")}."""', "", "from __future__ import annotations", ""]
    lines.append("from dataclasses import dataclass, field" if listy else "from dataclasses import dataclass")
    if any(FIELDS[f][0] == "datetime" for f in fields):
        lines.append("from datetime import datetime")
    lines += ["", "", "@dataclass(frozen=True, slots=True)", f"class {pascal(ent)}:",
              f'    """A {ent.replace("_", " ")} as the service stores it."""', ""]
    lines += [f"    {f}: {FIELDS[f][0]}" for f in plain]
    lines += [f"    {f}: {FIELDS[f][0]} = field(default_factory=list)" for f in listy]
    return "\n".join(lines) + "\n"


def py_service(ent: str, rng: random.Random) -> str:
    E, s, pl = pascal(ent), ent, plural(ent)
    limit = rng.choice((50, 100, 200, 500))
    return f'''"""Service functions for {pl.replace("_", " ")}."""

from __future__ import annotations

import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

MAX_BATCH = {limit}


class {E}NotFoundError(LookupError):
    """Raised when a {s.replace("_", " ")} id does not exist."""


def find_{s}(store: dict[int, dict], {s}_id: int) -> dict:
    """Return the {s.replace("_", " ")} with ``{s}_id`` or raise {E}NotFoundError."""
    try:
        return store[{s}_id]
    except KeyError:
        raise {E}NotFoundError({s}_id) from None


def active_{pl}(records: Iterable[dict]) -> list[dict]:
    """Keep the active records, at most MAX_BATCH of them."""
    selected = [r for r in records if r.get("is_active", True)][:MAX_BATCH]
    logger.debug("selected %d active {pl}", len(selected))
    return selected
'''


def py_function(ent: str, rng: random.Random) -> tuple[str, str]:
    """A small pure function and a pytest test for it; returns (module, test)."""
    s, pl = ent, plural(ent)
    threshold = rng.choice((10, 25, 100, 1000))
    module = f'''"""Summaries over {pl.replace("_", " ")}."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def total_amount(rows: Iterable[Mapping[str, int]]) -> int:
    """Sum ``amount_cents`` over rows, ignoring rows without it."""
    return sum(row.get("amount_cents", 0) for row in rows)


def large_{pl}(rows: Iterable[Mapping[str, int]], threshold: int = {threshold}) -> list[Mapping[str, int]]:
    """The rows whose amount is at least ``threshold`` cents."""
    return [row for row in rows if row.get("amount_cents", 0) >= threshold]
'''
    test = f'''from {s}_summary import large_{pl}, total_amount


def test_total_amount_skips_rows_without_amount() -> None:
    rows = [{{"amount_cents": {threshold}}}, {{}}, {{"amount_cents": 5}}]
    assert total_amount(rows) == {threshold + 5}


def test_large_{pl}_uses_threshold_inclusively() -> None:
    rows = [{{"amount_cents": {threshold}}}, {{"amount_cents": {threshold - 1}}}]
    assert large_{pl}(rows) == [{{"amount_cents": {threshold}}}]
'''
    return module, test


def ts_interface(ent: str, fields: list[str]) -> str:
    E = pascal(ent)
    body = "\n".join(f"  {camel(f)}: {FIELDS[f][1]};" for f in fields)
    return f"export interface {E} {{\n{body}\n}}\n"


def ts_component(ent: str, fields: list[str]) -> str:
    E, c = pascal(ent), camel(ent)
    shown = [f for f in fields if FIELDS[f][1] in ("string", "number")][:3] or ["id"]
    rows = "\n".join(f"      <dd>{{{c}.{camel(f)}}}</dd>" for f in shown)
    return f"""{ts_interface(ent, fields)}
export interface {E}CardProps {{
  {c}: {E};
  onSelect?: (id: number) => void;
}}

export function {E}Card({{ {c}, onSelect }}: {E}CardProps): JSX.Element {{
  return (
    <dl className="{kebab(ent)}-card" onClick={{() => onSelect?.({c}.id)}}>
{rows}
    </dl>
  );
}}
"""


def ts_service(ent: str, rng: random.Random) -> str:
    E, c, pl = pascal(ent), camel(ent), camel(plural(ent))
    timeout = rng.choice((2000, 5000, 10000))
    return f"""export interface {E} {{
  id: number;
  status: string;
}}

const TIMEOUT_MS = {timeout};

export async function fetch{E}(baseUrl: string, id: number): Promise<{E}> {{
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {{
    const response = await fetch(`${{baseUrl}}/{kebab(plural(ent))}/${{id}}`, {{ signal: controller.signal }});
    if (!response.ok) {{
      throw new Error(`{c} ${{id}}: HTTP ${{response.status}}`);
    }}
    return (await response.json()) as {E};
  }} finally {{
    clearTimeout(timer);
  }}
}}

export function active{pascal(plural(ent))}({pl}: {E}[]): {E}[] {{
  return {pl}.filter((item) => item.status === "active");
}}
"""


def go_struct(ent: str, fields: list[str]) -> str:
    E = pascal(ent)
    uses_time = any(FIELDS[f][2] == "time.Time" for f in fields)
    lines = [f"    {pascal(f)} {FIELDS[f][2]} `json:\"{f}\"`" for f in fields]
    imports = 'import "time"\n\n' if uses_time else ""
    pkg = ent.replace("_", "")
    return f"""package {pkg}

{imports}// {E} is a {ent.replace("_", " ")} as stored by the service.
type {E} struct {{
{chr(10).join(lines)}
}}

// Validate reports the first problem with the {ent.replace("_", " ")}, or nil.
func (x *{E}) Validate() error {{
    if x.ID == 0 {{
        return ErrMissingID
    }}
    return nil
}}
""".replace("    Id ", "    ID ")


def go_errors(ent: str) -> str:
    return f"""package {ent.replace("_", "")}

import "errors"

// ErrMissingID is returned when a {ent.replace("_", " ")} has no id.
var ErrMissingID = errors.New("{ent.replace("_", " ")}: missing id")
"""


def rust_struct(ent: str, fields: list[str]) -> str:
    E = pascal(ent)
    lines = "\n".join(f"    pub {f}: {FIELDS[f][3]}," for f in fields)
    return f"""/// A {ent.replace("_", " ")} as stored by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct {E} {{
{lines}
}}

impl {E} {{
    /// Returns true when the record can be persisted.
    pub fn is_valid(&self) -> bool {{
        self.id != 0
    }}
}}
"""


def code_for(stack: Stack, ent: str, rng: random.Random, path: str = "") -> str:
    """A realistic file body for ``stack`` about ``ent``; the file extension decides JSX or not."""
    fields = fields_for(rng, rng.randint(3, 6))
    lang = stack.language
    if lang == "python":
        return rng.choice((lambda: py_dataclass(ent, fields), lambda: py_service(ent, rng),
                           lambda: py_function(ent, rng)[0]))()
    if lang == "typescript":
        if path.endswith(".tsx") or (not path and stack.fence == "tsx"):
            return ts_component(ent, fields)
        return rng.choice((lambda: ts_interface(ent, fields), lambda: ts_service(ent, rng)))()
    if lang == "go":
        return go_struct(ent, fields) if rng.random() < 0.7 else go_errors(ent)
    return rust_struct(ent, fields)


def fenced(code: str, fence: str) -> str:
    return f"```{fence}\n{code.rstrip()}\n```"


def choose(rng: random.Random, *options: str) -> str:
    return options[rng.randrange(len(options))]
