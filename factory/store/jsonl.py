"""JSONL in and out: streaming reads that name ``file:line`` on bad input, atomic writes.

A write goes to a temporary file in the same directory and is renamed into place only when complete,
so a crash or a bad record never leaves a half-written dataset behind. The temporary file's name holds
the writer's process id; the next write to the same path removes those a dead process left behind.
The finished file has the mode the umask gives a new file, as ``open`` would.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson

from factory.errors import FactoryError, InputError


def read_jsonl(path: str | Path, strict: bool = True, *, start: int = 0, stop: int | None = None,
               first_line: int = 1) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) per non-blank line.

    With ``strict`` a line that is not UTF-8 or not JSON raises :class:`InputError` naming the line;
    otherwise the error is yielded in place of the object. ``start`` / ``stop`` read only the lines
    that begin in that byte range (a shard of the file, ``start`` at a line start numbered ``first_line``).
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start
        for lineno, raw in enumerate(fh, first_line):
            if stop is not None and pos >= stop:
                return
            pos += len(raw)
            if not raw.strip():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                err = InputError(path, lineno, f"not UTF-8 (byte {exc.start})", "re-encode the file as UTF-8")
                if strict:
                    raise err from None
                yield lineno, err
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                err = InputError(path, lineno, f"not valid JSON: {exc.args[0]}", "one JSON object per line")
                if strict:
                    raise err from None
                yield lineno, err
                continue
            yield lineno, obj


def count_lines(path: str | Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                n += 1
    return n


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (someone else's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Temp files of ``path`` whose writer is no longer running (a killed run's leftovers)."""
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            try:
                tmp.unlink()
                removed.append(tmp)
            except FileNotFoundError:
                pass
    return removed


def ensure_directory(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a directory to write into (created if missing); a clear error if it is a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FactoryError(f"{option} {path} is a file; give a directory (it will be created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FactoryError(f"{option} {path}: cannot create the directory ({exc.strerror})") from None
    return path


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; rename over ``path`` only if the block finishes."""
    path = Path(path)
    if path.is_dir():
        raise FactoryError(f"{path} is a directory; give a file name to write")
    ensure_directory(path.parent, "the output directory")
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class NothingWritten(FactoryError):
    """A writer that must not end empty had no record to write; the existing file is untouched."""


class JsonlWriter:
    """Atomic JSONL writer that counts records and hashes the bytes it writes. With
    ``allow_empty=False`` a block that writes no record raises :class:`NothingWritten` and leaves any
    existing file at ``path`` as it was: a wrong input never empties a good output."""

    def __init__(self, path: str | Path, allow_empty: bool = True) -> None:
        self.path = Path(path)
        self.allow_empty = allow_empty
        self.count = 0
        self._sha = hashlib.sha256()
        self._cm = atomic_write(self.path)
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> JsonlWriter:
        self._fh = self._cm.__enter__()
        return self

    def write(self, obj: Any) -> None:
        line = obj if isinstance(obj, bytes) else orjson.dumps(obj)
        line += b"\n"
        assert self._fh is not None
        self._fh.write(line)
        self._sha.update(line)
        self.count += 1

    def write_many(self, objs: Iterable[Any]) -> None:
        for obj in objs:
            self.write(obj)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None and self.count == 0 and not self.allow_empty:
            err = NothingWritten(f"no record was written; {self.path} was left as it was")
            self._cm.__exit__(NothingWritten, err, None)  # discards the temp file
            raise err
        self._cm.__exit__(*exc)


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
