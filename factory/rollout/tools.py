"""The tool sets' tools executed for real in a rollout's sandbox.

Read tools are the grounding workspace's (:class:`~factory.sandbox.workspace.Workspace`), run on the
sandbox's copy; editing tools really edit it, under the rules the tool descriptions state (Claude
Code's ``edit`` and ``write`` need the file read first; ``old_string`` must occur once unless
``replace_all``; Continue's ``create_new_file`` refuses an existing file); shell tools run through
:meth:`Sandbox.run`. A path that leaves the copy (``..``, an absolute path elsewhere, ``~``) or goes
through a symbolic link is refused. Every refusal and failure comes back as the tool's error text.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.rollout.sandbox import Sandbox
from factory.sandbox.workspace import SKIP_DIRS, CallFailed, Workspace

MAX_WRITE = 1 << 20  # bytes one write may put in a file
SEARCH_SECONDS = 10.0  # the longest one grep may take over the whole copy
SHELL_TOOLS = {"bash", "run_terminal_command"}
# Tools a rollout can execute; a tool set's other tools are not offered to the model.
EXECUTABLE = {
    "read_file", "read_file_range", "ls", "file_glob_search", "grep_search", "view_subdirectory", "view_diff",
    "create_new_file", "single_find_and_replace", "multi_edit", "run_terminal_command",
    "read", "glob", "grep", "edit", "write", "bash",
}


@dataclass
class Executed:
    ok: bool
    output: str
    refused: bool = False  # the sandbox refused it (a path outside, a command not allowed)


class SandboxTools(Workspace):
    """The copy in ``sandbox`` as a workspace whose tools act on it."""

    search_seconds = SEARCH_SECONDS  # a model's pattern runs under a time limit (Workspace._grep_lines)

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.root = sandbox.root
        self._cache = {}
        self._texts = {}
        self.read_paths: set[str] = set()
        self.handlers = {
            "read_file": self._read_file, "read_file_range": self._read_file_range, "ls": self._ls,
            "file_glob_search": self._file_glob_search, "grep_search": self._grep_search,
            "view_subdirectory": self._view_subdirectory, "read": self._read, "glob": self._glob, "grep": self._grep,
            "view_diff": self._view_diff,
            "create_new_file": self._create_new_file, "single_find_and_replace": self._find_and_replace,
            "multi_edit": self._multi_edit, "edit": self._edit, "write": self._write,
        }

    # -- paths -------------------------------------------------------------------------------------
    def resolve(self, raw: Any, must_exist: bool = True) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise CallFailed("path argument is empty")
        text = raw.strip().removeprefix("file://")
        if "\0" in text:
            raise CallFailed("the path contains a NUL byte")
        if text.startswith("~"):
            raise CallFailed(f"'{raw}' is outside the repository")
        shown = self.sandbox.shown.rstrip("/")
        if text.startswith("/"):
            if text != shown and not text.startswith(shown + "/"):
                raise CallFailed(f"'{raw}' is outside the repository ({shown})")
            text = text[len(shown):].lstrip("/") or "."
        rel = posixpath.normpath(text)
        if rel == ".." or rel.startswith("../"):
            raise CallFailed(f"'{raw}' is outside the repository")
        if rel != ".":
            walked = self.root
            for part in rel.split("/"):
                walked = walked / part
                try:
                    mode = walked.lstat().st_mode
                except OSError:
                    break
                if stat.S_ISLNK(mode):
                    raise CallFailed(f"'{raw}' goes through a symbolic link, which the sandbox does not follow")
        if must_exist and not (self.root / rel).exists():
            raise CallFailed(f"no such file or directory: {rel}")
        return rel

    @property
    def files(self) -> list[str]:  # type: ignore[override]
        """Regular files only: a symbolic link (it could point outside) or a FIFO (a read would block)
        is not listed, so searches never open one."""
        if "_regular" not in self.__dict__:
            found = []
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                                     and not os.path.islink(os.path.join(dirpath, d)))
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    try:
                        if stat.S_ISREG(os.lstat(full).st_mode):
                            found.append(Path(full).relative_to(self.root).as_posix())
                    except OSError:
                        continue
            self.__dict__["_regular"] = sorted(found)
        return self.__dict__["_regular"]

    def text(self, rel: str) -> str:
        if rel not in self._texts:
            try:
                mode = os.lstat(self.root / rel).st_mode
            except OSError:
                raise CallFailed(f"no such file: {rel}") from None
            if not stat.S_ISREG(mode):
                raise CallFailed(f"{rel} is not a regular file")
        return super().text(rel)

    def refresh(self) -> None:
        """Forget what was read: the copy changed."""
        self._texts.clear()
        for name in ("_regular", "dirs", "symbols"):
            self.__dict__.pop(name, None)

    # -- execution ---------------------------------------------------------------------------------
    def offers(self, name: str) -> bool:
        return name in EXECUTABLE

    def run(self, name: str, arguments: Any) -> Executed:
        if not isinstance(arguments, dict):
            return Executed(False, f"Error: the arguments of {name} must be a JSON object")
        if name in SHELL_TOOLS:
            command = arguments.get("command")
            if not isinstance(command, str):
                return Executed(False, "Error: 'command' must be a string")
            if "\0" in command:
                return Executed(False, "Error: the command contains a NUL byte", True)
            timeout = arguments.get("timeout")
            seconds = float(timeout) / 1000 if isinstance(timeout, (int, float)) and timeout > 0 else None
            result = self.sandbox.run(command, seconds)
            self.refresh()
            return Executed(result.ok, result.text(), bool(result.refused))
        handler = self.handlers.get(name)
        if handler is None:
            return Executed(False, f"Error: the tool '{name}' is not available here", True)
        try:
            output = handler(**arguments)
        except CallFailed as exc:
            refused = "outside the repository" in str(exc) or "symbolic link" in str(exc)
            return Executed(False, f"Error: {exc}", refused)
        except TypeError as exc:
            return Executed(False, f"Error: bad arguments for {name}: {exc}")
        except OSError as exc:
            return Executed(False, f"Error: {exc.strerror or exc}")
        except (ValueError, RecursionError) as exc:  # a NUL byte, a pathological pattern: the call's error
            return Executed(False, f"Error: {exc}")
        if name in {"read", "read_file", "read_file_range"}:
            path = arguments.get("file_path") or arguments.get("filepath")
            try:
                self.read_paths.add(self.resolve(path))
            except CallFailed:
                pass
        return Executed(True, output)

    # -- reading (the workspace's, plus the diff) --------------------------------------------------
    def _view_diff(self) -> str:
        return self.sandbox.diff() or "No changes"

    # -- editing -----------------------------------------------------------------------------------
    def _put(self, rel: str, text: str) -> None:
        data = text.encode("utf-8")
        if len(data) > MAX_WRITE:
            raise CallFailed(f"content is {len(data)} bytes; the sandbox writes at most {MAX_WRITE}")
        write_inside(self.root, rel, data)
        self.refresh()
        self.read_paths.add(rel)

    def _need_read(self, rel: str) -> None:
        if (self.root / rel).exists() and rel not in self.read_paths:
            raise CallFailed(f"{rel} has not been read yet; read it first before writing to it")

    def _replace(self, rel: str, text: str, old: Any, new: Any, replace_all: bool) -> str:
        if not isinstance(old, str) or not isinstance(new, str):
            raise CallFailed("old_string and new_string must be strings")
        if old == new:
            raise CallFailed("old_string and new_string are the same; there is nothing to change")
        count = text.count(old) if old else 0
        if count == 0:
            raise CallFailed(f"old_string was not found in {rel}")
        if count > 1 and not replace_all:
            raise CallFailed(f"old_string occurs {count} times in {rel}; give more context to make it unique, "
                             "or set replace_all")
        return text.replace(old, new) if replace_all else text.replace(old, new, 1)

    def _edit(self, file_path: str, old_string: str, new_string: str, replace_all: bool = False) -> str:
        rel = self._file(file_path)
        self._need_read(rel)
        self._put(rel, self._replace(rel, self.text(rel), old_string, new_string, replace_all))
        return f"The file {rel} has been updated."

    def _find_and_replace(self, filepath: str, old_string: str, new_string: str, replace_all: bool = False) -> str:
        rel = self._file(filepath)
        self._put(rel, self._replace(rel, self.text(rel), old_string, new_string, replace_all))
        return f"Edited {rel}"

    def _multi_edit(self, filepath: str, edits: list[dict[str, Any]]) -> str:
        rel = self._file(filepath)
        if not isinstance(edits, list) or not edits:
            raise CallFailed("edits must be a non-empty list of {old_string, new_string}")
        text = self.text(rel)
        for i, e in enumerate(edits):
            if not isinstance(e, dict):
                raise CallFailed(f"edits[{i}] must be an object with old_string and new_string")
            try:
                text = self._replace(rel, text, e.get("old_string"), e.get("new_string"), bool(e.get("replace_all")))
            except CallFailed as exc:
                raise CallFailed(f"edits[{i}]: {exc} (no edit was applied)") from None
        self._put(rel, text)
        return f"Applied {len(edits)} edit{'s' if len(edits) > 1 else ''} to {rel}"

    def _write(self, file_path: str, content: str) -> str:
        if not isinstance(content, str):
            raise CallFailed("content must be a string")
        rel = self.resolve(file_path, must_exist=False)
        existed = (self.root / rel).exists()
        self._need_read(rel)
        self._put(rel, content)
        return f"The file {rel} has been {'updated' if existed else 'created'}."

    def _create_new_file(self, filepath: str, contents: str) -> str:
        if not isinstance(contents, str):
            raise CallFailed("contents must be a string")
        rel = self.resolve(filepath, must_exist=False)
        if (self.root / rel).exists():
            raise CallFailed(f"{rel} already exists; edit it instead")
        self._put(rel, contents)
        return f"Created {rel}"


def write_inside(root: Path, rel: str, data: bytes) -> None:
    """Write ``root/rel`` without following a symbolic link anywhere on the way (a link the model
    made could point outside the copy); a link at the file itself is replaced by the file."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise CallFailed(f"'{rel}' is outside the repository")
    d = root
    for part in parts[:-1]:
        d = d / part
        try:
            mode = os.lstat(d).st_mode
        except FileNotFoundError:
            d.mkdir()
            continue
        if not stat.S_ISDIR(mode):
            raise CallFailed(f"{d.relative_to(root).as_posix()} is not a directory (or is a symbolic link)")
    target = d / parts[-1]
    try:
        mode = os.lstat(target).st_mode
        if stat.S_ISDIR(mode):
            raise CallFailed(f"{rel} is a directory")
        if not stat.S_ISREG(mode):
            target.unlink()
    except FileNotFoundError:
        pass
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def parse_arguments(raw: Any) -> tuple[dict[str, Any] | None, str]:
    """A call's arguments as the model sent them (a JSON text) -> (object, '') or (None, why)."""
    if isinstance(raw, dict):
        return raw, ""
    if not isinstance(raw, str):
        return None, "the arguments are not a JSON object"
    try:
        value = json.loads(raw or "{}")
    except ValueError as exc:
        return None, f"the arguments are not valid JSON ({exc})"
    if not isinstance(value, dict):
        return None, "the arguments must be a JSON object"
    return value, ""
