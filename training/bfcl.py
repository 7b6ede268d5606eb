"""Function-call matching by the Berkeley Function Calling Leaderboard's AST rules, and BFCL file loading.

``check_calls(..., rules="bfcl")`` (the default) applies the leaderboard's own checker
(``bfcl_eval/eval_checker/ast_eval/ast_checker.py``, bfcl-eval 2026.3.23) rule for rule, for Python:

- the category decides the shape: ``parallel*`` matches calls to answers in any order, greedily in
  answer order (each answer takes the first unused call it accepts); ``multiple*`` and ``simple*``
  want as many calls as answers and check the first; no answer at all (``irrelevance``) wants no call;
- the function name must match (with ``underscore_to_dot``, as the leaderboard configures API models
  that cannot send dots, ``a.b`` is expected as ``a_b``); every required parameter must be present;
  no parameter may appear that the schema or the possible answer does not know;
- each value must have the schema's type: an int passes as a float and a tuple as a list; a value of
  the possible answer's own type passes when the answer names a variable; array items are checked one
  level deep against each list the answer allows, and an optional array (``""`` allowed) skips that;
- strings compare after normalisation (case, spaces and ``,./-_*^`` ignored), also inside lists; a
  dict compares each key's value against its allowed values (strings normalised, other values and
  lists as they are); a list of dicts compares dict by dict in order; other values compare with ``==``;
  ``""`` in an allowed list makes the parameter optional and is itself an allowed string;
- a parameter of the possible answer may be left out only when ``""`` is among its allowed values.

``rules="one-to-one"`` differs where the leaderboard's rule is arguably wrong, so a report can show
both scores: parallel calls are matched as a one-to-one assignment (the greedy loop fails some
orders of the exact ground truth when an early loose match takes the call a later answer needs),
ints pass inside float arrays as they do for a float parameter, and strings and tuples inside a
dict's list values are normalised like a list parameter's.

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

RULES = ("bfcl", "one-to-one")
# BFCL's PYTHON_TYPE_MAPPING, and the JSON Schema names of the same types.
_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
    "dict": dict, "any": str,
}
_JSON_SCHEMA_TO_BFCL = {"object": "dict", "number": "float"}
_NESTED = ("array", "tuple")
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


def _norm(value: Any) -> Any:
    return normalise_string(value) if isinstance(value, str) else value


def _schema_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "any")
    if isinstance(kind, list):  # JSON Schema ["string", "null"]: the first non-null type decides
        kind = next((k for k in kind if k != "null"), "any")
    return _JSON_SCHEMA_TO_BFCL.get(kind, kind if kind in _TYPES else "any")


def _answer_type(allowed: list[Any]) -> type | None:
    """BFCL's get_possible_answer_type: the type of the first allowed value that is not ``""``."""
    return next((type(a) for a in allowed if a != ""), None)


def _type_ok(value: Any, allowed: list[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """BFCL's type_checker: (valid, is_variable)."""
    answer_type = _answer_type(allowed)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        # each item typed against some allowed list; an allowed value that is no list (``""``) passes
        ok = any(not isinstance(o, list) or all(_type_ok(v, o, nested, None)[0] for v in value) for o in allowed)
        return ok, is_variable
    if answer_type is not None and type(value) is answer_type:
        return True, True
    return False, is_variable


def _string_ok(value: str, allowed: list[Any]) -> bool:
    return normalise_string(value) in [normalise_string(a) for a in allowed if isinstance(a, str)]


def _list_ok(value: list, allowed: list[Any]) -> bool:
    """BFCL's list_checker: the items (strings normalised) equal one allowed list's; BFCL iterates
    each allowed value, so ``""`` stands for ``[]``."""
    options = [[_norm(v) for v in o] for o in allowed if isinstance(o, (list, str))]
    return [_norm(v) for v in value] in options


def _dict_ok(value: dict, allowed: list[Any], rules: str) -> bool:
    """BFCL's dict_checker: some allowed dict takes every key of ``value`` with an allowed value and
    has no other key that is required (``""`` not among its values)."""
    for option in allowed:
        if option == "" or not isinstance(option, dict):
            continue
        fits = True
        for key, item in value.items():
            if key not in option:
                fits = False
                break
            values = _allowed_values(option[key])
            if rules == "one-to-one" and isinstance(item, (list, tuple)):
                fits = _list_ok(list(item), [o for o in values if isinstance(o, list)])
            else:
                fits = _norm(item) in [_norm(o) for o in values]
            if not fits:
                break
        if fits and all(k in value or "" in _allowed_values(v) for k, v in option.items()):
            return True
    return False


def _allowed_values(allowed: Any) -> list[Any]:
    """A dict key's allowed values as BFCL indexes them: a list, a string's characters (BFCL
    iterates it), and nothing for any other single value (BFCL's checker fails on it)."""
    if isinstance(allowed, (list, str)):
        return list(allowed)
    return []


def _list_of_dicts_ok(value: list, allowed: list[Any], rules: str) -> bool:
    for option in allowed:
        option = [] if option == "" else option  # BFCL takes len("") == 0: an optional empty list
        if isinstance(option, list) and len(value) == len(option) and all(
                isinstance(v, dict) and _dict_ok(v, [o], rules) for v, o in zip(value, option)):
            return True
    return False


def expected_name(name: str, underscore_to_dot: bool = False) -> str:
    """The name a call must carry: BFCL expects ``a_b`` for ``a.b`` from models configured so."""
    return name.replace(".", "_") if underscore_to_dot else name


def check_call(
    function: dict[str, Any], name: str, arguments: Any, answer: dict[str, list[Any]],
    rules: str = "bfcl", underscore_to_dot: bool = False,
) -> CallCheck:
    """Check one call ``name(arguments)`` against one function doc and its possible answer."""
    wanted = expected_name(function["name"], underscore_to_dot)
    if name != wanted:
        return CallCheck(False, "wrong_func_name", f"called {name!r}, expected {wanted!r}")
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
        kind = _schema_type(props[param])
        expected = _TYPES[kind]
        nested = _TYPES[_schema_type(props[param]["items"])] if kind in _NESTED and "items" in props[param] else None
        if kind == "tuple" and type(value) is tuple:
            value = list(value)
        if kind == "float" and type(value) is int:
            value = float(value)
        if rules == "one-to-one" and nested is float and type(value) is list:
            value = [float(v) if type(v) is int else v for v in value]
        valid, is_variable = _type_ok(value, allowed, expected, nested)
        if not valid:
            return CallCheck(False, "type_error", f"parameter {param!r}: expected type {kind}"
                             f"{f' of {nested.__name__}' if nested else ''}, got {type(value).__name__} ({value!r})")
        if is_variable:
            fits = value in allowed
        elif expected is dict:
            fits = _dict_ok(value, allowed, rules)
        elif expected is list and nested is dict:
            fits = _list_of_dicts_ok(value, allowed, rules)
        elif expected is str:
            fits = _string_ok(value, allowed)
        elif expected is list:
            fits = _list_ok(value, allowed)
        else:
            fits = value in allowed
        if not fits:
            return CallCheck(False, "value_error", f"parameter {param!r}: {value!r} is not one of {allowed!r}")
    for param, allowed in answer.items():
        if param not in arguments and "" not in allowed:
            return CallCheck(False, "missing_optional", f"parameter {param!r} is needed by the answer")
    return CallCheck.ok()


def _find_function(functions: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next((f for f in functions if f["name"] == name), {"name": name, "parameters": {}})


def check_calls(
    functions: list[dict[str, Any]], calls: list[dict[str, Any]], answers: list[dict[str, dict]],
    category: str = "", rules: str = "bfcl", underscore_to_dot: bool = False,
) -> CallCheck:
    """Check calls (``[{"name", "arguments"}]``) against BFCL answers (``[{name: {param: [allowed]}}]``).

    ``category`` is the BFCL category (``simple_python``, ``multiple``, ``parallel``,
    ``live_parallel_multiple``, ``irrelevance``, ...); without one, several answers are checked as
    parallel calls and one as a simple call. ``rules`` is ``bfcl`` or ``one-to-one`` (module doc).
    """
    if rules not in RULES:
        raise ValueError(f"rules must be one of {RULES}, not {rules!r}")
    if not answers:
        if calls:
            return CallCheck(False, "irrelevance", f"called {calls[0]['name']!r} where no offered function fits")
        return CallCheck.ok()
    parallel = "parallel" in category if category else len(answers) > 1
    if len(calls) != len(answers):
        return CallCheck(False, "wrong_count", f"{len(calls)} call(s), expected {len(answers)}")

    def verdict(answer: dict[str, dict], call: dict[str, Any]) -> CallCheck:
        ((name, params),) = answer.items()
        return check_call(_find_function(functions, name), call["name"], call.get("arguments"), params,
                          rules, underscore_to_dot)

    if not parallel:
        return verdict(answers[0], calls[0])
    table = [[verdict(a, c) for c in calls] for a in answers]
    owner = _match([[v.valid for v in row] for row in table]) if rules == "one-to-one" else _greedy(table)
    if len(owner) == len(answers):
        return CallCheck.ok()
    # Report an answer left unmatched, with the most specific reason a call left over gave.
    unmatched = next(row for row in range(len(answers)) if row not in owner.values())
    spare = [table[unmatched][col] for col in range(len(calls)) if col not in owner]
    named = [v for v in spare if v.error_type != "wrong_func_name"]
    return (named or spare or [CallCheck(False, "cannot_find_match", "no call left for this answer")])[0]


def _greedy(table: list[list[CallCheck]]) -> dict[int, int]:
    """BFCL's parallel_function_checker_no_order: answers in order, each takes the first unused call
    it accepts, and the first answer that finds none ends the match. {call: answer}."""
    owner: dict[int, int] = {}
    for row, verdicts in enumerate(table):
        col = next((c for c, v in enumerate(verdicts) if v.valid and c not in owner), None)
        if col is None:
            break
        owner[col] = row
    return owner


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


def _is_dict_list(option: Any) -> bool:
    return isinstance(option, list) and bool(option) and all(isinstance(o, dict) for o in option)


def _first_allowed(allowed: Any) -> Any:
    if not isinstance(allowed, list):  # a few answers give a dict key one value, not a list
        return allowed
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
