"""Token counting on datatrove's local executor: the same report, finding for finding, as the
in-process scan, over shards that cut files in the middle; a failed run resumes from its finished shards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from factory import scale
from factory.errors import FactoryError
from factory.quality import token_engine
from factory.quality.token_engine import count_tokens
from factory.quality.tokens import format_token_report
from factory.scale import EngineOptions
from factory.store.shards import plan_shards, scan_inputs
from tests.helpers.datasets import neg_record, text_record, tool_record
from tests.helpers.engine import finished_parts, parts_now

pytest.importorskip("datatrove")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
FACTORY = [sys.executable, "-m", "factory.cli.main"]


def _files(folder: Path) -> list[Path]:
    """Three category files with every kind of finding: records over the limit, records the chat
    template cannot render, lines that are not JSON or not records, blank lines."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {
        "style_core": [text_record(i, words=40 + 37 * (i % 11)) for i in range(90)],
        "tool_core": [tool_record(i) for i in range(70)],
        "tool_neg": [neg_record(i) for i in range(40)],
    }
    rows["style_core"][17]["messages"][0]["content"] = None  # the template cannot add None to a string
    rows["tool_core"][5]["messages"][2]["tool_calls"] = "oops"
    files = []
    for name, recs in rows.items():
        lines = [orjson.dumps(r) for r in recs]
        lines[30:30] = [b"", b"{not json", b"[1, 2]", b"   "]
        path = folder / f"{name}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        files.append(path)
    return files


def _text(report) -> str:
    return (format_token_report(report) + "\n" + "\n".join(f"{f.path}:{f.line}: {f.reason}" for f in report.findings)
            + repr(sorted(report.lengths.items())))


def test_shards_cut_the_lines_in_order_across_files(tmp_path):
    files = _files(tmp_path)
    shards = plan_shards(files, 37)
    assert scan_inputs(files)[0] == 212 and len(shards) == 6
    seen = []
    for shard in shards:
        n = 0
        for where, start, stop, first, path in shard:
            assert Path(where).is_absolute() and Path(where) == Path(path).resolve()
            with open(path, "rb") as fh:
                fh.seek(start)
                chunk = fh.read(stop - start).splitlines()
            seen += [(path, first + i) for i in range(len(chunk))]
            n += len(chunk)
        assert n == 37 or shard is shards[-1]
    assert seen == [(str(f), i) for f in files for i in range(1, len(f.read_bytes().splitlines()) + 1)]


def test_the_local_engine_writes_the_in_process_report(tmp_path):
    files = _files(tmp_path / "data")
    plain = count_tokens(files, "qwen2.5", 600, engine=EngineOptions("in-process"))
    assert len(plain.render_errors) == 2 and len(plain.over_limit) > 10
    said = []
    for tasks in (1, 5, 9):  # shards start in the middle of files and span their ends
        engine = count_tokens(files, "qwen2.5", 600, engine=EngineOptions("local", 2, tasks),
                              work_root=tmp_path / "work", echo=said.append)
        assert _text(engine) == _text(plain)
    assert said[-1].startswith("tokens on datatrove (local, 2 workers, 9 shards)")
    assert list((tmp_path / "work").iterdir()) == []  # a finished count leaves no work files
    # the command line, with factory.toml [tokens] choosing the executor
    (tmp_path / "factory.toml").write_text('[tokens]\nexecutor = "local"\nworkers = 2\ntasks = 3\n')
    args = [*FACTORY, "validate", *map(str, files), "--max-tokens", "600", "--work-dir", str(tmp_path / "work")]
    engine_run = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    plain_run = subprocess.run([*args, "--executor", "in-process"], capture_output=True, text=True, cwd=tmp_path,
                               timeout=300)
    assert "tokens on datatrove (local, 2 workers, 3 shards)" in engine_run.stdout
    assert engine_run.returncode == plain_run.returncode == 1  # over the limit, and invalid lines
    assert engine_run.stderr == plain_run.stderr and "Traceback" not in engine_run.stderr
    assert [line for line in engine_run.stdout.splitlines() if "on datatrove" not in line] == \
        plain_run.stdout.splitlines()


def test_a_failed_count_resumes_from_its_finished_shards(tmp_path, monkeypatch):
    files = _files(tmp_path / "data")
    plain = count_tokens(files, "qwen2.5", 600, engine=EngineOptions("in-process"))
    real = token_engine.scan_records

    def fails_on_tool_neg(report, tok, path, records, *args, **kwargs):
        if path.endswith("tool_neg.jsonl"):
            raise RuntimeError("a worker lost its disk")
        return real(report, tok, path, records, *args, **kwargs)

    monkeypatch.setattr(token_engine, "scan_records", fails_on_tool_neg)  # the forked workers inherit it
    monkeypatch.setattr(token_engine, "MIN_SHARD_LINES", 1)
    with pytest.raises(FactoryError, match=r"token counting on datatrove failed.*rerun the same command"):
        # 2 workers: 8 shards of about 25 lines
        count_tokens(files, "qwen2.5", 600, engine=EngineOptions("local", 2), work_root=tmp_path / "work")
    (work,) = (tmp_path / "work").iterdir()
    parts = finished_parts(work, ".json")
    assert 0 < len(parts) < 8
    monkeypatch.undo()
    said = []
    kept = []
    monkeypatch.setattr(scale, "remove_work", kept.append)  # to look at the parts after the rerun
    monkeypatch.setattr(token_engine, "MIN_SHARD_LINES", 1)
    # one worker would cut 4 shards: the rerun keeps the first run's cut and resumes from it
    resumed = count_tokens(files, "qwen2.5", 600, engine=EngineOptions("local", 1), work_root=tmp_path / "work",
                           echo=said.append)
    assert _text(resumed) == _text(plain)
    assert "(local, 1 workers, 8 shards)" in said[0] and f"resumed: {len(parts)} of them were done" in said[0]
    assert kept == [work]  # the finished shards' parts were not written again
    assert parts_now(work, ".json", parts) == parts
    monkeypatch.undo()
    count_tokens(files, "qwen2.5", 600, engine=EngineOptions("local", 2), work_root=tmp_path / "work")
    assert list((tmp_path / "work").iterdir()) == []  # a finished count removes its work files


def test_auto_counts_small_inputs_here_and_a_bad_executor_is_one_error(tmp_path, monkeypatch):
    files = _files(tmp_path / "data")
    said = []
    count_tokens(files, "qwen2.5", 600, engine=EngineOptions("auto"), work_root=tmp_path / "work", echo=said.append)
    assert said == []  # 212 lines: in this process
    assert EngineOptions().chosen(token_engine.ENGINE_ABOVE + 1, token_engine.ENGINE_ABOVE) == "local"
    with pytest.raises(FactoryError, match="--executor must be one of"):
        count_tokens(files, "qwen2.5", engine=EngineOptions("spark"))
    monkeypatch.setitem(sys.modules, "datatrove", None)
    with pytest.raises(FactoryError, match=r"runs token counting on datatrove.*pip install 'factory\[scale\]'"):
        count_tokens(files, "qwen2.5", engine=EngineOptions("local"), work_root=tmp_path / "work")
