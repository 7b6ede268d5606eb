"""``factory coverage``: targets vs actual, tool call counts, the 17 capabilities, quality -- printed
and written as markdown, from the records on disk."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import orjson
import pytest

from factory.generate.category import generate_category
from factory.host import PluginHost
from factory.quality.coverage import capability_sources, collect, to_markdown
from tests.helpers.cli import factory_cli

AGENT_CATEGORIES = ["tool_use", "powertools", "skills", "agentic", "craftsmanship", "collaboration", "problem_solving",
           "context_memory", "documentation", "security", "language_idioms"]


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(entry_points=False).load()


@pytest.fixture(scope="module")
def data_dir(host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coverage_data")
    for name in AGENT_CATEGORIES:
        generate_category(host.registry.categories[name], host.registry, out, seed=42)
    return out


def _row(text: str, *cells: str) -> list[str]:
    pattern = re.compile(r"^\| " + r" \| ".join(re.escape(c) for c in cells) + r" \|(.*)$", re.MULTILINE)
    m = pattern.search(text)
    assert m, f"no row starting {cells}"
    return [c.strip() for c in m.group(1).strip(" |").split("|")]


def test_coverage_command_prints_and_writes_the_markdown_report(data_dir: Path) -> None:
    proc = factory_cli("coverage", "--out", data_dir, check=True)
    written = (data_dir / "coverage.md").read_text()
    assert proc.stdout.strip() == written.strip()
    assert _row(written, "agentic", "tdd", "120") == ["120", "ok"]
    assert _row(written, "language_idioms", "rust", "63") == ["63", "ok"]
    # the core categories are registered but not generated here: their rows say so instead of crashing
    assert "Missing files:" in written and "`tool_core.jsonl`" in written

    calls: Counter = Counter()
    for path in data_dir.glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            for msg in orjson.loads(line)["messages"]:
                calls.update(c["function"]["name"] for c in msg.get("tool_calls") or [])
    for toolset, tool in [("powertools", "goto_definition"), ("claude_code", "edit"), ("continue", "read_file"),
                          ("continue", "view_diff")]:
        assert _row(written, toolset, f"`{tool}`") == [str(calls[tool])]

    caps = re.findall(r"^\| (\d+) \| ([^|]+) \|", written.split("## The 17 capabilities of a coding agent")[1], re.MULTILINE)
    assert [int(n) for n, _ in caps] == list(range(1, 18))
    assert _row(written, "17", "Uncertainty handling")[-2:] == ["15", "yes"]
    quality = _row(written, "tool_use", "200")
    assert quality[1] == "0" and quality[2].endswith("(100.0%)")


def test_a_short_file_is_reported_with_its_shortfall(host: PluginHost, data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "security.jsonl").read_bytes().splitlines()
    (tmp_path / "security.jsonl").write_bytes(b"\n".join(lines[:45]) + b"\n")
    report = collect(tmp_path, host.registry, checks=False)
    assert report.actual["security"]["input_validation"] == 45
    text = to_markdown(report)
    assert _row(text, "security", "input_validation", "50") == ["45", "short by 5"]
    assert _row(text, "security", "xss", "30") == ["0", "short by 30"]
    assert sum(report.count(s) for _, srcs in capability_sources(report.specs) for s in srcs if s.startswith("security")) == 45
