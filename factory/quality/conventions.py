"""Claimed conventions, checked where a check can tell: an answer that lists the conventions its code
follows ("Conventions applied:" and a bullet list) must show each one it names in that code.

:data:`CONVENTIONS` maps a convention, as the answer states it, to a test on the answer's code.
Generators pick from the same table, listing only conventions their code passes; the quality stage
rejects an answer (from any source) that lists a known convention its code does not follow.
Conventions the table does not know are not judged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from factory.quality.codecheck import extract_blocks


@lru_cache(maxsize=64)  # a generator's test of its code and the quality stage's parse the same text
def _py(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def _classes(tree: ast.Module) -> list[ast.ClassDef]:
    """Module-level classes and the classes nested in them (not a full ast.walk: that is slow)."""
    out, todo = [], [n for n in tree.body if isinstance(n, ast.ClassDef)]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(n for n in c.body if isinstance(n, ast.ClassDef))
    return out


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [n for n in tree.body if isinstance(n, kinds)] + [
        n for c in _classes(tree) for n in c.body if isinstance(n, kinds)]


def _every_field_typed(code: str) -> bool:
    tree = _py(code)
    classes = _classes(tree) if tree else []
    fields = [s for c in classes for s in c.body if isinstance(s, (ast.Assign, ast.AnnAssign))]
    return bool(fields) and all(isinstance(s, ast.AnnAssign) for s in fields)


def _docstrings(code: str) -> bool:
    tree = _py(code)
    if tree is None or ast.get_docstring(tree) is None:
        return False
    return all(ast.get_docstring(c) for c in _classes(tree))


def _typed_signatures(code: str) -> bool:
    tree = _py(code)
    funcs = _functions(tree) if tree else []
    return bool(funcs) and all(
        f.returns is not None and all(a.annotation is not None for a in f.args.args if a.arg not in ("self", "cls"))
        for f in funcs)


def _behaviour_test_names(code: str) -> bool:
    names = re.findall(r"^def (test_\w+)", code, re.MULTILINE)
    return bool(names) and all(n.count("_") >= 3 for n in names)


def _has(*patterns: str, absent: tuple[str, ...] = ()) -> Callable[[str], bool]:
    rxs = [re.compile(p, re.MULTILINE) for p in patterns]
    nots = [re.compile(p, re.MULTILINE) for p in absent]
    return lambda code: all(r.search(code) for r in rxs) and not any(r.search(code) for r in nots)


# convention as stated -> (language of the code it speaks about, test on that code)
CONVENTIONS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "frozen, slotted dataclass": ("python", _has(r"@dataclass\(frozen=True, slots=True\)")),
    "every field typed": ("python", _every_field_typed),
    "defaults (lists) via field(default_factory=...)": ("python", _has(r"field\(default_factory=")),
    "module and class docstrings": ("python", _docstrings),
    "`from __future__ import annotations`": ("python", _has(r"^from __future__ import annotations$")),
    "a module-level `logger` instead of print": ("python", _has(r"^logger = logging\.getLogger\(__name__\)$",
                                                                absent=(r"\bprint\(",))),
    "a named constant instead of a magic number": ("python", _has(r"^[A-Z][A-Z0-9_]+ = \d+$")),
    "a domain-specific exception deriving from LookupError": ("python", _has(r"^class \w+\(LookupError\):")),
    "`raise ... from None` to hide the KeyError noise": ("python", _has(r"\braise \w+\(.*\) from None$")),
    "typed parameters and return values": ("python", _typed_signatures),
    "tests named after the behaviour they check": ("python", _behaviour_test_names),
    "plain asserts, no test classes": ("python", _has(r"^\s+assert ", absent=(r"^class Test",))),
    "the threshold as a keyword argument with a default": ("python", _has(r"\bthreshold: int = \d+")),
    "a named export, no default export": ("typescript", _has(r"^export ", absent=(r"^export default\b",))),
    "props declared as an exported interface": ("typescript", _has(r"^export interface \w+Props\b")),
    "an explicit `JSX.Element` return type": ("typescript", _has(r"\): JSX\.Element \{")),
    "optional callbacks called with `?.`": ("typescript", _has(r"\w\?\.\(")),
    "async/await instead of promise chains": ("typescript", _has(r"\basync function\b", r"\bawait\b",
                                                                absent=(r"\.then\(",))),
    "a timeout through AbortController": ("typescript", _has(r"new AbortController\(\)", r"\.abort\(\)")),
    "errors that name the resource and the HTTP status": ("typescript", _has(r"HTTP \$\{\w+\.status\}")),
    "the timeout as a named constant": ("typescript", _has(r"^const [A-Z][A-Z0-9_]*_MS = \d+;$")),
    "exported type with a doc comment": ("go", _has(r"^// [A-Z]\w* is .*\ntype [A-Z]\w* struct")),
    "JSON tags in snake_case": ("go", _has(r'`json:"[a-z0-9_]+"`', absent=(r'`json:"[^"]*[A-Z][^"]*"`',))),
    "a Validate method returning error": ("go", _has(r"\) Validate\(\) error \{")),
    "sentinel errors declared once": ("go", lambda c: len(re.findall(r"^var Err\w+ = errors\.New\(", c, re.M)) >= 1),
    "`///` doc comments": ("rust", _has(r"^\s*/// \S")),
    "derived Debug, Clone and PartialEq": ("rust", _has(r"#\[derive\(Debug, Clone, PartialEq")),
    "a predicate method instead of a panic": ("rust", _has(r"fn is_\w+\(&self\) -> bool",
                                                           absent=(r"panic!\(", r"\.unwrap\(\)"))),
    "public fields with owned types": ("rust", lambda c: bool(re.findall(r"^    pub \w+: ", c, re.M))
                                       and not re.search(r"^    (?!pub )\w+: |^    pub \w+: &", c, re.M)),
}
LANGUAGE = {"python": "python", "typescript": "typescript", "tsx": "typescript", "go": "go", "rust": "rust"}
_LIST = re.compile(r"^Conventions(?: applied)?:\n((?:- .+\n?)+)", re.MULTILINE)


@lru_cache(maxsize=512)
def holds(convention: str, code: str) -> bool | None:
    """Whether ``code`` follows ``convention``; None when the table does not know it."""
    known = CONVENTIONS.get(convention)
    return None if known is None else bool(known[1](code))


def convention_errors(record: dict[str, Any]) -> list[str]:
    """``messages[i]: claim convention: ...`` for each listed convention the answer's code breaks."""
    errors = []
    for i, msg in enumerate(record.get("messages") or []):
        text = msg.get("content") if msg.get("role") == "assistant" else None
        if not isinstance(text, str) or "onventions" not in text:
            continue
        blocks = extract_blocks(text)
        for m in _LIST.finditer(text):
            for item in (ln[2:].strip() for ln in m.group(1).splitlines()):
                known = CONVENTIONS.get(item)
                if known is None:
                    continue
                code = "\n".join(b.code for b in blocks if LANGUAGE.get(b.language) == known[0])
                if code and not holds(item, code):
                    errors.append(f"messages[{i}]: claim convention: lists \"{item}\", which the code does not follow")
    return errors
