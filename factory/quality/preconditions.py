"""Tool preconditions as data: the rules a tool set's descriptions state (read a file before editing it,
an ``old_string`` occurs exactly once in the file as it stands, a requested rule or skill is listed,
...), checked on every call of every record against the state the conversation has reached.

A tool set carries its rules (``Toolset.rules``, from ``NAME.rules.json`` beside its schemas); each rule
is ``{"rule": KIND, ...}`` with one of the kinds in :data:`CHECKS`:

- ``read_first`` -- the file was read (one of ``reads``) or written earlier in the conversation;
- ``unique_match`` -- every ``old_string`` occurs exactly once in the file as it stands (at least
  once with ``replace_all``), where the conversation or the workspace shows the file;
- ``whole_name`` -- a ``replace_all`` of a name does not also change longer names that contain it;
- ``alone`` -- the call is the only one in its turn;
- ``new_file`` -- the file does not exist yet;
- ``read_before_overwrite`` -- an existing file is read before it is replaced;
- ``listed`` -- the value of ``argument`` is one the tool's own description lists;
- ``tests_only`` -- a file written at a test path holds tests, not the implementation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import Any

from factory.quality.transcript import Files, Seen, Turn, path_of, replay
from factory.sandbox.workspace import Workspace

Rule = dict[str, Any]
Rules = dict[str, list[Rule]]


def rules_by_tool(toolsets: Iterable[Any]) -> Rules:
    """Tool name -> its rules, over registered tool sets (a name in two sets gets both sets' rules)."""
    out: Rules = {}
    for ts in toolsets:
        for tool, rules in (getattr(ts, "rules", None) or {}).items():
            out.setdefault(tool, []).extend(rules)
    return out


def _edits(seen: Seen) -> list[tuple[str, str, bool]]:
    args = seen.args
    if seen.name == "multi_edit":
        return [(e.get("old_string"), e.get("new_string"), bool(e.get("replace_all")))
                for e in args.get("edits") or [] if isinstance(e, dict) and isinstance(e.get("old_string"), str)]
    old = args.get("old_string")
    return [(old, args.get("new_string"), bool(args.get("replace_all")))] if isinstance(old, str) else []


def _read_first(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args)
    reads = set(rule.get("reads") or ())
    if path is None or path in files.written:
        return None
    if any(s.name in reads and path_of(s.args) == path and not s.failed for s in turn.before):
        return None
    return f"edits {path} without reading it first in this conversation"


def _unique_match(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args)
    text = files.text(path)
    if text is None:  # only a window was shown: the string must at least be in it
        window = "\n".join(files.shown.get(path or "", {}).values())
        for old, _, _ in _edits(seen):
            if window and "\n" not in old.strip("\n") and old not in window and old.strip() not in window:
                return f"old_string {old[:40]!r} is not in the lines of {path} the conversation showed"
        return None
    for old, new, every in _edits(seen):
        n = text.count(old) if old else 0
        if n == 0:
            return f"old_string {old[:40]!r} does not occur in {path} as it stands"
        if n > 1 and not every:
            return f"old_string {old[:40]!r} occurs {n} times in {path}, so the edit would fail"
        if isinstance(new, str):
            text = text.replace(old, new) if every else text.replace(old, new, 1)
    return None


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _whole_name(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args)
    text = files.text(path)
    if text is None:
        return None
    for old, new, every in _edits(seen):
        if every and _NAME.match(old):
            longer = sorted({m.group(0) for m in re.finditer(rf"\w*{re.escape(old)}\w*", text)} - {old})
            if longer:
                return (f"replace_all of {old!r} in {path} would also change "
                        + ", ".join(f"'{w}'" for w in longer[:3]))
        if isinstance(new, str) and old:
            text = text.replace(old, new) if every else text.replace(old, new, 1)
    return None


def _alone(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    if len(turn.calls) > 1:
        return f"{seen.name} cannot be called in parallel with other tools ({len(turn.calls)} calls in the turn)"
    return None


def _new_file(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args)
    if files.exists(path):
        return f"creates {path}, which already exists"
    return None


def _read_before_overwrite(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args)
    if not files.exists(path) or path in files.written:
        return None
    return _read_first(rule, seen, turn, files) and f"overwrites {path} without reading it first"


def _listed(rule: Rule, seen: Seen, turn: Turn, files: Files, offered: dict[str, dict]) -> str | None:
    arg = rule.get("argument")
    value = seen.args.get(arg) if arg else None
    if not isinstance(value, str) or not value:
        return None
    desc = (offered.get(seen.name) or {}).get("function", {}).get("description") or ""
    listed = re.search(rf"(?:^|[\s:\"'`>])({re.escape(value)})(?:$|[\s:\"'`<,.])", desc, re.MULTILINE)
    if not listed:
        return f"{seen.name} names {value!r}, which its description does not list"
    return None


TEST_PATH = re.compile(r"(?:^|/)(?:tests?|__tests__|spec)/|(?:^|/)test_[^/]*\.py$|_test\.(?:py|go)$"
                       r"|\.(?:test|spec)\.[jt]sx?$")
TEST_MARKERS = {".py": re.compile(r"^\s*(?:async\s+)?def test_|^class Test", re.MULTILINE),
                ".go": re.compile(r"^func Test\w*\(t \*testing\.T\)", re.MULTILINE),
                ".rs": re.compile(r"#\[(?:tokio::)?test\]"),
                ".ts": re.compile(r"\b(?:it|test|describe)\(\s*['\"`]"),
                ".tsx": re.compile(r"\b(?:it|test|describe)\(\s*['\"`]"),
                ".js": re.compile(r"\b(?:it|test|describe)\(\s*['\"`]")}


def _python_implementation(source: str) -> list[str]:
    """Top-level functions and classes of a test module that are neither tests nor fixtures."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
            if not node.name.startswith(("test", "_")) and not fixture:
                out.append(node.name)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("Test"):
            out.append(node.name)
    return out


def _tests_only(rule: Rule, seen: Seen, turn: Turn, files: Files) -> str | None:
    path = path_of(seen.args) or ""
    content = seen.args.get("content", seen.args.get("contents"))
    if not TEST_PATH.search(path) or not isinstance(content, str):
        return None
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    marker = TEST_MARKERS.get(suffix)
    if marker is not None and not marker.search(content):
        return f"writes the test file {path} with no test in it"
    if suffix == ".py":
        impl = _python_implementation(content)
        if impl:
            return f"writes implementation code ({', '.join(impl[:3])}) into the test file {path}"
    return None


CHECKS: dict[str, Callable[..., str | None]] = {
    "read_first": _read_first, "unique_match": _unique_match, "whole_name": _whole_name, "alone": _alone,
    "new_file": _new_file, "read_before_overwrite": _read_before_overwrite, "listed": _listed,
    "tests_only": _tests_only,
}


def precondition_errors(record: dict[str, Any], rules: Rules, workspace: Workspace | None = None,
                        skip_turn: int | None = None) -> list[str]:
    """Every rule a call of ``record`` breaks, as ``messages[i]: precondition KIND: why``.
    ``skip_turn`` is a message index left unchecked (a declared defect's turn)."""
    offered = {t.get("function", {}).get("name"): t for t in record.get("tools") or [] if isinstance(t, dict)}
    errors: list[str] = []
    for turn in replay(record, workspace):
        if turn.index == skip_turn:
            continue
        for seen in turn.calls:
            for rule in rules.get(seen.name, ()):
                check = CHECKS.get(rule.get("rule"))
                if check is None:
                    continue
                why = (check(rule, seen, turn, turn.files, offered) if rule["rule"] == "listed"
                       else check(rule, seen, turn, turn.files))
                if why:
                    errors.append(f"messages[{turn.index}]: precondition {rule['rule']}: {why}")
    return errors
