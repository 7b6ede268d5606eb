"""Vocabulary the templates are filled with: domain nouns split into a training pool and a held-out
pool (``pool="eval"``: no evaluation prompt names a training entity), typed field names, naming styles,
project stacks with realistic paths (a training pool and a held-out pool too, ``STACK_POOLS``), and
documentation links.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from factory.authoring.text import one

# Domain nouns, snake_case. The last fifth is held out for evaluation prompts.
_ENTITIES = ["invoice", "user", "order", "payment", "session", "cart", "product", "subscription", "report", "notification", "webhook", "tenant", "audit_log", "shipment", "coupon", "customer", "account", "address", "refund", "ticket", "comment", "article", "category", "tag", "upload", "attachment", "workspace", "project", "task", "milestone", "team", "member", "role", "permission", "api_key", "quota", "billing_plan", "price", "discount", "warehouse", "inventory", "supplier", "purchase_order", "receipt", "ledger_entry", "transaction", "wallet", "device", "sensor", "reading", "alert", "incident", "deployment", "release", "build", "pipeline", "artifact", "job", "schedule", "reminder", "calendar_event", "booking", "room", "guest", "review", "rating", "survey", "answer", "question", "lesson", "syllabus", "enrollment", "grade_report", "diploma", "playlist", "music_track", "album", "lyricist", "podcast_episode", "news_feed", "blog_post", "reaction", "follower", "chat_message", "forum_thread", "chat_channel", "email_template", "semester"]


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

# Project kinds the eval set is set in and no training record names (held out like the nouns): an
# evaluation request is about a project layout, test command and paths the model has not seen.
HELD_OUT_STACKS: tuple[Stack, ...] = (
    Stack("flask app", "python", "python", "pytest tests/unit", "flask --app webapp routes", "flake8 webapp",
          ("webapp/blueprints", "webapp/models", "webapp/forms", "migrations", "tests/unit"),
          ("webapp/blueprints/{s}_views.py", "webapp/models/{s}_model.py", "webapp/forms/{s}_form.py",
           "tests/unit/test_{s}_views.py", "webapp/jobs/{s}_jobs.py"),
          ("webapp/**/*.py", "tests/unit/test_*.py", "webapp/blueprints/*_views.py", "migrations/versions/*.py")),
    Stack("vue app", "typescript", "ts", "npx vitest run", "npx vite build", "npx vue-tsc --noEmit",
          ("src/views", "src/stores", "src/composables", "src/router", "tests/unit"),
          ("src/stores/{c}Store.ts", "src/composables/use{p}Query.ts", "src/router/{k}Routes.ts",
           "tests/unit/{c}Store.spec.ts", "src/plugins/{c}Plugin.ts"),
          ("src/stores/*.ts", "tests/unit/**/*.spec.ts", "src/composables/use*.ts", "src/**/*.vue")),
    Stack("go cli", "go", "go", "go test ./internal/...", "go build ./cmd/tool", "staticcheck ./...",
          ("cmd/tool", "internal/cli", "internal/render", "testdata"),
          ("internal/cli/{s}_cmd.go", "internal/render/{s}_table.go", "internal/cli/{s}_cmd_test.go",
           "cmd/tool/{s}_flags.go"),
          ("internal/cli/*_cmd.go", "testdata/**/*.golden", "internal/**/*_test.go", "cmd/tool/*.go")),
    Stack("rust web service", "rust", "rust", "cargo nextest run", "cargo build --locked", "cargo fmt --check",
          ("src/handlers", "src/persistence", "src/extract", "tests/api"),
          ("src/handlers/{s}_handler.rs", "src/persistence/{s}_queries.rs", "tests/api/{s}_api.rs", "src/extract/{s}_extract.rs"),
          ("src/handlers/*.rs", "tests/api/*.rs", "src/persistence/**/*.rs", "migrations/*.sql")),
)
STACK_POOLS = {"train": STACKS, "eval": HELD_OUT_STACKS}


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


def entity_name(rng: random.Random, pool: str = "train") -> str:
    return one(rng, ENTITY_POOLS[pool])


def fields_for(rng: random.Random, k: int) -> list[str]:
    names = ["id", *rng.sample(FIELD_NAMES[1:], k - 1)]
    return names


def path_for(stack: Stack, ent: str, rng: random.Random) -> str:
    pattern = one(rng, stack.file_patterns)
    return pattern.format(s=ent, c=camel(ent), p=pascal(ent), k=kebab(ent), pl=plural(ent))


def doc_url(rng: random.Random) -> str:
    return one(rng, DOC_URLS).format(topic=one(rng, DOC_TOPICS), T=one(rng, DOC_TITLES))
