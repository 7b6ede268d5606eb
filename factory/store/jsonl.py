"""JSONL in and out: streaming reads that name ``file:line`` on bad input, atomic writes.

A write goes to a temporary file in the same directory and is renamed into place only when complete,
so a crash or a bad record never leaves a half-written dataset behind.
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

from factory.errors import InputError


def read_jsonl(path: str | Path, strict: bool = True) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) per non-blank line.

    With ``strict`` a line that is not UTF-8 or not JSON raises :class:`InputError` naming the line;
    otherwise the error is yielded in place of the object.
    """
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
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


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; rename over ``path`` only if the block finishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class JsonlWriter:
    """Atomic JSONL writer that counts records and hashes the bytes it writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
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
        self._cm.__exit__(*exc)


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
