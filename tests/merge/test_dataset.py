"""`factory merge`: exact + near dedupe, enhanced/base handling, stripped metadata, seeded stratified split."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from factory.errors import FactoryError
from factory.generate.specs import held_out_categories
from factory.host import PluginHost
from factory.merge.dataset import MergeOptions, inputs_from, merge, stratified_split
from tests.helpers.datasets import enhanced_pair, neg_record, text_record, write_category_files

FACTORY = [sys.executable, "-m", "factory.cli.main"]


def _write(path: Path, rows: list) -> Path:
    path.write_bytes(b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows))
    return path


def _rows(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_merge_excludes_the_held_out_category_strips_meta_and_reconciles(tmp_path):
    files = write_category_files(tmp_path / "data", n_tool=40, n_style=40, n_neg=20, n_guard=20, n_eval=8)
    held_out = held_out_categories(PluginHost(entry_points=False).load().registry)
    assert held_out == ("eval",)
    res = merge(inputs_from(files.values()), tmp_path / "data" / "merged", MergeOptions(exclude_categories=held_out))
    rep = res.report
    assert rep["read"] == 128 and rep["dropped"] == {"excluded category": 8} and rep["reconciles"]
    # without options: the held-out categories of the running registry, as the command does
    assert merge(inputs_from(files.values()), tmp_path / "default").report["dropped"] == {"excluded category": 8}
    train, evals = _rows(res.train), _rows(res.eval)
    assert len(train) + len(evals) == rep["kept"] == 120
    assert not {r["category"] for r in train + evals} & {"eval"}
    # stratified: 15% of each category, rounded
    assert Counter(r["category"] for r in evals) == {"tool_core": 6, "style_core": 6, "tool_neg": 3, "guardrail": 3}
    assert not {r["id"] for r in train} & {r["id"] for r in evals}
    # training files carry no scores/provenance, but keep what DPO needs
    assert all("scores" not in r and "generator" not in r.get("meta", {}) for r in train + evals)
    neg = next(r for r in train + evals if r["category"] == "tool_neg")
    assert neg["meta"]["defect"]["kind"] == "missing_required"
    assert (tmp_path / "data" / "eval.jsonl").read_bytes() == b"".join(
        orjson.dumps(text_record(i, "eval")) + b"\n" for i in range(8))


def test_same_seed_same_bytes_other_seed_other_order(tmp_path):
    files = write_category_files(tmp_path / "d", n_tool=30, n_style=30, n_neg=5, n_guard=5, n_eval=0)
    a = merge(inputs_from(files.values()), tmp_path / "a", MergeOptions(seed=42))
    b = merge(inputs_from(files.values()), tmp_path / "b", MergeOptions(seed=42))
    c = merge(inputs_from(files.values()), tmp_path / "c", MergeOptions(seed=7))
    assert a.train.read_bytes() == b.train.read_bytes() and a.eval.read_bytes() == b.eval.read_bytes()
    assert a.train.read_bytes() != c.train.read_bytes()
    assert sorted(a.train.read_bytes().splitlines() + a.eval.read_bytes().splitlines()) == sorted(
        c.train.read_bytes().splitlines() + c.eval.read_bytes().splitlines())


def test_exact_and_near_duplicates_are_dropped_distinct_records_kept(tmp_path):
    originals = [text_record(i, words=60) for i in range(30)]
    exact = dict(originals[0], id="x1", messages=[dict(m, content="  " + m["content"].upper() + "\n")
                                                   for m in originals[0]["messages"]])
    near = orjson.loads(orjson.dumps(originals[1]))
    words = near["messages"][1]["content"].split()
    words[30] = "zebra"  # one word of ~62 changed
    near["messages"][1]["content"] = " ".join(words)
    near["id"] = "n1"
    path = _write(tmp_path / "in.jsonl", [*originals, exact, near])
    rep = merge(inputs_from([path]), tmp_path / "m", MergeOptions(eval_frac=0)).report
    assert rep["dropped"] == {"exact duplicate": 1, "near duplicate": 1}
    assert rep["kept"] == 30
    assert rep["near_duplicate_examples"][0] == {"dropped": f"{path}:32", "kept_id": originals[1]["id"]}
    none = merge(inputs_from([path]), tmp_path / "m2", MergeOptions(eval_frac=0, near_threshold=None)).report
    assert none["dropped"] == {"exact duplicate": 1} and none["kept"] == 31


def test_enhanced_versions_replace_originals_and_base_keeps_label_true(tmp_path):
    pairs = [enhanced_pair(i) for i in range(5)]
    cats = _write(tmp_path / "tool_core.jsonl", [o for o, _ in pairs])
    enh = _write(tmp_path / "enhanced_batch_001.jsonl", [e for _, e in pairs])
    base = _write(tmp_path / "base.jsonl", [text_record(100 + i, "tool_core", label=i % 2 == 0) for i in range(6)])
    res = merge(inputs_from([cats], [enh], [base]), tmp_path / "m", MergeOptions(eval_frac=0))
    rep = res.report
    assert rep["dropped"] == {"superseded by enhanced version": 5, "base record not label true": 3}
    kept_ids = {r["id"] for r in _rows(res.train)}
    assert kept_ids >= {e["id"] for _, e in pairs} and not kept_ids & {o["id"] for o, _ in pairs}
    assert all(r["meta"]["parent_id"] for r in _rows(res.train) if r["id"] in {e["id"] for _, e in pairs})


def test_invalid_lines_are_dropped_with_file_and_line(tmp_path):
    good = [neg_record(i) for i in range(3)]
    bad_call = orjson.loads(orjson.dumps(text_record(9)))
    bad_call["messages"].append({"role": "user", "content": "dangling"})
    path = _write(tmp_path / "x.jsonl", [good[0], b"{not json", good[1], bad_call, good[2]])
    rep = merge(inputs_from([path]), tmp_path / "m", MergeOptions(eval_frac=0)).report
    assert rep["dropped"] == {"invalid": 2} and rep["kept"] == 3 and rep["reconciles"]
    assert rep["invalid_examples"][0].startswith(f"{path}:2: invalid: not valid JSON")
    assert rep["invalid_examples"][1].startswith(f"{path}:4: invalid: messages[2]")


def test_bad_options_and_self_overwrite_are_refused(tmp_path):
    files = write_category_files(tmp_path, n_tool=2, n_style=2, n_neg=1, n_guard=1, n_eval=1)
    with pytest.raises(FactoryError, match="--eval-frac"):
        merge(inputs_from(files.values()), tmp_path / "m", MergeOptions(eval_frac=1.5))
    merge(inputs_from(files.values()), tmp_path / "m")
    with pytest.raises(FactoryError, match="is an output of this merge"):
        merge(inputs_from([tmp_path / "m" / "train.jsonl"]), tmp_path / "m")


def test_stratified_split_keeps_one_eval_record_for_small_categories():
    cats = [0] * 100 + [1] * 3 + [2]
    train, evals = stratified_split(cats, 0.15, 42)
    assert Counter(cats[i] for i in evals) == {0: 15, 1: 1}
    assert sorted(train + evals) == list(range(104))


def test_merge_cli_on_a_dataset_directory(tmp_path):
    data = tmp_path / "data"
    write_category_files(data, n_tool=20, n_style=20, n_neg=4, n_guard=4, n_eval=5)
    res = subprocess.run([*FACTORY, "merge", "--data", str(data), "--eval-frac", "0.2"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert "read 53, kept 48" in res.stdout and "excluded category" in res.stdout
    rep = orjson.loads((data / "merged" / "merge_report.json").read_bytes())
    assert rep["eval"]["by_category"] == {"guardrail": 1, "style_core": 4, "tool_core": 4, "tool_neg": 1}
    # --exclude-category adds to the held-out categories, never replaces them
    more = subprocess.run([*FACTORY, "merge", "--data", str(data), "--exclude-category", "guardrail", "--out",
                           str(tmp_path / "m2")], capture_output=True, text=True, check=False)
    assert more.returncode == 0, more.stderr
    rep = orjson.loads((tmp_path / "m2" / "merge_report.json").read_bytes())
    assert rep["dropped"]["excluded category"] == 9 and set(rep["options"]["exclude_categories"]) == {"eval", "guardrail"}
