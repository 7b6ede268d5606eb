"""The offline scorer on the factory's own records: generated positives of every category are
labelled true at least 95% of the time, and a declared negative never becomes a positive by being
scored (docs/engine.md has the figures, bench/bench_scorer.py measures them)."""

from __future__ import annotations

import orjson

from tests.helpers.cli import factory_cli

POSITIVE_FLOOR = 0.95


def _labels(path) -> list:
    return [orjson.loads(line).get("label") for line in path.read_bytes().splitlines()]


def test_the_offline_scorer_keeps_the_factorys_own_good_records_and_its_negatives(tmp_path):
    data = tmp_path / "data"
    factory_cli("run", "--data", data, "--count", "100", "--count", "tool_neg=300", "--no-merge", "--no-tokens",
                cwd=tmp_path, check=True)
    shares = {}
    for path in sorted(data.glob("*.jsonl")):
        if path.stem == "tool_neg":
            continue
        out = tmp_path / f"{path.stem}.scored.jsonl"
        factory_cli("score", path, "--out", out, cwd=tmp_path, check=True)
        labels = _labels(out)
        shares[path.stem] = sum(label is True for label in labels) / len(labels)
    assert len(shares) >= 16
    assert {c: s for c, s in shares.items() if s < POSITIVE_FLOOR} == {}
    proc = factory_cli("score", data / "tool_neg.jsonl", "--out", tmp_path / "neg.scored.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    scored = [orjson.loads(line) for line in (tmp_path / "neg.scored.jsonl").read_bytes().splitlines()]
    assert len(scored) == 300 and all(r["label"] is False for r in scored)  # every declared defect stays false
    assert orjson.loads((tmp_path / "neg.scored.report.json").read_bytes())["labels"] == {"false": 300}
