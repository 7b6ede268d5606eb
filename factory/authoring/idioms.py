"""Non-idiomatic -> idiomatic code pairs in Python, TypeScript, Rust and Go, filled with entities.

Each builder ``(rng, pool="train")`` returns an :class:`IdiomPair`; the ``before`` side parses but may be
unidiomatic (it is what the user pastes), the ``after`` side passes the language's parser and, for
Python, ruff. ``pool="eval"`` fills it with a held-out entity.

A pair keeps behaviour unless :data:`CHANGES` names its builder, with two ways to say what changes; a
category must then say so and never claim "behaviour unchanged". A behaviour-preserving Python pair
carries ``probes``, calls whose results (and printed output) both sides share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from factory.authoring.entities import (
    Entity,
    entity,
    fields,
    go_struct,
    py_dataclass,
    rs_struct,
    ts_interface,
)


@dataclass(frozen=True)
class IdiomPair:
    lang: str
    title: str
    before: str
    after: str
    points: tuple[str, ...]
    noun: str = ""  # the entity the code is about, snake_case
    probes: tuple[tuple[str, tuple], ...] = ()  # (function, arguments) calls both sides answer alike


Builder = Callable[..., IdiomPair]

# Builders whose "after" changes behaviour or the interface: two ways to say what changes.
CHANGES: dict[str, tuple[str, str]] = {
    "py_with_open": ("it changes the interface -- `path` is now a `pathlib.Path`, not a string, and some lines "
                     "parse differently (see below)",
                     "the function now takes a `Path` (callers passing a string need `Path(...)`), and some "
                     "lines parse differently"),
    "py_dataclass_idiom": ("it changes behaviour at the edges -- comparing with another type no longer raises",
                           "`==` against a different type is now `False` instead of an `AttributeError`"),
    "ts_optional_chaining": ("it changes behaviour for an empty string -- `??` keeps it where `&&` fell back",
                             "an empty string is now returned as is rather than replaced by the fallback"),
    "ts_async_await": ("it changes behaviour -- a failed request now rejects instead of resolving to `null`",
                       "callers now get a rejected promise on failure, where they used to get `null`"),
    "rs_question_mark": ("it changes the signature -- callers pass a `&Path` and get a `ReadError`",
                         "the parameter is a `&Path` now and the error type is `ReadError`, not `String`"),
    "go_errors_wrap": ("it changes the error callers see -- a new message, with the cause wrapped",
                       "the error text is different now, and `errors.Is` can reach the cause"),
    "go_defer": ("it changes the error callers see when the file cannot be opened -- it now names the path",
                 "an open failure now comes back wrapped, with the path in the message"),
}


def _plural(name: str) -> str:
    """A field name made plural for a function name: ``titles``, ``addresses``, ``statuses``."""
    return name + ("es" if name.endswith(("s", "x", "sh", "ch")) else "s")


def _pick(rng: random.Random, ent: Entity, kind: str):
    options = ent.of(kind)
    return rng.choice(options) if options else None


# -- Python ----------------------------------------------------------------------------------------
def py_enumerate(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4, must="str")
    f = _pick(rng, e, "str")
    fs = fs if f in fs else [*fs, f]
    start = rng.choice([0, 1])
    before = (f"def show_{e.plural}({e.plural}):\n    for i in range(len({e.plural})):\n"
              f"        print(str(i + {start}) + \": \" + {e.plural}[i].{f.name})\n")
    after = ("from dataclasses import dataclass\n\n\n" + py_dataclass(e, fs) + "\n\n"
             f"def show_{e.plural}({e.plural}: list[{e.cls}]) -> None:\n"
             f"    for number, {e.snake} in enumerate({e.plural}, start={start}):\n"
             f"        print(f\"{{number}}: {{{e.snake}.{f.name}}}\")\n")
    return IdiomPair("python", "enumerate instead of range(len(...))", before, after, (
        "`enumerate` yields the index and the element together, so there is no `[i]` lookup to get wrong.",
        f"`start={start}` states where numbering begins instead of hiding it in arithmetic.",
        "An f-string replaces the `str(...) + ...` chain and reads like the output it produces.",
        "The dataclass and the annotation tell readers (and type checkers) what the list holds.",
    ), e.snake, tuple((f"show_{e.plural}", ([SimpleNamespace(**{f.name: v}) for v in values],))
                      for values in ([], ["a"], ["x", "y y", ""])))


def py_counter(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    f = _pick(rng, e, "str")
    top = rng.randint(2, 5)
    before = (f"def top_{_plural(f.name)}(rows):\n    counts = {{}}\n    for row in rows:\n"
              f"        if row['{f.name}'] in counts:\n            counts[row['{f.name}']] += 1\n"
              f"        else:\n            counts[row['{f.name}']] = 1\n"
              f"    pairs = sorted(counts.items(), key=lambda p: p[1], reverse=True)\n    return pairs[:{top}]\n")
    after = (f"from collections import Counter\n\n\n"
             f"def top_{_plural(f.name)}(rows: list[dict[str, str]]) -> list[tuple[str, int]]:\n"
             f"    return Counter(row[\"{f.name}\"] for row in rows).most_common({top})\n")
    return IdiomPair("python", "collections.Counter for tallies", before, after, (
        "`Counter` does the membership test and the increment in one place.",
        f"`most_common({top})` replaces the sort-and-slice and keeps ties in first-seen order.",
        "The generator expression feeds the counter without building an intermediate list.",
        "Less branching means fewer places for an off-by-one or a typo in the key.",
    ), e.snake, tuple((f"top_{_plural(f.name)}", (rows,)) for rows in (
        [], [{f.name: "a"}], [{f.name: v} for v in ("b", "a", "b", "c", "a", "b", "d", "e", "c", "f")])))


def py_with_open(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fmt = rng.choice(["csv", "lines"])
    before = (f"def load_{e.plural}(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n"
              f"    result = []\n    for line in data.split('\\n'):\n        if line != '':\n"
              f"            result.append(line.split(','))\n    return result\n")
    if fmt == "csv":
        after = ("import csv\nfrom pathlib import Path\n\n\n"
                 f"def load_{e.plural}(path: Path) -> list[list[str]]:\n"
                 "    with path.open(newline=\"\", encoding=\"utf-8\") as fh:\n"
                 "        return [row for row in csv.reader(fh) if row]\n")
    else:
        after = ("from pathlib import Path\n\n\n"
                 f"def load_{e.plural}(path: Path) -> list[list[str]]:\n"
                 "    with path.open(encoding=\"utf-8\") as fh:\n"
                 "        return [line.rstrip(\"\\n\").split(\",\") for line in fh if line.strip()]\n")
    return IdiomPair("python", "a context manager for files", before, after, (
        "`with` closes the file even when parsing raises; the original leaks the handle on any error.",
        "Iterating the file object streams line by line instead of reading everything into memory.",
        "An explicit `encoding` makes the result the same on every platform.",
        "`csv.reader` handles quoted commas that a bare `split(',')` gets wrong." if fmt == "csv" else
        "The comprehension states the filter and the transformation in one expression; lines holding "
        "only whitespace are now skipped too, not just empty ones.",
    ), e.snake)


def py_join(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3)
    sep = rng.choice([", ", " | ", "; "])
    parts = " + ".join(f"str(item['{f.name}'])" + (f" + '{sep}'" if i < len(fs) - 1 else "") for i, f in enumerate(fs))
    before = (f"def render_{e.plural}(items):\n    out = ''\n    for item in items:\n        out = out + {parts} + '\\n'\n"
              "    return out\n")
    cols = sep.join("{item['" + f.name + "']}" for f in fs)
    after = (f"def render_{e.plural}(items: list[dict[str, object]]) -> str:\n"
             f"    return \"\".join(f\"{cols}\\n\" for item in items)\n")
    return IdiomPair("python", "str.join instead of += in a loop", before, after, (
        "Repeated `+` on strings copies the whole buffer each time: quadratic for long inputs.",
        "`\"\".join(...)` builds the result once.",
        "The f-string shows the row layout at a glance.",
        "No mutable accumulator, so the function is a single expression.",
    ), e.snake, tuple((f"render_{e.plural}", (items,)) for items in (
        [], [{f.name: v for f, v in zip(fs, ("a b", 3, True), strict=False)}],
        [{f.name: v for f in fs} for v in (0, 2.5, "")])))


def py_get(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    f = _pick(rng, e, "int") or e.fields[0]
    default = rng.choice([0, 1, 10])
    before = (f"def {f.name}_for(settings, key):\n    if key in settings:\n        value = settings[key]\n"
              f"    else:\n        value = {default}\n    return value\n")
    after = (f"def {f.name}_for(settings: dict[str, int], key: str) -> int:\n"
             f"    return settings.get(key, {default})\n")
    return IdiomPair("python", "dict.get with a default", before, after, (
        "`dict.get` looks the key up once instead of twice.",
        f"The default `{default}` sits next to the lookup it belongs to.",
        "Four lines of branching become one expression with the same behaviour.",
    ), e.snake, tuple((f"{f.name}_for", (settings, "limit"))
                      for settings in ({}, {"limit": 5}, {"limit": 0}, {"other": 3})))


def py_dataclass_idiom(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 3, 5)
    args = ", ".join(f.name for f in fs)
    assigns = "\n".join(f"        self.{f.name} = {f.name}" for f in fs)
    reprs = ", ".join(f"{f.name}=' + repr(self.{f.name}) + '" for f in fs)
    eqs = " and ".join(f"self.{f.name} == other.{f.name}" for f in fs)
    before = (f"class {e.cls}:\n    def __init__(self, {args}):\n{assigns}\n\n"
              f"    def __repr__(self):\n        return '{e.cls}({reprs})'\n\n"
              f"    def __eq__(self, other):\n        return {eqs}\n")
    frozen = rng.choice([True, False])
    after = "from dataclasses import dataclass\n\n\n" + py_dataclass(e, fs).replace(
        "@dataclass", "@dataclass(frozen=True)" if frozen else "@dataclass")
    return IdiomPair("python", "a dataclass instead of hand-written boilerplate", before, after, (
        "`@dataclass` generates `__init__`, `__repr__` and `__eq__` from the annotated fields.",
        "The hand-written `__eq__` crashes when compared with a non-" + e.cls + "; the generated one returns NotImplemented.",
        "Adding a field is now a one-line change instead of four edits that must agree.",
        "`frozen=True` makes instances hashable and immutable, which suits a value object." if frozen else
        "Type annotations document every field and feed the type checker.",
    ), e.snake)


def py_comprehension(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    b = _pick(rng, e, "bool") or e.fields[0]
    s = _pick(rng, e, "str") or e.fields[0]
    neg = rng.choice([True, False])
    cond = f"not item['{b.name}']" if neg else f"item['{b.name}']"
    before = (f"def pick_{_plural(s.name)}(items):\n    result = []\n    for item in items:\n        if {cond}:\n"
              f"            result.append(item['{s.name}'].strip())\n    return result\n")
    cond2 = cond.replace("'", '"')
    after = (f"def pick_{_plural(s.name)}(items: list[dict]) -> list[str]:\n"
             f"    return [item[\"{s.name}\"].strip() for item in items if {cond2}]\n")
    return IdiomPair("python", "a list comprehension instead of append in a loop", before, after, (
        "The comprehension says filter-then-map in one line.",
        "It avoids the repeated attribute lookup of `result.append`.",
        f"The condition on `{b.name}` sits where the filter is applied, not two indents away.",
    ), e.snake, tuple((f"pick_{_plural(s.name)}", (items,)) for items in (
        [], [{b.name: True, s.name: " a "}], [{b.name: False, s.name: "b"}, {b.name: True, s.name: "c\n"}])))


def py_max_key(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    f = _pick(rng, e, "int") or _pick(rng, e, "float") or e.fields[0]
    before = (f"def largest_{f.name}(items):\n    best = None\n    for item in items:\n"
              f"        if best is None or item.{f.name} > best.{f.name}:\n            best = item\n    return best\n")
    after = ("from operator import attrgetter\n\n\n"
             f"def largest_{f.name}(items: list) -> object | None:\n"
             f"    return max(items, key=attrgetter(\"{f.name}\"), default=None)\n")
    return IdiomPair("python", "max with a key", before, after, (
        "`max(..., key=...)` expresses 'the item with the largest field' directly.",
        "`default=None` covers the empty list the loop handled with a sentinel.",
        "`attrgetter` is faster than a lambda and names the field once.",
    ), e.snake, tuple((f"largest_{f.name}", ([SimpleNamespace(**{f.name: v, "rank": i}) for i, v in enumerate(vs)],))
                      for vs in ([], [3], [1, 5, 5, 2])))


# -- TypeScript ------------------------------------------------------------------------------------
def ts_optional_chaining(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    f = _pick(rng, e, "str") or e.fields[0]
    fallback = rng.choice(['"unknown"', '"n/a"', '""'])
    before = (f"function {f.camel}Of(response: any): string {{\n"
              f"  if (response && response.data && response.data.{e.snake} && response.data.{e.snake}.{f.camel}) {{\n"
              f"    return response.data.{e.snake}.{f.camel};\n  }}\n  return {fallback};\n}}\n")
    after = (f"interface {e.cls}Response {{\n  data?: {{ {e.snake}?: {{ {f.camel}?: string }} }};\n}}\n\n"
             f"function {f.camel}Of(response: {e.cls}Response): string {{\n"
             f"  return response.data?.{e.snake}?.{f.camel} ?? {fallback};\n}}\n")
    return IdiomPair("typescript", "optional chaining and nullish coalescing", before, after, (
        "`?.` stops at the first missing link, replacing the `&&` ladder.",
        "`??` falls back only on null/undefined; `&&` also treated an empty string as missing.",
        "Typing the response instead of `any` lets the compiler check the path.",
    ))


def ts_union(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    states = rng.choice([["draft", "active", "archived"], ["queued", "running", "done", "failed"],
                         ["open", "pending", "closed"], ["new", "review", "approved", "rejected"]])
    consts = "\n".join(f'const {s.upper()} = "{s}";' for s in states)
    before = (f"{consts}\n\nfunction label(status: string): string {{\n"
              + "".join(f'  if (status == {s.upper()}) return "{s.title()}";\n' for s in states)
              + '  return "?";\n}\n')
    union = " | ".join(f'"{s}"' for s in states)
    cases = "".join(f'    case "{s}":\n      return "{s.title()}";\n' for s in states)
    after = (f"type {e.cls}Status = {union};\n\nfunction label(status: {e.cls}Status): string {{\n"
             f"  switch (status) {{\n{cases}  }}\n}}\n")
    return IdiomPair("typescript", "a string-literal union instead of loose constants", before, after, (
        "The union type makes invalid states unrepresentable: `label(\"typo\")` no longer compiles.",
        "With every case returning, the compiler proves the switch exhaustive, so the `\"?\"` fallback goes away.",
        "`==` coerces types; the switch compares strictly.",
        f"Adding a {len(states) + 1}th state makes the compiler point at every switch that needs it.",
    ))


def ts_readonly_map(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="int")
    n = next(f for f in fs if f.kind == "int")
    before = (ts_interface(e, fs) + f"\nfunction total{n.pascal}(items: {e.cls}[]): number {{\n"
              f"  var sum = 0;\n  for (var i = 0; i < items.length; i++) {{\n    sum = sum + items[i].{n.camel};\n  }}\n"
              "  return sum;\n}\n")
    after = (ts_interface(e, fs) + f"\nfunction total{n.pascal}(items: readonly {e.cls}[]): number {{\n"
             f"  return items.reduce((sum, item) => sum + item.{n.camel}, 0);\n}}\n")
    return IdiomPair("typescript", "reduce over a readonly array instead of an index loop", before, after, (
        "`var` is function-scoped and hoisted; the rewrite has no mutable variables at all.",
        "`readonly` documents (and enforces) that the function does not modify its input.",
        "`reduce` with an initial `0` handles the empty array without a special case.",
    ))


def ts_async_await(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    before = (f"function load{e.cls}(id: string): Promise<unknown> {{\n"
              f"  return fetch(\"/api/{e.plural}/\" + id).then(function (res) {{\n"
              "    return res.json().then(function (body) {\n      return body;\n    });\n"
              "  }).catch(function (err) {\n    console.log(err);\n    return null;\n  });\n}\n")
    after = (f"async function load{e.cls}(id: string): Promise<unknown> {{\n"
             f"  const res = await fetch(`/api/{e.plural}/${{encodeURIComponent(id)}}`);\n"
             f"  if (!res.ok) {{\n    throw new Error(`loading {e.snake} ${{id}} failed: ${{res.status}}`);\n  }}\n"
             "  return res.json();\n}\n")
    return IdiomPair("typescript", "async/await instead of nested then-callbacks", before, after, (
        "`await` flattens the promise chain into straight-line code.",
        "The original swallowed every error and returned null; callers now see the failure.",
        "`res.ok` is checked: `fetch` resolves on HTTP 404/500, it only rejects on network errors.",
        "`encodeURIComponent` keeps an id with `/` or `?` from changing the URL.",
    ))


def ts_destructuring(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4)
    before = (ts_interface(e, fs) + f"\nfunction describe(x: {e.cls}): string {{\n"
              + "".join(f"  const {f.camel} = x.{f.camel};\n" for f in fs)
              + "  return " + " + \" \" + ".join(f"String({f.camel})" for f in fs) + ";\n}\n")
    names = ", ".join(f.camel for f in fs)
    tmpl = " ".join("${" + f.camel + "}" for f in fs)
    after = (ts_interface(e, fs) + f"\nfunction describe({{ {names} }}: {e.cls}): string {{\n"
             f"  return `{tmpl}`;\n}}\n")
    return IdiomPair("typescript", "parameter destructuring and template literals", before, after, (
        "Destructuring in the parameter list shows which fields the function reads.",
        "A template literal replaces the `+ \" \" +` chain and the explicit `String(...)` calls.",
        "Fewer locals, same output.",
    ))


def ts_includes(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    states = rng.choice([["draft", "active", "archived"], ["queued", "running", "done"], ["open", "pending"],
                         ["new", "review", "approved", "rejected"]])
    listed = ", ".join(f'"{s}"' for s in states)
    const = f"KNOWN_{e.snake.upper()}_STATES"
    compare = rng.choice(["!== -1", ">= 0", "> -1"])
    before = (f"const {const} = [{listed}];\n\nfunction isKnown{e.cls}State(state: string): boolean {{\n"
              f"  return {const}.indexOf(state) {compare};\n}}\n")
    after = (f"const {const}: readonly string[] = [{listed}];\n\nfunction isKnown{e.cls}State(state: string): boolean {{\n"
             f"  return {const}.includes(state);\n}}\n")
    return IdiomPair("typescript", "Array.includes instead of an indexOf comparison", before, after, (
        f"`includes` says what is asked; `indexOf(...) {compare}` makes the reader decode a sentinel value.",
        "`readonly string[]` stops code elsewhere from pushing into a list that is meant to be fixed.",
        "For strings the answer is identical; `includes` and `indexOf` only disagree on `NaN`.",
    ))


def ts_object_spread(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4)
    f = rng.choice(fs)
    before = (ts_interface(e, fs) + f"\nfunction with{f.pascal}(item: {e.cls}, value: {f.ts()}): {e.cls} {{\n"
              f"  return Object.assign({{}}, item, {{ {f.camel}: value }});\n}}\n")
    after = (ts_interface(e, fs) + f"\nfunction with{f.pascal}(item: {e.cls}, value: {f.ts()}): {e.cls} {{\n"
             f"  return {{ ...item, {f.camel}: value }};\n}}\n")
    return IdiomPair("typescript", "object spread instead of Object.assign on an empty object", before, after, (
        f"`{{ ...item, {f.camel}: value }}` reads as 'the same {e.snake.replace('_', ' ')}, with a new "
        f"{f.name.replace('_', ' ')}'.",
        "Like `Object.assign({}, ...)` it copies into a new object, so the caller's `item` is left untouched.",
        "No empty-object first argument to remember: forgetting it with `Object.assign` mutates the input.",
    ))


def ts_for_of(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="str")
    s = next(f for f in fs if f.kind == "str")
    before = (ts_interface(e, fs) + f"\nfunction longest{s.pascal}(items: {e.cls}[]): string {{\n  let best = \"\";\n"
              f"  for (const i in items) {{\n    if (items[i].{s.camel}.length > best.length) {{\n"
              f"      best = items[i].{s.camel};\n    }}\n  }}\n  return best;\n}}\n")
    after = (ts_interface(e, fs) + f"\nfunction longest{s.pascal}(items: readonly {e.cls}[]): string {{\n"
             f"  let best = \"\";\n  for (const item of items) {{\n    if (item.{s.camel}.length > best.length) {{\n"
             f"      best = item.{s.camel};\n    }}\n  }}\n  return best;\n}}\n")
    return IdiomPair("typescript", "for...of instead of for...in over an array", before, after, (
        "`for...in` walks property keys as strings (and any enumerable extras); `for...of` walks the elements.",
        "Naming the element once removes the repeated `items[i]` lookups.",
        "`readonly` on the parameter records that the function only reads the array.",
    ))


# -- Rust ------------------------------------------------------------------------------------------
def rs_iterators(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4, must="bool")
    b = next(f for f in fs if f.kind == "bool")
    neg = rng.choice([True, False])
    cond = f"!items[i].{b.name}" if neg else f"items[i].{b.name}"
    before = (rs_struct(e, fs) + f"\npub fn count_selected(items: &Vec<{e.cls}>) -> usize {{\n    let mut n = 0;\n"
              f"    for i in 0..items.len() {{\n        if {cond} {{\n            n = n + 1;\n        }}\n    }}\n    return n;\n}}\n")
    cond2 = f"!item.{b.name}" if neg else f"item.{b.name}"
    after = (rs_struct(e, fs) + f"\npub fn count_selected(items: &[{e.cls}]) -> usize {{\n"
             f"    items.iter().filter(|item| {cond2}).count()\n}}\n")
    return IdiomPair("rust", "iterator adapters instead of index loops", before, after, (
        "`iter().filter().count()` states the intent and skips the bounds checks of `items[i]`.",
        "`&[T]` accepts vectors, arrays and slices; `&Vec<T>` only vectors (clippy's `ptr_arg`).",
        "The last expression is the return value, so `return n;` goes away.",
    ))


def rs_option(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="str")
    s = next(f for f in fs if f.kind == "str")
    before = (rs_struct(e, fs) + f"\npub fn find_by_{s.name}<'a>(items: &'a [{e.cls}], key: &str) -> Option<&'a {e.cls}> {{\n"
              f"    let mut found = None;\n    for item in items {{\n        if item.{s.name} == key {{\n"
              "            found = Some(item);\n            break;\n        }\n    }\n"
              "    if found.is_none() {\n        return None;\n    }\n    found\n}\n")
    after = (rs_struct(e, fs) + f"\npub fn find_by_{s.name}<'a>(items: &'a [{e.cls}], key: &str) -> Option<&'a {e.cls}> {{\n"
             f"    items.iter().find(|item| item.{s.name} == key)\n}}\n")
    return IdiomPair("rust", "Iterator::find instead of a manual search", before, after, (
        "`find` returns the `Option` directly; the mutable `found` and the `break` disappear.",
        "The `is_none` check returned what was already there.",
        "The lifetime `'a` ties the result to the slice, which the borrow checker then enforces.",
    ))


def rs_question_mark(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    n = _pick(rng, e, "int") or e.fields[0]
    before = (f"use std::fs;\n\npub fn read_{n.name}(path: &str) -> Result<i64, String> {{\n"
              "    let text = match fs::read_to_string(path) {\n        Ok(t) => t,\n"
              "        Err(e) => return Err(e.to_string()),\n    };\n"
              "    let value = match text.trim().parse::<i64>() {\n        Ok(v) => v,\n"
              "        Err(e) => return Err(e.to_string()),\n    };\n    Ok(value)\n}\n")
    after = ("use std::{fs, path::Path};\n\n#[derive(Debug)]\npub enum ReadError {\n    Io(std::io::Error),\n"
             "    Parse(std::num::ParseIntError),\n}\n\n"
             "impl From<std::io::Error> for ReadError {\n    fn from(e: std::io::Error) -> Self {\n        ReadError::Io(e)\n    }\n}\n\n"
             "impl From<std::num::ParseIntError> for ReadError {\n    fn from(e: std::num::ParseIntError) -> Self {\n"
             "        ReadError::Parse(e)\n    }\n}\n\n"
             f"pub fn read_{n.name}(path: &Path) -> Result<i64, ReadError> {{\n"
             "    Ok(fs::read_to_string(path)?.trim().parse()?)\n}\n")
    return IdiomPair("rust", "the ? operator and a typed error", before, after, (
        "`?` propagates errors through the `From` impls, replacing two match blocks.",
        "A typed error keeps the cause; `to_string()` threw away whether it was I/O or parsing.",
        "`&Path` is the idiomatic parameter type for file paths.",
    ))


def rs_string_building(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="str")
    s = next(f for f in fs if f.kind == "str")
    before = (rs_struct(e, fs) + f"\npub fn joined_{_plural(s.name)}(items: &[{e.cls}]) -> String {{\n"
              "    let mut out = String::new();\n    for item in items {\n        if out.len() > 0 {\n"
              "            out = out + \", \";\n        }\n"
              f"        out = out + &item.{s.name}.clone();\n    }}\n    out\n}}\n")
    after = (rs_struct(e, fs) + f"\npub fn joined_{_plural(s.name)}(items: &[{e.cls}]) -> String {{\n"
             f"    items.iter().map(|item| item.{s.name}.as_str()).collect::<Vec<_>>().join(\", \")\n}}\n")
    return IdiomPair("rust", "join over borrowed strs instead of cloning in a loop", before, after, (
        "`clone()` allocated a copy of every string only to append it; `as_str()` borrows.",
        "`join` handles the separator, so the `len() > 0` check goes.",
        "`out.len() > 0` is spelled `!out.is_empty()` in idiomatic Rust anyway.",
    ))


def rs_impl_display(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3)
    fmt = " ".join(f"{f.name}={{}}" for f in fs)
    args = ", ".join(f"self.{f.name}" for f in fs)
    before = (rs_struct(e, fs) + f"\nimpl {e.cls} {{\n    pub fn to_string(&self) -> String {{\n"
              f"        format!(\"{fmt}\", {args})\n    }}\n}}\n")
    after = ("use std::fmt;\n\n" + rs_struct(e, fs) + f"\nimpl fmt::Display for {e.cls} {{\n"
             "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n"
             f"        write!(f, \"{fmt}\", {args})\n    }}\n}}\n")
    return IdiomPair("rust", "implement Display instead of an inherent to_string", before, after, (
        "Implementing `Display` gives `to_string()` for free through the blanket `ToString` impl.",
        "The type now works with `{}` in `format!`, `println!` and logging macros.",
        "`write!` streams into the formatter without an intermediate `String`.",
    ))


def rs_match_option(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    s = _pick(rng, e, "str") or e.fields[0]
    label = s.name.replace("_", " ")
    before = (f"pub fn {s.name}_label(value: Option<&str>) -> String {{\n    if value.is_some() {{\n"
              f"        let v = value.unwrap();\n        return format!(\"{label}: {{}}\", v);\n    }}\n"
              f"    String::from(\"no {label}\")\n}}\n")
    after = (f"pub fn {s.name}_label(value: Option<&str>) -> String {{\n    match value {{\n"
             f"        Some(v) => format!(\"{label}: {{v}}\"),\n        None => String::from(\"no {label}\"),\n"
             "    }\n}\n")
    return IdiomPair("rust", "match on the Option instead of is_some and unwrap", before, after, (
        "`match` binds the value and handles `None` in one place; the `unwrap` panics if the check and the use "
        "ever drift apart.",
        "Each arm is an expression, so the early `return` goes away.",
        "Inline format arguments (`{v}`) put the value where it is printed.",
    ))


def rs_entry(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="str")
    s = next(f for f in fs if f.kind == "str")
    head = "use std::collections::HashMap;\n\n" + rs_struct(e, fs)
    sig = f"\npub fn count_by_{s.name}(items: &[{e.cls}]) -> HashMap<String, usize> {{\n"
    before = (head + sig + "    let mut counts: HashMap<String, usize> = HashMap::new();\n    for item in items {\n"
              f"        if counts.contains_key(&item.{s.name}) {{\n"
              f"            let n = counts.get_mut(&item.{s.name}).unwrap();\n            *n += 1;\n"
              f"        }} else {{\n            counts.insert(item.{s.name}.clone(), 1);\n        }}\n    }}\n"
              "    counts\n}\n")
    after = (head + sig + "    let mut counts = HashMap::new();\n    for item in items {\n"
             f"        *counts.entry(item.{s.name}.clone()).or_insert(0) += 1;\n    }}\n    counts\n}}\n")
    return IdiomPair("rust", "the HashMap entry API instead of contains_key and get_mut", before, after, (
        "`entry` hashes the key once; `contains_key`, `get_mut` and `insert` hashed it up to three times.",
        "No `unwrap`: the entry always exists after `or_insert(0)`.",
        "`*counts.entry(key).or_insert(0) += 1` is the idiom readers recognise as 'count this one'.",
    ))


def rs_sum(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4, must="int")
    n = next(f for f in fs if f.kind == "int")
    before = (rs_struct(e, fs) + f"\npub fn total_{n.name}(items: &Vec<{e.cls}>) -> i64 {{\n"
              "    let mut total: i64 = 0;\n    for item in items.iter() {\n"
              f"        total += item.{n.name};\n    }}\n    return total;\n}}\n")
    after = (rs_struct(e, fs) + f"\npub fn total_{n.name}(items: &[{e.cls}]) -> i64 {{\n"
             f"    items.iter().map(|item| item.{n.name}).sum()\n}}\n")
    return IdiomPair("rust", "map and sum instead of a mutable accumulator", before, after, (
        f"`map(...).sum()` says 'add up the {n.name.replace('_', ' ')} values' without a mutable total.",
        "`&[T]` accepts vectors, arrays and slices; callers passing `&Vec` still compile through deref coercion.",
        "The tail expression is the return value, so `return total;` goes away.",
    ))


# -- Go --------------------------------------------------------------------------------------------
def go_errors_wrap(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    before = (f"package store\n\nimport (\n\t\"database/sql\"\n\t\"errors\"\n)\n\n"
              f"func Delete{e.cls}(db *sql.DB, id int64) error {{\n"
              f"\t_, err := db.Exec(\"DELETE FROM {e.plural} WHERE id = ?\", id)\n\tif err != nil {{\n"
              f"\t\treturn errors.New(\"delete failed: \" + err.Error())\n\t}}\n\treturn nil\n}}\n")
    after = (f"package store\n\nimport (\n\t\"database/sql\"\n\t\"fmt\"\n)\n\n"
             f"func Delete{e.cls}(db *sql.DB, id int64) error {{\n"
             f"\tif _, err := db.Exec(\"DELETE FROM {e.plural} WHERE id = ?\", id); err != nil {{\n"
             f"\t\treturn fmt.Errorf(\"delete {e.snake} %d: %w\", id, err)\n\t}}\n\treturn nil\n}}\n")
    return IdiomPair("go", "wrap errors with %w", before, after, (
        "`%w` keeps the original error, so callers can still use `errors.Is(err, sql.ErrConnDone)`.",
        "The message says what was being deleted and which id.",
        "Scoping `err` to the `if` keeps it from leaking into the rest of the function.",
    ))


def go_range(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4, must="int")
    n = next(f for f in fs if f.kind == "int")
    before = (f"package report\n\n{go_struct(e, fs)}\nfunc Total{n.pascal}(items []{e.cls}) int64 {{\n"
              f"\tvar total int64 = 0\n\tfor i := 0; i < len(items); i++ {{\n\t\ttotal = total + items[i].{n.pascal}\n\t}}\n"
              "\treturn total\n}\n")
    after = (f"package report\n\n{go_struct(e, fs)}\nfunc Total{n.pascal}(items []{e.cls}) int64 {{\n"
             f"\tvar total int64\n\tfor _, item := range items {{\n\t\ttotal += item.{n.pascal}\n\t}}\n"
             "\treturn total\n}\n")
    return IdiomPair("go", "range loops and zero values", before, after, (
        "`range` removes the index bookkeeping.",
        "`var total int64` is already zero; `= 0` is noise that golint flags.",
        "`+=` says accumulate.",
    ))


def go_defer(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    before = (f"package load\n\nimport (\n\t\"bufio\"\n\t\"os\"\n)\n\nfunc Count{e.cls}Lines(path string) (int, error) {{\n"
              "\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn 0, err\n\t}\n\tn := 0\n"
              "\ts := bufio.NewScanner(f)\n\tfor s.Scan() {\n\t\tn++\n\t}\n\tif s.Err() != nil {\n\t\tf.Close()\n"
              "\t\treturn 0, s.Err()\n\t}\n\tf.Close()\n\treturn n, nil\n}\n")
    after = (f"package load\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc Count{e.cls}Lines(path string) (int, error) {{\n"
             "\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"open %s: %w\", path, err)\n\t}\n"
             "\tdefer f.Close()\n\tn := 0\n\ts := bufio.NewScanner(f)\n\tfor s.Scan() {\n\t\tn++\n\t}\n"
             "\treturn n, s.Err()\n}\n")
    return IdiomPair("go", "defer Close right after Open", before, after, (
        "`defer f.Close()` next to `Open` covers every return path, including ones added later.",
        "`return n, s.Err()` returns nil when scanning succeeded, so the branch is unnecessary.",
        "Wrapping the open error with the path tells the caller which file failed.",
    ))


def go_interface(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    before = (f"package notify\n\ntype EmailClient struct{{ Host string }}\n\n"
              f"func (c *EmailClient) Send(to, body string) error {{ return nil }}\n\n"
              f"func Announce{e.cls}(c *EmailClient, to string) error {{\n"
              f"\treturn c.Send(to, \"your {e.snake} is ready\")\n}}\n")
    after = (f"package notify\n\n// Sender is the one method Announce{e.cls} needs; accept interfaces, return structs.\n"
             "type Sender interface {\n\tSend(to, body string) error\n}\n\n"
             f"func Announce{e.cls}(s Sender, to string) error {{\n"
             f"\treturn s.Send(to, \"your {e.snake} is ready\")\n}}\n")
    return IdiomPair("go", "accept a small interface instead of a concrete client", before, after, (
        "A one-method interface defined by the consumer lets tests pass a fake sender.",
        "The function no longer imports or depends on the email client's package.",
        "Go interfaces are satisfied implicitly, so `*EmailClient` still works unchanged.",
    ))


def go_strings_builder(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 3, must="str")
    s = next(f for f in fs if f.kind == "str")
    before = (f"package render\n\n{go_struct(e, fs)}\nfunc Lines(items []{e.cls}) string {{\n\tout := \"\"\n"
              f"\tfor _, it := range items {{\n\t\tout = out + it.{s.pascal} + \"\\n\"\n\t}}\n\treturn out\n}}\n")
    after = (f"package render\n\nimport \"strings\"\n\n{go_struct(e, fs)}\nfunc Lines(items []{e.cls}) string {{\n"
             f"\tvar b strings.Builder\n\tfor _, it := range items {{\n\t\tb.WriteString(it.{s.pascal})\n"
             "\t\tb.WriteByte('\\n')\n\t}\n\treturn b.String()\n}\n")
    return IdiomPair("go", "strings.Builder instead of += in a loop", before, after, (
        "Each `+` allocates a new string; `strings.Builder` grows one buffer.",
        "The zero value of `strings.Builder` is ready to use.",
        "Output is byte-for-byte the same.",
    ))


def go_switch(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    states = rng.choice([["draft", "active", "archived"], ["queued", "running", "done", "failed"],
                         ["open", "pending", "closed"], ["new", "review", "approved"]])
    chain = "".join(f"\t{'if' if i == 0 else '} else if'} status == \"{st}\" {{\n\t\treturn \"{st.title()}\"\n"
                    for i, st in enumerate(states))
    before = (f"package {e.snake.replace('_', '')}\n\nfunc {e.cls}StatusLabel(status string) string {{\n{chain}"
              "\t} else {\n\t\treturn \"Unknown\"\n\t}\n}\n")
    cases = "".join(f"\tcase \"{st}\":\n\t\treturn \"{st.title()}\"\n" for st in states)
    after = (f"package {e.snake.replace('_', '')}\n\n// {e.cls}StatusLabel is the display name of a "
             f"{e.snake.replace('_', ' ')} status.\nfunc {e.cls}StatusLabel(status string) string {{\n"
             f"\tswitch status {{\n{cases}\tdefault:\n\t\treturn \"Unknown\"\n\t}}\n}}\n")
    return IdiomPair("go", "a switch instead of an if/else-if chain", before, after, (
        f"A `switch` lists the {len(states)} statuses as cases, so a missing or duplicated one stands out.",
        "Go's cases do not fall through, so no `break` is needed.",
        "`default` makes the fallback explicit instead of a trailing `else`.",
    ))


def go_comma_ok(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    n = _pick(rng, e, "int") or _pick(rng, e, "float") or e.fields[0]
    kind = n.go()
    name = f"{e.cls}{n.pascal}"
    before = (f"package {e.snake.replace('_', '')}\n\nfunc {name}(values map[string]{kind}, key string) ({kind}, bool) {{\n"
              "\tif _, found := values[key]; found {\n\t\treturn values[key], true\n\t}\n"
              "\treturn 0, false\n}\n")
    after = (f"package {e.snake.replace('_', '')}\n\n// {name} looks up the {n.name.replace('_', ' ')} stored "
             f"under key.\nfunc {name}(values map[string]{kind}, key string) ({kind}, bool) {{\n"
             "\tvalue, ok := values[key]\n\treturn value, ok\n}\n")
    return IdiomPair("go", "the comma-ok map lookup", before, after, (
        "`value, ok := values[key]` reads the map once; the original looked the key up twice.",
        "A missing key already yields the zero value, so the explicit `return 0, false` is redundant.",
        "Callers see the same results for present and missing keys.",
    ))


def go_composite_literal(rng: random.Random, pool: str = "train") -> IdiomPair:
    e = entity(rng, pool)
    fs = fields(rng, e, 2, 4)
    params = ", ".join(f"{f.camel} {f.go()}" for f in fs)
    pkg = e.snake.replace("_", "")
    before = (f"package {pkg}\n\n{go_struct(e, fs)}\nfunc New{e.cls}({params}) {e.cls} {{\n\tvar x {e.cls}\n"
              + "".join(f"\tx.{f.pascal} = {f.camel}\n" for f in fs) + "\treturn x\n}\n")
    width = max(len(f.pascal) for f in fs)
    lits = "".join(f"\t\t{(f.pascal + ':').ljust(width + 1)} {f.camel},\n" for f in fs)
    after = (f"package {pkg}\n\n{go_struct(e, fs)}\n// New{e.cls} builds a {e.snake.replace('_', ' ')} from its "
             f"fields.\nfunc New{e.cls}({params}) {e.cls} {{\n\treturn {e.cls}{{\n{lits}\t}}\n}}\n")
    return IdiomPair("go", "a keyed composite literal instead of field-by-field assignment", before, after, (
        "The keyed literal builds the value in one expression, with no half-filled variable in between.",
        "Field names in the literal keep it correct if the struct's fields are reordered.",
        "Fields left out of the literal get their zero values, exactly as the `var` did.",
    ))


IDIOMS: dict[str, list[Builder]] = {
    "python": [py_enumerate, py_counter, py_with_open, py_join, py_get, py_dataclass_idiom, py_comprehension,
               py_max_key],
    "typescript": [ts_optional_chaining, ts_union, ts_readonly_map, ts_async_await, ts_destructuring, ts_includes,
                   ts_object_spread, ts_for_of],
    "rust": [rs_iterators, rs_option, rs_question_mark, rs_string_building, rs_impl_display, rs_match_option,
             rs_entry, rs_sum],
    "go": [go_errors_wrap, go_range, go_defer, go_interface, go_strings_builder, go_switch, go_comma_ok,
           go_composite_literal],
}
