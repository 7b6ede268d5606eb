"""Human review decisions, stored beside the data in ``DATA/review/decisions.jsonl``.

One line per decision, appended as the reviewer makes it: ``{"id", "decision", "label", "note", "at",
"where"}`` where ``decision`` is ``accept``, ``reject`` or ``relabel`` (``label`` then holds the new
KTO label). The last decision about a record wins, so a reviewer who changes their mind appends
again; nothing is ever rewritten in the category files. ``factory merge`` (and the main job) apply the
decisions: a rejected record leaves both splits with the reason ``rejected in review``, a relabelled
one carries its new ``label`` into the merged files and the KTO export.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import orjson

from factory.errors import FactoryError

DECISIONS = ("accept", "reject", "relabel")


def decisions_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "review" / "decisions.jsonl"


def make_decision(record_id: str, decision: str, label: Any = None, note: str = "",
                  where: str = "") -> dict[str, Any]:
    """A checked decision: the error names the field and what it may be."""
    if not isinstance(record_id, str) or not record_id:
        raise FactoryError("review decision: 'id' must be the record's id (a non-empty string)")
    if decision not in DECISIONS:
        raise FactoryError(f"review decision: 'decision' must be one of {', '.join(DECISIONS)}, got {decision!r}")
    if decision == "relabel" and not isinstance(label, bool):
        raise FactoryError("review decision: 'relabel' needs 'label' true or false (the record's KTO label)")
    if not isinstance(note, str) or len(note) > 4000:
        raise FactoryError("review decision: 'note' must be text of at most 4,000 characters")
    return {"id": record_id, "decision": decision, "label": label if decision == "relabel" else None,
            "note": note, "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "where": where}


def append_decision(data_dir: str | Path, decision: dict[str, Any]) -> Path:
    """Append one decision; the line is written whole (one ``write`` of the line, flushed and synced)."""
    path = decisions_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = orjson.dumps(decision) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def load_decisions(data_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Record id -> its latest decision. A line that is not a decision is an error naming the line
    (the file is the reviewers' work: it is never skipped silently)."""
    path = decisions_path(data_dir)
    latest: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return latest
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
                checked = make_decision(obj.get("id"), obj.get("decision"), obj.get("label"),
                                        obj.get("note") or "")
            except (orjson.JSONDecodeError, AttributeError, FactoryError) as exc:
                raise FactoryError(f"{path}:{lineno}: not a review decision ({exc}); fix or remove the line "
                                   "(each line: {\"id\", \"decision\": accept|reject|relabel, \"label\", "
                                   "\"note\"})") from None
            checked["at"] = obj.get("at", "")
            latest[checked["id"]] = checked
    return latest
