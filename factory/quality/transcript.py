"""A record replayed call by call: which results the assistant has seen at each point, and what it
knows of every file it has read, written or edited -- the state the claim and precondition checks
(:mod:`factory.quality.claims`, :mod:`factory.quality.preconditions`) judge each turn against.

File contents start from the grounding workspace when the record names one (``meta.grounding``),
otherwise from nothing; a whole-file read teaches the file, an accepted edit or write changes it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from factory.sandbox.workspace import CallFailed, Workspace

# The argument that names the file a call works on, by tool name (Continue, Claude-Code-like, powertools).
PATH_ARGS = ("filepath", "file_path", "file", "path")
# Calls whose result is the file's whole text (Continue's read_file) or cat -n lines (Claude-Code-like read).
WHOLE_READS = {"read_file": "plain", "read": "numbered"}
RANGE_READS = {"read_file_range", "read"}
_NUMBERED = re.compile(r"^\s*(\d+)\t(.*)$")
_MORE_LINES = re.compile(r"^\.\.\. \((\d+) more lines\)$")


def norm_path(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip().removeprefix("file://")
    return posixpath.normpath(text).lstrip("/") if not text.startswith("~") else text


def path_of(args: Any) -> str | None:
    if not isinstance(args, dict):
        return None
    for key in PATH_ARGS:
        if key in args:
            return norm_path(args[key])
    return None


@dataclass
class Seen:
    """A call and, once it has come back, its result."""

    call_id: str
    name: str
    args: dict[str, Any]
    turn: int  # index of the assistant message that made the call
    output: str | None = None

    @property
    def failed(self) -> bool:
        out = (self.output or "").lstrip()
        return out.startswith(("error:", "Error:", "ERROR:"))


@dataclass
class Files:
    """What the conversation has established about files, as the assistant sees them."""

    workspace: Workspace | None = None
    texts: dict[str, str] = field(default_factory=dict)  # path -> whole text, as it stands now
    shown: dict[str, dict[int, str]] = field(default_factory=dict)  # path -> line number -> text shown
    read: set[str] = field(default_factory=set)  # paths whose contents a result has shown
    written: set[str] = field(default_factory=set)  # paths this conversation created or overwrote
    stale: set[str] = field(default_factory=set)  # changed in ways the transcript cannot replay

    def text(self, path: str | None) -> str | None:
        """The whole current text of ``path`` when known (a read, a write, or the workspace)."""
        if path is None:
            return None
        if path in self.texts:
            return self.texts[path]
        if path in self.stale:
            return None
        if self.workspace is not None:
            try:
                rel = self.workspace.resolve(path)
                if (self.workspace.root / rel).is_file():
                    return self.workspace.text(rel)
            except CallFailed:
                return None
        return None

    def exists(self, path: str | None) -> bool | None:
        """True / False when the conversation or the workspace tells; None when nothing does."""
        if path is None:
            return None
        if path in self.texts or path in self.read or path in self.written:
            return True
        if self.workspace is not None:
            try:
                self.workspace.resolve(path)
                return True
            except CallFailed:
                return False
        return None

    def learn(self, seen: Seen) -> None:
        """Update from a call that came back without an error."""
        path = path_of(seen.args)
        out = seen.output or ""
        if path is None or seen.failed:
            return
        args = seen.args
        if seen.name == "read_file":
            self.read.add(path)
            if not _MORE_LINES.search(out.rsplit("\n", 1)[-1]):
                self.texts.setdefault(path, out if out.endswith("\n") or not out else out + "\n")
                self._show(path, 1, out.splitlines())
        elif seen.name == "read_file_range":
            self.read.add(path)
            start = args.get("startLine")
            if isinstance(start, int):  # split, not splitlines: a blank last line is still a line shown
                self._show(path, start, out.split("\n"))
        elif seen.name == "read":
            self.read.add(path)
            rows = [m.groups() for m in map(_NUMBERED.match, out.splitlines()) if m]
            for no, line in rows:
                self.shown.setdefault(path, {})[int(no)] = line
            if "offset" not in args and "limit" not in args and rows:
                self.texts.setdefault(path, "\n".join(line for _, line in rows) + "\n")
        elif seen.name in ("write", "create_new_file"):
            content = args.get("content", args.get("contents"))
            if isinstance(content, str):
                self.texts[path] = content
                self.written.add(path)
                self.read.add(path)
                self.shown.pop(path, None)

    def _show(self, path: str, start: int, lines: list[str]) -> None:
        got = self.shown.setdefault(path, {})
        for i, line in enumerate(lines, start):
            got[i] = line

    def replace(self, path: str, old: str, new: str, every: bool) -> None:
        text = self.text(path)
        if text is None or old not in text:
            return
        self.texts[path] = text.replace(old, new) if every else text.replace(old, new, 1)
        self.shown.pop(path, None)


@dataclass
class Turn:
    """One assistant message, with everything the conversation showed before it."""

    index: int
    message: dict[str, Any]
    calls: list[Seen]  # the calls this message makes
    before: list[Seen]  # every call (with its result) completed before this message
    files: Files  # file knowledge before this message's calls run

    @property
    def text(self) -> str:
        content = self.message.get("content")
        return content if isinstance(content, str) else ""

    def last_results(self) -> list[Seen]:
        """The results that came back right before this message (the previous assistant turn's)."""
        if not self.before:
            return []
        turn = self.before[-1].turn
        return [s for s in self.before if s.turn == turn]


def replay(record: dict[str, Any], workspace: Workspace | None = None) -> Iterator[Turn]:
    """Yield each assistant turn of ``record`` with the state before it. Between turns the calls'
    results are applied: reads teach files, successful edits and writes change them."""
    files = Files(workspace)
    done: list[Seen] = []
    pending: dict[str, Seen] = {}
    messages = record.get("messages") or []
    for i, msg in enumerate(messages):
        role = msg.get("role")
        if role == "assistant":
            calls = []
            for call in msg.get("tool_calls") or []:
                fn = call.get("function") or {}
                args = fn.get("arguments")
                seen = Seen(str(call.get("id")), str(fn.get("name")), args if isinstance(args, dict) else {}, i)
                calls.append(seen)
            yield Turn(i, msg, calls, list(done), files)
            for seen in calls:
                pending[seen.call_id] = seen
        elif role == "tool":
            seen = pending.pop(str(msg.get("tool_call_id")), None)
            if seen is None:
                continue
            content = msg.get("content")
            seen.output = content if isinstance(content, str) else ""
            done.append(seen)
            apply_result(files, seen)


def apply_result(files: Files, seen: Seen) -> None:
    files.learn(seen)
    if seen.failed:
        return
    path = path_of(seen.args)
    if path is None:
        return
    if seen.name in ("edit", "single_find_and_replace"):
        old, new = seen.args.get("old_string"), seen.args.get("new_string")
        if isinstance(old, str) and isinstance(new, str):
            files.replace(path, old, new, bool(seen.args.get("replace_all")))
    elif seen.name == "edit_existing_file":  # a lazy rewrite ("... existing code ..."): text now unknown
        files.texts.pop(path, None)
        files.stale.add(path)
    elif seen.name == "multi_edit":
        for e in seen.args.get("edits") or []:
            if isinstance(e, dict) and isinstance(e.get("old_string"), str) and isinstance(e.get("new_string"), str):
                files.replace(path, e["old_string"], e["new_string"], bool(e.get("replace_all")))
