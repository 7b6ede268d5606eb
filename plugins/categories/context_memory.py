"""The ``context_memory`` category: multi-turn conversations where the answer
depends on what came earlier -- a decision made before, the project's written conventions (read from
the workspace), the user's stated preferences, work already done, and names kept consistent."""

from __future__ import annotations

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import flows
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity, fields, py_dataclass
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.text import bullets, fence, framed, one
from factory.registry import Category
from factory.sandbox.tasks import TASKS

DECISIONS = [
    ("How should we store money amounts?", "Store money as integer cents (`int`), never floats: floats can't represent 0.10 exactly.",
     "money as integer cents", "total_cents: int"),
    ("What should public ids look like?", "Expose UUIDs publicly and keep integer keys internal, so ids can't be enumerated.",
     "UUIDs for public ids", "public_id: UUID"),
    ("How do we store timestamps?", "Timestamps are timezone-aware UTC `datetime`s; convert to local time only for display.",
     "UTC, timezone-aware timestamps", "created_at: datetime"),
    ("Hard delete or soft delete?", "Soft delete: a nullable `deleted_at` column, and every query filters on it.",
     "soft delete via `deleted_at`", "deleted_at: datetime | None = None"),
    ("Do we need optimistic locking?", ("Yes: every row carries a `version` integer, bumped on each update, and "
     "updates check it."), "a `version` column for optimistic locking", "version: int = 0"),
    ("Should models know who last changed them?", ("Record `updated_by` (the user id) on every write; it is cheap "
     "and saves a lot of guessing later."), "an `updated_by` audit field", "updated_by: str = \"\""),
]
RATIONALE = ["", " Otherwise we'd revisit it in every review.", " It's much harder to retrofit later.",
             " The team agreed on this in the last design review.", " It matches what the reporting side expects."]
IMPORTS = {"public_id: UUID": "from uuid import UUID\n", "created_at: datetime": "from datetime import datetime\n",
           "deleted_at: datetime | None = None": "from datetime import datetime\n", "total_cents: int": "",
           "version: int = 0": "", "updated_by: str = \"\"": ""}


def _model(ent, fs, extra_field: str) -> str:
    imp = IMPORTS[extra_field]
    head = "from dataclasses import dataclass\n" + imp
    head = "".join(sorted(head.splitlines(keepends=True), key=lambda ln: ln.split()[1]))
    body = py_dataclass(ent, fs).rstrip("\n") + f"\n    {extra_field}\n"
    return head + "\n\n" + body


def previous_decisions(rng, d: Dialog) -> None:
    q, answer, short, extra = one(rng, DECISIONS)
    e = entity(rng)
    d.user(one(rng, ["", "Design question for the {dom} service: ", "Before we write models: ",
                     "Settle this for the {dom} codebase: "]).format(dom=e.domain) + q)
    d.say(answer + one(rng, RATIONALE) + one(rng, [" I'll apply this to every model from now on.",
                                                   " Let's treat that as settled.", ""]))
    fs = fields(rng, e, 2, 4)
    if rng.random() < 0.5:
        d.user(one(rng, ["Unrelated: what's a good name for a module that holds our models?",
                         "Side question -- dataclasses or pydantic for plain records?",
                         "Also, should tests live next to the code or in tests/?"]))
        d.say(one(rng, ["`models.py` while it's small; split by aggregate when it grows.",
                        "Dataclasses for internal records, pydantic at the boundaries where input is untrusted.",
                        "A top-level `tests/` directory mirroring the package keeps imports honest."]))
    d.user(one(rng, ["Now write the `{c}` model.", "Add a dataclass for {p}.", "Next: the `{c}` type, please.",
                     "We need a `{c}` record with {f}.", "Model `{c}` for me ({f})."])
           .format(c=e.cls, p=e.plural.replace("_", " "), f=", ".join(x.name for x in fs)))
    d.say(one(rng, [f"Following what we decided earlier ({short}):", f"As agreed above -- {short}:",
                    f"Applying our earlier decision ({short}):"]) + "\n\n" + fence("python", _model(e, fs, extra)))


CONVENTIONS = [
    ("Money is stored as integer cents", "integer cents", [
        "def {s}_total_cents(price_cents: int, quantity: int) -> int:\n    return price_cents * quantity\n",
        "def {s}_refund_cents(paid_cents: int, percent: int) -> int:\n    return paid_cents * percent // 100\n"]),
    ("every query uses parameters", "parameterised queries", [
        ("import sqlite3\n\n\ndef find_{p}(conn: sqlite3.Connection, key: str) -> list[tuple]:\n"
        "    return conn.execute(\"SELECT * FROM {p} WHERE key = ?\", (key,)).fetchall()\n"),
        ("import sqlite3\n\n\ndef delete_{s}(conn: sqlite3.Connection, row_id: int) -> None:\n    with conn:\n"
        "        conn.execute(\"DELETE FROM {p} WHERE id = ?\", (row_id,))\n")]),
    ("constant-time comparison", "a constant-time comparison", [
        ("import hmac\n\n\ndef {s}_token_ok(presented: str, expected: str) -> bool:\n"
        "    return hmac.compare_digest(presented.encode(), expected.encode())\n")]),
    ("case-insensitive", "case-insensitive codes", [
        "def normalise_{s}_code(code: str) -> str:\n    return code.strip().upper()\n",
        "def same_{s}_code(a: str, b: str) -> bool:\n    return a.strip().casefold() == b.strip().casefold()\n"]),
    ("never floats", "integers instead of floats for money", [
        ("def {s}_split_cents(total_cents: int, parts: int) -> list[int]:\n    base, extra = divmod(total_cents, parts)\n"
        "    return [base + (1 if i < extra else 0) for i in range(parts)]\n")]),
]


def project_conventions(rng, d: Dialog) -> None:
    needle, short, codes = one(rng, CONVENTIONS)
    e = entity(rng)
    d.user(framed(rng, one(rng, ["", "Small addition: ", "For the {dom} integration: "]).format(dom=e.domain)
           + one(rng, ["Add a helper for {p} to this project.", "I need a small function for {p} in shoplite.",
                       "Write the {p} helper for this repo.", "Can you add {p} support in the style of this codebase?",
                       "Implement a {p} utility that fits our conventions."]).format(p=e.plural.replace("_", " "))))
    out = d.call("grep", {"pattern": needle, "path": "docs", "output_mode": "content"},
                 content=one(rng, ["First, checking the project's written conventions.",
                                   "Let me check docs/ for house rules before writing anything.", None]))
    line = out.splitlines()[0].split(":", 2)[-1].strip()
    code = one(rng, codes).format(s=e.snake, p=e.plural)
    d.say(one(rng, [f"The architecture notes say: \"{line}\" So the helper uses {short}:",
                    f"`docs/ARCHITECTURE.md` is explicit (\"{line}\"), hence {short}:",
                    f"Following the documented rule -- {short}:"]) + "\n\n" + fence("python", code)
          + "\n\n" + one(rng, ["That keeps it consistent with the rest of `src/shoplite`.",
                               "Same convention as the existing modules.", "Tests can follow once you confirm the name.",
                               "If the convention should change, update the doc first.", ""]))


PREFS = [
    ("I prefer plain functions over classes.", "plain functions, no classes",
     "def {f}(items: list[dict]) -> list[dict]:\n    return [item for item in items if item.get(\"{k}\")]\n"),
    ("Always use type hints, please.", "type hints on everything",
     ("def {f}(items: list[dict[str, object]]) -> list[dict[str, object]]:\n"
     "    return [item for item in items if item.get(\"{k}\")]\n")),
    ("Keep answers short: code only, no explanations.", "code only", None),
    ("Use pathlib, not os.path.", "pathlib",
     "from pathlib import Path\n\n\ndef {f}(folder: Path) -> list[Path]:\n    return sorted(folder.glob(\"*{k}*.json\"))\n"),
]


def user_preferences(rng, d: Dialog) -> None:
    pref, short, code = one(rng, PREFS)
    e = entity(rng)
    k = one(rng, e.fields).name
    d.user(pref + one(rng, ["", " Remember that for this session.", " It's how our team writes code."]))
    d.say(one(rng, ["Noted.", "Got it -- I'll stick to that.", "Understood."]))
    f = f"select_{e.plural}"
    d.user(one(rng, ["Write `{f}`: keep the {p} that have `{k}` set.", "I need `{f}` for the {p}, filtering on `{k}`."])
           .format(f=f, p=e.plural.replace("_", " "), k=k))
    body = (code or PREFS[1][2]).format(f=f, k=k)
    if code is None:
        d.say(fence("python", body))
    else:
        d.say(one(rng, [f"Written with {short}, as you asked:", f"Per your preference ({short}):"]) + "\n\n"
              + fence("python", body))


def prior_work(rng, d: Dialog) -> None:
    task = one(rng, TASKS)
    flows.tdd(rng, d, task, look_first=0.0)  # the recall turns below need the room
    d.user(one(rng, ["Great. Now write the PR description for what we just did.", "Summarise what we changed so far.",
                     "Can you recap this session's change for the changelog?"]))
    d.say(one(rng, ["Based on the work above:", "Recap of this session:", "What we did:"]) + "\n" + bullets([
        f"Added `{task.test_name}` in `{task.test_file}`; it failed first, then passed.",
        f"Changed `{task.file}`" + (f": {task.cause} -- now fixed." if task.cause else "."),
        "No other files were touched.",
    ]))


def coherence(rng, d: Dialog) -> None:
    e = entity(rng)
    fs = fields(rng, e, 2, 4)
    d.user(one(rng, ["Define a `{c}` dataclass with {f}.", "Start with a `{c}` model: {f}."])
           .format(c=e.cls, f=", ".join(f"`{f.name}`" for f in fs)))
    model = "from dataclasses import dataclass\n\n\n" + py_dataclass(e, fs)
    d.say(fence("python", model))
    key = fs[0]
    d.user(one(rng, ["Now a function that indexes a list of them by {k}.", "Add a lookup by {k}."]).format(k=key.name))
    func = (f"def {e.plural}_by_{key.name}({e.plural}: list[{e.cls}]) -> dict[{key.py()}, {e.cls}]:\n"
            f"    return {{{e.snake}.{key.name}: {e.snake} for {e.snake} in {e.plural}}}\n")
    d.say(one(rng, [f"Using the `{e.cls}` from before:", f"Building on `{e.cls}`:"]) + "\n\n"
          + fence("python", model + "\n\n" + func))
    d.user(one(rng, ["And a test for that.", "Test it, please."]))
    args = ", ".join({"str": "\"a\"", "int": "1", "bool": "True", "float": "1.5"}[f.kind] for f in fs)
    test = (f"from models import {e.cls}, {e.plural}_by_{key.name}\n\n\n"
            f"def test_{e.plural}_by_{key.name}_indexes_every_item():\n    item = {e.cls}({args})\n"
            f"    assert {e.plural}_by_{key.name}([item]) == {{item.{key.name}: item}}\n")
    d.say(one(rng, ["Same names as above, so it imports cleanly:", (f"The test uses `{e.cls}` and "
                    f"`{e.plural}_by_{key.name}` exactly as defined:")]) + "\n\n" + fence("python", test))


GENERATOR = SubcategoryGenerator({
    "previous_decisions": previous_decisions, "project_conventions": project_conventions,
    "user_preferences": user_preferences, "prior_work": prior_work, "coherence": coherence,
})


@hookimpl
def register_categories(register):
    register(Category(name="context_memory", spec_path=spec_path("context_memory"), generator=GENERATOR,
                      description="Earlier decisions, conventions, preferences, prior work, coherence"))
