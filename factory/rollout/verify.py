"""Judging a rollout, APIGen-style, stage by stage -- each stage has its own pass rate:

- **format**: every call names an offered tool and its arguments are a JSON object valid against the
  tool's schema;
- **execution**: every call ran in the sandbox, none was refused (a path outside the copy, a command
  off the allowlist), and the last call did not fail;
- **outcome**: the blueprint's ``verify`` command passes on the final copy (hidden files written
  first), or, for an exploration task, the final answer matches every ``expect`` pattern;
- **semantics**: what the assistant says agrees with what its tools returned, and its calls meet the
  tool set's preconditions (:func:`factory.quality.semantic.semantic_errors`).

A rollout that passes every stage becomes a training record (``label: true``) with its real
``tool`` results; one that fails is kept apart with its reasons (``label: false``, for KTO), and a
task with both yields DPO pairs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from factory.rollout.loop import Rollout
from factory.rollout.tools import parse_arguments

STAGES = ("format", "execution", "outcome", "semantics")


def _record_messages(r: Rollout) -> tuple[list[dict[str, Any]], list[str], dict[str, str]]:
    """The conversation in the record format (arguments as objects); problems that stop that; and the
    text of each call whose arguments were not a JSON object, by call id (the record's schema holds
    objects only, so such a call shows ``{}`` and its text is kept beside it, in the record's meta)."""
    out, problems, malformed = [], [], {}
    for m in r.messages:
        if m["role"] == "assistant" and m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                args, why = parse_arguments(c["function"]["arguments"])
                if args is None:
                    problems.append(f"{c['function']['name']}: {why}")
                    raw = c["function"]["arguments"]
                    malformed[c["id"]] = raw if isinstance(raw, str) else repr(raw)
                    args = {}
                calls.append({"id": c["id"], "type": "function", "function": {"name": c["function"]["name"],
                                                                               "arguments": args}})
            msg: dict[str, Any] = {"role": "assistant", "tool_calls": calls}
            if m.get("content"):
                msg["content"] = m["content"]
            out.append(msg)
        elif m["role"] == "tool":
            out.append({"role": "tool", "tool_call_id": m["tool_call_id"], "content": m["content"]})
        else:
            out.append({"role": m["role"], "content": m.get("content") or ""})
    return out, problems, malformed


@dataclass
class Verdict:
    rollout: Rollout
    record: dict[str, Any] | None
    stages: dict[str, bool] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.record is not None and all(self.stages.get(s) for s in STAGES)


def judge(r: Rollout, tools: list[dict[str, Any]], meta: dict[str, Any], category: str,
          validator: Any, rules: Any) -> Verdict:
    """Every stage of one finished rollout, and the record it makes."""
    from factory.quality.semantic import semantic_errors
    from factory.schemas import Example

    v = Verdict(r, None)
    if r.status != "answered":
        v.reasons.append(f"{r.status}: {r.reason}")
        for s in STAGES:
            v.stages[s] = False
        return v
    messages, problems, malformed = _record_messages(r)
    # format
    fmt = [f"call {c.name}: {c.malformed}" for c in r.calls if c.malformed]
    fmt += [f"call {c.name}: not an offered tool" for c in r.calls if c.unknown]
    fmt += problems
    offered = {t["function"]["name"]: t for t in tools}
    for c in r.calls:
        if isinstance(c.arguments, dict) and not c.unknown:
            fmt += [f"call {i.detail}" for i in validator.call_issues(c.name, c.arguments, offered)]
    v.stages["format"] = not fmt
    v.reasons += [f"format: {x}" for x in dict.fromkeys(fmt)]
    # execution
    ex = [f"{c.name} refused: {c.output[:200]}" for c in r.calls if c.refused]
    if r.calls and not r.calls[-1].ok:
        ex.append(f"the last call ({r.calls[-1].name}) failed: {r.calls[-1].output[:200]}")
    v.stages["execution"] = not ex
    v.reasons += [f"execution: {x}" for x in ex]
    # outcome
    out: list[str] = []
    if r.task.verify and not r.verify_passed:
        out.append(f"`{r.task.verify}` does not pass: {r.verify_output[-300:]}")
    for path in r.tampered:
        out.append(f"the rollout changed {path}, which decides how the task's tests run")
    answer = r.final_answer
    for pattern in r.task.expect:
        if not re.search(pattern, answer):
            out.append(f"the answer does not match /{pattern}/")
    if not r.task.verify and not r.task.expect:
        out.append("the task has neither a verify command nor expected answer patterns")
    v.stages["outcome"] = not out
    v.reasons += [f"outcome: {x}" for x in out]
    # the record, then semantics
    record_meta = {**meta, "rollout": {
        "task": r.task.key, "source": r.task.source, "kind": r.task.kind, "sample": r.sample, "turns": r.turns,
        "user_turns": r.user_turns, "calls": len(r.calls), "failed_calls": sum(not c.ok for c in r.calls),
        "verify": r.task.verify, "verify_passed": r.verify_passed, "changed": r.changed,
        "isolation": r.isolation, "cost": round(r.cost, 6),
        **({"malformed_arguments": malformed} if malformed else {}),
    }}
    try:
        example = Example(category=category, subcategory=r.task.kind, messages=messages, tools=tools,
                          meta=record_meta)
    except Exception as exc:  # noqa: BLE001 - a conversation the record schema refuses: say why
        v.stages["semantics"] = False
        v.reasons.append(f"record: {exc}".splitlines()[0][:300])
        return v
    record = example.to_dict()
    # A call whose real result was an error is not judged by the preconditions it broke: the error is
    # what the model saw and recovered from (the verifier's rules are for calls shown as succeeding).
    errored = _errored_turns(record["messages"], [c.ok for c in r.calls])
    sem = [e for e in semantic_errors(record, rules)
           if not (" precondition " in e and _turn_of(e) in errored)]
    v.stages["semantics"] = not sem
    v.reasons += [f"semantics: {x}" for x in sem]
    record["label"] = all(v.stages[s] for s in STAGES)
    if not record["label"]:
        record["meta"]["rollout"]["reasons"] = v.reasons
    v.record = record
    return v


@dataclass
class StageReport:
    rollouts: int = 0
    passed: int = 0
    stage_pass: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    answered: int = 0
    recorded_failures: int = 0

    def add(self, v: Verdict) -> None:
        self.rollouts += 1
        self.passed += int(v.passed)
        self.recorded_failures += int(not v.passed and v.record is not None)
        self.statuses[v.rollout.status] += 1
        if v.rollout.status == "answered":  # stage rates are over rollouts that reached an answer
            self.answered += 1
            for s in STAGES:
                self.stage_pass[s] += int(bool(v.stages.get(s)))
        for reason in v.reasons:
            self.reasons[re.sub(r"\d+", "N", reason)[:90]] += 1

    def to_dict(self) -> dict[str, Any]:
        n = max(1, self.answered)
        return {"rollouts": self.rollouts, "passed": self.passed, "failed": self.rollouts - self.passed,
                "failed_with_record": self.recorded_failures,
                "without_record": self.rollouts - self.passed - self.recorded_failures,
                "status": dict(self.statuses), "answered": self.answered,
                "stage_pass_rate": {s: round(self.stage_pass[s] / n, 4) for s in STAGES},
                "reasons": dict(self.reasons.most_common(30))}


def preference_pairs(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """TRL DPO rows from tasks with a passing and a failing rollout: the shared conversation up to the
    first assistant turn where the two differ is the prompt, and that one assistant turn of each is
    ``chosen`` / ``rejected`` -- so the preference trains the model's own turn, never tool results or
    the simulated user's words."""
    from factory.export.base import chat_messages

    by_task: dict[str, tuple[list[Verdict], list[Verdict]]] = {}
    for v in verdicts:
        if v.record is None:
            continue
        good, bad = by_task.setdefault(v.rollout.task.key, ([], []))
        (good if v.passed else bad).append(v)
    rows = []
    for key, (good, bad) in sorted(by_task.items()):
        for g, b in zip(good, bad):
            gm, bm = chat_messages(g.record["messages"]), chat_messages(b.record["messages"])
            i = 0
            while i < min(len(gm), len(bm)) and gm[i] == bm[i]:
                i += 1
            if i >= len(gm) or i >= len(bm) or gm[i].get("role") != "assistant" or bm[i].get("role") != "assistant":
                continue  # they differ first in a tool result or a user turn: no clean preference
            rows.append({"prompt": gm[:i], "chosen": [gm[i]], "rejected": [bm[i]], "tools": g.record["tools"],
                         "meta": {"task": key, "turn": i, "chosen_id": g.record["id"], "rejected_id": b.record["id"],
                                  "rejected_reasons": b.reasons[:5]}})
    return rows


def _turn_of(error: str) -> int | None:
    m = re.match(r"messages\[(\d+)\]", error)
    return int(m.group(1)) if m else None


def _errored_turns(messages: list[dict[str, Any]], oks: list[bool]) -> set[int]:
    """Indices of assistant messages every one of whose calls failed (``oks``: each call's outcome,
    in the order of the calls)."""
    out, k = set(), 0
    for i, m in enumerate(messages):
        calls = m.get("tool_calls") or []
        if calls:
            if not any(oks[k:k + len(calls)]):
                out.add(i)
            k += len(calls)
    return out
