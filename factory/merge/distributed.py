"""Near-duplicate removal past one process: datatrove's MinHash pipeline, factory's decisions.

The in-process path (:class:`factory.merge.minhash.NearDuplicateIndex`) holds every kept record's
MinHash and LSH entries in memory, about 4.5 KB a record: fine for the main job, 4.5 GB at a million
records and too slow on one core. The engine path moves the near-duplicate search to datatrove, the
pipeline library Hugging Face uses for its own corpora, on any of its executors (merge prepares the
lines there too: :class:`factory.merge.dataset.PrepareShard`):

1. merge's walk over the prepared lines writes each near-dedupe candidate's training text, in input order, to text shards
   (``WORK/text/NNNNN.jsonl``, ``{"id": candidate, "text": ...}``; shard i holds a contiguous run);
2. **signatures** (datatrove, one task a shard): :class:`FactoryMinhashSignature` computes the
   in-process path's exact MinHash and writes its LSH bands (the bands datasketch's ``MinHashLSH``
   picks for the threshold) plus the whole signature;
3. **band matches** (datatrove's own ``MinhashDedupBuckets``, one task a band): sorts each band and lists
   the documents that share it;
4. **keep-first** (here, :func:`keep_first`): walks the candidates in input order and drops one when
   a band it shares holds an earlier *kept* candidate whose estimated Jaccard similarity (equal
   signature values / all) reaches the threshold. That is the in-process rule, so both paths keep
   the same records, not merely similar ones; datatrove's stock clustering (union-find over band
   matches, no similarity check) would drop 4-23% differently on the factory's data.

Every stage writes under a work directory named by the inputs' digests and the options
(``merged/.dedupe/KEY``). datatrove marks each finished task (``logs/STAGE/completions/RANK``), so a
run that is killed resumes from the finished shards; a merge that finishes removes the directory.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from factory.errors import FactoryError
from factory.scale import default_workers, finished_tasks, make_executor, quiet, run_stage

# `auto` moves merge to the local engine above this many input records. On 2 cores, bench/bench_merge.py's
# records (60-120 word answers): 3.5 s both at 10,000; at 20,000 the engine takes 4.8 s against 6.3 s,
# on the main job's 25,272 5.9-6.1 s against 7.4-7.8 s, at 100,000 18.4-18.9 s against 32.4-34.0 s,
# at 1,000,000 190.5 s and 0.94 GB against 393 s and 4.3 GB. Short records (60 words) break even
# later: 12,000 2.9-3.1 s both, 16,000 4.2-4.5 s against 4.4-4.7 s, 20,000 4.7-5.3 s against
# 5.0-5.6 s, 30,000 6.0-6.4 s against 7.4-7.6 s.
ENGINE_ABOVE = 20_000
SHARD_RECORDS = 50_000  # input lines a prepare shard, candidates a text shard, at most (--tasks: that many shards)
MIN_SHARD_RECORDS = 3_000  # and at least (about half a second of work a task: one costs 35-75 ms to start)


class TextShards:
    """Writes candidates' texts into shards of ``per_shard`` lines; the ids are candidate numbers
    0, 1, 2, ... in input order, so shard i starts at ``i * per_shard``."""

    def __init__(self, folder: Path, per_shard: int) -> None:
        self.folder, self.per_shard = folder, max(1, per_shard)
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self._fh: Any = None
        self._shard = -1

    def add(self, text: str) -> int:
        shard = self.count // self.per_shard
        if shard != self._shard:
            self._finish()
            self._shard = shard
            self._fh = open(self.folder / f"{shard:05d}.jsonl.part", "wb")  # noqa: SIM115 - closed in _finish
        self._fh.write(orjson.dumps({"id": self.count, "text": text}) + b"\n")  # UTF-8, read as bytes
        self.count += 1
        return self.count - 1

    def _finish(self) -> None:
        if self._fh is not None:
            self._fh.close()
            part = self.folder / f"{self._shard:05d}.jsonl.part"
            os.replace(part, part.with_suffix(""))
            self._fh = None

    def close(self) -> list[int]:
        """Finish the last shard; the first candidate of every shard."""
        self._finish()
        return [i * self.per_shard for i in range((self.count + self.per_shard - 1) // self.per_shard)]



def near_duplicates(work: Path, starts: list[int], count: int, *, threshold: float, num_perm: int, shingle: int,
                    executor: str, workers: int, echo: Callable[[str], None] | None = None) -> dict[int, int]:
    """Run the stages over the text shards in ``work/text``; returns {dropped candidate: the earlier
    kept candidate it duplicates}. ``starts``: first candidate of each shard; ``count``: candidates."""
    from datasketch import MinHashLSH
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.utils.hashing import HashConfig

    from factory.merge.datatrove_steps import FactoryMinhashSignature, TextShardReader, text_adapter

    if count == 0:
        return {}
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)  # the bands the in-process index uses
    # word n-grams, bands, rows a band, seed (the signature step computes its own values)
    config = MinhashConfig(shingle, lsh.b, lsh.r, 1, hash_config=HashConfig(precision=32, hash_fc="sha1"))
    workers = default_workers(executor, workers, max(len(starts), lsh.b))
    sigs, matches, logs = work / "signatures", work / "matches", work / "logs"
    done = {stage: finished_tasks(logs / stage) for stage in ("signatures", "matches")}
    timings = {}
    with quiet(work / "datatrove.log"):
        t = time.perf_counter()
        reader = TextShardReader(str(work / "text"), glob_pattern="*.jsonl", adapter=text_adapter, compression=None,
                                 add_file_path=False)
        step = FactoryMinhashSignature(str(sigs), config, threshold, num_perm, shingle, lsh.b)
        _stage(make_executor(executor, [reader, step], len(starts), min(workers, len(starts)), logs / "signatures",
                             name="factory-signatures"), work)
        timings["signatures"] = time.perf_counter() - t
        t = time.perf_counter()
        _stage(make_executor(executor, [MinhashDedupBuckets(str(sigs), str(matches), config=config)], lsh.b,
                       min(workers, lsh.b), logs / "matches", name="factory-band-matches"), work)
        timings["band matches"] = time.perf_counter() - t
    t = time.perf_counter()
    removed = keep_first(sigs, matches, starts, count, num_perm, threshold, lsh.b)
    timings["keep-first"] = time.perf_counter() - t
    if echo:
        resumed = f"; resumed: {done['signatures']} signature and {done['matches']} band tasks were done" \
            if any(done.values()) else ""
        echo(f"near-dedupe on datatrove ({executor}, {workers} workers, {len(starts)} shards, {lsh.b}x{lsh.r} bands): "
             + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; {len(removed)} near duplicates"
             + resumed)
    return removed


def _stage(executor: Any, work: Path) -> None:
    run_stage(executor, work, "near-dedupe", "rerun the same merge")


def keep_first(sigs: Path, matches: Path, starts: list[int], count: int, num_perm: int,
               threshold: float, bands: int) -> dict[int, int]:
    """The in-process rule over datatrove's band matches: in candidate order, drop a candidate when a
    band it shares holds an earlier kept candidate with estimated Jaccard >= ``threshold``.

    Each ``.dups`` file lists, for one band, consecutive pairs of documents with equal band values,
    sorted by (values, shard, document): ``(a, b), (b, c)`` is one group {a, b, c} in input order, and a
    pair whose first member is not the previous pair's second starts a new group."""
    import numpy as np

    offsets = np.asarray(starts, dtype=np.int64)
    sizes = np.diff([*starts, count]).tolist()
    found = sorted(matches.glob("*.dups"))
    full_files = [sigs / f"full/{rank:05d}.sig" for rank in range(len(starts))]
    complete = len(found) == bands and all(
        f.exists() and f.stat().st_size == n * num_perm * 4 for f, n in zip(full_files, sizes, strict=True))
    if not complete:  # finished tasks whose files are gone (a work directory half removed)
        raise FactoryError(f"{matches.parent}: the near-dedupe work files are incomplete; remove that directory "
                           "and run the merge again")
    group_parts, member_parts = [], []
    groups = 0
    for f in found:
        pairs = np.fromfile(f, dtype="<u4").reshape(-1, 4).astype(np.int64)
        if not len(pairs):
            continue
        first, second = offsets[pairs[:, 0]] + pairs[:, 1], offsets[pairs[:, 2]] + pairs[:, 3]
        new = np.ones(len(first), dtype=bool)
        new[1:] = first[1:] != second[:-1]
        gid = np.cumsum(new) - 1 + groups
        groups = int(gid[-1]) + 1
        group_parts += [gid[new], gid]
        member_parts += [first[new], second]
    if not group_parts:
        return {}
    group, member = np.concatenate(group_parts), np.concatenate(member_parts)
    nodes = np.unique(member)  # candidates that share a band with another one, ascending = input order
    full = [np.memmap(f, dtype=np.uint32, mode="r").reshape(-1, num_perm) for f in full_files]
    rank_of = np.searchsorted(offsets, nodes, side="right") - 1
    signature = np.empty((len(nodes), num_perm), dtype=np.uint32)
    for rank, rows in enumerate(full):
        mine = rank_of == rank
        signature[mine] = rows[nodes[mine] - offsets[rank]]
    # each node's groups, in node order
    node_of_member = np.searchsorted(nodes, member)
    order = np.argsort(node_of_member, kind="stable")
    node_groups = group[order]
    node_start = np.searchsorted(node_of_member[order], np.arange(len(nodes) + 1))
    need = int(np.ceil(threshold * num_perm - 1e-9))  # in-process: equal / num_perm >= threshold
    kept_in: dict[int, list[int]] = {}
    removed: dict[int, int] = {}
    for n in range(len(nodes)):
        mine = node_groups[node_start[n]:node_start[n + 1]].tolist()
        hit = -1  # the earliest kept match, as the in-process index picks
        for g in mine:
            for k in kept_in.get(g, ()):
                if hit >= 0 and k >= hit:
                    break
                if int(np.count_nonzero(signature[n] == signature[k])) >= need:
                    hit = k
                    break
        if hit >= 0:
            removed[int(nodes[n])] = int(nodes[hit])
        else:
            for g in mine:
                kept_in.setdefault(g, []).append(n)
    return removed


def clean(out_dir: Path) -> None:
    """Remove every near-dedupe work directory under ``out_dir``: renamed first, so that a removal cut
    short never leaves completion markers without the files they stand for."""
    folder = out_dir / ".dedupe"
    if not folder.exists():
        return
    doomed = out_dir / f".dedupe.removing.{os.getpid()}"
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
