"""How held out a held-out set really is: the share of its prompts made only of sentences that also
occur in training (names, paths, numbers and domain nouns masked, as in :mod:`factory.quality.variety`),
and the share of its reference answers (the last assistant turn, where it has text) whose masked shape
is the shape of an answer in training.

An eval prompt whose every sentence a model has seen in training can be passed by memory; a prompt
with at least one sentence of its own measures the skill. ``factory check`` reports both shares for
the held-out categories among its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from factory.quality.variety import mask, sentences


def prompt_sentences(record: dict[str, Any], nouns: frozenset[str]) -> list[str]:
    return [s for m in record.get("messages") or [] if m.get("role") == "user" and isinstance(m.get("content"), str)
            for s in sentences(m["content"], nouns)]


def trained_shapes(record: dict[str, Any], nouns: frozenset[str]) -> list[str]:
    """The shapes of every assistant text of a training record: all of them are learned."""
    return [mask(m["content"][:1200], nouns)[:400] for m in record.get("messages") or []
            if m.get("role") == "assistant" and isinstance(m.get("content"), str) and m["content"].strip()]


def answer_shapes(record: dict[str, Any], nouns: frozenset[str]) -> list[str]:
    """The shape of the record's reference answer -- its last assistant turn, what an evaluator compares
    against -- when that turn has text. Earlier assistant turns are part of the prompt (an agent's
    conversation so far), not answers."""
    turns = [m for m in record.get("messages") or [] if m.get("role") == "assistant"]
    last = turns[-1] if turns else {}
    text = last.get("content")
    return [mask(text[:1200], nouns)[:400]] if isinstance(text, str) and text.strip() else []


@dataclass
class Overlap:
    records: int = 0
    only_training: int = 0  # prompts every sentence of which occurs in training
    answers: int = 0
    shared_answers: int = 0  # text answers whose masked shape is a training answer's
    examples: list[str] = field(default_factory=list)

    @property
    def prompt_share(self) -> float:
        return self.only_training / self.records if self.records else 0.0

    @property
    def answer_share(self) -> float:
        return self.shared_answers / self.answers if self.answers else 0.0


def overlap(held_out: Iterable[tuple[list[str], list[str]]], train_sentences: set[str],
            train_answers: set[str]) -> Overlap:
    """``held_out``: (prompt sentences, answer shapes) per held-out record."""
    out = Overlap()
    for sents, shapes in held_out:
        out.records += 1
        if sents and all(s in train_sentences for s in sents):
            out.only_training += 1
            if len(out.examples) < 5:
                out.examples.append(" / ".join(sents))
        out.answers += len(shapes)
        out.shared_answers += sum(1 for a in shapes if a in train_answers)
    return out
