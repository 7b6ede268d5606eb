"""Refactors that say they keep behaviour must keep it: the same functions with the same parameters
(and, in Go and Rust, the same return types), and for Python the same results on probe inputs.

:func:`signature_changes` works on any before/after pair; :func:`different_results` executes both
sides and so is only for code the factory wrote itself (its templates' probes), never for records
from outside.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import re
from typing import Any

from factory.quality.codecheck import extract_blocks

_SIG = {
    "typescript": re.compile(r"\bfunction\s+(\w+)\s*\(([^)]*)\)"),
    "go": re.compile(r"^func\s+(?:\([^)]*\)\s*)?(\w+)\s*\(([^)]*)\)\s*([^{\n]*)\{", re.MULTILINE),
    "rust": re.compile(r"\bfn\s+(\w+)\s*(?:<[^>]*>)?\s*\(([^)]*)\)\s*(?:->\s*([^{\n]+))?\{"),
}


def _params(raw: str, lang: str) -> tuple[str, ...]:
    names = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if lang == "go":
            names.append(part.split()[0])
        else:
            names.append(re.split(r"[:?=\s]", part.lstrip("&mut ").strip(), maxsplit=1)[0])
    return tuple(names)


def signatures(code: str, lang: str) -> dict[str, tuple]:
    """Function name -> (parameter names[, return type]) of the top-level functions in ``code``."""
    if lang == "python":
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return {}
        return {n.name: tuple(a.arg for a in n.args.args) for n in tree.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    rx = _SIG.get("typescript" if lang in ("ts", "tsx") else lang)
    if rx is None:
        return {}
    out = {}
    for m in rx.finditer(code):
        ret = (m.group(3) or "").strip() if lang in ("go", "rust") and m.lastindex and m.lastindex >= 3 else ""
        out[m.group(1)] = (_params(m.group(2), lang), ret) if lang in ("go", "rust") else _params(m.group(2), lang)
    return out


def signature_changes(before: str, after: str, lang: str) -> list[str]:
    """Functions of ``before`` that ``after`` removes or whose signature it changes."""
    old, new = signatures(before, lang), signatures(after, lang)
    out = []
    for name, sig in old.items():
        if name not in new:
            out.append(f"`{name}` is gone")
        elif new[name] != sig:
            out.append(f"`{name}` changes its signature")
    return out


def different_results(before: str, after: str, calls: list[tuple[str, tuple]]) -> list[str]:
    """Calls (function, args) whose result, raised exception type or printed output differs between
    the two sides. Executes both: for the factory's own template code only."""
    spaces = []
    for code in (before, after):
        ns: dict[str, Any] = {}
        exec(compile(code, "<refactor>", "exec"), ns)
        spaces.append(ns)
    out = []
    for name, args in calls:
        results = []
        for ns in spaces:
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    value = ns[name](*copy.deepcopy(args))
                results.append(("ok", value, printed.getvalue()))
            except Exception as exc:  # noqa: BLE001 - the exception type is the result being compared
                results.append(("raises", type(exc).__name__, printed.getvalue()))
        if results[0] != results[1]:
            out.append(f"{name}{args!r}: {results[0]!r} before, {results[1]!r} after")
    return out


def refactor_errors(record: dict[str, Any]) -> list[str]:
    """For a record labelled ``meta.refactor: behaviour-preserving``: the functions of the user's code
    keep their signatures in the assistant's code."""
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    if meta.get("refactor") != "behaviour-preserving":
        return []
    msgs = record.get("messages") or []
    before = next((b for m in msgs if m.get("role") == "user" for b in extract_blocks(m.get("content") or "")), None)
    after = next((b for m in msgs if m.get("role") == "assistant" for b in extract_blocks(m.get("content") or "")), None)
    if before is None or after is None:
        return []
    lang = {"py": "python", "tsx": "typescript", "ts": "typescript"}.get(before.language, before.language)
    return [f"claim refactor: labelled behaviour-preserving, but {why}" for why in
            signature_changes(before.code, after.code, lang)]
