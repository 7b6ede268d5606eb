"""`factory run` ends in trainer-ready files: generate -> validate (tokens) -> merge -> export -> report."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson

os.environ.setdefault("HF_HUB_OFFLINE", "1")
FACTORY = [sys.executable, "-m", "factory.cli.main"]


def test_run_generates_merges_exports_and_reports(tmp_path):
    out = tmp_path / "data"
    cmd = [*FACTORY, "run", "--out", str(out), "--only", "tool_core", "--only", "style_core", "--only", "tool_neg",
           "--only", "eval", "--count", "tool_core=60", "--count", "style_core=40", "--count", "tool_neg=20",
           "--count", "eval=10", "--format", "trl", "--format", "openai"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    eval_before = (out / "eval.jsonl").read_bytes()
    assert "tokens (qwen2.5" in res.stdout and "stage wall time: generate" in res.stdout
    rep = orjson.loads((out / "merged" / "merge_report.json").read_bytes())
    assert rep["read"] == 130 and rep["dropped"].get("excluded category") == 10 and rep["reconciles"]
    train = [orjson.loads(line) for line in (out / "merged" / "train.jsonl").read_bytes().splitlines()]
    assert train and "eval" not in {r["category"] for r in train}
    for fmt in ("trl", "openai"):
        exp = orjson.loads((out / "export" / fmt / "export_report.json").read_bytes())
        assert exp["checks"]["failures"] == {} and exp["splits"]["train"]["rows_written"] > 0
    assert (out / "report" / "README.md").read_text().startswith("---\nlicense:")
    assert (out / "report" / "report.html").stat().st_size > 10_000
    assert (out / "eval.jsonl").read_bytes() == eval_before  # the held-out category file is not rewritten

    quick = subprocess.run([*FACTORY, "run", "--out", str(tmp_path / "quick"), "--only", "style_core",
                            "--count", "style_core=20", "--no-tokens", "--no-merge"],
                           capture_output=True, text=True, check=False)
    assert quick.returncode == 0, quick.stderr[-2000:]
    assert not (tmp_path / "quick" / "merged").exists() and "tokens (" not in quick.stdout
