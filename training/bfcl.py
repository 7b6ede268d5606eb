"""Function-call matching by the Berkeley Function Calling Leaderboard's AST rules, and BFCL file loading.

The rules (BFCL ``ast_checker``): the function name must match; every required parameter must be
present; no parameter may appear that the schema or the possible answer does not know; each value must
have the schema's type (an int is accepted where a float is expected; a value of the possible answer's
own type is accepted when the answer names a variable); strings compare after normalisation (case,
spaces and ``,./-_*^`` ignored); lists and dicts compare element-wise with the same normalisation; a
parameter of the possible answer may be left out only when ``""`` is among its allowed values.
Parallel calls match in any order. Unlike BFCL's greedy loop we match parallel calls as a bipartite
assignment, so an early loose match can never steal the only call a later answer accepts.

Types come in two dialects: BFCL's (``dict``, ``float``, ``tuple``, ``any``) and JSON Schema's
(``object``, ``number``); both are understood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import InputError
from factory.store.jsonl import read_jsonl

# Schema type name -> Python type; None accepts any value.
_TYPES: dict[str, type | None] = {
    "string": str,
    "integer": int,
    "float": float,
    "number": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "object": dict,
    "any": None,
}
_NORMALISE = re.compile(r"[ ,./\-_*^]")


@dataclass
class CallCheck:
    """The verdict on one set of calls: ``error_type`` is a short stable code, ``error`` says why."""

    valid: bool
    error_type: str = ""
    error: str = ""

    @classmethod
    def ok(cls) -> CallCheck:
        return cls(True)


def normalise_string(text: str) -> str:
    """``April 1, 2024`` == ``april 1 2024``: BFCL does not punish formatting of the same value."""
    return _NORMALISE.sub("", text).lower().replace("'", '"')


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_string(value)
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def _schema_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "any")
    if isinstance(kind, list):  # JSON Schema ["string", "null"]: the first non-null type decides
        kind = next((k for k in kind if k != "null"), "any")
    return kind


def _has_type(value: Any, kind: str) -> bool:
    expected = _TYPES.get(kind)
    if expected is None:
        return True
    if expected is float:
        # bool is an int subclass in Python; JSON true is never a number.
        return type(value) in (int, float)
    return type(value) is expected


def _answer_type(allowed: list[Any]) -> type | None:
    return next((type(a) for a in allowed if a != ""), None)


def _type_error(param: str, value: Any, prop: dict[str, Any], allowed: list[Any]) -> str | None:
    kind = _schema_type(prop)
    answer_type = _answer_type(allowed)
    if _has_type(value, kind):
        item_kind = _schema_type(prop.get("items", {})) if kind in ("array", "tuple") else None
        if item_kind and not all(_has_type(v, item_kind) for v in value):
            return f"parameter {param!r}: expected {kind} of {item_kind}, got {value!r}"
        return None
    if answer_type is not None and _TYPES.get(kind) is not answer_type and type(value) is answer_type:
        return None  # the answer names a variable, and the model wrote that variable
    return f"parameter {param!r}: expected type {kind}, got {type(value).__name__} ({value!r})"


def _value_matches(value: Any, allowed: list[Any]) -> bool:
    wanted = _normalise(value)
    for option in allowed:
        if option == "":
            continue
        if isinstance(option, dict) and isinstance(value, dict):
            if _dict_matches(value, option):
                return True
        elif _is_dict_list(option) and isinstance(value, list):
            # A list of dicts matches element-wise, in order, each dict by its own allowed values.
            if len(value) == len(option) and all(
                isinstance(v, dict) and _dict_matches(v, o) for v, o in zip(value, option)
            ):
                return True
        elif _normalise(option) == wanted:
            return True
    return False


def _is_dict_list(option: Any) -> bool:
    return isinstance(option, list) and bool(option) and all(isinstance(o, dict) for o in option)


def _dict_matches(value: dict[str, Any], option: dict[str, Any]) -> bool:
    """A dict answer maps each key to its list of allowed values (``""`` marks it optional)."""
    for key, item in value.items():
        allowed = option.get(key)
        if allowed is None or not _value_matches(item, allowed if isinstance(allowed, list) else [allowed]):
            return False
    return all(k in value or (isinstance(v, list) and "" in v) for k, v in option.items())


def check_call(
    function: dict[str, Any], name: str, arguments: Any, answer: dict[str, list[Any]]
) -> CallCheck:
    """Check one call ``name(arguments)`` against one function doc and its possible answer."""
    if name != function["name"]:
        return CallCheck(False, "wrong_func_name", f"called {name!r}, expected {function['name']!r}")
    if not isinstance(arguments, dict):
        return CallCheck(False, "malformed_arguments", f"{name!r} arguments are not an object")
    params = function.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    for param in params.get("required") or []:
        if param not in arguments:
            return CallCheck(False, "missing_required", f"missing required parameter {param!r}")
    for param, value in arguments.items():
        if param not in props or param not in answer:
            return CallCheck(False, "unexpected_param", f"unexpected parameter {param!r}")
        allowed = answer[param]
        problem = _type_error(param, value, props[param], allowed)
        if problem:
            return CallCheck(False, "type_error", problem)
        if not _value_matches(value, allowed):
            return CallCheck(
                False, "value_error", f"parameter {param!r}: {value!r} is not one of {allowed!r}"
            )
    for param, allowed in answer.items():
        if param not in arguments and "" not in allowed:
            return CallCheck(False, "missing_optional", f"parameter {param!r} is needed by the answer")
    return CallCheck.ok()


def _find_function(functions: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((f for f in functions if f["name"] == name), None)


def check_calls(
    functions: list[dict[str, Any]], calls: list[dict[str, Any]], answers: list[dict[str, dict]]
) -> CallCheck:
    """Check calls (``[{"name", "arguments"}]``) against BFCL answers (``[{name: {param: [allowed]}}]``).

    The number of calls must equal the number of answers; each answer must be met by a distinct call,
    in any order. With one answer this is BFCL's simple/multiple check.
    """
    if len(calls) != len(answers):
        return CallCheck(False, "wrong_count", f"{len(calls)} call(s), expected {len(answers)}")
    verdicts: list[list[CallCheck]] = []
    for answer in answers:
        ((expected_name, params),) = answer.items()
        function = _find_function(functions, expected_name) or {"name": expected_name, "parameters": {}}
        verdicts.append([check_call(function, c["name"], c.get("arguments"), params) for c in calls])
    owner = _match([[v.valid for v in row] for row in verdicts])
    if len(owner) == len(answers):
        return CallCheck.ok()
    # Report an answer left unmatched, with the most specific reason a call left over gave.
    unmatched = next(row for row in range(len(answers)) if row not in owner.values())
    spare = [verdicts[unmatched][col] for col in range(len(calls)) if col not in owner]
    named = [v for v in spare if v.error_type != "wrong_func_name"]
    return (named or spare)[0]


def _match(ok: list[list[bool]]) -> dict[int, int]:
    """Maximum bipartite matching answers -> calls by Kuhn's augmenting paths: {call: answer}."""
    owner: dict[int, int] = {}

    def place(row: int, seen: set[int]) -> bool:
        for col, fits in enumerate(ok[row]):
            if fits and col not in seen:
                seen.add(col)
                if col not in owner or place(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    for row in range(len(ok)):
        place(row, set())
    return owner


def _first_allowed(allowed: list[Any]) -> Any:
    return next((a for a in allowed if a != ""), "")


def _as_written(option: Any) -> Any:
    """The value a model would write for an allowed option (dict options map keys to allowed lists)."""
    if isinstance(option, dict):
        return {k: _as_written(_first_allowed(a)) for k, a in option.items() if _first_allowed(a) != ""}
    if _is_dict_list(option):
        return [_as_written(o) for o in option]
    return option


def calls_from_answers(answers: list[dict[str, dict]]) -> list[dict[str, Any]]:
    """The calls a perfect model would make: each parameter's first allowed value, optional ones
    (only ``""`` allowed) left out. Used to prove the checker and as a reference answer."""
    calls = []
    for answer in answers:
        ((name, params),) = answer.items()
        args = {p: _as_written(_first_allowed(a)) for p, a in params.items() if _first_allowed(a) != ""}
        calls.append({"name": name, "arguments": args})
    return calls


# -- BFCL files ----------------------------------------------------------------------------------


@dataclass
class BfclCase:
    """One BFCL question: the conversation, the offered function docs and (if known) the answers."""

    id: str
    category: str
    messages: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    answers: list[dict[str, dict]] = field(default_factory=list)

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The function docs as OpenAI-style tools with JSON Schema types, for chat templates."""
        return [{"type": "function", "function": _to_json_schema_function(f)} for f in self.functions]


_JSON_SCHEMA_NAMES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}


def _to_json_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _to_json_schema(v) for k, v in schema.items()}
        if isinstance(out.get("type"), str):
            out["type"] = _JSON_SCHEMA_NAMES.get(out["type"], out["type"])
        return out
    if isinstance(schema, list):
        return [_to_json_schema(v) for v in schema]
    return schema


def _to_json_schema_function(function: dict[str, Any]) -> dict[str, Any]:
    out = dict(function)
    out["parameters"] = _to_json_schema(function.get("parameters") or {"type": "dict", "properties": {}})
    return out


def load_bfcl(questions: str | Path, answers: str | Path | None = None) -> Iterator[BfclCase]:
    """Stream BFCL cases; with ``answers`` each case carries its ground truth (matched by id)."""
    questions = Path(questions)
    category = re.sub(r"^BFCL_v\d+_", "", questions.name.split(".")[0])
    truth: dict[str, list[dict]] = {}
    if answers is not None:
        for lineno, row in read_jsonl(answers):
            if "id" not in row or "ground_truth" not in row:
                raise InputError(
                    answers,
                    lineno,
                    "expected an object with 'id' and 'ground_truth'",
                    "use the BFCL possible_answer file that belongs to the questions",
                )
            truth[row["id"]] = row["ground_truth"]
    for lineno, row in read_jsonl(questions):
        if "question" not in row or "function" not in row:
            raise InputError(
                questions,
                lineno,
                "expected a BFCL question with 'question' and 'function'",
                "pass a BFCL_v*_<category>.jsonl file",
            )
        turns = row["question"]
        messages = [m for turn in turns for m in turn] if turns and isinstance(turns[0], list) else turns
        if answers is not None and row["id"] not in truth:
            raise InputError(
                answers, None, f"no ground truth for {row['id']!r}", "the files do not belong together"
            )
        yield BfclCase(row["id"], category, messages, row["function"], truth.get(row["id"], []))
