"""What the engine passes' resume tests look at: the parts of the shards datatrove marked finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def finished_parts(work: Path, suffix: str) -> dict[str, int]:
    """Each finished shard's part in ``work`` with its mtime, by rank: a resumed run must leave them as they are."""
    finished = sorted(p.name for p in (work / "logs" / "completions").iterdir())
    return {rank: (work / "parts" / f"{int(rank):05d}{suffix}").stat().st_mtime_ns for rank in finished}


def parts_now(work: Path, suffix: str, parts: dict[str, int]) -> dict[str, int]:
    """The same parts' mtimes now."""
    return {rank: (work / "parts" / f"{int(rank):05d}{suffix}").stat().st_mtime_ns for rank in parts}


def after_failure(root: Path, suffix: str, tasks: int, monkeypatch: Any) -> tuple[Path, dict[str, int], list[Path]]:
    """After an engine run failed part-way: its one work folder under ``root`` and the finished shards'
    parts (some of the ``tasks``, not all); the failure's patches are undone, and the work folder's
    removal is recorded instead of done, so that the rerun's parts can be looked at."""
    from factory import scale

    (work,) = root.iterdir()
    parts = finished_parts(work, suffix)
    assert 0 < len(parts) < tasks
    monkeypatch.undo()
    kept: list[Path] = []
    monkeypatch.setattr(scale, "remove_work", kept.append)
    return work, parts, kept
