"""The BFCL AST scorer proven on real BFCL questions and possible answers (tests/fixtures/bfcl/).

Answers built from the ground truth must score 100%; perturbed answers must fail for the right reason.
"""

from __future__ import annotations

import copy

import pytest

from factory.errors import InputError
from factory.training.bfcl import calls_from_answers, check_calls, load_bfcl, normalise_string
from tests.helpers.cli import FIXTURES

BFCL = FIXTURES / "bfcl"
CATEGORIES = ["simple_python", "multiple", "parallel", "live_simple"]


def _cases(category: str):
    return list(
        load_bfcl(BFCL / f"BFCL_v4_{category}.jsonl", BFCL / f"BFCL_v4_{category}.possible_answer.jsonl")
    )


def _function(case, name):
    return next(f for f in case.functions if f["name"] == name)


@pytest.mark.parametrize("category", CATEGORIES)
def test_ground_truth_answers_score_100_percent(category):
    cases = _cases(category)
    assert len(cases) >= 200
    # BFCL itself ships a few answers with an empty allowed list ([]) for a required parameter: no
    # output can meet them, under BFCL's checker or ours. They are counted, not scored.
    unsatisfiable = [
        c.id for c in cases if any(v == [] for a in c.answers for p in a.values() for v in p.values())
    ]
    assert len(unsatisfiable) <= 2
    cases = [c for c in cases if c.id not in unsatisfiable]
    failures = [
        (c.id, r)
        for c in cases
        if not (r := check_calls(c.functions, calls_from_answers(c.answers), c.answers)).valid
    ]
    assert failures == []


def test_parallel_ground_truth_matches_in_any_order():
    cases = [c for c in _cases("parallel") if len(c.answers) > 1]
    assert len(cases) > 100
    for case in cases:
        calls = calls_from_answers(case.answers)[::-1]
        assert check_calls(case.functions, calls, case.answers, rules="one-to-one").valid, case.id
    # The leaderboard's greedy match fails one reversed ground truth: an early answer that allows
    # either company takes the call a later answer needed (training/bfcl.py, rules="one-to-one").
    failing = [c.id for c in cases if not check_calls(c.functions, calls_from_answers(c.answers)[::-1], c.answers,
                                                      c.category).valid]
    assert failing == ["parallel_178"]


def test_parallel_call_missing_is_a_wrong_count():
    case = next(c for c in _cases("parallel") if len(c.answers) > 1)
    verdict = check_calls(case.functions, calls_from_answers(case.answers)[:-1], case.answers)
    assert (verdict.valid, verdict.error_type) == (False, "wrong_count")


def test_parallel_calls_cannot_reuse_one_call_for_two_answers():
    case = next(c for c in _cases("parallel") if len(c.answers) == 2)
    first = calls_from_answers(case.answers)[0]
    verdict = check_calls(case.functions, [first, first], case.answers)
    assert not verdict.valid


@pytest.mark.parametrize("category", CATEGORIES)
def test_wrong_function_name_fails_as_wrong_function(category):
    for case in _cases(category)[:50]:
        calls = calls_from_answers(case.answers)
        for call in calls:
            call["name"] = call["name"] + "_v2"
        verdict = check_calls(case.functions, calls, case.answers)
        assert (verdict.valid, verdict.error_type) == (False, "wrong_func_name"), case.id


@pytest.mark.parametrize("category", CATEGORIES)
def test_missing_required_argument_fails_as_missing_required(category):
    tried = 0
    for case in _cases(category):
        calls = calls_from_answers(case.answers)
        required = _function(case, calls[0]["name"])["parameters"].get("required") or []
        if not required or required[0] not in calls[0]["arguments"]:
            continue
        del calls[0]["arguments"][required[0]]
        verdict = check_calls(case.functions, calls, case.answers)
        assert (verdict.valid, verdict.error_type) == (False, "missing_required"), case.id
        assert repr(required[0]) in verdict.error
        tried += 1
    assert tried > 100


@pytest.mark.parametrize("category", CATEGORIES)
def test_extra_argument_fails_as_unexpected_parameter(category):
    for case in _cases(category)[:80]:
        calls = calls_from_answers(case.answers)
        calls[0]["arguments"]["not_a_parameter"] = 1
        verdict = check_calls(case.functions, calls, case.answers)
        assert (verdict.valid, verdict.error_type) == (False, "unexpected_param"), case.id
        assert "'not_a_parameter'" in verdict.error


@pytest.mark.parametrize("category", CATEGORIES)
def test_wrong_type_fails_as_type_error(category):
    tried = 0
    for case in _cases(category):
        calls = calls_from_answers(case.answers)
        props = _function(case, calls[0]["name"])["parameters"]["properties"]
        ints = [
            p for p, v in calls[0]["arguments"].items() if props[p]["type"] == "integer" and type(v) is int
        ]
        if not ints:
            continue
        calls[0]["arguments"][ints[0]] = str(calls[0]["arguments"][ints[0]])
        verdict = check_calls(case.functions, calls, case.answers)
        assert (verdict.valid, verdict.error_type) == (False, "type_error"), case.id
        assert "expected type integer, got str" in verdict.error
        tried += 1
    assert tried > 20


def test_int_is_accepted_where_a_float_is_expected():
    tried = 0
    for case in _cases("simple_python") + _cases("parallel"):
        calls = calls_from_answers(case.answers)
        props = _function(case, calls[0]["name"])["parameters"]["properties"]
        floats = [
            p
            for p, v in calls[0]["arguments"].items()
            if props[p]["type"] == "float" and type(v) is float and v.is_integer()
        ]
        if not floats:
            continue
        calls[0]["arguments"][floats[0]] = int(calls[0]["arguments"][floats[0]])
        assert check_calls(case.functions, calls, case.answers).valid, case.id
        tried += 1
    assert tried >= 5


def test_float_is_not_accepted_where_an_int_is_expected():
    case = _cases("simple_python")[0]  # calculate_triangle_area(base=10, height=5)
    calls = calls_from_answers(case.answers)
    calls[0]["arguments"]["base"] = 10.0
    verdict = check_calls(case.functions, calls, case.answers)
    assert verdict.error_type == "type_error"


def test_strings_compare_after_normalisation_but_wrong_values_fail():
    assert normalise_string("April 1, 2024") == normalise_string("april 1 2024")
    case = next(c for c in _cases("parallel") if c.id == "parallel_0")  # spotify.play Taylor Swift / Maroon 5
    calls = calls_from_answers(case.answers)
    calls[0]["arguments"]["artist"] = "taylor-swift"
    assert check_calls(case.functions, calls, case.answers).valid
    calls[0]["arguments"]["artist"] = "Adele"
    verdict = check_calls(case.functions, calls, case.answers)
    assert (verdict.valid, verdict.error_type) == (False, "value_error")


def test_optional_parameter_may_be_given_or_left_out():
    case = _cases("simple_python")[0]  # unit: ["units", ""]
    calls = calls_from_answers(case.answers)
    assert "unit" in calls[0]["arguments"]
    assert check_calls(case.functions, calls, case.answers).valid
    del calls[0]["arguments"]["unit"]
    assert check_calls(case.functions, calls, case.answers).valid


def test_leaving_out_a_parameter_the_answer_needs_fails():
    answers = [{"f": {"x": [1], "mode": ["fast"]}}]
    functions = [
        {
            "name": "f",
            "parameters": {
                "type": "dict",
                "properties": {"x": {"type": "integer"}, "mode": {"type": "string"}},
                "required": ["x"],
            },
        }
    ]
    verdict = check_calls(functions, [{"name": "f", "arguments": {"x": 1}}], answers)
    assert (verdict.valid, verdict.error_type) == (False, "missing_optional")


def test_bfcl_functions_become_json_schema_tools():
    case = _cases("simple_python")[0]
    tool = case.tools[0]
    assert tool["type"] == "function"
    assert tool["function"]["parameters"]["type"] == "object"
    case = copy.deepcopy(
        next(
            c
            for c in _cases("simple_python")
            if any(
                p.get("type") == "float" for f in c.functions for p in f["parameters"]["properties"].values()
            )
        )
    )
    kinds = {p["type"] for p in case.tools[0]["function"]["parameters"]["properties"].values()}
    assert "float" not in kinds and "number" in kinds


def test_answers_file_of_other_questions_is_rejected_with_the_file_named():
    with pytest.raises(InputError, match="parallel_0"):
        list(load_bfcl(BFCL / "BFCL_v4_parallel.jsonl", BFCL / "BFCL_v4_simple_python.possible_answer.jsonl"))
