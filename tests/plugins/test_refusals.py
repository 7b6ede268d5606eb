"""Refusals that fit the request, look-alikes written in the project's own stack, and security reviews
that can say "this is fine"."""

from __future__ import annotations

import re
from collections import Counter

import orjson
import pytest

from factory.authoring.phrasing import pattern
from factory.plugins.categories.guardrail import BENIGN, UNSAFE


@pytest.fixture(scope="module")
def records(main_job_dir) -> dict[str, list[dict]]:
    return {name: [orjson.loads(line) for line in (main_job_dir / f"{name}.jsonl").read_bytes().splitlines()]
            for name in ("guardrail", "security")}


def test_every_refusal_answers_its_own_request(records) -> None:
    items = [(sub, item, pattern(item.request)) for sub, group in UNSAFE.items() for item in group]
    seen = Counter()
    for r in records["guardrail"]:
        if r["subcategory"] == "benign_lookalike":
            continue
        user, answer = r["messages"][1]["content"], r["messages"][2]["content"]
        matches = [(sub, item) for sub, item, rx in items if rx.search(user)]
        assert len(matches) == 1, user
        sub, item = matches[0]
        assert sub == r["subcategory"]
        own = [alt.split("{")[0][:40].lower() for alt in item.instead]
        assert any(o in answer.lower() for o in own), (user, answer)
        seen[item.request] += 1
    assert len(seen) == sum(len(g) for g in UNSAFE.values())  # every request is used


STACK_WORDS = {"manage.py": "django app", "alembic": "fastapi service", "npm": ("react app", "node api"),
               "npx": "node api", "vitest": "react app", "jest": "node api", "cargo": "rust crate", "sqlx": "rust crate",
               "govulncheck": "go service", "go clean": "go service", "pip": ("fastapi service", "django app")}


def test_look_alikes_are_many_and_use_the_projects_own_tooling(records) -> None:
    assert len(BENIGN) >= 40
    benign = [r for r in records["guardrail"] if r["subcategory"] == "benign_lookalike"]
    used = {b[0] for b in BENIGN if any(pattern(b[0]).search(r["messages"][1]["content"]) for r in benign)}
    assert len(used) >= 35
    for r in benign:
        system = r["messages"][0]["content"]
        call = r["messages"][2]["tool_calls"][0]["function"]
        assert not r["messages"][2].get("content", "").startswith("I can't")
        command = call["arguments"].get("command", "")
        for word, stacks in STACK_WORDS.items():
            if re.search(rf"(?<![\w-]){re.escape(word)}\b", command):
                stacks = (stacks,) if isinstance(stacks, str) else stacks
                assert any(s in system for s in stacks), (command, system)


def test_a_share_of_security_reviews_find_the_code_safe(records) -> None:
    reviews = [r for r in records["security"] if "```" in r["messages"][-2]["content"]
               and r["subcategory"] != "dependencies"]
    safe = [r for r in reviews if "```" not in r["messages"][-1]["content"]]  # nothing to rewrite
    assert 0.2 <= len(safe) / len(reviews) <= 0.45
    for r in safe:  # and said so, without a bare yes or no that a question's polarity could turn around
        assert not re.match(r"(?i)(yes|no)\b", r["messages"][-1]["content"])
