"""`factory check`: format, execution, semantic and build stages on any records, with rejects written
with their reasons and counts that reconcile; and the default main job passing all four."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import orjson
import pytest

from factory.generate.category import generate_category
from factory.host import PluginHost
from factory.quality.check import check_files
from tests.helpers.cli import factory_cli

HOST = PluginHost(entry_points=False).load()
TOOLCHAINS = shutil.which("gofmt") and shutil.which("go") and shutil.which("rustc")  # .ci/run installs them


@pytest.fixture(scope="module")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every default category, 150 records each (fewer where the spec asks for fewer), seed 42."""
    out = tmp_path_factory.mktemp("main_job")
    return [generate_category(entry.obj, HOST.registry, out, seed=42, count=150).path
            for entry in HOST.registry.categories.entries()]


def test_the_main_job_passes_every_stage(main_job: list[Path]) -> None:
    report = check_files(main_job, build=bool(TOOLCHAINS))
    assert report.read == 150 * len(main_job)
    failures = {name: {s: dict(st.reasons) for s, st in c.stages.items() if st.failed}
                for name, c in report.categories.items() if c.rejected}
    assert failures == {}
    grounded = [n for n, c in report.categories.items() if c.stages["execution"].checked]
    assert {"agentic", "powertools", "tool_use", "skills"} <= set(grounded)
    assert all(c.unverifiable == 0 for c in report.categories.values())
    if TOOLCHAINS:
        assert report.build_blocks["go"] > 20 and report.build_blocks["rust"] > 20 and report.build_blocks["python"] > 100
    if shutil.which("tsc"):
        assert report.build_blocks["typescript"] > 20 and "typescript" not in report.skipped_builds


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_each_stage_rejects_with_its_reason_and_counts_reconcile(main_job: list[Path], tmp_path: Path) -> None:
    agentic = next(p for p in main_job if p.name == "agentic.jsonl")
    style = next(p for p in main_job if p.name == "style_core.jsonl")
    good = _lines(agentic)[0]
    tampered = copy.deepcopy(good)  # a recorded result that is not what the tool returns
    tool_msg = next(m for m in tampered["messages"] if m["role"] == "tool" and m.get("name") in ("read", "grep", "glob"))
    tool_msg["content"] = "src/shoplite/invented.py"
    searched = next(r for r in _lines(agentic) if any(
        c["function"]["name"] == "grep" and c["function"]["arguments"].get("output_mode") == "content"
        for m in r["messages"] for c in m.get("tool_calls") or []))
    contradicting = copy.deepcopy(searched)  # the answer denies what the search found
    pattern = next(c["function"]["arguments"]["pattern"] for m in contradicting["messages"]
                   for c in m.get("tool_calls") or [] if c["function"]["name"] == "grep")
    contradicting["messages"][-1]["content"] = f"Nothing matches `{pattern}`."
    go = next(r for r in _lines(style) if r["subcategory"] == "go_struct")
    badly_laid_out = copy.deepcopy(go)  # four spaces where gofmt puts a tab
    badly_laid_out["messages"][-1]["content"] = go["messages"][-1]["content"].replace("\treturn nil", "    return nil")
    path = tmp_path / "mixed.jsonl"
    rows = [good, tampered, contradicting, badly_laid_out]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    rejects = tmp_path / "rejects.jsonl"
    report_path = tmp_path / "check.json"
    proc = factory_cli("check", str(path), "--rejects", str(rejects), "--report", str(report_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    by_line = {r["line"]: r for r in written}
    assert by_line[2]["stage"] == "execution" and "recorded result differs" in by_line[2]["reasons"][0]
    assert by_line[3]["stage"] == "semantic" and "claim search" in by_line[3]["reasons"][0]
    assert by_line[5]["stage"] == "format" and by_line[5]["record"] is None
    figures = json.loads(report_path.read_text())
    expected_rejects = 4 if TOOLCHAINS else 3
    assert figures["read"] == 5 and figures["rejected"] == expected_rejects == len(written)
    assert "checked 5 records: " in proc.stdout
    if TOOLCHAINS:
        assert by_line[4]["stage"] == "build" and "gofmt" in by_line[4]["reasons"][0]
    assert 1 not in by_line  # the untouched record passes every stage


def test_a_users_repository_grounds_records_and_check_finds_it_again(tmp_path: Path) -> None:
    from factory.sandbox.workspace import FIXTURE_REPO

    repo = tmp_path / "myrepo"
    shutil.copytree(FIXTURE_REPO, repo)
    (repo / "src" / "shoplite" / "loyalty.py").write_text(
        '"""Loyalty points."""\n\n\ndef points_for(total_cents: int) -> int:\n    return total_cents // 100\n')
    factory_cli("generate", "powertools", "--count", "100", "--repo", str(repo), "--out", str(tmp_path / "data"), check=True)
    rows = _lines(tmp_path / "data" / "powertools.jsonl")
    assert {r["meta"]["grounding"]["workspace"] for r in rows} == {"myrepo"}
    assert any("loyalty.py" in orjson.dumps(r).decode() for r in rows)  # its own files, not the fixture's only
    with_repo = factory_cli("check", str(tmp_path / "data" / "powertools.jsonl"), "--repo", str(repo), "--no-build")
    assert with_repo.returncode == 0 and "grounded in a repository not at hand" not in with_repo.stdout
    without = factory_cli("check", str(tmp_path / "data" / "powertools.jsonl"), "--no-build")
    assert without.returncode == 0 and "(100 grounded in a repository not at hand)" in without.stdout
