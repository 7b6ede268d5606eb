"""The variety measure counts sentence shapes: what a template fills in (names, paths, numbers, the kit's
nouns and languages, code) is masked, code blocks are not sentences, a short opener does not make a new
shape, and the 90% cover shows collapse."""

from __future__ import annotations

from collections import Counter

from factory.quality.variety import Variety, cover, kit_nouns, sentences

NOUNS = kit_nouns()


def test_filled_slots_and_openers_do_not_make_new_shapes() -> None:
    a = sentences("Quick one: open `src/app/invoice.py` and fix the invoice totals for 3 users.", NOUNS)
    b = sentences("Hey, open `internal/order/order.go` and fix the order totals for 12 users.", NOUNS)
    assert a == b and len(a) == 1


def test_kit_vocabulary_is_masked() -> None:
    # domain nouns, field names and languages are what the kit fills in
    assert sentences("Write the Rust model for a ticket with an email field.", NOUNS) == \
        sentences("Write the Go model for a coupon with an amount field.", NOUNS)


def test_code_blocks_are_not_sentences() -> None:
    text = "Is this safe?\n\n```python\ndef f(x):\n    return eval(x)\n```\n\nBe concrete."
    assert sentences(text, NOUNS) == ["is this safe?", "be concrete."]


def test_different_wording_is_a_different_shape() -> None:
    assert sentences("Find where the totals are computed.", NOUNS) != \
        sentences("Where do we work out the totals?", NOUNS)


def test_one_word_sentences_are_not_counted() -> None:
    assert sentences("Thanks! Cheers.", NOUNS) == []


def test_cover_counts_how_few_shapes_make_most_uses() -> None:
    assert cover(Counter({"a": 90, "b": 5, "c": 5})) == 1
    assert cover(Counter({s: 1 for s in "abcdefghij"})) == 9
    v = Variety()
    for i in range(10):
        v.add({"messages": [{"role": "user", "content": "Open the `x.py` file now." if i % 2 else "Show me the `x.py` file."},
                            {"role": "assistant", "tool_calls": [{"function": {"name": "read", "arguments": {"p": 1}}}]}]})
    s = v.summary()
    assert (s["records"], s["task_sentences"], s["first_call_patterns"]) == (10, 2, 1)


def test_contractions_are_not_quoted_strings() -> None:
    assert sentences("It's part of the cleanup we're doing. Use 'x y' here.", NOUNS) == \
        ["it's part of the cleanup we're doing.", "use <x> here."]


# The default main job (seed 42) as it was before its wording became phrase grammars, measured with this
# module: distinct task-sentence shapes, how many of them cover 90% of uses, and the near-duplicate share
# (bench/bench_variety.py prints the same figures for any two dataset directories).
BEFORE = {
    "agentic": (171, 102, 0.0), "collaboration": (146, 108, 0.0), "context_memory": (189, 139, 0.005),
    "craftsmanship": (31, 24, 0.01), "documentation": (37, 23, 0.025), "eval": (527, 312, 0.001),
    "guardrail": (75, 63, 0.007), "language_idioms": (28, 19, 0.0), "powertools": (37, 25, 0.01),
    "problem_solving": (150, 110, 0.0), "security": (68, 31, 0.0), "skills": (133, 102, 0.0),
    "style_core": (99, 26, 0.0336), "style_refactor": (117, 46, 0.0037), "tool_core": (843, 178, 0.017),
    "tool_neg": (428, 171, 0.0115), "tool_use": (95, 53, 0.01),
}


def test_every_category_has_three_times_the_variety_and_no_more_near_duplicates(main_job_dir) -> None:
    import orjson

    from factory.quality.neardup import near_duplicate_share

    short = []
    for name, (task, task90, near) in BEFORE.items():
        records = [orjson.loads(line) for line in (main_job_dir / f"{name}.jsonl").read_bytes().splitlines()]
        v = Variety()
        for r in records:
            v.add(r, NOUNS)
        s = v.summary()
        share = near_duplicate_share(records).share
        if s["task_sentences"] < 3 * task or s["task_cover90"] < 3 * task90 or share > near + 1e-9:
            short.append((name, s["task_sentences"], s["task_cover90"], round(share, 4)))
    assert short == []
