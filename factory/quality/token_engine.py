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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from factory import scale
from factory.quality.tokens import ChatTokenizer, TokenFinding, TokenReport, load_tokenizer, scan_records
from factory.store.shards import scan_inputs

# `auto` counts on the local engine above this many input lines. bench/bench_engine_passes.py, 2
# cores, whole counts (tokenizer load included): 2,000 lines 3.6 s in-process against 3.9 s on the engine,
# 5,000 5.0 / 5.0 s, 10,000 6.1 / 5.7 s, the main job's 25,000 14.9 / 12.8 s, 100,000 56.7 / 46.6 s.
# (The tokenizer already encodes on every core; the engine adds the rendering and the round trip.)
ENGINE_ABOVE = 10_000
SHARD_LINES = 20_000  # input lines a shard (= task) at most, unless --tasks says otherwise
MIN_SHARD_LINES = 1_000  # and at least (about half a second of counting: a task costs 35-75 ms to start)



class CountShard:
    """The datatrove task: count shard ``rank`` of the plan and write its part of the report.
    A module-level callable ``(data, rank, world_size)``, so the executors can pickle it."""

    def __init__(self, work: str, tokenizer: str, max_tokens: int, roundtrip: bool, threads: int) -> None:
        self.work, self.tokenizer, self.max_tokens, self.roundtrip = work, tokenizer, max_tokens, roundtrip
        self.threads = threads

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> None:
        from factory.store.jsonl import atomic_write, read_jsonl

        if self.threads:  # before the tokenizer's thread pool starts in this worker
            os.environ.setdefault("RAYON_NUM_THREADS", str(self.threads))
        work = Path(self.work)
        tok = load_tokenizer(self.tokenizer)
        report = TokenReport(tok.name, self.max_tokens, {}, [], [], [])
        for where, start, stop, first_line, shown in scale.shard_segments(work, rank):
            scan_records(report, tok, shown, read_jsonl(where, strict=False, start=start, stop=stop,
                                                        first_line=first_line), roundtrip=self.roundtrip)
        with atomic_write(work / "parts" / f"{rank:05d}.json") as fh:
            fh.write(orjson.dumps(_report_part(report)))


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



def count_tokens(paths: Sequence[str | Path], tokenizer: str, max_tokens: int = 2048, *, roundtrip: bool = True,
                 engine: scale.EngineOptions | None = None, work_root: Path | None = None,
                 echo: Callable[[str], Any] | None = None) -> TokenReport:
    """:func:`factory.quality.tokens.scan_token_lengths` on the executor ``engine`` picks for the input's size."""
    from factory.quality.tokens import scan_token_lengths

    engine = engine or scale.EngineOptions()
    engine.chosen(0, ENGINE_ABOVE)  # checks the executor's name and counts before any work
    tok = load_tokenizer(tokenizer)
    if engine.executor == "in-process":
        return scan_token_lengths(paths, tok, max_tokens, roundtrip=roundtrip)
    lines, digest = scan_inputs(paths)
    executor = engine.chosen(lines, ENGINE_ABOVE)
    if executor == "in-process":
        return scan_token_lengths(paths, tok, max_tokens, roundtrip=roundtrip)
    scale.require_datatrove(executor, "token counting")
    per_shard = engine.balanced(lines, SHARD_LINES, MIN_SHARD_LINES)
    return _on_engine(paths, tokenizer, tok, max_tokens, roundtrip, executor, engine.workers, lines, digest,
                      per_shard, engine.tasks, work_root or scale.default_work_root("tokens"), echo)


def _on_engine(paths: Sequence[str | Path], tokenizer: str, tok: ChatTokenizer, max_tokens: int, roundtrip: bool,
               executor: str, workers: int, lines: int, digest: str, per_shard: int, tasks: int, work_root: Path,
               echo: Callable[[str], Any] | None) -> TokenReport:
    if not lines:
        return TokenReport(tok.name, max_tokens, {}, [], [], [])
    # what the parts depend on: a rerun with anything else starts afresh, never from them
    versions = scale.versions("tokenizers", "transformers", "jinja2")
    vocabulary = hashlib.sha256(tok.backend.to_str().encode()).hexdigest()
    work = scale.work_dir(work_root, [digest, tok.name, hashlib.sha256(tok.chat_template.encode()).hexdigest(), vocabulary,
                                max_tokens, roundtrip, tasks, versions])  # the cut: the first run's plan
    shards = scale.shard_plan(work, paths, per_shard)
    cores = os.cpu_count() or 1
    workers = scale.default_workers(executor, workers, len(shards))
    # forked workers share the cores: the tokenizer's threads a worker, so that workers x threads = cores
    threads = max(1, cores // workers) if executor == "local" and workers > 1 else 0
    # a tokenizer given as a local folder is found from anywhere (a cluster's workers start elsewhere)
    name = os.path.abspath(tokenizer) if os.path.isdir(tokenizer) else tokenizer
    parts = scale.run_shards(CountShard(str(work), name, max_tokens, roundtrip, threads), executor, workers, len(shards),
                       work, label="tokens", what="token counting", rerun="rerun the same command", suffix=".json",
                       echo=echo)
    report = join_parts(parts, tok.name, max_tokens)
    scale.remove_work(work)
    return report
