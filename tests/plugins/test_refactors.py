"""Refactors are labelled for what they do: a behaviour-preserving one keeps every signature and, in
Python, gives the same results on probe inputs; one that changes behaviour says so and never claims
otherwise."""

from __future__ import annotations

import random
from collections import Counter

import orjson

from factory.plugins.categories import style_refactor as R
from factory.quality.refactors import different_results, refactor_errors, signature_changes

ENTITIES = ("invoice", "user", "order", "audit_log", "shipment")


def test_preserving_python_patterns_keep_signatures_and_results() -> None:
    checked = Counter()
    for patterns in R.PATTERNS.values():
        for pattern in patterns:
            if pattern.__name__ in R.CHANGES:
                continue
            for ent in ENTITIES:
                before, after, lang, _ = pattern(random.Random(ent), ent)
                assert signature_changes(before, after, "python" if lang == "python" else lang) == [], pattern.__name__
                if lang == "python":
                    calls = R.probes(pattern.__name__, ent)
                    assert calls, f"{pattern.__name__} has no probe inputs"
                    assert different_results(before, after, calls) == [], pattern.__name__
                    checked[pattern.__name__] += len(calls)
    assert set(checked) == {"p_comprehension", "p_dict_get", "p_guard_clauses", "p_extract_function"}


def test_changing_patterns_really_change_something_the_label_admits() -> None:
    # each pattern listed as a change does change a signature or a probed result -- the label is honest
    for name in ("p_enumerate", "p_ts_async", "p_go_errors", "p_rust_unwrap"):
        pattern = getattr(R, name)
        before, after, lang, _ = pattern(random.Random(1), "invoice")
        lang = {"ts": "typescript"}.get(lang, lang)
        assert signature_changes(before, after, lang), name
    before, after, _, _ = R.p_mutable_default(random.Random(1), "invoice")
    assert different_results(before, after, [("add_invoice", ({"id": 1},)), ("add_invoice", ({"id": 2},))]) != []


def test_records_say_what_they_are(main_job_dir) -> None:
    rows = [orjson.loads(line) for line in (main_job_dir / "style_refactor.jsonl").read_bytes().splitlines()]
    labels = Counter(r["meta"]["refactor"] for r in rows)
    assert set(labels) == {"behaviour-preserving", "behaviour change"} and labels["behaviour change"] > 500
    for r in rows:
        answer = r["messages"][-1]["content"].lower()
        if r["meta"]["refactor"] == "behaviour change":
            assert "behaviour unchanged" not in answer and "same behaviour" not in answer
            assert "without changing" not in r["messages"][1]["content"].lower()
            said = (R.CHANGES[r["meta"]["pattern"]], R.CHANGE_ALSO[r["meta"]["pattern"]])
            assert any(x in r["messages"][-1]["content"] for x in said)
        assert refactor_errors(r) == []


def test_a_change_labelled_as_preserving_is_caught() -> None:
    before, after, _, _ = R.p_enumerate(random.Random(1), "invoice")
    record = {"meta": {"refactor": "behaviour-preserving"},
              "messages": [{"role": "user", "content": f"Refactor this:\n\n```python\n{before}```"},
                           {"role": "assistant", "content": f"Refactored:\n\n```python\n{after}```"}]}
    assert refactor_errors(record) == [
        "claim refactor: labelled behaviour-preserving, but `print_invoices` is gone"]
