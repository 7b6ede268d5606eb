"""How varied a category really is: its task sentences with names, paths, numbers and domain nouns
masked, and how few of them cover most of its records.

A template set with many entity names but few sentence shapes looks varied and is not: a model learns
the shapes. ``distinct`` counts masked sentence shapes over the users' requests, ``cover90`` how many of
the most frequent shapes make up 90% of all sentence uses (the lower, the more collapsed), and the same
for the assistants' texts and for the first call's pattern (tool and argument names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_STEPS = [
    (re.compile(r"```.*?```", re.DOTALL), " <code> "),
    (re.compile(r"`[^`\n]*`"), " <code> "),
    (re.compile(r"https?://\S+"), " <url> "),
    (re.compile(r"'[^'\n]{1,80}'|\"[^\"\n]{1,80}\""), " <str> "),
    (re.compile(r"(?:[\w.*{}-]+/)+[\w.*{}-]*|\b[\w-]+\.(?:py|tsx?|jsx?|go|rs|md|json|toml|ya?ml|txt|html|css|sql)\b"),
     " <path> "),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b(?:[A-Z][a-z0-9]+){2,}\b"), " <name> "),
    (re.compile(r"[-+]?\$?\b\d+(?:[.,]\d+)*%?"), " <n> "),
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def mask(text: str, nouns: Iterable[str] = ()) -> str:
    for rx, sub in _STEPS:
        text = rx.sub(sub, text)
    words = set(nouns)
    if words:
        text = " ".join("<e>" if w.lower().strip(".,;:!?()") in words else w for w in text.split())
    return re.sub(r"\s+", " ", text).strip().lower()


def sentences(text: str, nouns: Iterable[str] = ()) -> list[str]:
    return [s for s in (mask(part, nouns) for part in _SENTENCE.split(text or "")) if re.search(r"[a-z]{2}", s)]


def cover(counts: Counter, share: float = 0.9) -> int:
    """How many of the most frequent items account for ``share`` of all uses."""
    total = sum(counts.values())
    running = 0
    for i, (_, n) in enumerate(counts.most_common(), 1):
        running += n
        if running >= share * total:
            return i
    return len(counts)


@dataclass
class Variety:
    records: int = 0
    task: Counter = field(default_factory=Counter)  # masked sentences of the user turns
    answer: Counter = field(default_factory=Counter)  # masked texts of the assistant turns
    first_call: Counter = field(default_factory=Counter)  # tool(arg, ...) of the first call

    def add(self, record: dict[str, Any], nouns: frozenset[str] = frozenset()) -> None:
        self.records += 1
        msgs = record.get("messages") or []
        for m in msgs:
            if m.get("role") == "user" and isinstance(m.get("content"), str):
                self.task.update(sentences(m["content"], nouns))
            elif m.get("role") == "assistant" and isinstance(m.get("content"), str) and m["content"].strip():
                self.answer[mask(m["content"][:1200], nouns)[:400]] += 1  # the opening is the shape
        for m in msgs:
            if m.get("tool_calls"):
                fn = m["tool_calls"][0].get("function") or {}
                args = fn.get("arguments") if isinstance(fn.get("arguments"), dict) else {}
                self.first_call[f"{fn.get('name')}({', '.join(sorted(args))})"] += 1
                break

    def summary(self) -> dict[str, int]:
        return {"records": self.records, "task_sentences": len(self.task), "task_cover90": cover(self.task),
                "answer_texts": len(self.answer), "answer_cover90": cover(self.answer),
                "first_call_patterns": len(self.first_call)}


def kit_nouns() -> frozenset[str]:
    """The authoring kit's domain nouns (every pool), singular and plural, as masked words."""
    from factory.authoring import vocab

    words: set[str] = set()
    for pool in getattr(vocab, "ENTITY_POOLS", {}).values():
        for ent in pool:
            for w in (ent, vocab.plural(ent)):
                words.update(w.split("_"))
                words.add(w.replace("_", " "))
    return frozenset(w for w in words if len(w) > 2)
