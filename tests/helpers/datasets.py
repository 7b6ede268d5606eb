"""Valid Example records of every shape the export/merge/token tests need, built with the real schema
and the real Continue tool set; also written to category files like `factory run` writes them.

Shared by tests/test_tokens*.py, test_merge*.py, test_export*.py, test_report*.py and bench/.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from factory.schemas import Example
from factory.store.jsonl import JsonlWriter

CONTINUE = json.loads((Path(__file__).parents[2] / "schemas" / "toolsets" / "continue.json").read_text())
TOOLS = {t["function"]["name"]: t for t in CONTINUE}
WORDS = ["alpha", "beta", "gamma", "delta", "parser", "cache", "router", "widget", "ledger", "queue", "socket", "token", "buffer", "schema", "module", "handler", "config", "service", "client", "worker"]


def _offered(*names: str) -> list[dict[str, Any]]:
    return [TOOLS[n] for n in names]


def tool_record(i: int, category: str = "tool_core", rng: random.Random | None = None) -> dict[str, Any]:
    rng = rng or random.Random(i)
    path = f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{i}.py"
    msgs = [
        {"role": "system", "content": "You are a coding assistant inside the Continue extension."},
        {"role": "user", "content": f"Open {path} and tell me what the {rng.choice(WORDS)} function does."},
        {"role": "assistant", "tool_calls": [{"id": f"call_{i}", "type": "function",
                                               "function": {"name": "read_file", "arguments": {"filepath": path}}}]},
        {"role": "tool", "tool_call_id": f"call_{i}", "name": "read_file",
         "content": f"def run_{i}(x):\n    return x * {i % 97}\n"},
        {"role": "assistant", "content": f"`run_{i}` multiplies its argument by {i % 97}."},
    ]
    return Example.model_validate({
        "category": category, "subcategory": "read", "messages": msgs,
        "tools": _offered("read_file", "run_terminal_command", "ls"), "label": True,
        "meta": {"generator": "tests", "spec": category, "seed": 42, "provider": "template"},
    }).to_dict()


def edit_words(text: str, rng: random.Random, edits: int, vocab: list[str] = WORDS) -> str:
    """``text`` with ``edits`` random word edits (a word replaced, inserted or deleted): a planted
    near duplicate."""
    words = text.split()
    for _ in range(edits):
        op, k = rng.random(), rng.randrange(len(words))
        if op < 0.5:
            words[k] = rng.choice(vocab)
        elif op < 0.75:
            words.insert(k, rng.choice(vocab))
        else:
            del words[k]
    return " ".join(words)


def text_record(i: int, category: str = "style_core", words: int = 40, rng: random.Random | None = None,
                label: bool | None = True) -> dict[str, Any]:
    rng = rng or random.Random(f"{category}:{i}")
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    msgs = [
        {"role": "user", "content": f"Task {i}: explain the {rng.choice(WORDS)} pattern. {body}"},
        {"role": "assistant", "content": f"Answer {i}: " + " ".join(rng.choice(WORDS) for _ in range(words))},
    ]
    return Example.model_validate({
        "category": category, "subcategory": "general", "messages": msgs, "label": label,
        "scores": {"overall": round(rng.uniform(2, 5), 2)},
        "meta": {"generator": "tests", "spec": category, "seed": 42},
    }).to_dict()


def neg_record(i: int) -> dict[str, Any]:
    """A tool_neg record: the last call is missing its required argument; meta.defect has the fix."""
    path = f"docs/{WORDS[i % len(WORDS)]}_{i}.md"
    msgs = [
        {"role": "user", "content": f"Create {path} with a heading for release {i}."},
        {"role": "assistant", "tool_calls": [{"id": f"neg_{i}", "type": "function", "function": {
            "name": "create_new_file", "arguments": {"filepath": path}}}]},
    ]
    correct = [{"id": f"neg_{i}", "type": "function", "function": {
        "name": "create_new_file", "arguments": {"filepath": path, "contents": f"# Release {i}\n"}}}]
    return Example.model_validate({
        "category": "tool_neg", "subcategory": "missing_required", "messages": msgs,
        "tools": _offered("create_new_file", "read_file"), "label": False,
        "meta": {"generator": "tests", "defect": {"kind": "missing_required", "detail": "no contents",
                                                 "correct": correct}},
    }).to_dict()


def enhanced_pair(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An original low-quality record and its enhanced version pointing back via meta.parent_id."""
    original = text_record(i, "tool_core", words=6, label=False)
    better = text_record(i + 100_000, "tool_core", words=30, label=True)
    if i % 5:  # most enhancements keep the prompt and improve the answer; every fifth rewrites both
        better["messages"][0] = original["messages"][0]
        better["id"] = ""
        better = Example.model_validate(better).to_dict()
    better["meta"]["parent_id"] = original["id"]
    better["meta"]["provider"] = "anthropic"
    return original, better


def fim_record(i: int) -> dict[str, Any]:
    rec = text_record(i, "fim", words=5)
    rec["meta"]["fim"] = {"prefix": f"def add_{i}(a, b):\n    ", "middle": "return a + b", "suffix": "\n"}
    return rec


def write_category_files(out: Path, n_tool: int = 40, n_style: int = 30, n_neg: int = 10,
                         n_guard: int = 10, n_eval: int = 8) -> dict[str, Path]:
    """Category files as `factory run` writes them into OUT, including the held-out eval.jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    plan = {
        "tool_core.jsonl": [tool_record(i) for i in range(n_tool)],
        "style_core.jsonl": [text_record(i, "style_core") for i in range(n_style)],
        "tool_neg.jsonl": [neg_record(i) for i in range(n_neg)],
        "guardrail.jsonl": [text_record(i, "guardrail") for i in range(n_guard)],
        "eval.jsonl": [text_record(i, "eval") for i in range(n_eval)],
    }
    paths = {}
    for name, rows in plan.items():
        with JsonlWriter(out / name) as w:
            for r in rows:
                w.write(r)
        paths[name] = out / name
    return paths
