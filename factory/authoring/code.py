"""Whole source files about a domain entity, per language: what a project's files look like.

Each returns source that parses with its language's parser (Python also passes ``ruff check`` with the
default rules). For a class or struct alone, see :mod:`factory.authoring.entities`.
"""

from __future__ import annotations

import random

from factory.authoring import vocab
from factory.authoring.gofmt import go_format


def py_model_file(ent: str, fields: list[str]) -> str:
    plain = [f for f in fields if not vocab.FIELDS[f][0].startswith("list")]
    listy = [f for f in fields if vocab.FIELDS[f][0].startswith("list")]
    lines = [f'"""Domain model for {ent.replace("_", " ")}."""', "", "from __future__ import annotations", ""]
    lines.append("from dataclasses import dataclass, field" if listy else "from dataclasses import dataclass")
    if any(vocab.FIELDS[f][0] == "datetime" for f in fields):
        lines.append("from datetime import datetime")
    lines += ["", "", "@dataclass(frozen=True, slots=True)", f"class {vocab.pascal(ent)}:",
              f'    """A {ent.replace("_", " ")} as the service stores it."""', ""]
    lines += [f"    {f}: {vocab.FIELDS[f][0]}" for f in plain]
    lines += [f"    {f}: {vocab.FIELDS[f][0]} = field(default_factory=list)" for f in listy]
    return "\n".join(lines) + "\n"


def py_service_file(ent: str, rng: random.Random) -> str:
    E, s, pl = vocab.pascal(ent), ent, vocab.plural(ent)
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


def py_function_file(ent: str, rng: random.Random) -> tuple[str, str]:
    """A small pure function and a pytest test for it; returns (module, test)."""
    s, pl = ent, vocab.plural(ent)
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


def ts_interface_file(ent: str, fields: list[str]) -> str:
    E = vocab.pascal(ent)
    body = "\n".join(f"  {vocab.camel(f)}: {vocab.FIELDS[f][1]};" for f in fields)
    return f"export interface {E} {{\n{body}\n}}\n"


def ts_component_file(ent: str, fields: list[str]) -> str:
    E, c = vocab.pascal(ent), vocab.camel(ent)
    shown = [f for f in fields if vocab.FIELDS[f][1] in ("string", "number")][:3] or ["id"]
    rows = "\n".join(f"      <dd>{{{c}.{vocab.camel(f)}}}</dd>" for f in shown)
    return f"""{ts_interface_file(ent, fields)}
export interface {E}CardProps {{
  {c}: {E};
  onSelect?: (id: number) => void;
}}

export function {E}Card({{ {c}, onSelect }}: {E}CardProps): JSX.Element {{
  return (
    <dl className="{vocab.kebab(ent)}-card" onClick={{() => onSelect?.({c}.id)}}>
{rows}
    </dl>
  );
}}
"""


def ts_service_file(ent: str, rng: random.Random) -> str:
    E, c, pl = vocab.pascal(ent), vocab.camel(ent), vocab.camel(vocab.plural(ent))
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
    const response = await fetch(`${{baseUrl}}/{vocab.kebab(vocab.plural(ent))}/${{id}}`, {{ signal: controller.signal }});
    if (!response.ok) {{
      throw new Error(`{c} ${{id}}: HTTP ${{response.status}}`);
    }}
    return (await response.json()) as {E};
  }} finally {{
    clearTimeout(timer);
  }}
}}

export function active{vocab.pascal(vocab.plural(ent))}({pl}: {E}[]): {E}[] {{
  return {pl}.filter((item) => item.status === "active");
}}
"""


def go_struct_file(ent: str, fields: list[str]) -> str:
    E = vocab.pascal(ent)
    uses_time = any(vocab.FIELDS[f][2] == "time.Time" for f in fields)
    lines = [f"    {vocab.pascal(f)} {vocab.FIELDS[f][2]} `json:\"{f}\"`" for f in fields]
    imports = 'import "time"\n\n' if uses_time else ""
    pkg = ent.replace("_", "")
    return go_format(f"""package {pkg}

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
""".replace("    Id ", "    ID "))


def go_model_file(ent: str, fields: list[str]) -> str:
    """The struct, its sentinel error and its Validate method as one file: one import block first."""
    struct = go_struct_file(ent, fields)
    uses_time = 'import "time"' in struct
    body = struct.split("\n", 2)[2].replace('import "time"\n\n', "")
    imports = 'import (\n\t"errors"\n\t"time"\n)\n\n' if uses_time else 'import "errors"\n\n'
    error = (f"// ErrMissingID is returned when a {ent.replace('_', ' ')} has no id.\n"
             f"var ErrMissingID = errors.New(\"{ent.replace('_', ' ')}: missing id\")\n\n")
    return f"package {ent.replace('_', '')}\n\n{imports}{error}{body}"


def go_errors_file(ent: str) -> str:
    return f"""package {ent.replace("_", "")}

import "errors"

// ErrMissingID is returned when a {ent.replace("_", " ")} has no id.
var ErrMissingID = errors.New("{ent.replace("_", " ")}: missing id")
"""


def rust_struct_file(ent: str, fields: list[str]) -> str:
    E = vocab.pascal(ent)
    lines = "\n".join(f"    pub {f}: {vocab.FIELDS[f][3]}," for f in fields)
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


def code_for(stack: vocab.Stack, ent: str, rng: random.Random, path: str = "") -> str:
    """A realistic file body for ``stack`` about ``ent``; the file extension decides JSX or not."""
    fields = vocab.fields_for(rng, rng.randint(3, 6))
    lang = stack.language
    if lang == "python":
        return rng.choice((lambda: py_model_file(ent, fields), lambda: py_service_file(ent, rng),
                           lambda: py_function_file(ent, rng)[0]))()
    if lang == "typescript":
        if path.endswith(".tsx") or (not path and stack.fence == "tsx"):
            return ts_component_file(ent, fields)
        return rng.choice((lambda: ts_interface_file(ent, fields), lambda: ts_service_file(ent, rng)))()
    if lang == "go":
        return go_model_file(ent, fields) if rng.random() < 0.7 else go_errors_file(ent)
    return rust_struct_file(ent, fields)


def test_file_for(stack: vocab.Stack, ent: str, rng: random.Random, path: str) -> str:
    """A first test file for ``ent`` at the test path ``path``: tests only, of the ``total_amount``
    helper the stack's service file defines (no implementation in the test file)."""
    lang = stack.language
    pl = vocab.plural(ent)
    big = rng.choice((250, 400, 1200))
    small = rng.choice((5, 75, 100))
    if lang == "python":
        module = "shop.models." + ent if stack.name.startswith("django") else f"app.services.{ent}_service"
        return (f'"""First tests for the {ent.replace("_", " ")} totals."""\n\nfrom {module} import total_amount\n\n\n'
                f"def test_total_amount_of_no_{pl}_is_zero():\n    assert total_amount([]) == 0\n\n\n"
                f"def test_total_amount_adds_every_{ent}():\n"
                f'    rows = [{{"amount_cents": {big}}}, {{"amount_cents": {small}}}]\n'
                f"    assert total_amount(rows) == {big + small}\n")
    if lang == "typescript":
        target = f"../src/services/{vocab.camel(ent)}Service" if path.startswith("test/") else f"../lib/{vocab.camel(ent)}"
        return (f'import {{ describe, expect, it }} from "vitest";\nimport {{ totalAmount }} from "{target}";\n\n'
                f'describe("totalAmount", () => {{\n  it("is zero for no {pl.replace("_", " ")}", () => {{\n'
                f"    expect(totalAmount([])).toBe(0);\n  }});\n\n"
                f'  it("adds every {ent.replace("_", " ")}", () => {{\n'
                f"    expect(totalAmount([{{ amountCents: {big} }}, {{ amountCents: {small} }}])).toBe({big + small});\n"
                f"  }});\n}});\n")
    if lang == "go":
        pkg = ent.replace("_", "")
        return (f'package {pkg}\n\nimport "testing"\n\nfunc TestTotalAmountOfNothingIsZero(t *testing.T) {{\n'
                f'\tif got := TotalAmount(nil); got != 0 {{\n\t\tt.Fatalf("TotalAmount(nil) = %d, want 0", got)\n\t}}\n}}\n\n'
                f"func TestTotalAmountAddsEvery{vocab.pascal(ent)}(t *testing.T) {{\n"
                f"\trows := []Row{{{{AmountCents: {big}}}, {{AmountCents: {small}}}}}\n"
                f'\tif got := TotalAmount(rows); got != {big + small} {{\n\t\tt.Fatalf("TotalAmount = %d, want {big + small}", got)\n\t}}\n}}\n')
    return (f"use app::{ent}::{{total_amount, Row}};\n\n#[test]\nfn total_of_no_{pl}_is_zero() {{\n"
            f"    assert_eq!(total_amount(&[]), 0);\n}}\n\n#[test]\nfn total_adds_every_{ent}() {{\n"
            f"    let rows = [Row {{ amount_cents: {big} }}, Row {{ amount_cents: {small} }}];\n"
            f"    assert_eq!(total_amount(&rows), {big + small});\n}}\n")


def a_or_an(noun: str) -> str:
    """``noun`` with its indefinite article, as said aloud: "an invoice", "a user", "an upload"."""
    word = noun.replace("_", " ")
    first = word.lower()
    vowel_sound = first[:1] in "aeiou" and not first.startswith(("use", "uni", "eu", "one"))
    return f"{'an' if vowel_sound or first.startswith('hour') else 'a'} {word}"
