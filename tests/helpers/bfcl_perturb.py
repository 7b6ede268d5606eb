"""Candidate answers for BFCL questions: the ground truth and perturbations of every kind a model
produces (values, types, strings, lists, dicts, optional parameters, names, call counts, order).

``candidates(case)`` yields ``(kind, calls)``; the parity test scores each with the leaderboard's
checker and with ours. Deterministic: the same case always gives the same candidates.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

from factory.training.bfcl import BfclCase, calls_from_answers

Calls = list[dict[str, Any]]


def _value_variants(value: Any, allowed: list[Any], prop: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for other in [a for a in allowed if a != "" and a != value][:3]:
        yield "other_allowed_value", other
    if "" in allowed:
        yield "empty_string_for_optional", ""
    if "default" in prop:
        yield "schema_default", prop["default"]
    yield "none", None
    if isinstance(value, bool):
        yield "bool_as_int", int(value)
        yield "bool_as_string", str(value).lower()
        yield "bool_flipped", not value
    elif isinstance(value, int):
        yield "int_as_float", float(value)
        yield "int_as_string", str(value)
        yield "int_plus_one", value + 1
    elif isinstance(value, float):
        if value.is_integer():
            yield "integral_float_as_int", int(value)
        yield "float_as_string", str(value)
        yield "float_changed", value * 2 + 1
    elif isinstance(value, str):
        yield "string_upper", value.upper()
        yield "string_punctuated", value.replace(" ", ", ") + "."
        yield "string_other", value + " extra"
        yield "string_as_list", [value]
        if value.strip().lstrip("-").isdigit():
            yield "numeric_string_as_int", int(value)
    elif isinstance(value, list):
        yield "list_as_tuple", tuple(value)
        yield "list_empty", []
        if len(value) > 1:
            yield "list_reversed", value[::-1]
            yield "list_last_dropped", value[:-1]
        yield "list_items_as_strings", [str(v) for v in value]
        if any(isinstance(v, float) and v.is_integer() for v in value):
            yield "list_integral_floats_as_ints", [int(v) if isinstance(v, float) and v.is_integer() else v
                                                  for v in value]
        if any(isinstance(v, str) for v in value):
            yield "list_strings_upper", [v.upper() if isinstance(v, str) else v for v in value]
        if value and all(isinstance(v, dict) for v in value):
            yield "list_of_dicts_key_dropped", [dict(list(v.items())[1:]) for v in value]
        yield "list_as_string", str(value)
    elif isinstance(value, dict):
        if value:
            yield "dict_key_dropped", dict(list(value.items())[1:])
        yield "dict_extra_key", {**value, "zz_extra": 1}
        yield "dict_strings_upper", {k: v.upper() if isinstance(v, str) else v for k, v in value.items()}
        if any(isinstance(v, list) for v in value.values()):
            yield "dict_lists_as_tuples", {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
            yield "dict_list_strings_upper", {k: [x.upper() if isinstance(x, str) else x for x in v]
                                              if isinstance(v, list) else v for k, v in value.items()}
        yield "dict_as_string", str(value)


def _function(case: BfclCase, name: str) -> dict[str, Any]:
    return next((f for f in case.functions if f["name"] == name), {"name": name, "parameters": {}})


def _call_variants(case: BfclCase, answer: dict[str, dict], call: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    ((name, params),) = answer.items()
    function = _function(case, name)
    props = (function.get("parameters") or {}).get("properties") or {}
    args = call["arguments"]
    for param, allowed in params.items():
        prop = props.get(param, {})
        if param in args:
            for kind, value in _value_variants(args[param], allowed, prop):
                yield kind, {"name": name, "arguments": {**args, param: value}}
            yield "parameter_dropped", {"name": name, "arguments": {k: v for k, v in args.items() if k != param}}
        else:  # an optional parameter the ground truth leaves out
            for option in [a for a in allowed if a != ""][:1]:
                yield "optional_parameter_given", {"name": name, "arguments": {**args, param: option}}
            yield "optional_parameter_empty_string", {"name": name, "arguments": {**args, param: ""}}
            if "default" in prop:
                yield "optional_parameter_default", {"name": name, "arguments": {**args, param: prop["default"]}}
    yield "unknown_parameter", {"name": name, "arguments": {**args, "zz_unknown": "x"}}
    for param in [p for p in props if p not in params][:1]:
        yield "schema_parameter_not_in_answer", {"name": name, "arguments": {**args, param: "x"}}
    yield "wrong_name", {"name": name + "_v2", "arguments": args}
    if "." in name:
        yield "dots_as_underscores", {"name": name.replace(".", "_"), "arguments": args}
    for other in [f["name"] for f in case.functions if f["name"] != name][:2]:
        yield "other_offered_function", {"name": other, "arguments": args}
    yield "arguments_not_an_object", {"name": name, "arguments": [args]}


def candidates(case: BfclCase) -> Iterator[tuple[str, Calls]]:
    truth = calls_from_answers(case.answers)
    yield "ground_truth", truth
    if len(truth) > 1:
        for order in list(itertools.permutations(range(len(truth))))[1:24]:
            yield "parallel_order", [truth[i] for i in order]
        yield "call_missing", truth[:-1]
    yield "call_duplicated", truth + truth[:1]
    yield "no_call", []
    for i, (answer, call) in enumerate(zip(case.answers, truth)):
        for kind, changed in _call_variants(case, answer, call):
            calls = copy.deepcopy(truth)
            calls[i] = changed
            yield kind, calls
            if len(truth) > 1 and kind == "other_allowed_value":
                yield "other_allowed_value_reordered", calls[::-1]
