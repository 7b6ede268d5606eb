"""``factory ingest repo-fim`` past one process: each file's examples made on datatrove
(:mod:`factory.scale`).

The plan (the repository's files in the order they are taken, languages round-robin) is cut into
shards of consecutive files. Each task reads its files, cuts their FIM examples and prepares every
candidate as the sink would (scrub, build, validate: :func:`factory.ingest.sink.prepare`), one line
a file. This process then walks the parts in plan order through the in-process loop
(:func:`factory.ingest.repo_fim.take_files`): the caps, the skips, the dedupe and the write happen
here, in order, so the output and its report are the in-process ones, byte for byte. Work files live
under ``WORK/KEY`` (the key names the files' sizes and times, the options and the versions) and go
once the ingest is done; a failed or killed run resumes from the finished shards.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from factory import scale
from factory.ingest.repo_fim import (
    FimOptions,
    FimPlan,
    candidate,
    file_fims,
    ingest_repo_fim,
    plan_repo_fim,
    take_files,
    take_in_process,
)
from factory.ingest.sink import IngestReport, Prepared, prepare
from factory.store.jsonl import atomic_write

# `auto` cuts on the local engine above this many files. bench/bench_engine_passes.py --pass fim, 2 cores:
# 100 files 0.9 s in-process against 1.3 s on the engine, 300 1.9 / 1.8 s, 1,000 5.6 / 4.0 s, 5,000
# 16.6 / 10.0 s, 20,000 50.2 / 29.7 s.
ENGINE_ABOVE = 500
SHARD_FILES = 1_000  # files a shard (= task) at most, unless --tasks says otherwise
MIN_SHARD_FILES = 100  # and at least (about half a second of work: a task costs 35-75 ms to start)



class FimShard:
    """The datatrove task: make shard ``rank``'s files' examples, prepared for the sink, one JSON line a
    file (a skip reason, or the prepared candidates). Module-level and picklable."""

    def __init__(self, work: str, per_shard: int) -> None:
        self.work, self.per_shard = work, per_shard

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> None:
        from factory.ingest.scrub import Scrubber
        from factory.quality.validate import RecordValidator

        work = Path(self.work)
        plan: FimPlan = pickle.loads((work / "plan.pickle").read_bytes())
        options: FimOptions = pickle.loads((work / "options.pickle").read_bytes())
        scrubber, validator = Scrubber(), RecordValidator()
        with atomic_write(work / "parts" / f"{rank:05d}.jsonl") as fh:
            for path, language in plan.files[rank * self.per_shard:(rank + 1) * self.per_shard]:
                fims = file_fims(plan.root, path, language, options)
                if isinstance(fims, str):
                    fh.write(orjson.dumps({"skip": fims}) + b"\n")
                    continue
                made = [prepare(scrubber, validator, *candidate(f, plan.meta)) for f in fims]
                fh.write(orjson.dumps({"made": [[p.scrubbed, p.rejected, p.id, p.subcategory,
                                                 None if p.line is None else p.line.decode()] for p in made]})
                         + b"\n")


def _entries(parts: list[Path]) -> Iterator[Callable[[], str | list[Prepared]]]:
    for part in parts:
        with open(part, "rb") as fh:
            for line in fh:
                entry = orjson.loads(line)

                def made(entry: dict = entry) -> str | list[Prepared]:
                    if "skip" in entry:
                        return entry["skip"]
                    return [Prepared(s, r, i, sub, None if text is None else text.encode())
                            for s, r, i, sub, text in entry["made"]]
                yield made



def ingest_repo_fim_on(repo_path: str, report: IngestReport, options: FimOptions, engine: scale.EngineOptions,
                       work_root: Path | None = None, echo: Callable[[str], Any] | None = None) -> Iterator[Any]:
    """:func:`factory.ingest.repo_fim.ingest_repo_fim` with the files' work on the executor ``engine``
    picks for the repository's size; yields what the sink takes (candidates or prepared ones)."""
    engine.chosen(0, ENGINE_ABOVE)  # checks the executor's name and counts before any work
    if engine.executor == "in-process":
        yield from ingest_repo_fim(repo_path, report, options)
        return
    plan = plan_repo_fim(repo_path, report, options)
    # with a cap, the in-process ingest stops reading files once it is reached; the engine cuts them all
    capped = options.max_examples or options.max_per_language
    executor = "in-process" if engine.executor == "auto" and capped else engine.chosen(len(plan.files), ENGINE_ABOVE)
    if executor == "in-process":
        yield from take_in_process(plan, report, options)
        return
    scale.require_datatrove(executor, "the repo-fim ingest")
    files = len(plan.files)
    per_shard = engine.balanced(files, SHARD_FILES, MIN_SHARD_FILES)
    stamps = []
    for path, _language in plan.files:  # what the parts depend on: each file as it is now
        try:
            st = (Path(plan.root) / path).lstat()
            stamps.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((path, -1, -1))
    versions = scale.versions("tree-sitter", "tree-sitter-python", "tree-sitter-javascript", "tree-sitter-typescript",
                              "tree-sitter-go", "tree-sitter-rust", "detect-secrets")
    # the options as data, sets sorted (a frozenset's printed order changes with the hash seed)
    settings = dataclasses.asdict(options, dict_factory=lambda items: {
        k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in items})
    work = scale.work_dir(work_root or scale.default_work_root("repo-fim"),
                    [plan.root, stamps, plan.meta, settings, engine.tasks, versions])
    per_shard = scale.shard_size(work, per_shard)  # a resumed run keeps the first run's cut
    shards = max(1, -(-files // per_shard))
    for name, value in (("plan.pickle", plan), ("options.pickle", options)):
        if not (work / name).exists():
            with atomic_write(work / name) as fh:
                fh.write(pickle.dumps(value))
    workers = scale.default_workers(executor, engine.workers, shards)
    parts = scale.run_shards(FimShard(str(work), per_shard), executor, workers, shards, work, label="repo-fim",
                       what="the repo-fim ingest", rerun="rerun the same ingest", suffix=".jsonl", mem_gb=2.0,
                       echo=echo)
    yield from take_files(plan, report, options, _entries(parts))
    scale.remove_work(work)
