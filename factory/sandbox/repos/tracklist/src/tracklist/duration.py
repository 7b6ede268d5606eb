"""Track lengths as text (``3:05``, ``1:02:05``) and as whole seconds."""

from __future__ import annotations


def parse_duration(text: str) -> int:
    """Seconds in ``m:ss`` or ``h:mm:ss``; raises ValueError for anything else."""
    parts = text.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a track length: {text!r}")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def format_duration(seconds: int) -> str:
    """``m:ss`` for lengths under an hour, ``h:mm:ss`` from an hour on."""
    if seconds < 0:
        raise ValueError("a length cannot be negative")
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}"
