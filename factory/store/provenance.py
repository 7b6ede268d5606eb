"""What a built output was built from: ``built_from.json`` in ``merged/``, ``export/FORMAT/`` and
``report/`` holds the sha256 of every input file at build time, so ``factory status`` can say which
outputs no longer match their inputs (and which input changed).

Paths are stored relative to the output directory, so a dataset directory can be moved or copied and
its outputs stay fresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from factory.store.jsonl import sha256_file, write_json

BUILT_FROM = "built_from.json"


def record_inputs(out_dir: str | Path, command: str, inputs: Iterable[str | Path], *,
                  whole_dataset: bool = False) -> Path:
    """Write ``out_dir/built_from.json``: the sha256 of each existing file of ``inputs``.
    ``whole_dataset``: the inputs were every category file of the dataset directory, so a category
    file that appears there later makes the output stale too."""
    out_dir = Path(out_dir)
    digests = {_relative(Path(p), out_dir): sha256_file(p) for p in inputs if Path(p).is_file()}
    doc = {"command": command, "inputs": dict(sorted(digests.items())), "whole_dataset": whole_dataset}
    path = out_dir / BUILT_FROM
    write_json(path, doc)
    return path


@dataclass
class Freshness:
    """Whether an output still matches what it was built from; ``reasons`` say why not."""

    output: str
    state: str  # fresh | stale | unknown
    reasons: list[str] = field(default_factory=list)


def freshness(out_dir: str | Path, label: str, dataset_files: Iterable[Path] = ()) -> Freshness:
    """Compare ``out_dir/built_from.json`` with the files on disk now (``dataset_files``: the dataset
    directory's category files now, for an output built from all of them)."""
    out_dir = Path(out_dir)
    path = out_dir / BUILT_FROM
    if not path.is_file():
        return Freshness(label, "unknown", ["no record of its inputs (built by an older factory); rebuild it"])
    try:
        doc = orjson.loads(path.read_bytes())
        recorded: dict[str, str] = dict(doc["inputs"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return Freshness(label, "unknown", [f"{path} is not readable; rebuild it"])
    reasons = []
    for rel, digest in recorded.items():
        current = out_dir / rel
        if not current.is_file():
            reasons.append(f"{_shown(current)} is gone")
        elif sha256_file(current) != digest:
            reasons.append(f"{_shown(current)} changed")
    if doc.get("whole_dataset"):
        known = {(out_dir / rel).resolve() for rel in recorded}
        reasons += [f"{_shown(new)} is new" for new in dataset_files if Path(new).resolve() not in known]
    return Freshness(label, "stale" if reasons else "fresh", reasons)


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def _shown(path: Path) -> str:
    return os.path.normpath(path)
