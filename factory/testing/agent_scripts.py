"""Scripted agents for the loopback server: known trajectories played through the real SDKs.

A script is a list of steps; step *n* answers the request that carries *n* assistant turns, so the
responder is a pure function of the conversation (a rerun gets the same answers). A step is a
:func:`~factory.testing.wire.scripted_turn` payload, or a function of the last tool result (or user
message) text that returns one. The script is chosen by a ``[name]`` tag at the start of the first
user message, so one server plays many tasks at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from factory.testing.wire import scripted_turn

Step = dict | Callable[[str], dict]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                if block.get("type") == "tool_result":
                    parts.append(_text(block.get("content")))
                elif "text" in block:
                    parts.append(block["text"])
        return "\n".join(parts)
    return ""


def conversation(kind: str, body: dict) -> tuple[str, int, str]:
    """(first user text, assistant turns so far, the last tool result or user text)."""
    msgs = [m for m in body.get("messages", []) if m.get("role") != "system"]
    first = next((_text(m.get("content")) for m in msgs if m.get("role") == "user"), "")
    turns = sum(m.get("role") == "assistant" for m in msgs)
    last = _text(msgs[-1].get("content")) if msgs else ""
    return first, turns, last


class ScriptedAgent:
    """``LoopbackServer(ScriptedAgent({"fix": [...], ...}))``. A tag may map to several scripts
    (a list of lists): new conversations take them in turn, and a conversation keeps the script its
    first answer came from -- several rollouts of one task then play different trajectories."""

    def __init__(self, scripts: dict[str, list[Step] | list[list[Step]]],
                 fallback: str = "I have nothing more to do.") -> None:
        self.scripts = {k: v if v and isinstance(v[0], list) else [v] for k, v in scripts.items()}
        self.fallback = fallback
        self._started: dict[str, int] = {}

    def __call__(self, kind: str, body: dict) -> Any:
        first, turns, last = conversation(kind, body)
        m = re.match(r"\s*\[([\w-]+)\]", first)
        tag = m.group(1) if m else ""
        options = self.scripts.get(tag, [[]])
        if turns == 0:
            n = self._started.get(tag, 0)
            self._started[tag] = n + 1
            script = options[n % len(options)]
        else:
            script = options[self._which(kind, body, options)]
        if turns >= len(script):
            return scripted_turn(self.fallback)
        step = script[turns]
        return step(last) if callable(step) else step

    @staticmethod
    def _which(kind: str, body: dict, options: list[list[Step]]) -> int:
        """The script whose first step produced this conversation's first assistant turn."""
        firsts = [m for m in body.get("messages", []) if m.get("role") == "assistant"][:1]
        seen = json.dumps(firsts[0], sort_keys=True) if firsts else ""
        for i, script in enumerate(options):
            step = script[0] if script else None
            if isinstance(step, dict):
                turn = step["__turn__"]
                if all(name in seen for name, _ in turn["calls"]) and (turn["content"] or "")[:20] in seen \
                        and all(_first_value(args) in seen for _, args in turn["calls"]):
                    return i
        return 0


def _first_value(args: Any) -> str:
    if isinstance(args, dict) and args:
        return json.dumps(next(iter(args.values())))[1:-1][:30]
    return ""


def call(name: str, arguments: Any, text: str = "") -> dict:
    return scripted_turn(text, [(name, arguments)])


def say(text: str) -> dict:
    return scripted_turn(text)


def passed_count(output: str) -> str:
    m = re.search(r"(\d+) passed", output)
    return m.group(1) if m else "the"


# The fixture's release bug (``Inventory.release`` clamps to zero instead of raising).
RELEASE_OLD = "        self._reserved[sku] = max(0, self._reserved.get(sku, 0) - quantity)"
RELEASE_NEW = ("        reserved = self._reserved.get(sku, 0)\n        if quantity > reserved:\n"
               "            raise ValueError(f\"{sku}: cannot release {quantity}, only {reserved} reserved\")\n"
               "        self._reserved[sku] = reserved - quantity")
RELEASE_TEST = ("import pytest\nfrom shoplite.inventory import Inventory\n\n\n"
                "def test_releasing_more_than_reserved_raises():\n    inv = Inventory()\n    inv.restock(\"TEA-01\", 5)\n"
                "    inv.reserve(\"TEA-01\", 2)\n    with pytest.raises(ValueError):\n        inv.release(\"TEA-01\", 3)\n")


def release_fix(test_path: str = "tests/test_inventory.py") -> list[Step]:
    """Search, read, write a failing test, run it, fix, run the suite, report what the run showed."""
    return [
        call("grep", {"pattern": "def release", "path": "src", "output_mode": "content"}),
        call("read", {"file_path": "src/shoplite/inventory.py"}),
        call("write", {"file_path": test_path, "content": RELEASE_TEST}),
        call("bash", {"command": f"python -m pytest -q {test_path}"}),
        call("edit", {"file_path": "src/shoplite/inventory.py", "old_string": RELEASE_OLD, "new_string": RELEASE_NEW}),
        call("bash", {"command": "python -m pytest -q"}),
        lambda out: say(f"`Inventory.release` in `src/shoplite/inventory.py` now raises `ValueError` when asked to "
                        f"release more than is reserved, instead of clamping to zero. I added "
                        f"`{test_path}`, which failed before the change; the whole suite now reports "
                        f"{passed_count(out)} passed."),
    ]


def task_fix(task: Any) -> list[Step]:
    """A fixture task (:mod:`factory.sandbox.tasks`) done right in its repository's own tools: read the
    file, write the task's test, run it, make the task's edit, run the whole suite, say what happened."""
    return [
        call("read", {"file_path": task.file}),
        call("write", {"file_path": task.test_file, "content": task.test_code}),
        call("bash", {"command": task.fixture.test_commands(task.test_file, task.test_name)[0]}),
        call("edit", {"file_path": task.file, "old_string": task.old, "new_string": task.new}),
        call("bash", {"command": task.fixture.suite_commands()[0]}),
        lambda out: say(f"Fixed in `{task.file}`: {task.cause}. The new test {task.test_ref} failed before the "
                        "change, and the whole suite passes now."),
    ]

