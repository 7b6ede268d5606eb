"""An LLM generation run writes its rejected calls only when there are some, and never leaves an
older run's rejects file beside its output."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import orjson

from factory.generate.llm import LLMGenerator


def test_no_rejects_means_no_rejects_file(tmp_path: Path) -> None:
    path = tmp_path / "tool_core.rejects.jsonl"
    path.write_text('{"from": "an older run"}\n')
    assert LLMGenerator.write_rejects(SimpleNamespace(rejects=[]), path) == 0
    assert not path.exists()
    rows = [{"reason": "not JSON", "raw": "x"}]
    assert LLMGenerator.write_rejects(SimpleNamespace(rejects=rows), path) == 1
    assert [orjson.loads(line) for line in path.read_bytes().splitlines()] == rows
