"""Text helpers for templates: seeded choice and markdown.

``one`` and ``some`` are the only ways the kit draws from a list, so a record depends on nothing but
the RNG it is handed (same seed, same bytes). ``framed`` varies how a request opens and closes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any


def one(rng: random.Random, options: Sequence[Any]) -> Any:
    return options[rng.randrange(len(options))]


def some(rng: random.Random, options: Sequence[Any], lo: int, hi: int) -> list[Any]:
    """``lo..hi`` distinct options in random order: the main source of variety in prose."""
    return rng.sample(list(options), min(len(options), rng.randint(lo, hi)))


USER_OPENERS = ["", "", "Hi! ", "Quick one: ", "Question: ", "When you have a minute: ", "Hey -- ", "Morning! ",
                "Context: small team, tight deadline. ", "Follow-up from standup: ", "For the retro: ", "Honest opinion: "]


# Phrase grammars (factory.authoring.phrasing): how a request ends, a few dozen ways each.
USER_CLOSERS = ["", "", "Thanks!", "{Keep it|Make it} {brief|short|tight}{, please|}.",
                "{Details are|More detail is|Depth is} welcome.", "No rush{, really| at all|}.",
                "{Be|Please be} {concrete|specific|precise}.",
                "{Bullet points are|A short list is|A few bullets are} {fine|enough|great}.",
                "{Assume|You can assume} I know the basics{ of the stack|}.",
                "{I'll share this with the team|I'll forward this to the reviewers|I'll post this in the channel}{ afterwards|}.",
                "{I'd like|I want} {the reasoning|your reasoning} {too|as well}.",
                "{A short answer is fine|One paragraph is enough}{, thanks|}."]


def framed(rng: random.Random, text: str) -> str:
    """A user request with a varied opener and closer: more distinct prompts, same task."""
    from factory.authoring.phrasing import pick

    closer = pick(rng, USER_CLOSERS)
    return (one(rng, USER_OPENERS) + text.rstrip() + (" " + closer if closer else "")).strip()


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def fence(lang: str, code: str) -> str:
    """A fenced block; Go is laid out as gofmt would (:mod:`factory.authoring.gofmt`)."""
    if lang in ("go", "golang"):
        from factory.authoring.gofmt import go_format

        code = go_format(code)
    return f"```{lang}\n{code.rstrip()}\n```"
