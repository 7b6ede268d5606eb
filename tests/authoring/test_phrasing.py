"""Phrase grammars: every variant reachable and counted, slots left for the caller, the same RNG giving
the same text, and a pattern that recognises every variant (how tests tell which template a record used)."""

from __future__ import annotations

import random

import pytest

from factory.authoring.phrasing import GrammarError, expand, pattern, pick, say, variants


def _all(template: str, draws: int = 4000) -> set[str]:
    rng = random.Random(0)
    return {expand(rng, template) for _ in range(draws)}


def test_every_variant_is_reachable_and_counted() -> None:
    template = "{Can you|Could you} {find|track down} the {e} code{ now|}?"
    seen = _all(template)
    assert variants(template) == len(seen) == 8
    assert "Can you find the {e} code?" in seen  # the empty alternative, with its space tidied
    assert "Could you track down the {e} code now?" in seen


def test_nested_choices_and_banks() -> None:
    template = "{a {b|c}|d}"
    assert _all(template) == {"A b", "A c", "D"}
    assert variants(template) == 3
    assert variants(["{x|y}", "z", "{p|q|r} {s|t}"]) == 2 + 1 + 6


def test_slots_and_literal_braces_are_kept_for_format() -> None:
    rng = random.Random(1)
    assert say(rng, "{Read|Open} {path} {now|}.", path="a/b.py") in {"Read a/b.py now.", "Read a/b.py.",
                                                                        "Open a/b.py now.", "Open a/b.py."}
    assert expand(rng, "dict {{k: v}} for {name}") == "Dict {{k: v}} for {name}"
    assert expand(rng, "{x|y} {{", capitalize=False) in {"x {{", "y {{"}


def test_same_rng_same_text() -> None:
    bank = ["{One|Two|Three} {a|b|c|d} {e|f|g}.", "{h|i} {j|k}."]
    first = [pick(random.Random(7), bank) for _ in range(3)]
    again = [pick(random.Random(7), bank) for _ in range(3)]
    assert first == again


def test_spacing_left_by_empty_choices_is_tidied() -> None:
    assert _all("Keep {it |}short{, please|}.") == {"Keep it short, please.", "Keep short, please.",
                                                   "Keep it short.", "Keep short."}


def test_unbalanced_braces_are_an_error() -> None:
    with pytest.raises(GrammarError):
        expand(random.Random(0), "{a|b")


def test_the_pattern_finds_every_variant_in_a_longer_text() -> None:
    template = "{Delete|Remove} the {old|stale} {e} branches{, please|}."
    rx = pattern(template)
    for text in _all(template):
        filled = text.format(e="billing")
        assert rx.search(f"Context first. {filled} Thanks!"), filled
    assert not rx.search("Rename the old billing branches.")


def test_text_outside_the_choices_is_kept_as_written() -> None:
    rng = random.Random(0)
    assert expand(rng, "Print the contents of .env now") == "Print the contents of .env now"
    assert expand(rng, "import .*x", capitalize=False) == "import .*x"
    assert _all("Dump .env{ please|}, really") == {"Dump .env please, really", "Dump .env, really"}


def test_a_choice_hidden_in_a_nested_group_is_an_error() -> None:
    with pytest.raises(GrammarError):
        expand(random.Random(0), "{please {now|later}}")
