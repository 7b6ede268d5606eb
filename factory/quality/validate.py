"""RecordValidator: checks one record -- schema, message order, every tool call against the JSON schema
of the tools the record offers, and a declared defect (tool_neg) against what is really there.

A record that declares a defect (``meta.defect``) must show exactly that defect in its last assistant
turn and nothing else wrong, and its ``correct`` calls must be valid.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from factory.errors import InputError
from factory.schemas import DefectKind, Example
from factory.store.jsonl import read_jsonl

# Text that looks like an attempt at a tool call written as JSON rather than as a structured call.
_CALL_ATTEMPT = re.compile(r'^\s*(?:<tool_call>\s*)?\{\s*"(?:name|tool|function)"\s*:')


def _pydantic_reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "record"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"schema: {loc}: {err['msg']}{more}"


@dataclass
class CallIssue:
    kind: str  # a DefectKind value, or unexpected_argument / invalid_value / bad_tools
    detail: str


class RecordValidator:
    """Validates records; compiled JSON-schema validators are cached per tool schema.

    With ``semantic`` (the default) a structurally valid record is also checked for what it says and
    does: claims that contradict a result shown, and calls that break their tools' preconditions
    (:mod:`factory.quality.semantic`); a declared defect's turn is left to the defect check."""

    def __init__(self, semantic: bool = True) -> None:
        self._validators: dict[bytes, Draft202012Validator] = {}
        self.semantic = semantic

    # -- tool calls ------------------------------------------------------------------------------
    def _validator_for(self, parameters: dict[str, Any]) -> Draft202012Validator:
        key = orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS)
        v = self._validators.get(key)
        if v is None:
            v = Draft202012Validator(parameters)
            self._validators[key] = v
        return v

    def call_issues(self, name: str, arguments: Any, offered: dict[str, dict]) -> list[CallIssue]:
        tool = offered.get(name)
        if tool is None:
            return [CallIssue(DefectKind.invented_tool.value, f"calls '{name}', which the record does not offer")]
        if not isinstance(arguments, dict):
            return [CallIssue(DefectKind.malformed_json.value, f"'{name}' arguments are not a JSON object")]
        params = tool.get("function", {}).get("parameters") or {"type": "object", "properties": {}}
        issues = []
        for err in self._validator_for(params).iter_errors(arguments):
            where = ".".join(str(p) for p in err.absolute_path)
            if err.validator == "required":
                issues.append(CallIssue(DefectKind.missing_required.value, f"'{name}': {err.message}"))
            elif err.validator == "type":
                issues.append(CallIssue(DefectKind.wrong_type.value, f"'{name}' argument '{where}': {err.message}"))
            elif err.validator == "additionalProperties":
                issues.append(CallIssue("unexpected_argument", f"'{name}': {err.message}"))
            else:
                issues.append(CallIssue("invalid_value", f"'{name}' argument '{where}': {err.message}"))
        return issues

    def message_issues(self, msg: dict[str, Any], offered: dict[str, dict]) -> list[CallIssue]:
        issues: list[CallIssue] = []
        for call in msg.get("tool_calls") or []:
            fn = call["function"]
            issues.extend(self.call_issues(fn["name"], fn["arguments"], offered))
        content = msg.get("content") or ""
        # JSON-looking text is only a botched call when the record offers tools to call.
        if offered and not msg.get("tool_calls") and _CALL_ATTEMPT.match(content):
            body = content.strip().removeprefix("<tool_call>").removesuffix("</tool_call>").strip()
            try:
                orjson.loads(body)
                issues.append(CallIssue("call_as_text", "a tool call written as text instead of tool_calls"))
            except orjson.JSONDecodeError:
                issues.append(CallIssue(DefectKind.malformed_json.value, "tool call text is not valid JSON"))
        return issues

    # -- whole record ----------------------------------------------------------------------------
    def check(self, obj: Any) -> list[str]:
        """All reasons the record is invalid; empty when it is valid."""
        if not isinstance(obj, dict):
            return [f"expected a JSON object, got {type(obj).__name__}"]
        try:
            ex = Example.model_validate(obj)
        except ValidationError as exc:
            return [_pydantic_reason(exc)]
        errors = order_errors(obj["messages"])
        offered: dict[str, dict] = {}
        for i, tool in enumerate(ex.tools):
            fn = tool.get("function") if isinstance(tool, dict) else None
            if tool.get("type") != "function" or not isinstance(fn, dict) or not fn.get("name"):
                errors.append(f"tools[{i}]: expected {{'type': 'function', 'function': {{'name': ...}}}}")
                continue
            offered[fn["name"]] = tool
        msgs = obj["messages"]
        last_assistant = max((i for i, m in enumerate(msgs) if m.get("role") == "assistant"), default=-1)
        defect = ex.meta.defect
        for i, msg in enumerate(msgs):
            if msg.get("role") != "assistant":
                continue
            issues = self.message_issues(msg, offered)
            if defect is not None and i == last_assistant:
                errors.extend(self._defect_errors(defect, msg, issues, offered))
            else:
                errors.extend(f"messages[{i}]: {iss.kind}: {iss.detail}" for iss in issues)
        if self.semantic and not errors:
            from factory.quality.semantic import semantic_errors

            errors.extend(semantic_errors(obj, skip_turn=last_assistant if defect is not None else None))
        return errors

    def _defect_errors(self, defect: Any, msg: dict, issues: list[CallIssue], offered: dict) -> list[str]:
        errors = []
        for j, call in enumerate(defect.correct):
            for iss in self.call_issues(call.function.name, call.function.arguments, offered):
                errors.append(f"meta.defect.correct[{j}] is not valid: {iss.kind}: {iss.detail}")
        kind = defect.kind.value
        found = Counter(iss.kind for iss in issues)
        calls = msg.get("tool_calls") or []
        content = (msg.get("content") or "").strip()
        if kind == DefectKind.wrong_tool.value:
            names = [c["function"]["name"] for c in calls]
            right = [c.function.name for c in defect.correct]
            if not calls or names == right or any(n not in offered for n in names):
                errors.append("declared defect wrong_tool is absent: the call must name another offered tool")
        elif kind == DefectKind.prose_instead_of_call.value:
            if calls or not content or _CALL_ATTEMPT.match(content):
                errors.append("declared defect prose_instead_of_call is absent: expected prose and no call")
        elif kind == DefectKind.malformed_json.value:
            if calls or not found[kind]:
                errors.append("declared defect malformed_json is absent: expected unparseable call text")
        elif not found[kind]:
            errors.append(f"declared defect {kind} is absent from the last assistant turn")
        others = [iss for iss in issues if iss.kind != kind]
        errors.extend(f"undeclared defect {iss.kind}: {iss.detail}" for iss in others)
        return errors


def order_errors(messages: list[dict[str, Any]]) -> list[str]:
    """Roles and order: [system] user (assistant [tool...])... ending on an assistant turn."""
    errors: list[str] = []
    pending: dict[str, str] = {}
    seen_ids: set[str] = set()
    prev = None
    for i, m in enumerate(messages):
        role = m.get("role")
        if role == "system":
            if i != 0:
                errors.append(f"messages[{i}]: a system message may only come first")
        elif role == "user":
            if pending:
                errors.append(f"messages[{i}]: user turn before tool results for {sorted(pending)}")
                pending.clear()
            if prev == "user":
                errors.append(f"messages[{i}]: two user turns in a row")
        elif role == "assistant":
            if prev in (None, "system"):
                errors.append(f"messages[{i}]: the conversation must start with a user turn")
            if pending:
                errors.append(f"messages[{i}]: assistant turn before tool results for {sorted(pending)}")
                pending.clear()
            for call in m.get("tool_calls") or []:
                cid = call.get("id")
                if cid in seen_ids:
                    errors.append(f"messages[{i}]: tool call id '{cid}' is used twice")
                seen_ids.add(cid)
                pending[cid] = call.get("function", {}).get("name")
        elif role == "tool":
            cid = m.get("tool_call_id")
            if cid not in pending:
                errors.append(f"messages[{i}]: tool result for '{cid}', which no pending call has")
            else:
                name = pending.pop(cid)
                if m.get("name") and m["name"] != name:
                    errors.append(f"messages[{i}]: tool result names '{m['name']}' but call '{cid}' is '{name}'")
        prev = role
    if messages and messages[-1].get("role") != "assistant":
        errors.append(f"messages[{len(messages) - 1}]: the conversation must end on an assistant turn")
    return errors


@dataclass
class FileReport:
    path: str
    read: int = 0
    valid: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    categories: Counter = field(default_factory=Counter)

    @property
    def invalid(self) -> int:
        return self.read - self.valid


def long_messages(record: Any, max_chars: int) -> list[str]:
    """A message (or tool call's arguments) longer than ``max_chars`` characters: it cannot fit the
    training window, and a 3 MB message is a broken record, not data."""
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        return []
    out = []
    for i, msg in enumerate(record["messages"]):
        if not isinstance(msg, dict):
            continue
        text = msg.get("content") if isinstance(msg.get("content"), str) else orjson.dumps(msg.get("content")).decode()
        calls = orjson.dumps(msg.get("tool_calls") or []).decode()
        n = len(text) + (len(calls) if msg.get("tool_calls") else 0)
        if n > max_chars:
            out.append(f"message {i} ({msg.get('role')}) is {n:,} characters, over --max-chars {max_chars:,}")
    return out


def validate_file(path: str | Path, validator: RecordValidator | None = None,
                  max_chars: int | None = None) -> FileReport:
    """Check every line of ``path``. A file with no record (empty, or blank lines only) is an error;
    with ``max_chars``, so is a message longer than that."""
    validator = validator or RecordValidator()
    report = FileReport(str(path))
    try:
        rows: Iterable[tuple[int, Any]] = read_jsonl(path, strict=False)
        for lineno, obj in rows:
            report.read += 1
            if isinstance(obj, InputError):
                report.errors.append((lineno, obj.reason))
                continue
            errs = validator.check(obj)
            if max_chars is not None:
                errs = [*errs, *long_messages(obj, max_chars)]
            if errs:
                report.errors.extend((lineno, e) for e in errs)
            else:
                report.valid += 1
                report.categories[obj.get("category", "?")] += 1
    except OSError as exc:
        report.errors.append((0, f"cannot read: {exc.strerror}"))
        return report
    if report.read == 0:
        report.errors.append((0, "no records: the file is empty or holds only blank lines"))
    return report
