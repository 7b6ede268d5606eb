"""A local git repository read with git itself (subprocess): files at a revision, its license, its
history as a stream. Used by the git-history and repo-fim ingestors."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from factory.errors import FactoryError
from factory.ingest.licenses import LicenseInfo, detect_license


@dataclass(frozen=True)
class GitRepo:
    path: Path

    @classmethod
    def open(cls, path: str | Path) -> GitRepo:
        if shutil.which("git") is None:
            raise FactoryError("git is not installed or not on PATH; install git to ingest repositories")
        path = Path(path)
        if not path.is_dir():
            raise FactoryError(f"{path}: not a directory (expected a local git repository)")
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise FactoryError(f"{path}: not a git repository ({proc.stderr.strip()}); clone it or run git init")
        return cls(Path(proc.stdout.strip()))

    @property
    def name(self) -> str:
        return self.path.name

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise FactoryError(f"{self.path}: git {' '.join(args[:3])} failed: "
                               f"{proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode("utf-8", errors="replace")

    def stream(self, *args: str) -> Iterator[bytes]:
        """Lines of a git command's output as it runs: history is never held whole in memory."""
        proc = subprocess.Popen(["git", "-C", str(self.path), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert proc.stdout is not None
        try:
            yield from proc.stdout
        finally:
            proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            if proc.wait() != 0 and err:
                raise FactoryError(f"{self.path}: git {' '.join(args[:3])} failed: {err.strip()}")

    def has_commits(self, rev: str = "HEAD") -> bool:
        return subprocess.run(["git", "-C", str(self.path), "rev-parse", "--verify", "--quiet", rev],
                              capture_output=True, check=False).returncode == 0

    def root_files(self, rev: str = "HEAD") -> list[str]:
        return [n for n in self.git("ls-tree", "--name-only", rev).splitlines() if n]

    def read_at(self, rev: str, name: str) -> str | None:
        proc = subprocess.run(["git", "-C", str(self.path), "show", f"{rev}:{name}"], capture_output=True, check=False)
        return proc.stdout.decode("utf-8", errors="replace") if proc.returncode == 0 else None

    def license(self, rev: str = "HEAD") -> LicenseInfo:
        return detect_license(self.root_files(rev), lambda name: self.read_at(rev, name))

    def attributes(self, paths: list[str], names: tuple[str, ...]) -> dict[str, dict[str, str]]:
        """gitattributes set on each path (``unspecified`` ones left out), read in one git call."""
        if not paths:
            return {}
        proc = subprocess.run(["git", "-C", str(self.path), "check-attr", "-z", "--stdin", *names],
                              input="\0".join(paths).encode() + b"\0", capture_output=True, check=False)
        fields = proc.stdout.decode("utf-8", errors="replace").split("\0")
        out: dict[str, dict[str, str]] = {}
        for i in range(0, len(fields) - 2, 3):
            path, name, value = fields[i:i + 3]
            if value != "unspecified":
                out.setdefault(path, {})[name] = value
        return out

    def remote_url(self) -> str:
        return self.git("config", "--get", "remote.origin.url", check=False).strip()
