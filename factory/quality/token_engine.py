"""Token counting past one process: ``factory validate --tokenizer`` and ``factory run``'s token stage on
datatrove (:mod:`factory.scale`).

The input files are cut into shards of whole lines, in order (shard i holds lines ``i * n`` to
``(i + 1) * n - 1`` of the files read one after another, possibly spanning a file's end), written as a
plan of byte ranges. Each datatrove task renders and counts one shard with
:func:`factory.quality.tokens.scan_records`, the in-process scan's own loop, and writes its part of the
report; the parts joined in shard order are the in-process report, finding for finding.

A task loads the tokenizer once per worker process; on the local executor the workers are forked
from a process that has loaded it already, so they start counting at once. Work files live under
``WORK/KEY`` (the key names the inputs' bytes, the tokenizer, the options and the versions): a killed
run resumes from the shards datatrove marked finished, and a finished one removes them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from factory.errors import FactoryError
from factory.quality.tokens import ChatTokenizer, TokenFinding, TokenReport, load_tokenizer, scan_records
from factory.scale import (
    EngineOptions,
    default_workers,
    finished_tasks,
    make_executor,
    quiet,
    require_datatrove,
    run_stage,
)

# `auto` counts on the local engine above this many input lines. bench/bench_tokens.py --executors, 2
# cores, whole counts (tokenizer load included): 2,000 lines 3.6 s in-process against 3.9 s on the engine,
# 5,000 5.0 / 5.0 s, 10,000 6.1 / 5.7 s, the main job's 25,000 14.9 / 12.8 s, 100,000 56.7 / 46.6 s.
# (The tokenizer already encodes on every core; the engine adds the rendering and the round trip.)
ENGINE_ABOVE = 10_000
SHARD_LINES = 20_000  # input lines a shard (= task) unless --tasks says otherwise


def default_work_root() -> Path:
    base = os.environ.get("FACTORY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "factory")
    return Path(base) / "work" / "tokens"


def scan_inputs(paths: Sequence[str | Path]) -> tuple[int, str]:
    """The files' lines (as ``read_jsonl`` numbers them) and a digest of their names and bytes: one
    pass in blocks of 1 MiB."""
    lines = 0
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(os.fsencode(str(path)) + b"\0")
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise FactoryError(f"{path}: cannot read it ({exc.strerror})") from None
        with fh:
            last = b"\n"
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
                lines += block.count(b"\n")
                last = block[-1:]
            lines += last != b"\n"  # a last line without its newline
        digest.update(b"\0")
    return lines, digest.hexdigest()


def plan_shards(paths: Sequence[str | Path], per_shard: int) -> list[list[list[Any]]]:
    """Shards of ``per_shard`` input lines as ``[path, start byte, stop byte, first line number]``
    segments (a shard may end in one file and go on in the next). One streaming pass."""
    shards: list[list[list[Any]]] = []
    current: list[list[Any]] = []
    in_shard = 0
    for path in paths:
        with open(path, "rb") as fh:
            pos = seg_start = 0
            seg_line = 1
            for lineno, raw in enumerate(fh, 1):
                if in_shard == per_shard:  # this line starts the next shard
                    current.append([str(path), seg_start, pos, seg_line])
                    shards.append(current)
                    current, in_shard, seg_start, seg_line = [], 0, pos, lineno
                pos += len(raw)
                in_shard += 1
            if pos > seg_start:
                current.append([str(path), seg_start, pos, seg_line])
    if current:
        shards.append(current)
    return shards


class CountShard:
    """The datatrove task: count shard ``rank`` of the plan and write its part of the report.
    A module-level callable ``(data, rank, world_size)``, so the executors can pickle it."""

    def __init__(self, work: str, tokenizer: str, max_tokens: int, roundtrip: bool, threads: int) -> None:
        self.work, self.tokenizer, self.max_tokens, self.roundtrip = work, tokenizer, max_tokens, roundtrip
        self.threads = threads

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> None:
        from factory.store.jsonl import read_jsonl

        if self.threads:  # before the tokenizer's thread pool starts in this worker
            os.environ.setdefault("RAYON_NUM_THREADS", str(self.threads))
        work = Path(self.work)
        segments = orjson.loads((work / "plan.json").read_bytes())["shards"][rank]
        tok = load_tokenizer(self.tokenizer)
        report = TokenReport(tok.name, self.max_tokens, {}, [], [], [])
        for path, start, stop, first_line in segments:
            scan_records(report, tok, path, read_jsonl(path, strict=False, start=start, stop=stop,
                                                       first_line=first_line), roundtrip=self.roundtrip)
        out = work / "parts" / f"{rank:05d}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(_report_part(report)))
        os.replace(tmp, out)


def _report_part(report: TokenReport) -> dict[str, Any]:
    def findings(items: list[TokenFinding]) -> list[list[Any]]:
        return [[f.path, f.line, f.reason] for f in items]

    return {"lengths": report.lengths, "over_limit": findings(report.over_limit),
            "roundtrip": findings(report.roundtrip), "render_errors": findings(report.render_errors),
            "over_by_category": report.over_by_category}


def join_parts(parts: Iterable[Path], name: str, max_tokens: int) -> TokenReport:
    """The shards' parts in shard order: the report the in-process scan writes."""
    report = TokenReport(name, max_tokens, {}, [], [], [])
    for part in parts:
        data = orjson.loads(part.read_bytes())
        for cat, values in data["lengths"].items():
            report.lengths.setdefault(cat, []).extend(values)
        for key in ("over_limit", "roundtrip", "render_errors"):
            getattr(report, key).extend(TokenFinding(p, line, reason) for p, line, reason in data[key])
        for cat, n in data["over_by_category"].items():
            report.over_by_category[cat] = report.over_by_category.get(cat, 0) + n
    return report


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def count_tokens(paths: Sequence[str | Path], tokenizer: str, max_tokens: int = 2048, *, roundtrip: bool = True,
                 engine: EngineOptions | None = None, work_root: Path | None = None,
                 echo: Callable[[str], Any] | None = None) -> TokenReport:
    """:func:`factory.quality.tokens.scan_token_lengths` on the executor ``engine`` picks for the input's size."""
    from factory.quality.tokens import scan_token_lengths

    engine = engine or EngineOptions()
    engine.chosen(0, ENGINE_ABOVE)  # checks the executor's name and counts before any work
    tok = load_tokenizer(tokenizer)
    if engine.executor == "in-process":
        return scan_token_lengths(paths, tok, max_tokens, roundtrip=roundtrip)
    lines, digest = scan_inputs(paths)
    executor = engine.chosen(lines, ENGINE_ABOVE)
    if executor == "in-process":
        return scan_token_lengths(paths, tok, max_tokens, roundtrip=roundtrip)
    require_datatrove(executor, "token counting")
    workers = engine.workers or os.cpu_count() or 1
    # at least four shards a worker: records differ in length, and equal line counts are not equal work
    per_shard = engine.shards(lines, min(SHARD_LINES, max(1, -(-lines // (4 * workers)))))
    return _on_engine(paths, tokenizer, tok, max_tokens, roundtrip, executor, engine.workers, lines, digest,
                      per_shard, work_root or default_work_root(), echo)


def _on_engine(paths: Sequence[str | Path], tokenizer: str, tok: ChatTokenizer, max_tokens: int, roundtrip: bool,
               executor: str, workers: int, lines: int, digest: str, per_shard: int, work_root: Path,
               echo: Callable[[str], Any] | None) -> TokenReport:
    if not lines:
        return TokenReport(tok.name, max_tokens, {}, [], [], [])
    # what the parts depend on: a rerun with anything else starts afresh, never from them
    versions = {name: _version(name) for name in ("factory", "tokenizers", "transformers", "jinja2")}
    identity = [digest, tok.name, hashlib.sha256(tok.chat_template.encode()).hexdigest(), len(tok.backend.get_vocab()),
                max_tokens, roundtrip, per_shard, versions]
    key = hashlib.blake2b(orjson.dumps(identity), digest_size=12).hexdigest()
    work = work_root / key
    work.mkdir(parents=True, exist_ok=True)
    plan = work / "plan.json"
    if plan.exists():  # a resumed count: the same shards as the first time
        shards = orjson.loads(plan.read_bytes())["shards"]
    else:
        shards = plan_shards(paths, per_shard)
        tmp = plan.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps({"inputs": [str(p) for p in paths], "shards": shards}))
        os.replace(tmp, plan)
    cores = os.cpu_count() or 1
    workers = default_workers(executor, workers, len(shards))
    logs = work / "logs"
    done = finished_tasks(logs)
    t = time.perf_counter()
    # forked workers share the cores: the tokenizer's threads a worker, so that workers x threads = cores
    threads = max(1, cores // workers) if executor == "local" and workers > 1 else 0
    step = CountShard(str(work), tokenizer, max_tokens, roundtrip, threads)
    with quiet(work / "datatrove.log"):
        stage = make_executor(executor, [step], len(shards), workers, logs, mem_per_cpu_gb=1.0, name="factory-tokens")
        run_stage(stage, work, "token counting", "rerun the same command")
    parts = [work / "parts" / f"{rank:05d}.json" for rank in range(len(shards))]
    missing = [p.name for p in parts if not p.exists()]
    if missing:  # finished tasks whose files are gone (a work directory half removed)
        raise FactoryError(f"{work}: {len(missing)} finished token-count part(s) are missing; remove that "
                           "directory and run again")
    report = join_parts(parts, tok.name, max_tokens)
    if echo:
        resumed = f"; resumed: {done} of them were done" if done else ""
        echo(f"tokens on datatrove ({executor}, {workers} workers, {len(shards)} shards): "
             f"{time.perf_counter() - t:.1f} s{resumed}")
    doomed = work.with_name(f"{work.name}.removing.{os.getpid()}")
    os.replace(work, doomed)  # renamed first: a removal cut short never leaves markers without parts
    shutil.rmtree(doomed, ignore_errors=True)
    return report
