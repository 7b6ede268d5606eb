"""Shards of JSONL files for the engine passes (:mod:`factory.scale`): the input lines cut, in order,
into runs of ``n`` lines that a task reads by byte range (``read_jsonl(path, start=, stop=, first_line=)``).
Shard i of N is the same on every machine and every run of the same files."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from factory.errors import FactoryError


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


def plan_shards(paths: Sequence[str | Path], per_shard: int,
                labels: Sequence[Any] | None = None) -> list[list[list[Any]]]:
    """Shards of ``per_shard`` input lines as ``[absolute path, start byte, stop byte, first line number,
    label]`` segments (a shard may end in one file and go on in the next): a task reads the absolute
    path (a cluster's workers start elsewhere) and names the file by its label, by default the path as
    given, as the in-process pass does. One streaming pass."""
    shards: list[list[list[Any]]] = []
    current: list[list[Any]] = []
    in_shard = 0
    for n, path in enumerate(paths):
        where = os.path.abspath(path)
        label = str(path) if labels is None else labels[n]
        with open(path, "rb") as fh:
            pos = seg_start = 0
            seg_line = 1
            for lineno, raw in enumerate(fh, 1):
                if in_shard == per_shard:  # this line starts the next shard
                    current.append([where, seg_start, pos, seg_line, label])
                    shards.append(current)
                    current, in_shard, seg_start, seg_line = [], 0, pos, lineno
                pos += len(raw)
                in_shard += 1
            if pos > seg_start:
                current.append([where, seg_start, pos, seg_line, label])
    if current:
        shards.append(current)
    return shards
