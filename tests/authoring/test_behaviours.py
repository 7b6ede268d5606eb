"""Tool-calling behaviours beyond one call, in the main job's tool_core (default count, seed 42): each at least 5% of the
category, each doing what it says (answers computed right, no invented calls, the missing value asked
for by name and then used), within the token window, without raising the near-duplicate share."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import orjson
import pytest

from factory.authoring.behaviours import CAPABILITIES
from factory.host import PluginHost
from factory.quality.neardup import near_duplicate_share
from factory.quality.semantic import semantic_errors
from factory.quality.tokens import load_tokenizer, scan_token_lengths

HOST = PluginHost(entry_points=False).load()
BEHAVIOURS = ("plain_answer", "tool_not_offered", "missing_argument", "grounded_answer", "follow_up", "long_tool_list")


@pytest.fixture(scope="module")
def tool_core(main_job_dir):
    path = main_job_dir / "tool_core.jsonl"
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    by_sub = defaultdict(list)
    for r in records:
        by_sub[r["subcategory"]].append(r)
    return path, records, by_sub


def test_each_behaviour_is_at_least_five_percent(tool_core) -> None:
    _, records, by_sub = tool_core
    assert len(records) == 10_000
    for name in BEHAVIOURS:
        assert len(by_sub[name]) >= 500, name
        if name != "long_tool_list":  # one call among many tools: an ordinary call record
            assert {r["meta"]["behaviour"] for r in by_sub[name]} == {name}


def _calls(r: dict) -> list[dict]:
    return [c for m in r["messages"] for c in m.get("tool_calls") or []]


def test_plain_answers_offer_tools_call_none_and_are_right(tool_core) -> None:
    _, _, by_sub = tool_core
    checked = Counter()
    for r in by_sub["plain_answer"]:
        assert r["tools"] and not _calls(r)
        question, answer = r["messages"][1]["content"], r["messages"][2]["content"]
        py = re.search(r"(?:In Python, what does|What's the result of|what do I get from) `([^`]+)`", question, re.I)
        if py:  # recompute the expression the answer claims to have evaluated
            expr = py.group(1)
            value = eval(expr, {"__builtins__": {"sorted": sorted, "len": len, "set": set, "dict": dict,
                                                 "zip": zip, "list": list, "range": range}})
            assert answer.split("`")[1] == repr(value), (expr, answer)
            checked["python"] += 1
        mode = re.search(r"(?:chmod |mode )(\d{3})", question)
        if mode:
            letters = "".join(("r" if int(c) & 4 else "-") + ("w" if int(c) & 2 else "-") + ("x" if int(c) & 1 else "-")
                              for c in mode.group(1))
            assert f"`-{letters}`" in answer
            checked["chmod"] += 1
        size = re.search(r"(\d+) (KiB|MiB|GiB)", question)
        if size:
            power = {"KiB": 1, "MiB": 2, "GiB": 3}[size.group(2)]
            assert f"{int(size.group(1)) * 1024 ** power:,} bytes" in answer
            checked["bytes"] += 1
    assert checked["python"] > 100 and checked["chmod"] > 50 and checked["bytes"] > 20


def test_a_missing_tool_is_named_not_invented(tool_core) -> None:
    _, _, by_sub = tool_core
    for r in by_sub["tool_not_offered"]:
        offered = {t["function"]["name"] for t in r["tools"]}
        assert not _calls(r)
        reply = r["messages"][-1]["content"]
        named = set(re.findall(r"`(\w+)`", reply)) & set(HOST.registry.toolsets["continue"].names)
        assert named and named <= offered, reply
        kinds = [k for k, (_, tools, can_not, _) in CAPABILITIES.items() if f"can {can_not}" in reply
                 or f"can't {can_not}" in reply]
        assert kinds and not offered & CAPABILITIES[kinds[0]][1], (offered, reply)


def test_a_missing_argument_is_asked_for_then_used(tool_core) -> None:
    _, _, by_sub = tool_core
    for r in by_sub["missing_argument"]:
        roles = [m["role"] for m in r["messages"][1:4]]
        assert roles == ["user", "assistant", "user"] and "?" in r["messages"][2]["content"]
        assert not r["messages"][2].get("tool_calls")
        answer = r["messages"][3]["content"].strip("`. ")
        call = _calls(r)[0]["function"]
        value = next(iter(call["arguments"].values())) if call["name"] != "read_file_range" else call["arguments"]["filepath"]
        assert value.split()[-1].strip("`") in answer or answer.split()[-1].strip("`.") in value, (answer, call)


def test_every_behaviour_passes_the_semantic_check_and_fits_the_window(tool_core, tmp_path) -> None:
    _, _, by_sub = tool_core
    for name in BEHAVIOURS:
        assert all(semantic_errors(r) == [] for r in by_sub[name]), name
    long_lists = by_sub["long_tool_list"]
    assert min(len(r["tools"]) for r in long_lists) >= 10
    sample = tmp_path / "behaviours.jsonl"
    sample.write_bytes(b"\n".join(orjson.dumps(r) for name in BEHAVIOURS for r in by_sub[name]) + b"\n")
    report = scan_token_lengths([sample], load_tokenizer("qwen2.5"), max_tokens=2048, roundtrip=False)
    assert report.over_limit == []


def test_the_near_duplicate_share_stays_below_two_percent(tool_core) -> None:
    _, records, _ = tool_core
    report = near_duplicate_share(records)
    assert report.near_duplicates / report.total < 0.02  # 1.7% before the behaviours were added


def test_tool_use_has_the_behaviours_too(main_job_dir) -> None:
    rows = [orjson.loads(line) for line in (main_job_dir / "tool_use.jsonl").read_bytes().splitlines()]
    subs = Counter(r["subcategory"] for r in rows)
    assert subs["plain_answer"] == subs["tool_not_offered"] == subs["missing_argument"] == 10
    for r in rows:
        if r["subcategory"] in ("plain_answer", "tool_not_offered"):
            assert r["tools"] and not _calls(r)
