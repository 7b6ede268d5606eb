"""Merge category files, enhanced batches and a label-true base into trainer-ready train/eval splits.

Every record's fate is decided in one streaming pass, in this order, first reason wins:

1. ``invalid``: not JSON / fails :class:`factory.quality.validate.RecordValidator`;
2. ``excluded category``: a category held out of training (by default those whose spec says
   ``held_out: true``, the built-in ``eval`` among them);
3. ``over --max-tokens``: lines a token scan flagged (``MergeOptions.too_long``);
   ``base record not label true``: a base file keeps only ``label: true`` records;
4. ``superseded by enhanced version``: some input record names it in ``meta.parent_id``;
   ``rejected in review``: a reviewer rejected it (``DATA/review/decisions.jsonl``, see
   :mod:`factory.view.review`; its exact and near duplicates leave with it, as ``duplicate of a record
   rejected in review``; a relabel decision sets the kept record's ``label`` instead, and a record
   relabelled good loses its ``meta.defect``: it is a positive, no longer a defect/correct pair);
5. ``exact duplicate``: same normalised training content (case, whitespace) as a kept record;
6. ``near duplicate``: MinHash LSH (datasketch) over word shingles finds a kept record whose
   estimated Jaccard similarity is at least ``threshold``.

Everything about a line that does not depend on the lines before it (its fate up to step 4, its
exact key and near-dedupe text, the record as written) is prepared first, here or by engine tasks
(:class:`PrepareShard`); one walk in input order then makes the first-come decisions. Kept records
lose metadata not meant for training (scores and provenance other than the keys in ``KEEP_META``)
and are spilled to a temporary file; only their byte offsets and categories stay in
memory, beside the dedupe index. A seeded shuffle of the offsets and a per-category cut give the
stratified split. ``read == kept + sum(dropped)`` always holds and is written to the report;
``dropped.jsonl`` lists every dropped record (file, line, id, category, reason, and for a duplicate
the id of the record it duplicates), which ``factory view`` shows beside the kept one.
Originals replaced by an enhanced version go to ``originals.jsonl`` (not training data): the
DPO/KTO exports pair them with their enhanced versions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import pickle
import random
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from factory import scale
from factory.errors import FactoryError, InputError
from factory.merge.distributed import (
    ENGINE_ABOVE,
    MIN_SHARD_RECORDS,
    SHARD_RECORDS,
    TextShards,
    clean,
    near_duplicates,
)
from factory.merge.minhash import NearDuplicateIndex
from factory.quality.validate import RecordValidator
from factory.scale import EngineOptions, require_datatrove
from factory.store.jsonl import JsonlWriter, atomic_write, read_jsonl, write_json
from factory.store.provenance import record_inputs

# Meta keys exporters need (DPO/KTO pairs, FIM text, licences of ingested code); the rest is provenance.
KEEP_META = ("defect", "parent_id", "fim", "license", "source")


@dataclass
class MergeInput:
    path: Path
    role: str = "category"  # category | enhanced | base


@dataclass
class MergeOptions:
    seed: int = 42
    eval_frac: float = 0.15
    # Word bigrams at 0.8: recall 0.98 / precision 1.0 on bench/bench_merge.py's planted duplicates
    # (trigrams needed 0.75 for 0.96 recall). None disables near-dedupe.
    near_threshold: float | None = 0.8
    num_perm: int = 128
    shingle: int = 2
    # Categories kept out of both splits; None: the held-out ones of the running command's registry
    # (``held_out_categories(default_registry())``).
    exclude_categories: tuple[str, ...] | None = None
    validate: bool = True
    # file path -> line numbers to drop as too long (from factory.quality.tokens.scan_token_lengths)
    too_long: dict[str, set[int]] = field(default_factory=dict)
    # record id -> a reviewer's latest decision (factory.view.review.load_decisions)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews_file: Path | None = None  # where they were read from: recorded as an input of the merge


@dataclass
class MergeResult:
    train: Path
    eval: Path
    report_path: Path
    report: dict[str, Any]
    originals: Path


# -- normalisation ----------------------------------------------------------------------------------
def training_text(record: dict[str, Any]) -> str:
    """What near-dedupe compares: every message's text and tool calls, lower-cased."""
    parts = []
    for m in record.get("messages") or []:
        if m.get("content"):
            parts.append(m["content"])
        for c in m.get("tool_calls") or []:
            fn = c.get("function") or {}
            parts.append(fn.get("name", ""))
            parts.append(orjson.dumps(fn.get("arguments"), option=orjson.OPT_SORT_KEYS).decode())
    return "\n".join(parts).lower()


def exact_key(record: dict[str, Any]) -> bytes:
    """Hash of the normalised training content: roles, whitespace-collapsed lower-case text, tool
    calls with sorted keys, and the offered tools' names. Ids and provenance do not count."""
    msgs = []
    for m in record.get("messages") or []:
        calls = [[(c.get("function") or {}).get("name"), (c.get("function") or {}).get("arguments")]
                 for c in m.get("tool_calls") or []]
        msgs.append([m.get("role"), " ".join((m.get("content") or "").lower().split()), calls])
    tools = sorted(t.get("function", {}).get("name", "") for t in record.get("tools") or [])
    return hashlib.blake2b(orjson.dumps([msgs, tools], option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def strip_for_training(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in ("id", "category", "subcategory", "messages", "tools", "label") if k in record}
    meta = {k: v for k, v in (record.get("meta") or {}).items() if k in KEEP_META and v is not None}
    if meta:
        out["meta"] = meta
    return out


def _scan_inputs(inputs: Sequence[MergeInput]) -> tuple[set[str], int, str]:
    """One cheap pass before the real one: the ids named by ``meta.parent_id`` anywhere (only lines
    naming one are parsed), the number of lines, and a digest of every input's bytes."""
    parents: set[str] = set()
    lines = 0
    digest = hashlib.blake2b(digest_size=16)
    for inp in inputs:
        digest.update(f"{inp.role}:{inp.path}\n".encode())
        with open(inp.path, "rb") as fh:
            for raw in fh:
                lines += 1
                digest.update(raw)
                if b'"parent_id"' not in raw:
                    continue
                try:
                    pid = (orjson.loads(raw).get("meta") or {}).get("parent_id")
                except (orjson.JSONDecodeError, AttributeError):
                    continue
                if pid:
                    parents.add(pid)
    return parents, lines, digest.hexdigest()


class _Drops:
    """Counts every dropped record and writes it to ``dropped.jsonl``; keeps the report's examples."""

    def __init__(self, writer: JsonlWriter, names: list[str]) -> None:
        self.writer, self.names = writer, names
        self.total: Counter = Counter()
        self.by_file: dict[str, Counter] = {n: Counter() for n in names}
        self.near_examples: list[dict[str, Any]] = []
        self.invalid_examples: list[str] = []

    def add(self, file: int, line: int, rid: Any, category: Any, reason: str, kept_id: str | None,
            kept_is_record: bool = True) -> None:
        name = self.names[file]
        if reason.startswith("invalid") and len(self.invalid_examples) < 20:
            self.invalid_examples.append(f"{name}:{line}: {reason}")
        if reason == "near duplicate" and kept_is_record and len(self.near_examples) < 20:
            self.near_examples.append({"dropped": f"{name}:{line}", "kept_id": kept_id})
        self.writer.write({"file": name, "line": line, "id": rid, "category": category, "reason": reason,
                           "kept_id": kept_id})
        reason = reason.split(":")[0]
        self.total[reason] += 1
        self.by_file[name][reason] += 1


def merge(inputs: Sequence[MergeInput], out_dir: str | Path, options: MergeOptions | None = None, *,
          whole_dataset: bool = False, engine: EngineOptions | None = None,
          echo: Callable[[str], None] | None = None) -> MergeResult:
    """Merge ``inputs`` into ``out_dir``/train.jsonl, eval.jsonl and merge_report.json, and record the
    inputs' digests in ``built_from.json`` (``whole_dataset``: they are every category file of a
    dataset directory, so ``factory status`` also flags a category file added later).

    ``engine`` says where the lines are prepared (:class:`PrepareShard`: validation, review, exact keys,
    the stripped records) and near-dedupe runs (:mod:`factory.merge.distributed`): in this process, or
    on datatrove's local, Ray or Slurm executor; the first-come decisions are a walk in input order
    here. All keep the same records and write the same bytes."""
    opts = options or MergeOptions()
    if opts.exclude_categories is None:
        from factory.generate.specs import held_out_categories
        from factory.host import default_registry

        opts = dataclasses.replace(opts, exclude_categories=held_out_categories(default_registry()))
    if not 0 <= opts.eval_frac < 1:
        raise FactoryError(f"--eval-frac must be in [0, 1), got {opts.eval_frac}")
    if opts.near_threshold is not None and not 0 < opts.near_threshold <= 1:
        raise FactoryError(f"--near-threshold must be in (0, 1], got {opts.near_threshold}")
    engine = engine or EngineOptions()
    engine.chosen(0, ENGINE_ABOVE)  # checks the executor's name and counts before any work
    out_dir = Path(out_dir)
    for inp in inputs:
        if not Path(inp.path).is_file():
            raise FactoryError(f"{inp.path}: no such input file")
        if Path(inp.path).resolve().parent == out_dir.resolve() and Path(inp.path).name in ("train.jsonl", "eval.jsonl"):
            raise FactoryError(f"{inp.path}: is an output of this merge; write to another --out directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    near_on = bool(opts.near_threshold)
    parents, lines, digest = _scan_inputs(inputs)
    executor = engine.chosen(lines, ENGINE_ABOVE)
    shards: TextShards | None = None
    work: Path | None = None
    if executor == "in-process":
        # Structure only: the factory checks claims and preconditions where records are made (generate,
        # enhance, ingest); `factory check` runs every stage on any file.
        validator = RecordValidator(semantic=False) if opts.validate else None
        rows = _rows_here(inputs, opts, validator, parents, near_on)
    else:
        require_datatrove(executor, "merge", extra=("datasketch",) if near_on else ())
        # what the work files depend on: a rerun with anything else starts afresh, never from them
        settings = {k: sorted(v) if isinstance(v, set) else v for k, v in dataclasses.asdict(opts).items()}
        settings["too_long"] = {k: sorted(v) for k, v in opts.too_long.items()}
        versions = scale.versions("datasketch", "datatrove", "jsonschema")
        work = scale.work_dir(out_dir / ".dedupe", [digest, settings, engine.tasks, versions])
        # the same cut for both steps; a resumed run keeps the first run's
        per_shard = scale.shard_size(work, engine.balanced(lines, SHARD_RECORDS, MIN_SHARD_RECORDS))
        rows = _rows_on_engine(inputs, opts, parents, near_on, work, per_shard, engine, executor, echo)
        if near_on:
            shards = TextShards(work / "text", per_shard)
    near = NearDuplicateIndex(opts.near_threshold, opts.num_perm, opts.shingle) \
        if near_on and shards is None else None
    seen_exact: dict[bytes, int] = {}  # normalised content -> key of the kept record (<0: rejected in review)
    names = [str(i.path) for i in inputs]
    read_by_file: Counter = Counter()
    offsets = array("q")
    cat_of: list[int] = []
    cat_names: dict[str, int] = {}
    ids: list[str] = []
    no_id: set[int] = set()  # kept records without an "id" key (their drop line says null, as in-process)
    source = array("q")  # per kept record: file index * 2**40 + line (the engine path's late drops)
    candidate_key = array("q")  # engine path: candidate number -> key (spill index, or <0: rejected)
    relabelled: set[int] = set()

    def near_match(key: int, text: str) -> int | None:
        if near is not None:
            return near.find_or_add(key, text)
        if shards is not None:
            shards.add(text)
            candidate_key.append(key)
        return None  # the engine decides after the pass

    originals_path = out_dir / "originals.jsonl"
    rejected_ids: list[str] = []  # records rejected in review, still deduplicated against (keys -1, -2, ...)
    with tempfile.TemporaryFile(dir=out_dir) as spill, JsonlWriter(originals_path) as originals, \
            JsonlWriter(out_dir / "dropped.jsonl") as drop_writer, \
            tempfile.TemporaryFile(dir=out_dir) as early:
        drops = _Drops(drop_writer, names)
        # the first come is kept: this walk is in input order, over lines prepared here or by the engine
        for file, line, reason, key, rid, category, text, record, relabel, has_id in rows:
            read_by_file[names[file]] += 1
            kept_as: int | None = None
            if reason == "rejected in review":
                # its duplicates go with it: a copy under another id must not come back in its place
                if key not in seen_exact:
                    seen_exact[key] = -len(rejected_ids) - 1
                    rejected_ids.append(rid)
                    if near_on:
                        near_match(seen_exact[key], text)
            elif reason is None:
                if key in seen_exact:
                    reason = "exact duplicate"
                    kept_as = seen_exact[key]
                else:
                    seen_exact[key] = len(offsets)
                    if near_on:
                        other = near_match(len(offsets), text)
                        if other is not None:
                            reason = "near duplicate"
                            kept_as = seen_exact[key] = other
            if reason is not None:
                if reason == "superseded by enhanced version":  # kept apart for DPO/KTO pairs
                    originals.write(record)
                if shards is None:
                    _drop(drops, file, line, rid, category, reason, kept_as, ids, rejected_ids)
                else:  # a duplicate's kept record may still fall to near-dedupe: decided after it
                    early.write(orjson.dumps([file, line, rid, category, reason, kept_as]) + b"\n")
                continue
            if relabel:
                relabelled.add(len(offsets))
            offsets.append(spill.tell())
            spill.write(record + b"\n")
            cat_of.append(cat_names.setdefault(category, len(cat_names)))
            ids.append(rid if has_id else "")
            if not has_id:
                no_id.add(len(ids) - 1)
            source.append(file << 40 | line)
        names_of_cat = {v: k for k, v in cat_names.items()}
        alive: Sequence[int] = range(len(offsets))
        if shards is not None and work is not None:
            removed = _near_on_engine(shards, work, candidate_key, opts, engine, executor, echo)
            _late_drops(drops, early, removed, source, ids, no_id, cat_of, names_of_cat, rejected_ids)
            alive = array("q", (i for i in range(len(offsets)) if i not in removed))
            relabelled -= removed.keys()
        spill.flush()
        if not alive:  # nothing survived: the outputs already there stay as they are
            clean(out_dir)
            read = sum(read_by_file.values())
            why = ", ".join(f"{n} {r}" for r, n in drops.total.most_common(3)) or "the inputs hold no line"
            first = f"; first: {drops.invalid_examples[0]}" if drops.invalid_examples else ""
            raise FactoryError(f"nothing to merge: read {read} records from {', '.join(read_by_file)}, kept 0 "
                               f"({why}{first}); {out_dir} was left as it was")
        train_pos, eval_pos = stratified_split([cat_of[i] for i in alive], opts.eval_frac, opts.seed)
        written: dict[str, Counter] = {"train": Counter(), "eval": Counter()}
        paths = {"train": out_dir / "train.jsonl", "eval": out_dir / "eval.jsonl"}
        for split, positions in (("train", train_pos), ("eval", eval_pos)):
            with JsonlWriter(paths[split]) as w:
                for p in positions:
                    i = alive[p]
                    spill.seek(offsets[i])
                    w.write(spill.readline().rstrip(b"\n"))
                    written[split][names_of_cat[cat_of[i]]] += 1
    clean(out_dir)  # finished: no work file is needed again (nor one a killed engine run left)

    read = sum(read_by_file.values())
    kept = len(alive)
    dropped = drops.total
    report = {
        "inputs": [{"path": str(i.path), "role": i.role, "read": read_by_file[str(i.path)],
                    "dropped": dict(drops.by_file[str(i.path)])} for i in inputs],
        "read": read, "kept": kept, "dropped": dict(dropped), "reconciles": read == kept + sum(dropped.values()),
        "train": {"count": sum(written["train"].values()), "by_category": dict(sorted(written["train"].items()))},
        "eval": {"count": sum(written["eval"].values()), "by_category": dict(sorted(written["eval"].items()))},
        "options": {"seed": opts.seed, "eval_frac": opts.eval_frac, "near_threshold": opts.near_threshold,
                    "num_perm": opts.num_perm, "shingle_words": opts.shingle,
                    "exclude_categories": list(opts.exclude_categories), "kept_meta": list(KEEP_META)},
        "near_duplicate_examples": drops.near_examples, "invalid_examples": drops.invalid_examples,
        "review": {"decisions": len(opts.reviews), "rejected": dropped.get("rejected in review", 0),
                   "relabelled": len(relabelled)},
        "executor": executor, "near_dedupe": executor if near_on else "off",
    }
    report_path = out_dir / "merge_report.json"
    write_json(report_path, report)
    sources = [i.path for i in inputs]
    if opts.reviews_file is not None and opts.reviews_file.exists():  # a new decision makes merged/ stale
        sources.append(opts.reviews_file)
    record_inputs(out_dir, "merge", sources, whole_dataset=whole_dataset)
    return MergeResult(paths["train"], paths["eval"], report_path, report, originals_path)


# One input line made ready for the walk, here or by an engine task: (file, line, reason it is dropped
# before dedupe or None, exact key, id, category, training text, the record as written, relabelled, has an id).
Row = tuple[int, int, str | None, bytes | None, Any, Any, str | None, bytes | None, bool, bool]


def _prepared(file: int, line: int, obj: Any, inp: MergeInput, opts: MergeOptions, validator: RecordValidator | None,
              parents: set[str], too_long: set[int], near_on: bool) -> Row:
    """Everything about one line that does not depend on the lines before it: its fate before dedupe,
    its exact key and near-dedupe text (records still in the running and ones rejected in review),
    and the record as the outputs hold it (relabelled, stripped)."""
    reason = _fate(obj, inp, opts, validator, parents)
    if reason is None and line in too_long:
        reason = "over --max-tokens"
    is_dict = isinstance(obj, dict)
    rid, category = (obj.get("id"), obj.get("category")) if is_dict else (None, None)
    key = text = record = None
    relabelled = False
    if reason is None or reason == "rejected in review":
        key = exact_key(obj)
        text = training_text(obj) if near_on else None
    if reason is None:
        relabelled = _relabel(obj, opts.reviews.get(rid or ""))
        record = orjson.dumps(strip_for_training(obj))
    elif reason == "superseded by enhanced version":  # kept apart for DPO/KTO pairs
        record = orjson.dumps(strip_for_training(obj))
    return file, line, reason, key, rid, category, text, record, relabelled, is_dict and "id" in obj


def _relabel(obj: dict[str, Any], review: dict[str, Any] | None) -> bool:
    """A reviewer's relabel decision applied; whether it changed the label."""
    if not review or review["decision"] != "relabel" or obj.get("label") is review["label"]:
        return False
    obj["label"] = review["label"]
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    if review["label"] is True and meta.get("defect"):
        # a reviewer judged the "defective" call right: the record is a positive now, not a
        # defect/correct pair for KTO and DPO
        obj["meta"] = {k: v for k, v in meta.items() if k != "defect"}
    return True


def _rows_here(inputs: Sequence[MergeInput], opts: MergeOptions, validator: RecordValidator | None,
               parents: set[str], near_on: bool) -> Iterator[Row]:
    for file, inp in enumerate(inputs):
        too_long = opts.too_long.get(str(inp.path), set())
        for line, obj in read_jsonl(inp.path, strict=False):
            yield _prepared(file, line, obj, inp, opts, validator, parents, too_long, near_on)


class PrepareShard:
    """The datatrove task: prepare shard ``rank``'s lines (:func:`_prepared`: validation, review, exact
    key, near-dedupe text, the stripped record) and write them, in order, as its part. Module-level
    and picklable."""

    def __init__(self, work: str) -> None:
        self.work = work

    def __call__(self, data: Any, rank: int = 0, world_size: int = 1) -> None:
        work = Path(self.work)
        context = pickle.loads((work / "context.pickle").read_bytes())
        inputs, opts, parents, near_on = context["inputs"], context["options"], context["parents"], context["near"]
        validator = RecordValidator(semantic=False) if opts.validate else None
        with atomic_write(work / "parts" / f"{rank:05d}.rows") as fh:
            for where, start, stop, first_line, file in scale.shard_segments(work, rank):
                inp = inputs[file]
                too_long = opts.too_long.get(str(inp.path), set())
                for line, obj in read_jsonl(where, strict=False, start=start, stop=stop, first_line=first_line):
                    row = _prepared(file, line, obj, inp, opts, validator, parents, too_long, near_on)
                    record = row[7]
                    fh.write(orjson.dumps([*row[:3], row[3] and row[3].hex(), *row[4:7], *row[8:], record is not None])
                             + b"\n" + (b"" if record is None else record + b"\n"))


def _rows_on_engine(inputs: Sequence[MergeInput], opts: MergeOptions, parents: set[str], near_on: bool, work: Path,
                    per_shard: int, engine: EngineOptions, executor: str,
                    echo: Callable[[str], None] | None) -> Iterator[Row]:
    """Run :class:`PrepareShard` over the inputs cut into shards of ``per_shard`` lines (work files
    under ``work/prepare``); the parts' rows, in input order."""
    prep = work / "prepare"
    prep.mkdir(parents=True, exist_ok=True)
    shards = scale.shard_plan(prep, [i.path for i in inputs], per_shard, labels=list(range(len(inputs))))
    with atomic_write(prep / "context.pickle") as fh:
        fh.write(pickle.dumps({"inputs": list(inputs), "options": opts, "parents": parents, "near": near_on}))
    workers = scale.default_workers(executor, engine.workers, len(shards))
    parts = scale.run_shards(PrepareShard(str(prep)), executor, workers, len(shards), prep, label="prepare",
                             what="merge", rerun="rerun the same merge", suffix=".rows", echo=echo)

    def rows() -> Iterator[Row]:
        for part in parts:
            with open(part, "rb") as fh:
                for head in fh:
                    file, line, reason, key, rid, category, text, relabelled, has_id, has_record = orjson.loads(head)
                    record = fh.readline()[:-1] if has_record else None
                    yield (file, line, reason, key and bytes.fromhex(key), rid, category, text, record, relabelled,
                           has_id)

    return rows()


def _drop(drops: _Drops, file: int, line: int, rid: Any, category: Any, reason: str, kept_as: int | None,
          ids: list[str], rejected_ids: list[str]) -> None:
    """One dropped record; ``kept_as`` is the key of the record it duplicates (<0: one rejected in review)."""
    kept_id = None if kept_as is None else ids[kept_as] if kept_as >= 0 else rejected_ids[-kept_as - 1]
    if kept_as is not None and kept_as < 0:
        reason = "duplicate of a record rejected in review"
    drops.add(file, line, rid, category, reason, kept_id, kept_is_record=kept_as is None or kept_as >= 0)


def _near_on_engine(shards: TextShards, work: Path, candidate_key: array, opts: MergeOptions,
                    engine: EngineOptions, executor: str, echo: Callable[[str], None] | None) -> dict[int, int]:
    """Near-dedupe on datatrove: {spill index of a dropped record: key of the record it duplicates}."""
    starts = shards.close()
    found = near_duplicates(work, starts, shards.count, threshold=opts.near_threshold or 1.0,
                            num_perm=opts.num_perm, shingle=opts.shingle, executor=executor,
                            workers=engine.workers, echo=echo)
    # a rejected record that matches an earlier kept one was already dropped: it is no candidate key
    return {candidate_key[c]: candidate_key[k] for c, k in found.items() if candidate_key[c] >= 0}


def _late_drops(drops: _Drops, early: Any, removed: dict[int, int], source: array, ids: list[str], no_id: set[int],
                cat_of: list[int], names_of_cat: dict[int, str], rejected_ids: list[str]) -> None:
    """The engine path's dropped.jsonl, in input order as the in-process path writes it: the drops
    decided during the pass, with a duplicate of a record that near-dedupe dropped pointed at that
    record's keeper (as the in-process index does), merged with the near-duplicate drops."""
    early.flush()
    early.seek(0)

    def decided() -> Iterator[tuple[int, int, Any, Any, str, int | None]]:
        for raw in early:
            file, line, rid, category, reason, kept_as = orjson.loads(raw)
            if kept_as is not None and kept_as >= 0:
                kept_as = removed.get(kept_as, kept_as)
            yield file, line, rid, category, reason, kept_as

    def near() -> Iterator[tuple[int, int, Any, Any, str, int | None]]:
        for i in sorted(removed):
            rid = None if i in no_id else ids[i]
            yield source[i] >> 40, source[i] & (2**40 - 1), rid, names_of_cat[cat_of[i]], "near duplicate", removed[i]

    for file, line, rid, category, reason, kept_as in heapq.merge(decided(), near(), key=lambda d: (d[0], d[1])):
        _drop(drops, file, line, rid, category, reason, kept_as, ids, rejected_ids)


def _fate(obj: Any, inp: MergeInput, opts: MergeOptions, validator: RecordValidator | None,
          parents: set[str]) -> str | None:
    """Why the record is dropped before dedupe, or None to keep it."""
    if isinstance(obj, InputError):
        return f"invalid: {obj.reason}"
    if not isinstance(obj, dict):
        return "invalid: not a JSON object"
    if validator is not None:
        errs = validator.check(obj)
        if errs:
            return f"invalid: {errs[0]}"
    elif not isinstance(obj.get("messages"), list) or not obj.get("category"):
        return "invalid: no messages or category"
    if obj.get("category") in opts.exclude_categories:
        return "excluded category"
    if inp.role == "base" and obj.get("label") is not True:
        return "base record not label true"
    if obj.get("id") in parents:
        return "superseded by enhanced version"
    review = opts.reviews.get(obj.get("id") or "")
    if review and review["decision"] == "reject":
        return "rejected in review"
    return None


def stratified_split(categories: Sequence[int], eval_frac: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded shuffle, then per category the first round(n * eval_frac) go to eval (at least one
    when the category has two or more records and eval_frac > 0). Both lists keep the shuffled order."""
    order = list(range(len(categories)))
    random.Random(seed).shuffle(order)
    sizes = Counter(categories)
    want = {c: (max(1, round(n * eval_frac)) if eval_frac > 0 and n >= 2 else 0) for c, n in sizes.items()}
    taken: Counter = Counter()
    train, evals = [], []
    for i in order:
        c = categories[i]
        if taken[c] < want[c]:
            taken[c] += 1
            evals.append(i)
        else:
            train.append(i)
    return train, evals


def category_files(data_dir: str | Path) -> list[Path]:
    """A dataset directory's category files: what manifest.json lists, else every top-level *.jsonl."""
    from factory.store.manifest import load_manifest

    data_dir = Path(data_dir)
    files = [data_dir / name for name in sorted(load_manifest(data_dir)["files"]) if name.endswith(".jsonl")]
    return [p for p in files if p.exists()] or sorted(data_dir.glob("*.jsonl"))


def inputs_from(categories: Iterable[str | Path] = (), enhanced: Iterable[str | Path] = (),
                base: Iterable[str | Path] = ()) -> list[MergeInput]:
    """Enhanced batches first, then the base, then category files: on duplicates the first wins."""
    return ([MergeInput(Path(p), "enhanced") for p in enhanced] + [MergeInput(Path(p), "base") for p in base]
            + [MergeInput(Path(p), "category") for p in categories])
