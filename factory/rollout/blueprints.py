"""Rollout tasks (blueprints): what the model is asked, in which repository, and how the outcome is
judged. Three sources: ``builtin`` (the fixture repository's engineering tasks and exploration
questions), a YAML file of blueprints, and ``git:REPO`` (tasks mined from a repository's history,
:mod:`factory.rollout.mining`).

A blueprint's ``setup`` files are written into the copy before the model starts (a failing test the
prompt names); its ``verify_files`` only just before ``verify`` runs, so the model never sees them
(a hidden test, as SWE-bench grades). ``hidden`` facts are what the simulated user knows but only
says when asked; ``expect`` are patterns an exploration answer must contain.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from factory.errors import InputError
from factory.sandbox.workspace import FIXTURE_REPO


@dataclass(frozen=True)
class Fact:
    """Something the simulated user knows: said when a question mentions one of ``when``."""

    when: tuple[str, ...]
    answer: str

    def matches(self, question: str) -> bool:
        q = question.lower()
        return any(w.lower() in q for w in self.when)


@dataclass
class Blueprint:
    key: str
    repo: Path
    prompt: str
    kind: str = "fix"  # fix | feature | explore
    setup: dict[str, str] = field(default_factory=dict)
    setup_commands: list[str] = field(default_factory=list)
    verify: str | None = None  # a command that must exit 0 at the end
    verify_files: dict[str, str] = field(default_factory=dict)
    hidden: list[Fact] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)  # regexes the final answer must match
    follow_ups: list[str] = field(default_factory=list)  # scripted user turns after the first answer
    reference: str = ""  # a patch known to pass (mined tasks), for checking the task itself
    source: str = "builtin"
    toolset: str | None = None  # None: the rollout spec's tool set

    def describe(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "source": self.source, "repo": self.repo.name,
                "verify": self.verify, "hidden_facts": len(self.hidden), "expect": list(self.expect)}


# --- trees as git repositories ----------------------------------------------------------------------

# A fixed author and date: the same tree always gives the same commit id, so `git log` in a rollout
# shows what it showed in an earlier run.
_GIT_ENV = {"GIT_AUTHOR_NAME": "factory", "GIT_AUTHOR_EMAIL": "factory@sandbox.invalid",
            "GIT_COMMITTER_NAME": "factory", "GIT_COMMITTER_EMAIL": "factory@sandbox.invalid",
            "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
_NOT_COPIED = ("__pycache__", ".pytest_cache", ".ruff_cache", "node_modules")


def commit_tree(tree: Path) -> bool:
    """Make ``tree`` a git repository whose one commit holds all its files; False when git fails."""
    env = {**os.environ, **_GIT_ENV}
    steps = (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
             ["git", "commit", "-q", "--no-gpg-sign", "-m", "The task's starting point"])
    for argv in steps:
        try:
            if subprocess.run(argv, cwd=tree, env=env, capture_output=True, timeout=120).returncode != 0:
                return False
        except (OSError, subprocess.TimeoutExpired):
            return False
    return True


def committed_tree(tree: Path, cache: Path | None = None) -> Path:
    """``tree`` as a git repository with one commit, made once under ``cache`` (keyed by the tree's
    content) and reused by every rollout, so `git status`, `git diff` and `git log` work in a copy as
    in a real checkout. ``tree`` itself when it is a repository already or git is not installed."""
    tree = Path(tree)
    if (tree / ".git").exists() or shutil.which("git") is None:
        return tree
    digest = hashlib.sha256()
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree)
        if path.is_file() and not path.is_symlink() and not set(rel.parts) & set(_NOT_COPIED):
            digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    cache = Path(cache) if cache is not None else Path(tempfile.gettempdir()) / "factory-trees"
    home = cache / digest.hexdigest()[:16]
    target = home / tree.name
    if (target / ".git").is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".tree-", dir=cache))
    try:
        shutil.copytree(tree, partial / tree.name, symlinks=True, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        if not commit_tree(partial / tree.name):
            return tree
        os.replace(partial, home)
    except OSError:
        if (target / ".git").is_dir():  # another run made it first
            return target
        return tree
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


# --- builtin ---------------------------------------------------------------------------------------

_HIDDEN_TEST_DIR = "tests"


def _hidden_test(t: Any) -> tuple[str, str, str]:
    """Where the task's acceptance test goes (a file the model never sees), its code, and the command
    that runs it with the whole suite, in the runner of the task's repository."""
    runner = t.fixture.runner
    if runner == "go":  # beside the package's own tests, so it can use their helpers; renamed, so a
        # test the model writes under the task's own name does not clash with it in the package
        code = t.test_code.replace(f"func {t.test_name}(", f"func {t.test_name}Acceptance(")
        return f"{Path(t.test_file).parent}/acceptance_{t.key}_test.go", code, t.fixture.suite_commands()[0]
    if runner == "node":
        return f"test/acceptance_{t.key}.test.js", t.test_code, t.fixture.suite_commands()[0]
    hidden = f"{_HIDDEN_TEST_DIR}/test_acceptance_{t.key}.py"
    return hidden, t.test_code, f"python -m pytest -q {hidden} tests"


def _fixture_tasks(work_dir: Path | None) -> Iterator[Blueprint]:
    from factory.sandbox.tasks import TASKS

    for t in TASKS:
        name = Path(t.test_file).name
        hidden_test, hidden_code, verify = _hidden_test(t)
        prompt = t.asks[0]
        if t.symptom:
            prompt += f" What we see: {t.symptom}."
        yield Blueprint(
            key=t.key, repo=committed_tree(t.fixture.root, work_dir), prompt=prompt,
            kind="fix" if t.kind == "bug" else "feature",
            verify=verify, verify_files={hidden_test: hidden_code},
            hidden=[Fact(("test", "where", "file", "name"), f"If you add a test, put it in `{t.test_file}`"
                         f" ({name} does not exist yet)."),
                    Fact(("why", "expect", "should", "behaviour", "behavior", "raise", "error"),
                         f"The cause we suspect: {t.cause}." if t.cause else t.asks[-1])],
            source="builtin",
        )


# Questions about the fixture repository whose answers a reader finds in the code (checked by a test
# against the files, so they stay true when the fixture changes).
_QUESTIONS = (
    ("explore_bearer", "Which function parses the bearer token from the Authorization header, and in which file is it?",
     (r"bearer_token", r"auth\.py")),
    ("explore_rounding", "How does `apply_discount` round, and where is it defined?",
     (r"apply_discount", r"pricing\.py", r"(?i)half|round")),
    ("explore_storage", "Which database does the order store use, and which table holds the orders?",
     (r"(?i)sqlite", r"\borders\b")),
    ("explore_worker", "What does the Go worker do with paid orders, and how often does it poll?",
     (r"(?i)ship", r"30\s*(?:s\b|sec|\*\s*time\.Second)")),
)


def _fixture_questions(work_dir: Path | None) -> Iterator[Blueprint]:
    for key, question, expect in _QUESTIONS:
        yield Blueprint(key=key, repo=committed_tree(FIXTURE_REPO, work_dir), prompt=question, kind="explore",
                        expect=list(expect), source="builtin")


def builtin_blueprints(work_dir: Path | None = None) -> list[Blueprint]:
    """The fixture repositories' engineering tasks (a hidden acceptance test each) and shoplite's questions,
    each repository a git repository with one commit (made once under ``work_dir``)."""
    return [*_fixture_tasks(work_dir), *_fixture_questions(work_dir)]


# --- YAML ------------------------------------------------------------------------------------------

_KEYS = {"key", "repo", "prompt", "kind", "setup", "setup_commands", "verify", "verify_files", "hidden", "expect",
         "follow_ups", "toolset"}


def _lines_of_items(text: str) -> list[int]:
    """The line of each ``tasks`` item, for error messages."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == "tasks" and isinstance(v, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in v.value]
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []


def _strings(value: Any, where: str, path: Path, line: int | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(path, line, f"{where}: expected a list of strings")
    return list(value)


def _files(value: Any, where: str, path: Path, line: int | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InputError(path, line, f"{where}: expected a mapping of file path to file contents")
    for k in value:
        if k.startswith(("/", "~")) or ".." in Path(k).parts:
            raise InputError(path, line, f"{where}: '{k}' must be a path inside the repository")
    return dict(value)


def yaml_blueprints(path: str | Path) -> list[Blueprint]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, f"cannot read the tasks file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "the tasks file is not UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, mark.line + 1 if mark else None,
                         f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    items = data.get("tasks") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise InputError(path, 1, "expected a list of tasks under 'tasks:'", "see docs/rollouts.md for the format")
    lines = _lines_of_items(text)
    out, keys = [], set()
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else None
        where = f"tasks[{i}]"
        if not isinstance(item, dict):
            raise InputError(path, line, f"{where}: expected a mapping with prompt, repo and verify",
                             "see docs/rollouts.md for the format")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise InputError(path, line, f"{where}: unknown key(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(_KEYS))})")
        prompt = item.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError(path, line, f"{where}: 'prompt' is required (what the user asks)")
        repo_raw = item.get("repo")
        repo = FIXTURE_REPO if repo_raw in (None, "builtin") else (path.parent / str(repo_raw)).resolve()
        if not repo.is_dir():
            raise InputError(path, line, f"{where}: repo '{repo_raw}' is not a directory (relative to {path.parent})")
        key = str(item.get("key") or f"{path.stem}-{i + 1}")
        if key in keys:
            raise InputError(path, line, f"{where}: key '{key}' is used twice")
        keys.add(key)
        kind = str(item.get("kind") or ("explore" if item.get("expect") and not item.get("verify") else "fix"))
        if kind not in {"fix", "feature", "explore"}:
            raise InputError(path, line, f"{where}: kind must be fix, feature or explore, not '{kind}'")
        verify = item.get("verify")
        if verify is not None and not isinstance(verify, str):
            raise InputError(path, line, f"{where}: verify must be one command line")
        hidden = []
        for j, fact in enumerate(item.get("hidden") or []):
            if not isinstance(fact, dict) or not isinstance(fact.get("answer"), str):
                raise InputError(path, line, f"{where}.hidden[{j}]: expected {{when: [words], answer: text}}")
            hidden.append(Fact(tuple(_strings(fact.get("when"), f"{where}.hidden[{j}].when", path, line)),
                               fact["answer"]))
        expect = _strings(item.get("expect"), f"{where}.expect", path, line)
        for pattern in expect:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(path, line, f"{where}.expect: '{pattern}' is not a regular expression: {exc}") from None
        if verify is None and not expect:
            raise InputError(path, line, f"{where}: give 'verify' (a command that passes when the task is done) "
                             "or 'expect' (patterns the answer must contain)")
        out.append(Blueprint(
            key=key, repo=repo, prompt=prompt.strip(), kind=kind,
            setup=_files(item.get("setup"), f"{where}.setup", path, line),
            setup_commands=_strings(item.get("setup_commands"), f"{where}.setup_commands", path, line),
            verify=verify, verify_files=_files(item.get("verify_files"), f"{where}.verify_files", path, line),
            hidden=hidden, expect=expect,
            follow_ups=_strings(item.get("follow_ups"), f"{where}.follow_ups", path, line),
            source=f"yaml:{path.name}", toolset=item.get("toolset"),
        ))
    return out
