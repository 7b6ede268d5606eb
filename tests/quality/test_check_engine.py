"""`factory check` on datatrove's local executor: the same report and the same rejects file, byte for
byte, as the in-process pass, over shards that cut the files anywhere; rejects come in input order."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import orjson
import pytest

from factory.errors import FactoryError
from factory.generate.category import generate_category
from factory.host import PluginHost
from factory.quality.check import format_check_report
from factory.quality.check_engine import run_check
from factory.scale import EngineOptions
from tests.helpers.cli import factory_cli
from tests.helpers.engine import after_failure, parts_now

pytest.importorskip("datatrove")
HOST = PluginHost(entry_points=False).load()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every default category, 30 records each, with records that fail each stage planted among them."""
    out = tmp_path_factory.mktemp("check_engine")
    files = [generate_category(entry.obj, HOST.registry, out, seed=7, count=30).path
             for entry in HOST.registry.categories.entries()]
    agentic = next(p for p in files if p.name == "agentic.jsonl")
    style = next(p for p in files if p.name == "style_core.jsonl")
    rows = [orjson.loads(line) for line in agentic.read_bytes().splitlines()]
    for n, row in enumerate(rows[:6]):  # recorded results that are not what the tool returns (execution)
        tool_msg = next((m for m in row["messages"] if m["role"] == "tool"), None)
        if tool_msg is not None and n % 2 == 0:
            tool_msg["content"] = "src/shoplite/invented.py"
    rows.insert(4, {"category": "agentic", "messages": "not a list"})  # format
    agentic.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + b"{not json\n")
    styled = [orjson.loads(line) for line in style.read_bytes().splitlines()]
    for row in styled:
        if row.get("subcategory") == "go_struct" and "\treturn nil" in row["messages"][-1]["content"]:
            bad = copy.deepcopy(row)  # four spaces where gofmt puts a tab (build)
            bad["messages"][-1]["content"] = row["messages"][-1]["content"].replace("\treturn nil", "    return nil")
            styled.insert(3, bad)
            break
    rust = [r for r in styled if r.get("subcategory") == "rust_struct"]
    if rust:  # a block that does not parse early, one that does not type-check late: neither hides the other
        unclosed = copy.deepcopy(rust[0])
        text = unclosed["messages"][-1]["content"]
        cut = text.rindex("}\n```")
        unclosed["messages"][-1]["content"] = text[:cut] + text[cut + 1:]
        mistyped = copy.deepcopy(rust[-1])
        mistyped["messages"][-1]["content"] = mistyped["messages"][-1]["content"].replace(
            "fn ", "fn wrong() -> u32 { \"x\" }\n    fn ", 1)
        styled.insert(1, unclosed)
        styled.append(mistyped)
    style.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in styled))
    return files


def test_the_local_engine_writes_the_in_process_report_and_rejects(dataset: list[Path], tmp_path: Path) -> None:
    build = bool(shutil.which("gofmt") and shutil.which("go"))
    plain = run_check(dataset, build=build, rejects=tmp_path / "plain.jsonl", engine=EngineOptions("in-process"))
    stages = {s for c in plain.categories.values() for s, st in c.stages.items() if st.failed}
    assert {"format", "execution"} <= stages and ("build" in stages or not build)
    rejected = [orjson.loads(line) for line in (tmp_path / "plain.jsonl").read_bytes().splitlines()]
    assert len(rejected) == plain.rejected
    order = [(r["file"], r["line"]) for r in rejected]
    assert order == sorted(order, key=lambda fl: ([str(p) for p in dataset].index(fl[0]), fl[1]))  # input order
    said = []
    for tasks in (1, 4, 11):
        engine = run_check(dataset, build=build, rejects=tmp_path / f"engine{tasks}.jsonl",
                           engine=EngineOptions("local", 2, tasks), work_root=tmp_path / "work", echo=said.append)
        assert engine.to_dict() == plain.to_dict()
        assert list(format_check_report(engine)) == list(format_check_report(plain))
        assert (tmp_path / f"engine{tasks}.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()
    assert said[-1].startswith("check on datatrove (local, 2 workers, 11 shards)")
    assert list((tmp_path / "work").iterdir()) == []


def test_factory_toml_runs_the_check_on_the_engine(dataset: list[Path], tmp_path: Path) -> None:
    (tmp_path / "factory.toml").write_text('[check]\nexecutor = "local"\nworkers = 2\ntasks = 3\n')
    args = ["check", *map(str, dataset), "--no-build", "--work-dir", str(tmp_path / "work")]
    engine = factory_cli(*args, "--rejects", str(tmp_path / "engine.jsonl"), cwd=tmp_path)
    plain = factory_cli(*args, "--rejects", str(tmp_path / "plain.jsonl"), "--executor", "in-process", cwd=tmp_path)
    assert "check on datatrove (local, 2 workers, 3 shards)" in engine.stdout
    assert engine.returncode == plain.returncode == 1 and "Traceback" not in engine.stderr
    assert [line.replace("engine.jsonl", "plain.jsonl") for line in engine.stdout.splitlines()
            if "on datatrove" not in line] == plain.stdout.splitlines()
    assert (tmp_path / "engine.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()


def test_build_batches_do_not_change_the_answer(dataset: list[Path], tmp_path: Path, monkeypatch) -> None:
    from factory.quality import check

    build = bool(shutil.which("rustc"))
    plain = run_check(dataset, build=build, rejects=tmp_path / "plain.jsonl", engine=EngineOptions("in-process"))
    if build:  # the block that does not type-check is found although another one does not parse
        reasons = [r for line in (tmp_path / "plain.jsonl").read_bytes().splitlines()
                   for r in orjson.loads(line)["reasons"]]
        assert any("rust does not parse" in r for r in reasons) and any("rustc: mismatched types" in r for r in reasons)
    monkeypatch.setattr(check, "RECORD_BATCH", 7)
    monkeypatch.setattr(check, "BUILD_BATCH", 13)
    small = run_check(dataset, build=build, rejects=tmp_path / "small.jsonl", engine=EngineOptions("in-process"))
    assert small.to_dict() == plain.to_dict()
    assert (tmp_path / "small.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()


def test_a_failed_check_resumes_from_its_finished_shards(dataset: list[Path], tmp_path: Path, monkeypatch) -> None:
    from factory.quality import check_engine

    plain = run_check(dataset, build=False, rejects=tmp_path / "plain.jsonl", engine=EngineOptions("in-process"))
    broken = dataset[len(dataset) // 2]
    real = check_engine.read_jsonl

    def loses_a_file(where, *args, **kwargs):
        if Path(where).name == broken.name:
            raise OSError(f"{where}: a worker lost its disk")
        return real(where, *args, **kwargs)

    monkeypatch.setattr(check_engine, "read_jsonl", loses_a_file)  # the forked workers inherit it
    engine = EngineOptions("local", 2, 6)
    with pytest.raises(FactoryError, match=r"factory check on datatrove failed.*rerun the same check"):
        run_check(dataset, build=False, rejects=tmp_path / "engine.jsonl", engine=engine, work_root=tmp_path / "work")
    assert not (tmp_path / "engine.jsonl").exists()
    work, parts, kept = after_failure(tmp_path / "work", ".pickle", 6, monkeypatch)
    said: list[str] = []
    resumed = run_check(dataset, build=False, rejects=tmp_path / "engine.jsonl", engine=engine,
                        work_root=tmp_path / "work", echo=said.append)
    assert f"resumed: {len(parts)} of them were done" in said[0]
    assert kept == [work] and parts_now(work, ".pickle", parts) == parts
    assert resumed.to_dict() == plain.to_dict()
    assert (tmp_path / "engine.jsonl").read_bytes() == (tmp_path / "plain.jsonl").read_bytes()
