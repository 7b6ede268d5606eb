"""The offline scorer on the factory's own records: generated positives are labelled true, and a
declared negative never becomes a positive by being scored."""

from __future__ import annotations

import orjson

from tests.helpers.cli import factory_cli

# Measured shares (docs/changelog.md), kept as floors: the heuristic does not reach 95% everywhere yet.
CATEGORY_POSITIVES = {"tool_core": 0.85, "agentic": 0.95, "guardrail": 0.8}


def _labels(path) -> list:
    return [orjson.loads(line).get("label") for line in path.read_bytes().splitlines()]


def test_the_offline_scorer_keeps_the_factorys_own_good_records_and_its_negatives(tmp_path):
    data = tmp_path / "data"
    for category, count in (*((c, 120) for c in CATEGORY_POSITIVES), ("tool_neg", 300)):
        proc = factory_cli("generate", category, "--count", count, "--out", data, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    for category, share in CATEGORY_POSITIVES.items():
        proc = factory_cli("score", data / f"{category}.jsonl", "--out", tmp_path / f"{category}.scored.jsonl",
                           cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        labels = _labels(tmp_path / f"{category}.scored.jsonl")
        assert sum(label is True for label in labels) >= share * len(labels), (category, labels.count(True))
    proc = factory_cli("score", data / "tool_neg.jsonl", "--out", tmp_path / "neg.scored.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scored = [orjson.loads(line) for line in (tmp_path / "neg.scored.jsonl").read_bytes().splitlines()]
    assert len(scored) == 300 and all(r["label"] is False for r in scored)  # every declared defect stays false
    assert orjson.loads((tmp_path / "neg.scored.report.json").read_bytes())["labels"] == {"false": 300}
