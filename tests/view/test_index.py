"""The viewer's SQLite index of a real (small) main-job dataset, and review decisions applied by merge."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import orjson
import pytest

from factory.errors import FactoryError
from factory.store.manifest import load_manifest
from factory.view.index import build_index, ensure_index, index_is_fresh
from factory.view.review import append_decision, load_decisions, make_decision
from tests.helpers.cli import factory_cli


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]


def test_index_holds_every_record_drop_and_reject_with_its_reason(dataset: Path) -> None:
    files = sorted(p for p in dataset.glob("*.jsonl"))
    total = sum(len(_lines(p)) for p in files)
    report = orjson.loads((dataset / "merged" / "merge_report.json").read_bytes())
    result = build_index(dataset, count_tokens=False)
    db = sqlite3.connect(result.path)
    assert result.records == total == db.execute("select count(*) from records").fetchone()[0]
    # every record is in exactly one place: train, eval, or dropped with merge's reason
    splits = dict(db.execute("select split, count(*) from records group by split").fetchall())
    assert splits.get("train", 0) == report["train"]["count"]
    assert splits.get("eval", 0) == report["eval"]["count"]
    assert splits.get("dropped", 0) == sum(report["dropped"].values()) == result.dropped
    reasons = dict(db.execute("select reason, count(*) from dropped group by reason").fetchall())
    assert {r.split(":")[0]: n for r, n in reasons.items()} == report["dropped"]
    # the held-out eval category is dropped from training as "excluded category", record by record
    assert db.execute("select count(*) from records where category = 'eval' and merge = 'excluded category'"
                      ).fetchone()[0] == len(_lines(dataset / "eval.jsonl"))
    # generation rejects: the manifest's counts, per category and reason
    manifest = load_manifest(dataset)
    want = sum(sum(e.get("rejected", {}).values()) for e in manifest["files"].values())
    got = db.execute("select coalesce(sum(count), 0) from rejections where stage = 'generate'").fetchone()[0]
    assert got == want
    # a record's columns come from the record
    first = _lines(dataset / "tool_neg.jsonl")[0]
    row = db.execute("select category, label, defect, file, line, record from records join bodies using (n) "
                     "where id = ?",
                     [first["id"]]).fetchone()
    assert row[:5] == ("tool_neg", "false", first["meta"]["defect"]["kind"], str(dataset / "tool_neg.jsonl"), 1)
    assert orjson.loads(row[5]) == first


def test_full_text_search_finds_a_tool_argument_and_a_word_of_a_result(dataset: Path) -> None:
    build_index(dataset, count_tokens=False)
    db = sqlite3.connect(dataset / ".view" / "dataset.db")
    rec = next(r for r in _lines(dataset / "tool_core.jsonl") if any(m.get("tool_calls") for m in r["messages"]))
    call = next(c for m in rec["messages"] for c in m.get("tool_calls") or [])
    name = call["function"]["name"]
    hits = {n for (n,) in db.execute("select rowid from records_fts where records_fts match ?", [f'"{name}"'])}
    own = db.execute("select n from records where id = ?", [rec["id"]]).fetchone()[0]
    assert own in hits
    assert db.execute("select count(*) from records_fts where records_fts match 'zzzqqqnotaword'").fetchone()[0] == 0


def test_a_bad_line_is_listed_with_its_file_and_line_and_nothing_else_is_lost(dataset: Path) -> None:
    path = dataset / "security.jsonl"
    good = len(_lines(path))
    with open(path, "ab") as fh:
        fh.write(b'{"messages": [oops\n')
    result = build_index(dataset, count_tokens=False)
    assert result.unreadable == 1
    db = sqlite3.connect(result.path)
    assert db.execute("select count(*) from records where category = 'security'").fetchone()[0] == good
    assert db.execute("select file, line, reason from rejections where stage = 'index'").fetchall() == [
        (str(path), good + 1, "not a JSON object")]


def test_the_index_is_rebuilt_only_when_a_source_changed(dataset: Path) -> None:
    assert ensure_index(dataset, count_tokens=False) is not None
    assert index_is_fresh(dataset)
    assert ensure_index(dataset, count_tokens=False) is None
    later = time.time() + 5
    os.utime(dataset / "guardrail.jsonl", (later, later))
    assert not index_is_fresh(dataset)
    assert ensure_index(dataset, count_tokens=False) is not None


def test_token_counts_come_from_the_qwen_tokenizer(dataset: Path) -> None:
    from factory.quality.tokens import load_tokenizer
    from factory.view.index import record_text

    result = build_index(dataset, count_tokens=True)
    assert result.tokens_counted_by.startswith("qwen2.5")
    rec = _lines(dataset / "style_core.jsonl")[0]
    want = len(load_tokenizer("qwen2.5").backend.encode(record_text(rec), add_special_tokens=False).ids)
    db = sqlite3.connect(result.path)
    assert db.execute("select tokens from records where id = ?", [rec["id"]]).fetchone()[0] == want


def test_review_decisions_are_applied_by_merge(dataset: Path) -> None:
    rejected = _lines(dataset / "style_core.jsonl")[0]
    relabel = _lines(dataset / "tool_core.jsonl")[0]
    assert relabel["label"] is True
    append_decision(dataset, make_decision(relabel["id"], "reject", note="first thought"))
    append_decision(dataset, make_decision(relabel["id"], "relabel", label=False, note="wrong argument"))
    append_decision(dataset, make_decision(rejected["id"], "reject", note="claims a convention it breaks"))
    assert load_decisions(dataset)[relabel["id"]]["decision"] == "relabel"  # the last decision wins
    factory_cli("merge", "--data", dataset, check=True)
    merged = {r["id"]: r for p in ("train", "eval") for r in _lines(dataset / "merged" / f"{p}.jsonl")}
    assert rejected["id"] not in merged
    assert merged[relabel["id"]]["label"] is False
    report = orjson.loads((dataset / "merged" / "merge_report.json").read_bytes())
    assert report["dropped"]["rejected in review"] == 1
    assert report["review"] == {"decisions": 2, "rejected": 1, "relabelled": 1}
    assert report["reconciles"]
    drops = [d for d in _lines(dataset / "merged" / "dropped.jsonl") if d["reason"] == "rejected in review"]
    assert [d["id"] for d in drops] == [rejected["id"]]
    # the KTO export carries the reviewer's label
    factory_cli("export", "--data", dataset, "--format", "kto", check=True)
    kto = [r for p in (dataset / "export" / "kto").glob("*.jsonl") for r in _lines(p)]
    relabelled = [r for r in kto if relabel["messages"][1]["content"] in str(r.get("prompt"))]
    assert relabelled and all(r["label"] is False for r in relabelled)
    # a decision made after the merge makes the merged files stale
    append_decision(dataset, make_decision(rejected["id"], "accept"))
    proc = factory_cli("status", "--data", dataset)
    assert "decisions.jsonl changed" in proc.stdout + proc.stderr


def test_a_bad_decision_line_is_an_error_naming_the_line(dataset: Path) -> None:
    path = dataset / "review" / "decisions.jsonl"
    path.parent.mkdir()
    path.write_text('{"id": "a", "decision": "accept"}\n{"id": "b", "decision": "maybe"}\n')
    with pytest.raises(FactoryError, match=r"decisions.jsonl:2: not a review decision.*accept, reject, relabel"):
        load_decisions(dataset)
    proc = factory_cli("merge", "--data", dataset)
    assert proc.returncode == 1 and "decisions.jsonl:2" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(FactoryError, match="needs 'label' true or false"):
        make_decision("a", "relabel")


def test_pairs_hold_dpo_rows_and_enhanced_records_beside_their_originals(dataset: Path) -> None:
    from factory.view.render import pair_html

    # an enhancement run's pairs.jsonl: {parent_id, original, enhanced}, each record with its scores
    original = _lines(dataset / "style_core.jsonl")[2]
    enhanced = {**original, "id": "enhanced-1", "meta": {**original["meta"], "parent_id": original["id"]}}
    original["scores"], enhanced["scores"] = {"correctness": 2, "style": 3}, {"correctness": 5, "style": 4}
    (dataset / "enhanced").mkdir()
    (dataset / "enhanced" / "pairs.jsonl").write_bytes(orjson.dumps(
        {"parent_id": original["id"], "original": original, "enhanced": enhanced}) + b"\n")
    result = build_index(dataset, count_tokens=False)
    db = sqlite3.connect(result.path)
    dpo_rows = sum(len(_lines(p)) for p in (dataset / "export" / "dpo").glob("*.jsonl"))
    assert dpo_rows > 0
    assert dict(db.execute("select kind, count(*) from pairs group by kind").fetchall()) == {
        "dpo": dpo_rows, "enhanced": 1}
    row = db.execute("select left_id, right_id, change from pairs where kind = 'enhanced'").fetchone()
    assert row == (original["id"], "enhanced-1", "correctness 2 -> 5, style 3 -> 4")
    page = pair_html(original, enhanced, "original", "enhanced")
    assert "<td>+3</td>" in page and page.count('class="conversation"') == 2


def test_a_rejected_record_takes_its_duplicates_with_it(dataset: Path) -> None:
    path = dataset / "guardrail.jsonl"
    first = _lines(path)[0]
    copy = {**first, "id": "copy-of-first"}  # the same content under another id
    with open(path, "ab") as fh:
        fh.write(orjson.dumps(copy) + b"\n")
    append_decision(dataset, make_decision(first["id"], "reject"))
    factory_cli("merge", "--data", dataset, check=True)
    kept = {r["id"] for s in ("train", "eval") for r in _lines(dataset / "merged" / f"{s}.jsonl")}
    assert first["id"] not in kept and "copy-of-first" not in kept
    drops = {d["id"]: d for d in _lines(dataset / "merged" / "dropped.jsonl")}
    assert drops["copy-of-first"]["reason"] == "duplicate of a record rejected in review"
    assert drops["copy-of-first"]["kept_id"] == first["id"]


def test_a_negative_relabelled_good_becomes_a_positive_not_a_pair(dataset: Path) -> None:
    neg = _lines(dataset / "tool_neg.jsonl")[0]
    assert neg["label"] is False and neg["meta"]["defect"]
    append_decision(dataset, make_decision(neg["id"], "relabel", label=True, note="the call is right"))
    factory_cli("merge", "--data", dataset, check=True)
    merged = {r["id"]: r for s in ("train", "eval") for r in _lines(dataset / "merged" / f"{s}.jsonl")}
    assert merged[neg["id"]]["label"] is True and "defect" not in merged[neg["id"]].get("meta", {})


def test_the_first_decision_after_a_merge_makes_it_stale(dataset: Path) -> None:
    assert "stale" not in factory_cli("status", "--data", dataset).stdout.split("merged/")[1].splitlines()[0]
    append_decision(dataset, make_decision(_lines(dataset / "security.jsonl")[0]["id"], "reject"))
    line = factory_cli("status", "--data", dataset).stdout.split("merged/")[1].splitlines()[0]
    assert "stale" in line


def test_records_of_unexpected_shapes_are_listed_not_fatal_and_still_drawn(dataset: Path) -> None:
    from factory.view.render import conversation_html, safe_html

    odd = [
        {"id": "o1", "category": ["a", "list"], "messages": [{"role": "user", "content": "hi"}],
         "meta": {"provider": {"x": 1}, "seed": {"y": 2}, "defect": {"kind": {"z": 3}, "correct": "nope"}}},
        {"id": "o2", "category": "odd", "messages": [{"role": None, "content": 3, "tool_calls": "str",
                                                      "reasoning": 5}], "tools": 7},
        {"id": "o3", "category": "odd", "messages": "not a list", "tools": [{"function": "str"}]},
        {"id": "o4", "category": "odd", "messages": [{"role": "assistant", "tool_calls": [{"function": "x"}]},
                                                     {"role": "tool", "tool_call_id": ["unhashable"]}]},
    ]
    with open(dataset / "security.jsonl", "ab") as fh:  # a file the manifest lists
        for rec in odd:
            fh.write(orjson.dumps(rec) + b"\n")
    result = build_index(dataset, count_tokens=False)
    db = sqlite3.connect(result.path)
    assert db.execute("select count(*) from records where id like 'o_'").fetchone()[0] == 4
    for rec in odd:
        page = safe_html(conversation_html, rec)
        assert "conversation" in page or "could not be drawn" in page


def test_ingest_rejections_are_listed_per_reason(dataset: Path) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "claude_logs"
    factory_cli("ingest", "claude-logs", fixtures, "--out", dataset / "claude_logs.jsonl", check=True)
    report = orjson.loads((dataset / "claude_logs.jsonl.report.json").read_bytes())
    result = build_index(dataset, count_tokens=False)
    db = sqlite3.connect(result.path)
    got = dict(db.execute("select reason, count from rejections where stage = 'ingest (claude-logs, rejected)'"
                          ).fetchall())
    assert got == report["rejected"]
    skipped = dict(db.execute("select reason, count from rejections where stage = 'ingest (claude-logs, skipped)'"
                              ).fetchall())
    assert skipped == report["units_skipped"]
    assert sum(report["rejected"].values()) + sum(report["units_skipped"].values()) > 0
