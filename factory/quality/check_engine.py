"""``factory check`` past one process: the four stages over shards of the files on datatrove
(:mod:`factory.scale`).

Each task runs :class:`factory.quality.check.Checker`, the in-process pass itself, over one shard
(:mod:`factory.store.shards`) and keeps its part: the report's counts, variety and behaviour counters,
the held-out rows and training answers (pickled), and its rejects in input order. The parts added in
shard order are the in-process report (counters keep their first-seen order, so ties rank alike) and
the rejects file is the same bytes. The held-out overlap, which needs every record, is measured once
on the joined parts. Work files live under ``WORK/KEY`` and go once the check is done; a failed or killed
check resumes from the shards datatrove marked finished.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import orjson

from factory import scale
from factory.quality.check import Checker, CheckReport, check_files, finish_report, resolve_held_out
from factory.sandbox.workspace import REPO_ENV
from factory.store.jsonl import JsonlWriter, atomic_write, read_jsonl
from factory.store.shards import scan_inputs

# `auto` checks on the local engine above this many input lines (bench/bench_engine_passes.py, 2 cores).
ENGINE_ABOVE = 10_000
SHARD_LINES = 5_000  # input lines a shard (= task) at most, unless --tasks says otherwise
MIN_SHARD_LINES = 500  # and at least (about a second of checking: a task costs 35-75 ms to start)



class _Lines:
    """The rejects of one shard, as the lines the final JsonlWriter writes."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def write(self, obj: Any) -> None:
        self.fh.write(orjson.dumps(obj) + b"\n")


class CheckShard:
    """The datatrove task: check shard ``rank`` of the plan and write its part and its rejects.
    A module-level callable ``(data, rank, world_size)``, so the executors can pickle it."""

    def __init__(self, work: str, repos: tuple[str, ...], build: bool, held: tuple[str, ...], rejects: bool,
                 plugin_dirs: tuple[str, ...], grounding: str | None) -> None:
        self.work, self.repos, self.build, self.held, self.rejects = work, repos, build, held, rejects
        self.plugin_dirs, self.grounding = plugin_dirs, grounding

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> None:
        from factory import host

        if not host._current:  # a fresh interpreter (Ray, Slurm): the command's plugins, not the defaults
            host.use_registry(host.PluginHost(plugin_dirs=[Path(d) for d in self.plugin_dirs]).load().registry)
        if self.grounding is not None:
            os.environ[REPO_ENV] = self.grounding
        work = Path(self.work)
        parts = work / "parts"
        with atomic_write(parts / f"{rank:05d}.rejects.jsonl") as fh:
            checker = Checker(self.repos, self.build, set(self.held), _Lines(fh) if self.rejects else None)
            for where, start, stop, first_line, shown in scale.shard_segments(work, rank):
                for lineno, obj in read_jsonl(where, strict=False, start=start, stop=stop, first_line=first_line):
                    checker.add(shown, lineno, obj)
            checker.finish()
        with atomic_write(parts / f"{rank:05d}.pickle") as fh:  # the part last: it says the rejects are there
            fh.write(pickle.dumps((checker.report, checker.held_rows, checker.train_answers)))


def add_into(into: Any, part: Any) -> None:
    """Add one shard's report (or any of its dataclasses) into ``into``: counts add, counters add in
    the part's first-seen order, per-name entries join, nested reports add field by field."""
    for f in fields(into):
        mine, theirs = getattr(into, f.name), getattr(part, f.name)
        if isinstance(mine, Counter):
            mine.update(theirs)
        elif isinstance(mine, dict):
            for key, value in theirs.items():
                if key in mine and is_dataclass(value):
                    add_into(mine[key], value)
                else:  # the last one wins, as dict.update in the in-process pass
                    mine[key] = value
        elif isinstance(mine, int) and not isinstance(mine, bool):
            setattr(into, f.name, mine + theirs)
        elif is_dataclass(mine):
            add_into(mine, theirs)
        else:
            raise TypeError(f"{type(into).__name__}.{f.name}: no rule to add a {type(mine).__name__}")



def run_check(paths: Sequence[str | Path], repos: Sequence[str | Path] = (), build: bool = True,
              rejects: str | Path | None = None, held_out: Sequence[str] | None = None, *,
              engine: scale.EngineOptions | None = None, work_root: Path | None = None,
              plugin_dirs: Sequence[str | Path] | None = None, echo: Callable[[str], Any] | None = None) -> CheckReport:
    """:func:`factory.quality.check.check_files` on the executor ``engine`` picks for the input's size.
    ``plugin_dirs``: the drop-in folders the command loaded (default: factory.toml's), which an engine's
    fresh workers load too."""
    held = resolve_held_out(held_out)
    if engine is not None and engine.executor != "in-process" and (
            engine.executor != "auto" or importlib.util.find_spec("datatrove") is not None):
        if plugin_dirs is None:
            from factory.config import load_config

            plugin_dirs = load_config().plugins_dirs
        done = check_on_engine([str(p) for p in paths], tuple(str(r) for r in repos), build, rejects, held, engine,
                               work_root, echo, tuple(os.path.abspath(d) for d in plugin_dirs))
        if done is not None:
            return finish_report(*done)
    return check_files(paths, repos, build=build, rejects=rejects, held_out=held)


def _folder_state(folder: str) -> list[Any]:
    """A folder as the check's work key sees it: its commit and changes under git, else its files'
    sizes and times."""
    import subprocess

    folder = os.path.abspath(folder)
    head = subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        status = subprocess.run(["git", "-C", folder, "status", "--porcelain", "--untracked-files=all"],
                                capture_output=True, text=True).stdout
        return [folder, head.stdout.strip(), status]
    files = []
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(root, name))
                files.append((os.path.relpath(os.path.join(root, name), folder), st.st_size, st.st_mtime_ns))
    return [folder, sorted(files)]


def check_on_engine(paths: Sequence[str], repos: tuple[str, ...], build: bool, rejects: str | Path | None,
                    held: set[str], engine: scale.EngineOptions, work_root: Path | None,
                    echo: Callable[[str], Any] | None, plugin_dirs: tuple[str, ...] = ()) \
        -> tuple[CheckReport, dict, set] | None:
    """The check on the executor ``engine`` picks, or None when that is this process (small input)."""
    engine.chosen(0, ENGINE_ABOVE)  # checks the executor's name and counts before any work
    lines, digest = scan_inputs(paths)
    executor = engine.chosen(lines, ENGINE_ABOVE)
    if executor == "in-process" or not lines:
        return None
    scale.require_datatrove(executor, "factory check")
    per_shard = engine.balanced(lines, SHARD_LINES, MIN_SHARD_LINES)
    # what the parts depend on: a rerun with anything else starts afresh, never from them -- the
    # repositories the execution stage reads, the plugins' rules, the toolchains of the build stage
    repos = tuple(os.path.abspath(r) for r in repos)
    grounding = os.environ.get(REPO_ENV)
    versions = scale.versions("ruff", "jsonschema", "tree-sitter")
    toolchains = [(t, w, os.stat(w).st_mtime_ns) for t in ("gofmt", "go", "rustc", "tsc") if (w := shutil.which(t))]
    identity = [digest, [_folder_state(r) for r in repos], grounding and _folder_state(grounding),
                [_folder_state(d) for d in plugin_dirs], build, sorted(held), bool(rejects), engine.tasks, versions,
                toolchains]
    work = scale.work_dir(work_root or scale.default_work_root("check"), identity)
    shards = scale.shard_plan(work, paths, per_shard)
    workers = scale.default_workers(executor, engine.workers, len(shards))
    step = CheckShard(str(work), repos, build, tuple(sorted(held)), bool(rejects), plugin_dirs, grounding)
    parts = scale.run_shards(step, executor, workers, len(shards), work, label="check", what="factory check",
                       rerun="rerun the same check", suffix=".pickle", mem_gb=2.0, echo=echo)
    rejected = scale.part_files(work, len(shards), ".rejects.jsonl", "check")
    report = CheckReport()
    held_rows: dict[str, list] = {}
    train_answers: set[str] = set()
    writer = JsonlWriter(rejects) if rejects else None
    if writer is not None:
        writer.__enter__()
    try:
        for part, rejects_part in zip(parts, rejected, strict=True):
            shard_report, shard_rows, shard_answers = pickle.loads(part.read_bytes())
            add_into(report, shard_report)
            for name, rows in shard_rows.items():
                held_rows.setdefault(name, []).extend(rows)
            train_answers |= shard_answers
            if writer is not None:
                with open(rejects_part, "rb") as fh:
                    for line in fh:
                        writer.write(line.rstrip(b"\n"))
    except BaseException as exc:
        if writer is not None:
            writer.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if writer is not None:
        writer.__exit__(None, None, None)
    scale.remove_work(work)
    return report, held_rows, train_answers
