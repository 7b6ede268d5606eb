"""Podcast episodes from a feed that has already been parsed into dicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Episode:
    title: str
    published: str  # YYYY-MM-DD
    seconds: int
    played: bool = False


def episodes(entries: list[dict]) -> list[Episode]:
    return [Episode(e["title"], e["published"], int(e.get("seconds", 0)), bool(e.get("played", False)))
            for e in entries]


def latest(items: list[Episode], n: int) -> list[Episode]:
    """The ``n`` most recently published episodes, newest first."""
    return sorted(items, key=lambda e: e.published)[:n]


def unplayed(items: list[Episode]) -> list[Episode]:
    return [e for e in items if not e.played]
