"""How varied a category really is: its task sentences with names, paths, numbers and the kit's
vocabulary masked, and how few of them cover most of its records.

A template set with many entity names but few sentence shapes looks varied and is not: a model learns
the shapes. ``distinct`` counts masked sentence shapes over the users' requests, ``cover90`` how many of
the most frequent shapes make up 90% of all sentence uses (the lower, the more collapsed), and the same
for the assistants' texts and for the first call's pattern (tool and argument names).

A sentence shape is what is left of a sentence of prose once the things a template fills in are masked:
code blocks are not sentences (code has its own measures); inline code, quoted strings, URLs, paths,
identifiers and numbers become slots; so do the kit's domain nouns, field names, languages and stacks
(``kit_nouns``); a conversational opener of up to four words ("Quick one:", "Hey,", "In <path>,") is
dropped, and a run of slots counts as one. Two requests that differ only in what fills their slots or in
how they open are one shape.
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
    (re.compile(r"(?<!\w)'[^'\n]{1,80}'(?!\w)|\"[^\"\n]{1,80}\""), " <str> "),  # not "it's ... we're"
    (re.compile(r"(?:[\w.*{}-]+/)+[\w.*{}-]*|\b[\w-]+\.(?:py|tsx?|jsx?|go|rs|md|json|toml|ya?ml|txt|html|css|sql)\b"),
     " <path> "),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b(?:[A-Z][a-z0-9]+){2,}\b"), " <name> "),
    (re.compile(r"[-+]?\$?\b\d+(?:[.,]\d+)*%?"), " <n> "),
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_OPENER = re.compile(r"^(?:[\w'<>-]+(?: [\w'<>-]+){0,3}\s*(?:[:,!]|--))\s+(?=\S)")
_SLOT_RUN = re.compile(r"(?:<(?:e|name|n|str|path|code|url)>[\s,;()]*)+")
_WORD = re.compile(r"[a-z]{2,}")


def mask(text: str, nouns: Iterable[str] = ()) -> str:
    for rx, sub in _STEPS:
        text = rx.sub(sub, text)
    words = set(nouns)
    if words:
        text = " ".join(_noun(w, words) for w in text.split())
    return re.sub(r"\s+", " ", text).strip().lower()


def _noun(word: str, nouns: set[str]) -> str:
    core = word.strip(".,;:!?()")
    if not core or core.lower() not in nouns:
        return word
    start = word.index(core)
    return word[:start] + "<e>" + word[start + len(core):]


def shape(sentence: str, nouns: Iterable[str] = ()) -> str:
    """One sentence of prose as its shape: masked, its opener dropped, runs of slots made one ``<x>``;
    empty when fewer than two words are left."""
    s = mask(sentence, nouns)
    for _ in range(2):
        rest = _OPENER.sub("", s)
        if len(_WORD.findall(re.sub(r"<\w+>", "", rest))) < 2:  # slots are not words
            break
        s = rest
    s = _SLOT_RUN.sub("<x> ", s).strip()
    return s if len(_WORD.findall(s.replace("<x>", ""))) >= 2 else ""


def sentences(text: str, nouns: Iterable[str] = ()) -> list[str]:
    """The shapes of a text's sentences of prose (code blocks left out)."""
    text = _FENCED.sub(" <code>. ", text or "")
    return [s for s in (shape(part, nouns) for part in _SENTENCE.split(text)) if s]


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


LANGUAGES = ("python", "go", "golang", "rust", "typescript", "javascript", "ts", "tsx", "js", "jsx", "react",
             "node", "node.js", "django", "fastapi", "flask", "vue", "java", "kotlin", "swift", "ruby", "php", "c#")


def kit_nouns() -> frozenset[str]:
    """What the authoring kit fills its templates with, as masked words: domain nouns of every pool
    (singular and plural), field names, languages, project stacks and documentation topics."""
    from factory.authoring import vocab

    words: set[str] = set(LANGUAGES)
    for pool in getattr(vocab, "ENTITY_POOLS", {}).values():
        for ent in pool:
            for w in (ent, vocab.plural(ent)):
                words.update(w.split("_"))
                words.add(w.replace("_", " "))
    for name in getattr(vocab, "FIELDS", {}):
        words.add(name.replace("_", " "))
        words.update(part for part in name.split("_") if len(part) > 2)
    for stack in (*getattr(vocab, "STACKS", ()), *getattr(vocab, "HELD_OUT_STACKS", ())):
        words.update(stack.name.split())
        words.add(stack.language)
    words.update(t.lower() for t in (*getattr(vocab, "DOC_TOPICS", ()), *getattr(vocab, "DOC_TITLES", ())))
    return frozenset(w for w in words if len(w) > 1)
