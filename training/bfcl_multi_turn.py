"""The leaderboard's multi-turn categories, checked by state as the leaderboard checks them.

A multi-turn case is a conversation of user turns over stateful backends (a file system, a ticket
desk, a trading account, ...; :mod:`factory.training.bfcl_apis`). Each turn, the model may take several
steps, each a list of calls written as Python calls (``cd(folder='document')``); every call runs on the
model's own instances of the backends, the ground truth's calls on separate ones. After each turn
with ground truth the two must agree, as in ``bfcl_eval``'s ``multi_turn_checker``:

- the model took a step with a call in it (else ``multi_turn:empty_turn_model_response``);
- every backend has the same public state (``multi_turn:instance_state_mismatch``);
- every result of the ground truth's calls this turn is among the results of the model's calls so far,
  counted with repeats (``multi_turn:execution_response_mismatch``).

Calls are parsed, not evaluated: a call is a name and literal arguments, looked up among the public
methods of the case's backends. The leaderboard ``eval``s the text (refusing a few names such as
``kill``); the results are the same for every call made of literals, which is what the categories use.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.errors import InputError
from factory.store.jsonl import read_jsonl
from factory.training.bfcl_apis import CLASSES, FUNC_DOCS, STATELESS, backend_class


@dataclass
class MultiTurnCase:
    id: str
    category: str
    turns: list[list[dict[str, Any]]]  # the user messages of each turn
    initial_config: dict[str, Any]
    involved_classes: list[str]
    functions: list[dict[str, Any]]  # the function docs offered from the start (excluded, held-out ones left out)
    ground_truth: list[list[str]] = field(default_factory=list)  # per turn, calls as Python text
    held_out: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # turn -> docs offered from then on

    @property
    def long_context(self) -> bool:
        return "long_context" in self.category or "composite" in self.category


def function_docs(classes: list[str], excluded: list[str] = ()) -> list[dict[str, Any]]:
    """The leaderboard's function docs of ``classes``, without the ``excluded`` names."""
    docs = []
    for name in classes:
        _module, doc = CLASSES[name]
        for _line, fn in read_jsonl(FUNC_DOCS / f"{doc}.jsonl"):
            if fn["name"] not in excluded:
                docs.append(fn)
    return docs


def load_multi_turn(questions: str | Path, answers: str | Path | None = None) -> Iterator[MultiTurnCase]:
    """Stream the cases of a ``BFCL_v*_multi_turn_*.jsonl`` file (with its possible_answer file)."""
    questions = Path(questions)
    category = questions.name.split(".")[0].split("_", 2)[-1]
    truth: dict[str, list[list[str]]] = {}
    if answers is not None:
        for lineno, row in read_jsonl(answers):
            if not isinstance(row, dict) or "id" not in row or "ground_truth" not in row:
                raise InputError(answers, lineno, "expected an object with 'id' and 'ground_truth'",
                                 "use the possible_answer file that belongs to the questions")
            truth[row["id"]] = row["ground_truth"]
    for lineno, row in read_jsonl(questions):
        if not isinstance(row, dict) or not {"id", "question", "involved_classes"} <= set(row):
            raise InputError(questions, lineno, "expected a multi-turn case with 'id', 'question' and "
                             "'involved_classes'", "pass a BFCL_v*_multi_turn_*.jsonl file")
        unknown = [c for c in row["involved_classes"] if c not in CLASSES]
        if unknown:
            raise InputError(questions, lineno, f"no backend for {', '.join(unknown)}",
                             f"the multi-turn backends are {', '.join(CLASSES)}")
        docs = function_docs(row["involved_classes"], row.get("excluded_function") or [])
        held_out: dict[int, list[dict[str, Any]]] = {}
        for turn, names in (row.get("missed_function") or {}).items():  # the miss_func category
            held_out[int(turn)] = [d for d in docs if d["name"] in names]
            docs = [d for d in docs if d["name"] not in names]
        yield MultiTurnCase(row["id"], category, row["question"], row.get("initial_config") or {},
                            list(row["involved_classes"]), docs, truth.get(row["id"], []), held_out)


class Backends:
    """One side's instances of a case's backends (the model's or the ground truth's), kept across
    turns, and the calls made on them."""

    def __init__(self, case: MultiTurnCase) -> None:
        self.instances: dict[str, Any] = {}
        self.methods: dict[str, Any] = {}
        for name in case.involved_classes:
            instance = backend_class(name)()
            if name not in STATELESS:
                instance._load_scenario(copy.deepcopy(case.initial_config.get(name, {})),
                                        long_context=case.long_context)
            self.instances[name] = instance
            for method_name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not method_name.startswith("_"):
                    self.methods[method_name] = method

    def run(self, calls: list[str]) -> list[str]:
        """Execute each call text; its result as the leaderboard records it (a string, a dict as JSON)."""
        return [self._run_one(text) for text in calls]

    def _run_one(self, text: str) -> str:
        try:
            name, args, kwargs = parse_call(text)
            if name not in self.methods:
                raise NameError(f"name '{name}' is not defined")
            result = self.methods[name](*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the backend's own errors are results the model sees
            return f"Error during execution: {exc}"
        if isinstance(result, str):
            return result
        if isinstance(result, dict):
            try:
                return json.dumps(result)
            except (TypeError, ValueError):
                return str(result)
        return str(result)


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``sort('final_report.pdf')`` -> ("sort", ["final_report.pdf"], {}); literals only."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        raise ValueError(f"not a function call: {text!r}")
    name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    args = [ast.literal_eval(a) for a in node.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg is not None}
    return name, args, kwargs


_ABSENT = object()


def _state(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def _missing(expected: list[str], got: list[str]) -> list[str]:
    pool = list(got)
    missing = []
    for item in expected:
        if item in pool:
            pool.remove(item)
        else:
            missing.append(item)
    return missing


def check_multi_turn(model_turns: list[list[list[str]]], case: MultiTurnCase) -> dict[str, Any]:
    """``model_turns[t]``: the model's steps in turn t, each a list of call texts. Returns
    ``{"valid": bool, "error_type": ..., "error_message": ...}`` as the leaderboard's checker does."""
    model, truth = Backends(case), Backends(case)
    model_results: list[str] = []
    for turn, expected_calls in enumerate(case.ground_truth):
        steps = model_turns[turn] if turn < len(model_turns) else []
        for step in steps:
            model_results.extend(model.run(step))
        truth_results = truth.run(expected_calls)
        if not expected_calls:
            continue
        if not steps or (len(steps) == 1 and not steps[0]):
            return {"valid": False, "error_type": "multi_turn:empty_turn_model_response",
                    "error_message": f"Model response list is empty for turn {turn}"}
        for name, instance in truth.instances.items():
            mine = model.instances[name]
            differ = [k for k, v in _state(instance).items() if getattr(mine, k, _ABSENT) != v]
            if differ:
                return {"valid": False, "error_type": "multi_turn:instance_state_mismatch",
                        "error_message": f"turn {turn}: {name} state differs from the ground truth's in "
                                         f"{', '.join(differ)}"}
        missing = _missing(truth_results, model_results)
        if missing:
            return {"valid": False, "error_type": "multi_turn:execution_response_mismatch",
                    "error_message": f"turn {turn}: results of the ground truth's calls missing from the "
                                     f"model's: {missing[:3]}"}
    return {"valid": True}


def call_text(name: str, arguments: dict[str, Any]) -> str:
    """A decoded call as the leaderboard writes calls: ``mv(source='a.pdf', destination='temp')``."""
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"


# As bfcl_eval.constants.default_prompts has them.
MAXIMUM_STEP_LIMIT = 20
ADDITIONAL_FUNCTION_PROMPT = "I have updated some more functions you can choose from. What about now?"


@dataclass
class Played:
    turns: list[list[list[str]]]  # per turn, the model's steps, each a list of call texts
    messages: list[dict[str, Any]]
    forced_quit: bool = False  # a turn ran past MAXIMUM_STEP_LIMIT steps: the case fails


def play_multi_turn(case: MultiTurnCase, respond: Any, decode: Any, max_steps: int = MAXIMUM_STEP_LIMIT) -> Played:
    """Run a model through a case as the leaderboard's inference does: each turn's user messages are
    added (at a turn where held-out functions arrive, their docs and the leaderboard's "I have updated
    some more functions" message), then the model answers step by step; the calls of each step run on
    the model's backends and their results come back as tool messages, until a step makes no call. A
    turn of more than ``max_steps`` steps ends the case as a forced quit.

    ``respond(messages, tools) -> text`` is the model; ``decode(text) -> [{"name", "arguments"}]``
    reads its calls."""
    from factory.training.bfcl import _to_json_schema_function

    def as_tools(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": "function", "function": _to_json_schema_function(f)} for f in docs]

    tools = as_tools(case.functions)
    backends = Backends(case)
    played = Played([], [])
    messages = played.messages
    n = 0
    for index, user_messages in enumerate(case.turns):
        if index in case.held_out:
            tools = tools + as_tools(case.held_out[index])
            user_messages = [{"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}]
        messages.extend(user_messages)
        steps: list[list[str]] = []
        played.turns.append(steps)
        for step in range(max_steps + 1):
            if step == max_steps:
                played.forced_quit = True
                return played
            text = respond(messages, tools)
            calls = decode(text)
            if not calls:
                messages.append({"role": "assistant", "content": text})
                break
            texts = [call_text(c["name"], c["arguments"] if isinstance(c["arguments"], dict) else {}) for c in calls]
            steps.append(texts)
            tool_calls = []
            for call in calls:
                n += 1
                tool_calls.append({"id": f"call_{n}", "type": "function",
                                   "function": {"name": call["name"], "arguments": call["arguments"]}})
            messages.append({"role": "assistant", "content": "", "tool_calls": tool_calls})
            for tool_call, result in zip(tool_calls, backends.run(texts)):
                messages.append({"role": "tool", "tool_call_id": tool_call["id"],
                                 "name": tool_call["function"]["name"], "content": result})
    return played
