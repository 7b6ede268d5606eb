"""Our BFCL checker beside the leaderboard's own (bfcl-eval 2026.3.23's ``ast_checker``, vendored in
tests/fixtures/bfcl_official/) on the real BFCL questions of tests/fixtures/bfcl/ and perturbed
answers of every kind (tests/helpers/bfcl_perturb.py): the ``bfcl`` rules agree on every pair, and
the ``one-to-one`` rules differ only where they mean to."""

from __future__ import annotations

from collections import Counter

import pytest

from factory.training.bfcl import check_calls, load_bfcl
from tests.helpers.bfcl_official import API_MODEL, LOCAL_MODEL, official_verdict
from tests.helpers.bfcl_perturb import candidates
from tests.helpers.cli import FIXTURES

BFCL = FIXTURES / "bfcl"
CATEGORIES = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
              "live_parallel", "live_parallel_multiple"]
# The one-to-one rules' deliberate differences, by perturbation kind (see training/bfcl.py).
ONE_TO_ONE = {"parallel_order", "other_allowed_value_reordered", "list_integral_floats_as_ints",
              "dict_lists_as_tuples", "dict_list_strings_upper"}


@pytest.fixture(scope="module")
def pairs():
    """(case, kind, calls, official verdict, underscore_to_dot) for every candidate."""
    out = []
    for category in CATEGORIES:
        for case in load_bfcl(BFCL / f"BFCL_v4_{category}.jsonl", BFCL / f"BFCL_v4_{category}.possible_answer.jsonl"):
            for kind, calls in candidates(case):
                out.append((case, kind, calls, official_verdict(case.functions, calls, case.answers, case.category),
                            False))
                if kind == "dots_as_underscores":  # the name mapping of function-calling API models
                    out.append((case, kind, calls, official_verdict(
                        case.functions, calls, case.answers, case.category, API_MODEL), True))
    return out


def test_bfcl_rules_agree_with_the_leaderboard_checker_on_every_pair(pairs):
    assert len(pairs) >= 40_000
    assert len({kind for _c, kind, *_ in pairs}) >= 45
    verdicts = Counter(official for *_x, official, _u in pairs)
    assert verdicts[True] > 10_000 and verdicts[False] > 20_000  # both outcomes, plenty of each
    differ = [(case.id, kind) for case, kind, calls, official, u2d in pairs
              if check_calls(case.functions, calls, case.answers, case.category, underscore_to_dot=u2d).valid != official]
    assert differ == []


def test_one_to_one_rules_differ_only_where_documented(pairs):
    differ = Counter()
    for case, kind, calls, official, u2d in pairs:
        mine = check_calls(case.functions, calls, case.answers, case.category, rules="one-to-one", underscore_to_dot=u2d)
        if mine.valid != official:
            assert mine.valid and not official, (case.id, kind)  # only ever more lenient
            differ[kind] += 1
    assert set(differ) <= ONE_TO_ONE and differ["parallel_order"] > 0 and differ["list_integral_floats_as_ints"] > 0


def test_the_leaderboard_rules_that_used_to_differ():
    simple = {c.id: c for c in load_bfcl(BFCL / "BFCL_v4_simple_python.jsonl",
                                         BFCL / "BFCL_v4_simple_python.possible_answer.jsonl")}
    case = simple["simple_python_0"]  # unit: ["units", ""]: an explicit "" is an allowed string
    ((name, params),) = case.answers[0].items()
    call = {"name": name, "arguments": {"base": 10, "height": 5, "unit": ""}}
    assert check_calls(case.functions, [call], case.answers, case.category).valid
    assert official_verdict(case.functions, [call], case.answers, case.category, LOCAL_MODEL)
    case = simple["simple_python_13"]  # ints inside a float array: invalid on the leaderboard
    ((name, params),) = case.answers[0].items()
    args = {p: v[0] for p, v in params.items() if v and v[0] != ""}
    ints = {p: [int(x) for x in v] if isinstance(v, list) else v for p, v in args.items()}
    call = {"name": name, "arguments": ints}
    assert not check_calls(case.functions, [call], case.answers, case.category).valid
    assert check_calls(case.functions, [call], case.answers, case.category, rules="one-to-one").valid


def test_irrelevance_wants_no_call():
    case = next(iter(load_bfcl(BFCL / "BFCL_v4_irrelevance.jsonl")))
    assert check_calls(case.functions, [], case.answers, case.category).valid
    call = {"name": case.functions[0]["name"], "arguments": {}}
    verdict = check_calls(case.functions, [call], case.answers, case.category)
    assert (verdict.valid, verdict.error_type) == (False, "irrelevance")
