"""The fixture repositories shipped in ``factory/sandbox/repos/``: small real projects in different
stacks that grounded records read, search and edit, each with real tasks (:mod:`factory.sandbox.tasks`)
whose tests fail before the task's edit and pass after it.

A repository knows how its tests are run and what the runner prints, so a record's test run looks
like the real one (a test in ``tests/sandbox/`` runs every task for real and compares)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPOS_DIR = Path(__file__).with_name("repos")


@dataclass(frozen=True)
class FixtureRepo:
    name: str  # its directory under factory/sandbox/repos
    language: str  # python | go | javascript
    runner: str  # pytest | go | node
    source_dir: str  # where a search for production code starts
    test_glob: str  # the test files
    ticket: str  # the prefix of its tracker's ticket numbers
    module: str = ""  # Go: the module path the test runner prints
    held_out: bool = False  # only the eval set works in it (factory.sandbox.held_out); training never does

    @property
    def root(self) -> Path:
        return REPOS_DIR / self.name

    def source_glob(self, file_name: str) -> str:
        """A glob that finds ``file_name`` among the production code."""
        return f"**/{file_name}" if self.source_dir == "." else f"{self.source_dir}/**/{file_name}"

    def test_commands(self, test_file: str, test_name: str) -> list[str]:
        """Ways to run one test file (or one test) that print what :mod:`factory.sandbox.tasks` records."""
        if self.runner == "go":
            package = "./" + str(Path(test_file).parent)
            return [f"go test {package}", f"go test -run {test_name} {package}", f"go test -count=1 {package}"]
        if self.runner == "node":
            return [f"node --test --test-reporter=dot {test_file}", f"node --test-reporter=dot --test {test_file}"]
        return [f"python -m pytest -q {test_file}", f"pytest {test_file} -q",
                f"python -m pytest {test_file}::{test_name} -q"]

    def suite_commands(self) -> list[str]:
        if self.runner == "go":
            return ["go test ./...", "go test -count=1 ./..."]
        if self.runner == "node":
            return ["node --test --test-reporter=dot test/", "node --test-reporter=dot --test test/"]
        return ["python -m pytest -q", "pytest -q", "python -m pytest -q tests"]


REPOS: dict[str, FixtureRepo] = {r.name: r for r in (
    # a Python shop service (src/shoplite) with a TypeScript web client, a Go worker and a Rust module
    FixtureRepo("shoplite", "python", "pytest", "src", "tests/**/*.py", "SHOP"),
    # a Go library and daemon that rate-limits HTTP clients (allowance/, backoff/, config/, middleware/)
    FixtureRepo("ratelimit", "go", "go", ".", "**/*_test.go", "RL", module="example.com/ratelimit"),
    # a Node.js command-line tool that finds broken links in Markdown files (src/, test/, bin/)
    FixtureRepo("mdlinks", "javascript", "node", "src", "test/**/*.test.js", "MDL"),
    # held out: a Python library for music and podcast playlists, worked in by the eval set only
    FixtureRepo("tracklist", "python", "pytest", "src", "tests/**/*.py", "TRK", held_out=True),
)}
TRAINING_REPOS = {name: repo for name, repo in REPOS.items() if not repo.held_out}
