"""Atomic writes: the finished file gets the mode the umask gives a new file, and a killed writer's
temporary file is removed by the next write to the same path (a live writer's is left alone)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from factory.errors import FactoryError
from factory.store.jsonl import JsonlWriter, atomic_write, ensure_directory


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(mask: int, mode: int, tmp_path: Path) -> None:
    old = os.umask(mask)
    try:
        with JsonlWriter(tmp_path / "out.jsonl") as w:
            w.write({"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.jsonl").stat().st_mode) == mode


def test_a_killed_writers_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    script = ("import os, sys\nfrom factory.store.jsonl import atomic_write\n"
              f"with atomic_write({str(target)!r}) as fh:\n    fh.write(b'half')\n    fh.flush()\n"
              "    os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -9
    [left] = list(tmp_path.glob(".out.jsonl.*.tmp"))  # the kill left its temp file
    live = tmp_path / f".out.jsonl.{os.getpid()}.inuse.tmp"  # a writer that is still running
    live.write_bytes(b"")
    with atomic_write(target) as fh:
        fh.write(b"done\n")
    assert not left.exists() and live.exists()
    assert target.read_bytes() == b"done\n"


def test_a_directory_is_not_a_file_and_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(FactoryError, match="is a directory"), atomic_write(tmp_path / "d"):
        pass
    (tmp_path / "f").write_text("x")
    with pytest.raises(FactoryError, match="is a file"):
        ensure_directory(tmp_path / "f")
    assert (tmp_path / "f").read_text() == "x"
