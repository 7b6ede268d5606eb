"""The multi-turn categories checked by state, beside the leaderboard's own ``multi_turn_checker``
(its vendored copy, tests/fixtures/bfcl_official) on the 200 real multi_turn_base cases: the ground
truth and perturbations of it that a model makes -- a call dropped, an argument changed, calls in
another order, a harmless extra call, one call per step, a turn left empty, positional arguments, a call repeated, a function nobody offers --
get the same verdict from both."""

from __future__ import annotations

import itertools
import re

import pytest

from factory.training.bfcl_apis import CLASSES
from factory.training.bfcl_multi_turn import check_multi_turn, load_multi_turn, parse_call
from tests.helpers.bfcl_official import OFFICIAL
from tests.helpers.cli import FIXTURES

QUESTIONS = FIXTURES / "bfcl" / "BFCL_v4_multi_turn_base.jsonl"
ANSWERS = FIXTURES / "bfcl" / "BFCL_v4_multi_turn_base.possible_answer.jsonl"
MISS_FUNC = FIXTURES / "bfcl" / "BFCL_v4_multi_turn_miss_func.jsonl"
MISS_FUNC_ANSWERS = FIXTURES / "bfcl" / "BFCL_v4_multi_turn_miss_func.possible_answer.jsonl"
_serial = itertools.count()


def _official(model_turns, case) -> bool:
    import importlib
    import sys

    if str(OFFICIAL) not in sys.path:
        sys.path.insert(0, str(OFFICIAL))
    # The checker's backends are the package's own files, which training/bfcl_apis holds unchanged
    # (one import line aside): the checker finds them under their bfcl_eval names.
    prefix = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
    sys.modules.setdefault(prefix, importlib.import_module("factory.training.bfcl_apis"))
    for module in ("long_context", *(m for m, _doc in CLASSES.values())):
        sys.modules.setdefault(f"{prefix}.{module}", importlib.import_module(f"factory.training.bfcl_apis.{module}"))
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

    entry = {"id": case.id, "initial_config": case.initial_config, "involved_classes": case.involved_classes}
    # the official executor keeps instances per (model name, case id) for the whole process: a fresh
    # model name per candidate keeps one candidate's state out of the next
    name = f"candidate{next(_serial)}"
    return bool(multi_turn_checker(model_turns, case.ground_truth, entry, case.category, name)["valid"])


def _changed(call: str) -> str:
    """The first string argument with a letter changed, else the first number plus one."""
    swapped = re.sub(r"'([^']+)'", lambda m: f"'{m.group(1)}x'", call, count=1)
    return swapped if swapped != call else re.sub(r"(\d+(?:\.\d+)?)", lambda m: str(float(m.group(1)) + 1), call,
                                                  count=1)


def _positional(call: str) -> str:
    name, args, kwargs = parse_call(call)
    return f"{name}({', '.join(repr(v) for v in [*args, *kwargs.values()])})"


def _candidates(case) -> dict[str, list[list[list[str]]]]:
    truth = case.ground_truth
    out = {"ground truth": [[t] for t in truth],
           "one call per step": [[[c] for c in t] or [[]] for t in truth]}
    busy = [i for i, t in enumerate(truth) if t]
    last = busy[-1]
    out["last call of the last turn dropped"] = [[t[:-1]] if i == last else [t] for i, t in enumerate(truth)]
    out["an argument changed"] = [[[_changed(t[0]), *t[1:]]] if i == last else [t] for i, t in enumerate(truth)]
    out["calls reversed"] = [[t[::-1]] for t in truth]
    out["a turn left empty"] = [[[]] if i == busy[0] else [t] for i, t in enumerate(truth)]
    out["positional arguments"] = [[[_positional(c) for c in t]] for t in truth]
    out["the last call repeated"] = [[[*t, t[-1]]] if i == last else [t] for i, t in enumerate(truth)]
    out["a function nobody offers"] = [[["summon_report(name='q3')", *t]] if i == last else [t]
                                       for i, t in enumerate(truth)]
    extra = "ls()" if "GorillaFileSystem" in case.involved_classes else None
    if extra:
        out["a harmless extra call"] = [[[extra, *t]] for t in truth]
    return out


@pytest.fixture(scope="module")
def cases():
    return list(load_multi_turn(QUESTIONS, ANSWERS))


@pytest.fixture(scope="module")
def miss_func_cases():
    return list(load_multi_turn(MISS_FUNC, MISS_FUNC_ANSWERS))


def test_the_real_cases_load_with_their_backends_and_function_docs(cases):
    assert len(cases) == 200
    assert {c for case in cases for c in case.involved_classes} == {
        "GorillaFileSystem", "MathAPI", "MessageAPI", "TwitterAPI", "TicketAPI", "TradingBot", "TravelAPI",
        "VehicleControlAPI"}
    assert all(case.functions and all("name" in f and "parameters" in f for f in case.functions) for case in cases)


def test_state_checking_agrees_with_the_leaderboard_on_every_candidate(cases, miss_func_cases):
    verdicts, disagreements = {}, []
    for case in [*cases, *miss_func_cases]:
        for kind, model_turns in _candidates(case).items():
            ours = check_multi_turn(model_turns, case)["valid"]
            theirs = _official(model_turns, case)
            verdicts.setdefault(kind, []).append(ours)
            if ours != theirs:
                disagreements.append(f"{case.id} {kind}: ours {ours}, official {theirs}")
    assert disagreements == [], "\n".join(disagreements[:20])
    assert sum(len(v) for v in verdicts.values()) >= 3600
    assert all(verdicts["ground truth"]) and all(verdicts["one call per step"])
    assert not any(verdicts["a turn left empty"])
    assert sum(verdicts["an argument changed"]) < len(cases)  # most changed arguments change the state


def _replaying(case):
    """A model that answers each turn with the ground truth's calls, then says it is done."""
    import inspect

    import orjson

    from factory.training.bfcl_multi_turn import Backends

    methods = Backends(case).methods
    script = iter(case.ground_truth)
    state = {"calls": None}

    def respond(messages, tools):
        if state["calls"] is None:
            state["calls"] = next(script)
            calls = []
            for text in state["calls"]:
                name, args, kwargs = parse_call(text)
                bound = inspect.signature(methods[name]).bind(*args, **kwargs)
                calls.append({"name": name, "arguments": dict(bound.arguments)})
            if calls:
                return "".join(f"<tool_call>{orjson.dumps(c).decode()}</tool_call>" for c in calls)
        state["calls"] = None
        return "Done."

    return respond


def test_held_out_functions_arrive_at_their_turn(miss_func_cases):
    from factory.training.bfcl_multi_turn import ADDITIONAL_FUNCTION_PROMPT, play_multi_turn

    case = miss_func_cases[0]  # sort is held out until turn 3
    offered = []

    def respond(messages, tools):
        offered.append(({t["function"]["name"] for t in tools}, messages[-1]["content"]))
        return "Done."

    play_multi_turn(case, respond, lambda text: [])
    assert [("sort" in names) for names, _ in offered] == [False, False, False, True, True]
    assert offered[3][1] == ADDITIONAL_FUNCTION_PROMPT


def test_a_model_that_makes_the_right_calls_passes_every_case_and_one_that_makes_none_fails(cases,
                                                                                             miss_func_cases):
    from factory.training.evaluate import EvalItem, decode_calls, score_multi_turn

    for case in [*cases[:40], *miss_func_cases[:40]]:
        item = EvalItem(case.id, f"bfcl_{case.category}", "multi_turn", case.turns[0], case=case)
        scores, _calls = score_multi_turn(item, _replaying(case))
        assert scores["passed"], (case.id, scores["reason"])
        assert decode_calls("<tool_call>{}</tool_call>").calls == []  # the decoder the eval uses
        silent, _ = score_multi_turn(item, lambda messages, tools: "I would rather not.")
        assert not silent["passed"] and silent["reason"].startswith("multi_turn:empty_turn_model_response")


def test_eval_reports_the_multi_turn_category_beside_the_others(tmp_path):
    """`factory eval` on the leaderboard's multi-turn file: every case played with a real (tiny,
    untrained) model through its chat template, checked by state, reported per category."""
    import shutil

    from factory.training.evaluate import run_eval
    from factory.training.tiny import build_tiny_model

    data = tmp_path / "BFCL_v4_multi_turn_base.jsonl"
    shutil.copy(QUESTIONS, data)
    shutil.copy(ANSWERS, tmp_path / "BFCL_v4_multi_turn_base.possible_answer.jsonl")
    model = build_tiny_model(tmp_path / "tiny", [QUESTIONS.read_text()[:20000]])
    summaries = run_eval(str(model), [], [str(data)], tmp_path / "out", limit=3, max_new_tokens=16, log=lambda _m: None)
    row = summaries["base"]["bfcl_multi_turn_base"]
    assert row["n"] == 3 and row["multi_turn_state"] == 0.0  # an untrained model calls nothing right
    log = (tmp_path / "out" / "eval_log.md").read_text()
    assert "| bfcl_multi_turn_base | 3 | multi_turn_state |" in log
