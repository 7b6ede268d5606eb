"""Rollout tasks mined from a git repository's history, the way SWE-bench-like datasets are built.

A commit that changes both tests and source code becomes a task: the repository is the commit's
parent tree, the commit's test files are the task's ``setup`` (so they fail now), ``verify`` runs
those tests, the prompt is the commit message plus the failing output, and the commit's non-test
diff is the ``reference`` patch. Each task is checked before it is yielded, each in a sandbox of its
own: on the parent tree with the tests written the tests must fail, and with the commit's non-test
files applied as well they must pass. Commits that fail either check are skipped.

Parent trees are exported once per parent (``git archive``) into a cache directory and reused.
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from factory.errors import InputError
from factory.rollout.blueprints import Blueprint, commit_tree
from factory.rollout.sandbox import Limits, Sandbox, open_sandbox
from factory.rollout.tools import write_inside

logger = logging.getLogger(__name__)

MAX_FILES = 20  # commits touching more files are skipped: the task would be too broad to check
OUTPUT_LINES = 40  # lines of failing test output the prompt quotes
VERIFY_TIMEOUT = 120.0  # seconds for one run of a task's tests

SOURCE_SUFFIXES = {".py", ".go", ".rs", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".java", ".kt", ".c", ".h",
                   ".cc", ".cpp", ".hpp", ".rb", ".php", ".cs", ".swift", ".scala", ".sh"}
_JS_TEST = re.compile(r"\.(test|spec)\.(ts|tsx|js|jsx|mjs|cjs)$")
_FIX = re.compile(r"\b(fix|bug|error|crash)", re.IGNORECASE)
_TRAILER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\s")
_KNOWN_TRAILER = re.compile(r"^(signed-off-by|co-authored-by|reviewed-by|acked-by|tested-by|reported-by|"
                            r"suggested-by|helped-by|change-id|cc):", re.IGNORECASE)
_NOT_RUN_CODES = {126, 127}  # the shell could not start the runner (not installed)
_PYTEST_NOT_FAILING = {4, 5}  # pytest usage error, no tests collected: nothing failed


def is_test_path(path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) is a test file: Python ``test_*.py``, ``*_test.py`` or any
    ``.py`` under a ``tests/`` or ``test/`` folder, Go ``*_test.go``, Rust files under ``tests/``, and
    TypeScript / JavaScript ``*.test.*`` and ``*.spec.*``."""
    p = PurePosixPath(path)
    folders = set(p.parts[:-1])
    if p.suffix == ".py":
        return p.name.startswith("test_") or p.name.endswith("_test.py") or bool(folders & {"tests", "test"})
    if p.suffix == ".go":
        return p.name.endswith("_test.go")
    if p.suffix == ".rs":
        return "tests" in folders
    return bool(_JS_TEST.search(p.name))


def _is_source_path(path: str) -> bool:
    return not is_test_path(path) and PurePosixPath(path).suffix in SOURCE_SUFFIXES


@dataclass(frozen=True)
class _Change:
    path: str
    status: str  # A | M | D | T
    mode: str  # the file's mode at the commit (000000 when deleted)


@dataclass(frozen=True)
class _Commit:
    sha: str
    parent: str
    subject: str
    body: str


# --- git -------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InputError(repo, None, "git is not installed", "install git to mine tasks from a repository") from None


def _git_bytes(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def _first_line(text: str) -> str:
    lines = [line.removeprefix("fatal: ").strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "git failed"


def _check_repo(repo: Path) -> None:
    if not repo.is_dir():
        raise InputError(repo, None, "the repository to mine is not a directory", "give the path of a git repository")
    probe = _git(repo, "rev-parse", "--git-dir")
    if probe.returncode != 0:
        if "dubious ownership" in probe.stderr:
            raise InputError(repo, None, "git refuses to read the repository: it belongs to another user",
                             f"git config --global --add safe.directory {repo}")
        raise InputError(repo, None, "not a git repository", "give a git working copy or a bare repository "
                         "(git:PATH)")
    if _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        raise InputError(repo, None, "the git repository has no commits", "commit something first")


def _repo_name(repo: Path) -> str:
    name = repo.resolve().name
    return name.removesuffix(".git") or "repo"


def _commits(repo: Path) -> Iterator[_Commit]:
    """Non-merge commits with one parent, newest first."""
    log = _git(repo, "log", "--no-merges", "--format=%H%x00%P%x00%s%x00%b%x1e")
    if log.returncode != 0:
        raise InputError(repo, None, f"cannot read the history: {_first_line(log.stderr)}")
    for record in log.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x00")
        if len(fields) != 4:
            continue
        sha, parents, subject, body = fields
        if len(parents.split()) != 1:
            continue  # a root commit: nothing to revert to
        yield _Commit(sha, parents, subject.strip(), body.strip())


def _changes(repo: Path, commit: _Commit) -> list[_Change] | None:
    out = _git(repo, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", commit.parent, commit.sha)
    if out.returncode != 0:
        return None
    fields = out.stdout.split("\x00")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2]):
        if not meta.startswith(":"):
            continue
        _, new_mode, _, _, status = meta[1:].split(" ")
        changes.append(_Change(path, status[:1], new_mode))
    return changes


def _show(repo: Path, sha: str, path: str) -> bytes | None:
    out = _git_bytes(repo, "show", f"{sha}:{path}")
    return out.stdout if out.returncode == 0 else None


# --- the parent tree -------------------------------------------------------------------------------


def _export(repo: Path, parent: str, cache: Path) -> Path | None:
    """The parent's tree under ``cache``, exported once; None when git cannot export it."""
    target = cache / parent[:12]
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    archive = _git_bytes(repo, "archive", "--format=tar", parent)
    if archive.returncode != 0:
        logger.debug("cannot export %s: %s", parent[:12], _first_line(archive.stderr.decode(errors="replace")))
        return None
    partial = Path(tempfile.mkdtemp(prefix=f".{parent[:12]}-", dir=cache))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
            tar.extractall(partial, filter="data")
        commit_tree(partial)  # a checkout of its own: git status, diff and log work in the rollout's copy
        os.replace(partial, target)
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if target.is_dir():  # another miner exported it first
            return target
        logger.debug("cannot unpack %s: %s", parent[:12], exc)
        return None
    return target


# --- the task --------------------------------------------------------------------------------------


def _verify_command(tests: list[str]) -> tuple[str, set[int]] | None:
    """The command that runs ``tests`` and the exit codes that mean "nothing failed"; None when a test
    file is in a language without a known runner."""
    python = sorted(t for t in tests if t.endswith(".py") and
                    (PurePosixPath(t).name.startswith("test_") or t.endswith("_test.py")))
    go_dirs = sorted({posixpath.dirname(t) for t in tests if t.endswith("_test.go")})
    if any(not (t.endswith(".py") or t.endswith("_test.go")) for t in tests) or not (python or go_dirs):
        return None
    parts, not_failing = [], set(_NOT_RUN_CODES)
    if python:
        parts.append("python -m pytest -q " + " ".join(shlex.quote(t) for t in python))
        if not go_dirs:
            not_failing |= _PYTEST_NOT_FAILING
    if go_dirs:
        parts.append("go test " + " ".join(shlex.quote(f"./{d}/" if d else "./") for d in go_dirs))
    return " && ".join(parts), not_failing


def _message(subject: str, body: str) -> str:
    """Subject and body without trailers (``Signed-off-by:`` and the like)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    if paragraphs and all(_TRAILER.match(line) for line in paragraphs[-1].splitlines() if line.strip()):
        paragraphs.pop()
    kept = []
    for para in paragraphs:
        lines = [line for line in para.splitlines()
                 if not _KNOWN_TRAILER.match(line.strip()) and not line.strip().startswith("(cherry picked from")]
        if any(line.strip() for line in lines):
            kept.append("\n".join(lines).strip())
    return "\n\n".join([subject, *kept])


def _tail(output: str, shown: str) -> str:
    text = output.replace(shown.rstrip("/") + "/", "").rstrip()
    lines = text.splitlines()
    return "\n".join(lines[-OUTPUT_LINES:])


def _write(box: Sandbox, files: dict[str, str]) -> None:
    for rel, content in files.items():
        write_inside(box.root, rel, content.encode("utf-8"))


def _apply(box: Sandbox, repo: Path, sha: str, changes: list[_Change]) -> bool:
    """Write the commit's version of each changed file into the copy (the reference patch applied)."""
    for ch in changes:
        target = box.root / ch.path
        if ch.status == "D":
            if target.is_symlink() or target.is_file():
                target.unlink()
            continue
        content = _show(repo, sha, ch.path)
        if content is None:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        if ch.mode == "120000":
            target.symlink_to(content.decode("utf-8", "surrogateescape"))
        else:
            target.write_bytes(content)
            if ch.mode == "100755":
                target.chmod(0o755)
    return True


def _task(repo: Path, name: str, commit: _Commit, cache: Path) -> Blueprint | None:
    """The commit as a checked task, or None (with the reason logged) when it does not make one."""
    short = commit.sha[:10]

    def skip(why: str) -> None:
        logger.debug("%s: skipped, %s", short, why)

    changes = _changes(repo, commit)
    if changes is None:
        return skip("git cannot diff it")
    if len(changes) > MAX_FILES:
        return skip(f"{len(changes)} files changed (at most {MAX_FILES})")
    if any(ch.mode == "160000" for ch in changes):
        return skip("it changes a submodule")
    tests = [ch for ch in changes if is_test_path(ch.path)]
    code = [ch for ch in changes if not is_test_path(ch.path)]
    if not tests or not any(_is_source_path(ch.path) for ch in code):
        return skip("it does not change both tests and source code")
    setup: dict[str, str] = {}
    for ch in tests:
        if ch.status == "D":
            continue
        content = _show(repo, commit.sha, ch.path)
        if content is None:
            continue
        try:
            setup[ch.path] = content.decode("utf-8")
        except UnicodeDecodeError:
            continue
    if not setup:
        return skip("it only deletes tests")
    runner = _verify_command(sorted(setup))
    if runner is None:
        return skip("its tests have no known runner")
    verify, not_failing = runner
    reference = _git(repo, "diff", "--no-renames", commit.parent, commit.sha, "--", *(ch.path for ch in code))
    if reference.returncode != 0 or not reference.stdout.strip():
        return skip("no reference diff")
    tree = _export(repo, commit.parent, cache)
    if tree is None:
        return skip("its parent tree cannot be exported")
    limits = Limits(timeout=VERIFY_TIMEOUT)
    with open_sandbox(tree, limits=limits) as box:
        _write(box, setup)
        before = box.run(verify)
        shown = box.shown
    if before.refused:
        return skip(f"the sandbox refused the tests: {before.refused}")
    if before.exit_code is None:
        return skip("the tests time out on the parent")
    if before.exit_code == 0:
        return skip("the tests already pass on the parent")
    if before.exit_code in not_failing:
        return skip(f"the tests cannot run (exit {before.exit_code}): {_tail(before.output, shown)[-200:]}")
    with open_sandbox(tree, limits=limits) as box:
        _write(box, setup)
        if not _apply(box, repo, commit.sha, code):
            return skip("the reference cannot be applied")
        after = box.run(verify)
    if after.exit_code != 0:
        return skip(f"the tests fail with the reference applied too (exit {after.exit_code})")
    prompt = (f"{_message(commit.subject, commit.body)}\n\nThese tests fail now (`{verify}`):\n"
              f"```\n{_tail(before.output, shown)}\n```\nMake them pass without changing the tests.")
    return Blueprint(key=f"{name}-{short}", repo=tree, prompt=prompt,
                     kind="fix" if _FIX.search(commit.subject) else "feature", setup=setup, verify=verify,
                     # the tests are written again just before verify: weakening them does not pass the task
                     verify_files=dict(setup), reference=reference.stdout, source=f"git:{name}@{short}")


def mine_git(repo: Path, max_tasks: int | None = None, work_dir: Path | None = None) -> Iterator[Blueprint]:
    """Tasks from ``repo``'s history, newest commit first, each checked to fail before and pass with its
    reference patch. ``work_dir`` caches the exported parent trees (default: under the system's temporary
    directory); ``max_tasks`` stops after that many tasks."""
    repo = Path(repo)
    _check_repo(repo)
    name = _repo_name(repo)
    cache = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "factory-mined" / name
    found = 0
    for commit in _commits(repo):
        if max_tasks is not None and found >= max_tasks:
            return
        task = _task(repo, name, commit, cache)
        if task is not None:
            found += 1
            yield task
