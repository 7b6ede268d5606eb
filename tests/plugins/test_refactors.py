"""Refactors are labelled for what they do: a behaviour-preserving one keeps every signature and, in
Python, gives the same results on probe inputs; one that changes behaviour says so and never claims
otherwise."""

from __future__ import annotations

import random
import re
from collections import Counter

import orjson

from factory.authoring import idioms
from factory.plugins.categories import style_refactor as R
from factory.quality.refactors import different_results, refactor_errors, signature_changes

ENTITIES = ("invoice", "user", "order", "audit_log", "shipment")


def _draw(pattern, seed: str, pool: str = "train") -> tuple[str, str, str, list]:
    """before, after, language and probe calls of a pattern or kit idiom."""
    if pattern in R.KIT_IDIOMS:
        pair = pattern(random.Random(seed), pool)
        return pair.before, pair.after, pair.lang, list(pair.probes)
    before, after, lang, _ = pattern(random.Random(seed), seed)
    return before, after, lang, R.probes(pattern.__name__, seed)


def test_preserving_python_patterns_keep_signatures_and_results() -> None:
    checked = Counter()
    for patterns in R.PATTERNS.values():
        for pattern in patterns:
            if R.change_wordings(pattern.__name__):
                continue
            for ent in ENTITIES:
                before, after, lang, calls = _draw(pattern, ent, "eval" if ent == "user" else "train")
                assert signature_changes(before, after, "python" if lang == "python" else lang) == [], pattern.__name__
                if lang == "python":
                    assert calls, f"{pattern.__name__} has no probe inputs"
                    assert different_results(before, after, calls) == [], pattern.__name__
                    checked[pattern.__name__] += len(calls)
    assert set(checked) == {"py_enumerate", "py_counter", "py_join", "py_get", "py_comprehension", "py_max_key",
                            "p_guard_clauses", "p_extract_function"}


def test_every_preserving_python_idiom_of_the_kit_keeps_its_results() -> None:
    # the kit's own Python pairs, as language_idioms and documentation use them
    for builder in idioms.IDIOMS["python"]:
        if builder.__name__ in idioms.CHANGES:
            continue
        for seed in range(6):
            pair = builder(random.Random(seed), "eval" if seed % 2 else "train")
            assert signature_changes(pair.before, pair.after, "python") == [], builder.__name__
            if pair.probes:
                assert different_results(pair.before, pair.after, list(pair.probes)) == [], builder.__name__


def test_printed_output_counts_as_a_result() -> None:
    pair = idioms.py_enumerate(random.Random(0))
    renumbered = pair.after.replace("{number}: ", "{number}. ")
    assert different_results(pair.before, renumbered, list(pair.probes))


def test_changing_patterns_really_change_something_the_label_admits(tmp_path) -> None:
    # each pattern listed as a change does change a signature or a probed result -- the label is honest
    for name in ("p_ts_async", "p_go_errors", "p_rust_unwrap"):
        pattern = getattr(R, name)
        before, after, lang, _ = pattern(random.Random(1), "invoice")
        lang = {"ts": "typescript"}.get(lang, lang)
        assert signature_changes(before, after, lang), name
    before, after, _, _ = R.p_mutable_default(random.Random(1), "invoice")
    assert different_results(before, after, [("add_invoice", ({"id": 1},)), ("add_invoice", ({"id": 2},))]) != []
    pair = idioms.py_with_open(random.Random(1))
    source = tmp_path / "rows.txt"
    source.write_text('a,"b,c"\n   \nd,e\n', encoding="utf-8")
    function = re.match(r"def (\w+)", pair.before).group(1)
    assert different_results(pair.before, pair.after, [(function, (str(source),))]) != []


def test_records_say_what_they_are(main_job_dir) -> None:
    rows = [orjson.loads(line) for line in (main_job_dir / "style_refactor.jsonl").read_bytes().splitlines()]
    labels = Counter(r["meta"]["refactor"] for r in rows)
    assert set(labels) == {"behaviour-preserving", "behaviour change"} and labels["behaviour change"] > 500
    for r in rows:
        answer = r["messages"][-1]["content"].lower()
        if r["meta"]["refactor"] == "behaviour change":
            assert "behaviour unchanged" not in answer and "same behaviour" not in answer
            assert "without changing" not in r["messages"][1]["content"].lower()
            said = R.change_wordings(r["meta"]["pattern"])
            assert any(x in r["messages"][-1]["content"] for x in said)
        assert refactor_errors(r) == []


def test_a_change_labelled_as_preserving_is_caught() -> None:
    before, after, _, _ = R.p_rust_unwrap(random.Random(1), "invoice")
    record = {"meta": {"refactor": "behaviour-preserving"},
              "messages": [{"role": "user", "content": f"Refactor this:\n\n```python\n{before}```"},
                           {"role": "assistant", "content": f"Refactored:\n\n```rust\n{after}```"}]}
    record["messages"][0]["content"] = record["messages"][0]["content"].replace("```python", "```rust")
    assert refactor_errors(record) == [
        "claim refactor: labelled behaviour-preserving, but `parse_invoice_count` changes its signature"]
