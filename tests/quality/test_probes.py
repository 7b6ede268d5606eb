"""Refactors that say they keep behaviour are executed, whoever wrote them: both sides run on inputs made
from what the original reads, in the sandbox jail, and every input the original accepts must give the
same result on the refactored side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory.quality.check import check_files
from factory.quality.probes import make_pair, probe_calls, run_pairs
from factory.rollout.sandbox import namespaces_available

pytestmark = pytest.mark.skipif(bool(namespaces_available()), reason="no sandbox jail on this system")


def _record(before: str, after: str, label: str = "behaviour-preserving") -> dict:
    return {"category": "style_refactor", "subcategory": "python_idioms", "label": True, "tools": [],
            "meta": {"provider": "openai", "refactor": label},
            "messages": [{"role": "user", "content": f"Refactor this:\n\n```python\n{before}```"},
                         {"role": "assistant", "content": f"Here it is:\n\n```python\n{after}```"}]}


BEFORE = ("def total_open(rows):\n    total = 0\n    for row in rows:\n        if not row['closed']:\n"
          "            total += row['amount']\n    return total\n")
SAME = "def total_open(rows):\n    return sum(row['amount'] for row in rows if not row['closed'])\n"
CHANGED = "def total_open(rows):\n    return sum(row['amount'] for row in rows)\n"  # forgets the filter


def test_inputs_follow_what_the_code_reads() -> None:
    import random

    calls = probe_calls(BEFORE, {"total_open"}, random.Random(0))
    rows = [args[0] for _, args in calls if args[0]]
    assert rows and all(isinstance(r, list) for r in rows)
    items = [item for r in rows for item in r]
    assert items and all(isinstance(i, dict) and set(i) <= {"closed", "amount"} for i in items)


def test_a_refactor_that_changes_results_is_caught_and_one_that_does_not_passes() -> None:
    pairs = [make_pair(0, _record(BEFORE, SAME)), make_pair(1, _record(BEFORE, CHANGED))]
    res = run_pairs([p for p in pairs if p])
    assert res.checked == 2 and list(res.problems) == [1]
    assert "total_open(" in res.problems[1][0] and "before" in res.problems[1][0]
    # a shared mutable default shows when the function is called twice with the default
    shared = "def add(item, items=[]):\n    items.append(item)\n    return items\n"
    fresh = "def add(item, items=None):\n    items = [] if items is None else items\n    items.append(item)\n    return items\n"
    res = run_pairs([make_pair(0, _record(shared, fresh))])
    assert list(res.problems) == [0]
    # only records that say they keep behaviour are run
    assert make_pair(0, _record(BEFORE, CHANGED, label="behaviour change")) is None


def test_hostile_code_stays_in_the_jail_and_ends_only_its_own_pair(tmp_path: Path) -> None:
    canary = tmp_path / "outside.txt"
    escape = (f"def f(x):\n    try:\n        open({str(canary)!r}, 'w').write('escaped')\n    except OSError:\n"
              "        pass\n    return x\n")
    kill = "import os\n\n\ndef g(x):\n    os._exit(3)\n"
    slow = "def h(x):\n    while True:\n        pass\n"
    pairs = [make_pair(0, _record(BEFORE, CHANGED)), make_pair(1, _record(escape, escape)),
             make_pair(2, _record(kill, kill)), make_pair(3, _record(slow, slow)), make_pair(4, _record(BEFORE, CHANGED))]
    res = run_pairs([p for p in pairs if p])
    assert not canary.exists()  # the host's file system is read-only from inside
    assert set(res.problems) == {0, 4}  # the pairs after the one that ended the process still ran
    assert res.checked == 3 and res.inconclusive == 2  # the escape attempt ran (and failed); kill and slow did not


def test_check_rejects_a_refactor_that_changes_behaviour_at_the_build_stage(tmp_path: Path) -> None:
    path = tmp_path / "refactors.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (_record(BEFORE, SAME), _record(BEFORE, CHANGED))) + "\n")
    report = check_files([path], held_out=[])
    st = report.categories["style_refactor"].stages["build"]
    assert (st.checked, st.failed) == (2, 1)
    assert report.build_blocks["python refactor probes"] == 2
    assert any(r.startswith("claim refactor") for r in st.reasons)


def test_what_the_comparison_must_not_call_a_change_and_what_it_must() -> None:
    klass = "from dataclasses import dataclass\n\n\n@dataclass\nclass P:\n    x: int\n\n\n"
    pairs = {
        # each side defines its own class: equal fields are the same result
        "dataclass": (klass + "def make(n):\n    return P(x=n * 2)\n", klass + "def make(n):\n    return P(n + n)\n"),
        # an answer that shows only the function it changed keeps the helpers of the original
        "partial": ("def helper(n):\n    return n + 1\n\n\ndef use(n):\n    return helper(n) * 2\n",
                    "def use(n):\n    return 2 * helper(n)\n"),
        # an original that draws random numbers has no single answer to hold the refactor to
        "random": ("import random\n\n\ndef pick(n):\n    return random.random() + n\n",
                   "import random\n\n\ndef pick(n):\n    return n + random.random()\n"),
        # a refactor that hangs where the original answered, even one that catches Exception
        "hangs": ("def f(n):\n    return n\n",
                  "def f(n):\n    while True:\n        try:\n            pass\n        except Exception:\n            pass\n"),
    }
    made = [make_pair(i, _record(b, a)) for i, (b, a) in enumerate(pairs.values())]
    res = run_pairs([p for p in made if p])
    assert set(res.problems) == {3}, res.problems
    assert "takes longer than" in res.problems[3][0]
