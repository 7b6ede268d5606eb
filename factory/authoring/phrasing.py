"""Phrase grammars: one template, the many ways people say the same thing.

A template is text with choices in it::

    "{Can you|Could you|Please} {find|track down} where {e} totals are {computed|worked out}{?|.}"

- ``{a|b|c}`` is one of its alternatives, each as likely as the others; alternatives nest, and an empty
  one makes the group optional (``{please |}``);
- ``{name}`` (no ``|`` inside) is a ``str.format`` slot and is left as it is, so a caller fills it
  after the choices are made (``expand(rng, t).format(e=...)``) or in one step with ``say``;
- ``{{`` and ``}}`` are literal braces outside choices, as in ``str.format``; inside a choice ``}}``
  closes two groups. Code does not belong in a template: pass it in through a slot.

``expand`` draws one variant with the RNG it is handed (same seed, same text) and tidies the spacing
an empty choice leaves, there and nowhere else (the rest of the text is kept as written); ``variants`` counts how many texts a template can give, so a test can hold a
bank to a size. Banks of templates are how the built-in categories vary their wording: a category
with a dozen templates of a few hundred variants each has thousands of distinct sentences, spread
evenly, where a list of a dozen fixed sentences has twelve.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from functools import lru_cache

# A parsed template: a sequence of parts; a part is literal text (str) or a choice (tuple of sequences).
_Seq = tuple["str | tuple[_Seq, ...]", ...]


class GrammarError(ValueError):
    """A template whose braces do not balance."""


def _parse(text: str) -> _Seq:
    pos = 0

    def seq(depth: int) -> tuple[_Seq, str]:
        nonlocal pos
        parts: list[str | tuple] = []
        buf: list[str] = []
        while pos < len(text):
            ch = text[pos]
            if ch == "{" and text.startswith("{{", pos):
                buf.append("{{")
                pos += 2
            elif ch == "}" and text.startswith("}}", pos) and depth == 0:
                buf.append("}}")
                pos += 2
            elif ch == "{":
                close = _matching(text, pos)
                inner = text[pos + 1:close]
                if "|" not in _top_level(inner):
                    if "|" in inner:
                        raise GrammarError(f"the group {{{inner}}} has a choice only inside a nested group; write "
                                           f"its alternatives at its own level in template {text!r}")
                    buf.append(text[pos:close + 1])  # a format slot, kept as written
                    pos = close + 1
                    continue
                if buf:
                    parts.append("".join(buf))
                    buf = []
                pos += 1
                alternatives = []
                while True:
                    alt, stop = seq(depth + 1)
                    alternatives.append(alt)
                    if stop == "}":
                        break
                parts.append(tuple(alternatives))
            elif depth and ch in "|}":
                pos += 1
                if buf:
                    parts.append("".join(buf))
                return tuple(parts), ch
            else:
                buf.append(ch)
                pos += 1
        if depth:
            raise GrammarError(f"unclosed '{{' in template {text!r}")
        if buf:
            parts.append("".join(buf))
        return tuple(parts), ""

    return seq(0)[0]


def _matching(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        if text.startswith("{{", i) and i != start:
            i += 2
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise GrammarError(f"unclosed '{{' in template {text!r}")


def _top_level(inner: str) -> str:
    """``inner`` with its nested groups removed: what decides whether a group is a choice."""
    out, depth = [], 0
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(template: str) -> _Seq:
    return _parse(template)


_GAP = "\x00"  # where an empty alternative was drawn: the only place tidy() touches


def _draw(rng: random.Random, parts: _Seq, out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            alt = part[rng.randrange(len(part))]
            if alt:
                _draw(rng, alt, out)
            else:
                out.append(_GAP)


_AROUND_GAP = (
    (re.compile(r"[ \t]*\x00+[ \t]*(?=[,.;:?!)])"), ""),  # "Do it{ now|}." -> "Do it."
    (re.compile(r",[ \t]*\x00+[ \t]*(?=,)"), ""),  # "a,{ b|}, c" -> "a, c"
    (re.compile(r"[ \t]+\x00+[ \t]+"), " "),  # "Keep {it |}short" -> "Keep short"
    (re.compile(r"\x00+"), ""),
)


def tidy(text: str) -> str:
    """The spacing an empty choice leaves (a doubled space, a space before punctuation, a doubled
    comma) around it and leading or trailing blanks; the rest of the text is kept as written."""
    for rx, sub in _AROUND_GAP:
        text = rx.sub(sub, text)
    return text.strip()


def expand(rng: random.Random, template: str, capitalize: bool = True) -> str:
    """One variant of ``template``, its format slots left for the caller; the first letter is made
    upper case when the variant starts with one."""
    out: list[str] = []
    _draw(rng, _compiled(template), out)
    text = tidy("".join(out))
    if capitalize and text[:1].isalpha():
        text = text[0].upper() + text[1:]
    return text


def say(rng: random.Random, template: str, **slots: object) -> str:
    """One variant of ``template`` with its slots filled."""
    return expand(rng, template).format(**slots)


def pick(rng: random.Random, templates: Sequence[str], capitalize: bool = True) -> str:
    """One template of a bank, expanded: the bank's templates equally likely, as ``text.one`` does."""
    return expand(rng, templates[rng.randrange(len(templates))], capitalize)


def _count(parts: _Seq) -> int:
    n = 1
    for part in parts:
        if not isinstance(part, str):
            n *= sum(_count(alt) for alt in part)
    return n


def variants(template: str | Sequence[str]) -> int:
    """How many texts a template (or a bank of them) can give, counting each path through its choices."""
    if isinstance(template, str):
        return _count(_compiled(template))
    return sum(_count(_compiled(t)) for t in template)


def _regex(parts: _Seq) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            for piece in re.split(r"(\{\w*\}|\{\{|\}\}|\s+)", part):
                if not piece:
                    continue
                if piece.isspace():
                    out.append(r"\s*")
                elif piece in ("{{", "}}"):
                    out.append(re.escape(piece[0]))
                elif piece.startswith("{") and piece.endswith("}"):
                    out.append(".+?")
                else:
                    out.append(re.escape(piece))
        else:
            out.append("(?:" + "|".join(_regex(alt) for alt in part) + ")")
    return "".join(out)


def pattern(template: str) -> re.Pattern[str]:
    """A regular expression that finds every variant of ``template`` in a text (slots match any text,
    spacing is loose, case is ignored): how a test tells which template a record came from."""
    return re.compile(_regex(_compiled(template)), re.IGNORECASE | re.DOTALL)
